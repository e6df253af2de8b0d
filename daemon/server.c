/*
 * server - jifend's event loop; see server.h.
 *
 * Each ledger (a community's, or the service's own) is a lane: the write
 * requests gathered for it, and whether a committer holds it. A committer
 * is a thread that owns one lane's write transaction at a time: it applies
 * the lane's whole group, commits once, and hands it back, or runs the
 * lane's timer (notices released, points expired). Lanes of different
 * communities commit on different committers at once (LMDB has one writer
 * per environment, not per process), so one community's fsync never waits
 * for another's; one lane is never held by two committers, so a
 * community's entries stay in one serial order. Only the server thread
 * touches the socket, and it replies to a group only after its commit
 * returned. A community's queries go to the query threads (querypool.h),
 * which serve every ledger.
 */
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

/* Lingering (dispatch_groups): how long a lane's group may wait, after
 * its last commit, for the writers that commit answered (the commit's own
 * time, at most group_linger_us of the configuration, server_options'
 * linger_max_us; 0, the default, never); and the share of them, in
 * 1/RETURN_UNIT, that must have come back in time after the commits
 * before for the lane to wait at all: three in four, writers that come
 * straight back (a storm, an import), not clients that read between
 * writes. It pays where a commit's fsync is slow beside a round trip to
 * the clients (a busy disk: the storm's p99 44 -> 25 ms at load 5-9) and
 * costs where it is not, the committer idling while it waits (a quiet
 * machine: the storm 13-36 % slower with it, its p99 6.5 -> 8-10 ms;
 * docs/performance.md, "Lingering, measured again"). */
#define RETURN_UNIT 256u
#define RETURN_NEEDED (RETURN_UNIT * 3 / 4)
/* ... and only for groups of small requests (awards, redemptions: a few
 * commands each), whose commit costs more than their apply; a group of
 * 1,000-bill requests keeps the committer busy applying, and waiting for
 * the next batch would only idle it. */
#define LINGER_COMMANDS_MAX 16u

typedef struct {
    transport_message msg;
    ledger_caller caller;
    jifen_request request;
    uint8_t digest[JIFEN_HASH_LEN];
    jifen_reply reply;
    uint8_t *reply_bytes; /* the reply as stored, when the ledger kept it */
    size_t reply_len;
} pending;

/* The requests of one group, for one ledger. */
typedef struct {
    pending *items;
    size_t n, cap;
    size_t n_commands;
    size_t n_bytes; /* of the requests' payloads */
} group;

typedef struct lane {
    ledger *led;
    bool service;   /* the service's own ledger */
    group gathered; /* waiting for a committer */
    bool busy;      /* a committer holds the lane */
    bool ready;     /* in the ready list */
    struct lane *next_ready;
    /* The writers the lane's last commit answered, how many of them have
     * sent their next write within the window after it, and the smoothed
     * share that did so after the commits before (dispatch_groups). */
    uint32_t answered, returned;
    bool small; /* the last commit's requests were small (lingering) */
    uint64_t window_end_us;
    uint32_t return_rate; /* in 1/RETURN_UNIT */
} lane;

typedef enum { JOB_GROUP, JOB_TICK } job_kind;

typedef struct {
    struct server *srv;
    int id;
    pthread_t thread;
    /* Signalled when this committer gets a job (or must quit): one
     * condition each, so that a hand-over wakes the one committer it is
     * for, not all of them (8 by default) to find nothing to do. */
    pthread_cond_t wake;
    /* Under srv->lock: */
    bool has_work, done, quit;
    lane *lane;
    job_kind job;
    group work; /* the group in flight: its own array */
    ledger_error result;
    uint64_t took_us;
    outbox_result published; /* of a committed group (outbox.h) */
    bool fenced;              /* refused before anything was applied */
    char why[320];            /* ... because */
} committer;

typedef struct server {
    service *svc;
    transport *tp;
    const server_options *opts;
    /* Lanes by ledger: an open-addressing table (communities come and
     * go only by creation, so it only grows). */
    lane **lanes;
    size_t n_lanes, cap_lanes;
    lane *ready_head, *ready_tail;
    size_t full_lanes; /* lanes whose gathered group is full */
    committer *committers;
    int n_committers;
    pthread_mutex_t lock;
    int done_pipe[2]; /* a byte per finished job, to wake the poll */
    querypool *queries; /* the threads that answer communities' queries */
    /* When dispatch_timers looks again, and whether a due timer waits
     * for a committer (then it looks at every turn). */
    uint64_t timers_next_us;
    bool timers_left;
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

/* --- replies ------------------------------------------------------------------- */

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

/* --- lanes --------------------------------------------------------------------- */

static size_t lane_slot(const server *s, const ledger *led)
{
    uintptr_t h = (uintptr_t)led;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 7) & (s->cap_lanes - 1);
}

static int lanes_grow(server *s)
{
    size_t cap = s->cap_lanes ? s->cap_lanes * 2 : 64;
    lane **bigger = calloc(cap, sizeof *bigger);
    if (!bigger)
        return -1;
    lane **old = s->lanes;
    size_t old_cap = s->cap_lanes;
    s->lanes = bigger;
    s->cap_lanes = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i])
            continue;
        size_t j = lane_slot(s, old[i]->led);
        while (s->lanes[j])
            j = (j + 1) & (cap - 1);
        s->lanes[j] = old[i];
    }
    free(old);
    return 0;
}

/* The lane of a ledger, made on first use; NULL when out of memory. */
static lane *lane_of(server *s, ledger *led)
{
    if ((s->n_lanes + 1) * 2 > s->cap_lanes && lanes_grow(s) != 0)
        return NULL;
    size_t i = lane_slot(s, led);
    while (s->lanes[i] && s->lanes[i]->led != led)
        i = (i + 1) & (s->cap_lanes - 1);
    if (!s->lanes[i]) {
        lane *l = calloc(1, sizeof *l);
        if (!l)
            return NULL;
        l->led = led;
        l->service = led == service_ledger(s->svc);
        s->lanes[i] = l;
        s->n_lanes++;
    }
    return s->lanes[i];
}

static bool group_full(const group *g)
{
    return g->n == SERVER_GROUP_REQUESTS ||
           g->n_commands >= SERVER_GROUP_COMMANDS ||
           g->n_bytes >= SERVER_GROUP_BYTES;
}

/* Room for one more request in g: 0, or -1 when out of memory. */
static int group_room(group *g)
{
    if (g->n < g->cap)
        return 0;
    size_t cap = g->cap ? g->cap * 2 : 16;
    if (cap > SERVER_GROUP_REQUESTS)
        cap = SERVER_GROUP_REQUESTS;
    pending *p = realloc(g->items, cap * sizeof *p);
    if (!p)
        return -1;
    g->items = p;
    g->cap = cap;
    return 0;
}

static void clear_reply(pending *p)
{
    codec_reply_clear(&p->reply);
    free(p->reply_bytes);
    p->reply_bytes = NULL;
    p->reply_len = 0;
}

static void group_clear(group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        pending *p = &g->items[i];
        clear_reply(p);
        codec_request_clear(&p->request);
        transport_message_clear(&p->msg);
    }
    g->n = 0;
    g->n_commands = 0;
    g->n_bytes = 0;
}

static void mark_ready(server *s, lane *l)
{
    if (l->ready || l->busy || l->gathered.n == 0)
        return;
    l->ready = true;
    l->next_ready = NULL;
    if (s->ready_tail)
        s->ready_tail->next_ready = l;
    else
        s->ready_head = l;
    s->ready_tail = l;
}

/* Whether the lane's group waits for the writers its last commit
 * answered: they usually come back within a network round trip, and one
 * commit for all of them costs about what one commit for half of them
 * does (two device round trips either way, docs/performance.md session 4).
 * Only while enough of them came back in time after the commits before
 * (a desk that reads between writes never makes a lane wait), for at most
 * the window, and never past a full group. */
static bool lingering(const lane *l, uint64_t now)
{
    if (!l->small || l->return_rate < RETURN_NEEDED ||
        now >= l->window_end_us || group_full(&l->gathered))
        return false;
    uint64_t expected = (uint64_t)l->answered * l->return_rate / RETURN_UNIT;
    return l->returned < expected;
}

/* The first ready lane whose group need not linger, out of the list;
 * *waiting says whether one lingers. */
static lane *take_ready(server *s, bool linger, bool *waiting)
{
    uint64_t now = linger ? now_us() : 0;
    lane *prev = NULL;
    for (lane *l = s->ready_head; l; prev = l, l = l->next_ready) {
        if (linger && lingering(l, now)) {
            *waiting = true;
            continue;
        }
        if (prev)
            prev->next_ready = l->next_ready;
        else
            s->ready_head = l->next_ready;
        if (s->ready_tail == l)
            s->ready_tail = prev;
        l->ready = false;
        return l;
    }
    return NULL;
}

/* A commit answered n writers of the lane: the window for their return
 * opens (as long as the commit took, at most `max_us`), and the last
 * window's share of returns joins the rate. */
static void watch_returns(lane *l, const group *g, uint64_t commit_us,
                          uint64_t max_us)
{
    size_t n = g->n;
    l->small = g->n_commands <= n * LINGER_COMMANDS_MAX;
    if (l->answered) {
        uint32_t share = (uint32_t)((uint64_t)l->returned * RETURN_UNIT /
                                    l->answered);
        l->return_rate = (3 * l->return_rate + share) / 4;
    }
    l->answered = (uint32_t)n;
    l->returned = 0;
    l->window_end_us =
        now_us() + (commit_us < max_us ? commit_us : max_us);
}

/* --- taking requests in ---------------------------------------------------------- */

/* The service's community list and roll-up go to the query threads too,
 * answered from a view of the communities taken here (the array of
 * communities changes only on this thread; the ledgers stay open): a
 * roll-up reads every community's ledger. False when the key's queue is
 * full (nothing taken). */
static bool offload_service_query(server *s, transport_message *msg,
                                  const ledger_caller *caller)
{
    service_view *v = service_view_of(s->svc, caller);
    if (!v)
        return false;
    if (!querypool_submit_task(s->queries, service_view_query, v,
                               service_view_free, msg->user_id, msg->peer,
                               msg->peer_len, msg->payload,
                               msg->payload_len)) {
        service_view_free(v);
        return false;
    }
    msg->payload = NULL; /* the pool has it */
    msg->payload_len = 0;
    return true;
}

/*
 * Operations queries (stats, checkpoint, the replication feed) are small
 * and bounded, and read the server thread's metrics; the service ledger's
 * own (its key list, its verify) are small: these are answered here.
 * Every community query goes to the query threads as its bytes, queued
 * under its key (querypool.h), and so do the service's community list and
 * roll-up; a key whose queue is full is told to wait.
 */
static void answer_query(server *s, transport_message *msg, ledger *target,
                         const ledger_caller *caller, const jifen_request *req)
{
    jifen_reply reply;
    int rc;
    bool of_service = target == service_ledger(s->svc);
    if (s->opts->ops && ops_handles(req))
        rc = ops_query(s->opts->ops, target, req, &reply);
    else if (of_service && service_view_answers(req) &&
             offload_service_query(s, msg, caller))
        return;
    else if (of_service && !service_view_answers(req))
        rc = service_query(s->svc, caller, req, &reply);
    else if (!of_service &&
             querypool_submit(s->queries, target, msg->user_id, msg->peer,
                              msg->peer_len, msg->payload,
                              msg->payload_len)) {
        msg->payload = NULL; /* the pool has it */
        msg->payload_len = 0;
        return;
    } else {
        char why[JIFEN_ERROR_MAX + 1];
        snprintf(why, sizeof why,
                 "too many queries of this key are waiting (at most %d, "
                 "%u MiB; %u MiB for all keys): retry once their replies "
                 "came",
                 QUERYPOOL_KEY_REQUESTS, QUERYPOOL_KEY_BYTES >> 20,
                 QUERYPOOL_TOTAL_BYTES >> 20);
        refuse(s, msg, req->request_id, JIFEN_STATUS_BUSY, why);
        return;
    }
    if (rc != 0) {
        refuse(s, msg, req->request_id, JIFEN_STATUS_INTERNAL,
               "out of memory");
        return;
    }
    send_reply(s, msg, &reply);
    codec_reply_clear(&reply);
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
 * Takes one received message apart: decoded, routed to its ledger
 * (service_route), checked against its key's role as the ledger stands now
 * (a key revoked while its connection stays open is refused at its next
 * request; the key comes from ZAP's User-Id, never the routing id). A query
 * is answered at once (readers do not wait for the writer); a write joins
 * its ledger's group.
 */
static void admit(server *s, transport_message *msg)
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
        return;
    }
    pending p;
    memset(&p, 0, sizeof p);
    char err[JIFEN_ERROR_MAX + 1];
    jifen_status st = codec_request_decode(msg->payload, msg->payload_len,
                                           &p.request, err, sizeof err);
    if (st != JIFEN_STATUS_OK) {
        refuse(s, msg, NULL, st, err);
        return;
    }
    ledger *target = NULL;
    const community_record *rec = NULL;
    st = service_route(s->svc, &p.request, &target, &rec, err, sizeof err);
    if (st == JIFEN_STATUS_OK) {
        if (!msg->user_id[0]) {
            st = JIFEN_STATUS_FORBIDDEN;
            snprintf(err, sizeof err, "no authenticated key");
        } else {
            st = service_authorize(s->svc, msg->user_id, target, rec,
                                   &p.request, &p.caller, err, sizeof err);
        }
        if (st == JIFEN_STATUS_FORBIDDEN)
            log_info("refused %s: %s", msg->user_id[0] ? msg->user_id
                                                       : "(no key)",
                     err);
    }
    if (st != JIFEN_STATUS_OK) {
        refuse(s, msg, p.request.request_id, st, err);
        codec_request_clear(&p.request);
        return;
    }
    bool write = jifen_command_is_write(p.request.commands[0].kind);
    if (s->opts->ops)
        ops_record_request(s->opts->ops, msg->peer, msg->peer_len, write);
    if (!write || s->opts->read_only) {
        if (write)
            refuse(s, msg, p.request.request_id, JIFEN_STATUS_FORBIDDEN,
                   "this is a read-only replica: send writes to the primary");
        else
            answer_query(s, msg, target, &p.caller, &p.request);
        codec_request_clear(&p.request);
        return;
    }
    lane *l = lane_of(s, target);
    if (!l || group_room(&l->gathered) != 0) {
        refuse(s, msg, p.request.request_id, JIFEN_STATUS_INTERNAL,
               "out of memory");
        codec_request_clear(&p.request);
        return;
    }
    hash_request_digest(&p.request, p.digest);
    p.msg = *msg; /* takes the payload */
    memset(msg, 0, sizeof *msg);
    if (l->returned < l->answered && now_us() < l->window_end_us)
        l->returned++;
    group *g = &l->gathered;
    g->items[g->n++] = p;
    g->n_commands += p.request.n_commands;
    g->n_bytes += p.msg.payload_len;
    if (group_full(g))
        s->full_lanes++;
    mark_ready(s, l);
}

/* --- the committers -------------------------------------------------------------- */

/* One attempt at the whole group in one transaction. */
static ledger_error apply_group(ledger *led, group *g)
{
    ledger_error le = ledger_write_begin(led);
    if (le != LEDGER_OK)
        return le;
    int64_t now = now_ms();
    for (size_t i = 0; i < g->n && le == LEDGER_OK; i++) {
        pending *p = &g->items[i];
        le = ledger_apply(led, &p->request, p->digest, &p->caller, now,
                          &p->reply);
        if (le == LEDGER_OK)
            ledger_take_reply_bytes(led, &p->reply_bytes, &p->reply_len);
    }
    if (le != LEDGER_OK) {
        ledger_write_abort(led);
        for (size_t i = 0; i < g->n; i++)
            clear_reply(&g->items[i]);
        return le;
    }
    le = ledger_write_commit(led);
    if (le != LEDGER_OK)
        for (size_t i = 0; i < g->n; i++)
            clear_reply(&g->items[i]);
    return le;
}

/* The job, growing the map and replaying when it is full; then its
 * entries to the stream. A ledger another jifend now appends to (fenced)
 * writes nothing more. */
static ledger_error run_job(committer *c)
{
    ledger *led = c->lane->led;
    outbox *ob = c->srv->opts->outbox;
    c->published = OUTBOX_ACKED;
    c->fenced = ob && outbox_fenced(ob, led, c->why, sizeof c->why);
    if (c->fenced)
        return LEDGER_OK;
    ledger_error le = c->job == JOB_GROUP ? apply_group(led, &c->work)
                                          : ledger_tick(led, now_ms());
    for (int i = 0; le == LEDGER_FULL && i < GROW_ATTEMPTS; i++) {
        if (ledger_grow(led) != LEDGER_OK)
            break;
        le = c->job == JOB_GROUP ? apply_group(led, &c->work)
                                 : ledger_tick(led, now_ms());
    }
    if (le == LEDGER_OK && ob) {
        c->published = outbox_committed(
            ob, led, c->job == JOB_GROUP && outbox_replicated(ob));
        if (c->published == OUTBOX_FENCED)
            outbox_fenced(ob, led, c->why, sizeof c->why);
    }
    return le;
}

static void *committer_main(void *arg)
{
    committer *c = arg;
    server *s = c->srv;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!c->has_work && !c->quit)
            pthread_cond_wait(&c->wake, &s->lock);
        if (!c->has_work)
            break;
        pthread_mutex_unlock(&s->lock);
        uint64_t started = now_us();
        ledger_error le = run_job(c);
        uint64_t took = now_us() - started;
        pthread_mutex_lock(&s->lock);
        c->result = le;
        c->took_us = took;
        c->has_work = false;
        c->done = true;
        if (write(s->done_pipe[1], "", 1) != 1)
            log_error("cannot wake the server thread");
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static bool committer_idle(const committer *c)
{
    return c->lane == NULL;
}

/* Gives a lane's job to an idle committer. */
static void hand_over(server *s, committer *c, lane *l, job_kind job)
{
    if (job == JOB_GROUP) {
        group spare = c->work;
        c->work = l->gathered;
        l->gathered = spare;
        l->gathered.n = 0;
        l->gathered.n_commands = 0;
        l->gathered.n_bytes = 0;
        if (group_full(&c->work))
            s->full_lanes--;
    }
    l->busy = true;
    pthread_mutex_lock(&s->lock);
    c->lane = l;
    c->job = job;
    c->has_work = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&s->lock);
}

/* A group the stream did not take: fenced (before anything was applied,
 * or while its commit was being published), or not acknowledged in time
 * (committed here, and published later). Nothing is acknowledged. */
static void refuse_unpublished(server *s, const committer *c, group *g)
{
    char why[JIFEN_ERROR_MAX + 1];
    jifen_status st = JIFEN_STATUS_FENCED;
    if (c->fenced || c->published == OUTBOX_FENCED)
        snprintf(why, sizeof why,
                 "this jifend is no longer the primary of this "
                 "ledger (%.120s); nothing of this request is acknowledged: "
                 "send it to the primary",
                 c->why);
    else {
        st = JIFEN_STATUS_NOT_REPLICATED;
        snprintf(why, sizeof why,
                 "the NATS stream did not acknowledge this write in time: "
                 "nothing of this request is acknowledged. It is kept here "
                 "and reaches the stream when it answers; retry with the "
                 "same request id to learn the outcome");
    }
    for (size_t i = 0; i < g->n; i++)
        refuse(s, &g->items[i].msg, g->items[i].request.request_id, st, why);
}

/* Replies to a group whose commit returned `le`: only now, after the
 * commit (and in replicated durability the stream's acknowledgement), does
 * any of its clients hear back. Returns -1 when the daemon must stop. */
static int finish_group(server *s, lane *l, const committer *c, group *g,
                        ledger_error le, uint64_t commit_us)
{
    int rc = 0;
    if (le == LEDGER_OK && !c->fenced && s->opts->ops)
        ops_record_commit(s->opts->ops, g->n, commit_us);
    if (le == LEDGER_OK)
        watch_returns(l, g, commit_us, s->opts->linger_max_us);
    if (le == LEDGER_OK && (c->fenced || c->published != OUTBOX_ACKED)) {
        refuse_unpublished(s, c, g);
        if (l->service && !c->fenced)
            service_after_commit(s->svc);
    } else if (le == LEDGER_OK) {
        for (size_t i = 0; i < g->n; i++) {
            const pending *p = &g->items[i];
            if (p->reply_bytes)
                transport_send(s->tp, p->msg.peer, p->msg.peer_len,
                               p->reply_bytes, p->reply_len);
            else
                send_reply(s, &p->msg, &p->reply);
        }
        /* Communities the service's commit created are opened (and
         * founded) before the next request can name them. */
        if (l->service)
            service_after_commit(s->svc);
    } else if (le == LEDGER_IO) {
        /* The disk failed under a commit: after EIO nothing about the file
         * can be trusted, so stop rather than retry (docs/architecture.md,
         * "Durability"). Clients get no reply and keep their request ids
         * for a retry. */
        log_error("I/O error on commit, stopping: %s",
                  ledger_strerror(l->led));
        rc = -1;
    } else {
        log_error("commit of %zu request(s) failed: %s", g->n,
                  ledger_strerror(l->led));
        for (size_t i = 0; i < g->n; i++)
            refuse(s, &g->items[i].msg, g->items[i].request.request_id,
                   le == LEDGER_FULL ? JIFEN_STATUS_LEDGER_FULL
                                     : JIFEN_STATUS_INTERNAL,
                   le == LEDGER_FULL
                       ? "the ledger is full; nothing of this request was "
                         "committed"
                       : "storage failure; nothing of this request was "
                         "committed");
    }
    group_clear(g);
    return rc;
}

static int finish_tick(lane *l, ledger_error le)
{
    if (le == LEDGER_IO) {
        log_error("I/O error on commit, stopping: %s",
                  ledger_strerror(l->led));
        return -1;
    }
    if (le != LEDGER_OK)
        log_error("timer: %s (retried on the next turn)",
                  ledger_strerror(l->led));
    return 0;
}

/* Every committer that finished: its lane back, its clients answered. */
static int collect(server *s)
{
    char bytes[64];
    if (read(s->done_pipe[0], bytes, sizeof bytes) <= 0)
        return 0;
    int rc = 0;
    for (int i = 0; i < s->n_committers; i++) {
        committer *c = &s->committers[i];
        pthread_mutex_lock(&s->lock);
        bool done = c->done;
        c->done = false;
        pthread_mutex_unlock(&s->lock);
        if (!done)
            continue;
        lane *l = c->lane;
        c->lane = NULL;
        l->busy = false;
        int r = c->job == JOB_GROUP
                    ? finish_group(s, l, c, &c->work, c->result, c->took_us)
                    : finish_tick(l, c->result);
        if (r != 0)
            rc = r;
        mark_ready(s, l);
    }
    return rc;
}

static bool all_idle(const server *s)
{
    for (int i = 0; i < s->n_committers; i++)
        if (!committer_idle(&s->committers[i]))
            return false;
    return true;
}

static committer *idle_committer(server *s)
{
    for (int i = 0; i < s->n_committers; i++)
        if (committer_idle(&s->committers[i]))
            return &s->committers[i];
    return NULL;
}

/* Groups go out as soon as a committer is free: what arrives during a
 * commit makes the lane's next group, unless the lane lingers for the
 * writers its last commit answered (lingering). True when a lane lingers:
 * the loop then looks again within a millisecond. */
static bool dispatch_groups(server *s, bool linger)
{
    committer *c;
    bool waiting = false;
    while ((c = idle_committer(s)) != NULL) {
        lane *l = take_ready(s, linger, &waiting);
        if (!l)
            break;
        hand_over(s, c, l, JOB_GROUP);
    }
    return waiting;
}

/* Time-driven work (notice windows ending, points expiring) for every
 * ledger whose timer is due and that no committer holds; the poll wakes at
 * least every 200 ms. The ledgers are looked at every SERVER_TIMER_SCAN_MS,
 * and at every turn only while a due one is left waiting for a committer:
 * a look at every turn of the loop was a pass over every community per
 * request (at 1,000 communities a fifth of the server thread's time), for
 * work that is due days apart. A ledger a committer holds is not read (the
 * committer may be moving its timer) and is looked at next time. A
 * replica writes only what its primary wrote. */
static void dispatch_timers(server *s)
{
    if (s->opts->read_only)
        return;
    /* On the monotonic clock: the ledgers' clock (a test's) may stand
     * still or jump. */
    uint64_t mono = now_us();
    if (!s->timers_left && mono < s->timers_next_us)
        return;
    s->timers_next_us = mono + (uint64_t)SERVER_TIMER_SCAN_MS * 1000u;
    s->timers_left = false;
    int64_t now = now_ms();
    size_t n = service_count(s->svc);
    for (size_t i = 0; i <= n; i++) {
        ledger *led = i < n ? service_at(s->svc, i, NULL)
                            : service_ledger(s->svc);
        lane *l = led ? lane_of(s, led) : NULL;
        if (!l || l->busy || !ledger_timer_due(led, now))
            continue;
        committer *c = l->ready ? NULL : idle_committer(s);
        if (!c) {
            s->timers_left = true; /* again at the next turn */
            if (!l->ready)
                return; /* no committer is free for anybody */
            continue;
        }
        hand_over(s, c, l, JOB_TICK);
    }
}

static int committers_start(server *s, int n)
{
    s->committers = calloc((size_t)n, sizeof *s->committers);
    if (!s->committers || pipe(s->done_pipe) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        committer *c = &s->committers[i];
        c->srv = s;
        c->id = i;
        pthread_cond_init(&c->wake, NULL);
        if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
            pthread_cond_destroy(&c->wake);
            return -1;
        }
        s->n_committers++;
    }
    return 0;
}

static void committers_stop(server *s)
{
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n_committers; i++) {
        s->committers[i].quit = true;
        pthread_cond_signal(&s->committers[i].wake);
    }
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->n_committers; i++) {
        pthread_join(s->committers[i].thread, NULL);
        pthread_cond_destroy(&s->committers[i].wake);
        group_clear(&s->committers[i].work);
        free(s->committers[i].work.items);
    }
    free(s->committers);
    if (s->done_pipe[0] >= 0) {
        close(s->done_pipe[0]);
        close(s->done_pipe[1]);
    }
}

/* --- the loop -------------------------------------------------------------------- */

/* Takes whatever is already waiting on the socket, never waiting for more
 * to arrive: queries are answered at once, writes join their groups. */
static void gather(server *s)
{
    transport_message msg;
    while (s->full_lanes == 0 && transport_recv(s->tp, &msg, 0) == 1) {
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

static bool anything_gathered(const server *s)
{
    return s->ready_head != NULL;
}

/* Tests only: while the file named by --test-hold-reads exists, the loop
 * leaves requests in the socket, as it does when a full group waits for
 * a committer, so that a test can see what libzmq then holds. */
static bool holding_reads(const server_options *opts)
{
    return opts->test_hold_reads && access(opts->test_hold_reads, F_OK) == 0;
}

/* Readers that died while jifend runs (a backup or an export killed)
 * pin pages until their slots are cleared: look for them in every ledger
 * every SERVER_READER_CHECK_MS. */
static void check_readers(server *s, uint64_t *last_us)
{
    uint64_t now = now_us();
    if (now - *last_us < (uint64_t)SERVER_READER_CHECK_MS * 1000u)
        return;
    *last_us = now;
    size_t n = service_count(s->svc);
    for (size_t i = 0; i <= n; i++) {
        const community_record *rec = NULL;
        ledger *led = i < n ? service_at(s->svc, i, &rec)
                            : service_ledger(s->svc);
        if (!led)
            continue;
        int dead = storage_reader_check(ledger_storage(led));
        if (dead > 0)
            log_warn("%s: reclaimed %d stale reader slot(s) of processes "
                     "that died reading the ledger",
                     rec ? rec->code : "the service", dead);
    }
}

int server_run(service *svc, transport *tp, const server_options *opts,
               volatile sig_atomic_t *stop)
{
    server s;
    memset(&s, 0, sizeof s);
    s.svc = svc;
    s.tp = tp;
    s.opts = opts;
    s.done_pipe[0] = s.done_pipe[1] = -1;
    pthread_mutex_init(&s.lock, NULL);
    int n = opts->committers > 0 ? opts->committers : 8;
    int rc = 0;
    s.queries = querypool_new(QUERYPOOL_THREADS, false);
    if (!s.queries || committers_start(&s, n) != 0) {
        log_error("out of memory, or no threads for the committers and the "
                  "queries");
        rc = -1;
    }
    uint64_t readers_checked_us = now_us();
    while (rc == 0) {
        bool stopping = *stop;
        check_readers(&s, &readers_checked_us);
        /* Rule-set reloads and a replica's fetches use ledgers' write
         * transactions too: only while no committer holds any. */
        if (!stopping && all_idle(&s)) {
            maybe_reload(opts);
            if (opts->idle)
                opts->idle(opts->idle_ctx);
        }
        bool waiting =
            dispatch_groups(&s, !stopping && opts->linger_max_us > 0);
        if (!stopping)
            dispatch_timers(&s);
        if (stopping && all_idle(&s) && !anything_gathered(&s))
            break; /* the commits in flight, and what they left, are done */
        bool take = !stopping && s.full_lanes == 0 && !holding_reads(opts);
        int ready = transport_wait(tp, s.done_pipe[0],
                                   querypool_fd(s.queries),
                                   opts->idle_fd > 0 ? opts->idle_fd : -1,
                                   take, waiting ? 1 : 200);
        if (ready > 0 && (ready & TRANSPORT_READY_FD))
            rc = collect(&s);
        if (ready > 0 && (ready & TRANSPORT_READY_FD2))
            send_answers(&s);
        if (ready > 0 && (ready & TRANSPORT_READY_MESSAGE) && rc == 0)
            gather(&s);
    }
    if (s.committers) {
        /* Wait for what is in flight: its clients get their replies. */
        while (!all_idle(&s)) {
            int ready =
                transport_wait(tp, s.done_pipe[0], -1, -1, false, 200);
            if (ready > 0 && (ready & TRANSPORT_READY_FD))
                collect(&s);
        }
        committers_stop(&s);
    }
    querypool_destroy(&s.queries);
    for (size_t i = 0; i < s.cap_lanes; i++) {
        if (!s.lanes[i])
            continue;
        group_clear(&s.lanes[i]->gathered);
        free(s.lanes[i]->gathered.items);
        free(s.lanes[i]);
    }
    free(s.lanes);
    pthread_mutex_destroy(&s.lock);
    return rc;
}
