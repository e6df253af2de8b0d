/*
 * sanction - see sanction.h.
 */
#include "sanction.h"

#include <string.h>

/* Redemption suspensions, and (issue 15) award suspensions: the same
 * records under two prefixes. */
#define PREFIX "sanction/"
#define PREFIX_AWARD "sanction-award/"
#define KEY_MAX (sizeof PREFIX_AWARD + JIFEN_HOUSEHOLD_MAX + 1 + 8)

/* The household part of the key, with its NUL: what every key of it
 * starts with. */
static size_t household_prefix(uint8_t *key, const char *prefix,
                               const char *household)
{
    size_t n = strnlen(household, JIFEN_HOUSEHOLD_MAX), p = strlen(prefix);
    memcpy(key, prefix, p);
    memcpy(key + p, household, n);
    key[p + n] = '\0';
    return p + n + 1;
}

static size_t sanction_key(uint8_t *key, const char *prefix,
                           const char *household, uint64_t entry)
{
    size_t n = household_prefix(key, prefix, household);
    storage_be64_put(key + n, entry);
    return n + 8;
}

static void put(storage_txn *txn, const char *prefix, const char *household,
                uint64_t entry, int64_t until_ms)
{
    uint8_t key[KEY_MAX], val[8];
    storage_be64_put(val, (uint64_t)until_ms);
    storage_put(txn, TABLE_META, key,
                sanction_key(key, prefix, household, entry), val, sizeof val,
                STORAGE_PUT_OVERWRITE);
}

static storage_error lift(storage_txn *txn, const char *prefix,
                          const char *household, uint64_t entry)
{
    uint8_t key[KEY_MAX];
    storage_error e = storage_del(txn, TABLE_META, key,
                                  sanction_key(key, prefix, household, entry));
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

void sanction_put(storage_txn *txn, const char *household, uint64_t entry,
                  int64_t until_ms)
{
    put(txn, PREFIX, household, entry, until_ms);
}

storage_error sanction_lift(storage_txn *txn, const char *household,
                            uint64_t entry)
{
    storage_error e = lift(txn, PREFIX, household, entry);
    return e == STORAGE_OK ? lift(txn, PREFIX_AWARD, household, entry) : e;
}

void sanction_award_put(storage_txn *txn, const char *household,
                        uint64_t entry, int64_t until_ms)
{
    put(txn, PREFIX_AWARD, household, entry, until_ms);
}

static storage_error active(storage_txn *txn, const char *pfx,
                            const char *household, int64_t now_ms,
                            uint64_t *entry, int64_t *until_ms)
{
    uint8_t prefix[KEY_MAX];
    size_t plen = household_prefix(prefix, pfx, household);
    *entry = 0;
    *until_ms = 0;
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error e = storage_cursor_open(txn, TABLE_META, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_seek(c, prefix, plen, &k, &v);
    while (e == STORAGE_OK && k.len == plen + 8 &&
           memcmp(k.data, prefix, plen) == 0) {
        if (v.len != 8) {
            e = STORAGE_CORRUPT;
            break;
        }
        int64_t until = (int64_t)storage_be64_get(v.data);
        if (until > now_ms && until > *until_ms) {
            *until_ms = until;
            *entry = storage_be64_get((const uint8_t *)k.data + plen);
        }
        e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

storage_error sanction_active(storage_txn *txn, const char *household,
                              int64_t now_ms, uint64_t *entry,
                              int64_t *until_ms)
{
    return active(txn, PREFIX, household, now_ms, entry, until_ms);
}

storage_error sanction_award_active(storage_txn *txn, const char *household,
                                    int64_t now_ms, uint64_t *entry,
                                    int64_t *until_ms)
{
    return active(txn, PREFIX_AWARD, household, now_ms, entry, until_ms);
}
