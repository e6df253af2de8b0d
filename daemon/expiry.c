/*
 * expiry - see expiry.h.
 */
#include "expiry.h"

#include "counters.h"

#include <string.h>

#define LOT_PREFIX "expiry-lot/"
#define LOT_PREFIX_LEN (sizeof LOT_PREFIX - 1)
#define LOT_KEY_MAX (LOT_PREFIX_LEN + 8 + JIFEN_HOUSEHOLD_MAX)
#define COUNTER_EXPIRING "#expiring"
#define COUNTER_ALL "all"

static size_t lot_key(uint8_t *key, int64_t expires_ms, const char *household)
{
    size_t n = strnlen(household, JIFEN_HOUSEHOLD_MAX);
    memcpy(key, LOT_PREFIX, LOT_PREFIX_LEN);
    /* Non-negative times only reach here, so unsigned order is time order. */
    storage_be64_put(key + LOT_PREFIX_LEN, (uint64_t)expires_ms);
    memcpy(key + LOT_PREFIX_LEN + 8, household, n);
    return LOT_PREFIX_LEN + 8 + n;
}

void expiry_earn(storage_txn *txn, const char *household, int64_t expires_ms,
                 uint64_t points)
{
    if (expires_ms == INT64_MAX || expires_ms < 0 || points == 0)
        return;
    uint8_t key[LOT_KEY_MAX], val[8];
    size_t klen = lot_key(key, expires_ms, household);
    storage_val v;
    uint64_t total = points;
    storage_error e = storage_get(txn, TABLE_META, key, klen, &v);
    if (e == STORAGE_OK && v.len == 8)
        total += storage_be64_get(v.data);
    else if (e != STORAGE_NOT_FOUND) {
        if (!txn->error)
            txn->error = e == STORAGE_OK ? STORAGE_CORRUPT : e;
        return;
    }
    storage_be64_put(val, total);
    storage_put(txn, TABLE_META, key, klen, val, sizeof val,
                STORAGE_PUT_OVERWRITE);
}

static bool is_lot_key(const storage_val *k)
{
    return k->len > LOT_PREFIX_LEN + 8 &&
           k->len <= LOT_PREFIX_LEN + 8 + JIFEN_HOUSEHOLD_MAX &&
           memcmp(k->data, LOT_PREFIX, LOT_PREFIX_LEN) == 0;
}

storage_error expiry_due(storage_txn *txn, int64_t now_ms, expiry_lot *out,
                         size_t max, size_t *n, int64_t *next_ms)
{
    *n = 0;
    *next_ms = INT64_MAX;
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error e = storage_cursor_open(txn, TABLE_META, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_seek(c, LOT_PREFIX, LOT_PREFIX_LEN, &k, &v);
    while (e == STORAGE_OK && is_lot_key(&k)) {
        const uint8_t *p = k.data;
        int64_t at = (int64_t)storage_be64_get(p + LOT_PREFIX_LEN);
        if (at > now_ms || *n == max) {
            *next_ms = at > now_ms ? at : now_ms;
            break;
        }
        if (v.len != 8) {
            e = STORAGE_CORRUPT;
            break;
        }
        expiry_lot *lot = &out[(*n)++];
        lot->expires_ms = at;
        size_t hlen = k.len - LOT_PREFIX_LEN - 8;
        memcpy(lot->household, p + LOT_PREFIX_LEN + 8, hlen);
        lot->household[hlen] = '\0';
        lot->points = storage_be64_get(v.data);
        e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

storage_error expiry_close(storage_txn *txn, const expiry_lot *lot,
                           uint64_t spent, uint64_t *to_expire)
{
    uint64_t closed = 0;
    storage_error e = counter_get(txn, lot->household, COUNTER_EXPIRING,
                                  COUNTER_ALL, &closed);
    if (e != STORAGE_OK)
        return e;
    uint64_t through = closed + lot->points;
    *to_expire = through > spent ? through - spent : 0;
    counter_add(txn, lot->household, COUNTER_EXPIRING, COUNTER_ALL,
                (int64_t)lot->points);
    uint8_t key[LOT_KEY_MAX];
    e = storage_del(txn, TABLE_META, key,
                    lot_key(key, lot->expires_ms, lot->household));
    return e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e;
}
