/*
 * committee_reports - see committee_reports.h.
 */
#include "committee_reports.h"

#include "accounts.h"
#include "clock.h"
#include "codec.h"
#include "journal.h"
#include "market.h"
#include "mask.h"
#include "members.h"
#include "passbook.h"
#include "report_table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL (JIFEN_REPORT_CELL_MAX + 1)

static void num(char out[CELL], int64_t v)
{
    snprintf(out, CELL, "%" PRId64, v);
}


/* A household's points and fee accounts, to tell what an entry moved. */
typedef struct {
    char points[JIFEN_ACCOUNT_MAX + 1], fee[JIFEN_ACCOUNT_MAX + 1];
} household_accounts;

static void accounts_of(const char *household, household_accounts *a)
{
    account_household_points(household, a->points);
    account_household_fee(household, a->fee);
}

/* Points in (+) or out (-) of the household's points, and the change of
 * its fee due (+: owes more), by entry e. */
static void moved(const jifen_entry *e, const household_accounts *a,
                  int64_t *points, int64_t *fee)
{
    *points = *fee = 0;
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        int64_t v = (int64_t)p->amount; /* a command's amounts fit */
        if (strcmp(p->credit, a->points) == 0)
            *points += v;
        if (strcmp(p->debit, a->points) == 0)
            *points -= v;
        if (strcmp(p->debit, a->fee) == 0)
            *fee += v;
        if (strcmp(p->credit, a->fee) == 0)
            *fee -= v;
    }
}

/* What an entry was about, language-neutral: an activity (a release: its
 * award's), a rule, an item's name and quantity, a month, the entry a
 * reversal mirrors, a paper ledger's book and page. */
static void detail_of(storage_txn *txn, const jifen_entry *e, char out[CELL])
{
    const jifen_command *c = &e->command;
    market_item it;
    jifen_entry award;
    char text[256];
    text[0] = '\0';
    switch (c->kind) {
    case JIFEN_CMD_AWARD:
        if (c->name[0])
            snprintf(text, sizeof text, "%s: %s", c->code, c->name);
        else
            snprintf(text, sizeof text, "%s", c->code);
        break;
    case JIFEN_CMD_DEDUCT:
        snprintf(text, sizeof text, "%s", c->code);
        break;
    case JIFEN_CMD_BILL:
    case JIFEN_CMD_EXPIRE:
        snprintf(text, sizeof text, "%s", c->period);
        break;
    case JIFEN_CMD_REVERSE:
        snprintf(text, sizeof text, "%" PRIu64, e->reverses);
        break;
    case JIFEN_CMD_RELEASE: /* what the award it posts was for */
        if (journal_read(txn, c->entry, &award, false) == STORAGE_OK)
            snprintf(text, sizeof text, "%s", award.command.code);
        break;
    case JIFEN_CMD_OBJECT:
    case JIFEN_CMD_APPROVE:
    case JIFEN_CMD_PICKUP:
        snprintf(text, sizeof text, "%" PRIu64, c->entry);
        break;
    case JIFEN_CMD_GOODS_REDEEM:
        if (market_item_get(txn, c->code, &it) != STORAGE_OK)
            snprintf(it.name, sizeof it.name, "%s", c->code);
        snprintf(text, sizeof text, "%s x%" PRIu64, it.name, c->amount);
        break;
    case JIFEN_CMD_OPENING:
        snprintf(text, sizeof text, "%s p.%u", c->name, c->limit);
        break;
    case JIFEN_CMD_MEMBER_SET:
        snprintf(text, sizeof text, "%s", c->code);
        break;
    default:
        break;
    }
    table_cell_copy(out, text);
}

/* The member an entry names; for a release, its award's. */
static void member_of(storage_txn *txn, const jifen_entry *e, char *member,
                      char *proxy)
{
    jifen_entry award;
    const jifen_entry *src = e;
    if (e->command.kind == JIFEN_CMD_RELEASE &&
        journal_read(txn, e->command.entry, &award, false) == STORAGE_OK)
        src = &award;
    snprintf(member, JIFEN_NAME_MAX + 1, "%s", src->command.member);
    snprintf(proxy, JIFEN_NAME_MAX + 1, "%s", src->command.proxy);
}

/* --- members ------------------------------------------------------------------ */

typedef struct {
    storage_txn *txn;
    const char *household;
    table *t;
    char acts_for[512];
} members_walk;

static int add_acts_for(void *ctx, const char *member, const proxy_record *r)
{
    (void)r;
    members_walk *w = ctx;
    size_t n = strlen(w->acts_for);
    snprintf(w->acts_for + n, sizeof w->acts_for - n, "%s%s", n ? "," : "",
             member);
    return 0;
}

static int member_row(void *ctx, const member_record *m)
{
    members_walk *w = ctx;
    char phone[CELL], added[CELL];
    notice_mask_phone(m->phone, phone, sizeof phone);
    num(added, (int64_t)m->added);
    w->acts_for[0] = '\0';
    if (proxy_each_of(w->txn, w->household, m->name, add_acts_for, w) !=
        STORAGE_OK)
        return -1;
    const char *cells[] = {m->name, m->relation, phone,
                           m->left ? "left" : "present", added, w->acts_for};
    table_row(w->t, cells);
    return 0;
}

static storage_error report_members(storage_txn *txn, const char *household,
                                    table *t)
{
    members_walk w = {txn, household, t, {0}};
    table_title(t, "members of %s", household);
    return members_each(txn, household, member_row, &w);
}

/* --- statement lines ------------------------------------------------------------ */

typedef struct {
    storage_txn *txn;
    table *t;
    household_accounts a;
    int64_t from, to;
} lines_walk;

static int statement_line(void *ctx, uint64_t seq, const storage_val *stored,
                          const jifen_entry *e)
{
    (void)stored;
    lines_walk *w = ctx;
    if (e->time_ms < w->from || e->time_ms >= w->to)
        return 0;
    int64_t points, fee;
    moved(e, &w->a, &points, &fee);
    char s_seq[CELL], s_time[CELL], detail[CELL], s_points[CELL], s_fee[CELL];
    char member[JIFEN_NAME_MAX + 1], proxy[JIFEN_NAME_MAX + 1];
    num(s_seq, (int64_t)seq);
    num(s_time, e->time_ms);
    num(s_points, points);
    num(s_fee, fee);
    detail_of(w->txn, e, detail);
    member_of(w->txn, e, member, proxy);
    const char *cells[] = {s_seq, s_time, codec_command_name(e->command.kind),
                           detail, member, proxy, s_points, s_fee};
    table_row(w->t, cells);
    return 0;
}

static storage_error report_lines(storage_txn *txn, const char *household,
                                  table *t, int64_t from, int64_t to,
                                  const char *period)
{
    lines_walk w = {txn, t, {{0}, {0}}, from, to};
    accounts_of(household, &w.a);
    table_title(t, "entries of %s in %s", household, period);
    return journal_household(txn, household, false, statement_line, &w, NULL);
}

/* --- passbook ---------------------------------------------------------------------- */

typedef struct {
    storage_txn *txn;
    table *t;
    household_accounts a;
    uint64_t after, through; /* lines of entries in (after, through] */
    int64_t balance, line;
} passbook_walk;

static int passbook_line(void *ctx, uint64_t seq, const storage_val *stored,
                         const jifen_entry *e)
{
    (void)stored;
    passbook_walk *w = ctx;
    int64_t points, fee;
    moved(e, &w->a, &points, &fee);
    if (points == 0)
        return 0; /* a passbook holds points only */
    w->balance += points;
    w->line++;
    if (seq <= w->after)
        return 0;
    if (seq > w->through)
        return 1;
    char s_line[CELL], s_seq[CELL], date[CELL], detail[CELL], in[CELL],
        out[CELL], bal[CELL];
    num(s_line, w->line);
    num(s_seq, (int64_t)seq);
    clock_date_text(e->time_ms, date);
    num(in, points > 0 ? points : 0);
    num(out, points < 0 ? -points : 0);
    num(bal, w->balance);
    detail_of(w->txn, e, detail);
    const char *cells[] = {s_line, s_seq, date,
                           codec_command_name(e->command.kind),
                           detail, in, out, bal};
    table_row(w->t, cells);
    return 0;
}

static storage_error report_passbook(storage_txn *txn, const char *household,
                                     uint64_t from, table *t)
{
    passbook_mark m;
    storage_error e = passbook_get(txn, household, &m);
    if (e != STORAGE_OK)
        return e;
    passbook_walk w = {txn, t, {{0}, {0}}, m.through, UINT64_MAX, 0, 0};
    accounts_of(household, &w.a);
    if (from) { /* a reprint: from there up to where the last print ended */
        w.after = from - 1;
        w.through = m.through;
    }
    table_title(t, "passbook of %s, printed through entry %" PRIu64
                   " (%" PRIu64 " lines)",
                household, m.through, m.lines);
    return journal_household(txn, household, false, passbook_line, &w, NULL);
}

/* --- honour board ---------------------------------------------------------------- */

typedef struct {
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char name[JIFEN_NAME_MAX + 1]; /* the household's, or the member's */
    char member[JIFEN_NAME_MAX + 1];
    int64_t month, year;
} honour_score;

typedef struct {
    honour_score *v;
    size_t n, cap;
    bool nomem;
} score_list;

static honour_score *score_of(score_list *l, const char *household,
                              const char *member)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].household, household) == 0 &&
            strcmp(l->v[i].member, member) == 0)
            return &l->v[i];
    honour_score *v = table_room_for(l->v, &l->cap, l->n, sizeof *l->v);
    if (!v) {
        l->nomem = true;
        return NULL;
    }
    l->v = v;
    honour_score *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->household, sizeof s->household, "%s", household);
    snprintf(s->member, sizeof s->member, "%s", member);
    return s;
}

typedef struct {
    storage_txn *txn;
    household_accounts a;
    int64_t month_from, year_from, to;
    const char *household;
    score_list *members; /* this household's, appended */
    honour_score *mine;
} honour_walk;

static bool reversed(storage_txn *txn, uint64_t seq)
{
    uint8_t key[8];
    storage_val v;
    storage_be64_put(key, seq);
    return storage_get(txn, TABLE_REVERSALS, key, 8, &v) == STORAGE_OK;
}

/* Points earned: an award posted at once, or the release of one after its
 * notice, in the window; an award reversed since does not count. */
static int honour_entry(void *ctx, uint64_t seq, const storage_val *stored,
                        const jifen_entry *e)
{
    (void)stored;
    honour_walk *w = ctx;
    jifen_command_kind k = e->command.kind;
    if (e->time_ms < w->year_from || e->time_ms >= w->to ||
        (k != JIFEN_CMD_AWARD && k != JIFEN_CMD_RELEASE))
        return 0;
    int64_t points, fee;
    moved(e, &w->a, &points, &fee);
    uint64_t award = k == JIFEN_CMD_AWARD ? seq : e->command.entry;
    if (points <= 0 || reversed(w->txn, award))
        return 0;
    char member[JIFEN_NAME_MAX + 1], proxy[JIFEN_NAME_MAX + 1];
    member_of(w->txn, e, member, proxy);
    bool month = e->time_ms >= w->month_from;
    w->mine->year += points;
    w->mine->month += month ? points : 0;
    if (!member[0])
        return 0;
    honour_score *m = score_of(w->members, w->household, member);
    if (!m)
        return -1;
    snprintf(m->name, sizeof m->name, "%s", member);
    m->year += points;
    m->month += month ? points : 0;
    return 0;
}

static int by_month(const void *a, const void *b)
{
    const honour_score *x = a, *y = b;
    if (x->month != y->month)
        return x->month > y->month ? -1 : 1;
    int c = strcmp(x->household, y->household);
    return c ? c : strcmp(x->member, y->member);
}

static int by_year(const void *a, const void *b)
{
    const honour_score *x = a, *y = b;
    if (x->year != y->year)
        return x->year > y->year ? -1 : 1;
    int c = strcmp(x->household, y->household);
    return c ? c : strcmp(x->member, y->member);
}

/* The first HONOUR_TOP of a list by one figure, ranked as in sport (equal
 * points, equal rank: 1, 1, 3). */
static void honour_board(table *t, score_list *l, const char *board,
                         bool year)
{
    if (l->n == 0)
        return; /* nobody earned anything: l->v is NULL, which qsort must
                 * not be given even for no elements (UBSan: nonnull) */
    qsort(l->v, l->n, sizeof *l->v, year ? by_year : by_month);
    int64_t rank = 0, last = -1;
    for (size_t i = 0; i < l->n && i < HONOUR_TOP; i++) {
        const honour_score *s = &l->v[i];
        int64_t points = year ? s->year : s->month;
        if (points <= 0)
            break;
        if (points != last)
            rank = (int64_t)i + 1;
        last = points;
        char s_rank[CELL], s_points[CELL], hh[CELL], name[CELL], member[CELL];
        num(s_rank, rank);
        num(s_points, points);
        notice_mask_household(s->household, hh, sizeof hh);
        notice_mask_name(s->name, name, sizeof name);
        notice_mask_name(s->member, member, sizeof member);
        const char *cells[] = {board, s_rank, hh, name, member, s_points};
        table_row(t, cells);
    }
}

static storage_error report_honour(storage_txn *txn, table *t, int64_t from,
                                   int64_t to, const char *period)
{
    score_list households = {0}, members = {0};
    honour_walk w = {.txn = txn, .month_from = from,
                     .year_from = clock_year_start_ms(from), .to = to,
                     .members = &members};
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error e = storage_cursor_open(txn, TABLE_HOUSEHOLDS, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, &v);
    while (e == STORAGE_OK && !households.nomem && !members.nomem) {
        char code[JIFEN_HOUSEHOLD_MAX + 1];
        if (k.len > JIFEN_HOUSEHOLD_MAX || v.len < 12) {
            e = STORAGE_CORRUPT;
            break;
        }
        memcpy(code, k.data, k.len);
        code[k.len] = '\0';
        honour_score *mine = score_of(&households, code, "");
        if (!mine)
            break;
        /* The household record: be64 entry, be32 area, then the name. */
        size_t n = v.len - 12 < JIFEN_NAME_MAX ? v.len - 12 : JIFEN_NAME_MAX;
        memcpy(mine->name, (const uint8_t *)v.data + 12, n);
        mine->name[n] = '\0';
        accounts_of(code, &w.a);
        w.household = code;
        w.mine = mine;
        e = journal_household(txn, code, false, honour_entry, &w, NULL);
        if (e == STORAGE_OK)
            e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    if (e == STORAGE_NOT_FOUND)
        e = STORAGE_OK;
    if (households.nomem || members.nomem)
        e = STORAGE_FAILED;
    if (e == STORAGE_OK) {
        char year[5];
        snprintf(year, sizeof year, "%.4s", period);
        table_title(t, "honour board for %s and %s", period, year);
        honour_board(t, &households, "month-household", false);
        honour_board(t, &members, "month-member", false);
        honour_board(t, &households, "year-household", true);
        honour_board(t, &members, "year-member", true);
    }
    free(households.v);
    free(members.v);
    return e;
}

/* --- the supermarket ------------------------------------------------------------ */

static int stock_row(void *ctx, const market_item *it)
{
    table *t = ctx;
    char price[CELL], stock[CELL], value[CELL];
    num(price, (int64_t)it->price);
    num(stock, (int64_t)it->stock);
    num(value, (int64_t)it->value_fen);
    const char *cells[] = {it->code, it->name, price, stock,
                           jifen_funder_kind_name(it->funder_kind),
                           it->funder, value,
                           it->withdrawn ? "withdrawn" : "on-sale"};
    table_row(t, cells);
    return 0;
}

typedef struct {
    char code[JIFEN_CODE_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    int64_t redemptions, quantity, points, value, handed, waiting;
} item_sums;

typedef struct {
    storage_txn *txn;
    int64_t from, to;
    item_sums *v;
    size_t n, cap;
    bool nomem;
} redemption_walk;

static int add_item(void *ctx, const market_item *it)
{
    redemption_walk *w = ctx;
    item_sums *v = table_room_for(w->v, &w->cap, w->n, sizeof *w->v);
    if (!v) {
        w->nomem = true;
        return -1;
    }
    w->v = v;
    memset(&w->v[w->n], 0, sizeof *w->v);
    snprintf(w->v[w->n].code, sizeof w->v[w->n].code, "%s", it->code);
    snprintf(w->v[w->n].name, sizeof w->v[w->n].name, "%s", it->name);
    w->n++;
    return 0;
}

static int redemption_entry(void *ctx, uint64_t seq, const storage_val *stored,
                            const jifen_entry *e)
{
    (void)stored;
    redemption_walk *w = ctx;
    if (e->command.kind != JIFEN_CMD_GOODS_REDEEM || e->time_ms < w->from ||
        e->time_ms >= w->to)
        return 0;
    market_goods g;
    if (market_goods_get(w->txn, seq, &g) != STORAGE_OK)
        return -1;
    if (g.reversed)
        return 0; /* undone: nothing was redeemed */
    for (size_t i = 0; i < w->n; i++) {
        item_sums *s = &w->v[i];
        if (strcmp(s->code, e->command.code) != 0)
            continue;
        s->redemptions++;
        s->quantity += (int64_t)e->command.amount;
        s->points += (int64_t)e->postings[0].amount;
        s->value += e->n_postings > 1 ? (int64_t)e->postings[1].amount : 0;
        if (g.pickup)
            s->handed += (int64_t)g.quantity;
        else
            s->waiting += (int64_t)g.quantity;
    }
    return 0;
}

static void redemption_row(table *t, const item_sums *s)
{
    char f[6][CELL];
    num(f[0], s->redemptions);
    num(f[1], s->quantity);
    num(f[2], s->points);
    num(f[3], s->value);
    num(f[4], s->handed);
    num(f[5], s->waiting);
    const char *cells[] = {s->code, s->name, f[0], f[1], f[2], f[3], f[4], f[5]};
    table_row(t, cells);
}

static storage_error report_redemptions(storage_txn *txn, table *t,
                                        int64_t from, int64_t to,
                                        const char *period)
{
    redemption_walk w = {.txn = txn, .from = from, .to = to};
    table_title(t, "redemptions of goods in %s", period);
    storage_error e = market_items_each(txn, add_item, &w);
    if (e == STORAGE_OK)
        e = journal_foreach(txn, 1, true, redemption_entry, &w, NULL);
    item_sums total = {.code = "TOTAL"};
    for (size_t i = 0; e == STORAGE_OK && i < w.n; i++) {
        const item_sums *s = &w.v[i];
        if (s->redemptions == 0)
            continue;
        redemption_row(t, s);
        total.redemptions += s->redemptions;
        total.quantity += s->quantity;
        total.points += s->points;
        total.value += s->value;
        total.handed += s->handed;
        total.waiting += s->waiting;
    }
    if (e == STORAGE_OK)
        redemption_row(t, &total);
    free(w.v);
    return w.nomem ? STORAGE_FAILED : e;
}

typedef struct {
    market_funder f;
    char account[JIFEN_ACCOUNT_MAX + 1];
    int64_t booked, paid, owed;
} funder_sums;

typedef struct {
    int64_t from, to;
    funder_sums *v;
    size_t n, cap;
    bool nomem;
} funder_walk;

static int add_funder(void *ctx, const market_funder *f)
{
    funder_walk *w = ctx;
    funder_sums *v = table_room_for(w->v, &w->cap, w->n, sizeof *w->v);
    if (!v) {
        w->nomem = true;
        return -1;
    }
    w->v = v;
    memset(&w->v[w->n], 0, sizeof *w->v);
    w->v[w->n].f = *f;
    market_funder_account(f->code, w->v[w->n].account);
    w->n++;
    return 0;
}

/* Booked: the goods' value credited to the funder (a reversal takes it
 * back); paid: what the scheme paid it. */
static int funder_entry(void *ctx, uint64_t seq, const storage_val *stored,
                        const jifen_entry *e)
{
    (void)seq;
    (void)stored;
    funder_walk *w = ctx;
    if (e->time_ms >= w->to)
        return 1;
    bool in = e->time_ms >= w->from;
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        if (p->asset != JIFEN_ASSET_FEE ||
            (strncmp(p->credit, MARKET_FUNDER_ACCOUNT_PREFIX, 7) != 0 &&
             strncmp(p->debit, MARKET_FUNDER_ACCOUNT_PREFIX, 7) != 0))
            continue;
        for (size_t j = 0; j < w->n; j++) {
            funder_sums *s = &w->v[j];
            bool credit = strcmp(p->credit, s->account) == 0;
            bool debit = strcmp(p->debit, s->account) == 0;
            if (!credit && !debit)
                continue;
            int64_t a = (int64_t)p->amount * (credit ? 1 : -1);
            s->owed += a;
            const char *other = credit ? p->debit : p->credit;
            if (!in)
                continue;
            if (strcmp(other, ACCOUNT_FUNDER_PAID) == 0)
                s->paid -= a;
            else
                s->booked += a;
        }
    }
    return 0;
}

/* Owed to the funder, or (a redemption it was paid for reversed before
 * the pickup) owed back by it: never a negative debt, as the liability
 * report shows the property company's (docs/policy.md). */
static void funder_row(table *t, const char *code, const char *kind,
                       const char *name, int64_t booked, int64_t paid,
                       int64_t owed, int64_t overpaid)
{
    char f[4][CELL];
    num(f[0], booked);
    num(f[1], paid);
    num(f[2], owed);
    num(f[3], overpaid);
    const char *cells[] = {code, kind, name, f[0], f[1], f[2], f[3]};
    table_row(t, cells);
}

static storage_error report_funders(storage_txn *txn, table *t, int64_t from,
                                    int64_t to, const char *period)
{
    funder_walk w = {.from = from, .to = to};
    char date[CLOCK_DATE_LEN + 1];
    clock_date_text(to - 1, date);
    table_title(t, "goods booked to the funders in %s, owed as of the end of %s",
                period, date);
    storage_error e = market_funders_each(txn, add_funder, &w);
    if (e == STORAGE_OK)
        e = journal_foreach(txn, 1, true, funder_entry, &w, NULL);
    /* One funder's overpayment is not another's debt: summed apart. */
    int64_t booked = 0, paid = 0, owed = 0, overpaid = 0;
    for (size_t i = 0; e == STORAGE_OK && i < w.n; i++) {
        const funder_sums *s = &w.v[i];
        char name[CELL];
        table_cell_copy(name, s->f.name);
        int64_t o = s->owed > 0 ? s->owed : 0, back = s->owed < 0 ? -s->owed : 0;
        funder_row(t, s->f.code, jifen_funder_kind_name(s->f.kind), name,
                   s->booked, s->paid, o, back);
        booked += s->booked;
        paid += s->paid;
        owed += o;
        overpaid += back;
    }
    if (e == STORAGE_OK)
        funder_row(t, "TOTAL", "", "", booked, paid, owed, overpaid);
    free(w.v);
    return w.nomem ? STORAGE_FAILED : e;
}

typedef struct {
    storage_txn *txn;
    table *t;
} pickup_walk;

static int pickup_row(void *ctx, const market_goods *g)
{
    pickup_walk *w = ctx;
    jifen_entry e;
    market_item it;
    if (journal_read(w->txn, g->entry, &e, false) != STORAGE_OK)
        return -1;
    if (market_item_get(w->txn, g->item, &it) != STORAGE_OK)
        snprintf(it.name, sizeof it.name, "%s", g->item);
    char s_seq[CELL], s_time[CELL], qty[CELL];
    num(s_seq, (int64_t)g->entry);
    num(s_time, e.time_ms);
    num(qty, (int64_t)g->quantity);
    const char *cells[] = {s_seq, s_time, g->household, g->item, it.name,
                           qty, e.command.member, e.command.proxy};
    table_row(w->t, cells);
    return 0;
}

/* --- the query ------------------------------------------------------------------ */

static const char *const MEMBER_COLUMNS[] = {"member", "relation", "phone",
                                             "state", "added", "acts_for"};
static const char *const LINE_COLUMNS[] = {
    "entry", "time_ms", "command", "detail",
    "member", "proxy", "points", "fee_fen"};
static const char *const PASSBOOK_COLUMNS[] = {
    "line", "entry", "date", "command", "detail",
    "points_in", "points_out", "balance"};
static const char *const HONOUR_COLUMNS[] = {"board", "rank", "household",
                                             "name", "member", "points"};
static const char *const STOCK_COLUMNS[] = {
    "item", "name", "price", "stock", "funder_kind", "funder", "value_fen",
    "state"};
static const char *const REDEMPTION_COLUMNS[] = {
    "item", "name", "redemptions", "quantity", "points", "value_fen",
    "handed_over", "waiting"};
static const char *const FUNDER_COLUMNS[] = {
    "funder", "funder_kind", "name", "booked_fen", "settled_fen", "owed_fen",
    "overpaid_fen"};
static const char *const PICKUP_COLUMNS[] = {
    "entry", "time_ms", "household", "item", "name", "quantity",
    "member", "proxy"};

typedef struct {
    const char *kind;
    const char *const *cols;
    size_t n;
    bool household; /* of one household */
    bool pass;      /* reads the whole ledger */
} committee_kind;

#define KIND(k, cols, hh, pass) {k, cols, sizeof cols / sizeof *cols, hh, pass}

static const committee_kind KINDS[] = {
    KIND("members", MEMBER_COLUMNS, true, false),
    KIND("statement-lines", LINE_COLUMNS, true, false),
    KIND("passbook", PASSBOOK_COLUMNS, true, false),
    KIND("honour", HONOUR_COLUMNS, false, true),
    KIND("stock", STOCK_COLUMNS, false, false),
    KIND("redemptions", REDEMPTION_COLUMNS, false, true),
    KIND("funders", FUNDER_COLUMNS, false, true),
    KIND("pickups", PICKUP_COLUMNS, false, false),
};

static const committee_kind *kind_of(const char *code)
{
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        if (strcmp(KINDS[i].kind, code) == 0)
            return &KINDS[i];
    return NULL;
}

bool committee_report_is_small(const char *kind)
{
    const committee_kind *k = kind_of(kind);
    return k && !k->pass;
}

static void refuse(jifen_result *r, jifen_status s, const char *why)
{
    r->status = s;
    snprintf(r->error, sizeof r->error, "%s", why);
}

static storage_error run(storage_txn *txn, const jifen_command *cmd,
                         table *t, int64_t from, int64_t to,
                         const char *period)
{
    const char *kind = cmd->code;
    if (strcmp(kind, "members") == 0)
        return report_members(txn, cmd->household, t);
    if (strcmp(kind, "statement-lines") == 0)
        return report_lines(txn, cmd->household, t, from, to, period);
    if (strcmp(kind, "passbook") == 0)
        return report_passbook(txn, cmd->household, cmd->entry, t);
    if (strcmp(kind, "honour") == 0)
        return report_honour(txn, t, from, to, period);
    if (strcmp(kind, "redemptions") == 0)
        return report_redemptions(txn, t, from, to, period);
    if (strcmp(kind, "funders") == 0)
        return report_funders(txn, t, from, to, period);
    if (strcmp(kind, "stock") == 0) {
        table_title(t, "the supermarket's catalogue");
        return market_items_each(txn, stock_row, t);
    }
    pickup_walk w = {txn, t};
    table_title(t, "goods waiting to be picked up");
    return market_goods_waiting(txn, pickup_row, &w);
}

bool committee_reports_run(storage_txn *txn, const jifen_command *cmd,
                           const policy *pol, int64_t now_ms,
                           jifen_result *result)
{
    (void)pol;
    const committee_kind *k = kind_of(cmd->code);
    if (!k)
        return false;
    if (k->household != (cmd->household[0] != '\0')) {
        refuse(result, JIFEN_STATUS_BAD_REQUEST,
               k->household ? "this report is of one household: give it"
                            : "this report is of the community, not of a "
                              "household");
        return true;
    }
    if (cmd->entry && strcmp(k->kind, "passbook") != 0) {
        refuse(result, JIFEN_STATUS_BAD_REQUEST,
               "from_entry: only a passbook reprint starts at an entry");
        return true;
    }
    int64_t from = clock_month_start_ms(now_ms);
    if (cmd->period[0] && clock_parse_period(cmd->period, &from) != 0) {
        refuse(result, JIFEN_STATUS_BAD_REQUEST, "period: YYYY-MM");
        return true;
    }
    char period[CLOCK_PERIOD_LEN + 1];
    clock_period_of(from, period);
    if (k->household) {
        storage_val v;
        storage_error e = storage_get(txn, TABLE_HOUSEHOLDS, cmd->household,
                                      strlen(cmd->household), &v);
        if (e == STORAGE_NOT_FOUND) {
            result->status = JIFEN_STATUS_UNKNOWN_HOUSEHOLD;
            snprintf(result->error, sizeof result->error,
                     "household %s is not registered", cmd->household);
            return true;
        }
    }
    table t;
    if (!table_start(&t, result, k->cols, k->n)) {
        refuse(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return true;
    }
    storage_error e =
        run(txn, cmd, &t, from, clock_next_month_start_ms(from), period);
    if (e != STORAGE_OK || t.failed) {
        codec_result_clear(result);
        refuse(result, JIFEN_STATUS_INTERNAL,
               "the report could not be made (storage or memory)");
    } else {
        result->status = JIFEN_STATUS_OK;
    }
    return true;
}
