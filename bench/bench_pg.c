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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A connection with the text-format arrays of one call of transfer_many. */
typedef struct {
    PGconn *c;
    char *ids, *debits, *credits, *amounts, *checks;
    size_t cap, len[5];
} pg_conn;

static void pg_close(void *arg)
{
    pg_conn *b = arg;
    if (!b)
        return;
    PQfinish(b->c);
    free(b->ids);
    free(b->debits);
    free(b->credits);
    free(b->amounts);
    free(b->checks);
    free(b);
}

static void *pg_open(void *conninfo, unsigned n)
{
    pg_conn *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap = (size_t)n * 48 + 16;
    b->ids = malloc(b->cap + 2); /* room for "}" and NUL */
    b->debits = malloc(b->cap + 2);
    b->credits = malloc(b->cap + 2);
    b->amounts = malloc(b->cap + 2);
    b->checks = malloc(b->cap + 2);
    b->c = connect_pg(conninfo);
    if (!b->c || !b->ids || !b->debits || !b->credits || !b->amounts ||
        !b->checks) {
        pg_close(b);
        return NULL;
    }
    return b;
}

static void append(char *buf, size_t cap, size_t *len, const char *item)
{
    int n = snprintf(buf + *len, cap - *len, "%s%s", *len ? "," : "{", item);
    if (n > 0 && (size_t)n < cap - *len)
        *len += (size_t)n;
}

static void pg_add(void *arg, const char *id, const char *debit,
                   const char *credit, uint64_t amount, bool check)
{
    pg_conn *b = arg;
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)amount);
    append(b->ids, b->cap, &b->len[0], id);
    append(b->debits, b->cap, &b->len[1], debit);
    append(b->credits, b->cap, &b->len[2], credit);
    append(b->amounts, b->cap, &b->len[3], num);
    append(b->checks, b->cap, &b->len[4], check ? "t" : "f");
}

/* Closes the arrays, calls transfer_many (one transaction), resets. */
static int pg_send(void *arg)
{
    pg_conn *b = arg;
    char *bufs[5] = {b->ids, b->debits, b->credits, b->amounts, b->checks};
    for (int i = 0; i < 5; i++) {
        bufs[i][b->len[i]] = '}';
        bufs[i][b->len[i] + 1] = '\0';
    }
    const char *params[5] = {b->ids, b->debits, b->credits, b->amounts,
                             b->checks};
    PGresult *r =
        PQexecParams(b->c,
                     "SELECT transfer_many($1::text[], $2::text[], $3::text[],"
                     " $4::bigint[], $5::bool[])",
                     5, NULL, params, NULL, NULL, 0);
    memset(b->len, 0, sizeof b->len);
    return exec_ok(b->c, r);
}

int bench_pg_run(const bench_options *o, bench_results *res)
{
    PGconn *c = connect_pg(o->pg_conninfo);
    if (!c || setup(c, o->households) != 0) {
        PQfinish(c);
        return -1;
    }
    PQfinish(c);
    bench_say("postgresql: one transfer = request id + journal insert + two "
              "balance updates, synchronous_commit=on\n");
    bench_sql sql = {"pg",    (void *)o->pg_conninfo, pg_open, pg_add, pg_send,
                     pg_close};
    return bench_sql_run(o, &sql, "postgresql", res);
}

#endif
