/*
 * storage: a real LMDB environment in a temporary directory.
 */
#include "storage.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

typedef struct {
    char *dir;
    storage *st;
} fixture;

static int setup(void **state)
{
    static fixture f;
    char err[256];
    f.dir = testutil_tmpdir();
    assert_non_null(f.dir);
    assert_int_equal(storage_open(&f.st, f.dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    storage_close(&f->st);
    assert_null(f->st);
    testutil_rmtree(&f->dir);
    return 0;
}

static void put_u64(storage *st, uint64_t seq, const char *value)
{
    storage_txn txn;
    uint8_t key[8];
    storage_be64_put(key, seq);
    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    assert_int_equal(storage_put(&txn, TABLE_JOURNAL, key, 8, value,
                                 strlen(value), STORAGE_PUT_APPEND),
                     STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
}

static void test_commit_survives_reopen(void **state)
{
    fixture *f = *state;
    char err[256];
    put_u64(f->st, 1, "one");
    storage_close(&f->st);
    assert_int_equal(storage_open(&f->st, f->dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    storage_txn txn;
    storage_val v;
    uint8_t key[8];
    storage_be64_put(key, 1);
    assert_int_equal(storage_txn_begin(f->st, &txn, false), STORAGE_OK);
    assert_int_equal(storage_get(&txn, TABLE_JOURNAL, key, 8, &v), STORAGE_OK);
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.data, "one", 3);
    storage_txn_abort(&txn);
}

static void test_abort_discards(void **state)
{
    fixture *f = *state;
    storage_txn txn;
    storage_val v;
    assert_int_equal(storage_txn_begin(f->st, &txn, true), STORAGE_OK);
    assert_int_equal(storage_put(&txn, TABLE_META, "k", 1, "v", 1,
                                 STORAGE_PUT_OVERWRITE),
                     STORAGE_OK);
    storage_txn_abort(&txn);
    assert_int_equal(storage_txn_begin(f->st, &txn, false), STORAGE_OK);
    assert_int_equal(storage_get(&txn, TABLE_META, "k", 1, &v),
                     STORAGE_NOT_FOUND);
    /* not-found is an answer, not a failure: the txn stays usable */
    assert_int_equal(txn.error, STORAGE_OK);
    storage_txn_abort(&txn);
}

static void test_put_new_and_append_order(void **state)
{
    fixture *f = *state;
    put_u64(f->st, 5, "five");
    storage_txn txn;
    uint8_t key[8];
    assert_int_equal(storage_txn_begin(f->st, &txn, true), STORAGE_OK);
    /* an append that does not sort last is refused: the journal can only
     * grow at its end */
    storage_be64_put(key, 4);
    assert_int_not_equal(storage_put(&txn, TABLE_JOURNAL, key, 8, "x", 1,
                                     STORAGE_PUT_APPEND),
                         STORAGE_OK);
    storage_txn_abort(&txn);

    assert_int_equal(storage_txn_begin(f->st, &txn, true), STORAGE_OK);
    storage_be64_put(key, 5);
    assert_int_equal(storage_put(&txn, TABLE_JOURNAL, key, 8, "x", 1,
                                 STORAGE_PUT_NEW),
                     STORAGE_EXISTS);
    assert_int_equal(txn.error, STORAGE_OK);
    storage_txn_abort(&txn);
}

static void test_map_full_is_sticky_then_grow(void **state)
{
    fixture *f = *state;
    static uint8_t blob[4096];
    memset(blob, 0xab, sizeof blob);
    storage_txn txn;
    storage_error e = STORAGE_OK;
    uint64_t i;
    assert_int_equal(storage_txn_begin(f->st, &txn, true), STORAGE_OK);
    for (i = 1; i < 10000 && e == STORAGE_OK; i++) {
        uint8_t key[8];
        storage_be64_put(key, i);
        e = storage_put(&txn, TABLE_JOURNAL, key, 8, blob, sizeof blob,
                        STORAGE_PUT_APPEND);
    }
    assert_int_equal(e, STORAGE_MAP_FULL);
    /* the error sticks: later operations report it without touching LMDB */
    storage_val v;
    assert_int_equal(storage_get(&txn, TABLE_META, "k", 1, &v),
                     STORAGE_MAP_FULL);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_MAP_FULL);

    size_t before = storage_map_size(f->st);
    assert_int_equal(storage_grow(f->st, 64 << 20), STORAGE_OK);
    assert_true(storage_map_size(f->st) > before);
    assert_int_equal(storage_grow(f->st, storage_map_size(f->st)),
                     STORAGE_MAP_FULL);

    /* after growing, the same work fits */
    assert_int_equal(storage_txn_begin(f->st, &txn, true), STORAGE_OK);
    for (uint64_t j = 1; j < i; j++) {
        uint8_t key[8];
        storage_be64_put(key, j);
        storage_put(&txn, TABLE_JOURNAL, key, 8, blob, sizeof blob,
                    STORAGE_PUT_APPEND);
    }
    assert_int_equal(txn.error, STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
}

static void test_cursor_walks_in_key_order(void **state)
{
    fixture *f = *state;
    put_u64(f->st, 1, "a");
    put_u64(f->st, 2, "b");
    put_u64(f->st, 300, "c");
    storage_txn txn;
    storage_cursor *c;
    storage_val k, v;
    uint64_t count = 0;
    assert_int_equal(storage_txn_begin(f->st, &txn, false), STORAGE_OK);
    assert_int_equal(storage_count(&txn, TABLE_JOURNAL, &count), STORAGE_OK);
    assert_int_equal(count, 3);
    assert_int_equal(storage_cursor_open(&txn, TABLE_JOURNAL, &c), STORAGE_OK);
    uint8_t key[8];
    storage_be64_put(key, 3);
    assert_int_equal(storage_cursor_seek(c, key, 8, &k, &v), STORAGE_OK);
    assert_int_equal(storage_be64_get(k.data), 300);
    assert_int_equal(storage_cursor_prev(c, &k, &v), STORAGE_OK);
    assert_int_equal(storage_be64_get(k.data), 2);
    assert_int_equal(storage_cursor_first(c, &k, &v), STORAGE_OK);
    assert_int_equal(storage_be64_get(k.data), 1);
    assert_int_equal(storage_cursor_last(c, &k, &v), STORAGE_OK);
    assert_int_equal(storage_be64_get(k.data), 300);
    assert_int_equal(storage_cursor_next(c, &k, &v), STORAGE_NOT_FOUND);
    storage_cursor_close(&c);
    assert_null(c);
    storage_txn_abort(&txn);
}

/* storage_get_sorted finds what storage_get finds, key by key: present
 * and absent keys, neighbours and keys far apart (more steps than it
 * takes before seeking), keys before the first and past the last, in a
 * write transaction that changed the table. */
static void test_get_sorted_matches_get(void **state)
{
    fixture *f = *state;
    storage_txn txn;
    assert_int_equal(storage_txn_begin(f->st, &txn, true), STORAGE_OK);
    for (int i = 10; i < 200; i += 2) {
        char key[8], val[8];
        snprintf(key, sizeof key, "k%03d", i);
        snprintf(val, sizeof val, "v%03d", i);
        assert_int_equal(storage_put(&txn, TABLE_META, key, 4, val, 4,
                                     STORAGE_PUT_OVERWRITE),
                         STORAGE_OK);
    }
    static const int wanted[][4] = {
        {10, 11, 12, 14}, {5, 10, 190, 198}, {12, 40, 41, 42},
        {197, 198, 199, 250}, {0, 1, 2, 3}, {100, 102, 104, 180},
        {199, 201, 300, 400}, {9, 13, 17, 21},
    };
    for (size_t w = 0; w < sizeof wanted / sizeof *wanted; w++) {
        char names[4][8];
        storage_val keys[4], vals[4];
        for (int i = 0; i < 4; i++) {
            snprintf(names[i], sizeof names[i], "k%03d", wanted[w][i]);
            keys[i] = (storage_val){names[i], 4};
        }
        assert_int_equal(storage_get_sorted(&txn, TABLE_META, keys, 4, vals),
                         STORAGE_OK);
        for (int i = 0; i < 4; i++) {
            storage_val v;
            storage_error e = storage_get(&txn, TABLE_META, names[i], 4, &v);
            if (e == STORAGE_NOT_FOUND) {
                assert_null(vals[i].data);
                assert_int_equal(vals[i].len, 0);
            } else {
                assert_int_equal(e, STORAGE_OK);
                assert_non_null(vals[i].data);
                assert_int_equal(vals[i].len, v.len);
                assert_memory_equal(vals[i].data, v.data, v.len);
            }
        }
    }
    assert_int_equal(txn.error, STORAGE_OK);
    storage_txn_abort(&txn);
}

/* data.mdb cut to `size` bytes; the environment must be closed. */
static void cut(const fixture *f, off_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    assert_int_equal(truncate(path, size), 0);
}

/* A truncated data.mdb (an interrupted copy, a full disk) is refused with
 * what is wrong and what to do, by the read-write and the read-only open,
 * before any page past the end is touched: LMDB itself would die of SIGBUS
 * on the first read there. */
static void test_truncated_file_refused(void **state)
{
    fixture *f = *state;
    char err[1024], value[1000];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (uint64_t i = 1; i <= 200; i++)
        put_u64(f->st, i, value);
    storage_close(&f->st);
    char path[512];
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 100 * 1024);

    cut(f, sb.st_size / 2);
    err[0] = '\0';
    assert_int_equal(storage_open(&f->st, f->dir, 1 << 20, err, sizeof err),
                     STORAGE_CORRUPT);
    assert_null(f->st);
    assert_non_null(strstr(err, "data.mdb is cut short"));
    assert_non_null(strstr(err, "Restore the latest backup"));
    err[0] = '\0';
    assert_int_equal(storage_open_readonly(&f->st, f->dir, err, sizeof err),
                     STORAGE_CORRUPT);
    assert_non_null(strstr(err, "data.mdb is cut short"));

    cut(f, 5000); /* less than the two meta pages */
    assert_int_equal(storage_open_readonly(&f->st, f->dir, err, sizeof err),
                     STORAGE_CORRUPT);
    assert_non_null(strstr(err, "cut short (5000 bytes"));
    cut(f, 0); /* LMDB alone would start a new, empty ledger on it */
    assert_int_equal(storage_open(&f->st, f->dir, 1 << 20, err, sizeof err),
                     STORAGE_CORRUPT);
    assert_non_null(strstr(err, "is empty (0 bytes"));
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* and left as it was */
}

static void test_be64_sorts_numerically(void **state)
{
    (void)state;
    uint8_t a[8], b[8];
    storage_be64_put(a, 255);
    storage_be64_put(b, 256);
    assert_true(memcmp(a, b, 8) < 0);
    assert_int_equal(storage_be64_get(b), 256);
    storage_be64_put(a, UINT64_MAX);
    assert_true(storage_be64_get(a) == UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commit_survives_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_abort_discards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_new_and_append_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_map_full_is_sticky_then_grow,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_walks_in_key_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_get_sorted_matches_get, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_truncated_file_refused, setup,
                                        teardown),
        cmocka_unit_test(test_be64_sorts_numerically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
