/*
 * test_tabledump - the dumper and comparer the equivalence test and the
 * rebuild stand on: it must see a record missing on either side, a value
 * that differs by one byte, in any table, and leave out exactly the tables
 * it is told to.
 */
#include "storage.h"
#include "tabledump.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

typedef struct {
    char *dir[2];
    storage *st[2];
} fixture;

static int setup(void **state)
{
    static fixture f;
    char err[256];
    for (int i = 0; i < 2; i++) {
        f.dir[i] = testutil_tmpdir();
        assert_non_null(f.dir[i]);
        assert_int_equal(storage_open(&f.st[i], f.dir[i], 1 << 20, err,
                                      sizeof err),
                         STORAGE_OK);
    }
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 2; i++) {
        storage_close(&f->st[i]);
        testutil_rmtree(&f->dir[i]);
    }
    return 0;
}

static void put(storage *st, storage_table t, const char *key,
                const void *val, size_t len)
{
    storage_txn txn;
    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    assert_int_equal(storage_put(&txn, t, key, strlen(key), val, len,
                                 STORAGE_PUT_OVERWRITE),
                     STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
}

/* The same records in both: a and b get them in different orders. */
static void put_both(fixture *f)
{
    put(f->st[0], TABLE_BALANCES, "household/1/points", "\x00\x01", 2);
    put(f->st[0], TABLE_META, "head", "h", 1);
    put(f->st[1], TABLE_META, "head", "h", 1);
    put(f->st[1], TABLE_BALANCES, "household/1/points", "\x00\x01", 2);
}

/* Compares, the report captured; returns the count. */
static long compare(fixture *f, unsigned skip, char **report)
{
    size_t len = 0;
    FILE *out = open_memstream(report, &len);
    assert_non_null(out);
    tabledump_options o = {skip, "primary", "replica", 0, out};
    long n = tabledump_compare(f->st[0], f->st[1], &o);
    assert_int_equal(fclose(out), 0);
    return n;
}

static void test_identical(void **state)
{
    fixture *f = *state;
    char *report = NULL;
    assert_int_equal(compare(f, 0, &report), 0); /* empty, every table */
    free(report);
    put_both(f);
    assert_int_equal(compare(f, 0, &report), 0);
    assert_string_equal(report, "");
    free(report);
}

static void test_missing_and_different(void **state)
{
    fixture *f = *state;
    put_both(f);
    /* One byte differs; one key only in a, one only in b; in three
     * different tables, the last one the last table there is. */
    put(f->st[1], TABLE_BALANCES, "household/1/points", "\x00\x02", 2);
    uint8_t seq[8] = {0, 0, 0, 0, 0, 0, 0, 7};
    put(f->st[0], TABLE_META, "notice/\x01", seq, sizeof seq);
    put(f->st[1], TABLE_COUNT - 1, "k", "", 0);
    char *report = NULL;
    assert_int_equal(compare(f, 0, &report), 3);
    assert_non_null(strstr(report, "table balances, key \"household/1/points\""));
    assert_non_null(strstr(report, "primary  0001 (2 bytes)"));
    assert_non_null(strstr(report, "replica  0002 (2 bytes)"));
    assert_non_null(strstr(report, "table meta, key \"notice/\\x01\" "
                                   "(6e6f746963652f01)"));
    assert_non_null(strstr(report, "replica  (absent)"));
    assert_non_null(strstr(report, "0000000000000007 (8 bytes)"));
    char last[128];
    snprintf(last, sizeof last,
             "table %s: 0 record(s) only in primary, 1 only in replica",
             storage_table_name(TABLE_COUNT - 1));
    assert_non_null(strstr(report, last));
    free(report);

    /* Left out by name: only what is left out is not seen. */
    assert_int_equal(compare(f, TABLEDUMP_SKIP(TABLE_META) |
                                    TABLEDUMP_SKIP(TABLE_COUNT - 1),
                             &report),
                     1);
    free(report);
}

static void test_a_key_that_is_a_prefix(void **state)
{
    fixture *f = *state;
    /* "ab" sorts after "a": a merge that compared only the common bytes
     * would pair them up. */
    put(f->st[0], TABLE_META, "a", "1", 1);
    put(f->st[0], TABLE_META, "ab", "2", 1);
    put(f->st[1], TABLE_META, "ab", "2", 1);
    char *report = NULL;
    assert_int_equal(compare(f, 0, &report), 1);
    assert_non_null(strstr(report, "key \"a\" (61)"));
    free(report);
}

static void test_text(void **state)
{
    fixture *f = *state;
    put_both(f);
    char *t0 = tabledump_text(f->st[0], 0);
    char *t1 = tabledump_text(f->st[1], 0);
    assert_non_null(t0);
    assert_non_null(t1);
    assert_string_equal(t0, t1);
    assert_string_equal(t0, "balances 686f757365686f6c642f312f706f696e7473 0001"
                            "  # household/1/points\n"
                            "meta 68656164 68  # head\n");
    free(t0);
    free(t1);
    t0 = tabledump_text(f->st[0], TABLEDUMP_SKIP(TABLE_BALANCES));
    assert_string_equal(t0, "meta 68656164 68  # head\n");
    free(t0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_different, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_key_that_is_a_prefix, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
