/*
 * querypool - see querypool.h.
 */
#include "querypool.h"

#include "codec.h"
#include "log.h"
#include "querycost.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct job {
    struct job *next;
    ledger *led;
    /* Or a task of its own (querypool_submit_task), which answers the
     * request instead of the ledger. */
    querypool_task task;
    void *task_arg;
    void (*task_release)(void *arg);
    uint8_t peer[TRANSPORT_PEER_MAX];
    size_t peer_len;
    uint8_t *payload;
    size_t len;
} job;

/* One key's queue. It exists while the key has a query queued or running. */
typedef struct lane {
    struct lane *next;
    char key[TRANSPORT_USER_ID_MAX + 1];
    job *head, *tail;
    size_t queued, bytes;
    bool running; /* one query of a key at a time */
} lane;

typedef struct done {
    struct done *next;
    querypool_reply reply;
} done;

struct querypool {
    pthread_mutex_t lock;
    pthread_cond_t work;
    lane *lanes;  /* in turn order */
    lane *turn;   /* whose turn is next; NULL: the first lane's */
    size_t bytes; /* queued, all keys */
    size_t queued;
    done *done_head, *done_tail;
    int pipe[2]; /* one byte per answered query; both ends non-blocking */
    bool quit;
    unsigned n_threads, n_running;
    pthread_t *threads;
};

/* --- answering one query (no lock held) ----------------------------------- */

static void refuse(jifen_reply *reply, const char *request_id,
                   jifen_status status, const char *error)
{
    codec_reply_clear(reply);
    memset(reply, 0, sizeof *reply);
    snprintf(reply->request_id, sizeof reply->request_id, "%s",
             request_id ? request_id : "");
    reply->status = status;
    snprintf(reply->error, sizeof reply->error, "%s", error);
}

/* Answers req command by command in one read transaction (one snapshot for
 * the whole request), stopping when the reply grows past its limit. */
static void run(ledger *led, const jifen_request *req, jifen_reply *reply)
{
    char err[JIFEN_ERROR_MAX + 1];
    storage_txn txn;
    uint64_t entries = 0;
    memset(reply, 0, sizeof *reply);
    storage_error e = storage_txn_begin(ledger_storage(led), &txn, false);
    if (e == STORAGE_OK)
        e = storage_count(&txn, TABLE_JOURNAL, &entries);
    if (e != STORAGE_OK) {
        refuse(reply, req->request_id, JIFEN_STATUS_INTERNAL,
               storage_txn_strerror(&txn));
        storage_txn_abort(&txn);
        return;
    }
    if (querycost_check(req, entries, err, sizeof err) != JIFEN_STATUS_OK) {
        refuse(reply, req->request_id, JIFEN_STATUS_REQUEST_TOO_COSTLY, err);
        storage_txn_abort(&txn);
        return;
    }
    snprintf(reply->request_id, sizeof reply->request_id, "%s",
             req->request_id);
    reply->status = JIFEN_STATUS_OK;
    reply->results = calloc(req->n_commands, sizeof *reply->results);
    size_t bytes = 0;
    for (size_t i = 0; reply->results && i < req->n_commands; i++) {
        jifen_request one = {.n_commands = 1, .commands = &req->commands[i]};
        jifen_reply sub;
        if (ledger_query_txn(led, &txn, &one, &sub) != LEDGER_OK) {
            refuse(reply, req->request_id, JIFEN_STATUS_INTERNAL,
                   "out of memory");
            break;
        }
        reply->results[i] = sub.results[0];
        reply->n_results = i + 1;
        free(sub.results);
        bytes += querycost_result_bytes(&reply->results[i]);
        if (bytes > QUERY_REPLY_MAX) {
            querycost_reply_refusal(i + 1, bytes, err, sizeof err);
            refuse(reply, req->request_id, JIFEN_STATUS_REQUEST_TOO_COSTLY,
                   err);
            break;
        }
    }
    if (!reply->results && reply->status == JIFEN_STATUS_OK)
        refuse(reply, req->request_id, JIFEN_STATUS_INTERNAL, "out of memory");
    storage_txn_abort(&txn);
}

/* A query that reads at least a pass of the ledger (querycost.h) or has a
 * reply of at least this many bytes held megabytes while it was answered. */
#define QUERY_LARGE_REPLY (1u << 20)

static bool large_query(const jifen_request *req)
{
    uint64_t work = 0;
    for (size_t i = 0; i < req->n_commands; i++)
        work += querycost_work(&req->commands[i], 0);
    return work >= QUERY_PASS_MIN;
}

/* The encoded reply to one job; NULL when memory ran out (the client gets
 * no reply and retries). *large says whether the query was a large one. */
static done *answer(const job *j, bool *large)
{
    jifen_request req;
    jifen_reply reply;
    char err[JIFEN_ERROR_MAX + 1];
    memset(&reply, 0, sizeof reply);
    /* The server thread decoded these bytes before; this cannot fail
     * unless memory runs out. */
    jifen_status st =
        codec_request_decode(j->payload, j->len, &req, err, sizeof err);
    if (st == JIFEN_STATUS_OK) {
        if (j->task)
            j->task(j->task_arg, &req, &reply);
        else
            run(j->led, &req, &reply);
        *large = large_query(&req);
        codec_request_clear(&req);
    } else {
        refuse(&reply, NULL, st, err);
    }
    done *d = calloc(1, sizeof *d);
    int rc =
        d ? codec_reply_encode(&reply, &d->reply.bytes, &d->reply.len) : -1;
    if (rc == 0 && d->reply.len > QUERY_WIRE_MAX) {
        querycost_wire_refusal(d->reply.len, err, sizeof err);
        char id[JIFEN_REQUEST_ID_MAX + 1];
        memcpy(id, reply.request_id, sizeof id);
        refuse(&reply, id, JIFEN_STATUS_REQUEST_TOO_COSTLY, err);
        free(d->reply.bytes);
        rc = codec_reply_encode(&reply, &d->reply.bytes, &d->reply.len);
    }
    if (d && rc != 0) {
        free(d);
        d = NULL;
    }
    if (d && d->reply.len >= QUERY_LARGE_REPLY)
        *large = true;
    codec_reply_clear(&reply);
    if (!d) {
        log_error("out of memory answering a query");
        return NULL;
    }
    memcpy(d->reply.peer, j->peer, j->peer_len);
    d->reply.peer_len = j->peer_len;
    return d;
}

/* --- queues (under lock) ----------------------------------------------------
 */

static lane *find_lane(querypool *p, const char *key)
{
    for (lane *l = p->lanes; l; l = l->next)
        if (strcmp(l->key, key) == 0)
            return l;
    return NULL;
}

static void remove_lane(querypool *p, lane *gone)
{
    lane **at = &p->lanes;
    while (*at && *at != gone)
        at = &(*at)->next;
    if (*at)
        *at = gone->next;
    if (p->turn == gone)
        p->turn = gone->next;
    free(gone);
}

/* The next query, from the next key in turn that has one queued and none
 * running. */
static job *pick(querypool *p, lane **from)
{
    if (!p->lanes)
        return NULL;
    lane *start = p->turn ? p->turn : p->lanes, *l = start;
    do {
        if (l->head && !l->running) {
            job *j = l->head;
            l->head = j->next;
            if (!l->head)
                l->tail = NULL;
            l->queued--;
            l->bytes -= j->len;
            p->queued--;
            p->bytes -= j->len;
            l->running = true;
            p->turn = l->next;
            *from = l;
            return j;
        }
        l = l->next ? l->next : p->lanes;
    } while (l != start);
    return NULL;
}

static void free_job(job *j)
{
    if (j->task_release)
        j->task_release(j->task_arg);
    free(j->payload);
    free(j);
}

/* After a large query, hand the memory it freed back to the system.
 * glibc keeps what a thread frees in that thread's arena, and four query
 * threads that each answered their heaviest queries kept 27 MB apiece
 * (measured in tests/e2e/query_load.sh); as their arenas fragment they
 * keep more, and jifend once reached 430 MB there, past the bound that
 * docs/security.md gives. A trim costs well under a millisecond beside
 * the tens of milliseconds such a query takes. */
static void give_back_memory(bool large)
{
#ifdef __GLIBC__
    if (large)
        malloc_trim(0);
#else
    (void)large;
#endif
}

static void *worker_main(void *arg)
{
    querypool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        lane *l = NULL;
        job *j = NULL;
        while (!p->quit && !(j = pick(p, &l)))
            pthread_cond_wait(&p->work, &p->lock);
        if (!j)
            break;
        pthread_mutex_unlock(&p->lock);
        bool large = false;
        done *d = answer(j, &large);
        free_job(j);
        give_back_memory(large);
        pthread_mutex_lock(&p->lock);
        l->running = false;
        if (!l->head)
            remove_lane(p, l);
        else
            pthread_cond_signal(&p->work); /* its next query may go now */
        if (d) {
            if (p->done_tail)
                p->done_tail->next = d;
            else
                p->done_head = d;
            p->done_tail = d;
            /* A full pipe already wakes the server: EAGAIN is fine. */
            if (write(p->pipe[1], "", 1) < 0 && errno != EAGAIN)
                log_error("cannot wake the server thread: %s", strerror(errno));
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* --- the pool ----------------------------------------------------------------
 */

querypool *querypool_new(unsigned threads, bool paused)
{
    querypool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threads = calloc(threads ? threads : 1, sizeof *p->threads);
    p->n_threads = threads ? threads : 1;
    p->pipe[0] = p->pipe[1] = -1;
    if (!p->threads || pipe(p->pipe) != 0 ||
        fcntl(p->pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl(p->pipe[1], F_SETFL, O_NONBLOCK) != 0) {
        if (p->pipe[0] >= 0) {
            close(p->pipe[0]);
            close(p->pipe[1]);
        }
        free(p->threads);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    if (!paused && querypool_start(p) != 0)
        querypool_destroy(&p);
    return p;
}

int querypool_start(querypool *self)
{
    while (self->n_running < self->n_threads) {
        if (pthread_create(&self->threads[self->n_running], NULL, worker_main,
                           self) != 0)
            return -1;
        self->n_running++;
    }
    return 0;
}

void querypool_destroy(querypool **self_p)
{
    querypool *p = *self_p;
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_running; i++)
        pthread_join(p->threads[i], NULL);
    while (p->lanes) {
        lane *l = p->lanes;
        while (l->head) {
            job *j = l->head;
            l->head = j->next;
            free_job(j);
        }
        p->lanes = l->next;
        free(l);
    }
    querypool_reply r;
    while (querypool_take(p, &r))
        querypool_reply_clear(&r);
    close(p->pipe[0]);
    close(p->pipe[1]);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->work);
    free(p->threads);
    free(p);
    *self_p = NULL;
}

int querypool_fd(const querypool *self)
{
    return self->pipe[0];
}

/* Queues j under key; false (j freed, its payload and task left to the
 * caller) when the queues are full. */
static bool enqueue(querypool *self, job *j, const char *key,
                    const uint8_t *peer, size_t peer_len, uint8_t *payload,
                    size_t len)
{
    j->peer_len = peer_len < TRANSPORT_PEER_MAX ? peer_len : TRANSPORT_PEER_MAX;
    memcpy(j->peer, peer, j->peer_len);
    j->payload = payload;
    j->len = len;
    pthread_mutex_lock(&self->lock);
    lane *l = find_lane(self, key);
    bool room = !self->quit && self->bytes + len <= QUERYPOOL_TOTAL_BYTES &&
                (!l || (l->queued < QUERYPOOL_KEY_REQUESTS &&
                        l->bytes + len <= QUERYPOOL_KEY_BYTES));
    if (room && !l && (l = calloc(1, sizeof *l)) != NULL) {
        snprintf(l->key, sizeof l->key, "%s", key);
        /* New keys queue last: everyone already waiting goes first. */
        lane **at = &self->lanes;
        while (*at)
            at = &(*at)->next;
        *at = l;
    }
    if (!room || !l) {
        pthread_mutex_unlock(&self->lock);
        free(j); /* not free_job: the caller keeps payload and task */
        return false;
    }
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->queued++;
    l->bytes += len;
    self->queued++;
    self->bytes += len;
    pthread_cond_signal(&self->work);
    pthread_mutex_unlock(&self->lock);
    return true;
}

bool querypool_submit(querypool *self, ledger *led, const char *key,
                      const uint8_t *peer, size_t peer_len, uint8_t *payload,
                      size_t len)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return false;
    j->led = led;
    return enqueue(self, j, key, peer, peer_len, payload, len);
}

bool querypool_submit_task(querypool *self, querypool_task task, void *arg,
                           void (*release)(void *arg), const char *key,
                           const uint8_t *peer, size_t peer_len,
                           uint8_t *payload, size_t len)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return false;
    j->task = task;
    j->task_arg = arg;
    j->task_release = release;
    return enqueue(self, j, key, peer, peer_len, payload, len);
}

bool querypool_take(querypool *self, querypool_reply *out)
{
    char buf[256];
    while (read(self->pipe[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&self->lock);
    done *d = self->done_head;
    if (d) {
        self->done_head = d->next;
        if (!self->done_head)
            self->done_tail = NULL;
    }
    pthread_mutex_unlock(&self->lock);
    if (!d)
        return false;
    *out = d->reply;
    free(d);
    return true;
}

void querypool_reply_clear(querypool_reply *r)
{
    free(r->bytes);
    memset(r, 0, sizeof *r);
}

size_t querypool_queued(querypool *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->queued;
    pthread_mutex_unlock(&self->lock);
    return n;
}
