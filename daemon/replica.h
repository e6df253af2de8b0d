/*
 * replica - a read-only jifend that follows a primary: it asks the primary
 * for the committed entries after its own head (the feed query, over the
 * same ZeroMQ protocol as any client, through libjifen), re-checks that
 * each one follows its chain (sequence number and previous hash) and
 * applies it with the primary's own write-path code (ledger_replicate), with
 * the primary's signed checkpoints, in one transaction per batch.
 *
 * It runs in the server loop's idle turns (server_options.idle), so the
 * ledger is only ever touched from one thread. A replica that was stopped
 * or cut off simply asks from its head again: catching up is the normal
 * path. An entry that does not follow the chain stops replication (the
 * replica keeps serving what it has, and says why in the log): the primary's
 * history was rewritten, which is what a replica is there to notice.
 */
#ifndef JIFEN_REPLICA_H
#define JIFEN_REPLICA_H

#include "ledger.h"
#include "ops.h"
#include "service.h"

typedef struct replica replica;

/* A follower of `primary` (a ZeroMQ endpoint) into `led`, logging in over
 * CURVE with the secret key file `client_secret` (the replica's own
 * DATA/jifend.key, enrolled on the primary as an auditor key) and checking
 * the primary against `server_public` (Z85 or a file). NULL with the reason
 * in err when memory, ZeroMQ or the keys cannot be had. */
replica *replica_new(service *svc, ops *metrics, const char *primary,
                     const char *client_secret, const char *server_public,
                     char *err, size_t errlen);
void replica_destroy(replica **self_p);

/* One step: fetch and apply a batch if it is time. For
 * server_options.idle (ctx is the replica). */
void replica_poll(void *ctx);

/* Stores a primary's signed checkpoint line in txn (a replica's batch),
 * unless it does not parse (skipped, 0). -1 when it names a Merkle root
 * the tree built here does not give (logged for `code`): the trees
 * differ. Shared by the feed and the stream replica (follow.h). */
int replica_store_checkpoint(storage_txn *txn, const char *code,
                             const char *text);

#endif
