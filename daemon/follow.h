/*
 * follow - a read-only replica that follows the NATS JetStream streams of a
 * service (stream.h, outbox.h): the service's own journal and every
 * community's, each through a durable consumer of this replica's name,
 * starting after the ledger's own head (the ledger, not the consumer, is
 * the truth of how far the replica is).
 *
 * Each message is re-checked as the home-made feed's entries were
 * (replica.h): its stream sequence must be the next entry number, and the
 * entry must follow the chain (sequence, previous hash; the Merkle tree
 * of a signed checkpoint must be the one built here), then it goes through
 * the one apply path (ledger_replicate), a batch per transaction, with the
 * primary's signed checkpoints and idempotency records that travel in its
 * headers, so that after a promotion a client's retry is answered, not
 * applied twice. An entry that does not follow stops that ledger's
 * replication (logged; the replica keeps serving what it has).
 *
 * It runs in the server loop's idle turns (server_options.idle, woken by
 * follow_fd), so ledgers are written by one thread only.
 */
#ifndef JIFEN_FOLLOW_H
#define JIFEN_FOLLOW_H

#include "ops.h"
#include "service.h"
#include "stream.h"

typedef struct follow follow;

/* Follows the streams of svc on client c (prefix: stream names; name:
 * this replica's consumers). NULL when out of memory. */
follow *follow_new(service *svc, ops *metrics, stream_client *c,
                   const char *prefix, const char *name);
/* Stops; with forget (a promotion) the consumers are deleted too. */
void follow_destroy(follow **self_p, bool forget);

/* Readable when messages wait (server_options.idle_fd). */
int follow_fd(const follow *self);

/* One turn: subscribes what is not yet, applies what arrived. For
 * server_options.idle (ctx is the follow). */
void follow_poll(void *ctx);

/* jifend --promote: follows until every ledger's head is its stream's
 * last entry (at most timeout_ms; progress on a terminal). 0, or -1 with
 * why in err (a stream that does not answer, a chain that does not
 * follow). Before serving, on the thread that will serve. */
int follow_catch_up(follow *self, int timeout_ms, char *err, size_t errlen);

#endif
