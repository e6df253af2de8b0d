/*
 * stream_bridge - an example consumer of jifen's NATS JetStream streams
 * (docs/operations.md, "The stream"): the start of a bridge that tells
 * residents when points arrive or a public notice opens.
 *
 *   stream_bridge --servers URLS --community CODE [--prefix jifen]
 *                 [--durable NAME] [--once]
 *       follows one community's stream with a durable pull consumer
 *       (default name "bridge"), prints one line per entry that concerns a
 *       household, and acknowledges it; a restart goes on where it
 *       stopped. --once: stop when caught up.
 *   stream_bridge --servers URLS --dump STREAM
 *       prints every message of a stream, "SEQ HASH REQUEST_ID", checking
 *       what a consumer should check: the message's sequence is the
 *       entry's number, the body hashes to Jifen-Hash, and each entry's
 *       previous hash is the hash of the message before. Exit 1 when not.
 *   stream_bridge --servers URLS --ping
 *       exit 0 when JetStream answers.
 *
 * What a message is: its body is the entry exactly as the ledger stores
 * it (a protobuf jifen.v1.Entry, proto/jifen/v1/jifen.proto), so any
 * language with protobuf decodes it, and its SHA-256 is the hash the
 * chain and the signed checkpoints use. The headers say, without decoding,
 * the community, the entry number, its hash, the command kind and the
 * household: enough to filter. This example decodes the body with jifen's
 * own codec (libjifen); a bridge in another language uses the .proto.
 *
 * It uses the NATS C client directly (nats.h), as a bridge would; jifend
 * keeps the client behind daemon/stream.c.
 */
#include "entry_codec.h"
#include "hash.h"
#include "jifen_types.h"

#include <nats/nats.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int connect_js(const char *urls, natsConnection **nc, jsCtx **js)
{
    natsOptions *o = NULL;
    const char *list[16];
    char buf[2048];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", urls);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t && n < 16;
         t = strtok_r(NULL, ",", &save))
        list[n++] = t;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetServers(o, list, n);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 2000);
    if (s == NATS_OK)
        s = natsConnection_Connect(nc, o);
    natsOptions_Destroy(o);
    if (s == NATS_OK) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = 3000;
        s = natsConnection_JetStream(js, *nc, &jo);
    }
    if (s != NATS_OK)
        fprintf(stderr, "stream_bridge: %s: %s\n", urls, natsStatus_GetText(s));
    return s == NATS_OK ? 0 : -1;
}

static void close_js(natsConnection *nc, jsCtx *js)
{
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* --dump: every message, checked. */
static int dump(jsCtx *js, const char *stream)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    if (js_GetStreamInfo(&si, js, stream, NULL, &jerr) != NATS_OK) {
        fprintf(stderr, "stream_bridge: %s: no such stream (%d)\n", stream,
                (int)jerr);
        return 1;
    }
    uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    uint8_t prev[JIFEN_HASH_LEN] = {0};
    int bad = 0;
    jifen_entry e;
    for (uint64_t seq = first; seq && seq <= last; seq++) {
        natsMsg *m = NULL;
        if (js_GetMsg(&m, js, stream, seq, NULL, &jerr) != NATS_OK) {
            printf("BROKEN %" PRIu64 ": cannot be read (%d)\n", seq, (int)jerr);
            return 1;
        }
        const uint8_t *data = (const uint8_t *)natsMsg_GetData(m);
        size_t len = (size_t)natsMsg_GetDataLength(m);
        uint8_t h[JIFEN_HASH_LEN];
        char hh[65], why[200];
        const char *said = NULL;
        hash_sha256(data, len, h);
        hex(h, sizeof h, hh);
        natsMsgHeader_Get(m, "Jifen-Hash", &said);
        if (codec_entry_decode_text(data, len, &e, why, sizeof why) !=
            JIFEN_STATUS_OK) {
            printf("BROKEN %" PRIu64 ": does not decode: %s\n", seq, why);
            bad = 1;
        } else {
            if (e.seq != seq)
                printf("BROKEN %" PRIu64 ": holds entry %" PRIu64 "\n", seq,
                       e.seq), bad = 1;
            if ((seq == 1 || seq > first) &&
                memcmp(e.prev_hash, prev, sizeof prev) != 0)
                printf("BROKEN %" PRIu64 ": previous hash differs\n", seq),
                    bad = 1;
            if (!said || strcmp(said, hh) != 0)
                printf("BROKEN %" PRIu64 ": Jifen-Hash differs\n", seq),
                    bad = 1;
            printf("%" PRIu64 " %s %s\n", seq, hh,
                   e.request_id[0] ? e.request_id : "-");
            free(e.command.text);
        }
        memcpy(prev, h, sizeof prev);
        natsMsg_Destroy(m);
    }
    return bad;
}

/* What a resident would be told of entry e, or nothing. */
static void tell(const char *community, const jifen_entry *e)
{
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        char h[JIFEN_HOUSEHOLD_MAX + 1];
        if (sscanf(p->credit, "household/%32[^/]/points", h) == 1 &&
            strstr(p->credit, "/points"))
            printf("%s %s: +%" PRIu64 " points (%s, entry %" PRIu64 ")\n",
                   community, h, p->amount, e->command.code[0]
                                                ? e->command.code
                                                : "credited",
                   e->seq);
        else if (sscanf(p->credit, "household/%32[^/]/pending", h) == 1 &&
                 strstr(p->credit, "/pending"))
            printf("%s %s: %" PRIu64 " points under public notice until %"
                   PRId64 " ms (entry %" PRIu64 ")\n",
                   community, h, p->amount, e->notice_ends_ms, e->seq);
        else if (sscanf(p->debit, "household/%32[^/]/points", h) == 1 &&
                 strstr(p->debit, "/points"))
            printf("%s %s: -%" PRIu64 " points (entry %" PRIu64 ")\n",
                   community, h, p->amount, e->seq);
    }
}

/* The stream of a community, as jifend names it (daemon/stream.c). */
static void stream_of(const char *prefix, const char *code, char *stream,
                      char *subject, size_t cap)
{
    char token[128];
    size_t o = 0;
    for (const char *p = code; *p && o + 4 < sizeof token; p++)
        o += (*p == '_' || *p == '.')
                 ? (size_t)snprintf(token + o, sizeof token - o, "_%02X",
                                    (unsigned)(unsigned char)*p)
                 : (token[o] = *p, 1);
    token[o] = '\0';
    snprintf(stream, cap, "%s_%s", prefix, token);
    snprintf(subject, cap, "%s.entries.%s", prefix, token);
}

static int follow(jsCtx *js, const char *prefix, const char *community,
                  const char *durable, int once)
{
    char stream[160], subject[160];
    stream_of(prefix, community, stream, subject, sizeof stream);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Config.AckPolicy = js_AckExplicit;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_PullSubscribe(&sub, js, subject, durable, NULL, &so,
                                    &jerr);
    if (s != NATS_OK) {
        fprintf(stderr, "stream_bridge: %s: %s (%d)\n", stream,
                natsStatus_GetText(s), (int)jerr);
        return 1;
    }
    for (;;) {
        natsMsgList list = {0};
        s = natsSubscription_Fetch(&list, sub, 100, 1000, &jerr);
        if (s == NATS_TIMEOUT && once)
            break;
        for (int i = 0; i < list.Count; i++) {
            natsMsg *m = list.Msgs[i];
            jifen_entry e;
            char why[200];
            if (codec_entry_decode_text(
                    (const uint8_t *)natsMsg_GetData(m),
                    (size_t)natsMsg_GetDataLength(m), &e, why,
                    sizeof why) == JIFEN_STATUS_OK) {
                tell(community, &e);
                free(e.command.text);
            } else {
                fprintf(stderr, "stream_bridge: an entry that does not "
                                "decode: %s\n", why);
            }
            /* Told: the consumer moves on (a crash before this line
             * tells it again: at least once). */
            natsMsg_Ack(m, NULL);
        }
        natsMsgList_Destroy(&list);
        fflush(stdout);
        if (s != NATS_OK && s != NATS_TIMEOUT) {
            fprintf(stderr, "stream_bridge: %s\n", natsStatus_GetText(s));
            break;
        }
    }
    natsSubscription_Destroy(sub);
    return 0;
}

int main(int argc, char **argv)
{
    const char *servers = NULL, *dump_stream = NULL, *community = NULL,
               *prefix = "jifen", *durable = "bridge";
    int ping = 0, once = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--servers") == 0 && v)
            servers = argv[++i];
        else if (strcmp(a, "--dump") == 0 && v)
            dump_stream = argv[++i];
        else if (strcmp(a, "--community") == 0 && v)
            community = argv[++i];
        else if (strcmp(a, "--prefix") == 0 && v)
            prefix = argv[++i];
        else if (strcmp(a, "--durable") == 0 && v)
            durable = argv[++i];
        else if (strcmp(a, "--ping") == 0)
            ping = 1;
        else if (strcmp(a, "--once") == 0)
            once = 1;
        else {
            fprintf(stderr, "usage: stream_bridge --servers URLS "
                            "(--community CODE [--prefix P] [--durable N] "
                            "[--once] | --dump STREAM | --ping)\n");
            return 2;
        }
    }
    if (!servers || (!ping && !dump_stream && !community)) {
        fprintf(stderr, "stream_bridge: --servers and one of --community, "
                        "--dump, --ping\n");
        return 2;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    if (connect_js(servers, &nc, &js) != 0)
        return 1;
    int rc;
    if (ping) {
        jsAccountInfo *ai = NULL;
        jsErrCode jerr = 0;
        rc = js_GetAccountInfo(&ai, js, NULL, &jerr) == NATS_OK ? 0 : 1;
        if (ai)
            jsAccountInfo_Destroy(ai);
    } else if (dump_stream) {
        rc = dump(js, dump_stream);
    } else {
        rc = follow(js, prefix, community, durable, once);
    }
    close_js(nc, js);
    return rc;
}
