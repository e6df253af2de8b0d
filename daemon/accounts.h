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

/*
 * A household's history index lives in the balances table, next to the
 * household's accounts: "household/<code>/" NUL be64(seq) -> (empty). The
 * NUL sorts these keys just before "household/<code>/fee", so the history
 * key an entry adds and the balance it changes usually share one B-tree
 * leaf: one 4 KiB page written per award instead of two. The household's
 * cap counters lie there too ("household/<code>/" 0x01 ..., counters.h).
 * No account name holds a NUL, which is how readers of balances tell the
 * accounts from the rest (account_key_is_account). Derived state, like
 * the balances: the journal and its hash chain do not change.
 */
#define ACCOUNT_HISTORY_KEY_MAX                                                \
    (sizeof "household/" + JIFEN_HOUSEHOLD_MAX + 1 + 8)

/* Writes the key of entry `seq` in the household's history; returns its
 * length. Its first (length - 8) bytes are the household's prefix, the
 * same for all its entries; the last 8 are the big-endian seq. */
size_t account_history_key(const char *household, uint64_t seq,
                           uint8_t out[ACCOUNT_HISTORY_KEY_MAX]);

/* Writes "household/<code>/" and returns its length (at most
 * sizeof "household/" + JIFEN_HOUSEHOLD_MAX bytes). */
size_t account_household_prefix(const char *household, uint8_t *out);

/* True when a key of the balances table names an account (not a history
 * key, a counter or a lot: keyspace.h). */
bool account_key_is_account(const void *key, size_t len);

void account_totals_encode(const account_totals *t,
                           uint8_t out[BALANCE_RECORD_LEN]);
/* 0, or -1 when the record has the wrong size. */
int account_totals_decode(const void *data, size_t len, account_totals *t);

#endif
