/*
 * ledger: the accounting rules (README.md, "Accounting model") against a real LMDB
 * environment in a temporary directory, with the embedded default policy.
 */
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "keyfile.h"
#include "keys.h"
#include "ledger.h"
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

/* The local operator: no key, so no role checks; "test" as the author. */
static const ledger_caller LOCAL_TEST = {.author = "test"};

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
    assert_null(f->led);
    testutil_rmtree(&f->dir);
    return 0;
}

static jifen_command make(jifen_command_kind kind, const char *household)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, "%s", household);
    return c;
}

static jifen_command award(const char *h, const char *activity, uint32_t hours)
{
    jifen_command c = make(JIFEN_CMD_AWARD, h);
    snprintf(c.code, sizeof c.code, "%s", activity);
    c.hours = hours;
    return c;
}

static jifen_command with_amount(jifen_command_kind kind, const char *h,
                                 uint64_t amount)
{
    jifen_command c = make(kind, h);
    c.amount = amount;
    if (kind == JIFEN_CMD_BILL)
        snprintf(c.period, sizeof c.period, "2026-11");
    return c;
}

/* Applies one request of one command in its own group commit; the result
 * is copied out and the reply freed. */
static jifen_result run_as(fixture *f, const char *request_id,
                           jifen_command cmd, jifen_status *reply_status)
{
    jifen_request req;
    memset(&req, 0, sizeof req);
    snprintf(req.request_id, sizeof req.request_id, "%s", request_id);
    req.n_commands = 1;
    req.commands = &cmd;
    uint8_t digest[JIFEN_HASH_LEN];
    hash_request_digest(&req, digest);
    jifen_reply reply;
    assert_int_equal(ledger_write_begin(f->led), LEDGER_OK);
    assert_int_equal(ledger_apply(f->led, &req, digest, &LOCAL_TEST, 1700000000000,
                                  &reply),
                     LEDGER_OK);
    assert_int_equal(ledger_write_commit(f->led), LEDGER_OK);
    jifen_result r;
    memset(&r, 0, sizeof r);
    if (reply_status)
        *reply_status = reply.status;
    if (reply.n_results == 1) {
        r = reply.results[0];
        r.history = NULL;
        r.n_history = 0;
    } else {
        r.status = reply.status;
    }
    codec_reply_clear(&reply);
    return r;
}

static jifen_result run(fixture *f, jifen_command cmd)
{
    char id[32];
    snprintf(id, sizeof id, "req-%d", ++f->next_id);
    return run_as(f, id, cmd, NULL);
}

static jifen_result query(fixture *f, jifen_command cmd)
{
    jifen_request req;
    memset(&req, 0, sizeof req);
    req.n_commands = 1;
    req.commands = &cmd;
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.n_results, 1);
    jifen_result r = reply.results[0];
    r.history = NULL;
    r.n_history = 0;
    codec_reply_clear(&reply);
    return r;
}

static jifen_balance balance(fixture *f, const char *h)
{
    jifen_result r = query(f, make(JIFEN_CMD_BALANCE, h));
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    return r.balance;
}

static void assert_verifies(fixture *f, uint64_t entries)
{
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    if (!rep.ok)
        fail_msg("verify: entry %llu: %s", (unsigned long long)rep.bad_entry,
                 rep.problem);
    assert_int_equal(rep.entries, entries);
}

static void add_household(fixture *f, const char *h)
{
    jifen_command c = make(JIFEN_CMD_HOUSEHOLD_ADD, h);
    snprintf(c.name, sizeof c.name, "Resident of %s", h);
    c.area_centi_m2 = 8550;
    assert_int_equal(run(f, c).status, JIFEN_STATUS_OK);
}

static void test_register_twice_is_refused(void **state)
{
    fixture *f = *state;
    add_household(f, "3-2-501");
    jifen_result r = run(f, make(JIFEN_CMD_HOUSEHOLD_ADD, "3-2-501"));
    assert_int_equal(r.status, JIFEN_STATUS_HOUSEHOLD_EXISTS);
    jifen_balance b = balance(f, "3-2-501");
    assert_string_equal(b.name, "Resident of 3-2-501");
    assert_int_equal(b.area_centi_m2, 8550);
    assert_int_equal(b.points, 0);
    assert_verifies(f, 1);
}

static void test_award_posts_issuance_to_household(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    jifen_result r = run(f, award("h1", "meeting", 0));
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    const policy_activity *meeting = policy_find_activity(&f->pol, "meeting");
    assert_non_null(meeting);
    assert_int_equal(r.points, meeting->points);
    assert_int_equal(r.entry, 2);
    assert_int_equal(r.n_postings, 1);
    assert_string_equal(r.postings[0].debit, "community/points-issued");
    assert_string_equal(r.postings[0].credit, "household/h1/points");
    assert_true(r.has_balance);
    assert_int_equal(r.balance.points, meeting->points);

    /* per-hour activity: hours beyond the cap are not counted */
    const policy_activity *vol = policy_find_activity(&f->pol, "volunteer");
    assert_non_null(vol);
    assert_true(vol->per_hour && vol->max_hours > 0);
    r = run(f, award("h1", "volunteer", vol->max_hours + 5));
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, vol->points * vol->max_hours);
    assert_int_equal(balance(f, "h1").points,
                     meeting->points + vol->points * vol->max_hours);
    assert_verifies(f, 3);
}

static void test_refusals_change_nothing(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    assert_int_equal(run(f, award("h1", "meeting", 0)).status,
                     JIFEN_STATUS_OK);
    uint64_t seq_before;
    uint8_t head_before[32], head_after[32];
    ledger_head(f->led, &seq_before, head_before);
    jifen_balance before = balance(f, "h1");

    jifen_command deduct = make(JIFEN_CMD_DEDUCT, "h1");
    snprintf(deduct.code, sizeof deduct.code, "free-riding");
    deduct.points = (uint32_t)before.points + 1;
    snprintf(deduct.note, sizeof deduct.note, "too much");
    jifen_result r = run(f, deduct);
    /* either the rule's cap or the balance refuses it; never applied */
    assert_true(r.status == JIFEN_STATUS_INSUFFICIENT_POINTS ||
                r.status == JIFEN_STATUS_CAP_EXCEEDED);
    assert_int_equal(run(f, award("nobody", "meeting", 0)).status,
                     JIFEN_STATUS_UNKNOWN_HOUSEHOLD);
    assert_int_equal(run(f, award("h1", "no-such-activity", 0)).status,
                     JIFEN_STATUS_UNKNOWN_ACTIVITY);
    assert_int_equal(
        run(f, with_amount(JIFEN_CMD_REDEEM, "h1", (uint64_t)before.points + 1))
            .status,
        JIFEN_STATUS_INSUFFICIENT_POINTS);

    uint64_t seq_after;
    ledger_head(f->led, &seq_after, head_after);
    assert_int_equal(seq_after, seq_before);
    assert_memory_equal(head_after, head_before, 32);
    jifen_balance after = balance(f, "h1");
    assert_int_equal(after.points, before.points);
    assert_int_equal(after.fee_due_fen, before.fee_due_fen);
    assert_verifies(f, seq_before);
}

static void test_bill_pay_and_redeem_with_rate_and_cap(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    for (int i = 0; i < 20; i++)
        assert_int_equal(run(f, award("h1", "meeting", 0)).status,
                         JIFEN_STATUS_OK);
    int64_t points = balance(f, "h1").points;

    /* nothing due yet: points cannot pay anything */
    assert_int_equal(run(f, with_amount(JIFEN_CMD_REDEEM, "h1", 1)).status,
                     JIFEN_STATUS_CAP_EXCEEDED);

    assert_int_equal(run(f, with_amount(JIFEN_CMD_BILL, "h1", 6050)).status,
                     JIFEN_STATUS_OK);
    assert_int_equal(run(f, with_amount(JIFEN_CMD_PAY, "h1", 2050)).status,
                     JIFEN_STATUS_OK);
    assert_int_equal(balance(f, "h1").fee_due_fen, 4000);

    /* the cap: at most max_offset_percent of the fee due */
    uint64_t cap_fen = 4000ull * f->pol.max_offset_percent / 100;
    uint64_t most = cap_fen / f->pol.fen_per_point;
    assert_true(most >= 1 && (int64_t)most <= points);
    assert_int_equal(
        run(f, with_amount(JIFEN_CMD_REDEEM, "h1", most + 1)).status,
        JIFEN_STATUS_CAP_EXCEEDED);

    jifen_result r = run(f, with_amount(JIFEN_CMD_REDEEM, "h1", most));
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, most);
    assert_int_equal(r.offset_fen, most * f->pol.fen_per_point);
    assert_int_equal(r.n_postings, 2);
    assert_string_equal(r.postings[0].debit, "household/h1/points");
    assert_string_equal(r.postings[0].credit, "community/points-redeemed");
    assert_string_equal(r.postings[1].debit, "community/points-offset");
    assert_string_equal(r.postings[1].credit, "household/h1/fee");
    jifen_balance b = balance(f, "h1");
    assert_int_equal(b.points, points - (int64_t)most);
    assert_int_equal(b.fee_due_fen,
                     4000 - (int64_t)(most * f->pol.fen_per_point));
    assert_verifies(f, 1 + 20 + 2 + 1);
}

static void test_reverse_once_and_only_once(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    jifen_result bill = run(f, with_amount(JIFEN_CMD_BILL, "h1", 5000));
    assert_int_equal(bill.status, JIFEN_STATUS_OK);

    jifen_command rev = make(JIFEN_CMD_REVERSE, "");
    rev.entry = bill.entry;
    snprintf(rev.note, sizeof rev.note, "billed twice by mistake");
    jifen_result r = run(f, rev);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_string_equal(r.postings[0].debit, "community/fee-income");
    assert_string_equal(r.postings[0].credit, "household/h1/fee");
    assert_int_equal(balance(f, "h1").fee_due_fen, 0);

    assert_int_equal(run(f, rev).status, JIFEN_STATUS_ALREADY_REVERSED);
    rev.entry = r.entry; /* a reversal itself */
    assert_int_equal(run(f, rev).status, JIFEN_STATUS_NOT_REVERSIBLE);
    rev.entry = 1; /* the registration */
    assert_int_equal(run(f, rev).status, JIFEN_STATUS_NOT_REVERSIBLE);
    rev.entry = 999;
    assert_int_equal(run(f, rev).status, JIFEN_STATUS_UNKNOWN_ENTRY);
    assert_verifies(f, 3);
}

static void test_reversing_spent_award_is_refused(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    jifen_result a = run(f, award("h1", "meeting", 0));
    assert_int_equal(run(f, with_amount(JIFEN_CMD_BILL, "h1", 100000)).status,
                     JIFEN_STATUS_OK);
    assert_int_equal(
        run(f, with_amount(JIFEN_CMD_REDEEM, "h1", a.points)).status,
        JIFEN_STATUS_OK);
    jifen_command rev = make(JIFEN_CMD_REVERSE, "");
    rev.entry = a.entry;
    snprintf(rev.note, sizeof rev.note, "did not attend");
    assert_int_equal(run(f, rev).status, JIFEN_STATUS_INSUFFICIENT_POINTS);
    assert_int_equal(balance(f, "h1").points, 0);
    assert_verifies(f, 4);
}

static void test_retry_applies_once_and_conflict_is_refused(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    jifen_status rs;
    jifen_result first = run_as(f, "fixed-id", award("h1", "meeting", 0), &rs);
    assert_int_equal(first.status, JIFEN_STATUS_OK);
    jifen_result again = run_as(f, "fixed-id", award("h1", "meeting", 0), &rs);
    assert_int_equal(rs, JIFEN_STATUS_OK);
    assert_int_equal(again.status, JIFEN_STATUS_EXISTS);
    assert_int_equal(again.entry, first.entry);
    assert_int_equal(balance(f, "h1").points, first.points);

    run_as(f, "fixed-id", award("h1", "volunteer", 1), &rs);
    assert_int_equal(rs, JIFEN_STATUS_ID_CONFLICT);
    assert_int_equal(balance(f, "h1").points, first.points);
    assert_verifies(f, 2);
}

/* Opens the closed ledger's files directly, in a write transaction, to
 * change them behind the ledger's back. */
static storage *raw_begin(fixture *f, storage_txn *txn)
{
    char err[256];
    storage *st = NULL;
    assert_int_equal(storage_open(&st, f->dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    assert_int_equal(storage_txn_begin(st, txn, true), STORAGE_OK);
    return st;
}

static void reopen(fixture *f)
{
    char err[256];
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20};
    assert_int_equal(
        ledger_open(&f->led, f->dir, &f->pol, &lo, err, sizeof err), LEDGER_OK);
}

/* Applies `req` in its own commit; the reply is the caller's to clear. */
static void apply_one(fixture *f, jifen_request *req, jifen_reply *reply)
{
    uint8_t digest[JIFEN_HASH_LEN];
    hash_request_digest(req, digest);
    assert_int_equal(ledger_write_begin(f->led), LEDGER_OK);
    assert_int_equal(
        ledger_apply(f->led, req, digest, &LOCAL_TEST, 1700000000000, reply),
        LEDGER_OK);
    assert_int_equal(ledger_write_commit(f->led), LEDGER_OK);
}

/* A retry's reply is the original, byte for byte, but for OK -> EXISTS:
 * from the compact record (request id and postings put back), across a
 * restart, and from a record stored whole as earlier builds wrote it. */
static void test_retry_replays_the_original_reply(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    add_household(f, "h2");
    jifen_command cmds[3] = {award("h1", "meeting", 0),
                             with_amount(JIFEN_CMD_BILL, "h2", 12000),
                             with_amount(JIFEN_CMD_REDEEM, "h1", 999999)};
    jifen_request req = {.n_commands = 3, .commands = cmds};
    snprintf(req.request_id, sizeof req.request_id, "batch-1");
    jifen_reply first, again;
    apply_one(f, &req, &first);
    assert_int_equal(first.results[0].n_postings, 1);
    assert_int_not_equal(first.results[2].status, JIFEN_STATUS_OK);
    codec_reply_mark_replayed(&first); /* what a retry must answer */
    uint8_t *want = NULL, *got = NULL;
    size_t want_len = 0, got_len = 0;
    assert_int_equal(codec_reply_encode(&first, &want, &want_len), 0);

    for (int round = 0; round < 3; round++) {
        if (round == 1) { /* across a restart */
            ledger_close(&f->led);
            reopen(f);
        }
        if (round == 2) { /* a record as earlier builds stored it */
            ledger_close(&f->led);
            storage_txn txn;
            storage *st = raw_begin(f, &txn);
            uint8_t digest[JIFEN_HASH_LEN], rec[8192];
            hash_request_digest(&req, digest);
            assert_true(JIFEN_HASH_LEN + want_len <= sizeof rec);
            memcpy(rec, digest, JIFEN_HASH_LEN);
            memcpy(rec + JIFEN_HASH_LEN, want, want_len);
            assert_int_equal(storage_put(&txn, TABLE_REQUESTS, "batch-1", 7,
                                         rec, JIFEN_HASH_LEN + want_len,
                                         STORAGE_PUT_OVERWRITE),
                             STORAGE_OK);
            assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
            storage_close(&st);
            reopen(f);
        }
        apply_one(f, &req, &again);
        assert_int_equal(codec_reply_encode(&again, &got, &got_len), 0);
        assert_int_equal(got_len, want_len);
        assert_memory_equal(got, want, want_len);
        free(got);
        codec_reply_clear(&again);
    }
    free(want);
    codec_reply_clear(&first);

    /* a batch larger than the compact form's: stored whole */
    jifen_command many[20];
    for (int i = 0; i < 20; i++)
        many[i] = with_amount(JIFEN_CMD_BILL, i % 2 ? "h1" : "h2", 100 + i);
    jifen_request big = {.n_commands = 20, .commands = many};
    snprintf(big.request_id, sizeof big.request_id, "batch-2");
    apply_one(f, &big, &first);
    codec_reply_mark_replayed(&first);
    assert_int_equal(codec_reply_encode(&first, &want, &want_len), 0);
    apply_one(f, &big, &again);
    assert_int_equal(codec_reply_encode(&again, &got, &got_len), 0);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
    free(want);
    codec_reply_clear(&again);
    codec_reply_clear(&first);
    assert_verifies(f, 24);
}

static void test_history_newest_first(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    add_household(f, "h10"); /* a code that extends h1's must not mix in */
    for (int i = 0; i < 5; i++)
        run(f, award("h1", "meeting", 0));
    run(f, award("h10", "meeting", 0));

    jifen_command q = make(JIFEN_CMD_HISTORY, "h1");
    q.limit = 3;
    jifen_request req = {.n_commands = 1, .commands = &q};
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    jifen_result *r = &reply.results[0];
    assert_int_equal(r->status, JIFEN_STATUS_OK);
    assert_int_equal(r->n_history, 3);
    assert_int_equal(r->history[0].seq, 7);
    assert_int_equal(r->history[1].seq, 6);
    assert_int_equal(r->history[2].seq, 5);
    assert_string_equal(r->history[0].author, "test");
    codec_reply_clear(&reply);

    q.limit = 100;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.results[0].n_history, 6); /* 5 awards + add */
    assert_int_equal(reply.results[0].history[5].command.kind,
                     JIFEN_CMD_HOUSEHOLD_ADD);
    codec_reply_clear(&reply);
}

/* The seqs of a household's history, newest first; returns how many. */
static size_t history_seqs(fixture *f, const char *h, uint64_t *seqs,
                           size_t max)
{
    jifen_command q = make(JIFEN_CMD_HISTORY, h);
    q.limit = (uint32_t)max;
    jifen_request req = {.n_commands = 1, .commands = &q};
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.results[0].status, JIFEN_STATUS_OK);
    size_t n = reply.results[0].n_history;
    for (size_t i = 0; i < n && i < max; i++)
        seqs[i] = reply.results[0].history[i].seq;
    codec_reply_clear(&reply);
    return n;
}

static void put_format(storage_txn *txn, const char *format)
{
    assert_int_equal(storage_put(txn, TABLE_META, "format", 6, format,
                                 strlen(format), STORAGE_PUT_OVERWRITE),
                     STORAGE_OK);
}

/* A ledger written by format 1 (the history index in a table of its own)
 * opens as format 2 with the same history, and verifies; a format this
 * build does not know is refused with a clear message. */
static void test_format_1_ledger_is_migrated(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    add_household(f, "h10");
    run(f, award("h1", "meeting", 0));
    run(f, award("h10", "meeting", 0));
    run(f, award("h1", "meeting", 0));
    ledger_close(&f->led);

    /* Put the history index and the counters back where format 1 kept
     * them: "<code>" NUL be64 seq in the history table, and
     * "count/<code>" NUL "<what>" NUL "<period>" in the meta table. */
    storage_txn txn;
    storage *st = raw_begin(f, &txn);
    uint8_t keys[16][96], vals[16][8];
    size_t lens[16], n = 0;
    storage_cursor *c = NULL;
    storage_val k, v;
    assert_int_equal(storage_cursor_open(&txn, TABLE_BALANCES, &c), STORAGE_OK);
    storage_error e = storage_cursor_first(c, &k, &v);
    for (; e == STORAGE_OK; e = storage_cursor_next(c, &k, &v)) {
        if (memchr(k.data, '\0', k.len) == NULL)
            continue; /* an account */
        const char *hh = (const char *)k.data + strlen("household/");
        uint8_t mark = (uint8_t)hh[strcspn(hh, "/") + 1];
        if (mark == 0x02 || mark == 0x03)
            continue; /* points lots: format 3 only, dropped below */
        assert_true(n < 16 && k.len <= sizeof keys[0] && v.len <= 8);
        memcpy(keys[n], k.data, k.len);
        memcpy(vals[n], v.data, v.len);
        lens[n++] = k.len;
    }
    storage_cursor_close(&c);
    size_t n_history = 0, n_counters = 0;
    for (size_t i = 0; i < n; i++) {
        const char *code = (const char *)keys[i] + strlen("household/");
        size_t clen = strcspn(code, "/");
        const uint8_t *rest = (const uint8_t *)code + clen + 1;
        size_t rlen = lens[i] - (size_t)(rest - keys[i]);
        uint8_t old[96];
        size_t olen;
        if (rest[0] == '\0') { /* history: "household/<code>/" NUL seq */
            memcpy(old, code, clen);
            old[clen] = '\0';
            memcpy(old + clen + 1, rest + 1, 8);
            assert_int_equal(storage_put(&txn, TABLE_HISTORY, old, clen + 9, "",
                                         0, STORAGE_PUT_NEW),
                             STORAGE_OK);
            n_history++;
        } else { /* counter: "household/<code>/" 0x01 what NUL period */
            assert_int_equal(rest[0], 0x01);
            memcpy(old, "count/", 6);
            memcpy(old + 6, code, clen);
            old[6 + clen] = '\0';
            memcpy(old + 7 + clen, rest + 1, rlen - 1);
            olen = 7 + clen + rlen - 1;
            assert_int_equal(storage_put(&txn, TABLE_META, old, olen, vals[i],
                                         8, STORAGE_PUT_NEW),
                             STORAGE_OK);
            n_counters++;
        }
        assert_int_equal(storage_del(&txn, TABLE_BALANCES, keys[i], lens[i]),
                         STORAGE_OK);
    }
    /* Format 1 had no lots: drop them (a migration rebuilds them). */
    uint8_t lot_key[96];
    for (;;) {
        assert_int_equal(storage_cursor_open(&txn, TABLE_BALANCES, &c),
                         STORAGE_OK);
        bool found = false;
        for (e = storage_cursor_first(c, &k, &v); e == STORAGE_OK;
             e = storage_cursor_next(c, &k, &v)) {
            const char *code = (const char *)k.data + strlen("household/");
            if (memchr(k.data, '\0', k.len) == NULL &&
                memchr(k.data, 0x02, k.len) == NULL)
                continue; /* an account */
            if ((uint8_t)code[strcspn(code, "/") + 1] == 0x02) {
                memcpy(lot_key, k.data, k.len);
                lens[15] = k.len;
                found = true;
                break;
            }
        }
        storage_cursor_close(&c);
        if (!found)
            break;
        assert_int_equal(storage_del(&txn, TABLE_BALANCES, lot_key, lens[15]),
                         STORAGE_OK);
    }
    assert_int_equal(n_history, 5); /* 2 registrations, 3 awards */
    assert_true(n_counters > 0);    /* month and year, per household */
    put_format(&txn, "jifen-ledger-1");
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    storage_close(&st);

    reopen(f);
    uint64_t seqs[8];
    assert_int_equal(history_seqs(f, "h1", seqs, 8), 3);
    assert_int_equal(seqs[0], 5);
    assert_int_equal(seqs[1], 3);
    assert_int_equal(seqs[2], 1);
    assert_int_equal(history_seqs(f, "h10", seqs, 8), 2);
    assert_int_equal(seqs[0], 4);
    assert_int_equal(seqs[1], 2);
    assert_verifies(f, 5);
    /* new entries go to the new place, next to the old ones */
    run(f, award("h1", "meeting", 0));
    assert_int_equal(history_seqs(f, "h1", seqs, 8), 4);
    assert_int_equal(seqs[0], 6);
    assert_verifies(f, 6);
    ledger_close(&f->led);

    uint64_t left = 1;
    st = raw_begin(f, &txn);
    assert_int_equal(storage_count(&txn, TABLE_HISTORY, &left), STORAGE_OK);
    assert_int_equal(left, 0);
    /* every counter is back where format 2 keeps it; h10's unchanged */
    for (size_t i = 0; i < n; i++) {
        const char *code = (const char *)keys[i] + strlen("household/");
        if (code[strcspn(code, "/") + 1] != 0x01)
            continue; /* history */
        assert_int_equal(
            storage_get(&txn, TABLE_BALANCES, keys[i], lens[i], &v),
            STORAGE_OK);
        if (memcmp(keys[i], "household/h10/", 14) == 0)
            assert_memory_equal(v.data, vals[i], 8);
    }
    assert_int_equal(storage_cursor_open(&txn, TABLE_META, &c), STORAGE_OK);
    e = storage_cursor_seek(c, "count/", 6, &k, NULL);
    assert_true(e != STORAGE_OK || k.len < 6 ||
                memcmp(k.data, "count/", 6) != 0);
    storage_cursor_close(&c);
    assert_int_equal(storage_get(&txn, TABLE_META, "format", 6, &v),
                     STORAGE_OK);
    assert_int_equal(v.len, strlen("jifen-ledger-3"));
    assert_memory_equal(v.data, "jifen-ledger-3", v.len);
    put_format(&txn, "jifen-ledger-9");
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    storage_close(&st);
    char err[256];
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20};
    assert_int_not_equal(
        ledger_open(&f->led, f->dir, &f->pol, &lo, err, sizeof err), LEDGER_OK);
    assert_non_null(strstr(err, "not a jifen-ledger-3 ledger"));
    assert_null(f->led);
}

/* An edited entry, even one whose own bytes are consistent, breaks the
 * chain at the next entry or the head. */
static void test_verify_catches_tampering(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    run(f, award("h1", "meeting", 0));
    run(f, award("h1", "meeting", 0));
    assert_verifies(f, 3);
    ledger_close(&f->led);

    /* rewrite entry 2 behind the daemon's back: same length, one byte */
    storage_txn txn;
    storage *st = raw_begin(f, &txn);
    storage_val v;
    uint8_t key[8], copy[4096];
    storage_be64_put(key, 2);
    assert_int_equal(storage_get(&txn, TABLE_JOURNAL, key, 8, &v), STORAGE_OK);
    memcpy(copy, v.data, v.len);
    size_t len = v.len;
    copy[len - 1] ^= 0x01;
    storage_put(&txn, TABLE_JOURNAL, key, 8, copy, len, STORAGE_PUT_OVERWRITE);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    storage_close(&st);

    reopen(f);
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    assert_false(rep.ok);
    assert_true(rep.bad_entry == 2 || rep.bad_entry == 3);
}

/* Changes the first lot of `household` behind the daemon's back: its
 * points left by `delta`, or the record cut short when delta is 0. */
static void edit_lot(fixture *f, const char *household, int delta)
{
    ledger_close(&f->led);
    storage_txn txn;
    storage *st = raw_begin(f, &txn);
    uint8_t prefix[64], key[80], val[32];
    size_t plen = (size_t)snprintf((char *)prefix, sizeof prefix,
                                   "household/%s/", household);
    prefix[plen++] = 0x02; /* a lot (keyspace.h) */
    storage_cursor *c = NULL;
    storage_val k, v;
    assert_int_equal(storage_cursor_open(&txn, TABLE_BALANCES, &c),
                     STORAGE_OK);
    assert_int_equal(storage_cursor_seek(c, prefix, plen, &k, &v),
                     STORAGE_OK);
    assert_true(k.len == plen + 8 && memcmp(k.data, prefix, plen) == 0);
    assert_int_equal(v.len, 16);
    size_t klen = k.len;
    memcpy(key, k.data, klen);
    memcpy(val, v.data, v.len);
    storage_cursor_close(&c);
    storage_be64_put(val + 8, storage_be64_get(val + 8) + (uint64_t)delta);
    storage_put(&txn, TABLE_BALANCES, key, klen, val, delta ? 16 : 15,
                STORAGE_PUT_OVERWRITE);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    storage_close(&st);
    reopen(f);
}

static void assert_verify_fails(fixture *f, const char *problem)
{
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    assert_false(rep.ok);
    if (!strstr(rep.problem, problem))
        fail_msg("verify said \"%s\", not \"%s\"", rep.problem, problem);
}

/* Each household's lots hold its points balance, checked in verify's one
 * walk of the balances table: a lot changed by a point, or cut short, is
 * named with its household, and the household beside it is not blamed. */
static void test_verify_checks_the_lots(void **state)
{
    fixture *f = *state;
    add_household(f, "h1");
    add_household(f, "h2");
    run(f, award("h1", "meeting", 0));
    run(f, award("h2", "meeting", 0));
    run(f, award("h2", "meeting", 0));
    assert_verifies(f, 5);
    jifen_balance b = balance(f, "h2");
    char want[96];

    edit_lot(f, "h2", 1);
    snprintf(want, sizeof want, "h2 holds %lld points, its lots %lld",
             (long long)b.points, (long long)b.points + 1);
    assert_verify_fails(f, want);
    edit_lot(f, "h2", -1);
    assert_verifies(f, 5);

    edit_lot(f, "h1", 0);
    assert_verify_fails(f, "a points lot of household/h1/");
}

/* A full map refuses the group cleanly; after growing, the same work
 * commits and nothing earlier is lost. */
static void test_map_full_then_grow(void **state)
{
    fixture *f = *state;
    ledger_close(&f->led);
    testutil_rmtree(&f->dir);
    f->dir = testutil_tmpdir();
    char err[256];
    ledger_options lo = {.map_size = 256 << 10, .map_max = 64 << 20};
    assert_int_equal(ledger_open(&f->led, f->dir, &f->pol, &lo, err,
                                 sizeof err),
                     LEDGER_OK);
    int added = 0;
    ledger_error le = LEDGER_OK;
    while (le == LEDGER_OK && added < 100000) {
        char h[32];
        snprintf(h, sizeof h, "h%d", added);
        jifen_command c = make(JIFEN_CMD_HOUSEHOLD_ADD, h);
        jifen_request req = {.n_commands = 1, .commands = &c};
        snprintf(req.request_id, sizeof req.request_id, "add-%d", added);
        uint8_t digest[32];
        hash_request_digest(&req, digest);
        jifen_reply reply;
        assert_int_equal(ledger_write_begin(f->led), LEDGER_OK);
        le = ledger_apply(f->led, &req, digest, &LOCAL_TEST, 1, &reply);
        if (le == LEDGER_OK)
            le = ledger_write_commit(f->led);
        else
            ledger_write_abort(f->led);
        codec_reply_clear(&reply);
        if (le == LEDGER_OK)
            added++;
    }
    assert_int_equal(le, LEDGER_FULL);
    assert_true(added > 10);
    assert_verifies(f, (uint64_t)added);
    assert_int_equal(ledger_grow(f->led), LEDGER_OK);
    add_household(f, "after-growth");
    assert_verifies(f, (uint64_t)added + 1);
}

/* A fresh CURVE public key, as Z85. */
static void new_key(char out[KEYFILE_Z85_LEN + 1])
{
    uint8_t pub[KEYFILE_KEY_LEN], sec[KEYFILE_KEY_LEN];
    assert_int_equal(keyfile_keypair(pub, sec), 0);
    keyfile_z85_encode(pub, out);
}

static jifen_command key_command(jifen_command_kind kind, const char *z85,
                                 jifen_role role, const char *label)
{
    jifen_command c = make(kind, "");
    snprintf(c.key, sizeof c.key, "%s", z85);
    c.role = role;
    snprintf(c.name, sizeof c.name, "%s", label);
    return c;
}

/* A replica derives the key table from the replicated key entries, as the
 * primary's write path does: it admits what the primary admits, and its
 * key records (role, label, entries) are the primary's. */
static void test_replica_rebuilds_key_table(void **state)
{
    fixture *f = *state;
    char kept[KEYFILE_Z85_LEN + 1], gone[KEYFILE_Z85_LEN + 1], err[512];
    new_key(kept);
    new_key(gone);
    add_household(f, "1-1-101");
    assert_int_equal(run(f, key_command(JIFEN_CMD_KEY_ENROL, kept,
                                        JIFEN_ROLE_AUDITOR, "Auditor Wu"))
                         .status,
                     JIFEN_STATUS_OK);
    assert_int_equal(run(f, key_command(JIFEN_CMD_KEY_ENROL, gone,
                                        JIFEN_ROLE_TERMINAL, "Desk 9"))
                         .status,
                     JIFEN_STATUS_OK);
    assert_int_equal(run(f, key_command(JIFEN_CMD_KEY_REVOKE, gone,
                                        JIFEN_ROLE_NONE, ""))
                         .status,
                     JIFEN_STATUS_OK);
    assert_true(ledger_key_admitted(f->led, kept));
    assert_false(ledger_key_admitted(f->led, gone));

    char *dir = testutil_tmpdir();
    assert_non_null(dir);
    ledger *rep = NULL;
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20};
    assert_int_equal(ledger_open(&rep, dir, &f->pol, &lo, err, sizeof err),
                     LEDGER_OK);
    /* Entry by entry, one batch (one transaction) each. The snapshot
     * follows each commit: admitted from the enrolment, refused again from
     * the revocation. */
    assert_int_equal(testutil_replicate(f->led, rep, 3), 0);
    assert_true(ledger_key_admitted(rep, gone));
    assert_int_equal(testutil_replicate(f->led, rep, 0), 0);
    assert_true(ledger_key_admitted(rep, kept));
    assert_false(ledger_key_admitted(rep, gone));

    storage_txn pt, rt;
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &pt, false),
                     STORAGE_OK);
    assert_int_equal(storage_txn_begin(ledger_storage(rep), &rt, false),
                     STORAGE_OK);
    const char *both[] = {kept, gone};
    for (size_t i = 0; i < 2; i++) {
        keys_record a, b;
        assert_int_equal(keys_get(&pt, both[i], &a), STORAGE_OK);
        assert_int_equal(keys_get(&rt, both[i], &b), STORAGE_OK);
        assert_int_equal(a.role, b.role);
        assert_int_equal(a.revoked, b.revoked);
        assert_int_equal(a.enrolled_entry, b.enrolled_entry);
        assert_int_equal(a.revoked_entry, b.revoked_entry);
        assert_string_equal(a.label, b.label);
    }
    storage_txn_abort(&pt);
    storage_txn_abort(&rt);

    /* A revocation of a key the replica does not hold is a diverged
     * history: refused, nothing applied. */
    char stranger[KEYFILE_Z85_LEN + 1];
    new_key(stranger);
    assert_int_equal(run(f, key_command(JIFEN_CMD_KEY_ENROL, stranger,
                                        JIFEN_ROLE_AUDITOR, "x"))
                         .status,
                     JIFEN_STATUS_OK);
    assert_int_equal(run(f, key_command(JIFEN_CMD_KEY_REVOKE, stranger,
                                        JIFEN_ROLE_NONE, ""))
                         .status,
                     JIFEN_STATUS_OK);
    storage_txn txn;
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &txn, false),
                     STORAGE_OK);
    uint8_t key[8];
    storage_val v;
    storage_be64_put(key, 6); /* the revocation, without its enrolment */
    assert_int_equal(storage_get(&txn, TABLE_JOURNAL, key, sizeof key, &v),
                     STORAGE_OK);
    /* Made to follow the replica's chain, so that only the key table can
     * tell. */
    static jifen_entry e;
    assert_int_equal(codec_entry_decode(v.data, v.len, &e, err, sizeof err),
                     JIFEN_STATUS_OK);
    storage_txn_abort(&txn);
    assert_int_equal(e.command.kind, JIFEN_CMD_KEY_REVOKE);
    ledger_head(rep, &e.seq, e.prev_hash);
    e.seq++;
    size_t cap = codec_entry_max_size();
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = codec_entry_encode(&e, buf, cap);
    assert_true(len > 0);
    assert_int_equal(ledger_write_begin(rep), LEDGER_OK);
    assert_int_equal(ledger_replicate(rep, buf, len, err, sizeof err),
                     LEDGER_FAILED);
    assert_non_null(strstr(err, "not enrolled here"));
    ledger_write_abort(rep);
    free(buf);

    ledger_close(&rep);
    testutil_rmtree(&dir);
}

/* Issue 12, item 1: reversing a bill that points already paid must never
 * leave a prepayment made of points. Every order of bill 100 yuan, redeem
 * 50 points (50 yuan, at the 50 % cap) and pay 50 yuan, then the bill
 * reversed: refused while points would pay more than 50 % of what is
 * billed; allowed once the redemption is reversed, the points back. */
static int64_t fee_due(fixture *f, const char *h)
{
    jifen_result r = query(f, make(JIFEN_CMD_BALANCE, h));
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    return r.balance.fee_due_fen;
}

static void test_bill_reversal_after_points_paid(void **state)
{
    fixture *f = *state;
    static const char orders[6][4] = {"BRP", "BPR", "RBP", "RPB", "PBR",
                                      "PRB"};
    for (int o = 0; o < 6; o++) {
        char h[16];
        snprintf(h, sizeof h, "h%d", o);
        jifen_command add = make(JIFEN_CMD_HOUSEHOLD_ADD, h);
        assert_int_equal(run(f, add).status, JIFEN_STATUS_OK);
        jifen_command honour = award(h, "honour", 0);
        honour.points = 50;
        assert_int_equal(run(f, honour).status, JIFEN_STATUS_OK);
        uint64_t bill = 0, redeem = 0;
        int64_t cash = 0;
        for (int i = 0; i < 3; i++) {
            jifen_result r;
            switch (orders[o][i]) {
            case 'B':
                r = run(f, with_amount(JIFEN_CMD_BILL, h, 10000));
                assert_int_equal(r.status, JIFEN_STATUS_OK);
                bill = r.entry;
                break;
            case 'R':
                r = run(f, with_amount(JIFEN_CMD_REDEEM, h, 50));
                /* nothing due before the bill (or after the payment): the
                 * cap refuses */
                if (r.status == JIFEN_STATUS_OK)
                    redeem = r.entry;
                else
                    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
                break;
            case 'P':
                assert_int_equal(
                    run(f, with_amount(JIFEN_CMD_PAY, h, 5000)).status,
                    JIFEN_STATUS_OK);
                cash += 5000;
                break;
            }
        }
        jifen_command rev = make(JIFEN_CMD_REVERSE, "");
        rev.entry = bill;
        snprintf(rev.note, sizeof rev.note, "billed twice");
        jifen_result r = run(f, rev);
        if (redeem) {
            /* points paid 50 of a bill that would be gone */
            assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
            assert_non_null(strstr(r.error, "max_offset_percent"));
            assert_non_null(strstr(r.error, "reverse the redemptions"));
            rev.entry = redeem;
            assert_int_equal(run(f, rev).status, JIFEN_STATUS_OK);
            rev.entry = bill;
            r = run(f, rev);
        }
        assert_int_equal(r.status, JIFEN_STATUS_OK);
        /* Whatever the order: what is prepaid is cash, never points. */
        assert_true(-fee_due(f, h) <= cash);
        jifen_result b = query(f, make(JIFEN_CMD_BALANCE, h));
        assert_int_equal(b.balance.points, 50);
    }
    jifen_verify_report vr;
    assert_int_equal(ledger_verify(f->led, &vr), LEDGER_OK);
    assert_true(vr.ok);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_register_twice_is_refused),
        T(test_award_posts_issuance_to_household),
        T(test_refusals_change_nothing),
        T(test_bill_pay_and_redeem_with_rate_and_cap),
        T(test_reverse_once_and_only_once),
        T(test_reversing_spent_award_is_refused),
        T(test_retry_applies_once_and_conflict_is_refused),
        T(test_retry_replays_the_original_reply),
        T(test_history_newest_first),
        T(test_format_1_ledger_is_migrated),
        T(test_verify_catches_tampering),
        T(test_verify_checks_the_lots),
        T(test_map_full_then_grow),
        T(test_replica_rebuilds_key_table),
        T(test_bill_reversal_after_points_paid),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
