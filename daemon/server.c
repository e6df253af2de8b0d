#include "server.h"

#include "clock.h"
#include "codec.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How many times one group is replayed after growing the map. */
#define GROW_ATTEMPTS 8

typedef struct {
    transport_message msg;
    jifen_request request;
    uint8_t digest[JIFEN_HASH_LEN];
    jifen_reply reply;
} pending;

typedef struct {
    ledger *led;
    transport *tp;
    const server_options *opts;
    pending *writes; /* SERVER_GROUP_REQUESTS of them */
    size_t n_writes;
    size_t n_commands;
} server;

/* The real clock, or the test clock file (clock.h). */
static int64_t now_ms(void)
{
    return clock_now_ms();
}

static void send_reply(server *s, const transport_message *msg,
                       const jifen_reply *reply)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (codec_reply_encode(reply, &bytes, &len) != 0) {
        log_error("out of memory encoding a reply");
        return;
    }
    transport_send(s->tp, msg->peer, msg->peer_len, bytes, len);
    free(bytes);
}

/* Answers a whole request with one status and no results. */
static void refuse(server *s, const transport_message *msg,
                   const char *request_id, jifen_status status,
                   const char *error)
{
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    snprintf(reply.request_id, sizeof reply.request_id, "%s",
             request_id ? request_id : "");
    reply.status = status;
    snprintf(reply.error, sizeof reply.error, "%s", error);
    send_reply(s, msg, &reply);
}

static void answer_query(server *s, const transport_message *msg,
                         const jifen_request *req)
{
    jifen_reply reply;
    if (ledger_query(s->led, req, &reply) != LEDGER_OK) {
        refuse(s, msg, req->request_id, JIFEN_STATUS_INTERNAL,
               ledger_strerror(s->led));
        return;
    }
    send_reply(s, msg, &reply);
    codec_reply_clear(&reply);
}

/*
 * Takes one received message apart. A query is answered at once (readers do
 * not wait for the writer); a write joins the group. Returns true when it
 * joined the group.
 */
static bool admit(server *s, transport_message *msg)
{
    static const char *const malformed[] = {
        [TRANSPORT_MESSAGE_MULTIPART] =
            "a request must be a single frame (no multipart payloads)",
        [TRANSPORT_MESSAGE_TOO_LARGE] = "the request frame is too large",
        [TRANSPORT_MESSAGE_NO_ENVELOPE] =
            "missing empty delimiter frame before the request "
            "(use REQ, or DEALER with an empty first frame)",
    };
    if (msg->state != TRANSPORT_MESSAGE_OK) {
        refuse(s, msg, NULL,
               msg->state == TRANSPORT_MESSAGE_TOO_LARGE
                   ? JIFEN_STATUS_TOO_LARGE
                   : JIFEN_STATUS_BAD_REQUEST,
               malformed[msg->state]);
        return false;
    }
    pending *p = &s->writes[s->n_writes];
    char err[JIFEN_ERROR_MAX + 1];
    jifen_status st = codec_request_decode(msg->payload, msg->payload_len,
                                           &p->request, err, sizeof err);
    if (st != JIFEN_STATUS_OK) {
        refuse(s, msg, NULL, st, err);
        return false;
    }
    if (!jifen_command_is_write(p->request.commands[0].kind)) {
        answer_query(s, msg, &p->request);
        codec_request_clear(&p->request);
        return false;
    }
    if (codec_request_digest(&p->request, p->digest) != 0) {
        refuse(s, msg, p->request.request_id, JIFEN_STATUS_INTERNAL,
               "out of memory");
        codec_request_clear(&p->request);
        return false;
    }
    p->msg = *msg; /* takes the payload */
    memset(msg, 0, sizeof *msg);
    s->n_commands += p->request.n_commands;
    s->n_writes++;
    return true;
}

static void clear_replies(server *s)
{
    for (size_t i = 0; i < s->n_writes; i++)
        codec_reply_clear(&s->writes[i].reply);
}

/* One attempt at the whole group in one transaction. */
static ledger_error apply_group(server *s)
{
    ledger_error le = ledger_write_begin(s->led);
    if (le != LEDGER_OK)
        return le;
    int64_t now = now_ms();
    for (size_t i = 0; i < s->n_writes && le == LEDGER_OK; i++) {
        pending *p = &s->writes[i];
        le = ledger_apply(s->led, &p->request, p->digest, s->opts->author, now,
                          &p->reply);
    }
    if (le != LEDGER_OK) {
        ledger_write_abort(s->led);
        clear_replies(s);
        return le;
    }
    le = ledger_write_commit(s->led);
    if (le != LEDGER_OK)
        clear_replies(s);
    return le;
}

/* Commits the group, growing the map and replaying when it is full, then
 * replies. Returns -1 when the daemon must stop. */
static int commit_group(server *s)
{
    ledger_error le = apply_group(s);
    for (int i = 0; le == LEDGER_FULL && i < GROW_ATTEMPTS; i++) {
        if (ledger_grow(s->led) != LEDGER_OK)
            break;
        le = apply_group(s);
    }
    int rc = 0;
    if (le == LEDGER_OK) {
        for (size_t i = 0; i < s->n_writes; i++)
            send_reply(s, &s->writes[i].msg, &s->writes[i].reply);
    } else if (le == LEDGER_IO) {
        /* The disk failed under a commit: after EIO nothing about the file
         * can be trusted, so stop rather than retry (DESIGN.md section 4).
         * Clients get no reply and keep their request ids for a retry. */
        log_error("I/O error on commit, stopping: %s", ledger_strerror(s->led));
        rc = -1;
    } else {
        log_error("commit of %zu request(s) failed: %s", s->n_writes,
                  ledger_strerror(s->led));
        for (size_t i = 0; i < s->n_writes; i++)
            refuse(s, &s->writes[i].msg, s->writes[i].request.request_id,
                   le == LEDGER_FULL ? JIFEN_STATUS_LEDGER_FULL
                                     : JIFEN_STATUS_INTERNAL,
                   le == LEDGER_FULL
                       ? "the ledger is full; nothing of this request was "
                         "committed"
                       : "storage failure; nothing of this request was "
                         "committed");
    }
    for (size_t i = 0; i < s->n_writes; i++) {
        pending *p = &s->writes[i];
        codec_reply_clear(&p->reply);
        codec_request_clear(&p->request);
        transport_message_clear(&p->msg);
    }
    s->n_writes = 0;
    s->n_commands = 0;
    return rc;
}

/* Configuration swapped between turns, never under a transaction. */
static void maybe_reload(const server_options *opts)
{
    if (opts->reload && *opts->reload && opts->on_reload) {
        *opts->reload = 0;
        opts->on_reload(opts->reload_arg);
    }
}

/* Time-driven work (public notice windows ending) runs every turn, also
 * when no client sends anything: the poll above wakes at least every 200 ms.
 * Returns -1 when the daemon must stop. */
static int run_timers(server *s)
{
    ledger_error le = ledger_tick(s->led, now_ms());
    if (le == LEDGER_FULL && ledger_grow(s->led) == LEDGER_OK)
        le = ledger_tick(s->led, now_ms());
    if (le == LEDGER_IO) {
        log_error("I/O error on commit, stopping: %s", ledger_strerror(s->led));
        return -1;
    }
    if (le != LEDGER_OK)
        log_error("timer: %s (retried on the next turn)",
                  ledger_strerror(s->led));
    return 0;
}

int server_run(ledger *led, transport *tp, const server_options *opts,
               volatile sig_atomic_t *stop)
{
    server s = {led, tp, opts, calloc(SERVER_GROUP_REQUESTS, sizeof(pending)),
                0, 0};
    if (!s.writes) {
        log_error("out of memory");
        return -1;
    }
    int rc = 0;
    while (!*stop && rc == 0) {
        maybe_reload(opts);
        transport_message msg;
        /* Block for the first message, then take whatever else is already
         * waiting: that is the group. Never wait for more to arrive. */
        int got = transport_recv(tp, &msg, 200);
        while (got == 1) {
            admit(&s, &msg);
            transport_message_clear(&msg);
            if (s.n_writes == SERVER_GROUP_REQUESTS ||
                s.n_commands >= SERVER_GROUP_COMMANDS)
                break;
            got = transport_recv(tp, &msg, 0);
        }
        if (s.n_writes > 0)
            rc = commit_group(&s);
        if (rc == 0)
            rc = run_timers(&s);
    }
    free(s.writes);
    return rc;
}
