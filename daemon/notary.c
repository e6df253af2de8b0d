#include "notary.h"

#include "hash.h"
#include "journal.h"
#include "log.h"
#include "merkle_store.h"
#include "privfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_FILE "checkpoint.key"
#define PUB_FILE "checkpoint.pub"

struct notary {
    /* The secret key, in memory of libsodium's (guarded, locked, zeroed
     * when freed) when this notary owns it; a community's notary of a
     * service shares the service's (notary_attach). */
    uint8_t *secret;
    bool owns_key;
    uint64_t every_entries;
    uint64_t every_seconds;
    int64_t last_time; /* of the latest checkpoint; 0 = none yet */
};

static int write_hex_file(const char *path, const uint8_t *b, size_t n,
                          mode_t mode, char *err, size_t errlen)
{
    char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
    hash_hex(b, n, hex, sizeof hex - 1);
    strcat(hex, "\n");
    /* Never over a key that exists; a lost race is an error. */
    int fd = privfile_create(path, mode, err, errlen);
    if (fd < 0)
        return -1;
    size_t len = strlen(hex);
    bool ok = write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        snprintf(err, errlen, "%s: write failed", path);
        unlink(path);
        return -1;
    }
    return 0;
}

/* A secret is read only from a private file, as jifend.key is. */
static int read_hex_file(const char *path, bool secret, uint8_t *b, size_t n,
                         char *err, size_t errlen)
{
    int fd = secret ? privfile_open_secret(path, err, errlen)
                    : open(path, O_RDONLY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        else if (!secret)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char buf[2 * crypto_sign_SECRETKEYBYTES + 8];
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = '\0';
    size_t bin_len = 0;
    int rc = sodium_hex2bin(b, n, buf, got, " \r\n\t", &bin_len, NULL) != 0 ||
                     bin_len != n
                 ? -1
                 : 0;
    sodium_memzero(buf, sizeof buf);
    if (rc != 0)
        snprintf(err, errlen, "%s: not a key of %zu hex bytes", path, n);
    return rc;
}

static int make_keys(notary *self, const char *key_path, const char *pub_path,
                     char *err, size_t errlen)
{
    uint8_t pub[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_keypair(pub, self->secret);
    if (write_hex_file(key_path, self->secret, crypto_sign_SECRETKEYBYTES, 0600,
                       err, errlen) != 0)
        return -1;
    if (write_hex_file(pub_path, pub, sizeof pub, 0644, err, errlen) != 0) {
        unlink(key_path);
        return -1;
    }
    log_info("made the checkpoint signing key %s (public key in %s)",
             key_path, pub_path);
    return 0;
}

static int load_keys(notary *self, const char *dir, char *err, size_t errlen)
{
    char key_path[1200], pub_path[1200];
    snprintf(key_path, sizeof key_path, "%s/" KEY_FILE, dir);
    snprintf(pub_path, sizeof pub_path, "%s/" PUB_FILE, dir);
    if (access(key_path, F_OK) != 0)
        return make_keys(self, key_path, pub_path, err, errlen);
    if (read_hex_file(key_path, true, self->secret, crypto_sign_SECRETKEYBYTES, err,
                      errlen) != 0)
        return -1;
    /* The public key is the secret key's second half in libsodium's format:
     * refuse a .pub that does not match, which would make every checkpoint
     * look forged. */
    uint8_t pub[crypto_sign_PUBLICKEYBYTES];
    if (read_hex_file(pub_path, false, pub, sizeof pub, err, errlen) != 0)
        return -1;
    if (memcmp(pub, self->secret + 32, sizeof pub) != 0) {
        snprintf(err, errlen, "%s does not belong to %s", pub_path, key_path);
        return -1;
    }
    return 0;
}

/* When the ledger's latest checkpoint was signed (0: none yet). */
static int64_t latest_time(storage *st)
{
    storage_txn txn;
    checkpoint cp;
    int64_t t = 0;
    if (storage_txn_begin(st, &txn, false) == STORAGE_OK &&
        notary_find(&txn, 0, &cp) == STORAGE_OK)
        t = cp.time_s;
    storage_txn_abort(&txn);
    return t;
}

int notary_open(notary **out, const char *data_dir, storage *st,
                uint64_t every_entries, uint64_t every_seconds, char *err,
                size_t errlen)
{
    *out = NULL;
    notary *self = calloc(1, sizeof *self);
    uint8_t *secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!self || !secret) {
        free(self);
        if (secret)
            sodium_free(secret);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->secret = secret;
    self->owns_key = true;
    self->every_entries = every_entries;
    self->every_seconds = every_seconds;
    if (load_keys(self, data_dir, err, errlen) != 0) {
        notary_close(&self);
        return -1;
    }
    if (st)
        self->last_time = latest_time(st);
    *out = self;
    return 0;
}

int notary_attach(notary **out, const notary *keys, storage *st)
{
    notary *self = calloc(1, sizeof *self);
    *out = self;
    if (!self)
        return -1;
    self->secret = keys->secret;
    self->every_entries = keys->every_entries;
    self->every_seconds = keys->every_seconds;
    self->last_time = latest_time(st);
    return 0;
}

void notary_close(notary **self_p)
{
    notary *self = *self_p;
    if (!self)
        return;
    if (self->owns_key)
        sodium_free(self->secret); /* zeroes the secret key */
    free(self);
    *self_p = NULL;
}

void notary_on_commit(void *ctx, storage_txn *txn, uint64_t from_seq,
                      uint64_t seq, const uint8_t hash[32])
{
    notary *self = ctx;
    int64_t now = (int64_t)time(NULL);
    bool crossed = from_seq / self->every_entries != seq / self->every_entries;
    bool due = now - self->last_time >= (int64_t)self->every_seconds;
    if (!crossed && !due)
        return;
    /* A signed tree head when the tree covers the entries (always, unless
     * it is switched off: merkle_tree = 0), else the chain head alone. */
    checkpoint cp;
    uint64_t tree = 0;
    merkle_hash root;
    merkle_store_reader mr;
    merkle_store_reader_init(&mr, txn);
    bool sth = merkle_store_size(txn, &tree) == STORAGE_OK && tree == seq &&
               merkle_store_root(&mr, seq, root) == STORAGE_OK;
    if ((sth ? checkpoint_sign_tree(&cp, seq, root, hash, now, self->secret)
             : checkpoint_sign(&cp, seq, hash, now, self->secret)) != 0)
        return;
    uint8_t key[8];
    storage_be64_put(key, seq);
    if (storage_put(txn, TABLE_CHECKPOINTS, key, sizeof key, cp.text,
                    strlen(cp.text), STORAGE_PUT_OVERWRITE) == STORAGE_OK)
        /* Taken as signed now; if the commit fails the group is replayed and
         * the next commit signs again, one interval later at worst. */
        self->last_time = now;
}

static storage_error load_checkpoint(const storage_val *v, checkpoint *cp)
{
    char text[CHECKPOINT_TEXT_MAX], err[160];
    if (v->len >= sizeof text)
        return STORAGE_CORRUPT;
    memcpy(text, v->data, v->len);
    text[v->len] = '\0';
    return checkpoint_parse(cp, text, err, sizeof err) == 0 ? STORAGE_OK
                                                            : STORAGE_CORRUPT;
}

/* The first checkpoint at or after `entry` (0: the last one) that is a
 * signed tree head, or with any_kind any checkpoint. */
static storage_error find(storage_txn *txn, uint64_t entry, bool any_kind,
                          checkpoint *cp)
{
    storage_cursor *c = NULL;
    storage_error e = storage_cursor_open(txn, TABLE_CHECKPOINTS, &c);
    if (e != STORAGE_OK)
        return e;
    storage_val k, v;
    uint8_t key[8];
    storage_be64_put(key, entry);
    e = entry == 0 ? storage_cursor_last(c, &k, &v)
                   : storage_cursor_seek(c, key, sizeof key, &k, &v);
    while (e == STORAGE_OK) {
        e = load_checkpoint(&v, cp);
        if (e != STORAGE_OK || any_kind || cp->has_root)
            break;
        e = entry == 0 ? storage_cursor_prev(c, &k, &v)
                       : storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    return e;
}

storage_error notary_find(storage_txn *txn, uint64_t entry, checkpoint *cp)
{
    return find(txn, entry, true, cp);
}

storage_error notary_find_tree_head(storage_txn *txn, uint64_t entry,
                                    checkpoint *cp)
{
    return find(txn, entry, false, cp);
}

storage_error notary_entry_hash(storage_txn *txn, uint64_t seq,
                                uint8_t hash[32])
{
    storage_val v;
    storage_error e = journal_get(txn, seq, &v);
    if (e == STORAGE_OK)
        hash_sha256(v.data, v.len, hash);
    return e;
}
