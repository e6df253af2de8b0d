/*
 * decide - a client's write command, decided (ledger_internal.h).
 *
 * Each decision is a flat list of guards, each refusing with its own
 * status, over what the ledger holds now and the rule set in force; then it
 * fills in the entry the command makes (self->w->draft) and posts it
 * (ledger_post_draft), which applies it. A decision writes nothing itself,
 * so a refusal leaves nothing behind, and everything the entry implies is
 * written by the one apply path (apply.c).
 */
#include "ledger_internal.h"

#include "clock.h"
#include "codec.h"
#include "counters.h"
#include "journal.h"
#include "keys.h"
#include "lots.h"
#include "notice.h"
#include "policy.h"
#include "sanction.h"
#include "desk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The draft, emptied, for a command as applied. */
jifen_entry *decide_new_draft(ledger *self, const jifen_command *cmd)
{
    jifen_entry *e = &self->w->draft;
    memset(e, 0, sizeof *e);
    e->command = *cmd;
    return e;
}

void decide_add_posting(jifen_entry *e, jifen_asset asset, const char *debit,
                        const char *credit, uint64_t amount)
{
    ledger_make_posting(&e->postings[e->n_postings++], asset, debit, credit,
                        amount);
}

/* Poisons the transaction with a storage failure met while deciding. */
void decide_failed(ledger *self, storage_error e)
{
    if (e != STORAGE_OK && !self->txn.error)
        self->txn.error = e;
}

/* Loads the household or refuses the command. Returns true when found. */
bool decide_need_household(ledger *self, const char *code, jifen_balance *b,
                           jifen_result *result)
{
    storage_error e = ledger_household_balance(&self->txn, &self->w->totals, code, b);
    if (e == STORAGE_OK) {
        self->w->before = *b;
        return true;
    }
    if (e == STORAGE_NOT_FOUND)
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_HOUSEHOLD,
                          "household %s is not registered", code);
    else
        decide_failed(self, e); /* a damaged record stops the group */
    return false;
}

static bool enough_points(const jifen_balance *b, uint64_t points,
                          jifen_result *result)
{
    if (b->points >= 0 && (uint64_t)b->points >= points)
        return true;
    ledger_set_result(result, JIFEN_STATUS_INSUFFICIENT_POINTS,
                      "household %s has %" PRId64 " points, %" PRIu64
                      " needed",
                      b->household, b->points, points);
    return false;
}

/* The household's counts of `what` in the month and year of ms; false
 * (the transaction poisoned) when they cannot be read. */
static bool period_counts(ledger *self, const char *household, const char *what,
                          int64_t ms, uint64_t *month, uint64_t *year)
{
    storage_error e = counter_get_month_year(&self->txn, household, what, ms,
                                             month, year);
    decide_failed(self, e);
    return e == STORAGE_OK;
}

/* --- households ----------------------------------------------------------------- */

static void decide_household_add(ledger *self, const write_context *ctx,
                                 const jifen_command *cmd,
                                 jifen_result *result)
{
    household_record h;
    storage_error e = ledger_get_household(&self->txn, cmd->household, &h);
    if (e == STORAGE_OK) {
        ledger_set_result(result, JIFEN_STATUS_HOUSEHOLD_EXISTS,
                          "household %s is already registered (entry %" PRIu64
                          ")",
                          cmd->household, h.registered);
        return;
    }
    if (e != STORAGE_NOT_FOUND) {
        decide_failed(self, e);
        return;
    }
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}

/* --- points ------------------------------------------------------------------------ */

/* Caps count every award of the month and year, whichever rule set made
 * it; the rule set in force now says how high they are. */
static jifen_status check_award_caps(ledger *self, const write_context *ctx,
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

static void decide_award(ledger *self, const write_context *ctx,
                         const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    /* Issue 15: a suspension, the member and proxy, the event once. */
    uint64_t consent = 0;
    if (!committee_award_guards(self, ctx, cmd, &consent, result))
        return;
    uint32_t points = 0;
    jifen_status s = policy_award_points(ctx->pol, cmd, &points,
                                         result->error, sizeof result->error);
    if (s == JIFEN_STATUS_OK)
        s = check_award_caps(self, ctx, cmd, points, result);
    if (s != JIFEN_STATUS_OK) {
        result->status = s;
        return;
    }
    jifen_entry *e = decide_new_draft(self, cmd);
    e->command.points = points; /* the entry says what was really awarded */
    e->proxy_consent = consent;
    /* Under public notice the points wait in the pending account; the
     * entry says until when, and whether a second member must approve. */
    bool needs_approval = false;
    char account[JIFEN_ACCOUNT_MAX + 1];
    if (notice_applies(ctx->pol, points, &needs_approval)) {
        account_household_pending(cmd->household, account);
        e->notice_ends_ms = notice_window_end(ctx->now_ms,
                                              ctx->pol->notice_days);
        e->needs_approval = needs_approval;
        if (needs_approval && ctx->caller)
            ledger_copy_text(e->author_key, sizeof e->author_key,
                             ctx->caller->key);
    } else {
        account_household_points(cmd->household, account);
        int64_t expires = policy_expiry_of(ctx->pol, ctx->now_ms);
        e->expires_ms = expires == LOTS_NEVER ? 0 : expires;
    }
    decide_add_posting(e, JIFEN_ASSET_POINTS, ACCOUNT_POINTS_ISSUED, account, points);
    ledger_post_draft(self, ctx, result);
    result->points = points;
    result->notice_ends_ms = e->notice_ends_ms;
    result->needs_approval = e->needs_approval;
}

static void decide_deduct(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    uint32_t points = 0;
    jifen_status s = policy_deduct_points(ctx->pol, cmd, &points,
                                          result->error, sizeof result->error);
    if (s != JIFEN_STATUS_OK) {
        result->status = s;
        return;
    }
    if (!enough_points(&b, points, result))
        return;
    jifen_entry *e = decide_new_draft(self, cmd);
    e->command.points = points;
    /* A rule with suspend_months is a sanction: it also suspends
     * redemption, until the date the entry records. */
    const policy_rule *rule = policy_find_rule(ctx->pol, cmd->code);
    e->suspended_until_ms = rule ? policy_suspended_until(rule, ctx->now_ms)
                                 : 0;
    e->awards_suspended_until_ms =
        rule ? policy_awards_suspended_until(rule, ctx->now_ms) : 0;
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(cmd->household, account);
    decide_add_posting(e, JIFEN_ASSET_POINTS, account, ACCOUNT_POINTS_DEDUCTED, points);
    ledger_post_draft(self, ctx, result);
    result->points = points;
    result->suspended_until_ms = e->suspended_until_ms;
}

/* Refuses the redemption while a sanction suspends it. */
static bool suspended(ledger *self, const write_context *ctx,
                      const char *household, jifen_result *result)
{
    uint64_t entry = 0;
    int64_t until = 0;
    storage_error e =
        sanction_active(&self->txn, household, ctx->now_ms, &entry, &until);
    if (e != STORAGE_OK) {
        decide_failed(self, e);
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

static jifen_status check_redeem_cap(ledger *self, const write_context *ctx,
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

static void decide_redeem(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    if (!enough_points(&b, cmd->amount, result) ||
        suspended(self, ctx, cmd->household, result))
        return;
    uint64_t offset = 0;
    jifen_status s =
        policy_redeem_offset(ctx->pol, cmd->amount, b.fee_due_fen, &offset,
                             result->error, sizeof result->error);
    if (s == JIFEN_STATUS_OK)
        s = check_redeem_cap(self, ctx, cmd, result);
    if (s != JIFEN_STATUS_OK) {
        result->status = s;
        return;
    }
    char points[JIFEN_ACCOUNT_MAX + 1], fee[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(cmd->household, points);
    account_household_fee(cmd->household, fee);
    /* Both legs in one entry: the points leave and the fee falls together,
     * and the funder now owes the property company the offset. */
    jifen_entry *e = decide_new_draft(self, cmd);
    decide_add_posting(e, JIFEN_ASSET_POINTS, points, ACCOUNT_POINTS_REDEEMED,
                cmd->amount);
    decide_add_posting(e, JIFEN_ASSET_FEE, ACCOUNT_POINTS_OFFSET, fee, offset);
    ledger_post_draft(self, ctx, result);
    result->points = cmd->amount;
    result->offset_fen = offset;
}

/* --- fees ------------------------------------------------------------------------- */

/* A bill (household owes more: fee <- income) of an amount; bills of a
 * fee item, priced from the schedule, and payments are the desk's
 * (desk.c). */
static void decide_bill(ledger *self, const write_context *ctx,
                        const jifen_command *cmd, jifen_result *result)
{
    if (cmd->code[0]) {
        desk_decide_bill_item(self, ctx, cmd, result);
        return;
    }
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_fee(cmd->household, account);
    jifen_entry *e = decide_new_draft(self, cmd);
    decide_add_posting(e, JIFEN_ASSET_FEE, account, ACCOUNT_FEE_INCOME,
                       cmd->amount);
    ledger_post_draft(self, ctx, result);
}

/* The funder pays the property company for redeemed points; never more
 * than it owes, so the receivable cannot turn into a debt the other way. */
static void decide_settle(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, jifen_result *result)
{
    account_totals t;
    storage_error se = ledger_totals(self, ACCOUNT_POINTS_OFFSET, &t);
    if (se != STORAGE_OK) {
        decide_failed(self, se);
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
    jifen_entry *e = decide_new_draft(self, cmd);
    decide_add_posting(e, JIFEN_ASSET_FEE, ACCOUNT_CASH, ACCOUNT_POINTS_OFFSET,
                cmd->amount);
    ledger_post_draft(self, ctx, result);
}

/* --- reversals --------------------------------------------------------------------- */

/*
 * Entries of public notice are undone by notice itself: a pending award by
 * an objection (voiding it), a release or an objection not at all. An
 * award whose notice has posted is reversed from the household's points.
 */
static bool reversible_after_notice(ledger *self, const jifen_entry *original,
                                    jifen_result *result)
{
    jifen_command_kind k = original->command.kind;
    /* Expired points left the household by its rule set, lot by lot; a
     * mirror would give them back with no lot to hold them (and the
     * timer would owe them again at once). Points given back are the
     * committee's decision: an award. */
    if (k == JIFEN_CMD_EXPIRE) {
        ledger_set_result(result, JIFEN_STATUS_NOT_REVERSIBLE,
                          "entry %" PRIu64
                          " expired points by the rule set; to give "
                          "points back the committee awards them",
                          original->seq);
        return false;
    }
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
    storage_error e = notice_get(&self->txn, original->seq, &r);
    if (e == STORAGE_NOT_FOUND)
        return true;
    if (e != STORAGE_OK) {
        decide_failed(self, e);
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

/* The mirror of one posting. A posted award's points have moved from
 * pending to the household's points: take them back from there. */
static void mirror(const jifen_entry *original, const jifen_posting *p,
                   jifen_posting *out)
{
    ledger_make_posting(out, p->asset, p->credit, p->debit, p->amount);
    if (original->command.kind != JIFEN_CMD_AWARD)
        return;
    char pending[JIFEN_ACCOUNT_MAX + 1];
    account_household_pending(original->command.household, pending);
    if (strcmp(out->debit, pending) == 0)
        account_household_points(original->command.household, out->debit);
}

/* What a household was billed and what points paid of it, net of
 * reversals, from its history. */
typedef struct {
    char fee[JIFEN_ACCOUNT_MAX + 1];
    int64_t billed, by_points;
} fee_sums;

static int add_fee_sums(void *ctx, uint64_t seq, const storage_val *stored,
                        const jifen_entry *e)
{
    (void)seq;
    (void)stored;
    fee_sums *f = ctx;
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        int64_t a = (int64_t)p->amount;
        bool debit = strcmp(p->debit, f->fee) == 0;
        bool credit = strcmp(p->credit, f->fee) == 0;
        const char *other = debit ? p->credit : credit ? p->debit : NULL;
        if (!other)
            continue;
        if (strcmp(other, ACCOUNT_FEE_INCOME) == 0)
            f->billed += debit ? a : -a;
        else if (strcmp(other, ACCOUNT_POINTS_OFFSET) == 0)
            f->by_points += credit ? a : -a;
    }
    return 0;
}

/*
 * Reversing a bill must not leave points paying more of the household's
 * fees than the rule set lets them (issue 12): bill 100, redeem 50 at the
 * 50 % cap, reverse the bill, and the household would hold 50 yuan of
 * prepayment made of points. Such a reversal is refused until the
 * redemptions are reversed first (their points go back to the household).
 */
static bool bill_reversal_keeps_cap(ledger *self, const write_context *ctx,
                                    const jifen_entry *bill,
                                    jifen_result *result)
{
    fee_sums f = {.billed = 0};
    account_household_fee(bill->command.household, f.fee);
    uint64_t bad = 0;
    storage_error e = journal_household(&self->txn, bill->command.household,
                                        false, add_fee_sums, &f, &bad);
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        return false;
    }
    int64_t billed_after = f.billed - (int64_t)bill->command.amount;
    if (billed_after < 0)
        billed_after = 0;
    /* 128 bits: percent x a sum of fen cannot overflow. */
    __int128 may = (__int128)billed_after * ctx->pol->max_offset_percent / 100;
    if (f.by_points <= may)
        return true;
    ledger_set_result(result, JIFEN_STATUS_CAP_EXCEEDED,
                      "points paid %" PRId64 ".%02" PRId64 " yuan of %s's "
                      "fees; without bill %" PRIu64 " they would pay more "
                      "than max_offset_percent (%u %%) of what is billed: "
                      "reverse the redemptions first",
                      f.by_points / 100, f.by_points % 100,
                      bill->command.household, bill->seq,
                      ctx->pol->max_offset_percent);
    return false;
}

/* Reading an entry the ledger holds: refused when it is not there, the
 * transaction poisoned when it is damaged. */
static bool read_original(ledger *self, uint64_t seq, jifen_result *result)
{
    storage_error e = journal_read(&self->txn, seq, &self->w->original, false);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_ENTRY,
                          "there is no entry %" PRIu64, seq);
        return false;
    }
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        snprintf(self->last_error, sizeof self->last_error,
                 "entry %" PRIu64 " cannot be read: %s", seq,
                 e == STORAGE_CORRUPT ? "its bytes do not decode"
                                      : storage_strerror(e));
        return false;
    }
    return true;
}

static void decide_reverse(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result)
{
    if (!read_original(self, cmd->entry, result))
        return;
    const jifen_entry *original = &self->w->original;
    if (original->n_postings == 0 || original->reverses != 0) {
        ledger_set_result(result, JIFEN_STATUS_NOT_REVERSIBLE,
                          "entry %" PRIu64 " (%s) has nothing to reverse",
                          cmd->entry,
                          codec_command_name(original->command.kind));
        return;
    }
    /* ledger_authorize refused this already; kept here so that the rule
     * holds whoever calls ledger_apply. */
    if (ctx->caller && ctx->caller->key[0] != '\0' &&
        !keys_role_may_reverse(ctx->caller->role, original->command.kind)) {
        ledger_set_result(result, JIFEN_STATUS_FORBIDDEN,
                          "a key of role %s may not reverse a %s entry",
                          jifen_role_name(ctx->caller->role),
                          codec_command_name(original->command.kind));
        return;
    }
    if (!reversible_after_notice(self, original, result) ||
        !supermarket_reversible(self, original, result))
        return;
    uint8_t key[8];
    storage_val v;
    storage_be64_put(key, cmd->entry);
    storage_error se =
        storage_get(&self->txn, TABLE_REVERSALS, key, sizeof key, &v);
    if (se == STORAGE_OK && v.len == 8) {
        ledger_set_result(result, JIFEN_STATUS_ALREADY_REVERSED,
                          "entry %" PRIu64
                          " was already reversed by entry %" PRIu64,
                          cmd->entry, storage_be64_get(v.data));
        return;
    }
    if (se != STORAGE_NOT_FOUND) {
        decide_failed(self, se == STORAGE_OK ? STORAGE_CORRUPT : se);
        return;
    }
    if (original->command.kind == JIFEN_CMD_BILL &&
        !bill_reversal_keeps_cap(self, ctx, original, result))
        return;
    jifen_entry *e = decide_new_draft(self, cmd);
    for (size_t i = 0; i < original->n_postings; i++) {
        const jifen_posting *p = &original->postings[i];
        mirror(original, p, &e->postings[i]);
        /* Taking back an award must not push the household below zero:
         * the account the mirror debits, which for an award posted after
         * its notice is the points account, not the pending one the award
         * credited. */
        const char *from = e->postings[i].debit;
        if (account_is_household_points(from)) {
            account_totals t;
            se = ledger_totals(self, from, &t);
            if (se != STORAGE_OK) {
                decide_failed(self, se);
                return;
            }
            if (t.credits - t.debits < p->amount) {
                ledger_set_result(result, JIFEN_STATUS_INSUFFICIENT_POINTS,
                                  "reversing entry %" PRIu64 " needs %" PRIu64
                                  " points; %s has %" PRIu64,
                                  cmd->entry, p->amount, from,
                                  t.credits - t.debits);
                return;
            }
        }
    }
    e->n_postings = original->n_postings;
    e->reverses = cmd->entry;
    /* A payment's reversal may take back the on-time points it earned;
     * the desk's entries name the key for its shift (desk.c). */
    if (!desk_decide_reverse(self, ctx, original, e, result))
        return;
    /* Filed under the original's household; the stored Reverse command
     * does not carry it (apply reads it from the original). */
    ledger_copy_text(e->command.household, sizeof e->command.household,
                     original->command.household);
    ledger_post_draft(self, ctx, result);
}

/* --- keys ------------------------------------------------------------------------ */

static bool has_scope(const jifen_command *cmd)
{
    return cmd->all_communities || cmd->street[0] || cmd->text;
}

static void decide_key_enrol(ledger *self, const write_context *ctx,
                             const jifen_command *cmd, jifen_result *result)
{
    /* A key of the service is in the service's journal, with its scope; a
     * key of one community is in that community's (docs/communities.md). */
    if (has_scope(cmd) != self->service) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          self->service
                              ? "a key of the service has a scope (all "
                                "communities, a street, or a list); a key "
                                "of one community is enrolled in that "
                                "community"
                              : "a key with a scope is a key of the service: "
                                "enrol it with the service, naming no "
                                "community");
        return;
    }
    keys_record rec;
    storage_error e = keys_get(&self->txn, cmd->key, &rec);
    if (e == STORAGE_OK) {
        ledger_set_result(result, JIFEN_STATUS_KEY_EXISTS,
                          "key %s is already enrolled (entry %" PRIu64 ")%s",
                          cmd->key, rec.enrolled_entry,
                          rec.revoked ? " and was revoked; make a new key"
                                      : "");
        return;
    }
    if (e != STORAGE_NOT_FOUND) {
        decide_failed(self, e);
        return;
    }
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}

static void decide_key_revoke(ledger *self, const write_context *ctx,
                              const jifen_command *cmd, jifen_result *result)
{
    keys_record rec;
    storage_error e = keys_get(&self->txn, cmd->key, &rec);
    if (e == STORAGE_NOT_FOUND || (e == STORAGE_OK && rec.revoked)) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_KEY,
                          "key %s is not enrolled, or already revoked",
                          cmd->key);
        return;
    }
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        return;
    }
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}

/* --- public notice ------------------------------------------------------------ */

/* The notice of a pending award, or a refusal. */
static bool need_pending(ledger *self, uint64_t entry, notice_record *r,
                         jifen_result *result)
{
    storage_error e = notice_get(&self->txn, entry, r);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(
            result, JIFEN_STATUS_UNKNOWN_ENTRY,
            "entry %" PRIu64 " is not an award under public notice", entry);
        return false;
    }
    if (e != STORAGE_OK) {
        decide_failed(self, e);
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

/* An objection upheld moves the pending award back to issuance. */
static void decide_object(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, jifen_result *result)
{
    notice_record r;
    if (!need_pending(self, cmd->entry, &r, result))
        return;
    char pending[JIFEN_ACCOUNT_MAX + 1];
    account_household_pending(r.household, pending);
    jifen_entry *e = decide_new_draft(self, cmd);
    decide_add_posting(e, JIFEN_ASSET_POINTS, pending, ACCOUNT_POINTS_ISSUED,
                r.points);
    ledger_post_draft(self, ctx, result);
    result->points = r.points;
}

/* The second committee member approves: someone else than the author. */
static void decide_approve(ledger *self, const write_context *ctx,
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
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}

/* Release and Expire entries follow from the rules and the clock alone. */
static void decide_daemon_only(ledger *self, const write_context *ctx,
                               const jifen_command *cmd, jifen_result *result)
{
    (void)self;
    (void)ctx;
    ledger_set_result(result, JIFEN_STATUS_FORBIDDEN,
                      "%s entries are written by jifend itself when their time "
                      "comes",
                      codec_command_name(cmd->kind));
}

/* --- the table ------------------------------------------------------------------- */

typedef void (*decision)(ledger *self, const write_context *ctx,
                         const jifen_command *cmd, jifen_result *result);

static const decision decisions[] = {
    [JIFEN_CMD_HOUSEHOLD_ADD] = decide_household_add,
    [JIFEN_CMD_AWARD] = decide_award,
    [JIFEN_CMD_DEDUCT] = decide_deduct,
    [JIFEN_CMD_BILL] = decide_bill,
    [JIFEN_CMD_PAY] = desk_decide_pay,
    [JIFEN_CMD_REDEEM] = decide_redeem,
    [JIFEN_CMD_REVERSE] = decide_reverse,
    [JIFEN_CMD_KEY_ENROL] = decide_key_enrol,
    [JIFEN_CMD_KEY_REVOKE] = decide_key_revoke,
    [JIFEN_CMD_OBJECT] = decide_object,
    [JIFEN_CMD_APPROVE] = decide_approve,
    [JIFEN_CMD_RELEASE] = decide_daemon_only,
    [JIFEN_CMD_EXPIRE] = decide_daemon_only,
    [JIFEN_CMD_SETTLE] = decide_settle,
    [JIFEN_CMD_POLICY_LOAD] = adopt_decide,
    [JIFEN_CMD_REFUND] = desk_decide_refund,
    [JIFEN_CMD_SHIFT_CLOSE] = desk_decide_shift_close,
    [JIFEN_CMD_HOUSEHOLD_SET] = desk_decide_household_set,
    [JIFEN_CMD_ONTIME_AWARD] = decide_daemon_only,
    [JIFEN_CMD_COMMUNITY_CREATE] = community_decide,
    [JIFEN_CMD_COMMUNITY_CLOSE] = community_decide,
    /* issue 15: committee.c, supermarket.c */
    [JIFEN_CMD_MEMBER_SET] = committee_decide_member_set,
    [JIFEN_CMD_PROXY_CONSENT] = committee_decide_proxy_consent,
    [JIFEN_CMD_OPENING] = committee_decide_opening,
    [JIFEN_CMD_PASSBOOK_MARK] = committee_decide_passbook_mark,
    [JIFEN_CMD_ITEM_SET] = supermarket_decide_item_set,
    [JIFEN_CMD_STOCK_CHANGE] = supermarket_decide_stock_change,
    [JIFEN_CMD_GOODS_REDEEM] = supermarket_decide_goods_redeem,
    [JIFEN_CMD_PICKUP] = supermarket_decide_pickup,
    [JIFEN_CMD_FUNDER_SETTLE] = supermarket_decide_funder_settle,
};

/* The service's ledger takes its own commands and keys; a community's
 * everything else. */
static bool fits_ledger(const ledger *self, jifen_command_kind kind)
{
    bool of_service = kind == JIFEN_CMD_COMMUNITY_CREATE ||
                      kind == JIFEN_CMD_COMMUNITY_CLOSE;
    bool keys = kind == JIFEN_CMD_KEY_ENROL || kind == JIFEN_CMD_KEY_REVOKE;
    return keys || of_service == self->service;
}

void decide_command(ledger *self, const write_context *ctx,
                    const jifen_command *cmd, jifen_result *result)
{
    if (!fits_ledger(self, cmd->kind)) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          self->service
                              ? "%s is a command of a community: name the "
                                "community"
                              : "%s is a command of the service: send it "
                                "naming no community",
                          codec_command_name(cmd->kind));
        return;
    }
    if ((size_t)cmd->kind >= sizeof decisions / sizeof *decisions ||
        !decisions[cmd->kind]) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "%s is not a write command",
                          codec_command_name(cmd->kind));
        return;
    }
    self->w->before.household[0] = '\0'; /* nothing read yet */
    decisions[cmd->kind](self, ctx, cmd, result);
}

/* --- more for the decisions of issue 15 (committee.c, supermarket.c) ------- */

bool decide_enough_points(const jifen_balance *b, uint64_t points,
                          jifen_result *result)
{
    return enough_points(b, points, result);
}

bool decide_redemption_suspended(ledger *self, const write_context *ctx,
                                 const char *household, jifen_result *result)
{
    return suspended(self, ctx, household, result);
}

jifen_status decide_redeem_cap(ledger *self, const write_context *ctx,
                               const char *household, uint64_t points,
                               jifen_result *result)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    ledger_copy_text(c.household, sizeof c.household, household);
    c.amount = points;
    return check_redeem_cap(self, ctx, &c, result);
}

