/*
 * querypool: the query threads on a real ledger. Keys take turns (a key
 * with many queries queued does not make another wait behind all of
 * them), a key's queue is bounded, a request is judged whole against its
 * cost before it runs (querycost.h) and stops when its reply grows past
 * the limit, and what is answered is what ledger_query answers.
 */
#include "codec.h"
#include "querycost.h"
#include "querypool.h"
#include "testutil.h"

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A rule set with many activities: its text (policy show) is long, so that
 * many of them make a reply of megabytes. */
static char rules_text[16384];

static const char *make_rules(void)
{
    size_t n = (size_t)snprintf(rules_text, sizeof rules_text,
                                "version = pool-1\nfen_per_point = 100\n"
                                "max_offset_percent = 50\n");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(rules_text + n, sizeof rules_text - n,
                              "[activity activity-with-a-long-code-%02d]\n"
                              "points = %d\n",
                              i, i + 1);
    return rules_text;
}

typedef struct {
    testutil_book book;
} fixture;

static int setup(void **state)
{
    static fixture f;
    const char *rules = make_rules();
    assert_int_equal(testutil_book_open(&f.book, &rules, 1), 0);
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_HOUSEHOLD_ADD;
    snprintf(c.household, sizeof c.household, "h1");
    jifen_result r;
    assert_int_equal(
        testutil_book_write(&f.book, 1700000000000, "clerk", &c, &r), 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    testutil_book_close(&f->book);
    return 0;
}

/* A query request of n commands like `c`, encoded; the bytes are the
 * caller's (the pool takes them on a successful submit). */
static uint8_t *encode(const jifen_command *c, size_t n, const char *id,
                       size_t *len)
{
    jifen_request req;
    memset(&req, 0, sizeof req);
    snprintf(req.request_id, sizeof req.request_id, "%s", id);
    req.commands = calloc(n, sizeof *req.commands);
    assert_non_null(req.commands);
    for (size_t i = 0; i < n; i++)
        req.commands[i] = *c;
    req.n_commands = n;
    uint8_t *bytes = NULL;
    assert_int_equal(codec_request_encode(&req, &bytes, len), 0);
    free(req.commands);
    return bytes;
}

static jifen_command cmd(jifen_command_kind kind)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (kind == JIFEN_CMD_BALANCE || kind == JIFEN_CMD_HISTORY)
        snprintf(c.household, sizeof c.household, "h1");
    return c;
}

static bool submit(querypool *p, fixture *f, const char *key,
                   const jifen_command *c, size_t n, const char *id)
{
    size_t len;
    uint8_t *bytes = encode(c, n, id, &len);
    const uint8_t peer[] = {1, 2, 3};
    bool ok =
        querypool_submit(p, f->book.led, key, peer, sizeof peer, bytes, len);
    if (!ok)
        free(bytes);
    return ok;
}

/* The next answered query, decoded (waits up to a minute). */
static void next_reply(querypool *p, jifen_reply *reply)
{
    querypool_reply r;
    for (int i = 0; i < 600 && !querypool_take(p, &r); i++) {
        struct pollfd pfd = {querypool_fd(p), POLLIN, 0};
        poll(&pfd, 1, 100);
    }
    assert_non_null(r.bytes);
    assert_int_equal(r.peer_len, 3);
    char err[256];
    assert_int_equal(codec_reply_decode(r.bytes, r.len, reply, err, sizeof err),
                     JIFEN_STATUS_OK);
    querypool_reply_clear(&r);
}

/* Keys take turns: A queued three, B one after them; with one thread B's
 * comes second, not last. */
static void test_keys_take_turns(void **state)
{
    fixture *f = *state;
    querypool *p = querypool_new(1, true);
    assert_non_null(p);
    jifen_command b = cmd(JIFEN_CMD_BALANCE);
    assert_true(submit(p, f, "key-A", &b, 1, "a1"));
    assert_true(submit(p, f, "key-A", &b, 1, "a2"));
    assert_true(submit(p, f, "key-A", &b, 1, "a3"));
    assert_true(submit(p, f, "key-B", &b, 1, "b1"));
    assert_int_equal(querypool_queued(p), 4);
    assert_int_equal(querypool_start(p), 0);
    const char *order[] = {"a1", "b1", "a2", "a3"};
    for (size_t i = 0; i < 4; i++) {
        jifen_reply reply;
        next_reply(p, &reply);
        assert_string_equal(reply.request_id, order[i]);
        assert_int_equal(reply.status, JIFEN_STATUS_OK);
        assert_int_equal(reply.n_results, 1);
        assert_true(reply.results[0].has_balance);
        codec_reply_clear(&reply);
    }
    querypool_destroy(&p);
    assert_null(p);
}

/* One key's queue is bounded; the other keys' are not touched by it. */
static void test_key_queue_bounded(void **state)
{
    fixture *f = *state;
    querypool *p = querypool_new(1, true);
    jifen_command b = cmd(JIFEN_CMD_BALANCE);
    for (int i = 0; i < QUERYPOOL_KEY_REQUESTS; i++)
        assert_true(submit(p, f, "key-A", &b, 1, "a"));
    assert_false(submit(p, f, "key-A", &b, 1, "a-too-many"));
    assert_true(submit(p, f, "key-B", &b, 1, "b"));
    /* Bytes too: 8192 balances of 32-character doors are some 350 KB. */
    jifen_command big = cmd(JIFEN_CMD_BALANCE);
    memset(big.household, 'x', JIFEN_HOUSEHOLD_MAX);
    size_t len;
    uint8_t *bytes = encode(&big, JIFEN_BATCH_MAX, "c", &len);
    free(bytes);
    size_t fit = QUERYPOOL_KEY_BYTES / len;
    size_t sent = 0;
    while (sent <= fit && submit(p, f, "key-C", &big, JIFEN_BATCH_MAX, "c"))
        sent++;
    assert_true(sent <= fit);
    assert_true(sent < QUERYPOOL_KEY_REQUESTS);
    assert_true(submit(p, f, "key-D", &b, 1, "d"));
    querypool_destroy(&p); /* drops what is queued, without leaks */
}

/* A request is judged whole, before it runs. */
static void test_too_costly_refused(void **state)
{
    fixture *f = *state;
    querypool *p = querypool_new(2, false);
    jifen_reply reply;

    /* 2,000 histories of 20 entries: a 49 MiB reply, refused at once. */
    jifen_command h = cmd(JIFEN_CMD_HISTORY);
    assert_true(submit(p, f, "key-A", &h, 2000, "histories"));
    next_reply(p, &reply);
    assert_int_equal(reply.status, JIFEN_STATUS_REQUEST_TOO_COSTLY);
    assert_int_equal(reply.n_results, 0);
    assert_string_equal(reply.request_id, "histories");
    assert_non_null(strstr(reply.error, "8 MiB"));
    codec_reply_clear(&reply);

    /* 30 verifications: 30 passes over the ledger. */
    jifen_command v = cmd(JIFEN_CMD_VERIFY);
    assert_true(submit(p, f, "key-A", &v, 30, "verifies"));
    next_reply(p, &reply);
    assert_int_equal(reply.status, JIFEN_STATUS_REQUEST_TOO_COSTLY);
    assert_non_null(strstr(reply.error, "30 whole-ledger command(s)"));
    assert_non_null(strstr(reply.error, "one pass, plus 20000"));
    codec_reply_clear(&reply);

    /* One verification, and one with many small queries, are fine. */
    assert_true(submit(p, f, "key-A", &v, 1, "one-verify"));
    next_reply(p, &reply);
    assert_int_equal(reply.status, JIFEN_STATUS_OK);
    assert_true(reply.results[0].verify.ok);
    codec_reply_clear(&reply);
    /* 200 histories of 20 entries: 4,000 entries, under the 8 MiB of a
     * reply at ~1.9 KB an entry (the desk's fields made it larger). */
    assert_true(submit(p, f, "key-A", &h, 200, "histories-200"));
    next_reply(p, &reply);
    assert_int_equal(reply.status, JIFEN_STATUS_OK);
    assert_int_equal(reply.n_results, 200);
    codec_reply_clear(&reply);
    querypool_destroy(&p);
}

/* What grows only as it runs is stopped at the first command that takes
 * the reply past the limit. */
static void test_reply_stopped_at_limit(void **state)
{
    fixture *f = *state;
    querypool *p = querypool_new(1, false);
    jifen_command show = cmd(JIFEN_CMD_POLICY);
    snprintf(show.name, sizeof show.name, "pool-1");
    jifen_reply reply;
    assert_true(submit(p, f, "key-A", &show, JIFEN_BATCH_MAX, "shows"));
    next_reply(p, &reply);
    assert_int_equal(reply.status, JIFEN_STATUS_REQUEST_TOO_COSTLY);
    assert_int_equal(reply.n_results, 0);
    assert_non_null(strstr(reply.error, "at command "));
    assert_non_null(strstr(reply.error, "at most 8 MiB per reply"));
    codec_reply_clear(&reply);
    /* Fewer of them stay within what the results may hold, but not within
     * what a reply may be on the wire (as much as a request). */
    assert_true(submit(p, f, "key-A", &show, 2000, "fewer-shows"));
    next_reply(p, &reply);
    assert_int_equal(reply.status, JIFEN_STATUS_REQUEST_TOO_COSTLY);
    assert_string_equal(reply.request_id, "fewer-shows");
    assert_non_null(strstr(reply.error, "on the wire; at most 4 MiB"));
    codec_reply_clear(&reply);
    assert_true(submit(p, f, "key-A", &show, 100, "some-shows"));
    next_reply(p, &reply);
    assert_int_equal(reply.status, JIFEN_STATUS_OK);
    assert_int_equal(reply.n_results, 100);
    codec_reply_clear(&reply);
    querypool_destroy(&p);
}

/* The pool answers what ledger_query answers. */
static void test_same_answers(void **state)
{
    fixture *f = *state;
    querypool *p = querypool_new(2, false);
    jifen_command cs[] = {cmd(JIFEN_CMD_BALANCE), cmd(JIFEN_CMD_HISTORY),
                          cmd(JIFEN_CMD_VERIFY), cmd(JIFEN_CMD_KEY_LIST)};
    jifen_request req = {.n_commands = 4, .commands = cs};
    snprintf(req.request_id, sizeof req.request_id, "same");
    uint8_t *bytes = NULL, *direct = NULL;
    size_t len, dlen;
    assert_int_equal(codec_request_encode(&req, &bytes, &len), 0);
    const uint8_t peer[] = {1, 2, 3};
    assert_true(querypool_submit(p, f->book.led, "key-A", peer, 3, bytes, len));
    jifen_reply pooled, reply;
    next_reply(p, &pooled);
    assert_int_equal(ledger_query(f->book.led, &req, &reply), LEDGER_OK);
    uint8_t *again = NULL;
    size_t alen;
    assert_int_equal(codec_reply_encode(&reply, &direct, &dlen), 0);
    assert_int_equal(codec_reply_encode(&pooled, &again, &alen), 0);
    assert_int_equal(alen, dlen);
    assert_memory_equal(again, direct, dlen);
    free(direct);
    free(again);
    codec_reply_clear(&reply);
    codec_reply_clear(&pooled);
    querypool_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_take_turns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_queue_bounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_too_costly_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reply_stopped_at_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_same_answers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
