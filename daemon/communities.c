/*
 * communities - see communities.h.
 */
#include "communities.h"

#include <string.h>

#define PREFIX "community/"
#define PREFIX_LEN (sizeof PREFIX - 1)
#define KEY_MAX (PREFIX_LEN + JIFEN_COMMUNITY_MAX)
/* be64 created, be64 closed, adopted, then name NUL street */
#define FIXED 17
#define RECORD_MAX (FIXED + JIFEN_NAME_MAX + 1 + JIFEN_COMMUNITY_MAX)

static size_t make_key(uint8_t *key, const char *code)
{
    size_t n = strnlen(code, JIFEN_COMMUNITY_MAX);
    memcpy(key, PREFIX, PREFIX_LEN);
    memcpy(key + PREFIX_LEN, code, n);
    return PREFIX_LEN + n;
}

static int decode(const storage_val *k, const storage_val *v,
                  community_record *out)
{
    size_t clen = k->len - PREFIX_LEN;
    if (k->len <= PREFIX_LEN || clen > JIFEN_COMMUNITY_MAX ||
        v->len < FIXED + 1 || v->len > RECORD_MAX)
        return -1;
    memset(out, 0, sizeof *out);
    memcpy(out->code, (const char *)k->data + PREFIX_LEN, clen);
    const uint8_t *p = v->data;
    out->created_entry = storage_be64_get(p);
    out->closed_entry = storage_be64_get(p + 8);
    if (p[16] > 1)
        return -1;
    out->file_rules = p[16] == 1;
    const uint8_t *name = p + FIXED, *end = p + v->len;
    const uint8_t *nul = memchr(name, 0, (size_t)(end - name));
    if (!nul || (size_t)(nul - name) > JIFEN_NAME_MAX ||
        (size_t)(end - nul - 1) > JIFEN_COMMUNITY_MAX)
        return -1;
    memcpy(out->name, name, (size_t)(nul - name));
    memcpy(out->street, nul + 1, (size_t)(end - nul - 1));
    return 0;
}

storage_error community_get(storage_txn *txn, const char *code,
                            community_record *out)
{
    uint8_t key[KEY_MAX];
    storage_val k = {key, make_key(key, code)}, v;
    storage_error e = storage_get(txn, TABLE_META, k.data, k.len, &v);
    if (e == STORAGE_OK && decode(&k, &v, out) != 0)
        e = STORAGE_CORRUPT;
    return e;
}

void community_put(storage_txn *txn, const community_record *rec)
{
    uint8_t key[KEY_MAX], val[RECORD_MAX];
    size_t nl = strnlen(rec->name, JIFEN_NAME_MAX);
    size_t sl = strnlen(rec->street, JIFEN_COMMUNITY_MAX);
    storage_be64_put(val, rec->created_entry);
    storage_be64_put(val + 8, rec->closed_entry);
    val[16] = rec->file_rules ? 1 : 0;
    memcpy(val + FIXED, rec->name, nl);
    val[FIXED + nl] = 0;
    memcpy(val + FIXED + nl + 1, rec->street, sl);
    storage_put(txn, TABLE_META, key, make_key(key, rec->code), val,
                FIXED + nl + 1 + sl, STORAGE_PUT_OVERWRITE);
}

typedef struct {
    int (*fn)(void *ctx, const community_record *r);
    void *ctx;
} each;

static int visit(void *ctx, const storage_val *k, const storage_val *v)
{
    each *e = ctx;
    community_record r;
    if (decode(k, v, &r) != 0)
        return -1;
    return e->fn(e->ctx, &r);
}

storage_error community_each(storage_txn *txn,
                             int (*fn)(void *ctx, const community_record *r),
                             void *ctx)
{
    each e = {fn, ctx};
    return storage_foreach_prefix(txn, TABLE_META, PREFIX, PREFIX_LEN, visit,
                                  &e);
}
