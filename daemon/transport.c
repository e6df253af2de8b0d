#include "transport.h"

#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* Part of libzmq 4.3's API, though zmq.h declares it only with the draft
 * API; libzmq 4.3.4 implements it either way. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "jifen"
#define ZAP_FRAMES 7 /* version, id, domain, address, identity, mechanism, key */
#define HANDSHAKE_MS 5000
#define HEARTBEAT_IVL_MS 10000
#define HEARTBEAT_TIMEOUT_MS 30000

struct transport {
    void *ctx;
    void *router;
    size_t max_request;
    void *zap;                /* REP socket, owned by the ZAP thread once it runs */
    pthread_t zap_thread;
    bool zap_running;
    transport_admit_fn admit;
    void *admit_arg;
};

/* --- the ZAP handler (RFC 27), in its own thread ---------------------------- */

static bool frame_is(zmq_msg_t *m, const char *text)
{
    return zmq_msg_size(m) == strlen(text) &&
           memcmp(zmq_msg_data(m), text, strlen(text)) == 0;
}

/* The client key of a well-formed CURVE request for our domain, in Z85;
 * false for anything else, which is then denied. */
static bool zap_client_key(zmq_msg_t *f, size_t n, char z85[41])
{
    if (n != ZAP_FRAMES || !frame_is(&f[0], "1.0") ||
        !frame_is(&f[2], ZAP_DOMAIN) || !frame_is(&f[5], "CURVE") ||
        zmq_msg_size(&f[6]) != TRANSPORT_KEY_LEN)
        return false;
    return zmq_z85_encode(z85, zmq_msg_data(&f[6]), TRANSPORT_KEY_LEN) != NULL;
}

/* One reply: version, the request's id, status code and text, user id,
 * empty metadata. */
static void zap_reply(void *sock, zmq_msg_t *request_id, bool ok,
                      const char *user_id)
{
    zmq_send(sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_msg_send(request_id, sock, ZMQ_SNDMORE);
    zmq_send(sock, ok ? "200" : "400", 3, ZMQ_SNDMORE);
    const char *text = ok ? "OK" : "key not enrolled";
    zmq_send(sock, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(sock, user_id, strlen(user_id), ZMQ_SNDMORE);
    zmq_send(sock, "", 0, 0);
}

/* Receives one request (at most ZAP_FRAMES kept, the rest drained) and
 * answers it. -1 when the context is shutting down. */
static int zap_serve_one(transport *self)
{
    zmq_msg_t f[ZAP_FRAMES + 1];
    size_t n = 0;
    int more = 1;
    for (size_t i = 0; i <= ZAP_FRAMES; i++)
        zmq_msg_init(&f[i]);
    while (more) {
        zmq_msg_t *slot = &f[n < ZAP_FRAMES ? n : ZAP_FRAMES];
        if (zmq_msg_recv(slot, self->zap, 0) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            n = 0;
            break;
        }
        more = zmq_msg_more(slot);
        n++;
    }
    int rc = n == 0 ? -1 : 0;
    if (n > 0) {
        char z85[41] = "";
        bool ok = zap_client_key(f, n, z85) && self->admit(self->admit_arg, z85);
        if (!ok)
            log_info("handshake refused: %s", z85[0] ? z85 : "not CURVE");
        zap_reply(self->zap, n > 1 ? &f[1] : &f[ZAP_FRAMES], ok, ok ? z85 : "");
    }
    for (size_t i = 0; i <= ZAP_FRAMES; i++)
        zmq_msg_close(&f[i]);
    return rc;
}

static void *zap_main(void *arg)
{
    transport *self = arg;
    while (zap_serve_one(self) == 0)
        ;
    /* Without the handler libzmq refuses every handshake (enforced
     * domain): safe, but nobody can connect, which must be seen. */
    if (zmq_errno() != ETERM)
        log_error("the ZAP handler stopped (%s): no client can connect",
                  zmq_strerror(zmq_errno()));
    zmq_close(self->zap);
    return NULL;
}

/* The handler must be bound before the server socket exists, so that no
 * handshake can happen without it. */
static int zap_start(transport *self, const transport_security *sec,
                     char *err, size_t errlen)
{
    const int linger = 0;
    self->admit = sec->admit;
    self->admit_arg = sec->admit_arg;
    self->zap = zmq_socket(self->ctx, ZMQ_REP);
    if (!self->zap ||
        zmq_setsockopt(self->zap, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(self->zap, ZAP_ENDPOINT) != 0) {
        snprintf(err, errlen, "ZAP handler: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    if (pthread_create(&self->zap_thread, NULL, zap_main, self) != 0) {
        snprintf(err, errlen, "ZAP handler: cannot start its thread");
        return -1;
    }
    self->zap_running = true;
    return 0;
}

static int set_int(void *socket, int option, int value)
{
    return zmq_setsockopt(socket, option, &value, sizeof value);
}

/* CURVE server with our secret key, ZAP mandatory. */
static int set_curve(void *router, const transport_security *sec)
{
    return set_int(router, ZMQ_CURVE_SERVER, 1) != 0 ||
                   zmq_setsockopt(router, ZMQ_CURVE_SECRETKEY, sec->secret_key,
                                  TRANSPORT_KEY_LEN) != 0 ||
                   zmq_setsockopt(router, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN,
                                  strlen(ZAP_DOMAIN)) != 0 ||
                   set_int(router, ZMQ_ZAP_ENFORCE_DOMAIN, 1) != 0
               ? -1
               : 0;
}

int transport_bind(transport **out, const char *endpoint, size_t max_request,
                   const transport_security *sec, char *bound_endpoint,
                   size_t bound_len, char *err, size_t errlen)
{
    *out = NULL;
    transport *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->max_request = max_request;
    self->ctx = zmq_ctx_new();
    if (!self->ctx || zap_start(self, sec, err, errlen) != 0) {
        if (!self->ctx)
            snprintf(err, errlen, "cannot create a ZeroMQ context");
        transport_destroy(&self);
        return -1;
    }
    self->router = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->router) {
        snprintf(err, errlen, "cannot create a ZeroMQ socket: %s",
                 zmq_strerror(zmq_errno()));
        transport_destroy(&self);
        return -1;
    }
    int64_t max_frame = (int64_t)max_request + TRANSPORT_FRAME_SLACK;
    /* Replies to a vanished peer are dropped at once (not queued); an
     * unroutable reply is an error we see instead of a silent drop;
     * linger 0 so shutdown never waits on a dead client. */
    if (zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &max_frame,
                       sizeof max_frame) != 0 ||
        set_int(self->router, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
        set_int(self->router, ZMQ_LINGER, 0) != 0 ||
        set_int(self->router, ZMQ_HANDSHAKE_IVL, HANDSHAKE_MS) != 0 ||
        set_int(self->router, ZMQ_HEARTBEAT_IVL, HEARTBEAT_IVL_MS) != 0 ||
        set_int(self->router, ZMQ_HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS) !=
            0 ||
        set_int(self->router, ZMQ_RCVHWM, TRANSPORT_RCVHWM) != 0 ||
        set_int(self->router, ZMQ_SNDHWM, TRANSPORT_SNDHWM) != 0 ||
        set_curve(self->router, sec) != 0) {
        snprintf(err, errlen, "socket options: %s", zmq_strerror(zmq_errno()));
        transport_destroy(&self);
        return -1;
    }
    if (zmq_bind(self->router, endpoint) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", endpoint,
                 zmq_strerror(zmq_errno()));
        transport_destroy(&self);
        return -1;
    }
    size_t n = bound_len;
    if (zmq_getsockopt(self->router, ZMQ_LAST_ENDPOINT, bound_endpoint, &n) !=
        0)
        snprintf(bound_endpoint, bound_len, "%s", endpoint);
    *out = self;
    return 0;
}

void transport_destroy(transport **self_p)
{
    transport *self = *self_p;
    if (!self)
        return;
    if (self->router)
        zmq_close(self->router);
    /* Shutdown makes the ZAP thread's recv fail with ETERM; it closes its
     * socket and ends, and only then can the context terminate. */
    if (self->ctx)
        zmq_ctx_shutdown(self->ctx);
    if (self->zap_running)
        pthread_join(self->zap_thread, NULL);
    else if (self->zap)
        zmq_close(self->zap);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self);
    *self_p = NULL;
}

void transport_message_clear(transport_message *msg)
{
    free(msg->payload);
    memset(msg, 0, sizeof *msg);
}

/* Receives the next frame of the current message. 1 when it has more
 * frames after it, 0 when it is the last, -1 on failure. */
static int recv_frame(void *socket, zmq_msg_t *frame)
{
    if (zmq_msg_recv(frame, socket, 0) < 0)
        return -1;
    return zmq_msg_more(frame) ? 1 : 0;
}

static void drain(void *socket)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    while (recv_frame(socket, &frame) == 1)
        ;
    zmq_msg_close(&frame);
}

/* The key ZAP vouched for. libzmq attaches it to the frames that came
 * off the wire, not to the routing id the ROUTER socket makes up. */
static void take_user_id(zmq_msg_t *frame, transport_message *msg)
{
    const char *user_id = zmq_msg_gets(frame, "User-Id");
    if (user_id && strlen(user_id) <= TRANSPORT_USER_ID_MAX)
        snprintf(msg->user_id, sizeof msg->user_id, "%s", user_id);
}

int transport_recv(transport *self, transport_message *msg, int timeout_ms)
{
    memset(msg, 0, sizeof *msg);
    zmq_pollitem_t item = {self->router, 0, ZMQ_POLLIN, 0};
    int rc = zmq_poll(&item, 1, timeout_ms);
    if (rc <= 0)
        return rc < 0 ? -1 : 0;

    zmq_msg_t frame;
    zmq_msg_init(&frame);
    int more = recv_frame(self->router, &frame);
    if (more < 0) {
        zmq_msg_close(&frame);
        return zmq_errno() == EAGAIN ? 0 : -1;
    }
    /* A ROUTER always delivers the routing id first. */
    msg->peer_len = zmq_msg_size(&frame);
    if (msg->peer_len > TRANSPORT_PEER_MAX)
        msg->peer_len = TRANSPORT_PEER_MAX;
    memcpy(msg->peer, zmq_msg_data(&frame), msg->peer_len);
    msg->state = TRANSPORT_MESSAGE_NO_ENVELOPE;
    if (more == 1)
        more = recv_frame(self->router, &frame);
    if (more == 1 && zmq_msg_size(&frame) == 0) {
        more = recv_frame(self->router, &frame);
        size_t len = zmq_msg_size(&frame);
        take_user_id(&frame, msg);
        if (more == 1) {
            msg->state = TRANSPORT_MESSAGE_MULTIPART;
            drain(self->router);
        } else if (more == 0 && len > self->max_request) {
            msg->state = TRANSPORT_MESSAGE_TOO_LARGE;
        } else if (more == 0) {
            msg->payload = malloc(len ? len : 1);
            if (msg->payload) {
                memcpy(msg->payload, zmq_msg_data(&frame), len);
                msg->payload_len = len;
                msg->state = TRANSPORT_MESSAGE_OK;
            }
        }
    } else if (more == 1) {
        drain(self->router);
    }
    zmq_msg_close(&frame);
    if (msg->state == TRANSPORT_MESSAGE_OK && !msg->payload)
        return -1;
    return 1;
}

int transport_send(transport *self, const uint8_t *peer, size_t peer_len,
                   const void *data, size_t len)
{
    /* DONTWAIT: a slow client must never stall the writer; if its queue is
     * full it loses this reply and retries. */
    if (zmq_send(self->router, peer, peer_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (zmq_send(self->router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (zmq_send(self->router, data, len, ZMQ_DONTWAIT) < 0)
        return -1;
    return 0;
}

int transport_wait(transport *self, int fd, int fd2, int fd3, bool messages,
                   int timeout_ms)
{
    zmq_pollitem_t items[4] = {
        {NULL, fd, ZMQ_POLLIN, 0},
        {NULL, fd2, ZMQ_POLLIN, 0},
        {NULL, fd3, ZMQ_POLLIN, 0},
        {self->router, 0, ZMQ_POLLIN, 0},
    };
    int rc = zmq_poll(items, messages ? 4 : 3, timeout_ms);
    if (rc <= 0)
        return rc < 0 ? -1 : 0;
    return ((items[0].revents & ZMQ_POLLIN) ? TRANSPORT_READY_FD : 0) |
           ((items[1].revents & ZMQ_POLLIN) ? TRANSPORT_READY_FD2 : 0) |
           ((items[2].revents & ZMQ_POLLIN) ? TRANSPORT_READY_FD3 : 0) |
           ((messages && (items[3].revents & ZMQ_POLLIN))
                ? TRANSPORT_READY_MESSAGE
                : 0);
}
