/*
 * scenario_redeem_cap - the points-to-fen rate and the cap on the share of
 * the fee due that points may pay, under the shipped default policy
 * (deploy/policy.conf: 100 fen a point, points pay at most 50% of what is
 * due, a meeting is worth 2 points). A refused redemption (over the cap,
 * not enough points, nothing due, unknown household) says why and changes
 * nothing (sc_refused checks every table).
 *
 * Was tests/e2e/redeem_cap.sh; the CLI's exit codes and --json form of a
 * refusal are the CLI's own and stay in tests/e2e/session.sh.
 */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define A "1-1-101"
#define B "1-1-102"

static void assert_posting(const jifen_posting *p, jifen_asset asset,
                           const char *debit, const char *credit,
                           uint64_t amount)
{
    assert_int_equal(p->asset, asset);
    assert_string_equal(p->debit, debit);
    assert_string_equal(p->credit, credit);
    assert_int_equal(p->amount, amount);
}

/* Enough points: the cap decides. */
static void test_the_cap_decides(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    sc_ok(s, &s->committee, sc_household(A, NULL));
    /* Three meetings: 6 points, more than the cap below lets through. */
    for (int i = 0; i < 3; i++)
        sc_ok(s, &s->committee, sc_award(A, "meeting"));

    sc_refused(s, &s->terminal, sc_redeem(A, 1), JIFEN_STATUS_CAP_EXCEEDED,
               "nothing is due");

    /* A 6.00 yuan bill: points may pay half, 3.00 yuan, i.e. 3 points. */
    sc_ok(s, &s->terminal, sc_bill(A, 600, "2026-03"));
    sc_expect_balance(s, A, 6, 0, 600);
    sc_refused(s, &s->terminal, sc_redeem(A, 4), JIFEN_STATUS_CAP_EXCEEDED,
               "at most 3 points can be redeemed now");
    sc_refused(s, &s->terminal, sc_redeem(A, 6), JIFEN_STATUS_CAP_EXCEEDED,
               "at most 3 points");

    jifen_result r = sc_ok(s, &s->terminal, sc_redeem(A, 3));
    assert_int_equal(r.points, 3);
    assert_int_equal(r.offset_fen, 300);
    assert_int_equal(r.n_postings, 2);
    assert_posting(&r.postings[0], JIFEN_ASSET_POINTS, "household/" A "/points",
                   "community/points-redeemed", 3);
    assert_posting(&r.postings[1], JIFEN_ASSET_FEE, "community/points-offset",
                   "household/" A "/fee", 300);
    sc_expect_balance(s, A, 3, 0, 300);

    /* The cap follows the fee still due: half of 3.00 yuan is 1 point. */
    sc_refused(s, &s->terminal, sc_redeem(A, 2), JIFEN_STATUS_CAP_EXCEEDED,
               "at most 1 points");

    /* Paying the rest and 0.01 ahead leaves nothing for points to pay. */
    sc_ok(s, &s->terminal, sc_pay(A, 301));
    sc_expect_balance(s, A, 3, 0, -1);
    sc_refused(s, &s->terminal, sc_redeem(A, 1), JIFEN_STATUS_CAP_EXCEEDED,
               "nothing is due");
    sc_verify(s);
    scenario_destroy(&s);
}

/* The cap would allow it, the points do not. */
static void test_the_points_decide(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    sc_ok(s, &s->committee, sc_household(B, NULL));
    sc_ok(s, &s->committee, sc_award(B, "meeting"));
    /* 1000 yuan due: the cap is 500 points, far above B's 2. */
    sc_ok(s, &s->terminal, sc_bill(B, 100000, "2026-03"));
    sc_refused(s, &s->terminal, sc_redeem(B, 3),
               JIFEN_STATUS_INSUFFICIENT_POINTS, "has 2 points, 3 needed");
    jifen_result r = sc_ok(s, &s->terminal, sc_redeem(B, 2));
    assert_int_equal(r.offset_fen, 200);
    sc_refused(s, &s->terminal, sc_redeem(B, 1),
               JIFEN_STATUS_INSUFFICIENT_POINTS, "has 0 points");
    sc_expect_balance(s, B, 0, 0, 100000 - 200);

    sc_refused(s, &s->terminal, sc_redeem("9-9-999", 1),
               JIFEN_STATUS_UNKNOWN_HOUSEHOLD, "9-9-999 is not registered");
    sc_verify(s);
    scenario_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_the_cap_decides, scenario_teardown),
        cmocka_unit_test_teardown(test_the_points_decide, scenario_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
