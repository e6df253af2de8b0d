/*
 * dues - see dues.h.
 */
#include "dues.h"

#include "accounts.h"
#include "journal.h"

#include <string.h>

typedef struct {
    const dues_filter *f;
    storage_txn *txn;
    char fee[JIFEN_ACCOUNT_MAX + 1];
    arrears *a;
    storage_error err;
} walk;

/* Whether entry seq was reversed (the reversals table). */
static bool reversed(walk *w, uint64_t seq)
{
    uint8_t key[8];
    storage_val v;
    storage_be64_put(key, seq);
    storage_error e = storage_get(w->txn, TABLE_REVERSALS, key, sizeof key, &v);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND)
        w->err = e;
    return e == STORAGE_OK;
}

static bool counts(walk *w, const jifen_entry *e)
{
    const dues_filter *f = w->f;
    if ((f->before_ms && e->time_ms >= f->before_ms) ||
        (f->upto_seq && e->seq > f->upto_seq) || e->seq == f->skip_seq)
        return false;
    if (!f->skip_reversed)
        return true;
    return e->reverses == 0 && !reversed(w, e->seq);
}

static int visit(void *ctx, uint64_t seq, const storage_val *stored,
                 const jifen_entry *e)
{
    (void)seq;
    (void)stored;
    walk *w = ctx;
    bool checked = false, in = false;
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        bool debit = strcmp(p->debit, w->fee) == 0;
        if (!debit && strcmp(p->credit, w->fee) != 0)
            continue;
        if (!checked) { /* only entries on the fee account are judged */
            in = counts(w, e);
            checked = true;
        }
        if (!in)
            break;
        const char *other = debit ? p->credit : p->debit;
        bool bill = strcmp(other, ACCOUNT_FEE_INCOME) == 0;
        if (debit && bill && !e->reverses)
            arrears_bill(w->a, e->seq, e->time_ms, p->amount,
                         e->command.period, e->command.code);
        else if (debit) /* a refund, or a payment or offset taken back */
            arrears_owe(w->a, e->seq, e->time_ms, p->amount);
        else if (!(bill && e->reverses &&
                   arrears_unbill(w->a, e->reverses, p->amount)))
            arrears_pay(w->a, p->amount); /* paid, offset by points */
    }
    return w->err == STORAGE_OK ? 0 : -1;
}

storage_error dues_household(storage_txn *txn, const char *household,
                             const dues_filter *f, arrears *a)
{
    walk w = {.f = f, .txn = txn, .a = a, .err = STORAGE_OK};
    account_household_fee(household, w.fee);
    arrears_reset(a);
    storage_error e = journal_household(txn, household, false, visit, &w, NULL);
    return w.err != STORAGE_OK ? w.err : e;
}

storage_error dues_paid_on_time(storage_txn *txn, const char *household,
                                const char *period, int64_t deadline_ms,
                                uint64_t skip_seq, arrears *scratch,
                                bool *paid)
{
    dues_filter f = {.before_ms = deadline_ms,
                     .skip_seq = skip_seq,
                     .skip_reversed = true};
    *paid = false;
    storage_error e = dues_household(txn, household, &f, scratch);
    if (e != STORAGE_OK || scratch->nomem)
        return e != STORAGE_OK ? e : STORAGE_FAILED;
    arrears_settle(scratch);
    bool billed = false, open = false;
    for (size_t i = 0; i < scratch->n; i++) {
        const arrears_charge *c = &scratch->charges[i];
        if (strcmp(c->period, period) != 0 || c->fen == 0)
            continue;
        billed = true;
        open = open || c->open > 0;
    }
    *paid = billed && !open;
    return STORAGE_OK;
}
