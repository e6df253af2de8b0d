/*
 * scenario_desk - on-time points on a real ledger, tick by tick: jifend
 * judges a month after its deadline a batch of households a tick
 * (TICK_BATCH), so a restart in the middle of a month - the timer's place
 * lost, as after kill -9 - judges it again from the start: every household
 * that paid in time gets its points once, never twice, none skipped; the
 * month is closed by an entry and not judged again; older arrears are paid
 * first; a payment after the deadline earns nothing; reversing the payment
 * takes the points back (docs/desk.md). Under deploy/policy-desk.conf:
 * 5 points for a month paid in full by the 15th.
 */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N 300 /* more than a tick's worth (TICK_BATCH) of households */

static void code(char out[16], int i)
{
    snprintf(out, 16, "H-%04d", i);
}

/* Households awarded on-time points of `period`, and awards in all. */
static void count_awards(scenario *s, const char *period, int *households,
                         int *awards)
{
    *households = *awards = 0;
    for (int i = 0; i < N; i++) {
        char h[16];
        code(h, i);
        const jifen_result *r = scenario_history(s, h, 50);
        int mine = 0;
        for (size_t k = 0; k < r->n_history; k++)
            if (r->history[k].command.kind == JIFEN_CMD_ONTIME_AWARD &&
                strcmp(r->history[k].command.period, period) == 0 &&
                r->history[k].reverses == 0)
                mine++;
        *awards += mine;
        *households += mine > 0;
        if (mine > 1)
            fail_msg("%s has %d on-time awards of %s", h, mine, period);
    }
}

static void test_ontime_across_restarts(void **state)
{
    (void)state;
    char *desk = scenario_source_file("deploy/policy-desk.conf");
    const char *rules[] = {desk, NULL};
    scenario *s = scenario_new(rules);
    /* December billed to all; January too. Even households pay January by
     * the 15th; H-0001 pays late; H-0003 pays January's amount but still
     * owes December, which it settles first. */
    scenario_at(s, "2025-12-20 10:00");
    for (int i = 0; i < N; i++) {
        char h[16];
        code(h, i);
        sc_ok(s, &s->committee, sc_household(h, NULL));
        sc_ok(s, &s->terminal, sc_bill(h, 1000, "2025-12"));
    }
    for (int i = 0; i < N; i++) {
        char h[16];
        code(h, i);
        if (i != 3)
            sc_ok(s, &s->terminal, sc_pay(h, 1000)); /* December */
    }
    scenario_at(s, "2026-01-02 09:00");
    for (int i = 0; i < N; i++) {
        char h[16];
        code(h, i);
        sc_ok(s, &s->terminal, sc_bill(h, 2000, "2026-01"));
    }
    scenario_at(s, "2026-01-10 09:00");
    uint64_t h0_pay = 0;
    for (int i = 0; i < N; i += 2) {
        char h[16];
        code(h, i);
        jifen_result r = sc_ok(s, &s->terminal, sc_pay(h, 2000));
        if (i == 0)
            h0_pay = r.entry;
    }
    sc_ok(s, &s->terminal, sc_pay("H-0003", 2000)); /* pays December first */
    /* December's bills came on the 20th, after its deadline (the 15th):
     * judging December (a tick a batch, some ticks writing nothing but the
     * timer's place) awards nobody; January is not due yet. */
    scenario_at(s, "2026-01-15 23:59");
    for (int t = 0; t < 10; t++)
        scenario_tick(s);
    int households = 0, awards = 0;
    count_awards(s, "2026-01", &households, &awards);
    assert_int_equal(awards, 0);

    /* After the deadline: one tick judges a batch, then a restart loses
     * the timer's place in the month. */
    scenario_at(s, "2026-01-16 00:00");
    sc_ok(s, &s->terminal, sc_pay("H-0001", 2000)); /* late */
    uint64_t wrote = scenario_tick(s);
    assert_true(wrote > 0);
    count_awards(s, "2026-01", &households, &awards);
    assert_true(awards > 0 && awards < N / 2); /* part of the month */
    scenario_restart(s);
    for (int t = 0; t < 10; t++)
        scenario_tick(s);
    count_awards(s, "2026-01", &households, &awards);
    /* Every even household once: H-0000 ... H-0598; not H-0001 (late),
     * not H-0003 (its January money paid December). */
    assert_int_equal(households, N / 2);
    assert_int_equal(awards, N / 2);
    sc_expect_balance(s, "H-0000", 5, 0, 0);
    sc_expect_balance(s, "H-0001", 0, 0, 0);
    sc_expect_balance(s, "H-0003", 0, 0, 1000); /* December still owed */
    /* The month is closed: restarts and ticks judge it no more. */
    uint64_t head = scenario_head(s);
    scenario_restart(s);
    scenario_tick(s);
    scenario_at(s, "2026-01-20 00:00");
    scenario_tick(s);
    assert_int_equal(scenario_head(s), head);

    /* Reversing H-0000's January payment takes its points back. */
    jifen_result rev = sc_ok(s, &s->terminal,
                             sc_reverse(h0_pay, "the transfer bounced"));
    assert_int_equal(rev.n_postings, 2);
    assert_string_equal(rev.postings[1].credit, "community/points-issued");
    assert_int_equal(rev.postings[1].amount, 5);
    sc_expect_balance(s, "H-0000", 0, 0, 2000);
    count_awards(s, "2026-01", &households, &awards);
    assert_int_equal(awards, N / 2); /* taken back, never given again */
    scenario_destroy(&s);
    free(desk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ontime_across_restarts),
    };
    return cmocka_run_group_tests(tests, NULL, scenario_teardown);
}
