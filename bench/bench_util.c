/* bench_util - samples, timing, temporary directories, memory of a process. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "bench.h"

#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void samples_add(samples *s, double ms)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        double *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return; /* a lost sample, not a lost run */
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = ms;
}

void samples_merge(samples *dst, const samples *src)
{
    for (size_t i = 0; i < src->n; i++)
        samples_add(dst, src->v[i]);
}

void samples_free(samples *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void samples_sort(samples *s)
{
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
}

double samples_quantile(const samples *s, double q)
{
    if (!s->n)
        return 0;
    size_t rank = (size_t)(q * (double)s->n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1];
}

void bench_row_finish(bench_row *r, samples *lat)
{
    samples_sort(lat);
    r->ops_per_s = r->seconds > 0 ? (double)r->ops / r->seconds : 0;
    r->p50_ms = samples_quantile(lat, 0.50);
    r->p99_ms = samples_quantile(lat, 0.99);
    r->p999_ms = samples_quantile(lat, 0.999);
    r->max_ms = samples_quantile(lat, 1.0);
}

bench_row *bench_results_add(bench_results *res, const char *scenario,
                             const char *system)
{
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 32;
        bench_row *rows = realloc(res->rows, cap * sizeof *rows);
        if (!rows) {
            perror("jifen_bench");
            exit(1);
        }
        res->rows = rows;
        res->cap = cap;
    }
    bench_row *r = &res->rows[res->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->scenario, sizeof r->scenario, "%s", scenario);
    snprintf(r->system, sizeof r->system, "%s", system);
    r->peak_rss_mb = r->peak_anon_mb = -1;
    return r;
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_ms_since(double start)
{
    return (bench_now() - start) * 1000.0;
}

char *bench_tmpdir(const char *tag)
{
    const char *base = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/jifen-bench-%s.XXXXXX",
             base && *base ? base : "/tmp", tag);
    if (!mkdtemp(path))
        return NULL;
    return strdup(path);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void bench_rmtree(char **path_p)
{
    if (*path_p)
        nftw(*path_p, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(*path_p);
    *path_p = NULL;
}

void bench_tmpdir_done(char **path_p, const char *run, int rc)
{
    if (rc != 0 || getenv("JIFEN_BENCH_KEEP")) {
        fprintf(stderr, "jifen_bench: the %s%s run kept in %s\n",
                rc ? "failed " : "", run, *path_p);
        free(*path_p);
        *path_p = NULL;
    } else {
        bench_rmtree(path_p);
    }
}

double bench_proc_mb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t flen = strlen(field);
    double mb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            mb = strtod(line + flen + 1, NULL) / 1024.0; /* kB */
            break;
        }
    }
    fclose(f);
    return mb;
}

double bench_proc_cpu_s(pid_t pid, pid_t tid)
{
    char path[96], buf[1024];
    if (tid)
        snprintf(path, sizeof path, "/proc/%ld/task/%ld/stat", (long)pid,
                 (long)tid);
    else
        snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    /* After the command's name in parentheses (which may hold blanks):
     * state is field 3, utime and stime fields 14 and 15. */
    const char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                            "%llu %llu",
                     &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

void bench_rss_reset(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/clear_refs", (int)pid);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("5", f); /* resets VmHWM to the current RSS */
        fclose(f);
    }
}

struct rss_monitor {
    pthread_t thread;
    pid_t pid;
    unsigned usec;
    atomic_int stop;
    double peak;
};

static void *monitor_main(void *arg)
{
    rss_monitor *m = arg;
    while (!m->stop) {
        double mb = bench_proc_mb(m->pid, "RssAnon");
        if (mb > m->peak)
            m->peak = mb;
        usleep(m->usec);
    }
    return NULL;
}

rss_monitor *rss_monitor_start(pid_t pid)
{
    return rss_monitor_start_every(pid, 20000);
}

rss_monitor *rss_monitor_start_every(pid_t pid, unsigned usec)
{
    rss_monitor *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->pid = pid;
    m->usec = usec;
    m->peak = bench_proc_mb(pid, "RssAnon");
    if (pthread_create(&m->thread, NULL, monitor_main, m) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

double rss_monitor_stop(rss_monitor **m_p)
{
    rss_monitor *m = *m_p;
    if (!m)
        return -1;
    m->stop = 1;
    pthread_join(m->thread, NULL);
    double mb = bench_proc_mb(m->pid, "RssAnon");
    double peak = mb > m->peak ? mb : m->peak;
    free(m);
    *m_p = NULL;
    return peak;
}

static bool say_on = true;

void bench_say_enable(bool on)
{
    say_on = on;
}

void bench_say(const char *fmt, ...)
{
    if (!say_on)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static bool progress_on;
static double progress_last;

void bench_progress_enable(bool on)
{
    progress_on = on;
}

void bench_progress(const char *what, uint64_t done, uint64_t total)
{
    if (!progress_on)
        return;
    double now = bench_now();
    if (done < total && now - progress_last < 0.2)
        return; /* a few updates a second are enough to watch */
    progress_last = now;
    if (total > 1)
        fprintf(stderr, "\r\033[K%s: %llu of %llu (%.0f %%)", what,
                (unsigned long long)done, (unsigned long long)total,
                100.0 * (double)done / (double)total);
    else
        fprintf(stderr, "\r\033[K%s ...", what);
    fflush(stderr);
}

void bench_progress_done(void)
{
    if (progress_on) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    progress_last = 0;
}

void bench_household(unsigned i, char out[16])
{
    snprintf(out, 16, "H%07u", i);
}
