/*
 * arrears - what a household owes, bill by bill, and how old each part is:
 * the one definition of "billed" and of a bill's age that every report
 * uses (reports.c), and the checked arithmetic of report totals.
 *
 * A household's fee account is a list of charges (bills) and a pool of
 * credit (payments, points offsets). A reversed bill is no charge: its
 * reversal takes it out (arrears_unbill), so neither counts as billed; a
 * reversed payment or offset takes its credit back out of the pool. Credit
 * settles the oldest charges first, whenever it was paid (money paid ahead
 * settles the next bills). What is left open of each charge is aged by that
 * charge's own entry time.
 *
 * Settlement is per charge, and a charge knows its period and fee item
 * (the property desk, docs/desk.md), so what a payment paid, the arrears
 * per item and period and whether a month was paid on time all come from
 * this one settlement (dues.h walks a household's entries into it).
 *
 * Pure: no storage, no clock. Amounts in fen.
 */
#ifndef JIFEN_ARREARS_H
#define JIFEN_ARREARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The ageing's columns: 0-30, 31-90, 91-180 and over 180 days. */
#define ARREARS_BUCKETS 4

typedef struct {
    uint64_t seq;    /* the entry that charged it */
    int64_t time_ms; /* ... and when: its age counts from here */
    uint64_t fen;    /* what stands of it (a reversal takes it out) */
    uint64_t open;   /* what credit left of it, after arrears_settle */
    char period[8];  /* the month it bills, YYYY-MM ("" for none) */
    char item[33];   /* its fee item ("" for a bill of an amount) */
} arrears_charge;

typedef struct {
    arrears_charge *charges; /* in entry order until settled */
    size_t n, cap;
    uint64_t credit; /* paid and offset, not yet settled against charges */
    bool nomem;      /* a charge could not be kept */
    bool overflow;   /* a sum did not fit 64 bits */
} arrears;

/* Empties a (keeping its memory) / frees it. */
void arrears_reset(arrears *a);
void arrears_free(arrears *a);

/* Entry `seq` at time_ms charged fen (a bill) for `period` and fee `item`
 * (either may be "" or NULL). */
void arrears_bill(arrears *a, uint64_t seq, int64_t time_ms, uint64_t fen,
                  const char *period, const char *item);
/* A reversal of entry `seq` took back fen of what it charged. Returns
 * false when `seq` charged nothing here (the caller counts it as credit). */
bool arrears_unbill(arrears *a, uint64_t seq, uint64_t fen);
/* Paid, or offset by points. */
void arrears_pay(arrears *a, uint64_t fen);
/* Owed again without a bill: a payment or an offset reversed takes its
 * credit back; beyond the credit there is (no command does that today) it
 * is a charge of its own at time_ms. */
void arrears_owe(arrears *a, uint64_t seq, int64_t time_ms, uint64_t fen);

/* Applies the credit to the charges, oldest first: by the period they
 * bill, then by time, then by entry (a late bill of an older month is
 * older than this month's, and a month's items settle in the order they
 * were billed);
 * fills each charge's `open` and leaves the charges in that order (so no
 * arrears_unbill after it). Returns what credit is left (paid ahead). */
uint64_t arrears_settle(arrears *a);

/* Everything billed that stands, and what is open of it after settling;
 * UINT64_MAX when the sum does not fit (arrears_signed flags it). */
uint64_t arrears_billed(const arrears *a);
uint64_t arrears_open(const arrears *a);

/* Whole days from time_ms to as_of_ms (as_of_ms > time_ms), and the
 * ageing column of a bill of that age. */
int64_t arrears_age_days(int64_t time_ms, int64_t as_of_ms);
int arrears_bucket(int64_t time_ms, int64_t as_of_ms);
/* Adds the open part of each charge into by_bucket[] by its age. */
void arrears_age(const arrears *a, int64_t as_of_ms,
                 uint64_t by_bucket[ARREARS_BUCKETS]);

/* --- checked arithmetic for report totals ------------------------------- */

/* *acc += v; on overflow *acc is left and *over set. */
void arrears_add(int64_t *acc, int64_t v, bool *over);
void arrears_add_u(uint64_t *acc, uint64_t v, bool *over);
/* v as int64, or 0 with *over set when it does not fit. */
int64_t arrears_signed(uint64_t v, bool *over);
/* a - b as int64, or 0 with *over set when it does not fit. */
int64_t arrears_diff(uint64_t a, uint64_t b, bool *over);
/* a * b, or 0 with *over set. */
int64_t arrears_mul(int64_t a, int64_t b, bool *over);
/* The collection rate in permille, rounded down: (billed - open) * 1000 /
 * billed, exact for any 0 <= open <= billed (no 64-bit product); -1 when
 * nothing was billed. */
int64_t arrears_permille(int64_t billed, int64_t open);

#endif
