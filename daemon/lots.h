/*
 * lots - a household's points as lots, spent oldest first, and their expiry.
 *
 * Every credit of a household's points (an award posted at once, the
 * release of one after public notice) adds to a lot: the points, and when
 * they expire under the rule set they were earned under (a month start
 * Asia/Shanghai, or never). A credit joins the household's newest lot when
 * that lot expires at the same time, else it starts a new one, so a
 * household has one lot per run of points with the same expiry, in the
 * order they were earned. The lots of a household always add up to its
 * points balance (verify checks it).
 *
 * Spending (a redemption, a deduction) takes from the oldest lot first,
 * whatever each lot's expiry, and records what it took from which lot, so
 * that reversing it puts the points back into the lots they came from,
 * with their expiry. Reversing an award takes its points back from the
 * newest lots first (an award's points are among the household's newest).
 * When a lot's time comes, what is left of it expires: jifend posts an
 * Expire entry for it (timer.c), which takes exactly those points. A lot
 * restored by a reversal after its expiry expires at the next tick.
 *
 * Derived state, written only by the apply path (apply.c), from the entry
 * and the state before it: a replica and a rebuild compute the same lots.
 * Keys (keyspace.h):
 *   balances: "household/<code>/" 0x02 be64(lot) -> be64 expires, be64 left
 *             "household/<code>/" 0x03 be64(spend) -> n x (be64 lot,
 *             be64 expires, be64 points): what a spend took
 *   meta:     "lot-due/" be64(expires) <code> -> "" while the household has
 *             points left in a lot expiring then (what the timer scans)
 * `expires` INT64_MAX is never. Errors land in the txn's sticky error.
 */
#ifndef JIFEN_LOTS_H
#define JIFEN_LOTS_H

#include "jifen_types.h"
#include "storage.h"

#define LOTS_NEVER INT64_MAX

/* Points credited by entry `seq`, expiring at expires_ms. */
void lots_credit(storage_txn *txn, const char *household, uint64_t seq,
                 int64_t expires_ms, uint64_t points);

/* Entry `spend` takes points, oldest lot first. -1 when the lots hold
 * fewer points than that (the state is not the one the entry was made
 * on), else 0. */
int lots_spend(storage_txn *txn, const char *household, uint64_t spend,
               uint64_t points);

/* A reversed award takes its points back, newest lot first. 0 or -1 as
 * above. */
int lots_take_back(storage_txn *txn, const char *household, uint64_t points);

/* An Expire entry takes points from the lots expiring at or before
 * due_ms, oldest first (and, for entries of earlier releases that expired
 * more, from the others, oldest first). 0 or -1 as above. */
int lots_expire(storage_txn *txn, const char *household, int64_t due_ms,
                uint64_t points);

/* The reversal of entry `spend` puts back what it took. *earliest is set
 * to the earliest expiry of what came back (LOTS_NEVER: none). */
void lots_restore(storage_txn *txn, const char *household, uint64_t spend,
                  int64_t *earliest);

typedef struct {
    int64_t expires_ms;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
} lots_due_item;

/* The (expiry, household) pairs due by now_ms, oldest first, at most max,
 * and when the next one after them is due (INT64_MAX: none). */
storage_error lots_due(storage_txn *txn, int64_t now_ms, lots_due_item *out,
                       size_t max, size_t *n, int64_t *next_ms);

/* Points left in the household's lots expiring at or before due_ms. */
storage_error lots_expiring(storage_txn *txn, const char *household,
                            int64_t due_ms, uint64_t *points);

/* For a reader walking the balances table in key order (verify): 1 when
 * the record is one of a household's lots, with the length of the
 * household's prefix "household/<code>/" in *prefix_len and the points
 * left in *left; 0 when it is some other record; -1 when it is a lot whose
 * record is damaged (*prefix_len still set, to name the household). */
int lots_record(const storage_val *k, const storage_val *v,
                size_t *prefix_len, uint64_t *left);

/* Points in all the household's lots. */
storage_error lots_total(storage_txn *txn, const char *household,
                         uint64_t *points);

#endif
