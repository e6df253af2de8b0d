/*
 * test_notice - public notice (公示) on a real ledger: pending awards are
 * visible but not spendable, post by the daemon's timer at the window's end
 * (to the millisecond, once, also across a reopen), objections void them and
 * free their cap, large awards need a second approver who is not the
 * recorder, reversals respect notice, and the notice list masks people.
 */
#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "keyfile.h"
#include "ledger.h"
#include "notice.h"
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

#include <cmocka.h>

/* 7 days of notice; awards above 10 points need a second approval; at
 * most 4 meeting points a month. */
#define RULES                                                                  \
    "version = notice-1\nfen_per_point = 100\nmax_offset_percent = 100\n"      \
    "notice_days = 7\napproval_above = 10\n"                                   \
    "[activity meeting]\npoints = 2\nmax_per_month = 4\n"                      \
    "[activity honour]\npoints = 5\nmax_points = 50\n"

#define H "3-2-501"

#define assert_contains(hay, sub)                                              \
    do {                                                                       \
        if (strstr((hay), (sub)) == NULL)                                      \
            fail_msg("expected \"%s\" in \"%s\"", (sub), (hay));               \
    } while (0)

typedef testutil_book fixture;

static int setup(void **state)
{
    static fixture f;
    const char *rules = RULES;
    assert_int_equal(testutil_book_open(&f, &rules, 1), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    testutil_book_close(*state);
    return 0;
}

static void open_ledger(fixture *f)
{
    assert_int_equal(testutil_book_reopen(f), 0);
}

#define at testutil_at

static jifen_command make(jifen_command_kind kind, uint64_t entry)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, H);
    c.entry = entry;
    return c;
}

static jifen_result run_by(fixture *f, int64_t now, const char *author,
                           jifen_command cmd)
{
    jifen_result r;
    assert_int_equal(testutil_book_write(f, now, author, &cmd, &r), 0);
    return r;
}

static jifen_result run_at(fixture *f, int64_t now, jifen_command cmd)
{
    return run_by(f, now, "clerk-li", cmd);
}

static jifen_result award(fixture *f, int64_t now, const char *activity,
                          uint32_t points)
{
    jifen_command c = make(JIFEN_CMD_AWARD, 0);
    snprintf(c.code, sizeof c.code, "%s", activity);
    c.points = points;
    return run_at(f, now, c);
}

static jifen_balance balance(fixture *f)
{
    jifen_balance b;
    assert_int_equal(testutil_book_balance(f, H, &b), 0);
    return b;
}

#define head testutil_book_head

static void assert_verifies(fixture *f)
{
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    if (!rep.ok)
        fail_msg("verify: %s", rep.problem);
}

static void add_household(fixture *f)
{
    jifen_command c = make(JIFEN_CMD_HOUSEHOLD_ADD, 0);
    snprintf(c.name, sizeof c.name, "张三");
    assert_int_equal(run_at(f, at(2026, 7, 1, 9, 0), c).status,
                     JIFEN_STATUS_OK);
}

static void test_masking_and_window(void **state)
{
    (void)state;
    char out[80];
    notice_mask_name("张三", out, sizeof out);
    assert_string_equal(out, "张*");
    notice_mask_name("欧阳娜娜", out, sizeof out);
    assert_string_equal(out, "欧***");
    notice_mask_name("Li Wei", out, sizeof out);
    assert_string_equal(out, "L*****");
    notice_mask_name("", out, sizeof out);
    assert_string_equal(out, "");
    notice_mask_household("3-2-501", out, sizeof out);
    assert_string_equal(out, "3-2-5**");
    notice_mask_household("12-1-1102", out, sizeof out);
    assert_string_equal(out, "12-1-1***");
    notice_mask_household("A101", out, sizeof out);
    assert_string_equal(out, "A***");
    /* 3 July at any hour: 7 full days (4-10 July), posts 11 July 00:00. */
    assert_int_equal(notice_window_end(at(2026, 7, 3, 0, 0), 7),
                     at(2026, 7, 11, 0, 0));
    assert_int_equal(notice_window_end(at(2026, 7, 3, 23, 59), 7),
                     at(2026, 7, 11, 0, 0));
    /* Across a month and a year end. */
    assert_int_equal(notice_window_end(at(2026, 12, 28, 12, 0), 7),
                     at(2027, 1, 5, 0, 0));
}

/* Pending: visible, not spendable; posts at the window's end, to the
 * millisecond, by the timer alone, once. */
static void test_pending_then_posted_once(void **state)
{
    fixture *f = *state;
    add_household(f);
    jifen_command bill = make(JIFEN_CMD_BILL, 0);
    bill.amount = 10000;
    snprintf(bill.period, sizeof bill.period, "2026-07");
    assert_int_equal(run_at(f, at(2026, 7, 1, 9, 0), bill).status,
                     JIFEN_STATUS_OK);

    jifen_result r = award(f, at(2026, 7, 3, 15, 0), "meeting", 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.notice_ends_ms, at(2026, 7, 11, 0, 0));
    assert_false(r.needs_approval);
    assert_string_equal(r.postings[0].credit, "household/" H "/pending");
    uint64_t award_entry = r.entry;
    jifen_balance b = balance(f);
    assert_int_equal(b.points, 0);
    assert_int_equal(b.pending_points, 2);

    jifen_command redeem = make(JIFEN_CMD_REDEEM, 0);
    redeem.amount = 1;
    assert_int_equal(run_at(f, at(2026, 7, 4, 9, 0), redeem).status,
                     JIFEN_STATUS_INSUFFICIENT_POINTS);

    uint64_t before = head(f);
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 11, 0, 0) - 1), LEDGER_OK);
    assert_int_equal(head(f), before);
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 11, 0, 0)), LEDGER_OK);
    assert_int_equal(head(f), before + 1);
    b = balance(f);
    assert_int_equal(b.points, 2);
    assert_int_equal(b.pending_points, 0);
    /* Again, and after a reopen (a restart): nothing more. */
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 12, 0, 0)), LEDGER_OK);
    open_ledger(f);
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 13, 0, 0)), LEDGER_OK);
    assert_int_equal(head(f), before + 1);
    assert_int_equal(balance(f).points, 2);

    /* Too late to object now; the points are spendable. */
    jifen_command obj = make(JIFEN_CMD_OBJECT, award_entry);
    snprintf(obj.note, sizeof obj.note, "late");
    r = run_at(f, at(2026, 7, 13, 9, 0), obj);
    assert_int_equal(r.status, JIFEN_STATUS_NOTICE_CLOSED);
    assert_contains(r.error, "posted by entry");
    assert_int_equal(run_at(f, at(2026, 7, 13, 9, 0), redeem).status,
                     JIFEN_STATUS_OK);
    assert_verifies(f);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
}

/* A restart during the window: the notice survives and posts once when
 * the first tick after the window comes, however late. */
static void test_restart_during_window(void **state)
{
    fixture *f = *state;
    add_household(f);
    assert_int_equal(award(f, at(2026, 7, 3, 15, 0), "meeting", 0).status,
                     JIFEN_STATUS_OK);
    open_ledger(f);
    uint64_t before = head(f);
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 5, 0, 0)), LEDGER_OK);
    assert_int_equal(head(f), before);
    open_ledger(f);
    assert_int_equal(ledger_tick(f->led, at(2026, 8, 20, 0, 0)), LEDGER_OK);
    assert_int_equal(head(f), before + 1);
    assert_int_equal(ledger_tick(f->led, at(2026, 8, 21, 0, 0)), LEDGER_OK);
    assert_int_equal(head(f), before + 1);
    assert_int_equal(balance(f).points, 2);
    assert_verifies(f);
}

/* An objection upheld voids the award, and its points no longer count
 * against the monthly cap. */
static void test_objection_voids(void **state)
{
    fixture *f = *state;
    add_household(f);
    jifen_result a1 = award(f, at(2026, 7, 3, 15, 0), "meeting", 0);
    assert_int_equal(award(f, at(2026, 7, 3, 16, 0), "meeting", 0).status,
                     JIFEN_STATUS_OK);
    /* The cap counts pending awards: 4 of 4 used. */
    jifen_result r = award(f, at(2026, 7, 4, 9, 0), "meeting", 0);
    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);

    jifen_command obj = make(JIFEN_CMD_OBJECT, a1.entry);
    snprintf(obj.note, sizeof obj.note, "was not at the meeting (3 witnesses)");
    r = run_at(f, at(2026, 7, 10, 23, 59), obj);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, 2);
    assert_string_equal(r.postings[0].debit, "household/" H "/pending");
    assert_string_equal(r.postings[0].credit, "community/points-issued");
    assert_int_equal(balance(f).pending_points, 2);
    r = run_at(f, at(2026, 7, 10, 23, 59), obj);
    assert_int_equal(r.status, JIFEN_STATUS_NOTICE_CLOSED);
    assert_contains(r.error, "voided by entry");
    /* The voided award's place under the cap is free again. */
    assert_int_equal(award(f, at(2026, 7, 10, 23, 59), "meeting", 0).status,
                     JIFEN_STATUS_OK);
    jifen_command rev = make(JIFEN_CMD_REVERSE, a1.entry);
    snprintf(rev.note, sizeof rev.note, "x");
    r = run_at(f, at(2026, 7, 11, 9, 0), rev);
    assert_int_equal(r.status, JIFEN_STATUS_NOT_REVERSIBLE);
    assert_contains(r.error, "voided by an objection");

    assert_int_equal(ledger_tick(f->led, at(2026, 7, 11, 0, 0)), LEDGER_OK);
    jifen_balance b = balance(f);
    assert_int_equal(b.points, 2);         /* the unobjected first-day award */
    assert_int_equal(b.pending_points, 2); /* the one of 10 July */
    obj.entry = 999;
    assert_int_equal(run_at(f, at(2026, 7, 11, 9, 0), obj).status,
                     JIFEN_STATUS_UNKNOWN_ENTRY);
    assert_verifies(f);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
}

/* A committee key enrolled by the local operator, as an admin would. */
static void enrol_committee(fixture *f, ledger_caller *who, const char *label)
{
    uint8_t pub[KEYFILE_KEY_LEN], sec[KEYFILE_KEY_LEN];
    assert_int_equal(keyfile_keypair(pub, sec), 0);
    memset(who, 0, sizeof *who);
    keyfile_z85_encode(pub, who->key);
    who->role = JIFEN_ROLE_COMMITTEE;
    snprintf(who->author, sizeof who->author, "%s", label);
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_KEY_ENROL;
    memcpy(c.key, who->key, sizeof c.key);
    c.role = JIFEN_ROLE_COMMITTEE;
    snprintf(c.name, sizeof c.name, "%s", label);
    jifen_result r = run_at(f, at(2026, 7, 1, 8, 0), c);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
}

static jifen_result run_as(fixture *f, int64_t now, const ledger_caller *who,
                           jifen_command cmd)
{
    char id[32];
    jifen_result r;
    snprintf(id, sizeof id, "as-%d", f->next_id++);
    assert_int_equal(testutil_write_as(f->led, now, who, id, &cmd, &r), 0);
    return r;
}

/* A household and an award of 30 honour points (above approval_above)
 * recorded by `who`; its entry. */
static uint64_t big_award_by(fixture *f, const ledger_caller *who)
{
    add_household(f);
    jifen_command aw = make(JIFEN_CMD_AWARD, 0);
    snprintf(aw.code, sizeof aw.code, "honour");
    aw.points = 30;
    jifen_result r = run_as(f, at(2026, 7, 3, 15, 0), who, aw);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_true(r.needs_approval);
    return r.entry;
}

/* The stored record of award `entry`, as notice.h lays it out. */
static size_t notice_key(uint64_t entry, uint8_t key[16])
{
    memcpy(key, "notice/", 7);
    storage_be64_put(key + 7, entry);
    return 15;
}

/* The second approval compares keys, and a key labelled like the recorder
 * ("Wang Fang " beside "Wang Fang", other case, full-width letters) is
 * the recorder too; another committee member's key approves. */
static void test_second_approval_by_key(void **state)
{
    fixture *f = *state;
    ledger_caller wang, lookalike, shouting, fullwidth, li;
    enrol_committee(f, &wang, "Wang Fang");
    enrol_committee(f, &lookalike, "Wang Fang ");
    enrol_committee(f, &shouting, "WANG  FANG");
    enrol_committee(f, &fullwidth, "\xef\xbc\xb7" "ang Fang"); /* Ｗang */
    enrol_committee(f, &li, "Li Na");
    uint64_t big = big_award_by(f, &wang);
    jifen_result r;

    storage_txn txn;
    notice_record rec;
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &txn, false),
                     STORAGE_OK);
    assert_int_equal(notice_get(&txn, big, &rec), STORAGE_OK);
    storage_txn_abort(&txn);
    assert_string_equal(rec.author_key, wang.key);
    assert_string_equal(rec.author, "Wang Fang");

    jifen_command ap = make(JIFEN_CMD_APPROVE, big);
    const ledger_caller *same[] = {&wang, &lookalike, &shouting, &fullwidth};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        r = run_as(f, at(2026, 7, 4, 9, 0), same[i], ap);
        if (r.status != JIFEN_STATUS_FORBIDDEN)
            fail_msg("key labelled '%s' approved an award by 'Wang Fang': %s",
                     same[i]->author, jifen_status_name(r.status));
        assert_contains(r.error, "recorded by Wang Fang, who may not also");
    }
    r = run_as(f, at(2026, 7, 4, 9, 0), &li, ap);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_verifies(f);
}

/* A notice written before records kept the recorder's key: read with an
 * empty key, judged by the label alone (alike labels refused), and
 * rewritten with the new layout when it is next stored. */
static void test_second_approval_of_old_record(void **state)
{
    fixture *f = *state;
    ledger_caller wang, lookalike, li;
    enrol_committee(f, &wang, "Wang Fang");
    enrol_committee(f, &lookalike, "wang fang ");
    enrol_committee(f, &li, "Li Na");
    uint64_t big = big_award_by(f, &wang);
    jifen_result r;

    /* Cut the key off the stored record: the layout of older jifends. */
    uint8_t key[16], old[1024];
    size_t klen = notice_key(big, key);
    storage_txn txn;
    storage_val v;
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &txn, true),
                     STORAGE_OK);
    assert_int_equal(storage_get(&txn, TABLE_META, key, klen, &v), STORAGE_OK);
    size_t old_len = v.len - (JIFEN_KEY_Z85_LEN + 1);
    assert_true(old_len <= sizeof old);
    memcpy(old, v.data, old_len);
    assert_int_equal(storage_put(&txn, TABLE_META, key, klen, old, old_len,
                                 STORAGE_PUT_OVERWRITE),
                     STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    open_ledger(f);

    notice_record rec;
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &txn, false),
                     STORAGE_OK);
    assert_int_equal(notice_get(&txn, big, &rec), STORAGE_OK);
    storage_txn_abort(&txn);
    assert_string_equal(rec.author_key, "");
    assert_string_equal(rec.author, "Wang Fang");
    assert_true(rec.needs_approval);

    jifen_command ap = make(JIFEN_CMD_APPROVE, big);
    r = run_as(f, at(2026, 7, 4, 9, 0), &wang, ap);
    assert_int_equal(r.status, JIFEN_STATUS_FORBIDDEN);
    r = run_as(f, at(2026, 7, 4, 9, 0), &lookalike, ap);
    assert_int_equal(r.status, JIFEN_STATUS_FORBIDDEN);
    r = run_as(f, at(2026, 7, 4, 9, 0), &li, ap);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &txn, false),
                     STORAGE_OK);
    assert_int_equal(storage_get(&txn, TABLE_META, key, klen, &v), STORAGE_OK);
    assert_int_equal(v.len, old_len + JIFEN_KEY_Z85_LEN + 1);
    assert_int_equal(notice_get(&txn, big, &rec), STORAGE_OK);
    storage_txn_abort(&txn);
    assert_true(rec.approved);
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 12, 0, 0)), LEDGER_OK);
    assert_int_equal(balance(f).points, 30);
    assert_verifies(f);
}

/* Above approval_above: a second committee member must approve, never the
 * recorder; without approval the award waits past its window. */
static void test_second_approval(void **state)
{
    fixture *f = *state;
    add_household(f);
    jifen_result r = award(f, at(2026, 7, 3, 15, 0), "honour", 20);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_true(r.needs_approval);
    uint64_t big = r.entry;
    uint64_t before = head(f);
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 12, 0, 0)), LEDGER_OK);
    assert_int_equal(head(f), before); /* window over, not approved */

    jifen_command ap = make(JIFEN_CMD_APPROVE, big);
    r = run_by(f, at(2026, 7, 12, 9, 0), "clerk-li", ap);
    assert_int_equal(r.status, JIFEN_STATUS_FORBIDDEN);
    assert_contains(r.error, "recorded by clerk-li, who may not also approve");
    r = run_by(f, at(2026, 7, 12, 9, 0), "director-wang", ap);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.n_postings, 0);
    r = run_by(f, at(2026, 7, 12, 9, 1), "director-wang", ap);
    assert_int_equal(r.status, JIFEN_STATUS_BAD_REQUEST);
    assert_contains(r.error, "already approved");

    assert_int_equal(ledger_tick(f->led, at(2026, 7, 12, 9, 2)), LEDGER_OK);
    assert_int_equal(balance(f).points, 20);
    /* A small award needs no approval. */
    r = award(f, at(2026, 7, 13, 9, 0), "honour", 10);
    assert_false(r.needs_approval);
    ap.entry = r.entry;
    r = run_by(f, at(2026, 7, 13, 9, 0), "director-wang", ap);
    assert_int_equal(r.status, JIFEN_STATUS_BAD_REQUEST);
    /* Clients cannot write releases. */
    r = run_at(f, at(2026, 7, 13, 9, 0), make(JIFEN_CMD_RELEASE, big));
    assert_int_equal(r.status, JIFEN_STATUS_FORBIDDEN);
    assert_verifies(f);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
}

/* A posted award is reversed from the household's points; a pending one
 * cannot be reversed (object instead); a release cannot be reversed. */
static void test_reverse_and_notice(void **state)
{
    fixture *f = *state;
    add_household(f);
    jifen_result a = award(f, at(2026, 7, 3, 15, 0), "meeting", 0);
    jifen_command rev = make(JIFEN_CMD_REVERSE, a.entry);
    snprintf(rev.note, sizeof rev.note, "objection upheld later");
    jifen_result r = run_at(f, at(2026, 7, 4, 9, 0), rev);
    assert_int_equal(r.status, JIFEN_STATUS_NOT_REVERSIBLE);
    assert_contains(r.error, "under public notice");
    assert_int_equal(ledger_tick(f->led, at(2026, 7, 11, 0, 0)), LEDGER_OK);
    uint64_t release = head(f);
    rev.entry = release;
    r = run_at(f, at(2026, 7, 12, 9, 0), rev);
    assert_int_equal(r.status, JIFEN_STATUS_NOT_REVERSIBLE);
    rev.entry = a.entry;
    r = run_at(f, at(2026, 7, 12, 9, 0), rev);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_string_equal(r.postings[0].debit, "household/" H "/points");
    jifen_balance b = balance(f);
    assert_int_equal(b.points, 0);
    assert_int_equal(b.pending_points, 0);
    assert_verifies(f);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
}

static void test_notice_list(void **state)
{
    fixture *f = *state;
    add_household(f);
    award(f, at(2026, 6, 30, 23, 59), "meeting", 0); /* June */
    jifen_result a = award(f, at(2026, 7, 1, 0, 0), "meeting", 0);
    jifen_result big = award(f, at(2026, 7, 31, 23, 59), "honour", 30);
    jifen_command obj = make(JIFEN_CMD_OBJECT, a.entry);
    snprintf(obj.note, sizeof obj.note, "duplicate");
    jifen_result o = run_at(f, at(2026, 7, 2, 9, 0), obj);
    assert_int_equal(o.status, JIFEN_STATUS_OK);

    jifen_command q = make(JIFEN_CMD_NOTICES, 0);
    snprintf(q.period, sizeof q.period, "2026-07");
    jifen_request req = {.n_commands = 1, .commands = &q};
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    const jifen_result *r = &reply.results[0];
    assert_int_equal(r->status, JIFEN_STATUS_OK);
    assert_int_equal(r->n_notices, 2);
    assert_int_equal(r->notices[0].entry, a.entry);
    assert_string_equal(r->notices[0].household, "3-2-5**");
    assert_string_equal(r->notices[0].name, "张*");
    assert_string_equal(r->notices[0].activity, "meeting");
    assert_string_equal(r->notices[0].state, "voided");
    assert_int_equal(r->notices[0].decided_by, o.entry);
    assert_int_equal(r->notices[1].entry, big.entry);
    assert_string_equal(r->notices[1].state, "pending");
    assert_int_equal(r->notices[1].points, 30);
    assert_true(r->notices[1].needs_approval);
    assert_false(r->notices[1].approved);
    assert_int_equal(r->notices[1].ends_ms, at(2026, 8, 8, 0, 0));
    codec_reply_clear(&reply);

    snprintf(q.period, sizeof q.period, "2026-06");
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.results[0].n_notices, 1);
    codec_reply_clear(&reply);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
}

/* verify checks that the pending accounts hold exactly the open notices:
 * a notice record lost behind the daemon's back is found. */
/* Issue 11, item 4: an award's reply is the balance after it, its own
 * points under notice included, also in a batch (testutil_book_write sends
 * one command a request; a batch of two is sent here directly). */
static void test_reply_counts_its_own_pending_points(void **state)
{
    fixture *f = *state;
    add_household(f);
    jifen_result r = award(f, at(2026, 7, 3, 10, 0), "meeting", 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_true(r.has_balance);
    assert_int_equal(r.balance.pending_points, 2);
    assert_int_equal(r.balance.points, 0);
    r = award(f, at(2026, 7, 3, 10, 5), "meeting", 0);
    assert_int_equal(r.balance.pending_points, 4);
    assert_int_equal(balance(f).pending_points, 4);

    jifen_command two[2];
    two[0] = make(JIFEN_CMD_AWARD, 0);
    snprintf(two[0].code, sizeof two[0].code, "honour");
    two[1] = two[0];
    two[1].points = 6;
    jifen_request req = {.n_commands = 2, .commands = two};
    snprintf(req.request_id, sizeof req.request_id, "batch-of-two");
    uint8_t digest[JIFEN_HASH_LEN];
    hash_request_digest(&req, digest);
    ledger_caller local = {.author = "clerk-li"};
    jifen_reply reply;
    assert_int_equal(ledger_write_begin(f->led), LEDGER_OK);
    assert_int_equal(ledger_apply(f->led, &req, digest, &local,
                                  at(2026, 7, 3, 11, 0), &reply),
                     LEDGER_OK);
    assert_int_equal(ledger_write_commit(f->led), LEDGER_OK);
    assert_int_equal(reply.results[0].balance.pending_points, 4 + 5);
    assert_int_equal(reply.results[1].balance.pending_points, 4 + 5 + 6);
    codec_reply_clear(&reply);
}

static void test_verify_checks_notices(void **state)
{
    fixture *f = *state;
    add_household(f);
    jifen_result a = award(f, at(2026, 7, 3, 15, 0), "meeting", 0);
    assert_verifies(f);
    ledger_close(&f->led);
    char err[256];
    storage *st;
    assert_int_equal(storage_open(&st, f->dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    storage_txn txn;
    notice_record r;
    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    assert_int_equal(notice_get(&txn, a.entry, &r), STORAGE_OK);
    r.state = NOTICE_VOIDED; /* closed without its entry */
    notice_put(&txn, &r);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    storage_close(&st);
    open_ledger(f);
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    assert_false(rep.ok);
    assert_contains(rep.problem, "awards under notice total 0 points, the "
                                 "pending accounts hold 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_masking_and_window),
        cmocka_unit_test_setup_teardown(test_pending_then_posted_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart_during_window, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_objection_voids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_approval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_approval_by_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_second_approval_of_old_record,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverse_and_notice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_notice_list, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_reply_counts_its_own_pending_points, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_checks_notices, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
