/*
 * outbox - every committed entry of every ledger (each community's and the
 * service's own) published to its NATS JetStream stream (stream.h), in
 * order, exactly once in the stream, and who may append there.
 *
 * The outbox is the journal itself: what is after a ledger's
 * "published up to" mark (ledger_published) is still to be published, so
 * nothing is copied and nothing can be lost between the commit and the
 * stream. One thread publishes for all ledgers: after a commit it sends the
 * new entries asynchronously, a batch at a time (never a round trip per
 * entry), each with the message id "<community>:<entry>:<first 16 hex
 * digits of its hash>" and the expectation that the stream ends at the
 * entry before. An entry republished after a lost acknowledgement is a
 * duplicate the stream recognizes (or, past its window, a wrong last
 * sequence that the check below finds to be ours).
 *
 * Whenever the stream's state is unknown (at start, after an error) the
 * outbox looks before it sends: the stream's last entry L must be this
 * ledger's entry L, byte for byte (the hash chain then vouches for every
 * entry before it), and L must not be past this ledger's head. Otherwise
 * another jifend has appended (a promoted replica): this ledger is FENCED,
 * for good in this process: it publishes nothing more and its writes are
 * refused, saying why (log and reply).
 *
 * Durability (configuration nats_durability):
 *   local       a write is answered after the LMDB commit, as without NATS;
 *               an outage of the stream delays publishing, never loses or
 *               repeats an entry.
 *   replicated  a write is answered after the LMDB commit and the stream's
 *               acknowledgement of every entry up to the group's commit
 *               (a stream of three replicas acknowledges what a majority
 *               stored); not within the ack timeout: the group's requests
 *               get not_replicated (nothing acknowledged), and the entries
 *               reach the stream later as in local.
 */
#ifndef JIFEN_OUTBOX_H
#define JIFEN_OUTBOX_H

#include "ledger.h"
#include "stream.h"

typedef struct outbox outbox;

typedef enum {
    OUTBOX_LOCAL,
    OUTBOX_REPLICATED,
} outbox_durability;

typedef struct {
    stream_client *client;
    const char *prefix; /* stream names (stream.h) */
    outbox_durability durability;
    int ack_timeout_ms;
} outbox_options;

/* Starts the publishing thread. NULL when out of memory or threads. */
outbox *outbox_new(const outbox_options *o);
/* Publishes what is committed and not yet acknowledged (at most the ack
 * timeout), then stops. Before the ledgers are closed. */
void outbox_destroy(outbox **self_p);

/* Publishes led's entries from now on (code: a community's, NULL for the
 * service's own). Before any write to led; server thread. 0, or -1 out of
 * memory. */
int outbox_attach(outbox *ob, ledger *led, const char *code);

bool outbox_replicated(const outbox *ob);

typedef enum {
    OUTBOX_ACKED,     /* the stream holds everything up to the head */
    OUTBOX_NOT_ACKED, /* not within the ack timeout */
    OUTBOX_FENCED,    /* another jifend appends to this ledger's stream */
} outbox_result;

/* After a commit of led (the committer's thread): its entries up to the
 * head go to the stream. With wait (replicated durability, a group of
 * client writes), returns once the stream acknowledged all of them, or at
 * the ack timeout. */
outbox_result outbox_committed(outbox *ob, ledger *led, bool wait);

/* Whether led is fenced; why in `why`. Any thread. */
bool outbox_fenced(outbox *ob, ledger *led, char *why, size_t whylen);

#endif
