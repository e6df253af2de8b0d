/*
 * ops - the operations side of a running jifend: metrics gathered by the
 * server loop (commits, batch sizes, commit latency, requests, peers) and
 * the operations queries (stats, checkpoint, the replication feed) answered from them and from
 * the ledger's storage.
 *
 * Recording is a few additions per commit and per request: nothing on the
 * per-entry write path, no allocation, no logging.
 */
#ifndef JIFEN_OPS_H
#define JIFEN_OPS_H

#include "jifen_types.h"
#include "ledger.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ops ops;

ops *ops_new(void);
void ops_destroy(ops **self_p);

/* A commit of `requests` write requests that took `us` microseconds from
 * the start of the transaction to the end of the commit. */
void ops_record_commit(ops *self, size_t requests, uint64_t us);
/* One request answered; `peer` is its routing id (for counting peers). */
void ops_record_request(ops *self, const void *peer, size_t peer_len,
                        bool write);

/* A replica's distance behind its primary, for stats. */
void ops_set_replica_lag(ops *self, uint64_t lag);

/* True when the request is an operations query (stats, checkpoint). */
bool ops_handles(const jifen_request *req);

/* Answers an operations query. Fills reply (free with codec_reply_clear).
 * 0, or -1 when memory runs out. */
int ops_query(ops *self, ledger *led, const jifen_request *req,
              jifen_reply *reply);

#endif
