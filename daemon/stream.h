/*
 * stream - NATS JetStream, the only file of jifend that includes nats.h
 * (as storage.c is lmdb.h's and transport.c zmq.h's). What it knows is
 * NATS; what to publish and when (the outbox, outbox.h) and what to do with
 * what arrives (the stream replica, follow.h) are not its business.
 *
 * The layout (docs/operations.md, "The stream"): one stream per ledger, a
 * community's or the service's own, holding one subject, so that a
 * message's stream sequence is the entry's number. That makes fencing
 * exact: entry N is published with "expected last sequence N - 1" (entry 1
 * with "no message yet"), so only a jifend whose ledger ends where the
 * stream ends can append, and a batch of entries can be published in one
 * go, each with its expectation known in advance.
 *
 *   stream   <prefix>_<token>        subject  <prefix>.entries.<token>
 *   stream   <prefix>__service       subject  <prefix>.service
 *
 * <token> is the community code with '_' written "_5F" and '.' "_2E" (a
 * stream name may hold neither '.' nor, unescaped, be told apart from the
 * service's), so "dongyuan" is "dongyuan" and "a.b_c" is "a_2Eb_5Fc".
 *
 * Threads: a stream_client is shared; publishing, lookups and consumers
 * may be used from any thread (the NATS client is thread-safe). Ack and
 * message callbacks run on the NATS client's threads.
 */
#ifndef JIFEN_STREAM_H
#define JIFEN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_NAME_MAX 160
#define STREAM_PREFIX_MAX 32

typedef struct stream_client stream_client;

typedef struct {
    const char *servers; /* comma-separated nats:// URLs */
    const char *creds;   /* a .creds file, or "" */
    const char *name;    /* this jifend's name: connection, consumers */
    int replicas;        /* replicas of the streams made here */
    int ack_timeout_ms;  /* a publish not acknowledged by then failed */
} stream_settings;

/* Connects in the background (a cluster that is down is retried for
 * ever; what needs it waits or fails by its own bounds). NULL with why in
 * err when the settings are unusable. */
stream_client *stream_client_new(const stream_settings *s, char *err,
                                 size_t errlen);
void stream_client_destroy(stream_client **self_p);

/* True when `prefix` may name streams (1-32 of A-Z a-z 0-9 -). */
bool stream_prefix_ok(const char *prefix);

/* The stream and subject of a ledger: `code` a community's code, or
 * NULL for the service's own journal. */
void stream_names(const char *prefix, const char *code,
                  char stream[STREAM_NAME_MAX], char subject[STREAM_NAME_MAX]);

typedef enum {
    STREAM_OK = 0,
    STREAM_UNAVAILABLE, /* no answer, no quorum, not connected: later */
    STREAM_NOT_FOUND,   /* no such stream, or no such message */
    STREAM_FAILED,      /* anything else; err says what */
} stream_status;

/* Makes the stream of a ledger unless it exists (file storage, the
 * settings' replicas, deletes and purges denied: it is a ledger). Its
 * last sequence in *last. */
stream_status stream_ensure(stream_client *c, const char *stream,
                            const char *subject, uint64_t *last, char *err,
                            size_t errlen);

/* The stream's last sequence (0: empty). */
stream_status stream_last(stream_client *c, const char *stream,
                          uint64_t *last, char *err, size_t errlen);

/* The body of message `seq` (malloc'd, the caller frees it). */
stream_status stream_get(stream_client *c, const char *stream, uint64_t seq,
                         uint8_t **data, size_t *len, char *err,
                         size_t errlen);

/* --- publishing ---------------------------------------------------------- */

typedef struct stream_pub stream_pub;

/* What became of one published message, on a NATS thread: OK (stored at
 * `seq`, or a duplicate of a message stored there), WRONG_LAST (the
 * expected last sequence did not hold: somebody else appended, or this
 * one is there already), or UNAVAILABLE / FAILED (text says why). */
typedef enum {
    STREAM_ACK_OK,
    STREAM_ACK_WRONG_LAST,
    STREAM_ACK_UNAVAILABLE,
    STREAM_ACK_FAILED,
} stream_ack;
typedef void (*stream_ack_fn)(void *ctx, uint64_t seq, stream_ack result,
                              uint64_t stored_seq, const char *text);

/* A publisher onto one stream's subject; acks go to fn(ctx, ...). NULL
 * when out of memory. */
stream_pub *stream_pub_new(stream_client *c, const char *subject,
                           stream_ack_fn fn, void *ctx);
/* Waits (at most the ack timeout) for what is in flight, then frees. */
void stream_pub_destroy(stream_pub **self_p);

typedef struct {
    const char *name;
    const char *value;
} stream_header;

/* Publishes entry `seq` (its stored bytes) with message id `msg_id`,
 * expecting the stream to end at seq - 1, with extra headers; the result
 * comes to the ack function. STREAM_OK when handed to the client. */
stream_status stream_pub_send(stream_pub *p, uint64_t seq, const uint8_t *data,
                              size_t len, const char *msg_id,
                              const stream_header *h, size_t n_headers);

/* --- consuming ----------------------------------------------------------- */

/* Messages of any number of consumers, in one queue, for one thread to
 * take: a byte is written to fd() when the queue becomes non-empty. */
typedef struct stream_inbox stream_inbox;
typedef struct stream_sub stream_sub;

stream_inbox *stream_inbox_new(void);
void stream_inbox_destroy(stream_inbox **self_p);
int stream_inbox_fd(const stream_inbox *in);

typedef struct {
    void *ctx;          /* the consumer's, from stream_sub_new */
    uint64_t seq;       /* stream sequence = entry number */
    uint64_t pending;   /* messages of the stream after this one */
    const uint8_t *data;
    size_t len;
    const char *checkpoint; /* Jifen-Checkpoint header, or NULL */
    const char *request;    /* Jifen-Request header, or NULL */
    void *handle;
} stream_msg;

/* The next message, or false. Give it back with stream_msg_done. */
bool stream_inbox_take(stream_inbox *in, stream_msg *m);
/* Any header of the message: true with *value (valid until done). */
bool stream_msg_header(const stream_msg *m, const char *name,
                       const char **value);
/* Acknowledges it (and with it every earlier one of its consumer) when
 * ack, and frees it. */
void stream_msg_done(stream_msg *m, bool ack);

/* A durable push consumer `durable` of `stream` from sequence `from`
 * (made again there when it exists: the ledger, not the consumer, knows
 * how far this replica is), delivering into `in` with ctx. */
stream_status stream_sub_new(stream_sub **out, stream_client *c,
                             const char *stream, const char *subject,
                             const char *durable, uint64_t from,
                             stream_inbox *in, void *ctx, char *err,
                             size_t errlen);
/* Stops delivery; with forget, deletes the durable consumer too (a
 * replica promoted to primary consumes no more). */
void stream_sub_destroy(stream_sub **self_p, bool forget);

#endif
