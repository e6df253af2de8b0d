/*
 * keys - enrolled client keys and what each role may do.
 *
 * A client is known by its CURVE public key (Z85), delivered by the ZAP
 * handler as the User-Id of every message; the routing id, which the client
 * chooses, is never trusted. TABLE_KEYS maps the key to its record; the
 * enrolments and revocations themselves are journal entries (no postings),
 * so key changes are in the hash chain like everything else.
 *
 * The role matrix (docs/security.md):
 *
 *   command        committee  terminal  auditor  admin
 *   household add      x
 *   award, deduct      x
 *   bill, pay, redeem            x
 *   reverse            x(1)      x(2)
 *   balance, history   x         x         x       x
 *   verify                                 x       x
 *   key enrol/revoke                               x
 *   key list                               x       x
 *   checkpoint, proofs x         x         x       x
 *
 *   (1) of awards and deductions only; (2) of bills, payments and
 *   redemptions only: each side corrects its own kind of entry.
 *
 * The snapshot is the set of active keys the ZAP handler admits, read from
 * another thread than the one that changes it: a mutex guards it. It is
 * rebuilt from TABLE_KEYS after every commit that changed a key.
 */
#ifndef JIFEN_KEYS_H
#define JIFEN_KEYS_H

#include "jifen_types.h"
#include "storage.h"

#include <pthread.h>

/* A key of a community is enrolled in that community's journal and reads
 * and writes it alone. A key of the service is enrolled in the service's
 * journal with a scope: every community, those of one street office, or a
 * list (docs/communities.md). */
typedef enum {
    KEYS_SCOPE_COMMUNITY = 0, /* a community's own key */
    KEYS_SCOPE_ALL,
    KEYS_SCOPE_STREET,
    KEYS_SCOPE_LIST,
} keys_scope;

typedef struct {
    jifen_role role;
    bool revoked;
    uint64_t enrolled_entry;
    uint64_t revoked_entry;
    char label[JIFEN_LABEL_MAX + 1];
    keys_scope scope;
    /* KEYS_SCOPE_STREET: the street's code; KEYS_SCOPE_LIST: the
     * communities, comma-separated. */
    char scope_text[JIFEN_SCOPE_TEXT_MAX + 1];
} keys_record;

/* Whether a service key's scope takes in community `code` of street
 * `street`. A community's own key is not asked (its community's table
 * holds it). */
bool keys_scope_covers(const keys_record *rec, const char *code,
                       const char *street);

/* STORAGE_OK, STORAGE_NOT_FOUND, or an error (a damaged record is
 * STORAGE_CORRUPT). */
storage_error keys_get(storage_txn *txn, const char *z85, keys_record *out);
storage_error keys_put(storage_txn *txn, const char *z85,
                       const keys_record *rec);

/* Every enrolled key, revoked ones included, in key order. *out is
 * malloc'd (NULL when there are none). */
storage_error keys_list(storage_txn *txn, jifen_key_info **out, size_t *n);

/* May `role` send commands of this kind at all? For the service's commands
 * (community create / close / list, roll-up), a key of the service. */
bool keys_role_may(jifen_role role, jifen_command_kind kind);
/* May `role` reverse an entry whose command was of kind `original`? */
bool keys_role_may_reverse(jifen_role role, jifen_command_kind original);

/* True when two key labels read the same to a person: equal once ASCII
 * case, full-width forms (Ｗａｎｇ) and spaces (leading, trailing, runs,
 * the ideographic and the no-break space) are folded. A label is how the
 * journal names who wrote an entry, so "Wang Fang" and "wang  fang " are
 * one person to whoever reads it. */
bool keys_labels_alike(const char *a, const char *b);

typedef struct {
    pthread_mutex_t lock;
    char (*active)[JIFEN_KEY_Z85_LEN + 1]; /* sorted */
    size_t n;
} keys_snapshot;

void keys_snapshot_init(keys_snapshot *s);
void keys_snapshot_destroy(keys_snapshot *s);
/* Replaces the snapshot with the active keys of TABLE_KEYS in txn. On a
 * failure the snapshot is emptied: with no key known, nobody gets in. */
storage_error keys_snapshot_load(keys_snapshot *s, storage_txn *txn);
/* True when z85 is an enrolled, unrevoked key. Thread-safe. */
bool keys_snapshot_has(keys_snapshot *s, const char *z85);

#endif
