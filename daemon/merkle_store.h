/*
 * merkle_store - the journal's Merkle tree (common/merkle.h, RFC 9162) in
 * TABLE_MERKLE: derived state, written in the same write transaction as
 * each entry by one call, merkle_append, from the code that appends to the
 * journal (ledger.c, index_entry), which the primary, replication and the
 * rebuild share. The tree's size is therefore always the journal's.
 *
 * What is stored. Key be64 n for every entry n; value: the complete
 * subtrees entry n completes, levels 0 .. ctz(n), 32 bytes each (level 0
 * is the leaf hash SHA-256(0x00 || stored bytes)). Level L of record n is
 * subtree (L, (n >> L) - 1), over entries n - 2^L + 1 .. n, so subtree
 * (L, i) is at offset 32 L of record (i + 1) << L. Every complete subtree
 * of the tree is stored exactly once: 2n - 1 hashes for n entries,
 * 64 bytes per entry on average, ~80 with the key and LMDB's node header
 * (10 million entries: ~0.8 GB, next to ~2.5 GB of journal and indexes).
 *
 * Why this layout:
 *  - writing: one put per entry, keys in journal order (MDB_APPEND, like
 *    the journal), so a group commit dirties the table's last page or two;
 *    completing level L needs the left neighbour at level L - 1, which is
 *    one get of a record just written (1 on average, all in hot pages);
 *  - reading: any complete subtree is one get, and RFC 9162's proofs are
 *    made of complete subtrees plus at most one incomplete one on the
 *    right edge, itself the fold of at most log2 n complete ones: an
 *    inclusion proof of one entry in a 10-million-entry ledger reads at
 *    most 2 x 24 records (test_merkle counts them), and a statement's
 *    proofs against one tree size share the right edge (merkle_reader);
 *  - what the next append needs of the tree, its right edge (the roots of
 *    its complete subtrees, at most one per level), the writer keeps in a
 *    merkle_edge: read from the table once (log2 n gets) and then carried
 *    from entry to entry and commit to commit, so that an append reads
 *    nothing. It is a cache of committed and in-transaction records only:
 *    an append checks that the edge is of the tree it grows (its size is
 *    seq - 1) and reads it again when not, and the writer forgets it when
 *    a transaction aborts, so a group that aborts leaves nothing wrong
 *    behind; a replica, a rebuild or a ledger upgraded from a version
 *    without the tree gets the same bytes from the same call.
 * Storing only the leaves (40 B/entry) would make a proof O(n) hashes;
 * storing only levels >= k (tiles) saves space but makes every proof and
 * every k-th append rehash 2^k journal entries.
 */
#ifndef JIFEN_MERKLE_STORE_H
#define JIFEN_MERKLE_STORE_H

#include "merkle.h"
#include "storage.h"

#include <stdbool.h>
#include <stdint.h>

/* The right edge of the tree as the writer's last append left it (see
 * the top). Zeroed or forgotten, it is read again at the next append. */
typedef struct {
    bool known;
    merkle_frontier f;
} merkle_edge;

/* After a transaction that appended may have aborted. */
void merkle_edge_forget(merkle_edge *edge);

/* The tree grows by entry `seq` (the tree must have seq - 1 leaves) with
 * its stored bytes; edge is the writer's (kept across its transactions).
 * A failure lands in the transaction's sticky error, as storage_put's do,
 * and is returned. */
storage_error merkle_append(storage_txn *txn, merkle_edge *edge, uint64_t seq,
                            const uint8_t *stored, size_t len);

/* The number of leaves in the tree (the last key of TABLE_MERKLE). */
storage_error merkle_store_size(storage_txn *txn, uint64_t *size);

/* Brings the tree up to `head` journal entries in the open write
 * transaction: the migration of a ledger written without a tree (or by an
 * older jifend since), reading the journal from the tree's size on.
 * progress(ctx, done, todo) is called now and then (may be NULL). *built
 * says how many entries were added. STORAGE_CORRUPT when the tree is
 * longer than the journal. */
storage_error merkle_store_catch_up(storage_txn *txn, uint64_t head,
                                    void (*progress)(void *ctx, uint64_t done,
                                                     uint64_t todo),
                                    void *ctx, uint64_t *built);

/* Reading, in any transaction. The reader keeps the right edge of the tree
 * size last asked for: one per query, reused for every proof in it. */
typedef struct {
    merkle_reader r;
    storage_txn *txn;
} merkle_store_reader;

void merkle_store_reader_init(merkle_store_reader *mr, storage_txn *txn);

/* The root of the tree of `size` leaves (size <= merkle_store_size). */
storage_error merkle_store_root(merkle_store_reader *mr, uint64_t size,
                                merkle_hash out);
/* The audit path of entry `seq` (1 .. size) in the tree of `size` leaves,
 * into path[MERKLE_PROOF_MAX]. */
storage_error merkle_store_inclusion(merkle_store_reader *mr, uint64_t seq,
                                     uint64_t size, merkle_hash *path,
                                     size_t *n);
/* The consistency proof from old_size to new_size leaves (1 <= old_size
 * <= new_size <= merkle_store_size). */
storage_error merkle_store_consistency(merkle_store_reader *mr,
                                       uint64_t old_size, uint64_t new_size,
                                       merkle_hash *path, size_t *n);

#endif
