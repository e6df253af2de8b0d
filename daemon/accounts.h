/*
 * accounts - the names of the ledger's accounts, and the balance record.
 *
 * Shared by the write path (ledger.c) and the verifier (verify.c), which
 * must agree on every name and on the stored layout of a balance.
 */
#ifndef JIFEN_ACCOUNTS_H
#define JIFEN_ACCOUNTS_H

#include "jifen_types.h"

#include <stdbool.h>
#include <stdint.h>

#define ACCOUNT_POINTS_ISSUED "community/points-issued"
#define ACCOUNT_POINTS_DEDUCTED "community/points-deducted"
#define ACCOUNT_POINTS_REDEEMED "community/points-redeemed"
#define ACCOUNT_POINTS_EXPIRED "community/points-expired"
#define ACCOUNT_FEE_INCOME "community/fee-income"
#define ACCOUNT_CASH "community/cash"
#define ACCOUNT_POINTS_OFFSET "community/points-offset"

#define BALANCE_RECORD_LEN 16 /* be64 debits, be64 credits */

typedef struct {
    uint64_t debits;
    uint64_t credits;
} account_totals;

/* "household/<code>/points" and "household/<code>/fee". */
void account_household_points(const char *household,
                              char out[JIFEN_ACCOUNT_MAX + 1]);
void account_household_fee(const char *household,
                           char out[JIFEN_ACCOUNT_MAX + 1]);

/* "household/<code>/pending": awards under public notice (公示), visible
 * but not spendable until the notice window ends. */
void account_household_pending(const char *household,
                               char out[JIFEN_ACCOUNT_MAX + 1]);

/* The asset an account holds: FEE for household fee accounts, fee income,
 * cash and the points-offset receivable; POINTS for the rest. */
jifen_asset account_asset(const char *name);

/* True for a household's points account: it may never go below zero. */
bool account_is_household_points(const char *name);

void account_totals_encode(const account_totals *t,
                           uint8_t out[BALANCE_RECORD_LEN]);
/* 0, or -1 when the record has the wrong size. */
int account_totals_decode(const void *data, size_t len, account_totals *t);

#endif
