/*
 * jifen_bench - one run of the benchmark: jifen (with its reports), then the
 * raw LMDB limit, then PostgreSQL and MariaDB when they are given; tables
 * with the ratios on stdout and every row as JSON in --out (or, with
 * --json, on stdout instead of the tables).
 *
 *   jifen_bench [--households N] [--clients C] [--batch B] [--seconds S]
 *               [--jifend PATH] [--pg CONNINFO] [--mysql SPEC] [--out FILE]
 *               [--json] [--smoke]
 *
 * bench.sh at the top of the tree builds it in Release, starts and removes
 * the PostgreSQL cluster and the MariaDB server, and runs it.
 */
#include "bench.h"

#include "jifen.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef JIFEND_PATH
#define JIFEND_PATH "jifend"
#endif

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: jifen_bench [OPTIONS]\n"
        "  --households N  households registered (default 100000)\n"
        "  --clients C     concurrent clients (default 64)\n"
        "  --batch B       commands per billing request (default 1000)\n"
        "  --window W      billing requests in flight (default 3)\n"
        "  --threads T     harness threads driving the clients (default 4)\n"
        "  --seconds S     length of each timed scenario (default 10)\n"
        "  --jifend PATH   the daemon (default: the one built with it)\n"
        "  --pg CONNINFO   PostgreSQL to compare with (default: none)\n"
        "  --mysql SPEC    MariaDB to compare with, as \"host=H port=P "
        "user=U\n"
        "                  dbname=D\" (also password=, socket=; default: "
        "none)\n"
        "  --out FILE      write the results as JSON\n"
        "  --json          the JSON on stdout instead of the tables; no "
        "progress\n"
        "  --smoke         a few seconds, small N, no PostgreSQL or MariaDB\n"
        "  --communities N instead: one service of N communities of\n"
        "                  --households each (default 500), built over the\n"
        "                  wire; start-up, memory, descriptors, the storm\n"
        "                  spread and in one, two communities against one,\n"
        "                  the roll-up (with --smoke: 20 of 50)\n"
        "  --committers K  jifend's committer threads (default: its own, 2)\n"
        "  --only PART     with --communities: after the build and the restart\n"
        "                  only storm, pair or rollup\n"
        "  --nats URLS     the replication run instead: award storm and "
        "billing with\n"
        "                  NATS durability local and replicated, and a "
        "replica's lag\n"
        "  --core          only the targets' scenarios: register, award storm,\n"
        "                  billing, mixed, verify, raw LMDB (and the SQL\n"
        "                  baselines when given); no reports, proofs or\n"
        "                  tree-off run\n");
}

static int parse_uint(const char *text, unsigned *out)
{
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 10);
    if (!*text || *end || v < 1 || v > 10000000UL)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_options(int argc, char **argv, bench_options *o)
{
    enum {
        HOUSEHOLDS = 256,
        CLIENTS,
        BATCH,
        WINDOW,
        THREADS,
        SECONDS,
        JIFEND,
        PG,
        MYSQL,
        OUT,
        JSON,
        SMOKE,
        COMMUNITIES,
        COMMITTERS,
        ONLY,
        NATS,
        CORE
    };
    static const struct option longs[] = {
        {"households", required_argument, NULL, HOUSEHOLDS},
        {"clients", required_argument, NULL, CLIENTS},
        {"batch", required_argument, NULL, BATCH},
        {"window", required_argument, NULL, WINDOW},
        {"threads", required_argument, NULL, THREADS},
        {"seconds", required_argument, NULL, SECONDS},
        {"jifend", required_argument, NULL, JIFEND},
        {"pg", required_argument, NULL, PG},
        {"mysql", required_argument, NULL, MYSQL},
        {"out", required_argument, NULL, OUT},
        {"json", no_argument, NULL, JSON},
        {"smoke", no_argument, NULL, SMOKE},
        {"communities", required_argument, NULL, COMMUNITIES},
        {"committers", required_argument, NULL, COMMITTERS},
        {"only", required_argument, NULL, ONLY},
        {"nats", required_argument, NULL, NATS},
        {"core", no_argument, NULL, CORE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, bad = 0;
    unsigned secs = 0;
    bool households_given = false;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case HOUSEHOLDS:
            bad |= parse_uint(optarg, &o->households);
            households_given = true;
            break;
        case CLIENTS:
            bad |= parse_uint(optarg, &o->clients);
            break;
        case BATCH:
            bad |= parse_uint(optarg, &o->batch);
            break;
        case WINDOW:
            bad |= parse_uint(optarg, &o->window);
            break;
        case THREADS:
            bad |= parse_uint(optarg, &o->threads);
            break;
        case SECONDS:
            bad |= parse_uint(optarg, &secs);
            o->seconds = secs;
            break;
        case JIFEND:
            o->jifend = optarg;
            break;
        case PG:
            o->pg_conninfo = optarg;
            break;
        case MYSQL:
            o->mysql = optarg;
            break;
        case OUT:
            o->out = optarg;
            break;
        case JSON:
            o->json = true;
            break;
        case SMOKE:
            o->smoke = true;
            break;
        case CORE:
            o->core = true;
            break;
        case COMMUNITIES:
            bad |= parse_uint(optarg, &o->communities);
            break;
        case COMMITTERS:
            bad |= parse_uint(optarg, &o->committers);
            break;
        case ONLY:
            o->only = optarg;
            bad |= strcmp(optarg, "storm") && strcmp(optarg, "pair") &&
                   strcmp(optarg, "rollup");
            break;
        case NATS:
            o->nats = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            bad = 1;
        }
    }
    if (o->batch > 8192 || o->window > BENCH_WINDOW_MAX) /* JIFEN_BATCH_MAX */
        bad = 1;
    if (bad || optind < argc) {
        usage(stderr);
        return -1;
    }
    if (o->communities && !households_given)
        o->households = 500; /* issue 13's size of a community */
    if (o->smoke && o->communities) {
        o->communities = 20;
        o->households = 50;
        o->clients = 8;
        o->seconds = 1;
    } else if (o->smoke) {
        o->households = 2000;
        o->clients = 8;
        o->batch = 500;
        o->seconds = 1;
        o->pg_conninfo = NULL;
        o->mysql = NULL;
    }
    return 0;
}

static const bench_row *find(const bench_results *res, const char *scenario,
                             const char *system)
{
    for (size_t i = 0; i < res->n; i++)
        if (!strcmp(res->rows[i].scenario, scenario) &&
            !strcmp(res->rows[i].system, system))
            return &res->rows[i];
    return NULL;
}

static bool is_report(const bench_row *r)
{
    return !strncmp(r->scenario, "report_", 7) ||
           !strncmp(r->scenario, "scale_", 6);
}

static void print_ratio(const bench_row *jifen, const bench_row *other)
{
    if (other && other->ops_per_s > 0)
        printf(" %9.2fx", jifen->ops_per_s / other->ops_per_s);
    else
        printf(" %10s", "-");
}

/* A figure in the table, or "-" where it is not measured (negative). */
static void print_mb(double mb)
{
    if (mb < 0)
        printf(" %8s", "-");
    else
        printf(" %8.1f", mb);
}

static void print_table(const bench_results *res)
{
    printf("\n%-15s %-10s %7s %6s %12s %9s %9s %9s %8s %8s %10s %10s %10s\n",
           "scenario", "system", "clients", "batch", "ops/s", "p50 ms",
           "p99 ms", "p99.9 ms", "rss MB", "anon MB", "vs pg", "vs maria",
           "vs lmdb");
    for (size_t i = 0; i < res->n; i++) {
        const bench_row *r = &res->rows[i];
        if (is_report(r))
            continue;
        printf("%-15s %-10s %7u %6u %12.0f %9.3f %9.3f %9.3f", r->scenario,
               r->system, r->clients, r->batch, r->ops_per_s, r->p50_ms,
               r->p99_ms, r->p999_ms);
        print_mb(r->peak_rss_mb);
        print_mb(r->peak_anon_mb);
        if (!strcmp(r->system, "jifen")) {
            print_ratio(r, find(res, r->scenario, "postgresql"));
            print_ratio(r, find(res, r->scenario, "mariadb"));
            print_ratio(r, find(res, r->scenario, "lmdb-raw"));
        }
        printf("%s\n", r->errors ? "  (errors!)" : "");
    }
}

/* The reports on the bench's ledger: one line each. */
static void print_reports(const bench_results *res)
{
    bool head = false;
    for (size_t i = 0; i < res->n; i++) {
        const bench_row *r = &res->rows[i];
        if (strncmp(r->scenario, "report_", 7) != 0)
            continue;
        if (!head)
            printf("\n%-22s %10s %8s %6s %10s %10s %8s  %s\n", "report",
                   "entries", "rows", "calls", "p50 ms", "max ms", "anon MB",
                   "note");
        head = true;
        printf("%-22s %10llu %8llu %6llu %10.3f %10.3f", r->scenario,
               (unsigned long long)r->entries,
               (unsigned long long)r->report_rows,
               (unsigned long long)r->requests, r->p50_ms, r->p99_ms);
        print_mb(r->peak_anon_mb);
        printf("  %s\n", r->note);
    }
}

/* The reports as the ledger grows: a line per report, a column per size
 * (p50 ms; "refused" where the daemon would not make it). */
static void print_scale(const bench_results *res)
{
    uint64_t sizes[8];
    size_t ns = 0;
    for (size_t i = 0; i < res->n; i++) {
        const bench_row *r = &res->rows[i];
        if (strncmp(r->scenario, "scale_", 6) != 0)
            continue;
        if (ns < 8 && (ns == 0 || sizes[ns - 1] != r->entries))
            sizes[ns++] = r->entries;
    }
    if (ns == 0)
        return;
    printf("\nreport p50 ms by ledger size (entries), a ledger of its own\n");
    printf("%-16s", "report");
    for (size_t k = 0; k < ns; k++)
        printf(" %16llu", (unsigned long long)sizes[k]);
    printf("\n");
    for (size_t i = 0; i < res->n; i++) {
        const bench_row *first = &res->rows[i];
        if (strncmp(first->scenario, "scale_", 6) != 0 ||
            first->entries != sizes[0])
            continue;
        printf("%-16s", first->scenario + 6);
        for (size_t k = 0; k < ns; k++) {
            const bench_row *r = NULL;
            for (size_t j = 0; j < res->n && !r; j++)
                if (!strcmp(res->rows[j].scenario, first->scenario) &&
                    res->rows[j].entries == sizes[k])
                    r = &res->rows[j];
            char cell[40];
            if (!r)
                snprintf(cell, sizeof cell, "-");
            else if (!strncmp(r->note, "refused", 7))
                snprintf(cell, sizeof cell, "%.0f (refused)", r->p50_ms);
            else if (r->note[0])
                snprintf(cell, sizeof cell, "%.2f (cut)", r->p50_ms);
            else
                snprintf(cell, sizeof cell, "%.2f", r->p50_ms);
            printf(" %16s", cell);
        }
        printf("\n");
    }
    printf("(refused: the daemon's row cap of %d rows per report; the time "
           "is the walk it did before saying so. cut: the notice list stops "
           "at %d)\n",
           JIFEN_REPORT_ROWS_MAX, JIFEN_NOTICES_MAX);
}

static void json_number(FILE *f, const char *name, double v, bool last)
{
    if (v < 0)
        fprintf(f, "\"%s\": null%s", name, last ? "" : ", ");
    else
        fprintf(f, "\"%s\": %.3f%s", name, v, last ? "" : ", ");
}

static void write_json_to(FILE *f, const bench_options *o,
                          const bench_results *res)
{
    fprintf(f,
            "{\"households\": %u, \"clients\": %u, \"batch\": %u, "
            "\"seconds\": %.0f, ",
            o->households, o->clients, o->batch, o->seconds);
    if (o->communities)
        fprintf(f, "\"communities\": %u, ", o->communities);
    fprintf(f, "\"results\": [\n");
    for (size_t i = 0; i < res->n; i++) {
        const bench_row *r = &res->rows[i];
        fprintf(f,
                "  {\"scenario\": \"%s\", \"system\": \"%s\", "
                "\"clients\": %u, \"batch\": %u, \"ops\": %llu, "
                "\"requests\": %llu, \"errors\": %llu, ",
                r->scenario, r->system, r->clients, r->batch,
                (unsigned long long)r->ops, (unsigned long long)r->requests,
                (unsigned long long)r->errors);
        if (is_report(r))
            fprintf(f,
                    "\"ledger_entries\": %llu, \"report_rows\": %llu, "
                    "\"note\": \"%s\", ",
                    (unsigned long long)r->entries,
                    (unsigned long long)r->report_rows, r->note);
        json_number(f, "seconds", r->seconds, false);
        json_number(f, "ops_per_s", r->ops_per_s, false);
        json_number(f, "p50_ms", r->p50_ms, false);
        json_number(f, "p99_ms", r->p99_ms, false);
        json_number(f, "p999_ms", r->p999_ms, false);
        json_number(f, "max_ms", r->max_ms, false);
        if (r->commits)
            fprintf(f, "\"commits\": %llu, ", (unsigned long long)r->commits);
        if (r->load1 > 0)
            json_number(f, "load1", r->load1, false);
        /* lmdb-raw: the CPU of the bench thread that does the work. */
        if (r->cpu_us_per_op > 0)
            json_number(f, "daemon_cpu_us_per_op", r->cpu_us_per_op, false);
        if (r->server_us_per_op > 0)
            json_number(f, "server_thread_cpu_us_per_op", r->server_us_per_op,
                        false);
        json_number(f, "peak_rss_mb", r->peak_rss_mb, false);
        json_number(f, "peak_anon_mb", r->peak_anon_mb, true);
        fprintf(f, "}%s\n", i + 1 < res->n ? "," : "");
    }
    fprintf(f, "]");
    if (res->extra[0])
        fprintf(f, ",\n \"service\": {%s}", res->extra);
    fprintf(f, "}\n");
}

static int write_json(const char *path, const bench_options *o,
                      const bench_results *res)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    write_json_to(f, o, res);
    return fclose(f) == 0 ? 0 : -1;
}

/* Tree on / tree off, for the write scenarios. */
static void print_tree_cost(const bench_results *res)
{
    static const char *const scenarios[] = {"award_storm", "billing",
                                            "register", "mixed_award"};
    bench_say("\nthe Merkle tree's cost (jifen / jifen-notree, same run):\n");
    for (size_t s = 0; s < sizeof scenarios / sizeof *scenarios; s++) {
        const bench_row *on = NULL, *off = NULL;
        for (size_t i = 0; i < res->n; i++) {
            if (strcmp(res->rows[i].scenario, scenarios[s]) != 0)
                continue;
            if (!strcmp(res->rows[i].system, "jifen"))
                on = &res->rows[i];
            else if (!strcmp(res->rows[i].system, "jifen-notree"))
                off = &res->rows[i];
        }
        if (on && off && off->ops_per_s > 0)
            bench_say("  %-12s %10.0f / %10.0f ops/s = %.3f\n", scenarios[s],
                   on->ops_per_s, off->ops_per_s,
                   on->ops_per_s / off->ops_per_s);
    }
}

int main(int argc, char **argv)
{
    bench_options o = {100000,      64,   1000, 3,    4,     10,
                       JIFEND_PATH, NULL, NULL, NULL, false, false, false, 0, 0, NULL,
                       NULL, NULL, false};
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    bench_say_enable(!o.json);
    bench_progress_enable(!o.json && isatty(STDERR_FILENO));
    bench_on_interrupt();
    bench_results res = {0};
    if (o.nats) {
        /* The replication run alone (./bench.sh --nats). */
        int rc = bench_nats_run(&o, &res);
        if (o.json)
            write_json_to(stdout, &o, &res);
        if (o.out && write_json(o.out, &o, &res) != 0)
            rc = -1;
        free(res.rows);
        return rc == 0 ? 0 : 1;
    }
    if (o.communities) {
        /* The many-communities run says its figures as it goes. */
        int rc = bench_communities_run(&o, &res);
        if (o.json)
            write_json_to(stdout, &o, &res);
        if (o.out && write_json(o.out, &o, &res) != 0)
            rc = -1;
        for (size_t i = 0; rc == 0 && i < res.n; i++)
            if (res.rows[i].errors)
                rc = -1;
        free(res.rows);
        return rc == 0 ? 0 : 1;
    }
    int rc = bench_jifen_run(&o, &res);
    /* The same daemon without its Merkle tree, in the same run: what the
     * tree costs the write path, as a ratio (docs/performance.md). */
    bench_options off = o;
    off.no_tree = true;
    if (rc == 0 && !o.core)
        rc = bench_jifen_run(&off, &res);
    if (rc == 0 && !o.core)
        print_tree_cost(&res);
    if (rc == 0)
        rc = bench_lmdb_run(&o, &res);
    if (rc == 0 && o.pg_conninfo)
        rc = bench_pg_run(&o, &res);
    if (rc == 0 && o.mysql)
        rc = bench_mysql_run(&o, &res);
    else if (rc == 0 && !o.smoke)
        bench_say("mariadb: not given (--mysql); no MariaDB figures ('-')\n");
    if (o.json) {
        write_json_to(stdout, &o, &res);
    } else {
        print_table(&res);
        print_reports(&res);
        print_scale(&res);
    }
    if (o.out && write_json(o.out, &o, &res) != 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < res.n; i++)
        if (res.rows[i].errors)
            rc = -1; /* a run with refused commands measured something else */
    free(res.rows);
    return rc == 0 ? 0 : 1;
}
