#include "counters.h"

#include "clock.h"
#include "jifen_types.h"

#include <stdio.h>
#include <string.h>

#define COUNTER_KEY_MAX (6 + JIFEN_HOUSEHOLD_MAX + 1 + JIFEN_CODE_MAX + 1 + 7)

static size_t counter_key(uint8_t *key, const char *household, const char *what,
                          const char *period)
{
    size_t n = 0, len;
    memcpy(key, "count/", 6);
    n = 6;
    len = strnlen(household, JIFEN_HOUSEHOLD_MAX);
    memcpy(key + n, household, len);
    n += len;
    key[n++] = '\0';
    len = strnlen(what, JIFEN_CODE_MAX);
    memcpy(key + n, what, len);
    n += len;
    key[n++] = '\0';
    len = strnlen(period, CLOCK_PERIOD_LEN);
    memcpy(key + n, period, len);
    return n + len;
}

storage_error counter_get(storage_txn *txn, const char *household,
                          const char *what, const char *period, uint64_t *out)
{
    uint8_t key[COUNTER_KEY_MAX];
    size_t klen = counter_key(key, household, what, period);
    storage_val v;
    storage_error e = storage_get(txn, TABLE_META, key, klen, &v);
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
    storage_put(txn, TABLE_META, key, klen, val, sizeof val,
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
