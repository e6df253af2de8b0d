#include "merkle_store.h"

#include <string.h>

/* Subtree (level, index) is at offset 32 level of record (index+1) << level
 * (merkle_store.h). A missing record is damage once the tree is built. */
static int read_node(void *ctx, unsigned level, uint64_t index,
                     merkle_hash out)
{
    storage_txn *txn = ctx;
    if (level >= MERKLE_PROOF_MAX || index >= (UINT64_MAX >> level))
        return STORAGE_CORRUPT;
    uint8_t key[8];
    storage_be64_put(key, (index + 1) << level);
    storage_val v;
    storage_error e = storage_get(txn, TABLE_MERKLE, key, sizeof key, &v);
    if (e == STORAGE_NOT_FOUND)
        return STORAGE_CORRUPT;
    if (e != STORAGE_OK)
        return e;
    if (v.len < (size_t)MERKLE_HASH_LEN * (level + 1))
        return STORAGE_CORRUPT;
    memcpy(out, (const uint8_t *)v.data + (size_t)MERKLE_HASH_LEN * level,
           MERKLE_HASH_LEN);
    return STORAGE_OK;
}

static storage_error poison(storage_txn *txn, storage_error e)
{
    if (e != STORAGE_OK && !txn->error)
        txn->error = e;
    return e;
}

void merkle_edge_forget(merkle_edge *edge)
{
    edge->known = false;
}

/* The right edge of the tree of `size` leaves, from the table: one
 * complete subtree per bit of size, largest first (merkle_frontier). */
static storage_error load_edge(storage_txn *txn, uint64_t size,
                               merkle_frontier *f)
{
    merkle_frontier_init(f);
    uint64_t lo = 0;
    for (unsigned level = 64; level-- > 0;) {
        if (!(size >> level & 1))
            continue;
        int rc = read_node(txn, level, lo >> level, f->nodes[f->n]);
        if (rc != 0)
            return (storage_error)rc;
        f->n++;
        lo += (uint64_t)1 << level;
    }
    f->size = size;
    return STORAGE_OK;
}

storage_error merkle_append(storage_txn *txn, merkle_edge *edge, uint64_t seq,
                            const uint8_t *stored, size_t len)
{
    if (txn->error)
        return txn->error;
    if (seq == 0)
        return poison(txn, STORAGE_FAILED);
    if (!edge->known || edge->f.size != seq - 1) {
        edge->known = false;
        storage_error e = load_edge(txn, seq - 1, &edge->f);
        if (e != STORAGE_OK)
            return poison(txn, e);
        edge->known = true;
    }
    merkle_hash leaf, nodes[MERKLE_PROOF_MAX];
    merkle_leaf_hash(stored, len, leaf);
    unsigned levels = merkle_frontier_push(&edge->f, leaf, nodes);
    uint8_t key[8];
    storage_be64_put(key, seq);
    storage_error e =
        storage_put(txn, TABLE_MERKLE, key, sizeof key, nodes,
                    (size_t)MERKLE_HASH_LEN * levels, STORAGE_PUT_APPEND);
    if (e != STORAGE_OK)
        edge->known = false; /* the table did not take it */
    return e;
}

storage_error merkle_store_size(storage_txn *txn, uint64_t *size)
{
    *size = 0;
    storage_cursor *c = NULL;
    storage_val k;
    storage_error e = storage_cursor_open(txn, TABLE_MERKLE, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_last(c, &k, NULL);
    storage_cursor_close(&c);
    if (e == STORAGE_NOT_FOUND)
        return STORAGE_OK;
    if (e == STORAGE_OK && k.len != 8)
        return STORAGE_CORRUPT;
    if (e == STORAGE_OK)
        *size = storage_be64_get(k.data);
    return e;
}

/* Progress every this many entries: often enough for a person watching a
 * ten-million-entry upgrade, rarely enough to cost nothing. */
#define CATCH_UP_REPORT 65536

storage_error merkle_store_catch_up(storage_txn *txn, uint64_t head,
                                    void (*progress)(void *ctx, uint64_t done,
                                                     uint64_t todo),
                                    void *ctx, uint64_t *built)
{
    uint64_t size = 0;
    *built = 0;
    storage_error e = merkle_store_size(txn, &size);
    if (e != STORAGE_OK || size == head)
        return e;
    if (size > head)
        return STORAGE_CORRUPT;
    uint64_t todo = head - size;
    merkle_edge edge = {.known = false};
    storage_cursor *c = NULL;
    storage_val k, v;
    uint8_t key[8];
    storage_be64_put(key, size + 1);
    e = storage_cursor_open(txn, TABLE_JOURNAL, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_seek(c, key, sizeof key, &k, &v);
    while (e == STORAGE_OK && *built < todo) {
        uint64_t seq = k.len == 8 ? storage_be64_get(k.data) : 0;
        if (seq != size + *built + 1) {
            e = STORAGE_CORRUPT; /* a gap in the journal */
            break;
        }
        e = merkle_append(txn, &edge, seq, v.data, v.len);
        if (e != STORAGE_OK)
            break;
        if (++*built % CATCH_UP_REPORT == 0 && progress)
            progress(ctx, *built, todo);
        e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    if (*built == todo && (e == STORAGE_OK || e == STORAGE_NOT_FOUND)) {
        if (progress)
            progress(ctx, *built, todo);
        return STORAGE_OK;
    }
    return poison(txn, e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e);
}

void merkle_store_reader_init(merkle_store_reader *mr, storage_txn *txn)
{
    mr->txn = txn;
    merkle_reader_init(&mr->r, read_node, txn);
}

static storage_error from_rc(int rc)
{
    return rc < 0 ? STORAGE_FAILED : (storage_error)rc;
}

storage_error merkle_store_root(merkle_store_reader *mr, uint64_t size,
                                merkle_hash out)
{
    return from_rc(merkle_root(&mr->r, size, out));
}

storage_error merkle_store_inclusion(merkle_store_reader *mr, uint64_t seq,
                                     uint64_t size, merkle_hash *path,
                                     size_t *n)
{
    if (seq == 0) {
        *n = 0;
        return STORAGE_FAILED;
    }
    return from_rc(merkle_inclusion_proof(&mr->r, seq - 1, size, path, n));
}

storage_error merkle_store_consistency(merkle_store_reader *mr,
                                       uint64_t old_size, uint64_t new_size,
                                       merkle_hash *path, size_t *n)
{
    return from_rc(
        merkle_consistency_proof(&mr->r, old_size, new_size, path, n));
}
