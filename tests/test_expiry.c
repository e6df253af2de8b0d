/*
 * test_expiry - points expire by the rule set's scheme, oldest first, as
 * explicit postings to community/points-expired made by the daemon's timer
 * at the exact month boundary (Asia/Shanghai), once, also across reopens.
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

/* Points expire at the end of the 2nd month after the month earned: March
 * points expire on 1 June 00:00. */
#define MONTHS                                                                 \
    "version = exp-months\nfen_per_point = 100\nmax_offset_percent = 100\n"    \
    "expiry = months\nexpiry_months = 2\n"                                     \
    "[activity honour]\npoints = 5\nmax_points = 50\n"
#define YEAR_END                                                               \
    "version = exp-year\nfen_per_point = 100\nmax_offset_percent = 100\n"      \
    "expiry = end-of-following-year\n"                                         \
    "[activity honour]\npoints = 5\nmax_points = 50\n"
#define NEVER                                                                  \
    "version = exp-never\nfen_per_point = 100\nmax_offset_percent = 100\n"     \
    "[activity honour]\npoints = 5\nmax_points = 50\n"

#define NOTICED                                                                \
    "version = exp-notice\nfen_per_point = 100\nmax_offset_percent = 100\n"    \
    "expiry = months\nexpiry_months = 2\nnotice_days = 7\n"                    \
    "[activity honour]\npoints = 5\nmax_points = 50\n"

#define H "3-2-501"

typedef testutil_book fixture;

static fixture *start(const char *rules)
{
    static fixture f;
    assert_int_equal(testutil_book_open(&f, &rules, 1), 0);
    return &f;
}

static void stop(fixture *f)
{
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
    testutil_book_close(f);
}

#define at testutil_at

static jifen_result run_at(fixture *f, int64_t now, jifen_command_kind kind,
                           uint64_t amount)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, H);
    if (kind == JIFEN_CMD_AWARD) {
        snprintf(c.code, sizeof c.code, "honour");
        c.points = (uint32_t)amount;
    } else if (kind == JIFEN_CMD_BILL) {
        c.amount = amount;
        snprintf(c.period, sizeof c.period, "2026-01");
    } else {
        c.amount = amount;
    }
    jifen_result r;
    assert_int_equal(testutil_book_write(f, now, "clerk", &c, &r), 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    return r;
}

static int64_t points(fixture *f)
{
    jifen_balance b;
    assert_int_equal(testutil_book_balance(f, H, &b), 0);
    return b.points;
}

#define head testutil_book_head

static void tick(fixture *f, int64_t now)
{
    assert_int_equal(ledger_tick(f->led, now), LEDGER_OK);
}

static void setup_household(fixture *f)
{
    run_at(f, at(2026, 1, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, 0);
    run_at(f, at(2026, 1, 1, 9, 0), JIFEN_CMD_BILL, 100000);
}

static void assert_verifies(fixture *f)
{
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    if (!rep.ok)
        fail_msg("verify: %s", rep.problem);
}

static void test_expiry_dates(void **state)
{
    (void)state;
    policy p;
    char err[256];
    assert_int_equal(
        policy_parse(&p, MONTHS, strlen(MONTHS), "m", err, sizeof err), 0);
    assert_int_equal(policy_expiry_of(&p, at(2026, 3, 31, 23, 59)),
                     at(2026, 6, 1, 0, 0));
    assert_int_equal(policy_expiry_of(&p, at(2026, 11, 1, 0, 0)),
                     at(2027, 2, 1, 0, 0));
    assert_int_equal(
        policy_parse(&p, YEAR_END, strlen(YEAR_END), "y", err, sizeof err), 0);
    assert_int_equal(policy_expiry_of(&p, at(2026, 12, 31, 23, 59)),
                     at(2028, 1, 1, 0, 0));
    assert_int_equal(policy_expiry_of(&p, at(2027, 1, 1, 0, 0)),
                     at(2029, 1, 1, 0, 0));
    assert_int_equal(
        policy_parse(&p, NEVER, strlen(NEVER), "n", err, sizeof err), 0);
    assert_true(policy_expiry_of(&p, 0) == INT64_MAX);
    const char *bad = "version = x\nfen_per_point = 1\nmax_offset_percent = 1\n"
                      "expiry = monthly\n[activity a]\npoints = 1\n";
    assert_int_equal(policy_parse(&p, bad, strlen(bad), "b", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "expiry must be never, months or"));
    bad = "version = x\nfen_per_point = 1\nmax_offset_percent = 1\n"
          "expiry = months\n[activity a]\npoints = 1\n";
    assert_int_equal(policy_parse(&p, bad, strlen(bad), "b", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "expiry_months goes with expiry = months"));
}

/* Oldest first: 10 in March, 5 in April, 12 spent in May. On 1 June the
 * March lot has nothing left; on 1 July 3 of April's 5 expire. */
static void test_oldest_first_at_the_boundary(void **state)
{
    (void)state;
    fixture *f = start(MONTHS);
    setup_household(f);
    run_at(f, at(2026, 3, 15, 9, 0), JIFEN_CMD_AWARD, 10);
    run_at(f, at(2026, 4, 30, 23, 59), JIFEN_CMD_AWARD, 5);
    run_at(f, at(2026, 5, 10, 9, 0), JIFEN_CMD_REDEEM, 12);
    uint64_t h0 = head(f);
    tick(f, at(2026, 6, 1, 0, 0) - 1);
    assert_int_equal(head(f), h0);
    tick(f, at(2026, 6, 1, 0, 0));
    assert_int_equal(head(f), h0); /* March lot all spent: no entry */
    assert_int_equal(points(f), 3);
    tick(f, at(2026, 7, 1, 0, 0) - 1);
    assert_int_equal(points(f), 3);
    tick(f, at(2026, 7, 1, 0, 0));
    assert_int_equal(head(f), h0 + 1);
    assert_int_equal(points(f), 0);
    /* Once: again, and after a reopen. */
    tick(f, at(2026, 8, 1, 0, 0));
    assert_int_equal(testutil_book_reopen(f), 0);
    tick(f, at(2026, 9, 1, 0, 0));
    assert_int_equal(head(f), h0 + 1);
    assert_verifies(f);
    stop(f);
}

/* Unspent points expire whole; what was earned later stays. A reopen
 * before the date changes nothing; a late first tick still expires once. */
static void test_expire_unspent_after_restart(void **state)
{
    (void)state;
    fixture *f = start(MONTHS);
    setup_household(f);
    run_at(f, at(2026, 3, 15, 9, 0), JIFEN_CMD_AWARD, 10);
    run_at(f, at(2026, 6, 1, 0, 0) - 1, JIFEN_CMD_AWARD, 7); /* May */
    run_at(f, at(2026, 5, 20, 9, 0), JIFEN_CMD_REDEEM, 4);
    assert_int_equal(testutil_book_reopen(f), 0);
    uint64_t h0 = head(f);
    tick(f, at(2026, 7, 15, 0, 0)); /* late: 6 of March's 10 are left */
    assert_int_equal(head(f), h0 + 1);
    assert_int_equal(points(f), 7);
    tick(f, at(2026, 8, 1, 0, 0));
    assert_int_equal(points(f), 0); /* May's 7 expire on 1 August */
    assert_int_equal(head(f), h0 + 2);
    assert_verifies(f);
    stop(f);
}

static void test_year_end_and_never(void **state)
{
    (void)state;
    fixture *f = start(YEAR_END);
    setup_household(f);
    run_at(f, at(2026, 12, 31, 23, 59), JIFEN_CMD_AWARD, 10);
    run_at(f, at(2027, 1, 1, 0, 0), JIFEN_CMD_AWARD, 20);
    tick(f, at(2028, 1, 1, 0, 0) - 1);
    assert_int_equal(points(f), 30);
    tick(f, at(2028, 1, 1, 0, 0));
    assert_int_equal(points(f), 20);
    tick(f, at(2029, 1, 1, 0, 0));
    assert_int_equal(points(f), 0);
    assert_verifies(f);
    stop(f);

    f = start(NEVER);
    setup_household(f);
    run_at(f, at(2026, 3, 1, 0, 0), JIFEN_CMD_AWARD, 10);
    uint64_t h0 = head(f);
    tick(f, at(2040, 1, 1, 0, 0));
    assert_int_equal(head(f), h0);
    assert_int_equal(points(f), 10);
    stop(f);
}

/* An award under notice is earned when its window ends (5 April), not
 * when the timer first runs: a first tick on 1 July posts it and, in the
 * same tick, expires it (April points expire on 1 July). */
static void test_earned_at_window_end(void **state)
{
    (void)state;
    fixture *f = start(NOTICED);
    setup_household(f);
    run_at(f, at(2026, 3, 28, 9, 0), JIFEN_CMD_AWARD, 10);
    uint64_t h0 = head(f);
    tick(f, at(2026, 7, 1, 0, 0));
    assert_int_equal(head(f), h0 + 2); /* release, then expire */
    assert_int_equal(points(f), 0);
    assert_verifies(f);
    stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_dates),
        cmocka_unit_test(test_oldest_first_at_the_boundary),
        cmocka_unit_test(test_expire_unspent_after_restart),
        cmocka_unit_test(test_year_end_and_never),
        cmocka_unit_test(test_earned_at_window_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
