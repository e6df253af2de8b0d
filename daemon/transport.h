/*
 * transport - jifend's ZeroMQ ROUTER socket; the only module that includes
 * zmq.h.
 *
 * A client message is [routing id][empty delimiter][payload]: what REQ
 * sockets send, and what DEALER clients send when they add the delimiter.
 * The payload is exactly one frame; anything after it makes the message
 * malformed (the daemon answers with an error and carries on).
 *
 * Two size limits: ZMQ_MAXMSGSIZE (twice the request limit) makes libzmq
 * drop a peer that sends a monstrous frame before it is buffered whole;
 * frames between the two limits are received, discarded, and answered with
 * TOO_LARGE so that an honest client learns why.
 */
#ifndef JIFEN_TRANSPORT_H
#define JIFEN_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_PEER_MAX 256

typedef enum {
    TRANSPORT_MESSAGE_OK,
    TRANSPORT_MESSAGE_MULTIPART, /* more than one payload frame */
    TRANSPORT_MESSAGE_TOO_LARGE, /* payload above the request limit */
    TRANSPORT_MESSAGE_NO_ENVELOPE, /* no delimiter frame */
} transport_message_state;

typedef struct {
    uint8_t peer[TRANSPORT_PEER_MAX]; /* routing id, chosen by the client */
    size_t peer_len;
    transport_message_state state;
    uint8_t *payload; /* owned (malloc); NULL unless state is OK */
    size_t payload_len;
} transport_message;

typedef struct transport transport;

/* Binds a ROUTER socket to `endpoint`; a wildcard port ("tcp://127.0.0.1:*")
 * is allowed, and bound_endpoint receives the real one. `max_request` is the
 * largest payload accepted. 0, or -1 with the reason in err. */
int transport_bind(transport **out, const char *endpoint, size_t max_request,
                   char *bound_endpoint, size_t bound_len, char *err,
                   size_t errlen);
void transport_destroy(transport **self_p);

/* Waits up to timeout_ms (0: do not wait) for a message. 1 with *msg
 * filled, 0 when none came, -1 when interrupted by a signal or failing. */
int transport_recv(transport *self, transport_message *msg, int timeout_ms);

/* Sends a reply to `peer`. A peer that went away, or whose queue is full,
 * loses its reply: it will retry with the same request id. 0 or -1. */
int transport_send(transport *self, const uint8_t *peer, size_t peer_len,
                   const void *data, size_t len);

void transport_message_clear(transport_message *msg);

/* What transport_wait found ready (a bit mask). */
#define TRANSPORT_READY_MESSAGE 1
#define TRANSPORT_READY_FD 2

/* Waits up to timeout_ms for a message on the socket (only when
 * `messages`; false leaves them queued, which is how a full group pushes
 * back) or for `fd` to become readable: the server thread sleeps in one
 * poll whether a client or the committer thread wakes it. Returns the
 * TRANSPORT_READY_* mask, 0 on timeout, -1 when interrupted or failing. */
int transport_wait(transport *self, int fd, bool messages, int timeout_ms);

#endif
