/*
 * journal - see journal.h.
 */
#include "journal.h"

#include "accounts.h"
#include "entry_codec.h"

#include <string.h>

void journal_append(storage_txn *txn, uint64_t seq, const uint8_t *stored,
                    size_t len)
{
    uint8_t key[8];
    storage_be64_put(key, seq);
    storage_put(txn, TABLE_JOURNAL, key, sizeof key, stored, len,
                STORAGE_PUT_APPEND);
}

storage_error journal_get(storage_txn *txn, uint64_t seq, storage_val *stored)
{
    uint8_t key[8];
    storage_be64_put(key, seq);
    return storage_get(txn, TABLE_JOURNAL, key, sizeof key, stored);
}

static jifen_status decode(const storage_val *v, jifen_entry *out,
                           bool with_text)
{
    char why[128];
    return with_text ? codec_entry_decode_text(v->data, v->len, out, why,
                                               sizeof why)
                     : codec_entry_decode(v->data, v->len, out, why,
                                          sizeof why);
}

storage_error journal_read(storage_txn *txn, uint64_t seq, jifen_entry *out,
                           bool with_text)
{
    storage_val v;
    storage_error e = journal_get(txn, seq, &v);
    if (e != STORAGE_OK)
        return e;
    return decode(&v, out, with_text) == JIFEN_STATUS_OK ? STORAGE_OK
                                                         : STORAGE_CORRUPT;
}

static int last_key(void *ctx, const storage_val *key, const storage_val *val)
{
    (void)val;
    *(uint64_t *)ctx = key->len == 8 ? storage_be64_get(key->data) : 0;
    return key->len == 8 ? 1 : -1;
}

storage_error journal_last(storage_txn *txn, uint64_t *seq)
{
    *seq = 0;
    return storage_foreach_prefix_back(txn, TABLE_JOURNAL, NULL, 0, last_key,
                                       seq);
}

typedef struct {
    bool decode;
    journal_fn fn;
    void *ctx;
    uint64_t *bad;
    storage_txn *txn;
    size_t prefix_len; /* history walks: the household's prefix */
    jifen_entry entry;
} walk;

static int visit(walk *w, uint64_t seq, const storage_val *stored)
{
    if (w->decode && decode(stored, &w->entry, false) != JIFEN_STATUS_OK) {
        if (w->bad)
            *w->bad = seq;
        return -1;
    }
    return w->fn(w->ctx, seq, stored, w->decode ? &w->entry : NULL);
}

static int visit_journal(void *ctx, const storage_val *key,
                         const storage_val *val)
{
    walk *w = ctx;
    if (key->len != 8)
        return -1;
    return visit(w, storage_be64_get(key->data), val);
}

storage_error journal_foreach(storage_txn *txn, uint64_t from, bool decode,
                              journal_fn fn, void *ctx, uint64_t *bad)
{
    walk w = {.decode = decode, .fn = fn, .ctx = ctx, .bad = bad, .txn = txn};
    uint8_t key[8];
    storage_be64_put(key, from);
    return storage_foreach_from(txn, TABLE_JOURNAL, key, sizeof key,
                                visit_journal, &w);
}

static int visit_history(void *ctx, const storage_val *key,
                         const storage_val *val)
{
    (void)val;
    walk *w = ctx;
    if (key->len != w->prefix_len + 8)
        return -1;
    uint64_t seq = storage_be64_get((const uint8_t *)key->data + w->prefix_len);
    storage_val stored;
    storage_error e = journal_get(w->txn, seq, &stored);
    if (e != STORAGE_OK) {
        if (w->bad)
            *w->bad = seq;
        return -1;
    }
    return visit(w, seq, &stored);
}

storage_error journal_household(storage_txn *txn, const char *household,
                                bool newest_first, journal_fn fn, void *ctx,
                                uint64_t *bad)
{
    uint8_t prefix[ACCOUNT_HISTORY_KEY_MAX];
    /* The history key without its seq: the household's prefix and 0x00. */
    size_t plen = account_history_key(household, 0, prefix) - 8;
    walk w = {.decode = true, .fn = fn, .ctx = ctx, .bad = bad, .txn = txn,
              .prefix_len = plen};
    return newest_first
               ? storage_foreach_prefix_back(txn, TABLE_BALANCES, prefix, plen,
                                             visit_history, &w)
               : storage_foreach_prefix(txn, TABLE_BALANCES, prefix, plen,
                                        visit_history, &w);
}
