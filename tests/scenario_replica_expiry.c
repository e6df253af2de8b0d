/*
 * scenario_replica_expiry - a replica that follows its primary commit by
 * commit holds the primary's expiry lots after every commit, not only in
 * the end. Before issue 10's one apply path it did not: the replica
 * closed, before each entry it took, every lot due by that entry's time (a
 * second derivation, rules_replicate -> replicate_expiry), while the
 * primary closed lots when its timer ran and wrote an entry only for what
 * was left of them. Each test below is one way the two parted, found by
 * tests/test_equivalence.c (JIFEN_EQUIV_FOLLOW=1) on that code, in a few
 * commands; each failed there on the line after the step named, with the
 * rows named below.
 *
 * What differed, each time: the meta row "expiry-lot/<be64 expiry ms><H>"
 * (there on one side, gone on the other) and the balances row
 * "household/<H>/" 0x01 "#expiring" NUL "all", the points of closed lots.
 */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define H "3-2-501"

/* The replica takes what is new and must then hold what the primary holds
 * (a macro: a failure names the line of the scenario). */
#define CAUGHT_UP(p, r)                                                        \
    do {                                                                       \
        sc_follow((r), (p));                                                   \
        sc_same_tables((p), (r));                                              \
    } while (0)

/* Points expire at the end of the month after the month earned: June
 * points on 1 August 00:00. */
static const char MONTHLY[] =
    "version = monthly\nfen_per_point = 100\nmax_offset_percent = 50\n"
    "expiry = months\nexpiry_months = 1\n"
    "[activity meeting]\npoints = 2\n";

/* A ledger with MONTHLY where H earned 2 points on 10 June: a lot that
 * expires on 1 August 00:00. */
static scenario *june_meeting(void)
{
    const char *rules[] = {MONTHLY, NULL};
    scenario *p = scenario_new(rules);
    scenario_at(p, "2026-06-10 10:00");
    sc_ok(p, &p->committee, sc_household(H, NULL));
    sc_ok(p, &p->committee, sc_award(H, "meeting"));
    return p;
}

/* An entry made at a lot's expiry before the timer ran there: the replica
 * closes the lot when it takes the entry, the primary only at its next
 * timer run (primary: lot open, counter 0; replica: lot gone, counter 2). */
static void test_an_entry_before_the_timer(void **state)
{
    (void)state;
    scenario *p = june_meeting();
    scenario *r = scenario_replica_of(p);
    CAUGHT_UP(p, r);

    /* 1 August 00:00: a bill in the turn before the timer's. */
    scenario_at(p, "2026-08-01 00:00");
    sc_ok(p, &p->terminal, sc_bill(H, 1000, "2026-08"));
    CAUGHT_UP(p, r);

    /* The timer expires the 2 points; then both agree again. */
    assert_int_equal(scenario_tick(p), 1);
    CAUGHT_UP(p, r);
    scenario_destroy(&r);
    scenario_destroy(&p);
}

/* The timer closes a lot with nothing left and writes no entry: the
 * replica has nothing to take and keeps the lot open until the next entry
 * dated after it (primary: lot gone, counter 2; replica: lot open,
 * counter absent). */
static void test_a_spent_lot_closed_by_the_timer(void **state)
{
    (void)state;
    scenario *p = june_meeting();
    sc_ok(p, &p->terminal, sc_bill(H, 1000, "2026-06"));
    sc_ok(p, &p->terminal, sc_redeem(H, 2)); /* all of it spent */
    scenario *r = scenario_replica_of(p);
    CAUGHT_UP(p, r);

    scenario_at(p, "2026-08-01 00:00");
    assert_int_equal(scenario_tick(p), 0);
    CAUGHT_UP(p, r);

    scenario_at(p, "2026-08-02 09:00");
    sc_ok(p, &p->terminal, sc_pay(H, 100));
    CAUGHT_UP(p, r);
    scenario_destroy(&r);
    scenario_destroy(&p);
}

/* A late release (approved two months after its window ended) while the
 * household spent more than it: the primary's timer releases the award and
 * the replica must hold the same lots after it. Until the release was
 * dated by the rule set in force when its window ended (docs/policy.md,
 * "Expiry"), it started a lot that was due at once and the two parted;
 * test_late_approval_keeps_its_expiry checks the dating itself. */
static void test_a_late_release_of_a_lot_already_due(void **state)
{
    (void)state;
    const char *july[] = {
        "version = july\neffective = 2026-07-01\n"
        "fen_per_point = 100\nmax_offset_percent = 50\n"
        "notice_days = 3\napproval_above = 20\n"
        "expiry = months\nexpiry_months = 2\n"
        "[activity honour]\npoints = 5\nmax_points = 50\n",
        "version = september\neffective = 2026-09-01\n"
        "fen_per_point = 100\nmax_offset_percent = 50\n"
        "expiry = months\nexpiry_months = 1\n"
        "[activity honour]\npoints = 5\nmax_points = 50\n",
        NULL};
    scenario *p = scenario_new(july);
    ledger_caller second =
        scenario_enrol(p, JIFEN_ROLE_COMMITTEE, "second member");
    scenario_at(p, "2026-07-02 10:00");
    sc_ok(p, &p->committee, sc_household(H, NULL));
    sc_ok(p, &p->committee, sc_award_points(H, "honour", 20));
    sc_ok(p, &p->committee, sc_award_points(H, "honour", 20));
    uint64_t big =
        sc_ok(p, &p->committee, sc_award_points(H, "honour", 30)).entry;
    scenario_at(p, "2026-07-06 00:00");
    assert_int_equal(scenario_tick(p), 2); /* the two of 20 */
    sc_ok(p, &p->terminal, sc_bill(H, 10000, "2026-07"));
    sc_ok(p, &p->terminal, sc_redeem(H, 40));
    scenario *r = scenario_replica_of(p);
    CAUGHT_UP(p, r);

    /* Approved on 3 September; the timer posts it at once. */
    scenario_at(p, "2026-09-03 10:00");
    sc_ok(p, &second, sc_approve(big));
    CAUGHT_UP(p, r);
    assert_true(scenario_tick(p) >= 1);
    CAUGHT_UP(p, r);
    scenario_destroy(&r);
    scenario_destroy(&p);
}

/* The release of an award approved late is dated by the rule set in force
 * when its window ended (July's: two months), not the one in force when
 * the timer posts it (September's: one month): 30 points earned in July
 * last until 1 October, instead of expiring in the run that releases them. */
static void test_late_approval_keeps_its_expiry(void **state)
{
    (void)state;
    const char *rules[] = {
        "version = july\neffective = 2026-07-01\n"
        "fen_per_point = 100\nmax_offset_percent = 50\n"
        "notice_days = 3\napproval_above = 20\n"
        "expiry = months\nexpiry_months = 2\n"
        "[activity honour]\npoints = 5\nmax_points = 50\n",
        "version = september\neffective = 2026-09-01\n"
        "fen_per_point = 100\nmax_offset_percent = 50\n"
        "expiry = months\nexpiry_months = 1\n"
        "[activity honour]\npoints = 5\nmax_points = 50\n",
        NULL};
    scenario *p = scenario_new(rules);
    ledger_caller second =
        scenario_enrol(p, JIFEN_ROLE_COMMITTEE, "second member");
    scenario_at(p, "2026-07-02 10:00");
    sc_ok(p, &p->committee, sc_household(H, NULL));
    uint64_t big =
        sc_ok(p, &p->committee, sc_award_points(H, "honour", 30)).entry;
    scenario_at(p, "2026-07-06 00:00");
    assert_int_equal(scenario_tick(p), 0); /* waits for its approval */
    scenario_at(p, "2026-09-03 10:00");
    sc_ok(p, &second, sc_approve(big));
    assert_int_equal(scenario_tick(p), 1); /* the release, nothing expired */
    sc_expect_balance(p, H, 30, 0, 0);
    scenario_at(p, "2026-09-30 23:59");
    assert_int_equal(scenario_tick(p), 0);
    scenario_at(p, "2026-10-01 00:00");
    assert_int_equal(scenario_tick(p), 1); /* July's points, as July said */
    sc_expect_balance(p, H, 0, 0, 0);
    scenario_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_an_entry_before_the_timer,
                                  scenario_teardown),
        cmocka_unit_test_teardown(test_a_spent_lot_closed_by_the_timer,
                                  scenario_teardown),
        cmocka_unit_test_teardown(test_a_late_release_of_a_lot_already_due,
                                  scenario_teardown),
        cmocka_unit_test_teardown(test_late_approval_keeps_its_expiry,
                                  scenario_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
