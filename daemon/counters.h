/*
 * counters - per-household running totals that caps are checked against:
 * points earned per activity per month and per year, points redeemed per
 * year. Derived state like the balances, kept in the same write transaction
 * as the entries that change them, so a cap can never be raced past inside
 * one group commit.
 *
 * Stored in the balances table next to the household's accounts, under
 * "household/<code>/" 0x01 "<what>\0<period>" (what: an activity code, or
 * "#redeem"; period: "YYYY-MM" or "YYYY"), a be64 value: an award then
 * dirties the leaf its balance is in anyway, not a random one of its own.
 * Format 1 ledgers kept them in the meta table under
 * "count/<household>\0<what>\0<period>" (counter_migrate).
 */
#ifndef JIFEN_COUNTERS_H
#define JIFEN_COUNTERS_H

#include "jifen_types.h"
#include "storage.h"

#define COUNTER_REDEEM "#redeem"
#define COUNTER_MARK 0x01 /* after the household's prefix */
#define COUNTER_KEY_MAX                                                        \
    (sizeof "household/" + JIFEN_HOUSEHOLD_MAX + 1 + JIFEN_CODE_MAX + 1 + 7)

/* Format 1 -> 2: moves the counters from the meta table to theirs. */
storage_error counter_migrate(storage_txn *txn, uint64_t *moved);

/* The total, 0 when never counted. */
storage_error counter_get(storage_txn *txn, const char *household,
                          const char *what, const char *period, uint64_t *out);

/* Adds delta (negative for a reversal; the total never goes below 0).
 * Storage errors land in the txn's sticky error. */
void counter_add(storage_txn *txn, const char *household, const char *what,
                 const char *period, int64_t delta);

/* Counts `points` in the month of ms and in its year. */
void counter_add_month_year(storage_txn *txn, const char *household,
                            const char *what, int64_t ms, int64_t delta);

/* The month and year totals at ms. */
storage_error counter_get_month_year(storage_txn *txn, const char *household,
                                     const char *what, int64_t ms,
                                     uint64_t *month, uint64_t *year);

#endif
