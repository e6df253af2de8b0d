/*
 * proofs - the Merkle queries (docs/proofs.md): an entry's inclusion proof,
 * the consistency proof of two tree sizes, the signed tree head. Answered
 * from the tree (merkle_store.h) and the signed tree heads (notary.h) in
 * the caller's read transaction, on primaries and replicas alike.
 *
 * Bounded: a request holds at most JIFEN_PROOFS_MAX proofs (the codec
 * refuses more), each O(log n) record reads, and the entries' bytes in one
 * reply stop at PROOFS_BYTES_MAX (what is past it is refused, too_large).
 */
#ifndef JIFEN_PROOFS_H
#define JIFEN_PROOFS_H

#include "jifen_types.h"
#include "merkle_store.h"
#include "storage.h"

#define PROOFS_BYTES_MAX (4u << 20)

typedef struct {
    storage_txn *txn;
    merkle_store_reader tree; /* shares the right edge between proofs */
    size_t bytes;             /* of entries put in the reply so far */
} proofs_context;

void proofs_begin(proofs_context *pc, storage_txn *txn);

/* True for the kinds proofs_answer answers. */
bool proofs_handles(jifen_command_kind kind);

/* Answers one Merkle query into r (r->proof is malloc'd; codec_result_clear
 * frees it). */
void proofs_answer(proofs_context *pc, const jifen_command *cmd,
                   jifen_result *r);

#endif
