/*
 * merkle_vectors - prints what the C tree code (common/merkle.c) makes of
 * generated trees of every size from 1 to N (default 1000), for
 * merkle_crosscheck.py to compare with Python's own code: one JSON line per
 * size with its root, inclusion proofs and consistency proofs (every one
 * for sizes up to 64, a sample of 16 of each above), and whether the C
 * verifier accepts them. Leaf i's data is leaf_data(i) (printed in hex on
 * the first line) so that both sides hash the same bytes themselves.
 */
#include "hash.h"
#include "merkle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t leaf_data(unsigned i, uint8_t *out)
{
    size_t len = 1 + i % 13;
    for (size_t k = 0; k < len; k++)
        out[k] = (uint8_t)(i * 31 + k * 17);
    return len;
}

typedef struct {
    merkle_hash *leaves;
    uint64_t n;
} tree;

/* Subtrees from the leaves, remembered per (level, index). */
static merkle_hash *memo;
static uint8_t *known;
static uint64_t memo_leaves;

static int node(void *ctx, unsigned level, uint64_t index, merkle_hash out)
{
    const tree *t = ctx;
    uint64_t size = (uint64_t)1 << level;
    if ((index + 1) * size > t->n || level > 10)
        return 99;
    size_t slot = (size_t)level * memo_leaves + index;
    if (!known[slot]) {
        if (level == 0) {
            memcpy(memo[slot], t->leaves[index], 32);
        } else {
            merkle_hash l, r;
            node(ctx, level - 1, 2 * index, l);
            node(ctx, level - 1, 2 * index + 1, r);
            merkle_node_hash(l, r, memo[slot]);
        }
        known[slot] = 1;
    }
    memcpy(out, memo[slot], 32);
    return 0;
}

static void print_path(const merkle_hash *path, size_t n)
{
    char hex[65];
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s\"%s\"", i ? "," : "", hash_hex(path[i], 32, hex, sizeof hex));
    putchar(']');
}

/* 16 spread samples of 1..n, or all of them for n <= 64. */
static uint64_t sample(uint64_t k, uint64_t n)
{
    return n <= 64 ? k : 1 + (k * 7919 + n) % n;
}

int main(int argc, char **argv)
{
    unsigned max = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
    if (hash_init() != 0 || max < 1 || max > 1024)
        return 2;
    memo_leaves = max;
    memo = calloc((size_t)11 * max, sizeof *memo);
    known = calloc((size_t)11 * max, 1);
    merkle_hash *leaves = calloc(max, sizeof *leaves), *roots;
    roots = calloc(max + 1, sizeof *roots);
    if (!memo || !known || !leaves || !roots)
        return 1;
    for (unsigned i = 0; i < max; i++) {
        uint8_t d[16];
        merkle_leaf_hash(d, leaf_data(i, d), leaves[i]);
    }
    int bad = 0;
    for (uint64_t n = 1; n <= max; n++) {
        tree t = {leaves, n};
        merkle_reader r;
        merkle_reader_init(&r, node, &t);
        char hex[65];
        if (merkle_root(&r, n, roots[n]) != 0)
            return 1;
        printf("{\"size\":%llu,\"root\":\"%s\",\"inclusion\":[",
               (unsigned long long)n, hash_hex(roots[n], 32, hex, sizeof hex));
        uint64_t count = n <= 64 ? n : 16;
        for (uint64_t k = 0; k < count; k++) {
            uint64_t i = n <= 64 ? k : sample(k, n) - 1;
            merkle_hash path[MERKLE_PROOF_MAX];
            size_t len = 0;
            if (merkle_inclusion_proof(&r, i, n, path, &len) != 0)
                return 1;
            bad += !merkle_verify_inclusion(i, n, leaves[i], path, len,
                                            roots[n]);
            printf("%s[%llu,", k ? "," : "", (unsigned long long)i);
            print_path(path, len);
            putchar(']');
        }
        printf("],\"consistency\":[");
        for (uint64_t k = 0; k < count; k++) {
            uint64_t m = n <= 64 ? k + 1 : sample(k, n);
            merkle_hash path[MERKLE_PROOF_MAX];
            size_t len = 0;
            if (merkle_consistency_proof(&r, m, n, path, &len) != 0)
                return 1;
            bad += !merkle_verify_consistency(m, n, roots[m], roots[n], path,
                                              len);
            printf("%s[%llu,", k ? "," : "", (unsigned long long)m);
            print_path(path, len);
            putchar(']');
        }
        printf("]}\n");
    }
    printf("{\"c_verifier_failures\":%d}\n", bad);
    free(memo);
    free(known);
    free(leaves);
    free(roots);
    return 0;
}
