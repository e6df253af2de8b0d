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

typedef struct {
    size_t plen;
    int64_t now_ms;
    uint64_t *entry;
    int64_t *until_ms;
} active_walk;

/* The suspension that lasts longest, of those still running. */
static int visit_suspension(void *ctx, const storage_val *k,
                            const storage_val *v)
{
    active_walk *w = ctx;
    if (k->len != w->plen + 8)
        return 1;
    if (v->len != 8)
        return -1;
    int64_t until = (int64_t)storage_be64_get(v->data);
    if (until > w->now_ms && until > *w->until_ms) {
        *w->until_ms = until;
        *w->entry = storage_be64_get((const uint8_t *)k->data + w->plen);
    }
    return 0;
}

static storage_error active(storage_txn *txn, const char *pfx,
                            const char *household, int64_t now_ms,
                            uint64_t *entry, int64_t *until_ms)
{
    uint8_t prefix[KEY_MAX];
    size_t plen = household_prefix(prefix, pfx, household);
    *entry = 0;
    *until_ms = 0;
    active_walk w = {.plen = plen, .now_ms = now_ms, .entry = entry,
                     .until_ms = until_ms};
    storage_error e = storage_foreach_prefix(txn, TABLE_META, prefix, plen,
                                             visit_suspension, &w);
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
