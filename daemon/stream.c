/*
 * stream - NATS JetStream behind one module; see stream.h.
 *
 * Why these settings: the client connects in the background and reconnects
 * for ever (a primary in `local` durability keeps serving through an outage
 * of the whole cluster, and publishes its backlog once it is back); every
 * asynchronous publish carries a bound (the ack timeout), so that a stream
 * without quorum fails its messages instead of holding them without end;
 * streams are made with file storage and with deletes and purges denied,
 * since they are ledgers: nobody removes an entry from one.
 */
#include "stream.h"

#include "log.h"

#include <nats/nats.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SERVERS_MAX 16
/* How long a JetStream API request (stream info, a message) may take. */
#define API_WAIT_MS 2000
/* Entries are kept for ever; duplicates within this window are told. */
#define DUPLICATE_WINDOW_NS (2LL * 60 * 1000 * 1000 * 1000)

struct stream_client {
    natsOptions *opts;
    natsConnection *nc;
    jsCtx *js; /* for the API requests */
    int replicas;
    int ack_timeout_ms;
    bool was_connected;
};

struct stream_pub {
    stream_client *c;
    jsCtx *js;
    char subject[STREAM_NAME_MAX];
    stream_ack_fn fn;
    void *ctx;
    int64_t wait_ms;
    bool used; /* anything published (the client's pending list exists) */
};

/* --- names ------------------------------------------------------------------ */

bool stream_prefix_ok(const char *prefix)
{
    size_t n = strlen(prefix);
    if (n == 0 || n > STREAM_PREFIX_MAX)
        return false;
    return strspn(prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789-") == n;
}

/* A community code as a token of stream names and subjects. */
static void token_of(const char *code, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = code; *p && o + 4 < cap; p++) {
        if (*p == '_' || *p == '.')
            o += (size_t)snprintf(out + o, cap - o, "_%02X",
                                  (unsigned)(unsigned char)*p);
        else
            out[o++] = *p;
    }
    out[o] = '\0';
}

void stream_names(const char *prefix, const char *code,
                  char stream[STREAM_NAME_MAX], char subject[STREAM_NAME_MAX])
{
    if (!code) {
        snprintf(stream, STREAM_NAME_MAX, "%s__service", prefix);
        snprintf(subject, STREAM_NAME_MAX, "%s.service", prefix);
        return;
    }
    char token[3 * 32 + 1];
    token_of(code, token, sizeof token);
    snprintf(stream, STREAM_NAME_MAX, "%s_%s", prefix, token);
    snprintf(subject, STREAM_NAME_MAX, "%s.entries.%s", prefix, token);
}

/* --- the connection -------------------------------------------------------------- */

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    stream_client *c = closure;
    if (c->was_connected)
        log_warn("NATS: disconnected; reconnecting in the background");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    stream_client *c = closure;
    char url[256] = "";
    natsConnection_GetConnectedUrl(nc, url, sizeof url);
    log_info("NATS: connected to %s", url);
    c->was_connected = true;
}

static void on_async_error(natsConnection *nc, natsSubscription *sub,
                           natsStatus err, void *closure)
{
    (void)nc;
    (void)sub;
    (void)closure;
    log_warn("NATS: %s", natsStatus_GetText(err));
}

static void say(char *err, size_t errlen, const char *what, natsStatus s,
                jsErrCode jerr)
{
    const char *last = nats_GetLastError(NULL);
    if (jerr)
        snprintf(err, errlen, "%s: %s (JetStream error %d)", what,
                 last && *last ? last : natsStatus_GetText(s), (int)jerr);
    else
        snprintf(err, errlen, "%s: %s", what,
                 last && *last ? last : natsStatus_GetText(s));
}

static bool unavailable(natsStatus s, jsErrCode jerr)
{
    return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS ||
           s == NATS_CONNECTION_CLOSED || s == NATS_CONNECTION_DISCONNECTED ||
           s == NATS_NOT_YET_CONNECTED || s == NATS_NO_SERVER ||
           s == NATS_STALE_CONNECTION || jerr == JSClusterNoPeersErr ||
           jerr == JSStreamOfflineErr || jerr == JSClusterNotAvailErr ||
           jerr == JSInsufficientResourcesErr;
}

stream_client *stream_client_new(const stream_settings *st, char *err,
                                 size_t errlen)
{
    stream_client *c = calloc(1, sizeof *c);
    char urls[2048];
    const char *list[SERVERS_MAX];
    int n = 0;
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->replicas = st->replicas;
    c->ack_timeout_ms = st->ack_timeout_ms;
    snprintf(urls, sizeof urls, "%s", st->servers);
    char *save = NULL;
    for (char *t = strtok_r(urls, ", ", &save); t && n < SERVERS_MAX;
         t = strtok_r(NULL, ", ", &save))
        list[n++] = t;
    natsStatus s = n ? natsOptions_Create(&c->opts) : NATS_INVALID_ARG;
    if (s == NATS_OK)
        s = natsOptions_SetServers(c->opts, list, n);
    if (s == NATS_OK)
        s = natsOptions_SetName(c->opts, st->name);
    if (s == NATS_OK && st->creds && *st->creds)
        s = natsOptions_SetUserCredentialsFromFiles(c->opts, st->creds, NULL);
    if (s == NATS_OK)
        /* With a callback the first connect does not block: a primary in
         * local durability serves while the cluster is down. */
        s = natsOptions_SetRetryOnFailedConnect(c->opts, true, on_reconnected,
                                                c);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(c->opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(c->opts, 250);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(c->opts, 2000);
    /* Publishes queued while disconnected count against the ack timeout,
     * never pile up without bound. */
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(c->opts, 64 << 20);
    if (s == NATS_OK)
        s = natsOptions_SetDisconnectedCB(c->opts, on_disconnected, c);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectedCB(c->opts, on_reconnected, c);
    if (s == NATS_OK)
        s = natsOptions_SetErrorHandler(c->opts, on_async_error, c);
    if (s != NATS_OK) {
        say(err, errlen, n ? "NATS options" : "no NATS server named", s, 0);
        stream_client_destroy(&c);
        return NULL;
    }
    s = natsConnection_Connect(&c->nc, c->opts);
    if (s == NATS_OK) {
        c->was_connected = true;
        on_reconnected(c->nc, c);
    } else if (s == NATS_NOT_YET_CONNECTED) {
        log_warn("NATS: no server of %s answers yet; trying in the "
                 "background",
                 st->servers);
    } else {
        say(err, errlen, "NATS connection", s, 0);
        stream_client_destroy(&c);
        return NULL;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = API_WAIT_MS;
    s = natsConnection_JetStream(&c->js, c->nc, &jo);
    if (s != NATS_OK) {
        say(err, errlen, "JetStream", s, 0);
        stream_client_destroy(&c);
        return NULL;
    }
    return c;
}

void stream_client_destroy(stream_client **self_p)
{
    stream_client *c = *self_p;
    if (!c)
        return;
    jsCtx_Destroy(c->js);
    if (c->nc) {
        natsConnection_Close(c->nc);
        natsConnection_Destroy(c->nc);
    }
    natsOptions_Destroy(c->opts);
    free(c);
    *self_p = NULL;
    /* The library's own threads and memory, so that nothing outlives
     * jifend's clean stop (and leak checkers see none). */
    nats_CloseAndWait(2000);
}

/* --- streams --------------------------------------------------------------------- */

/* The stream's last sequence, and (when asked) its replicas. */
static stream_status stream_info(stream_client *c, const char *stream,
                                 uint64_t *last, int64_t *replicas, char *err,
                                 size_t errlen)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, c->js, stream, NULL, &jerr);
    if (s == NATS_OK) {
        *last = si->State.LastSeq;
        if (replicas)
            *replicas = si->Config && si->Config->Replicas > 1
                            ? si->Config->Replicas
                            : 1;
        jsStreamInfo_Destroy(si);
        return STREAM_OK;
    }
    say(err, errlen, stream, s, jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr)
        return STREAM_NOT_FOUND;
    return unavailable(s, jerr) ? STREAM_UNAVAILABLE : STREAM_FAILED;
}

stream_status stream_last(stream_client *c, const char *stream,
                          uint64_t *last, char *err, size_t errlen)
{
    return stream_info(c, stream, last, NULL, err, errlen);
}

stream_status stream_ensure(stream_client *c, const char *stream,
                            const char *subject, uint64_t *last, char *err,
                            size_t errlen)
{
    int64_t replicas = 0;
    stream_status st = stream_info(c, stream, last, &replicas, err, errlen);
    /* A stream made by hand, or by a jifend with fewer nats_replicas: its
     * acknowledgement is not the one "replicated" promises (and a "local"
     * primary configured for three would believe its entries are on three
     * disks). Nothing is published to it until it is raised. */
    if (st == STREAM_OK && replicas < c->replicas) {
        snprintf(err, errlen,
                 "stream %s has %" PRId64 " replica(s), fewer than the %d of "
                 "nats_replicas: raise it (nats stream edit %s --replicas "
                 "%d) or lower nats_replicas",
                 stream, replicas, c->replicas, stream, c->replicas);
        return STREAM_FAILED;
    }
    if (st != STREAM_NOT_FOUND)
        return st;
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[] = {subject};
    sc.Name = stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    sc.Retention = js_LimitsPolicy;
    sc.Replicas = c->replicas;
    sc.Duplicates = DUPLICATE_WINDOW_NS;
    sc.DenyDelete = true;
    sc.DenyPurge = true;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddStream(&si, c->js, &sc, NULL, &jerr);
    if (s == NATS_OK || jerr == JSStreamNameExistErr) {
        if (si) {
            *last = si->State.LastSeq;
            jsStreamInfo_Destroy(si);
            log_info("NATS: made stream %s (%s), %d replica%s", stream,
                     subject, c->replicas, c->replicas == 1 ? "" : "s");
            return STREAM_OK;
        }
        return stream_last(c, stream, last, err, errlen);
    }
    say(err, errlen, stream, s, jerr);
    return unavailable(s, jerr) ? STREAM_UNAVAILABLE : STREAM_FAILED;
}

stream_status stream_get(stream_client *c, const char *stream, uint64_t seq,
                         uint8_t **data, size_t *len, char *err,
                         size_t errlen)
{
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetMsg(&m, c->js, stream, seq, NULL, &jerr);
    if (s != NATS_OK) {
        say(err, errlen, stream, s, jerr);
        if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
            return STREAM_NOT_FOUND;
        return unavailable(s, jerr) ? STREAM_UNAVAILABLE : STREAM_FAILED;
    }
    int n = natsMsg_GetDataLength(m);
    *len = n > 0 ? (size_t)n : 0;
    *data = malloc(*len ? *len : 1);
    if (!*data) {
        natsMsg_Destroy(m);
        snprintf(err, errlen, "out of memory");
        return STREAM_FAILED;
    }
    memcpy(*data, natsMsg_GetData(m), *len);
    natsMsg_Destroy(m);
    return STREAM_OK;
}

/* --- publishing ------------------------------------------------------------------ */

static uint64_t header_seq(natsMsg *m)
{
    const char *v = NULL;
    if (natsMsgHeader_Get(m, "Jifen-Entry", &v) != NATS_OK || !v)
        return 0;
    return strtoull(v, NULL, 10);
}

/* The message is ours again here (an AckHandler's, unlike an
 * ErrHandler's, is never freed by libnats): every entry published would
 * stay in memory otherwise. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
                   void *closure)
{
    (void)js;
    stream_pub *p = closure;
    uint64_t seq = header_seq(msg);
    natsMsg_Destroy(msg);
    if (pa) {
        p->fn(p->ctx, seq, STREAM_ACK_OK, pa->Sequence,
              pa->Duplicate ? "duplicate" : "");
        return;
    }
    if (!pae)
        return;
    stream_ack r = pae->ErrCode == JSStreamWrongLastSequenceErr
                       ? STREAM_ACK_WRONG_LAST
                   : unavailable(pae->Err, pae->ErrCode) ? STREAM_ACK_UNAVAILABLE
                                                         : STREAM_ACK_FAILED;
    char text[256];
    snprintf(text, sizeof text, "%s",
             pae->ErrText && *pae->ErrText ? pae->ErrText
                                           : natsStatus_GetText(pae->Err));
    p->fn(p->ctx, seq, r, 0, text);
}

stream_pub *stream_pub_new(stream_client *c, const char *subject,
                           stream_ack_fn fn, void *ctx)
{
    stream_pub *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->c = c;
    p->fn = fn;
    p->ctx = ctx;
    /* One attempt's bound, a fraction of the ack timeout: a message sent
     * to a stream leader that died gets no answer at all, and must be
     * found lost (and sent again, to the next leader) while the writes
     * waiting for it still wait. */
    p->wait_ms = c->ack_timeout_ms / 4;
    if (p->wait_ms > 2000)
        p->wait_ms = 2000;
    if (p->wait_ms < 100)
        p->wait_ms = 100;
    snprintf(p->subject, sizeof p->subject, "%s", subject);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = API_WAIT_MS;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = p;
    if (natsConnection_JetStream(&p->js, c->nc, &jo) != NATS_OK) {
        free(p);
        return NULL;
    }
    return p;
}

void stream_pub_destroy(stream_pub **self_p)
{
    stream_pub *p = *self_p;
    if (!p)
        return;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = p->wait_ms;
    js_PublishAsyncComplete(p->js, &po);
    /* Whatever is still pending is given back and dropped: the journal is
     * the outbox, and it is published again from there. */
    natsMsgList left = {0};
    if (p->used && js_PublishAsyncGetPendingList(&left, p->js) == NATS_OK)
        natsMsgList_Destroy(&left);
    jsCtx_Destroy(p->js);
    free(p);
    *self_p = NULL;
}

stream_status stream_pub_send(stream_pub *p, uint64_t seq, const uint8_t *data,
                              size_t len, const char *msg_id,
                              const stream_header *h, size_t n_headers)
{
    natsMsg *m = NULL;
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, seq);
    natsStatus s = natsMsg_Create(&m, p->subject, NULL, (const char *)data,
                                  (int)len);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(m, "Jifen-Entry", num);
    for (size_t i = 0; s == NATS_OK && i < n_headers; i++)
        s = natsMsgHeader_Set(m, h[i].name, h[i].value);
    if (s == NATS_OK) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = msg_id;
        po.MaxWait = p->wait_ms;
        /* One subject per stream: "no message on the subject" is "the
         * stream is empty", the expectation of entry 1. */
        if (seq == 1)
            po.ExpectNoMessage = true;
        else
            po.ExpectLastSeq = seq - 1;
        s = js_PublishMsgAsync(p->js, &m, &po);
        p->used = true;
    }
    natsMsg_Destroy(m); /* nothing when the library took it */
    if (s == NATS_OK)
        return STREAM_OK;
    return unavailable(s, 0) ? STREAM_UNAVAILABLE : STREAM_FAILED;
}

/* --- consuming ------------------------------------------------------------------- */

typedef struct node {
    natsMsg *msg;
    stream_sub *sub;
    struct node *next;
} node;

struct stream_inbox {
    pthread_mutex_t lock;
    node *head, *tail;
    int pipe[2];
    /* Consumers stopped: freed with the inbox, since a callback already
     * under way when one stopped may still queue a message of it. */
    struct stream_sub *stopped;
};

struct stream_sub {
    struct stream_sub *next_stopped;
    bool stopped; /* under the inbox's lock */
    stream_client *c;
    natsSubscription *sub;
    stream_inbox *in;
    void *ctx;
    char stream[STREAM_NAME_MAX];
    char durable[STREAM_NAME_MAX];
};

stream_inbox *stream_inbox_new(void)
{
    stream_inbox *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    if (pipe(in->pipe) != 0) {
        free(in);
        return NULL;
    }
    for (int i = 0; i < 2; i++)
        fcntl(in->pipe[i], F_SETFL, fcntl(in->pipe[i], F_GETFL) | O_NONBLOCK);
    pthread_mutex_init(&in->lock, NULL);
    return in;
}

/* Drops the queued messages of sub (NULL: all). Under the lock. */
static void drop_queued(stream_inbox *in, const stream_sub *sub)
{
    node **pp = &in->head;
    in->tail = NULL;
    while (*pp) {
        node *n = *pp;
        if (!sub || n->sub == sub) {
            *pp = n->next;
            natsMsg_Destroy(n->msg);
            free(n);
        } else {
            in->tail = n;
            pp = &n->next;
        }
    }
}

void stream_inbox_destroy(stream_inbox **self_p)
{
    stream_inbox *in = *self_p;
    if (!in)
        return;
    drop_queued(in, NULL);
    while (in->stopped) {
        stream_sub *s = in->stopped;
        in->stopped = s->next_stopped;
        free(s);
    }
    close(in->pipe[0]);
    close(in->pipe[1]);
    pthread_mutex_destroy(&in->lock);
    free(in);
    *self_p = NULL;
}

int stream_inbox_fd(const stream_inbox *in)
{
    return in->pipe[0];
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg,
                   void *closure)
{
    (void)nc;
    (void)sub;
    stream_sub *s = closure;
    node *n = malloc(sizeof *n);
    if (!n) {
        natsMsg_Destroy(msg); /* not acknowledged: delivered again */
        return;
    }
    n->msg = msg;
    n->sub = s;
    n->next = NULL;
    stream_inbox *in = s->in;
    pthread_mutex_lock(&in->lock);
    if (s->stopped) {
        pthread_mutex_unlock(&in->lock);
        natsMsg_Destroy(msg);
        free(n);
        return;
    }
    bool was_empty = in->head == NULL;
    if (in->tail)
        in->tail->next = n;
    else
        in->head = n;
    in->tail = n;
    pthread_mutex_unlock(&in->lock);
    if (was_empty && write(in->pipe[1], "", 1) < 0 && errno != EAGAIN)
        log_warn("NATS: cannot wake the replica: %s", strerror(errno));
}

bool stream_inbox_take(stream_inbox *in, stream_msg *m)
{
    pthread_mutex_lock(&in->lock);
    node *n = in->head;
    if (n) {
        in->head = n->next;
        if (!in->head)
            in->tail = NULL;
    } else {
        char buf[64];
        while (read(in->pipe[0], buf, sizeof buf) > 0)
            ;
    }
    pthread_mutex_unlock(&in->lock);
    if (!n)
        return false;
    memset(m, 0, sizeof *m);
    m->ctx = n->sub->ctx;
    m->handle = n->msg;
    jsMsgMetaData *meta = NULL;
    if (natsMsg_GetMetaData(&meta, n->msg) == NATS_OK) {
        m->seq = meta->Sequence.Stream;
        m->pending = meta->NumPending;
        jsMsgMetaData_Destroy(meta);
    } else {
        m->seq = header_seq(n->msg);
    }
    m->data = (const uint8_t *)natsMsg_GetData(n->msg);
    int len = natsMsg_GetDataLength(n->msg);
    m->len = len > 0 ? (size_t)len : 0;
    if (natsMsgHeader_Get(n->msg, "Jifen-Checkpoint", &m->checkpoint) !=
        NATS_OK)
        m->checkpoint = NULL;
    if (natsMsgHeader_Get(n->msg, "Jifen-Request", &m->request) != NATS_OK)
        m->request = NULL;
    free(n);
    return true;
}

bool stream_msg_header(const stream_msg *m, const char *name,
                       const char **value)
{
    *value = NULL;
    return m->handle &&
           natsMsgHeader_Get(m->handle, name, value) == NATS_OK && *value;
}

void stream_msg_done(stream_msg *m, bool ack)
{
    natsMsg *msg = m->handle;
    if (!msg)
        return;
    if (ack)
        natsMsg_Ack(msg, NULL);
    natsMsg_Destroy(msg);
    m->handle = NULL;
}

stream_status stream_sub_new(stream_sub **out, stream_client *c,
                             const char *stream, const char *subject,
                             const char *durable, uint64_t from,
                             stream_inbox *in, void *ctx, char *err,
                             size_t errlen)
{
    *out = NULL;
    stream_sub *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return STREAM_FAILED;
    }
    s->c = c;
    s->in = in;
    s->ctx = ctx;
    snprintf(s->stream, sizeof s->stream, "%s", stream);
    snprintf(s->durable, sizeof s->durable, "%s", durable);
    uint64_t last = 0;
    stream_status st = stream_last(c, stream, &last, err, errlen);
    if (st != STREAM_OK) {
        free(s);
        return st;
    }
    /* The ledger says where this replica is; a consumer left from before
     * (its own delivery state) is made again from there. */
    jsErrCode jerr = 0;
    js_DeleteConsumer(c->js, stream, durable, NULL, &jerr);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.ManualAck = true;
    so.Config.Durable = durable;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = from;
    so.Config.AckPolicy = js_AckAll;
    so.Config.MaxAckPending = 20000;
    so.Config.FlowControl = true;
    so.Config.Heartbeat = 5LL * 1000 * 1000 * 1000;
    jerr = 0;
    natsStatus ns =
        js_Subscribe(&s->sub, c->js, subject, on_msg, s, NULL, &so, &jerr);
    if (ns != NATS_OK) {
        say(err, errlen, stream, ns, jerr);
        free(s);
        return unavailable(ns, jerr) ? STREAM_UNAVAILABLE : STREAM_FAILED;
    }
    natsSubscription_SetPendingLimits(s->sub, -1, -1);
    *out = s;
    return STREAM_OK;
}

void stream_sub_destroy(stream_sub **self_p, bool forget)
{
    stream_sub *s = *self_p;
    if (!s)
        return;
    if (forget)
        natsSubscription_Unsubscribe(s->sub);
    natsSubscription_Destroy(s->sub);
    if (forget) {
        jsErrCode jerr = 0;
        js_DeleteConsumer(s->c->js, s->stream, s->durable, NULL, &jerr);
    }
    stream_inbox *in = s->in;
    pthread_mutex_lock(&in->lock);
    drop_queued(in, s);
    s->stopped = true;
    s->next_stopped = in->stopped;
    in->stopped = s;
    pthread_mutex_unlock(&in->lock);
    *self_p = NULL;
}
