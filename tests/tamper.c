/*
 * tamper - what a dishonest operator with write access to the files could
 * do: rewrite entry K's amount, recompute the hash chain of every later
 * entry, rebuild the balances and the stored head, so that the plain
 * verification (chain + replay + invariants) passes; recompute the Merkle
 * tree too, and with --resign, as an operator who also holds the signing
 * key (DIR/checkpoint.key), replace the stored checkpoints with one signed
 * tree head of the rewritten ledger. Only a signed checkpoint taken before
 * the rewrite can tell: against the old head the new one fails the
 * consistency proof. Test tool; never installed.
 *
 *   tamper DIR K AMOUNT [--resign]
 */
#include "accounts.h"
#include "codec.h"
#include "hash.h"
#include "merkle_store.h"
#include "notary.h"
#include "storage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ACCOUNTS 4096

typedef struct {
    char name[JIFEN_ACCOUNT_MAX + 1];
    account_totals t;
} account;

static account accounts[MAX_ACCOUNTS];
static size_t n_accounts;

static void add(const char *name, uint64_t debit, uint64_t credit)
{
    size_t i = 0;
    while (i < n_accounts && strcmp(accounts[i].name, name) != 0)
        i++;
    if (i == n_accounts) {
        if (n_accounts == MAX_ACCOUNTS)
            abort();
        snprintf(accounts[n_accounts++].name, sizeof accounts[0].name, "%s",
                 name);
    }
    accounts[i].t.debits += debit;
    accounts[i].t.credits += credit;
}

int main(int argc, char **argv)
{
    bool resign = argc == 5 && strcmp(argv[4], "--resign") == 0;
    if (argc != 4 && !resign) {
        fprintf(stderr, "usage: tamper DIR K AMOUNT [--resign]\n");
        return 2;
    }
    uint64_t k = strtoull(argv[2], NULL, 10), amount = strtoull(argv[3], NULL, 10);
    char err[512];
    storage *st = NULL;
    if (hash_init() != 0 ||
        storage_open(&st, argv[1], 64u << 20, err, sizeof err) != STORAGE_OK) {
        fprintf(stderr, "tamper: %s\n", err);
        return 1;
    }
    /* The signing key, loaded before the write transaction begins. */
    notary *n = NULL;
    if (resign && notary_open(&n, argv[1], st, 1, 86400, err, sizeof err)) {
        fprintf(stderr, "tamper: %s\n", err);
        return 1;
    }
    storage_txn txn;
    storage_txn_begin(st, &txn, true);
    static jifen_entry e;
    size_t cap = codec_entry_max_size();
    uint8_t *buf = malloc(cap), prev[32] = {0};
    uint64_t last = 0;
    for (uint64_t seq = 1;; seq++) {
        uint8_t key[8];
        storage_val v;
        storage_be64_put(key, seq);
        if (storage_get(&txn, TABLE_JOURNAL, key, 8, &v) != STORAGE_OK)
            break;
        if (codec_entry_decode(v.data, v.len, &e, err, sizeof err) !=
            JIFEN_STATUS_OK) {
            fprintf(stderr, "tamper: entry %" PRIu64 ": %s\n", seq, err);
            return 1;
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
        for (size_t i = 0; i < e.n_postings; i++) {
            add(e.postings[i].debit, e.postings[i].amount, 0);
            add(e.postings[i].credit, 0, e.postings[i].amount);
        }
        uint8_t head[8 + 32];
        storage_be64_put(head, seq);
        memcpy(head + 8, prev, 32);
        storage_put(&txn, TABLE_META, "head", 4, head, sizeof head,
                    STORAGE_PUT_OVERWRITE);
        last = seq;
    }
    /* The tree of the rewritten journal, by jifend's own code. */
    uint64_t built = 0;
    storage_clear(&txn, TABLE_MERKLE);
    merkle_store_catch_up(&txn, last, NULL, NULL, &built);
    if (n) {
        storage_clear(&txn, TABLE_CHECKPOINTS);
        notary_on_commit(n, &txn, last - 1, last, prev);
    }
    for (size_t i = 0; i < n_accounts; i++) {
        uint8_t rec[BALANCE_RECORD_LEN];
        account_totals_encode(&accounts[i].t, rec);
        storage_put(&txn, TABLE_BALANCES, accounts[i].name,
                    strlen(accounts[i].name), rec, sizeof rec,
                    STORAGE_PUT_OVERWRITE);
    }
    free(buf);
    storage_error se = storage_txn_commit(&txn);
    notary_close(&n);
    storage_close(&st);
    if (se != STORAGE_OK) {
        fprintf(stderr, "tamper: commit failed\n");
        return 1;
    }
    printf("rewrote entry %" PRIu64 " to %" PRIu64 " and re-chained\n", k,
           amount);
    return 0;
}
