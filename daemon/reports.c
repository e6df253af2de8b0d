/*
 * reports - see reports.h. Each report reads only what it needs: a
 * household's entries through the history index, the journal once for the
 * funder, the balances table for the trial balance.
 */
#include "reports.h"

#include "accounts.h"
#include "clock.h"
#include "codec.h"
#include "entry_codec.h"

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
    bool failed;
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

/* Adds a row; cells are strings, n_columns of them. */
static void table_row(table *t, const char *const *cells)
{
    jifen_report *r = t->r;
    if (t->failed || r->n_rows == JIFEN_REPORT_ROWS_MAX) {
        t->failed = true;
        return;
    }
    if (r->n_rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        jifen_report_row *p = realloc(r->rows, cap * sizeof *p);
        if (!p) {
            t->failed = true;
            return;
        }
        r->rows = p;
        t->cap = cap;
    }
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

static jifen_entry scratch; /* one reader at a time: the server thread */

static storage_error visit(storage_txn *txn, const void *seq, entry_fn fn,
                           void *arg)
{
    storage_val v;
    char why[128];
    storage_error e = storage_get(txn, TABLE_JOURNAL, seq, 8, &v);
    if (e != STORAGE_OK)
        return e;
    if (codec_entry_decode(v.data, v.len, &scratch, why, sizeof why) !=
        JIFEN_STATUS_OK)
        return STORAGE_CORRUPT;
    fn(&scratch, arg);
    return STORAGE_OK;
}

/* A household's entries, oldest first, through the history index. */
static storage_error each_household_entry(storage_txn *txn,
                                          const char *household, entry_fn fn,
                                          void *arg)
{
    uint8_t key[ACCOUNT_HISTORY_KEY_MAX];
    size_t klen = account_history_key(household, 0, key);
    size_t plen = klen - 8; /* the household's prefix */
    storage_cursor *c = NULL;
    storage_val k;
    storage_error e = storage_cursor_open(txn, TABLE_BALANCES, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_seek(c, key, klen, &k, NULL);
    while (e == STORAGE_OK && k.len == klen && memcmp(k.data, key, plen) == 0) {
        e = visit(txn, (const uint8_t *)k.data + plen, fn, arg);
        if (e == STORAGE_OK)
            e = storage_cursor_next(c, &k, NULL);
    }
    storage_cursor_close(&c);
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

static storage_error each_entry(storage_txn *txn, entry_fn fn, void *arg)
{
    storage_cursor *c = NULL;
    storage_val k;
    storage_error e = storage_cursor_open(txn, TABLE_JOURNAL, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, NULL);
    while (e == STORAGE_OK && k.len == 8) {
        e = visit(txn, k.data, fn, arg);
        if (e == STORAGE_OK)
            e = storage_cursor_next(c, &k, NULL);
    }
    storage_cursor_close(&c);
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

/* +amount when the posting credits `account`, -amount when it debits it,
 * 0 otherwise; *other is the account on the other side. */
static int64_t credit_to(const jifen_posting *p, const char *account,
                         const char **other)
{
    if (strcmp(p->credit, account) == 0) {
        *other = p->debit;
        return (int64_t)p->amount;
    }
    if (strcmp(p->debit, account) == 0) {
        *other = p->credit;
        return -(int64_t)p->amount;
    }
    return 0;
}

/* --- statement --------------------------------------------------------------
 */

typedef struct {
    int64_t from, to;
    char points[JIFEN_ACCOUNT_MAX + 1], fee[JIFEN_ACCOUNT_MAX + 1],
        pending[JIFEN_ACCOUNT_MAX + 1];
    int64_t p_open, earned, deducted, redeemed, expired, p_other, pending_end;
    int64_t f_open, billed, paid, offset, f_other; /* fee due, in fen */
} statement;

/* Each movement of the household's points, by what is on the other side. */
static void statement_points(statement *s, const jifen_posting *p, bool in)
{
    const char *other = NULL;
    const char *unused;
    s->pending_end += credit_to(p, s->pending, &unused);
    int64_t d = credit_to(p, s->points, &other);
    if (d == 0)
        return;
    if (!in)
        s->p_open += d;
    else if (strcmp(other, ACCOUNT_POINTS_ISSUED) == 0 ||
             strcmp(other, s->pending) == 0)
        s->earned += d;
    else if (strcmp(other, ACCOUNT_POINTS_DEDUCTED) == 0)
        s->deducted -= d;
    else if (strcmp(other, ACCOUNT_POINTS_REDEEMED) == 0)
        s->redeemed -= d;
    else if (strcmp(other, ACCOUNT_POINTS_EXPIRED) == 0)
        s->expired -= d;
    else
        s->p_other += d;
}

/* Fee due moves the other way: a debit to the fee account is owed. */
static void statement_fee(statement *s, const jifen_posting *p, bool in)
{
    const char *other = NULL;
    int64_t d = -credit_to(p, s->fee, &other);
    if (d == 0)
        return;
    if (!in)
        s->f_open += d;
    else if (strcmp(other, ACCOUNT_FEE_INCOME) == 0)
        s->billed += d;
    else if (strcmp(other, ACCOUNT_CASH) == 0)
        s->paid -= d;
    else if (strcmp(other, ACCOUNT_POINTS_OFFSET) == 0)
        s->offset -= d;
    else
        s->f_other += d;
}

static void statement_entry(const jifen_entry *e, void *arg)
{
    statement *s = arg;
    if (e->time_ms >= s->to)
        return;
    bool in = e->time_ms >= s->from;
    for (size_t i = 0; i < e->n_postings; i++) {
        if (e->postings[i].asset == JIFEN_ASSET_POINTS)
            statement_points(s, &e->postings[i], in);
        else
            statement_fee(s, &e->postings[i], in);
    }
}

static void statement_table(table *t, const statement *s)
{
    int64_t closing = s->p_open + s->earned - s->deducted - s->redeemed -
                      s->expired + s->p_other;
    int64_t owed = s->f_open + s->billed - s->paid - s->offset + s->f_other;
    item(t, "points_opening", s->p_open);
    item(t, "points_earned", s->earned);
    item(t, "points_deducted", s->deducted);
    item(t, "points_redeemed", s->redeemed);
    item(t, "points_expired", s->expired);
    if (s->p_other)
        item(t, "points_other", s->p_other);
    item(t, "points_closing", closing);
    item(t, "points_pending", s->pending_end);
    item(t, "fee_opening_fen", s->f_open);
    item(t, "fee_billed_fen", s->billed);
    item(t, "fee_paid_fen", s->paid);
    item(t, "fee_offset_fen", s->offset);
    if (s->f_other)
        item(t, "fee_other_fen", s->f_other);
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
    return e;
}

/* --- funder liability -------------------------------------------------------
 */

typedef struct {
    int64_t from, to;
    int64_t offset_month, settled_month, owed_end, points_end, pending_end;
} liability;

static bool is_household_pending(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "household/", 10) == 0 && n > 8 &&
           strcmp(name + n - 8, "/pending") == 0;
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
        int64_t a = (int64_t)p->amount;
        if (p->asset == JIFEN_ASSET_POINTS) {
            l->points_end += (account_is_household_points(p->credit) ? a : 0) -
                             (account_is_household_points(p->debit) ? a : 0);
            l->pending_end += (is_household_pending(p->credit) ? a : 0) -
                              (is_household_pending(p->debit) ? a : 0);
            continue;
        }
        int64_t owed = -credit_to(p, ACCOUNT_POINTS_OFFSET, &other);
        l->owed_end += owed;
        if (!in || owed == 0)
            continue;
        if (strcmp(other, ACCOUNT_CASH) == 0)
            l->settled_month -= owed;
        else
            l->offset_month += owed;
    }
}

static storage_error report_liability(storage_txn *txn, const policy *pol,
                                      table *t, int64_t from, int64_t to)
{
    liability l;
    memset(&l, 0, sizeof l);
    l.from = from;
    l.to = to;
    storage_error e = each_entry(txn, liability_entry, &l);
    item(t, "offset_this_month_fen", l.offset_month);
    item(t, "settled_this_month_fen", l.settled_month);
    item(t, "owed_at_end_fen", l.owed_end);
    item(t, "points_outstanding", l.points_end);
    item(t, "points_pending", l.pending_end);
    item(t, "fen_per_point", pol->fen_per_point);
    item(t, "points_value_fen",
         (l.points_end + l.pending_end) * (int64_t)pol->fen_per_point);
    return e;
}

/* --- arrears ageing ----------------------------------------------------------
 */

#define AGE_BUCKETS 4

typedef struct {
    int64_t time_ms;
    int64_t fen;
} bill;

typedef struct {
    int64_t to;
    char fee[JIFEN_ACCOUNT_MAX + 1];
    bill *bills;
    size_t n, cap;
    int64_t due;
    bool nomem;
} arrears;

static void arrears_entry(const jifen_entry *e, void *arg)
{
    arrears *a = arg;
    if (e->time_ms >= a->to)
        return;
    for (size_t i = 0; i < e->n_postings; i++) {
        const char *other = NULL;
        int64_t d = -credit_to(&e->postings[i], a->fee, &other);
        a->due += d;
        if (d <= 0 || strcmp(other, ACCOUNT_FEE_INCOME) != 0)
            continue;
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 16;
            bill *p = realloc(a->bills, cap * sizeof *p);
            if (!p) {
                a->nomem = true;
                return;
            }
            a->bills = p;
            a->cap = cap;
        }
        a->bills[a->n++] = (bill){e->time_ms, d};
    }
}

/* What is owed is what the newest bills left unpaid: payments pay the
 * oldest first. Adds it into buckets[] by the bills' ages in days. */
static void age(const arrears *a, int64_t buckets[AGE_BUCKETS])
{
    static const int64_t upto_days[AGE_BUCKETS - 1] = {30, 90, 180};
    int64_t left = a->due;
    for (size_t i = a->n; i-- > 0 && left > 0;) {
        int64_t take = a->bills[i].fen < left ? a->bills[i].fen : left;
        int64_t days = (a->to - a->bills[i].time_ms) / CLOCK_DAY_MS;
        int b = 0;
        while (b < AGE_BUCKETS - 1 && days > upto_days[b])
            b++;
        buckets[b] += take;
        left -= take;
    }
    if (left > 0) /* owed beyond any bill (a reversed payment) */
        buckets[AGE_BUCKETS - 1] += left;
}

static void ageing_row(table *t, const char *label, const int64_t *v)
{
    char nums[AGE_BUCKETS + 1][32];
    const char *cells[AGE_BUCKETS + 2] = {label};
    int64_t total = 0;
    for (int i = 0; i < AGE_BUCKETS; i++) {
        snprintf(nums[i], sizeof nums[i], "%" PRId64, v[i]);
        cells[i + 1] = nums[i];
        total += v[i];
    }
    snprintf(nums[AGE_BUCKETS], sizeof nums[AGE_BUCKETS], "%" PRId64, total);
    cells[AGE_BUCKETS + 1] = nums[AGE_BUCKETS];
    table_row(t, cells);
}

static storage_error report_ageing(storage_txn *txn, table *t, int64_t to,
                                   int64_t *billed, int64_t *owed)
{
    int64_t all[AGE_BUCKETS] = {0};
    arrears a;
    memset(&a, 0, sizeof a);
    a.to = to;
    storage_cursor *c = NULL;
    storage_val k;
    storage_error e = storage_cursor_open(txn, TABLE_HOUSEHOLDS, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, NULL);
    while (e == STORAGE_OK && k.len <= JIFEN_HOUSEHOLD_MAX && !a.nomem) {
        char h[JIFEN_HOUSEHOLD_MAX + 1];
        memcpy(h, k.data, k.len);
        h[k.len] = '\0';
        account_household_fee(h, a.fee);
        a.n = 0;
        a.due = 0;
        e = each_household_entry(txn, h, arrears_entry, &a);
        int64_t mine[AGE_BUCKETS] = {0};
        for (size_t i = 0; i < a.n; i++)
            *billed += a.bills[i].fen;
        if (e == STORAGE_OK && a.due > 0) {
            age(&a, mine);
            ageing_row(t, h, mine);
            for (int i = 0; i < AGE_BUCKETS; i++)
                all[i] += mine[i];
            *owed += a.due;
        }
        if (e == STORAGE_OK)
            e = storage_cursor_next(c, &k, NULL);
    }
    storage_cursor_close(&c);
    free(a.bills);
    ageing_row(t, "TOTAL", all);
    if (a.nomem)
        return STORAGE_FAILED;
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

/* --- trial balance -----------------------------------------------------------
 */

static storage_error report_trial_balance(storage_txn *txn, table *t,
                                          bool *balanced)
{
    uint64_t debits[3] = {0}, credits[3] = {0};
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
        debits[asset] += at.debits;
        credits[asset] += at.credits;
        snprintf(d, sizeof d, "%" PRIu64, at.debits);
        snprintf(cr, sizeof cr, "%" PRIu64, at.credits);
        snprintf(bal, sizeof bal, "%" PRId64,
                 (int64_t)(at.debits - at.credits));
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
                 (int64_t)(debits[a] - credits[a]));
        const char *cells[] = {label, codec_asset_name((jifen_asset)a), d, cr,
                               bal};
        table_row(t, cells);
        *balanced = *balanced && debits[a] == credits[a];
    }
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
    if (billed <= 0) {
        snprintf(out, cap, "-");
        return;
    }
    int64_t pm = (billed - owed) * 1000 / billed;
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
        return report_liability(txn, pol, t, from, to);
    }
    if (strcmp(kind, "ageing") == 0) {
        int64_t billed = 0, owed = 0;
        char rate[48];
        storage_error e = report_ageing(txn, t, to, &billed, &owed);
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
    if (e != STORAGE_OK || t.failed)
        refuse(result, JIFEN_STATUS_INTERNAL,
               "the report could not be made (storage or memory)");
    else
        result->status = JIFEN_STATUS_OK;
}
