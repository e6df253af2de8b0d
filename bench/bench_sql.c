/*
 * bench_sql - the award storm and the billing run of the SQL baselines
 * (bench_pg.c, bench_mysql.c): the same transfers, the same shapes, so the
 * two servers are compared on their own work alone. Each baseline supplies
 * a connection that queues transfers and sends them as one transaction.
 */
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* --- award storm: C connections, one award per transaction --------------- */

typedef struct {
    const bench_options *o;
    const bench_sql *sql;
    unsigned id;
    atomic_int *stop;
    samples lat;
    uint64_t ops, errors;
} sql_worker;

static void *award_main(void *arg)
{
    sql_worker *w = arg;
    void *c = w->sql->open(w->sql->arg, 1);
    uint64_t rng = 0x9e3779b97f4a7c15ull * (w->id + 7);
    if (!c) {
        w->errors++;
        return NULL;
    }
    for (uint64_t n = 0; !atomic_load(w->stop); n++) {
        char hh[16], account[64], id[48];
        bench_household((unsigned)(bench_rand(&rng) % w->o->households), hh);
        snprintf(account, sizeof account, "household/%s/points", hh);
        snprintf(id, sizeof id, "%s-award-%u-%llu", w->sql->tag, w->id,
                 (unsigned long long)n);
        w->sql->add(c, id, "community/points-issued", account, 2, false);
        double t0 = bench_now();
        int rc = w->sql->send(c);
        samples_add(&w->lat, bench_ms_since(t0));
        w->ops += rc == 0;
        w->errors += rc != 0;
    }
    w->sql->close(c);
    return NULL;
}

static int bench_sql_awards(const bench_options *o, const bench_sql *sql,
                            bench_row *row)
{
    sql_worker *ws = calloc(o->clients, sizeof *ws);
    pthread_t *th = calloc(o->clients, sizeof *th);
    atomic_int stop = 0;
    if (!ws || !th) {
        free(ws);
        free(th);
        return -1;
    }
    double start = bench_now();
    for (unsigned i = 0; i < o->clients; i++) {
        ws[i] = (sql_worker){o, sql, i, &stop, {0}, 0, 0};
        pthread_create(&th[i], NULL, award_main, &ws[i]);
    }
    usleep((useconds_t)(o->seconds * 1e6));
    atomic_store(&stop, 1);
    samples lat = {0};
    for (unsigned i = 0; i < o->clients; i++) {
        pthread_join(th[i], NULL);
        samples_merge(&lat, &ws[i].lat);
        samples_free(&ws[i].lat);
        row->ops += ws[i].ops;
        row->errors += ws[i].errors;
    }
    row->seconds = bench_now() - start;
    row->requests = row->ops;
    row->clients = o->clients;
    row->batch = 1;
    bench_row_finish(row, &lat);
    samples_free(&lat);
    free(ws);
    free(th);
    return 0;
}

/* --- billing: one connection, B transfers per transaction ---------------- */

static int bench_sql_billing(const bench_options *o, const bench_sql *sql,
                             bench_row *row)
{
    void *c = sql->open(sql->arg, o->batch);
    if (!c)
        return -1;
    char what[32];
    snprintf(what, sizeof what, "%s billing", sql->tag);
    samples lat = {0};
    double start = bench_now();
    int rc = 0;
    for (unsigned first = 0; first < o->households && !rc; first += o->batch) {
        unsigned n = 0;
        for (; n < o->batch && first + n < o->households; n++) {
            char hh[16], account[64], id[48];
            bench_household(first + n, hh);
            snprintf(account, sizeof account, "household/%s/fee", hh);
            snprintf(id, sizeof id, "%s-bill-%u", sql->tag, first + n);
            sql->add(c, id, account, "community/fee-income", 12000, false);
        }
        double t0 = bench_now();
        rc = sql->send(c);
        samples_add(&lat, bench_ms_since(t0));
        row->ops += rc == 0 ? n : 0;
        row->errors += rc == 0 ? 0 : n;
        row->requests++;
        bench_progress(what, first + n, o->households);
    }
    bench_progress_done();
    row->seconds = bench_now() - start;
    row->clients = 1;
    row->batch = o->batch;
    bench_row_finish(row, &lat);
    samples_free(&lat);
    sql->close(c);
    return rc;
}

int bench_sql_run(const bench_options *o, const bench_sql *sql,
                  const char *system, bench_results *res)
{
    bench_row *award = bench_results_add(res, "award_storm", system);
    int rc = bench_sql_awards(o, sql, award);
    bench_row *bill = bench_results_add(res, "billing", system);
    if (rc == 0)
        rc = bench_sql_billing(o, sql, bill);
    for (size_t i = res->n - 2; i < res->n; i++)
        bench_say("  %-14s %10.0f ops/s  p50 %8.3f ms  p99 %8.3f ms\n",
                  res->rows[i].scenario, res->rows[i].ops_per_s,
                  res->rows[i].p50_ms, res->rows[i].p99_ms);
    return rc;
}
