/*
 * desk_query - the property desk's queries (desk.h): a billing run's plan,
 * a receipt, and the shift report. Read transactions only.
 */
#include "desk.h"

#include "clock.h"
#include "codec.h"
#include "desk_state.h"
#include "dues.h"
#include "hash.h"
#include "journal.h"
#include "policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail_query(jifen_result *r, storage_txn *txn)
{
    codec_result_clear(r);
    ledger_set_result(r, JIFEN_STATUS_INTERNAL, "%s",
                      storage_txn_strerror(txn));
}

/* --- the billing plan -------------------------------------------------------
 *
 * One page of households with, for each fee item, what the run would bill
 * (the same policy_fee_amount the decision uses), or the entry that billed
 * it, or why it cannot be billed.
 */

static bool plan_line(storage_txn *txn, const policy_fee *fee,
                      const char *code, const household_record *h,
                      const char *period, jifen_bill_line *l)
{
    memset(l, 0, sizeof *l);
    ledger_copy_text(l->household, sizeof l->household, code);
    ledger_copy_text(l->item, sizeof l->item, fee->code);
    ledger_copy_text(l->item_name, sizeof l->item_name, fee->name);
    l->basis = fee->basis;
    l->rate_fen = fee->rate_fen;
    storage_error e =
        desk_billed_get(txn, code, fee->code, period, &l->billed_entry);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND)
        return false;
    uint32_t units = 0;
    if (fee->basis == JIFEN_BASIS_UNIT &&
        desk_units_get(txn, code, fee->code, &units) != STORAGE_OK)
        return false;
    policy_fee_amount(fee, h->area_centi_m2, units, &l->amount_fen,
                      &l->quantity, l->problem);
    return true;
}

void desk_query_plan(ledger *self, storage_txn *txn, const jifen_command *cmd,
                     jifen_result *result)
{
    int64_t start = 0;
    if (clock_parse_period(cmd->period, &start) != 0) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST, "period: YYYY-MM");
        return;
    }
    const policy *pol = ruleset_at(rulebook_current(self->book), start);
    if (!pol) {
        ledger_set_result(result, JIFEN_STATUS_NO_RULE_SET,
                          "no rule set is in force on %s-01", cmd->period);
        return;
    }
    const policy_fee *fees[POLICY_FEES_MAX];
    size_t n_fees = 0;
    for (size_t i = 0; i < pol->n_fees; i++)
        if (!cmd->code[0] || strcmp(cmd->code, pol->fees[i].code) == 0)
            fees[n_fees++] = &pol->fees[i];
    if (n_fees == 0) {
        if (cmd->code[0])
            ledger_set_result(result, JIFEN_STATUS_UNKNOWN_FEE_ITEM,
                              "fee item %s is not in the fee schedule of "
                              "rule set %s",
                              cmd->code, pol->version);
        else
            ledger_set_result(result, JIFEN_STATUS_UNKNOWN_FEE_ITEM,
                              "rule set %s has no fee schedule ([fee CODE] "
                              "sections)",
                              pol->version);
        return;
    }
    uint32_t limit = cmd->limit ? cmd->limit : JIFEN_PLAN_DEFAULT;
    result->bill_lines = calloc((size_t)limit * n_fees,
                                sizeof *result->bill_lines);
    if (!result->bill_lines) {
        ledger_set_result(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    storage_cursor *c = NULL;
    storage_val k, v;
    size_t alen = strlen(cmd->after), households = 0;
    storage_error e = storage_cursor_open(txn, TABLE_HOUSEHOLDS, &c);
    if (e == STORAGE_OK)
        e = alen ? storage_cursor_seek(c, cmd->after, alen, &k, &v)
                 : storage_cursor_first(c, &k, &v);
    if (e == STORAGE_OK && alen && k.len == alen &&
        memcmp(k.data, cmd->after, alen) == 0)
        e = storage_cursor_next(c, &k, &v);
    while (e == STORAGE_OK) {
        if (k.len == 0 || k.len > JIFEN_HOUSEHOLD_MAX) {
            e = STORAGE_CORRUPT;
            break;
        }
        char code[JIFEN_HOUSEHOLD_MAX + 1];
        memcpy(code, k.data, k.len);
        code[k.len] = '\0';
        if (households == limit) { /* one more there: the page goes on */
            ledger_copy_text(result->next, sizeof result->next,
                             result->bill_lines[result->n_bill_lines - 1]
                                 .household);
            break;
        }
        household_record h;
        e = ledger_get_household(txn, code, &h);
        for (size_t i = 0; e == STORAGE_OK && i < n_fees; i++)
            if (!plan_line(txn, fees[i], code, &h, cmd->period,
                           &result->bill_lines[result->n_bill_lines++]))
                e = STORAGE_FAILED;
        households++;
        if (e == STORAGE_OK)
            e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND) {
        fail_query(result, txn);
        return;
    }
    result->status = JIFEN_STATUS_OK;
}

/* --- receipts ------------------------------------------------------------------
 *
 * A receipt shows what a payment was for. The request's entries (a
 * redemption and a payment made together at the desk) are one visit; what
 * they paid is what the household's bills had open before the visit less
 * what they have open after it, settled oldest first (dues.h), as of the
 * visit: later entries do not change a receipt.
 */

#define VISIT_MAX 16 /* entries of one request looked at around the payment */

typedef struct {
    uint64_t first, last; /* the household's entries of the visit */
    uint64_t pay, redeem;
} visit;

/* Queries run on several threads beside the writer: their entries are
 * their own (never the ledger's scratch). */
static storage_error find_visit(storage_txn *txn, const jifen_entry *p,
                                visit *vi)
{
    jifen_entry entry, *e = &entry;
    vi->first = vi->last = p->seq;
    vi->pay = p->command.kind == JIFEN_CMD_PAY ? p->seq : 0;
    vi->redeem = p->command.kind == JIFEN_CMD_REDEEM ? p->seq : 0;
    for (int dir = -1; dir <= 1; dir += 2) {
        for (uint64_t s = p->seq + (uint64_t)dir, i = 0;
             s > 0 && i < VISIT_MAX; s += (uint64_t)dir, i++) {
            storage_error err = journal_read(txn, s, e, false);
            if (err == STORAGE_NOT_FOUND)
                break;
            if (err != STORAGE_OK)
                return err;
            if (strcmp(e->request_id, p->request_id) != 0)
                break;
            if (strcmp(e->command.household, p->command.household) != 0)
                continue;
            if (e->command.kind == JIFEN_CMD_PAY && !vi->pay)
                vi->pay = s;
            else if (e->command.kind == JIFEN_CMD_REDEEM && !vi->redeem)
                vi->redeem = s;
            else
                continue;
            if (s < vi->first)
                vi->first = s;
            if (s > vi->last)
                vi->last = s;
        }
    }
    return STORAGE_OK;
}

/* The item's name from the rule set its bill was made under. */
static void item_name(ledger *self, storage_txn *txn, uint64_t bill,
                      const char *item, char *out, size_t cap)
{
    out[0] = '\0';
    if (!item[0])
        return;
    jifen_entry entry, *e = &entry;
    if (journal_read(txn, bill, e, false) != STORAGE_OK)
        return;
    const policy *pol = ruleset_find(rulebook_current(self->book), e->policy);
    const policy_fee *fee = pol ? policy_find_fee(pol, item) : NULL;
    if (fee)
        ledger_copy_text(out, cap, fee->name);
}

/* Points of the household after entry `upto`. */
typedef struct {
    char account[JIFEN_ACCOUNT_MAX + 1];
    uint64_t upto;
    int64_t points;
} points_walk;

static int add_points(void *ctx, uint64_t seq, const storage_val *stored,
                      const jifen_entry *e)
{
    (void)stored;
    points_walk *w = ctx;
    if (seq > w->upto)
        return 1;
    for (size_t i = 0; i < e->n_postings; i++) {
        if (strcmp(e->postings[i].credit, w->account) == 0)
            w->points += (int64_t)e->postings[i].amount;
        if (strcmp(e->postings[i].debit, w->account) == 0)
            w->points -= (int64_t)e->postings[i].amount;
    }
    return 0;
}

static storage_error receipt_lines(ledger *self, storage_txn *txn,
                                   const visit *vi, jifen_receipt *r)
{
    arrears before, after;
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    dues_filter fb = {.upto_seq = vi->first - 1};
    dues_filter fa = {.upto_seq = vi->last};
    storage_error e = dues_household(txn, r->household, &fb, &before);
    if (e == STORAGE_OK)
        e = dues_household(txn, r->household, &fa, &after);
    if (e == STORAGE_OK && (before.nomem || after.nomem))
        e = STORAGE_FAILED;
    if (e == STORAGE_OK) {
        uint64_t ahead_before = vi->first > 1 ? arrears_settle(&before) : 0;
        uint64_t ahead_after = arrears_settle(&after);
        r->ahead_fen = ahead_after > ahead_before ? ahead_after - ahead_before
                                                  : 0;
        r->fee_due_after_fen =
            (int64_t)arrears_open(&after) - (int64_t)ahead_after;
        for (size_t i = 0; i < after.n && r->n_lines < JIFEN_RECEIPT_LINES_MAX;
             i++) {
            const arrears_charge *c = &after.charges[i];
            uint64_t open_before = c->fen;
            for (size_t j = 0; j < before.n; j++)
                if (before.charges[j].seq == c->seq)
                    open_before = before.charges[j].open;
            if (open_before <= c->open)
                continue;
            jifen_receipt_line *l = &r->lines[r->n_lines++];
            ledger_copy_text(l->item, sizeof l->item, c->item);
            ledger_copy_text(l->period, sizeof l->period, c->period);
            l->fen = open_before - c->open;
            l->bill_entry = c->seq;
            item_name(self, txn, c->seq, c->item, l->item_name,
                      sizeof l->item_name);
        }
    }
    arrears_free(&before);
    arrears_free(&after);
    return e;
}

void desk_query_receipt(ledger *self, storage_txn *txn,
                        const jifen_command *cmd, jifen_result *result)
{
    jifen_entry entry, *p = &entry;
    storage_error e = journal_read(txn, cmd->entry, p, false);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_ENTRY,
                          "there is no entry %" PRIu64, cmd->entry);
        return;
    }
    if (e != STORAGE_OK) {
        fail_query(result, txn);
        return;
    }
    if (p->command.kind != JIFEN_CMD_PAY &&
        p->command.kind != JIFEN_CMD_REDEEM) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "entry %" PRIu64 " is a %s: receipts are of "
                          "payments and redemptions",
                          cmd->entry, codec_command_name(p->command.kind));
        return;
    }
    jifen_receipt *r = result->receipt = calloc(1, sizeof *result->receipt);
    if (!r) {
        ledger_set_result(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    visit vi;
    e = find_visit(txn, p, &vi);
    /* The receipt is the payment's (its number); a redemption alone has
     * a receipt without a number. */
    uint64_t main_seq = vi.pay ? vi.pay : vi.redeem;
    if (e == STORAGE_OK)
        e = journal_read(txn, main_seq, p, false);
    storage_val stored;
    if (e == STORAGE_OK)
        e = journal_get(txn, main_seq, &stored);
    if (e != STORAGE_OK) {
        fail_query(result, txn);
        return;
    }
    hash_sha256(stored.data, stored.len, r->entry_hash);
    r->entry = main_seq;
    r->time_ms = p->time_ms;
    ledger_copy_text(r->household, sizeof r->household, p->command.household);
    ledger_copy_text(r->author, sizeof r->author, p->author);
    ledger_copy_text(r->request_id, sizeof r->request_id, p->request_id);
    const policy *pol = ruleset_find(rulebook_current(self->book), p->policy);
    if (pol)
        ledger_copy_text(r->payee, sizeof r->payee, pol->payee);
    if (vi.pay) {
        r->receipt = p->command.receipt;
        r->paid_fen = p->command.amount;
        r->channel = p->command.channel ? p->command.channel
                                        : JIFEN_CHANNEL_CASH;
        ledger_copy_text(r->reference, sizeof r->reference,
                         p->command.reference);
    }
    if (vi.redeem) {
        e = journal_read(txn, vi.redeem, p, false);
        if (e == STORAGE_OK) {
            r->points = p->command.amount;
            r->offset_fen = p->n_postings > 1 ? p->postings[1].amount : 0;
        }
    }
    household_record h;
    if (e == STORAGE_OK)
        e = ledger_get_household(txn, r->household, &h);
    if (e == STORAGE_OK) {
        ledger_copy_text(r->name, sizeof r->name, h.name);
        r->area_centi_m2 = h.area_centi_m2;
        e = receipt_lines(self, txn, &vi, r);
    }
    points_walk pw = {.upto = vi.last};
    account_household_points(r->household, pw.account);
    if (e == STORAGE_OK)
        e = journal_household(txn, r->household, false, add_points, &pw,
                              NULL);
    r->points_after = pw.points;
    uint8_t key[8];
    storage_val rev;
    storage_be64_put(key, main_seq);
    if (e == STORAGE_OK &&
        storage_get(txn, TABLE_REVERSALS, key, sizeof key, &rev) ==
            STORAGE_OK &&
        rev.len == 8)
        r->reversed_by = storage_be64_get(rev.data);
    if (e != STORAGE_OK) {
        fail_query(result, txn);
        return;
    }
    result->status = JIFEN_STATUS_OK;
}

/* --- the shift report ----------------------------------------------------------
 *
 * One row per channel of each close made on the day, then the entries not
 * closed yet, summed per key and channel: columns state (closed / open),
 * entry (the close, or the first open entry), time, clerk, channel,
 * payments, paid, refunds, refunded, reversals, reversed, net (what the
 * drawer or the platform account should hold for it).
 */

static const char *const SHIFT_COLUMNS[] = {
    "state",   "entry",        "time",      "clerk",        "channel",
    "payments", "paid_fen",    "refunds",   "refunded_fen", "reversals",
    "reversed_fen", "net_fen"};
#define SHIFT_NCOLS (sizeof SHIFT_COLUMNS / sizeof *SHIFT_COLUMNS)
#define SHIFT_ROWS_MAX 5000

typedef struct {
    ledger *self;
    storage_txn *txn;
    jifen_report *rep;
    size_t cap;
    storage_error err;
    bool full;
    /* open entries of the key being summed */
    char key[JIFEN_KEY_Z85_LEN + 1];
    jifen_command open;
    uint64_t open_first;
    int64_t open_time;
    char open_author[JIFEN_AUTHOR_MAX + 1];
    jifen_entry entry, money; /* the walk's own (queries run in parallel) */
} shifts_walk;

static void add_row(shifts_walk *w, const char *state, uint64_t entry,
                    int64_t time_ms, const char *clerk,
                    const jifen_channel_total *t)
{
    jifen_report *rep = w->rep;
    if (rep->n_rows == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        jifen_report_row *rows = NULL;
        if (cap <= SHIFT_ROWS_MAX)
            rows = realloc(rep->rows, cap * sizeof *rows);
        if (!rows) {
            w->full = true;
            return;
        }
        rep->rows = rows;
        w->cap = cap;
    }
    jifen_report_row *row = &rep->rows[rep->n_rows++];
    memset(row, 0, sizeof *row);
    char time[CLOCK_TIME_LEN + 1];
    clock_time_text(time_ms, time);
    int64_t net = (int64_t)t->paid_fen - (int64_t)t->refunded_fen +
                  t->reversed_fen;
    snprintf(row->cells[0], sizeof row->cells[0], "%s", state);
    snprintf(row->cells[1], sizeof row->cells[1], "%" PRIu64, entry);
    snprintf(row->cells[2], sizeof row->cells[2], "%s", time);
    snprintf(row->cells[3], sizeof row->cells[3], "%s", clerk);
    snprintf(row->cells[4], sizeof row->cells[4], "%s",
             jifen_channel_name(t->channel));
    snprintf(row->cells[5], sizeof row->cells[5], "%" PRIu32, t->payments);
    snprintf(row->cells[6], sizeof row->cells[6], "%" PRIu64, t->paid_fen);
    snprintf(row->cells[7], sizeof row->cells[7], "%" PRIu32, t->refunds);
    snprintf(row->cells[8], sizeof row->cells[8], "%" PRIu64,
             t->refunded_fen);
    snprintf(row->cells[9], sizeof row->cells[9], "%" PRIu32, t->reversals);
    snprintf(row->cells[10], sizeof row->cells[10], "%" PRId64,
             t->reversed_fen);
    snprintf(row->cells[11], sizeof row->cells[11], "%" PRId64, net);
}

static int close_row(void *ctx, const char *key, uint64_t close)
{
    (void)key;
    shifts_walk *w = ctx;
    jifen_entry *e = &w->entry;
    w->err = journal_read(w->txn, close, e, false);
    if (w->err != STORAGE_OK)
        return -1;
    static const jifen_channel_total none = {.channel = JIFEN_CHANNEL_CASH};
    if (e->command.n_totals == 0) /* an empty shift: say so */
        add_row(w, "closed", close, e->time_ms, e->author, &none);
    for (size_t i = 0; i < e->command.n_totals; i++)
        add_row(w, "closed", close, e->time_ms, e->author,
                &e->command.totals[i]);
    return w->full ? 1 : 0;
}

static void flush_open(shifts_walk *w)
{
    for (size_t i = 0; i < w->open.n_totals; i++)
        add_row(w, "open", w->open_first, w->open_time, w->open_author,
                &w->open.totals[i]);
    memset(&w->open, 0, sizeof w->open);
}

/* Sums one open entry into its key's totals; a new key flushes the last. */
static int open_row(void *ctx, const char *key, uint64_t seq)
{
    shifts_walk *w = ctx;
    if (strcmp(key, w->key) != 0) {
        flush_open(w);
        ledger_copy_text(w->key, sizeof w->key, key);
        w->open_first = 0;
    }
    jifen_entry *e = &w->entry;
    w->err = journal_read(w->txn, seq, e, false);
    w->money = *e;
    if (w->err == STORAGE_OK && e->reverses)
        w->err = journal_read(w->txn, e->reverses, &w->money, false);
    if (w->err != STORAGE_OK || w->money.n_postings == 0) {
        if (w->err == STORAGE_OK)
            w->err = STORAGE_CORRUPT;
        return -1;
    }
    if (!w->open_first) {
        w->open_first = seq;
        w->open_time = e->time_ms;
        ledger_copy_text(w->open_author, sizeof w->open_author, e->author);
    }
    desk_count_entry(&w->open, e, e->reverses ? &w->money : NULL);
    return w->full ? 1 : 0;
}

void desk_query_shifts(ledger *self, storage_txn *txn,
                       const jifen_command *cmd, jifen_result *result)
{
    int64_t from = clock_date_start_ms(clock_date_of(clock_now_ms()).year,
                                       clock_date_of(clock_now_ms()).month,
                                       clock_date_of(clock_now_ms()).day);
    if (cmd->effective[0] && clock_parse_date(cmd->effective, &from) != 0) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "date: YYYY-MM-DD");
        return;
    }
    jifen_report *rep = result->report = calloc(1, sizeof *result->report);
    if (!rep) {
        ledger_set_result(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    char date[CLOCK_DATE_LEN + 1];
    clock_date_text(from, date);
    snprintf(rep->title, sizeof rep->title,
             "shift closes of %s, and what is not closed yet (fen)", date);
    rep->n_columns = SHIFT_NCOLS;
    for (size_t i = 0; i < SHIFT_NCOLS; i++)
        ledger_copy_text(rep->columns[i], sizeof rep->columns[i],
                         SHIFT_COLUMNS[i]);
    shifts_walk w = {.self = self, .txn = txn, .rep = rep};
    storage_error e = desk_shift_close_each(txn, from, from + CLOCK_DAY_MS,
                                            close_row, &w);
    if (e == STORAGE_OK && w.err == STORAGE_OK)
        e = desk_shift_open_each(txn, NULL, open_row, &w);
    if (e == STORAGE_OK && w.err == STORAGE_OK)
        flush_open(&w);
    journal_last(txn, &rep->head);
    if (e != STORAGE_OK || w.err != STORAGE_OK) {
        fail_query(result, txn);
        return;
    }
    if (w.full) {
        codec_result_clear(result);
        ledger_set_result(result, JIFEN_STATUS_REPORT_TOO_LARGE,
                          "the shift report of %s has more than %d rows", date,
                          SHIFT_ROWS_MAX);
        return;
    }
    result->status = JIFEN_STATUS_OK;
}
