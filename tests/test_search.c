/*
 * search: the household search query (issue 17) on a real LMDB ledger,
 * its wire form through the codec, and the desk's redeem cap
 * (policy_redeem_most) against the ledger's own check.
 */
#include "codec.h"
#include "hash.h"
#include "ledger.h"
#include "policy.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const ledger_caller LOCAL_TEST = {.role = JIFEN_ROLE_NONE, .author = "test"};

typedef struct {
    char *dir;
    ledger *led;
    policy pol;
    int next_id;
} fixture;

static int setup(void **state)
{
    static fixture f;
    char err[512];
    memset(&f, 0, sizeof f);
    assert_int_equal(hash_init(), 0);
    f.dir = testutil_tmpdir();
    assert_non_null(f.dir);
    assert_int_equal(policy_load_default(&f.pol, err, sizeof err), 0);
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20};
    assert_int_equal(ledger_open(&f.led, f.dir, &f.pol, &lo, err, sizeof err),
                     LEDGER_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ledger_close(&f->led);
    testutil_rmtree(&f->dir);
    return 0;
}

static void add(fixture *f, const char *code, const char *name)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_HOUSEHOLD_ADD;
    snprintf(c.household, sizeof c.household, "%s", code);
    snprintf(c.name, sizeof c.name, "%s", name);
    jifen_request req = {.n_commands = 1, .commands = &c};
    snprintf(req.request_id, sizeof req.request_id, "add-%d", ++f->next_id);
    uint8_t digest[JIFEN_HASH_LEN];
    hash_request_digest(&req, digest);
    jifen_reply reply;
    assert_int_equal(ledger_write_begin(f->led), LEDGER_OK);
    assert_int_equal(ledger_apply(f->led, &req, digest, &LOCAL_TEST,
                                  1700000000000, &reply),
                     LEDGER_OK);
    assert_int_equal(ledger_write_commit(f->led), LEDGER_OK);
    assert_int_equal(reply.results[0].status, JIFEN_STATUS_OK);
    codec_reply_clear(&reply);
}

/* The codes found for query q (limit n), space-separated, into out. */
static jifen_status search(fixture *f, const char *q, uint32_t limit,
                           char *out, size_t cap)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_HOUSEHOLD_SEARCH;
    snprintf(c.name, sizeof c.name, "%s", q);
    c.limit = limit;
    jifen_request req = {.n_commands = 1, .commands = &c};
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    jifen_result *r = &reply.results[0];
    out[0] = '\0';
    for (size_t i = 0; i < r->n_households; i++) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? " " : "",
                 r->households[i].household);
    }
    jifen_status s = r->status;
    codec_reply_clear(&reply);
    return s;
}

static void test_code_prefix_and_name(void **state)
{
    fixture *f = *state;
    add(f, "3-2-501", "张伟");
    add(f, "3-2-502", "Zhang Min");
    add(f, "3-1-101", "李娜");
    add(f, "A-101", "Wang Fang");
    add(f, "13-2-501", "");
    char got[512];

    assert_int_equal(search(f, "3-2", 0, got, sizeof got), JIFEN_STATUS_OK);
    assert_string_equal(got, "3-2-501 3-2-502"); /* not 13-2-501 */
    assert_int_equal(search(f, "3-2-501", 0, got, sizeof got), JIFEN_STATUS_OK);
    assert_string_equal(got, "3-2-501");
    /* Names: a part of them, ASCII without case, Chinese byte for byte. */
    assert_int_equal(search(f, "zhang", 0, got, sizeof got), JIFEN_STATUS_OK);
    assert_string_equal(got, "3-2-502");
    assert_int_equal(search(f, "伟", 0, got, sizeof got), JIFEN_STATUS_OK);
    assert_string_equal(got, "3-2-501");
    assert_int_equal(search(f, "a-1", 0, got, sizeof got), JIFEN_STATUS_OK);
    assert_string_equal(got, "A-101");
    assert_int_equal(search(f, "nobody", 0, got, sizeof got), JIFEN_STATUS_OK);
    assert_string_equal(got, "");
    /* Bounded: code order, at most limit. */
    assert_int_equal(search(f, "3", 2, got, sizeof got), JIFEN_STATUS_OK);
    assert_string_equal(got, "3-1-101 3-2-501");
}

static void test_matches_carry_balances(void **state)
{
    fixture *f = *state;
    add(f, "3-2-501", "张伟");
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_HOUSEHOLD_SEARCH;
    snprintf(c.name, sizeof c.name, "3-2-501");
    jifen_request req = {.n_commands = 1, .commands = &c};
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.results[0].n_households, 1);
    assert_string_equal(reply.results[0].households[0].name, "张伟");
    assert_int_equal(reply.results[0].households[0].points, 0);

    /* Through the wire and back, as a client sees it. */
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(codec_reply_encode(&reply, &buf, &len), 0);
    jifen_reply back;
    char err[256];
    assert_int_equal(codec_reply_decode(buf, len, &back, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_int_equal(back.results[0].n_households, 1);
    assert_string_equal(back.results[0].households[0].household, "3-2-501");
    assert_string_equal(back.results[0].households[0].name, "张伟");
    free(buf);
    codec_reply_clear(&back);
    codec_reply_clear(&reply);
}

/* The codec refuses an empty query and a limit above the bound. */
static void test_codec_validates(void **state)
{
    (void)state;
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_HOUSEHOLD_SEARCH;
    jifen_request req = {.n_commands = 1, .commands = &c};
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[256];
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_non_null(strstr(err, "query"));
    snprintf(c.name, sizeof c.name, "3-2");
    c.limit = JIFEN_SEARCH_MAX + 1;
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_non_null(strstr(err, "limit"));
    /* A crafted frame with the bad limit is refused by the decoder too. */
    assert_int_equal(codec_request_encode(&req, &buf, &len), 0);
    jifen_request back;
    assert_int_equal(codec_request_decode(buf, len, &back, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    free(buf);
    c.limit = JIFEN_SEARCH_MAX;
    assert_int_equal(codec_request_encode(&req, &buf, &len), 0);
    assert_int_equal(codec_request_decode(buf, len, &back, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_int_equal(back.commands[0].kind, JIFEN_CMD_HOUSEHOLD_SEARCH);
    assert_string_equal(back.commands[0].name, "3-2");
    assert_int_equal(back.commands[0].limit, JIFEN_SEARCH_MAX);
    codec_request_clear(&back);
    free(buf);
}

/* What the desk shows as "points can pay now" is what the ledger accepts:
 * the most, and not one point more. */
static void test_redeem_most_agrees_with_the_ledger(void **state)
{
    fixture *f = *state;
    static const int64_t dues[] = {0, -500, 1, 99, 100, 199, 12825, 100001,
                                   99999999};
    for (size_t i = 0; i < sizeof dues / sizeof *dues; i++) {
        uint64_t limit, off;
        char err[256];
        uint64_t most = policy_redeem_most(&f->pol, dues[i], &limit);
        if (most > 0)
            assert_int_equal(policy_redeem_offset(&f->pol, most, dues[i], &off,
                                                  err, sizeof err),
                             JIFEN_STATUS_OK);
        assert_int_equal(policy_redeem_offset(&f->pol, most + 1, dues[i], &off,
                                              err, sizeof err),
                         JIFEN_STATUS_CAP_EXCEEDED);
        assert_true(most * f->pol.fen_per_point <= limit);
    }
    uint64_t limit;
    assert_int_equal(policy_redeem_most(&f->pol, 12825, &limit), 64);
    assert_int_equal(limit, 6412); /* 50 % of 128.25 yuan, rounded down */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_code_prefix_and_name),
        T(test_matches_carry_balances),
        T(test_codec_validates),
        T(test_redeem_most_agrees_with_the_ledger),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
