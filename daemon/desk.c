/*
 * desk - the property desk's decisions and their apply (desk.h). Each
 * decision is a flat list of guards, each refusing with its own status,
 * then the entry it drafts; apply writes the derived state of desk_state.h
 * from the entry alone, so a replica and a rebuild write the same.
 */
#include "desk.h"

#include "clock.h"
#include "codec.h"
#include "desk_state.h"
#include "journal.h"
#include "lots.h"
#include "policy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void yuan(uint64_t fen, char out[32])
{
    snprintf(out, 32, "%" PRIu64 ".%02" PRIu64, fen / 100, fen % 100);
}

/* The key of the caller for its shift: "" for the local operator. */
static void sign_with_key(const write_context *ctx, jifen_entry *e)
{
    if (ctx->caller)
        ledger_copy_text(e->author_key, sizeof e->author_key,
                         ctx->caller->key);
}

/* --- bills of a fee item -------------------------------------------------- */

/* The rule set whose fee schedule bills a period: the one in force on its
 * first day (Asia/Shanghai), so a rate change adopted for July bills July
 * at the new rate whenever the run happens. NULL with the refusal. */
static const policy *schedule_for(ledger *self, const char *period,
                                  int64_t *start, jifen_result *result)
{
    if (clock_parse_period(period, start) != 0) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "period %s is not YYYY-MM", period);
        return NULL;
    }
    const policy *pol = ledger_in_force(self, *start);
    if (!pol)
        ledger_set_result(result, JIFEN_STATUS_NO_RULE_SET,
                          "no rule set is in force on %s-01: no fee schedule "
                          "bills that month",
                          period);
    return pol;
}

void desk_decide_bill_item(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    int64_t start = 0;
    const policy *pol = schedule_for(self, cmd->period, &start, result);
    if (!pol)
        return;
    const policy_fee *fee = policy_find_fee(pol, cmd->code);
    if (!fee) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_FEE_ITEM,
                          "fee item %s is not in the fee schedule of rule set "
                          "%s (in force on %s-01)",
                          cmd->code, pol->version, cmd->period);
        return;
    }
    uint64_t billed = 0;
    storage_error se = desk_billed_get(&self->txn, cmd->household, cmd->code,
                                       cmd->period, &billed);
    if (se == STORAGE_OK) {
        ledger_set_result(result, JIFEN_STATUS_ALREADY_BILLED,
                          "%s was billed for %s %s already, by entry %" PRIu64,
                          cmd->household, cmd->code, cmd->period, billed);
        return;
    }
    if (se != STORAGE_NOT_FOUND) {
        decide_failed(self, se);
        return;
    }
    uint32_t units = 0;
    if (fee->basis == JIFEN_BASIS_UNIT) {
        se = desk_units_get(&self->txn, cmd->household, cmd->code, &units);
        if (se != STORAGE_OK) {
            decide_failed(self, se);
            return;
        }
    }
    uint64_t fen = 0;
    uint32_t quantity = 0;
    char problem[JIFEN_PROBLEM_MAX + 1];
    if (policy_fee_amount(fee, b.area_centi_m2, units, &fen, &quantity,
                          problem) != JIFEN_STATUS_OK) {
        ledger_set_result(result, JIFEN_STATUS_NOT_BILLABLE,
                          "%s cannot be billed for %s: %s", cmd->household,
                          cmd->code,
                          strcmp(problem, "no_area") == 0
                              ? "no floor area is recorded (household set "
                                "--area)"
                          : strcmp(problem, "no_units") == 0
                              ? "no units are recorded (household set "
                                "--item --units)"
                              : "the amount comes to nothing");
        return;
    }
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_fee(cmd->household, account);
    jifen_entry *e = decide_new_draft(self, cmd);
    /* The entry says what it billed and from what: the receipt and an
     * auditor read it there, never from today's schedule. */
    e->command.amount = fen;
    e->command.rate_fen = fee->rate_fen;
    e->command.quantity = quantity;
    e->command.basis = fee->basis;
    decide_add_posting(e, JIFEN_ASSET_FEE, account, ACCOUNT_FEE_INCOME, fen);
    ledger_post_draft(self, ctx, result);
}

/* --- payments and refunds ---------------------------------------------------- */

/* A platform's reference recorded already: the classic double entry. */
static bool reference_unused(ledger *self, const jifen_command *cmd,
                             jifen_result *result)
{
    if (cmd->reference[0] == '\0')
        return true;
    uint64_t entry = 0;
    storage_error se = desk_reference_get(&self->txn, cmd->channel,
                                          cmd->reference, &entry);
    if (se == STORAGE_NOT_FOUND)
        return true;
    if (se != STORAGE_OK) {
        decide_failed(self, se);
        return false;
    }
    ledger_set_result(result, JIFEN_STATUS_DUPLICATE_REFERENCE,
                      "%s reference %s was recorded already, by entry %" PRIu64
                      ": the same payment twice? (reverse that entry if it "
                      "was wrong)",
                      jifen_channel_name(cmd->channel), cmd->reference, entry);
    return false;
}

void desk_decide_pay(ledger *self, const write_context *ctx,
                     const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    if (!reference_unused(self, cmd, result))
        return;
    uint64_t last = 0;
    storage_error se = desk_receipt_last(&self->txn, &last);
    if (se != STORAGE_OK) {
        decide_failed(self, se);
        return;
    }
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_fee(cmd->household, account);
    jifen_entry *e = decide_new_draft(self, cmd);
    if (e->command.channel == JIFEN_CHANNEL_UNSPECIFIED)
        e->command.channel = JIFEN_CHANNEL_CASH; /* as applied */
    /* The next number of the community's one sequence: in the entry, so
     * it is in the chain and never given twice. */
    e->command.receipt = last + 1;
    sign_with_key(ctx, e);
    decide_add_posting(e, JIFEN_ASSET_FEE, ACCOUNT_CASH, account, cmd->amount);
    ledger_post_draft(self, ctx, result);
    result->receipt_no = e->command.receipt;
}

/* Money back out of what the household paid ahead, never more: a refund
 * must not turn into a debt. */
void desk_decide_refund(ledger *self, const write_context *ctx,
                        const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    uint64_t ahead = b.fee_due_fen < 0 ? (uint64_t)-b.fee_due_fen : 0;
    if (cmd->amount > ahead) {
        char a[32], r[32];
        yuan(ahead, a);
        yuan(cmd->amount, r);
        ledger_set_result(result, JIFEN_STATUS_NOT_PREPAID,
                          "%s has %s yuan paid ahead; a refund of %s yuan "
                          "is more than that",
                          cmd->household, a, r);
        return;
    }
    if (!reference_unused(self, cmd, result))
        return;
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_fee(cmd->household, account);
    jifen_entry *e = decide_new_draft(self, cmd);
    sign_with_key(ctx, e);
    decide_add_posting(e, JIFEN_ASSET_FEE, account, ACCOUNT_CASH, cmd->amount);
    ledger_post_draft(self, ctx, result);
}

/* --- shift close ------------------------------------------------------------- */

typedef struct {
    ledger *self;
    jifen_command *c;
    uint64_t first, last;
    storage_error err;
} shift_sum;

static jifen_channel_total *total_of(jifen_command *c, jifen_channel ch)
{
    for (size_t i = 0; i < c->n_totals; i++)
        if (c->totals[i].channel == ch)
            return &c->totals[i];
    jifen_channel_total *t = &c->totals[c->n_totals++];
    memset(t, 0, sizeof *t);
    t->channel = ch;
    return t;
}

void desk_count_entry(jifen_command *c, const jifen_entry *e,
                      const jifen_entry *original)
{
    const jifen_entry *money = original ? original : e;
    jifen_channel ch = money->command.channel ? money->command.channel
                                              : JIFEN_CHANNEL_CASH;
    jifen_channel_total *t = total_of(c, ch);
    uint64_t fen = money->postings[0].amount;
    bool pay = money->command.kind == JIFEN_CMD_PAY;
    if (original) {
        t->reversals++;
        t->reversed_fen += pay ? -(int64_t)fen : (int64_t)fen;
    } else if (pay) {
        t->payments++;
        t->paid_fen += fen;
    } else {
        t->refunds++;
        t->refunded_fen += fen;
    }
}

static int sum_one(void *ctx, const char *key, uint64_t seq)
{
    (void)key;
    shift_sum *s = ctx;
    ledger *self = s->self;
    storage_error e = journal_read(&self->txn, seq, &self->w->original, false);
    jifen_entry entry = self->w->original;
    if (e == STORAGE_OK && entry.reverses)
        e = journal_read(&self->txn, entry.reverses, &self->w->original, false);
    if (e != STORAGE_OK || entry.n_postings == 0) {
        s->err = e == STORAGE_OK ? STORAGE_CORRUPT : e;
        return -1;
    }
    desk_count_entry(s->c, &entry, entry.reverses ? &self->w->original : NULL);
    if (s->first == 0)
        s->first = seq;
    s->last = seq;
    return 0;
}

void desk_decide_shift_close(ledger *self, const write_context *ctx,
                             const jifen_command *cmd, jifen_result *result)
{
    const char *key = ctx->caller ? ctx->caller->key : "";
    jifen_entry *e = decide_new_draft(self, cmd);
    shift_sum s = {self, &e->command, 0, 0, STORAGE_OK};
    storage_error se = desk_shift_open_each(&self->txn, key, sum_one, &s);
    uint64_t previous = 0;
    if (se == STORAGE_OK)
        se = desk_shift_last_get(&self->txn, key, &previous);
    if (se != STORAGE_OK || s.err != STORAGE_OK) {
        decide_failed(self, s.err != STORAGE_OK ? s.err : se);
        return;
    }
    /* The totals in channel order, whatever order the entries came in. */
    jifen_command *c = &e->command;
    for (size_t i = 1; i < c->n_totals; i++)
        for (size_t j = i; j > 0 && c->totals[j - 1].channel >
                                        c->totals[j].channel;
             j--) {
            jifen_channel_total t = c->totals[j];
            c->totals[j] = c->totals[j - 1];
            c->totals[j - 1] = t;
        }
    c->entry = s.first;
    c->last_entry = s.last;
    c->previous_close = previous;
    sign_with_key(ctx, e);
    ledger_post_draft(self, ctx, result);
    /* The close as written, totals and all: what the clerk reads, and
     * the same on a retry of the request (the stored reply). */
    if (result->status == JIFEN_STATUS_OK) {
        result->history = calloc(1, sizeof *result->history);
        if (result->history) {
            result->history[0] = *e;
            result->n_history = 1;
        }
    }
}

/* --- floor area and units ------------------------------------------------------ */

void desk_decide_household_set(ledger *self, const write_context *ctx,
                               const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}

/* --- reversals ------------------------------------------------------------------ */

bool desk_decide_reverse(ledger *self, const write_context *ctx,
                         const jifen_entry *original, jifen_entry *e,
                         jifen_result *result)
{
    jifen_command_kind k = original->command.kind;
    if (k != JIFEN_CMD_PAY && k != JIFEN_CMD_REFUND)
        return true;
    sign_with_key(ctx, e); /* the reversal counts in the reverser's shift */
    if (k != JIFEN_CMD_PAY)
        return true;
    uint64_t points = 0;
    size_t n = 0;
    storage_error se = desk_ontime_depending_on(
        self, original, e->takes_back, JIFEN_POSTINGS_MAX - e->n_postings, &n,
        &points);
    if (se != STORAGE_OK) {
        decide_failed(self, se);
        return false;
    }
    e->n_takes_back = n;
    if (n == 0)
        return true;
    /* The points go back where they came from; never below zero (what the
     * household spent of them stays spent: docs/desk.md). */
    const char *h = original->command.household;
    jifen_balance b;
    se = ledger_household_balance(&self->txn, &self->w->totals, h, &b);
    if (se != STORAGE_OK) {
        decide_failed(self, se);
        return false;
    }
    if (b.points < 0)
        b.points = 0;
    if (points > (uint64_t)b.points)
        points = (uint64_t)b.points;
    if (points > 0) {
        char account[JIFEN_ACCOUNT_MAX + 1];
        account_household_points(h, account);
        decide_add_posting(e, JIFEN_ASSET_POINTS, account,
                           ACCOUNT_POINTS_ISSUED, points);
    }
    (void)result;
    return true;
}

/* --- apply ------------------------------------------------------------------------ */

static void fail(ledger *self, storage_error e)
{
    if (e != STORAGE_OK && !self->txn.error)
        self->txn.error = e;
}

static int apply_bill(ledger *self, const jifen_entry *e, char *err,
                      size_t errlen)
{
    const jifen_command *c = &e->command;
    bool created = false;
    fail(self, desk_bill_period_put(&self->txn, c->period, &created));
    if (created)
        self->timer_rescan = true; /* a month the on-time timer must judge */
    if (c->code[0] == '\0')
        return 0;
    storage_error se = desk_billed_put(&self->txn, c->household, c->code,
                                       c->period, e->seq);
    if (se == STORAGE_EXISTS)
        return refuse(err, errlen, "%s is billed for %s %s already",
                      c->household, c->code, c->period);
    fail(self, se);
    return 0;
}

static int take_reference(ledger *self, const jifen_entry *e, char *err,
                          size_t errlen)
{
    const jifen_command *c = &e->command;
    if (c->reference[0] == '\0')
        return 0;
    storage_error se =
        desk_reference_put(&self->txn, c->channel, c->reference, e->seq);
    if (se == STORAGE_EXISTS)
        return refuse(err, errlen, "reference %s is recorded already",
                      c->reference);
    fail(self, se);
    return 0;
}

static int apply_pay(ledger *self, const jifen_entry *e, char *err,
                     size_t errlen)
{
    const jifen_command *c = &e->command;
    if (c->receipt) { /* payments of earlier releases have none */
        uint64_t last = 0;
        fail(self, desk_receipt_last(&self->txn, &last));
        if (c->receipt != last + 1)
            return refuse(err, errlen,
                          "receipt %" PRIu64 " does not follow %" PRIu64,
                          c->receipt, last);
        fail(self, desk_receipt_put(&self->txn, c->receipt));
    }
    if (take_reference(self, e, err, errlen) != 0)
        return -1;
    fail(self, desk_shift_open_put(&self->txn, e->author_key, e->seq));
    return 0;
}

static int apply_shift_close(ledger *self, const jifen_entry *e)
{
    const jifen_command *c = &e->command;
    if (c->last_entry)
        fail(self,
             desk_shift_open_clear(&self->txn, e->author_key, c->last_entry));
    fail(self, desk_shift_close_put(&self->txn, e->author_key, e->time_ms,
                                    e->seq));
    return 0;
}

/* The area is the household record's; units are the desk's own. */
static int apply_household_set(ledger *self, const jifen_entry *e)
{
    const jifen_command *c = &e->command;
    if (c->code[0]) {
        fail(self, desk_units_put(&self->txn, c->household, c->code,
                                  c->points));
        return 0;
    }
    storage_val v;
    storage_error se = storage_get(&self->txn, TABLE_HOUSEHOLDS, c->household,
                                   strlen(c->household), &v);
    if (se != STORAGE_OK || v.len < 12) {
        fail(self, se == STORAGE_OK || se == STORAGE_NOT_FOUND
                       ? STORAGE_CORRUPT
                       : se);
        return 0;
    }
    uint8_t rec[12 + JIFEN_NAME_MAX];
    size_t n = v.len < sizeof rec ? v.len : sizeof rec;
    memcpy(rec, v.data, n);
    rec[8] = (uint8_t)(c->area_centi_m2 >> 24);
    rec[9] = (uint8_t)(c->area_centi_m2 >> 16);
    rec[10] = (uint8_t)(c->area_centi_m2 >> 8);
    rec[11] = (uint8_t)c->area_centi_m2;
    fail(self, storage_put(&self->txn, TABLE_HOUSEHOLDS, c->household,
                           strlen(c->household), rec, n,
                           STORAGE_PUT_OVERWRITE));
    return 0;
}

static int apply_ontime(ledger *self, const jifen_entry *e, char *err,
                        size_t errlen)
{
    const jifen_command *c = &e->command;
    storage_error se;
    if (c->household[0] == '\0') {
        se = desk_ontime_done_put(&self->txn, c->period, e->seq);
        if (se == STORAGE_EXISTS)
            return refuse(err, errlen, "on-time points of %s are closed "
                                       "already", c->period);
        fail(self, se);
        return 0;
    }
    se = desk_ontime_put(&self->txn, c->household, c->period, e->seq);
    if (se == STORAGE_EXISTS)
        return refuse(err, errlen, "%s has on-time points of %s already",
                      c->household, c->period);
    fail(self, se);
    int64_t expires = e->expires_ms ? e->expires_ms : LOTS_NEVER;
    lots_credit(&self->txn, c->household, e->seq, expires, c->points);
    ledger_timer_due_by(self, expires);
    return 0;
}

int desk_apply(ledger *self, const jifen_entry *e, char *err, size_t errlen)
{
    switch (e->command.kind) {
    case JIFEN_CMD_BILL:
        return apply_bill(self, e, err, errlen);
    case JIFEN_CMD_PAY:
        return apply_pay(self, e, err, errlen);
    case JIFEN_CMD_REFUND:
        if (take_reference(self, e, err, errlen) != 0)
            return -1;
        fail(self, desk_shift_open_put(&self->txn, e->author_key, e->seq));
        return 0;
    case JIFEN_CMD_SHIFT_CLOSE:
        return apply_shift_close(self, e);
    case JIFEN_CMD_HOUSEHOLD_SET:
        return apply_household_set(self, e);
    case JIFEN_CMD_ONTIME_AWARD:
        return apply_ontime(self, e, err, errlen);
    default:
        return 0;
    }
}

int desk_apply_reverse(ledger *self, const jifen_entry *e,
                       const jifen_entry *o, char *err, size_t errlen)
{
    const jifen_command *c = &o->command;
    storage_error se = STORAGE_OK;
    switch (c->kind) {
    case JIFEN_CMD_BILL:
        /* A reversed bill may be billed again (a wrong area corrected). */
        if (c->code[0])
            se = desk_billed_del(&self->txn, c->household, c->code,
                                 c->period);
        break;
    case JIFEN_CMD_PAY:
    case JIFEN_CMD_REFUND:
        /* The payment was not made: its reference may come again, on the
         * right household. The reversal is in the reverser's shift. */
        if (c->reference[0])
            se = desk_reference_del(&self->txn, c->channel, c->reference);
        fail(self, desk_shift_open_put(&self->txn, e->author_key, e->seq));
        break;
    default:
        break;
    }
    if (se == STORAGE_NOT_FOUND)
        return refuse(err, errlen, "entry %" PRIu64 " left no trace to undo",
                      o->seq);
    fail(self, se);
    /* On-time awards the payment earned and no longer does. */
    uint64_t points = 0;
    for (size_t i = o->n_postings; i < e->n_postings; i++)
        points += e->postings[i].amount;
    for (size_t i = 0; i < e->n_takes_back; i++) {
        uint8_t key[8], rev[8];
        storage_be64_put(key, e->takes_back[i]);
        storage_be64_put(rev, e->seq);
        se = storage_put(&self->txn, TABLE_REVERSALS, key, sizeof key, rev,
                         sizeof rev, STORAGE_PUT_NEW);
        if (se == STORAGE_EXISTS)
            return refuse(err, errlen,
                          "on-time award %" PRIu64 " is reversed already",
                          e->takes_back[i]);
        fail(self, se);
    }
    if (points > 0 && lots_take_back(&self->txn, c->household, points) != 0)
        return refuse(err, errlen,
                      "household %s holds fewer points in its lots than the "
                      "entry takes back",
                      c->household);
    return 0;
}
