/*
 * totals - the account totals of the write transaction, kept in the
 * writer's scratch and written back once at the commit
 * (ledger_internal.h).
 *
 * Why: every award reads and rewrites the shared
 * community/points-issued record and the household's points, and every
 * bill community/fee-income and the household's fee; the household's
 * account is read by the decision, then again by the apply. Each of those
 * was a B-tree descent (and a put, a second descent) per command: 2-3
 * gets and 2 puts of the committer's ~7 gets and ~5 puts per entry
 * (docs/performance.md, session 4). Here a group of 30 awards reads the
 * issued-points record once and writes it once.
 *
 * What is stored does not change: at the commit every account touched
 * holds the totals the puts one by one would have left, and an account
 * only read is not written (as before). Account names fit a slot: they
 * come from postings and household codes, at most JIFEN_ACCOUNT_MAX. Nothing else reads or writes the
 * account records inside a write transaction (the history index,
 * counters and lots are other keys of the table), so no reader can see a
 * value that is not yet put. A full table writes the oldest-placed entry
 * of a home back and reuses its slot: the cache is an optimisation, never
 * a limit.
 */
#include "ledger_internal.h"

#include "keyspace.h"

#include <string.h>

static size_t home_of(const char *account, size_t len)
{
    /* FNV-1a: account names are short. */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)account[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29)) & (TOTALS_SLOTS - 1);
}

void totals_init(totals_cache *c)
{
    memset(c->slots, 0, sizeof c->slots);
}

static void write_back(storage_txn *txn, const totals_slot *s)
{
    uint8_t rec[BALANCE_RECORD_LEN];
    account_totals_encode(&s->t, rec);
    storage_put(txn, TABLE_BALANCES, s->name, s->len, rec, sizeof rec,
                STORAGE_PUT_OVERWRITE);
}

/* The slot holding `account`, or the slot it is to go in (emptied, the
 * one there written back first when dirty). */
static totals_slot *slot_for(totals_cache *c, storage_txn *txn,
                             const char *account, size_t len, bool *found)
{
    size_t home = home_of(account, len);
    for (size_t i = 0; i < TOTALS_PROBE; i++) {
        totals_slot *s = &c->slots[(home + i) & (TOTALS_SLOTS - 1)];
        if (!s->used) {
            *found = false;
            return s;
        }
        if (s->len == len && memcmp(s->name, account, len) == 0) {
            *found = true;
            return s;
        }
    }
    totals_slot *victim = &c->slots[home];
    if (victim->dirty)
        write_back(txn, victim);
    victim->used = false;
    *found = false;
    return victim;
}

/* The slot of `account` with its totals in it (read from the table when
 * it was not kept); NULL with *e set on a storage failure. */
static totals_slot *load(totals_cache *c, storage_txn *txn,
                         const char *account, size_t len, storage_error *e)
{
    bool found;
    totals_slot *s = slot_for(c, txn, account, len, &found);
    *e = STORAGE_OK;
    if (found)
        return s;
    account_totals t;
    if ((*e = ledger_get_totals(txn, account, &t)) != STORAGE_OK)
        return NULL;
    memcpy(s->name, account, len);
    s->len = len;
    s->t = t;
    s->used = true;
    s->dirty = false;
    return s;
}

storage_error totals_get(totals_cache *c, storage_txn *txn,
                         const char *account, account_totals *t)
{
    size_t len = strnlen(account, JIFEN_ACCOUNT_MAX);
    storage_error e;
    totals_slot *s = load(c, txn, account, len, &e);
    if (s)
        *t = s->t;
    return e;
}

storage_error totals_add(totals_cache *c, storage_txn *txn,
                         const char *account, uint64_t debit, uint64_t credit)
{
    size_t len = strnlen(account, JIFEN_ACCOUNT_MAX);
    storage_error e;
    totals_slot *s = load(c, txn, account, len, &e);
    if (!s)
        return e;
    s->t.debits += debit;
    s->t.credits += credit;
    s->dirty = true;
    return STORAGE_OK;
}

/* Keeps totals read from the table in the slot for `account`. */
static void keep(totals_cache *c, storage_txn *txn, const char *account,
                 size_t len, const account_totals *t)
{
    bool found;
    totals_slot *s = slot_for(c, txn, account, len, &found);
    if (found)
        return;
    memcpy(s->name, account, len);
    s->len = len;
    s->t = *t;
    s->used = true;
    s->dirty = false;
}

storage_error totals_get_sorted(totals_cache *c, storage_txn *txn,
                                const char *const *accounts, size_t n,
                                account_totals *t)
{
    const char *missing[LEDGER_SORTED_MAX];
    size_t where[LEDGER_SORTED_MAX], m = 0;
    account_totals read[LEDGER_SORTED_MAX];
    if (n > LEDGER_SORTED_MAX)
        return STORAGE_FAILED;
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen(accounts[i], JIFEN_ACCOUNT_MAX);
        bool found;
        totals_slot *s = slot_for(c, txn, accounts[i], len, &found);
        if (found) {
            t[i] = s->t;
        } else {
            missing[m] = accounts[i];
            where[m++] = i;
        }
    }
    if (m == 0)
        return STORAGE_OK;
    storage_error e = ledger_get_totals_sorted(txn, missing, m, read);
    for (size_t j = 0; e == STORAGE_OK && j < m; j++) {
        t[where[j]] = read[j];
        keep(c, txn, missing[j], strnlen(missing[j], JIFEN_ACCOUNT_MAX),
             &read[j]);
    }
    return e;
}

void totals_flush(totals_cache *c, storage_txn *txn)
{
    for (size_t i = 0; i < TOTALS_SLOTS; i++) {
        totals_slot *s = &c->slots[i];
        if (s->used && s->dirty) {
            write_back(txn, s);
            s->dirty = false;
        }
    }
}
