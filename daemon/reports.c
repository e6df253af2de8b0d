/*
 * reports - see reports.h. Each report reads only what it needs: a
 * household's entries through the history index, the journal once for the
 * funder, the balances table for the trial balance.
 */
#include "reports.h"

#include "dues.h"
#include "committee_reports.h"
#include "report_table.h"

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

/* --- tables: report_table.h ---------------------------------------------
 */

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
    uint64_t *seqs = table_room_for(s->seqs, &s->cap, s->n,
                                    sizeof *s->seqs);
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

/* --- pages ------------------------------------------------------------------
 *
 * The reports with a row per household or account (ageing, arrears, the
 * trial balance) have as many rows as the community has households: far
 * more than one reply holds for a large one. Asked whole (limit 0) they
 * are refused past JIFEN_REPORT_ROWS_MAX rows with a status that says so;
 * asked in pages they never are. A page holds the rows after a key, at
 * most `limit` of them (a household's rows stay together), its figures
 * in `sums` for the client to add up, and the key to ask after next. The
 * journal-based pages count entries up to `upto` (the first page's head)
 * so that the pages of one report agree; the trial balance reads the
 * balances as they are and says its head, for the client to see whether
 * the ledger moved between its pages.
 */

typedef struct {
    const char *after; /* rows after this key; "" from the start */
    size_t limit;      /* rows a page; 0: the whole report */
    uint64_t upto;     /* entries counted: at most this one (0: all) */
    bool whole;
    size_t cap;        /* a whole report: rows at most (0: no cap) */
    size_t rows;       /* rows so far */
    bool more;         /* the page ended before the report did */
    char last[JIFEN_ACCOUNT_MAX + 1]; /* the last key with rows on it */
} paging;

/* Whether a page has room for a key's rows (the caller then adds them);
 * else it ends before the key, and the next page starts after the last
 * key it holds. */
static bool page_room(table *t, paging *pg, const char *key)
{
    if (pg->whole || pg->rows < pg->limit) {
        snprintf(pg->last, sizeof pg->last, "%s", key);
        return true;
    }
    pg->more = true;
    snprintf(t->r->next, sizeof t->r->next, "%s", pg->last);
    return false;
}

/* Rows of a whole report beyond what one reply holds. */
static bool page_over(const paging *pg)
{
    return pg->whole && pg->cap && pg->rows > pg->cap;
}

/* The first key of a walk: the first, or the one after `after`. */
static storage_error walk_start(storage_cursor *c, const paging *pg,
                                storage_val *k, storage_val *v)
{
    size_t n = strlen(pg->after);
    if (n == 0)
        return storage_cursor_first(c, k, v);
    storage_error e = storage_cursor_seek(c, pg->after, n, k, v);
    if (e == STORAGE_OK && k->len == n && memcmp(k->data, pg->after, n) == 0)
        e = storage_cursor_next(c, k, v);
    return e;
}

static void page_sums(table *t, const int64_t *sums, size_t n)
{
    t->r->n_sums = n;
    memcpy(t->r->sums, sums, n * sizeof *sums);
}

/* --- arrears ageing, and arrears per item and period -----------------------
 *
 * A household's charges and credits as of the month's end (dues.h walks
 * them, arrears.h settles and ages them): a bill charges, a payment or an
 * offset credits; a reversal takes its original out again, so a reversed
 * bill is no charge and is not billed.
 */

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

/* One row per open charge: household, item and its name (in the rule
 * set of the report's month), period, billed, open, days. */
static void arrears_rows(table *t, const char *code, const arrears *a,
                         int64_t to, const policy *pol, const ruleset *rules,
                         paging *pg, bool *over)
{
    for (size_t i = 0; i < a->n; i++) {
        const arrears_charge *c = &a->charges[i];
        if (c->open == 0)
            continue;
        char billed[32], open[32], days[32];
        snprintf(billed, sizeof billed, "%" PRId64,
                 arrears_signed(c->fen, over));
        snprintf(open, sizeof open, "%" PRId64, arrears_signed(c->open, over));
        snprintf(days, sizeof days, "%" PRId64,
                 arrears_age_days(c->time_ms, to));
        int64_t start = 0;
        const policy *of = pol;
        if (rules && clock_parse_period(c->period, &start) == 0 &&
            ruleset_at(rules, start))
            of = ruleset_at(rules, start); /* the schedule that billed it */
        const policy_fee *fee = of ? policy_find_fee(of, c->item) : NULL;
        const char *cells[] = {code,   c->item, fee ? fee->name : "",
                               c->period, billed, open, days};
        table_row(t, cells);
        pg->rows++;
    }
}

/* Sums of ageing: billed, outstanding, then each bucket. Arrears:
 * billed, outstanding. */
#define AGEING_SUMS (2 + ARREARS_BUCKETS)

static storage_error report_ageing(storage_txn *txn, table *t, int64_t to,
                                   bool per_charge, const policy *pol,
                                   const ruleset *rules, paging *pg,
                                   const char *only,
                                   int64_t *billed, int64_t *owed,
                                   uint64_t buckets[ARREARS_BUCKETS])
{
    uint64_t all[ARREARS_BUCKETS] = {0}, all_billed = 0, all_owed = 0;
    bool over = false, nomem = false;
    arrears a;
    memset(&a, 0, sizeof a);
    dues_filter f = {.before_ms = to, .upto_seq = pg->upto};
    storage_cursor *c = NULL;
    storage_val k;
    storage_error e = storage_cursor_open(txn, TABLE_HOUSEHOLDS, &c);
    size_t olen = only ? strlen(only) : 0;
    if (e == STORAGE_OK && olen)
        e = storage_cursor_seek(c, only, olen, &k, NULL);
    else if (e == STORAGE_OK)
        e = walk_start(c, pg, &k, NULL);
    while (e == STORAGE_OK && k.len <= JIFEN_HOUSEHOLD_MAX && !nomem &&
           !page_over(pg)) {
        char code[JIFEN_HOUSEHOLD_MAX + 1];
        memcpy(code, k.data, k.len);
        code[k.len] = '\0';
        if (olen && strcmp(code, only) != 0)
            break; /* the one household, or none */
        e = dues_household(txn, code, &f, &a);
        arrears_settle(&a);
        nomem = a.nomem;
        over = over || a.overflow;
        uint64_t open = arrears_open(&a);
        if (e == STORAGE_OK && open > 0 && !page_room(t, pg, code))
            break;
        /* Counted in this page (its billed too, owing or not): the next
         * page starts after it. */
        snprintf(pg->last, sizeof pg->last, "%s", code);
        arrears_add_u(&all_billed, arrears_billed(&a), &over);
        if (e == STORAGE_OK && open > 0) {
            uint64_t mine[ARREARS_BUCKETS] = {0};
            arrears_age(&a, to, mine);
            if (per_charge) {
                arrears_rows(t, code, &a, to, pol, rules, pg, &over);
            } else {
                ageing_row(t, code, mine, &over);
                pg->rows++;
            }
            for (int i = 0; i < ARREARS_BUCKETS; i++)
                arrears_add_u(&all[i], mine[i], &over);
            arrears_add_u(&all_owed, open, &over);
        }
        if (e == STORAGE_OK)
            e = storage_cursor_next(c, &k, NULL);
    }
    storage_cursor_close(&c);
    arrears_free(&a);
    if (pg->whole && !per_charge && t->r)
        ageing_row(t, "TOTAL", all, &over);
    if (buckets)
        memcpy(buckets, all, sizeof all);
    *billed = arrears_signed(all_billed, &over);
    *owed = arrears_signed(all_owed, &over);
    if (t->r) {
        int64_t sums[AGEING_SUMS] = {*billed, *owed};
        for (int i = 0; i < ARREARS_BUCKETS; i++)
            sums[2 + i] = arrears_signed(all[i], &over);
        page_sums(t, sums, per_charge ? 2 : AGEING_SUMS);
    }
    t->overflow = over;
    if (nomem)
        return STORAGE_FAILED;
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

/* --- trial balance -----------------------------------------------------------
 */

static void trial_row(table *t, const char *label, jifen_asset asset,
                      uint64_t debits, uint64_t credits, bool *over)
{
    char d[32], cr[32], bal[32];
    snprintf(d, sizeof d, "%" PRIu64, debits);
    snprintf(cr, sizeof cr, "%" PRIu64, credits);
    snprintf(bal, sizeof bal, "%" PRId64, arrears_diff(debits, credits, over));
    const char *cells[] = {label, codec_asset_name(asset), d, cr, bal};
    table_row(t, cells);
}

static storage_error report_trial_balance(storage_txn *txn, table *t,
                                          paging *pg, bool *balanced)
{
    uint64_t debits[3] = {0}, credits[3] = {0};
    bool over = false;
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error e = storage_cursor_open(txn, TABLE_BALANCES, &c);
    if (e == STORAGE_OK)
        e = walk_start(c, pg, &k, &v);
    while (e == STORAGE_OK && k.len <= JIFEN_ACCOUNT_MAX && !page_over(pg)) {
        if (!account_key_is_account(k.data, k.len)) { /* history, counter */
            e = storage_cursor_next(c, &k, &v);
            continue;
        }
        char name[JIFEN_ACCOUNT_MAX + 1];
        account_totals at;
        memcpy(name, k.data, k.len);
        name[k.len] = '\0';
        if (!page_room(t, pg, name))
            break;
        if (account_totals_decode(v.data, v.len, &at) != 0) {
            e = STORAGE_CORRUPT;
            break;
        }
        jifen_asset asset = account_asset(name);
        arrears_add_u(&debits[asset], at.debits, &over);
        arrears_add_u(&credits[asset], at.credits, &over);
        trial_row(t, name, asset, at.debits, at.credits, &over);
        pg->rows++;
        e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    *balanced = true;
    for (int a = JIFEN_ASSET_POINTS; a <= JIFEN_ASSET_FEE; a++) {
        char label[32];
        snprintf(label, sizeof label, "TOTAL %s",
                 codec_asset_name((jifen_asset)a));
        if (pg->whole)
            trial_row(t, label, (jifen_asset)a, debits[a], credits[a], &over);
        *balanced = *balanced && debits[a] == credits[a];
    }
    int64_t sums[4] = {
        arrears_signed(debits[JIFEN_ASSET_POINTS], &over),
        arrears_signed(credits[JIFEN_ASSET_POINTS], &over),
        arrears_signed(debits[JIFEN_ASSET_FEE], &over),
        arrears_signed(credits[JIFEN_ASSET_FEE], &over)};
    page_sums(t, sums, 4);
    t->overflow = over;
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

/* --- the query -------------------------------------------------------------
 */

static const char *const ITEM_COLUMNS[] = {"item", "value"};
static const char *const AGEING_COLUMNS[] = {"household",     "days_0_30",
                                             "days_31_90",    "days_91_180",
                                             "days_over_180", "total_fen"};
static const char *const ARREARS_COLUMNS[] = {
    "household", "item", "item_name", "period", "billed_fen", "open_fen",
    "days"};
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
                         const policy *pol, const ruleset *rules, table *t,
                         int64_t from, int64_t to, const char *period,
                         paging *pg)
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
    if (strcmp(kind, "ageing") == 0 || strcmp(kind, "arrears") == 0) {
        bool per_charge = kind[1] == 'r';
        int64_t billed = 0, owed = 0;
        char rate[48];
        storage_error e = report_ageing(txn, t, to, per_charge, pol, rules, pg,
                                        cmd->household[0] ? cmd->household
                                                          : NULL,
                                        &billed, &owed, NULL);
        rate_text(billed, owed, rate, sizeof rate);
        if (per_charge)
            table_title(t,
                        "arrears per fee item and period as of the end of "
                        "%s (fen)",
                        date);
        else if (pg->whole)
            table_title(t,
                        "arrears ageing as of the end of %s (fen); collection "
                        "rate %s (billed %" PRId64 ", outstanding %" PRId64
                        ")",
                        date, rate, billed, owed);
        else
            table_title(t, "arrears ageing as of the end of %s (fen)", date);
        return e;
    }
    bool balanced = false;
    storage_error e = report_trial_balance(txn, t, pg, &balanced);
    if (pg->whole)
        table_title(t, "trial balance now: debits %s credits for every asset",
                    balanced ? "equal" : "DO NOT EQUAL");
    else
        table_title(t, "trial balance now");
    return e;
}

/* The kind asked for, or NULL with the refusal in result. */
typedef struct {
    const char *kind;
    const char *const *cols;
    size_t n;
    bool needs_household;
    bool pages; /* a row per household or account: asked in pages */
} report_kind;

static const report_kind *find_kind(const jifen_command *cmd,
                                    jifen_result *result)
{
    static const report_kind kinds[] = {
        {"statement", ITEM_COLUMNS, 2, true, false},
        {"liability", ITEM_COLUMNS, 2, false, false},
        {"ageing", AGEING_COLUMNS, 6, false, true},
        {"arrears", ARREARS_COLUMNS, 7, false, true},
        {"trial-balance", TRIAL_COLUMNS, 5, false, true},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        if (strcmp(kinds[k].kind, cmd->code) != 0)
            continue;
        /* The arrears may be of one household (the desk shows them). */
        bool one = strcmp(kinds[k].kind, "arrears") == 0;
        if (!one && kinds[k].needs_household != (cmd->household[0] != '\0')) {
            refuse(result, JIFEN_STATUS_BAD_REQUEST,
                   kinds[k].needs_household
                       ? "a statement is of one household"
                       : "only a statement and the arrears are of one "
                         "household");
            return NULL;
        }
        if (!kinds[k].pages && (cmd->limit || cmd->after[0] || cmd->upto)) {
            refuse(result, JIFEN_STATUS_BAD_REQUEST,
                   "after, limit, upto: only ageing, arrears and "
                   "trial-balance come in pages");
            return NULL;
        }
        return &kinds[k];
    }
    refuse(result, JIFEN_STATUS_BAD_REQUEST,
           "kind: statement, liability, ageing, arrears, trial-balance; "
           "members, statement-lines, passbook, honour, stock, redemptions, "
           "funders, pickups");
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
    /* The whole community, no rows kept (quiet has no report), no cap. */
    paging whole = {.after = "", .whole = true};
    if (e == STORAGE_OK)
        e = report_ageing(txn, &quiet, to, false, pol, NULL, &whole, NULL,
                          &out->billed_fen, &out->outstanding_fen,
                          out->ageing_fen);
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
    reports_run_rules(txn, cmd, pol, NULL, now_ms, result);
}

void reports_run_rules(storage_txn *txn, const jifen_command *cmd,
                       const policy *pol, const ruleset *rules,
                       int64_t now_ms, jifen_result *result)
{
    /* Issue 15's reports: the committee's, the supermarket's. */
    if (committee_reports_run(txn, cmd, pol, now_ms, result))
        return;
    if (cmd->entry) {
        refuse(result, JIFEN_STATUS_BAD_REQUEST,
               "from_entry: only a passbook reprint starts at an entry");
        return;
    }
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
    /* Two rows of a whole report are its totals. */
    paging pg = {.after = cmd->after,
                 .limit = cmd->limit,
                 .upto = cmd->upto,
                 .whole = cmd->limit == 0,
                 .cap = JIFEN_REPORT_ROWS_MAX - 2};
    uint64_t head = 0;
    storage_error e = journal_last(txn, &head);
    t.r->head = cmd->upto && cmd->upto < head ? cmd->upto : head;
    if (e == STORAGE_OK)
        e = run(txn, cmd, pol, rules, &t, from,
                clock_next_month_start_ms(from), period, &pg);
    if (e == STORAGE_OK && page_over(&pg)) {
        codec_result_clear(result);
        snprintf(result->error, sizeof result->error,
                 "the %s report has more than %d rows, more than one reply "
                 "holds (JIFEN_REPORT_ROWS_MAX): ask for it in pages "
                 "(ReportQuery after and limit; the jifen CLI and jifen-web "
                 "do)",
                 k->kind, JIFEN_REPORT_ROWS_MAX - 2);
        result->status = JIFEN_STATUS_REPORT_TOO_LARGE;
    } else if (e == STORAGE_OK && t.overflow) {
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
