/*
 * desk_state - the property desk's derived state (issue 14, docs/desk.md):
 * the keys it adds to the balances and meta tables (keyspace.h), built and
 * read here only. Written by the apply path alone, rebuilt from the
 * journal like every derived table.
 *
 *   billed      (household, fee item, period) -> the bill's entry: what
 *               makes a billing run bill each once, whatever the request ids
 *   units       (household, fee item) -> units (parking spaces)
 *   ontime      (household, period) -> the on-time award's entry
 *   receipts    the community's last receipt number
 *   references  (channel, platform reference) -> the payment or refund
 *   shift-open  (terminal key, entry) -> "": payments, refunds and their
 *               reversals a key has not closed yet
 *   shift-last  terminal key -> its last close
 *   shift-close (time, entry) -> "": every close, by time (the day report)
 *   bill-period period -> "": the months that have bills (the on-time
 *               timer's list)
 *   ontime-done period -> the entry that closed the month's on-time points
 */
#ifndef JIFEN_DESK_STATE_H
#define JIFEN_DESK_STATE_H

#include "jifen_types.h"
#include "storage.h"

/* --- per household (balances table, next to its accounts) --------------- */

/* The entry that billed (household, item, period), or STORAGE_NOT_FOUND. */
storage_error desk_billed_get(storage_txn *txn, const char *household,
                              const char *item, const char *period,
                              uint64_t *entry);
/* STORAGE_EXISTS when it is there already. */
storage_error desk_billed_put(storage_txn *txn, const char *household,
                              const char *item, const char *period,
                              uint64_t entry);
storage_error desk_billed_del(storage_txn *txn, const char *household,
                              const char *item, const char *period);

/* Units of a per-unit fee item (0 when none are recorded). */
storage_error desk_units_get(storage_txn *txn, const char *household,
                             const char *item, uint32_t *units);
storage_error desk_units_put(storage_txn *txn, const char *household,
                             const char *item, uint32_t units);

/* The on-time award of (household, period). */
storage_error desk_ontime_get(storage_txn *txn, const char *household,
                              const char *period, uint64_t *entry);
storage_error desk_ontime_put(storage_txn *txn, const char *household,
                              const char *period, uint64_t entry);
/* Calls fn for each of the household's on-time awards. */
typedef int (*desk_ontime_fn)(void *ctx, const char *period, uint64_t entry);
storage_error desk_ontime_each(storage_txn *txn, const char *household,
                               desk_ontime_fn fn, void *ctx);

/* --- per community (meta table) ------------------------------------------ */

storage_error desk_receipt_last(storage_txn *txn, uint64_t *last);
storage_error desk_receipt_put(storage_txn *txn, uint64_t last);

storage_error desk_reference_get(storage_txn *txn, jifen_channel channel,
                                 const char *reference, uint64_t *entry);
storage_error desk_reference_put(storage_txn *txn, jifen_channel channel,
                                 const char *reference, uint64_t entry);
storage_error desk_reference_del(storage_txn *txn, jifen_channel channel,
                                 const char *reference);

/* key: a terminal key's Z85 ("" the local operator). */
storage_error desk_shift_open_put(storage_txn *txn, const char *key,
                                  uint64_t entry);
/* Each entry a key has open, oldest first; with key NULL, every key's
 * (fn gets the key). */
typedef int (*desk_shift_fn)(void *ctx, const char *key, uint64_t entry);
storage_error desk_shift_open_each(storage_txn *txn, const char *key,
                                   desk_shift_fn fn, void *ctx);
/* Closes a key's open entries up to `last`. */
storage_error desk_shift_open_clear(storage_txn *txn, const char *key,
                                    uint64_t last);
storage_error desk_shift_last_get(storage_txn *txn, const char *key,
                                  uint64_t *close);
storage_error desk_shift_close_put(storage_txn *txn, const char *key,
                                   int64_t time_ms, uint64_t close);
/* Each close made in [from_ms, to_ms), in time order. */
storage_error desk_shift_close_each(storage_txn *txn, int64_t from_ms,
                                    int64_t to_ms, desk_shift_fn fn,
                                    void *ctx);

storage_error desk_bill_period_put(storage_txn *txn, const char *period,
                                   bool *created);
/* Each month with bills, oldest first. */
typedef int (*desk_period_fn)(void *ctx, const char *period);
storage_error desk_bill_period_each(storage_txn *txn, desk_period_fn fn,
                                    void *ctx);
storage_error desk_ontime_done_get(storage_txn *txn, const char *period,
                                   uint64_t *entry);
storage_error desk_ontime_done_put(storage_txn *txn, const char *period,
                                   uint64_t entry);

#endif
