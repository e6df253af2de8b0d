/*
 * scenario_rule_sets - two rule sets (deploy/policy.conf, then
 * deploy/policy-2026-07.conf from 1 July 2026, whose meeting cap is 8
 * points a month): each entry records the rule set in force at its time
 * (Asia/Shanghai, to the minute), a cap counts the whole month across the
 * change, the month boundary starts a new count, a restart keeps the
 * counts, the refusal names the cap; `policy list` and `policy show`; and
 * what a SIGHUP may change: a new rule set for the future, never one in
 * force.
 *
 * Was tests/e2e/rule_sets.sh; what needs the daemon and the CLI
 * (--check-policy, a rule-set directory re-read on SIGHUP, the CLI's own
 * usage errors) stays there.
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

static char *revised;

static void awards_under(scenario *s, int n, const char *version)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(sc_ok(s, &s->committee, sc_award(H, "meeting")).points,
                         2);
    assert_string_equal(scenario_newest(s, H)->policy, version);
}

static void test_rule_change_and_caps(void **state)
{
    (void)state;
    const char *rules[] = {policy_default_text, revised, NULL};
    scenario *s = scenario_new(rules);
    scenario_at(s, "2026-06-30 09:00");
    sc_ok(s, &s->committee, sc_household(H, NULL));

    /* June, the default rules (no meeting cap): five meetings. The last
     * minute of June is still the old rules. */
    awards_under(s, 5, "2026-01-default");
    scenario_at(s, "2026-06-30 23:59");
    awards_under(s, 1, "2026-01-default");

    /* 1 July 00:00 Shanghai (30 June 16:00 UTC): the revision, and a new
     * month for its cap of 8 meeting points. */
    scenario_at(s, "2026-07-01 00:00");
    awards_under(s, 4, "2026-07-revised");
    sc_refused(s, &s->committee, sc_award(H, "meeting"),
               JIFEN_STATUS_CAP_EXCEEDED,
               "cap meeting.max_per_month: 8 points per household in "
               "2026-07; 3-2-501 has 8 already, 0 left, 2 asked");
    scenario_at(s, "2026-07-31 23:59");
    sc_refused(s, &s->committee, sc_award(H, "meeting"),
               JIFEN_STATUS_CAP_EXCEEDED, "in 2026-07");
    scenario_at(s, "2026-08-01 00:00");
    awards_under(s, 1, "2026-07-revised");

    /* A restart keeps the counts: they are in the ledger. */
    scenario_restart(s);
    awards_under(s, 3, "2026-07-revised");
    sc_refused(s, &s->committee, sc_award(H, "meeting"),
               JIFEN_STATUS_CAP_EXCEEDED, "in 2026-08");

    /* policy list: oldest first, which one is in force now, no text. */
    const jifen_result *list = scenario_policy(s, "");
    assert_int_equal(list->status, JIFEN_STATUS_OK);
    assert_int_equal(list->n_rule_sets, 2);
    assert_string_equal(list->rule_sets[0].version, "2026-01-default");
    assert_string_equal(list->rule_sets[1].version, "2026-07-revised");
    assert_false(list->rule_sets[0].in_force);
    assert_true(list->rule_sets[1].in_force);
    assert_string_equal(list->rule_sets[1].effective, "2026-07-01");
    assert_non_null(strstr(list->rule_sets[1].resolution, "2026-06-20"));
    assert_null(list->rule_sets[0].text);
    scenario_at(s, "2026-06-30 23:59");
    list = scenario_policy(s, "");
    assert_true(list->rule_sets[0].in_force);
    assert_false(list->rule_sets[1].in_force);

    /* policy show: the rule set as a policy file that loads back as the
     * same rules. */
    const jifen_result *shown = scenario_policy(s, "2026-07-revised");
    assert_int_equal(shown->status, JIFEN_STATUS_OK);
    const char *text = shown->rule_sets[0].text;
    assert_non_null(strstr(text, "max_per_month = 8"));
    policy back, file;
    char err[256];
    assert_int_equal(policy_parse(&back, text, strlen(text), "shown", err,
                                  sizeof err),
                     0);
    assert_int_equal(policy_parse(&file, revised, strlen(revised), "file", err,
                                  sizeof err),
                     0);
    assert_true(ruleset_same(&back, &file));
    shown = scenario_policy(s, "2026-99-nope");
    assert_int_equal(shown->status, JIFEN_STATUS_UNKNOWN_RULE_SET);
    sc_verify(s);
    scenario_destroy(&s);
}

/* What SIGHUP may take: a rule set for the future; never a change to one
 * in force, which leaves everything as it was. */
static void test_reload(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    scenario_at(s, "2026-06-20 09:00");
    assert_int_equal(scenario_policy(s, "")->n_rule_sets, 1);
    char err[256];
    const char *both[] = {policy_default_text, revised, NULL};
    assert_int_equal(scenario_reload(s, both, err, sizeof err), 0);
    assert_int_equal(scenario_policy(s, "")->n_rule_sets, 2);

    char *cheaper = scenario_edit(policy_default_text, "fen_per_point = 100",
                                  "fen_per_point = 50");
    const char *changed[] = {cheaper, revised, NULL};
    assert_int_equal(scenario_reload(s, changed, err, sizeof err), -1);
    free(cheaper);
    assert_non_null(strstr(err, "rule set 2026-01-default is in force"));
    const jifen_result *shown = scenario_policy(s, "2026-01-default");
    assert_non_null(strstr(shown->rule_sets[0].text, "fen_per_point = 100"));
    assert_int_equal(scenario_policy(s, "")->n_rule_sets, 2);
    scenario_destroy(&s);
}

int main(void)
{
    revised = scenario_source_file("deploy/policy-2026-07.conf");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rule_change_and_caps,
                                  scenario_teardown),
        cmocka_unit_test_teardown(test_reload, scenario_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(revised);
    return rc;
}
