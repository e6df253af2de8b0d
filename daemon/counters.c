#include "counters.h"

#include "accounts.h"
#include "clock.h"
#include "jifen_types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "household/<code>/" 0x01 <what> NUL <period>: after the household's
 * history keys (NUL), before its accounts ("fee", "pending", "points"). */
static size_t counter_key(uint8_t *key, const char *household, const char *what,
                          const char *period)
{
    size_t n = account_household_prefix(household, key), len;
    key[n++] = COUNTER_MARK;
    len = strnlen(what, JIFEN_CODE_MAX);
    memcpy(key + n, what, len);
    n += len;
    key[n++] = '\0';
    len = strnlen(period, CLOCK_PERIOD_LEN);
    memcpy(key + n, period, len);
    return n + len;
}

storage_error counter_migrate(storage_txn *txn, uint64_t *moved)
{
    static const char old_prefix[] = "count/";
    const size_t plen = sizeof old_prefix - 1;
    storage_cursor *c = NULL;
    storage_val k, v;
    *moved = 0;
    storage_error e = storage_cursor_open(txn, TABLE_META, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_seek(c, old_prefix, plen, &k, &v);
    /* "count/<household>\0<what>\0<period>" -> the key above; the old
     * keys are deleted after the walk, one by one (no cursor is open then). */
    uint8_t(*gone)[COUNTER_KEY_MAX] = NULL;
    size_t *gone_len = NULL, n_gone = 0, cap = 0;
    while (e == STORAGE_OK && k.len > plen && k.len <= COUNTER_KEY_MAX &&
           memcmp(k.data, old_prefix, plen) == 0) {
        const char *rest = (const char *)k.data + plen;
        size_t hlen = strnlen(rest, k.len - plen);
        if (hlen == 0 || hlen > JIFEN_HOUSEHOLD_MAX || hlen == k.len - plen) {
            e = STORAGE_CORRUPT;
            break;
        }
        char household[JIFEN_HOUSEHOLD_MAX + 1];
        memcpy(household, rest, hlen);
        household[hlen] = '\0';
        uint8_t key[COUNTER_KEY_MAX];
        size_t n = account_household_prefix(household, key);
        size_t tail = k.len - plen - hlen - 1; /* what NUL period */
        key[n++] = COUNTER_MARK;
        memcpy(key + n, rest + hlen + 1, tail);
        e = storage_put(txn, TABLE_BALANCES, key, n + tail, v.data, v.len,
                        STORAGE_PUT_OVERWRITE);
        if (e == STORAGE_OK && n_gone == cap) {
            cap = cap ? cap * 2 : 256;
            void *g = realloc(gone, cap * sizeof *gone);
            void *gl = g ? realloc(gone_len, cap * sizeof *gone_len) : NULL;
            if (g)
                gone = g;
            if (gl)
                gone_len = gl;
            if (!g || !gl)
                e = STORAGE_FAILED;
        }
        if (e == STORAGE_OK) {
            memcpy(gone[n_gone], k.data, k.len);
            gone_len[n_gone++] = k.len;
            e = storage_cursor_next(c, &k, &v);
        }
    }
    storage_cursor_close(&c);
    if (e == STORAGE_NOT_FOUND || e == STORAGE_OK)
        e = STORAGE_OK;
    for (size_t i = 0; e == STORAGE_OK && i < n_gone; i++)
        e = storage_del(txn, TABLE_META, gone[i], gone_len[i]);
    if (e == STORAGE_OK)
        *moved = n_gone;
    free(gone);
    free(gone_len);
    return e;
}

storage_error counter_get(storage_txn *txn, const char *household,
                          const char *what, const char *period, uint64_t *out)
{
    uint8_t key[COUNTER_KEY_MAX];
    size_t klen = counter_key(key, household, what, period);
    storage_val v;
    storage_error e = storage_get(txn, TABLE_BALANCES, key, klen, &v);
    *out = 0;
    if (e == STORAGE_NOT_FOUND)
        return STORAGE_OK;
    if (e == STORAGE_OK && v.len != 8)
        return STORAGE_CORRUPT;
    if (e == STORAGE_OK)
        *out = storage_be64_get(v.data);
    return e;
}

void counter_add(storage_txn *txn, const char *household, const char *what,
                 const char *period, int64_t delta)
{
    uint64_t total;
    storage_error e = counter_get(txn, household, what, period, &total);
    if (e != STORAGE_OK) {
        if (!txn->error)
            txn->error = e;
        return;
    }
    if (delta < 0 && (uint64_t)-delta > total)
        total = 0;
    else
        total += (uint64_t)delta;
    uint8_t key[COUNTER_KEY_MAX], val[8];
    size_t klen = counter_key(key, household, what, period);
    storage_be64_put(val, total);
    storage_put(txn, TABLE_BALANCES, key, klen, val, sizeof val,
                STORAGE_PUT_OVERWRITE);
}

void counter_add_month_year(storage_txn *txn, const char *household,
                            const char *what, int64_t ms, int64_t delta)
{
    char month[CLOCK_PERIOD_LEN + 1], year[5];
    clock_period_of(ms, month);
    memcpy(year, month, 4);
    year[4] = '\0';
    counter_add(txn, household, what, month, delta);
    counter_add(txn, household, what, year, delta);
}

storage_error counter_get_month_year(storage_txn *txn, const char *household,
                                     const char *what, int64_t ms,
                                     uint64_t *month, uint64_t *year)
{
    char m[CLOCK_PERIOD_LEN + 1], y[5];
    clock_period_of(ms, m);
    memcpy(y, m, 4);
    y[4] = '\0';
    storage_error e = counter_get(txn, household, what, m, month);
    if (e == STORAGE_OK)
        e = counter_get(txn, household, what, y, year);
    return e;
}
