/*
 * verify - checks a ledger from its journal alone, as an auditor would:
 * the hash chain over the stored bytes, then a replay of every posting
 * compared with the stored balances, and the invariants of the
 * accounting model (per asset, debits equal credits; no household's points
 * below zero at any point; the pending accounts hold the open notices; a
 * household's lots hold its points; the head matches the last entry); and
 * the Merkle tree recomputed from the journal, compared record by record.
 */
#ifndef JIFEN_VERIFY_H
#define JIFEN_VERIFY_H

#include "jifen_types.h"
#include "storage.h"

/* Fills `report`; report->ok is false with the first problem found. Runs in
 * the caller's (read) transaction. */
void verify_ledger(storage_txn *txn, jifen_verify_report *report);

#endif
