/*
 * bench_pg - the PostgreSQL baseline: what a property company would
 * otherwise use, a table of balances and a journal, with the same
 * durability as jifen (synchronous_commit=on, fsync on; bench.sh starts the
 * throwaway cluster and passes its conninfo).
 *
 * One transfer = a unique request id insert, a journal insert, the debit
 * balance update with the no-negative check, the credit balance update, all
 * in one server-side function call so that PostgreSQL pays one round trip
 * per batch, not per statement: the most favourable form for the baseline.
 */
#include "bench.h"

#ifndef BENCH_HAVE_PQ

#include <stdio.h>

int bench_pg_run(const bench_options *o, bench_results *res)
{
    (void)o;
    (void)res;
    fprintf(stderr, "jifen_bench: built without libpq; no PostgreSQL run\n");
    return -1;
}

#else

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char schema_sql[] =
    "DROP TABLE IF EXISTS balances, journal, requests;"
    "CREATE TABLE balances (account text PRIMARY KEY,"
    "  debits bigint NOT NULL DEFAULT 0, credits bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE journal (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  request_id text NOT NULL, debit text NOT NULL, credit text NOT NULL,"
    "  amount bigint NOT NULL, at timestamptz NOT NULL DEFAULT now());"
    "CREATE TABLE requests (request_id text PRIMARY KEY);"
    "CREATE OR REPLACE FUNCTION transfer_many(p_ids text[], p_debits text[],"
    "  p_credits text[], p_amounts bigint[], p_checks bool[]) RETURNS void"
    "  LANGUAGE plpgsql AS $$ BEGIN"
    "  FOR i IN 1 .. array_length(p_ids, 1) LOOP"
    "    INSERT INTO requests VALUES (p_ids[i]);"
    "    INSERT INTO journal (request_id, debit, credit, amount)"
    "      VALUES (p_ids[i], p_debits[i], p_credits[i], p_amounts[i]);"
    "    UPDATE balances SET debits = debits + p_amounts[i]"
    "      WHERE account = p_debits[i]"
    "      AND (NOT p_checks[i] OR credits - debits >= p_amounts[i]);"
    "    IF NOT FOUND THEN RAISE EXCEPTION 'refused: %', p_debits[i]; END IF;"
    "    UPDATE balances SET credits = credits + p_amounts[i]"
    "      WHERE account = p_credits[i];"
    "    IF NOT FOUND THEN RAISE EXCEPTION 'unknown: %', p_credits[i]; END IF;"
    "  END LOOP; END $$;";

static const char accounts_sql[] =
    "INSERT INTO balances (account) SELECT 'household/H' ||"
    " lpad(i::text, 7, '0') || '/' || s FROM generate_series(0, $1::int - 1)"
    " i, unnest(ARRAY['points', 'fee']) s;"
    "INSERT INTO balances (account) VALUES ('community/points-issued'),"
    " ('community/fee-income');";

static PGconn *connect_pg(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "jifen_bench: postgresql: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int exec_ok(PGconn *c, PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "jifen_bench: postgresql: %s", PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static int setup(PGconn *c, unsigned households)
{
    /* DROP ... IF EXISTS would chat about the tables it did not find. */
    if (exec_ok(c, PQexec(c, "SET client_min_messages = warning")) != 0 ||
        exec_ok(c, PQexec(c, schema_sql)) != 0)
        return -1;
    /* Two statements: PQexecParams takes one, so the count goes inline. */
    char sql[sizeof accounts_sql + 32];
    const char *dollar = strstr(accounts_sql, "$1");
    snprintf(sql, sizeof sql, "%.*s%u%s", (int)(dollar - accounts_sql),
             accounts_sql, households, dollar + 2);
    return exec_ok(c, PQexec(c, sql));
}

/* Text-format arrays of one call of transfer_many. */
typedef struct {
    char *ids, *debits, *credits, *amounts, *checks;
    size_t cap, len[5];
} pg_batch;

static int batch_init(pg_batch *b, unsigned n)
{
    memset(b, 0, sizeof *b);
    b->cap = (size_t)n * 48 + 16;
    b->ids = malloc(b->cap + 2); /* room for "}" and NUL */
    b->debits = malloc(b->cap + 2);
    b->credits = malloc(b->cap + 2);
    b->amounts = malloc(b->cap + 2);
    b->checks = malloc(b->cap + 2);
    return b->ids && b->debits && b->credits && b->amounts && b->checks ? 0
                                                                        : -1;
}

static void batch_free(pg_batch *b)
{
    free(b->ids);
    free(b->debits);
    free(b->credits);
    free(b->amounts);
    free(b->checks);
}

static void append(char *buf, size_t cap, size_t *len, const char *item)
{
    int n = snprintf(buf + *len, cap - *len, "%s%s", *len ? "," : "{", item);
    if (n > 0 && (size_t)n < cap - *len)
        *len += (size_t)n;
}

static void batch_add(pg_batch *b, const char *id, const char *debit,
                      const char *credit, uint64_t amount, bool check)
{
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)amount);
    append(b->ids, b->cap, &b->len[0], id);
    append(b->debits, b->cap, &b->len[1], debit);
    append(b->credits, b->cap, &b->len[2], credit);
    append(b->amounts, b->cap, &b->len[3], num);
    append(b->checks, b->cap, &b->len[4], check ? "t" : "f");
}

/* Closes the arrays, calls transfer_many (one transaction), resets. */
static int batch_send(PGconn *c, pg_batch *b)
{
    char *bufs[5] = {b->ids, b->debits, b->credits, b->amounts, b->checks};
    for (int i = 0; i < 5; i++) {
        bufs[i][b->len[i]] = '}';
        bufs[i][b->len[i] + 1] = '\0';
    }
    const char *params[5] = {b->ids, b->debits, b->credits, b->amounts,
                             b->checks};
    PGresult *r =
        PQexecParams(c,
                     "SELECT transfer_many($1::text[], $2::text[], $3::text[],"
                     " $4::bigint[], $5::bool[])",
                     5, NULL, params, NULL, NULL, 0);
    memset(b->len, 0, sizeof b->len);
    return exec_ok(c, r);
}

/* --- award storm: C connections, one award per transaction --------------- */

typedef struct {
    const bench_options *o;
    unsigned id;
    atomic_int *stop;
    samples lat;
    uint64_t ops, errors;
} pg_worker;

static void *award_main(void *arg)
{
    pg_worker *w = arg;
    PGconn *c = connect_pg(w->o->pg_conninfo);
    pg_batch b;
    uint64_t rng = 0x9e3779b97f4a7c15ull * (w->id + 7);
    if (!c || batch_init(&b, 1) != 0) {
        w->errors++;
        PQfinish(c);
        return NULL;
    }
    for (uint64_t n = 0; !atomic_load(w->stop); n++) {
        char hh[16], account[64], id[48];
        bench_household((unsigned)(bench_rand(&rng) % w->o->households), hh);
        snprintf(account, sizeof account, "household/%s/points", hh);
        snprintf(id, sizeof id, "pg-award-%u-%llu", w->id,
                 (unsigned long long)n);
        batch_add(&b, id, "community/points-issued", account, 2, false);
        double t0 = bench_now();
        int rc = batch_send(c, &b);
        samples_add(&w->lat, bench_ms_since(t0));
        w->ops += rc == 0;
        w->errors += rc != 0;
    }
    batch_free(&b);
    PQfinish(c);
    return NULL;
}

static int run_awards(const bench_options *o, bench_row *row)
{
    pg_worker *ws = calloc(o->clients, sizeof *ws);
    pthread_t *th = calloc(o->clients, sizeof *th);
    atomic_int stop = 0;
    if (!ws || !th) {
        free(ws);
        free(th);
        return -1;
    }
    double start = bench_now();
    for (unsigned i = 0; i < o->clients; i++) {
        ws[i] = (pg_worker){o, i, &stop, {0}, 0, 0};
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

/* --- billing: one connection, B transfers per transaction ------------------
 */

static int run_billing(const bench_options *o, PGconn *c, bench_row *row)
{
    pg_batch b;
    if (batch_init(&b, o->batch) != 0)
        return -1;
    samples lat = {0};
    double start = bench_now();
    int rc = 0;
    for (unsigned first = 0; first < o->households && !rc; first += o->batch) {
        unsigned n = 0;
        for (; n < o->batch && first + n < o->households; n++) {
            char hh[16], account[64], id[48];
            bench_household(first + n, hh);
            snprintf(account, sizeof account, "household/%s/fee", hh);
            snprintf(id, sizeof id, "pg-bill-%u", first + n);
            batch_add(&b, id, account, "community/fee-income", 12000, false);
        }
        double t0 = bench_now();
        rc = batch_send(c, &b);
        samples_add(&lat, bench_ms_since(t0));
        row->ops += rc == 0 ? n : 0;
        row->errors += rc == 0 ? 0 : n;
        row->requests++;
    }
    row->seconds = bench_now() - start;
    row->clients = 1;
    row->batch = o->batch;
    bench_row_finish(row, &lat);
    samples_free(&lat);
    batch_free(&b);
    return rc;
}

int bench_pg_run(const bench_options *o, bench_results *res)
{
    PGconn *c = connect_pg(o->pg_conninfo);
    if (!c || setup(c, o->households) != 0) {
        PQfinish(c);
        return -1;
    }
    printf("postgresql: one transfer = request id + journal insert + two "
           "balance updates, synchronous_commit=on\n");
    bench_row *award = bench_results_add(res, "award_storm", "postgresql");
    int rc = run_awards(o, award);
    bench_row *bill = bench_results_add(res, "billing", "postgresql");
    if (rc == 0)
        rc = run_billing(o, c, bill);
    for (size_t i = res->n - 2; i < res->n; i++)
        printf("  %-14s %10.0f ops/s  p50 %8.3f ms  p99 %8.3f ms\n",
               res->rows[i].scenario, res->rows[i].ops_per_s,
               res->rows[i].p50_ms, res->rows[i].p99_ms);
    PQfinish(c);
    return rc;
}

#endif
