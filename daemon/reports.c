/*
 * reports - see reports.h. Each report reads only what it needs: a
 * household's entries through the history index, the journal once for the
 * funder, the balances table for the trial balance.
 */
#include "reports.h"

#include "journal.h"

#include "accounts.h"
#include "arrears.h"
#include "clock.h"
#include "codec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- tables ----------------------------------------------------------------
 */

typedef struct {
    jifen_report *r;
    size_t cap;
    bool failed;   /* a row could not be kept */
    bool overflow; /* a total did not fit 64 bits: refused, not shown */
} table;

static bool table_start(table *t, jifen_result *res, const char *const *cols,
                        size_t nc)
{
    memset(t, 0, sizeof *t);
    t->r = res->report = calloc(1, sizeof *res->report);
    if (!t->r)
        return false;
    t->r->n_columns = nc;
    for (size_t i = 0; i < nc; i++)
        snprintf(t->r->columns[i], sizeof t->r->columns[i], "%s", cols[i]);
    return true;
}

static void table_title(table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void table_title(table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->r->title, sizeof t->r->title, fmt, ap);
    va_end(ap);
}

/* An array of `size`-byte items that doubles as it fills, with room for
 * item n: the array (moved, perhaps), or NULL when out of memory (the old
 * one is left as it was). */
static void *room_for(void *items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return items;
    size_t more = *cap ? *cap * 2 : 16;
    void *p = realloc(items, more * size);
    if (p)
        *cap = more;
    return p;
}

/* Adds a row; cells are strings, n_columns of them. A table without a
 * report (reports_summary's) keeps no rows: only the figures count. */
static void table_row(table *t, const char *const *cells)
{
    jifen_report *r = t->r;
    if (!r)
        return;
    jifen_report_row *rows = NULL;
    if (!t->failed && r->n_rows < JIFEN_REPORT_ROWS_MAX)
        rows = room_for(r->rows, &t->cap, r->n_rows, sizeof *r->rows);
    if (!rows) {
        t->failed = true;
        return;
    }
    r->rows = rows;
    jifen_report_row *row = &r->rows[r->n_rows++];
    memset(row, 0, sizeof *row);
    for (size_t i = 0; i < r->n_columns; i++)
        snprintf(row->cells[i], sizeof row->cells[i], "%s", cells[i]);
}

/* A row of a label and a number. */
static void item(table *t, const char *label, int64_t v)
{
    char num[32];
    snprintf(num, sizeof num, "%" PRId64, v);
    const char *cells[] = {label, num};
    table_row(t, cells);
}

/* --- walking entries -------------------------------------------------------
 */

typedef void (*entry_fn)(const jifen_entry *e, void *arg);

/* Through the journal's one reader (journal.h): an entry decoded per call,
 * in a buffer of the walk's own, so reports may run on several threads. */
typedef struct {
    entry_fn fn;
    void *arg;
} walk;

static int visit(void *ctx, uint64_t seq, const storage_val *stored,
                 const jifen_entry *e)
{
    (void)seq;
    (void)stored;
    walk *w = ctx;
    w->fn(e, w->arg);
    return 0;
}

/* A household's entries, oldest first, through the history index. */
static storage_error each_household_entry(storage_txn *txn,
                                          const char *household, entry_fn fn,
                                          void *arg)
{
    walk w = {fn, arg};
    return journal_household(txn, household, false, visit, &w, NULL);
}

static storage_error each_entry(storage_txn *txn, entry_fn fn, void *arg)
{
    walk w = {fn, arg};
    return journal_foreach(txn, 1, true, visit, &w, NULL);
}

/* --- what a posting is: one definition for every report ------------------
 *
 * A posting on a household's account is told by the account on its other
 * side. The statement's rows and the ageing's charges and credits are both
 * made from these kinds, so that "billed" means the same in each.
 */

typedef enum {
    PTS_EARNED,   /* from issuance, or released from notice */
    PTS_DEDUCTED,
    PTS_REDEEMED,
    PTS_EXPIRED,
    PTS_OTHER,
    PTS_KINDS
} points_kind;

typedef enum {
    FEE_BILLED,
    FEE_PAID,
    FEE_OFFSET, /* paid by points, owed by the funder */
    FEE_OTHER,
    FEE_KINDS
} fee_kind;

static points_kind points_kind_of(const char *other, const char *pending)
{
    if (strcmp(other, ACCOUNT_POINTS_ISSUED) == 0 ||
        strcmp(other, pending) == 0)
        return PTS_EARNED;
    if (strcmp(other, ACCOUNT_POINTS_DEDUCTED) == 0)
        return PTS_DEDUCTED;
    if (strcmp(other, ACCOUNT_POINTS_REDEEMED) == 0)
        return PTS_REDEEMED;
    if (strcmp(other, ACCOUNT_POINTS_EXPIRED) == 0)
        return PTS_EXPIRED;
    return PTS_OTHER;
}

static fee_kind fee_kind_of(const char *other)
{
    if (strcmp(other, ACCOUNT_FEE_INCOME) == 0)
        return FEE_BILLED;
    if (strcmp(other, ACCOUNT_CASH) == 0)
        return FEE_PAID;
    if (strcmp(other, ACCOUNT_POINTS_OFFSET) == 0)
        return FEE_OFFSET;
    return FEE_OTHER;
}

/* +amount when the posting credits `account`, -amount when it debits it,
 * 0 otherwise; *other is the account on the other side. An amount beyond
 * int64 (no command writes one) sets *over. */
static int64_t credit_to(const jifen_posting *p, const char *account,
                         const char **other, bool *over)
{
    if (strcmp(p->credit, account) == 0) {
        *other = p->debit;
        return arrears_signed(p->amount, over);
    }
    if (strcmp(p->debit, account) == 0) {
        *other = p->credit;
        return -arrears_signed(p->amount, over);
    }
    return 0;
}

/* Entry numbers in rising order (the entries of a month), to ask whether a
 * reversal's original is among them. */
typedef struct {
    uint64_t *seqs;
    size_t n, cap;
    bool nomem;
} seq_set;

static void seq_set_add(seq_set *s, uint64_t seq)
{
    uint64_t *seqs = room_for(s->seqs, &s->cap, s->n, sizeof *s->seqs);
    if (seqs) {
        s->seqs = seqs;
        s->seqs[s->n++] = seq;
    } else {
        s->nomem = true;
    }
}

static bool seq_set_has(const seq_set *s, uint64_t seq)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->seqs[lo] == seq;
}

/* --- statement --------------------------------------------------------------
 *
 * Opening and outstanding are the balances as of the month's start and end.
 * Each movement of the month goes in the row of its kind; a reversal goes in
 * the row of what it reverses (with the opposite sign) when that was made in
 * the same month, so that an entry reversed in its own month nets to
 * nothing, as if never made; the reversal of an entry of an earlier month
 * corrects a statement already issued and is shown as such, in the `_other`
 * rows. Every posting lands in exactly one row, so the rows always add up.
 */

typedef struct {
    int64_t from, to;
    char points[JIFEN_ACCOUNT_MAX + 1], fee[JIFEN_ACCOUNT_MAX + 1],
        pending[JIFEN_ACCOUNT_MAX + 1];
    int64_t p_open, p_rows[PTS_KINDS], pending_end; /* points */
    int64_t f_open, f_rows[FEE_KINDS];              /* fee due, in fen */
    seq_set month;                                  /* entries of the month */
    bool over;
} statement;

static void statement_entry(const jifen_entry *e, void *arg)
{
    statement *s = arg;
    if (e->time_ms >= s->to)
        return;
    bool in = e->time_ms >= s->from;
    /* A correction of an earlier month: its own rows. */
    bool correction = in && e->reverses && !seq_set_has(&s->month, e->reverses);
    if (in)
        seq_set_add(&s->month, e->seq);
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        const char *other = NULL;
        if (p->asset == JIFEN_ASSET_POINTS) {
            arrears_add(&s->pending_end,
                        credit_to(p, s->pending, &other, &s->over), &s->over);
            int64_t d = credit_to(p, s->points, &other, &s->over);
            if (d == 0)
                continue;
            if (!in) {
                arrears_add(&s->p_open, d, &s->over);
                continue;
            }
            points_kind k =
                correction ? PTS_OTHER : points_kind_of(other, s->pending);
            /* earned and other count what came in; the rest what went out */
            arrears_add(&s->p_rows[k],
                        k == PTS_EARNED || k == PTS_OTHER ? d : -d, &s->over);
        } else {
            /* Fee due moves the other way: a debit to the fee account is
             * owed. */
            int64_t d = -credit_to(p, s->fee, &other, &s->over);
            if (d == 0)
                continue;
            if (!in) {
                arrears_add(&s->f_open, d, &s->over);
                continue;
            }
            fee_kind k = correction ? FEE_OTHER : fee_kind_of(other);
            arrears_add(&s->f_rows[k],
                        k == FEE_BILLED || k == FEE_OTHER ? d : -d, &s->over);
        }
    }
}

static void statement_table(table *t, statement *s)
{
    const int64_t *p = s->p_rows, *f = s->f_rows;
    bool *o = &s->over;
    int64_t closing = s->p_open;
    arrears_add(&closing, p[PTS_EARNED], o);
    arrears_add(&closing, -p[PTS_DEDUCTED], o);
    arrears_add(&closing, -p[PTS_REDEEMED], o);
    arrears_add(&closing, -p[PTS_EXPIRED], o);
    arrears_add(&closing, p[PTS_OTHER], o);
    int64_t owed = s->f_open;
    arrears_add(&owed, f[FEE_BILLED], o);
    arrears_add(&owed, -f[FEE_PAID], o);
    arrears_add(&owed, -f[FEE_OFFSET], o);
    arrears_add(&owed, f[FEE_OTHER], o);
    item(t, "points_opening", s->p_open);
    item(t, "points_earned", p[PTS_EARNED]);
    item(t, "points_deducted", p[PTS_DEDUCTED]);
    item(t, "points_redeemed", p[PTS_REDEEMED]);
    item(t, "points_expired", p[PTS_EXPIRED]);
    if (p[PTS_OTHER])
        item(t, "points_other", p[PTS_OTHER]);
    item(t, "points_closing", closing);
    item(t, "points_pending", s->pending_end);
    item(t, "fee_opening_fen", s->f_open);
    item(t, "fee_billed_fen", f[FEE_BILLED]);
    item(t, "fee_paid_fen", f[FEE_PAID]);
    item(t, "fee_offset_fen", f[FEE_OFFSET]);
    if (f[FEE_OTHER])
        item(t, "fee_other_fen", f[FEE_OTHER]);
    item(t, "fee_outstanding_fen", owed);
}

static storage_error report_statement(storage_txn *txn,
                                      const jifen_command *cmd, table *t,
                                      int64_t from, int64_t to)
{
    statement s;
    memset(&s, 0, sizeof s);
    s.from = from;
    s.to = to;
    account_household_points(cmd->household, s.points);
    account_household_fee(cmd->household, s.fee);
    account_household_pending(cmd->household, s.pending);
    storage_error e =
        each_household_entry(txn, cmd->household, statement_entry, &s);
    statement_table(t, &s);
    free(s.month.seqs);
    if (e == STORAGE_OK && s.month.nomem)
        e = STORAGE_FAILED;
    t->overflow = s.over;
    return e;
}

/* --- funder liability -------------------------------------------------------
 */

typedef struct {
    int64_t from, to;
    int64_t offset_month, settled_month, owed_end, points_end, pending_end;
    int64_t issued_month, redeemed_month; /* points */
    bool over;
} liability;

static bool is_household_pending(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "household/", 10) == 0 && n > 8 &&
           strcmp(name + n - 8, "/pending") == 0;
}

/* +a when `yes_in`, -a when `yes_out` (both: 0). */
static int64_t moved(bool yes_in, bool yes_out, int64_t a)
{
    return (yes_in ? a : 0) - (yes_out ? a : 0);
}

static void liability_entry(const jifen_entry *e, void *arg)
{
    liability *l = arg;
    if (e->time_ms >= l->to)
        return;
    bool in = e->time_ms >= l->from;
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        const char *other = NULL;
        int64_t a = arrears_signed(p->amount, &l->over);
        if (p->asset == JIFEN_ASSET_POINTS && in) {
            /* Issued: out of issuance (an objection puts it back);
             * redeemed: into the redeemed account (a reversal takes it
             * out). */
            arrears_add(&l->issued_month,
                        moved(strcmp(p->debit, ACCOUNT_POINTS_ISSUED) == 0,
                              strcmp(p->credit, ACCOUNT_POINTS_ISSUED) == 0, a),
                        &l->over);
            arrears_add(&l->redeemed_month,
                        moved(strcmp(p->credit, ACCOUNT_POINTS_REDEEMED) == 0,
                              strcmp(p->debit, ACCOUNT_POINTS_REDEEMED) == 0,
                              a),
                        &l->over);
        }
        if (p->asset == JIFEN_ASSET_POINTS) {
            arrears_add(&l->points_end,
                        moved(account_is_household_points(p->credit),
                              account_is_household_points(p->debit), a),
                        &l->over);
            arrears_add(&l->pending_end,
                        moved(is_household_pending(p->credit),
                              is_household_pending(p->debit), a),
                        &l->over);
            continue;
        }
        int64_t owed = -credit_to(p, ACCOUNT_POINTS_OFFSET, &other, &l->over);
        arrears_add(&l->owed_end, owed, &l->over);
        if (!in || owed == 0)
            continue;
        if (strcmp(other, ACCOUNT_CASH) == 0)
            arrears_add(&l->settled_month, -owed, &l->over);
        else
            arrears_add(&l->offset_month, owed, &l->over);
    }
}

static storage_error report_liability(storage_txn *txn, const policy *pol,
                                      table *t, int64_t from, int64_t to,
                                      liability *out)
{
    liability l;
    memset(&l, 0, sizeof l);
    l.from = from;
    l.to = to;
    storage_error e = each_entry(txn, liability_entry, &l);
    if (out)
        *out = l;
    int64_t points = l.points_end;
    arrears_add(&points, l.pending_end, &l.over);
    int64_t value = arrears_mul(points, (int64_t)pol->fen_per_point, &l.over);
    item(t, "offset_this_month_fen", l.offset_month);
    item(t, "settled_this_month_fen", l.settled_month);
    /* After a redemption that was settled is reversed, the funder has paid
     * for points that came back: the property company owes it that, shown
     * as such, never as a negative debt (docs/policy.md, "Funding and
     * settlement"). */
    item(t, "owed_at_end_fen", l.owed_end > 0 ? l.owed_end : 0);
    item(t, "funder_overpaid_fen", l.owed_end < 0 ? -l.owed_end : 0);
    item(t, "points_outstanding", l.points_end);
    item(t, "points_pending", l.pending_end);
    item(t, "fen_per_point", pol->fen_per_point);
    item(t, "points_value_fen", value);
    t->overflow = l.over;
    return e;
}

/* --- arrears ageing ----------------------------------------------------------
 *
 * A household's charges and credits as of the month's end, by the kinds
 * above (arrears.h settles and ages them): a bill charges, a payment or an
 * offset credits; a reversal takes its original out again, so a reversed
 * bill is no charge and is not billed.
 */

typedef struct {
    int64_t to;
    char fee[JIFEN_ACCOUNT_MAX + 1];
    arrears a;
} household_arrears;

static void arrears_entry(const jifen_entry *e, void *arg)
{
    household_arrears *h = arg;
    if (e->time_ms >= h->to)
        return;
    for (size_t i = 0; i < e->n_postings; i++) {
        const char *other = NULL;
        int64_t d = -credit_to(&e->postings[i], h->fee, &other, &h->a.overflow);
        if (!other) /* not on this household's fee account */
            continue;
        uint64_t fen = d < 0 ? (uint64_t)-d : (uint64_t)d;
        bool bill = fee_kind_of(other) == FEE_BILLED;
        if (d > 0 && bill && !e->reverses)
            arrears_bill(&h->a, e->seq, e->time_ms, fen);
        else if (d > 0) /* a payment or an offset taken back */
            arrears_owe(&h->a, e->seq, e->time_ms, fen);
        else if (d < 0 && !(bill && e->reverses &&
                            arrears_unbill(&h->a, e->reverses, fen)))
            arrears_pay(&h->a, fen);
    }
}

static void ageing_row(table *t, const char *label, const uint64_t *v,
                       bool *over)
{
    char nums[ARREARS_BUCKETS + 1][32];
    const char *cells[ARREARS_BUCKETS + 2] = {label};
    uint64_t total = 0;
    for (int i = 0; i < ARREARS_BUCKETS; i++) {
        snprintf(nums[i], sizeof nums[i], "%" PRId64,
                 arrears_signed(v[i], over));
        cells[i + 1] = nums[i];
        arrears_add_u(&total, v[i], over);
    }
    snprintf(nums[ARREARS_BUCKETS], sizeof nums[ARREARS_BUCKETS], "%" PRId64,
             arrears_signed(total, over));
    cells[ARREARS_BUCKETS + 1] = nums[ARREARS_BUCKETS];
    table_row(t, cells);
}

static storage_error report_ageing(storage_txn *txn, table *t, int64_t to,
                                   int64_t *billed, int64_t *owed,
                                   uint64_t buckets[ARREARS_BUCKETS])
{
    uint64_t all[ARREARS_BUCKETS] = {0}, all_billed = 0, all_owed = 0;
    bool over = false, nomem = false;
    household_arrears h;
    memset(&h, 0, sizeof h);
    h.to = to;
    storage_cursor *c = NULL;
    storage_val k;
    storage_error e = storage_cursor_open(txn, TABLE_HOUSEHOLDS, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, NULL);
    while (e == STORAGE_OK && k.len <= JIFEN_HOUSEHOLD_MAX && !nomem) {
        char code[JIFEN_HOUSEHOLD_MAX + 1];
        memcpy(code, k.data, k.len);
        code[k.len] = '\0';
        account_household_fee(code, h.fee);
        arrears_reset(&h.a);
        e = each_household_entry(txn, code, arrears_entry, &h);
        arrears_settle(&h.a);
        nomem = h.a.nomem;
        over = over || h.a.overflow;
        uint64_t open = arrears_open(&h.a);
        arrears_add_u(&all_billed, arrears_billed(&h.a), &over);
        if (e == STORAGE_OK && open > 0) {
            uint64_t mine[ARREARS_BUCKETS] = {0};
            arrears_age(&h.a, to, mine);
            ageing_row(t, code, mine, &over);
            for (int i = 0; i < ARREARS_BUCKETS; i++)
                arrears_add_u(&all[i], mine[i], &over);
            arrears_add_u(&all_owed, open, &over);
        }
        if (e == STORAGE_OK)
            e = storage_cursor_next(c, &k, NULL);
    }
    storage_cursor_close(&c);
    arrears_free(&h.a);
    ageing_row(t, "TOTAL", all, &over);
    if (buckets)
        memcpy(buckets, all, sizeof all);
    *billed = arrears_signed(all_billed, &over);
    *owed = arrears_signed(all_owed, &over);
    t->overflow = over;
    if (nomem)
        return STORAGE_FAILED;
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

/* --- trial balance -----------------------------------------------------------
 */

static storage_error report_trial_balance(storage_txn *txn, table *t,
                                          bool *balanced)
{
    uint64_t debits[3] = {0}, credits[3] = {0};
    bool over = false;
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error e = storage_cursor_open(txn, TABLE_BALANCES, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, &v);
    while (e == STORAGE_OK && k.len <= JIFEN_ACCOUNT_MAX) {
        if (!account_key_is_account(k.data, k.len)) { /* history, counter */
            e = storage_cursor_next(c, &k, &v);
            continue;
        }
        char name[JIFEN_ACCOUNT_MAX + 1], d[32], cr[32], bal[32];
        account_totals at;
        memcpy(name, k.data, k.len);
        name[k.len] = '\0';
        if (account_totals_decode(v.data, v.len, &at) != 0) {
            e = STORAGE_CORRUPT;
            break;
        }
        jifen_asset asset = account_asset(name);
        arrears_add_u(&debits[asset], at.debits, &over);
        arrears_add_u(&credits[asset], at.credits, &over);
        snprintf(d, sizeof d, "%" PRIu64, at.debits);
        snprintf(cr, sizeof cr, "%" PRIu64, at.credits);
        snprintf(bal, sizeof bal, "%" PRId64,
                 arrears_diff(at.debits, at.credits, &over));
        const char *cells[] = {name, codec_asset_name(asset), d, cr, bal};
        table_row(t, cells);
        e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    *balanced = true;
    for (int a = JIFEN_ASSET_POINTS; a <= JIFEN_ASSET_FEE; a++) {
        char d[32], cr[32], bal[32], label[32];
        snprintf(label, sizeof label, "TOTAL %s",
                 codec_asset_name((jifen_asset)a));
        snprintf(d, sizeof d, "%" PRIu64, debits[a]);
        snprintf(cr, sizeof cr, "%" PRIu64, credits[a]);
        snprintf(bal, sizeof bal, "%" PRId64,
                 arrears_diff(debits[a], credits[a], &over));
        const char *cells[] = {label, codec_asset_name((jifen_asset)a), d, cr,
                               bal};
        table_row(t, cells);
        *balanced = *balanced && debits[a] == credits[a];
    }
    t->overflow = over;
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

/* --- the query -------------------------------------------------------------
 */

static const char *const ITEM_COLUMNS[] = {"item", "value"};
static const char *const AGEING_COLUMNS[] = {"household",     "days_0_30",
                                             "days_31_90",    "days_91_180",
                                             "days_over_180", "total_fen"};
static const char *const TRIAL_COLUMNS[] = {"account", "asset", "debits",
                                            "credits", "balance"};

static void refuse(jifen_result *r, jifen_status s, const char *why)
{
    r->status = s;
    snprintf(r->error, sizeof r->error, "%s", why);
}

/* Permille as "87.5%"; "-" when nothing was billed. */
static void rate_text(int64_t billed, int64_t owed, char *out, size_t cap)
{
    int64_t pm = arrears_permille(billed, owed);
    if (pm < 0)
        snprintf(out, cap, "-");
    else
        snprintf(out, cap, "%" PRId64 ".%" PRId64 "%%", pm / 10, pm % 10);
}

static storage_error run(storage_txn *txn, const jifen_command *cmd,
                         const policy *pol, table *t, int64_t from, int64_t to,
                         const char *period)
{
    const char *kind = cmd->code;
    char date[CLOCK_DATE_LEN + 1];
    clock_date_text(to - 1, date);
    if (strcmp(kind, "statement") == 0) {
        table_title(t, "statement of %s for %s", cmd->household, period);
        return report_statement(txn, cmd, t, from, to);
    }
    if (strcmp(kind, "liability") == 0) {
        table_title(t, "funder liability for %s (as of the end of %s)", period,
                    date);
        return report_liability(txn, pol, t, from, to, NULL);
    }
    if (strcmp(kind, "ageing") == 0) {
        int64_t billed = 0, owed = 0;
        char rate[48];
        storage_error e = report_ageing(txn, t, to, &billed, &owed, NULL);
        rate_text(billed, owed, rate, sizeof rate);
        table_title(t,
                    "arrears ageing as of the end of %s (fen); collection "
                    "rate %s (billed %" PRId64 ", outstanding %" PRId64 ")",
                    date, rate, billed, owed);
        return e;
    }
    bool balanced = false;
    storage_error e = report_trial_balance(txn, t, &balanced);
    table_title(t, "trial balance now: debits %s credits for every asset",
                balanced ? "equal" : "DO NOT EQUAL");
    return e;
}

/* The kind asked for, or NULL with the refusal in result. */
typedef struct {
    const char *kind;
    const char *const *cols;
    size_t n;
    bool needs_household;
} report_kind;

static const report_kind *find_kind(const jifen_command *cmd,
                                    jifen_result *result)
{
    static const report_kind kinds[] = {
        {"statement", ITEM_COLUMNS, 2, true},
        {"liability", ITEM_COLUMNS, 2, false},
        {"ageing", AGEING_COLUMNS, 6, false},
        {"trial-balance", TRIAL_COLUMNS, 5, false},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        if (strcmp(kinds[k].kind, cmd->code) != 0)
            continue;
        if (kinds[k].needs_household == (cmd->household[0] != '\0'))
            return &kinds[k];
        refuse(result, JIFEN_STATUS_BAD_REQUEST,
               kinds[k].needs_household
                   ? "a statement is of one household"
                   : "only a statement is of one household");
        return NULL;
    }
    refuse(result, JIFEN_STATUS_BAD_REQUEST,
           "kind: statement, liability, ageing or trial-balance");
    return NULL;
}

storage_error reports_summary(storage_txn *txn, const policy *pol,
                              int64_t from, int64_t to, reports_totals *out)
{
    memset(out, 0, sizeof *out);
    table quiet;
    memset(&quiet, 0, sizeof quiet);
    liability l;
    memset(&l, 0, sizeof l);
    storage_error e = storage_count(txn, TABLE_HOUSEHOLDS, &out->households);
    if (e == STORAGE_OK)
        e = report_liability(txn, pol, &quiet, from, to, &l);
    if (e == STORAGE_OK)
        e = report_ageing(txn, &quiet, to, &out->billed_fen,
                          &out->outstanding_fen, out->ageing_fen);
    out->points_issued = l.issued_month;
    out->points_redeemed = l.redeemed_month;
    out->points_outstanding = l.points_end;
    out->points_pending = l.pending_end;
    out->funder_owed_fen = l.owed_end > 0 ? l.owed_end : 0;
    out->funder_overpaid_fen = l.owed_end < 0 ? -l.owed_end : 0;
    out->overflow = quiet.overflow || l.over;
    return e;
}

void reports_run(storage_txn *txn, const jifen_command *cmd, const policy *pol,
                 int64_t now_ms, jifen_result *result)
{
    const report_kind *k = find_kind(cmd, result);
    int64_t from = clock_month_start_ms(now_ms);
    if (!k)
        return;
    if (cmd->period[0] && clock_parse_period(cmd->period, &from) != 0) {
        refuse(result, JIFEN_STATUS_BAD_REQUEST, "period: YYYY-MM");
        return;
    }
    char period[CLOCK_PERIOD_LEN + 1];
    clock_period_of(from, period);
    table t;
    if (!table_start(&t, result, k->cols, k->n)) {
        refuse(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    storage_error e =
        run(txn, cmd, pol, &t, from, clock_next_month_start_ms(from), period);
    if (e == STORAGE_OK && t.overflow) {
        codec_result_clear(result);
        refuse(result, JIFEN_STATUS_OVERFLOW,
               "a total of this report does not fit in 64-bit integers "
               "(more than 9.2e18 fen or points): no figure is given rather "
               "than a wrong one");
    } else if (e != STORAGE_OK || t.failed)
        refuse(result, JIFEN_STATUS_INTERNAL,
               "the report could not be made (storage or memory)");
    else
        result->status = JIFEN_STATUS_OK;
}
