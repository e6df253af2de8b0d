/*
 * timer - what jifend decides by itself when its time comes: the release of
 * awards whose public notice ended, and the expiry of points (lots.h). Like
 * a client's command, each is a decision that drafts an entry and posts it
 * through the one apply path; the entry says what was decided (the notice
 * it closes, the month the points expired), so a replica follows it.
 */
#include "ledger_internal.h"

#include "clock.h"
#include "desk.h"
#include "log.h"
#include "lots.h"
#include "notice.h"
#include "policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* New work for the timer at ms: only ever earlier, so no scan is needed.
 * (A group that then fails to commit leaves it too early: harmless, the
 * tick finds nothing and looks again.) */
void ledger_timer_due_by(ledger *self, int64_t ms)
{
    if (ms < self->timer_next_ms)
        self->timer_next_ms = ms;
}

/* Posts one award whose window has ended. The request id is derived from
 * the award, so the entry says which notice it closed. */
static void release_one(ledger *self, const policy *pol, int64_t now_ms,
                        uint64_t award, jifen_result *result)
{
    notice_record r;
    storage_error e = notice_get(&self->txn, award, &r);
    if (e != STORAGE_OK) {
        if (!self->txn.error)
            self->txn.error = e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e;
        return;
    }
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id, "notice-%" PRIu64, award);
    write_context ctx = {request_id, LEDGER_DAEMON_AUTHOR, now_ms, pol, NULL};
    jifen_entry *d = &self->w->draft;
    memset(d, 0, sizeof *d);
    d->command.kind = JIFEN_CMD_RELEASE;
    d->command.entry = award;
    char pending[JIFEN_ACCOUNT_MAX + 1], points[JIFEN_ACCOUNT_MAX + 1];
    account_household_pending(r.household, pending);
    account_household_points(r.household, points);
    ledger_make_posting(&d->postings[0], JIFEN_ASSET_POINTS, pending, points,
                        r.points);
    d->n_postings = 1;
    /* The points count as earned when the window ended, however late the
     * timer ran (a late second approval, a daemon stopped for days), under
     * the rule set in force then (docs/policy.md, "Expiry"). */
    const policy *then = ledger_in_force(self, r.due_ms);
    int64_t expires = policy_expiry_of(then ? then : pol, r.due_ms);
    d->expires_ms = expires == INT64_MAX ? 0 : expires;
    ledger_post_draft(self, &ctx, result);
}

/* Posts what is left of the household's points expiring at due_ms. */
static void expire_one(ledger *self, const policy *pol, int64_t now_ms,
                       const lots_due_item *due, jifen_result *result)
{
    uint64_t amount = 0;
    storage_error e =
        lots_expiring(&self->txn, due->household, due->expires_ms, &amount);
    if (e != STORAGE_OK) {
        if (!self->txn.error)
            self->txn.error = e;
        return;
    }
    if (amount == 0) {
        /* The lots keep the due marks in step with themselves, so this is
         * damage; say so rather than scan it every tick. */
        log_error("timer: %s is marked due at %" PRId64
                  " but has no points expiring then",
                  due->household, due->expires_ms);
        self->txn.error = STORAGE_CORRUPT;
        return;
    }
    jifen_entry *d = &self->w->draft;
    memset(d, 0, sizeof *d);
    d->command.kind = JIFEN_CMD_EXPIRE;
    ledger_copy_text(d->command.household, sizeof d->command.household,
                     due->household);
    clock_period_of(due->expires_ms, d->command.period);
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id, "expire-%s-%s", d->command.period,
             due->household);
    write_context ctx = {request_id, LEDGER_DAEMON_AUTHOR, now_ms, pol, NULL};
    char points[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(due->household, points);
    ledger_make_posting(&d->postings[0], JIFEN_ASSET_POINTS, points,
                        ACCOUNT_POINTS_EXPIRED, amount);
    d->n_postings = 1;
    ledger_post_draft(self, &ctx, result);
}

bool ledger_timer_due(const ledger *self, int64_t now_ms)
{
    return self->timer_rescan || now_ms >= self->timer_next_ms;
}

ledger_error ledger_tick(ledger *self, int64_t now_ms)
{
    if (!self->timer_rescan && now_ms < self->timer_next_ms)
        return LEDGER_OK;
    ledger_error le = ledger_write_begin(self);
    if (le != LEDGER_OK)
        return le;
    uint64_t due[TICK_BATCH];
    lots_due_item lots[TICK_BATCH];
    size_t n = 0, n_lots = 0;
    int64_t next = INT64_MAX, next_lot = INT64_MAX;
    jifen_result result;
    storage_error e =
        notice_due(&self->txn, now_ms, due, TICK_BATCH, &n, &next);
    const policy *pol = ledger_in_force(self, now_ms);
    for (size_t i = 0; e == STORAGE_OK && pol && i < n && !self->txn.error;
         i++) {
        memset(&result, 0, sizeof result);
        release_one(self, pol, now_ms, due[i], &result);
    }
    /* After the releases: their points may be due already. */
    if (e == STORAGE_OK && pol && !self->txn.error)
        e = lots_due(&self->txn, now_ms, lots, TICK_BATCH, &n_lots,
                     &next_lot);
    for (size_t i = 0; e == STORAGE_OK && pol && i < n_lots &&
                       !self->txn.error;
         i++) {
        memset(&result, 0, sizeof result);
        expire_one(self, pol, now_ms, &lots[i], &result);
    }
    if (next_lot < next)
        next = next_lot;
    n += n_lots;
    /* Then on-time points (desk_ontime.c), a bounded part of a month. */
    if (e == STORAGE_OK && pol && !self->txn.error) {
        int64_t next_ontime = INT64_MAX;
        n += desk_ontime_tick(self, pol, now_ms, TICK_BATCH, &next_ontime);
        if (next_ontime < next)
            next = next_ontime;
    }
    if (e == STORAGE_OK)
        e = self->txn.error;
    if (e != STORAGE_OK || n == 0 || !pol) {
        ledger_write_abort(self);
        if (e != STORAGE_OK)
            return ledger_fail(self, e, storage_txn_strerror(&self->txn));
        self->timer_next_ms = next;
        self->timer_rescan = false;
        return LEDGER_OK;
    }
    le = ledger_write_commit(self);
    self->timer_rescan = true; /* find out when the next one is due */
    if (le == LEDGER_OK)
        log_info("timer: %zu notice(s) posted, lot(s) expired or on-time "
                 "award(s) made",
                 n);
    else /* the month's judging starts over: awards made are skipped */
        self->ontime_period[0] = '\0';
    return le;
}
