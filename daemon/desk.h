/*
 * desk - the property desk (issue 14, docs/desk.md): bills priced from the
 * fee schedule, payments by channel with their references and receipt
 * numbers, refunds, shift closes, floor areas and units, on-time points.
 * Decisions (desk.c), their apply (desk.c), the timer's on-time points
 * (desk_ontime.c) and the desk's queries (desk_query.c), over the derived
 * state of desk_state.h. Part of the ledger (ledger_internal.h).
 */
#ifndef JIFEN_DESK_H
#define JIFEN_DESK_H

#include "ledger_internal.h"

/* --- decisions (desk.c) --------------------------------------------------- */

void desk_decide_bill_item(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result);
void desk_decide_pay(ledger *self, const write_context *ctx,
                     const jifen_command *cmd, jifen_result *result);
void desk_decide_refund(ledger *self, const write_context *ctx,
                        const jifen_command *cmd, jifen_result *result);
void desk_decide_shift_close(ledger *self, const write_context *ctx,
                             const jifen_command *cmd, jifen_result *result);
void desk_decide_household_set(ledger *self, const write_context *ctx,
                               const jifen_command *cmd,
                               jifen_result *result);
/* Counts a payment, a refund or (with its original) a reversal of one
 * into c's totals of its channel: the one way a shift is summed, by the
 * close and by the shift report. */
void desk_count_entry(jifen_command *c, const jifen_entry *e,
                      const jifen_entry *original);
/* What a reversal of one of the desk's entries adds to the draft `e`
 * (mirror postings in place): the key, for the shift; for a payment, the
 * on-time points it earned that no longer stand. false when refused
 * (result says why) or storage failed. */
bool desk_decide_reverse(ledger *self, const write_context *ctx,
                         const jifen_entry *original, jifen_entry *e,
                         jifen_result *result);

/* --- apply (desk.c) ----------------------------------------------------------
 * Each: 0, or -1 with why in err when the entry does not fit the state
 * before it. Storage errors land in the txn's sticky error. */

int desk_apply(ledger *self, const jifen_entry *e, char *err, size_t errlen);
/* A reversal of original o. */
int desk_apply_reverse(ledger *self, const jifen_entry *e,
                       const jifen_entry *o, char *err, size_t errlen);

/* --- the timer (desk_ontime.c) --------------------------------------------- */

/* Posts on-time points that are due at now_ms, at most `budget`
 * households judged; *next: when it next has work (now_ms: more of a month
 * to judge). Returns the entries posted. */
size_t desk_ontime_tick(ledger *self, const policy *pol, int64_t now_ms,
                        size_t budget, int64_t *next);
/* The on-time awards of household h that stand only by payment `pay`
 * (being reversed): up to max of them into awards[], their points into
 * *points. */
storage_error desk_ontime_depending_on(ledger *self, const jifen_entry *pay,
                                       uint64_t *awards, size_t max,
                                       size_t *n, uint64_t *points);

/* --- queries (desk_query.c) -------------------------------------------------- */

void desk_query_plan(ledger *self, storage_txn *txn, const jifen_command *cmd,
                     jifen_result *result);
void desk_query_receipt(ledger *self, storage_txn *txn,
                        const jifen_command *cmd, jifen_result *result);
void desk_query_shifts(ledger *self, storage_txn *txn,
                       const jifen_command *cmd, jifen_result *result);

#endif
