/*
 * ledger_rules - the points policy on the ledger's write path: caps,
 * public notice (公示), expiry, sanctions and settlement (see
 * ledger_internal.h and docs/policy.md). Like ledger.c, every handler
 * decides first (reads only) and then writes; storage errors land in the
 * transaction's sticky error.
 */
#include "ledger_internal.h"

#include "clock.h"
#include "codec.h"
#include "counters.h"
#include "expiry.h"
#include "log.h"
#include "sanction.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The household's counts of `what` in the month and year of ms; false
 * (the transaction poisoned) when they cannot be read. */
static bool period_counts(ledger *self, const char *household, const char *what,
                          int64_t ms, uint64_t *month, uint64_t *year)
{
    storage_error e = counter_get_month_year(ledger_txn(self), household, what,
                                             ms, month, year);
    if (e != STORAGE_OK)
        ledger_txn(self)->error = e;
    return e == STORAGE_OK;
}

/* Caps count every award of the month and year, whichever rule set made
 * it; the rule set in force now says how high they are. */
jifen_status rules_check_award_caps(ledger *self, const write_context *ctx,
                                    const jifen_command *cmd, uint32_t points,
                                    jifen_result *result)
{
    uint64_t month = 0, year = 0;
    if (!period_counts(self, cmd->household, cmd->code, ctx->now_ms, &month,
                       &year))
        return JIFEN_STATUS_INTERNAL;
    char period[CLOCK_PERIOD_LEN + 1];
    clock_period_of(ctx->now_ms, period);
    return policy_award_caps(ctx->pol, cmd->code, cmd->household, period, month,
                             year, points, result->error, sizeof result->error);
}

/* Points credited (earned at earned_ms) start their life towards expiry. */
void rules_earn(ledger *self, const write_context *ctx, const char *household,
                int64_t earned_ms, uint64_t points)
{
    int64_t expires = policy_expiry_of(ctx->pol, earned_ms);
    if (expires == INT64_MAX)
        return;
    expiry_earn(ledger_txn(self), household, expires, points);
    ledger_timer_due_by(self, expires);
}

void rules_open_notice(ledger *self, const write_context *ctx,
                       const jifen_command *award, const char *name,
                       bool needs_approval, jifen_result *result)
{
    notice_record r;
    memset(&r, 0, sizeof r);
    r.entry = result->entry;
    r.time_ms = ctx->now_ms;
    r.due_ms = notice_window_end(ctx->now_ms, ctx->pol->notice_days);
    r.points = award->points;
    r.state = NOTICE_PENDING;
    r.needs_approval = needs_approval;
    snprintf(r.household, sizeof r.household, "%s", award->household);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.activity, sizeof r.activity, "%s", award->code);
    snprintf(r.author, sizeof r.author, "%s", ctx->author);
    snprintf(r.author_key, sizeof r.author_key, "%s",
             ctx->caller ? ctx->caller->key : "");
    notice_put(ledger_txn(self), &r);
    result->notice_ends_ms = r.due_ms;
    result->needs_approval = needs_approval;
    if (!needs_approval)
        ledger_timer_due_by(self, r.due_ms);
}

/* A rule with suspend_months is a sanction: it also suspends redemption. */
void rules_sanction(ledger *self, const write_context *ctx,
                    const jifen_command *cmd, jifen_result *result)
{
    const policy_rule *rule = policy_find_rule(ctx->pol, cmd->code);
    int64_t until = rule ? policy_suspended_until(rule, ctx->now_ms) : 0;
    if (until == 0)
        return;
    sanction_put(ledger_txn(self), cmd->household, result->entry, until);
    result->suspended_until_ms = until;
}

jifen_status rules_check_redeem_cap(ledger *self, const write_context *ctx,
                                    const jifen_command *cmd,
                                    jifen_result *result)
{
    uint64_t month = 0, year = 0;
    if (!period_counts(self, cmd->household, COUNTER_REDEEM, ctx->now_ms,
                       &month, &year))
        return JIFEN_STATUS_INTERNAL;
    char period[CLOCK_PERIOD_LEN + 1];
    clock_period_of(ctx->now_ms, period);
    period[4] = '\0';
    return policy_redeem_cap(ctx->pol, cmd->household, period, year,
                             cmd->amount, result->error, sizeof result->error);
}

/* Refuses the redemption while a sanction suspends it. */
bool rules_suspended(ledger *self, const write_context *ctx,
                     const char *household, jifen_result *result)
{
    uint64_t entry = 0;
    int64_t until = 0;
    storage_error e = sanction_active(ledger_txn(self), household, ctx->now_ms,
                                      &entry, &until);
    if (e != STORAGE_OK) {
        ledger_txn(self)->error = e;
        return true;
    }
    if (entry == 0)
        return false;
    char date[CLOCK_DATE_LEN + 1];
    clock_date_text(until, date);
    ledger_set_result(result, JIFEN_STATUS_REDEMPTION_SUSPENDED,
                      "redemption by %s is suspended until %s 00:00 by the "
                      "deduction in entry %" PRIu64
                      "; an appeal upheld lifts it",
                      household, date, entry);
    return true;
}

/* A reversed award or redemption no longer counts against the caps of the
 * period it was made in; a reversed deduction (an appeal upheld) lifts its
 * suspension. */
void rules_reversed(ledger *self, const jifen_entry *original)
{
    const jifen_command *c = &original->command;
    if (c->kind == JIFEN_CMD_DEDUCT) {
        storage_error e =
            sanction_lift(ledger_txn(self), c->household, original->seq);
        if (e != STORAGE_OK && !ledger_txn(self)->error)
            ledger_txn(self)->error = e;
    }
    if (c->kind == JIFEN_CMD_AWARD)
        counter_add_month_year(ledger_txn(self), c->household, c->code,
                               original->time_ms, -(int64_t)c->points);
    else if (c->kind == JIFEN_CMD_REDEEM)
        counter_add_month_year(ledger_txn(self), c->household, COUNTER_REDEEM,
                               original->time_ms, -(int64_t)c->amount);
}

/*
 * Entries of public notice are undone by notice itself: a pending award by
 * an objection (voiding it), a release or an objection not at all. An
 * award whose notice has posted is reversed from the household's points.
 */
bool rules_reversible_after_notice(ledger *self, const jifen_entry *original,
                                   jifen_result *result)
{
    jifen_command_kind k = original->command.kind;
    if (k == JIFEN_CMD_RELEASE || k == JIFEN_CMD_OBJECT) {
        ledger_set_result(result, JIFEN_STATUS_NOT_REVERSIBLE,
                          "entry %" PRIu64
                          " (%s) decided a public notice; reverse "
                          "the award itself",
                          original->seq, codec_command_name(k));
        return false;
    }
    if (k != JIFEN_CMD_AWARD)
        return true;
    notice_record r;
    storage_error e = notice_get(ledger_txn(self), original->seq, &r);
    if (e == STORAGE_NOT_FOUND)
        return true;
    if (e != STORAGE_OK) {
        ledger_txn(self)->error = e;
        return false;
    }
    if (r.state == NOTICE_POSTED)
        return true;
    ledger_set_result(result, JIFEN_STATUS_NOT_REVERSIBLE,
                      r.state == NOTICE_PENDING
                          ? "award %" PRIu64
                            " is under public notice: an objection "
                            "(jifen object) voids it"
                          : "award %" PRIu64 " was voided by an objection",
                      original->seq);
    return false;
}

/* A posted award's points have moved from pending to the household's
 * points: take them back from there. */
void rules_posted_from_points(const jifen_entry *original, jifen_posting *p)
{
    char pending[JIFEN_ACCOUNT_MAX + 1];
    if (original->command.kind != JIFEN_CMD_AWARD)
        return;
    account_household_pending(original->command.household, pending);
    if (strcmp(p->debit, pending) == 0)
        account_household_points(original->command.household, p->debit);
}

/* The notice of a pending award, or a refusal. */
static bool need_pending(ledger *self, uint64_t entry, notice_record *r,
                         jifen_result *result)
{
    storage_error e = notice_get(ledger_txn(self), entry, r);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(
            result, JIFEN_STATUS_UNKNOWN_ENTRY,
            "entry %" PRIu64 " is not an award under public notice", entry);
        return false;
    }
    if (e != STORAGE_OK) {
        ledger_txn(self)->error = e;
        return false;
    }
    if (r->state == NOTICE_PENDING)
        return true;
    ledger_set_result(result, JIFEN_STATUS_NOTICE_CLOSED,
                      "the notice of award %" PRIu64 " is closed: it was %s by "
                      "entry %" PRIu64,
                      entry, r->state == NOTICE_POSTED ? "posted" : "voided",
                      r->decided_by);
    return false;
}

/* Closes a decided notice: a voided award leaves the caps, a posted one
 * starts its lot towards expiry (earned when the window ended, however
 * late the timer ran). Shared by the write path and replication. */
static void close_notice(ledger *self, const write_context *ctx,
                         notice_record *r, bool release, uint64_t decided_by)
{
    if (!release)
        counter_add_month_year(ledger_txn(self), r->household, r->activity,
                               r->time_ms, -(int64_t)r->points);
    r->state = release ? NOTICE_POSTED : NOTICE_VOIDED;
    r->decided_by = decided_by;
    notice_put(ledger_txn(self), r);
    if (release)
        rules_earn(self, ctx, r->household, r->due_ms, r->points);
}

/* Moves a pending award to the household's points (release) or back to
 * issuance (objection), and closes its notice in the same entry. */
static void decide_notice(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, notice_record *r,
                          jifen_result *result)
{
    bool release = cmd->kind == JIFEN_CMD_RELEASE;
    char pending[JIFEN_ACCOUNT_MAX + 1], points[JIFEN_ACCOUNT_MAX + 1];
    account_household_pending(r->household, pending);
    account_household_points(r->household, points);
    jifen_posting p;
    ledger_make_posting(&p, JIFEN_ASSET_POINTS, pending,
                        release ? points : ACCOUNT_POINTS_ISSUED, r->points);
    ledger_post_entry(self, ctx, cmd, r->household, &p, 1, 0, result);
    if (result->status != JIFEN_STATUS_OK)
        return;
    close_notice(self, ctx, r, release, result->entry);
    result->points = r->points;
}

/* The second committee member approved: the timer may post it when due. */
static void approve_notice(ledger *self, notice_record *r)
{
    r->approved = true;
    notice_put(ledger_txn(self), r);
    ledger_timer_due_by(self, r->due_ms);
}

void rules_cmd_object(ledger *self, const write_context *ctx,
                      const jifen_command *cmd, jifen_result *result)
{
    notice_record r;
    if (need_pending(self, cmd->entry, &r, result))
        decide_notice(self, ctx, cmd, &r, result);
}

void rules_cmd_approve(ledger *self, const write_context *ctx,
                       const jifen_command *cmd, jifen_result *result)
{
    notice_record r;
    if (!need_pending(self, cmd->entry, &r, result))
        return;
    if (!r.needs_approval || r.approved) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "award %" PRIu64 " %s", cmd->entry,
                          r.approved ? "is already approved"
                                     : "does not need a second approval");
        return;
    }
    /* Two people, not one: whoever recorded the award cannot approve it
     * (the recorder's key, or a key labelled like it: notice.h). */
    if (notice_recorded_by(&r, ctx->caller ? ctx->caller->key : "",
                           ctx->author)) {
        ledger_set_result(result, JIFEN_STATUS_FORBIDDEN,
                          "award %" PRIu64
                          " was recorded by %s, who may not also "
                          "approve it; another committee member must",
                          cmd->entry, r.author);
        return;
    }
    ledger_post_entry(self, ctx, cmd, r.household, NULL, 0, 0, result);
    if (result->status == JIFEN_STATUS_OK)
        approve_notice(self, &r);
}

/* The funder pays the property company for redeemed points; never more
 * than it owes, so the receivable cannot turn into a debt the other way. */
void rules_cmd_settle(ledger *self, const write_context *ctx,
                      const jifen_command *cmd, jifen_result *result)
{
    account_totals t;
    if (ledger_get_totals(self, ACCOUNT_POINTS_OFFSET, &t) != STORAGE_OK) {
        ledger_txn(self)->error = STORAGE_CORRUPT;
        return;
    }
    uint64_t owed = t.debits > t.credits ? t.debits - t.credits : 0;
    if (cmd->amount > owed) {
        ledger_set_result(result, JIFEN_STATUS_CAP_EXCEEDED,
                          "the funder owes %" PRIu64 ".%02" PRIu64 " yuan for "
                          "redeemed points; settle at most that",
                          owed / 100, owed % 100);
        return;
    }
    jifen_posting p;
    ledger_make_posting(&p, JIFEN_ASSET_FEE, ACCOUNT_CASH,
                        ACCOUNT_POINTS_OFFSET, cmd->amount);
    ledger_post_entry(self, ctx, cmd, NULL, &p, 1, 0, result);
}

/* Release and Expire entries follow from the rules and the clock alone. */
void rules_cmd_daemon_only(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result)
{
    (void)self;
    (void)ctx;
    ledger_set_result(result, JIFEN_STATUS_FORBIDDEN,
                      "%s entries are written by jifend itself when their time "
                      "comes",
                      codec_command_name(cmd->kind));
}

/* Posts one award whose window has ended. The request id is derived from
 * the award, so the entry says which notice it closed. */
void rules_release_one(ledger *self, const policy *pol, int64_t now_ms,
                       uint64_t award)
{
    notice_record r;
    storage_error e = notice_get(ledger_txn(self), award, &r);
    if (e != STORAGE_OK) {
        ledger_txn(self)->error = e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e;
        return;
    }
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id, "notice-%" PRIu64, award);
    write_context ctx = {request_id, LEDGER_DAEMON_AUTHOR, now_ms, pol, NULL};
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_RELEASE;
    cmd.entry = award;
    static jifen_result result; /* one writer thread */
    memset(&result, 0, sizeof result);
    decide_notice(self, &ctx, &cmd, &r, &result);
}

/* Posts what is left of one expired lot (oldest points first). */
static void expire_lot(ledger *self, const policy *pol, int64_t now_ms,
                       const expiry_lot *lot)
{
    char points[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(lot->household, points);
    account_totals t;
    storage_error e = ledger_get_totals(self, points, &t);
    uint64_t amount = 0;
    if (e == STORAGE_OK)
        e = expiry_close(ledger_txn(self), lot, t.debits, &amount);
    if (e != STORAGE_OK) {
        if (!ledger_txn(self)->error)
            ledger_txn(self)->error = e;
        return;
    }
    if (amount == 0)
        return; /* all of it was spent in time */
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_EXPIRE;
    snprintf(cmd.household, sizeof cmd.household, "%s", lot->household);
    clock_period_of(lot->expires_ms, cmd.period);
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id, "expire-%s-%s", cmd.period,
             lot->household);
    write_context ctx = {request_id, LEDGER_DAEMON_AUTHOR, now_ms, pol, NULL};
    jifen_posting p;
    ledger_make_posting(&p, JIFEN_ASSET_POINTS, points, ACCOUNT_POINTS_EXPIRED,
                        amount);
    static jifen_result result; /* one writer thread */
    memset(&result, 0, sizeof result);
    ledger_post_entry(self, &ctx, &cmd, lot->household, &p, 1, 0, &result);
}

/* Closes the lots due by now_ms, posting what is left of each. Runs after
 * the releases of the same tick, whose points may start new lots. */
storage_error rules_expire_due(ledger *self, const policy *pol, int64_t now_ms,
                               size_t *n, int64_t *next)
{
    static expiry_lot lots[TICK_BATCH]; /* one writer thread */
    storage_error e =
        expiry_due(ledger_txn(self), now_ms, lots, TICK_BATCH, n, next);
    for (size_t i = 0; e == STORAGE_OK && i < *n && !ledger_txn(self)->error;
         i++)
        expire_lot(self, pol, now_ms, &lots[i]);
    return e;
}

/* The notice list of a month (this one by default), masked. */
void rules_query_notices(storage_txn *txn, const jifen_command *cmd,
                         jifen_result *result)
{
    int64_t month = clock_month_start_ms(clock_now_ms());
    if (cmd->period[0] && clock_parse_period(cmd->period, &month) != 0) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "period: not YYYY-MM");
        return;
    }
    if (notice_list(txn, month, result) == STORAGE_OK)
        result->status = JIFEN_STATUS_OK;
    else
        ledger_set_result(result, JIFEN_STATUS_INTERNAL,
                          "the notice list cannot be "
                          "read");
}

/* --- replication ----------------------------------------------------------
 *
 * A replica writes no entries of its own, but keeps the same derived state
 * as its primary (notices, cap counters, expiry lots, sanctions), rebuilt
 * from each replicated entry with the helpers the write path uses above.
 */

/* The notice an entry decides or approves. A replica that followed this
 * primary before replicas kept notices has none for the awards it took
 * then: nothing to close, and no reason to stop following (the chain is
 * checked; verify still matches the pending accounts to the open notices).
 * Other read errors poison the transaction. */
static bool replicated_notice(ledger *self, uint64_t award, notice_record *r)
{
    storage_error e = notice_get(ledger_txn(self), award, r);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND && !ledger_txn(self)->error)
        ledger_txn(self)->error = e;
    return e == STORAGE_OK;
}

/* An award posted to pending went under notice; one posted to points
 * starts its expiry lot at once (as cmd_award in ledger.c). */
static void replicate_award(ledger *self, const write_context *ctx,
                            const jifen_entry *e, const char *name,
                            jifen_result *result)
{
    const jifen_command *c = &e->command;
    counter_add_month_year(ledger_txn(self), c->household, c->code,
                           e->time_ms, c->points);
    char pending[JIFEN_ACCOUNT_MAX + 1];
    account_household_pending(c->household, pending);
    bool noticed = e->n_postings == 1 &&
                   strcmp(e->postings[0].credit, pending) == 0;
    bool needs_approval = false;
    if (noticed) {
        notice_applies(ctx->pol, c->points, &needs_approval);
        rules_open_notice(self, ctx, c, name, needs_approval, result);
    } else {
        rules_earn(self, ctx, c->household, e->time_ms, c->points);
    }
}

/* The primary closes lots when they are due, posting an Expire entry only
 * for what is left; what a close stores does not depend on how much is
 * left, so closing every lot due by the entry's time converges. */
static void replicate_expiry(ledger *self, int64_t now_ms)
{
    static expiry_lot lots[TICK_BATCH]; /* one writer thread */
    size_t n = TICK_BATCH;
    int64_t next = 0;
    uint64_t left = 0;
    while (n == TICK_BATCH && !ledger_txn(self)->error) {
        storage_error e =
            expiry_due(ledger_txn(self), now_ms, lots, TICK_BATCH, &n, &next);
        for (size_t i = 0; e == STORAGE_OK && i < n; i++)
            e = expiry_close(ledger_txn(self), &lots[i], 0, &left);
        if (e != STORAGE_OK)
            ledger_txn(self)->error = e;
    }
}

void rules_replicate(ledger *self, const policy *pol, const jifen_entry *e,
                     const jifen_entry *original, const char *name,
                     char filed_under[JIFEN_HOUSEHOLD_MAX + 1])
{
    write_context ctx = {e->request_id, e->author, e->time_ms, pol, NULL};
    static jifen_result result; /* one writer thread */
    memset(&result, 0, sizeof result);
    result.entry = e->seq;
    const jifen_command *c = &e->command;
    notice_record r;
    replicate_expiry(self, e->time_ms);
    switch (c->kind) {
    case JIFEN_CMD_AWARD:
        replicate_award(self, &ctx, e, name, &result);
        break;
    case JIFEN_CMD_DEDUCT:
        rules_sanction(self, &ctx, c, &result);
        break;
    case JIFEN_CMD_REDEEM:
        counter_add_month_year(ledger_txn(self), c->household, COUNTER_REDEEM,
                               e->time_ms, (int64_t)c->amount);
        break;
    case JIFEN_CMD_RELEASE:
    case JIFEN_CMD_OBJECT:
        if (!replicated_notice(self, c->entry, &r))
            break;
        close_notice(self, &ctx, &r, c->kind == JIFEN_CMD_RELEASE, e->seq);
        memcpy(filed_under, r.household, JIFEN_HOUSEHOLD_MAX + 1);
        break;
    case JIFEN_CMD_APPROVE:
        if (!replicated_notice(self, c->entry, &r))
            break;
        approve_notice(self, &r);
        memcpy(filed_under, r.household, JIFEN_HOUSEHOLD_MAX + 1);
        break;
    case JIFEN_CMD_REVERSE:
        if (original)
            rules_reversed(self, original);
        break;
    default:
        break;
    }
}
