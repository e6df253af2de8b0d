/*
 * scenario_notice - public notice (公示), expiry and a sanction with its
 * appeal under the shipped rule sets (deploy/policy.conf, then
 * deploy/policy-2026-07.conf from 1 July 2026: 7 days of notice, a second
 * approval above 20 points, 2026's points expire on 1 January 2028, free
 * riding suspends redemption for the rest of the month and two more).
 * "The timer runs" is ledger_tick at that moment, as jifend's server loop
 * calls it: awards wait in pending, post by themselves at 00:00 Shanghai
 * after the window, an objection voids one, the notice list masks names
 * and doors, and a restart neither skips nor repeats a posting.
 *
 * Was tests/e2e/notice.sh; what needs the real daemon (its server loop
 * posting with no client involved, after kill -9 too, and the CLI's CSV of
 * the notice list) stays there.
 */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define H "3-2-501"
#define H2 "3-2-502"
#define S "5-1-101"

static char *revised;

static scenario *shipped_rules(void)
{
    const char *rules[] = {policy_default_text, revised, NULL};
    return scenario_new(rules);
}

/* What the daemon's timer does at `when`. */
static uint64_t timer_at(scenario *s, const char *when)
{
    scenario_at(s, when);
    return scenario_tick(s);
}

static const jifen_notice *notice_of(const jifen_result *list, uint64_t entry)
{
    for (size_t i = 0; i < list->n_notices; i++)
        if (list->notices[i].entry == entry)
            return &list->notices[i];
    fail_msg("award %llu is not on the notice list",
             (unsigned long long)entry);
    return NULL;
}

static void test_notice(void **state)
{
    (void)state;
    scenario *s = shipped_rules();
    scenario_at(s, "2026-07-03 15:00");
    sc_ok(s, &s->committee, sc_household(H, "张三"));
    sc_ok(s, &s->committee, sc_household(H2, "李四"));

    jifen_result a = sc_ok(s, &s->committee, sc_award(H, "meeting"));
    assert_int_equal(a.notice_ends_ms, scenario_ms("2026-07-11 00:00"));
    assert_string_equal(a.postings[0].credit, "household/" H "/pending");
    jifen_result objected = sc_ok(s, &s->committee, sc_award(H, "meeting"));
    assert_int_equal(objected.notice_ends_ms, a.notice_ends_ms);
    sc_expect_balance(s, H, 0, 4, 0);
    sc_ok(s, &s->terminal, sc_bill(H, 10000, "2026-07"));
    sc_refused(s, &s->terminal, sc_redeem(H, 1),
               JIFEN_STATUS_INSUFFICIENT_POINTS, "has 0 points");

    /* Above 20 points: a second committee member must approve, never the
     * one who recorded it. */
    jifen_result big =
        sc_ok(s, &s->committee, sc_award_points(H2, "honour", 30));
    assert_true(big.needs_approval);
    sc_refused(s, &s->committee, sc_approve(big.entry),
               JIFEN_STATUS_FORBIDDEN,
               "recorded by test-committee, who may not also approve it");

    /* An objection upheld voids the second award: pending back to
     * issuance; once. */
    jifen_result o = sc_ok(s, &s->committee,
                           sc_object(objected.entry, "counted twice"));
    assert_string_equal(o.postings[0].debit, "household/" H "/pending");
    assert_string_equal(o.postings[0].credit, "community/points-issued");
    sc_refused(s, &s->committee, sc_object(objected.entry, "again"),
               JIFEN_STATUS_NOTICE_CLOSED, "voided by entry");
    sc_refused(s, &s->committee, sc_object(a.entry, ""),
               JIFEN_STATUS_BAD_REQUEST, "note: required");

    /* The notice list, masked; this month by default. */
    const jifen_result *list = scenario_notices(s, "2026-07");
    assert_int_equal(list->n_notices, 3);
    const char *states[] = {"pending", "voided", "pending"};
    for (size_t i = 0; i < 3; i++) {
        const jifen_notice *n = &list->notices[i];
        assert_string_equal(n->state, states[i]);
        assert_null(strstr(n->name, "张三"));
        assert_null(strstr(n->name, "李四"));
        assert_null(strstr(n->household, H));
        assert_null(strstr(n->household, H2));
    }
    assert_string_equal(list->notices[0].household, "3-2-5**");
    assert_string_equal(list->notices[0].name, "张*");
    assert_string_equal(list->notices[0].activity, "meeting");
    assert_string_equal(list->notices[2].name, "李*");
    list = scenario_notices(s, "");
    assert_int_equal(list->n_notices, 3);

    /* The last minute of the window: still pending. 00:00: posted by the
     * timer, as a release written by jifend itself. */
    assert_int_equal(timer_at(s, "2026-07-10 23:59"), 0);
    sc_expect_balance(s, H, 0, 2, 10000);
    assert_int_equal(timer_at(s, "2026-07-11 00:00"), 1);
    sc_expect_balance(s, H, 2, 0, 10000);
    const jifen_entry *e = scenario_newest(s, H);
    assert_int_equal(e->command.kind, JIFEN_CMD_RELEASE);
    assert_string_equal(e->author, "jifend");
    sc_ok(s, &s->terminal, sc_redeem(H, 2));
    /* Posted and spent: taking the award back would leave H below zero. */
    sc_refused(s, &s->committee, sc_reverse(a.entry, "late objection"),
               JIFEN_STATUS_INSUFFICIENT_POINTS,
               "needs 2 points; household/" H "/points has 0");
    sc_expect_balance(s, H2, 0, 30, 0); /* the unapproved honour waits */

    /* A second key labelled like the recorder plus a space is not a
     * second person (the journal would read "approved by test-committee"). */
    ledger_caller lookalike =
        scenario_enrol(s, JIFEN_ROLE_COMMITTEE, "test-committee ");
    sc_refused(s, &lookalike, sc_approve(big.entry), JIFEN_STATUS_FORBIDDEN,
               "recorded by test-committee");
    sc_expect_balance(s, H2, 0, 30, 0);

    /* Another committee member, with a key of their own, approves it; its
     * window is over, so the timer posts it at once. */
    ledger_caller second =
        scenario_enrol(s, JIFEN_ROLE_COMMITTEE, "second committee member");
    jifen_result ap = sc_ok(s, &second, sc_approve(big.entry));
    assert_int_equal(ap.n_postings, 0);
    assert_int_equal(scenario_tick(s), 1);
    sc_expect_balance(s, H2, 30, 0, 0);

    /* An award whose window has ended when the ledger opens again: the
     * first tick after the restart posts it, and only once. */
    scenario_at(s, "2026-07-12 09:00");
    uint64_t late = sc_ok(s, &s->committee, sc_award(H, "meeting")).entry;
    scenario_restart(s);
    assert_int_equal(timer_at(s, "2026-07-25 09:00"), 1);
    sc_expect_balance(s, H, 2, 0, 10000 - 200);
    scenario_restart(s);
    assert_int_equal(scenario_tick(s), 0);
    const jifen_result *hist = scenario_history(s, H, 50);
    int releases = 0;
    for (size_t i = 0; i < hist->n_history; i++)
        releases += hist->history[i].command.kind == JIFEN_CMD_RELEASE;
    assert_int_equal(releases, 2);
    sc_expect_balance(s, H, 2, 0, 10000 - 200);
    assert_string_equal(notice_of(scenario_notices(s, "2026-07"), late)->state,
                        "posted");

    /* Expiry of the revision: 2026's points expire on 1 January 2028
     * 00:00, oldest first, posted by the timer. */
    sc_ok(s, &s->committee, sc_award(H, "meeting"));
    assert_int_equal(timer_at(s, "2026-09-20 00:00"), 1);
    sc_expect_balance(s, H, 4, 0, 9800);
    sc_ok(s, &s->terminal, sc_redeem(H, 1));
    assert_int_equal(timer_at(s, "2027-12-31 23:59"), 0);
    sc_expect_balance(s, H, 3, 0, 9700);
    /* Two entries: H's 3 points left of 6, and H2's 30. */
    assert_int_equal(timer_at(s, "2028-01-01 00:00"), 2);
    sc_expect_balance(s, H, 0, 0, 9700);
    sc_expect_balance(s, H2, 0, 0, 0);
    e = scenario_newest(s, H);
    assert_int_equal(e->command.kind, JIFEN_CMD_EXPIRE);
    assert_string_equal(e->postings[0].debit, "household/" H "/points");
    assert_string_equal(e->postings[0].credit, "community/points-expired");
    assert_int_equal(e->postings[0].amount, 3);
    assert_string_equal(e->author, "jifend");

    /* A sanction: free riding suspends redemption for the rest of the
     * month and two more; the fee is untouched and may be paid; an appeal
     * upheld gives the point back and lifts the suspension. */
    sc_ok(s, &s->committee, sc_household(S, NULL));
    sc_ok(s, &s->terminal, sc_bill(S, 5000, "2028-01"));
    sc_ok(s, &s->committee, sc_award(S, "meeting"));
    sc_ok(s, &s->committee, sc_award(S, "meeting"));
    assert_int_equal(timer_at(s, "2028-01-10 09:00"), 2);
    sc_expect_balance(s, S, 4, 0, 5000);
    jifen_result d = sc_ok(s, &s->committee,
                           sc_deduct(S, "free-riding", 1,
                                     "refused the stairwell cleaning share"));
    assert_int_equal(d.suspended_until_ms, scenario_ms("2028-04-01 00:00"));
    assert_int_equal(d.balance.fee_due_fen, 5000);
    sc_refused(s, &s->terminal, sc_redeem(S, 1),
               JIFEN_STATUS_REDEMPTION_SUSPENDED,
               "suspended until 2028-04-01 00:00");
    sc_ok(s, &s->terminal, sc_pay(S, 1000));
    jifen_result appeal = sc_ok(
        s, &s->committee,
        sc_reverse(d.entry, "the share was paid in cash to the building head"));
    assert_int_equal(appeal.balance.points, 4);
    sc_ok(s, &s->terminal, sc_redeem(S, 1));
    sc_verify(s);
    scenario_destroy(&s);
}

int main(void)
{
    revised = scenario_source_file("deploy/policy-2026-07.conf");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_notice, scenario_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(revised);
    return rc;
}
