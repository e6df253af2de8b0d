#include "transport.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct transport {
    void *ctx;
    void *router;
    size_t max_request;
};

static int set_int(void *socket, int option, int value)
{
    return zmq_setsockopt(socket, option, &value, sizeof value);
}

int transport_bind(transport **out, const char *endpoint, size_t max_request,
                   char *bound_endpoint, size_t bound_len, char *err,
                   size_t errlen)
{
    *out = NULL;
    transport *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->max_request = max_request;
    self->ctx = zmq_ctx_new();
    self->router = self->ctx ? zmq_socket(self->ctx, ZMQ_ROUTER) : NULL;
    if (!self->router) {
        snprintf(err, errlen, "cannot create a ZeroMQ socket: %s",
                 zmq_strerror(zmq_errno()));
        transport_destroy(&self);
        return -1;
    }
    int64_t max_frame = (int64_t)max_request * 2;
    /* Replies to a vanished peer are dropped at once (not queued); an
     * unroutable reply is an error we see instead of a silent drop;
     * linger 0 so shutdown never waits on a dead client. */
    if (zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &max_frame,
                       sizeof max_frame) != 0 ||
        set_int(self->router, ZMQ_ROUTER_MANDATORY, 1) != 0 ||
        set_int(self->router, ZMQ_LINGER, 0) != 0 ||
        set_int(self->router, ZMQ_HANDSHAKE_IVL, 5000) != 0 ||
        set_int(self->router, ZMQ_RCVHWM, 100000) != 0 ||
        set_int(self->router, ZMQ_SNDHWM, 100000) != 0) {
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

int transport_wait(transport *self, int fd, bool messages, int timeout_ms)
{
    zmq_pollitem_t items[2] = {
        {NULL, fd, ZMQ_POLLIN, 0},
        {self->router, 0, ZMQ_POLLIN, 0},
    };
    int rc = zmq_poll(items, messages ? 2 : 1, timeout_ms);
    if (rc <= 0)
        return rc < 0 ? -1 : 0;
    return ((items[0].revents & ZMQ_POLLIN) ? TRANSPORT_READY_FD : 0) |
           ((messages && (items[1].revents & ZMQ_POLLIN))
                ? TRANSPORT_READY_MESSAGE
                : 0);
}
