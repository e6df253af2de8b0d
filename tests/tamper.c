/*
 * tamper - what a dishonest operator with write access to the files could
 * do: rewrite entry K's amount, recompute the hash chain of every later
 * entry, and re-derive every other table from the rewritten journal with
 * jifend's own rebuild (balances, lots, notices, the stored head), so that
 * the plain verification (chain + replay + invariants) passes. Only a
 * signed checkpoint taken before the rewrite can tell. The rebuild
 * recomputes the Merkle tree too; with --resign, as an operator who also
 * holds the signing key (DIR/checkpoint.key), the stored checkpoints are
 * replaced with one signed tree head of the rewritten ledger: against a
 * head published before, it fails the consistency proof. Test tool; never
 * installed.
 *
 *   tamper DIR K AMOUNT [--resign]  (the rule set: the embedded default)
 */
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "offline.h"
#include "journal.h"
#include "notary.h"
#include "policy.h"
#include "rebuild.h"
#include "ruleset.h"
#include "storage.h"

#include <inttypes.h>
#include <stdbool.h>
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

/* The stored checkpoints replaced by one signed tree head of the ledger
 * as it is now, with DIR/checkpoint.key. 0 or -1. */
static int resign(const char *dir, const char *key_dir)
{
    char err[512];
    storage *st = NULL;
    notary *n = NULL;
    if (storage_open(&st, dir, 1u << 20, err, sizeof err) != STORAGE_OK ||
        notary_open(&n, key_dir, st, 1, 86400, err, sizeof err) != 0) {
        fprintf(stderr, "tamper: %s\n", err);
        storage_close(&st);
        return -1;
    }
    storage_txn txn;
    uint64_t last = 0;
    storage_val v;
    uint8_t head[32];
    storage_txn_begin(st, &txn, true);
    storage_clear(&txn, TABLE_CHECKPOINTS);
    if (journal_last(&txn, &last) == STORAGE_OK && last > 0 &&
        journal_get(&txn, last, &v) == STORAGE_OK) {
        hash_sha256(v.data, v.len, head);
        notary_on_commit(n, &txn, last - 1, last, head);
    }
    storage_error se = storage_txn_commit(&txn);
    notary_close(&n);
    storage_close(&st);
    return se == STORAGE_OK && last > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    bool re_sign = argc == 5 && strcmp(argv[4], "--resign") == 0;
    if (argc != 4 && !re_sign) {
        fprintf(stderr, "usage: tamper DIR K AMOUNT [--resign]\n");
        return 2;
    }
    uint64_t k = strtoull(argv[2], NULL, 10), amount = strtoull(argv[3], NULL, 10);
    /* A service's data directory: its only community's ledger. */
    static char ledger_dir[4096];
    char why[600];
    if (offline_ledger_dir(argv[1], NULL, ledger_dir, sizeof ledger_dir, why,
                           sizeof why) != 0) {
        fprintf(stderr, "tamper: %s\n", why);
        return 2;
    }
    const char *key_dir = argv[1]; /* the service's checkpoint key */
    argv[1] = ledger_dir;
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
    if (re_sign && resign(argv[1], key_dir) != 0)
        return 1;
    printf("rewrote entry %" PRIu64 " to %" PRIu64 " and re-chained\n", k,
           amount);
    return 0;
}
