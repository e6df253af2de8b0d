/*
 * storage - LMDB, wrapped. See storage.h for the contract.
 *
 * Durability rules (docs/architecture.md, "Durability"): the environment is opened without
 * MDB_NOSYNC, MDB_NOMETASYNC, MDB_WRITEMAP and MDB_MAPASYNC, so a commit that
 * returned 0 is on disk. Nothing here ever makes a commit cheaper by making
 * it less durable; throughput comes from committing many entries at once.
 */
#include "storage.h"

#include "log.h"
#include "privfile.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

struct storage {
    MDB_env *env;
    MDB_dbi dbi[TABLE_COUNT];
    bool missing[TABLE_COUNT]; /* read-only open of an older file */
    size_t map_size;
    /* Read transactions of other threads hold it shared; growing the map
     * (which remaps it) holds it exclusively, so no reader is ever inside
     * the map while it moves. */
    pthread_rwlock_t map_lock;
};

struct storage_cursor {
    MDB_cursor *cursor;
    storage_txn *txn;
};

static const char *const table_names[TABLE_COUNT] = {
    [TABLE_JOURNAL] = "journal",       [TABLE_BALANCES] = "balances",
    [TABLE_HOUSEHOLDS] = "households", [TABLE_REQUESTS] = "requests",
    [TABLE_HISTORY] = "history",       [TABLE_REVERSALS] = "reversals",
    [TABLE_META] = "meta",             [TABLE_CHECKPOINTS] = "checkpoints",
    [TABLE_KEYS] = "keys",             [TABLE_MERKLE] = "merkle",
};

const char *storage_table_name(storage_table table)
{
    return table < TABLE_COUNT ? table_names[table] : "?";
}

void storage_be64_put(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

uint64_t storage_be64_get(const void *in)
{
    const uint8_t *p = in;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* LMDB's codes mapped once, here, to what callers can act on. */
static storage_error translate(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return STORAGE_OK;
    case MDB_NOTFOUND:
        return STORAGE_NOT_FOUND;
    case MDB_KEYEXIST:
        return STORAGE_EXISTS;
    case MDB_MAP_FULL:
        return STORAGE_MAP_FULL;
    case ENOSPC:
    case EDQUOT:
        return STORAGE_DISK_FULL;
    case EIO:
        return STORAGE_IO;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return STORAGE_CORRUPT;
    default:
        return STORAGE_FAILED;
    }
}

const char *storage_strerror(storage_error err)
{
    switch (err) {
    case STORAGE_OK:
        return "success";
    case STORAGE_NOT_FOUND:
        return "not found";
    case STORAGE_EXISTS:
        return "key exists";
    case STORAGE_MAP_FULL:
        return "the ledger's map is full";
    case STORAGE_DISK_FULL:
        return "the disk is full";
    case STORAGE_IO:
        return "I/O error";
    case STORAGE_CORRUPT:
        return "the database file is damaged or of another version";
    case STORAGE_FAILED:
        break;
    }
    return "storage failure";
}

const char *storage_txn_strerror(const storage_txn *txn)
{
    return txn->mdb_rc ? mdb_strerror(txn->mdb_rc)
                       : storage_strerror(txn->error);
}

/* Filesystems where LMDB's locking and mmap coherence do not hold. */
static bool is_network_fs(const char *dir)
{
    struct statfs fs;
    if (statfs(dir, &fs) != 0)
        return false;
    switch ((unsigned long)fs.f_type) {
    case 0x6969UL:     /* NFS */
    case 0xFF534D42UL: /* CIFS */
    case 0xFE534D42UL: /* SMB2 */
    case 0x517BUL:     /* SMB */
    case 0x65735546UL: /* FUSE (sshfs and the like) */
        return true;
    default:
        return false;
    }
}

static storage_error fail_open(storage *self, int rc, const char *what,
                               const char *dir, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s: %s", dir, what, mdb_strerror(rc));
    if (self->env)
        mdb_env_close(self->env);
    pthread_rwlock_destroy(&self->map_lock);
    free(self);
    return translate(rc);
}

/* LMDB maps the file and trusts it: a data.mdb cut short (an interrupted
 * copy, a disk that filled during one) passes mdb_env_open, which reads
 * only the two meta pages, and the first page past the end of the file
 * kills the process with SIGBUS. So the file is measured against the
 * environment's own bookkeeping (the newest meta page: last page in use,
 * and the page size) before any other page is touched. 0, or -1 with err
 * saying what is wrong and what to do. */
static int check_file_size(MDB_env *env, const char *dir, char *err,
                           size_t errlen)
{
    MDB_envinfo info;
    MDB_stat st;
    struct stat sb;
    int fd = -1;
    if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0 ||
        mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: cannot measure data.mdb", dir);
        return -1;
    }
    uint64_t need = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    if ((uint64_t)sb.st_size >= need)
        return 0;
    snprintf(err, errlen,
             "%s/data.mdb is cut short: %llu bytes, but its own bookkeeping "
             "has %llu pages of %u bytes in use (%llu bytes). It was "
             "truncated (an interrupted copy, a full disk); nothing was read "
             "from it or changed. Restore the latest backup that verifies "
             "(jifend --verify BACKUP; docs/operations.md, section 4)",
             dir, (unsigned long long)sb.st_size,
             (unsigned long long)info.me_last_pgno + 1, st.ms_psize,
             (unsigned long long)need);
    return -1;
}

/* An empty data.mdb would be taken by LMDB for a new environment (and a
 * ledger silently started afresh); one shorter than its two meta pages is
 * no ledger either. Checked before LMDB opens it. */
static int check_file_present(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &sb) != 0 || sb.st_size >= 2 * 4096)
        return 0; /* missing: a new ledger; long enough: checked after */
    snprintf(err, errlen,
             "%s is %s (%lld bytes, shorter than its two header pages): it "
             "was truncated (an interrupted copy, a full disk) and holds no "
             "ledger; nothing was changed. Move it aside and restore the "
             "latest backup that verifies (jifend --verify BACKUP; "
             "docs/operations.md, section 4)",
             path, sb.st_size ? "cut short" : "empty",
             (long long)sb.st_size);
    return -1;
}

/* Creates and opens the environment (map_size 0: the file's own) and clears
 * stale reader slots. 0 with *out set, or LMDB's code (err filled, nothing
 * left open). */
static int open_env(storage **out, const char *dir, size_t map_size,
                    unsigned flags, char *err, size_t errlen)
{
    if (check_file_present(dir, err, errlen) != 0)
        return MDB_INVALID;
    storage *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return ENOMEM;
    }
    pthread_rwlock_init(&self->map_lock, NULL); /* fail_open destroys it */
    int rc = mdb_env_create(&self->env);
    if (rc) {
        fail_open(self, rc, "create environment", dir, err, errlen);
        return rc;
    }
    mdb_env_set_maxdbs(self->env, TABLE_COUNT);
    if (map_size) {
        rc = mdb_env_set_mapsize(self->env, map_size);
        if (rc) {
            fail_open(self, rc, "set map size", dir, err, errlen);
            return rc;
        }
    }
    rc = mdb_env_open(self->env, dir, flags, 0600);
    if (rc) {
        fail_open(self, rc, "open environment", dir, err, errlen);
        return rc;
    }
    if (check_file_size(self->env, dir, err, errlen) != 0) {
        mdb_env_close(self->env);
        pthread_rwlock_destroy(&self->map_lock);
        free(self);
        return MDB_CORRUPTED;
    }
    /* A process killed during a read leaves its reader slot behind, which
     * pins old pages and makes the file grow: reclaim those at start (and
     * periodically while serving: storage_reader_check). */
    int dead = storage_reader_check(self);
    if (dead > 0)
        log_warn("reclaimed %d stale reader slot(s) in %s", dead, dir);
    *out = self;
    return 0;
}

int storage_reader_check(storage *self)
{
    int dead = 0;
    return mdb_reader_check(self->env, &dead) == 0 ? dead : -1;
}

storage_error storage_open(storage **out, const char *dir, size_t map_size,
                           char *err, size_t errlen)
{
    *out = NULL;
    if (is_network_fs(dir)) {
        snprintf(err, errlen,
                 "%s: on a network filesystem, where LMDB is not safe", dir);
        return STORAGE_FAILED;
    }
    storage *self = NULL;
    /* MDB_NOTLS: read transactions are not tied to threads, so readers can
     * be handed between threads. No flag here weakens durability. */
    int rc = open_env(&self, dir, map_size, MDB_NOTLS, err, errlen);
    if (rc)
        return translate(rc);

    MDB_txn *txn;
    rc = mdb_txn_begin(self->env, NULL, 0, &txn);
    if (rc)
        return fail_open(self, rc, "begin", dir, err, errlen);
    for (int t = 0; t < TABLE_COUNT; t++) {
        rc = mdb_dbi_open(txn, table_names[t], MDB_CREATE, &self->dbi[t]);
        if (rc) {
            mdb_txn_abort(txn);
            return fail_open(self, rc, table_names[t], dir, err, errlen);
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc)
        return fail_open(self, rc, "commit", dir, err, errlen);

    MDB_envinfo info;
    mdb_env_info(self->env, &info);
    self->map_size = info.me_mapsize;
    *out = self;
    return STORAGE_OK;
}

/* The read-only twin of the table opening in storage_open: nothing is
 * created, and a table the file lacks is remembered as missing. */
static int open_tables_readonly(storage *self)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return rc;
    for (int t = 0; t < TABLE_COUNT && rc == 0; t++) {
        rc = mdb_dbi_open(txn, table_names[t], 0, &self->dbi[t]);
        if (rc == MDB_NOTFOUND) {
            self->missing[t] = true;
            rc = 0;
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    /* Committing the read txn is what makes the handles usable later. */
    return mdb_txn_commit(txn);
}

storage_error storage_open_readonly(storage **out, const char *dir, char *err,
                                    size_t errlen)
{
    *out = NULL;
    storage *self = NULL;
    /* No map size: a read-only open adopts the one recorded in the file. */
    int rc = open_env(&self, dir, 0, MDB_RDONLY | MDB_NOTLS, err, errlen);
    if (rc)
        return translate(rc);
    rc = open_tables_readonly(self);
    if (rc)
        return fail_open(self, rc, "open tables", dir, err, errlen);
    MDB_envinfo info;
    mdb_env_info(self->env, &info);
    self->map_size = info.me_mapsize;
    *out = self;
    return STORAGE_OK;
}

storage_error storage_copy(storage *self, const char *dest_dir, char *err,
                           size_t errlen)
{
    /* Not mdb_env_copy2: it creates the file 0666 less the umask (0644, so
     * a backup of a 0600 ledger would be readable by all) and never syncs
     * it. Our own file is private from its creation and on disk before
     * the copy is called done. */
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dest_dir);
    int fd = privfile_create(path, 0600, err, errlen);
    if (fd < 0)
        return STORAGE_FAILED;
    int rc = mdb_env_copyfd2(self->env, fd, MDB_CP_COMPACT);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (close(fd) != 0 && rc == 0)
        rc = errno;
    if (rc) {
        snprintf(err, errlen, "copy to %s: %s", path, mdb_strerror(rc));
        unlink(path);
    }
    return translate(rc);
}

void storage_usage(storage *self, uint64_t *map_bytes, uint64_t *used_bytes)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(self->env, &info);
    mdb_env_stat(self->env, &st);
    *map_bytes = info.me_mapsize;
    *used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
}

void storage_close(storage **self_p)
{
    storage *self = *self_p;
    if (!self)
        return;
    mdb_env_close(self->env);
    pthread_rwlock_destroy(&self->map_lock);
    free(self);
    *self_p = NULL;
}

size_t storage_map_size(const storage *self)
{
    return self->map_size;
}

storage_error storage_grow(storage *self, size_t max_bytes)
{
    if (self->map_size >= max_bytes)
        return STORAGE_MAP_FULL;
    size_t next = self->map_size * 2;
    if (next > max_bytes || next < self->map_size)
        next = max_bytes;
    pthread_rwlock_wrlock(&self->map_lock);
    int rc = mdb_env_set_mapsize(self->env, next);
    pthread_rwlock_unlock(&self->map_lock);
    if (rc)
        return translate(rc);
    self->map_size = next;
    return STORAGE_OK;
}

static storage_error txn_fail(storage_txn *txn, int rc)
{
    storage_error e = translate(rc);
    /* Not-found and key-exists are answers, not failures: LMDB does not
     * poison the transaction for them, and neither do we. */
    if (e != STORAGE_NOT_FOUND && e != STORAGE_EXISTS) {
        txn->error = e;
        txn->mdb_rc = rc;
    }
    return e;
}

static void reader_lock(storage_txn *txn)
{
    pthread_rwlock_rdlock(&txn->owner->map_lock);
    txn->holds_map = true;
}

static void reader_unlock(storage_txn *txn)
{
    if (txn->holds_map)
        pthread_rwlock_unlock(&txn->owner->map_lock);
    txn->holds_map = false;
}

storage_error storage_txn_begin(storage *self, storage_txn *txn, bool write)
{
    memset(txn, 0, sizeof *txn);
    txn->owner = self;
    txn->write = write;
    MDB_txn *t = NULL;
    if (!write)
        reader_lock(txn);
    int rc = mdb_txn_begin(self->env, NULL, write ? 0 : MDB_RDONLY, &t);
    if (rc == MDB_MAP_RESIZED) {
        /* Another process grew the map: adopt its size and try again. */
        mdb_env_set_mapsize(self->env, 0);
        rc = mdb_txn_begin(self->env, NULL, write ? 0 : MDB_RDONLY, &t);
    }
    if (rc) {
        reader_unlock(txn);
        return txn_fail(txn, rc);
    }
    txn->txn = t;
    return STORAGE_OK;
}

storage_error storage_txn_begin_child(storage_txn *parent, storage_txn *child)
{
    memset(child, 0, sizeof *child);
    child->owner = parent->owner;
    child->write = true;
    if (!parent->write || !parent->txn)
        return child->error = STORAGE_FAILED;
    if (parent->error)
        return child->error = parent->error;
    MDB_txn *t = NULL;
    int rc = mdb_txn_begin(parent->owner->env, parent->txn, 0, &t);
    if (rc)
        return txn_fail(child, rc);
    child->txn = t;
    return STORAGE_OK;
}

/* LMDB reports a short write as EIO, and a write that hits a full disk is
 * usually short: say so, so that the operator frees space rather than
 * suspects the hardware. Still an I/O error: the daemon stops
 * (docs/architecture.md, "Durability"), and restarting on the same files is safe because the meta
 * page was never written. */
static void explain_eio(storage *self)
{
    const char *path = NULL;
    struct statvfs fs;
    if (mdb_env_get_path(self->env, &path) != 0 || !path ||
        statvfs(path, &fs) != 0)
        return;
    unsigned long long free_kib =
        (unsigned long long)fs.f_bavail * fs.f_frsize / 1024;
    if (free_kib < 1024)
        log_error("commit failed with EIO and %s has %llu KiB free: most "
                  "likely a short write on a full disk; free space, then "
                  "restart (nothing committed is lost)",
                  path, free_kib);
}

void storage_txn_reset(storage_txn *txn)
{
    if (txn->txn && !txn->write) {
        mdb_txn_reset(txn->txn);
        reader_unlock(txn);
    }
}

storage_error storage_txn_renew(storage_txn *txn)
{
    if (!txn->txn || txn->write)
        return STORAGE_FAILED;
    txn->error = STORAGE_OK;
    txn->mdb_rc = 0;
    reader_lock(txn);
    int rc = mdb_txn_renew(txn->txn);
    if (rc) {
        reader_unlock(txn);
        return txn_fail(txn, rc);
    }
    return STORAGE_OK;
}

storage_error storage_txn_commit(storage_txn *txn)
{
    if (!txn->txn)
        return txn->error ? txn->error : STORAGE_FAILED;
    if (txn->error) {
        storage_txn_abort(txn);
        return txn->error;
    }
    int rc = mdb_txn_commit(txn->txn);
    txn->txn = NULL; /* freed by LMDB whatever rc is */
    if (rc == EIO)
        explain_eio(txn->owner);
    reader_unlock(txn);
    if (rc)
        return txn_fail(txn, rc);
    return STORAGE_OK;
}

void storage_txn_abort(storage_txn *txn)
{
    if (txn->txn)
        mdb_txn_abort(txn->txn);
    txn->txn = NULL;
    reader_unlock(txn);
}

storage_error storage_get(storage_txn *txn, storage_table table,
                          const void *key, size_t key_len, storage_val *val)
{
    if (txn->error)
        return txn->error;
    if (txn->owner->missing[table])
        return STORAGE_NOT_FOUND;
    MDB_val k = {key_len, (void *)key}, v;
    int rc = mdb_get(txn->txn, txn->owner->dbi[table], &k, &v);
    if (rc)
        return txn_fail(txn, rc);
    val->data = v.mv_data;
    val->len = v.mv_size;
    return STORAGE_OK;
}

/* How many steps from one key to the next are tried before seeking. */
#define SORTED_STEPS 3

storage_error storage_get_sorted(storage_txn *txn, storage_table table,
                                 const storage_val *keys, size_t n,
                                 storage_val *vals)
{
    for (size_t i = 0; i < n; i++)
        vals[i] = (storage_val){NULL, 0};
    if (txn->error)
        return txn->error;
    if (txn->owner->missing[table] || n == 0)
        return STORAGE_OK;
    MDB_dbi dbi = txn->owner->dbi[table];
    MDB_cursor *c = NULL;
    int rc = mdb_cursor_open(txn->txn, dbi, &c);
    if (rc)
        return txn_fail(txn, rc);
    MDB_val k, v;
    bool placed = false; /* k, v: where the cursor stands */
    for (size_t i = 0; i < n && rc == 0; i++) {
        MDB_val want = {keys[i].len, (void *)keys[i].data};
        int steps = 0;
        while (placed && mdb_cmp(txn->txn, dbi, &k, &want) < 0 &&
               steps < SORTED_STEPS) {
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
            steps++;
            if (rc == MDB_NOTFOUND) {
                placed = false;
                break;
            }
        }
        if (rc == MDB_NOTFOUND && !placed && steps > 0) {
            rc = 0;
            break; /* past the last key: the rest are absent */
        }
        if (rc)
            break;
        if (!placed || mdb_cmp(txn->txn, dbi, &k, &want) < 0) {
            k = want;
            rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
            if (rc == MDB_NOTFOUND) {
                rc = 0;
                break;
            }
            if (rc)
                break;
            placed = true;
        }
        if (mdb_cmp(txn->txn, dbi, &k, &want) == 0) {
            vals[i].data = v.mv_data;
            vals[i].len = v.mv_size;
        }
    }
    mdb_cursor_close(c);
    return rc ? txn_fail(txn, rc) : STORAGE_OK;
}

storage_error storage_put(storage_txn *txn, storage_table table,
                          const void *key, size_t key_len, const void *data,
                          size_t data_len, storage_put_mode mode)
{
    if (txn->error)
        return txn->error;
    static const unsigned flags[] = {
        [STORAGE_PUT_OVERWRITE] = 0,
        [STORAGE_PUT_NEW] = MDB_NOOVERWRITE,
        [STORAGE_PUT_APPEND] = MDB_APPEND,
    };
    MDB_val k = {key_len, (void *)key}, v = {data_len, (void *)data};
    int rc = mdb_put(txn->txn, txn->owner->dbi[table], &k, &v, flags[mode]);
    if (rc)
        return txn_fail(txn, rc);
    return STORAGE_OK;
}

storage_error storage_del(storage_txn *txn, storage_table table,
                          const void *key, size_t key_len)
{
    if (txn->error)
        return txn->error;
    MDB_val k = {key_len, (void *)key};
    int rc = mdb_del(txn->txn, txn->owner->dbi[table], &k, NULL);
    if (rc == MDB_NOTFOUND)
        return STORAGE_NOT_FOUND; /* not an error for the txn */
    if (rc)
        return txn_fail(txn, rc);
    return STORAGE_OK;
}

storage_error storage_clear(storage_txn *txn, storage_table table)
{
    if (txn->error)
        return txn->error;
    int rc = mdb_drop(txn->txn, txn->owner->dbi[table], 0);
    return rc ? txn_fail(txn, rc) : STORAGE_OK;
}

storage_error storage_count(storage_txn *txn, storage_table table,
                            uint64_t *count)
{
    if (txn->error)
        return txn->error;
    if (txn->owner->missing[table]) {
        *count = 0;
        return STORAGE_OK;
    }
    MDB_stat st;
    int rc = mdb_stat(txn->txn, txn->owner->dbi[table], &st);
    if (rc)
        return txn_fail(txn, rc);
    *count = st.ms_entries;
    return STORAGE_OK;
}

storage_error storage_cursor_open(storage_txn *txn, storage_table table,
                                  storage_cursor **out)
{
    *out = NULL;
    if (txn->error)
        return txn->error;
    if (txn->owner->missing[table])
        return STORAGE_NOT_FOUND;
    storage_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return STORAGE_FAILED;
    int rc = mdb_cursor_open(txn->txn, txn->owner->dbi[table], &c->cursor);
    if (rc) {
        free(c);
        return txn_fail(txn, rc);
    }
    c->txn = txn;
    *out = c;
    return STORAGE_OK;
}

void storage_cursor_close(storage_cursor **self_p)
{
    storage_cursor *c = *self_p;
    if (!c)
        return;
    mdb_cursor_close(c->cursor);
    free(c);
    *self_p = NULL;
}

static storage_error cursor_get(storage_cursor *c, MDB_val *k,
                                MDB_cursor_op op, storage_val *key,
                                storage_val *val)
{
    if (c->txn->error)
        return c->txn->error;
    MDB_val v;
    int rc = mdb_cursor_get(c->cursor, k, &v, op);
    if (rc)
        return txn_fail(c->txn, rc);
    if (key) {
        key->data = k->mv_data;
        key->len = k->mv_size;
    }
    if (val) {
        val->data = v.mv_data;
        val->len = v.mv_size;
    }
    return STORAGE_OK;
}

storage_error storage_cursor_first(storage_cursor *c, storage_val *key,
                                   storage_val *val)
{
    MDB_val k = {0, NULL};
    return cursor_get(c, &k, MDB_FIRST, key, val);
}

storage_error storage_cursor_last(storage_cursor *c, storage_val *key,
                                  storage_val *val)
{
    MDB_val k = {0, NULL};
    return cursor_get(c, &k, MDB_LAST, key, val);
}

storage_error storage_cursor_seek(storage_cursor *c, const void *key,
                                  size_t key_len, storage_val *key_out,
                                  storage_val *val)
{
    MDB_val k = {key_len, (void *)key};
    return cursor_get(c, &k, MDB_SET_RANGE, key_out, val);
}

storage_error storage_cursor_next(storage_cursor *c, storage_val *key,
                                  storage_val *val)
{
    MDB_val k = {0, NULL};
    return cursor_get(c, &k, MDB_NEXT, key, val);
}

storage_error storage_cursor_prev(storage_cursor *c, storage_val *key,
                                  storage_val *val)
{
    MDB_val k = {0, NULL};
    return cursor_get(c, &k, MDB_PREV, key, val);
}

/* --- prefix walks ------------------------------------------------------------ */

static bool has_prefix(const MDB_val *k, const void *prefix, size_t plen)
{
    return plen == 0 ||
           (k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0);
}

/* Positions c on the last record with the prefix: MDB_NOTFOUND when none. */
static int seek_last_with_prefix(MDB_cursor *cur, const void *prefix,
                                 size_t plen, MDB_val *k, MDB_val *v)
{
    /* The first key after every key with the prefix is the prefix with its
     * last byte that is not 0xff raised by one; the one before it is the
     * last with the prefix, if it has the prefix. */
    uint8_t after[STORAGE_PREFIX_MAX];
    size_t alen = plen;
    if (alen)
        memcpy(after, prefix, alen);
    while (alen > 0 && after[alen - 1] == 0xff)
        alen--;
    int rc;
    if (alen == 0) {
        rc = mdb_cursor_get(cur, k, v, MDB_LAST);
    } else {
        after[alen - 1]++;
        *k = (MDB_val){alen, after};
        rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
        if (rc == 0 || rc == MDB_NOTFOUND)
            rc = mdb_cursor_get(cur, k, v, rc == 0 ? MDB_PREV : MDB_LAST);
    }
    if (rc == 0 && !has_prefix(k, prefix, plen))
        rc = MDB_NOTFOUND;
    return rc;
}

/* Walks the records with the prefix (forward from `from` when given, else
 * from the prefix's first, or backward from its last). */
static storage_error walk_prefix(storage_txn *txn, storage_table table,
                                 const void *prefix, size_t plen, bool back,
                                 const storage_val *from, storage_visit_fn fn,
                                 void *ctx)
{
    if (txn->error)
        return txn->error;
    if (txn->owner->missing[table])
        return STORAGE_OK;
    if (plen > STORAGE_PREFIX_MAX)
        return STORAGE_FAILED;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->owner->dbi[table], &cur);
    if (rc)
        return txn_fail(txn, rc);
    MDB_val k = {plen, (void *)prefix}, v;
    storage_error e = STORAGE_OK;
    if (back) {
        rc = seek_last_with_prefix(cur, prefix, plen, &k, &v);
    } else if (from) {
        k = (MDB_val){from->len, (void *)from->data};
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    } else {
        rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    }
    while (rc == 0 && has_prefix(&k, prefix, plen)) {
        storage_val key = {k.mv_data, k.mv_size}, val = {v.mv_data, v.mv_size};
        int stop = fn(ctx, &key, &val);
        if (stop) {
            e = stop < 0 ? STORAGE_CORRUPT : STORAGE_OK;
            break;
        }
        rc = mdb_cursor_get(cur, &k, &v, back ? MDB_PREV : MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (e == STORAGE_OK && rc != 0 && rc != MDB_NOTFOUND)
        e = txn_fail(txn, rc);
    return e;
}

storage_error storage_foreach_prefix(storage_txn *txn, storage_table table,
                                     const void *prefix, size_t plen,
                                     storage_visit_fn fn, void *ctx)
{
    return walk_prefix(txn, table, prefix, plen, false, NULL, fn, ctx);
}

storage_error storage_foreach_from(storage_txn *txn, storage_table table,
                                   const void *key, size_t key_len,
                                   storage_visit_fn fn, void *ctx)
{
    storage_val from = {key, key_len};
    return walk_prefix(txn, table, NULL, 0, false, &from, fn, ctx);
}

storage_error storage_foreach_prefix_back(storage_txn *txn,
                                          storage_table table,
                                          const void *prefix, size_t plen,
                                          storage_visit_fn fn, void *ctx)
{
    return walk_prefix(txn, table, prefix, plen, true, NULL, fn, ctx);
}

storage_error storage_last_with_prefix(storage_txn *txn, storage_table table,
                                       const void *prefix, size_t plen,
                                       storage_val *key, storage_val *val)
{
    if (txn->error)
        return txn->error;
    if (txn->owner->missing[table])
        return STORAGE_NOT_FOUND;
    if (plen > STORAGE_PREFIX_MAX)
        return STORAGE_FAILED;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, txn->owner->dbi[table], &cur);
    if (rc)
        return txn_fail(txn, rc);
    MDB_val k, v;
    rc = seek_last_with_prefix(cur, prefix, plen, &k, &v);
    storage_error e = STORAGE_NOT_FOUND;
    if (rc == 0) {
        if (key)
            *key = (storage_val){k.mv_data, k.mv_size};
        if (val)
            *val = (storage_val){v.mv_data, v.mv_size};
        e = STORAGE_OK;
    } else if (rc != MDB_NOTFOUND) {
        e = txn_fail(txn, rc);
    }
    mdb_cursor_close(cur);
    return e;
}
