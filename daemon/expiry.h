/*
 * expiry - points that expire, oldest first.
 *
 * Points credited to a household (an award, or the release of one after
 * public notice) form a lot that expires at the date the rule set in force
 * then gives (policy_expiry_of: always a month start). Lots expiring in the
 * same month merge. Spending is oldest first, so when a lot expires what is
 * left of it is
 *
 *     (all points of lots expired so far, this one included)
 *       - (everything ever taken from the household's points: redeemed,
 *          deducted, expired, reversed)
 *
 * or nothing when that is negative. The daemon's timer (ledger_tick) posts
 * that amount to community/points-expired in an Expire entry and closes the
 * lot in the same transaction: once, and never skipped by a restart.
 *
 * Stored in the meta table: "expiry-lot/<be64 expires_ms><household>" ->
 * be64 points (the open lots, in time order), and the counter
 * (household, "#expiring", "all") of points in closed lots.
 */
#ifndef JIFEN_EXPIRY_H
#define JIFEN_EXPIRY_H

#include "jifen_types.h"
#include "storage.h"

typedef struct {
    int64_t expires_ms;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    uint64_t points;
} expiry_lot;

/* Adds points to the household's lot expiring at expires_ms (INT64_MAX:
 * never, nothing is recorded). Errors land in the txn's sticky error. */
void expiry_earn(storage_txn *txn, const char *household, int64_t expires_ms,
                 uint64_t points);

/* The open lots expiring at or before now_ms, oldest first, at most max,
 * and when the next one after them expires (INT64_MAX: none). */
storage_error expiry_due(storage_txn *txn, int64_t now_ms, expiry_lot *out,
                         size_t max, size_t *n, int64_t *next_ms);

/* Closes a due lot: *to_expire is what is left of it given `spent`, the
 * household's points debits so far. */
storage_error expiry_close(storage_txn *txn, const expiry_lot *lot,
                           uint64_t spent, uint64_t *to_expire);

#endif
