/*
 * outbox - publishing committed entries to JetStream; see outbox.h.
 *
 * State of a ledger's box (under the outbox's lock):
 *
 *   committed  the head as of the last commit the committer reported
 *   sent       entries handed to the NATS client, up to here
 *   acked      the stream holds every entry up to here (an ack of entry k
 *              says so for all before it: k was accepted only because the
 *              stream ended at k - 1)
 *
 * and whether its stream must be looked at before anything more is sent
 * (SYNC at start; `resync` after an error), or it is FENCED.
 */
#include "outbox.h"

#include "clock.h"
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "journal.h"
#include "keyspace.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Entries in flight per ledger: a billing run's group (up to 16,384
 * commands) goes out in one go. */
#define WINDOW 16384u
#define RETRY_UNAVAILABLE_MS 500
#define RETRY_FAILED_MS 2000
/* A request's idempotency record travels with its last entry when it is
 * at most this big (every request of up to 16 commands, and more); a
 * bigger one travels as "-": a retry of it after a fail-over is refused
 * rather than applied again (docs/operations.md). */
#define RECORD_MAX (48u << 10)

typedef enum { BOX_SYNC, BOX_READY, BOX_FENCED } box_state;

typedef struct box {
    struct box *next;
    outbox *ob;
    ledger *led;
    char code[JIFEN_COMMUNITY_MAX + 1]; /* "@service" for the service's */
    char stream[STREAM_NAME_MAX];
    char subject[STREAM_NAME_MAX];
    stream_pub *pub;
    box_state state;
    bool resync;
    bool told; /* a warning about the stream is out */
    int64_t retry_at_ms;
    uint64_t committed, sent, acked;
    char why[300];
} box;

struct outbox {
    outbox_options o;
    char prefix[STREAM_PREFIX_MAX + 1];
    pthread_mutex_t lock;
    pthread_cond_t wake;  /* the publishing thread */
    pthread_cond_t moved; /* committers waiting for acks */
    pthread_t thread;
    bool quit;
    box *boxes;
    /* The publishing thread's: an entry and the one after it, decoded,
     * and the base64 of a request record. */
    jifen_entry *cur, *ahead;
    char *b64;
    size_t b64cap;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void deadline_after(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Under the lock. */
static void fence(box *b, const char *why)
{
    if (b->state == BOX_FENCED)
        return;
    b->state = BOX_FENCED;
    snprintf(b->why, sizeof b->why, "%s", why);
    log_error("%s: FENCED: %s; this jifend appends nothing more to stream %s "
              "and refuses every write to %s",
              b->code, why, b->stream, b->code);
    pthread_cond_broadcast(&b->ob->moved);
}

/* --- acknowledgements (a NATS thread) ------------------------------------------------ */

static void on_ack(void *ctx, uint64_t seq, stream_ack r, uint64_t stored,
                   const char *text)
{
    box *b = ctx;
    outbox *ob = b->ob;
    char why[300];
    pthread_mutex_lock(&ob->lock);
    switch (r) {
    case STREAM_ACK_OK:
        if (stored != seq) {
            snprintf(why, sizeof why,
                     "the stream stored entry %" PRIu64 " as its message %" PRIu64
                     ": something else publishes on %s",
                     seq, stored, b->subject);
            fence(b, why);
        } else if (seq > b->acked) {
            bool was_full = b->sent - b->acked >= WINDOW;
            b->acked = seq;
            ledger_note_published(b->led, seq);
            pthread_cond_broadcast(&ob->moved);
            if (was_full || b->acked == b->sent)
                pthread_cond_signal(&ob->wake);
        }
        break;
    case STREAM_ACK_WRONG_LAST:
        /* Somebody else appended, or this entry is there already (its
         * acknowledgement was lost): looking at the stream tells. */
        if (!b->resync)
            log_info("%s: the stream did not end where entry %" PRIu64
                     " expects (%s): looking at it",
                     b->code, seq, text);
        b->resync = true;
        b->retry_at_ms = 0;
        pthread_cond_signal(&ob->wake);
        break;
    case STREAM_ACK_UNAVAILABLE:
    case STREAM_ACK_FAILED:
        if (!b->resync && !b->told) {
            log_warn("%s: entry %" PRIu64 " not acknowledged by stream %s "
                     "(%s); published again once the stream answers",
                     b->code, seq, b->stream, text);
            b->told = true;
        }
        if (!b->resync)
            b->retry_at_ms = mono_ms() + RETRY_UNAVAILABLE_MS;
        b->resync = true;
        pthread_cond_signal(&ob->wake);
        break;
    }
    pthread_mutex_unlock(&ob->lock);
}

/* --- looking at the stream ----------------------------------------------------------- */

/* Whether message `last` of the stream is this ledger's entry `last`:
 * 1 yes, 0 no (why says how), -1 not known now. */
static int same_entry(box *b, uint64_t last, char *why, size_t whylen)
{
    uint8_t *data = NULL;
    size_t len = 0;
    char err[256];
    stream_status st =
        stream_get(b->ob->o.client, b->stream, last, &data, &len, err,
                   sizeof err);
    if (st != STREAM_OK) {
        snprintf(why, whylen, "%s", err);
        return -1;
    }
    storage_txn txn;
    storage_val v;
    int same = -1;
    if (storage_txn_begin(ledger_storage(b->led), &txn, false) == STORAGE_OK) {
        storage_error e = journal_get(&txn, last, &v);
        if (e == STORAGE_OK)
            same = v.len == len && memcmp(v.data, data, len) == 0;
        storage_txn_abort(&txn);
    }
    free(data);
    if (same == 0)
        snprintf(why, whylen,
                 "entry %" PRIu64 " in the stream is not entry %" PRIu64
                 " of this ledger: another jifend is the primary of it now "
                 "(a promoted replica?)",
                 last, last);
    else if (same < 0)
        snprintf(why, whylen, "entry %" PRIu64 " cannot be read here", last);
    return same;
}

static void resync(box *b)
{
    outbox *ob = b->ob;
    char err[300], why[300];
    uint64_t last = 0;
    stream_status st =
        stream_ensure(ob->o.client, b->stream, b->subject, &last, err,
                      sizeof err);
    int same = 1;
    uint64_t head = ledger_entries(b->led);
    if (st == STREAM_OK && !b->pub &&
        !(b->pub = stream_pub_new(ob->o.client, b->subject, on_ack, b))) {
        st = STREAM_FAILED;
        snprintf(err, sizeof err, "out of memory");
    }
    if (st == STREAM_OK && last > head) {
        snprintf(why, sizeof why,
                 "stream %s holds %" PRIu64 " entries, this ledger %" PRIu64
                 ": another jifend has appended to it (a promoted replica?)",
                 b->stream, last, head);
        same = 0;
    } else if (st == STREAM_OK && last > 0) {
        same = same_entry(b, last, why, sizeof why);
        if (same < 0) {
            st = STREAM_UNAVAILABLE;
            snprintf(err, sizeof err, "%s", why);
        }
    }
    pthread_mutex_lock(&ob->lock);
    if (st != STREAM_OK) {
        b->retry_at_ms = mono_ms() + (st == STREAM_UNAVAILABLE
                                          ? RETRY_UNAVAILABLE_MS
                                          : RETRY_FAILED_MS);
        if (!b->told)
            log_warn("%s: stream %s: %s; entries are kept and published "
                     "once it answers",
                     b->code, b->stream, err);
        b->told = true;
    } else if (same == 0) {
        fence(b, why);
    } else {
        uint64_t mark = ledger_published(b->led);
        if (last == 0 && mark > 0)
            log_warn("%s: stream %s is empty, but entries up to %" PRIu64
                     " were published to it: was it deleted? publishing "
                     "every entry again",
                     b->code, b->stream, mark);
        if (last > b->acked)
            b->acked = last;
        b->sent = b->acked;
        b->resync = false;
        if (b->told || b->state == BOX_SYNC)
            log_info("%s: stream %s holds entries up to %" PRIu64
                     " of %" PRIu64 "; publishing from there",
                     b->code, b->stream, b->acked, head);
        b->told = false;
        b->state = BOX_READY;
        ledger_note_published(b->led, b->acked);
        pthread_cond_broadcast(&ob->moved);
    }
    pthread_mutex_unlock(&ob->lock);
}

/* --- sending ------------------------------------------------------------------------- */

/* The headers of entry `seq` (decoded in *e, the next one in *next or
 * NULL): what a consumer needs without decoding, and what a replica
 * needs besides the entry (docs/operations.md, "The stream"). */
typedef struct {
    stream_header h[8];
    size_t n;
    char hash_hex[65];
    char checkpoint[512];
} headers;

static void add(headers *hs, const char *name, const char *value)
{
    hs->h[hs->n].name = name;
    hs->h[hs->n].value = value;
    hs->n++;
}

static void request_header(outbox *ob, storage_txn *txn, const jifen_entry *e,
                           headers *hs)
{
    storage_val v;
    if (storage_get(txn, TABLE_REQUESTS, e->request_id, strlen(e->request_id),
                    &v) != STORAGE_OK)
        return; /* the daemon's own entries have none */
    if (v.len > RECORD_MAX) {
        add(hs, "Jifen-Request", "-");
        return;
    }
    size_t need = sodium_base64_ENCODED_LEN(v.len,
                                            sodium_base64_VARIANT_ORIGINAL);
    if (need > ob->b64cap) {
        char *p = realloc(ob->b64, need);
        if (!p)
            return;
        ob->b64 = p;
        ob->b64cap = need;
    }
    sodium_bin2base64(ob->b64, ob->b64cap, v.data, v.len,
                      sodium_base64_VARIANT_ORIGINAL);
    add(hs, "Jifen-Request", ob->b64);
}

static void fill_headers(outbox *ob, box *b, storage_txn *txn, uint64_t seq,
                         const storage_val *stored, const jifen_entry *e,
                         const jifen_entry *next, headers *hs)
{
    uint8_t hash[JIFEN_HASH_LEN];
    hs->n = 0;
    hash_sha256(stored->data, stored->len, hash);
    hash_hex(hash, sizeof hash, hs->hash_hex, sizeof hs->hash_hex);
    add(hs, "Jifen-Community", b->code);
    add(hs, "Jifen-Hash", hs->hash_hex);
    add(hs, "Jifen-Kind", codec_command_name(e->command.kind));
    if (e->command.household[0])
        add(hs, "Jifen-Household", e->command.household);
    uint8_t key[8];
    storage_val cp;
    storage_be64_put(key, seq);
    if (storage_get(txn, TABLE_CHECKPOINTS, key, sizeof key, &cp) ==
            STORAGE_OK &&
        cp.len < sizeof hs->checkpoint) {
        memcpy(hs->checkpoint, cp.data, cp.len);
        hs->checkpoint[cp.len] = '\0';
        add(hs, "Jifen-Checkpoint", hs->checkpoint);
    }
    /* A request's entries are a unit for a replica that may be promoted:
     * its record travels with the last of them, and the others say that
     * more follow. */
    bool more = next && e->request_id[0] &&
                strcmp(e->request_id, next->request_id) == 0;
    if (e->request_id[0])
        add(hs, "Jifen-Request-Id", e->request_id);
    if (more)
        add(hs, "Jifen-More", "1");
    else if (e->request_id[0])
        request_header(ob, txn, e, hs);
}

/* Sends entries after b->sent, up to the window. */
static void send_some(outbox *ob, box *b)
{
    pthread_mutex_lock(&ob->lock);
    uint64_t from = b->sent + 1, to = b->committed;
    if (to > b->acked + WINDOW)
        to = b->acked + WINDOW;
    pthread_mutex_unlock(&ob->lock);
    storage_txn txn;
    if (from > to ||
        storage_txn_begin(ledger_storage(b->led), &txn, false) != STORAGE_OK)
        return;
    uint64_t done = from - 1;
    bool have = journal_read(&txn, from, ob->cur, false) == STORAGE_OK;
    stream_status st = STREAM_OK;
    for (uint64_t seq = from; have && seq <= to; seq++) {
        storage_val v;
        if (journal_get(&txn, seq, &v) != STORAGE_OK)
            break;
        bool next = journal_read(&txn, seq + 1, ob->ahead, false) ==
                    STORAGE_OK;
        headers hs;
        fill_headers(ob, b, &txn, seq, &v, ob->cur, next ? ob->ahead : NULL,
                     &hs);
        char id[JIFEN_COMMUNITY_MAX + 48];
        snprintf(id, sizeof id, "%s:%" PRIu64 ":%.16s", b->code, seq,
                 hs.hash_hex);
        st = stream_pub_send(b->pub, seq, v.data, v.len, id, hs.h, hs.n);
        if (st != STREAM_OK)
            break;
        done = seq;
        jifen_entry *t = ob->cur;
        ob->cur = ob->ahead;
        ob->ahead = t;
        have = next;
    }
    storage_txn_abort(&txn);
    pthread_mutex_lock(&ob->lock);
    if (done > b->sent)
        b->sent = done;
    if (st != STREAM_OK && !b->resync) {
        b->resync = true;
        b->retry_at_ms = mono_ms() + RETRY_UNAVAILABLE_MS;
    }
    pthread_mutex_unlock(&ob->lock);
}

static bool can_send(const box *b)
{
    return b->state == BOX_READY && !b->resync && b->sent < b->committed &&
           b->sent - b->acked < WINDOW;
}

static void *run(void *arg)
{
    outbox *ob = arg;
    pthread_mutex_lock(&ob->lock);
    while (!ob->quit) {
        int64_t now = mono_ms(), wake_at = now + 1000;
        bool worked = false;
        for (box *b = ob->boxes; b && !ob->quit; b = b->next) {
            if (b->state == BOX_FENCED)
                continue;
            if (b->state == BOX_SYNC || b->resync) {
                if (now < b->retry_at_ms) {
                    if (b->retry_at_ms < wake_at)
                        wake_at = b->retry_at_ms;
                    continue;
                }
                pthread_mutex_unlock(&ob->lock);
                resync(b);
                pthread_mutex_lock(&ob->lock);
                worked = true;
                now = mono_ms();
            }
            if (can_send(b)) {
                pthread_mutex_unlock(&ob->lock);
                send_some(ob, b);
                pthread_mutex_lock(&ob->lock);
                worked = true;
            }
        }
        if (worked || ob->quit)
            continue;
        struct timespec ts;
        deadline_after(&ts, wake_at - mono_ms() > 0 ? wake_at - mono_ms() : 1);
        pthread_cond_timedwait(&ob->wake, &ob->lock, &ts);
    }
    pthread_mutex_unlock(&ob->lock);
    return NULL;
}

/* --- the interface ------------------------------------------------------------------- */

outbox *outbox_new(const outbox_options *o)
{
    outbox *ob = calloc(1, sizeof *ob);
    if (!ob)
        return NULL;
    ob->o = *o;
    snprintf(ob->prefix, sizeof ob->prefix, "%s", o->prefix);
    ob->o.prefix = ob->prefix;
    ob->cur = malloc(sizeof *ob->cur);
    ob->ahead = malloc(sizeof *ob->ahead);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&ob->lock, NULL);
    pthread_cond_init(&ob->wake, &ca);
    pthread_cond_init(&ob->moved, &ca);
    pthread_condattr_destroy(&ca);
    if (!ob->cur || !ob->ahead ||
        pthread_create(&ob->thread, NULL, run, ob) != 0) {
        free(ob->cur);
        free(ob->ahead);
        pthread_mutex_destroy(&ob->lock);
        pthread_cond_destroy(&ob->wake);
        pthread_cond_destroy(&ob->moved);
        free(ob);
        return NULL;
    }
    return ob;
}

bool outbox_replicated(const outbox *ob)
{
    return ob->o.durability == OUTBOX_REPLICATED;
}

void outbox_destroy(outbox **self_p)
{
    outbox *ob = *self_p;
    if (!ob)
        return;
    /* A clean stop leaves the stream complete when it answers; one that
     * does not answer now (a box waiting to look at it again) is not
     * waited for: the entries stay in the journal, and a stop during a
     * cluster outage is not held up by the ack timeout. */
    struct timespec ts;
    deadline_after(&ts, ob->o.ack_timeout_ms);
    pthread_mutex_lock(&ob->lock);
    for (box *b = ob->boxes; b; b = b->next) {
        b->committed = ledger_entries(b->led);
        pthread_cond_signal(&ob->wake);
        while (b->state == BOX_READY && !b->resync &&
               b->acked < b->committed &&
               pthread_cond_timedwait(&ob->moved, &ob->lock, &ts) != ETIMEDOUT)
            ;
        if (b->state != BOX_FENCED && b->acked < b->committed)
            log_warn("%s: entries %" PRIu64 "-%" PRIu64 " are not in the "
                     "stream yet; they are published at the next start",
                     b->code, b->acked + 1, b->committed);
    }
    ob->quit = true;
    pthread_cond_signal(&ob->wake);
    pthread_mutex_unlock(&ob->lock);
    pthread_join(ob->thread, NULL);
    while (ob->boxes) {
        box *b = ob->boxes;
        ob->boxes = b->next;
        stream_pub_destroy(&b->pub);
        ledger_set_outbox(b->led, NULL);
        free(b);
    }
    pthread_mutex_destroy(&ob->lock);
    pthread_cond_destroy(&ob->wake);
    pthread_cond_destroy(&ob->moved);
    free(ob->cur);
    free(ob->ahead);
    free(ob->b64);
    free(ob);
    *self_p = NULL;
}

int outbox_attach(outbox *ob, ledger *led, const char *code)
{
    if (ledger_outbox(led))
        return 0;
    box *b = calloc(1, sizeof *b);
    if (!b)
        return -1;
    b->ob = ob;
    b->led = led;
    snprintf(b->code, sizeof b->code, "%s", code ? code : JIFEN_SERVICE_ADDRESS);
    stream_names(ob->prefix, code, b->stream, b->subject);
    b->state = BOX_SYNC;
    b->committed = ledger_entries(led);
    ledger_set_outbox(led, b);
    pthread_mutex_lock(&ob->lock);
    b->next = ob->boxes;
    ob->boxes = b;
    pthread_cond_signal(&ob->wake);
    pthread_mutex_unlock(&ob->lock);
    return 0;
}

outbox_result outbox_committed(outbox *ob, ledger *led, bool wait)
{
    box *b = ledger_outbox(led);
    if (!b)
        return OUTBOX_ACKED;
    uint64_t head = ledger_entries(led);
    pthread_mutex_lock(&ob->lock);
    if (head > b->committed) {
        b->committed = head;
        pthread_cond_signal(&ob->wake);
    }
    if (wait && b->state != BOX_FENCED && b->acked < head) {
        struct timespec ts;
        deadline_after(&ts, ob->o.ack_timeout_ms);
        while (b->state != BOX_FENCED && b->acked < head &&
               pthread_cond_timedwait(&ob->moved, &ob->lock, &ts) != ETIMEDOUT)
            ;
    }
    outbox_result r = b->state == BOX_FENCED          ? OUTBOX_FENCED
                      : !wait || b->acked >= head ? OUTBOX_ACKED
                                                  : OUTBOX_NOT_ACKED;
    pthread_mutex_unlock(&ob->lock);
    return r;
}

bool outbox_fenced(outbox *ob, ledger *led, char *why, size_t whylen)
{
    box *b = ledger_outbox(led);
    if (!b)
        return false;
    pthread_mutex_lock(&ob->lock);
    bool fenced = b->state == BOX_FENCED;
    if (fenced)
        snprintf(why, whylen, "%s", b->why);
    pthread_mutex_unlock(&ob->lock);
    return fenced;
}
