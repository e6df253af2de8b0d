/*
 * test_expiry - points expire by the rule set's scheme, oldest first, as
 * explicit postings to community/points-expired made by the daemon's timer
 * at the exact month boundary (Asia/Shanghai), once, also across reopens.
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
#include <time.h>

#include <cmocka.h>

/* Points expire at the end of the 2nd month after the month earned: March
 * points expire on 1 June 00:00. */
#define MONTHS                                                                 \
    "version = exp-months\nfen_per_point = 100\nmax_offset_percent = 100\n"    \
    "expiry = months\nexpiry_months = 2\n"                                     \
    "[activity honour]\npoints = 5\nmax_points = 50\n"
#define YEAR_END                                                               \
    "version = exp-year\nfen_per_point = 100\nmax_offset_percent = 100\n"      \
    "expiry = end-of-following-year\n"                                         \
    "[activity honour]\npoints = 5\nmax_points = 50\n"
#define NEVER                                                                  \
    "version = exp-never\nfen_per_point = 100\nmax_offset_percent = 100\n"     \
    "[activity honour]\npoints = 5\nmax_points = 50\n"

#define NOTICED                                                                \
    "version = exp-notice\nfen_per_point = 100\nmax_offset_percent = 100\n"    \
    "expiry = months\nexpiry_months = 2\nnotice_days = 7\n"                    \
    "[activity honour]\npoints = 5\nmax_points = 50\n"

#define H "3-2-501"

typedef testutil_book fixture;

static fixture *start(const char *rules)
{
    static fixture f;
    assert_int_equal(testutil_book_open(&f, &rules, 1), 0);
    return &f;
}

static void stop(fixture *f)
{
    /* A replica rebuilds the same notices, counters, lots, sanctions. */
    assert_int_equal(testutil_book_replica_check(f), 0);
    testutil_book_close(f);
}

#define at testutil_at

static jifen_result run_at(fixture *f, int64_t now, jifen_command_kind kind,
                           uint64_t amount)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, H);
    if (kind == JIFEN_CMD_AWARD) {
        snprintf(c.code, sizeof c.code, "honour");
        c.points = (uint32_t)amount;
    } else if (kind == JIFEN_CMD_BILL) {
        c.amount = amount;
        snprintf(c.period, sizeof c.period, "2026-01");
    } else {
        c.amount = amount;
    }
    jifen_result r;
    assert_int_equal(testutil_book_write(f, now, "clerk", &c, &r), 0);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    return r;
}

static int64_t points(fixture *f)
{
    jifen_balance b;
    assert_int_equal(testutil_book_balance(f, H, &b), 0);
    return b.points;
}

#define head testutil_book_head

static void tick(fixture *f, int64_t now)
{
    assert_int_equal(ledger_tick(f->led, now), LEDGER_OK);
}

static void setup_household(fixture *f)
{
    run_at(f, at(2026, 1, 1, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, 0);
    run_at(f, at(2026, 1, 1, 9, 0), JIFEN_CMD_BILL, 100000);
}

static void assert_verifies(fixture *f)
{
    jifen_verify_report rep;
    assert_int_equal(ledger_verify(f->led, &rep), LEDGER_OK);
    if (!rep.ok)
        fail_msg("verify: %s", rep.problem);
}

static void test_expiry_dates(void **state)
{
    (void)state;
    policy p;
    char err[256];
    assert_int_equal(
        policy_parse(&p, MONTHS, strlen(MONTHS), "m", err, sizeof err), 0);
    assert_int_equal(policy_expiry_of(&p, at(2026, 3, 31, 23, 59)),
                     at(2026, 6, 1, 0, 0));
    assert_int_equal(policy_expiry_of(&p, at(2026, 11, 1, 0, 0)),
                     at(2027, 2, 1, 0, 0));
    assert_int_equal(
        policy_parse(&p, YEAR_END, strlen(YEAR_END), "y", err, sizeof err), 0);
    assert_int_equal(policy_expiry_of(&p, at(2026, 12, 31, 23, 59)),
                     at(2028, 1, 1, 0, 0));
    assert_int_equal(policy_expiry_of(&p, at(2027, 1, 1, 0, 0)),
                     at(2029, 1, 1, 0, 0));
    assert_int_equal(
        policy_parse(&p, NEVER, strlen(NEVER), "n", err, sizeof err), 0);
    assert_true(policy_expiry_of(&p, 0) == INT64_MAX);
    const char *bad = "version = x\nfen_per_point = 1\nmax_offset_percent = 1\n"
                      "expiry = monthly\n[activity a]\npoints = 1\n";
    assert_int_equal(policy_parse(&p, bad, strlen(bad), "b", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "expiry must be never, months or"));
    bad = "version = x\nfen_per_point = 1\nmax_offset_percent = 1\n"
          "expiry = months\n[activity a]\npoints = 1\n";
    assert_int_equal(policy_parse(&p, bad, strlen(bad), "b", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "expiry_months goes with expiry = months"));
}

/* Oldest first: 10 in March, 5 in April, 12 spent in May. On 1 June the
 * March lot has nothing left; on 1 July 3 of April's 5 expire. */
static void test_oldest_first_at_the_boundary(void **state)
{
    (void)state;
    fixture *f = start(MONTHS);
    setup_household(f);
    run_at(f, at(2026, 3, 15, 9, 0), JIFEN_CMD_AWARD, 10);
    run_at(f, at(2026, 4, 30, 23, 59), JIFEN_CMD_AWARD, 5);
    run_at(f, at(2026, 5, 10, 9, 0), JIFEN_CMD_REDEEM, 12);
    uint64_t h0 = head(f);
    tick(f, at(2026, 6, 1, 0, 0) - 1);
    assert_int_equal(head(f), h0);
    tick(f, at(2026, 6, 1, 0, 0));
    assert_int_equal(head(f), h0); /* March lot all spent: no entry */
    assert_int_equal(points(f), 3);
    tick(f, at(2026, 7, 1, 0, 0) - 1);
    assert_int_equal(points(f), 3);
    tick(f, at(2026, 7, 1, 0, 0));
    assert_int_equal(head(f), h0 + 1);
    assert_int_equal(points(f), 0);
    /* Once: again, and after a reopen. */
    tick(f, at(2026, 8, 1, 0, 0));
    assert_int_equal(testutil_book_reopen(f), 0);
    tick(f, at(2026, 9, 1, 0, 0));
    assert_int_equal(head(f), h0 + 1);
    assert_verifies(f);
    stop(f);
}

/* Unspent points expire whole; what was earned later stays. A reopen
 * before the date changes nothing; a late first tick still expires once. */
static void test_expire_unspent_after_restart(void **state)
{
    (void)state;
    fixture *f = start(MONTHS);
    setup_household(f);
    run_at(f, at(2026, 3, 15, 9, 0), JIFEN_CMD_AWARD, 10);
    run_at(f, at(2026, 6, 1, 0, 0) - 1, JIFEN_CMD_AWARD, 7); /* May */
    run_at(f, at(2026, 5, 20, 9, 0), JIFEN_CMD_REDEEM, 4);
    assert_int_equal(testutil_book_reopen(f), 0);
    uint64_t h0 = head(f);
    tick(f, at(2026, 7, 15, 0, 0)); /* late: 6 of March's 10 are left */
    assert_int_equal(head(f), h0 + 1);
    assert_int_equal(points(f), 7);
    tick(f, at(2026, 8, 1, 0, 0));
    assert_int_equal(points(f), 0); /* May's 7 expire on 1 August */
    assert_int_equal(head(f), h0 + 2);
    assert_verifies(f);
    stop(f);
}

static void test_year_end_and_never(void **state)
{
    (void)state;
    fixture *f = start(YEAR_END);
    setup_household(f);
    run_at(f, at(2026, 12, 31, 23, 59), JIFEN_CMD_AWARD, 10);
    run_at(f, at(2027, 1, 1, 0, 0), JIFEN_CMD_AWARD, 20);
    tick(f, at(2028, 1, 1, 0, 0) - 1);
    assert_int_equal(points(f), 30);
    tick(f, at(2028, 1, 1, 0, 0));
    assert_int_equal(points(f), 20);
    tick(f, at(2029, 1, 1, 0, 0));
    assert_int_equal(points(f), 0);
    assert_verifies(f);
    stop(f);

    f = start(NEVER);
    setup_household(f);
    run_at(f, at(2026, 3, 1, 0, 0), JIFEN_CMD_AWARD, 10);
    uint64_t h0 = head(f);
    tick(f, at(2040, 1, 1, 0, 0));
    assert_int_equal(head(f), h0);
    assert_int_equal(points(f), 10);
    stop(f);
}

/* An award under notice is earned when its window ends (5 April), not
 * when the timer first runs: a first tick on 1 July posts it and, in the
 * same tick, expires it (April points expire on 1 July). */
static void test_earned_at_window_end(void **state)
{
    (void)state;
    fixture *f = start(NOTICED);
    setup_household(f);
    run_at(f, at(2026, 3, 28, 9, 0), JIFEN_CMD_AWARD, 10);
    uint64_t h0 = head(f);
    tick(f, at(2026, 7, 1, 0, 0));
    assert_int_equal(head(f), h0 + 2); /* release, then expire */
    assert_int_equal(points(f), 0);
    assert_verifies(f);
    stop(f);
}

/* --- the property: oldest first, whatever each lot's expiry ---------------- */

/* Two rule sets: points earned before July 2026 never expire, points
 * earned from July expire at the end of the 2nd month after. Both have a
 * deduction rule. */
#define TWO_SETS_A                                                             \
    "version = a-never\nfen_per_point = 100\nmax_offset_percent = 100\n"      \
    "[activity honour]\npoints = 5\nmax_points = 50\n"                        \
    "[rule rule]\npoints = 1\nmax_points = 50\n"
#define TWO_SETS_B                                                             \
    "version = b-months\neffective = 2026-07-01\nfen_per_point = 100\n"       \
    "max_offset_percent = 100\nexpiry = months\nexpiry_months = 2\n"          \
    "[activity honour]\npoints = 5\nmax_points = 50\n"                        \
    "[rule rule]\npoints = 1\nmax_points = 50\n"

/* The model: a household's points as lots in the order they were earned,
 * spent oldest first; a reversed award takes back newest first; a reversed
 * spend puts back what it took into the lots it came from; when a lot's
 * time comes, what is left of it expires. */
#define MODEL_LOTS 512
#define MODEL_ENTRIES 1024
typedef struct {
    int64_t expires;
    uint64_t left;
} model_lot;
typedef struct {
    uint64_t entry;
    jifen_command_kind kind;
    uint64_t points;
    bool reversed;
    /* a spend: what it took, from which lot */
    size_t n_taken;
    size_t taken_lot[MODEL_LOTS / 8];
    uint64_t taken[MODEL_LOTS / 8];
} model_entry;
typedef struct {
    model_lot lots[MODEL_LOTS];
    size_t n_lots;
    model_entry entries[MODEL_ENTRIES];
    size_t n_entries;
    uint64_t expired;
} model;

static uint64_t model_points(const model *m)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->n_lots; i++)
        n += m->lots[i].left;
    return n;
}

static void model_spend(model *m, model_entry *e, uint64_t points)
{
    for (size_t i = 0; i < m->n_lots && points; i++) {
        uint64_t t = m->lots[i].left < points ? m->lots[i].left : points;
        if (!t)
            continue;
        m->lots[i].left -= t;
        points -= t;
        assert_true(e->n_taken < MODEL_LOTS / 8);
        e->taken_lot[e->n_taken] = i;
        e->taken[e->n_taken++] = t;
    }
    assert_int_equal(points, 0);
}

static void model_tick(model *m, int64_t now)
{
    for (size_t i = 0; i < m->n_lots; i++)
        if (m->lots[i].expires <= now) {
            m->expired += m->lots[i].left;
            m->lots[i].left = 0;
        }
}

/* xorshift64*: the sequence is the seed's, printed when a check fails. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static uint64_t expired_total(fixture *f)
{
    jifen_command c = {.kind = JIFEN_CMD_REPORT};
    (void)c;
    /* community/points-expired's credits: read the balance record. */
    storage_txn txn;
    storage_val v;
    uint64_t n = 0;
    assert_int_equal(storage_txn_begin(ledger_storage(f->led), &txn, false),
                     STORAGE_OK);
    if (storage_get(&txn, TABLE_BALANCES, "community/points-expired",
                    strlen("community/points-expired"), &v) == STORAGE_OK &&
        v.len == 16)
        n = storage_be64_get((const uint8_t *)v.data + 8) -
            storage_be64_get(v.data);
    storage_txn_abort(&txn);
    return n;
}

static void one_sequence(uint64_t seed)
{
    const char *texts[] = {TWO_SETS_A, TWO_SETS_B};
    static fixture f;
    assert_int_equal(testutil_book_open(&f, texts, 2), 0);
    const ruleset *rules = ledger_rules(f.led);
    static model m;
    memset(&m, 0, sizeof m);
    uint64_t s = seed;
    int64_t now = at(2026, 3, 1, 9, 0);
    run_at(&f, now, JIFEN_CMD_HOUSEHOLD_ADD, 0);
    run_at(&f, now, JIFEN_CMD_BILL, 100000000);
    for (int step = 0; step < 160; step++) {
        now += (int64_t)(rnd(&s) % (6 * 24)) * 3600 * 1000; /* up to 6 days */
        jifen_command c;
        memset(&c, 0, sizeof c);
        snprintf(c.household, sizeof c.household, H);
        uint64_t have = model_points(&m);
        unsigned what = (unsigned)(rnd(&s) % 10);
        jifen_result r;
        jifen_status want = JIFEN_STATUS_OK;
        model_entry *me = m.n_entries < MODEL_ENTRIES
                              ? &m.entries[m.n_entries]
                              : NULL;
        assert_non_null(me);
        memset(me, 0, sizeof *me);
        if (what < 4) { /* award */
            c.kind = JIFEN_CMD_AWARD;
            snprintf(c.code, sizeof c.code, "honour");
            c.points = 1 + (uint32_t)(rnd(&s) % 50);
        } else if (what < 6 && have) { /* redeem */
            c.kind = JIFEN_CMD_REDEEM;
            c.amount = 1 + rnd(&s) % have;
        } else if (what < 7 && have) { /* deduct */
            c.kind = JIFEN_CMD_DEDUCT;
            snprintf(c.code, sizeof c.code, "rule");
            snprintf(c.note, sizeof c.note, "by rule");
            c.points = 1 + (uint32_t)(rnd(&s) % (have < 50 ? have : 50));
        } else if (what < 9 && m.n_entries) { /* reverse something */
            model_entry *o = &m.entries[rnd(&s) % m.n_entries];
            c.kind = JIFEN_CMD_REVERSE;
            c.entry = o->entry;
            snprintf(c.note, sizeof c.note, "mistake");
            if (o->reversed)
                want = JIFEN_STATUS_ALREADY_REVERSED;
            else if (o->kind == JIFEN_CMD_AWARD && have < o->points)
                want = JIFEN_STATUS_INSUFFICIENT_POINTS;
            assert_int_equal(testutil_book_write(&f, now, "clerk", &c, &r), 0);
            if (r.status != want)
                fail_msg("seed %llu step %d: reversing entry %llu: %s, "
                         "expected %s",
                         (unsigned long long)seed, step,
                         (unsigned long long)o->entry,
                         jifen_status_name(r.status), jifen_status_name(want));
            if (want == JIFEN_STATUS_OK) {
                o->reversed = true;
                if (o->kind == JIFEN_CMD_AWARD) {
                    uint64_t back = o->points;
                    for (size_t i = m.n_lots; i-- > 0 && back;) {
                        uint64_t t = m.lots[i].left < back ? m.lots[i].left
                                                           : back;
                        m.lots[i].left -= t;
                        back -= t;
                    }
                } else {
                    for (size_t i = 0; i < o->n_taken; i++)
                        m.lots[o->taken_lot[i]].left += o->taken[i];
                }
            }
            goto check;
        } else { /* time passes */
            tick(&f, now);
            model_tick(&m, now);
            goto check;
        }
        assert_int_equal(testutil_book_write(&f, now, "clerk", &c, &r), 0);
        if (r.status != JIFEN_STATUS_OK)
            fail_msg("seed %llu step %d: %s refused: %s",
                     (unsigned long long)seed, step,
                     codec_command_name(c.kind), r.error);
        me->entry = r.entry;
        me->kind = c.kind;
        if (c.kind == JIFEN_CMD_AWARD) {
            me->points = c.points;
            assert_true(m.n_lots < MODEL_LOTS);
            m.lots[m.n_lots++] = (model_lot){
                policy_expiry_of(ruleset_at(rules, now), now), c.points};
        } else {
            me->points = c.kind == JIFEN_CMD_REDEEM ? c.amount : c.points;
            model_spend(&m, me, me->points);
        }
        m.n_entries++;
    check:
        if ((uint64_t)points(&f) != model_points(&m) ||
            expired_total(&f) != m.expired)
            fail_msg("seed %llu step %d: ledger %lld points, %llu expired; "
                     "oldest-first model %llu points, %llu expired",
                     (unsigned long long)seed, step, (long long)points(&f),
                     (unsigned long long)expired_total(&f),
                     (unsigned long long)model_points(&m),
                     (unsigned long long)m.expired);
    }
    tick(&f, at(2030, 1, 1, 0, 0));
    model_tick(&m, at(2030, 1, 1, 0, 0));
    assert_int_equal(points(&f), model_points(&m));
    assert_int_equal(expired_total(&f), m.expired);
    assert_verifies(&f);
    stop(&f);
}

/* Issue 11, item 1: generated award / redeem / deduct / reverse sequences
 * over two rule sets with different expiry, against the model. Seeds:
 * EXPIRY_SEEDS=N runs N more from the time of day (printed). */
static void test_oldest_first_property(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 12; seed++)
        one_sequence(seed * 0x9e3779b97f4a7c15ull);
    const char *more = getenv("EXPIRY_SEEDS");
    uint64_t base = (uint64_t)time(NULL);
    for (long i = 0; more && i < atol(more); i++) {
        fprintf(stderr, "expiry property: seed %llu\n",
                (unsigned long long)(base + (uint64_t)i));
        one_sequence(base + (uint64_t)i);
    }
}

/* The issue's own case: June points (never expire) spent, July points
 * (expire) left: the July points expire. */
static void test_older_points_that_never_expire(void **state)
{
    (void)state;
    const char *texts[] = {TWO_SETS_A, TWO_SETS_B};
    static fixture f;
    assert_int_equal(testutil_book_open(&f, texts, 2), 0);
    run_at(&f, at(2026, 6, 10, 9, 0), JIFEN_CMD_HOUSEHOLD_ADD, 0);
    run_at(&f, at(2026, 6, 10, 9, 0), JIFEN_CMD_BILL, 10000);
    run_at(&f, at(2026, 6, 10, 9, 0), JIFEN_CMD_AWARD, 2);
    run_at(&f, at(2026, 6, 11, 9, 0), JIFEN_CMD_REDEEM, 2);
    run_at(&f, at(2026, 7, 10, 9, 0), JIFEN_CMD_AWARD, 2);
    tick(&f, at(2026, 10, 1, 0, 0) - 1);
    assert_int_equal(points(&f), 2);
    tick(&f, at(2026, 10, 1, 0, 0));
    assert_int_equal(points(&f), 0);
    assert_int_equal(expired_total(&f), 2);
    stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expiry_dates),
        cmocka_unit_test(test_oldest_first_at_the_boundary),
        cmocka_unit_test(test_expire_unspent_after_restart),
        cmocka_unit_test(test_year_end_and_never),
        cmocka_unit_test(test_earned_at_window_end),
        cmocka_unit_test(test_older_points_that_never_expire),
        cmocka_unit_test(test_oldest_first_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
