/*
 * links - see links.h.
 */
#include "links.h"

#include "store.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_FILE "link.secret"
#define GEN_FILE "links.json"

struct links {
    char dir[STORE_PATH_MAX];
    uint8_t secret[32];
    pthread_mutex_t mu;
    json_t *gens; /* household -> generation, as last read */
    store_stamp stamp;
};

void links_compute(const uint8_t secret[32], const char *household,
                   uint64_t generation, char out[LINK_TOKEN_LEN + 1])
{
    links_compute_in(secret, "", household, generation, out);
}

void links_compute_in(const uint8_t secret[32], const char *community,
                      const char *household, uint64_t generation,
                      char out[LINK_TOKEN_LEN + 1])
{
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    char gen[24];
    snprintf(gen, sizeof gen, "%" PRIu64, generation);
    crypto_auth_hmacsha256_init(&st, secret, 32);
    if (community[0] == '\0') { /* the form printed before communities */
        crypto_auth_hmacsha256_update(&st,
                                      (const uint8_t *)"jifen-web statement",
                                      sizeof "jifen-web statement");
    } else {
        /* Another label: no (community, household) pair ever gives the
         * token of a link without a community. */
        crypto_auth_hmacsha256_update(&st,
                                      (const uint8_t *)"jifen-web statement 2",
                                      sizeof "jifen-web statement 2");
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)community,
                                      strlen(community) + 1);
    }
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)household,
                                  strlen(household) + 1);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)gen, strlen(gen));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, LINK_TOKEN_LEN + 1, mac, LINK_TOKEN_LEN / 2);
}

links *links_open(const char *data_dir, char *err, size_t errlen)
{
    links *l = calloc(1, sizeof *l);
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(l->dir, sizeof l->dir, "%s", data_dir);
    char *text = NULL;
    size_t len = 0;
    int rc = store_read(l->dir, SECRET_FILE, 128, &text, &len, err, errlen);
    if (rc == 1) { /* first use: a new secret */
        char hex[65];
        randombytes_buf(l->secret, sizeof l->secret);
        sodium_bin2hex(hex, sizeof hex, l->secret, sizeof l->secret);
        hex[64] = '\n';
        rc = store_write(l->dir, SECRET_FILE, hex, 65, err, errlen);
        sodium_memzero(hex, sizeof hex);
    } else if (rc == 0) {
        size_t got = 0;
        if (sodium_hex2bin(l->secret, sizeof l->secret, text, len, "\n", &got,
                           NULL) != 0 ||
            got != sizeof l->secret) {
            snprintf(err, errlen, "%s/%s: not 64 hex characters", l->dir,
                     SECRET_FILE);
            rc = -1;
        }
        sodium_memzero(text, len);
    }
    free(text);
    if (rc != 0) {
        sodium_memzero(l, sizeof *l);
        free(l);
        return NULL;
    }
    pthread_mutex_init(&l->mu, NULL);
    return l;
}

void links_close(links **l_p)
{
    links *l = *l_p;
    if (l == NULL)
        return;
    json_decref(l->gens);
    pthread_mutex_destroy(&l->mu);
    sodium_memzero(l, sizeof *l);
    free(l);
    *l_p = NULL;
}

/* Re-reads links.json when it changed. Under l->mu. */
static int refresh_locked(links *l, char *err, size_t errlen)
{
    store_stamp now = store_stamp_of(l->dir, GEN_FILE);
    if (l->gens != NULL && store_stamp_equal(&now, &l->stamp))
        return 0;
    char *text = NULL;
    size_t len = 0;
    int rc = store_read(l->dir, GEN_FILE, 16u << 20, &text, &len, err, errlen);
    if (rc < 0)
        return -1;
    json_t *gens = rc == 1 ? json_object()
                           : json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    if (!json_is_object(gens)) {
        json_decref(gens);
        snprintf(err, errlen, "%s/%s: not a JSON object", l->dir, GEN_FILE);
        return -1;
    }
    json_decref(l->gens);
    l->gens = gens;
    l->stamp = now;
    return 0;
}

/* The key of a household's generation in links.json. */
static void gen_key(const char *community, const char *household,
                    char out[2 * LINK_TOKEN_LEN + 8])
{
    snprintf(out, 2 * LINK_TOKEN_LEN + 8, "%s%s%s", community,
             community[0] ? "/" : "", household);
}

static uint64_t generation_locked(const links *l, const char *key)
{
    json_t *g = json_object_get(l->gens, key);
    return json_is_integer(g) && json_integer_value(g) > 0
               ? (uint64_t)json_integer_value(g)
               : 0;
}

int links_token(links *l, const char *household,
                char out[LINK_TOKEN_LEN + 1], char *err, size_t errlen)
{
    return links_token_in(l, "", household, out, err, errlen);
}

int links_token_in(links *l, const char *community, const char *household,
                   char out[LINK_TOKEN_LEN + 1], char *err, size_t errlen)
{
    char key[2 * LINK_TOKEN_LEN + 8];
    gen_key(community, household, key);
    pthread_mutex_lock(&l->mu);
    int rc = refresh_locked(l, err, errlen);
    if (rc == 0)
        links_compute_in(l->secret, community, household,
                         generation_locked(l, key), out);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

bool links_check(links *l, const char *household, const char *token)
{
    return links_check_in(l, "", household, token);
}

bool links_check_in(links *l, const char *community, const char *household,
                    const char *token)
{
    char want[LINK_TOKEN_LEN + 1], err[256];
    if (token == NULL || strlen(token) != LINK_TOKEN_LEN ||
        links_token_in(l, community, household, want, err, sizeof err) != 0)
        return false;
    return sodium_memcmp(want, token, LINK_TOKEN_LEN) == 0;
}

int links_revoke(links *l, const char *household, char *err, size_t errlen)
{
    return links_revoke_in(l, "", household, err, errlen);
}

int links_revoke_in(links *l, const char *community, const char *household,
                    char *err, size_t errlen)
{
    char key[2 * LINK_TOKEN_LEN + 8];
    gen_key(community, household, key);
    pthread_mutex_lock(&l->mu);
    json_decref(l->gens);
    l->gens = NULL; /* read it fresh */
    int rc = refresh_locked(l, err, errlen);
    if (rc == 0) {
        uint64_t g = generation_locked(l, key) + 1;
        json_object_set_new(l->gens, key, json_integer((json_int_t)g));
        char *text = json_dumps(l->gens, JSON_INDENT(1) | JSON_SORT_KEYS);
        rc = text ? store_write(l->dir, GEN_FILE, text, strlen(text), err,
                                errlen)
                  : -1;
        free(text);
        json_decref(l->gens);
        l->gens = NULL;
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}
