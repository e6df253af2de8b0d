/*
 * session - see session.h. Tables are small (a community's staff, a few
 * hundred sessions at most): a linear scan under one mutex is faster than
 * anything cleverer at that size and obviously right.
 */
#include "session.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool used;
    uint8_t token_hash[crypto_hash_sha256_BYTES];
    session_info info;
} slot;

struct session_table {
    pthread_mutex_t mu;
    slot *slots;
    size_t max;
    int64_t lifetime_ms, idle_ms;
};

void session_random_hex(char out[SESSION_TOKEN_LEN + 1])
{
    uint8_t raw[SESSION_TOKEN_LEN / 2];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, SESSION_TOKEN_LEN + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
}

static void hash_token(const char *token, uint8_t out[crypto_hash_sha256_BYTES])
{
    crypto_hash_sha256(out, (const unsigned char *)token, strlen(token));
}

session_table *session_table_new(size_t max, int64_t lifetime_ms,
                                 int64_t idle_ms)
{
    session_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->slots = calloc(max ? max : 1, sizeof *t->slots);
    if (t->slots == NULL) {
        free(t);
        return NULL;
    }
    pthread_mutex_init(&t->mu, NULL);
    t->max = max ? max : 1;
    t->lifetime_ms = lifetime_ms;
    t->idle_ms = idle_ms;
    return t;
}

void session_table_destroy(session_table **t_p)
{
    session_table *t = *t_p;
    if (t == NULL)
        return;
    sodium_memzero(t->slots, t->max * sizeof *t->slots);
    free(t->slots);
    pthread_mutex_destroy(&t->mu);
    free(t);
    *t_p = NULL;
}

static bool live(const session_table *t, const slot *s, int64_t now_ms)
{
    return s->used && now_ms < s->info.expires_ms &&
           now_ms - s->info.seen_ms < t->idle_ms;
}

int session_create(session_table *t, const char *user, int role,
                   uint64_t user_generation, int64_t now_ms,
                   char token_out[SESSION_TOKEN_LEN + 1],
                   session_info *info_out)
{
    if (strlen(user) > SESSION_USER_MAX)
        return -1;
    session_random_hex(token_out);
    pthread_mutex_lock(&t->mu);
    slot *pick = NULL;
    for (size_t i = 0; i < t->max && pick == NULL; i++)
        if (!live(t, &t->slots[i], now_ms))
            pick = &t->slots[i];
    if (pick == NULL) { /* full: the one used least recently goes */
        pick = &t->slots[0];
        for (size_t i = 1; i < t->max; i++)
            if (t->slots[i].info.seen_ms < pick->info.seen_ms)
                pick = &t->slots[i];
    }
    memset(pick, 0, sizeof *pick);
    pick->used = true;
    hash_token(token_out, pick->token_hash);
    strcpy(pick->info.user, user);
    pick->info.role = role;
    session_random_hex(pick->info.csrf);
    pick->info.created_ms = pick->info.seen_ms = now_ms;
    pick->info.expires_ms = now_ms + t->lifetime_ms;
    pick->info.user_generation = user_generation;
    if (info_out != NULL)
        *info_out = pick->info;
    pthread_mutex_unlock(&t->mu);
    return 0;
}

/* Only well-formed tokens are looked up: anything else is nobody's. */
static bool token_shape_ok(const char *token)
{
    if (token == NULL || strlen(token) != SESSION_TOKEN_LEN)
        return false;
    return strspn(token, "0123456789abcdef") == SESSION_TOKEN_LEN;
}

static slot *find_locked(session_table *t, const char *token)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    hash_token(token, h);
    for (size_t i = 0; i < t->max; i++)
        if (t->slots[i].used &&
            sodium_memcmp(t->slots[i].token_hash, h, sizeof h) == 0)
            return &t->slots[i];
    return NULL;
}

bool session_find(session_table *t, const char *token, int64_t now_ms,
                  session_info *out)
{
    if (!token_shape_ok(token))
        return false;
    pthread_mutex_lock(&t->mu);
    slot *s = find_locked(t, token);
    bool ok = s != NULL && live(t, s, now_ms);
    if (ok) {
        s->info.seen_ms = now_ms;
        *out = s->info;
    } else if (s != NULL) {
        memset(s, 0, sizeof *s);
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}

bool session_csrf_ok(const session_info *s, const char *header)
{
    return header != NULL && strlen(header) == SESSION_TOKEN_LEN &&
           sodium_memcmp(s->csrf, header, SESSION_TOKEN_LEN) == 0;
}

bool session_set_community(session_table *t, const char *token,
                           const char *community)
{
    if (!token_shape_ok(token) || strlen(community) > SESSION_COMMUNITY_MAX)
        return false;
    pthread_mutex_lock(&t->mu);
    slot *s = find_locked(t, token);
    if (s != NULL)
        strcpy(s->info.community, community);
    pthread_mutex_unlock(&t->mu);
    return s != NULL;
}

void session_end(session_table *t, const char *token)
{
    if (!token_shape_ok(token))
        return;
    pthread_mutex_lock(&t->mu);
    slot *s = find_locked(t, token);
    if (s != NULL)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&t->mu);
}

size_t session_end_user(session_table *t, const char *user)
{
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->max; i++) {
        if (t->slots[i].used && strcmp(t->slots[i].info.user, user) == 0) {
            memset(&t->slots[i], 0, sizeof t->slots[i]);
            n++;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}

size_t session_count(session_table *t)
{
    size_t n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->max; i++)
        n += t->slots[i].used;
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* --- failed sign-ins --------------------------------------------------- */

#define LIMITER_KEY_MAX 64

typedef struct {
    char key[LIMITER_KEY_MAX + 1];
    unsigned failures;
    int64_t first_ms, last_ms;
} counter;

struct limiter {
    pthread_mutex_t mu;
    counter *c;
    size_t n;
    unsigned max;
    int64_t window_ms, lock_ms;
};

limiter *limiter_new(size_t slots, unsigned max, int64_t window_ms,
                     int64_t lock_ms)
{
    limiter *l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->c = calloc(slots ? slots : 1, sizeof *l->c);
    if (l->c == NULL) {
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    l->n = slots ? slots : 1;
    l->max = max;
    l->window_ms = window_ms;
    l->lock_ms = lock_ms;
    return l;
}

void limiter_destroy(limiter **l_p)
{
    limiter *l = *l_p;
    if (l == NULL)
        return;
    free(l->c);
    pthread_mutex_destroy(&l->mu);
    free(l);
    *l_p = NULL;
}

/* The counter of key, or NULL. Keys longer than the slot compare on their
 * first LIMITER_KEY_MAX bytes, which no user name or address exceeds. */
static counter *lookup(limiter *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->c[i].failures && strncmp(l->c[i].key, key, LIMITER_KEY_MAX) == 0)
            return &l->c[i];
    return NULL;
}

static bool stale(const limiter *l, const counter *c, int64_t now_ms)
{
    return now_ms - c->last_ms >= l->lock_ms &&
           now_ms - c->first_ms >= l->window_ms;
}

bool limiter_locked(limiter *l, const char *key, int64_t now_ms)
{
    pthread_mutex_lock(&l->mu);
    counter *c = lookup(l, key);
    bool locked = c != NULL && c->failures >= l->max &&
                  now_ms - c->last_ms < l->lock_ms;
    if (c != NULL && !locked && stale(l, c, now_ms))
        memset(c, 0, sizeof *c);
    pthread_mutex_unlock(&l->mu);
    return locked;
}

void limiter_fail(limiter *l, const char *key, int64_t now_ms)
{
    pthread_mutex_lock(&l->mu);
    counter *c = lookup(l, key);
    if (c != NULL && c->failures < l->max &&
        now_ms - c->first_ms >= l->window_ms)
        memset(c, 0, sizeof *c); /* the window passed: start again */
    if (c == NULL || c->failures == 0) {
        /* A free slot, else the oldest: a flood of made-up names can push
         * out old counters, but never lock anybody out who did not fail. */
        c = NULL;
        for (size_t i = 0; i < l->n && c == NULL; i++)
            if (l->c[i].failures == 0 || stale(l, &l->c[i], now_ms))
                c = &l->c[i];
        if (c == NULL) {
            c = &l->c[0];
            for (size_t i = 1; i < l->n; i++)
                if (l->c[i].last_ms < c->last_ms)
                    c = &l->c[i];
        }
        memset(c, 0, sizeof *c);
        strncpy(c->key, key, LIMITER_KEY_MAX);
        c->first_ms = now_ms;
    }
    c->failures++;
    c->last_ms = now_ms;
    pthread_mutex_unlock(&l->mu);
}

void limiter_clear(limiter *l, const char *key)
{
    pthread_mutex_lock(&l->mu);
    counter *c = lookup(l, key);
    if (c != NULL)
        memset(c, 0, sizeof *c);
    pthread_mutex_unlock(&l->mu);
}
