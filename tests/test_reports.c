/*
 * test_reports - the monthly reports (daemon/reports.c) on a real ledger in
 * a temporary directory, each write at a time of the test's choosing and
 * each report as of a month's end:
 *
 *   - one definition of "billed" and of a bill's age: a reversed bill and
 *     its reversal are out of what the ageing and the statement count as
 *     billed; every bill is aged by its own entry time; payments and point
 *     offsets settle the oldest bills first;
 *   - the statement: an entry reversed in its own month is netted in its
 *     row; the reversal of an entry of an earlier month is shown in the
 *     `_other` rows of the month it was made (a reversed redemption);
 *   - totals at the limits: sums and products that do not fit 64 bits give
 *     a clear status, never a wrong number; the collection rate of totals
 *     near the limit is exact.
 */
#include "accounts.h"
#include "arrears.h"
#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "ledger.h"
#include "reports.h"
#include "ruleset.h"
#include "storage.h"
#include "testutil.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define RULES                                                                  \
    "version = r1\nfen_per_point = 100\nmax_offset_percent = 50\n"             \
    "[activity honour]\npoints = 5\nmax_points = 1000000\n"                    \
    "[rule littering]\npoints = 1\n"
#define H "3-2-501"
#define H2 "3-2-502"

#define at testutil_at

static testutil_book book;

static int setup(void **state)
{
    (void)state;
    const char *rules = RULES;
    return testutil_book_open(&book, &rules, 1);
}

static int teardown(void **state)
{
    (void)state;
    testutil_book_close(&book);
    return 0;
}

/* --- writing ------------------------------------------------------------- */

static jifen_command command(jifen_command_kind kind, const char *household,
                             uint64_t amount)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (household)
        snprintf(c.household, sizeof c.household, "%s", household);
    switch (kind) {
    case JIFEN_CMD_AWARD:
        snprintf(c.code, sizeof c.code, "honour");
        c.points = (uint32_t)amount;
        break;
    case JIFEN_CMD_DEDUCT:
        snprintf(c.code, sizeof c.code, "littering");
        snprintf(c.note, sizeof c.note, "bags in the stairwell");
        break;
    case JIFEN_CMD_REVERSE:
        c.entry = amount;
        snprintf(c.note, sizeof c.note, "entered twice");
        break;
    case JIFEN_CMD_BILL:
        snprintf(c.period, sizeof c.period, "2026-04");
        c.amount = amount;
        break;
    default:
        c.amount = amount;
    }
    return c;
}

/* One command in its own commit at `now`; its entry number. */
static uint64_t write_at(int64_t now, jifen_command_kind kind,
                         const char *household, uint64_t amount)
{
    jifen_command c = command(kind, household, amount);
    jifen_result r;
    assert_int_equal(testutil_book_write(&book, now, "clerk", &c, &r), 0);
    if (r.status != JIFEN_STATUS_OK)
        fail_msg("%s of %" PRIu64 " refused: %s", codec_command_name(kind),
                 amount, r.error);
    return r.entry;
}

/* Many commands in one request and one commit (a billing run). */
static void write_batch(int64_t now, jifen_command *cmds, size_t n)
{
    jifen_request req = {.n_commands = n, .commands = cmds};
    snprintf(req.request_id, sizeof req.request_id, "batch-%d",
             ++book.next_id);
    uint8_t digest[JIFEN_HASH_LEN];
    jifen_reply reply;
    ledger_caller who = {.author = "clerk"};
    hash_request_digest(&req, digest);
    ledger_error e;
    /* A full map grows and the batch is applied again, as the server does. */
    while (1) {
        assert_int_equal(ledger_write_begin(book.led), LEDGER_OK);
        e = ledger_apply(book.led, &req, digest, &who, now, &reply);
        if (e == LEDGER_OK && (e = ledger_write_commit(book.led)) != LEDGER_OK)
            codec_reply_clear(&reply);
        else if (e != LEDGER_OK)
            ledger_write_abort(book.led);
        if (e != LEDGER_FULL)
            break;
        assert_int_equal(ledger_grow(book.led), LEDGER_OK);
    }
    assert_int_equal(e, LEDGER_OK);
    for (size_t i = 0; i < reply.n_results; i++)
        if (reply.results[i].status != JIFEN_STATUS_OK)
            fail_msg("command %zu of the batch: %s", i,
                     reply.results[i].error);
    codec_reply_clear(&reply);
}

/* --- reading reports ------------------------------------------------------ */

typedef struct {
    jifen_result r;
} report;

/* The report `kind` for `period` ("" for the month of `now`). */
static report *run_report(const char *kind, const char *household,
                          const char *period, int64_t now)
{
    static report rep;
    codec_result_clear(&rep.r);
    memset(&rep, 0, sizeof rep);
    jifen_command q;
    memset(&q, 0, sizeof q);
    q.kind = JIFEN_CMD_REPORT;
    snprintf(q.code, sizeof q.code, "%s", kind);
    if (household)
        snprintf(q.household, sizeof q.household, "%s", household);
    snprintf(q.period, sizeof q.period, "%s", period);
    storage_txn txn;
    assert_int_equal(storage_txn_begin(ledger_storage(book.led), &txn, false),
                     STORAGE_OK);
    const policy *pol = ruleset_at(book.rules, now);
    reports_run(&txn, &q, pol ? pol : &book.pol, now, &rep.r);
    storage_txn_abort(&txn);
    return &rep;
}

static int column(const jifen_report *t, const char *name)
{
    for (size_t j = 0; j < t->n_columns; j++)
        if (strcmp(t->columns[j], name) == 0)
            return (int)j;
    fail_msg("no column %s", name);
    return -1;
}

/* The row whose first cell is `label`, or NULL. */
static const jifen_report_row *row(const report *rep, const char *label)
{
    assert_int_equal(rep->r.status, JIFEN_STATUS_OK);
    const jifen_report *t = rep->r.report;
    for (size_t i = 0; i < t->n_rows; i++)
        if (strcmp(t->rows[i].cells[0], label) == 0)
            return &t->rows[i];
    return NULL;
}

/* The number in column `col` of the row `label`. */
static int64_t cell(const report *rep, const char *label, const char *col)
{
    const jifen_report_row *r = row(rep, label);
    if (!r)
        fail_msg("no row %s in '%s'", label, rep->r.report->title);
    return strtoll(r->cells[column(rep->r.report, col)], NULL, 10);
}

/* An item of an item/value report. */
static int64_t item(const report *rep, const char *label)
{
    return cell(rep, label, "value");
}

/* "days_0_30 days_31_90 days_91_180 days_over_180 total_fen" of a row. */
static const char *ages(const report *rep, const char *household)
{
    static char out[5 * (JIFEN_REPORT_CELL_MAX + 1)];
    const jifen_report_row *r = row(rep, household);
    if (!r)
        return "(no row)";
    snprintf(out, sizeof out, "%s %s %s %s %s", r->cells[1], r->cells[2],
             r->cells[3], r->cells[4], r->cells[5]);
    return out;
}

static bool title_has(const report *rep, const char *text)
{
    if (strstr(rep->r.report->title, text))
        return true;
    print_error("title: %s\n", rep->r.report->title);
    return false;
}

/* --- billed and a bill's age ---------------------------------------------- */

/* The case: April bill 100, May bill 100, a duplicate May bill
 * reversed, nothing paid. */
static void test_reversed_bill_is_not_billed(void **state)
{
    (void)state;
    write_at(at(2026, 4, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H, 0);
    write_at(at(2026, 4, 1, 9, 0), JIFEN_CMD_BILL, H, 10000);
    write_at(at(2026, 5, 1, 9, 0), JIFEN_CMD_BILL, H, 10000);
    uint64_t dup = write_at(at(2026, 5, 1, 9, 5), JIFEN_CMD_BILL, H, 10000);
    write_at(at(2026, 5, 2, 10, 0), JIFEN_CMD_REVERSE, NULL, dup);
    int64_t now = at(2026, 12, 1, 0, 0);

    report *rep = run_report("ageing", NULL, "2026-05", now);
    assert_true(title_has(rep, "collection rate 0.0% (billed 20000, "
                               "outstanding 20000)"));
    /* As of 1 June 00:00 the April bill is 60 days old, May's 30. */
    assert_string_equal(ages(rep, H), "10000 10000 0 0 20000");
    assert_string_equal(ages(rep, "TOTAL"), "10000 10000 0 0 20000");

    /* The statements count the same bills: 100 in April, 100 in May. */
    rep = run_report("statement", H, "2026-04", now);
    assert_int_equal(item(rep, "fee_billed_fen"), 10000);
    rep = run_report("statement", H, "2026-05", now);
    assert_int_equal(item(rep, "fee_billed_fen"), 10000);
    assert_int_equal(item(rep, "fee_outstanding_fen"), 20000);
    assert_null(row(rep, "fee_other_fen"));

    /* Each bill by its own age: on 1 October (the end of September) the
     * April bill is 182 days old, May's 152. */
    rep = run_report("ageing", NULL, "2026-09", now);
    assert_string_equal(ages(rep, H), "0 0 10000 10000 20000");
    /* A month earlier both are 91-180 days old (152 and 122). */
    rep = run_report("ageing", NULL, "2026-08", now);
    assert_string_equal(ages(rep, H), "0 0 20000 0 20000");
}

/* Bucket edges: 30 days is 0-30, 31 is 31-90, 90 / 91, 180 / 181. */
static void test_age_buckets(void **state)
{
    (void)state;
    int64_t end = at(2026, 7, 1, 0, 0);
    struct {
        int days;
        int bucket;
    } cases[] = {{0, 0},   {30, 0},  {31, 1},  {90, 1},
                 {91, 2},  {180, 2}, {181, 3}, {182, 3}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t t = end - (int64_t)cases[i].days * CLOCK_DAY_MS;
        assert_int_equal(arrears_bucket(t, end), cases[i].bucket);
        /* a minute later is still the day before in whole days */
        if (cases[i].days > 0)
            assert_int_equal(arrears_bucket(t + 60000, end),
                             arrears_bucket(t + CLOCK_DAY_MS, end));
    }
    assert_int_equal(arrears_age_days(end - 1, end), 0);
}

/* Payments and offsets settle the oldest bills first; a reversed payment
 * settles nothing; money paid ahead settles later bills. */
static void test_oldest_first(void **state)
{
    (void)state;
    write_at(at(2026, 1, 5, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H, 0);
    write_at(at(2026, 1, 5, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H2, 0);
    /* never billed, never paid (and first in order): not in the ageing */
    write_at(at(2026, 1, 5, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, "1-1-101", 0);
    write_at(at(2026, 1, 5, 9, 0), JIFEN_CMD_BILL, H, 10000);   /* 87 d */
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_BILL, H, 10000);   /* 30 d */
    write_at(at(2026, 3, 20, 9, 0), JIFEN_CMD_PAY, H, 4000);
    uint64_t pay = write_at(at(2026, 3, 21, 9, 0), JIFEN_CMD_PAY, H, 9000);
    write_at(at(2026, 3, 22, 9, 0), JIFEN_CMD_REVERSE, NULL, pay);
    write_at(at(2026, 3, 23, 9, 0), JIFEN_CMD_AWARD, H, 10);
    write_at(at(2026, 3, 23, 9, 1), JIFEN_CMD_REDEEM, H, 10); /* 1000 fen */
    /* H2 paid ahead, then was billed: nothing owed. */
    write_at(at(2026, 1, 6, 9, 0), JIFEN_CMD_PAY, H2, 5000);
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_BILL, H2, 5000);
    int64_t now = at(2026, 12, 1, 0, 0);

    report *rep = run_report("ageing", NULL, "2026-03", now);
    /* 5000 paid or offset: January's bill has 5000 left, March's all. */
    assert_string_equal(ages(rep, H), "10000 5000 0 0 15000");
    assert_null(row(rep, H2));
    assert_null(row(rep, "1-1-101"));
    /* billed 250, outstanding 150: 40% collected */
    assert_true(title_has(rep, "collection rate 40.0% (billed 25000, "
                               "outstanding 15000)"));
    /* The statement agrees: billed 200 for H over the quarter. */
    int64_t billed = 0;
    for (int m = 1; m <= 3; m++) {
        char period[8];
        snprintf(period, sizeof period, "2026-%02d", m);
        billed += item(run_report("statement", H, period, now),
                       "fee_billed_fen");
    }
    assert_int_equal(billed, 20000);
}

/* A bill of an earlier month reversed: the month it was made in keeps it
 * (its statement went out), the month of the reversal shows the correction
 * in fee_other_fen, and from then on the ageing has it out of billed. */
static void test_bill_reversed_later(void **state)
{
    (void)state;
    write_at(at(2026, 4, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H, 0);
    uint64_t april = write_at(at(2026, 4, 1, 9, 0), JIFEN_CMD_BILL, H, 10000);
    write_at(at(2026, 5, 1, 9, 0), JIFEN_CMD_BILL, H, 8000);
    write_at(at(2026, 5, 20, 9, 0), JIFEN_CMD_REVERSE, NULL, april);
    int64_t now = at(2026, 12, 1, 0, 0);

    report *rep = run_report("ageing", NULL, "2026-04", now);
    assert_true(title_has(rep, "(billed 10000, outstanding 10000)"));
    rep = run_report("ageing", NULL, "2026-05", now);
    assert_true(title_has(rep, "(billed 8000, outstanding 8000)"));
    assert_string_equal(ages(rep, H), "8000 0 0 0 8000");

    rep = run_report("statement", H, "2026-04", now);
    assert_int_equal(item(rep, "fee_billed_fen"), 10000);
    assert_int_equal(item(rep, "fee_outstanding_fen"), 10000);
    rep = run_report("statement", H, "2026-05", now);
    assert_int_equal(item(rep, "fee_opening_fen"), 10000);
    assert_int_equal(item(rep, "fee_billed_fen"), 8000);
    assert_int_equal(item(rep, "fee_other_fen"), -10000);
    assert_int_equal(item(rep, "fee_outstanding_fen"), 8000);
}

/* --- the statement: reversals ---------------------------------------------- */

/* A redemption reversed in a later month is a correction of that later
 * month: points_other gives the points back, fee_other_fen takes the offset
 * back; the month of the redemption still shows it. */
static void test_reversed_redemption(void **state)
{
    (void)state;
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H, 0);
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_BILL, H, 10000);
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_AWARD, H, 30);
    uint64_t redeem =
        write_at(at(2026, 3, 10, 9, 0), JIFEN_CMD_REDEEM, H, 20);
    write_at(at(2026, 4, 2, 9, 0), JIFEN_CMD_REVERSE, NULL, redeem);
    int64_t now = at(2026, 12, 1, 0, 0);

    report *rep = run_report("statement", H, "2026-03", now);
    assert_int_equal(item(rep, "points_redeemed"), 20);
    assert_int_equal(item(rep, "fee_offset_fen"), 2000);
    assert_int_equal(item(rep, "points_closing"), 10);
    assert_int_equal(item(rep, "fee_outstanding_fen"), 8000);

    rep = run_report("statement", H, "2026-04", now);
    assert_int_equal(item(rep, "points_opening"), 10);
    assert_int_equal(item(rep, "points_redeemed"), 0);
    assert_int_equal(item(rep, "points_other"), 20);
    assert_int_equal(item(rep, "points_closing"), 30);
    assert_int_equal(item(rep, "fee_opening_fen"), 8000);
    assert_int_equal(item(rep, "fee_offset_fen"), 0);
    assert_int_equal(item(rep, "fee_other_fen"), 2000);
    assert_int_equal(item(rep, "fee_outstanding_fen"), 10000);

    /* The funder owed the offset in March, no longer in April. */
    rep = run_report("liability", NULL, "2026-03", now);
    assert_int_equal(item(rep, "owed_at_end_fen"), 2000);
    rep = run_report("liability", NULL, "2026-04", now);
    assert_int_equal(item(rep, "owed_at_end_fen"), 0);
}

/* Reversed in its own month: netted in the rows it was counted in, as if
 * it had not been made (the history shows both); no _other rows. */
static void test_reversed_in_its_month(void **state)
{
    (void)state;
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H, 0);
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_BILL, H, 10000);
    write_at(at(2026, 3, 1, 9, 0), JIFEN_CMD_AWARD, H, 30);
    uint64_t redeem = write_at(at(2026, 3, 2, 9, 0), JIFEN_CMD_REDEEM, H, 20);
    uint64_t deduct = write_at(at(2026, 3, 2, 9, 0), JIFEN_CMD_DEDUCT, H, 0);
    write_at(at(2026, 3, 3, 9, 0), JIFEN_CMD_REVERSE, NULL, redeem);
    write_at(at(2026, 3, 31, 23, 59), JIFEN_CMD_REVERSE, NULL, deduct);
    int64_t now = at(2026, 12, 1, 0, 0);

    report *rep = run_report("statement", H, "2026-03", now);
    assert_int_equal(item(rep, "points_earned"), 30);
    assert_int_equal(item(rep, "points_redeemed"), 0);
    assert_int_equal(item(rep, "points_deducted"), 0);
    assert_int_equal(item(rep, "points_closing"), 30);
    assert_int_equal(item(rep, "fee_offset_fen"), 0);
    assert_null(row(rep, "points_other"));
    assert_null(row(rep, "fee_other_fen"));
}

/* --- limits ------------------------------------------------------------------ */

/* Totals near the top of 64 bits: the rate is exact where
 * (billed - outstanding) * 1000 is far beyond int64. 93,000 bills of the
 * largest amount (1e9 yuan) over 1,000 households, 93,000 payments. */
static void test_collection_rate_at_the_limit(void **state)
{
    (void)state;
    enum { HOUSEHOLDS = 1000, BILLS = 93 };
    static jifen_command cmds[JIFEN_BATCH_MAX];
    size_t n = 0;
    int64_t t = at(2026, 1, 1, 9, 0);
    for (int h = 0; h < HOUSEHOLDS; h++) {
        char code[16];
        snprintf(code, sizeof code, "1-%d", h);
        cmds[n++] = command(JIFEN_CMD_HOUSEHOLD_ADD, code, 0);
    }
    write_batch(t, cmds, n);
    for (int b = 0; b < BILLS; b++) {
        n = 0;
        for (int h = 0; h < HOUSEHOLDS; h++) {
            char code[16];
            snprintf(code, sizeof code, "1-%d", h);
            cmds[n++] = command(JIFEN_CMD_BILL, code, JIFEN_FEN_MAX);
            /* the first household never pays */
            if (h > 0)
                cmds[n++] = command(JIFEN_CMD_PAY, code, JIFEN_FEN_MAX);
        }
        write_batch(t + b * 60000, cmds, n);
    }
    report *rep = run_report("ageing", NULL, "2026-01", at(2026, 2, 1, 0, 0));
    /* billed 93,000 x 1e11 = 9.3e15; outstanding 93 x 1e11 = 9.3e12:
     * 99.9% collected (rounded down). */
    assert_true(title_has(rep, "collection rate 99.9% (billed "
                               "9300000000000000, outstanding "
                               "9300000000000)"));
    assert_int_equal(cell(rep, "1-0", "total_fen"), 9300000000000);
}

/* The funder's points at the largest award, valued at the largest rate:
 * fits; the arithmetic of every sum is checked (arrears.h). */
static void test_points_at_the_limit(void **state)
{
    (void)state;
    write_at(at(2026, 1, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H, 0);
    write_at(at(2026, 1, 1, 9, 0), JIFEN_CMD_AWARD, H, JIFEN_POINTS_MAX);
    write_at(at(2026, 1, 1, 9, 0), JIFEN_CMD_AWARD, H, JIFEN_POINTS_MAX);
    report *rep =
        run_report("liability", NULL, "2026-01", at(2026, 2, 1, 0, 0));
    assert_int_equal(item(rep, "points_outstanding"), 2 * JIFEN_POINTS_MAX);
    assert_int_equal(item(rep, "points_value_fen"), 2 * JIFEN_POINTS_MAX * 100);
    rep = run_report("statement", H, "2026-01", at(2026, 2, 1, 0, 0));
    assert_int_equal(item(rep, "points_earned"), 2 * JIFEN_POINTS_MAX);
}

/* The checked sums: what does not fit is flagged, never wrapped. */
static void test_checked_sums(void **state)
{
    (void)state;
    bool over = false;
    int64_t s = INT64_MAX - 5;
    arrears_add(&s, 5, &over);
    assert_false(over);
    assert_int_equal(s, INT64_MAX);
    arrears_add(&s, 1, &over);
    assert_true(over);
    over = false;
    s = INT64_MIN + 1;
    arrears_add(&s, -2, &over);
    assert_true(over);
    over = false;
    assert_int_equal(arrears_signed(UINT64_MAX, &over), 0);
    assert_true(over);
    over = false;
    assert_int_equal(arrears_signed((uint64_t)INT64_MAX, &over), INT64_MAX);
    assert_false(over);
    assert_int_equal(arrears_diff(5, 7, &over), -2);
    assert_int_equal(arrears_diff(UINT64_MAX, 0, &over), 0);
    assert_true(over);
    over = false;
    assert_int_equal(arrears_diff(0, (uint64_t)INT64_MAX + 1, &over),
                     INT64_MIN);
    assert_false(over);
    assert_int_equal(arrears_permille(0, 0), -1);
    assert_int_equal(arrears_permille(INT64_MAX, 0), 1000);
    assert_int_equal(arrears_permille(INT64_MAX, INT64_MAX), 0);
    assert_int_equal(arrears_permille(INT64_MAX, INT64_MAX / 2), 500);
    assert_int_equal(arrears_permille(3, 2), 333);
}

/* A total that does not fit is refused with a status that says so: the
 * trial balance of a ledger whose cash account (restored from a damaged
 * backup, say) holds more than 64 bits can count. */
static void test_overflow_is_refused(void **state)
{
    (void)state;
    write_at(at(2026, 1, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, H, 0);
    write_at(at(2026, 1, 1, 9, 0), JIFEN_CMD_PAY, H, JIFEN_FEN_MAX);
    /* Behind the ledger's back, as a damaged file would: cash debits near
     * the top of uint64. */
    storage_txn txn;
    assert_int_equal(storage_txn_begin(ledger_storage(book.led), &txn, true),
                     STORAGE_OK);
    account_totals big = {UINT64_MAX - 10, 0};
    uint8_t rec[BALANCE_RECORD_LEN];
    account_totals_encode(&big, rec);
    const char *cash = ACCOUNT_CASH;
    assert_int_equal(storage_put(&txn, TABLE_BALANCES, cash, strlen(cash), rec,
                                 sizeof rec, STORAGE_PUT_OVERWRITE),
                     STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);

    report *rep = run_report("trial-balance", NULL, "", at(2026, 2, 1, 0, 0));
    assert_int_equal(rep->r.status, JIFEN_STATUS_OVERFLOW);
    assert_non_null(strstr(rep->r.error, "64"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reversed_bill_is_not_billed,
                                        setup, teardown),
        cmocka_unit_test(test_age_buckets),
        cmocka_unit_test_setup_teardown(test_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bill_reversed_later, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reversed_redemption, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reversed_in_its_month, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_collection_rate_at_the_limit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_points_at_the_limit, setup,
                                        teardown),
        cmocka_unit_test(test_checked_sums),
        cmocka_unit_test_setup_teardown(test_overflow_is_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
