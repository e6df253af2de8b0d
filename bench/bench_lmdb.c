/*
 * bench_lmdb - the raw LMDB limit: the transaction work of one transfer
 * done in-process with no network, no protobuf and no hash chain, with the
 * same durability as jifend (default flags: every commit synced).
 *
 * One transfer = a journal put with MDB_APPEND (an entry-sized value), the
 * debit balance read, checked (no negative household points) and written,
 * the credit balance read and written, and the request id put with
 * MDB_NOOVERWRITE. Balances are keyed by jifen's account names.
 */
#include "bench.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* About the size of an encoded jifen journal entry (a bill or an award). */
#define ENTRY_BYTES 200

typedef struct {
    MDB_env *env;
    MDB_dbi journal, balances, requests;
    uint64_t seq;
} raw_db;

typedef struct {
    uint64_t debits, credits;
} totals;

static int open_db(raw_db *db, const char *dir)
{
    memset(db, 0, sizeof *db);
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&db->env);
    if (!rc)
        rc = mdb_env_set_maxdbs(db->env, 4);
    if (!rc)
        rc = mdb_env_set_mapsize(db->env, (size_t)4 << 30);
    if (!rc)
        rc = mdb_env_open(db->env, dir, 0, 0600);
    if (!rc)
        rc = mdb_txn_begin(db->env, NULL, 0, &txn);
    if (!rc)
        rc = mdb_dbi_open(txn, "journal", MDB_CREATE, &db->journal);
    if (!rc)
        rc = mdb_dbi_open(txn, "balances", MDB_CREATE, &db->balances);
    if (!rc)
        rc = mdb_dbi_open(txn, "requests", MDB_CREATE, &db->requests);
    if (!rc)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);
    if (rc)
        fprintf(stderr, "jifen_bench: lmdb: %s\n", mdb_strerror(rc));
    return rc ? -1 : 0;
}

static int add_to(MDB_txn *txn, MDB_dbi dbi, const char *account,
                  uint64_t debit, uint64_t credit, bool no_negative)
{
    MDB_val k = {strlen(account), (void *)account}, v;
    totals t = {0, 0};
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc == 0 && v.mv_size == sizeof t)
        memcpy(&t, v.mv_data, sizeof t);
    else if (rc != MDB_NOTFOUND)
        return rc ? rc : MDB_CORRUPTED;
    if (no_negative && t.credits < t.debits + debit)
        return MDB_NOTFOUND; /* refused: would go below zero */
    t.debits += debit;
    t.credits += credit;
    v.mv_size = sizeof t;
    v.mv_data = &t;
    return mdb_put(txn, dbi, &k, &v, 0);
}

static int transfer(raw_db *db, MDB_txn *txn, const char *request_id,
                    const char *debit, const char *credit, uint64_t amount,
                    bool check_debit)
{
    uint8_t key[8], entry[ENTRY_BYTES];
    uint64_t seq = ++db->seq;
    for (int i = 7; i >= 0; i--)
        key[i] = (uint8_t)(seq >> (8 * (7 - i)));
    memset(entry, 0x5a, sizeof entry);
    memcpy(entry, &amount, sizeof amount);
    MDB_val k = {sizeof key, key}, v = {sizeof entry, entry};
    int rc = mdb_put(txn, db->journal, &k, &v, MDB_APPEND);
    if (!rc)
        rc = add_to(txn, db->balances, debit, amount, 0, check_debit);
    if (!rc)
        rc = add_to(txn, db->balances, credit, 0, amount, false);
    uint8_t digest[32] = {0};
    MDB_val rk = {strlen(request_id), (void *)request_id};
    MDB_val rv = {sizeof digest, digest};
    if (!rc)
        rc = mdb_put(txn, db->requests, &rk, &rv, MDB_NOOVERWRITE);
    return rc;
}

typedef enum { WORK_SETUP, WORK_BILL, WORK_AWARD } work_kind;

/* The i-th transfer of a kind of work. */
static int do_work(raw_db *db, MDB_txn *txn, work_kind kind, uint64_t i,
                   unsigned households)
{
    char hh[16], account[64], rid[48];
    unsigned h = (unsigned)(i % households);
    bench_household(h, hh);
    snprintf(rid, sizeof rid, "raw-%d-%llu", (int)kind, (unsigned long long)i);
    switch (kind) {
    case WORK_SETUP:
        snprintf(account, sizeof account, "household/%s/points", hh);
        return transfer(db, txn, rid, "community/points-issued", account, 1,
                        false);
    case WORK_BILL:
        snprintf(account, sizeof account, "household/%s/fee", hh);
        return transfer(db, txn, rid, account, "community/fee-income", 12000,
                        false);
    case WORK_AWARD:
        break;
    }
    snprintf(account, sizeof account, "household/%s/points", hh);
    return transfer(db, txn, rid, "community/points-issued", account, 2, false);
}

/* `total` transfers, `batch` per durable commit; one latency per commit. */
static int run_commits(raw_db *db, work_kind kind, uint64_t first,
                       uint64_t total, unsigned batch, unsigned households,
                       double max_seconds, bench_row *row)
{
    samples lat = {0};
    double start = bench_now();
    struct timespec cpu0, cpu1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
    int rc = 0;
    for (uint64_t done = 0; done < total && !rc;) {
        double t0 = bench_now();
        MDB_txn *txn = NULL;
        rc = mdb_txn_begin(db->env, NULL, 0, &txn);
        unsigned n = 0;
        for (; !rc && n < batch && done + n < total; n++)
            rc = do_work(db, txn, kind, first + done + n, households);
        rc = rc ? (mdb_txn_abort(txn), rc) : mdb_txn_commit(txn);
        samples_add(&lat, bench_ms_since(t0));
        done += n;
        if (row) {
            row->ops += n;
            row->requests++;
        }
        if (max_seconds > 0 && bench_now() - start >= max_seconds)
            break;
    }
    if (rc)
        fprintf(stderr, "jifen_bench: lmdb: %s\n", mdb_strerror(rc));
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
    if (row) {
        row->seconds = bench_now() - start;
        /* Its CPU per transfer (user and kernel, this thread: the commits'
         * page writes included), beside jifend's per command. */
        if (row->ops)
            row->cpu_us_per_op =
                ((double)(cpu1.tv_sec - cpu0.tv_sec) * 1e6 +
                 (double)(cpu1.tv_nsec - cpu0.tv_nsec) / 1e3) /
                (double)row->ops;
        row->batch = batch;
        row->clients = 1;
        row->peak_rss_mb = bench_proc_mb(getpid(), "VmHWM");
        bench_row_finish(row, &lat);
    }
    samples_free(&lat);
    return rc ? -1 : 0;
}

int bench_lmdb_run(const bench_options *o, bench_results *res)
{
    char *dir = bench_tmpdir("lmdb");
    raw_db db;
    if (!dir || open_db(&db, dir) != 0) {
        bench_rmtree(&dir);
        return -1;
    }
    bench_say("lmdb-raw: the same transfers in-process, durable commits\n");
    /* Every household account exists before the timed runs, as in jifen
     * after registration; setup commits are large and untimed. */
    int rc = run_commits(&db, WORK_SETUP, 0, o->households, 8192, o->households,
                         0, NULL);
    /* The award storm's best case for jifen is one commit for every client
     * waiting, so the raw limit commits `clients` awards at a time. */
    bench_row *award = bench_results_add(res, "award_storm", "lmdb-raw");
    if (!rc)
        rc = run_commits(&db, WORK_AWARD, 0, UINT64_MAX, o->clients,
                         o->households, o->seconds, award);
    bench_row *bill = bench_results_add(res, "billing", "lmdb-raw");
    if (!rc)
        rc = run_commits(&db, WORK_BILL, 0, o->households, o->batch,
                         o->households, 0, bill);
    for (size_t i = res->n - 2; i < res->n; i++)
        bench_say("  %-14s %10.0f ops/s  p50 %8.3f ms  p99 %8.3f ms  CPU "
                  "%.2f us/op\n",
                  res->rows[i].scenario, res->rows[i].ops_per_s,
                  res->rows[i].p50_ms, res->rows[i].p99_ms,
                  res->rows[i].cpu_us_per_op);
    mdb_env_close(db.env);
    bench_rmtree(&dir);
    return rc;
}

/* --- one environment against two, at once ----------------------------------
 */

typedef struct {
    raw_db db;
    unsigned households;
    uint64_t next; /* the first request id of the next run */
    double seconds;
    bench_row row;
    int rc;
    pthread_t thread;
} pair_side;

static void *pair_main(void *arg)
{
    pair_side *p = arg;
    p->rc = run_commits(&p->db, WORK_AWARD, p->next, UINT64_MAX, 1,
                        p->households, p->seconds, &p->row);
    p->next += p->row.ops;
    return NULL;
}

/* `n` environments (1 or 2), a thread each committing one award per
 * durable commit for o->seconds, added into *row. */
static int pair_run(const bench_options *o, pair_side *sides, unsigned n,
                    bench_row *row)
{
    for (unsigned i = 0; i < n; i++) {
        memset(&sides[i].row, 0, sizeof sides[i].row);
        sides[i].seconds = o->seconds;
        sides[i].rc = 0;
    }
    unsigned started = 0;
    for (; started < n; started++)
        if (pthread_create(&sides[started].thread, NULL, pair_main,
                           &sides[started]) != 0)
            break;
    int rc = started == n ? 0 : -1;
    double longest = 0;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(sides[i].thread, NULL);
        rc |= sides[i].rc;
        row->ops += sides[i].row.ops;
        row->requests += sides[i].row.requests;
        if (sides[i].row.seconds > longest)
            longest = sides[i].row.seconds;
        if (sides[i].row.p50_ms > row->p50_ms)
            row->p50_ms = sides[i].row.p50_ms;
        if (sides[i].row.p99_ms > row->p99_ms)
            row->p99_ms = sides[i].row.p99_ms;
    }
    row->seconds += longest;
    row->clients = n;
    row->batch = 1;
    row->commits = row->requests;
    row->ops_per_s = row->seconds > 0 ? (double)row->ops / row->seconds : 0;
    return rc;
}

int bench_lmdb_pair(const bench_options *o, unsigned rounds, bench_results *res)
{
    char *dirs[2] = {bench_tmpdir("lmdb-a"), bench_tmpdir("lmdb-b")};
    pair_side sides[2];
    int rc = dirs[0] && dirs[1] ? 0 : -1;
    unsigned opened = 0;
    for (unsigned i = 0; rc == 0 && i < 2; i++) {
        sides[i].households = o->households;
        sides[i].next = 0;
        if (open_db(&sides[i].db, dirs[i]) != 0) {
            rc = -1;
            break;
        }
        opened++;
        rc = run_commits(&sides[i].db, WORK_SETUP, 0, o->households, 8192,
                         o->households, 0, NULL);
    }
    bench_row *one = bench_results_add(res, "lmdb_one", "lmdb-raw");
    bench_row *two = bench_results_add(res, "lmdb_two", "lmdb-raw");
    for (unsigned r = 0; rc == 0 && r < rounds; r++) {
        rc = pair_run(o, sides, 1, one);
        if (rc == 0)
            rc = pair_run(o, sides, 2, two);
    }
    for (unsigned i = 0; i < opened; i++)
        mdb_env_close(sides[i].db.env);
    bench_rmtree(&dirs[0]);
    bench_rmtree(&dirs[1]);
    return rc;
}
