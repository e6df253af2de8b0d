/*
 * ops: the operations modules on their own - the config table, the
 * checkpoint line (sign, parse, check), the notary's schedule and lookups
 * on a real LMDB, the ops metrics, and the codec round trip of the new
 * query and result fields.
 */
#include "checkpoint.h"
#include "codec.h"
#include "config.h"
#include "hash.h"
#include "notary.h"
#include "ops.h"
#include "storage.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

/* --- config ---------------------------------------------------------------- */

static void test_config_ranges(void **state)
{
    (void)state;
    config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "map_size_mib", "128", err, sizeof err), 0);
    assert_int_equal(c.map_size_mib, 128);
    assert_int_equal(config_set(&c, "map_size_mib", "0", err, sizeof err), -1);
    assert_non_null(strstr(err, "map_size_mib: '0'"));
    assert_int_equal(config_set(&c, "map_size_mib", "+5", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "map_size_mib", "99999999999999999999999",
                                err, sizeof err), -1);
    assert_int_equal(config_set(&c, "checkpoint_seconds", "86401", err,
                                sizeof err), -1);
    assert_int_equal(config_set(&c, "log_level", "warn", err, sizeof err), 0);
    assert_int_equal(config_set(&c, "nope", "1", err, sizeof err), -1);
    assert_string_equal(err, "unknown option 'nope'");
    assert_int_equal(config_set(&c, "data", "", err, sizeof err), -1);
    assert_int_equal(config_set(&c, "policy", "", err, sizeof err), 0);
    char longv[CONFIG_PATH_MAX + 10];
    memset(longv, 'a', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(config_set(&c, "data", longv, err, sizeof err), -1);
    c.map_size_mib = 10;
    c.map_max_mib = 5;
    assert_int_equal(config_check(&c, err, sizeof err), -1);
}

static void test_config_file(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    char path[600], err[2048];
    snprintf(path, sizeof path, "%s/j.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "# c\n\n  listen =  tcp://0.0.0.0:1 \r\ncheckpoint_entries=7\n");
    fclose(f);
    config c;
    config_defaults(&c);
    assert_int_equal(config_load(&c, path, err, sizeof err), 0);
    assert_string_equal(c.listen, "tcp://0.0.0.0:1");
    assert_int_equal(c.checkpoint_entries, 7);
    f = fopen(path, "a");
    fprintf(f, "map_max_mib = lots\n");
    fclose(f);
    assert_int_equal(config_load(&c, path, err, sizeof err), -1);
    char want[700];
    snprintf(want, sizeof want, "%s:5: map_max_mib: 'lots'", path);
    assert_non_null(strstr(err, want));
    testutil_rmtree(&dir);
}

/* --- checkpoint line ------------------------------------------------------- */

static void test_checkpoint_text(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64], hash[32], other_pk[32], other_sk[64];
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(other_pk, other_sk);
    memset(hash, 0xab, sizeof hash);
    checkpoint cp, back;
    char err[256];
    assert_int_equal(checkpoint_sign(&cp, 1000, hash, 1795680000, sk), 0);
    assert_true(strlen(cp.text) < 256);
    assert_int_equal(strncmp(cp.text, "jifen-cp1 1000 2026-11-26T", 26), 0);
    assert_int_equal(checkpoint_parse(&back, cp.text, err, sizeof err), 0);
    assert_int_equal(back.entry, 1000);
    assert_int_equal(back.time_s, 1795680000);
    assert_memory_equal(back.hash, hash, 32);
    assert_int_equal(checkpoint_check_signature(&back, pk), 0);
    assert_int_equal(checkpoint_check_signature(&back, other_pk), -1);
    /* Blanks around are fine (copied from a notice board); changes are not. */
    char text[300];
    snprintf(text, sizeof text, "  %s \n", cp.text);
    assert_int_equal(checkpoint_parse(&back, text, err, sizeof err), 0);
    assert_int_equal(checkpoint_check_signature(&back, pk), 0);
    snprintf(text, sizeof text, "%s", cp.text);
    text[10] = '2'; /* entry 2000 */
    assert_int_equal(checkpoint_parse(&back, text, err, sizeof err), 0);
    assert_int_equal(checkpoint_check_signature(&back, pk), -1);
    const char *bad[] = {"", "jifen-cp1", "jifen-cp2 1 2026-01-01T00:00:00Z a b",
                         "jifen-cp1 0 2026-11-26T00:00:00Z", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(checkpoint_parse(&back, bad[i], err, sizeof err), -1);
    snprintf(text, sizeof text, "%s x", cp.text);
    assert_int_equal(checkpoint_parse(&back, text, err, sizeof err), -1);
}

/* A signed tree head: one line, both hashes and the signature in base64,
 * short enough for a notice board; and a cp1 line is not one of them. */
static void test_tree_head_text(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64], root[32], head[32];
    crypto_sign_keypair(pk, sk);
    memset(root, 0x5d, sizeof root);
    memset(head, 0xab, sizeof head);
    checkpoint cp, back;
    char err[256], text[300];
    assert_int_equal(checkpoint_sign_tree(&cp, 1234567, root, head,
                                          1795680000, sk),
                     0);
    assert_true(strlen(cp.text) <= 231);
    assert_int_equal(strncmp(cp.text, "jifen-sth1 1234567 2026-11-26T", 30), 0);
    assert_int_equal(checkpoint_parse(&back, cp.text, err, sizeof err), 0);
    assert_true(back.has_root);
    assert_int_equal(back.entry, 1234567);
    assert_int_equal(back.time_s, 1795680000);
    assert_memory_equal(back.root, root, 32);
    assert_memory_equal(back.hash, head, 32);
    assert_int_equal(checkpoint_check_signature(&back, pk), 0);
    /* Any change breaks the signature, or the line. */
    snprintf(text, sizeof text, "%s", cp.text);
    text[11] = '2'; /* another size */
    assert_int_equal(checkpoint_parse(&back, text, err, sizeof err), 0);
    assert_int_equal(checkpoint_check_signature(&back, pk), -1);
    snprintf(text, sizeof text, "%s", cp.text);
    char *r = strstr(text, "XV1d"); /* base64 of the 0x5d bytes */
    assert_non_null(r);
    r[0] = 'Y';
    assert_int_equal(checkpoint_parse(&back, text, err, sizeof err), 0);
    assert_int_equal(checkpoint_check_signature(&back, pk), -1);
    const char *bad[] = {
        "jifen-sth1 1 2026-01-01T00:00:00Z a b c",
        "jifen-sth1 0 2026-11-26T00:00:00Z XV1d XV1d XV1d",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(checkpoint_parse(&back, bad[i], err, sizeof err), -1);
        assert_non_null(strstr(err, "signed tree head"));
    }
    /* Base64 without its padding, or with a character too many. */
    snprintf(text, sizeof text, "%s", cp.text);
    char *pad = strchr(text, '=');
    assert_non_null(pad);
    memmove(pad, pad + 1, strlen(pad));
    assert_int_equal(checkpoint_parse(&back, text, err, sizeof err), -1);
    /* The cp1 signature of the same head does not hold as an sth1 one. */
    checkpoint old;
    assert_int_equal(checkpoint_sign(&old, 1234567, head, 1795680000, sk), 0);
    assert_false(old.has_root);
    memcpy(cp.signature, old.signature, 64);
    assert_int_equal(checkpoint_check_signature(&cp, pk), -1);
}

/* --- notary on a real environment ----------------------------------------- */

static void commit_entries(storage *st, notary *n, uint64_t from, uint64_t to)
{
    storage_txn txn;
    uint8_t hash[32];
    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    for (uint64_t s = from + 1; s <= to; s++) {
        uint8_t key[8];
        char value[32];
        storage_be64_put(key, s);
        snprintf(value, sizeof value, "entry %llu", (unsigned long long)s);
        assert_int_equal(storage_put(&txn, TABLE_JOURNAL, key, 8, value,
                                     strlen(value), STORAGE_PUT_APPEND),
                         STORAGE_OK);
        hash_sha256(value, strlen(value), hash);
    }
    notary_on_commit(n, &txn, from, to, hash);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
}

static void test_notary(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    char err[512];
    storage *st = NULL;
    notary *n = NULL;
    assert_int_equal(storage_open(&st, dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    assert_int_equal(notary_open(&n, dir, st, 10, 86400, err, sizeof err), 0);
    commit_entries(st, n, 0, 3);   /* first ever: signed (time is due) */
    commit_entries(st, n, 3, 8);   /* no boundary, not due: not signed */
    commit_entries(st, n, 8, 12);  /* crosses 10: signed at 12 */
    commit_entries(st, n, 12, 25); /* crosses 20: signed at 25 */
    storage_txn txn;
    checkpoint cp;
    uint8_t h[32];
    assert_int_equal(storage_txn_begin(st, &txn, false), STORAGE_OK);
    assert_int_equal(notary_find(&txn, 0, &cp), STORAGE_OK);
    assert_int_equal(cp.entry, 25);
    assert_int_equal(notary_find(&txn, 4, &cp), STORAGE_OK);
    assert_int_equal(cp.entry, 12);
    assert_int_equal(notary_find(&txn, 26, &cp), STORAGE_NOT_FOUND);
    assert_int_equal(notary_entry_hash(&txn, 12, h), STORAGE_OK);
    assert_memory_equal(h, cp.hash, 32);
    assert_int_equal(notary_entry_hash(&txn, 99, h), STORAGE_NOT_FOUND);
    storage_txn_abort(&txn);
    uint8_t pk[32];
    char pub[600];
    snprintf(pub, sizeof pub, "%s/checkpoint.pub", dir);
    assert_int_equal(checkpoint_read_public_key(pub, pk, err, sizeof err), 0);
    assert_int_equal(checkpoint_check_signature(&cp, pk), 0);
    notary_close(&n);
    assert_null(n);
    /* Reopening loads the same key; a mismatched .pub is refused. */
    assert_int_equal(notary_open(&n, dir, st, 10, 86400, err, sizeof err), 0);
    notary_close(&n);
    FILE *f = fopen(pub, "w");
    fprintf(f, "%064d\n", 0);
    fclose(f);
    assert_int_equal(notary_open(&n, dir, st, 10, 86400, err, sizeof err), -1);
    assert_non_null(strstr(err, "does not belong"));
    storage_close(&st);
    testutil_rmtree(&dir);
}

/* --- metrics and codec ----------------------------------------------------- */

static void test_ops_codec_round_trip(void **state)
{
    (void)state;
    jifen_result results[2];
    memset(results, 0, sizeof results);
    results[0].status = JIFEN_STATUS_OK;
    results[0].has_stats = true;
    results[0].stats.commits = 7;
    results[0].stats.commit_p99_us = 1234;
    results[0].stats.peers = 3;
    results[1].status = JIFEN_STATUS_OK;
    results[1].has_checkpoint = true;
    snprintf(results[1].checkpoint.text, sizeof results[1].checkpoint.text,
             "jifen-cp1 5 x y z");
    results[1].checkpoint.entry = 5;
    results[1].checkpoint.has_entry_hash = true;
    memset(results[1].checkpoint.entry_hash, 7, 32);
    jifen_reply reply = {.status = JIFEN_STATUS_OK, .n_results = 2,
                         .results = results};
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(codec_reply_encode(&reply, &buf, &len), 0);
    jifen_reply back;
    char err[256];
    assert_int_equal(codec_reply_decode(buf, len, &back, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    assert_int_equal(back.n_results, 2);
    assert_true(back.results[0].has_stats);
    assert_int_equal(back.results[0].stats.commits, 7);
    assert_int_equal(back.results[0].stats.commit_p99_us, 1234);
    assert_int_equal(back.results[0].stats.peers, 3);
    assert_true(back.results[1].has_checkpoint);
    assert_string_equal(back.results[1].checkpoint.text, "jifen-cp1 5 x y z");
    assert_true(back.results[1].checkpoint.has_entry_hash);
    assert_memory_equal(back.results[1].checkpoint.entry_hash,
                        results[1].checkpoint.entry_hash, 32);
    codec_reply_clear(&back);

    jifen_command cmd = {.kind = JIFEN_CMD_CHECKPOINT, .entry = 42};
    jifen_request req = {.n_commands = 1, .commands = &cmd};
    jifen_request rback;
    assert_int_equal(codec_request_encode(&req, &buf, &len), 0);
    assert_int_equal(codec_request_decode(buf, len, &rback, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    assert_int_equal(rback.commands[0].kind, JIFEN_CMD_CHECKPOINT);
    assert_int_equal(rback.commands[0].entry, 42);
    assert_false(jifen_command_is_write(JIFEN_CMD_STATS));
    codec_request_clear(&rback);
}

int main(void)
{
    if (hash_init() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_ranges),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_checkpoint_text),
        cmocka_unit_test(test_tree_head_text),
        cmocka_unit_test(test_notary),
        cmocka_unit_test(test_ops_codec_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
