/*
 * bench - jifen's benchmark: the real jifend over loopback against two
 * baselines doing the same ledger work, PostgreSQL and LMDB in-process.
 *
 * Shared pieces: latency samples, result rows, timing, and the options of
 * one run. Each system has its own file (bench_jifen.c, bench_lmdb.c,
 * bench_pg.c, bench_mysql.c); bench_reports.c times the reports on a
 * growing ledger; jifen_bench.c runs them and prints the table and the
 * JSON.
 */
#ifndef JIFEN_BENCH_H
#define JIFEN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Per-request latencies in milliseconds; sorted when summarised. */
typedef struct {
    double *v;
    size_t n;
    size_t cap;
} samples;

void samples_add(samples *s, double ms);
void samples_merge(samples *dst, const samples *src);
void samples_free(samples *s);
/* Sorts, then reads a quantile (0..1) by nearest rank. 0 when empty. */
void samples_sort(samples *s);
double samples_quantile(const samples *s, double q);

/* One line of the table and one object of the JSON. */
typedef struct {
    char scenario[32];
    char system[16];   /* jifen | postgresql | mariadb | lmdb-raw */
    unsigned clients;  /* concurrent clients (threads) */
    unsigned batch;    /* commands per request, or transfers per commit */
    uint64_t ops;      /* commands (entries) done */
    uint64_t requests; /* round trips (or commits) */
    uint64_t errors;   /* refused commands or failed calls */
    double seconds;
    double ops_per_s;
    double p50_ms, p99_ms, p999_ms; /* per request (or commit) */
    double max_ms;
    double peak_rss_mb;             /* VmHWM; -1 when not measured */
    double peak_anon_mb; /* peak RssAnon: RSS besides the mapped file */
    /* Reports only (scenario report_* and scale_*): */
    uint64_t entries;     /* journal entries of the ledger when measured */
    uint64_t report_rows; /* rows (or notices) in the reply */
    char note[48];        /* "" when answered, else why not */
    uint64_t commits;     /* the daemon's commits meanwhile; 0: not asked */
    double load1;         /* the 1-minute load average after it; 0: not read */
    /* The daemon's CPU per command meanwhile, all threads and the server
     * thread alone, in microseconds; 0: not measured. */
    double cpu_us_per_op, server_us_per_op;
} bench_row;

/* Fills ops_per_s and the quantiles from the samples (which it sorts). */
void bench_row_finish(bench_row *r, samples *lat);

#define BENCH_WINDOW_MAX 16

typedef struct {
    unsigned households;
    unsigned clients;
    unsigned batch;
    unsigned window;  /* billing/registration requests in flight */
    unsigned threads; /* harness threads driving the C clients */
    double seconds;
    const char *jifend;      /* daemon binary */
    const char *pg_conninfo; /* NULL: no PostgreSQL baseline */
    const char *mysql;       /* MariaDB spec; NULL: no MariaDB baseline */
    const char *out;         /* JSON file, or NULL */
    bool json;               /* the JSON on stdout, nothing else */
    bool smoke;
    bool no_tree; /* jifend with merkle_tree = 0: what the tree costs */
    /* --communities N: the many-communities run (bench_communities.c),
     * N communities of `households` each; 0: the one-community run. */
    unsigned communities;
    unsigned committers; /* jifend's committer threads; 0: its default */
    const char *only;    /* --communities: after the build only this part
                            (storm, pair, rollup); NULL: all of them */
    /* --nats URLS: the replication run (bench_jifen.c, bench_nats_run)
     * against a NATS cluster there; NULL: none. */
    const char *nats;
    const char *extra_conf; /* more lines of jifend.conf; NULL: none */
    bool core;    /* only what the targets are: register, storm, billing,
                     mixed, verify, raw LMDB (no reports, proofs, tree-off
                     run) */
} bench_options;

typedef struct {
    bench_row *rows;
    size_t n;
    size_t cap;
    /* Figures of the many-communities run that are no row (start-up,
     * memory, descriptors, disk): members of a JSON object, "" if none. */
    char extra[4096];
} bench_results;

bench_row *bench_results_add(bench_results *res, const char *scenario,
                             const char *system);

double bench_now(void); /* seconds, monotonic */
double bench_ms_since(double start);

/* A temporary directory (malloc'd path) and its removal. */
char *bench_tmpdir(const char *tag);
void bench_rmtree(char **path_p);
/* The end of a run's directory: kept (and said so) when the run failed or
 * JIFEN_BENCH_KEEP is set, else removed; freed either way. */
void bench_tmpdir_done(char **path_p, const char *run, int rc);

/* Peak memory of a process: VmHWM and RssAnon from /proc/PID/status, in MB;
 * -1 when unreadable. bench_rss_reset starts a new peak (clear_refs 5). */
double bench_proc_mb(pid_t pid, const char *field);
/* CPU time (user + system) of a process, or of its thread tid (the main
 * thread: tid = pid) when tid is not 0, in seconds; -1 when unreadable. */
double bench_proc_cpu_s(pid_t pid, pid_t tid);
void bench_rss_reset(pid_t pid);

/* A thread that samples RssAnon of `pid` every few ms and keeps the peak:
 * VmHWM counts the pages of the mapped database file too, and the target
 * is for the memory besides the map. */
typedef struct rss_monitor rss_monitor;
rss_monitor *rss_monitor_start(pid_t pid); /* every 20 ms */
/* The same, every `usec` microseconds (short work: the reports). */
rss_monitor *rss_monitor_start_every(pid_t pid, unsigned usec);
double rss_monitor_stop(rss_monitor **m_p); /* peak RssAnon in MB */

/* Small fast per-thread random numbers (xorshift64*). */
static inline uint64_t bench_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ull;
}

/* The lines that say what is being measured, on stdout; nothing with
 * --json (bench_say_enable(false)), where stdout is the JSON. */
void bench_say_enable(bool on);
void bench_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress of long work on stderr, one line rewritten in place: only when
 * stderr is a terminal and --json was not given (bench_progress_enable).
 * `done` of `total`; bench_progress_done clears the line. */
void bench_progress_enable(bool on);
void bench_progress(const char *what, uint64_t done, uint64_t total);
void bench_progress_done(void);

/* "H0000042": the household codes every system uses. */
void bench_household(unsigned i, char out[16]);

/* SIGINT, SIGTERM, SIGHUP: kill the jifend the bench started and exit
 * (128 + signal); the temporary directories stay (bench.sh removes the
 * TMPDIR it gives the bench). */
void bench_on_interrupt(void);

int bench_jifen_run(const bench_options *o, bench_results *res);
int bench_communities_run(const bench_options *o, bench_results *res);
/* Replication on NATS JetStream (bench_jifen.c): local against
 * replicated, and a replica's lag. */
int bench_nats_run(const bench_options *o, bench_results *res);
int bench_lmdb_run(const bench_options *o, bench_results *res);
/* The disk's and LMDB's own answer to two communities at once: one
 * environment with a thread committing one award per durable commit, then
 * two environments with a thread each, o->seconds each, alternating for
 * `rounds` rounds (rows lmdb_one, lmdb_two). 0 or -1. */
int bench_lmdb_pair(const bench_options *o, unsigned rounds,
                    bench_results *res);
/* A SQL baseline's connection for bench_sql.c: open(arg, n) connects with
 * room for n queued transfers (NULL on failure, said on stderr); add
 * queues one; send runs the queued ones as one transaction and empties
 * the queue (0, or -1 with the server's words on stderr); close
 * disconnects. `tag` starts the request ids ("pg", "my"). */
typedef struct {
    const char *tag;
    void *arg;
    void *(*open)(void *arg, unsigned n);
    void (*add)(void *conn, const char *id, const char *debit,
                const char *credit, uint64_t amount, bool check);
    int (*send)(void *conn);
    void (*close)(void *conn);
} bench_sql;

/* The award storm (o->clients connections, one award per transaction, for
 * o->seconds) and the billing run (one connection, o->batch bills per
 * transaction), as rows of `system`, printed. 0 or -1. */
int bench_sql_run(const bench_options *o, const bench_sql *sql,
                  const char *system, bench_results *res);

int bench_pg_run(const bench_options *o, bench_results *res);
int bench_mysql_run(const bench_options *o, bench_results *res);

#endif
