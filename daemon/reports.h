/*
 * reports - the monthly reports committees, property companies, residents
 * and auditors read, computed by jifend from the ledger in a read
 * transaction (readers never block the writer):
 *
 *   statement      one household's month: points opening, earned, deducted,
 *                  redeemed, expired, closing, pending; fee opening, billed,
 *                  paid, offset by points, outstanding
 *   liability      what the funder owes the property company: offsets of the
 *                  month, settled in it, owed at its end; points outstanding
 *                  and pending at its end and what they would cost
 *   ageing         each household's fee due at the month's end by the age of
 *                  the bills it comes from (0-30, 31-90, 91-180, >180 days,
 *                  each bill by its own entry; payments and offsets settle
 *                  the oldest bills first; arrears.h), and the collection
 *                  rate
 *   trial-balance  every account's debits and credits now, with a total per
 *                  asset (debits equal credits)
 *
 * Each is a table of strings (jifen_report); amounts are integers: points,
 * or fen. "Billed" and a bill's age mean the same in every report: a
 * reversed bill and its reversal are out of billed (arrears.h); in the
 * statement a reversal nets in its original's row when both are of the
 * month, and is a correction in the `_other` rows when the original is of
 * an earlier month. A total that does not fit 64 bits is refused with
 * JIFEN_STATUS_OVERFLOW, never shown wrapped.
 */
#ifndef JIFEN_REPORTS_H
#define JIFEN_REPORTS_H

#include "policy.h"
#include "ruleset.h"
#include "storage.h"

/* Fills result (status, error, report). `pol` is the rule set in force at
 * the end of the period (for the points-to-fen rate). */
void reports_run(storage_txn *txn, const jifen_command *cmd, const policy *pol,
                 int64_t now_ms, jifen_result *result);
/* The same, with the rule sets over time: the arrears name each fee item
 * as the rule set of its month does (NULL: as `pol` does). */
void reports_run_rules(storage_txn *txn, const jifen_command *cmd,
                       const policy *pol, const ruleset *rules,
                       int64_t now_ms, jifen_result *result);

/* One community's figures for the roll-up across communities (service.c),
 * computed by the very functions of its liability and ageing reports, so
 * that a roll-up's rows are the communities' own reports. */
typedef struct {
    uint64_t households;
    int64_t points_issued;      /* in the month */
    int64_t points_redeemed;    /* in the month */
    int64_t points_outstanding; /* households' points at the month's end */
    int64_t points_pending;     /* under notice at the month's end */
    int64_t funder_owed_fen;    /* at the month's end */
    int64_t funder_overpaid_fen; /* owed back to it (a settled redemption
                                    reversed), at the month's end */
    int64_t billed_fen;         /* every bill to the month's end (ageing) */
    int64_t outstanding_fen;    /* of which unpaid at the month's end */
    uint64_t ageing_fen[4];     /* unpaid by age: 0-30, 31-90, 91-180, >180 */
    bool overflow;              /* a figure did not fit 64 bits */
} reports_totals;

/* The figures of the month [from, to). */
storage_error reports_summary(storage_txn *txn, const policy *pol,
                              int64_t from, int64_t to, reports_totals *out);

#endif
