/*
 * desk_ontime - points for paying on time (docs/desk.md), posted by jifend
 * itself like the notice releases: once a month's deadline (the rule set's
 * ontime_day, of the rule set in force on the month's first day) has
 * passed, every household that had bills for the month before it and had
 * paid them in full by then (oldest bills first: dues.h) gets an
 * OntimeAward entry; when all were judged, an OntimeAward without a
 * household closes the month.
 *
 * Never twice: an award is derived state keyed by (household, month), and
 * the closing entry by the month; both are in the journal. Never skipped:
 * the timer's place in the month is kept in memory only, so after a
 * restart (or a group that failed to commit) it judges the month again
 * from its first household, skipping those awarded already, until the
 * closing entry is written. The work per tick is bounded (TICK_BATCH
 * households), so a large community is judged over a few ticks between
 * group commits.
 */
#include "desk.h"

#include "clock.h"
#include "desk_state.h"
#include "dues.h"
#include "journal.h"
#include "log.h"
#include "policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PERIODS_MAX 1200 /* a century of months */

typedef struct {
    char (*periods)[JIFEN_PERIOD_LEN + 1];
    size_t n;
} period_list;

static int add_period(void *ctx, const char *period)
{
    period_list *l = ctx;
    if (l->n == PERIODS_MAX)
        return 1;
    memcpy(l->periods[l->n++], period, JIFEN_PERIOD_LEN + 1);
    return 0;
}

/* The deadline of a month's on-time points and the rule set that sets it
 * (in force on the month's first day); 0 when it has no such rule. */
static int64_t deadline_of(ledger *self, const char *period,
                           const policy **rule)
{
    int64_t start = 0;
    if (clock_parse_period(period, &start) != 0)
        return 0;
    *rule = ledger_in_force(self, start);
    return *rule ? policy_ontime_deadline(*rule, start) : 0;
}

/* The next households of the month to judge, in code order. */
static storage_error next_households(storage_txn *txn, const char *after,
                                     char (*codes)[JIFEN_HOUSEHOLD_MAX + 1],
                                     size_t max, size_t *n, bool *end)
{
    storage_cursor *c = NULL;
    storage_val k;
    size_t alen = strlen(after);
    *n = 0;
    *end = false;
    storage_error e = storage_cursor_open(txn, TABLE_HOUSEHOLDS, &c);
    if (e == STORAGE_OK)
        e = alen ? storage_cursor_seek(c, after, alen, &k, NULL)
                 : storage_cursor_first(c, &k, NULL);
    if (e == STORAGE_OK && alen && k.len == alen &&
        memcmp(k.data, after, alen) == 0)
        e = storage_cursor_next(c, &k, NULL);
    while (e == STORAGE_OK && *n < max) {
        if (k.len == 0 || k.len > JIFEN_HOUSEHOLD_MAX) {
            e = STORAGE_CORRUPT;
            break;
        }
        memcpy(codes[*n], k.data, k.len);
        codes[(*n)++][k.len] = '\0';
        e = storage_cursor_next(c, &k, NULL);
    }
    storage_cursor_close(&c);
    if (e == STORAGE_NOT_FOUND) {
        *end = true;
        e = STORAGE_OK;
    }
    return e;
}

/* Posts an OntimeAward (a household's, or the month's close with ""). */
static void post_award(ledger *self, const policy *now_pol, int64_t now_ms,
                       const char *household, const char *period,
                       uint32_t points, int64_t expires, jifen_result *result)
{
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id, "ontime-%s-%s", period,
             household[0] ? household : "close");
    write_context ctx = {request_id, LEDGER_DAEMON_AUTHOR, now_ms, now_pol,
                         NULL};
    jifen_entry *d = &self->w->draft;
    memset(d, 0, sizeof *d);
    d->command.kind = JIFEN_CMD_ONTIME_AWARD;
    ledger_copy_text(d->command.household, sizeof d->command.household,
                     household);
    ledger_copy_text(d->command.period, sizeof d->command.period, period);
    if (household[0]) {
        d->command.points = points;
        char account[JIFEN_ACCOUNT_MAX + 1];
        account_household_points(household, account);
        ledger_make_posting(&d->postings[0], JIFEN_ASSET_POINTS,
                            ACCOUNT_POINTS_ISSUED, account, points);
        d->n_postings = 1;
        d->expires_ms = expires == INT64_MAX ? 0 : expires;
    }
    memset(result, 0, sizeof *result);
    ledger_post_draft(self, &ctx, result);
}

/* Judges up to `budget` households of the month; returns the entries
 * posted, *more when the month is not done. */
static size_t judge_month(ledger *self, const policy *now_pol, int64_t now_ms,
                          const char *period, const policy *rule,
                          int64_t deadline, size_t budget, bool *more)
{
    char codes[TICK_BATCH][JIFEN_HOUSEHOLD_MAX + 1];
    if (budget > TICK_BATCH)
        budget = TICK_BATCH;
    if (strcmp(self->ontime_period, period) != 0) {
        memcpy(self->ontime_period, period, JIFEN_PERIOD_LEN + 1);
        self->ontime_after[0] = '\0';
    }
    size_t n = 0, posted = 0;
    bool end = false;
    storage_error e = next_households(&self->txn, self->ontime_after, codes,
                                      budget, &n, &end);
    /* Earned at the deadline, so they expire by the rules of that day. */
    const policy *at_deadline = ledger_in_force(self, deadline);
    int64_t expires = policy_expiry_of(at_deadline ? at_deadline : rule,
                                       deadline);
    arrears scratch;
    memset(&scratch, 0, sizeof scratch);
    jifen_result result;
    for (size_t i = 0; e == STORAGE_OK && i < n && !self->txn.error; i++) {
        uint64_t award = 0;
        e = desk_ontime_get(&self->txn, codes[i], period, &award);
        if (e == STORAGE_OK)
            continue; /* awarded before a restart */
        if (e != STORAGE_NOT_FOUND)
            break;
        bool paid = false;
        e = dues_paid_on_time(&self->txn, codes[i], period, deadline, 0,
                              &scratch, &paid);
        if (e == STORAGE_OK && paid) {
            post_award(self, now_pol, now_ms, codes[i], period,
                       rule->ontime_points, expires, &result);
            posted++;
        }
    }
    arrears_free(&scratch);
    if (e != STORAGE_OK && !self->txn.error)
        self->txn.error = e;
    if (n > 0)
        memcpy(self->ontime_after, codes[n - 1], JIFEN_HOUSEHOLD_MAX + 1);
    *more = !end;
    if (end && !self->txn.error) {
        post_award(self, now_pol, now_ms, "", period, 0, 0, &result);
        posted++;
        self->ontime_period[0] = '\0';
        self->ontime_after[0] = '\0';
    }
    return posted;
}

size_t desk_ontime_tick(ledger *self, const policy *pol, int64_t now_ms,
                        size_t budget, int64_t *next)
{
    char periods[PERIODS_MAX][JIFEN_PERIOD_LEN + 1];
    period_list l = {periods, 0};
    *next = INT64_MAX;
    storage_error e = desk_bill_period_each(&self->txn, add_period, &l);
    if (e != STORAGE_OK) {
        if (!self->txn.error)
            self->txn.error = e;
        return 0;
    }
    for (size_t i = 0; i < l.n; i++) {
        uint64_t done = 0;
        e = desk_ontime_done_get(&self->txn, periods[i], &done);
        if (e == STORAGE_OK)
            continue;
        if (e != STORAGE_NOT_FOUND) {
            if (!self->txn.error)
                self->txn.error = e;
            return 0;
        }
        const policy *rule = NULL;
        int64_t deadline = deadline_of(self, periods[i], &rule);
        if (deadline == 0)
            continue; /* no on-time rule for that month */
        if (now_ms < deadline) {
            if (deadline < *next)
                *next = deadline;
            continue;
        }
        bool more = false;
        size_t posted = judge_month(self, pol, now_ms, periods[i], rule,
                                    deadline, budget, &more);
        if (more || posted)
            *next = now_ms; /* the rest of it, or the next month, now */
        return posted;
    }
    return 0;
}

/* --- a payment's reversal ------------------------------------------------- */

typedef struct {
    ledger *self;
    const jifen_entry *pay;
    uint64_t *awards;
    size_t max, n;
    uint64_t points;
    arrears scratch;
    storage_error err;
} depending;

static int check_award(void *ctx, const char *period, uint64_t award)
{
    depending *d = ctx;
    ledger *self = d->self;
    uint8_t key[8];
    storage_val v;
    storage_be64_put(key, award);
    storage_error e =
        storage_get(&self->txn, TABLE_REVERSALS, key, sizeof key, &v);
    if (e == STORAGE_OK)
        return 0; /* taken back already */
    const policy *rule = NULL;
    int64_t deadline = deadline_of(self, period, &rule);
    if (e != STORAGE_NOT_FOUND || deadline == 0 ||
        d->pay->time_ms >= deadline)
        return e == STORAGE_NOT_FOUND ? 0 : (d->err = e, -1);
    bool paid = false;
    e = dues_paid_on_time(&self->txn, d->pay->command.household, period,
                          deadline, d->pay->seq, &d->scratch, &paid);
    if (e != STORAGE_OK) {
        d->err = e;
        return -1;
    }
    if (paid || d->n == d->max)
        return 0;
    jifen_entry *a = &self->w->replicated; /* free scratch while deciding */
    e = journal_read(&self->txn, award, a, false);
    if (e != STORAGE_OK) {
        d->err = e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e;
        return -1;
    }
    d->awards[d->n++] = award;
    d->points += a->command.points;
    return 0;
}

storage_error desk_ontime_depending_on(ledger *self, const jifen_entry *pay,
                                       uint64_t *awards, size_t max,
                                       size_t *n, uint64_t *points)
{
    depending d = {.self = self, .pay = pay, .awards = awards, .max = max};
    storage_error e = desk_ontime_each(&self->txn, pay->command.household,
                                       check_award, &d);
    arrears_free(&d.scratch);
    *n = d.n;
    *points = d.points;
    return d.err != STORAGE_OK ? d.err : e;
}
