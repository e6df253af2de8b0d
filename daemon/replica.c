#include "replica.h"

#include "jifen.h"
#include "checkpoint.h"
#include "log.h"
#include "merkle_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FEED_BATCH 500          /* entries asked for at a time */
#define POLL_MS 100             /* when caught up, ask this often */
#define RETRY_MS 1000           /* after the primary did not answer */
#define PRIMARY_TIMEOUT_MS 1000 /* one try; the loop is the retry */

/* One ledger followed: the service's own, or a community's. */
typedef struct {
    char code[JIFEN_COMMUNITY_MAX + 1]; /* JIFEN_SERVICE_ADDRESS: the
                                           service's */
    ledger *led;
    bool stopped;      /* the chain did not follow: replication stopped */
    bool tree_differs; /* a signed tree head the tree here does not give */
    uint64_t primary_head;
    const jifen_feed *pending; /* checkpoints to store with this batch */
} follow;

struct replica {
    service *svc;
    ops *metrics;
    jifen_client *client;
    char primary[256];
    int64_t next_poll_ms;
    bool reachable;
    follow **follows; /* each allocated: ledgers' hooks point at them */
    size_t n, cap;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A signed tree head of the primary must name the root of the tree built
 * here from the same entries by the same code: anything else means the two
 * trees differ, and the replica's proofs would not hold against the
 * primary's published heads. */
static bool root_matches(const char *code, storage_txn *txn,
                         const checkpoint *cp)
{
    merkle_store_reader mr;
    merkle_hash root;
    uint64_t size = 0;
    merkle_store_reader_init(&mr, txn);
    if (merkle_store_size(txn, &size) != STORAGE_OK || size < cp->entry)
        return true; /* no tree here (merkle_tree = 0): nothing to compare */
    if (merkle_store_root(&mr, cp->entry, root) == STORAGE_OK &&
        memcmp(root, cp->root, sizeof root) == 0)
        return true;
    log_error("replica: %s: the primary's signed tree head of entry %" PRIu64
              " names another Merkle root than the tree built here: "
              "replication stopped",
              code, cp->entry);
    return false;
}

int replica_store_checkpoint(storage_txn *txn, const char *code,
                             const char *text)
{
    checkpoint cp;
    char why[200];
    if (checkpoint_parse(&cp, text, why, sizeof why) != 0)
        return 0;
    if (cp.has_root && !root_matches(code, txn, &cp))
        return -1;
    uint8_t key[8];
    storage_be64_put(key, cp.entry);
    storage_put(txn, TABLE_CHECKPOINTS, key, sizeof key, text, strlen(text),
                STORAGE_PUT_OVERWRITE);
    return 0;
}

/* ledger_commit_hook: the primary's checkpoints of the batch, verbatim, in
 * the batch's transaction. */
static void store_checkpoints(void *ctx, storage_txn *txn, uint64_t from_seq,
                              uint64_t seq, const uint8_t hash[32])
{
    (void)from_seq;
    (void)seq;
    (void)hash;
    follow *self = ctx;
    const jifen_feed *f = self->pending;
    for (size_t i = 0; f && i < f->n_checkpoints; i++)
        if (replica_store_checkpoint(txn, self->code, f->checkpoints[i]) != 0)
            self->tree_differs = true;
}

/* Follows the ledger of `code` (JIFEN_SERVICE_ADDRESS: the service's). */
static int follow_ledger(replica *self, const char *code, ledger *led)
{
    for (size_t i = 0; i < self->n; i++)
        if (self->follows[i]->led == led)
            return 0;
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        follow **p = realloc(self->follows, cap * sizeof *p);
        if (!p)
            return -1;
        self->follows = p;
        self->cap = cap;
    }
    follow *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->code, sizeof f->code, "%s", code);
    f->led = led;
    ledger_set_commit_hook(led, store_checkpoints, f);
    self->follows[self->n++] = f;
    return 0;
}

/* Every community the service has: its journal, replicated, created them. */
static void follow_communities(replica *self)
{
    for (size_t i = 0; i < service_count(self->svc); i++) {
        const community_record *rec = NULL;
        ledger *led = service_at(self->svc, i, &rec);
        if (follow_ledger(self, rec->code, led) != 0)
            log_error("replica: out of memory: community %s not followed",
                      rec->code);
    }
}

replica *replica_new(service *svc, ops *metrics, const char *primary,
                     const char *client_secret, const char *server_public,
                     char *err, size_t errlen)
{
    replica *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->client = jifen_client_new(primary);
    if (!self->client) {
        snprintf(err, errlen, "no ZeroMQ client for %s", primary);
        free(self);
        return NULL;
    }
    if (jifen_client_set_curve(self->client, client_secret, server_public,
                               err, errlen) != 0) {
        jifen_client_destroy(&self->client);
        free(self);
        return NULL;
    }
    jifen_client_set_timeout(self->client, PRIMARY_TIMEOUT_MS, 0);
    self->svc = svc;
    self->metrics = metrics;
    self->reachable = true;
    snprintf(self->primary, sizeof self->primary, "%s", primary);
    if (follow_ledger(self, JIFEN_SERVICE_ADDRESS, service_ledger(svc)) != 0) {
        snprintf(err, errlen, "out of memory");
        replica_destroy(&self);
        return NULL;
    }
    follow_communities(self);
    return self;
}

void replica_destroy(replica **self_p)
{
    replica *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++) {
        ledger_set_commit_hook(self->follows[i]->led, NULL, NULL);
        free(self->follows[i]);
    }
    free(self->follows);
    jifen_client_destroy(&self->client);
    free(self);
    *self_p = NULL;
}

/* Applies a feed in one transaction. Returns the entries applied, or -1
 * when the chain did not follow (replication must stop). */
static long apply_feed(follow *fl, const jifen_feed *f)
{
    char err[256];
    ledger *led = fl->led;
    ledger_error le = ledger_write_begin(led);
    size_t off = 0, i = 0;
    for (; le == LEDGER_OK && i < f->n_entries; i++) {
        le = ledger_replicate(led, f->bytes + off, f->lens[i], err,
                              sizeof err);
        off += f->lens[i];
    }
    if (le == LEDGER_FAILED) {
        ledger_write_abort(led);
        log_error("replica: %s: %s; the primary's history differs from the "
                  "one replicated here: replication stopped",
                  fl->code, err);
        return -1;
    }
    if (le != LEDGER_OK) {
        ledger_write_abort(led);
        if (le == LEDGER_FULL)
            ledger_grow(led); /* and try again next time */
        else
            log_error("replica: %s: %s", fl->code, ledger_strerror(led));
        return 0;
    }
    fl->pending = f;
    le = ledger_write_commit(led);
    fl->pending = NULL;
    if (le != LEDGER_OK) {
        log_error("replica: %s: commit failed: %s", fl->code,
                  ledger_strerror(led));
        return 0;
    }
    return (long)f->n_entries;
}

/* Asks for the entries after the head of one followed ledger. Returns the
 * entries applied, 0 when there were none (or the primary did not answer:
 * *answered false), -1 to stop following it. */
static long fetch(replica *self, follow *fl, bool *answered)
{
    uint64_t seq;
    uint8_t hash[32];
    ledger_head(fl->led, &seq, hash);
    jifen_command cmd = {.kind = JIFEN_CMD_FEED, .entry = seq + 1,
                         .limit = FEED_BATCH};
    jifen_request req = {.n_commands = 1, .commands = &cmd};
    snprintf(req.community, sizeof req.community, "%s", fl->code);
    jifen_reply reply;
    char err[256];
    jifen_call_status st =
        jifen_client_call(self->client, &req, &reply, err, sizeof err);
    *answered = st == JIFEN_CALL_OK;
    if (st != JIFEN_CALL_OK)
        return 0;
    long n = 0;
    const jifen_result *r = reply.n_results ? &reply.results[0] : NULL;
    if (reply.status != JIFEN_STATUS_OK || !r || !r->has_feed ||
        r->status != JIFEN_STATUS_OK) {
        log_warn("replica: %s: the primary refused the feed: %s", fl->code,
                 r ? r->error : reply.error);
    } else {
        fl->primary_head = r->feed.head;
        n = apply_feed(fl, &r->feed);
    }
    jifen_reply_clear(&reply);
    return n;
}

void replica_poll(void *ctx)
{
    replica *self = ctx;
    int64_t now = mono_ms();
    if (now < self->next_poll_ms)
        return;
    bool full = false, answered = true;
    uint64_t lag = 0;
    /* The service's journal first: the communities it created are opened
     * (service_after_commit) and followed from the same turn. */
    for (size_t i = 0; i < self->n && answered; i++) {
        follow *fl = self->follows[i];
        if (fl->stopped)
            continue;
        long n = fetch(self, fl, &answered);
        if (n < 0) {
            fl->stopped = true;
            continue;
        }
        if (n > 0 && fl->led == service_ledger(self->svc)) {
            service_after_commit(self->svc);
            follow_communities(self);
        }
        full = full || n == FEED_BATCH;
        uint64_t seq;
        uint8_t hash[32];
        ledger_head(fl->led, &seq, hash);
        if (fl->primary_head > seq)
            lag += fl->primary_head - seq;
    }
    if (!answered && self->reachable)
        log_warn("replica: primary %s does not answer; serving what is "
                 "here and trying again", self->primary);
    if (answered && !self->reachable)
        log_info("replica: primary %s answers again", self->primary);
    self->reachable = answered;
    if (self->reachable && self->metrics)
        ops_set_replica_lag(self->metrics, lag);
    /* A full batch means more is waiting: ask again at once. */
    self->next_poll_ms = now + (full               ? 0
                                : self->reachable ? POLL_MS
                                                  : RETRY_MS);
}
