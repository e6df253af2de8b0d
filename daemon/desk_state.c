/*
 * desk_state - see desk_state.h. Per household the keys sit after the
 * household's prefix with a mark byte below any printable account name
 * (keyspace.h: 0x04 billed, 0x05 units, 0x06 on-time), so they share the
 * leaf of the household's accounts and readers of balances skip them.
 */
#include "desk_state.h"

#include "accounts.h"

#include <stdio.h>
#include <string.h>

#define BILLED_MARK 0x04
#define UNITS_MARK 0x05
#define ONTIME_MARK 0x06

#define HKEY_MAX (sizeof "household/" + JIFEN_HOUSEHOLD_MAX + 2 + \
                  JIFEN_CODE_MAX + 1 + JIFEN_PERIOD_LEN)

/* "household/<code>/" MARK <a> [0x00 <b>] */
static size_t household_key(uint8_t *key, const char *household, uint8_t mark,
                            const char *a, const char *b)
{
    size_t n = account_household_prefix(household, key);
    key[n++] = mark;
    size_t len = strnlen(a, JIFEN_CODE_MAX);
    memcpy(key + n, a, len);
    n += len;
    if (b) {
        key[n++] = '\0';
        len = strnlen(b, JIFEN_PERIOD_LEN);
        memcpy(key + n, b, len);
        n += len;
    }
    return n;
}

static storage_error get_be64(storage_txn *txn, storage_table t,
                              const void *key, size_t klen, uint64_t *out)
{
    storage_val v;
    storage_error e = storage_get(txn, t, key, klen, &v);
    if (e == STORAGE_OK && v.len != 8)
        return STORAGE_CORRUPT;
    if (e == STORAGE_OK)
        *out = storage_be64_get(v.data);
    return e;
}

static storage_error put_be64(storage_txn *txn, storage_table t,
                              const void *key, size_t klen, uint64_t v,
                              storage_put_mode mode)
{
    uint8_t rec[8];
    storage_be64_put(rec, v);
    return storage_put(txn, t, key, klen, rec, sizeof rec, mode);
}

storage_error desk_billed_get(storage_txn *txn, const char *household,
                              const char *item, const char *period,
                              uint64_t *entry)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, BILLED_MARK, item, period);
    return get_be64(txn, TABLE_BALANCES, key, n, entry);
}

storage_error desk_billed_put(storage_txn *txn, const char *household,
                              const char *item, const char *period,
                              uint64_t entry)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, BILLED_MARK, item, period);
    return put_be64(txn, TABLE_BALANCES, key, n, entry, STORAGE_PUT_NEW);
}

storage_error desk_billed_del(storage_txn *txn, const char *household,
                              const char *item, const char *period)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, BILLED_MARK, item, period);
    return storage_del(txn, TABLE_BALANCES, key, n);
}

storage_error desk_units_get(storage_txn *txn, const char *household,
                             const char *item, uint32_t *units)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, UNITS_MARK, item, NULL);
    uint64_t v = 0;
    storage_error e = get_be64(txn, TABLE_BALANCES, key, n, &v);
    *units = e == STORAGE_OK ? (uint32_t)v : 0;
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

storage_error desk_units_put(storage_txn *txn, const char *household,
                             const char *item, uint32_t units)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, UNITS_MARK, item, NULL);
    if (units == 0) {
        storage_error e = storage_del(txn, TABLE_BALANCES, key, n);
        return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
    }
    return put_be64(txn, TABLE_BALANCES, key, n, units,
                    STORAGE_PUT_OVERWRITE);
}

storage_error desk_ontime_get(storage_txn *txn, const char *household,
                              const char *period, uint64_t *entry)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, ONTIME_MARK, period, NULL);
    return get_be64(txn, TABLE_BALANCES, key, n, entry);
}

storage_error desk_ontime_put(storage_txn *txn, const char *household,
                              const char *period, uint64_t entry)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, ONTIME_MARK, period, NULL);
    return put_be64(txn, TABLE_BALANCES, key, n, entry, STORAGE_PUT_NEW);
}

typedef struct {
    size_t plen;
    desk_ontime_fn fn;
    void *ctx;
} ontime_walk;

static int ontime_visit(void *ctx, const storage_val *k, const storage_val *v)
{
    ontime_walk *w = ctx;
    char period[JIFEN_PERIOD_LEN + 1];
    size_t n = k->len - w->plen;
    if (n > JIFEN_PERIOD_LEN || v->len != 8)
        return -1;
    memcpy(period, (const char *)k->data + w->plen, n);
    period[n] = '\0';
    return w->fn(w->ctx, period, storage_be64_get(v->data));
}

storage_error desk_ontime_each(storage_txn *txn, const char *household,
                               desk_ontime_fn fn, void *ctx)
{
    uint8_t key[HKEY_MAX];
    size_t n = household_key(key, household, ONTIME_MARK, "", NULL);
    ontime_walk w = {n, fn, ctx};
    return storage_foreach_prefix(txn, TABLE_BALANCES, key, n, ontime_visit,
                                  &w);
}

/* --- meta ------------------------------------------------------------------ */

#define RECEIPT_LAST "receipt-last"
#define REFERENCE "payref/"
#define SHIFT_OPEN "shift-open/"
#define SHIFT_LAST "shift-last/"
#define SHIFT_CLOSE "shift-close/"
#define BILL_PERIOD "bill-period/"
#define ONTIME_DONE "ontime-done/"
#define MKEY_MAX 128

storage_error desk_receipt_last(storage_txn *txn, uint64_t *last)
{
    *last = 0;
    storage_error e = get_be64(txn, TABLE_META, RECEIPT_LAST,
                               sizeof RECEIPT_LAST - 1, last);
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

storage_error desk_receipt_put(storage_txn *txn, uint64_t last)
{
    return put_be64(txn, TABLE_META, RECEIPT_LAST, sizeof RECEIPT_LAST - 1,
                    last, STORAGE_PUT_OVERWRITE);
}

/* "payref/" channel-byte reference */
static size_t reference_key(uint8_t *key, jifen_channel channel,
                            const char *reference)
{
    size_t n = sizeof REFERENCE - 1;
    memcpy(key, REFERENCE, n);
    key[n++] = (uint8_t)('0' + channel);
    size_t len = strnlen(reference, JIFEN_REFERENCE_MAX);
    memcpy(key + n, reference, len);
    return n + len;
}

storage_error desk_reference_get(storage_txn *txn, jifen_channel channel,
                                 const char *reference, uint64_t *entry)
{
    uint8_t key[MKEY_MAX];
    size_t n = reference_key(key, channel, reference);
    return get_be64(txn, TABLE_META, key, n, entry);
}

storage_error desk_reference_put(storage_txn *txn, jifen_channel channel,
                                 const char *reference, uint64_t entry)
{
    uint8_t key[MKEY_MAX];
    size_t n = reference_key(key, channel, reference);
    return put_be64(txn, TABLE_META, key, n, entry, STORAGE_PUT_NEW);
}

storage_error desk_reference_del(storage_txn *txn, jifen_channel channel,
                                 const char *reference)
{
    uint8_t key[MKEY_MAX];
    size_t n = reference_key(key, channel, reference);
    return storage_del(txn, TABLE_META, key, n);
}

/* PREFIX <key> 0x00 [be64 a [be64 b]] */
static size_t key_of(uint8_t *out, const char *prefix, const char *key)
{
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    size_t len = strnlen(key, JIFEN_KEY_Z85_LEN);
    memcpy(out + n, key, len);
    n += len;
    out[n++] = '\0';
    return n;
}

storage_error desk_shift_open_put(storage_txn *txn, const char *key,
                                  uint64_t entry)
{
    uint8_t k[MKEY_MAX];
    size_t n = key_of(k, SHIFT_OPEN, key);
    storage_be64_put(k + n, entry);
    return storage_put(txn, TABLE_META, k, n + 8, "", 0,
                       STORAGE_PUT_OVERWRITE);
}

typedef struct {
    desk_shift_fn fn;
    void *ctx;
    size_t plen; /* the prefix before the key, or before the be64s */
    bool keyed;  /* records carry a terminal key before their be64 */
} shift_walk;

static int shift_visit(void *ctx, const storage_val *k, const storage_val *v)
{
    (void)v;
    shift_walk *w = ctx;
    const char *p = (const char *)k->data + w->plen;
    size_t left = k->len - w->plen;
    char key[JIFEN_KEY_Z85_LEN + 1] = "";
    if (w->keyed) {
        size_t klen = strnlen(p, left);
        if (klen > JIFEN_KEY_Z85_LEN || klen + 1 + 8 != left)
            return -1;
        memcpy(key, p, klen);
        key[klen] = '\0';
        p += klen + 1;
        left -= klen + 1;
    } else if (left != 16) {
        return -1;
    }
    return w->fn(w->ctx, key, storage_be64_get(p + left - 8));
}

storage_error desk_shift_open_each(storage_txn *txn, const char *key,
                                   desk_shift_fn fn, void *ctx)
{
    uint8_t k[MKEY_MAX];
    size_t plen = sizeof SHIFT_OPEN - 1;
    size_t n = key ? key_of(k, SHIFT_OPEN, key) : plen;
    if (!key)
        memcpy(k, SHIFT_OPEN, plen);
    shift_walk w = {fn, ctx, plen, true};
    return storage_foreach_prefix(txn, TABLE_META, k, n, shift_visit, &w);
}

typedef struct {
    uint64_t *seqs;
    size_t n, cap;
    uint64_t last;
} seq_list;

static int collect(void *ctx, const char *key, uint64_t entry)
{
    (void)key;
    seq_list *l = ctx;
    if (entry > l->last)
        return 1;
    if (l->n == l->cap)
        return 1; /* the rest on the next call */
    l->seqs[l->n++] = entry;
    return 0;
}

storage_error desk_shift_open_clear(storage_txn *txn, const char *key,
                                    uint64_t last)
{
    /* Collected first: a walk must not delete from the table it walks. */
    uint64_t seqs[512];
    for (;;) {
        seq_list l = {seqs, 0, sizeof seqs / sizeof *seqs, last};
        storage_error e = desk_shift_open_each(txn, key, collect, &l);
        if (e != STORAGE_OK)
            return e;
        for (size_t i = 0; i < l.n; i++) {
            uint8_t k[MKEY_MAX];
            size_t n = key_of(k, SHIFT_OPEN, key);
            storage_be64_put(k + n, seqs[i]);
            e = storage_del(txn, TABLE_META, k, n + 8);
            if (e != STORAGE_OK)
                return e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e;
        }
        if (l.n < l.cap)
            return STORAGE_OK;
    }
}

storage_error desk_shift_last_get(storage_txn *txn, const char *key,
                                  uint64_t *close)
{
    uint8_t k[MKEY_MAX];
    size_t n = key_of(k, SHIFT_LAST, key);
    *close = 0;
    storage_error e = get_be64(txn, TABLE_META, k, n, close);
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

storage_error desk_shift_close_put(storage_txn *txn, const char *key,
                                   int64_t time_ms, uint64_t close)
{
    uint8_t k[MKEY_MAX];
    size_t n = key_of(k, SHIFT_LAST, key);
    storage_error e =
        put_be64(txn, TABLE_META, k, n, close, STORAGE_PUT_OVERWRITE);
    if (e != STORAGE_OK)
        return e;
    n = sizeof SHIFT_CLOSE - 1;
    memcpy(k, SHIFT_CLOSE, n);
    storage_be64_put(k + n, (uint64_t)time_ms);
    storage_be64_put(k + n + 8, close);
    return storage_put(txn, TABLE_META, k, n + 16, "", 0, STORAGE_PUT_NEW);
}

typedef struct {
    shift_walk w;
    uint64_t to;
} close_walk;

static int close_visit(void *ctx, const storage_val *k, const storage_val *v)
{
    close_walk *c = ctx;
    if (k->len < c->w.plen || memcmp(k->data, SHIFT_CLOSE, c->w.plen) != 0)
        return 1; /* past the closes */
    if (k->len != c->w.plen + 16)
        return -1;
    if (storage_be64_get((const char *)k->data + c->w.plen) >= c->to)
        return 1;
    return shift_visit(&c->w, k, v);
}

storage_error desk_shift_close_each(storage_txn *txn, int64_t from_ms,
                                    int64_t to_ms, desk_shift_fn fn,
                                    void *ctx)
{
    uint8_t k[MKEY_MAX];
    size_t n = sizeof SHIFT_CLOSE - 1;
    memcpy(k, SHIFT_CLOSE, n);
    storage_be64_put(k + n, (uint64_t)from_ms);
    close_walk c = {{fn, ctx, n, false}, (uint64_t)to_ms};
    /* From the day's start to the end of the closes (close_visit stops at
     * the day's end). */
    return storage_foreach_from(txn, TABLE_META, k, n + 8, close_visit, &c);
}

static size_t period_key(uint8_t *k, const char *prefix, const char *period)
{
    size_t n = strlen(prefix);
    memcpy(k, prefix, n);
    size_t len = strnlen(period, JIFEN_PERIOD_LEN);
    memcpy(k + n, period, len);
    return n + len;
}

storage_error desk_bill_period_put(storage_txn *txn, const char *period,
                                   bool *created)
{
    uint8_t k[MKEY_MAX];
    size_t n = period_key(k, BILL_PERIOD, period);
    storage_val v;
    storage_error e = storage_get(txn, TABLE_META, k, n, &v);
    *created = e == STORAGE_NOT_FOUND;
    if (e != STORAGE_NOT_FOUND)
        return e;
    return storage_put(txn, TABLE_META, k, n, "", 0, STORAGE_PUT_NEW);
}

typedef struct {
    desk_period_fn fn;
    void *ctx;
    size_t plen;
} period_walk;

static int period_visit(void *ctx, const storage_val *k, const storage_val *v)
{
    (void)v;
    period_walk *w = ctx;
    char period[JIFEN_PERIOD_LEN + 1];
    if (k->len - w->plen != JIFEN_PERIOD_LEN)
        return -1;
    memcpy(period, (const char *)k->data + w->plen, JIFEN_PERIOD_LEN);
    period[JIFEN_PERIOD_LEN] = '\0';
    return w->fn(w->ctx, period);
}

storage_error desk_bill_period_each(storage_txn *txn, desk_period_fn fn,
                                    void *ctx)
{
    period_walk w = {fn, ctx, sizeof BILL_PERIOD - 1};
    return storage_foreach_prefix(txn, TABLE_META, BILL_PERIOD, w.plen,
                                  period_visit, &w);
}

storage_error desk_ontime_done_get(storage_txn *txn, const char *period,
                                   uint64_t *entry)
{
    uint8_t k[MKEY_MAX];
    size_t n = period_key(k, ONTIME_DONE, period);
    return get_be64(txn, TABLE_META, k, n, entry);
}

storage_error desk_ontime_done_put(storage_txn *txn, const char *period,
                                   uint64_t entry)
{
    uint8_t k[MKEY_MAX];
    size_t n = period_key(k, ONTIME_DONE, period);
    return put_be64(txn, TABLE_META, k, n, entry, STORAGE_PUT_NEW);
}
