/*
 * merkle: the tree math (common/merkle.c) against the published RFC 6962 /
 * RFC 9162 test vectors, every shape of tree up to 64 leaves, the number of
 * node reads a proof costs in a 10-million-entry tree; and its keeping in
 * LMDB (daemon/merkle_store.c): appends, the migration of a ledger written
 * without a tree, replicas.
 *
 * The vectors are the reference tree of 8 leaves used by Certificate
 * Transparency's implementations, as published in transparency-dev/merkle,
 * proof/verify_test.go (inclusionProofs, consistencyProofs, roots, leaves;
 * their leaf numbers count from 1, ours from 0).
 */
#include "hash.h"
#include "merkle.h"
#include "merkle_store.h"
#include "storage.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void unhex(const char *hex, uint8_t *out, size_t n)
{
    assert_int_equal(strlen(hex), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void assert_hash(const merkle_hash got, const char *want_hex)
{
    merkle_hash want;
    unhex(want_hex, want, sizeof want);
    if (memcmp(got, want, sizeof want) != 0) {
        char hex[65];
        fail_msg("hash %s, expected %s", hash_hex(got, 32, hex, sizeof hex),
                 want_hex);
    }
}

/* --- an in-memory tree: the subtrees computed from the leaves ------------- */

typedef struct {
    merkle_hash *leaves;
    uint64_t n;
} mem_tree;

static void mem_subtree(const mem_tree *t, uint64_t lo, uint64_t size,
                        merkle_hash out)
{
    if (size == 1) {
        memcpy(out, t->leaves[lo], 32);
        return;
    }
    merkle_hash l, r;
    mem_subtree(t, lo, size / 2, l);
    mem_subtree(t, lo + size / 2, size / 2, r);
    merkle_node_hash(l, r, out);
}

static int mem_node(void *ctx, unsigned level, uint64_t index,
                    merkle_hash out)
{
    const mem_tree *t = ctx;
    uint64_t size = (uint64_t)1 << level;
    if ((index + 1) * size > t->n)
        return 99; /* a node the tree does not have yet: a bug */
    mem_subtree(t, index * size, size, out);
    return 0;
}

/* The leaves of the reference tree (hex of the data). */
static const char *const RFC_LEAVES[8] = {
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"};
static const char *const RFC_ROOTS[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
static const char EMPTY_ROOT[] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

typedef struct {
    uint64_t a, b; /* leaf (from 1) and size, or old and new size */
    size_t n;
    const char *path[3];
} vector;

static const vector RFC_INCLUSION[] = {
    {1, 8, 3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8, 3,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3, 3, 1,
     {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2, 5, 3,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const vector RFC_CONSISTENCY[] = {
    {1, 8, 3,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8, 3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5, 2,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7, 3,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static merkle_hash rfc_leaf_hashes[8];

static mem_tree rfc_tree(uint64_t n)
{
    for (size_t i = 0; i < 8; i++) {
        uint8_t data[16];
        size_t len = strlen(RFC_LEAVES[i]) / 2;
        unhex(RFC_LEAVES[i], data, len);
        merkle_leaf_hash(data, len, rfc_leaf_hashes[i]);
    }
    return (mem_tree){rfc_leaf_hashes, n};
}

static void test_rfc_roots(void **state)
{
    (void)state;
    merkle_hash root;
    merkle_reader r;
    mem_tree t0 = rfc_tree(0);
    merkle_reader_init(&r, mem_node, &t0);
    assert_int_equal(merkle_root(&r, 0, root), 0);
    assert_hash(root, EMPTY_ROOT);
    for (uint64_t n = 1; n <= 8; n++) {
        mem_tree t = rfc_tree(n);
        merkle_reader_init(&r, mem_node, &t);
        assert_int_equal(merkle_root(&r, n, root), 0);
        assert_hash(root, RFC_ROOTS[n - 1]);
        /* The in-memory frontier (verify's) agrees. */
        merkle_frontier f;
        merkle_hash done[MERKLE_PROOF_MAX];
        merkle_frontier_init(&f);
        for (uint64_t i = 0; i < n; i++)
            merkle_frontier_push(&f, t.leaves[i], done);
        merkle_frontier_root(&f, root);
        assert_hash(root, RFC_ROOTS[n - 1]);
    }
}

static void root_of(uint64_t n, merkle_hash out)
{
    unhex(RFC_ROOTS[n - 1], out, 32);
}

static void test_rfc_inclusion(void **state)
{
    (void)state;
    for (size_t v = 0; v < sizeof RFC_INCLUSION / sizeof *RFC_INCLUSION;
         v++) {
        const vector *x = &RFC_INCLUSION[v];
        mem_tree t = rfc_tree(x->b);
        merkle_reader r;
        merkle_reader_init(&r, mem_node, &t);
        merkle_hash path[MERKLE_PROOF_MAX], root;
        size_t n = 0;
        assert_int_equal(merkle_inclusion_proof(&r, x->a - 1, x->b, path, &n),
                         0);
        assert_int_equal(n, x->n);
        for (size_t i = 0; i < n; i++)
            assert_hash(path[i], x->path[i]);
        root_of(x->b, root);
        const uint8_t *leaf = t.leaves[x->a - 1];
        assert_true(merkle_verify_inclusion(x->a - 1, x->b, leaf, path, n,
                                            root));
        /* What a forger would try (as transparency-dev's tests do): other
         * index, other size, other leaf, a bit flipped, one hash less or
         * more. None holds. */
        assert_false(merkle_verify_inclusion(x->a, x->b, leaf, path, n, root));
        if (x->a > 1)
            assert_false(merkle_verify_inclusion(x->a - 2, x->b, leaf, path,
                                                 n, root));
        assert_false(merkle_verify_inclusion(x->a - 1, x->b * 2, leaf, path,
                                             n, root));
        assert_false(merkle_verify_inclusion(x->a - 1, x->b, root, path, n,
                                             root));
        for (size_t i = 0; i < n; i++) {
            path[i][0] ^= 8;
            assert_false(merkle_verify_inclusion(x->a - 1, x->b, leaf, path,
                                                 n, root));
            path[i][0] ^= 8;
        }
        assert_false(merkle_verify_inclusion(x->a - 1, x->b, leaf, path,
                                             n - 1, root));
        memcpy(path[n], root, 32);
        assert_false(merkle_verify_inclusion(x->a - 1, x->b, leaf, path,
                                             n + 1, root));
    }
    /* A tree of one leaf: the empty path, and the root is the leaf. */
    mem_tree t = rfc_tree(1);
    assert_true(
        merkle_verify_inclusion(0, 1, t.leaves[0], NULL, 0, t.leaves[0]));
    assert_false(merkle_verify_inclusion(1, 1, t.leaves[0], NULL, 0,
                                         t.leaves[0]));
}

static void test_rfc_consistency(void **state)
{
    (void)state;
    for (size_t v = 0;
         v < sizeof RFC_CONSISTENCY / sizeof *RFC_CONSISTENCY; v++) {
        const vector *x = &RFC_CONSISTENCY[v];
        mem_tree t = rfc_tree(x->b);
        merkle_reader r;
        merkle_reader_init(&r, mem_node, &t);
        merkle_hash path[MERKLE_PROOF_MAX + 1], r1, r2;
        size_t n = 0;
        assert_int_equal(merkle_consistency_proof(&r, x->a, x->b, path, &n),
                         0);
        assert_int_equal(n, x->n);
        for (size_t i = 0; i < n; i++)
            assert_hash(path[i], x->path[i]);
        root_of(x->a, r1);
        root_of(x->b, r2);
        assert_true(merkle_verify_consistency(x->a, x->b, r1, r2, path, n));
        /* Swapped roots, other sizes, a bit flipped, cut short. */
        assert_false(merkle_verify_consistency(x->a, x->b, r2, r1, path, n));
        assert_false(merkle_verify_consistency(x->a + 1, x->b, r1, r2, path,
                                               n));
        assert_false(merkle_verify_consistency(x->a - 1, x->b, r1, r2, path,
                                               n));
        assert_false(merkle_verify_consistency(x->a, x->b * 2, r1, r2, path,
                                               n));
        assert_false(merkle_verify_consistency(x->a, x->b, r1, r2, path, 0));
        assert_false(merkle_verify_consistency(x->a, x->b, r1, r2, path,
                                               n - 1));
        for (size_t i = 0; i < n; i++) {
            path[i][0] ^= 16;
            assert_false(merkle_verify_consistency(x->a, x->b, r1, r2, path,
                                                   n));
            path[i][0] ^= 16;
        }
    }
    merkle_hash a, b;
    root_of(1, a);
    root_of(2, b);
    /* Equal sizes: equal roots and nothing else; never backwards, and
     * never from the empty tree. */
    assert_true(merkle_verify_consistency(3, 3, a, a, NULL, 0));
    assert_false(merkle_verify_consistency(3, 3, a, b, NULL, 0));
    assert_false(merkle_verify_consistency(2, 1, b, a, NULL, 0));
    assert_false(merkle_verify_consistency(0, 1, a, a, NULL, 0));
}

/* Every tree of 1 to 64 leaves: every inclusion proof and every pair of
 * sizes, made and checked, the frontier's root and the subtrees each
 * push completes against the reader's. (tests/merkle_crosscheck.py takes the same
 * to 1,000 leaves, against Python's own code.) */
static void test_every_shape(void **state)
{
    (void)state;
    enum { N = 64 };
    merkle_hash leaves[N], roots[N + 1];
    for (unsigned i = 0; i < N; i++) {
        uint8_t data[4] = {(uint8_t)i, (uint8_t)(i * 7), 1, 2};
        merkle_leaf_hash(data, 1 + i % 4, leaves[i]);
    }
    merkle_frontier f;
    merkle_frontier_init(&f);
    for (uint64_t n = 1; n <= N; n++) {
        mem_tree t = {leaves, n};
        merkle_reader r;
        merkle_reader_init(&r, mem_node, &t);
        merkle_hash done[MERKLE_PROOF_MAX];
        unsigned k = merkle_frontier_push(&f, leaves[n - 1], done);
        assert_int_equal(k, merkle_completed_levels(n));
        for (unsigned l = 0; l < k; l++) { /* subtree (l, (n >> l) - 1) */
            merkle_hash want;
            assert_int_equal(mem_node(&t, l, (n >> l) - 1, want), 0);
            assert_memory_equal(done[l], want, 32);
        }
        assert_int_equal(merkle_root(&r, n, roots[n]), 0);
        merkle_hash fr;
        merkle_frontier_root(&f, fr);
        assert_memory_equal(fr, roots[n], 32);
        for (uint64_t i = 0; i < n; i++) {
            merkle_hash path[MERKLE_PROOF_MAX];
            size_t len = 0;
            assert_int_equal(merkle_inclusion_proof(&r, i, n, path, &len), 0);
            assert_true(
                merkle_verify_inclusion(i, n, leaves[i], path, len, roots[n]));
            if (n > 1)
                assert_false(merkle_verify_inclusion(
                    (i + 1) % n, n, leaves[i], path, len, roots[n]));
        }
        for (uint64_t m = 1; m <= n; m++) {
            merkle_hash path[MERKLE_PROOF_MAX];
            size_t len = 0;
            assert_int_equal(merkle_consistency_proof(&r, m, n, path, &len),
                             0);
            assert_true(merkle_verify_consistency(m, n, roots[m], roots[n],
                                                  path, len));
            if (m < n)
                assert_false(merkle_verify_consistency(m, n, roots[n],
                                                       roots[n], path, len));
        }
    }
    assert_int_equal(merkle_inclusion_proof(NULL, 5, 5, NULL, &(size_t){0}),
                     -1);
}

/* A tree too large to build: a node's "hash" is its position, and the
 * reader counts what a proof asks for. */
static int counted_node(void *ctx, unsigned level, uint64_t index,
                        merkle_hash out)
{
    (void)ctx;
    memset(out, 0, 32);
    memcpy(out, &index, sizeof index);
    out[31] = (uint8_t)level;
    return 0;
}

static void test_reads_are_logarithmic(void **state)
{
    (void)state;
    const uint64_t n = 10000000; /* 2^23 < n < 2^24 */
    const uint64_t levels = 24;
    merkle_reader r;
    merkle_reader_init(&r, counted_node, NULL);
    merkle_hash path[MERKLE_PROOF_MAX], root;
    size_t len = 0;
    uint64_t worst = 0;
    for (uint64_t i = 0; i < n; i += 99991) {
        merkle_reader fresh;
        merkle_reader_init(&fresh, counted_node, NULL);
        assert_int_equal(merkle_inclusion_proof(&fresh, i, n, path, &len), 0);
        assert_true(len <= levels);
        if (fresh.reads > worst)
            worst = fresh.reads;
    }
    /* A proof alone reads at most two nodes a level (siblings, and the
     * right edge folded once). */
    assert_true(worst <= 2 * levels);
    /* One reader for a whole statement: the right edge is read once. */
    assert_int_equal(merkle_root(&r, n, root), 0);
    uint64_t before = r.reads;
    for (uint64_t i = 1; i < 1000; i++)
        assert_int_equal(merkle_inclusion_proof(&r, i * 9973, n, path, &len),
                         0);
    assert_true(r.reads - before <= 999 * levels);
    /* A consistency proof between two sizes of that tree too. */
    merkle_reader_init(&r, counted_node, NULL);
    assert_int_equal(merkle_consistency_proof(&r, 6543210, n, path, &len), 0);
    assert_true(len <= levels + 1);
    assert_true(r.reads <= 3 * levels);
}

/* --- kept in LMDB ------------------------------------------------------------ */

/* A journal entry's stand-in: bytes that differ by seq and in length. */
static size_t fake_entry(uint64_t seq, uint8_t *buf)
{
    size_t len = 20 + seq % 37;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seq * 131 + i * 7);
    return len;
}

/* Appends entries from+1 .. to (the bytes of fake_entry, or other bytes
 * when `other`) in one transaction, through `edge` into the tree too
 * (NULL: the journal alone); commits or aborts. */
static void append_txn(storage *st, merkle_edge *edge, uint64_t from,
                       uint64_t to, bool other, bool commit)
{
    storage_txn txn;
    assert_int_equal(storage_txn_begin(st, &txn, true), STORAGE_OK);
    for (uint64_t seq = from + 1; seq <= to; seq++) {
        uint8_t buf[64], key[8];
        size_t len = fake_entry(seq, buf);
        if (other)
            buf[0] ^= 0x5a;
        storage_be64_put(key, seq);
        storage_put(&txn, TABLE_JOURNAL, key, 8, buf, len, STORAGE_PUT_APPEND);
        if (edge)
            assert_int_equal(merkle_append(&txn, edge, seq, buf, len),
                             STORAGE_OK);
    }
    if (commit)
        assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    else
        storage_txn_abort(&txn);
}

/* Writes entries from+1 .. to into the journal and (with_tree) the tree,
 * `per_txn` a transaction, through a writer's edge that starts unknown. */
static void write_entries(storage *st, uint64_t from, uint64_t to,
                          uint64_t per_txn, bool with_tree)
{
    merkle_edge edge = {.known = false};
    for (uint64_t at = from; at < to; at += per_txn)
        append_txn(st, with_tree ? &edge : NULL, at,
                   to - at < per_txn ? to : at + per_txn, false, true);
}

static void frontier_of(uint64_t n, merkle_frontier *f)
{
    merkle_frontier_init(f);
    for (uint64_t seq = 1; seq <= n; seq++) {
        uint8_t buf[64];
        merkle_hash leaf, done[MERKLE_PROOF_MAX];
        merkle_leaf_hash(buf, fake_entry(seq, buf), leaf);
        merkle_frontier_push(f, leaf, done);
    }
}

static void test_store(void **state)
{
    (void)state;
    char err[256];
    char *dir = testutil_tmpdir();
    storage *st = NULL;
    assert_int_equal(storage_open(&st, dir, 8 << 20, err, sizeof err),
                     STORAGE_OK);
    write_entries(st, 0, 700, 37, true);
    storage_txn txn;
    assert_int_equal(storage_txn_begin(st, &txn, false), STORAGE_OK);
    uint64_t size = 0;
    assert_int_equal(merkle_store_size(&txn, &size), STORAGE_OK);
    assert_int_equal(size, 700);
    merkle_store_reader mr;
    merkle_store_reader_init(&mr, &txn);
    for (uint64_t n = 1; n <= 700; n += (n < 80 ? 1 : 53)) {
        merkle_frontier f;
        merkle_hash root, fr, path[MERKLE_PROOF_MAX];
        frontier_of(n, &f);
        merkle_frontier_root(&f, fr);
        assert_int_equal(merkle_store_root(&mr, n, root), STORAGE_OK);
        assert_memory_equal(root, fr, 32);
        for (uint64_t seq = 1; seq <= n; seq += (n < 80 ? 1 : 17)) {
            uint8_t buf[64];
            merkle_hash leaf;
            size_t len = 0;
            merkle_leaf_hash(buf, fake_entry(seq, buf), leaf);
            assert_int_equal(merkle_store_inclusion(&mr, seq, n, path, &len),
                             STORAGE_OK);
            assert_true(merkle_verify_inclusion(seq - 1, n, leaf, path, len,
                                                root));
        }
    }
    /* Past the end of the tree is damage, not a wrong answer. */
    merkle_hash path[MERKLE_PROOF_MAX], root;
    size_t len = 0;
    assert_int_equal(merkle_store_inclusion(&mr, 3, 701, path, &len),
                     STORAGE_CORRUPT);
    assert_int_equal(merkle_store_consistency(&mr, 5, 700, path, &len),
                     STORAGE_OK);
    assert_int_equal(merkle_store_root(&mr, 701, root), STORAGE_CORRUPT);
    storage_txn_abort(&txn);
    storage_close(&st);
    testutil_rmtree(&dir);
}

static void assert_same_tree(storage *a, storage *b);

/* The writer's edge is carried from transaction to transaction; after a
 * transaction that appended other entries aborts, the tree grows as if it
 * had never been, whether the writer forgot its edge (as ledger.c does) or
 * not (the size no longer fits: it is read again), and equals a tree
 * written a transaction at a time from a fresh edge. */
static void test_edge_across_aborts(void **state)
{
    (void)state;
    char err[256];
    char *dir_a = testutil_tmpdir(), *dir_b = testutil_tmpdir();
    storage *a = NULL, *b = NULL;
    assert_int_equal(storage_open(&a, dir_a, 8 << 20, err, sizeof err),
                     STORAGE_OK);
    assert_int_equal(storage_open(&b, dir_b, 8 << 20, err, sizeof err),
                     STORAGE_OK);
    merkle_edge edge = {.known = false};
    append_txn(a, &edge, 0, 255, false, true);
    append_txn(a, &edge, 255, 300, true, false); /* aborted, not forgotten */
    assert_true(edge.known && edge.f.size == 300);
    append_txn(a, &edge, 255, 256, false, true);
    append_txn(a, &edge, 256, 400, true, false);
    merkle_edge_forget(&edge); /* aborted, forgotten */
    append_txn(a, &edge, 256, 513, false, true);
    write_entries(b, 0, 513, 19, true);
    assert_same_tree(a, b);
    storage_txn txn;
    assert_int_equal(storage_txn_begin(a, &txn, false), STORAGE_OK);
    merkle_store_reader mr;
    merkle_store_reader_init(&mr, &txn);
    merkle_frontier f;
    merkle_hash root, fr;
    frontier_of(513, &f);
    merkle_frontier_root(&f, fr);
    assert_int_equal(merkle_store_root(&mr, 513, root), STORAGE_OK);
    assert_memory_equal(root, fr, 32);
    storage_txn_abort(&txn);
    storage_close(&a);
    storage_close(&b);
    testutil_rmtree(&dir_a);
    testutil_rmtree(&dir_b);
}

/* Byte for byte, the tree tables of two environments. */
static void assert_same_tree(storage *a, storage *b)
{
    storage_txn ta, tb;
    storage_cursor *ca = NULL, *cb = NULL;
    storage_val ka, va, kb, vb;
    assert_int_equal(storage_txn_begin(a, &ta, false), STORAGE_OK);
    assert_int_equal(storage_txn_begin(b, &tb, false), STORAGE_OK);
    assert_int_equal(storage_cursor_open(&ta, TABLE_MERKLE, &ca), STORAGE_OK);
    assert_int_equal(storage_cursor_open(&tb, TABLE_MERKLE, &cb), STORAGE_OK);
    storage_error ea = storage_cursor_first(ca, &ka, &va);
    storage_error eb = storage_cursor_first(cb, &kb, &vb);
    size_t rows = 0;
    while (ea == STORAGE_OK && eb == STORAGE_OK) {
        assert_int_equal(ka.len, kb.len);
        assert_memory_equal(ka.data, kb.data, ka.len);
        assert_int_equal(va.len, vb.len);
        assert_memory_equal(va.data, vb.data, va.len);
        rows++;
        ea = storage_cursor_next(ca, &ka, &va);
        eb = storage_cursor_next(cb, &kb, &vb);
    }
    assert_int_equal(ea, STORAGE_NOT_FOUND);
    assert_int_equal(eb, STORAGE_NOT_FOUND);
    assert_true(rows > 0);
    storage_cursor_close(&ca);
    storage_cursor_close(&cb);
    storage_txn_abort(&ta);
    storage_txn_abort(&tb);
}

static void progress(void *ctx, uint64_t done, uint64_t todo)
{
    uint64_t *calls = ctx;
    assert_true(done <= todo);
    (*calls)++;
}

/* A journal written without the tree (by an older jifend), in part or
 * whole, gets the tree the appends would have built. */
static void test_catch_up(void **state)
{
    (void)state;
    char err[256];
    char *d1 = testutil_tmpdir(), *d2 = testutil_tmpdir();
    storage *built = NULL, *late = NULL;
    assert_int_equal(storage_open(&built, d1, 8 << 20, err, sizeof err),
                     STORAGE_OK);
    assert_int_equal(storage_open(&late, d2, 8 << 20, err, sizeof err),
                     STORAGE_OK);
    write_entries(built, 0, 300, 1000, true);
    write_entries(late, 0, 120, 7, true);   /* with the tree, */
    write_entries(late, 120, 300, 50, false); /* then an older jifend */
    storage_txn txn;
    uint64_t n = 0, calls = 0;
    assert_int_equal(storage_txn_begin(late, &txn, true), STORAGE_OK);
    assert_int_equal(merkle_store_catch_up(&txn, 300, progress, &calls, &n),
                     STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
    assert_int_equal(n, 180);
    assert_true(calls >= 1);
    assert_same_tree(built, late);
    /* Nothing to do the second time; a tree longer than the journal is
     * damage. */
    assert_int_equal(storage_txn_begin(late, &txn, true), STORAGE_OK);
    assert_int_equal(merkle_store_catch_up(&txn, 300, NULL, NULL, &n),
                     STORAGE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(merkle_store_catch_up(&txn, 299, NULL, NULL, &n),
                     STORAGE_CORRUPT);
    storage_txn_abort(&txn);
    storage_close(&built);
    storage_close(&late);
    testutil_rmtree(&d1);
    testutil_rmtree(&d2);
}

/* --- through the ledger: the write path, a restart, a replica ------------- */

static const char *const POLICY_TEXT[] = {
    "version = merkle-1\nfen_per_point = 100\nmax_offset_percent = 50\n"
    "[activity meeting]\npoints = 2\n"};

static void ledger_tree(ledger *led, uint64_t *size, merkle_hash root)
{
    storage_txn txn;
    assert_int_equal(storage_txn_begin(ledger_storage(led), &txn, false),
                     STORAGE_OK);
    assert_int_equal(merkle_store_size(&txn, size), STORAGE_OK);
    merkle_store_reader mr;
    merkle_store_reader_init(&mr, &txn);
    assert_int_equal(merkle_store_root(&mr, *size, root), STORAGE_OK);
    storage_txn_abort(&txn);
}

static void write_some(testutil_book *b, int count)
{
    int64_t t = testutil_at(2026, 3, 1, 10, 0);
    jifen_command add = {.kind = JIFEN_CMD_HOUSEHOLD_ADD};
    jifen_result res;
    snprintf(add.household, sizeof add.household, "1-1-%03d",
             (int)testutil_book_head(b));
    assert_int_equal(testutil_book_write(b, t, "test", &add, &res), 0);
    for (int i = 0; i < count; i++) {
        jifen_command aw = {.kind = JIFEN_CMD_AWARD};
        memcpy(aw.household, add.household, sizeof aw.household);
        snprintf(aw.code, sizeof aw.code, "meeting");
        assert_int_equal(testutil_book_write(b, t + i, "test", &aw, &res), 0);
        assert_int_equal(res.status, JIFEN_STATUS_OK);
    }
}

/* Overwrites (or with len 0 deletes) the tree's record of entry seq. */
static void damage_record(testutil_book *b, uint64_t seq, const void *val,
                          size_t len)
{
    storage_txn txn;
    uint8_t key[8];
    storage_be64_put(key, seq);
    assert_int_equal(storage_txn_begin(ledger_storage(b->led), &txn, true),
                     STORAGE_OK);
    if (len)
        assert_int_equal(storage_put(&txn, TABLE_MERKLE, key, 8, val, len,
                                     STORAGE_PUT_OVERWRITE),
                         STORAGE_OK);
    else
        assert_int_equal(storage_del(&txn, TABLE_MERKLE, key, 8), STORAGE_OK);
    assert_int_equal(storage_txn_commit(&txn), STORAGE_OK);
}

/* verify recomputes the tree from the journal (on a thread of its own)
 * and names the first record that differs from it, or that is missing;
 * with the record put back the ledger verifies again. */
static void test_verify_catches_a_damaged_tree(void **state)
{
    (void)state;
    testutil_book b;
    assert_int_equal(testutil_book_open(&b, POLICY_TEXT, 1), 0);
    write_some(&b, 40);
    jifen_verify_report r;
    assert_int_equal(ledger_verify(b.led, &r), LEDGER_OK);
    assert_true(r.ok);
    storage_txn txn;
    uint8_t key[8], saved[MERKLE_PROOF_MAX * MERKLE_HASH_LEN];
    storage_val v;
    storage_be64_put(key, 16);
    assert_int_equal(storage_txn_begin(ledger_storage(b.led), &txn, false),
                     STORAGE_OK);
    assert_int_equal(storage_get(&txn, TABLE_MERKLE, key, 8, &v), STORAGE_OK);
    size_t len = v.len;
    assert_true(len == 5 * MERKLE_HASH_LEN); /* entry 16 completes 5 levels */
    memcpy(saved, v.data, len);
    storage_txn_abort(&txn);

    uint8_t bad[sizeof saved];
    memcpy(bad, saved, len);
    bad[3 * MERKLE_HASH_LEN + 7] ^= 1; /* level 3: entries 9..16 */
    damage_record(&b, 16, bad, len);
    assert_int_equal(ledger_verify(b.led, &r), LEDGER_OK);
    assert_false(r.ok);
    assert_int_equal(r.bad_entry, 16);
    assert_non_null(strstr(r.problem, "the Merkle tree differs"));

    damage_record(&b, 16, NULL, 0);
    assert_int_equal(ledger_verify(b.led, &r), LEDGER_OK);
    assert_false(r.ok);
    assert_int_equal(r.bad_entry, 16);
    assert_non_null(strstr(r.problem, "a gap or a stray record"));

    damage_record(&b, 16, saved, len);
    assert_int_equal(ledger_verify(b.led, &r), LEDGER_OK);
    assert_true(r.ok);
    testutil_book_close(&b);
}

static void test_ledger_tree_and_replica(void **state)
{
    (void)state;
    testutil_book b;
    assert_int_equal(testutil_book_open(&b, POLICY_TEXT, 1), 0);
    write_some(&b, 40);
    uint64_t size = 0;
    merkle_hash root;
    ledger_tree(b.led, &size, root);
    assert_int_equal(size, testutil_book_head(&b));
    /* The tree is the journal's: recomputed from the stored entries. */
    storage_txn txn;
    assert_int_equal(storage_txn_begin(ledger_storage(b.led), &txn, false),
                     STORAGE_OK);
    merkle_frontier f;
    merkle_frontier_init(&f);
    for (uint64_t seq = 1; seq <= size; seq++) {
        uint8_t key[8];
        storage_val v;
        merkle_hash leaf, done[MERKLE_PROOF_MAX];
        storage_be64_put(key, seq);
        assert_int_equal(storage_get(&txn, TABLE_JOURNAL, key, 8, &v),
                         STORAGE_OK);
        merkle_leaf_hash(v.data, v.len, leaf);
        merkle_frontier_push(&f, leaf, done);
    }
    storage_txn_abort(&txn);
    merkle_hash fr;
    merkle_frontier_root(&f, fr);
    assert_memory_equal(fr, root, 32);
    /* A replica fed the journal has the same tree, record for record. */
    assert_int_equal(testutil_book_replica_check(&b), 0);
    testutil_book_close(&b);
}

/* A ledger written by a jifend without the tree (as the current release
 * writes them: no merkle table at all) gets it at its next open, in the
 * one write transaction of the open, and then the same tree as a ledger
 * that always had it. */
static void test_ledger_migration(void **state)
{
    (void)state;
    testutil_book with, without;
    assert_int_equal(testutil_book_open(&with, POLICY_TEXT, 1), 0);
    assert_int_equal(testutil_book_open(&without, POLICY_TEXT, 1), 0);
    /* The second ledger is written with the tree off and its table
     * emptied, as an older jifend leaves it. */
    ledger_close(&without.led);
    ledger_options off = {.map_size = 1 << 20, .map_max = 256 << 20,
                          .rules = without.rules, .merkle_off = true};
    char err[256];
    assert_int_equal(ledger_open(&without.led, without.dir, &without.pol,
                                 &off, err, sizeof err),
                     LEDGER_OK);
    assert_int_equal(ledger_use_rules(without.led, without.rules, err,
                                      sizeof err),
                     0);
    write_some(&with, 25);
    write_some(&without, 25);
    storage_txn txn;
    uint64_t size = 99;
    assert_int_equal(
        storage_txn_begin(ledger_storage(without.led), &txn, false),
        STORAGE_OK);
    assert_int_equal(merkle_store_size(&txn, &size), STORAGE_OK);
    storage_txn_abort(&txn);
    assert_int_equal(size, 0);
    assert_int_equal(testutil_book_reopen(&without), 0); /* tree on */
    uint64_t s1, s2;
    merkle_hash r1, r2;
    ledger_tree(with.led, &s1, r1);
    ledger_tree(without.led, &s2, r2);
    assert_int_equal(s1, 26);
    assert_int_equal(s2, 26);
    assert_memory_equal(r1, r2, 32);
    assert_same_tree(ledger_storage(with.led), ledger_storage(without.led));
    /* And it goes on growing by the write path. */
    write_some(&without, 3);
    ledger_tree(without.led, &s2, r2);
    assert_int_equal(s2, 30);
    testutil_book_close(&with);
    testutil_book_close(&without);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_roots),
        cmocka_unit_test(test_rfc_inclusion),
        cmocka_unit_test(test_rfc_consistency),
        cmocka_unit_test(test_every_shape),
        cmocka_unit_test(test_reads_are_logarithmic),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_edge_across_aborts),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_ledger_tree_and_replica),
        cmocka_unit_test(test_verify_catches_a_damaged_tree),
        cmocka_unit_test(test_ledger_migration),
    };
    if (hash_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
