/*
 * arrears - see arrears.h.
 */
#include "arrears.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arrears_reset(arrears *a)
{
    a->n = 0;
    a->credit = 0;
    a->nomem = false;
    a->overflow = false;
}

void arrears_free(arrears *a)
{
    free(a->charges);
    memset(a, 0, sizeof *a);
}

static void add_charge(arrears *a, uint64_t seq, int64_t time_ms,
                       uint64_t fen, const char *period, const char *item)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        arrears_charge *p = realloc(a->charges, cap * sizeof *p);
        if (!p) {
            a->nomem = true;
            return;
        }
        a->charges = p;
        a->cap = cap;
    }
    arrears_charge *c = &a->charges[a->n++];
    *c = (arrears_charge){.seq = seq, .time_ms = time_ms, .fen = fen,
                          .open = fen};
    snprintf(c->period, sizeof c->period, "%s", period ? period : "");
    snprintf(c->item, sizeof c->item, "%s", item ? item : "");
}

void arrears_bill(arrears *a, uint64_t seq, int64_t time_ms, uint64_t fen,
                  const char *period, const char *item)
{
    /* One entry may post to the fee account twice; it stays one charge. */
    if (a->n && a->charges[a->n - 1].seq == seq)
        arrears_add_u(&a->charges[a->n - 1].fen, fen, &a->overflow);
    else
        add_charge(a, seq, time_ms, fen, period, item);
}

bool arrears_unbill(arrears *a, uint64_t seq, uint64_t fen)
{
    /* Charges are in entry order: the reversed one by binary search. */
    size_t lo = 0, hi = a->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->charges[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == a->n || a->charges[lo].seq != seq || a->charges[lo].fen < fen)
        return false;
    a->charges[lo].fen -= fen;
    return true;
}

void arrears_pay(arrears *a, uint64_t fen)
{
    arrears_add_u(&a->credit, fen, &a->overflow);
}

void arrears_owe(arrears *a, uint64_t seq, int64_t time_ms, uint64_t fen)
{
    uint64_t back = fen < a->credit ? fen : a->credit;
    a->credit -= back;
    if (fen > back)
        add_charge(a, seq, time_ms, fen - back, NULL, NULL);
}

static int oldest_first(const void *x, const void *y)
{
    const arrears_charge *a = x, *b = y;
    /* A charge of no period (owed again without a bill) goes by its time
     * among the others of its month. */
    char pa[8], pb[8];
    if (a->period[0])
        memcpy(pa, a->period, sizeof pa);
    else
        clock_period_of(a->time_ms, pa);
    if (b->period[0])
        memcpy(pb, b->period, sizeof pb);
    else
        clock_period_of(b->time_ms, pb);
    int p = strcmp(pa, pb);
    if (p != 0)
        return p;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

uint64_t arrears_settle(arrears *a)
{
    /* Entry times rise with entry numbers on a sound clock; sorting makes
     * "oldest" mean the time whatever the clock did. */
    if (a->n > 1) /* (qsort of no array at all is undefined) */
        qsort(a->charges, a->n, sizeof *a->charges, oldest_first);
    uint64_t left = a->credit;
    for (size_t i = 0; i < a->n; i++) {
        arrears_charge *c = &a->charges[i];
        uint64_t take = c->fen < left ? c->fen : left;
        c->open = c->fen - take;
        left -= take;
    }
    return left;
}

/* The sum of each charge's fen, or of its open part; UINT64_MAX, which
 * no report figure (int64) can show, when it does not fit. */
static uint64_t sum_charges(const arrears *a, bool open)
{
    uint64_t s = 0;
    bool over = false;
    for (size_t i = 0; i < a->n; i++)
        arrears_add_u(&s, open ? a->charges[i].open : a->charges[i].fen,
                      &over);
    return over ? UINT64_MAX : s;
}

uint64_t arrears_billed(const arrears *a)
{
    return sum_charges(a, false);
}

uint64_t arrears_open(const arrears *a)
{
    return sum_charges(a, true);
}

int64_t arrears_age_days(int64_t time_ms, int64_t as_of_ms)
{
    return as_of_ms > time_ms ? (as_of_ms - time_ms) / CLOCK_DAY_MS : 0;
}

int arrears_bucket(int64_t time_ms, int64_t as_of_ms)
{
    static const int64_t upto_days[ARREARS_BUCKETS - 1] = {30, 90, 180};
    int64_t days = arrears_age_days(time_ms, as_of_ms);
    int b = 0;
    while (b < ARREARS_BUCKETS - 1 && days > upto_days[b])
        b++;
    return b;
}

void arrears_age(const arrears *a, int64_t as_of_ms,
                 uint64_t by_bucket[ARREARS_BUCKETS])
{
    for (size_t i = 0; i < a->n; i++)
        by_bucket[arrears_bucket(a->charges[i].time_ms, as_of_ms)] +=
            a->charges[i].open; /* <= arrears_open, which the caller checked */
}

/* --- checked arithmetic ----------------------------------------------------- */

void arrears_add(int64_t *acc, int64_t v, bool *over)
{
    int64_t s;
    if (__builtin_add_overflow(*acc, v, &s))
        *over = true;
    else
        *acc = s;
}

void arrears_add_u(uint64_t *acc, uint64_t v, bool *over)
{
    uint64_t s;
    if (__builtin_add_overflow(*acc, v, &s))
        *over = true;
    else
        *acc = s;
}

int64_t arrears_signed(uint64_t v, bool *over)
{
    if (v > (uint64_t)INT64_MAX) {
        *over = true;
        return 0;
    }
    return (int64_t)v;
}

int64_t arrears_diff(uint64_t a, uint64_t b, bool *over)
{
    int64_t d;
    if (__builtin_sub_overflow(a, b, &d)) {
        *over = true;
        return 0;
    }
    return d;
}

int64_t arrears_mul(int64_t a, int64_t b, bool *over)
{
    int64_t p;
    if (__builtin_mul_overflow(a, b, &p)) {
        *over = true;
        return 0;
    }
    return p;
}

int64_t arrears_permille(int64_t billed, int64_t open)
{
    if (billed <= 0)
        return -1;
    if (open < 0)
        open = 0;
    if (open > billed)
        open = billed;
    /* 128 bits: (billed - open) * 1000 needs 74 of them at the limit. */
    unsigned __int128 paid = (unsigned __int128)(billed - open) * 1000u;
    return (int64_t)(paid / (unsigned __int128)billed);
}
