/*
 * session - signed-in sessions and the limit on failed sign-ins. Pure
 * (no I/O but the random bytes of libsodium), thread-safe, unit-tested.
 *
 * A session is a random 256-bit token sent as an HttpOnly, SameSite=Strict
 * cookie; the table keeps only its SHA-256, so a memory dump or a timing
 * difference in the lookup gives nothing that signs anyone in. Each session
 * has its own CSRF token, which the page sends back in a header on every
 * write; a session ends at its absolute expiry, after `idle` without use,
 * at sign-out, or when its user is disabled or reset.
 */
#ifndef JIFEN_WEB_SESSION_H
#define JIFEN_WEB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_TOKEN_LEN 64 /* hex of 32 random bytes */
#define SESSION_USER_MAX 32
#define SESSION_COMMUNITY_MAX 32

typedef struct {
    char user[SESSION_USER_MAX + 1];
    int role;                     /* a jifen_role */
    char csrf[SESSION_TOKEN_LEN + 1];
    int64_t created_ms, expires_ms, seen_ms;
    uint64_t user_generation;     /* the user's record when signed in */
    /* A user with a scope of several communities: the one chosen in the
     * page header (docs/communities.md); "" until chosen. */
    char community[SESSION_COMMUNITY_MAX + 1];
} session_info;

typedef struct session_table session_table;

session_table *session_table_new(size_t max, int64_t lifetime_ms,
                                 int64_t idle_ms);
void session_table_destroy(session_table **t_p);

/* A new session; the token goes to token_out (hex). When the table is full
 * the session least recently used is ended. 0, or -1 out of memory. */
int session_create(session_table *t, const char *user, int role,
                   uint64_t user_generation, int64_t now_ms,
                   char token_out[SESSION_TOKEN_LEN + 1],
                   session_info *info_out);

/* The live session of `token` (marked used now), copied to *out. False for
 * an unknown, expired or idle token (an expired one is removed). */
bool session_find(session_table *t, const char *token, int64_t now_ms,
                  session_info *out);

/* Constant-time comparison of a CSRF header with the session's token. */
bool session_csrf_ok(const session_info *s, const char *header);

/* Remembers the community a session works in (checked by the caller
 * against the user's scope). False for an unknown token. */
bool session_set_community(session_table *t, const char *token,
                           const char *community);

void session_end(session_table *t, const char *token);
/* Ends every session of `user` (disabled, reset). Returns how many. */
size_t session_end_user(session_table *t, const char *user);
size_t session_count(session_table *t);

/* Failed sign-ins, per key (a user name, or an address): after `max`
 * failures within `window_ms` the key is locked until `lock_ms` after the
 * last failure. A success clears the user's count. */
typedef struct limiter limiter;

limiter *limiter_new(size_t slots, unsigned max, int64_t window_ms,
                     int64_t lock_ms);
void limiter_destroy(limiter **l_p);
bool limiter_locked(limiter *l, const char *key, int64_t now_ms);
void limiter_fail(limiter *l, const char *key, int64_t now_ms);
void limiter_clear(limiter *l, const char *key);

/* 32 random bytes as 64 hex characters. */
void session_random_hex(char out[SESSION_TOKEN_LEN + 1]);

#endif
