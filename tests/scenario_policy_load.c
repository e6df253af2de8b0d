/*
 * scenario_policy_load - a rule set adopted through the admin interface
 * (PolicyLoad, `jifen policy load FILE`): only an admin key may; a bad
 * text, a rule set taking effect in the past, the same rules again and a
 * change to the rule set in force are refused with the reason and write
 * nothing; an adopted rule set applies from its effective date (Asia/
 * Shanghai) and not a minute before, survives a restart without any file
 * naming it and a SIGHUP of the operator's files, is listed and shown like
 * the operator's own, and its canonical text is in the hashed bytes of its
 * journal entry.
 *
 * Was tests/e2e/policy_load.sh; the CLI's and the daemon's own parts
 * (exit codes, a file that is not there, the start-up log, the export read
 * by tools/verify_export.py) are in tests/e2e/rule_sets.sh.
 */
#define _GNU_SOURCE /* memmem */
#include "scenario.h"

#include "codec.h"
#include "entry_codec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define H "3-2-501"

static char *revised;

static void refused(scenario *s, const char *text, const char *why)
{
    sc_refused(s, &s->admin, sc_policy_load(text),
               JIFEN_STATUS_RULE_SET_REFUSED, why);
}

/* The stored bytes of journal entry seq hold the rules as adopted. */
static void assert_journaled(scenario *s, uint64_t seq)
{
    storage_txn txn;
    assert_int_equal(storage_txn_begin(ledger_storage(s->book.led), &txn,
                                       false),
                     STORAGE_OK);
    uint8_t key[8];
    storage_val v;
    storage_be64_put(key, seq);
    assert_int_equal(storage_get(&txn, TABLE_JOURNAL, key, sizeof key, &v),
                     STORAGE_OK);
    assert_non_null(memmem(v.data, v.len, "[activity meeting]",
                           strlen("[activity meeting]")));
    jifen_entry e;
    char why[128];
    assert_int_equal(codec_entry_decode_text(v.data, v.len, &e, why,
                                             sizeof why),
                     JIFEN_STATUS_OK);
    storage_txn_abort(&txn);
    assert_int_equal(e.command.kind, JIFEN_CMD_POLICY_LOAD);
    assert_string_equal(e.command.name, "2026-07-revised");
    assert_non_null(strstr(e.command.text, "max_per_month = 8"));
    free(e.command.text);
}

static void test_policy_load(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    scenario_at(s, "2026-06-20 09:00");
    sc_ok(s, &s->committee, sc_household(H, NULL));
    sc_ok(s, &s->committee, sc_award(H, "meeting"));

    /* Only an admin adopts rules. */
    sc_refused(s, &s->committee, sc_policy_load(revised),
               JIFEN_STATUS_FORBIDDEN, "(policy_load) is not allowed for a key of role committee");
    sc_refused(s, &s->terminal, sc_policy_load(revised),
               JIFEN_STATUS_FORBIDDEN, "(policy_load) is not allowed for a key of role terminal");
    sc_refused(s, &s->auditor, sc_policy_load(revised),
               JIFEN_STATUS_FORBIDDEN, "(policy_load) is not allowed");

    /* Bad rule sets: a parse error names the line; the past is refused. */
    refused(s, "version = broken\nfen_per_point = 0\n", "rule set:2:");
    char *past = scenario_edit(revised, "effective = 2026-07-01",
                               "effective = 2026-06-01");
    refused(s, past, "would take effect in the past");
    free(past);

    /* Adopted in June for 1 July. */
    uint64_t before = scenario_head(s);
    jifen_result r = sc_ok(s, &s->admin, sc_policy_load(revised));
    assert_int_equal(r.entry, before + 1);
    assert_int_equal(r.n_rule_sets, 1);
    assert_string_equal(r.rule_sets[0].version, "2026-07-revised");
    assert_string_equal(r.rule_sets[0].effective, "2026-07-01");
    assert_non_null(strstr(r.rule_sets[0].resolution, "2026-06-20"));
    uint64_t adoption = r.entry;
    refused(s, revised, "already in use with exactly these rules");

    const jifen_result *list = scenario_policy(s, "");
    assert_int_equal(list->n_rule_sets, 2);
    assert_string_equal(list->rule_sets[0].version, "2026-01-default");
    assert_true(list->rule_sets[0].in_force);
    assert_string_equal(list->rule_sets[1].version, "2026-07-revised");
    assert_false(list->rule_sets[1].in_force);
    /* What `policy show` prints loads as a policy file, with its caps. */
    const char *text = scenario_policy(s, "2026-07-revised")->rule_sets[0].text;
    policy shown;
    char err[256];
    assert_int_equal(policy_parse(&shown, text, strlen(text), "shown", err,
                                  sizeof err),
                     0);
    assert_int_equal(policy_find_activity(&shown, "meeting")->max_per_month,
                     8);

    /* From 1 July 00:00 Shanghai, not a minute before. */
    scenario_at(s, "2026-06-30 23:59");
    sc_ok(s, &s->committee, sc_award(H, "meeting"));
    assert_string_equal(scenario_newest(s, H)->policy, "2026-01-default");
    scenario_at(s, "2026-07-01 00:00");
    r = sc_ok(s, &s->committee, sc_award(H, "meeting"));
    assert_int_equal(r.notice_ends_ms, scenario_ms("2026-07-09 00:00"));
    assert_string_equal(scenario_newest(s, H)->policy, "2026-07-revised");

    /* A restart keeps it, though no file names it. */
    scenario_restart(s);
    sc_ok(s, &s->committee, sc_award(H, "meeting"));
    assert_string_equal(scenario_newest(s, H)->policy, "2026-07-revised");

    /* In force now: changing it is refused. */
    char *changed = scenario_edit(revised, "points = 2", "points = 3");
    refused(s, changed, "rule set 2026-07-revised is in force");
    free(changed);

    /* SIGHUP re-reads the operator's files and keeps the adopted one. */
    const char *files[] = {policy_default_text, NULL};
    assert_int_equal(scenario_reload(s, files, err, sizeof err), 0);
    list = scenario_policy(s, "");
    assert_int_equal(list->n_rule_sets, 2);
    assert_string_equal(list->rule_sets[1].version, "2026-07-revised");

    /* The journal holds the rules themselves, in the hashed bytes. */
    assert_journaled(s, adoption);
    sc_verify(s);
    scenario_destroy(&s);
}

int main(void)
{
    revised = scenario_source_file("deploy/policy-2026-07.conf");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_policy_load, scenario_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(revised);
    return rc;
}
