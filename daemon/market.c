/*
 * market - see market.h.
 */
#include "market.h"

#include "metakey.h"

#define ITEM_PREFIX "item/"
#define GOODS_PREFIX "goods/"
#define OPEN_PREFIX "goods-open/"
#define FUNDER_PREFIX "funder/"
#define KEY_MAX 64
#define ITEM_FIXED (5 * 8 + 2)
#define ITEM_REC_MAX (ITEM_FIXED + 1 + JIFEN_CODE_MAX + JIFEN_NAME_MAX)
#define GOODS_FIXED (3 * 8)
#define GOODS_REC_MAX (GOODS_FIXED + 1 + JIFEN_HOUSEHOLD_MAX + JIFEN_CODE_MAX)

void market_funder_account(const char *funder, char out[JIFEN_ACCOUNT_MAX + 1])
{
    static const char prefix[] = MARKET_FUNDER_ACCOUNT_PREFIX;
    size_t n = strnlen(funder, JIFEN_CODE_MAX);
    memcpy(out, prefix, sizeof prefix - 1);
    memcpy(out + sizeof prefix - 1, funder, n);
    out[sizeof prefix - 1 + n] = '\0';
}

/* The rest of a key after its prefix, as text into out[cap]. */
static int key_tail(const storage_val *k, size_t plen, char *out, size_t cap)
{
    size_t n = k->len - plen;
    if (k->len < plen || n == 0 || n >= cap)
        return -1;
    memcpy(out, (const uint8_t *)k->data + plen, n);
    out[n] = '\0';
    return 0;
}

static size_t text_key(uint8_t *key, const char *prefix, const char *code)
{
    const char *parts[] = {code};
    return metakey(key, KEY_MAX, prefix, parts, 1);
}

/* --- items ---------------------------------------------------------------- */

static storage_error decode_item(const storage_val *v, market_item *it)
{
    const uint8_t *p = v->data, *end = p + v->len;
    if (v->len < ITEM_FIXED + 1)
        return STORAGE_CORRUPT;
    it->created = rec_get64(&p);
    it->changed = rec_get64(&p);
    it->price = rec_get64(&p);
    it->value_fen = rec_get64(&p);
    it->stock = rec_get64(&p);
    it->funder_kind = (jifen_funder_kind)*p++;
    it->withdrawn = *p++ == 1;
    if (rec_get_text(&p, end, it->funder, sizeof it->funder) != 0 ||
        (size_t)(end - p) > JIFEN_NAME_MAX)
        return STORAGE_CORRUPT;
    memcpy(it->name, p, (size_t)(end - p));
    it->name[end - p] = '\0';
    return STORAGE_OK;
}

storage_error market_item_get(storage_txn *txn, const char *code,
                              market_item *out)
{
    uint8_t key[KEY_MAX];
    storage_val v;
    storage_error e = storage_get(txn, TABLE_META, key,
                                  text_key(key, ITEM_PREFIX, code), &v);
    if (e != STORAGE_OK)
        return e;
    memset(out, 0, sizeof *out);
    memcpy(out->code, code, strnlen(code, JIFEN_CODE_MAX));
    return decode_item(&v, out);
}

void market_item_put(storage_txn *txn, const market_item *it)
{
    uint8_t key[KEY_MAX], rec[ITEM_REC_MAX], *p = rec;
    rec_be64(&p, it->created);
    rec_be64(&p, it->changed);
    rec_be64(&p, it->price);
    rec_be64(&p, it->value_fen);
    rec_be64(&p, it->stock);
    *p++ = (uint8_t)it->funder_kind;
    *p++ = it->withdrawn ? 1 : 0;
    rec_text(&p, it->funder);
    size_t n = strnlen(it->name, JIFEN_NAME_MAX);
    memcpy(p, it->name, n);
    p += n;
    storage_put(txn, TABLE_META, key, text_key(key, ITEM_PREFIX, it->code),
                rec, (size_t)(p - rec), STORAGE_PUT_OVERWRITE);
}

typedef struct {
    int (*fn)(void *ctx, const market_item *it);
    void *ctx;
} item_walk;

static int visit_item(void *ctx, const storage_val *k, const storage_val *v)
{
    item_walk *w = ctx;
    market_item it;
    memset(&it, 0, sizeof it);
    if (key_tail(k, sizeof ITEM_PREFIX - 1, it.code, sizeof it.code) != 0 ||
        decode_item(v, &it) != STORAGE_OK)
        return -1;
    return w->fn(w->ctx, &it);
}

storage_error market_items_each(storage_txn *txn,
                                int (*fn)(void *ctx, const market_item *it),
                                void *ctx)
{
    item_walk w = {fn, ctx};
    return storage_foreach_prefix(txn, TABLE_META, ITEM_PREFIX,
                                  sizeof ITEM_PREFIX - 1, visit_item, &w);
}

/* --- goods redeemed ---------------------------------------------------------- */

static size_t seq_key(uint8_t *key, const char *prefix, uint64_t seq)
{
    size_t n = strlen(prefix);
    memcpy(key, prefix, n);
    storage_be64_put(key + n, seq);
    return n + 8;
}

static storage_error decode_goods(const storage_val *v, market_goods *g)
{
    const uint8_t *p = v->data, *end = p + v->len;
    if (v->len < GOODS_FIXED + 1)
        return STORAGE_CORRUPT;
    g->pickup = rec_get64(&p);
    g->reversed = rec_get64(&p);
    g->quantity = rec_get64(&p);
    if (rec_get_text(&p, end, g->household, sizeof g->household) != 0 ||
        end == p || (size_t)(end - p) > JIFEN_CODE_MAX)
        return STORAGE_CORRUPT;
    memcpy(g->item, p, (size_t)(end - p));
    g->item[end - p] = '\0';
    return STORAGE_OK;
}

storage_error market_goods_get(storage_txn *txn, uint64_t entry,
                               market_goods *out)
{
    uint8_t key[KEY_MAX];
    storage_val v;
    storage_error e = storage_get(txn, TABLE_META, key,
                                  seq_key(key, GOODS_PREFIX, entry), &v);
    if (e != STORAGE_OK)
        return e;
    memset(out, 0, sizeof *out);
    out->entry = entry;
    return decode_goods(&v, out);
}

void market_goods_put(storage_txn *txn, const market_goods *g)
{
    uint8_t key[KEY_MAX], rec[GOODS_REC_MAX], *p = rec;
    rec_be64(&p, g->pickup);
    rec_be64(&p, g->reversed);
    rec_be64(&p, g->quantity);
    rec_text(&p, g->household);
    size_t n = strnlen(g->item, JIFEN_CODE_MAX);
    memcpy(p, g->item, n);
    p += n;
    storage_put(txn, TABLE_META, key, seq_key(key, GOODS_PREFIX, g->entry), rec,
                (size_t)(p - rec), STORAGE_PUT_OVERWRITE);
    size_t klen = seq_key(key, OPEN_PREFIX, g->entry);
    if (g->pickup == 0 && g->reversed == 0)
        storage_put(txn, TABLE_META, key, klen, "", 0, STORAGE_PUT_OVERWRITE);
    else
        storage_del(txn, TABLE_META, key, klen); /* not found: fine */
}

typedef struct {
    storage_txn *txn;
    int (*fn)(void *ctx, const market_goods *g);
    void *ctx;
} goods_walk;

static int visit_waiting(void *ctx, const storage_val *k, const storage_val *v)
{
    goods_walk *w = ctx;
    (void)v;
    if (k->len != sizeof OPEN_PREFIX - 1 + 8)
        return -1;
    market_goods g;
    uint64_t seq =
        storage_be64_get((const uint8_t *)k->data + sizeof OPEN_PREFIX - 1);
    if (market_goods_get(w->txn, seq, &g) != STORAGE_OK)
        return -1;
    return w->fn(w->ctx, &g);
}

storage_error market_goods_waiting(storage_txn *txn,
                                   int (*fn)(void *ctx, const market_goods *g),
                                   void *ctx)
{
    goods_walk w = {txn, fn, ctx};
    return storage_foreach_prefix(txn, TABLE_META, OPEN_PREFIX,
                                  sizeof OPEN_PREFIX - 1, visit_waiting, &w);
}

/* --- funders ------------------------------------------------------------------ */

static storage_error decode_funder(const storage_val *v, market_funder *f)
{
    const uint8_t *p = v->data;
    if (v->len < 1 || v->len > 1 + JIFEN_NOTE_MAX)
        return STORAGE_CORRUPT;
    f->kind = (jifen_funder_kind)p[0];
    memcpy(f->name, p + 1, v->len - 1);
    f->name[v->len - 1] = '\0';
    return STORAGE_OK;
}

storage_error market_funder_get(storage_txn *txn, const char *code,
                                market_funder *out)
{
    uint8_t key[KEY_MAX];
    storage_val v;
    storage_error e = storage_get(txn, TABLE_META, key,
                                  text_key(key, FUNDER_PREFIX, code), &v);
    if (e != STORAGE_OK)
        return e;
    memset(out, 0, sizeof *out);
    memcpy(out->code, code, strnlen(code, JIFEN_CODE_MAX));
    return decode_funder(&v, out);
}

void market_funder_put(storage_txn *txn, const market_funder *f)
{
    uint8_t key[KEY_MAX], rec[1 + JIFEN_NOTE_MAX];
    size_t n = strnlen(f->name, JIFEN_NOTE_MAX);
    rec[0] = (uint8_t)f->kind;
    memcpy(rec + 1, f->name, n);
    storage_put(txn, TABLE_META, key, text_key(key, FUNDER_PREFIX, f->code),
                rec, 1 + n, STORAGE_PUT_OVERWRITE);
}

typedef struct {
    int (*fn)(void *ctx, const market_funder *f);
    void *ctx;
} funder_walk;

static int visit_funder(void *ctx, const storage_val *k, const storage_val *v)
{
    funder_walk *w = ctx;
    market_funder f;
    memset(&f, 0, sizeof f);
    if (key_tail(k, sizeof FUNDER_PREFIX - 1, f.code, sizeof f.code) != 0 ||
        decode_funder(v, &f) != STORAGE_OK)
        return -1;
    return w->fn(w->ctx, &f);
}

storage_error market_funders_each(storage_txn *txn,
                                  int (*fn)(void *ctx,
                                            const market_funder *f),
                                  void *ctx)
{
    funder_walk w = {fn, ctx};
    return storage_foreach_prefix(txn, TABLE_META, FUNDER_PREFIX,
                                  sizeof FUNDER_PREFIX - 1, visit_funder, &w);
}
