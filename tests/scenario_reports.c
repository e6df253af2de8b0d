/*
 * scenario_reports - every report with exact figures, under the shipped
 * default policy (100 fen a point, points pay at most 50% of the fee due),
 * at month boundaries: an entry at 23:59 on the last day belongs to that
 * month, one at 00:00 on the 1st to the next. Also settlement, never more
 * than the funder owes.
 *
 * Was tests/e2e/reports.sh; the CLI's --csv and its usage error for a
 * statement without a household are checked in tests/e2e/session.sh.
 */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define A "3-2-501"
#define B "3-2-502"

/* "days_0_30 days_31_90 days_91_180 days_over_180 total_fen" of a row. */
static void assert_ages(const jifen_report *r, const char *h,
                        const char *expected)
{
    static const char *const cols[] = {"days_0_30", "days_31_90",
                                       "days_91_180", "days_over_180",
                                       "total_fen"};
    char got[128] = "";
    for (size_t i = 0; i < 5; i++) {
        strcat(got, sc_cell(r, h, cols[i]));
        strcat(got, i < 4 ? " " : "");
    }
    if (strcmp(got, expected) != 0)
        fail_msg("%s: %s by age: expected %s, got %s", r->title, h, expected,
                 got);
}

static void test_reports(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    scenario_at(s, "2026-01-05 10:00");
    sc_ok(s, &s->committee, sc_household(A, "张三"));
    sc_ok(s, &s->committee, sc_household(B, NULL));
    sc_ok(s, &s->terminal, sc_bill(A, 10000, "2026-01"));
    sc_ok(s, &s->terminal, sc_bill(B, 8000, "2026-01"));
    sc_ok(s, &s->committee, sc_award_points(A, "honour", 20));

    scenario_at(s, "2026-02-28 23:59"); /* still February */
    sc_ok(s, &s->committee, sc_award(A, "meeting"));
    scenario_at(s, "2026-03-01 00:00"); /* March */
    sc_ok(s, &s->terminal, sc_bill(A, 10000, "2026-03"));
    sc_ok(s, &s->terminal, sc_redeem(A, 20));
    sc_ok(s, &s->terminal, sc_pay(A, 5000));
    sc_ok(s, &s->committee,
          sc_deduct(A, "littering", 0, "bags left in the stairwell"));
    sc_refused(s, &s->terminal, sc_settle(3000, NULL),
               JIFEN_STATUS_CAP_EXCEEDED, "the funder owes 20.00 yuan");
    sc_ok(s, &s->terminal, sc_settle(1000, "street office transfer 2026-03"));
    scenario_at(s, "2026-03-31 23:59");
    sc_ok(s, &s->terminal, sc_bill(B, 1000, "2026-03"));
    sc_ok(s, &s->terminal, sc_pay(B, 3000));
    scenario_at(s, "2026-04-01 00:00");
    sc_ok(s, &s->terminal, sc_pay(A, 1000));

    /* Statements. */
    const jifen_report *r = scenario_report(s, "statement", "2026-02", A);
    assert_int_equal(sc_item(r, "points_opening"), 20);
    assert_int_equal(sc_item(r, "points_earned"), 2); /* 23:59 on the 28th */
    assert_int_equal(sc_item(r, "points_closing"), 22);
    assert_int_equal(sc_item(r, "fee_opening_fen"), 10000);
    assert_int_equal(sc_item(r, "fee_billed_fen"), 0);
    r = scenario_report(s, "statement", "2026-03", A);
    assert_int_equal(sc_item(r, "points_opening"), 22);
    assert_int_equal(sc_item(r, "points_earned"), 0);
    assert_int_equal(sc_item(r, "points_redeemed"), 20);
    assert_int_equal(sc_item(r, "points_deducted"), 1);
    assert_int_equal(sc_item(r, "points_closing"), 1);
    assert_int_equal(sc_item(r, "fee_opening_fen"), 10000);
    assert_int_equal(sc_item(r, "fee_billed_fen"), 10000);
    assert_int_equal(sc_item(r, "fee_paid_fen"), 5000); /* not April's */
    assert_int_equal(sc_item(r, "fee_offset_fen"), 2000);
    assert_int_equal(sc_item(r, "fee_outstanding_fen"), 13000);

    /* Funder liability. */
    r = scenario_report(s, "liability", "2026-03", NULL);
    assert_int_equal(sc_item(r, "offset_this_month_fen"), 2000);
    assert_int_equal(sc_item(r, "settled_this_month_fen"), 1000);
    assert_int_equal(sc_item(r, "owed_at_end_fen"), 1000);
    assert_int_equal(sc_item(r, "points_outstanding"), 1);
    assert_int_equal(sc_item(r, "points_value_fen"), 100);
    r = scenario_report(s, "liability", "2026-02", NULL);
    assert_int_equal(sc_item(r, "offset_this_month_fen"), 0);
    assert_int_equal(sc_item(r, "points_outstanding"), 22);

    /* Arrears ageing as of the end of March (1 April 00:00): A owes 130 =
     * March's 100 (billed 1 March 00:00: 31 days) + 30 of January's (86
     * days); B owes 60 = the 10 billed at 23:59 on 31 March (0 days) + 50
     * of January's 80. Billed 290, outstanding 190: 34.4% collected. */
    r = scenario_report(s, "ageing", "2026-03", NULL);
    assert_ages(r, A, "0 13000 0 0 13000");
    assert_ages(r, B, "1000 5000 0 0 6000");
    assert_string_equal(sc_cell(r, "TOTAL", "total_fen"), "19000");
    assert_non_null(strstr(r->title, "collection rate 34.4%"));
    /* As of the end of August the same bills are older: B's 31 March bill
     * is 154 days old, January's 239; A's March bill 184. */
    r = scenario_report(s, "ageing", "2026-08", NULL);
    assert_ages(r, B, "0 0 1000 5000 6000");
    assert_ages(r, A, "0 0 0 12000 12000"); /* April's 10 paid */

    /* Trial balance, now. */
    r = scenario_report(s, "trial-balance", "", NULL);
    assert_non_null(strstr(r->title, "debits equal credits"));
    assert_string_equal(sc_cell(r, "TOTAL points", "debits"), "43");
    assert_string_equal(sc_cell(r, "TOTAL points", "credits"), "43");
    assert_string_equal(sc_cell(r, "TOTAL fee", "debits"), "41000");
    assert_string_equal(sc_cell(r, "TOTAL fee", "credits"), "41000");
    assert_string_equal(sc_cell(r, "community/cash", "balance"), "10000");
    sc_verify(s);
    scenario_destroy(&s);
}

/* Issue 12.2: the funder settled everything owed, then a redemption it paid
 * for was reversed (its points went back to the household). The liability
 * shows what the property company owes the funder back, never a negative
 * debt; the next redemptions use that up before anything is owed again,
 * and settling is refused while nothing is owed. */
static void test_settled_redemption_reversed(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    scenario_at(s, "2026-03-02 10:00");
    sc_ok(s, &s->committee, sc_household(A, NULL));
    sc_ok(s, &s->committee, sc_award_points(A, "honour", 50));
    sc_ok(s, &s->terminal, sc_bill(A, 20000, "2026-03"));
    uint64_t redeemed = sc_ok(s, &s->terminal, sc_redeem(A, 50)).entry;
    sc_ok(s, &s->terminal, sc_settle(5000, "street office transfer"));
    const jifen_report *r = scenario_report(s, "liability", "2026-03", NULL);
    assert_int_equal(sc_item(r, "owed_at_end_fen"), 0);
    assert_int_equal(sc_item(r, "funder_overpaid_fen"), 0);

    scenario_at(s, "2026-03-09 10:00");
    sc_ok(s, &s->terminal, sc_reverse(redeemed, "redeemed by mistake"));
    sc_expect_balance(s, A, 50, 0, 20000);
    r = scenario_report(s, "liability", "2026-03", NULL);
    assert_int_equal(sc_item(r, "owed_at_end_fen"), 0);
    assert_int_equal(sc_item(r, "funder_overpaid_fen"), 5000);
    assert_int_equal(sc_item(r, "settled_this_month_fen"), 5000);
    sc_refused(s, &s->terminal, sc_settle(100, NULL),
               JIFEN_STATUS_CAP_EXCEEDED, "owes 0.00 yuan");

    /* 20 points redeemed again: their 20 yuan come out of what was
     * overpaid; then 40 more: 30 of them use up the rest, 10 are owed. */
    scenario_at(s, "2026-04-02 10:00");
    sc_ok(s, &s->terminal, sc_redeem(A, 20));
    r = scenario_report(s, "liability", "2026-04", NULL);
    assert_int_equal(sc_item(r, "owed_at_end_fen"), 0);
    assert_int_equal(sc_item(r, "funder_overpaid_fen"), 3000);
    sc_ok(s, &s->committee, sc_award_points(A, "honour", 20));
    sc_ok(s, &s->terminal, sc_bill(A, 20000, "2026-04"));
    sc_ok(s, &s->terminal, sc_redeem(A, 40));
    r = scenario_report(s, "liability", "2026-04", NULL);
    assert_int_equal(sc_item(r, "owed_at_end_fen"), 1000);
    assert_int_equal(sc_item(r, "funder_overpaid_fen"), 0);
    assert_int_equal(sc_item(r, "offset_this_month_fen"), 6000);
    sc_ok(s, &s->terminal, sc_settle(1000, NULL));
    sc_verify(s);
    scenario_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reports, scenario_teardown),
        cmocka_unit_test_teardown(test_settled_redemption_reversed,
                                  scenario_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
