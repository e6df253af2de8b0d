#include "ops.h"

#include "notary.h"
#include "proofs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Commit latency histogram: bucket i holds latencies below 2^(i/4+...)
 * microseconds, four buckets per doubling, so a percentile is within 19%
 * of the truth whatever the spread; 0 to ~68 s. */
#define LAT_BUCKETS 104
#define PEER_SLOTS 4096 /* hashed set of peer ids; counts distinct peers */

struct ops {
    int64_t started;
    uint64_t commits, requests, write_requests, batched, batch_max;
    uint64_t commit_max_us;
    uint64_t latency[LAT_BUCKETS];
    uint64_t peers;
    uint64_t replica_lag;
    uint64_t peer_seen[PEER_SLOTS]; /* hashes of peer ids, 0 = empty */
};

static int64_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

ops *ops_new(void)
{
    ops *self = calloc(1, sizeof *self);
    if (self)
        self->started = now_s();
    return self;
}

void ops_destroy(ops **self_p)
{
    free(*self_p);
    *self_p = NULL;
}

/* Upper bound in microseconds of bucket i: 2^(i/4) x (1, 1.19, 1.41, 1.68). */
static uint64_t bucket_limit(int i)
{
    static const uint64_t quarter[4] = {1000, 1189, 1414, 1682};
    return ((uint64_t)1 << (i / 4)) * quarter[i % 4] / 1000 + 1;
}

static int bucket_of(uint64_t us)
{
    int i = 0;
    while (i < LAT_BUCKETS - 1 && us >= bucket_limit(i))
        i++;
    return i;
}

void ops_record_commit(ops *self, size_t requests, uint64_t us)
{
    self->commits++;
    self->batched += requests;
    if (requests > self->batch_max)
        self->batch_max = requests;
    if (us > self->commit_max_us)
        self->commit_max_us = us;
    self->latency[bucket_of(us)]++;
}

static uint64_t peer_hash(const void *peer, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    const uint8_t *p = peer;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h ? h : 1;
}

void ops_record_request(ops *self, const void *peer, size_t peer_len,
                        bool write)
{
    self->requests++;
    if (write)
        self->write_requests++;
    /* Distinct routing ids seen; once the set is full it stops counting
     * (the figure is then "at least"). */
    uint64_t h = peer_hash(peer, peer_len);
    for (size_t n = 0, i = h % PEER_SLOTS; n < PEER_SLOTS;
         n++, i = (i + 1) % PEER_SLOTS) {
        if (self->peer_seen[i] == h)
            return;
        if (self->peer_seen[i] == 0) {
            self->peer_seen[i] = h;
            self->peers++;
            return;
        }
    }
}

static uint64_t percentile(const ops *self, unsigned per_mille)
{
    if (self->commits == 0)
        return 0;
    uint64_t want = (self->commits * per_mille + 999) / 1000, seen = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        seen += self->latency[i];
        if (seen >= want)
            return bucket_limit(i) < self->commit_max_us ? bucket_limit(i)
                                                         : self->commit_max_us;
    }
    return self->commit_max_us;
}

static void fill_stats(const ops *self, ledger *led, jifen_stats *s)
{
    uint8_t head[JIFEN_HASH_LEN];
    ledger_head(led, &s->entries, head);
    s->commits = self->commits;
    s->requests = self->requests;
    s->write_requests = self->write_requests;
    s->batch_avg_milli = self->commits ? self->batched * 1000 / self->commits
                                       : 0;
    s->batch_max = self->batch_max;
    s->commit_p50_us = percentile(self, 500);
    s->commit_p90_us = percentile(self, 900);
    s->commit_p99_us = percentile(self, 990);
    s->commit_max_us = self->commit_max_us;
    storage_usage(ledger_storage(led), &s->map_bytes, &s->map_used_bytes);
    s->uptime_s = (uint64_t)(now_s() - self->started);
    s->peers = self->peers;
    s->replica_lag = self->replica_lag;
}

void ops_set_replica_lag(ops *self, uint64_t lag)
{
    self->replica_lag = lag;
}

/* Entries are a few hundred bytes, but a rule set's adoption carries its
 * text (up to ~40 KiB): a feed reply stops at this many bytes of entries,
 * well inside what a client accepts in one message (8 MiB). */
#define FEED_BYTES_MAX (2u << 20)

/* Appends one stored entry to the feed, growing its buffer. 0 or -1. */
static int feed_add(jifen_feed *f, size_t *cap, const storage_val *v)
{
    size_t used = 0;
    for (size_t i = 0; i < f->n_entries; i++)
        used += f->lens[i];
    if (used + v->len > *cap) {
        size_t next = (*cap ? *cap * 2 : 64 * 1024) + v->len;
        uint8_t *b = realloc(f->bytes, next);
        if (!b)
            return -1;
        f->bytes = b;
        *cap = next;
    }
    memcpy(f->bytes + used, v->data, v->len);
    f->lens[f->n_entries++] = v->len;
    return 0;
}

/* The signed checkpoints of entries first..last, in order. */
static storage_error feed_checkpoints(storage_txn *txn, jifen_feed *f,
                                      uint64_t first, uint64_t last)
{
    storage_cursor *c = NULL;
    storage_val k, v;
    uint8_t key[8];
    storage_be64_put(key, first);
    storage_error e = storage_cursor_open(txn, TABLE_CHECKPOINTS, &c);
    if (e == STORAGE_NOT_FOUND)
        return STORAGE_OK;
    if (e == STORAGE_OK)
        e = storage_cursor_seek(c, key, sizeof key, &k, &v);
    while (e == STORAGE_OK && storage_be64_get(k.data) <= last &&
           f->n_checkpoints < JIFEN_FEED_MAX) {
        if (v.len < sizeof f->checkpoints[0]) {
            memcpy(f->checkpoints[f->n_checkpoints], v.data, v.len);
            f->checkpoints[f->n_checkpoints++][v.len] = '\0';
        }
        e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    return e == STORAGE_NOT_FOUND || e == STORAGE_OK ? STORAGE_OK : e;
}

/* Entries cmd->entry.. (at most cmd->limit) as stored, for a replica. */
static void fill_feed(storage_txn *txn, ledger *led, const jifen_command *cmd,
                      jifen_result *r)
{
    jifen_feed *f = &r->feed;
    uint8_t head[JIFEN_HASH_LEN], key[8];
    ledger_head(led, &f->head, head);
    r->has_feed = true;
    f->lens = calloc(cmd->limit, sizeof *f->lens);
    f->checkpoints = calloc(JIFEN_FEED_MAX, sizeof *f->checkpoints);
    size_t cap = 0;
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_be64_put(key, cmd->entry);
    storage_error e = f->lens && f->checkpoints
                          ? storage_cursor_open(txn, TABLE_JOURNAL, &c)
                          : STORAGE_FAILED;
    if (e == STORAGE_OK)
        e = storage_cursor_seek(c, key, sizeof key, &k, &v);
    size_t bytes = 0;
    while (e == STORAGE_OK && f->n_entries < cmd->limit &&
           storage_be64_get(k.data) == cmd->entry + f->n_entries &&
           (f->n_entries == 0 || bytes + v.len <= FEED_BYTES_MAX)) {
        bytes += v.len;
        e = feed_add(f, &cap, &v) == 0 ? storage_cursor_next(c, &k, &v)
                                        : STORAGE_FAILED;
    }
    storage_cursor_close(&c);
    if (e == STORAGE_OK || e == STORAGE_NOT_FOUND)
        e = feed_checkpoints(txn, f, cmd->entry,
                             cmd->entry + f->n_entries - 1);
    r->status = e == STORAGE_OK ? JIFEN_STATUS_OK : JIFEN_STATUS_INTERNAL;
    if (e != STORAGE_OK)
        snprintf(r->error, sizeof r->error, "the journal is unreadable");
}

static void fill_checkpoint(storage_txn *txn, uint64_t entry,
                            jifen_result *r)
{
    checkpoint cp;
    jifen_checkpoint_report *c = &r->checkpoint;
    r->has_checkpoint = true;
    r->status = JIFEN_STATUS_OK;
    c->entry = entry;
    storage_error e = notary_find(txn, entry, &cp);
    if (e == STORAGE_OK) {
        memcpy(c->text, cp.text, strlen(cp.text) + 1);
        if (entry == 0)
            c->entry = cp.entry;
    } else if (e != STORAGE_NOT_FOUND) {
        r->status = JIFEN_STATUS_INTERNAL;
        snprintf(r->error, sizeof r->error, "checkpoints unreadable");
        return;
    }
    c->has_entry_hash =
        c->entry && notary_entry_hash(txn, c->entry, c->entry_hash) ==
                        STORAGE_OK;
}

static bool ops_handles_kind(jifen_command_kind k)
{
    return k == JIFEN_CMD_CHECKPOINT || k == JIFEN_CMD_STATS ||
           k == JIFEN_CMD_FEED || proofs_handles(k);
}

bool ops_handles(const jifen_request *req)
{
    return ops_handles_kind(req->commands[0].kind);
}

int ops_query(ops *self, ledger *led, const jifen_request *req,
              jifen_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    memcpy(reply->request_id, req->request_id, sizeof reply->request_id);
    reply->status = JIFEN_STATUS_OK;
    reply->results = calloc(req->n_commands, sizeof *reply->results);
    if (!reply->results)
        return -1;
    reply->n_results = req->n_commands;
    storage_txn txn;
    bool have_txn =
        storage_txn_begin(ledger_storage(led), &txn, false) == STORAGE_OK;
    proofs_context pc;
    proofs_begin(&pc, &txn);
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *cmd = &req->commands[i];
        jifen_result *r = &reply->results[i];
        if (cmd->kind == JIFEN_CMD_STATS) {
            fill_stats(self, led, &r->stats);
            r->has_stats = true;
            r->status = JIFEN_STATUS_OK;
        } else if (cmd->kind == JIFEN_CMD_CHECKPOINT && have_txn) {
            fill_checkpoint(&txn, cmd->entry, r);
        } else if (cmd->kind == JIFEN_CMD_FEED && have_txn) {
            fill_feed(&txn, led, cmd, r);
        } else if (proofs_handles(cmd->kind) && have_txn) {
            proofs_answer(&pc, cmd, r);
        } else {
            r->status = ops_handles_kind(cmd->kind) ? JIFEN_STATUS_INTERNAL
                                                    : JIFEN_STATUS_BAD_REQUEST;
            snprintf(r->error, sizeof r->error, "%s",
                     have_txn ? "send ledger queries in a separate request"
                              : "storage unreadable");
        }
    }
    storage_txn_abort(&txn);
    return 0;
}
