/*
 * merkle - the Merkle tree of RFC 9162 (Certificate Transparency 2.0,
 * section 2.1) over the journal: pure functions, no storage.
 *
 *   leaf hash   SHA-256(0x00 || entry's stored bytes)
 *   node hash   SHA-256(0x01 || left || right)
 *   MTH(D[n])   the leaf hash for n = 1; for n > 1, with k the largest
 *               power of two below n, node(MTH(D[0:k]), MTH(D[k:n]))
 *
 * A tree of n leaves is made of complete subtrees: (level L, index i) is
 * the subtree over leaves [i * 2^L, (i + 1) * 2^L). Whoever keeps the tree
 * (daemon/merkle_store.c) answers for those through a merkle_node_fn; every
 * other hash — the root of a size that is not a power of two, the subtrees
 * at the right edge, the proofs — is computed here from them. A subtree
 * that is not complete only ever lies on the tree's right edge, so a proof
 * needs at most ~2 log2(n) node reads (test_merkle counts them), and a
 * merkle_reader remembers the right edge of one tree size for the next
 * proof against it (a statement's proofs share it).
 *
 * Verification (merkle_verify_*) needs no tree at all: RFC 9162 sections
 * 2.1.3.2 and 2.1.4.2, as a resident's program would run them; the CLI and
 * tools/verify_export.py do the same.
 *
 * Leaf numbers here are indexes from 0 (leaf i is journal entry i + 1).
 */
#ifndef JIFEN_MERKLE_H
#define JIFEN_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* Hashes in any proof of a tree below 2^63 leaves: one per level, and a
 * consistency proof one more. */
#define MERKLE_PROOF_MAX 64

typedef uint8_t merkle_hash[MERKLE_HASH_LEN];

void merkle_leaf_hash(const void *data, size_t len, merkle_hash out);
void merkle_node_hash(const merkle_hash left, const merkle_hash right,
                      merkle_hash out);

/* The hash of the complete subtree (level, index) into out. 0, or a
 * non-zero code of the caller's that is passed back unchanged. */
typedef int (*merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                              merkle_hash out);

/* Node reads for the proofs and roots of one tree; see the top. */
typedef struct {
    merkle_node_fn get;
    void *ctx;
    uint64_t reads; /* calls of get so far (tests, bench) */
    /* The right edge of the tree of edge_size leaves: MTH(D[lo:edge_size])
     * for the lo values of edge_lo[0..n_edge). */
    uint64_t edge_size;
    unsigned n_edge;
    uint64_t edge_lo[MERKLE_PROOF_MAX];
    merkle_hash edge[MERKLE_PROOF_MAX];
} merkle_reader;

void merkle_reader_init(merkle_reader *r, merkle_node_fn get, void *ctx);

/* MTH(D[size]); size 0 gives SHA-256 of nothing, as RFC 9162 says. */
int merkle_root(merkle_reader *r, uint64_t size, merkle_hash out);

/* The audit path of leaf `index` in the tree of `size` leaves (index <
 * size), leaf level first, into path[MERKLE_PROOF_MAX]; *n hashes. 0, -1
 * for an index or size out of range, or the node reader's code. */
int merkle_inclusion_proof(merkle_reader *r, uint64_t index, uint64_t size,
                           merkle_hash *path, size_t *n);

/* The consistency proof from the tree of old_size leaves to that of
 * new_size (1 <= old_size <= new_size), into path[MERKLE_PROOF_MAX]. */
int merkle_consistency_proof(merkle_reader *r, uint64_t old_size,
                             uint64_t new_size, merkle_hash *path, size_t *n);

/* --- verification: no tree needed ---------------------------------------- */

/* The root an inclusion proof leads to (RFC 9162 2.1.3.2). 0, or -1 when
 * the path does not fit the index and size (too long, too short). */
int merkle_root_from_inclusion(uint64_t index, uint64_t size,
                               const merkle_hash leaf, const merkle_hash *path,
                               size_t n, merkle_hash root);
/* True when leaf `index` with hash `leaf` is in the tree of `size` leaves
 * whose root is `root`. */
bool merkle_verify_inclusion(uint64_t index, uint64_t size,
                             const merkle_hash leaf, const merkle_hash *path,
                             size_t n, const merkle_hash root);
/* True when the tree of old_size leaves with root old_root is a prefix of
 * the one of new_size leaves with root new_root (RFC 9162 2.1.4.2); equal
 * sizes need equal roots and an empty path. old_size 0 is refused: there
 * is nothing to hold a ledger to. */
bool merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                               const merkle_hash old_root,
                               const merkle_hash new_root,
                               const merkle_hash *path, size_t n);

/* --- building ------------------------------------------------------------ */

/* How many subtrees leaf size - 1 completes when the tree grows to `size`
 * leaves (size >= 1): levels 0 .. ctz(size), so 1 + ctz(size); 2 on
 * average. */
unsigned merkle_completed_levels(uint64_t size);

/* The right edge of a tree kept in memory: the roots of its complete
 * subtrees, largest first. What the writer grows the stored tree with
 * (merkle_store.h) and what verify recomputes the tree from the journal
 * with, without reading the stored one. */
typedef struct {
    uint64_t size;
    unsigned n;
    merkle_hash nodes[MERKLE_PROOF_MAX];
} merkle_frontier;

void merkle_frontier_init(merkle_frontier *f);
/* Adds a leaf; out[0 .. returned count) receive the subtrees it completes
 * (merkle_completed_levels): out[0] the leaf hash itself, out[L] the
 * parent of out[L - 1] and of its left neighbour. */
unsigned merkle_frontier_push(merkle_frontier *f, const merkle_hash leaf,
                              merkle_hash *out);
void merkle_frontier_root(const merkle_frontier *f, merkle_hash out);

#endif
