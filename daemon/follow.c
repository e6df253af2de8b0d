/*
 * follow - a replica of the NATS streams; see follow.h.
 */
#include "follow.h"

#include "keyspace.h"
#include "log.h"
#include "progress.h"
#include "replica.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TURN_MESSAGES 2000 /* applied in one turn of the loop, at most */
#define RETRY_MS 1000      /* a stream not there yet, or not answering */

/* A request's idempotency record that came with its last entry, kept
 * until the batch's transaction commits. */
typedef struct {
    char id[JIFEN_REQUEST_ID_MAX + 1];
    uint8_t *record; /* NULL: "-", too large to travel (outbox.c) */
    size_t len;
} carried;

/* One ledger followed: the service's own, or a community's. */
typedef struct {
    char code[JIFEN_COMMUNITY_MAX + 1]; /* "@service" for the service's */
    ledger *led;
    char stream[STREAM_NAME_MAX];
    char subject[STREAM_NAME_MAX];
    stream_sub *sub;
    int64_t retry_at_ms;
    bool waiting_told;
    bool stopped;        /* the chain did not follow: replication stopped */
    uint64_t pending;    /* messages of its stream after the last applied */
    bool in_request;     /* the last applied entry's request goes on */
    char request_id[JIFEN_REQUEST_ID_MAX + 1]; /* ... that request */
    /* Of the batch being applied, stored by the commit hook. */
    char **checkpoints;
    size_t n_checkpoints, cap_checkpoints;
    carried *records;
    size_t n_records, cap_records;
} track;

struct follow {
    service *svc;
    ops *metrics;
    stream_client *client;
    char prefix[STREAM_PREFIX_MAX + 1];
    char name[STREAM_NAME_MAX];
    stream_inbox *in;
    track **tracks;
    size_t n, cap;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void clear_batch(track *t)
{
    for (size_t i = 0; i < t->n_checkpoints; i++)
        free(t->checkpoints[i]);
    t->n_checkpoints = 0;
    for (size_t i = 0; i < t->n_records; i++)
        free(t->records[i].record);
    t->n_records = 0;
}

/* ledger_commit_hook: what the headers of the batch carried. */
static void store_carried(void *ctx, storage_txn *txn, uint64_t from_seq,
                          uint64_t seq, const uint8_t hash[32])
{
    (void)from_seq;
    (void)seq;
    (void)hash;
    track *t = ctx;
    for (size_t i = 0; i < t->n_checkpoints; i++)
        replica_store_checkpoint(txn, t->code, t->checkpoints[i]);
    /* A record too large to travel is stored as a digest of zeros: a
     * retry of it is refused (id_conflict), never applied twice. */
    static const uint8_t none[JIFEN_HASH_LEN];
    for (size_t i = 0; i < t->n_records; i++) {
        const carried *r = &t->records[i];
        storage_put(txn, TABLE_REQUESTS, r->id, strlen(r->id),
                    r->record ? r->record : none,
                    r->record ? r->len : sizeof none, STORAGE_PUT_OVERWRITE);
    }
}

static int keep_checkpoint(track *t, const char *text)
{
    if (t->n_checkpoints == t->cap_checkpoints) {
        size_t cap = t->cap_checkpoints ? t->cap_checkpoints * 2 : 4;
        char **p = realloc(t->checkpoints, cap * sizeof *p);
        if (!p)
            return -1;
        t->checkpoints = p;
        t->cap_checkpoints = cap;
    }
    char *copy = strdup(text);
    if (!copy)
        return -1;
    t->checkpoints[t->n_checkpoints++] = copy;
    return 0;
}

static int keep_record(track *t, const char *id, const char *b64)
{
    if (strlen(id) > JIFEN_REQUEST_ID_MAX)
        return 0;
    if (t->n_records == t->cap_records) {
        size_t cap = t->cap_records ? t->cap_records * 2 : 16;
        carried *p = realloc(t->records, cap * sizeof *p);
        if (!p)
            return -1;
        t->records = p;
        t->cap_records = cap;
    }
    carried *r = &t->records[t->n_records];
    snprintf(r->id, sizeof r->id, "%s", id);
    r->record = NULL;
    r->len = 0;
    if (strcmp(b64, "-") != 0) {
        size_t cap = strlen(b64) / 4 * 3 + 3;
        if (!(r->record = malloc(cap)))
            return -1;
        if (sodium_base642bin(r->record, cap, b64, strlen(b64), NULL, &r->len,
                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            r->len < JIFEN_HASH_LEN) {
            free(r->record);
            return 0; /* damaged: not stored */
        }
    }
    t->n_records++;
    return 0;
}

/* --- the ledgers followed --------------------------------------------------------- */

static int track_ledger(follow *self, const char *code, ledger *led)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->tracks[i]->led == led)
            return 0;
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        track **p = realloc(self->tracks, cap * sizeof *p);
        if (!p)
            return -1;
        self->tracks = p;
        self->cap = cap;
    }
    track *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    snprintf(t->code, sizeof t->code, "%s", code ? code : JIFEN_SERVICE_ADDRESS);
    t->led = led;
    stream_names(self->prefix, code, t->stream, t->subject);
    ledger_set_commit_hook(led, store_carried, t);
    self->tracks[self->n++] = t;
    return 0;
}

static void track_communities(follow *self)
{
    for (size_t i = 0; i < service_count(self->svc); i++) {
        const community_record *rec = NULL;
        ledger *led = service_at(self->svc, i, &rec);
        if (track_ledger(self, rec->code, led) != 0)
            log_error("replica: out of memory: community %s not followed",
                      rec->code);
    }
}

follow *follow_new(service *svc, ops *metrics, stream_client *c,
                   const char *prefix, const char *name)
{
    follow *self = calloc(1, sizeof *self);
    if (!self || !(self->in = stream_inbox_new())) {
        free(self);
        return NULL;
    }
    self->svc = svc;
    self->metrics = metrics;
    self->client = c;
    snprintf(self->prefix, sizeof self->prefix, "%s", prefix);
    snprintf(self->name, sizeof self->name, "%s", name);
    if (track_ledger(self, NULL, service_ledger(svc)) != 0) {
        follow_destroy(&self, false);
        return NULL;
    }
    track_communities(self);
    return self;
}

void follow_destroy(follow **self_p, bool forget)
{
    follow *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++) {
        track *t = self->tracks[i];
        stream_sub_destroy(&t->sub, forget);
        ledger_set_commit_hook(t->led, NULL, NULL);
        clear_batch(t);
        free(t->checkpoints);
        free(t->records);
        free(t);
    }
    free(self->tracks);
    stream_inbox_destroy(&self->in);
    free(self);
    *self_p = NULL;
}

int follow_fd(const follow *self)
{
    return stream_inbox_fd(self->in);
}

/* Subscribes (again) from the entry after the ledger's head. */
static void subscribe(follow *self, track *t, int64_t now)
{
    char err[300];
    uint64_t from = ledger_entries(t->led) + 1;
    stream_status st = stream_sub_new(&t->sub, self->client, t->stream,
                                      t->subject, self->name, from, self->in,
                                      t, err, sizeof err);
    if (st == STREAM_OK) {
        log_info("replica: %s: following stream %s from entry %" PRIu64,
                 t->code, t->stream, from);
        t->waiting_told = false;
        return;
    }
    t->retry_at_ms = now + RETRY_MS;
    if (!t->waiting_told)
        log_info("replica: %s: %s (%s); trying again",
                 t->code,
                 st == STREAM_NOT_FOUND ? "no stream yet" : "the stream does "
                                                            "not answer",
                 err);
    t->waiting_told = true;
}

static void resubscribe(follow *self, track *t)
{
    stream_sub_destroy(&t->sub, false);
    t->retry_at_ms = 0;
    (void)self;
}

/* --- applying ----------------------------------------------------------------------- */

typedef struct {
    track *t;
    bool open;         /* a write transaction on t->led */
    uint64_t applied;  /* in it */
    stream_msg last;   /* held until the commit, then acknowledged */
    bool have_last;
} batch;

/* Ends the batch: commits (and acknowledges its last message), or aborts
 * (nothing acknowledged: delivered again after the consumer is made again
 * from the head). */
static void end_batch(follow *self, batch *b, bool commit)
{
    if (!b->t)
        return;
    track *t = b->t;
    bool ok = false;
    if (b->open) {
        if (commit && b->applied > 0) {
            ledger_error le = ledger_write_commit(t->led);
            ok = le == LEDGER_OK;
            if (!ok)
                log_error("replica: %s: commit failed: %s", t->code,
                          ledger_strerror(t->led));
        } else {
            ledger_write_abort(t->led);
            ok = commit; /* nothing new: only duplicates */
        }
    } else {
        ok = commit;
    }
    if (b->have_last)
        stream_msg_done(&b->last, ok);
    if (!ok && !t->stopped)
        resubscribe(self, t);
    clear_batch(t);
    if (ok && b->applied > 0 && t->led == service_ledger(self->svc)) {
        /* Communities the service's journal created are opened here and
         * followed from the next turn. */
        service_after_commit(self->svc);
        track_communities(self);
    }
    memset(b, 0, sizeof *b);
}

/* Applies one message in the batch (ended and begun anew when it is of
 * another ledger). */
static void apply_message(follow *self, batch *b, stream_msg *m)
{
    track *t = m->ctx;
    if (b->t != t) {
        end_batch(self, b, true);
        b->t = t;
    }
    if (t->stopped || !t->sub) {
        stream_msg_done(m, false);
        return;
    }
    uint64_t head = ledger_entries(t->led) + b->applied;
    t->pending = m->pending;
    if (m->seq <= head) { /* delivered again: here already */
        if (b->have_last)
            stream_msg_done(&b->last, false);
        b->last = *m;
        b->have_last = true;
        return;
    }
    if (m->seq != head + 1) {
        log_warn("replica: %s: the stream delivered entry %" PRIu64
                 " after %" PRIu64 "; following again from %" PRIu64,
                 t->code, m->seq, head, head + 1);
        stream_msg_done(m, false);
        end_batch(self, b, false);
        return;
    }
    if (!b->open) {
        ledger_error le = ledger_write_begin(t->led);
        if (le != LEDGER_OK) {
            log_error("replica: %s: %s", t->code, ledger_strerror(t->led));
            stream_msg_done(m, false);
            end_batch(self, b, false);
            return;
        }
        b->open = true;
    }
    char err[300];
    ledger_error le = ledger_replicate(t->led, m->data, m->len, err,
                                       sizeof err);
    if (le == LEDGER_FAILED) {
        log_error("replica: %s: %s; the stream's history differs from the "
                  "one replicated here: replication stopped",
                  t->code, err);
        t->stopped = true;
        stream_msg_done(m, false);
        end_batch(self, b, false);
        return;
    }
    if (le != LEDGER_OK) {
        if (le == LEDGER_FULL) {
            ledger_write_abort(t->led);
            b->open = false;
            b->applied = 0;
            ledger_grow(t->led);
        } else {
            log_error("replica: %s: %s", t->code, ledger_strerror(t->led));
        }
        stream_msg_done(m, false);
        end_batch(self, b, false);
        return;
    }
    b->applied++;
    if (m->checkpoint && keep_checkpoint(t, m->checkpoint) != 0)
        log_error("replica: out of memory: a checkpoint of %s not kept",
                  t->code);
    const char *id = NULL;
    if (m->request && stream_msg_header(m, "Jifen-Request-Id", &id) &&
        keep_record(t, id, m->request) != 0)
        log_error("replica: out of memory: a request record of %s not kept",
                  t->code);
    t->in_request = stream_msg_header(m, "Jifen-More", &id);
    if (t->in_request && stream_msg_header(m, "Jifen-Request-Id", &id))
        snprintf(t->request_id, sizeof t->request_id, "%s", id);
    if (b->have_last)
        stream_msg_done(&b->last, false);
    b->last = *m;
    b->have_last = true;
}

static uint64_t lag_of(const follow *self)
{
    uint64_t lag = 0;
    for (size_t i = 0; i < self->n; i++)
        lag += self->tracks[i]->pending;
    return lag;
}

/* Applies up to `most` messages; returns how many were taken. */
static size_t drain(follow *self, size_t most)
{
    batch b;
    memset(&b, 0, sizeof b);
    stream_msg m;
    size_t n = 0;
    while (n < most && stream_inbox_take(self->in, &m)) {
        apply_message(self, &b, &m);
        n++;
    }
    end_batch(self, &b, true);
    return n;
}

void follow_poll(void *ctx)
{
    follow *self = ctx;
    int64_t now = mono_ms();
    for (size_t i = 0; i < self->n; i++) {
        track *t = self->tracks[i];
        if (!t->sub && !t->stopped && now >= t->retry_at_ms)
            subscribe(self, t, now);
    }
    drain(self, TURN_MESSAGES);
    if (self->metrics)
        ops_set_replica_lag(self->metrics, lag_of(self));
}

/* The stream ends inside a request of several commands: its primary
 * stopped while publishing it, and its client was never answered. Its
 * entries so far stay (they are in the stream); its id gets a record of
 * zeros, so that the client's retry is refused (id_conflict) instead of
 * applying the whole request again on top of its first part. */
static void refuse_cut_request(track *t)
{
    static const uint8_t none[JIFEN_HASH_LEN];
    storage_txn txn;
    storage_error e = storage_txn_begin(ledger_storage(t->led), &txn, true);
    if (e == STORAGE_OK) {
        storage_put(&txn, TABLE_REQUESTS, t->request_id,
                    strlen(t->request_id), none, sizeof none,
                    STORAGE_PUT_OVERWRITE);
        e = storage_txn_commit(&txn);
    }
    log_warn("replica: %s: the stream ends inside request %s of several "
             "commands (its primary stopped while publishing it): its "
             "entries so far are kept, and a retry of it is refused "
             "(id_conflict)%s",
             t->code, t->request_id, e == STORAGE_OK ? "" : " - NOT RECORDED");
}

int follow_catch_up(follow *self, int timeout_ms, char *err, size_t errlen)
{
    int64_t end = mono_ms() + timeout_ms;
    for (;;) {
        follow_poll(self);
        /* Caught up when every ledger's head is its stream's end. The
         * service's journal may have created communities meanwhile: they
         * are in the list by now, and must be caught up too. */
        uint64_t behind = 0, total = 0, done = 0;
        for (size_t i = 0; i < self->n; i++) {
            track *t = self->tracks[i];
            uint64_t last = 0, head = ledger_entries(t->led);
            char why[300];
            if (t->stopped) {
                snprintf(err, errlen, "%s: replication stopped (its chain "
                         "does not follow the stream; see the log)", t->code);
                return -1;
            }
            stream_status st =
                stream_last(self->client, t->stream, &last, why, sizeof why);
            if (st == STREAM_NOT_FOUND)
                last = 0;
            else if (st != STREAM_OK) {
                if (mono_ms() > end) {
                    snprintf(err, errlen, "%s: %s", t->code, why);
                    return -1;
                }
                behind++;
                continue;
            }
            if (head > last) {
                snprintf(err, errlen,
                         "%s: this ledger has %" PRIu64 " entries, its "
                         "stream %s only %" PRIu64 ": it is not a replica "
                         "of that stream",
                         t->code, head, t->stream, last);
                return -1;
            }
            behind += last - head;
            total += last;
            done += head;
        }
        progress_on_tty((void *)"catching up from the stream", done,
                        total ? total : 1);
        if (behind == 0)
            break;
        if (mono_ms() > end) {
            snprintf(err, errlen, "%" PRIu64 " entries still to come from "
                     "the streams after %d ms", behind, timeout_ms);
            return -1;
        }
        usleep(20000);
    }
    for (size_t i = 0; i < self->n; i++)
        if (self->tracks[i]->in_request)
            refuse_cut_request(self->tracks[i]);
    return 0;
}
