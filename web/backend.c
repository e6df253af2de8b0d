/*
 * backend - see backend.h. The table of clients is small (one per user who
 * signed in since start); finding one is a scan under a mutex, and each
 * client has its own mutex so that two users never wait for each other.
 */
#include "backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key_file;
    jifen_client *client;
    pthread_mutex_t mu;
} entry;

struct backend {
    char *endpoint;
    char *server_key;
    int timeout_ms;
    pthread_mutex_t mu;
    entry **entries;
    size_t n, cap;
};

static char *dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

backend *backend_new(const char *endpoint, const char *server_key,
                     int timeout_ms)
{
    backend *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->endpoint = dup(endpoint);
    b->server_key = dup(server_key);
    b->timeout_ms = timeout_ms;
    pthread_mutex_init(&b->mu, NULL);
    if (b->endpoint == NULL || b->server_key == NULL)
        backend_destroy(&b);
    return b;
}

void backend_destroy(backend **b_p)
{
    backend *b = *b_p;
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++) {
        jifen_client_destroy(&b->entries[i]->client);
        pthread_mutex_destroy(&b->entries[i]->mu);
        free(b->entries[i]->key_file);
        free(b->entries[i]);
    }
    free(b->entries);
    free(b->endpoint);
    free(b->server_key);
    pthread_mutex_destroy(&b->mu);
    free(b);
    *b_p = NULL;
}

static entry *entry_for(backend *b, const char *key_file)
{
    pthread_mutex_lock(&b->mu);
    entry *e = NULL;
    for (size_t i = 0; i < b->n && e == NULL; i++)
        if (strcmp(b->entries[i]->key_file, key_file) == 0)
            e = b->entries[i];
    if (e == NULL && b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        entry **grown = realloc(b->entries, cap * sizeof *grown);
        if (grown != NULL) {
            b->entries = grown;
            b->cap = cap;
        }
    }
    if (e == NULL && b->n < b->cap && (e = calloc(1, sizeof *e)) != NULL) {
        e->key_file = dup(key_file);
        pthread_mutex_init(&e->mu, NULL);
        if (e->key_file == NULL) {
            free(e);
            e = NULL;
        } else {
            b->entries[b->n++] = e;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return e;
}

jifen_call_status backend_call(backend *b, const char *key_file,
                               const jifen_request *req, jifen_reply *reply,
                               char *err, size_t errlen)
{
    /* One retry: the web page is the person's retry, with its id. */
    return backend_call_timed(b, key_file, req, reply, b->timeout_ms, 1, err,
                              errlen);
}

jifen_call_status backend_call_timed(backend *b, const char *key_file,
                                     const jifen_request *req,
                                     jifen_reply *reply, int timeout_ms,
                                     int retries, char *err, size_t errlen)
{
    entry *e = entry_for(b, key_file);
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return JIFEN_CALL_NOMEM;
    }
    pthread_mutex_lock(&e->mu);
    if (e->client == NULL) {
        e->client = jifen_client_new(b->endpoint);
        if (e->client == NULL) {
            pthread_mutex_unlock(&e->mu);
            snprintf(err, errlen, "cannot make a ledger client");
            return JIFEN_CALL_NOMEM;
        }
        if (jifen_client_set_curve(e->client, key_file, b->server_key, err,
                                   errlen) != 0) {
            jifen_client_destroy(&e->client);
            pthread_mutex_unlock(&e->mu);
            return JIFEN_CALL_INVALID;
        }
    }
    jifen_client_set_timeout(e->client, timeout_ms, retries);
    jifen_call_status st = jifen_client_call(e->client, req, reply, err, errlen);
    pthread_mutex_unlock(&e->mu);
    return st;
}
