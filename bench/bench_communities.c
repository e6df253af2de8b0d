/*
 * bench_communities - one jifend serving many communities (issue 13,
 * "Scale"; docs/performance.md, "Many communities"): `jifen_bench
 * --communities N`, `./bench.sh --communities [N]`.
 *
 * The service is built through the real daemon as a property company
 * would build it: the first admin key is enrolled offline (jifend
 * --enrol-admin: the service's key for every community), that admin
 * enrols the bench's committee, terminal and auditor keys as keys of the
 * service for all communities, creates N communities over the wire, one
 * CommunityCreate per request, and the committee key registers
 * o->households households in each, o->batch per request, o->window
 * requests in flight (consecutive requests name different communities,
 * so their commits run on different committers).
 *
 * Then, each figure with the 1-minute load average beside it:
 *   - the process: RSS, and RSS besides the maps (VmRSS less the resident
 *     pages of the mapped data.mdb files, read per mapping from
 *     /proc/PID/smaps), its open descriptors by kind, its limit; the data
 *     directory's size on disk. Per community: the difference to the
 *     same figures of the one-community service the run started from.
 *   - a restart: SIGTERM (time to exit), then the time from fork/exec to
 *     the "serving" log line, and the same figures at once and a second
 *     later;
 *   - the award storm, C closed-loop clients, each request in a random
 *     community, against the same storm in one community;
 *   - two communities written at once (client i in community i % 2)
 *     against one community alone, the same clients in all, every
 *     request its own durable commit's reply, at a few client counts;
 *   - the roll-up over every community,
 *     with a balance probe and an award client in other communities
 *     timed alone and while roll-ups run back to back.
 * Nothing is asserted of a time: the run fails only when a command does.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "bench_jifen.h"

#include "codec.h"
#include "jifen.h"

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* --- the process and the disk ----------------------------------------------
 */

static double load1(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

typedef struct {
    double rss_mb;     /* VmRSS */
    double anon_mb;    /* RssAnon: heap, stacks */
    double map_mb;     /* resident pages of the mapped data.mdb files */
    double lock_mb;    /* of the mapped lock.mdb files (reader tables) */
    double besides_mb; /* rss - map: what the process costs besides */
    unsigned maps;     /* mappings of data.mdb files */
    unsigned fds, fd_data, fd_lock, fd_socket, fd_other;
    unsigned long long fd_limit; /* soft RLIMIT_NOFILE of the process */
} proc_figures;

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* /proc/PID/smaps: a header line per mapping ("lo-hi perms offset dev
 * inode [path]"), then its fields ("Rss:   12 kB"), whose first word ends
 * with a colon. */
static void read_smaps(pid_t pid, proc_figures *p)
{
    char path[64], line[1024], name[1024] = "";
    snprintf(path, sizeof path, "/proc/%ld/smaps", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    double map_kb = 0, lock_kb = 0;
    while (fgets(line, sizeof line, f)) {
        char first[64];
        if (sscanf(line, "%63s", first) != 1)
            continue;
        if (first[strlen(first) - 1] != ':') {
            int at = 0;
            name[0] = '\0';
            if (sscanf(line, "%*s %*s %*s %*s %*s %n", &at) == 0 && at > 0)
                snprintf(name, sizeof name, "%s", line + at);
            name[strcspn(name, "\n")] = '\0';
            if (ends_with(name, "/data.mdb"))
                p->maps++;
            continue;
        }
        unsigned long long kb;
        if (sscanf(line, "Rss: %llu kB", &kb) == 1) {
            if (ends_with(name, "/data.mdb"))
                map_kb += (double)kb;
            else if (ends_with(name, "/lock.mdb"))
                lock_kb += (double)kb;
        }
    }
    fclose(f);
    p->map_mb = map_kb / 1024;
    p->lock_mb = lock_kb / 1024;
}

static void read_fds(pid_t pid, proc_figures *p)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/fd", (long)pid);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[400], target[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
            continue;
        target[n] = '\0';
        p->fds++;
        if (ends_with(target, "/data.mdb"))
            p->fd_data++;
        else if (ends_with(target, "/lock.mdb"))
            p->fd_lock++;
        else if (!strncmp(target, "socket:", 7))
            p->fd_socket++;
        else
            p->fd_other++;
    }
    closedir(d);
    char limits[64], line[256];
    snprintf(limits, sizeof limits, "/proc/%ld/limits", (long)pid);
    FILE *f = fopen(limits, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Max open files %llu", &p->fd_limit) == 1)
            break;
    if (f)
        fclose(f);
}

static void measure(pid_t pid, proc_figures *p)
{
    memset(p, 0, sizeof *p);
    p->rss_mb = bench_proc_mb(pid, "VmRSS");
    p->anon_mb = bench_proc_mb(pid, "RssAnon");
    read_smaps(pid, p);
    read_fds(pid, p);
    p->besides_mb = p->rss_mb - p->map_mb;
}

static void say_figures(const char *when, const proc_figures *p)
{
    bench_say("  %-26s RSS %7.1f MB, besides the maps %6.1f MB (anon %6.1f, "
              "lock.mdb %4.1f; data.mdb resident %6.1f MB in %u maps); "
              "fds %u (data.mdb %u, lock.mdb %u, sockets %u, other %u; "
              "limit %llu); load %.2f\n",
              when, p->rss_mb, p->besides_mb, p->anon_mb, p->lock_mb, p->map_mb,
              p->maps, p->fds, p->fd_data, p->fd_lock, p->fd_socket,
              p->fd_other, p->fd_limit, load1());
}

static uint64_t du_disk, du_apparent, du_files;

static int du_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F) {
        du_disk += (uint64_t)st->st_blocks * 512;
        du_apparent += (uint64_t)st->st_size;
        du_files++;
    }
    return 0;
}

/* The data directory: bytes on disk (allocated blocks), apparent bytes. */
static void dir_usage(const char *dir, uint64_t *disk, uint64_t *apparent,
                      uint64_t *files)
{
    du_disk = du_apparent = du_files = 0;
    nftw(dir, du_entry, 32, FTW_PHYS);
    *disk = du_disk;
    *apparent = du_apparent;
    *files = du_files;
}

/* --- the service, built over the wire --------------------------------------
 */

static void code_of(unsigned i, bench_community *c)
{
    snprintf(c->code, sizeof c->code, "C%04u", i + 1);
}

/* The admin enrols the bench's other keys as keys of the service, for
 * every community, in one request. */
static int enrol_service_keys(void *ctx, const bench_daemon *d)
{
    static const jifen_role roles[] = {JIFEN_ROLE_COMMITTEE,
                                       JIFEN_ROLE_TERMINAL, JIFEN_ROLE_AUDITOR};
    void *sock = bench_open_req(ctx, d, KEY_ADMIN);
    if (!sock)
        return -1;
    jifen_command cmds[3];
    memset(cmds, 0, sizeof cmds);
    for (int k = 0; k < 3; k++) {
        cmds[k].kind = JIFEN_CMD_KEY_ENROL;
        memcpy(cmds[k].key, d->pub[k], sizeof cmds[k].key);
        cmds[k].role = roles[k];
        snprintf(cmds[k].name, sizeof cmds[k].name, "bench %s",
                 jifen_role_name(roles[k]));
        cmds[k].all_communities = true;
    }
    jifen_request req = {.n_commands = 3, .commands = cmds};
    jifen_request_id_new(req.request_id);
    jifen_reply reply;
    int rc = bench_call_ok(sock, &req, &reply, "enrolling the service's keys");
    if (rc == 0)
        codec_reply_clear(&reply);
    zmq_close(sock);
    return rc;
}

/* N communities, one CommunityCreate per request, as `jifen community
 * create` sends them: the latency of each (the daemon opens and founds
 * the community's ledger on its server thread after the service's
 * commit, before it replies). */
static int create_communities(const bench_options *o, void *ctx,
                              const bench_daemon *d,
                              const bench_community *codes, bench_results *res)
{
    void *sock = bench_open_req(ctx, d, KEY_ADMIN);
    if (!sock)
        return -1;
    bench_row *row = bench_results_add(res, "community_create", "jifen");
    samples lat = {0};
    int rc = 0;
    double start = bench_now();
    for (unsigned i = 0; rc == 0 && i < o->communities; i++) {
        jifen_command c;
        memset(&c, 0, sizeof c);
        c.kind = JIFEN_CMD_COMMUNITY_CREATE;
        memcpy(c.community, codes[i].code, sizeof c.community);
        snprintf(c.name, sizeof c.name, "Bench community %u", i + 1);
        /* A street office per hundred communities. */
        snprintf(c.street, sizeof c.street, "S%02u", i / 100 + 1);
        jifen_request req = {.n_commands = 1, .commands = &c};
        jifen_request_id_new(req.request_id);
        jifen_reply reply;
        double t0 = bench_now();
        rc = bench_call_ok(sock, &req, &reply, "community create");
        samples_add(&lat, bench_ms_since(t0));
        if (rc == 0)
            codec_reply_clear(&reply);
        row->ops++;
        bench_progress("community create", i + 1, o->communities);
    }
    bench_progress_done();
    row->errors = rc != 0;
    row->requests = row->ops;
    row->clients = 1;
    row->batch = 1;
    row->seconds = bench_now() - start;
    row->load1 = load1();
    bench_row_finish(row, &lat);
    samples_free(&lat);
    zmq_close(sock);
    bench_say("  %-26s %u in %.1f s (%.0f/s), p50 %.2f ms, p99 %.2f ms, "
              "max %.2f ms; load %.2f\n",
              "community create", o->communities, row->seconds, row->ops_per_s,
              row->p50_ms, row->p99_ms, row->max_ms, row->load1);
    return rc;
}

static int add_households(const bench_options *o, void *ctx,
                          const bench_daemon *d, const bench_community *codes,
                          bench_results *res)
{
    bench_options bo = *o;
    if (bo.batch > bo.households)
        bo.batch = bo.households;
    bench_row *row = bench_results_add(res, "household_add", "jifen");
    int rc = bench_run_batched_in(&bo, ctx, d, bench_fill_register,
                                  KEY_COMMITTEE, codes, o->communities, row);
    row->load1 = load1();
    bench_say("  %-26s %llu in %.1f s (%.0f/s), %u per request, %u in "
              "flight, p50 %.1f ms, p99 %.1f ms per request; load %.2f\n",
              "household add", (unsigned long long)row->ops, row->seconds,
              row->ops_per_s, bo.batch, bo.window, row->p50_ms, row->p99_ms,
              row->load1);
    return rc == 0 && row->errors == 0 ? 0 : -1;
}

/* --- the storms ---------------------------------------------------------- */

static const bench_row *storm(const bench_options *o, void *ctx,
                              const bench_daemon *d, const char *scenario,
                              const bench_community *codes, unsigned n,
                              bool random, unsigned clients, bench_results *res)
{
    bench_storm sp = {scenario, codes, n, random, clients};
    if (bench_run_storm(o, ctx, d, &sp, res) != 0)
        return NULL;
    bench_row *r = &res->rows[res->n - 1];
    r->load1 = load1();
    bench_say("  %-26s %3u clients %8.0f awards/s  p50 %7.2f ms  p99 %7.2f "
              "ms  %6.0f commits/s, %5.1f per commit; CPU %4.0f us/award "
              "(server thread %3.0f); load %.2f\n",
              scenario, r->clients, r->ops_per_s, r->p50_ms, r->p99_ms,
              r->commits / r->seconds,
              r->commits ? (double)r->ops / (double)r->commits : 0.0,
              r->cpu_us_per_op, r->server_us_per_op, r->load1);
    return r;
}

static void say_ratio(const char *what, const bench_row *a, const bench_row *b)
{
    if (a && b && b->ops_per_s > 0)
        bench_say("  => %s: %.0f / %.0f per second = %.2fx\n", what,
                  a->ops_per_s, b->ops_per_s, a->ops_per_s / b->ops_per_s);
}

/* The same storm spread over every community, then in one. */
static int spread_vs_one(const bench_options *o, void *ctx,
                         const bench_daemon *d, const bench_community *codes,
                         bench_results *res)
{
    bench_say("\naward storm, %u clients: each request in a random one of %u "
              "communities, then all in one\n",
              o->clients, o->communities);
    const bench_row *spread =
        storm(o, ctx, d, "storm_spread", codes, o->communities, true, 0, res);
    size_t at = res->n - 1;
    const bench_row *one =
        spread ? storm(o, ctx, d, "storm_one", codes, 1, false, 0, res) : NULL;
    if (!one)
        return -1;
    say_ratio("spread / one", &res->rows[at], one);
    return 0;
}

/* Rounds of each comparison: the machine is shared, and its load and its
 * disk's latency move within seconds; one and two alternate in short
 * rounds so that both see the same conditions. */
static unsigned pair_rounds(const bench_options *o)
{
    return o->smoke ? 1 : 5;
}

/* Adds one round's row (the last of res) into *sum, and drops it. */
static void fold_round(bench_results *res, bench_row *sum)
{
    const bench_row *r = &res->rows[--res->n];
    sum->ops += r->ops;
    sum->requests += r->requests;
    sum->errors += r->errors;
    sum->commits += r->commits;
    sum->seconds += r->seconds;
    sum->clients = r->clients;
    sum->batch = r->batch;
    sum->cpu_us_per_op += r->cpu_us_per_op * (double)r->ops;
    sum->server_us_per_op += r->server_us_per_op * (double)r->ops;
    if (r->p50_ms > sum->p50_ms)
        sum->p50_ms = r->p50_ms; /* the worst round's */
    if (r->p99_ms > sum->p99_ms)
        sum->p99_ms = r->p99_ms;
}

static void finish_rounds(bench_row *sum)
{
    sum->ops_per_s = sum->seconds > 0 ? (double)sum->ops / sum->seconds : 0;
    if (sum->ops) {
        sum->cpu_us_per_op /= (double)sum->ops;
        sum->server_us_per_op /= (double)sum->ops;
    }
    sum->load1 = load1();
}

static void say_pair(const bench_row *r)
{
    bench_say("  %-26s %3u clients %8.0f awards/s  worst round p50 %7.2f ms "
              "p99 %7.2f ms  %6.0f commits/s, %5.1f per commit; CPU %4.0f "
              "us/award (server thread %3.0f); load %.2f\n",
              r->scenario, r->clients, r->ops_per_s, r->p50_ms, r->p99_ms,
              r->commits / r->seconds,
              r->commits ? (double)r->ops / (double)r->commits : 0.0,
              r->cpu_us_per_op, r->server_us_per_op, r->load1);
}

/* Two communities written at once against one alone: the same number of
 * clients, one award per request, each reply after its own group's
 * durable commit; client i in community i % 2. At each client count, one
 * and two alternate for pair_rounds rounds of o->seconds / rounds each. */
static int two_vs_one(const bench_options *o, void *ctx, const bench_daemon *d,
                      const bench_community *codes, bench_results *res)
{
    unsigned sizes[3] = {2, 8, o->clients};
    unsigned ns = o->clients > 8 ? 3 : 2;
    unsigned rounds = pair_rounds(o);
    bench_options ro = *o;
    ro.seconds = o->seconds / rounds >= 1 ? o->seconds / rounds : 1;
    bench_say("\ntwo communities written at once (client i in community "
              "i %% 2) against one alone (%s, %s), %u alternating rounds of "
              "%.0f s\n",
              codes[0].code, codes[1].code, rounds, ro.seconds);
    /* What the disk and LMDB give two environments at once, with no
     * daemon: the ceiling of the ratio on this machine. */
    if (bench_lmdb_pair(&ro, rounds, res) != 0)
        return -1;
    const bench_row *l1 = &res->rows[res->n - 2], *l2 = &res->rows[res->n - 1];
    bench_say("  %-26s %8.0f commits/s (one environment, one thread)\n"
              "  %-26s %8.0f commits/s (two environments, a thread each); "
              "load %.2f\n",
              "raw LMDB", l1->ops_per_s, "raw LMDB", l2->ops_per_s, load1());
    say_ratio("raw LMDB, two / one", l2, l1);
    for (unsigned k = 0; k < ns; k++) {
        bench_row one = {0}, two = {0};
        snprintf(one.scenario, sizeof one.scenario, "pair_one_c%u", sizes[k]);
        snprintf(two.scenario, sizeof two.scenario, "pair_two_c%u", sizes[k]);
        for (unsigned r = 0; r < rounds; r++) {
            bench_storm s1 = {one.scenario, codes, 1, false, sizes[k]};
            bench_storm s2 = {two.scenario, codes, 2, false, sizes[k]};
            if (bench_run_storm(&ro, ctx, d, &s1, res) != 0)
                return -1;
            fold_round(res, &one);
            if (bench_run_storm(&ro, ctx, d, &s2, res) != 0)
                return -1;
            fold_round(res, &two);
        }
        finish_rounds(&one);
        finish_rounds(&two);
        *bench_results_add(res, one.scenario, "jifen") = one;
        say_pair(&one);
        *bench_results_add(res, two.scenario, "jifen") = two;
        say_pair(&two);
        say_ratio("two / one", &two, &one);
    }
    return 0;
}

static void json_number(bench_results *res, const char *name, double v);

/* --- the roll-up beside other clients --------------------------------------
 */

typedef struct {
    void *ctx;
    const bench_daemon *d;
    const char *community;
    bool award;        /* an award client; else a balance probe */
    atomic_int *phase; /* 0 alone, 1 roll-ups running, 2 stop */
    pthread_t thread;
    samples lat[2]; /* per phase */
    uint64_t errors;
} side_client;

static void *side_main(void *arg)
{
    side_client *c = arg;
    void *sock = bench_open_req(c->ctx, c->d, KEY_COMMITTEE);
    if (!sock) {
        c->errors++;
        return NULL;
    }
    jifen_command cmd;
    int phase;
    while ((phase = atomic_load(c->phase)) < 2) {
        memset(&cmd, 0, sizeof cmd);
        bench_household(0, cmd.household);
        jifen_request req = {.n_commands = 1, .commands = &cmd};
        snprintf(req.community, sizeof req.community, "%s", c->community);
        if (c->award) {
            cmd.kind = JIFEN_CMD_AWARD;
            memcpy(cmd.code, "meeting", 8);
            jifen_request_id_new(req.request_id);
        } else {
            cmd.kind = JIFEN_CMD_BALANCE;
        }
        jifen_reply reply;
        double t0 = bench_now();
        int rc = bench_call_ok(sock, &req, &reply, "a side request");
        samples_add(&c->lat[phase], bench_ms_since(t0));
        if (rc != 0) {
            c->errors++;
            break;
        }
        codec_reply_clear(&reply);
    }
    zmq_close(sock);
    return NULL;
}

/* Journal entries of every community together (the community list, as
 * the auditor): what the roll-up walks. 0 when not known. */
static uint64_t service_entries(void *ctx, const bench_daemon *d)
{
    void *sock = bench_open_req(ctx, d, KEY_AUDITOR);
    jifen_command c = {.kind = JIFEN_CMD_COMMUNITY_LIST};
    jifen_request req = {.n_commands = 1, .commands = &c};
    jifen_reply reply;
    uint64_t n = 0;
    if (sock && bench_call_ok(sock, &req, &reply, "community list") == 0) {
        for (size_t i = 0; i < reply.results[0].n_communities; i++)
            n += reply.results[0].communities[i].entries;
        codec_reply_clear(&reply);
    }
    if (sock)
        zmq_close(sock);
    return n;
}

static int rollup_beside(const bench_options *o, void *ctx,
                         const bench_daemon *d, const bench_community *codes,
                         bench_results *res)
{
    uint64_t entries = service_entries(ctx, d);
    atomic_int phase;
    atomic_init(&phase, 0);
    side_client side[2] = {
        {ctx, d, codes[1].code, false, &phase, 0, {{0}}, 0},
        {ctx, d, codes[2].code, true, &phase, 0, {{0}}, 0},
    };
    int started = 0;
    for (; started < 2; started++)
        if (pthread_create(&side[started].thread, NULL, side_main,
                           &side[started]) != 0)
            break;
    double seconds = o->seconds / 2 > 1 ? o->seconds / 2 : 1;
    usleep((useconds_t)(seconds * 1e6));
    atomic_store(&phase, 1);
    void *sock = bench_open_req(ctx, d, KEY_AUDITOR);
    bench_row *row = bench_results_add(res, "rollup", "jifen");
    samples lat = {0};
    int rc = sock && started == 2 ? 0 : -1;
    size_t rows = 0;
    rss_monitor *mon = rss_monitor_start_every(d->pid, 2000);
    double start = bench_now();
    while (rc == 0 && (bench_now() - start < seconds || row->ops < 2)) {
        jifen_command c = {.kind = JIFEN_CMD_ROLLUP};
        jifen_request req = {.n_commands = 1, .commands = &c};
        jifen_reply reply;
        double t0 = bench_now();
        rc = bench_call_ok(sock, &req, &reply, "the roll-up");
        samples_add(&lat, bench_ms_since(t0));
        if (rc == 0) {
            rows =
                reply.results[0].report ? reply.results[0].report->n_rows : 0;
            codec_reply_clear(&reply);
        }
        row->ops++;
    }
    row->seconds = bench_now() - start;
    row->peak_anon_mb = rss_monitor_stop(&mon);
    atomic_store(&phase, 2);
    for (int i = 0; i < started; i++)
        pthread_join(side[i].thread, NULL);
    if (sock)
        zmq_close(sock);
    row->requests = row->ops;
    row->report_rows = rows;
    row->entries = entries;
    row->clients = 1;
    row->batch = 1;
    row->errors = rc != 0 || side[0].errors || side[1].errors;
    row->load1 = load1();
    bench_row_finish(row, &lat);
    samples_free(&lat);
    /* A roll-up row per community the auditor sees, and the total. */
    if (rc == 0 && rows != o->communities + 2) {
        fprintf(stderr, "jifen_bench: the roll-up has %zu rows, not %u\n", rows,
                o->communities + 2);
        row->errors++;
    }
    bench_say("\nroll-up of %zu communities, %llu journal entries in all, "
              "back to back for %.1f s: %llu calls, p50 "
              "%.1f ms (%.2f us an entry), max %.1f ms, daemon RssAnon peak "
              "%.1f MB; load %.2f\n",
              rows ? rows - 1 : 0, (unsigned long long)entries, row->seconds,
              (unsigned long long)row->ops, row->p50_ms,
              entries ? row->p50_ms * 1000 / (double)entries : 0.0, row->max_ms,
              row->peak_anon_mb, row->load1);
    json_number(res, "rollup_entries", (double)entries);
    static const char *const names[2][2] = {
        {"side_balance_alone", "side_balance_rollup"},
        {"side_award_alone", "side_award_rollup"}};
    for (int i = 0; i < 2; i++) {
        for (int p = 0; p < 2; p++) {
            bench_row *r = bench_results_add(res, names[i][p], "jifen");
            r->ops = r->requests = side[i].lat[p].n;
            r->clients = r->batch = 1;
            r->seconds = p == 0 ? seconds : row->seconds;
            r->load1 = row->load1;
            bench_row_finish(r, &side[i].lat[p]);
            bench_say("  %-26s %6llu calls  p50 %7.2f ms  p99 %7.2f ms  max "
                      "%7.2f ms  (%s)\n",
                      r->scenario, (unsigned long long)r->ops, r->p50_ms,
                      r->p99_ms, r->max_ms, i ? codes[2].code : codes[1].code);
            samples_free(&side[i].lat[p]);
        }
    }
    return row->errors ? -1 : 0;
}

/* --- the run ---------------------------------------------------------------
 */

static void json_figures(bench_results *res, const char *name,
                         const proc_figures *p)
{
    size_t len = strlen(res->extra);
    snprintf(res->extra + len, sizeof res->extra - len,
             "%s\"%s\": {\"rss_mb\": %.1f, \"besides_maps_mb\": %.1f, "
             "\"anon_mb\": %.1f, \"lock_mdb_mb\": %.1f, \"data_mdb_mb\": "
             "%.1f, \"fds\": %u, \"fd_data_mdb\": %u, \"fd_lock_mdb\": %u, "
             "\"fd_sockets\": %u, \"fd_other\": %u, \"fd_limit\": %llu, "
             "\"load1\": %.2f}",
             len ? ", " : "", name, p->rss_mb, p->besides_mb, p->anon_mb,
             p->lock_mb, p->map_mb, p->fds, p->fd_data, p->fd_lock,
             p->fd_socket, p->fd_other, p->fd_limit, load1());
}

static void json_number(bench_results *res, const char *name, double v)
{
    size_t len = strlen(res->extra);
    snprintf(res->extra + len, sizeof res->extra - len, "%s\"%s\": %.3f",
             len ? ", " : "", name, v);
}

static bool part(const bench_options *o, const char *name)
{
    return !o->only || strcmp(o->only, name) == 0;
}

static int run_service(const bench_options *o, void *ctx, bench_daemon *d,
                       const bench_community *codes, bench_results *res)
{
    proc_figures first, built, restarted, settled;
    measure(d->pid, &first);
    say_figures("one community, started", &first);
    json_figures(res, "first_start", &first);
    if (enrol_service_keys(ctx, d) != 0 ||
        create_communities(o, ctx, d, codes, res) != 0)
        return -1;
    proc_figures created;
    measure(d->pid, &created);
    say_figures("communities created", &created);
    json_figures(res, "created", &created);
    if (add_households(o, ctx, d, codes, res) != 0)
        return -1;
    measure(d->pid, &built);
    say_figures("households added", &built);
    json_figures(res, "built", &built);

    double t0 = bench_now();
    if (bench_daemon_stop(d) != 0)
        return -1;
    double stop_s = bench_now() - t0;
    uint64_t disk, apparent, files;
    dir_usage(d->dir, &disk, &apparent, &files);
    bench_say("  %-26s %.1f MB on disk (%.1f MB apparent) in %llu files; "
              "%.0f kB per community\n",
              "data directory", disk / 1048576.0, apparent / 1048576.0,
              (unsigned long long)files, disk / 1024.0 / (o->communities + 1));
    if (bench_daemon_spawn(o, d, NULL) != 0)
        return -1;
    measure(d->pid, &restarted);
    double start_load = load1();
    bench_say("  %-26s stopped in %.2f s; started (exec to \"serving\") in "
              "%.2f s; load %.2f\n",
              "restart", stop_s, d->start_s, start_load);
    say_figures("restarted, at once", &restarted);
    sleep(1);
    measure(d->pid, &settled);
    say_figures("restarted, a second later", &settled);
    unsigned n = o->communities;
    bench_say("  %-26s besides the maps %.1f kB, anon %.1f kB, %.2f fds "
              "(restarted, idle, against the one-community start)\n",
              "per community",
              (settled.besides_mb - first.besides_mb) * 1024 / n,
              (settled.anon_mb - first.anon_mb) * 1024 / n,
              (double)(settled.fds - first.fds) / n);
    json_figures(res, "restarted", &restarted);
    json_figures(res, "settled", &settled);
    json_number(res, "stop_seconds", stop_s);
    json_number(res, "start_seconds", d->start_s);
    json_number(res, "start_load1", start_load);
    json_number(res, "disk_bytes", (double)disk);
    json_number(res, "apparent_bytes", (double)apparent);
    json_number(res, "per_community_besides_maps_kb",
                (settled.besides_mb - first.besides_mb) * 1024 / n);
    json_number(res, "per_community_fds",
                (double)(settled.fds - first.fds) / n);

    if (part(o, "storm") && spread_vs_one(o, ctx, d, codes, res) != 0)
        return -1;
    if (part(o, "pair") && two_vs_one(o, ctx, d, codes, res) != 0)
        return -1;
    return part(o, "rollup") ? rollup_beside(o, ctx, d, codes, res) : 0;
}

int bench_communities_run(const bench_options *o, bench_results *res)
{
    if (o->communities < 3) {
        fprintf(stderr, "jifen_bench: --communities takes 3 at least\n");
        return -1;
    }
    bench_community *codes = calloc(o->communities, sizeof *codes);
    char *dir = bench_tmpdir("communities");
    if (!codes || !dir) {
        free(codes);
        free(dir);
        return -1;
    }
    for (unsigned i = 0; i < o->communities; i++)
        code_of(i, &codes[i]);
    bench_say("jifen, many communities: %u communities of %u households, %u "
              "clients, %.0f s per timed scenario; %ld cores, load %.2f\n",
              o->communities, o->households, o->clients, o->seconds,
              sysconf(_SC_NPROCESSORS_ONLN), load1());
    bench_daemon d;
    void *ctx = zmq_ctx_new();
    int rc = -1;
    if (ctx && bench_daemon_start(o, &d, dir, NULL) == 0) {
        rc = run_service(o, ctx, &d, codes, res);
        if (bench_daemon_stop(&d) != 0)
            rc = -1;
    }
    if (ctx)
        zmq_ctx_term(ctx);
    bench_tmpdir_done(&dir, "communities", rc);
    free(codes);
    return rc;
}
