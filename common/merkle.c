#include "merkle.h"

#include "hash.h"

#include <string.h>

/* One buffer and one call of the hash: 0x00 || data. The leaf is hashed
 * once per entry on the write path, so no allocation: the prefix and the
 * data go through hash_sha256_2, the two-part form of the one SHA-256. */
void merkle_leaf_hash(const void *data, size_t len, merkle_hash out)
{
    static const uint8_t prefix = 0x00;
    hash_sha256_2(&prefix, 1, data, len, out);
}

void merkle_node_hash(const merkle_hash left, const merkle_hash right,
                      merkle_hash out)
{
    uint8_t buf[1 + 2 * MERKLE_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, MERKLE_HASH_LEN);
    memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
    hash_sha256(buf, sizeof buf, out);
}

void merkle_reader_init(merkle_reader *r, merkle_node_fn get, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->get = get;
    r->ctx = ctx;
}

static bool is_power_of_two(uint64_t n)
{
    return n && !(n & (n - 1));
}

/* The largest power of two below n (n >= 2): RFC 9162's k. */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static int read_node(merkle_reader *r, unsigned level, uint64_t index,
                     merkle_hash out)
{
    r->reads++;
    return r->get(r->ctx, level, index, out);
}

/* MTH(D[lo:hi]) with lo a multiple of the subtrees the RFC's recursion
 * splits it into (always so when the recursion starts at 0). */
static int subtree(merkle_reader *r, uint64_t lo, uint64_t hi,
                   merkle_hash out)
{
    uint64_t n = hi - lo;
    if (is_power_of_two(n)) {
        unsigned level = (unsigned)__builtin_ctzll(n);
        return read_node(r, level, lo >> level, out);
    }
    /* Not complete: it ends at the tree's right edge (hi is its size). */
    if (r->edge_size != hi) {
        r->edge_size = hi;
        r->n_edge = 0;
    }
    for (unsigned i = 0; i < r->n_edge; i++) {
        if (r->edge_lo[i] == lo) {
            memcpy(out, r->edge[i], MERKLE_HASH_LEN);
            return 0;
        }
    }
    uint64_t k = split_point(n);
    merkle_hash left, right;
    int rc = subtree(r, lo, lo + k, left);
    if (rc == 0)
        rc = subtree(r, lo + k, hi, right);
    if (rc != 0)
        return rc;
    merkle_node_hash(left, right, out);
    if (r->n_edge < MERKLE_PROOF_MAX) {
        r->edge_lo[r->n_edge] = lo;
        memcpy(r->edge[r->n_edge++], out, MERKLE_HASH_LEN);
    }
    return 0;
}

int merkle_root(merkle_reader *r, uint64_t size, merkle_hash out)
{
    if (size == 0) {
        hash_sha256("", 0, out);
        return 0;
    }
    return subtree(r, 0, size, out);
}

static int append(merkle_reader *r, uint64_t lo, uint64_t hi,
                  merkle_hash *path, size_t *n)
{
    if (*n >= MERKLE_PROOF_MAX)
        return -1;
    int rc = subtree(r, lo, hi, path[*n]);
    if (rc == 0)
        (*n)++;
    return rc;
}

/* RFC 9162 2.1.3.1, PATH(m, D[lo:hi]); deepest sibling first. */
static int path_of(merkle_reader *r, uint64_t m, uint64_t lo, uint64_t hi,
                   merkle_hash *path, size_t *n)
{
    if (hi - lo == 1)
        return 0;
    uint64_t k = split_point(hi - lo);
    int rc;
    if (m < lo + k) {
        rc = path_of(r, m, lo, lo + k, path, n);
        return rc ? rc : append(r, lo + k, hi, path, n);
    }
    rc = path_of(r, m, lo + k, hi, path, n);
    return rc ? rc : append(r, lo, lo + k, path, n);
}

int merkle_inclusion_proof(merkle_reader *r, uint64_t index, uint64_t size,
                           merkle_hash *path, size_t *n)
{
    *n = 0;
    if (index >= size)
        return -1;
    return path_of(r, index, 0, size, path, n);
}

/* RFC 9162 2.1.4.1, SUBPROOF(m, D[lo:hi], b), with m counted from 0. */
static int subproof(merkle_reader *r, uint64_t m, uint64_t lo, uint64_t hi,
                    bool whole, merkle_hash *path, size_t *n)
{
    uint64_t size = hi - lo;
    if (m - lo == size)
        return whole ? 0 : append(r, lo, hi, path, n);
    uint64_t k = split_point(size);
    int rc;
    if (m - lo <= k) {
        rc = subproof(r, m, lo, lo + k, whole, path, n);
        return rc ? rc : append(r, lo + k, hi, path, n);
    }
    rc = subproof(r, m, lo + k, hi, false, path, n);
    return rc ? rc : append(r, lo, lo + k, path, n);
}

int merkle_consistency_proof(merkle_reader *r, uint64_t old_size,
                             uint64_t new_size, merkle_hash *path, size_t *n)
{
    *n = 0;
    if (old_size == 0 || old_size > new_size)
        return -1;
    if (old_size == new_size)
        return 0;
    return subproof(r, old_size, 0, new_size, true, path, n);
}

/* --- verification ---------------------------------------------------------- */

int merkle_root_from_inclusion(uint64_t index, uint64_t size,
                               const merkle_hash leaf, const merkle_hash *path,
                               size_t n, merkle_hash root)
{
    if (index >= size)
        return -1;
    uint64_t fn = index, sn = size - 1;
    merkle_hash r;
    memcpy(r, leaf, MERKLE_HASH_LEN);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0)
            return -1; /* longer than the tree is deep */
        if ((fn & 1) || fn == sn) {
            merkle_node_hash(path[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            merkle_node_hash(r, path[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return -1; /* too short */
    memcpy(root, r, MERKLE_HASH_LEN);
    return 0;
}

bool merkle_verify_inclusion(uint64_t index, uint64_t size,
                             const merkle_hash leaf, const merkle_hash *path,
                             size_t n, const merkle_hash root)
{
    merkle_hash got;
    return merkle_root_from_inclusion(index, size, leaf, path, n, got) == 0 &&
           memcmp(got, root, MERKLE_HASH_LEN) == 0;
}

bool merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                               const merkle_hash old_root,
                               const merkle_hash new_root,
                               const merkle_hash *path, size_t n)
{
    if (old_size == 0 || old_size > new_size)
        return false;
    if (old_size == new_size)
        return n == 0 && memcmp(old_root, new_root, MERKLE_HASH_LEN) == 0;
    if (n == 0)
        return false;
    /* Step 2: an old tree that is one complete subtree is its own first
     * node; the path then starts at the next one. */
    const merkle_hash *p = path;
    size_t left = n;
    merkle_hash first;
    if (is_power_of_two(old_size)) {
        memcpy(first, old_root, MERKLE_HASH_LEN);
    } else {
        memcpy(first, p[0], MERKLE_HASH_LEN);
        p++;
        left--;
    }
    uint64_t fn = old_size - 1, sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    merkle_hash fr, sr;
    memcpy(fr, first, MERKLE_HASH_LEN);
    memcpy(sr, first, MERKLE_HASH_LEN);
    for (size_t i = 0; i < left; i++) {
        if (sn == 0)
            return false;
        if ((fn & 1) || fn == sn) {
            merkle_node_hash(p[i], fr, fr);
            merkle_node_hash(p[i], sr, sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            merkle_node_hash(sr, p[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp(fr, old_root, MERKLE_HASH_LEN) == 0 &&
           memcmp(sr, new_root, MERKLE_HASH_LEN) == 0;
}

/* --- building ---------------------------------------------------------------- */

unsigned merkle_completed_levels(uint64_t size)
{
    return size ? 1 + (unsigned)__builtin_ctzll(size) : 0;
}

void merkle_frontier_init(merkle_frontier *f)
{
    memset(f, 0, sizeof *f);
}

unsigned merkle_frontier_push(merkle_frontier *f, const merkle_hash leaf,
                              merkle_hash *out)
{
    uint64_t size = f->size + 1;
    unsigned levels = merkle_completed_levels(size);
    memcpy(out[0], leaf, MERKLE_HASH_LEN);
    for (unsigned l = 1; l < levels; l++)
        merkle_node_hash(f->nodes[--f->n], out[l - 1], out[l]);
    memcpy(f->nodes[f->n++], out[levels - 1], MERKLE_HASH_LEN);
    f->size = size;
    return levels;
}

void merkle_frontier_root(const merkle_frontier *f, merkle_hash out)
{
    if (f->n == 0) {
        hash_sha256("", 0, out);
        return;
    }
    merkle_hash acc;
    memcpy(acc, f->nodes[f->n - 1], MERKLE_HASH_LEN);
    for (unsigned i = f->n - 1; i-- > 0;)
        merkle_node_hash(f->nodes[i], acc, acc);
    memcpy(out, acc, MERKLE_HASH_LEN);
}
