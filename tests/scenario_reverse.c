/*
 * scenario_reverse - reversing an entry posts its mirror image and restores
 * the balances; once (already_reversed after, and a retry of the same
 * request is the same reversal); never of an entry without postings (a
 * registration) or of a reversal (not_reversible), of an entry that does
 * not exist (unknown_entry), or of an award whose points are spent
 * (insufficient_points). Each side reverses its own kind of entry: the
 * committee its awards, the terminal its bills and redemptions.
 *
 * Was tests/e2e/reverse.sh, under the shipped default policy (a meeting is
 * 2 points). The CLI's usage errors for a reversal without --note or of
 * entry 0 are the codec's bad_request here (what the daemon answers a
 * client that sends them anyway).
 */
#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define H "7-3-301"

/* The reversal's postings are the original's with debit and credit
 * swapped, in the same order. */
static void assert_mirrored(const jifen_result *original,
                            const jifen_result *reversal)
{
    assert_int_equal(reversal->n_postings, original->n_postings);
    for (size_t i = 0; i < original->n_postings; i++) {
        const jifen_posting *o = &original->postings[i];
        const jifen_posting *r = &reversal->postings[i];
        assert_int_equal(r->asset, o->asset);
        assert_string_equal(r->debit, o->credit);
        assert_string_equal(r->credit, o->debit);
        assert_int_equal(r->amount, o->amount);
    }
}

static void test_reverse(void **state)
{
    (void)state;
    scenario *s = scenario_new(NULL);
    uint64_t reg = sc_ok(s, &s->committee, sc_household(H, NULL)).entry;
    jifen_result award = sc_ok(s, &s->committee, sc_award(H, "meeting"));
    jifen_result bill = sc_ok(s, &s->terminal, sc_bill(H, 8880, "2026-05"));
    sc_expect_balance(s, H, 2, 0, 8880);

    /* The award, reversed: its postings mirrored, the bill untouched. */
    jifen_result rev = sc_ok_id(s, &s->committee, "rev-1",
                                sc_reverse(award.entry, "objection upheld"));
    assert_mirrored(&award, &rev);
    sc_expect_balance(s, H, 0, 0, 8880);
    const jifen_entry *newest = scenario_newest(s, H);
    assert_int_equal(newest->seq, rev.entry);
    assert_int_equal(newest->reverses, award.entry);
    assert_string_equal(newest->command.note, "objection upheld");

    /* Only once; the same request retried is the same reversal. */
    sc_refused(s, &s->committee, sc_reverse(award.entry, "again"),
               JIFEN_STATUS_ALREADY_REVERSED, "already reversed by entry");
    char by[32];
    snprintf(by, sizeof by, "entry %llu", (unsigned long long)rev.entry);
    sc_refused(s, &s->committee, sc_reverse(award.entry, "again"),
               JIFEN_STATUS_ALREADY_REVERSED, by);
    jifen_result retry = sc_refused_id(s, &s->committee, "rev-1",
                                       sc_reverse(award.entry,
                                                  "objection upheld"),
                                       JIFEN_STATUS_EXISTS, NULL);
    assert_int_equal(retry.entry, rev.entry);
    sc_expect_balance(s, H, 0, 0, 8880);

    /* Entries that cannot be reversed. */
    sc_refused(s, &s->committee, sc_reverse(rev.entry, "undo the undo"),
               JIFEN_STATUS_NOT_REVERSIBLE, "has nothing to reverse");
    sc_refused(s, &s->committee, sc_reverse(reg, "unregister"),
               JIFEN_STATUS_NOT_REVERSIBLE, "household_add");
    sc_refused(s, &s->committee, sc_reverse(999999, "nothing"),
               JIFEN_STATUS_UNKNOWN_ENTRY, "no entry 999999");
    sc_refused(s, &s->terminal, sc_reverse(bill.entry, ""),
               JIFEN_STATUS_BAD_REQUEST, "note: required");
    sc_refused(s, &s->terminal, sc_reverse(0, "zero"),
               JIFEN_STATUS_BAD_REQUEST, "entry: required");
    /* Each side its own kind: the committee may not reverse a bill. */
    sc_refused(s, &s->committee, sc_reverse(bill.entry, "billed twice"),
               JIFEN_STATUS_FORBIDDEN, "may not reverse entry");

    /* A fee entry: the bill. */
    jifen_result rev_bill =
        sc_ok(s, &s->terminal, sc_reverse(bill.entry, "billed twice"));
    assert_mirrored(&bill, &rev_bill);
    sc_expect_balance(s, H, 0, 0, 0);

    /* An award whose points were spent would take the household below
     * zero; the redemption, reversed, gives both legs back together. */
    jifen_result award2 = sc_ok(s, &s->committee, sc_award(H, "meeting"));
    sc_ok(s, &s->terminal, sc_bill(H, 100000, "2026-06"));
    jifen_result redeem = sc_ok(s, &s->terminal, sc_redeem(H, 2));
    sc_refused(s, &s->committee, sc_reverse(award2.entry, "late objection"),
               JIFEN_STATUS_INSUFFICIENT_POINTS, "needs 2 points");
    jifen_result rev_redeem = sc_ok(
        s, &s->terminal, sc_reverse(redeem.entry, "paid in cash instead"));
    assert_int_equal(rev_redeem.n_postings, 2);
    assert_mirrored(&redeem, &rev_redeem);
    sc_expect_balance(s, H, 2, 0, 100000);
    sc_ok(s, &s->committee, sc_reverse(award2.entry, "late objection"));
    sc_expect_balance(s, H, 0, 0, 100000);

    sc_verify(s);
    /* The four key enrolments, then: registration, award, bill, reversal,
     * reversed bill, award, bill, redemption, reversed redemption,
     * reversed award. */
    assert_int_equal(scenario_head(s), 4 + 10);
    scenario_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reverse, scenario_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
