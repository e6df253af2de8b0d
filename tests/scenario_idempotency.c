/*
 * scenario_idempotency - a write retried with the same request id applies
 * once: the retry answers `exists` with the original entry and figures and
 * changes nothing; the same id with other content is refused with
 * id_conflict; both still hold after a restart on the same data. Under the
 * shipped default policy (a meeting is 2 points, 100 fen a point).
 *
 * Was tests/e2e/idempotency.sh; a restart is the ledger closed and opened
 * again, which is all a restart of jifend does to it. How the CLI prints a
 * retry ("already recorded", exit 0) is the CLI's and stays in
 * tests/e2e/session.sh.
 */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define H "5-1-201"

typedef struct {
    uint64_t reg, award, redeem;
} entries;

/* The retry answers `exists` with the original entry, and changes nothing
 * (sc_refused_id checks every table). */
static jifen_result retried(scenario *s, const ledger_caller *who,
                            const char *id, jifen_command cmd, uint64_t entry)
{
    jifen_result r =
        sc_refused_id(s, who, id, cmd, JIFEN_STATUS_EXISTS, NULL);
    assert_int_equal(r.entry, entry);
    return r;
}

static void conflict(scenario *s, const ledger_caller *who, const char *id,
                     jifen_command cmd)
{
    sc_refused_id(s, who, id, cmd, JIFEN_STATUS_ID_CONFLICT,
                  "was already used for different commands");
}

static jifen_command registration(const char *h)
{
    return sc_household(h, "Li");
}

static void test_once(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    entries e;
    e.reg = sc_ok_id(s, &s->committee, "reg-1", registration(H)).entry;
    retried(s, &s->committee, "reg-1", registration(H), e.reg);

    jifen_result award =
        sc_ok_id(s, &s->committee, "aw-1", sc_award(H, "meeting"));
    e.award = award.entry;
    sc_expect_balance(s, H, 2, 0, 0);
    jifen_result again =
        retried(s, &s->committee, "aw-1", sc_award(H, "meeting"), e.award);
    assert_int_equal(again.points, 2);
    retried(s, &s->committee, "aw-1", sc_award(H, "meeting"), e.award);
    sc_expect_balance(s, H, 2, 0, 0); /* three tries, awarded once */

    /* The same id, other content. */
    conflict(s, &s->committee, "aw-1", sc_award_hours(H, "volunteer", 1));
    jifen_command noted = sc_award(H, "meeting");
    snprintf(noted.note, sizeof noted.note, "changed");
    conflict(s, &s->committee, "aw-1", noted);
    conflict(s, &s->terminal, "aw-1", sc_pay(H, 100));
    conflict(s, &s->committee, "reg-1", registration("5-1-202"));
    jifen_command q;
    memset(&q, 0, sizeof q);
    q.kind = JIFEN_CMD_BALANCE;
    snprintf(q.household, sizeof q.household, "5-1-202");
    assert_int_equal(scenario_query(s, &s->auditor, q).status,
                     JIFEN_STATUS_UNKNOWN_HOUSEHOLD);
    sc_expect_balance(s, H, 2, 0, 0);

    /* A redemption's retry repeats the original figures. */
    sc_ok_id(s, &s->terminal, "bill-1", sc_bill(H, 10000, "2026-04"));
    e.redeem = sc_ok_id(s, &s->terminal, "rd-1", sc_redeem(H, 1)).entry;
    jifen_result rd =
        retried(s, &s->terminal, "rd-1", sc_redeem(H, 1), e.redeem);
    assert_int_equal(rd.offset_fen, 100);
    assert_int_equal(rd.points, 1);
    sc_expect_balance(s, H, 1, 0, 9900);

    /* Across a restart: the same journal, the same answers. */
    uint64_t head = scenario_head(s);
    scenario_restart(s);
    assert_int_equal(scenario_head(s), head);
    retried(s, &s->committee, "aw-1", sc_award(H, "meeting"), e.award);
    rd = retried(s, &s->terminal, "rd-1", sc_redeem(H, 1), e.redeem);
    assert_int_equal(rd.offset_fen, 100);
    retried(s, &s->committee, "reg-1", registration(H), e.reg);
    conflict(s, &s->committee, "aw-1", sc_award_points(H, "meeting", 3));
    sc_expect_balance(s, H, 1, 0, 9900);

    /* A fresh id still works, once. */
    uint64_t aw2 =
        sc_ok_id(s, &s->committee, "aw-2", sc_award(H, "meeting")).entry;
    retried(s, &s->committee, "aw-2", sc_award(H, "meeting"), aw2);
    sc_expect_balance(s, H, 3, 0, 9900);

    sc_verify(s);
    /* The four key enrolments; reg, award, bill, redeem, award. */
    assert_int_equal(scenario_head(s), 4 + 5);
    scenario_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_once, scenario_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
