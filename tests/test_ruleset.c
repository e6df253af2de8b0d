/*
 * test_ruleset - rule sets over time and the caps they set, on a real
 * ledger: a rule change in the middle of a month, caps per household per
 * activity per month and per year at their exact boundaries (Asia/Shanghai),
 * the yearly redemption cap, reversals freeing a cap, and writes before the
 * first rule set.
 */
#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "ledger.h"
#include "ruleset.h"
#include "storage.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Adopted at the start: volunteering 1 point an hour, at most 4 points a
 * month and 10 a year per household. */
#define V1                                                                     \
    "version = 2026-01-v1\nresolution = 议事会 2025-12 minutes No.7\n"      \
    "fen_per_point = 100\nmax_offset_percent = 50\n"                           \
    "[activity volunteer]\npoints_per_hour = 1\nmax_hours = 4\n"               \
    "max_per_month = 4\nmax_per_year = 10\n"                                   \
    "[activity meeting]\npoints = 2\n"
/* Adopted for 15 March: 2 points an hour, 6 a month, 12 a year, and at
 * most 5 points redeemed a year. */
#define V2                                                                     \
    "version = 2026-03-v2\neffective = 2026-03-15\n"                           \
    "resolution = 议事会 2026-03 minutes No.2\n"                            \
    "fen_per_point = 100\nmax_offset_percent = 100\n"                          \
    "max_redeem_points_per_year = 5\n"                                         \
    "[activity volunteer]\npoints_per_hour = 2\nmax_hours = 4\n"               \
    "max_per_month = 6\nmax_per_year = 12\n"                                   \
    "[activity meeting]\npoints = 2\n"

#define assert_contains(hay, sub)                                              \
    do {                                                                       \
        if (strstr((hay), (sub)) == NULL)                                      \
            fail_msg("expected \"%s\" in \"%s\"", (sub), (hay));               \
    } while (0)

typedef testutil_book fixture;

static int setup(void **state)
{
    static fixture f;
    /* Given newest first: the book orders them by effective date. */
    const char *texts[] = {V2, V1};
    assert_int_equal(testutil_book_open(&f, texts, 2), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    testutil_book_close(*state);
    return 0;
}

#define at testutil_at

static void parse(policy *p, const char *text)
{
    char err[256];
    if (policy_parse(p, text, strlen(text), "t.conf", err, sizeof err) != 0)
        fail_msg("%s", err);
}

static jifen_result run_at(fixture *f, int64_t now, jifen_command cmd)
{
    jifen_result r;
    assert_int_equal(testutil_book_write(f, now, "test", &cmd, &r), 0);
    return r;
}

static jifen_command cmd(jifen_command_kind kind, const char *code,
                         uint32_t hours)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, "3-2-501");
    if (code)
        snprintf(c.code, sizeof c.code, "%s", code);
    c.hours = hours;
    return c;
}

static jifen_result volunteer(fixture *f, int64_t now, uint32_t hours)
{
    return run_at(f, now, cmd(JIFEN_CMD_AWARD, "volunteer", hours));
}

/* The policy version recorded in the newest entry of the household. */
static void assert_newest_policy(fixture *f, const char *version)
{
    jifen_command q = cmd(JIFEN_CMD_HISTORY, NULL, 0);
    q.limit = 1;
    jifen_request req = {.n_commands = 1, .commands = &q};
    jifen_reply reply;
    assert_int_equal(ledger_query(f->led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.results[0].n_history, 1);
    assert_string_equal(reply.results[0].history[0].policy, version);
    codec_reply_clear(&reply);
}

static void assert_verifies(fixture *f)
{
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    if (!rep.ok)
        fail_msg("verify: %s", rep.problem);
}

static void test_book_order_and_lookup(void **state)
{
    fixture *f = *state;
    assert_int_equal(ruleset_count(f->rules), 2);
    assert_string_equal(ruleset_get(f->rules, 0)->version, "2026-01-v1");
    assert_string_equal(ruleset_get(f->rules, 1)->version, "2026-03-v2");
    assert_string_equal(ruleset_get(f->rules, 1)->resolution,
                        "议事会 2026-03 minutes No.2");
    int64_t change = at(2026, 3, 15, 0, 0);
    assert_string_equal(ruleset_at(f->rules, change - 1)->version,
                        "2026-01-v1");
    assert_string_equal(ruleset_at(f->rules, change)->version, "2026-03-v2");
    assert_string_equal(ruleset_at(f->rules, INT64_MIN)->version, "2026-01-v1");
    assert_non_null(ruleset_find(f->rules, "2026-03-v2"));
    assert_null(ruleset_find(f->rules, "nope"));
}

static void test_conflicts_are_refused(void **state)
{
    fixture *f = *state;
    policy p;
    char err[256];
    parse(&p, V2);
    assert_int_equal(ruleset_add(f->rules, &p, "again.conf", err, sizeof err),
                     -1);
    assert_contains(err, "again.conf: version 2026-03-v2 is already used");
    char text[sizeof V2 + 8];
    snprintf(text, sizeof text, "%s", V2);
    memcpy(strstr(text, "v2"), "v3", 2);
    parse(&p, text);
    assert_int_equal(ruleset_add(f->rules, &p, "v3.conf", err, sizeof err), -1);
    assert_contains(err, "take effect at the same time (2026-03-15)");
    assert_int_equal(ruleset_count(f->rules), 2);
    assert_int_equal(
        policy_parse(&p, "effective = 2026-02-30\n", 23, "x", err, sizeof err),
        -1);
}

/*
 * The month of the rule change: 4 points under v1 fill v1's monthly cap;
 * from 15 March v2 pays double and allows 6 in the month, counting what v1
 * already awarded. Each entry records the version it was made under.
 */
static void test_change_mid_month_and_caps(void **state)
{
    fixture *f = *state;
    jifen_command h = cmd(JIFEN_CMD_HOUSEHOLD_ADD, NULL, 0);
    assert_int_equal(run_at(f, at(2026, 3, 1, 9, 0), h).status,
                     JIFEN_STATUS_OK);

    jifen_result r = volunteer(f, at(2026, 3, 14, 10, 0), 4);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, 4);
    assert_newest_policy(f, "2026-01-v1");
    r = volunteer(f, at(2026, 3, 14, 23, 59), 1);
    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(r.error, "cap volunteer.max_per_month: 4 points per "
                             "household in 2026-03; 3-2-501 has 4 already, "
                             "0 left, 1 asked");

    r = volunteer(f, at(2026, 3, 15, 0, 0), 1);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, 2); /* v2's rate */
    assert_newest_policy(f, "2026-03-v2");
    r = volunteer(f, at(2026, 3, 31, 23, 59), 1);
    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(r.error, "volunteer.max_per_month: 6 points");
    /* Another activity has no cap. */
    assert_int_equal(
        run_at(f, at(2026, 3, 31, 23, 59), cmd(JIFEN_CMD_AWARD, "meeting", 0))
            .status,
        JIFEN_STATUS_OK);

    /* A new month, 00:00 Shanghai (16:00 UTC the day before). */
    r = volunteer(f, at(2026, 4, 1, 0, 0), 3);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, 6); /* 12 this year: the yearly cap */
    r = volunteer(f, at(2026, 5, 2, 8, 0), 1);
    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(r.error, "cap volunteer.max_per_year: 12 points per "
                             "household in 2026; 3-2-501 has 12 already");

    /* An award reversed (an objection upheld) frees its place. */
    jifen_command rev = cmd(JIFEN_CMD_REVERSE, NULL, 0);
    rev.entry = 3; /* the 2 points of 15 March */
    snprintf(rev.note, sizeof rev.note, "objection upheld");
    assert_int_equal(run_at(f, at(2026, 5, 2, 9, 0), rev).status,
                     JIFEN_STATUS_OK);
    r = volunteer(f, at(2026, 5, 2, 10, 0), 1);
    assert_int_equal(r.status, JIFEN_STATUS_OK);

    /* A new year starts every count again. */
    r = volunteer(f, at(2026, 12, 31, 23, 59), 1);
    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
    r = volunteer(f, at(2027, 1, 1, 0, 0), 3);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, 6);
    assert_verifies(f);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
}

static void test_redeem_per_year(void **state)
{
    fixture *f = *state;
    int64_t t = at(2026, 6, 1, 9, 0);
    assert_int_equal(run_at(f, t, cmd(JIFEN_CMD_HOUSEHOLD_ADD, NULL, 0)).status,
                     JIFEN_STATUS_OK);
    jifen_command bill = cmd(JIFEN_CMD_BILL, NULL, 0);
    bill.amount = 100000;
    snprintf(bill.period, sizeof bill.period, "2026-06");
    assert_int_equal(run_at(f, t, bill).status, JIFEN_STATUS_OK);
    assert_int_equal(volunteer(f, t, 3).status, JIFEN_STATUS_OK); /* 6 */
    jifen_command red = cmd(JIFEN_CMD_REDEEM, NULL, 0);
    red.amount = 4;
    assert_int_equal(run_at(f, t, red).status, JIFEN_STATUS_OK);
    red.amount = 2;
    jifen_result r = run_at(f, at(2026, 12, 31, 23, 59), red);
    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(r.error, "cap max_redeem_points_per_year: 5 points per "
                             "household in 2026; 3-2-501 has 4 already, 1 "
                             "left, 2 asked");
    red.amount = 1;
    assert_int_equal(run_at(f, t, red).status, JIFEN_STATUS_OK);
    /* The last point, in a new year with a new allowance. */
    assert_int_equal(run_at(f, at(2027, 1, 1, 0, 0), red).status,
                     JIFEN_STATUS_OK);
    assert_verifies(f);
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
}

static void test_before_the_first_rule_set(void **state)
{
    fixture *f = *state;
    policy p;
    char err[256];
    parse(&p, V2);
    ruleset *only_v2 = NULL;
    assert_int_equal(ruleset_from_policy(&only_v2, &p, err, sizeof err), 0);
    assert_int_equal(ledger_use_rules(f->led, only_v2, err, sizeof err), 0);
    jifen_result r = run_at(f, at(2026, 3, 14, 23, 59),
                            cmd(JIFEN_CMD_HOUSEHOLD_ADD, NULL, 0));
    assert_int_equal(r.status, JIFEN_STATUS_NO_RULE_SET);
    assert_contains(r.error, "no rule set is in force on 2026-03-14");
    r = run_at(f, at(2026, 3, 15, 0, 0), cmd(JIFEN_CMD_HOUSEHOLD_ADD, NULL, 0));
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(ledger_use_rules(f->led, f->rules, err, sizeof err), 0);
    ruleset_destroy(&only_v2);
}

/* Reloading may add the future, never rewrite the past. */
static void test_successor_keeps_history(void **state)
{
    fixture *f = *state; /* V1 from the beginning, V2 from 15 March */
    char err[256];
    policy p1, p2, p3;
    parse(&p1, V1);
    parse(&p2, V2);
    char v3[sizeof V2 + 8];
    snprintf(v3, sizeof v3, "%s", V2);
    memcpy(strstr(v3, "v2"), "v3", 2);
    memcpy(strstr(v3, "2026-03-15"), "2026-09-01", 10);
    parse(&p3, v3);
    ruleset *next = NULL;
    assert_int_equal(ruleset_from_policy(&next, &p1, err, sizeof err), 0);
    assert_int_equal(ruleset_add(next, &p2, "v2", err, sizeof err), 0);
    assert_int_equal(ruleset_add(next, &p3, "v3", err, sizeof err), 0);
    /* In June: V3 (September) is new and in the future: fine. */
    assert_int_equal(ruleset_check_successor(
                         f->rules, next, at(2026, 6, 1, 0, 0), err, sizeof err),
                     0);
    /* On 1 September at 00:00 it would already be in force: refused. */
    assert_int_equal(ruleset_check_successor(
                         f->rules, next, at(2026, 9, 1, 0, 0), err, sizeof err),
                     -1);
    assert_contains(err, "rule set 2026-03-v3 would take effect in the past");
    ruleset_destroy(&next);

    /* Dropping V2 once in force is refused; before 15 March it is not. */
    assert_int_equal(ruleset_from_policy(&next, &p1, err, sizeof err), 0);
    assert_int_equal(ruleset_check_successor(f->rules, next,
                                             at(2026, 3, 15, 0, 0), err,
                                             sizeof err),
                     -1);
    assert_contains(err, "rule set 2026-03-v2 is in force");
    assert_contains(err, "it is missing");
    assert_int_equal(ruleset_check_successor(f->rules, next,
                                             at(2026, 3, 14, 23, 59), err,
                                             sizeof err),
                     0);
    ruleset_destroy(&next);

    /* Changing V1 (in force) is refused. */
    char v1b[sizeof V1 + 8];
    snprintf(v1b, sizeof v1b, "%s", V1);
    memcpy(strstr(v1b, "max_per_month = 4"), "max_per_month = 5", 17);
    parse(&p1, v1b);
    assert_int_equal(ruleset_from_policy(&next, &p1, err, sizeof err), 0);
    assert_int_equal(ruleset_add(next, &p2, "v2", err, sizeof err), 0);
    assert_int_equal(ruleset_check_successor(
                         f->rules, next, at(2026, 1, 1, 0, 0), err, sizeof err),
                     -1);
    assert_contains(err, "it was changed");
    ruleset_destroy(&next);
}

/* Adopted over the wire (PolicyLoad) in June for 1 September: 3 points an
 * hour. */
#define V3                                                                     \
    "# adopted by the 议事会 in June\n"                                       \
    "version = 2026-09-v3\neffective = 2026-09-01\n"                           \
    "resolution = 议事会 2026-06 minutes No.4\n"                            \
    "fen_per_point = 100\nmax_offset_percent = 100\n"                          \
    "[activity volunteer]\npoints_per_hour = 3\nmax_hours = 4\n"               \
    "[activity meeting]\npoints = 2\n"

static jifen_result load_at(fixture *f, int64_t now, const char *text)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_POLICY_LOAD;
    c.text = (char *)text;
    return run_at(f, now, c);
}

/* A refusal names why and leaves the ledger as it was. */
static void assert_load_refused(fixture *f, int64_t now, const char *text,
                                const char *why)
{
    uint64_t head = testutil_book_head(f);
    jifen_result r = load_at(f, now, text);
    assert_int_equal(r.status, JIFEN_STATUS_RULE_SET_REFUSED);
    assert_contains(r.error, why);
    assert_int_equal(testutil_book_head(f), head);
}

static uint64_t volunteer_points(fixture *f, int64_t now)
{
    jifen_result r = volunteer(f, now, 1);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    return r.postings[0].amount;
}

/* Rule sets adopted through the admin interface: journaled, applied from
 * their date, kept across a restart, never rewriting history. */
static void test_policy_load(void **state)
{
    fixture *f = *state; /* V1 from the beginning, V2 from 15 March */
    assert_int_equal(run_at(f, at(2026, 1, 5, 9, 0),
                            cmd(JIFEN_CMD_HOUSEHOLD_ADD, NULL, 0))
                         .status,
                     JIFEN_STATUS_OK);
    uint64_t head = testutil_book_head(f);
    jifen_result r = load_at(f, at(2026, 6, 20, 10, 0), V3);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.entry, head + 1);

    /* V2 until the last minute of August, V3 from 1 September 00:00. */
    assert_int_equal(volunteer_points(f, at(2026, 8, 31, 23, 59)), 2);
    assert_newest_policy(f, "2026-03-v2");
    assert_int_equal(volunteer_points(f, at(2026, 9, 1, 0, 0)), 3);
    assert_newest_policy(f, "2026-09-v3");

    /* A restart finds it in the ledger, with only V1 and V2 as files. */
    assert_int_equal(testutil_book_reopen(f), 0);
    assert_non_null(ruleset_find(ledger_rules(f->led), "2026-09-v3"));
    assert_int_equal(volunteer_points(f, at(2026, 9, 2, 8, 0)), 3);

    /* What would change history is refused, the ledger untouched. */
    char changed[sizeof V3 + 8];
    snprintf(changed, sizeof changed, "%s", V3);
    memcpy(strstr(changed, "points_per_hour = 3"), "points_per_hour = 5", 19);
    assert_load_refused(f, at(2026, 9, 2, 9, 0), changed,
                        "rule set 2026-09-v3 is in force");
    char past[sizeof V3 + 8];
    snprintf(past, sizeof past, "%s", V3);
    memcpy(strstr(past, "v3\neffective = 2026-09-01"),
           "v4\neffective = 2026-09-02", 25);
    assert_load_refused(f, at(2026, 9, 2, 9, 0), past,
                        "would take effect in the past");
    assert_load_refused(f, at(2026, 9, 2, 9, 0), V3,
                        "already in use with exactly these rules");
    assert_load_refused(f, at(2026, 9, 2, 9, 0),
                        "version = x\nfen_per_point = 0\n", "rule set:2:");
    assert_load_refused(f, at(2026, 9, 2, 9, 0),
                        "version = 2026-03-v2-bis\neffective = 2026-03-15\n"
                        "fen_per_point = 100\nmax_offset_percent = 50\n"
                        "[activity meeting]\npoints = 2\n",
                        "take effect at the same time");

    /* A rule set not yet in force may be replaced; the last one counts,
     * also after a restart. */
    char v4[sizeof V3 + 8];
    snprintf(v4, sizeof v4, "%s", V3);
    memcpy(strstr(v4, "v3\neffective = 2026-09-01"),
           "v4\neffective = 2027-01-01", 25);
    assert_int_equal(load_at(f, at(2026, 10, 1, 0, 0), v4).status,
                     JIFEN_STATUS_OK);
    memcpy(strstr(v4, "points_per_hour = 3"), "points_per_hour = 4", 19);
    assert_int_equal(load_at(f, at(2026, 10, 2, 0, 0), v4).status,
                     JIFEN_STATUS_OK);
    assert_int_equal(testutil_book_reopen(f), 0);
    assert_int_equal(volunteer_points(f, at(2027, 1, 1, 0, 0)), 4);
    assert_newest_policy(f, "2026-09-v4");
    assert_verifies(f);
    /* A replica learns the adopted rule sets from the journal alone. */
    assert_int_equal(testutil_book_replica_check(f), 0);

    /* A damaged adoption record stops the ledger from opening, and says
     * why (rather than guessing which rules applied). */
    ledger_close(&f->led);
    storage *st = NULL;
    storage_txn txn;
    char err[256];
    assert_int_equal(storage_open(&st, f->dir, 1 << 20, err, sizeof err),
                     STORAGE_OK);
    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    assert_int_equal(storage_put(&txn, TABLE_META, "rule-set/2026-09-v3", 19,
                                 "bad", 3, STORAGE_PUT_OVERWRITE),
                     STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    storage_close(&st);
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20};
    assert_int_not_equal(ledger_open(&f->led, f->dir, &f->pol, &lo, err,
                                     sizeof err),
                         LEDGER_OK);
    assert_contains(err, "adoption record is damaged");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_book_order_and_lookup, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_conflicts_are_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_change_mid_month_and_caps, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redeem_per_year, setup, teardown),
        cmocka_unit_test_setup_teardown(test_before_the_first_rule_set, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_policy_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_successor_keeps_history, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
