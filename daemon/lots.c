/*
 * lots - see lots.h.
 */
#include "lots.h"

#include "accounts.h"

#include <stdlib.h>
#include <string.h>

#define LOT_MARK 0x02   /* after the household's prefix: a lot */
#define TAKEN_MARK 0x03 /* ... what a spend took */
#define DUE_PREFIX "lot-due/"
#define DUE_PREFIX_LEN (sizeof DUE_PREFIX - 1)
#define DUE_KEY_MAX (DUE_PREFIX_LEN + 8 + JIFEN_HOUSEHOLD_MAX)
#define LOT_KEY_MAX (sizeof "household/" + JIFEN_HOUSEHOLD_MAX + 1 + 8)
#define LOT_VALUE_LEN 16
#define TAKEN_ITEM_LEN 24
#define PASS_MAX 64 /* lots one pass of a walk gathers before it writes */

typedef struct {
    uint64_t lot;
    int64_t expires_ms;
    uint64_t left;
} lot;

static void fail(storage_txn *txn, storage_error e)
{
    if (!txn->error)
        txn->error = e;
}

/* "household/<code>/" mark, and with a be64 after it. */
static size_t mark_prefix(uint8_t *key, const char *household, uint8_t mark)
{
    size_t n = account_household_prefix(household, key);
    key[n++] = mark;
    return n;
}

static size_t mark_key(uint8_t *key, const char *household, uint8_t mark,
                       uint64_t seq)
{
    size_t n = mark_prefix(key, household, mark);
    storage_be64_put(key + n, seq);
    return n + 8;
}

static size_t due_key(uint8_t *key, int64_t expires_ms, const char *household)
{
    size_t n = strnlen(household, JIFEN_HOUSEHOLD_MAX);
    memcpy(key, DUE_PREFIX, DUE_PREFIX_LEN);
    /* Expiry times are month starts after 1970: unsigned order is time
     * order. */
    storage_be64_put(key + DUE_PREFIX_LEN, (uint64_t)expires_ms);
    memcpy(key + DUE_PREFIX_LEN + 8, household, n);
    return DUE_PREFIX_LEN + 8 + n;
}

static void put_lot(storage_txn *txn, const char *household, const lot *l)
{
    uint8_t key[LOT_KEY_MAX], val[LOT_VALUE_LEN];
    size_t klen = mark_key(key, household, LOT_MARK, l->lot);
    if (l->left == 0) {
        storage_error e = storage_del(txn, TABLE_BALANCES, key, klen);
        if (e != STORAGE_OK && e != STORAGE_NOT_FOUND)
            fail(txn, e);
        return;
    }
    storage_be64_put(val, (uint64_t)l->expires_ms);
    storage_be64_put(val + 8, l->left);
    storage_put(txn, TABLE_BALANCES, key, klen, val, sizeof val,
                STORAGE_PUT_OVERWRITE);
}

static int decode_lot(const storage_val *k, const storage_val *v, size_t plen,
                      lot *out)
{
    if (k->len != plen + 8 || v->len != LOT_VALUE_LEN)
        return -1;
    out->lot = storage_be64_get((const uint8_t *)k->data + plen);
    out->expires_ms = (int64_t)storage_be64_get(v->data);
    out->left = storage_be64_get((const uint8_t *)v->data + 8);
    return 0;
}

/* The household is due at expires_ms (once; a read when it is already). */
static void mark_due(storage_txn *txn, const char *household,
                     int64_t expires_ms)
{
    if (expires_ms == LOTS_NEVER)
        return;
    uint8_t key[DUE_KEY_MAX];
    size_t klen = due_key(key, expires_ms, household);
    storage_val v;
    storage_error e = storage_get(txn, TABLE_META, key, klen, &v);
    if (e == STORAGE_NOT_FOUND)
        storage_put(txn, TABLE_META, key, klen, "", 0, STORAGE_PUT_NEW);
    else if (e != STORAGE_OK)
        fail(txn, e);
}

/* --- walks over a household's lots ---------------------------------------- */

typedef struct {
    size_t plen;
    int64_t only_by; /* gather lots expiring at or before this (INT64_MAX:
                        all) */
    int64_t except_by; /* ... or only those expiring after this */
    lot lots[PASS_MAX];
    size_t n;
    uint64_t want, got;
    bool damaged;
} gather;

static int gather_lot(void *ctx, const storage_val *k, const storage_val *v)
{
    gather *g = ctx;
    lot l;
    if (decode_lot(k, v, g->plen, &l) != 0) {
        g->damaged = true;
        return -1;
    }
    if (l.expires_ms > g->only_by || l.expires_ms <= g->except_by)
        return 0;
    g->lots[g->n++] = l;
    g->got += l.left;
    return g->got >= g->want || g->n == PASS_MAX ? 1 : 0;
}

/* Whether any lot of the household still expires at expires_ms. */
typedef struct {
    size_t plen;
    int64_t expires_ms;
    bool found;
} same_expiry;

static int find_expiry(void *ctx, const storage_val *k, const storage_val *v)
{
    same_expiry *s = ctx;
    lot l;
    if (decode_lot(k, v, s->plen, &l) != 0)
        return -1;
    s->found = l.expires_ms == s->expires_ms;
    return s->found ? 1 : 0;
}

/* A lot emptied: the household is no longer due then unless another lot
 * of it expires at the same time. */
static void unmark_due(storage_txn *txn, const char *household,
                       int64_t expires_ms)
{
    if (expires_ms == LOTS_NEVER)
        return;
    uint8_t prefix[LOT_KEY_MAX];
    same_expiry s = {mark_prefix(prefix, household, LOT_MARK), expires_ms,
                     false};
    storage_error e = storage_foreach_prefix(txn, TABLE_BALANCES, prefix,
                                             s.plen, find_expiry, &s);
    if (e != STORAGE_OK) {
        fail(txn, e);
        return;
    }
    if (s.found)
        return;
    uint8_t key[DUE_KEY_MAX];
    e = storage_del(txn, TABLE_META, key, due_key(key, expires_ms, household));
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND)
        fail(txn, e);
}

/* What a spend took, as it will be recorded. */
typedef struct {
    uint8_t *items;
    size_t n, cap;
    uint8_t stack[PASS_MAX * TAKEN_ITEM_LEN];
} taken;

static int taken_add(taken *t, const lot *l, uint64_t points)
{
    if (t->n == t->cap) {
        size_t cap = t->cap * 2;
        uint8_t *p = t->items == t->stack ? malloc(cap * TAKEN_ITEM_LEN)
                                          : realloc(t->items,
                                                    cap * TAKEN_ITEM_LEN);
        if (!p)
            return -1;
        if (t->items == t->stack)
            memcpy(p, t->stack, sizeof t->stack);
        t->items = p;
        t->cap = cap;
    }
    uint8_t *it = t->items + t->n++ * TAKEN_ITEM_LEN;
    storage_be64_put(it, l->lot);
    storage_be64_put(it + 8, (uint64_t)l->expires_ms);
    storage_be64_put(it + 16, points);
    return 0;
}

/*
 * Takes `points` from the household's lots in the order of the walk
 * (oldest first, or newest first), from those expiring in (except_by,
 * only_by]. Returns the points it could not find. Records each take in t
 * when t is given.
 */
static uint64_t take(storage_txn *txn, const char *household, uint64_t points,
                     bool newest_first, int64_t only_by, int64_t except_by,
                     taken *t)
{
    uint8_t prefix[LOT_KEY_MAX];
    size_t plen = mark_prefix(prefix, household, LOT_MARK);
    while (points > 0 && !txn->error) {
        gather g = {.plen = plen, .only_by = only_by, .except_by = except_by,
                    .want = points};
        storage_error e =
            newest_first
                ? storage_foreach_prefix_back(txn, TABLE_BALANCES, prefix,
                                              plen, gather_lot, &g)
                : storage_foreach_prefix(txn, TABLE_BALANCES, prefix, plen,
                                         gather_lot, &g);
        if (e != STORAGE_OK) {
            fail(txn, e);
            break;
        }
        if (g.n == 0)
            break; /* nothing left to take from */
        for (size_t i = 0; i < g.n && points > 0; i++) {
            lot *l = &g.lots[i];
            uint64_t n = l->left < points ? l->left : points;
            if (t && taken_add(t, l, n) != 0) {
                fail(txn, STORAGE_FAILED);
                return points;
            }
            l->left -= n;
            points -= n;
            put_lot(txn, household, l);
            if (l->left == 0)
                unmark_due(txn, household, l->expires_ms);
        }
    }
    return points;
}

/* --- the entry points ------------------------------------------------------ */

void lots_credit(storage_txn *txn, const char *household, uint64_t seq,
                 int64_t expires_ms, uint64_t points)
{
    if (points == 0)
        return;
    uint8_t prefix[LOT_KEY_MAX];
    size_t plen = mark_prefix(prefix, household, LOT_MARK);
    storage_val k, v;
    storage_error e = storage_last_with_prefix(txn, TABLE_BALANCES, prefix,
                                               plen, &k, &v);
    lot l = {seq, expires_ms, points};
    if (e == STORAGE_OK) {
        lot newest;
        if (decode_lot(&k, &v, plen, &newest) != 0) {
            fail(txn, STORAGE_CORRUPT);
            return;
        }
        if (newest.expires_ms == expires_ms) {
            l = newest;
            l.left += points;
        }
    } else if (e != STORAGE_NOT_FOUND) {
        fail(txn, e);
        return;
    }
    put_lot(txn, household, &l);
    mark_due(txn, household, expires_ms);
}

int lots_spend(storage_txn *txn, const char *household, uint64_t spend,
               uint64_t points)
{
    taken t = {.cap = PASS_MAX};
    t.items = t.stack;
    uint64_t missing =
        take(txn, household, points, false, INT64_MAX, INT64_MIN, &t);
    if (!txn->error && t.n > 0) {
        uint8_t key[LOT_KEY_MAX];
        storage_put(txn, TABLE_BALANCES, key,
                    mark_key(key, household, TAKEN_MARK, spend), t.items,
                    t.n * TAKEN_ITEM_LEN, STORAGE_PUT_OVERWRITE);
    }
    if (t.items != t.stack)
        free(t.items);
    return missing ? -1 : 0;
}

int lots_take_back(storage_txn *txn, const char *household, uint64_t points)
{
    return take(txn, household, points, true, INT64_MAX, INT64_MIN, NULL) ? -1
                                                                          : 0;
}

int lots_expire(storage_txn *txn, const char *household, int64_t due_ms,
                uint64_t points)
{
    uint64_t rest = take(txn, household, points, false, due_ms, INT64_MIN,
                         NULL);
    /* Only an entry of an earlier release expires more than its lots. */
    if (rest)
        rest = take(txn, household, rest, false, INT64_MAX, due_ms, NULL);
    return rest ? -1 : 0;
}

void lots_restore(storage_txn *txn, const char *household, uint64_t spend,
                  int64_t *earliest)
{
    *earliest = LOTS_NEVER;
    uint8_t key[LOT_KEY_MAX];
    storage_val v;
    storage_error e =
        storage_get(txn, TABLE_BALANCES, key,
                    mark_key(key, household, TAKEN_MARK, spend), &v);
    if (e == STORAGE_NOT_FOUND)
        return; /* it took nothing */
    if (e == STORAGE_OK && v.len % TAKEN_ITEM_LEN != 0)
        e = STORAGE_CORRUPT;
    if (e != STORAGE_OK) {
        fail(txn, e);
        return;
    }
    /* Copied out: the writes below may move the record's page. */
    size_t n = v.len / TAKEN_ITEM_LEN;
    uint8_t *items = malloc(v.len);
    if (!items) {
        fail(txn, STORAGE_FAILED);
        return;
    }
    memcpy(items, v.data, v.len);
    for (size_t i = 0; i < n && !txn->error; i++) {
        const uint8_t *it = items + i * TAKEN_ITEM_LEN;
        lot back = {storage_be64_get(it), (int64_t)storage_be64_get(it + 8),
                    storage_be64_get(it + 16)};
        uint8_t lkey[LOT_KEY_MAX];
        size_t plen = mark_prefix(lkey, household, LOT_MARK);
        size_t klen = mark_key(lkey, household, LOT_MARK, back.lot);
        storage_val lv;
        e = storage_get(txn, TABLE_BALANCES, lkey, klen, &lv);
        if (e == STORAGE_OK) {
            lot now;
            storage_val kv = {lkey, klen};
            if (decode_lot(&kv, &lv, plen, &now) != 0) {
                fail(txn, STORAGE_CORRUPT);
                break;
            }
            back.left += now.left;
        } else if (e != STORAGE_NOT_FOUND) {
            fail(txn, e);
            break;
        }
        put_lot(txn, household, &back);
        mark_due(txn, household, back.expires_ms);
        if (back.expires_ms < *earliest)
            *earliest = back.expires_ms;
    }
    free(items);
}

typedef struct {
    int64_t now_ms;
    lots_due_item *out;
    size_t max, n;
    int64_t next_ms;
} due_scan;

static int collect_due(void *ctx, const storage_val *k, const storage_val *v)
{
    (void)v;
    due_scan *s = ctx;
    if (k->len <= DUE_PREFIX_LEN + 8 || k->len > DUE_KEY_MAX)
        return -1;
    const uint8_t *p = k->data;
    int64_t at = (int64_t)storage_be64_get(p + DUE_PREFIX_LEN);
    if (at > s->now_ms || s->n == s->max) {
        s->next_ms = at > s->now_ms ? at : s->now_ms;
        return 1;
    }
    lots_due_item *d = &s->out[s->n++];
    d->expires_ms = at;
    size_t hlen = k->len - DUE_PREFIX_LEN - 8;
    memcpy(d->household, p + DUE_PREFIX_LEN + 8, hlen);
    d->household[hlen] = '\0';
    return 0;
}

storage_error lots_due(storage_txn *txn, int64_t now_ms, lots_due_item *out,
                       size_t max, size_t *n, int64_t *next_ms)
{
    due_scan s = {now_ms, out, max, 0, INT64_MAX};
    storage_error e = storage_foreach_prefix(txn, TABLE_META, DUE_PREFIX,
                                             DUE_PREFIX_LEN, collect_due, &s);
    *n = s.n;
    *next_ms = s.next_ms;
    return e;
}

typedef struct {
    size_t plen;
    int64_t due_ms;
    uint64_t points;
} sum;

static int add_lot(void *ctx, const storage_val *k, const storage_val *v)
{
    sum *s = ctx;
    lot l;
    if (decode_lot(k, v, s->plen, &l) != 0)
        return -1;
    if (l.expires_ms <= s->due_ms)
        s->points += l.left;
    return 0;
}

storage_error lots_expiring(storage_txn *txn, const char *household,
                            int64_t due_ms, uint64_t *points)
{
    uint8_t prefix[LOT_KEY_MAX];
    sum s = {mark_prefix(prefix, household, LOT_MARK), due_ms, 0};
    storage_error e = storage_foreach_prefix(txn, TABLE_BALANCES, prefix,
                                             s.plen, add_lot, &s);
    *points = s.points;
    return e;
}

int lots_record(const storage_val *k, const storage_val *v,
                size_t *prefix_len, uint64_t *left)
{
    static const char prefix[] = "household/";
    const uint8_t *key = k->data;
    size_t np = sizeof prefix - 1;
    if (k->len <= np || memcmp(key, prefix, np) != 0)
        return 0;
    const uint8_t *slash = memchr(key + np, '/', k->len - np);
    if (!slash)
        return 0;
    size_t plen = (size_t)(slash - key) + 1; /* a code holds no '/' */
    if (plen >= k->len || key[plen] != LOT_MARK)
        return 0;
    lot l;
    *prefix_len = plen;
    if (decode_lot(k, v, plen + 1, &l) != 0)
        return -1;
    *left = l.left;
    return 1;
}

storage_error lots_total(storage_txn *txn, const char *household,
                         uint64_t *points)
{
    return lots_expiring(txn, household, INT64_MAX, points);
}
