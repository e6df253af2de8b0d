/*
 * codec_internal - what the two halves of the codec share, and nobody else:
 * codec.c (the wire messages: commands, requests, replies) and
 * entry_codec.c (the stored entry form that the hash chain covers,
 * docs/entry-format.md). Both convert between jifen_types.h and the
 * generated protobuf-c types; this header is the only other place those
 * types appear.
 */
#ifndef JIFEN_CODEC_INTERNAL_H
#define JIFEN_CODEC_INTERNAL_H

#include "jifen_types.h"

#include "jifen/v1/jifen.pb-c.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define PRINTF_LIKE(fmt, args)
#endif

/* --- errors ------------------------------------------------------------- */

/* The first problem found is the one reported; later checks become no-ops so
 * that a run of checks needs no early returns. */
typedef struct {
    char *buf;
    size_t len;
    jifen_status status;
} errbuf;

static inline errbuf errbuf_start(char *buf, size_t len)
{
    if (buf != NULL && len > 0)
        buf[0] = '\0';
    return (errbuf){buf, len, JIFEN_STATUS_OK};
}

static inline bool failed(const errbuf *e)
{
    return e->status != JIFEN_STATUS_OK;
}

static inline void vfail(errbuf *e, jifen_status status, const char *fmt, va_list ap)
    PRINTF_LIKE(3, 0);

static inline void vfail(errbuf *e, jifen_status status, const char *fmt, va_list ap)
{
    if (failed(e))
        return;
    e->status = status;
    if (e->buf != NULL && e->len > 0)
        vsnprintf(e->buf, e->len, fmt, ap);
}

static inline void fail(errbuf *e, const char *fmt, ...) PRINTF_LIKE(2, 3);

static inline void fail(errbuf *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(e, JIFEN_STATUS_BAD_REQUEST, fmt, ap);
    va_end(ap);
}

static inline void fail_nomem(errbuf *e)
{
    if (failed(e))
        return;
    e->status = JIFEN_STATUS_INTERNAL;
    if (e->buf != NULL && e->len > 0)
        snprintf(e->buf, e->len, "out of memory");
}

/* Puts where it happened ("command 3 (award)", "results[2]") in front of a
 * failure reported by a nested check that did not know. */
static inline void fail_context(errbuf *e, const char *fmt, ...) PRINTF_LIKE(2, 3);

static inline void fail_context(errbuf *e, const char *fmt, ...)
{
    char where[96];
    char what[JIFEN_ERROR_MAX + 1];
    va_list ap;

    if (!failed(e) || e->buf == NULL || e->len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(where, sizeof where, fmt, ap);
    va_end(ap);
    snprintf(what, sizeof what, "%s", e->buf);
    snprintf(e->buf, e->len, "%s: %s", where, what);
}

/* --- decoding helpers --------------------------------------------------- */

/*
 * protobuf-c hands strings back NUL-terminated, so a string with an embedded
 * NUL would silently arrive truncated. Unpacking with this allocator records
 * each block's size, from which take_str learns a string's true wire length
 * (protobuf-c 1.4 allocates exactly length + 1 bytes for a string).
 */
typedef union {
    size_t size;
    max_align_t align;
} block_head;

static inline void *sized_alloc(void *unused, size_t size)
{
    block_head *h;

    (void)unused;
    if (size > SIZE_MAX - sizeof *h)
        return NULL;
    h = malloc(sizeof *h + size);
    if (h == NULL)
        return NULL;
    h->size = size;
    return h + 1;
}

static inline void sized_free(void *unused, void *p)
{
    (void)unused;
    if (p != NULL)
        free((block_head *)p - 1);
}


static inline size_t wire_strlen(const char *s)
{
    /* The default of an absent field is the library's static "". */
    if (s == NULL || s == protobuf_c_empty_string)
        return 0;
    return ((const block_head *)s - 1)->size - 1;
}

/* Copies a decoded string into a fixed buffer of cap bytes (limit cap - 1). */
static inline void take_str(errbuf *e, const char *field, char *dst, size_t cap,
                     const char *src)
{
    size_t n = wire_strlen(src);

    if (failed(e))
        return;
    if (n >= cap) {
        fail(e, "%s: longer than %zu bytes", field, cap - 1);
        return;
    }
    if (n > 0 && memchr(src, '\0', n) != NULL) {
        fail(e, "%s: contains a NUL byte", field);
        return;
    }
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static inline void take_hash(errbuf *e, const char *field, uint8_t dst[JIFEN_HASH_LEN],
                      ProtobufCBinaryData src, bool may_be_empty)
{
    if (failed(e))
        return;
    if (src.len == 0 && may_be_empty) {
        memset(dst, 0, JIFEN_HASH_LEN);
        return;
    }
    if (src.len != JIFEN_HASH_LEN || src.data == NULL) {
        fail(e, "%s: must be %d bytes, not %zu", field, JIFEN_HASH_LEN,
             src.len);
        return;
    }
    memcpy(dst, src.data, JIFEN_HASH_LEN);
}

static inline bool known_fields_only(errbuf *e, const ProtobufCMessage *m)
{
    if (failed(e))
        return false;
    if (m->n_unknown_fields != 0) {
        fail(e, "unknown field %u in %s", (unsigned)m->unknown_fields[0].tag,
             m->descriptor->name);
        return false;
    }
    return true;
}

/* A Command and whichever payload it carries, built without allocating. */
typedef struct {
    Jifen__V1__Command msg;
    union {
        Jifen__V1__HouseholdAdd household_add;
        Jifen__V1__Award award;
        Jifen__V1__Deduct deduct;
        Jifen__V1__Bill bill;
        Jifen__V1__Pay pay;
        Jifen__V1__Redeem redeem;
        Jifen__V1__Reverse reverse;
        Jifen__V1__BalanceQuery balance;
        Jifen__V1__HistoryQuery history;
        Jifen__V1__VerifyQuery verify;
        Jifen__V1__CheckpointQuery checkpoint;
        Jifen__V1__StatsQuery stats;
        Jifen__V1__FeedQuery feed;
        Jifen__V1__KeyEnrol key_enrol;
        Jifen__V1__KeyRevoke key_revoke;
        Jifen__V1__KeyListQuery key_list;
        Jifen__V1__PolicyQuery policy;
        Jifen__V1__Object object;
        Jifen__V1__Approve approve;
        Jifen__V1__Release release;
        Jifen__V1__NoticeQuery notices;
        Jifen__V1__Expire expire;
        Jifen__V1__ReportQuery report;
        Jifen__V1__Settle settle;
        Jifen__V1__PolicyLoad policy_load;
        Jifen__V1__CommunityCreate community_create;
        Jifen__V1__CommunityClose community_close;
        Jifen__V1__CommunityListQuery community_list;
        Jifen__V1__RollupQuery rollup;
        Jifen__V1__InclusionQuery inclusion;
        Jifen__V1__ConsistencyQuery consistency;
        Jifen__V1__TreeHeadQuery tree_head;
        Jifen__V1__HouseholdSearch household_search;
        Jifen__V1__Refund refund;
        struct {
            Jifen__V1__ShiftClose msg;
            Jifen__V1__ChannelTotal totals[JIFEN_CHANNELS];
            Jifen__V1__ChannelTotal *total_ptrs[JIFEN_CHANNELS];
        } shift_close;
        Jifen__V1__BillingPlan billing_plan;
        Jifen__V1__OntimeAward ontime_award;
        Jifen__V1__ReceiptQuery receipt;
        Jifen__V1__ShiftsQuery shifts;
        Jifen__V1__HouseholdSet household_set;
        Jifen__V1__MemberSet member_set; /* issue 15: codec_committee.c */
        Jifen__V1__ProxyConsent proxy_consent;
        Jifen__V1__ItemSet item_set;
        Jifen__V1__StockChange stock_change;
        Jifen__V1__GoodsRedeem goods_redeem;
        Jifen__V1__Pickup pickup;
        Jifen__V1__FunderSettle funder_settle;
        Jifen__V1__OpeningBalance opening;
        Jifen__V1__PassbookMark passbook_mark;
    } sub;
    /* A service key's communities (KeyEnrol), split from the command's
     * comma-separated text. */
    char scope[JIFEN_SCOPE_MAX][JIFEN_COMMUNITY_MAX + 1];
    char *scope_ptrs[JIFEN_SCOPE_MAX];
} wire_command;

/* protobuf-c's structs take char *, but packing never writes through them. */
static inline char *wire_str(const char *s)
{
    return (char *)s;
}

/* --- between the halves ---------------------------------------------------- */

/* One command kind: its names, its wire case and message, and the three
 * functions that check it and move it to and from the wire. codec.c holds
 * the table of the kinds it has always had; codec_committee.c that of
 * issue 15's (codec_committee_kinds). */
typedef struct {
    jifen_command_kind kind;
    const char *name;
    bool write;
    Jifen__V1__Command__KindCase wire_case;
    const ProtobufCMessageDescriptor *desc;
    void (*check)(const jifen_command *c, errbuf *e);
    void (*to_wire)(const jifen_command *c, wire_command *w);
    void (*from_wire)(const ProtobufCMessage *sub, jifen_command *c, errbuf *e);
} kind_info;

extern const kind_info codec_committee_kinds[];
extern const size_t codec_committee_n_kinds;

/* codec.c's checks of plain values, shared with codec_committee.c: each
 * does nothing once e has failed, and fails e with the field named. */
void codec_check_household(errbuf *e, const char *s, size_t cap);
void codec_check_code(errbuf *e, const char *field, const char *s,
                      size_t cap);
void codec_check_text(errbuf *e, const char *field, const char *s, size_t cap,
                      bool required);
void codec_check_range(errbuf *e, const char *field, uint64_t v, uint64_t lo,
                       uint64_t hi, const char *hint);
/* Issue 15's fields of an Award (member, proxy, event and its date). */
void codec_award_extra_check(const jifen_command *c, errbuf *e);

Jifen__V1__Asset codec_asset_to_wire(jifen_asset asset);
void codec_asset_from_wire(Jifen__V1__Asset wire, jifen_asset *out, errbuf *e);
/* A command's wire form, pointing into c (nothing allocated). */
void codec_command_to_wire(const jifen_command *c, wire_command *w);
/* Structure only (sizes, known fields, a known kind). */
void codec_command_from_wire(const Jifen__V1__Command *w, jifen_command *c,
                             errbuf *e);

/* An Entry with everything it points to, built without allocating. */
typedef struct {
    Jifen__V1__Entry msg;
    wire_command command;
    Jifen__V1__Posting postings[JIFEN_POSTINGS_MAX];
    Jifen__V1__Posting *posting_ptrs[JIFEN_POSTINGS_MAX];
} wire_entry;

size_t codec_postings_to_wire(const jifen_posting *p, size_t n,
                              Jifen__V1__Posting *w, Jifen__V1__Posting **ptrs);
void codec_postings_from_wire(Jifen__V1__Posting *const *w, size_t n,
                              jifen_posting *out, size_t *n_out, errbuf *e);
void codec_entry_to_wire(const jifen_entry *en, wire_entry *w);
void codec_entry_from_wire(const Jifen__V1__Entry *w, jifen_entry *en,
                           bool keep_text, errbuf *e);

#endif
