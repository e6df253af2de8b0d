/*
 * sanction - suspensions of a household's right to redeem points.
 *
 * A deduction under a rule with suspend_months (a published sanction for
 * free riding, say) also suspends redemption until a month start (policy_
 * suspended_until). It touches only points and redemption, never the fee
 * account: the household still owes and may pay its fee as before. An
 * appeal upheld reverses the deduction (jifen appeal / reverse), which
 * lifts the suspension in the same transaction.
 *
 * Stored in the meta table: "sanction/<household>\0<be64 deduction>" ->
 * be64 until_ms. Issue 15: a rule with suspend_award_months also refuses
 * the household's awards until a time: "sanction-award/<household>\0<be64
 * deduction>" -> be64 until_ms; lifted with the rest by the appeal.
 */
#ifndef JIFEN_SANCTION_H
#define JIFEN_SANCTION_H

#include "jifen_types.h"
#include "storage.h"

/* Errors land in the txn's sticky error. */
void sanction_put(storage_txn *txn, const char *household, uint64_t entry,
                  int64_t until_ms);

/* The award suspension of a deduction (issue 15). */
void sanction_award_put(storage_txn *txn, const char *household,
                        uint64_t entry, int64_t until_ms);

/* The award suspension in force at now_ms that lasts longest, as
 * sanction_active. */
storage_error sanction_award_active(storage_txn *txn, const char *household,
                                    int64_t now_ms, uint64_t *entry,
                                    int64_t *until_ms);

/* Lifts the suspensions of one deduction, of redemption and of awards
 * (none: nothing happens). */
storage_error sanction_lift(storage_txn *txn, const char *household,
                            uint64_t entry);

/* The suspension in force at now_ms that lasts longest: *entry is its
 * deduction, 0 when redemption is free. */
storage_error sanction_active(storage_txn *txn, const char *household,
                              int64_t now_ms, uint64_t *entry,
                              int64_t *until_ms);

#endif
