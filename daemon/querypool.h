/*
 * querypool - the threads that answer queries, so that a long one (verify,
 * a community report, a large history) never holds up anybody else.
 *
 * The server thread decodes and authorizes every request; a query then
 * comes here as its bytes, with the ledger to read from (a parameter, not
 * a global: one pool can serve several ledgers) and the key that sent it.
 * QUERYPOOL_THREADS threads answer them, each in a read transaction of its
 * own (LMDB readers never block the writer or one another; the
 * environment is opened MDB_NOTLS, so a transaction is not tied to a
 * thread's reader slot, and each thread holds at most one slot at a time).
 * The whole request is judged first and refused when too costly
 * (querycost.h). A finished reply is queued, encoded, for the server
 * thread, which alone sends on the socket; querypool_fd becomes readable.
 *
 * Fair between keys: each key has its own queue, the threads take the keys
 * in turn (round robin), and one key has at most one query running at a
 * time. However heavy one key's requests are, they hold one thread; the
 * other threads go on answering the other keys. A key's queue holds at
 * most QUERYPOOL_KEY_REQUESTS requests and QUERYPOOL_KEY_BYTES bytes, all
 * queues together QUERYPOOL_TOTAL_BYTES; a request beyond is refused at
 * once (querypool_submit returns false; the server answers STATUS_BUSY).
 */
#ifndef JIFEN_QUERYPOOL_H
#define JIFEN_QUERYPOOL_H

#include "ledger.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUERYPOOL_THREADS 4
#define QUERYPOOL_KEY_REQUESTS 64
#define QUERYPOOL_KEY_BYTES (16u << 20)
#define QUERYPOOL_TOTAL_BYTES (64u << 20)

typedef struct querypool querypool;

/* An answered query: the reply's bytes for its peer. */
typedef struct {
    uint8_t peer[TRANSPORT_PEER_MAX];
    size_t peer_len;
    uint8_t *bytes; /* owned (malloc) */
    size_t len;
} querypool_reply;

/* A pool of `threads` threads, started at once unless `paused` (tests:
 * queue first, then querypool_start). NULL when out of memory or threads. */
querypool *querypool_new(unsigned threads, bool paused);
int querypool_start(querypool *self);
/* Stops the threads after the queries they hold; queued ones are dropped
 * (their clients retry). */
void querypool_destroy(querypool **self_p);

/* Readable while answered queries wait for querypool_take. */
int querypool_fd(const querypool *self);

/* Queues the query `payload` (taken on success: freed by the pool) from
 * `key` for `led`. False when the key's queue, or all of them, are full:
 * the caller still owns payload, and refuses the request as BUSY. */
bool querypool_submit(querypool *self, ledger *led, const char *key,
                      const uint8_t *peer, size_t peer_len, uint8_t *payload,
                      size_t len);

/* A request answered by a function of its own rather than a ledger's
 * queries (the service's roll-up across communities): task(arg, req,
 * reply) fills reply on a query thread, as ledger_query would, with no
 * cost check of the pool's (the task bounds its own work). */
typedef void (*querypool_task)(void *arg, const jifen_request *req,
                               jifen_reply *reply);
/* As querypool_submit, answered by task; release(arg) runs once the job is
 * done or dropped. False (nothing taken: payload and arg stay the
 * caller's) when the key's queue, or all of them, are full. */
bool querypool_submit_task(querypool *self, querypool_task task, void *arg,
                           void (*release)(void *arg), const char *key,
                           const uint8_t *peer, size_t peer_len,
                           uint8_t *payload, size_t len);

/* One answered query, oldest first; false when none waits. */
bool querypool_take(querypool *self, querypool_reply *out);
void querypool_reply_clear(querypool_reply *r);

/* How many queries are queued (not running) now, for tests and stats. */
size_t querypool_queued(querypool *self);

#endif
