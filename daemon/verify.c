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
#include <sys/mman.h>

/* Replayed totals per account: an open-addressing table keyed by name.
 * A slot is 32 bytes and the names sit apart, back to back: at 160-byte
 * slots with the name inside, the table of a 100,000-household ledger was
 * 84 MB, grown once during the walk, and its cache misses and first-touch
 * page faults were a fifth of a verification. */
typedef struct {
    uint64_t hash; /* of the name: probes compare it before the name */
    account_totals totals;
    uint32_t name_at; /* offset of the NUL-terminated name in names */
    uint8_t name_len;
    uint8_t asset;
    bool used;
} replayed_account;

typedef struct {
    replayed_account *slots;
    size_t cap; /* power of two */
    size_t used;
    char *names;
    size_t names_len, names_cap;
} account_table;

static const char *account_name(const account_table *t,
                                const replayed_account *a)
{
    return t->names + a->name_at;
}

static uint64_t name_hash(const char *s, size_t *len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    const char *p = s;
    for (; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    *len = (size_t)(p - s);
    return h;
}

static replayed_account *slot_for(const account_table *t, const char *name,
                                  size_t len, uint64_t hash)
{
    size_t i = (size_t)hash & (t->cap - 1);
    while (t->slots[i].used &&
           (t->slots[i].hash != hash || t->slots[i].name_len != len ||
            memcmp(account_name(t, &t->slots[i]), name, len) != 0))
        i = (i + 1) & (t->cap - 1);
    return &t->slots[i];
}

static replayed_account *table_slot(const account_table *t, const char *name)
{
    size_t len;
    uint64_t hash = name_hash(name, &len);
    return slot_for(t, name, len, hash);
}

/* The table's memory is mapped with its pages present (MAP_POPULATE):
 * pages from calloc, or malloc and memset, which the compiler turns into
 * calloc, are mapped on first read to the shared zero page and copied on
 * first write, and with the tree thread running each copy flushed the
 * other core's TLB (a tenth of a verification). Zero-filled. */
static void *populated(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void unpopulated(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

static replayed_account *slots_new(size_t cap)
{
    return populated(cap * sizeof(replayed_account));
}

/* Room for `more` bytes of names; -1 when there is none. */
static int names_reserve(account_table *t, size_t more)
{
    if (t->names_len + more <= t->names_cap)
        return 0;
    size_t cap = t->names_cap ? t->names_cap : 4096;
    while (cap < t->names_len + more)
        cap *= 2;
    char *names = populated(cap);
    if (!names)
        return -1;
    if (t->names_len)
        memcpy(names, t->names, t->names_len);
    unpopulated(t->names, t->names_cap);
    t->names = names;
    t->names_cap = cap;
    return 0;
}

static void table_free(account_table *t)
{
    unpopulated(t->slots, t->cap * sizeof *t->slots);
    unpopulated(t->names, t->names_cap);
}

static int table_grow(account_table *t)
{
    account_table bigger = *t;
    bigger.cap = t->cap * 2;
    bigger.slots = slots_new(bigger.cap);
    if (!bigger.slots)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        const replayed_account *a = &t->slots[i];
        if (a->used)
            *slot_for(&bigger, account_name(t, a), a->name_len, a->hash) = *a;
    }
    unpopulated(t->slots, t->cap * sizeof *t->slots);
    *t = bigger;
    return 0;
}

/* The account's replayed totals, created on first use; NULL on OOM. */
static replayed_account *table_get(account_table *t, const char *name)
{
    if ((t->used + 1) * 4 > t->cap * 3 && table_grow(t) != 0)
        return NULL;
    size_t len;
    uint64_t hash = name_hash(name, &len);
    replayed_account *a = slot_for(t, name, len, hash);
    if (a->used)
        return a;
    if (len > JIFEN_ACCOUNT_MAX) /* names come from decoded postings */
        return NULL;
    if (t->names_len + len + 1 > UINT32_MAX ||
        names_reserve(t, len + 1) != 0)
        return NULL;
    memcpy(t->names + t->names_len, name, len + 1);
    a->name_at = (uint32_t)t->names_len;
    a->name_len = (uint8_t)len;
    a->hash = hash;
    a->used = true;
    t->names_len += len + 1;
    t->used++;
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
                fail(r, e->seq, "account %s holds both assets",
                     account_name(t, a));
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

/* The lots of the household whose records a walk of the balances table
 * is in (check_balances). */
typedef struct {
    uint8_t prefix[ACCOUNT_HISTORY_KEY_MAX]; /* "household/<code>/" */
    size_t len;     /* 0: no household's lots yet */
    uint64_t points;
    bool compared;  /* with the household's points account */
} lots_run;

static void fail_lots(jifen_verify_report *r, const uint8_t *prefix,
                      size_t len, uint64_t held, uint64_t in_lots)
{
    size_t skip = sizeof "household/" - 1;
    fail(r, 0, "%.*s holds %" PRIu64 " points, its lots %" PRIu64,
         (int)(len - skip - 1), (const char *)prefix + skip, held, in_lots);
}

/* A lot record met in the walk: a run of one household's lots starts or
 * goes on. False when the run before held points with no account. */
static bool lots_add(lots_run *run, const storage_val *k, size_t plen,
                     uint64_t left, jifen_verify_report *r)
{
    if (plen != run->len || memcmp(run->prefix, k->data, plen) != 0) {
        if (run->len && !run->compared) {
            fail_lots(r, run->prefix, run->len, 0, run->points);
            return false;
        }
        if (plen > sizeof run->prefix)
            plen = sizeof run->prefix; /* not a name the ledger makes */
        memcpy(run->prefix, k->data, plen);
        run->len = plen;
        run->points = 0;
        run->compared = false;
    }
    run->points += left;
    return true;
}

/* A household's points account: its lots, met just before it in key order
 * (control bytes sort before the account names), hold its balance. */
static bool lots_compare(lots_run *run, const char *name, size_t n,
                         const replayed_account *a, jifen_verify_report *r)
{
    size_t plen = n - (sizeof "points" - 1); /* "household/<code>/" */
    bool same = plen == run->len && memcmp(run->prefix, name, plen) == 0;
    uint64_t in_lots = same ? run->points : 0;
    uint64_t held = a->totals.credits - a->totals.debits;
    if (same)
        run->compared = true;
    if (in_lots != held) {
        fail_lots(r, (const uint8_t *)name, plen, held, in_lots);
        return false;
    }
    return true;
}

/* Every stored balance equals the replay and nothing is missing; where the
 * ledger keeps lots (lots.h), each household's lots hold its points
 * balance. One walk in key order: a seek per household for its lots was
 * a tenth of a verification. */
static bool check_balances(storage_txn *txn, account_table *t, bool lots_kept,
                           jifen_verify_report *r)
{
    storage_cursor *c = NULL;
    storage_val k, v;
    size_t seen = 0;
    lots_run run = {.len = 0};
    storage_error se = storage_cursor_open(txn, TABLE_BALANCES, &c);
    if (se == STORAGE_OK)
        se = storage_cursor_first(c, &k, &v);
    bool ok = true;
    while (ok && se == STORAGE_OK) {
        if (!account_key_is_account(k.data, k.len)) { /* history, lots... */
            size_t plen;
            uint64_t left;
            int lot = lots_kept ? lots_record(&k, &v, &plen, &left) : 0;
            if (lot < 0) {
                /* the printable prefix, not the key's control byte and
                 * lot number */
                fail(r, 0, "a points lot of %.*s is damaged", (int)plen,
                     (const char *)k.data);
                ok = false;
            } else if (lot > 0) {
                ok = lots_add(&run, &k, plen, left, r);
            }
            if (ok)
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
        } else if (!a->used || a->totals.debits != stored.debits ||
                   a->totals.credits != stored.credits) {
            fail(r, 0, "balance of %s differs from the journal's replay",
                 name);
            ok = false;
        } else if (lots_kept && account_is_household_points(name) &&
                   !lots_compare(&run, name, n, a, r)) {
            ok = false;
        } else {
            seen++;
            se = storage_cursor_next(c, &k, &v);
        }
    }
    storage_cursor_close(&c);
    if (ok && run.len && !run.compared) {
        fail_lots(r, run.prefix, run.len, 0, run.points);
        ok = false;
    }
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
        const char *name = account_name(t, a);
        size_t n = a->name_len;
        if (!a->used || n < sizeof suffix ||
            memcmp(name + n - (sizeof suffix - 1), suffix,
                   sizeof suffix - 1) != 0)
            continue;
        if (a->totals.debits > a->totals.credits) {
            fail(r, 0, "%s is below zero", name);
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

/* Ledgers of earlier formats have no lots until they are migrated. */
static bool keeps_lots(storage_txn *txn)
{
    storage_val v;
    return storage_get(txn, TABLE_META, META_FORMAT, strlen(META_FORMAT),
                       &v) == STORAGE_OK &&
           v.len == strlen(LEDGER_FORMAT) &&
           memcmp(v.data, LEDGER_FORMAT, v.len) == 0;
}

void verify_ledger(storage_txn *txn, jifen_verify_report *report)
{
    memset(report, 0, sizeof *report);
    report->ok = true;
    /* Sized at the start for the three accounts a household may have
     * (points, fee, pending), so that the replay does not rehash as it
     * grows; grown when they outnumber it. Not from the balances table's
     * count: that holds the households' history keys, counters and lots
     * too, and a table far too large costs cache misses and memory. At 32
     * bytes a slot, 100,000 households take 16 MB. */
    uint64_t households = 0;
    size_t cap = 1024;
    if (storage_count(txn, TABLE_HOUSEHOLDS, &households) == STORAGE_OK)
        while (cap < (1u << 27) && cap * 3 < (3 * households + 64) * 4)
            cap *= 2;
    account_table t = {.slots = slots_new(cap), .cap = cap};
    if (t.slots) /* the names' room at ~28 bytes an account; else grown */
        (void)names_reserve(&t, (3 * households + 64) * 28);
    bool lots_kept = keeps_lots(txn);
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
               check_balances(txn, &t, lots_kept, report) &&
               check_notices(txn, &t, report)) {
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
    table_free(&t);
}
