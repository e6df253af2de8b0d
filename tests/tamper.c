/*
 * tamper - what a dishonest operator with write access to the files could
 * do: rewrite entry K's amount, recompute the hash chain of every later
 * entry, and re-derive every other table from the rewritten journal with
 * jifend's own rebuild (balances, lots, notices, the stored head), so that
 * the plain verification (chain + replay + invariants) passes. Only a
 * signed checkpoint taken before the rewrite can tell. Test tool; never
 * installed.
 *
 *   tamper DIR K AMOUNT      (the ledger's rule set: the embedded default)
 */
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "policy.h"
#include "rebuild.h"
#include "ruleset.h"
#include "storage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rewrites the journal in place from entry k on. 0 or -1. */
static int rewrite_journal(const char *dir, uint64_t k, uint64_t amount)
{
    char err[512];
    storage *st = NULL;
    if (storage_open(&st, dir, 1u << 20, err, sizeof err) != STORAGE_OK) {
        fprintf(stderr, "tamper: %s\n", err);
        return -1;
    }
    storage_txn txn;
    storage_txn_begin(st, &txn, true);
    static jifen_entry e;
    size_t cap = codec_entry_max_size();
    uint8_t *buf = malloc(cap), prev[32] = {0};
    for (uint64_t seq = 1;; seq++) {
        uint8_t key[8];
        storage_val v;
        storage_be64_put(key, seq);
        if (storage_get(&txn, TABLE_JOURNAL, key, 8, &v) != STORAGE_OK)
            break;
        if (codec_entry_decode_text(v.data, v.len, &e, err, sizeof err) !=
            JIFEN_STATUS_OK) {
            fprintf(stderr, "tamper: entry %" PRIu64 ": %s\n", seq, err);
            return -1;
        }
        if (seq == k) {
            for (size_t i = 0; i < e.n_postings; i++)
                e.postings[i].amount = amount;
            if (e.command.points)
                e.command.points = (uint32_t)amount;
            if (e.command.amount)
                e.command.amount = amount;
        }
        if (seq >= k) { /* re-chain from the rewritten entry on */
            memcpy(e.prev_hash, prev, 32);
            size_t len = codec_entry_encode(&e, buf, cap);
            storage_put(&txn, TABLE_JOURNAL, key, 8, buf, len,
                        STORAGE_PUT_OVERWRITE);
            hash_sha256(buf, len, prev);
        } else {
            hash_sha256(v.data, v.len, prev);
        }
        free(e.command.text);
        e.command.text = NULL;
    }
    free(buf);
    storage_error se = storage_txn_commit(&txn);
    storage_close(&st);
    if (se != STORAGE_OK) {
        fprintf(stderr, "tamper: commit failed\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: tamper DIR K AMOUNT\n");
        return 2;
    }
    uint64_t k = strtoull(argv[2], NULL, 10), amount = strtoull(argv[3], NULL, 10);
    char err[600], tmp[4096], from[4200], to[4200];
    policy pol;
    if (hash_init() != 0 || policy_load_default(&pol, err, sizeof err) != 0 ||
        rewrite_journal(argv[1], k, amount) != 0)
        return 1;
    /* Everything else, consistent with the rewritten journal: jifend's own
     * rebuild, put in place of the ledger as a migration does. */
    snprintf(tmp, sizeof tmp, "%s/tamper.tmp", argv[1]);
    snprintf(from, sizeof from, "%s/data.mdb", tmp);
    snprintf(to, sizeof to, "%s/data.mdb", argv[1]);
    rebuild_options ro = {.pol = &pol};
    rebuild_report r;
    if (mkdir(tmp, 0700) != 0 ||
        rebuild_ledger(argv[1], tmp, &ro, &r, err, sizeof err) != 0 ||
        rename(from, to) != 0) {
        fprintf(stderr, "tamper: rebuilding: %s\n", err);
        return 1;
    }
    snprintf(from, sizeof from, "%s/lock.mdb", tmp);
    unlink(from);
    rmdir(tmp);
    printf("rewrote entry %" PRIu64 " to %" PRIu64 " and re-chained\n", k,
           amount);
    return 0;
}
