/*
 * test_sanction - a deduction under a rule with suspend_months suspends
 * redemption to the month boundary (Asia/Shanghai) and never touches the
 * fee account; an appeal upheld (the deduction reversed) restores both the
 * points and the right to redeem; a plain rule suspends nothing.
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

#define RULES                                                                  \
    "version = s1\nfen_per_point = 100\nmax_offset_percent = 100\n"            \
    "[activity honour]\npoints = 5\nmax_points = 50\n"                         \
    "[rule free-riding]\npoints = 5\nsuspend_months = 2\n"                     \
    "[rule littering]\npoints = 1\n"
#define H "3-2-501"

static ledger *led;
static ruleset *rules;
static char *dir;
static int next_id;

static int64_t at(int y, int mo, int d, int h, int mi)
{
    return clock_date_start_ms(y, mo, d) + ((int64_t)h * 60 + mi) * 60000;
}

static jifen_result run_at(int64_t now, jifen_command_kind kind,
                           const char *code, uint64_t amount)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, H);
    if (code)
        snprintf(c.code, sizeof c.code, "%s", code);
    snprintf(c.note, sizeof c.note, "found by the 议事会");
    if (kind == JIFEN_CMD_AWARD)
        c.points = (uint32_t)amount;
    else if (kind == JIFEN_CMD_REVERSE)
        c.entry = amount;
    else
        c.amount = amount;
    if (kind == JIFEN_CMD_BILL)
        snprintf(c.period, sizeof c.period, "2026-07");
    char id[32];
    snprintf(id, sizeof id, "req-%d", ++next_id);
    jifen_result r;
    assert_int_equal(testutil_write(led, now, "clerk", id, &c, &r), 0);
    return r;
}

static jifen_balance balance(void)
{
    jifen_command q;
    memset(&q, 0, sizeof q);
    q.kind = JIFEN_CMD_BALANCE;
    snprintf(q.household, sizeof q.household, H);
    jifen_request req = {.n_commands = 1, .commands = &q};
    jifen_reply reply;
    assert_int_equal(ledger_query(led, &req, &reply), LEDGER_OK);
    jifen_balance b = reply.results[0].balance;
    codec_reply_clear(&reply);
    return b;
}

static void test_sanction_and_appeal(void **state)
{
    (void)state;
    char err[256];
    policy p;
    assert_int_equal(hash_init(), 0);
    assert_int_equal(policy_parse(&p, RULES, strlen(RULES), "s", err,
                                  sizeof err),
                     0);
    assert_int_equal(ruleset_from_policy(&rules, &p, err, sizeof err), 0);
    dir = testutil_tmpdir();
    ledger_options lo = {1 << 20, 256 << 20};
    assert_int_equal(ledger_open(&led, dir, &p, &lo, err, sizeof err),
                     LEDGER_OK);
    ledger_use_rules(led, rules);

    int64_t t = at(2026, 7, 15, 9, 0);
    assert_int_equal(run_at(t, JIFEN_CMD_HOUSEHOLD_ADD, NULL, 0).status,
                     JIFEN_STATUS_OK);
    run_at(t, JIFEN_CMD_BILL, NULL, 20000);
    run_at(t, JIFEN_CMD_AWARD, "honour", 30);

    /* A plain rule: points only. */
    jifen_result r = run_at(t, JIFEN_CMD_DEDUCT, "littering", 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.suspended_until_ms, 0);
    assert_int_equal(run_at(t, JIFEN_CMD_REDEEM, NULL, 1).status,
                     JIFEN_STATUS_OK);

    /* The sanction: the rest of July and two more months. */
    r = run_at(t, JIFEN_CMD_DEDUCT, "free-riding", 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.suspended_until_ms, at(2026, 10, 1, 0, 0));
    uint64_t sanction = r.entry;
    jifen_balance b = balance();
    assert_int_equal(b.points, 23);
    assert_int_equal(b.fee_due_fen, 20000 - 100); /* fee untouched */

    r = run_at(at(2026, 9, 30, 23, 59), JIFEN_CMD_REDEEM, NULL, 1);
    assert_int_equal(r.status, JIFEN_STATUS_REDEMPTION_SUSPENDED);
    assert_non_null(strstr(r.error, "suspended until 2026-10-01"));
    assert_non_null(strstr(r.error, "an appeal upheld lifts it"));
    /* Paying the fee is never suspended. */
    assert_int_equal(run_at(t, JIFEN_CMD_PAY, NULL, 100).status,
                     JIFEN_STATUS_OK);
    assert_int_equal(run_at(at(2026, 10, 1, 0, 0), JIFEN_CMD_REDEEM, NULL, 1)
                         .status,
                     JIFEN_STATUS_OK);

    /* A second sanction, appealed: the points and the right come back. */
    r = run_at(at(2026, 10, 2, 9, 0), JIFEN_CMD_DEDUCT, "free-riding", 0);
    sanction = r.entry;
    assert_int_equal(run_at(at(2026, 10, 3, 9, 0), JIFEN_CMD_REDEEM, NULL, 1)
                         .status,
                     JIFEN_STATUS_REDEMPTION_SUSPENDED);
    r = run_at(at(2026, 10, 5, 9, 0), JIFEN_CMD_REVERSE, NULL, sanction);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(balance().points, 22);
    assert_int_equal(run_at(at(2026, 10, 5, 9, 1), JIFEN_CMD_REDEEM, NULL, 1)
                         .status,
                     JIFEN_STATUS_OK);

    jifen_verify_report rep;
    assert_int_equal(ledger_verify(led, &rep), LEDGER_OK);
    assert_true(rep.ok);
    ledger_close(&led);
    ruleset_destroy(&rules);
    testutil_rmtree(&dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanction_and_appeal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
