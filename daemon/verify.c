#include "verify.h"

#include "accounts.h"
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "journal.h"
#include "keyspace.h"
#include "lots.h"
#include "merkle.h"
#include "notice.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replayed totals per account: an open-addressing table keyed by name. */
typedef struct {
    uint64_t hash; /* of name: probes compare it before the name */
    char name[JIFEN_ACCOUNT_MAX + 1];
    jifen_asset asset;
    account_totals totals;
} replayed_account;

typedef struct {
    replayed_account *slots;
    size_t cap; /* power of two */
    size_t used;
} account_table;

static uint64_t name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static replayed_account *slot_for(account_table *t, const char *name,
                                  uint64_t hash)
{
    size_t i = (size_t)hash & (t->cap - 1);
    while (t->slots[i].name[0] &&
           (t->slots[i].hash != hash || strcmp(t->slots[i].name, name) != 0))
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

static replayed_account *table_slot(account_table *t, const char *name)
{
    return slot_for(t, name, name_hash(name));
}

static int table_grow(account_table *t)
{
    account_table bigger = {calloc(t->cap * 2, sizeof *t->slots), t->cap * 2,
                            t->used};
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].name[0])
            *slot_for(&bigger, t->slots[i].name, t->slots[i].hash) =
                t->slots[i];
    free(t->slots);
    *t = bigger;
    return 0;
}

/* The account's replayed totals, created on first use; NULL on OOM. */
static replayed_account *table_get(account_table *t, const char *name)
{
    if ((t->used + 1) * 4 > t->cap * 3 && table_grow(t) != 0)
        return NULL;
    uint64_t hash = name_hash(name);
    replayed_account *a = slot_for(t, name, hash);
    if (!a->name[0]) {
        /* Names come from decoded postings, so they fit; a plain copy
         * (snprintf was 4 % of a verification, one per account). */
        size_t n = strnlen(name, sizeof a->name - 1);
        memcpy(a->name, name, n);
        a->name[n] = '\0';
        a->hash = hash;
        t->used++;
    }
    return a;
}

static void fail(jifen_verify_report *r, uint64_t entry, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(jifen_verify_report *r, uint64_t entry, const char *fmt, ...)
{
    r->ok = false;
    r->bad_entry = entry;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->problem, sizeof r->problem, fmt, ap);
    va_end(ap);
}

/* Applies one entry's postings to the replay, checking as it goes. */
static bool replay_entry(account_table *t, const jifen_entry *e,
                         uint64_t sums[3][2], jifen_verify_report *r)
{
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        if (p->asset != JIFEN_ASSET_POINTS && p->asset != JIFEN_ASSET_FEE) {
            fail(r, e->seq, "posting %zu has no asset", i + 1);
            return false;
        }
        const char *sides[2] = {p->debit, p->credit};
        for (int s = 0; s < 2; s++) {
            replayed_account *a = table_get(t, sides[s]);
            if (!a) {
                fail(r, e->seq, "out of memory");
                return false;
            }
            if (a->asset && a->asset != p->asset) {
                fail(r, e->seq, "account %s holds both assets", a->name);
                return false;
            }
            a->asset = p->asset;
            if (s == 0)
                a->totals.debits += p->amount;
            else
                a->totals.credits += p->amount;
            sums[p->asset][s] += p->amount;
        }
    }
    /* Only a debit can lower a points balance: check those accounts. */
    for (size_t i = 0; i < e->n_postings; i++) {
        const char *debit = e->postings[i].debit;
        if (!account_is_household_points(debit))
            continue;
        replayed_account *a = table_slot(t, debit);
        if (a->totals.debits > a->totals.credits) {
            fail(r, e->seq, "%s goes below zero", debit);
            return false;
        }
    }
    return true;
}

typedef struct {
    account_table *t;
    jifen_entry *scratch;
    jifen_verify_report *r;
    uint64_t sums[3][2];
    bool ok;
} journal_check;

/* One entry in the order of the journal (journal_foreach): its number,
 * decoding, the chain, the replay. */
static int check_entry(void *ctx, uint64_t seq, const storage_val *stored,
                       const jifen_entry *unused)
{
    (void)unused;
    journal_check *j = ctx;
    jifen_verify_report *r = j->r;
    uint64_t expect = r->entries + 1;
    char why[128];
    if (seq != expect)
        fail(r, expect, "journal key %" PRIu64 " where entry %" PRIu64
                        " should be", seq, expect);
    else if (codec_entry_decode(stored->data, stored->len, j->scratch, why,
                                sizeof why) != JIFEN_STATUS_OK)
        fail(r, seq, "entry does not decode: %s", why);
    else if (j->scratch->seq != seq)
        fail(r, seq, "entry says it is number %" PRIu64, j->scratch->seq);
    else if (memcmp(j->scratch->prev_hash, r->head, JIFEN_HASH_LEN) != 0)
        fail(r, seq, "hash chain broken: previous hash does not match");
    else {
        bool replayed = replay_entry(j->t, j->scratch, j->sums, r);
        hash_sha256(stored->data, stored->len, r->head);
        r->entries = seq;
        if (replayed)
            return 0;
    }
    j->ok = false;
    return 1;
}

/* Walks the journal (journal.c): sequence, chain, decoding, replay. */
static bool check_journal(storage_txn *txn, account_table *t,
                          jifen_entry *scratch, jifen_verify_report *r)
{
    journal_check j = {.t = t, .scratch = scratch, .r = r, .ok = true};
    storage_error se = journal_foreach(txn, 1, false, check_entry, &j, NULL);
    if (j.ok && se != STORAGE_OK && se != STORAGE_NOT_FOUND) {
        fail(r, r->entries + 1, "journal unreadable: %s",
             se == STORAGE_CORRUPT ? "a key that is no entry number"
                                   : storage_txn_strerror(txn));
        return false;
    }
    bool ok = j.ok;
    for (int a = JIFEN_ASSET_POINTS; ok && a <= JIFEN_ASSET_FEE; a++) {
        if (j.sums[a][0] != j.sums[a][1]) {
            fail(r, 0, "%s: debits %" PRIu64 " != credits %" PRIu64,
                 codec_asset_name((jifen_asset)a), j.sums[a][0],
                 j.sums[a][1]);
            ok = false;
        }
    }
    return ok;
}

/* Every stored balance equals the replay, and nothing is missing. */
static bool check_balances(storage_txn *txn, account_table *t,
                           jifen_verify_report *r)
{
    storage_cursor *c = NULL;
    storage_val k, v;
    size_t seen = 0;
    storage_error se = storage_cursor_open(txn, TABLE_BALANCES, &c);
    if (se == STORAGE_OK)
        se = storage_cursor_first(c, &k, &v);
    bool ok = true;
    while (ok && se == STORAGE_OK) {
        if (!account_key_is_account(k.data, k.len)) { /* history, counter */
            se = storage_cursor_next(c, &k, &v);
            continue;
        }
        char name[JIFEN_ACCOUNT_MAX + 1];
        account_totals stored;
        size_t n = k.len < JIFEN_ACCOUNT_MAX ? k.len : JIFEN_ACCOUNT_MAX;
        memcpy(name, k.data, n); /* snprintf's machinery showed in profiles */
        name[n] = '\0';
        replayed_account *a = table_slot(t, name);
        if (k.len > JIFEN_ACCOUNT_MAX ||
            account_totals_decode(v.data, v.len, &stored) != 0) {
            fail(r, 0, "balance record of %s is damaged", name);
            ok = false;
        } else if (!a->name[0] ||
                   a->totals.debits != stored.debits ||
                   a->totals.credits != stored.credits) {
            fail(r, 0, "balance of %s differs from the journal's replay",
                 name);
            ok = false;
        } else {
            seen++;
            se = storage_cursor_next(c, &k, &v);
        }
    }
    storage_cursor_close(&c);
    if (ok && seen != t->used) {
        fail(r, 0, "%zu accounts in the journal, %zu stored balances",
             t->used, seen);
        ok = false;
    }
    return ok;
}

static bool check_head(storage_txn *txn, jifen_verify_report *r)
{
    storage_val v;
    storage_error se = storage_get(txn, TABLE_META, "head", 4, &v);
    if (se == STORAGE_NOT_FOUND && r->entries == 0)
        return true;
    if (se != STORAGE_OK || v.len != 8 + JIFEN_HASH_LEN ||
        storage_be64_get(v.data) != r->entries ||
        memcmp((const uint8_t *)v.data + 8, r->head, JIFEN_HASH_LEN) != 0) {
        fail(r, r->entries, "the stored chain head does not match the journal");
        return false;
    }
    return true;
}

/* Public notice: the pending accounts hold exactly the open notices, and
 * none is negative (notice.h). */
static bool check_notices(storage_txn *txn, const account_table *t,
                          jifen_verify_report *r)
{
    static const char suffix[] = "/pending";
    uint64_t open = 0, held = 0;
    for (size_t i = 0; i < t->cap; i++) {
        const replayed_account *a = &t->slots[i];
        size_t n = strlen(a->name);
        if (n < sizeof suffix || strcmp(a->name + n - (sizeof suffix - 1),
                                        suffix) != 0)
            continue;
        if (a->totals.debits > a->totals.credits) {
            fail(r, 0, "%s is below zero", a->name);
            return false;
        }
        held += a->totals.credits - a->totals.debits;
    }
    if (notice_open_total(txn, &open) != STORAGE_OK) {
        fail(r, 0, "the notice records cannot be read");
        return false;
    }
    if (open != held) {
        fail(r, 0, "awards under notice total %" PRIu64 " points, the "
                   "pending accounts hold %" PRIu64, open, held);
        return false;
    }
    return true;
}

/* The Merkle tree is the journal's: recomputed here from the stored
 * entries (merkle_frontier, not the code that wrote it), every record of
 * TABLE_MERKLE up to entry `limit` compared. The tree may be shorter than
 * the journal only when it was switched off (merkle_tree = 0): jifend
 * builds the rest at its next start with it on. */
static bool check_tree(storage_txn *txn, uint64_t limit,
                       jifen_verify_report *r)
{
    storage_cursor *jc = NULL, *tc = NULL;
    storage_val jk, jv, tk, tv;
    storage_error je = storage_cursor_open(txn, TABLE_JOURNAL, &jc);
    storage_error te = storage_cursor_open(txn, TABLE_MERKLE, &tc);
    if (je == STORAGE_OK)
        je = storage_cursor_first(jc, &jk, &jv);
    if (te == STORAGE_OK)
        te = storage_cursor_first(tc, &tk, &tv);
    merkle_frontier f;
    merkle_frontier_init(&f);
    bool ok = true;
    while (ok && te == STORAGE_OK && f.size < limit) {
        uint64_t seq = f.size + 1;
        merkle_hash leaf, nodes[MERKLE_PROOF_MAX];
        if (tk.len != 8 || storage_be64_get(tk.data) != seq) {
            fail(r, seq, "the Merkle tree has a gap or a stray record");
            ok = false;
        } else if (je != STORAGE_OK) {
            fail(r, seq, "the Merkle tree is longer than the journal");
            ok = false;
        } else {
            merkle_leaf_hash(jv.data, jv.len, leaf);
            unsigned n = merkle_frontier_push(&f, leaf, nodes);
            if (tv.len != (size_t)n * MERKLE_HASH_LEN ||
                memcmp(tv.data, nodes, tv.len) != 0) {
                fail(r, seq, "the Merkle tree differs from the journal's");
                ok = false;
            }
        }
        if (ok) {
            je = storage_cursor_next(jc, &jk, &jv);
            te = storage_cursor_next(tc, &tk, &tv);
        }
    }
    if (ok && te != STORAGE_OK && te != STORAGE_NOT_FOUND) {
        fail(r, f.size + 1, "the Merkle tree is unreadable");
        ok = false;
    }
    storage_cursor_close(&jc);
    storage_cursor_close(&tc);
    return ok;
}

/* The tree is checked beside the rest, on a thread of its own: its hashes
 * were a fifth of a verify, and nothing else needs them. It reads a
 * snapshot of its own, which may hold entries written since the caller's;
 * it stops at the caller's length, and the journal and the tree are
 * append-only, so below that both snapshots hold the same records. */
typedef struct {
    storage *st;
    uint64_t limit;
    jifen_verify_report r; /* the tree's verdict alone */
} tree_check;

static void *tree_main(void *arg)
{
    tree_check *tc = arg;
    storage_txn txn;
    if (storage_txn_begin(tc->st, &txn, false) != STORAGE_OK) {
        fail(&tc->r, 0, "the Merkle tree cannot be read: %s",
             storage_txn_strerror(&txn));
        return NULL;
    }
    check_tree(&txn, tc->limit, &tc->r);
    storage_txn_abort(&txn);
    return NULL;
}

/* Points lots (lots.h): each household's lots hold its points balance.
 * Ledgers of earlier formats have none until they are migrated. */
static bool check_lots(storage_txn *txn, const account_table *t,
                       jifen_verify_report *r)
{
    storage_val v;
    if (storage_get(txn, TABLE_META, META_FORMAT, strlen(META_FORMAT), &v) !=
            STORAGE_OK ||
        v.len != strlen(LEDGER_FORMAT) ||
        memcmp(v.data, LEDGER_FORMAT, v.len) != 0)
        return true;
    static const char prefix[] = "household/", suffix[] = "/points";
    for (size_t i = 0; i < t->cap; i++) {
        const replayed_account *a = &t->slots[i];
        size_t n = strlen(a->name);
        if (!account_is_household_points(a->name))
            continue;
        char household[JIFEN_HOUSEHOLD_MAX + 1];
        size_t hlen = n - (sizeof prefix - 1) - (sizeof suffix - 1);
        if (hlen > JIFEN_HOUSEHOLD_MAX)
            continue; /* not a name the ledger makes; the replay said so */
        memcpy(household, a->name + sizeof prefix - 1, hlen);
        household[hlen] = '\0';
        uint64_t in_lots = 0;
        if (lots_total(txn, household, &in_lots) != STORAGE_OK) {
            fail(r, 0, "the points lots of %s cannot be read", household);
            return false;
        }
        if (in_lots != a->totals.credits - a->totals.debits) {
            fail(r, 0, "%s holds %" PRIu64 " points, its lots %" PRIu64,
                 household, a->totals.credits - a->totals.debits, in_lots);
            return false;
        }
    }
    return true;
}

void verify_ledger(storage_txn *txn, jifen_verify_report *report)
{
    memset(report, 0, sizeof *report);
    report->ok = true;
    /* Sized at the start for one account per household (points, fee and
     * pending come to one to three; grown when they outnumber it), so the
     * replay does not rehash again and again as it grows. Not from the
     * balances table's count: that holds the households' history keys and
     * counters too, and a table twice too large costs cache misses and
     * memory. */
    uint64_t households = 0;
    size_t cap = 1024;
    if (storage_count(txn, TABLE_HOUSEHOLDS, &households) == STORAGE_OK)
        while (cap < (1u << 26) && cap * 3 < (households + 64) * 4)
            cap *= 2;
    account_table t = {calloc(cap, sizeof(replayed_account)), cap, 0};
    jifen_entry *scratch = malloc(sizeof *scratch); /* large: not the stack */
    tree_check *tc = calloc(1, sizeof *tc);
    pthread_t tree_thread;
    bool tree_apart = false;
    if (tc) {
        tc->st = txn->owner;
        if (journal_last(txn, &tc->limit) != STORAGE_OK)
            tc->limit = 0; /* check_journal names what it cannot read */
        tc->r.ok = true;
        tree_apart = t.slots && scratch &&
                     pthread_create(&tree_thread, NULL, tree_main, tc) == 0;
    }
    if (!t.slots || !scratch || !tc) {
        fail(report, 0, "out of memory");
    } else if (check_journal(txn, &t, scratch, report) &&
               check_balances(txn, &t, report) &&
               check_notices(txn, &t, report) && check_lots(txn, &t, report)) {
        if (check_head(txn, report)) {
            if (!tree_apart)
                check_tree(txn, tc->limit, report);
        }
    }
    if (tree_apart) {
        pthread_join(tree_thread, NULL);
        /* The first problem is the one reported: the tree's only when all
         * else held. */
        if (report->ok && !tc->r.ok) {
            report->ok = false;
            report->bad_entry = tc->r.bad_entry;
            memcpy(report->problem, tc->r.problem, sizeof report->problem);
        }
    }
    free(tc);
    free(scratch);
    free(t.slots);
}
