/*
 * test_sanction - a deduction under a rule with suspend_months suspends
 * redemption to the month boundary (Asia/Shanghai) and never touches the
 * fee account; an appeal upheld (the deduction reversed) restores both the
 * points and the right to redeem; a plain rule suspends nothing.
 */
#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "ledger.h"
#include "ruleset.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define RULES                                                                  \
    "version = s1\nfen_per_point = 100\nmax_offset_percent = 100\n"            \
    "[activity honour]\npoints = 5\nmax_points = 50\n"                         \
    "[rule free-riding]\npoints = 5\nsuspend_months = 2\n"                     \
    "[rule littering]\npoints = 1\n"
#define H "3-2-501"

static testutil_book book;

#define at testutil_at

static jifen_result run_at(int64_t now, jifen_command_kind kind,
                           const char *code, uint64_t amount)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, H);
    if (code)
        snprintf(c.code, sizeof c.code, "%s", code);
    snprintf(c.note, sizeof c.note, "found by the 议事会");
    if (kind == JIFEN_CMD_AWARD)
        c.points = (uint32_t)amount;
    else if (kind == JIFEN_CMD_REVERSE)
        c.entry = amount;
    else
        c.amount = amount;
    if (kind == JIFEN_CMD_BILL)
        snprintf(c.period, sizeof c.period, "2026-07");
    jifen_result r;
    assert_int_equal(testutil_book_write(&book, now, "clerk", &c, &r), 0);
    return r;
}

static jifen_balance balance(void)
{
    jifen_balance b;
    assert_int_equal(testutil_book_balance(&book, H, &b), 0);
    return b;
}

static void test_sanction_and_appeal(void **state)
{
    (void)state;
    const char *rules = RULES;
    assert_int_equal(testutil_book_open(&book, &rules, 1), 0);

    int64_t t = at(2026, 7, 15, 9, 0);
    assert_int_equal(run_at(t, JIFEN_CMD_HOUSEHOLD_ADD, NULL, 0).status,
                     JIFEN_STATUS_OK);
    run_at(t, JIFEN_CMD_BILL, NULL, 20000);
    run_at(t, JIFEN_CMD_AWARD, "honour", 30);

    /* A plain rule: points only. */
    jifen_result r = run_at(t, JIFEN_CMD_DEDUCT, "littering", 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.suspended_until_ms, 0);
    assert_int_equal(run_at(t, JIFEN_CMD_REDEEM, NULL, 1).status,
                     JIFEN_STATUS_OK);

    /* The sanction: the rest of July and two more months. */
    r = run_at(t, JIFEN_CMD_DEDUCT, "free-riding", 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.suspended_until_ms, at(2026, 10, 1, 0, 0));
    uint64_t sanction = r.entry;
    jifen_balance b = balance();
    assert_int_equal(b.points, 23);
    assert_int_equal(b.fee_due_fen, 20000 - 100); /* fee untouched */

    r = run_at(at(2026, 9, 30, 23, 59), JIFEN_CMD_REDEEM, NULL, 1);
    assert_int_equal(r.status, JIFEN_STATUS_REDEMPTION_SUSPENDED);
    assert_non_null(strstr(r.error, "suspended until 2026-10-01"));
    assert_non_null(strstr(r.error, "an appeal upheld lifts it"));
    /* Paying the fee is never suspended. */
    assert_int_equal(run_at(t, JIFEN_CMD_PAY, NULL, 100).status,
                     JIFEN_STATUS_OK);
    assert_int_equal(
        run_at(at(2026, 10, 1, 0, 0), JIFEN_CMD_REDEEM, NULL, 1).status,
        JIFEN_STATUS_OK);

    /* A second sanction, appealed: the points and the right come back. */
    r = run_at(at(2026, 10, 2, 9, 0), JIFEN_CMD_DEDUCT, "free-riding", 0);
    sanction = r.entry;
    assert_int_equal(
        run_at(at(2026, 10, 3, 9, 0), JIFEN_CMD_REDEEM, NULL, 1).status,
        JIFEN_STATUS_REDEMPTION_SUSPENDED);
    r = run_at(at(2026, 10, 5, 9, 0), JIFEN_CMD_REVERSE, NULL, sanction);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(balance().points, 22);
    assert_int_equal(
        run_at(at(2026, 10, 5, 9, 1), JIFEN_CMD_REDEEM, NULL, 1).status,
        JIFEN_STATUS_OK);

    jifen_verify_report rep;
    assert_int_equal(ledger_verify(book.led, &rep), LEDGER_OK);
    assert_true(rep.ok);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(&book), 0);
    testutil_book_close(&book);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanction_and_appeal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
