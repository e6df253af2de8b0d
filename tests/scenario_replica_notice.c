/*
 * scenario_replica_notice - a replica keeps the policy's derived state
 * (public notices, cap counters, expiry lots, sanctions, adopted rule sets)
 * as its primary does, from the replicated entries alone (ledger_replicate
 * of each, as daemon/replica.c applies the feed; the replica is given the
 * primary's rule-set files, as it is given its --policy): the notice list,
 * balances with pending points, the history, the resident statement and
 * verify answer byte for byte the same on both, before and after the
 * primary's timer posts the awards, after a sanction and its appeal, and
 * after a rule set adopted over the wire, which the replica then judges
 * by. At each of those points every table but the idempotency records is
 * the same on both.
 *
 * Was tests/e2e/replica_notice.sh; following over the wire is
 * tests/e2e/replica.sh, and that a replica daemon runs no timer of its own
 * stays in tests/e2e/notice.sh.
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
#define S "5-1-101"

static jifen_command query(jifen_command_kind kind, const char *h,
                           const char *period)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, "%s", h ? h : "");
    snprintf(c.period, sizeof c.period, "%s", period ? period : "");
    return c;
}

static jifen_command statement(const char *h)
{
    jifen_command c = query(JIFEN_CMD_REPORT, h, "2026-07");
    snprintf(c.code, sizeof c.code, "statement");
    return c;
}

/* The replica caught up: the policy's read side, byte for byte on both,
 * and every table. */
static void same_on_both(scenario *p, scenario *r)
{
    sc_follow(r, p);
    assert_int_equal(scenario_head(r), scenario_head(p));
    sc_same_answer(p, r, query(JIFEN_CMD_NOTICES, NULL, "2026-07"));
    sc_same_answer(p, r, query(JIFEN_CMD_BALANCE, H, NULL));
    sc_same_answer(p, r, query(JIFEN_CMD_BALANCE, S, NULL));
    sc_same_answer(p, r, query(JIFEN_CMD_HISTORY, H, NULL));
    sc_same_answer(p, r, statement(H));
    sc_same_answer(p, r, statement(S));
    sc_same_answer(p, r, query(JIFEN_CMD_VERIFY, NULL, NULL));
    sc_verify(r);
    sc_same_tables(p, r);
}

static void assert_states(scenario *s, const char *a, const char *b,
                          const char *c)
{
    const jifen_result *list = scenario_notices(s, "2026-07");
    assert_int_equal(list->n_notices, 3);
    assert_string_equal(list->notices[0].state, a);
    assert_string_equal(list->notices[1].state, b);
    assert_string_equal(list->notices[2].state, c);
}

static void test_replica_notice(void **state)
{
    (void)state;
    char *revised = scenario_source_file("deploy/policy-2026-07.conf");
    const char *rules[] = {policy_default_text, revised, NULL};
    scenario *p = scenario_new(rules);
    scenario_at(p, "2026-07-03 15:00");
    sc_ok(p, &p->committee, sc_household(H, "张三"));
    sc_ok(p, &p->committee, sc_household(S, "李四"));

    /* Under notice: two awards for H, one objected to; one for S. */
    sc_ok(p, &p->committee, sc_award(H, "meeting"));
    uint64_t objected = sc_ok(p, &p->committee, sc_award(H, "meeting")).entry;
    sc_ok(p, &p->committee, sc_object(objected, "counted twice"));
    sc_ok(p, &p->committee, sc_award(S, "meeting"));
    sc_ok(p, &p->terminal, sc_bill(S, 5000, "2026-07"));

    scenario *r = scenario_replica_of(p);
    same_on_both(p, r);
    sc_expect_balance(r, H, 0, 2, 0);
    assert_states(r, "pending", "voided", "pending");

    /* The window ends: the primary's timer posts both awards; the replica
     * follows from the release entries (it posts nothing itself). */
    scenario_at(p, "2026-07-11 00:00");
    assert_int_equal(scenario_tick(p), 2);
    sc_expect_balance(p, H, 2, 0, 0);
    same_on_both(p, r);
    sc_expect_balance(r, H, 2, 0, 0);
    assert_states(r, "posted", "voided", "posted");

    /* A sanction and its appeal, a redemption. */
    uint64_t sanction =
        sc_ok(p, &p->committee,
              sc_deduct(S, "free-riding", 1, "stairwell share"))
            .entry;
    sc_ok(p, &p->committee, sc_reverse(sanction, "paid in cash"));
    sc_ok(p, &p->terminal, sc_redeem(S, 1));
    same_on_both(p, r);

    /* A rule set adopted over the wire on the primary reaches the replica
     * in its entry (the replica has no file for it), and applies there
     * from its date too. */
    char *v = scenario_edit(revised, "version = 2026-07-revised",
                            "version = 2026-09-wire");
    char *e = scenario_edit(v, "effective = 2026-07-01",
                            "effective = 2026-09-01");
    char *wire = scenario_edit(e, "points = 2", "points = 3");
    free(v);
    free(e);
    sc_ok(p, &p->admin, sc_policy_load(wire));
    free(wire);
    same_on_both(p, r);
    jifen_command list;
    memset(&list, 0, sizeof list);
    list.kind = JIFEN_CMD_POLICY;
    sc_same_answer(p, r, list);
    snprintf(list.name, sizeof list.name, "2026-09-wire");
    sc_same_answer(p, r, list);
    assert_non_null(strstr(scenario_policy(r, "2026-09-wire")->rule_sets[0].text,
                           "version = 2026-09-wire"));

    scenario_at(p, "2026-09-01 00:00");
    jifen_result a = sc_ok(p, &p->committee, sc_award(S, "meeting"));
    assert_int_equal(a.points, 3);
    same_on_both(p, r);
    assert_string_equal(scenario_newest(r, S)->policy, "2026-09-wire");

    scenario_destroy(&r);
    scenario_destroy(&p);
    free(revised);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_replica_notice, scenario_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
