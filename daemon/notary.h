/*
 * notary - signs the head of the ledger (Ed25519) every N entries and at
 * least every S seconds while entries are written, and keeps the signed
 * checkpoints in the ledger's checkpoints table, in the same write
 * transaction as the entries they cover. A checkpoint is a signed tree head
 * (jifen-sth1: size, Merkle root, chain head; checkpoint.h) whenever the
 * Merkle tree covers the entries, i.e. unless it is switched off; older
 * ledgers keep their jifen-cp1 lines, which stay valid.
 *
 * The keypair lives next to the ledger: DATA/checkpoint.key (secret, 0600)
 * and DATA/checkpoint.pub (the public key residents and auditors use), as
 * hex. Both are made on first start. Whoever holds a checkpoint and the
 * public key can tell a rewritten history from the real one, even when the
 * rewriter recomputed the whole hash chain: the rewriter lacks the key.
 */
#ifndef JIFEN_NOTARY_H
#define JIFEN_NOTARY_H

#include "checkpoint.h"
#include "storage.h"

#include <stdint.h>

typedef struct notary notary;

/* Loads (or makes) the keypair in data_dir and finds the latest stored
 * checkpoint in st (NULL: a notary that only lends its key, to
 * notary_attach). 0, or -1 with err. */
int notary_open(notary **out, const char *data_dir, storage *st,
                uint64_t every_entries, uint64_t every_seconds, char *err,
                size_t errlen);

/* A notary of another ledger signing with the key of `keys` (one key for
 * every community of a service: docs/communities.md), which must outlive
 * it. 0, or -1 out of memory. */
int notary_attach(notary **out, const notary *keys, storage *st);
void notary_close(notary **self_p);

/* A ledger_commit_hook (ctx is the notary). */
void notary_on_commit(void *ctx, storage_txn *txn, uint64_t from_seq,
                      uint64_t seq, const uint8_t hash[32]);

/* --- reading, in the caller's transaction (also offline) ------------------ */

/* The first checkpoint covering `entry` (its entry >= entry), or with entry
 * 0 the latest. STORAGE_NOT_FOUND when there is none. */
storage_error notary_find(storage_txn *txn, uint64_t entry, checkpoint *cp);

/* The same, signed tree heads (jifen-sth1) only: the first one covering
 * `entry`, or with entry 0 the latest; cp1 lines are passed over. */
storage_error notary_find_tree_head(storage_txn *txn, uint64_t entry,
                                    checkpoint *cp);

/* SHA-256 of entry seq's stored bytes. STORAGE_NOT_FOUND past the end. */
storage_error notary_entry_hash(storage_txn *txn, uint64_t seq,
                                uint8_t hash[32]);

#endif
