/*
 * passbook - see passbook.h.
 */
#include "passbook.h"

#include "metakey.h"

#define PREFIX "passbook/"
#define KEY_MAX (sizeof PREFIX + JIFEN_HOUSEHOLD_MAX)

static size_t key_of(uint8_t *key, const char *household)
{
    const char *parts[] = {household};
    return metakey(key, KEY_MAX, PREFIX, parts, 1);
}

storage_error passbook_get(storage_txn *txn, const char *household,
                           passbook_mark *out)
{
    uint8_t key[KEY_MAX];
    storage_val v;
    memset(out, 0, sizeof *out);
    storage_error e =
        storage_get(txn, TABLE_META, key, key_of(key, household), &v);
    if (e == STORAGE_NOT_FOUND)
        return STORAGE_OK;
    if (e != STORAGE_OK)
        return e;
    if (v.len != 24)
        return STORAGE_CORRUPT;
    const uint8_t *p = v.data;
    out->through = rec_get64(&p);
    out->lines = rec_get64(&p);
    out->mark = rec_get64(&p);
    return STORAGE_OK;
}

void passbook_put(storage_txn *txn, const char *household,
                  const passbook_mark *m)
{
    uint8_t key[KEY_MAX], rec[24], *p = rec;
    rec_be64(&p, m->through);
    rec_be64(&p, m->lines);
    rec_be64(&p, m->mark);
    storage_put(txn, TABLE_META, key, key_of(key, household), rec, sizeof rec,
                STORAGE_PUT_OVERWRITE);
}
