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
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    char gen[24];
    snprintf(gen, sizeof gen, "%" PRIu64, generation);
    crypto_auth_hmacsha256_init(&st, secret, 32);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)"jifen-web statement",
                                  sizeof "jifen-web statement");
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

static uint64_t generation_locked(const links *l, const char *household)
{
    json_t *g = json_object_get(l->gens, household);
    return json_is_integer(g) && json_integer_value(g) > 0
               ? (uint64_t)json_integer_value(g)
               : 0;
}

int links_token(links *l, const char *household,
                char out[LINK_TOKEN_LEN + 1], char *err, size_t errlen)
{
    pthread_mutex_lock(&l->mu);
    int rc = refresh_locked(l, err, errlen);
    if (rc == 0)
        links_compute(l->secret, household, generation_locked(l, household),
                      out);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

bool links_check(links *l, const char *household, const char *token)
{
    char want[LINK_TOKEN_LEN + 1], err[256];
    if (token == NULL || strlen(token) != LINK_TOKEN_LEN ||
        links_token(l, household, want, err, sizeof err) != 0)
        return false;
    return sodium_memcmp(want, token, LINK_TOKEN_LEN) == 0;
}

int links_revoke(links *l, const char *household, char *err, size_t errlen)
{
    pthread_mutex_lock(&l->mu);
    json_decref(l->gens);
    l->gens = NULL; /* read it fresh */
    int rc = refresh_locked(l, err, errlen);
    if (rc == 0) {
        uint64_t g = generation_locked(l, household) + 1;
        json_object_set_new(l->gens, household, json_integer((json_int_t)g));
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
