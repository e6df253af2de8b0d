/*
 * rawsend - sends one chosen, usually malformed, frame to jifend and prints
 * the reply's status. The end-to-end test bad_frames.sh drives it; the
 * client library cannot send such frames, because it validates first.
 *
 *     rawsend [--timeout MS] [--count N] [--dealer] ENDPOINT KIND [ARG]
 *
 * KIND is what to send:
 *   verify         a valid verify query (the control: answered ok)
 *   garbage        bytes that are not a protobuf message
 *   empty          a zero-length frame
 *   zeros N        a frame of N zero bytes (sizes around the request limit)
 *   multipart      a valid verify query split over two frames
 *   truncated      a valid award request with its last 3 bytes cut off
 *   unknown-field  a valid verify query with an unknown field appended
 *   mixed          a well-formed request mixing a write and a query
 *   no-id          a well-formed write request without a request id
 *   bad-value      a well-formed award with --hours out of range
 *   hex HEX        the bytes given in hex
 *   parts N        a valid verify query followed by N - 1 more frames
 * --dealer sends from a DEALER socket without the empty delimiter frame (a
 * message with no REQ envelope); --count sends the frame N times in a row.
 * --pipeline (with --count) sends all N first, from a DEALER socket with the
 * delimiter, printing "sent I" on stderr after each, then reads the N
 * replies: a client that does not wait, as a flood does.
 *
 * CURVE: with JIFEN_KEY (a secret key file) and JIFEN_SERVER_KEY (the
 * daemon's public key, Z85 or file) in the environment it authenticates as
 * that key; without them it speaks plain ZeroMQ, which jifend never
 * answers.
 *
 * For every reply it prints one line "status=NAME results=N error=TEXT";
 * exit 0 when every frame got a reply, 3 when one did not within the
 * timeout ("no reply"), 2 for a usage error, 1 for anything else.
 */
#include "codec.h"
#include "keyfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct {
    uint8_t *bytes;
    size_t len;
    size_t split; /* multipart: first frame is bytes[0, split) */
    long extra_parts; /* parts: this many empty frames after the request */
} frame;

static int usage(void)
{
    fputs("usage: rawsend [--timeout MS] [--count N] [--dealer|--pipeline] "
          "ENDPOINT KIND [ARG]\n",
          stderr);
    return 2;
}

static int encode(const jifen_command *cmds, size_t n, const char *id, frame *f)
{
    jifen_request req;
    memset(&req, 0, sizeof req);
    snprintf(req.request_id, sizeof req.request_id, "%s", id);
    req.n_commands = n;
    req.commands = (jifen_command *)cmds;
    return codec_request_encode(&req, &f->bytes, &f->len);
}

static void award_cmd(jifen_command *c, uint32_t hours)
{
    memset(c, 0, sizeof *c);
    c->kind = JIFEN_CMD_AWARD;
    snprintf(c->household, sizeof c->household, "%s", "raw-1");
    snprintf(c->code, sizeof c->code, "%s", hours ? "volunteer" : "meeting");
    c->hours = hours;
}

static int verify_frame(frame *f)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_VERIFY;
    return encode(&c, 1, "", f);
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Builds the frame named by kind; 0, or -1 for a usage error. */
static int build(const char *kind, const char *arg, frame *f)
{
    jifen_command cmds[2];

    memset(f, 0, sizeof *f);
    if (strcmp(kind, "verify") == 0)
        return verify_frame(f);
    if (strcmp(kind, "garbage") == 0) {
        static const char junk[] = "\xff\xff\xff\xff\x0fnot a protobuf";
        f->len = sizeof junk - 1;
        f->bytes = malloc(f->len);
        if (f->bytes)
            memcpy(f->bytes, junk, f->len);
        return f->bytes ? 0 : -1;
    }
    if (strcmp(kind, "empty") == 0) {
        f->bytes = malloc(1);
        return f->bytes ? 0 : -1;
    }
    if (strcmp(kind, "zeros") == 0 && arg) {
        char *end = NULL;
        unsigned long long n = strtoull(arg, &end, 10);
        if (!end || *end || n == 0 || n > (1ull << 30))
            return -1;
        f->len = (size_t)n;
        f->bytes = calloc(1, f->len);
        return f->bytes ? 0 : -1;
    }
    if (strcmp(kind, "multipart") == 0) {
        if (verify_frame(f) != 0 || f->len < 2)
            return -1;
        f->split = f->len / 2;
        return 0;
    }
    if (strcmp(kind, "truncated") == 0) {
        award_cmd(&cmds[0], 0);
        if (encode(cmds, 1, "raw-truncated", f) != 0 || f->len <= 3)
            return -1;
        f->len -= 3;
        return 0;
    }
    if (strcmp(kind, "unknown-field") == 0) {
        frame v;
        if (verify_frame(&v) != 0)
            return -1;
        f->len = v.len + 2;
        f->bytes = malloc(f->len);
        if (!f->bytes) {
            free(v.bytes);
            return -1;
        }
        memcpy(f->bytes, v.bytes, v.len);
        f->bytes[v.len] = 0x78; /* field 15, varint */
        f->bytes[v.len + 1] = 0x01;
        free(v.bytes);
        return 0;
    }
    if (strcmp(kind, "mixed") == 0) {
        award_cmd(&cmds[0], 0);
        memset(&cmds[1], 0, sizeof cmds[1]);
        cmds[1].kind = JIFEN_CMD_BALANCE;
        snprintf(cmds[1].household, sizeof cmds[1].household, "%s", "raw-1");
        return encode(cmds, 2, "raw-mixed", f);
    }
    if (strcmp(kind, "no-id") == 0) {
        award_cmd(&cmds[0], 0);
        return encode(cmds, 1, "", f);
    }
    if (strcmp(kind, "bad-value") == 0) {
        award_cmd(&cmds[0], 99);
        return encode(cmds, 1, "raw-bad-value", f);
    }
    if (strcmp(kind, "parts") == 0 && arg && atol(arg) >= 1) {
        f->extra_parts = atol(arg) - 1;
        return verify_frame(f);
    }
    if (strcmp(kind, "hex") == 0 && arg) {
        size_t n = strlen(arg);
        if (n % 2)
            return -1;
        f->len = n / 2;
        f->bytes = malloc(f->len ? f->len : 1);
        if (!f->bytes)
            return -1;
        for (size_t i = 0; i < f->len; i++) {
            int hi = hex_value(arg[2 * i]), lo = hex_value(arg[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            f->bytes[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
    }
    return -1;
}

static int send_frame(void *sock, const frame *f)
{
    if (f->extra_parts) {
        if (zmq_send(sock, f->bytes, f->len, ZMQ_SNDMORE) < 0)
            return -1;
        for (long i = 1; i < f->extra_parts; i++)
            if (zmq_send(sock, "x", 1, ZMQ_SNDMORE) < 0)
                return -1;
        return zmq_send(sock, "x", 1, 0) < 0 ? -1 : 0;
    }
    if (f->split) {
        if (zmq_send(sock, f->bytes, f->split, ZMQ_SNDMORE) < 0)
            return -1;
        return zmq_send(sock, f->bytes + f->split, f->len - f->split, 0) < 0
                   ? -1
                   : 0;
    }
    return zmq_send(sock, f->bytes, f->len, 0) < 0 ? -1 : 0;
}

/* Waits for one reply and prints it. 0, 3 (no reply) or 1. */
static int receive_reply(void *sock, int timeout_ms, int dealer)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0) {
        printf("no reply\n");
        return 3;
    }
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, sock, 0) < 0) {
        zmq_msg_close(&msg);
        return 1;
    }
    /* A DEALER sees the ROUTER's empty delimiter; REQ strips it. */
    if (dealer && zmq_msg_size(&msg) == 0 && zmq_msg_more(&msg) &&
        zmq_msg_recv(&msg, sock, 0) < 0) {
        zmq_msg_close(&msg);
        return 1;
    }
    int extra = zmq_msg_more(&msg);
    jifen_reply reply;
    char err[256];
    int rc = 0;
    if (codec_reply_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), &reply, err,
                           sizeof err) != JIFEN_STATUS_OK) {
        printf("undecodable reply (%zu bytes): %s\n", zmq_msg_size(&msg), err);
        rc = 1;
    } else {
        printf("status=%s results=%zu%s error=%s\n",
               jifen_status_name(reply.status), reply.n_results,
               extra ? " multipart-reply" : "", reply.error);
        codec_reply_clear(&reply);
    }
    zmq_msg_close(&msg);
    return rc;
}

/* The client side of CURVE, from JIFEN_KEY and JIFEN_SERVER_KEY. */
static int set_curve(void *sock)
{
    const char *key = getenv("JIFEN_KEY"), *server = getenv("JIFEN_SERVER_KEY");
    uint8_t sec[KEYFILE_KEY_LEN], pub[KEYFILE_KEY_LEN], srv[KEYFILE_KEY_LEN];
    char err[256];
    if (!key || !*key || !server || !*server)
        return 0;
    if (keyfile_read_secret(key, sec, err, sizeof err) != 0 ||
        keyfile_public_of(sec, pub) != 0 ||
        keyfile_read_public(server, srv, err, sizeof err) != 0) {
        fprintf(stderr, "rawsend: %s\n", err);
        return -1;
    }
    return zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, srv, sizeof srv) ||
                   zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, sizeof pub) ||
                   zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, sizeof sec)
               ? -1
               : 0;
}

int main(int argc, char **argv)
{
    int timeout_ms = 3000, count = 1, dealer = 0, pipeline = 0, i = 1;

    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
            count = atoi(argv[++i]);
        else if (strcmp(argv[i], "--dealer") == 0)
            dealer = 1;
        else if (strcmp(argv[i], "--pipeline") == 0)
            pipeline = dealer = 1;
        else
            return usage();
    }
    if (argc - i < 2 || argc - i > 3 || timeout_ms <= 0 || count <= 0)
        return usage();
    const char *endpoint = argv[i], *kind = argv[i + 1];
    const char *arg = argc - i == 3 ? argv[i + 2] : NULL;

    frame f = {0};
    if (build(kind, arg, &f) != 0) {
        free(f.bytes);
        return usage();
    }
    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, dealer ? ZMQ_DEALER : ZMQ_REQ) : NULL;
    int linger = 0, one = 1;
    /* A pipelining sender queues nothing of its own: each send waits until
     * the daemon's side takes the frame, so "sent I" shows its push-back. */
    if (sock && pipeline)
        zmq_setsockopt(sock, ZMQ_SNDHWM, &one, sizeof one);
    if (!sock || zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) ||
        set_curve(sock) != 0 || zmq_connect(sock, endpoint) != 0) {
        fprintf(stderr, "rawsend: %s: %s\n", endpoint,
                zmq_strerror(zmq_errno()));
        return 1;
    }
    int rc = 0;
    for (int n = 0; pipeline && n < count && rc == 0; n++) {
        if (zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0 ||
            send_frame(sock, &f) != 0) {
            fprintf(stderr, "rawsend: send: %s\n", zmq_strerror(zmq_errno()));
            rc = 1;
        }
        fprintf(stderr, "sent %d\n", n + 1);
    }
    for (int n = 0; pipeline && n < count && rc == 0; n++)
        rc = receive_reply(sock, timeout_ms, dealer);
    for (int n = 0; !pipeline && n < count && rc == 0; n++) {
        if (send_frame(sock, &f) != 0) {
            fprintf(stderr, "rawsend: send: %s\n", zmq_strerror(zmq_errno()));
            rc = 1;
            break;
        }
        rc = receive_reply(sock, timeout_ms, dealer);
    }
    zmq_close(sock);
    zmq_ctx_term(ctx);
    free(f.bytes);
    return rc;
}
