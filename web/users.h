/*
 * users - jifen-web's users: name, role, Argon2id password hash, state,
 * and a CURVE key pair of each user's own (DATA/keys/u-NAME.key, .pub),
 * enrolled on jifend with the user's name as its label, so that every
 * entry the user makes names them.
 *
 * The table is DATA/users.json (0600, written atomically, one writer at a
 * time under DATA/.lock). `jifen-web user ...` changes it while the server
 * runs; the server notices the file changed and re-reads it, and each user
 * record has a generation that a reset or a disable bumps, which ends that
 * user's sessions and lifts a sign-in lock at the next request.
 *
 * Many communities (docs/communities.md): a user belongs to one community
 * (its key is a key of that community) or, for the street office and the
 * property company, has a scope (its key is a key of the service: every
 * community, a street's, or a list). A record without either, as every
 * record written before communities, is a user of the configuration's
 * default community (`community` in jifen-web.conf; empty: the service's
 * only one): old tables read unchanged, and the fields are written only
 * when set, so the file's format stays jifen-web-users-1.
 */
#ifndef JIFEN_WEB_USERS_H
#define JIFEN_WEB_USERS_H

#include "jifen_types.h"

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USER_NAME_MAX 32
#define USER_HASH_MAX crypto_pwhash_STRBYTES
#define USER_PASSWORD_GEN_LEN 14

/* Where a user works. At most one of community and the scope (all,
 * street, communities) is set; none: the default community. */
typedef struct {
    char community[JIFEN_COMMUNITY_MAX + 1];
    bool all;
    char street[JIFEN_COMMUNITY_MAX + 1];
    char communities[JIFEN_SCOPE_TEXT_MAX + 1]; /* comma-separated */
} web_scope;

/* True for a scope of the service (several communities, chosen per
 * session), false for one community's user. */
bool web_scope_is_service(const web_scope *sc);
/* Checks a scope's codes (community and street codes, a list of at most
 * JIFEN_SCOPE_MAX) and that at most one kind is set. 0, or -1 with err. */
int web_scope_check(const web_scope *sc, char *err, size_t errlen);
/* "east", "street jiefang", "all communities", "east,west": for lists. */
void web_scope_text(const web_scope *sc, char *out, size_t cap);

typedef struct {
    char name[USER_NAME_MAX + 1];
    jifen_role role;
    char hash[USER_HASH_MAX];
    bool disabled;
    uint64_t generation;
    char key[JIFEN_KEY_Z85_LEN + 1]; /* the user's public key */
    int64_t created_ms;
    web_scope scope;
} web_user;

typedef struct user_store user_store;

/* Opens DATA (made 0700 if missing, with DATA/keys). NULL with err. */
user_store *users_open(const char *data_dir, char *err, size_t errlen);
void users_close(user_store **s_p);

/* 0 and *out when `name` exists, 1 when not, -1 when the table cannot be
 * read (err). Re-reads the file first when another process changed it. */
int users_get(user_store *s, const char *name, web_user *out, char *err,
              size_t errlen);

/* Every user, malloc'd (the caller frees); -1 on error. */
int users_list(user_store *s, web_user **out, size_t *n, char *err,
               size_t errlen);

/* Adds a user with a new key pair. Refuses an existing name, a bad name
 * or role, a password of fewer than 8 or more than 128 bytes. */
int users_add(user_store *s, const char *name, jifen_role role,
              const char *password, web_user *out, char *err, size_t errlen);
/* The same with a community or a scope (NULL: the default community). */
int users_add_scoped(user_store *s, const char *name, jifen_role role,
                     const web_scope *scope, const char *password,
                     web_user *out, char *err, size_t errlen);
int users_set_password(user_store *s, const char *name, const char *password,
                       char *err, size_t errlen);
int users_disable(user_store *s, const char *name, char *err, size_t errlen);

/* True when password is the user's (Argon2id, constant time). */
bool users_password_ok(const web_user *u, const char *password);

/* DATA/keys/u-NAME (add ".key" or ".pub"). */
void users_key_prefix(const user_store *s, const char *name, char *out,
                      size_t cap);
const char *users_dir(const user_store *s);

/* Argon2id (libsodium's interactive limits) of a password. 0, or -1. */
int users_hash_password(const char *password, char out[USER_HASH_MAX]);
/* A random password of USER_PASSWORD_GEN_LEN characters that are easy to
 * read aloud and type (no 0/O, 1/l/I). */
void users_make_password(char out[USER_PASSWORD_GEN_LEN + 1]);

/* The roles a web user may have: terminal, committee, auditor. */
bool users_role_ok(jifen_role role);

#endif
