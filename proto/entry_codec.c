/*
 * entry_codec - the stored form of a journal entry (docs/entry-format.md).
 *
 * These bytes are what the hash chain covers: entry n's prev_hash is the
 * SHA-256 of entry n-1's stored bytes, so they are written once, never
 * changed, and must read back the same in any language with stock
 * protobuf. Encoding is canonical (fields in number order, proto3 defaults
 * omitted), so a Python re-encoding of a decoded entry gives the same bytes.
 * Decoding checks structure only: an entry records what was applied, and
 * reading it back must not depend on today's validation rules.
 */
#include "entry_codec.h"

#include "codec_internal.h"

/*
 * An arena for decoding one journal entry: verification decodes every
 * entry of the chain, and a dozen malloc/free pairs per entry were a third
 * of its time. Blocks carry the same size header as sized_alloc's, so
 * wire_strlen works on both; what does not fit falls back to the heap.
 */
typedef struct {
    _Alignas(max_align_t) unsigned char space[8192];
    size_t used;
    bool spilled; /* something went to the heap: free it */
} arena;

static void *arena_alloc(void *arena_p, size_t size)
{
    arena *a = arena_p;
    size_t align = sizeof(max_align_t);
    size_t need = sizeof(block_head) + (size + align - 1) / align * align;
    if (size > sizeof a->space || need > sizeof a->space - a->used) {
        a->spilled = true;
        return sized_alloc(NULL, size);
    }
    block_head *h = (block_head *)(a->space + a->used);
    a->used += need;
    h->size = size;
    return h + 1;
}

static void arena_free(void *arena_p, void *p)
{
    arena *a = arena_p;
    uintptr_t c = (uintptr_t)p, base = (uintptr_t)a->space;
    if (c < base || c >= base + sizeof a->space)
        sized_free(NULL, p); /* a heap block, or NULL */
}

/* --- postings and entries ----------------------------------------------- */

size_t codec_postings_to_wire(const jifen_posting *p, size_t n,
                               Jifen__V1__Posting *w, Jifen__V1__Posting **ptrs)
{
    if (n > JIFEN_POSTINGS_MAX)
        n = JIFEN_POSTINGS_MAX;
    for (size_t i = 0; i < n; i++) {
        jifen__v1__posting__init(&w[i]);
        w[i].asset = codec_asset_to_wire(p[i].asset);
        w[i].debit = wire_str(p[i].debit);
        w[i].credit = wire_str(p[i].credit);
        w[i].amount = p[i].amount;
        ptrs[i] = &w[i];
    }
    return n;
}

static void posting_from_wire(const Jifen__V1__Posting *w, jifen_posting *p,
                              errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    codec_asset_from_wire(w->asset, &p->asset, e);
    take_str(e, "debit", p->debit, sizeof p->debit, w->debit);
    take_str(e, "credit", p->credit, sizeof p->credit, w->credit);
    p->amount = w->amount;
}

void codec_postings_from_wire(Jifen__V1__Posting *const *w, size_t n,
                               jifen_posting *out, size_t *n_out, errbuf *e)
{
    if (failed(e))
        return;
    if (n > JIFEN_POSTINGS_MAX) {
        fail(e, "postings: %zu, at most %d", n, JIFEN_POSTINGS_MAX);
        return;
    }
    for (size_t i = 0; i < n && !failed(e); i++) {
        posting_from_wire(w[i], &out[i], e);
        fail_context(e, "postings[%zu]", i);
    }
    *n_out = n;
}

void codec_entry_to_wire(const jifen_entry *en, wire_entry *w)
{
    jifen__v1__entry__init(&w->msg);
    w->msg.seq = en->seq;
    w->msg.prev_hash.data = (uint8_t *)en->prev_hash;
    w->msg.prev_hash.len = JIFEN_HASH_LEN;
    w->msg.time_ms = en->time_ms;
    w->msg.request_id = wire_str(en->request_id);
    w->msg.author = wire_str(en->author);
    codec_command_to_wire(&en->command, &w->command);
    w->msg.command = &w->command.msg;
    w->msg.n_postings = codec_postings_to_wire(en->postings, en->n_postings,
                                         w->postings, w->posting_ptrs);
    w->msg.postings = w->posting_ptrs;
    w->msg.reverses = en->reverses;
    w->msg.policy = wire_str(en->policy);
    w->msg.format = en->format;
    w->msg.notice_ends_ms = en->notice_ends_ms;
    w->msg.needs_approval = en->needs_approval;
    w->msg.expires_ms = en->expires_ms;
    w->msg.suspended_until_ms = en->suspended_until_ms;
    w->msg.author_key = wire_str(en->author_key);
    w->msg.n_takes_back = en->n_takes_back < JIFEN_POSTINGS_MAX
                              ? en->n_takes_back
                              : JIFEN_POSTINGS_MAX;
    w->msg.takes_back = (uint64_t *)en->takes_back;
    w->msg.proxy_consent = en->proxy_consent;
    w->msg.awards_suspended_until_ms = en->awards_suspended_until_ms;
}

/* Structural checks only: an entry records what was applied, and reading it
 * back must not depend on today's validation rules. */
void codec_entry_from_wire(const Jifen__V1__Entry *w, jifen_entry *en,
                            bool keep_text, errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    en->seq = w->seq;
    take_hash(e, "prev_hash", en->prev_hash, w->prev_hash, false);
    en->time_ms = w->time_ms;
    take_str(e, "request_id", en->request_id, sizeof en->request_id,
             w->request_id);
    take_str(e, "author", en->author, sizeof en->author, w->author);
    if (!failed(e) && w->command == NULL)
        fail(e, "command: missing");
    if (!failed(e)) {
        codec_command_from_wire(w->command, &en->command, e);
        fail_context(e, "command");
    }
    codec_postings_from_wire(w->postings, w->n_postings, en->postings,
                       &en->n_postings, e);
    en->reverses = w->reverses;
    take_str(e, "policy", en->policy, sizeof en->policy, w->policy);
    en->format = w->format;
    en->notice_ends_ms = w->notice_ends_ms;
    en->needs_approval = w->needs_approval;
    en->expires_ms = w->expires_ms;
    en->suspended_until_ms = w->suspended_until_ms;
    take_str(e, "author_key", en->author_key, sizeof en->author_key,
             w->author_key);
    if (!failed(e) && w->n_takes_back > JIFEN_POSTINGS_MAX)
        fail(e, "takes_back: %zu, at most %d", w->n_takes_back,
             JIFEN_POSTINGS_MAX);
    for (size_t i = 0; !failed(e) && i < w->n_takes_back; i++)
        en->takes_back[i] = w->takes_back[i];
    if (!failed(e))
        en->n_takes_back = w->n_takes_back;
    en->proxy_consent = w->proxy_consent;
    en->awards_suspended_until_ms = w->awards_suspended_until_ms;
    if (!keep_text || failed(e)) {
        free(en->command.text);
        en->command.text = NULL;
    }
}

/*
 * Worst case of an encoded entry, from the bounds of jifen_types.h. Inside
 * the payloads field numbers are below 16, so a tag is one byte; a varint
 * takes at most 10; a length-delimited body there stays below 16384 bytes,
 * so its length prefix takes at most 2 (W_LEN). The command's own field
 * number may reach 2047 (a two-byte tag) and a rule set's canonical text
 * (PolicyLoad) is longer than 16383 bytes, so those take W_LEN3: a length
 * below 2 MiB has a prefix of at most 3. The command is bounded by the sum
 * of every kind's payload, more than the one it carries, which keeps the
 * bound obviously safe.
 */
#define W_VARINT (1 + 10)
#define W_LEN(n) (1 + 2 + (n))
#define W_LEN3(n) (2 + 3 + (n))
#define W_HH W_LEN(JIFEN_HOUSEHOLD_MAX)
#define W_CODE W_LEN(JIFEN_CODE_MAX)
#define W_NOTE W_LEN(JIFEN_NOTE_MAX)
#define W_COMMAND_BODY                                                         \
    (W_LEN(W_HH + W_LEN(JIFEN_NAME_MAX) + W_VARINT) +                          \
     W_LEN(W_HH + W_CODE + 2 * W_VARINT + W_NOTE) +                            \
     W_LEN(W_HH + W_CODE + W_VARINT + W_NOTE) +                                \
     W_LEN(W_HH + W_VARINT + W_LEN(JIFEN_PERIOD_LEN)) +                        \
     2 * W_LEN(W_HH + W_VARINT) + W_LEN(W_VARINT + W_NOTE) + W_LEN(W_HH) +     \
     W_LEN(W_HH + W_VARINT) + W_LEN(0) + W_KEY_COMMANDS + W_POLICY_LOAD +      \
     W_COMMITTEE)
/* Issue 15: an Award's member, proxy, event and date (fields 60-63, two-byte
 * tags), and the kinds of codec_committee.c, each with every field set. */
#define W_LEN2(n) (2 + 2 + (n))
#define W_NAME W_LEN(JIFEN_NAME_MAX)
#define W_COMMITTEE                                                            \
    (3 * W_LEN2(JIFEN_NAME_MAX) + W_LEN2(JIFEN_DATE_LEN) +                     \
     W_LEN(W_HH + W_NAME + W_CODE + W_LEN(JIFEN_PHONE_MAX) + W_VARINT) +       \
     W_LEN(W_HH + 2 * W_NAME + W_NOTE + W_VARINT) +                            \
     W_LEN(W_CODE + W_NAME + 3 * W_VARINT + W_CODE + W_NOTE + 2 * W_VARINT) +  \
     W_LEN(W_CODE + 2 * W_VARINT + W_NOTE) +                                   \
     W_LEN(W_HH + W_CODE + W_VARINT + 2 * W_NAME + W_VARINT) +                 \
     W_LEN(W_VARINT + 2 * W_NAME + W_NOTE) + W_LEN(W_CODE + W_VARINT + W_NOTE) + \
     W_LEN(W_HH + 3 * W_VARINT + W_LEN(JIFEN_DATE_LEN) + W_NAME + W_VARINT +   \
           W_NOTE) +                                                           \
     W_LEN(W_HH + 2 * W_VARINT))
/* PolicyLoad as journaled: canonical text, version, effective, resolution. */
#define W_POLICY_LOAD                                                          \
    W_LEN3(W_LEN3(JIFEN_RULE_SET_LOAD_MAX) + W_LEN(JIFEN_POLICY_MAX) +         \
           W_LEN(JIFEN_DATE_LEN) + W_LEN(JIFEN_NOTE_MAX))
/* KeyEnrol, KeyRevoke, KeyListQuery. */
#define W_KEY_COMMANDS                                                         \
    (W_LEN(W_LEN(JIFEN_KEY_Z85_LEN) + W_VARINT + W_LEN(JIFEN_LABEL_MAX)) +     \
     W_LEN(W_LEN(JIFEN_KEY_Z85_LEN)) + W_LEN(0))
#define W_POSTING W_LEN(2 * W_VARINT + 2 * W_LEN(JIFEN_ACCOUNT_MAX))
#define W_ENTRY                                                                \
    (8 * W_VARINT + W_LEN(JIFEN_HASH_LEN) + W_LEN(JIFEN_REQUEST_ID_MAX) +      \
     W_LEN(JIFEN_KEY_Z85_LEN) +                                                \
     W_LEN(JIFEN_AUTHOR_MAX) + W_LEN3(W_COMMAND_BODY) +                         \
     JIFEN_POSTINGS_MAX * W_POSTING + W_LEN(JIFEN_POLICY_MAX) +                \
     2 * (2 + 10)) /* fields 30, 31 */

/* A round number with room for the schema to grow; callers may size stack
 * buffers with it. */
#define ENTRY_MAX_SIZE (40 * 1024)
_Static_assert(W_COMMAND_BODY < (1 << 21), "three-byte length prefix assumed");
_Static_assert(W_ENTRY <= ENTRY_MAX_SIZE, "entry bound too small");

size_t codec_entry_max_size(void)
{
    return ENTRY_MAX_SIZE;
}

size_t codec_entry_encode(const jifen_entry *entry, uint8_t *buf, size_t cap)
{
    wire_entry w;
    size_t n;

    if (entry->n_postings > JIFEN_POSTINGS_MAX)
        return 0;
    if (buf == NULL)
        return 0;
    codec_entry_to_wire(entry, &w);
    /* Every field but a rule set's text is bounded by jifen_types.h, so
     * with ENTRY_MAX_SIZE of room (W_ENTRY, asserted above) the size need
     * not be computed first: that was a pass over the message of its own,
     * 4 % of the committer's time in a billing run. */
    if (cap < ENTRY_MAX_SIZE || entry->command.text != NULL) {
        n = protobuf_c_message_get_packed_size(&w.msg.base);
        if (n > cap)
            return 0;
    }
    return protobuf_c_message_pack(&w.msg.base, buf);
}

static jifen_status entry_decode(const uint8_t *buf, size_t len,
                                 jifen_entry *out, bool keep_text, char *err,
                                 size_t errlen)
{
    errbuf e = errbuf_start(err, errlen);
    Jifen__V1__Entry *w;

    memset(out, 0, sizeof *out);
    if (buf == NULL && len > 0) {
        fail(&e, "no entry bytes");
        return e.status;
    }
    arena a;
    a.used = 0;
    a.spilled = false;
    ProtobufCAllocator alloc = {arena_alloc, arena_free, &a};
    w = jifen__v1__entry__unpack(&alloc, len, buf);
    if (w == NULL) {
        fail(&e, "not a valid jifen.v1.Entry message");
        return e.status;
    }
    codec_entry_from_wire(w, out, keep_text, &e);
    /* Walking the message only to free blocks of the stack arena was ~6 %
     * of a verify: only when something went to the heap. */
    if (a.spilled)
        jifen__v1__entry__free_unpacked(w, &alloc);
    if (failed(&e))
        memset(out, 0, sizeof *out);
    return e.status;
}

jifen_status codec_entry_decode(const uint8_t *buf, size_t len,
                                jifen_entry *out, char *err, size_t errlen)
{
    return entry_decode(buf, len, out, false, err, errlen);
}

jifen_status codec_entry_decode_text(const uint8_t *buf, size_t len,
                                     jifen_entry *out, char *err,
                                     size_t errlen)
{
    return entry_decode(buf, len, out, true, err, errlen);
}

