/*
 * test_migrate - a real ledger of format 2 (tests/fixtures/format2, made by
 * the release before the one apply path with make_format2.sh) opened by
 * this release: migrated by a rebuild from its journal, with its journal,
 * chain and head unchanged, its balances and idempotency records kept, and
 * its points now spent oldest first, so that the points the old rule let
 * households keep past their expiry expire at the next tick (the
 * correcting entries). Also jifend --rebuild's comparison and recovery.
 */
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "journal.h"
#include "ledger.h"
#include "rebuild.h"
#include "ruleset.h"
#include "storage.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#define FIXTURE JIFEN_SOURCE_DIR "/tests/fixtures/format2"
#define FIXTURE_HEAD                                                           \
    "0c3fff2788f6f5b80d0970ea316a702023b07c924288e379d7d38dd36e3aa1f5"
#define FIXTURE_ENTRIES 43

typedef struct {
    char *dir;
    ruleset *rules;
    policy pol;
    ledger *led;
} fixture;

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    assert_non_null(in);
    FILE *out = fopen(to, "wb");
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* A copy of the fixture in a fresh directory, and the rule-set files the
 * daemon that wrote it ran with. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = testutil_tmpdir();
    assert_non_null(f->dir);
    char to[512];
    snprintf(to, sizeof to, "%s/data.mdb", f->dir);
    copy_file(FIXTURE "/data.mdb", to);
    const char *paths[] = {JIFEN_SOURCE_DIR "/deploy/policy.conf",
                           JIFEN_SOURCE_DIR "/deploy/policy-2026-07.conf"};
    char err[512];
    if (ruleset_load_paths(&f->rules, paths, 2, err, sizeof err) != 0)
        fail_msg("%s", err);
    f->pol = *ruleset_get(f->rules, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ledger_close(&f->led);
    ruleset_destroy(&f->rules);
    testutil_rmtree(&f->dir);
    free(f);
    return 0;
}

static void open_ledger(fixture *f)
{
    char err[512];
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20,
                         .rules = f->rules};
    if (ledger_open(&f->led, f->dir, &f->pol, &lo, err, sizeof err) !=
        LEDGER_OK)
        fail_msg("ledger_open: %s", err);
    assert_int_equal(ledger_use_rules(f->led, f->rules, err, sizeof err), 0);
}

/* The raw value of a key, for before/after comparisons. */
static size_t raw_get(const char *dir, storage_table t, const char *key,
                      uint8_t *out, size_t cap)
{
    storage *st = NULL;
    char err[256];
    assert_int_equal(storage_open_readonly(&st, dir, err, sizeof err),
                     STORAGE_OK);
    storage_txn txn;
    storage_val v;
    assert_int_equal(storage_txn_begin(st, &txn, false), STORAGE_OK);
    size_t n = 0;
    if (storage_get(&txn, t, key, strlen(key), &v) == STORAGE_OK) {
        assert_true(v.len <= cap);
        memcpy(out, v.data, v.len);
        n = v.len;
    }
    storage_txn_abort(&txn);
    storage_close(&st);
    return n;
}

static int64_t points_of(fixture *f, const char *household)
{
    jifen_command c = {.kind = JIFEN_CMD_BALANCE};
    snprintf(c.household, sizeof c.household, "%s", household);
    jifen_request req = {.n_commands = 1, .commands = &c};
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.results[0].status, JIFEN_STATUS_OK);
    int64_t p = reply.results[0].balance.points;
    codec_reply_clear(&reply);
    return p;
}

static uint64_t head_of(fixture *f, char hex[65])
{
    uint64_t seq;
    uint8_t hash[JIFEN_HASH_LEN];
    ledger_head(f->led, &seq, hash);
    hash_hex(hash, sizeof hash, hex, 65);
    return seq;
}

/* The entry seq, decoded. */
static void entry_at(fixture *f, uint64_t seq, jifen_entry *e)
{
    storage_txn txn;
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &txn, false),
                     STORAGE_OK);
    assert_int_equal(journal_read(&txn, seq, e, false), STORAGE_OK);
    storage_txn_abort(&txn);
}

static void assert_verifies(fixture *f)
{
    jifen_verify_report r;
    assert_int_equal(ledger_verify(f->led, &r), LEDGER_OK);
    if (!r.ok)
        fail_msg("verify: entry %llu: %s", (unsigned long long)r.bad_entry,
                 r.problem);
}

/* The migration keeps what the ledger was: the same journal, chain, head,
 * balances and idempotency records, in format 3. */
static void test_migration_keeps_the_ledger(void **state)
{
    fixture *f = *state;
    uint8_t before[16], after[16];
    size_t nb = raw_get(f->dir, TABLE_BALANCES, "household/1-1-101/points",
                        before, sizeof before);
    assert_int_equal(nb, 16);
    open_ledger(f);
    char hex[65];
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES);
    assert_string_equal(hex, FIXTURE_HEAD);
    assert_verifies(f);
    ledger_close(&f->led);
    uint8_t format[32];
    size_t n = raw_get(f->dir, TABLE_META, "format", format, sizeof format);
    assert_int_equal(n, strlen("jifen-ledger-3"));
    assert_memory_equal(format, "jifen-ledger-3", n);
    assert_int_equal(raw_get(f->dir, TABLE_BALANCES,
                             "household/1-1-101/points", after, sizeof after),
                     16);
    assert_memory_equal(before, after, 16);
    /* The fixture's first household registration (request fx-5), retried:
     * the stored reply, nothing written. */
    open_ledger(f);
    jifen_command c = {.kind = JIFEN_CMD_HOUSEHOLD_ADD,
                       .area_centi_m2 = 8550};
    snprintf(c.household, sizeof c.household, "3-2-501");
    snprintf(c.name, sizeof c.name, "张伟");
    jifen_result r;
    assert_int_equal(testutil_write(f->led, testutil_at(2027, 3, 2, 9, 0),
                                    "委员 王", "fx-5", &c, &r),
                     0);
    assert_int_equal(r.status, JIFEN_STATUS_EXISTS);
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES);
    /* Opening again finds it current: nothing is rebuilt. */
    ledger_close(&f->led);
    open_ledger(f);
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES);
}

/* The expiries: each household's points now go oldest first. The old
 * rule ("points of lots expired so far minus everything taken") let
 * 3-2-501 keep its points from the award released in entry 39 past
 * 2027-05-01, because its June points (which never expire) were spent;
 * and 1-1-101 keep 11 of its 30 July points past 2028-01-01. */
static void test_expiry_is_oldest_first_after_migration(void **state)
{
    fixture *f = *state;
    open_ledger(f);
    assert_int_equal(points_of(f, "3-2-501"), 4);
    assert_int_equal(points_of(f, "3-2-502"), 5);
    assert_int_equal(points_of(f, "1-1-101"), 39);
    char hex[65];
    /* Nothing is due before its time. */
    assert_int_equal(ledger_tick(f->led, testutil_at(2027, 4, 30, 23, 59)),
                     LEDGER_OK);
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES);
    /* 2027-05-01: the points released in February (quarterly rules,
     * earned in January) expire: 2 of 3-2-501's. */
    assert_int_equal(ledger_tick(f->led, testutil_at(2027, 5, 1, 0, 0)),
                     LEDGER_OK);
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES + 1);
    jifen_entry e;
    entry_at(f, FIXTURE_ENTRIES + 1, &e);
    assert_int_equal(e.command.kind, JIFEN_CMD_EXPIRE);
    assert_string_equal(e.command.household, "3-2-501");
    assert_string_equal(e.command.period, "2027-05");
    assert_int_equal(e.postings[0].amount, 2);
    assert_int_equal(e.format, JIFEN_ENTRY_FORMAT);
    assert_string_equal(e.author, "jifend");
    assert_int_equal(points_of(f, "3-2-501"), 2);
    /* 2027-06-01: 3-2-502's February points. */
    assert_int_equal(ledger_tick(f->led, testutil_at(2027, 6, 1, 0, 0)),
                     LEDGER_OK);
    assert_int_equal(points_of(f, "3-2-502"), 3);
    /* 2028-01-01: every July 2026 point (revised rules: end of the
     * following year): 2 + 2 + 30. */
    assert_int_equal(ledger_tick(f->led, testutil_at(2028, 1, 1, 0, 0)),
                     LEDGER_OK);
    assert_int_equal(points_of(f, "3-2-501"), 0);
    assert_int_equal(points_of(f, "3-2-502"), 1);
    assert_int_equal(points_of(f, "1-1-101"), 9);
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES + 5);
    /* Once: later ticks post nothing more. */
    assert_int_equal(ledger_tick(f->led, testutil_at(2029, 1, 1, 0, 0)),
                     LEDGER_OK);
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES + 5);
    assert_verifies(f);
}

/* A migration killed half-way leaves DIR/migrate.tmp: the next open
 * throws it away and migrates again. */
static void test_interrupted_migration_is_redone(void **state)
{
    fixture *f = *state;
    char tmp[512], junk[600];
    snprintf(tmp, sizeof tmp, "%s/migrate.tmp", f->dir);
    assert_int_equal(mkdir(tmp, 0700), 0);
    snprintf(junk, sizeof junk, "%s/data.mdb", tmp);
    FILE *j = fopen(junk, "w");
    assert_non_null(j);
    fputs("half a ledger", j);
    fclose(j);
    open_ledger(f);
    char hex[65];
    assert_int_equal(head_of(f, hex), FIXTURE_ENTRIES);
    assert_string_equal(hex, FIXTURE_HEAD);
    struct stat st;
    assert_int_not_equal(stat(tmp, &st), 0);
}

static void rebuild(fixture *f, const char *dest, rebuild_report *r)
{
    rebuild_options ro = {.pol = &f->pol, .rules = f->rules, .compare = true};
    char err[512];
    if (rebuild_ledger(f->dir, dest, &ro, r, err, sizeof err) != 0)
        fail_msg("rebuild: %s", err);
}

/* --rebuild of a current ledger finds every derived table the same; a
 * damaged one is named by table and key; --to writes a ledger that
 * verifies and holds the same head. */
static void test_rebuild_compares_and_recovers(void **state)
{
    fixture *f = *state;
    open_ledger(f); /* migrates */
    assert_int_equal(ledger_tick(f->led, testutil_at(2028, 1, 1, 0, 0)),
                     LEDGER_OK);
    ledger_close(&f->led);
    char *dest = testutil_tmpdir();
    rebuild_report r;
    rebuild(f, dest, &r);
    assert_true(r.compared);
    if (!r.same)
        fail_msg("a fresh rebuild differs: %s", r.difference);
    assert_int_equal(r.entries, FIXTURE_ENTRIES + 5);
    testutil_rmtree(&dest);

    /* Damage one derived record: a household's points balance. */
    storage *st = NULL;
    char err[256];
    assert_int_equal(storage_open(&st, f->dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    storage_txn txn;
    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    uint8_t bad[16] = {0};
    bad[15] = 99;
    const char *acct = "household/3-2-502/points";
    assert_int_equal(storage_put(&txn, TABLE_BALANCES, acct, strlen(acct), bad,
                                 sizeof bad, STORAGE_PUT_OVERWRITE),
                     STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    storage_close(&st);
    dest = testutil_tmpdir();
    rebuild(f, dest, &r);
    assert_false(r.same);
    assert_non_null(strstr(r.difference, "table balances"));
    assert_non_null(strstr(r.difference, "household/3-2-502/points"));
    /* The rebuilt copy is the recovery: it verifies, with the old head. */
    ledger *led = NULL;
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20,
                         .rules = f->rules};
    assert_int_equal(ledger_open(&led, dest, &f->pol, &lo, err, sizeof err),
                     LEDGER_OK);
    jifen_verify_report v;
    assert_int_equal(ledger_verify(led, &v), LEDGER_OK);
    assert_true(v.ok);
    assert_int_equal(v.entries, FIXTURE_ENTRIES + 5);
    ledger_close(&led);
    testutil_rmtree(&dest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migration_keeps_the_ledger, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_expiry_is_oldest_first_after_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_migration_is_redone,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_compares_and_recovers,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
