/*
 * client.c - the library's transport: one request out, one reply back.
 *
 * The only file of the client that includes zmq.h. A call validates and
 * encodes the request once, then sends those same bytes on a REQ socket and
 * waits up to the timeout. When nothing comes back the socket is thrown away
 * (a REQ socket that sent and got no answer is stuck in its send-receive
 * lockstep) and a fresh one resends the identical frame: ZeroMQ's "Lazy
 * Pirate" pattern. Because the frame carries the caller's request id, the
 * daemon applies a resent write at most once.
 *
 * A client handle is not thread-safe: use one per thread, as with any
 * ZeroMQ socket.
 */
#include "jifen.h"

#include "codec.h"
#include "keyfile.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* A reply larger than this is dropped by ZeroMQ before it is buffered, so a
 * hostile or broken server cannot make the client allocate without bound.
 * Far above the largest honest reply (a full history page). */
#define CLIENT_MAX_REPLY_BYTES (64LL * 1024 * 1024)

/* A retry loop left with no upper bound would make "unreachable" never
 * come; the timeout is per try, so this also bounds the total wait. */
#define CLIENT_MAX_RETRIES 100

struct jifen_client {
    void *ctx;
    void *sock; /* NULL until the first call, and after a failed try */
    char *endpoint;
    int timeout_ms;
    int retries;
    bool curve;
    uint8_t public_key[KEYFILE_KEY_LEN];
    uint8_t secret_key[KEYFILE_KEY_LEN];
    uint8_t server_key[KEYFILE_KEY_LEN];
};

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

jifen_client *jifen_client_new(const char *endpoint)
{
    jifen_client *self = calloc(1, sizeof *self);

    if (self == NULL)
        return NULL;
    self->endpoint =
        strdup(endpoint != NULL ? endpoint : JIFEN_DEFAULT_ENDPOINT);
    self->ctx = zmq_ctx_new();
    if (self->endpoint == NULL || self->ctx == NULL) {
        jifen_client_destroy(&self);
        return NULL;
    }
    self->timeout_ms = JIFEN_DEFAULT_TIMEOUT_MS;
    self->retries = JIFEN_DEFAULT_RETRIES;
    return self;
}

void jifen_client_set_timeout(jifen_client *self, int timeout_ms, int retries)
{
    if (self == NULL)
        return;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    if (retries < 0)
        retries = 0;
    self->retries = retries > CLIENT_MAX_RETRIES ? CLIENT_MAX_RETRIES : retries;
}

int jifen_client_set_curve(jifen_client *self, const char *client_secret,
                           const char *server_public, char *err, size_t errlen)
{
    if (self == NULL || client_secret == NULL || server_public == NULL) {
        set_err(err, errlen, "null argument");
        return -1;
    }
    if (keyfile_read_secret(client_secret, self->secret_key, err, errlen) !=
            0 ||
        keyfile_public_of(self->secret_key, self->public_key) != 0 ||
        keyfile_read_public(server_public, self->server_key, err, errlen) !=
            0) {
        sodium_memzero(self->secret_key, sizeof self->secret_key);
        self->curve = false;
        return -1;
    }
    self->curve = true;
    return 0;
}

int jifen_keygen(const char *prefix, char pub_z85[JIFEN_KEY_Z85_LEN + 1],
                 char *err, size_t errlen)
{
    char sec_path[4096], pub_path[4096];
    int n = snprintf(sec_path, sizeof sec_path, "%s.key", prefix);
    if (n < 0 || (size_t)n >= sizeof sec_path) {
        set_err(err, errlen, "key file name too long");
        return -1;
    }
    snprintf(pub_path, sizeof pub_path, "%s.pub", prefix);
    return keyfile_generate(sec_path, pub_path, pub_z85, err, errlen);
}

int jifen_key_z85_read(const char *z85_or_path, char out[JIFEN_KEY_Z85_LEN + 1],
                       char *err, size_t errlen)
{
    uint8_t raw[KEYFILE_KEY_LEN];
    if (keyfile_read_public(z85_or_path, raw, err, errlen) != 0)
        return -1;
    keyfile_z85_encode(raw, out);
    return 0;
}

static void close_socket(jifen_client *self)
{
    if (self->sock != NULL) {
        zmq_close(self->sock);
        self->sock = NULL;
    }
}

void jifen_client_destroy(jifen_client **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    jifen_client *self = *self_p;
    close_socket(self);
    if (self->ctx != NULL)
        zmq_ctx_term(self->ctx);
    free(self->endpoint);
    sodium_memzero(self, sizeof *self);
    free(self);
    *self_p = NULL;
}

/* The client side of CURVE: our pair and the server's public key. A wrong
 * server key or an unenrolled client key makes the handshake fail, and the
 * call then ends as "no reply". */
static int set_curve(jifen_client *self)
{
    if (!self->curve)
        return 0;
    return zmq_setsockopt(self->sock, ZMQ_CURVE_SERVERKEY, self->server_key,
                          KEYFILE_KEY_LEN) != 0 ||
                   zmq_setsockopt(self->sock, ZMQ_CURVE_PUBLICKEY,
                                  self->public_key, KEYFILE_KEY_LEN) != 0 ||
                   zmq_setsockopt(self->sock, ZMQ_CURVE_SECRETKEY,
                                  self->secret_key, KEYFILE_KEY_LEN) != 0
               ? -1
               : 0;
}

/* A fresh REQ socket. LINGER 0: a request the server never took must not
 * keep the process alive at exit or leak into the next try. Returns 0, or
 * the errno of the call that failed. */
static int open_socket(jifen_client *self)
{
    const int linger = 0;
    const int64_t maxmsg = CLIENT_MAX_REPLY_BYTES;
    const int sndtimeo = self->timeout_ms;

    self->sock = zmq_socket(self->ctx, ZMQ_REQ);
    if (self->sock == NULL)
        return errno;
    if (zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) !=
            0 ||
        zmq_setsockopt(self->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo) !=
            0 ||
        set_curve(self) != 0 || zmq_connect(self->sock, self->endpoint) != 0) {
        int e = errno;
        close_socket(self);
        return e;
    }
    return 0;
}

/* zmq_connect refuses at once an endpoint it cannot parse. No retry can fix
 * that, so it is the caller's mistake rather than an unreachable server. */
static bool is_endpoint_error(int e)
{
    return e == EINVAL || e == EPROTONOSUPPORT || e == ENOCOMPATPROTO;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the reply until the deadline; a signal that interrupts the
 * poll does not cut the wait short. 1: readable, 0: timed out, -1: error. */
static int wait_readable(void *sock, int timeout_ms)
{
    const int64_t deadline = now_ms() + timeout_ms;

    for (;;) {
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        int64_t left = deadline - now_ms();
        if (left < 0)
            left = 0;
        int rc = zmq_poll(&item, 1, (long)left);
        if (rc > 0)
            return 1;
        if (rc == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* One try on an open socket: send the frame, wait, receive. 0 and *msg
 * holds the reply, or -1 and the caller drops the socket (whatever went
 * wrong, a new socket is the remedy). */
static int try_once(jifen_client *self, const uint8_t *frame, size_t len,
                    zmq_msg_t *msg)
{
    if (zmq_send(self->sock, frame, len, 0) != (int)len)
        return -1;
    if (wait_readable(self->sock, self->timeout_ms) != 1)
        return -1;
    if (zmq_msg_recv(msg, self->sock, ZMQ_DONTWAIT) < 0)
        return -1;
    return 0;
}

/* Sends the same frame up to 1 + retries times, each on a fresh socket
 * (or on the one a previous call left in good order). */
static jifen_call_status exchange(jifen_client *self, const uint8_t *frame,
                                  size_t len, zmq_msg_t *msg, char *err,
                                  size_t errlen)
{
    for (int attempt = 0; attempt <= self->retries; attempt++) {
        if (self->sock == NULL) {
            int e = open_socket(self);
            if (e != 0 && is_endpoint_error(e)) {
                char why[JIFEN_ERROR_MAX + 1];
                snprintf(why, sizeof why, "endpoint '%s': %s", self->endpoint,
                         zmq_strerror(e));
                set_err(err, errlen, why);
                return JIFEN_CALL_INVALID;
            }
        }
        if (self->sock != NULL && try_once(self, frame, len, msg) == 0)
            return JIFEN_CALL_OK;
        close_socket(self);
    }
    set_err(err, errlen, "no reply");
    return JIFEN_CALL_UNREACHABLE;
}

/* The daemon's rule for ids: visible ASCII, no blanks (0x21-0x7e). */
static int is_visible_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s < 0x21 || *s > 0x7e)
            return 0;
    return 1;
}

/* The checks codec_request_decode makes on the server, made here first so
 * a request that would be refused is never sent. */
static jifen_call_status validate_request(const jifen_request *req, char *err,
                                          size_t errlen)
{
    if (req->n_commands == 0 || req->commands == NULL) {
        set_err(err, errlen, "request: no commands");
        return JIFEN_CALL_INVALID;
    }
    if (req->n_commands > JIFEN_BATCH_MAX) {
        set_err(err, errlen, "request: more commands than a batch may hold");
        return JIFEN_CALL_INVALID;
    }
    if (memchr(req->request_id, '\0', sizeof req->request_id) == NULL ||
        !is_visible_ascii(req->request_id)) {
        set_err(err, errlen,
                "request_id: must be 1-64 printable ASCII characters "
                "(0x21-0x7e)");
        return JIFEN_CALL_INVALID;
    }
    bool writes = jifen_command_is_write(req->commands[0].kind);
    if (writes && req->request_id[0] == '\0') {
        set_err(err, errlen, "request_id: required for writes");
        return JIFEN_CALL_INVALID;
    }
    for (size_t i = 0; i < req->n_commands; i++) {
        if (jifen_command_is_write(req->commands[i].kind) != writes) {
            set_err(err, errlen, "request: mixes writes and queries");
            return JIFEN_CALL_INVALID;
        }
        if (codec_command_validate(&req->commands[i], err, errlen) !=
            JIFEN_STATUS_OK)
            return JIFEN_CALL_INVALID;
    }
    return JIFEN_CALL_OK;
}

/* Decodes the reply and checks that it answers this request: a reply to
 * somebody else's write, or with the wrong number of results, is not one
 * the caller can act on. */
static jifen_call_status accept_reply(const jifen_request *req, zmq_msg_t *msg,
                                      jifen_reply *reply, char *err,
                                      size_t errlen)
{
    if (codec_reply_decode(zmq_msg_data(msg), zmq_msg_size(msg), reply, err,
                           errlen) != JIFEN_STATUS_OK)
        return JIFEN_CALL_BAD_REPLY;

    const char *problem = NULL;
    if (req->request_id[0] != '\0' && reply->status == JIFEN_STATUS_OK &&
        strcmp(reply->request_id, req->request_id) != 0)
        problem = "reply: request id does not match the request";
    else if (reply->status == JIFEN_STATUS_OK &&
             reply->n_results != req->n_commands)
        problem = "reply: number of results does not match the request";
    if (problem != NULL) {
        codec_reply_clear(reply);
        set_err(err, errlen, problem);
        return JIFEN_CALL_BAD_REPLY;
    }
    return JIFEN_CALL_OK;
}

jifen_call_status jifen_client_call(jifen_client *self,
                                    const jifen_request *request,
                                    jifen_reply *reply, char *err,
                                    size_t errlen)
{
    uint8_t *frame = NULL;
    size_t len = 0;
    zmq_msg_t msg;

    set_err(err, errlen, "");
    if (self == NULL || request == NULL || reply == NULL) {
        set_err(err, errlen, "null argument");
        return JIFEN_CALL_INVALID;
    }
    memset(reply, 0, sizeof *reply);
    jifen_call_status rc = validate_request(request, err, errlen);
    if (rc != JIFEN_CALL_OK)
        return rc;
    if (codec_request_encode(request, &frame, &len) != 0) {
        set_err(err, errlen, "out of memory");
        return JIFEN_CALL_NOMEM;
    }

    zmq_msg_init(&msg);
    rc = exchange(self, frame, len, &msg, err, errlen);
    if (rc == JIFEN_CALL_OK)
        rc = accept_reply(request, &msg, reply, err, errlen);
    zmq_msg_close(&msg);
    free(frame);
    return rc;
}

void jifen_reply_clear(jifen_reply *reply)
{
    if (reply != NULL)
        codec_reply_clear(reply);
}

char *jifen_hex(const uint8_t *bytes, size_t n, char *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i = 0;

    if (buf == NULL || len == 0)
        return buf;
    /* Whole bytes only, and always NUL-terminated: a short buffer gives a
     * shorter string, never an overrun. */
    for (; i < n && 2 * i + 2 < len; i++) {
        buf[2 * i] = digits[bytes[i] >> 4];
        buf[2 * i + 1] = digits[bytes[i] & 0x0f];
    }
    buf[2 * i] = '\0';
    return buf;
}

void jifen_request_id_new(char buf[JIFEN_REQUEST_ID_MAX + 1])
{
    uint8_t raw[16];
    struct timespec now;

    /* Idempotency rests on ids never repeating: a reused id would make the
     * daemon answer a new payment with an old result and drop it. Without a
     * working random source there is no safe id to return. */
    if (sodium_init() < 0)
        abort();
    /* The first 6 bytes are the time in milliseconds, big-endian (as in a
     * UUIDv7), so ids sort by when they were made: the daemon's
     * idempotency table then grows at its right edge, and one commit's ids
     * share a B-tree leaf instead of each dirtying a random one. The other
     * 10 bytes (80 bits) are random, which keeps ids of the same
     * millisecond apart. The daemon accepts any id; this is only cheaper. */
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t ms =
        (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
    for (int i = 0; i < 6; i++)
        raw[i] = (uint8_t)(ms >> (8 * (5 - i)));
    randombytes_buf(raw + 6, sizeof raw - 6);
    jifen_hex(raw, sizeof raw, buf, JIFEN_REQUEST_ID_MAX + 1);
}
