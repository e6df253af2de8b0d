#include "server.h"

#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "log.h"
#include "querypool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How many times one group is replayed after growing the map. */
#define GROW_ATTEMPTS 8

typedef struct {
    transport_message msg;
    ledger_caller caller;
    jifen_request request;
    uint8_t digest[JIFEN_HASH_LEN];
    jifen_reply reply;
    uint8_t *reply_bytes; /* the reply as stored, when the ledger kept it */
    size_t reply_len;
} pending;

typedef struct {
    ledger *led;
    transport *tp;
    const server_options *opts;
    pending *writes; /* SERVER_GROUP_REQUESTS of them */
    size_t n_writes;
    size_t n_commands;
    querypool *queries; /* the threads that answer the ledger's queries */
    size_t n_bytes;     /* of the gathered writes' payloads */
} server;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

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

/* Every request is checked against its key's role as the ledger stands
 * now: a key revoked while its connection stays open is refused at its
 * next request. The key comes from ZAP's User-Id, never the routing id. */
static bool permitted(server *s, const transport_message *msg,
                      const jifen_request *req, ledger_caller *caller)
{
    char err[JIFEN_ERROR_MAX + 1];
    jifen_status st = ledger_authorize(s->led, msg->user_id, req, caller, err,
                                       sizeof err);
    if (st == JIFEN_STATUS_OK)
        return true;
    if (st == JIFEN_STATUS_FORBIDDEN)
        log_info("refused %s: %s", msg->user_id[0] ? msg->user_id : "(no key)",
                 err);
    refuse(s, msg, req->request_id, st, err);
    return false;
}

/* Operations queries (stats, checkpoint, the replication feed) are small
 * and bounded, and read the server thread's metrics: answered here. Every
 * other query goes to the query threads as its bytes, queued under its
 * key (querypool.h); a key whose queue is full is told to wait. */
static void answer_query(server *s, transport_message *msg,
                         const jifen_request *req)
{
    jifen_reply reply;
    if (s->opts->ops && ops_handles(req)) {
        if (ops_query(s->opts->ops, s->led, req, &reply) != 0) {
            refuse(s, msg, req->request_id, JIFEN_STATUS_INTERNAL,
                   "out of memory");
            return;
        }
        send_reply(s, msg, &reply);
        codec_reply_clear(&reply);
        return;
    }
    if (querypool_submit(s->queries, s->led, msg->user_id, msg->peer,
                         msg->peer_len, msg->payload, msg->payload_len)) {
        msg->payload = NULL; /* the pool has it */
        msg->payload_len = 0;
        return;
    }
    char why[JIFEN_ERROR_MAX + 1];
    snprintf(why, sizeof why,
             "too many queries of this key are waiting (at most %d, "
             "%u MiB; %u MiB for all keys): retry once their replies came",
             QUERYPOOL_KEY_REQUESTS, QUERYPOOL_KEY_BYTES >> 20,
             QUERYPOOL_TOTAL_BYTES >> 20);
    refuse(s, msg, req->request_id, JIFEN_STATUS_BUSY, why);
}

/* Sends every reply the query threads finished. */
static void send_answers(server *s)
{
    querypool_reply r;
    while (querypool_take(s->queries, &r)) {
        transport_send(s->tp, r.peer, r.peer_len, r.bytes, r.len);
        querypool_reply_clear(&r);
    }
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
    if (!permitted(s, msg, &p->request, &p->caller)) {
        codec_request_clear(&p->request);
        return false;
    }
    bool write = jifen_command_is_write(p->request.commands[0].kind);
    if (s->opts->ops)
        ops_record_request(s->opts->ops, msg->peer, msg->peer_len, write);
    if (!write || s->opts->read_only) {
        if (write)
            refuse(s, msg, p->request.request_id, JIFEN_STATUS_FORBIDDEN,
                   "this is a read-only replica: send writes to the primary");
        else
            answer_query(s, msg, &p->request);
        codec_request_clear(&p->request);
        return false;
    }
    hash_request_digest(&p->request, p->digest);
    p->msg = *msg; /* takes the payload */
    memset(msg, 0, sizeof *msg);
    s->n_commands += p->request.n_commands;
    s->n_bytes += p->msg.payload_len;
    s->n_writes++;
    return true;
}

static void clear_reply(pending *p)
{
    codec_reply_clear(&p->reply);
    free(p->reply_bytes);
    p->reply_bytes = NULL;
    p->reply_len = 0;
}

static void clear_replies(server *s)
{
    for (size_t i = 0; i < s->n_writes; i++)
        clear_reply(&s->writes[i]);
}

/* A write's reply: the bytes the ledger stored, or an encoding. */
static void send_write_reply(server *s, const pending *p)
{
    if (p->reply_bytes)
        transport_send(s->tp, p->msg.peer, p->msg.peer_len, p->reply_bytes,
                       p->reply_len);
    else
        send_reply(s, &p->msg, &p->reply);
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
        le = ledger_apply(s->led, &p->request, p->digest, &p->caller, now,
                          &p->reply);
        if (le == LEDGER_OK)
            ledger_take_reply_bytes(s->led, &p->reply_bytes, &p->reply_len);
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

/* Applies and commits the group, growing the map and replaying when it is
 * full. Runs on the committer thread. */
static ledger_error commit_with_growth(server *s)
{
    ledger_error le = apply_group(s);
    for (int i = 0; le == LEDGER_FULL && i < GROW_ATTEMPTS; i++) {
        if (ledger_grow(s->led) != LEDGER_OK)
            break;
        le = apply_group(s);
    }
    return le;
}

static void clear_group(server *s)
{
    for (size_t i = 0; i < s->n_writes; i++) {
        pending *p = &s->writes[i];
        clear_reply(p);
        codec_request_clear(&p->request);
        transport_message_clear(&p->msg);
    }
    s->n_writes = 0;
    s->n_commands = 0;
    s->n_bytes = 0;
}

/* Replies to a group whose commit returned `le`: only now, after the
 * commit, does any of its clients hear back. Returns -1 when the daemon
 * must stop. */
static int finish_group(server *s, ledger_error le, uint64_t commit_us)
{
    int rc = 0;
    if (le == LEDGER_OK && s->opts->ops)
        ops_record_commit(s->opts->ops, s->n_writes, commit_us);
    if (le == LEDGER_OK) {
        for (size_t i = 0; i < s->n_writes; i++)
            send_write_reply(s, &s->writes[i]);
    } else if (le == LEDGER_IO) {
        /* The disk failed under a commit: after EIO nothing about the file
         * can be trusted, so stop rather than retry (docs/architecture.md, "Durability").
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
    clear_group(s);
    return rc;
}

/*
 * The committer: a thread that owns LMDB's write transaction and does
 * nothing else. While it waits for the disk (a commit is mostly fsync),
 * the server thread keeps receiving, decoding, answering queries and
 * gathering the next group, then sends this group's replies once the
 * commit returned. Only the server thread touches the socket.
 */
typedef struct {
    server group; /* the group in flight; its own pending array */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool has_work; /* under lock: a group was handed over */
    bool quit;     /* under lock */
    bool busy;     /* server thread only: a group is out, not yet finished */
    ledger_error result;
    uint64_t commit_us; /* under lock: how long apply + commit took */
    int done[2]; /* pipe: one byte per finished group, to wake the poll */
} committer;

static void *committer_main(void *arg)
{
    committer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->has_work && !c->quit)
            pthread_cond_wait(&c->wake, &c->lock);
        if (!c->has_work)
            break;
        pthread_mutex_unlock(&c->lock);
        uint64_t started = now_us();
        ledger_error le = commit_with_growth(&c->group);
        uint64_t took = now_us() - started;
        pthread_mutex_lock(&c->lock);
        c->result = le;
        c->commit_us = took;
        c->has_work = false;
        if (write(c->done[1], "", 1) != 1)
            log_error("cannot wake the server thread");
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static int committer_start(committer *c, const server *s)
{
    memset(c, 0, sizeof *c);
    c->group = *s;
    c->group.writes = calloc(SERVER_GROUP_REQUESTS, sizeof(pending));
    c->done[0] = c->done[1] = -1;
    if (!c->group.writes || pipe(c->done) != 0) {
        free(c->group.writes);
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
        close(c->done[0]);
        close(c->done[1]);
        free(c->group.writes);
        return -1;
    }
    return 0;
}

static void committer_stop(committer *c)
{
    pthread_mutex_lock(&c->lock);
    c->quit = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    clear_group(&c->group);
    free(c->group.writes);
    close(c->done[0]);
    close(c->done[1]);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
}

/* Gives the gathered group to the committer, and takes its empty array
 * back for the next one. */
static void hand_over(server *s, committer *c)
{
    pending *spare = c->group.writes;
    c->group.writes = s->writes;
    c->group.n_writes = s->n_writes;
    c->group.n_commands = s->n_commands;
    c->group.n_bytes = s->n_bytes;
    s->writes = spare;
    s->n_writes = 0;
    s->n_commands = 0;
    s->n_bytes = 0;
    c->busy = true;
    pthread_mutex_lock(&c->lock);
    c->has_work = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
}

/* The committer finished: reply to its group. */
static int collect(committer *c)
{
    char byte;
    if (read(c->done[0], &byte, 1) != 1)
        return 0; /* spurious wake-up; the group is still out */
    pthread_mutex_lock(&c->lock);
    ledger_error le = c->result;
    uint64_t took = c->commit_us;
    pthread_mutex_unlock(&c->lock);
    c->busy = false;
    return finish_group(&c->group, le, took);
}

static bool group_full(const server *s)
{
    return s->n_writes == SERVER_GROUP_REQUESTS ||
           s->n_commands >= SERVER_GROUP_COMMANDS ||
           s->n_bytes >= SERVER_GROUP_BYTES;
}

/* Tests only: while the file named by --test-hold-reads exists, the loop
 * leaves requests in the socket, as it does when a full group waits for
 * the committer, so that a test can see what libzmq then holds. */
static bool holding_reads(const server_options *opts)
{
    return opts->test_hold_reads && access(opts->test_hold_reads, F_OK) == 0;
}

/* Takes whatever is already waiting on the socket, never waiting for more
 * to arrive: queries are answered at once, writes join the group. */
static void gather(server *s)
{
    transport_message msg;
    while (!group_full(s) && transport_recv(s->tp, &msg, 0) == 1) {
        admit(s, &msg);
        transport_message_clear(&msg);
    }
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

/* Readers that died while jifend runs (a backup or an export killed)
 * pin pages until their slots are cleared: look for them every
 * SERVER_READER_CHECK_MS, from the loop's idle turn. */
static void check_readers(server *s, uint64_t *last_us)
{
    uint64_t now = now_us();
    if (now - *last_us < (uint64_t)SERVER_READER_CHECK_MS * 1000u)
        return;
    *last_us = now;
    int dead = storage_reader_check(ledger_storage(s->led));
    if (dead > 0)
        log_warn("reclaimed %d stale reader slot(s) of processes that died "
                 "reading the ledger",
                 dead);
}

int server_run(ledger *led, transport *tp, const server_options *opts,
               volatile sig_atomic_t *stop)
{
    server s = {led, tp, opts, calloc(SERVER_GROUP_REQUESTS, sizeof(pending)),
                0, 0, querypool_new(QUERYPOOL_THREADS, false), 0};
    committer c;
    if (!s.writes || !s.queries || committer_start(&c, &s) != 0) {
        log_error("out of memory, or no threads for the committer and the "
                  "queries");
        querypool_destroy(&s.queries);
        free(s.writes);
        return -1;
    }
    int rc = 0;
    uint64_t readers_checked_us = now_us();
    while (rc == 0) {
        bool stopping = *stop;
        check_readers(&s, &readers_checked_us);
        /* Rule-set reloads and time-driven postings (notice windows ending,
         * expiry) use the ledger's write transaction too: they run between
         * groups, while the committer holds none. */
        if (!c.busy && !stopping) {
            maybe_reload(opts);
            /* A replica writes only what its primary wrote: the primary's
             * releases and expiries reach it through the feed, and a timer
             * of its own would fork its journal from the primary's. */
            rc = opts->read_only ? 0 : run_timers(&s);
            if (rc != 0)
                break;
        }
        /* The group goes out as soon as the committer is free: the
         * requests that arrive during a commit make the next group. */
        if (!c.busy && s.n_writes > 0)
            hand_over(&s, &c);
        if (stopping && !c.busy && s.n_writes == 0)
            break; /* the commit in flight, and what it left, are done */
        bool take = !stopping && !group_full(&s) && !holding_reads(opts);
        int ready = transport_wait(tp, c.done[0], querypool_fd(s.queries),
                                   take, 200);
        if (ready > 0 && (ready & TRANSPORT_READY_FD))
            rc = collect(&c);
        if (ready > 0 && (ready & TRANSPORT_READY_FD2))
            send_answers(&s);
        if (ready > 0 && (ready & TRANSPORT_READY_MESSAGE) && rc == 0)
            gather(&s);
        /* Replication writes through the ledger too: only while the
         * committer holds no group, so one write transaction at a time. */
        if (opts->idle && !c.busy)
            opts->idle(opts->idle_ctx);
    }
    committer_stop(&c);
    querypool_destroy(&s.queries);
    clear_group(&s);
    free(s.writes);
    return rc;
}
