/*
 * dues - a household's fee account as charges and credits (arrears.h),
 * from its entries: the one walk behind the ageing and arrears reports,
 * a receipt's "what was paid", and whether a month was paid on time
 * (docs/desk.md). A bill charges (for its period and fee item), a
 * payment or a redemption's offset credits, a refund or a reversed
 * payment takes credit back, a reversed bill is no charge.
 */
#ifndef JIFEN_DUES_H
#define JIFEN_DUES_H

#include "arrears.h"
#include "jifen_types.h"
#include "storage.h"

/* Which entries count. */
typedef struct {
    int64_t before_ms;  /* only entries made before this time (0: all) */
    uint64_t upto_seq;  /* only entries up to this one (0: all) */
    uint64_t skip_seq;  /* not this one (0: none) */
    /* Leave out entries that were reversed (whenever) and the reversals:
     * what stands of the household's history as known now. Otherwise a
     * reversal counts from its own time, as the reports see it. */
    bool skip_reversed;
} dues_filter;

/* Resets `a` and fills it from the household's entries that pass f; not
 * settled (arrears_settle). A storage error, or STORAGE_OK; a charge that
 * could not be kept shows as a->nomem. */
storage_error dues_household(storage_txn *txn, const char *household,
                             const dues_filter *f, arrears *a);

/* Whether the household had bills for `period` made before deadline_ms
 * and had paid them in full by then (oldest bills settle first, so older
 * arrears are paid before this month's). skip_seq: judge it without that
 * entry (a payment being reversed). *paid false when not. */
storage_error dues_paid_on_time(storage_txn *txn, const char *household,
                                const char *period, int64_t deadline_ms,
                                uint64_t skip_seq, arrears *scratch,
                                bool *paid);

#endif
