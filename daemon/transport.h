/*
 * transport - jifend's ZeroMQ ROUTER socket; the only module that includes
 * zmq.h.
 *
 * A client message is [routing id][empty delimiter][payload]: what REQ
 * sockets send, and what DEALER clients send when they add the delimiter.
 * The payload is exactly one frame; anything after it makes the message
 * malformed (the daemon answers with an error and carries on).
 *
 * Two size limits: ZMQ_MAXMSGSIZE (the request limit plus
 * TRANSPORT_FRAME_SLACK) makes libzmq drop a peer that sends a monstrous
 * frame before it is buffered whole; frames between the two limits are
 * received, discarded, and answered with TOO_LARGE so that an honest
 * client learns why.
 *
 * What one connection can make libzmq hold inside jifend (docs/
 * security.md): while the server thread does not read (a full write group
 * waiting for the committer), at most TRANSPORT_RCVHWM whole messages
 * queued for it and one being received, each at most ZMQ_MAXMSGSIZE; then
 * libzmq stops reading that connection and TCP pushes back on the sender.
 * Replies it has not read: at most TRANSPORT_SNDHWM; one beyond is dropped
 * (the client retries with the same request id).
 *
 * Security (docs/security.md): the socket is a CURVE server, and a ZAP
 * handler running in its own thread decides every handshake by asking the
 * daemon's admit function about the client's public key. It answers every
 * ZAP request, admits only what admit() accepts, and hands the key (Z85) to
 * libzmq as the User-Id, which transport_recv returns with each message.
 * ZMQ_ZAP_ENFORCE_DOMAIN makes libzmq refuse handshakes when the handler is
 * missing, so nothing gets in without it (fails closed). A client that does
 * not speak CURVE, uses the wrong server key, or whose key is unknown never
 * completes the handshake and never reaches the server loop.
 */
#ifndef JIFEN_TRANSPORT_H
#define JIFEN_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_PEER_MAX 256
/* Frames up to this much over the request limit get a TOO_LARGE reply;
 * bigger ones drop the connection before they are held whole. */
#define TRANSPORT_FRAME_SLACK (1 << 20)
/* Messages queued per connection, each way (see above). A connection with
 * more requests than TRANSPORT_SNDHWM in flight may lose replies. */
#define TRANSPORT_RCVHWM 8
#define TRANSPORT_SNDHWM 64
#define TRANSPORT_USER_ID_MAX 64
#define TRANSPORT_KEY_LEN 32

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
    /* The client's CURVE public key (Z85) as the ZAP handler vouched for
     * it; "" when libzmq gave none (never trust such a message). */
    char user_id[TRANSPORT_USER_ID_MAX + 1];
} transport_message;

typedef struct transport transport;

/* Whether the client key z85 may connect. Called from the ZAP thread, so
 * it must be thread-safe. */
typedef bool (*transport_admit_fn)(void *arg, const char *z85);

typedef struct {
    uint8_t secret_key[TRANSPORT_KEY_LEN]; /* the daemon's CURVE secret */
    transport_admit_fn admit;
    void *admit_arg;
} transport_security;

/* Binds a ROUTER socket to `endpoint`; a wildcard port ("tcp://127.0.0.1:*")
 * is allowed, and bound_endpoint receives the real one. `max_request` is the
 * largest payload accepted. 0, or -1 with the reason in err. */
int transport_bind(transport **out, const char *endpoint, size_t max_request,
                   const transport_security *sec, char *bound_endpoint,
                   size_t bound_len, char *err, size_t errlen);
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
#define TRANSPORT_READY_FD2 4
#define TRANSPORT_READY_FD3 8

/* Waits up to timeout_ms for a message on the socket (only when
 * `messages`; false leaves them queued, which is how a full group pushes
 * back) or for `fd`, `fd2` or `fd3` (-1: none) to become readable: the
 * server thread sleeps in one poll whether a client, the committer thread,
 * a query thread or the stream a replica follows wakes it. Returns the
 * TRANSPORT_READY_* mask, 0 on timeout, -1 when interrupted or failing. */
int transport_wait(transport *self, int fd, int fd2, int fd3, bool messages,
                   int timeout_ms);

#endif
