/*
 * counters - per-household running totals that caps are checked against:
 * points earned per activity per month and per year, points redeemed per
 * year. Derived state like the balances, kept in the same write transaction
 * as the entries that change them, so a cap can never be raced past inside
 * one group commit.
 *
 * Stored in the meta table under "count/<household>\0<what>\0<period>"
 * (what: an activity code, or "#redeem"; period: "YYYY-MM" or "YYYY"), a
 * be64 value. Kept out of a table of their own so the storage layout stays
 * as it is.
 */
#ifndef JIFEN_COUNTERS_H
#define JIFEN_COUNTERS_H

#include "storage.h"

#define COUNTER_REDEEM "#redeem"

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
