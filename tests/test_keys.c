/*
 * keys: the role matrix cell by cell, key records in a real LMDB, the
 * snapshot the ZAP handler reads, and Z85 (common/keyfile) against the
 * RFC 32 test vector.
 */
#include "codec.h"
#include "keyfile.h"
#include "keys.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* docs/security.md, written out again: C committee, T terminal, A auditor,
 * D admin. */
static const struct {
    jifen_command_kind kind;
    const char *roles;
} MATRIX[] = {
    {JIFEN_CMD_HOUSEHOLD_ADD, "C"}, {JIFEN_CMD_AWARD, "C"},
    {JIFEN_CMD_DEDUCT, "C"},        {JIFEN_CMD_BILL, "T"},
    {JIFEN_CMD_PAY, "T"},           {JIFEN_CMD_REDEEM, "T"},
    {JIFEN_CMD_REVERSE, "CT"},      {JIFEN_CMD_BALANCE, "CTAD"},
    {JIFEN_CMD_HISTORY, "CTAD"},    {JIFEN_CMD_VERIFY, "AD"},
    {JIFEN_CMD_KEY_ENROL, "D"},     {JIFEN_CMD_KEY_REVOKE, "D"},
    {JIFEN_CMD_KEY_LIST, "AD"},     {JIFEN_CMD_CHECKPOINT, "CTAD"},
    {JIFEN_CMD_STATS, "AD"},        {JIFEN_CMD_FEED, "AD"},
    {JIFEN_CMD_POLICY, "CTAD"},     {JIFEN_CMD_OBJECT, "C"},
    {JIFEN_CMD_APPROVE, "C"},       {JIFEN_CMD_RELEASE, ""},
    {JIFEN_CMD_NOTICES, "CTAD"},    {JIFEN_CMD_EXPIRE, ""},
    {JIFEN_CMD_REPORT, "CTAD"},     {JIFEN_CMD_SETTLE, "T"},
    {JIFEN_CMD_POLICY_LOAD, "D"},   {JIFEN_CMD_INCLUSION, "CTAD"},
    {JIFEN_CMD_CONSISTENCY, "CTAD"}, {JIFEN_CMD_TREE_HEAD, "CTAD"},
    {JIFEN_CMD_HOUSEHOLD_SEARCH, "CTAD"},
    {JIFEN_CMD_REFUND, "T"},        {JIFEN_CMD_SHIFT_CLOSE, "T"},
    {JIFEN_CMD_BILLING_PLAN, "TAD"}, {JIFEN_CMD_ONTIME_AWARD, ""},
    {JIFEN_CMD_RECEIPT, "CTAD"},    {JIFEN_CMD_SHIFTS, "TAD"},
    {JIFEN_CMD_HOUSEHOLD_SET, "CT"},
    /* the service's own (docs/communities.md) */
    {JIFEN_CMD_COMMUNITY_CREATE, "D"}, {JIFEN_CMD_COMMUNITY_CLOSE, "D"},
    {JIFEN_CMD_COMMUNITY_LIST, "CTAD"}, {JIFEN_CMD_ROLLUP, "AD"},
    /* the committee's month (issue 15) */
    {JIFEN_CMD_MEMBER_SET, "C"},      {JIFEN_CMD_PROXY_CONSENT, "C"},
    {JIFEN_CMD_ITEM_SET, "C"},        {JIFEN_CMD_STOCK_CHANGE, "C"},
    {JIFEN_CMD_GOODS_REDEEM, "C"},    {JIFEN_CMD_PICKUP, "C"},
    {JIFEN_CMD_FUNDER_SETTLE, "C"},   {JIFEN_CMD_OPENING, "CD"},
    {JIFEN_CMD_PASSBOOK_MARK, "CT"},
};
/* Every kind is in the table above: a new command must say who may. */
_Static_assert(sizeof MATRIX / sizeof MATRIX[0] == JIFEN_CMD_KINDS - 1,
               "a command kind is missing from the test's matrix");
static const char ROLE_LETTER[] = {[JIFEN_ROLE_COMMITTEE] = 'C',
                                   [JIFEN_ROLE_TERMINAL] = 'T',
                                   [JIFEN_ROLE_AUDITOR] = 'A',
                                   [JIFEN_ROLE_ADMIN] = 'D'};

static void test_matrix(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof MATRIX / sizeof MATRIX[0]; i++) {
        for (int r = JIFEN_ROLE_COMMITTEE; r <= JIFEN_ROLE_ADMIN; r++) {
            bool want = strchr(MATRIX[i].roles, ROLE_LETTER[r]) != NULL;
            if (keys_role_may((jifen_role)r, MATRIX[i].kind) != want)
                fail_msg("%s for %s: expected %s",
                         codec_command_name(MATRIX[i].kind),
                         jifen_role_name((jifen_role)r),
                         want ? "allowed" : "refused");
        }
        /* No role, or one out of range: nothing at all. */
        assert_false(keys_role_may(JIFEN_ROLE_NONE, MATRIX[i].kind));
        assert_false(keys_role_may((jifen_role)99, MATRIX[i].kind));
    }
    assert_false(keys_role_may(JIFEN_ROLE_ADMIN, JIFEN_CMD_NONE));
    assert_false(keys_role_may(JIFEN_ROLE_ADMIN, (jifen_command_kind)1000));
}

static void test_who_reverses_what(void **state)
{
    (void)state;
    assert_true(keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_AWARD));
    assert_true(keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_DEDUCT));
    assert_false(keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_BILL));
    assert_true(keys_role_may_reverse(JIFEN_ROLE_TERMINAL, JIFEN_CMD_BILL));
    assert_true(keys_role_may_reverse(JIFEN_ROLE_TERMINAL, JIFEN_CMD_PAY));
    assert_true(keys_role_may_reverse(JIFEN_ROLE_TERMINAL, JIFEN_CMD_REDEEM));
    assert_true(keys_role_may_reverse(JIFEN_ROLE_TERMINAL, JIFEN_CMD_REFUND));
    assert_false(
        keys_role_may_reverse(JIFEN_ROLE_TERMINAL, JIFEN_CMD_ONTIME_AWARD));
    assert_false(keys_role_may_reverse(JIFEN_ROLE_TERMINAL, JIFEN_CMD_AWARD));
    assert_false(keys_role_may_reverse(JIFEN_ROLE_ADMIN, JIFEN_CMD_KEY_ENROL));
    assert_false(keys_role_may_reverse(JIFEN_ROLE_AUDITOR, JIFEN_CMD_AWARD));
    assert_false(
        keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_HOUSEHOLD_ADD));
    assert_false(keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_REVERSE));
    /* issue 15: the committee corrects its supermarket and opening
     * entries; the admin may import an opening but not reverse it, and
     * registrations (members, items, stock, pickups) are not reversible. */
    assert_true(
        keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_GOODS_REDEEM));
    assert_true(keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_OPENING));
    assert_true(
        keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_FUNDER_SETTLE));
    assert_false(keys_role_may_reverse(JIFEN_ROLE_ADMIN, JIFEN_CMD_OPENING));
    assert_false(
        keys_role_may_reverse(JIFEN_ROLE_TERMINAL, JIFEN_CMD_GOODS_REDEEM));
    assert_false(
        keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_MEMBER_SET));
    assert_false(keys_role_may_reverse(JIFEN_ROLE_COMMITTEE, JIFEN_CMD_PICKUP));
}

static void key_z85(uint8_t seed, char out[JIFEN_KEY_Z85_LEN + 1])
{
    uint8_t sec[KEYFILE_KEY_LEN], pub[KEYFILE_KEY_LEN];
    memset(sec, seed, sizeof sec);
    assert_int_equal(keyfile_public_of(sec, pub), 0);
    keyfile_z85_encode(pub, out);
}

static void test_records_and_snapshot(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir(), err[256];
    char a[JIFEN_KEY_Z85_LEN + 1], b[JIFEN_KEY_Z85_LEN + 1];
    storage *st = NULL;
    storage_txn txn;
    keys_snapshot snap;
    keys_record rec = {.role = JIFEN_ROLE_TERMINAL, .enrolled_entry = 7,
                       .label = "Desk 1"},
                got;

    assert_int_equal(storage_open(&st, dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    key_z85(1, a);
    key_z85(2, b);
    keys_snapshot_init(&snap);
    assert_false(keys_snapshot_has(&snap, a)); /* empty: nobody */

    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    assert_int_equal(keys_put(&txn, a, &rec), STORAGE_OK);
    rec.revoked = true;
    rec.revoked_entry = 9;
    assert_int_equal(keys_put(&txn, b, &rec), STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);

    assert_int_equal(storage_txn_begin(st, &txn, false), STORAGE_OK);
    assert_int_equal(keys_get(&txn, a, &got), STORAGE_OK);
    assert_int_equal(got.role, JIFEN_ROLE_TERMINAL);
    assert_false(got.revoked);
    assert_int_equal(got.enrolled_entry, 7);
    assert_string_equal(got.label, "Desk 1");
    assert_int_equal(keys_get(&txn, "nobody", &got), STORAGE_NOT_FOUND);
    assert_int_equal(keys_snapshot_load(&snap, &txn), STORAGE_OK);
    jifen_key_info *list = NULL;
    size_t n = 0;
    assert_int_equal(keys_list(&txn, &list, &n), STORAGE_OK);
    assert_int_equal(n, 2);
    free(list);
    storage_txn_abort(&txn);

    assert_true(keys_snapshot_has(&snap, a));
    assert_false(keys_snapshot_has(&snap, b)); /* revoked */
    assert_false(keys_snapshot_has(&snap, "x"));
    keys_snapshot_destroy(&snap);
    storage_close(&st);
    testutil_rmtree(&dir);
}

/* ZeroMQ RFC 32's test vector, and what is not Z85. */
static void test_z85(void **state)
{
    (void)state;
    static const uint8_t rfc[8] = {0x86, 0x4F, 0xD2, 0x6F,
                                   0xB5, 0x59, 0xF7, 0x5B};
    uint8_t key[KEYFILE_KEY_LEN], back[KEYFILE_KEY_LEN];
    char z85[KEYFILE_Z85_LEN + 1];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = rfc[i % 8];
    keyfile_z85_encode(key, z85);
    assert_memory_equal(z85, "HelloWorld", 10);
    assert_int_equal(keyfile_z85_decode(z85, strlen(z85), back), 0);
    assert_memory_equal(back, key, sizeof key);
    assert_int_equal(keyfile_z85_decode(z85, 39, back), -1);
    z85[3] = ' ';
    assert_int_equal(keyfile_z85_decode(z85, 40, back), -1);
    /* "#####" is 85^5 - 1, more than 32 bits. */
    memcpy(z85, "#####", 5);
    assert_int_equal(keyfile_z85_decode(z85, 40, back), -1);
}

/* A file with `text` in it. */
static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Where a public key belongs (key enrol, --enrol, --server-key), a secret
 * key file is refused and the message names the public key file to give:
 * an enrolled secret would sit in the journal, exports and replicas. */
static void test_secret_key_is_no_public_key(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    char prefix[512], sec[600], pub[600], copy[600], junk[600], z85[41];
    char err[512];
    uint8_t key[KEYFILE_KEY_LEN], again[KEYFILE_KEY_LEN];
    snprintf(prefix, sizeof prefix, "%s/wang", dir);
    snprintf(sec, sizeof sec, "%s.key", prefix);
    snprintf(pub, sizeof pub, "%s.pub", prefix);
    assert_int_equal(keyfile_generate(sec, pub, z85, err, sizeof err), 0);

    assert_int_equal(keyfile_read_public(pub, key, err, sizeof err), 0);
    assert_int_equal(keyfile_read_public(z85, again, err, sizeof err), 0);
    assert_memory_equal(key, again, sizeof key);

    err[0] = '\0';
    assert_int_equal(keyfile_read_public(sec, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "secret key"));
    assert_non_null(strstr(err, pub));
    assert_non_null(strstr(err, "belongs to this secret key"));
    for (size_t i = 0; i < sizeof key; i++)
        assert_int_equal(key[i], 0); /* nothing of the secret handed out */

    /* A copy without its public half: still refused by its name. */
    snprintf(copy, sizeof copy, "%s/copied.key", dir);
    FILE *in = fopen(sec, "r");
    char line[64] = "";
    assert_non_null(in);
    assert_non_null(fgets(line, sizeof line, in));
    fclose(in);
    write_text(copy, line);
    assert_int_equal(keyfile_read_public(copy, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "copied.pub"));

    /* Anything that is not one line of a key. */
    snprintf(junk, sizeof junk, "%s/notes.txt", dir);
    write_text(junk, "this is not a key\n");
    assert_int_equal(keyfile_read_public(junk, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a key file"));
    char two[100];
    snprintf(two, sizeof two, "%s\n%s\n", z85, z85);
    write_text(junk, two);
    assert_int_equal(keyfile_read_public(junk, key, err, sizeof err), -1);
    testutil_rmtree(&dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_who_reverses_what),
        cmocka_unit_test(test_records_and_snapshot),
        cmocka_unit_test(test_z85),
        cmocka_unit_test(test_secret_key_is_no_public_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
