/*
 * storage - the LMDB environment behind the ledger; the only module that
 * includes lmdb.h.
 *
 * The ledger lives in one environment with one named database per table.
 * LMDB's single writer is jifen's serial order: one write transaction at a
 * time, many readers that never block it.
 *
 * Errors are translated here into the small set of codes below. A
 * transaction carries a sticky error (as in Knot DNS): after the first
 * failed operation every later operation on it returns the same error, so
 * callers write straight-line code and check once. A failed write poisons
 * the transaction: the only thing left to do is storage_txn_abort.
 *
 * Lifetimes: values returned by storage_get and cursors point into the map
 * and stay valid until the transaction ends.
 */
#ifndef JIFEN_STORAGE_H
#define JIFEN_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    STORAGE_OK = 0,
    STORAGE_NOT_FOUND,  /* no such key (not an error for the txn) */
    STORAGE_EXISTS,     /* key exists (STORAGE_PUT_NEW) */
    STORAGE_MAP_FULL,   /* the map is full: grow it and replay */
    STORAGE_DISK_FULL,  /* the filesystem is full */
    STORAGE_IO,         /* I/O error: stop, do not retry */
    STORAGE_CORRUPT,    /* the file is damaged or of another version */
    STORAGE_FAILED,     /* anything else; see storage_txn_strerror */
} storage_error;

typedef enum {
    TABLE_JOURNAL,     /* be64 seq -> stored Entry bytes */
    TABLE_BALANCES,    /* account name -> be64 debits, be64 credits; and
                          next to them each household's history index,
                          counters and points lots (keyspace.h) */
    TABLE_HOUSEHOLDS,  /* household code -> household record */
    TABLE_REQUESTS,    /* request id -> digest + stored reply */
    TABLE_HISTORY,     /* format 1 only: household code, NUL, be64 seq ->
                          (empty); format 2 keeps the history index in
                          TABLE_BALANCES (accounts.h) and leaves it empty */
    TABLE_REVERSALS,   /* be64 reversed seq -> be64 reversing seq */
    TABLE_META,        /* chain head, format, rule-set adoptions, notices,
                          suspensions, lots due (keyspace.h) */
    TABLE_CHECKPOINTS, /* be64 seq -> signed checkpoint text (checkpoint.h) */
    TABLE_KEYS,        /* client public key (Z85) -> key record (keys.h) */
    TABLE_MERKLE,      /* the journal's Merkle tree (merkle_store.h):
                          one kind of key, be64 n (n = 1, 2, 3, ... as the
                          journal) -> the 1 + ctz(n) subtrees that entry n
                          completes, 32 bytes each, leaf hash first: level
                          L holds subtree (L, (n >> L) - 1), the one over
                          entries n - 2^L + 1 .. n. 64 bytes of hashes per
                          entry on average */
    TABLE_COUNT
} storage_table;

typedef struct {
    const void *data;
    size_t len;
} storage_val;

typedef struct storage storage;

typedef struct {
    void *txn; /* MDB_txn */
    storage *owner;
    bool write;
    storage_error error; /* sticky */
    int mdb_rc;          /* LMDB's code behind `error`, for messages */
    bool holds_map;      /* a reader inside the map (see storage_grow) */
} storage_txn;

typedef struct storage_cursor storage_cursor;

/* Opens (creating if needed) the environment in directory `dir`, with a map
 * of map_size bytes. Clears stale reader slots left by killed processes.
 * Returns STORAGE_OK or an error with the reason in err. */
storage_error storage_open(storage **out, const char *dir, size_t map_size,
                           char *err, size_t errlen);
void storage_close(storage **self_p);

/* Opens an existing environment read-only, for the offline tools (backup,
 * verify, export). Safe next to a running jifend: LMDB readers never block
 * the writer. Tables the file does not have read as empty. */
storage_error storage_open_readonly(storage **out, const char *dir, char *err,
                                    size_t errlen);

/* Writes a compacted copy of the environment into the existing, empty
 * directory dest_dir (LMDB's compacting copy): dest_dir/data.mdb, mode 0600
 * whatever the umask, never over an existing file, fsync'd before it
 * returns. The copy is one read transaction's snapshot: consistent while
 * writes go on. */
storage_error storage_copy(storage *self, const char *dest_dir, char *err,
                           size_t errlen);

/* Clears the reader slots of processes that died holding a read
 * transaction (a backup or export killed with kill -9): such a slot pins
 * the pages of its snapshot, so every commit after it takes new pages and
 * the file grows until the slot is cleared. LMDB only clears them when
 * asked. Cheap (a scan of the reader table, one kill(pid, 0) per slot);
 * any thread. The number cleared, or -1. */
int storage_reader_check(storage *self);

/* Map size and bytes in use (last page used x page size), for stats. */
void storage_usage(storage *self, uint64_t *map_bytes, uint64_t *used_bytes);

/* Doubles the map size (up to max_bytes). No write transaction may be
 * active; read transactions of other threads are waited for.
 * STORAGE_OK, or STORAGE_MAP_FULL when already at the maximum. */
storage_error storage_grow(storage *self, size_t max_bytes);
size_t storage_map_size(const storage *self);

storage_error storage_txn_begin(storage *self, storage_txn *txn, bool write);
/* A transaction inside the write transaction `parent` (LMDB's nested
 * transactions: the environment has no MDB_WRITEMAP): what it writes is
 * seen by it and vanishes with storage_txn_abort, leaving parent as it was
 * (a dry run). parent must not be used until the child ends. */
storage_error storage_txn_begin_child(storage_txn *parent, storage_txn *child);
/* Commits, or aborts when the txn carries an error. The txn is over either
 * way (LMDB frees a failed commit's handle: it must not be aborted again). */
storage_error storage_txn_commit(storage_txn *txn);
void storage_txn_abort(storage_txn *txn);
/* A read transaction kept for reuse: reset lets go of its snapshot (and of
 * the map, so that it may grow), renew takes the newest one. Cheaper than
 * abort and begin, which allocate and look for a reader slot each time. A
 * reset transaction is ended with storage_txn_abort. */
void storage_txn_reset(storage_txn *txn);
storage_error storage_txn_renew(storage_txn *txn);
/* Human-readable reason of the txn's error. */
const char *storage_txn_strerror(const storage_txn *txn);
const char *storage_strerror(storage_error err);

storage_error storage_get(storage_txn *txn, storage_table table,
                          const void *key, size_t key_len, storage_val *val);

/* Looks up n keys of one table, given in ascending order, with one
 * cursor: keys that lie next to each other (a household's accounts) cost
 * one B-tree descent and a step each instead of a descent each. vals[i]
 * gets the value, or data NULL and len 0 when keys[i] is absent. OK, or
 * the failure (the txn's sticky error). */
storage_error storage_get_sorted(storage_txn *txn, storage_table table,
                                 const storage_val *keys, size_t n,
                                 storage_val *vals);

typedef enum {
    STORAGE_PUT_OVERWRITE = 0,
    STORAGE_PUT_NEW = 1,    /* STORAGE_EXISTS when the key exists */
    STORAGE_PUT_APPEND = 2, /* key sorts after every key (journal) */
} storage_put_mode;

storage_error storage_put(storage_txn *txn, storage_table table,
                          const void *key, size_t key_len, const void *data,
                          size_t data_len, storage_put_mode mode);

/* Deletes a key. STORAGE_NOT_FOUND (the txn stays usable) when absent. */
storage_error storage_del(storage_txn *txn, storage_table table,
                          const void *key, size_t key_len);

/* Deletes every record of a table (write transactions; the table stays). */
storage_error storage_clear(storage_txn *txn, storage_table table);

/* Number of records in a table. */
storage_error storage_count(storage_txn *txn, storage_table table,
                            uint64_t *count);

/* Cursors: positioned by first/last/seek (first key >= the given key), then
 * moved with next/prev. Each returns STORAGE_OK with key and value, or
 * STORAGE_NOT_FOUND past either end. */
storage_error storage_cursor_open(storage_txn *txn, storage_table table,
                                  storage_cursor **out);
void storage_cursor_close(storage_cursor **self_p);
storage_error storage_cursor_first(storage_cursor *c, storage_val *key,
                                   storage_val *val);
storage_error storage_cursor_last(storage_cursor *c, storage_val *key,
                                  storage_val *val);
storage_error storage_cursor_seek(storage_cursor *c, const void *key,
                                  size_t key_len, storage_val *key_out,
                                  storage_val *val);
storage_error storage_cursor_next(storage_cursor *c, storage_val *key,
                                  storage_val *val);
storage_error storage_cursor_prev(storage_cursor *c, storage_val *key,
                                  storage_val *val);

/* Calls fn(ctx, key, value) for every record whose key starts with
 * prefix[plen] (plen 0: every record), in key order, without allocating.
 * fn returns 0 to go on, 1 to stop (STORAGE_OK), -1 to stop because the
 * record is damaged (STORAGE_CORRUPT). The values point into the map: valid
 * until the transaction ends; fn must not write to the table it walks.
 * Prefixes are at most STORAGE_PREFIX_MAX bytes. */
#define STORAGE_PREFIX_MAX 128
typedef int (*storage_visit_fn)(void *ctx, const storage_val *key,
                                const storage_val *val);
storage_error storage_foreach_prefix(storage_txn *txn, storage_table table,
                                     const void *prefix, size_t plen,
                                     storage_visit_fn fn, void *ctx);
/* Every record from the first whose key is >= key[key_len] to the end. */
storage_error storage_foreach_from(storage_txn *txn, storage_table table,
                                   const void *key, size_t key_len,
                                   storage_visit_fn fn, void *ctx);
/* The same as storage_foreach_prefix, last key first. */
storage_error storage_foreach_prefix_back(storage_txn *txn,
                                          storage_table table,
                                          const void *prefix, size_t plen,
                                          storage_visit_fn fn, void *ctx);

/* The last record whose key starts with prefix[plen], or
 * STORAGE_NOT_FOUND. */
storage_error storage_last_with_prefix(storage_txn *txn, storage_table table,
                                       const void *prefix, size_t plen,
                                       storage_val *key, storage_val *val);

/* "journal", "balances", ...: the table's name in the environment. */
const char *storage_table_name(storage_table table);

/* Big-endian keys sort numerically in LMDB's byte order. */
void storage_be64_put(uint8_t out[8], uint64_t v);
uint64_t storage_be64_get(const void *in);

#endif
