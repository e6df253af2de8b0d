/*
 * codec.c - jifen's plain structs to and from the protobuf-c wire types.
 *
 * Everything decoded here comes from the network or from disk, so nothing in
 * it is trusted: every length is checked against the fixed buffers of
 * jifen_types.h before a byte is copied, and every message is refused when it
 * carries fields this schema does not know.
 *
 * Encoding streams the wire form one piece at a time into a ProtobufCBuffer
 * instead of building a whole protobuf tree: a repeated field encodes as the
 * concatenation of its elements, and proto3 omits empty fields, so packing
 * Request{id} and then Request{commands: [c]} for each command produces
 * exactly the bytes of the complete Request. The same holds for a Reply and
 * its results. This keeps the request digest free of allocation and makes a
 * reply of 8192 results cost one growing output buffer.
 */
#include "codec.h"

#include "codec_internal.h"
#include "entry_codec.h"
#include "keyfile.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- names and enums ---------------------------------------------------- */

static const struct {
    jifen_status status;
    Jifen__V1__Status wire;
    const char *name;
} STATUSES[] = {
    {JIFEN_STATUS_UNSPECIFIED, JIFEN__V1__STATUS__STATUS_UNSPECIFIED,
     "unspecified"},
    {JIFEN_STATUS_OK, JIFEN__V1__STATUS__STATUS_OK, "ok"},
    {JIFEN_STATUS_EXISTS, JIFEN__V1__STATUS__STATUS_EXISTS, "exists"},
    {JIFEN_STATUS_ID_CONFLICT, JIFEN__V1__STATUS__STATUS_ID_CONFLICT,
     "id_conflict"},
    {JIFEN_STATUS_BAD_REQUEST, JIFEN__V1__STATUS__STATUS_BAD_REQUEST,
     "bad_request"},
    {JIFEN_STATUS_UNKNOWN_HOUSEHOLD,
     JIFEN__V1__STATUS__STATUS_UNKNOWN_HOUSEHOLD, "unknown_household"},
    {JIFEN_STATUS_HOUSEHOLD_EXISTS, JIFEN__V1__STATUS__STATUS_HOUSEHOLD_EXISTS,
     "household_exists"},
    {JIFEN_STATUS_INSUFFICIENT_POINTS,
     JIFEN__V1__STATUS__STATUS_INSUFFICIENT_POINTS, "insufficient_points"},
    {JIFEN_STATUS_CAP_EXCEEDED, JIFEN__V1__STATUS__STATUS_CAP_EXCEEDED,
     "cap_exceeded"},
    {JIFEN_STATUS_UNKNOWN_ACTIVITY, JIFEN__V1__STATUS__STATUS_UNKNOWN_ACTIVITY,
     "unknown_activity"},
    {JIFEN_STATUS_UNKNOWN_RULE, JIFEN__V1__STATUS__STATUS_UNKNOWN_RULE,
     "unknown_rule"},
    {JIFEN_STATUS_UNKNOWN_ENTRY, JIFEN__V1__STATUS__STATUS_UNKNOWN_ENTRY,
     "unknown_entry"},
    {JIFEN_STATUS_ALREADY_REVERSED, JIFEN__V1__STATUS__STATUS_ALREADY_REVERSED,
     "already_reversed"},
    {JIFEN_STATUS_NOT_REVERSIBLE, JIFEN__V1__STATUS__STATUS_NOT_REVERSIBLE,
     "not_reversible"},
    {JIFEN_STATUS_LEDGER_FULL, JIFEN__V1__STATUS__STATUS_LEDGER_FULL,
     "ledger_full"},
    {JIFEN_STATUS_FORBIDDEN, JIFEN__V1__STATUS__STATUS_FORBIDDEN, "forbidden"},
    {JIFEN_STATUS_INTERNAL, JIFEN__V1__STATUS__STATUS_INTERNAL, "internal"},
    {JIFEN_STATUS_TOO_LARGE, JIFEN__V1__STATUS__STATUS_TOO_LARGE, "too_large"},
    {JIFEN_STATUS_UNKNOWN_KEY, JIFEN__V1__STATUS__STATUS_UNKNOWN_KEY,
     "unknown_key"},
    {JIFEN_STATUS_KEY_EXISTS, JIFEN__V1__STATUS__STATUS_KEY_EXISTS,
     "key_exists"},
    {JIFEN_STATUS_NO_RULE_SET, JIFEN__V1__STATUS__STATUS_NO_RULE_SET,
     "no_rule_set"},
    {JIFEN_STATUS_UNKNOWN_RULE_SET, JIFEN__V1__STATUS__STATUS_UNKNOWN_RULE_SET,
     "unknown_rule_set"},
    {JIFEN_STATUS_NOTICE_CLOSED, JIFEN__V1__STATUS__STATUS_NOTICE_CLOSED,
     "notice_closed"},
    {JIFEN_STATUS_REDEMPTION_SUSPENDED,
     JIFEN__V1__STATUS__STATUS_REDEMPTION_SUSPENDED, "redemption_suspended"},
    {JIFEN_STATUS_RULE_SET_REFUSED, JIFEN__V1__STATUS__STATUS_RULE_SET_REFUSED,
     "rule_set_refused"},
    {JIFEN_STATUS_REQUEST_TOO_COSTLY,
     JIFEN__V1__STATUS__STATUS_REQUEST_TOO_COSTLY, "request_too_costly"},
    {JIFEN_STATUS_BUSY, JIFEN__V1__STATUS__STATUS_BUSY, "busy"},
    {JIFEN_STATUS_UNKNOWN_COMMUNITY,
     JIFEN__V1__STATUS__STATUS_UNKNOWN_COMMUNITY, "unknown_community"},
    {JIFEN_STATUS_COMMUNITY_CLOSED, JIFEN__V1__STATUS__STATUS_COMMUNITY_CLOSED,
     "community_closed"},
    {JIFEN_STATUS_COMMUNITY_EXISTS, JIFEN__V1__STATUS__STATUS_COMMUNITY_EXISTS,
     "community_exists"},
    {JIFEN_STATUS_OVERFLOW, JIFEN__V1__STATUS__STATUS_OVERFLOW, "overflow"},
    {JIFEN_STATUS_NO_TREE, JIFEN__V1__STATUS__STATUS_NO_TREE, "no_tree"},
    {JIFEN_STATUS_NO_TREE_HEAD, JIFEN__V1__STATUS__STATUS_NO_TREE_HEAD,
     "no_tree_head"},
    {JIFEN_STATUS_ALREADY_BILLED, JIFEN__V1__STATUS__STATUS_ALREADY_BILLED,
     "already_billed"},
    {JIFEN_STATUS_DUPLICATE_REFERENCE,
     JIFEN__V1__STATUS__STATUS_DUPLICATE_REFERENCE, "duplicate_reference"},
    {JIFEN_STATUS_NOT_BILLABLE, JIFEN__V1__STATUS__STATUS_NOT_BILLABLE,
     "not_billable"},
    {JIFEN_STATUS_UNKNOWN_FEE_ITEM, JIFEN__V1__STATUS__STATUS_UNKNOWN_FEE_ITEM,
     "unknown_fee_item"},
    {JIFEN_STATUS_REPORT_TOO_LARGE,
     JIFEN__V1__STATUS__STATUS_REPORT_TOO_LARGE, "report_too_large"},
    {JIFEN_STATUS_NOT_PREPAID, JIFEN__V1__STATUS__STATUS_NOT_PREPAID,
     "not_prepaid"},
    {JIFEN_STATUS_UNKNOWN_MEMBER, JIFEN__V1__STATUS__STATUS_UNKNOWN_MEMBER,
     "unknown_member"},
    {JIFEN_STATUS_NO_CONSENT, JIFEN__V1__STATUS__STATUS_NO_CONSENT,
     "no_consent"},
    {JIFEN_STATUS_UNKNOWN_ITEM, JIFEN__V1__STATUS__STATUS_UNKNOWN_ITEM,
     "unknown_item"},
    {JIFEN_STATUS_OUT_OF_STOCK, JIFEN__V1__STATUS__STATUS_OUT_OF_STOCK,
     "out_of_stock"},
    {JIFEN_STATUS_ALREADY_AWARDED, JIFEN__V1__STATUS__STATUS_ALREADY_AWARDED,
     "already_awarded"},
    {JIFEN_STATUS_AWARDS_SUSPENDED,
     JIFEN__V1__STATUS__STATUS_AWARDS_SUSPENDED, "awards_suspended"},
    {JIFEN_STATUS_HOUSEHOLD_HAS_ENTRIES,
     JIFEN__V1__STATUS__STATUS_HOUSEHOLD_HAS_ENTRIES, "household_has_entries"},
    {JIFEN_STATUS_ALREADY_PICKED_UP,
     JIFEN__V1__STATUS__STATUS_ALREADY_PICKED_UP, "already_picked_up"},
    {JIFEN_STATUS_UNKNOWN_FUNDER, JIFEN__V1__STATUS__STATUS_UNKNOWN_FUNDER,
     "unknown_funder"},
    {JIFEN_STATUS_PRINTED_ALREADY, JIFEN__V1__STATUS__STATUS_PRINTED_ALREADY,
     "printed_already"},
    {JIFEN_STATUS_NOT_REPLICATED, JIFEN__V1__STATUS__STATUS_NOT_REPLICATED,
     "not_replicated"},
    {JIFEN_STATUS_FENCED, JIFEN__V1__STATUS__STATUS_FENCED, "fenced"},
};
#define N_STATUSES (sizeof STATUSES / sizeof STATUSES[0])

const char *jifen_status_name(jifen_status status)
{
    for (size_t i = 0; i < N_STATUSES; i++)
        if (STATUSES[i].status == status)
            return STATUSES[i].name;
    return "unknown";
}

static Jifen__V1__Status status_to_wire(jifen_status status)
{
    for (size_t i = 0; i < N_STATUSES; i++)
        if (STATUSES[i].status == status)
            return STATUSES[i].wire;
    return JIFEN__V1__STATUS__STATUS_UNSPECIFIED;
}

static void status_from_wire(Jifen__V1__Status wire, jifen_status *out,
                             errbuf *e)
{
    for (size_t i = 0; i < N_STATUSES; i++) {
        if (STATUSES[i].wire == wire) {
            *out = STATUSES[i].status;
            return;
        }
    }
    fail(e, "status: unknown value %d", (int)wire);
}

static const struct {
    jifen_role role;
    Jifen__V1__Role wire;
    const char *name;
} ROLES[] = {
    {JIFEN_ROLE_COMMITTEE, JIFEN__V1__ROLE__ROLE_COMMITTEE, "committee"},
    {JIFEN_ROLE_TERMINAL, JIFEN__V1__ROLE__ROLE_TERMINAL, "terminal"},
    {JIFEN_ROLE_AUDITOR, JIFEN__V1__ROLE__ROLE_AUDITOR, "auditor"},
    {JIFEN_ROLE_ADMIN, JIFEN__V1__ROLE__ROLE_ADMIN, "admin"},
};
#define N_ROLES (sizeof ROLES / sizeof ROLES[0])

const char *jifen_role_name(jifen_role role)
{
    for (size_t i = 0; i < N_ROLES; i++)
        if (ROLES[i].role == role)
            return ROLES[i].name;
    return "none";
}

jifen_role jifen_role_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < N_ROLES; i++)
        if (strcmp(ROLES[i].name, name) == 0)
            return ROLES[i].role;
    return JIFEN_ROLE_NONE;
}

static Jifen__V1__Role role_to_wire(jifen_role role)
{
    for (size_t i = 0; i < N_ROLES; i++)
        if (ROLES[i].role == role)
            return ROLES[i].wire;
    return JIFEN__V1__ROLE__ROLE_UNSPECIFIED;
}

/* Unknown values decode as NONE, which every check refuses. */
static jifen_role role_from_wire(Jifen__V1__Role wire)
{
    for (size_t i = 0; i < N_ROLES; i++)
        if (ROLES[i].wire == wire)
            return ROLES[i].role;
    return JIFEN_ROLE_NONE;
}

/* Channels and fee bases are numbered as on the wire (jifen.proto). */
static const char *const CHANNEL_NAMES[JIFEN_CHANNELS] = {
    "unspecified", "cash", "wechat", "alipay", "bank", "card"};

const char *jifen_channel_name(jifen_channel channel)
{
    return (unsigned)channel < JIFEN_CHANNELS ? CHANNEL_NAMES[channel]
                                              : "unknown";
}

jifen_channel jifen_channel_from_name(const char *name)
{
    for (int i = JIFEN_CHANNEL_CASH; i < JIFEN_CHANNELS; i++)
        if (strcmp(CHANNEL_NAMES[i], name) == 0)
            return (jifen_channel)i;
    return JIFEN_CHANNEL_UNSPECIFIED;
}

static jifen_channel channel_from_wire(Jifen__V1__Channel wire, errbuf *e)
{
    if ((unsigned)wire < JIFEN_CHANNELS)
        return (jifen_channel)wire;
    fail(e, "channel: unknown value %d", (int)wire);
    return JIFEN_CHANNEL_UNSPECIFIED;
}

static jifen_fee_basis basis_from_wire(Jifen__V1__FeeBasis wire, errbuf *e)
{
    if ((unsigned)wire <= JIFEN_BASIS_UNIT)
        return (jifen_fee_basis)wire;
    fail(e, "basis: unknown value %d", (int)wire);
    return JIFEN_BASIS_NONE;
}

const char *codec_asset_name(jifen_asset asset)
{
    switch (asset) {
    case JIFEN_ASSET_POINTS:
        return "points";
    case JIFEN_ASSET_FEE:
        return "fee";
    case JIFEN_ASSET_UNSPECIFIED:
        break;
    }
    return "unspecified";
}

Jifen__V1__Asset codec_asset_to_wire(jifen_asset asset)
{
    switch (asset) {
    case JIFEN_ASSET_POINTS:
        return JIFEN__V1__ASSET__ASSET_POINTS;
    case JIFEN_ASSET_FEE:
        return JIFEN__V1__ASSET__ASSET_FEE;
    case JIFEN_ASSET_UNSPECIFIED:
        break;
    }
    return JIFEN__V1__ASSET__ASSET_UNSPECIFIED;
}

void codec_asset_from_wire(Jifen__V1__Asset wire, jifen_asset *out, errbuf *e)
{
    switch (wire) {
    case JIFEN__V1__ASSET__ASSET_UNSPECIFIED:
        *out = JIFEN_ASSET_UNSPECIFIED;
        return;
    case JIFEN__V1__ASSET__ASSET_POINTS:
        *out = JIFEN_ASSET_POINTS;
        return;
    case JIFEN__V1__ASSET__ASSET_FEE:
        *out = JIFEN_ASSET_FEE;
        return;
    default:
        break;
    }
    fail(e, "asset: unknown value %d", (int)wire);
}

/* --- decoding helpers ---------------------------------------------------- */

static ProtobufCAllocator wire_allocator = {sized_alloc, sized_free, NULL};

/* A long string into a malloc'd copy (*dst stays NULL when src is empty):
 * rule-set texts, the only strings too long for a fixed buffer. */
static void take_owned_text(errbuf *e, const char *field, char **dst,
                            const char *src, size_t max)
{
    size_t n = wire_strlen(src);

    if (failed(e) || n == 0)
        return;
    if (n > max) {
        fail(e, "%s: longer than %zu bytes", field, max);
        return;
    }
    if (memchr(src, '\0', n) != NULL) {
        fail(e, "%s: contains a NUL byte", field);
        return;
    }
    *dst = malloc(n + 1);
    if (*dst == NULL) {
        fail_nomem(e);
        return;
    }
    memcpy(*dst, src, n);
    (*dst)[n] = '\0';
}

/* --- checks on plain values --------------------------------------------- */

static bool household_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static bool code_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool request_id_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e;
}

/* 1..max characters, all accepted by ok(), NUL-terminated within cap. */
static bool token_ok(const char *s, size_t cap, size_t max,
                     bool (*ok)(unsigned char))
{
    size_t n = strnlen(s, cap);

    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i]))
            return false;
    return true;
}

/* Length of the UTF-8 sequence at s[0..n) with its code point in *cp, 0
 * when it is not valid UTF-8. */
static size_t utf8_char_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        *cp = s[0] & 0x1f;
        min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        *cp = s[0] & 0x0f;
        min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        *cp = s[0] & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return len;
}

/* Characters that change how text reads without showing themselves: with
 * them a note or a name printed by history, --json or a report can read
 * differently from what it holds (a bidi override turns "120" into "021";
 * a zero-width space makes two names that look alike differ). What each
 * is, for the error message; NULL for ordinary characters. */
static const char *invisible_kind(uint32_t cp)
{
    if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
        cp == 0x200e || cp == 0x200f || cp == 0x061c)
        return "a bidirectional control";
    if ((cp >= 0x200b && cp <= 0x200d) || (cp >= 0x2060 && cp <= 0x2064) ||
        cp == 0xfeff || cp == 0x180e || cp == 0x00ad)
        return "a zero-width character";
    if (cp == 0x2028 || cp == 0x2029)
        return "a line separator";
    if ((cp >= 0x206a && cp <= 0x206f) || (cp >= 0xfff9 && cp <= 0xfffb) ||
        (cp >= 0xe0000 && cp <= 0xe007f))
        return "an invisible formatting character";
    return NULL;
}

/* True when s[0..n) is UTF-8 text without control or invisible characters;
 * otherwise why not in why[] (the code point named). */
static bool text_ok(const char *s, size_t n, char *why, size_t whylen)
{
    const unsigned char *u = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t len = utf8_char_len(u + i, n - i, &cp);
        const char *kind = len ? invisible_kind(cp) : NULL;
        if (len == 0) {
            snprintf(why, whylen, "is not UTF-8 text");
            return false;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            snprintf(why, whylen, "must be text without control characters "
                                  "(U+%04X at byte %zu)",
                     (unsigned)cp, i + 1);
            return false;
        }
        if (kind != NULL) {
            snprintf(why, whylen,
                     "holds U+%04X at byte %zu, %s, which can make the text "
                     "read differently from what it holds; remove it",
                     (unsigned)cp, i + 1, kind);
            return false;
        }
        i += len;
    }
    return true;
}

static void check_household(errbuf *e, const char *s, size_t cap)
{
    if (!failed(e) && !token_ok(s, cap, JIFEN_HOUSEHOLD_MAX, household_char))
        fail(e, "household: must be 1-%d characters of A-Z a-z 0-9 . _ -",
             JIFEN_HOUSEHOLD_MAX);
}

/* A community or street code: the characters of a household's. */
static void check_community(errbuf *e, const char *field, const char *s,
                            size_t cap, bool required)
{
    if (failed(e) || (!required && s[0] == '\0'))
        return;
    /* A community's code names its directory: never "." or "..". */
    if (!token_ok(s, cap, JIFEN_COMMUNITY_MAX, household_char) || s[0] == '.')
        fail(e, "%s: must be 1-%d characters of A-Z a-z 0-9 . _ -, not "
                "starting with a dot",
             field, JIFEN_COMMUNITY_MAX);
}

static void check_code(errbuf *e, const char *field, const char *s, size_t cap)
{
    if (!failed(e) && !token_ok(s, cap, JIFEN_CODE_MAX, code_char))
        fail(e, "%s: must be 1-%d characters of a-z 0-9 _ -", field,
             JIFEN_CODE_MAX);
}

static void check_text(errbuf *e, const char *field, const char *s, size_t cap,
                       bool required)
{
    size_t n = strnlen(s, cap);
    char why[160];

    if (failed(e))
        return;
    if (n == cap)
        fail(e, "%s: longer than %zu bytes", field, cap - 1);
    else if (n == 0 && required)
        fail(e, "%s: required", field);
    else if (!text_ok(s, n, why, sizeof why))
        fail(e, "%s: %s", field, why);
}

static void check_range(errbuf *e, const char *field, uint64_t v, uint64_t lo,
                        uint64_t hi, const char *hint)
{
    if (!failed(e) && (v < lo || v > hi))
        fail(e, "%s: must be %llu-%llu%s", field, (unsigned long long)lo,
             (unsigned long long)hi, hint);
}

static unsigned digits(const char *s, size_t n)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0; /* no valid year or month is 0 */
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v;
}

static void check_period(errbuf *e, const char *p, size_t cap)
{
    bool ok = strnlen(p, cap) == JIFEN_PERIOD_LEN && p[4] == '-';

    if (ok) {
        unsigned year = digits(p, 4);
        unsigned month = digits(p + 5, 2);
        ok = year >= 2000 && year <= 2999 && month >= 1 && month <= 12;
    }
    if (!failed(e) && !ok)
        fail(e, "period: must be YYYY-MM with year 2000-2999 and month "
                "01-12");
}

/* A CURVE public key: 40 characters that decode as Z85. */
static void check_key(errbuf *e, const char *key, size_t cap)
{
    uint8_t raw[KEYFILE_KEY_LEN];

    if (!failed(e) &&
        keyfile_z85_decode(key, strnlen(key, cap), raw) != 0)
        fail(e, "public_key: must be a CURVE public key, 40 characters of "
                "Z85");
}

void codec_check_household(errbuf *e, const char *s, size_t cap)
{
    check_household(e, s, cap);
}

void codec_check_code(errbuf *e, const char *field, const char *s, size_t cap)
{
    check_code(e, field, s, cap);
}

void codec_check_text(errbuf *e, const char *field, const char *s, size_t cap,
                      bool required)
{
    check_text(e, field, s, cap, required);
}

void codec_check_range(errbuf *e, const char *field, uint64_t v, uint64_t lo,
                       uint64_t hi, const char *hint)
{
    check_range(e, field, v, lo, hi, hint);
}

static void check_request_id(errbuf *e, const char *id, size_t cap)
{
    if (!failed(e) && !token_ok(id, cap, JIFEN_REQUEST_ID_MAX, request_id_char))
        fail(e,
             "request_id: must be 1-%d printable ASCII characters "
             "(0x21-0x7e)",
             JIFEN_REQUEST_ID_MAX);
}

/* --- commands, one set of functions per kind ---------------------------- */

#define POINTS_HINT " (0: the catalogue's value)"

static void household_add_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_text(e, "name", c->name, sizeof c->name, false);
}

static void household_add_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__HouseholdAdd *m = &w->sub.household_add;

    jifen__v1__household_add__init(m);
    m->household = wire_str(c->household);
    m->name = wire_str(c->name);
    m->area_centi_m2 = c->area_centi_m2;
    w->msg.household_add = m;
}

static void household_add_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    const Jifen__V1__HouseholdAdd *m = (const Jifen__V1__HouseholdAdd *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "name", c->name, sizeof c->name, m->name);
    c->area_centi_m2 = m->area_centi_m2;
}

static void award_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_code(e, "activity", c->code, sizeof c->code);
    check_range(e, "points", c->points, 0, JIFEN_POINTS_MAX, POINTS_HINT);
    check_range(e, "hours", c->hours, 0, JIFEN_HOURS_MAX, "");
    check_text(e, "note", c->note, sizeof c->note, false);
    codec_award_extra_check(c, e);
}

static void award_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Award *m = &w->sub.award;

    jifen__v1__award__init(m);
    m->household = wire_str(c->household);
    m->activity = wire_str(c->code);
    m->points = c->points;
    m->hours = c->hours;
    m->note = wire_str(c->note);
    m->member = wire_str(c->member);
    m->proxy = wire_str(c->proxy);
    m->event = wire_str(c->name);
    m->event_date = wire_str(c->effective);
    w->msg.award = m;
}

static void award_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                            errbuf *e)
{
    const Jifen__V1__Award *m = (const Jifen__V1__Award *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "activity", c->code, sizeof c->code, m->activity);
    take_str(e, "note", c->note, sizeof c->note, m->note);
    take_str(e, "member", c->member, sizeof c->member, m->member);
    take_str(e, "proxy", c->proxy, sizeof c->proxy, m->proxy);
    take_str(e, "event", c->name, sizeof c->name, m->event);
    take_str(e, "event_date", c->effective, sizeof c->effective,
             m->event_date);
    c->points = m->points;
    c->hours = m->hours;
}

static void deduct_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_code(e, "rule", c->code, sizeof c->code);
    check_range(e, "points", c->points, 0, JIFEN_POINTS_MAX,
                " (0: the rule's value)");
    check_text(e, "note", c->note, sizeof c->note, true);
}

static void deduct_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Deduct *m = &w->sub.deduct;

    jifen__v1__deduct__init(m);
    m->household = wire_str(c->household);
    m->rule = wire_str(c->code);
    m->points = c->points;
    m->note = wire_str(c->note);
    w->msg.deduct = m;
}

static void deduct_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__Deduct *m = (const Jifen__V1__Deduct *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "rule", c->code, sizeof c->code, m->rule);
    take_str(e, "note", c->note, sizeof c->note, m->note);
    c->points = m->points;
}

/* A bill of an amount, or of a fee item that jifend prices: then the
 * amount and what it is computed from are the journal's, not the
 * client's. */
static void bill_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    if (c->code[0] == '\0') {
        check_range(e, "amount_fen", c->amount, 1, JIFEN_FEN_MAX, "");
    } else {
        check_code(e, "item", c->code, sizeof c->code);
        if (!failed(e) && (c->amount || c->rate_fen || c->quantity || c->basis))
            fail(e, "amount_fen, rate_fen, quantity, basis: jifend prices a "
                    "fee item from the schedule; leave them 0");
    }
    check_period(e, c->period, sizeof c->period);
}

static void bill_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Bill *m = &w->sub.bill;

    jifen__v1__bill__init(m);
    m->household = wire_str(c->household);
    m->amount_fen = c->amount;
    m->period = wire_str(c->period);
    m->item = wire_str(c->code);
    m->rate_fen = c->rate_fen;
    m->quantity = c->quantity;
    m->basis = (Jifen__V1__FeeBasis)c->basis;
    w->msg.bill = m;
}

static void bill_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                           errbuf *e)
{
    const Jifen__V1__Bill *m = (const Jifen__V1__Bill *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "period", c->period, sizeof c->period, m->period);
    take_str(e, "item", c->code, sizeof c->code, m->item);
    c->amount = m->amount_fen;
    c->rate_fen = m->rate_fen;
    c->quantity = m->quantity;
    c->basis = basis_from_wire(m->basis, e);
}

/* A non-cash payment or refund names the platform's transaction; cash has
 * none (nothing would make a cash reference unique). */
static void check_channel(errbuf *e, jifen_channel channel,
                          const char *reference, size_t cap)
{
    if (failed(e))
        return;
    if ((unsigned)channel >= JIFEN_CHANNELS)
        fail(e, "channel: unknown");
    else if (channel <= JIFEN_CHANNEL_CASH && reference[0] != '\0')
        fail(e, "reference: a cash payment has no platform reference");
    else if (channel > JIFEN_CHANNEL_CASH &&
             !token_ok(reference, cap, JIFEN_REFERENCE_MAX, request_id_char))
        fail(e,
             "reference: a %s payment needs the platform's transaction "
             "reference, 1-%d printable ASCII characters",
             jifen_channel_name(channel), JIFEN_REFERENCE_MAX);
}

static void pay_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_range(e, "amount_fen", c->amount, 1, JIFEN_FEN_MAX, "");
    check_channel(e, c->channel, c->reference, sizeof c->reference);
    if (!failed(e) && c->receipt != 0)
        fail(e, "receipt: jifend numbers receipts; leave it 0");
}

static void pay_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Pay *m = &w->sub.pay;

    jifen__v1__pay__init(m);
    m->household = wire_str(c->household);
    m->amount_fen = c->amount;
    m->channel = (Jifen__V1__Channel)c->channel;
    m->reference = wire_str(c->reference);
    m->receipt = c->receipt;
    w->msg.pay = m;
}

static void pay_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                          errbuf *e)
{
    const Jifen__V1__Pay *m = (const Jifen__V1__Pay *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    c->amount = m->amount_fen;
    c->channel = channel_from_wire(m->channel, e);
    take_str(e, "reference", c->reference, sizeof c->reference, m->reference);
    c->receipt = m->receipt;
}

static void redeem_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_range(e, "points", c->amount, 1, JIFEN_POINTS_MAX, "");
}

static void redeem_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Redeem *m = &w->sub.redeem;

    jifen__v1__redeem__init(m);
    m->household = wire_str(c->household);
    m->points = c->amount;
    w->msg.redeem = m;
}

static void redeem_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__Redeem *m = (const Jifen__V1__Redeem *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    c->amount = m->points;
}

static void reverse_check(const jifen_command *c, errbuf *e)
{
    if (!failed(e) && c->entry == 0)
        fail(e, "entry: required (journal entries count from 1)");
    check_text(e, "note", c->note, sizeof c->note, true);
}

static void reverse_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Reverse *m = &w->sub.reverse;

    jifen__v1__reverse__init(m);
    m->entry = c->entry;
    m->note = wire_str(c->note);
    w->msg.reverse = m;
}

static void reverse_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                              errbuf *e)
{
    const Jifen__V1__Reverse *m = (const Jifen__V1__Reverse *)sub;

    take_str(e, "note", c->note, sizeof c->note, m->note);
    c->entry = m->entry;
}

static void balance_query_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
}

static void balance_query_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__BalanceQuery *m = &w->sub.balance;

    jifen__v1__balance_query__init(m);
    m->household = wire_str(c->household);
    w->msg.balance = m;
}

static void balance_query_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    const Jifen__V1__BalanceQuery *m = (const Jifen__V1__BalanceQuery *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
}

static void history_query_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_range(e, "limit", c->limit, 0, JIFEN_HISTORY_MAX,
                " (0: the server's default)");
}

static void history_query_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__HistoryQuery *m = &w->sub.history;

    jifen__v1__history_query__init(m);
    m->household = wire_str(c->household);
    m->limit = c->limit;
    w->msg.history = m;
}

static void history_query_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    const Jifen__V1__HistoryQuery *m = (const Jifen__V1__HistoryQuery *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    c->limit = m->limit;
}

static void verify_query_to_wire(const jifen_command *c, wire_command *w)
{
    (void)c;
    jifen__v1__verify_query__init(&w->sub.verify);
    w->msg.verify = &w->sub.verify;
}

static void checkpoint_query_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__checkpoint_query__init(&w->sub.checkpoint);
    w->sub.checkpoint.entry = c->entry;
    w->msg.checkpoint = &w->sub.checkpoint;
}

static void checkpoint_query_from_wire(const ProtobufCMessage *sub,
                                       jifen_command *c, errbuf *e)
{
    (void)e;
    c->entry = ((const Jifen__V1__CheckpointQuery *)sub)->entry;
}

static void stats_query_to_wire(const jifen_command *c, wire_command *w)
{
    (void)c;
    jifen__v1__stats_query__init(&w->sub.stats);
    w->msg.stats = &w->sub.stats;
}

static void feed_query_check(const jifen_command *c, errbuf *e)
{
    check_range(e, "limit", c->limit, 1, JIFEN_FEED_MAX, "");
    check_range(e, "entry", c->entry, 1, UINT64_MAX, "");
}

static void feed_query_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__feed_query__init(&w->sub.feed);
    w->sub.feed.from = c->entry;
    w->sub.feed.max = c->limit;
    w->msg.feed = &w->sub.feed;
}

static void feed_query_from_wire(const ProtobufCMessage *sub,
                                 jifen_command *c, errbuf *e)
{
    (void)e;
    const Jifen__V1__FeedQuery *m = (const Jifen__V1__FeedQuery *)sub;
    c->entry = m->from;
    c->limit = m->max;
}

/* "A,B,C" into codes (each cut to a code's size; the check refuses longer
 * ones before anything is sent). Returns how many. */
static size_t split_list(const char *list,
                         char (*out)[JIFEN_COMMUNITY_MAX + 1], char **ptrs)
{
    size_t n = 0;
    for (const char *p = list; p && *p && n < JIFEN_SCOPE_MAX;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > JIFEN_COMMUNITY_MAX)
            len = JIFEN_COMMUNITY_MAX;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        ptrs[n] = out[n];
        n++;
        if (!end)
            break;
        p = end + 1;
    }
    return n;
}

/* Codes from the wire into "A,B,C" (owned; NULL when there are none). */
static void join_list(errbuf *e, const char *field, char *const *items,
                      size_t n, char **dst)
{
    if (failed(e) || n == 0)
        return;
    if (n > JIFEN_SCOPE_MAX) {
        fail(e, "%s: at most %d", field, JIFEN_SCOPE_MAX);
        return;
    }
    char *out = malloc(n * (JIFEN_COMMUNITY_MAX + 1) + 1);
    if (!out) {
        fail_nomem(e);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; i < n && !failed(e); i++) {
        char code[JIFEN_COMMUNITY_MAX + 1];
        take_str(e, field, code, sizeof code, items[i]);
        size_t len = strlen(code);
        if (!failed(e) && (len == 0 || strchr(code, ',')))
            fail(e, "%s: a code is empty or holds a comma", field);
        if (i)
            out[o++] = ',';
        memcpy(out + o, code, len);
        o += len;
    }
    out[o] = '\0';
    if (failed(e))
        free(out);
    else
        *dst = out;
}

/* A service key's list of communities: "A,B,C", at most JIFEN_SCOPE_MAX
 * codes, each a community code. */
static void check_scope_list(errbuf *e, const char *list)
{
    size_t n = 0;
    for (const char *p = list; !failed(e) && p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char code[JIFEN_COMMUNITY_MAX + 2];
        if (len == 0 || len > JIFEN_COMMUNITY_MAX) {
            fail(e, "communities: each must be 1-%d characters",
                 JIFEN_COMMUNITY_MAX);
            break;
        }
        memcpy(code, p, len);
        code[len] = '\0';
        check_community(e, "communities", code, sizeof code, true);
        if (++n > JIFEN_SCOPE_MAX)
            fail(e, "communities: at most %d", JIFEN_SCOPE_MAX);
        p = end ? end + 1 : p + len;
    }
}

static void key_enrol_check(const jifen_command *c, errbuf *e)
{
    check_key(e, c->key, sizeof c->key);
    if (!failed(e) && c->role == JIFEN_ROLE_NONE)
        fail(e, "role: must be committee, terminal, auditor or admin");
    check_text(e, "label", c->name, sizeof c->name, true);
    check_community(e, "street", c->street, sizeof c->street, false);
    check_scope_list(e, c->text);
    if (!failed(e) && (c->all_communities + (c->street[0] != '\0') +
                       (c->text != NULL)) > 1)
        fail(e, "a key of the service has one scope: all communities, a "
                "street, or a list");
}

static void key_enrol_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__KeyEnrol *m = &w->sub.key_enrol;

    jifen__v1__key_enrol__init(m);
    m->public_key = wire_str(c->key);
    m->role = role_to_wire(c->role);
    m->label = wire_str(c->name);
    m->all_communities = c->all_communities;
    m->street = wire_str(c->street);
    m->n_communities = split_list(c->text, w->scope, w->scope_ptrs);
    m->communities = w->scope_ptrs;
    w->msg.key_enrol = m;
}

static void key_enrol_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                                errbuf *e)
{
    const Jifen__V1__KeyEnrol *m = (const Jifen__V1__KeyEnrol *)sub;

    take_str(e, "public_key", c->key, sizeof c->key, m->public_key);
    take_str(e, "label", c->name, sizeof c->name, m->label);
    c->role = role_from_wire(m->role);
    c->all_communities = m->all_communities;
    take_str(e, "street", c->street, sizeof c->street, m->street);
    join_list(e, "communities", m->communities, m->n_communities, &c->text);
}

static void key_revoke_check(const jifen_command *c, errbuf *e)
{
    check_key(e, c->key, sizeof c->key);
}

static void key_revoke_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__KeyRevoke *m = &w->sub.key_revoke;

    jifen__v1__key_revoke__init(m);
    m->public_key = wire_str(c->key);
    w->msg.key_revoke = m;
}

static void key_revoke_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                                 errbuf *e)
{
    const Jifen__V1__KeyRevoke *m = (const Jifen__V1__KeyRevoke *)sub;

    take_str(e, "public_key", c->key, sizeof c->key, m->public_key);
}

static void key_list_query_to_wire(const jifen_command *c, wire_command *w)
{
    (void)c;
    jifen__v1__key_list_query__init(&w->sub.key_list);
    w->msg.key_list = &w->sub.key_list;
}

/* A rule set version, as policy files allow it; empty asks for them all. */
static void policy_query_check(const jifen_command *c, errbuf *e)
{
    if (!failed(e) && c->name[0] != '\0' &&
        !token_ok(c->name, sizeof c->name, JIFEN_POLICY_MAX, household_char))
        fail(e, "version: must be 1-%d characters of A-Z a-z 0-9 . _ -",
             JIFEN_POLICY_MAX);
}

static void policy_query_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__PolicyQuery *m = &w->sub.policy;

    jifen__v1__policy_query__init(m);
    m->version = wire_str(c->name);
    w->msg.policy = m;
}

static void policy_query_from_wire(const ProtobufCMessage *sub,
                                   jifen_command *c, errbuf *e)
{
    const Jifen__V1__PolicyQuery *m = (const Jifen__V1__PolicyQuery *)sub;

    take_str(e, "version", c->name, sizeof c->name, m->version);
}

/* Public notice: object (like reverse: an entry and why), approve and
 * release (an entry), the notice list (a month, or this one). */
static void object_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Object *m = &w->sub.object;

    jifen__v1__object__init(m);
    m->entry = c->entry;
    m->note = wire_str(c->note);
    w->msg.object = m;
}

static void object_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__Object *m = (const Jifen__V1__Object *)sub;

    take_str(e, "note", c->note, sizeof c->note, m->note);
    c->entry = m->entry;
}

static void entry_only_check(const jifen_command *c, errbuf *e)
{
    if (!failed(e) && c->entry == 0)
        fail(e, "entry: required (journal entries count from 1)");
}

static void approve_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__approve__init(&w->sub.approve);
    w->sub.approve.entry = c->entry;
    w->msg.approve = &w->sub.approve;
}

static void approve_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                              errbuf *e)
{
    (void)e;
    c->entry = ((const Jifen__V1__Approve *)sub)->entry;
}

static void release_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__release__init(&w->sub.release);
    w->sub.release.entry = c->entry;
    w->msg.release = &w->sub.release;
}

static void release_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                              errbuf *e)
{
    (void)e;
    c->entry = ((const Jifen__V1__Release *)sub)->entry;
}

static void notices_check(const jifen_command *c, errbuf *e)
{
    if (c->period[0] != '\0')
        check_period(e, c->period, sizeof c->period);
}

static void notice_query_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__notice_query__init(&w->sub.notices);
    w->sub.notices.period = wire_str(c->period);
    w->msg.notices = &w->sub.notices;
}

static void notice_query_from_wire(const ProtobufCMessage *sub,
                                   jifen_command *c, errbuf *e)
{
    const Jifen__V1__NoticeQuery *m = (const Jifen__V1__NoticeQuery *)sub;

    take_str(e, "period", c->period, sizeof c->period, m->period);
}

static void expire_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_period(e, c->period, sizeof c->period);
}

static void expire_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__expire__init(&w->sub.expire);
    w->sub.expire.household = wire_str(c->household);
    w->sub.expire.period = wire_str(c->period);
    w->msg.expire = &w->sub.expire;
}

static void expire_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__Expire *m = (const Jifen__V1__Expire *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "period", c->period, sizeof c->period, m->period);
}

static void report_check(const jifen_command *c, errbuf *e)
{
    check_code(e, "kind", c->code, sizeof c->code);
    if (c->period[0] != '\0')
        check_period(e, c->period, sizeof c->period);
    if (c->household[0] != '\0')
        check_household(e, c->household, sizeof c->household);
    if (c->after[0] != '\0')
        check_text(e, "after", c->after, sizeof c->after, false);
    check_range(e, "limit", c->limit, 0, JIFEN_REPORT_ROWS_MAX, "");
}

static void report_query_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__ReportQuery *m = &w->sub.report;

    jifen__v1__report_query__init(m);
    m->kind = wire_str(c->code);
    m->period = wire_str(c->period);
    m->household = wire_str(c->household);
    m->after = wire_str(c->after);
    m->limit = c->limit;
    m->upto = c->upto;
    m->from_entry = c->entry;
    w->msg.report = m;
}

static void report_query_from_wire(const ProtobufCMessage *sub,
                                   jifen_command *c, errbuf *e)
{
    const Jifen__V1__ReportQuery *m = (const Jifen__V1__ReportQuery *)sub;

    take_str(e, "kind", c->code, sizeof c->code, m->kind);
    take_str(e, "period", c->period, sizeof c->period, m->period);
    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "after", c->after, sizeof c->after, m->after);
    c->limit = m->limit;
    c->upto = m->upto;
    c->entry = m->from_entry;
}

static void settle_check(const jifen_command *c, errbuf *e)
{
    check_range(e, "amount_fen", c->amount, 1, JIFEN_FEN_MAX, "");
    check_text(e, "note", c->note, sizeof c->note, false);
}

static void settle_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__settle__init(&w->sub.settle);
    w->sub.settle.amount_fen = c->amount;
    w->sub.settle.note = wire_str(c->note);
    w->msg.settle = &w->sub.settle;
}

static void settle_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__Settle *m = (const Jifen__V1__Settle *)sub;

    c->amount = m->amount_fen;
    take_str(e, "note", c->note, sizeof c->note, m->note);
}

/* Rule-set adoption. A request carries only the text; the journal carries
 * the canonical text and what jifend read from it (see jifen.proto). */
static void policy_load_check(const jifen_command *c, errbuf *e)
{
    if (failed(e))
        return;
    if (c->text == NULL)
        fail(e, "text: the rule set's text (a policy file) is required");
    else if (c->name[0] || c->effective[0] || c->note[0])
        fail(e, "version, effective, resolution: jifend reads them from the "
                "text; leave them empty");
}

static void policy_load_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__PolicyLoad *m = &w->sub.policy_load;

    jifen__v1__policy_load__init(m);
    m->text = wire_str(c->text ? c->text : "");
    m->version = wire_str(c->name);
    m->effective = wire_str(c->effective);
    m->resolution = wire_str(c->note);
    w->msg.policy_load = m;
}

static void policy_load_from_wire(const ProtobufCMessage *sub,
                                  jifen_command *c, errbuf *e)
{
    const Jifen__V1__PolicyLoad *m = (const Jifen__V1__PolicyLoad *)sub;

    take_owned_text(e, "text", &c->text, m->text, JIFEN_RULE_SET_TEXT_MAX);
    take_str(e, "version", c->name, sizeof c->name, m->version);
    take_str(e, "effective", c->effective, sizeof c->effective, m->effective);
    take_str(e, "resolution", c->note, sizeof c->note, m->resolution);
}

/* --- many communities ------------------------------------------------------ */

static void community_create_check(const jifen_command *c, errbuf *e)
{
    check_community(e, "code", c->community, sizeof c->community, true);
    check_text(e, "name", c->name, sizeof c->name, true);
    check_community(e, "street", c->street, sizeof c->street, false);
}

static void community_create_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__CommunityCreate *m = &w->sub.community_create;

    jifen__v1__community_create__init(m);
    m->code = wire_str(c->community);
    m->name = wire_str(c->name);
    m->street = wire_str(c->street);
    m->text = wire_str(c->text ? c->text : "");
    m->file_rules = c->file_rules;
    w->msg.community_create = m;
}

static void community_create_from_wire(const ProtobufCMessage *sub,
                                       jifen_command *c, errbuf *e)
{
    const Jifen__V1__CommunityCreate *m =
        (const Jifen__V1__CommunityCreate *)sub;

    take_str(e, "code", c->community, sizeof c->community, m->code);
    take_str(e, "name", c->name, sizeof c->name, m->name);
    take_str(e, "street", c->street, sizeof c->street, m->street);
    take_owned_text(e, "text", &c->text, m->text, JIFEN_RULE_SET_TEXT_MAX);
    c->file_rules = m->file_rules;
}

static void community_close_check(const jifen_command *c, errbuf *e)
{
    check_community(e, "code", c->community, sizeof c->community, true);
    check_text(e, "note", c->note, sizeof c->note, true);
}

static void community_close_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__CommunityClose *m = &w->sub.community_close;

    jifen__v1__community_close__init(m);
    m->code = wire_str(c->community);
    m->note = wire_str(c->note);
    w->msg.community_close = m;
}

static void community_close_from_wire(const ProtobufCMessage *sub,
                                      jifen_command *c, errbuf *e)
{
    const Jifen__V1__CommunityClose *m = (const Jifen__V1__CommunityClose *)sub;

    take_str(e, "code", c->community, sizeof c->community, m->code);
    take_str(e, "note", c->note, sizeof c->note, m->note);
}

static void community_list_to_wire(const jifen_command *c, wire_command *w)
{
    (void)c;
    jifen__v1__community_list_query__init(&w->sub.community_list);
    w->msg.community_list = &w->sub.community_list;
}

static void rollup_check(const jifen_command *c, errbuf *e)
{
    if (c->period[0])
        check_period(e, c->period, sizeof c->period);
    check_community(e, "street", c->street, sizeof c->street, false);
}

static void rollup_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__RollupQuery *m = &w->sub.rollup;

    jifen__v1__rollup_query__init(m);
    m->period = wire_str(c->period);
    m->street = wire_str(c->street);
    w->msg.rollup = m;
}

static void rollup_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__RollupQuery *m = (const Jifen__V1__RollupQuery *)sub;

    take_str(e, "period", c->period, sizeof c->period, m->period);
    take_str(e, "street", c->street, sizeof c->street, m->street);
}

/* Merkle queries (docs/proofs.md): sizes 0 mean "the latest signed tree
 * head's"; anything else must hold what it is asked about. */
static void inclusion_check(const jifen_command *c, errbuf *e)
{
    if (!failed(e) && c->entry == 0)
        fail(e, "entry: required (journal entries count from 1)");
    if (!failed(e) && c->tree_size != 0 && c->tree_size < c->entry)
        fail(e, "tree_size: %llu is smaller than entry %llu (0: the latest "
                "signed tree head's)",
             (unsigned long long)c->tree_size, (unsigned long long)c->entry);
}

static void inclusion_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__inclusion_query__init(&w->sub.inclusion);
    w->sub.inclusion.entry = c->entry;
    w->sub.inclusion.tree_size = c->tree_size;
    w->msg.inclusion = &w->sub.inclusion;
}

static void inclusion_from_wire(const ProtobufCMessage *sub,
                                jifen_command *c, errbuf *e)
{
    const Jifen__V1__InclusionQuery *m = (const Jifen__V1__InclusionQuery *)sub;

    (void)e;
    c->entry = m->entry;
    c->tree_size = m->tree_size;
}

static void consistency_check(const jifen_command *c, errbuf *e)
{
    if (!failed(e) && c->old_size == 0)
        fail(e, "old_size: required (a tree of at least one entry)");
    if (!failed(e) && c->tree_size != 0 && c->tree_size < c->old_size)
        fail(e, "new_size: %llu is smaller than old_size %llu (0: the latest "
                "signed tree head's)",
             (unsigned long long)c->tree_size, (unsigned long long)c->old_size);
}

static void consistency_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__consistency_query__init(&w->sub.consistency);
    w->sub.consistency.old_size = c->old_size;
    w->sub.consistency.new_size = c->tree_size;
    w->msg.consistency = &w->sub.consistency;
}

static void consistency_from_wire(const ProtobufCMessage *sub,
                                  jifen_command *c, errbuf *e)
{
    const Jifen__V1__ConsistencyQuery *m =
        (const Jifen__V1__ConsistencyQuery *)sub;

    (void)e;
    c->old_size = m->old_size;
    c->tree_size = m->new_size;
}

static void tree_head_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__tree_head_query__init(&w->sub.tree_head);
    w->sub.tree_head.entry = c->entry;
    w->msg.tree_head = &w->sub.tree_head;
}

static void tree_head_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                                errbuf *e)
{
    (void)e;
    c->entry = ((const Jifen__V1__TreeHeadQuery *)sub)->entry;
}

/* Household search (issue 17): the query is text like a name, 1-64 bytes. */
static void household_search_check(const jifen_command *c, errbuf *e)
{
    check_text(e, "query", c->name, sizeof c->name, true);
    check_range(e, "limit", c->limit, 0, JIFEN_SEARCH_MAX,
                " (0: the server's default)");
}

static void household_search_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__HouseholdSearch *m = &w->sub.household_search;

    jifen__v1__household_search__init(m);
    m->query = wire_str(c->name);
    m->limit = c->limit;
    w->msg.household_search = m;
}

static void household_search_from_wire(const ProtobufCMessage *sub,
                                       jifen_command *c, errbuf *e)
{
    const Jifen__V1__HouseholdSearch *m =
        (const Jifen__V1__HouseholdSearch *)sub;

    take_str(e, "query", c->name, sizeof c->name, m->query);
    c->limit = m->limit;
}

/* --- the property desk (issue 14): refund, shifts, billing, receipts --- */

static void refund_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    check_range(e, "amount_fen", c->amount, 1, JIFEN_FEN_MAX, "");
    if (!failed(e) && c->channel == JIFEN_CHANNEL_UNSPECIFIED)
        fail(e, "channel: required (cash, wechat, alipay, bank or card)");
    check_channel(e, c->channel, c->reference, sizeof c->reference);
    check_text(e, "note", c->note, sizeof c->note, true);
}

static void refund_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__Refund *m = &w->sub.refund;

    jifen__v1__refund__init(m);
    m->household = wire_str(c->household);
    m->amount_fen = c->amount;
    m->channel = (Jifen__V1__Channel)c->channel;
    m->reference = wire_str(c->reference);
    m->note = wire_str(c->note);
    w->msg.refund = m;
}

static void refund_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__Refund *m = (const Jifen__V1__Refund *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    c->amount = m->amount_fen;
    c->channel = channel_from_wire(m->channel, e);
    take_str(e, "reference", c->reference, sizeof c->reference, m->reference);
    take_str(e, "note", c->note, sizeof c->note, m->note);
}

/* The totals are jifend's to count: a request carries the note only. */
static void shift_close_check(const jifen_command *c, errbuf *e)
{
    check_text(e, "note", c->note, sizeof c->note, false);
    if (!failed(e) && (c->n_totals || c->entry || c->last_entry ||
                       c->previous_close))
        fail(e, "totals, first_entry, last_entry, previous_close: jifend "
                "counts them; send the note only");
}

static void shift_close_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__ShiftClose *m = &w->sub.shift_close.msg;

    jifen__v1__shift_close__init(m);
    m->note = wire_str(c->note);
    size_t n = c->n_totals < JIFEN_CHANNELS ? c->n_totals : JIFEN_CHANNELS;
    for (size_t i = 0; i < n; i++) {
        Jifen__V1__ChannelTotal *t = &w->sub.shift_close.totals[i];
        jifen__v1__channel_total__init(t);
        t->channel = (Jifen__V1__Channel)c->totals[i].channel;
        t->payments = c->totals[i].payments;
        t->paid_fen = c->totals[i].paid_fen;
        t->refunds = c->totals[i].refunds;
        t->refunded_fen = c->totals[i].refunded_fen;
        t->reversals = c->totals[i].reversals;
        t->reversed_fen = c->totals[i].reversed_fen;
        w->sub.shift_close.total_ptrs[i] = t;
    }
    m->n_totals = n;
    m->totals = w->sub.shift_close.total_ptrs;
    m->first_entry = c->entry;
    m->last_entry = c->last_entry;
    m->previous_close = c->previous_close;
    w->msg.shift_close = m;
}

static void shift_close_from_wire(const ProtobufCMessage *sub,
                                  jifen_command *c, errbuf *e)
{
    const Jifen__V1__ShiftClose *m = (const Jifen__V1__ShiftClose *)sub;

    take_str(e, "note", c->note, sizeof c->note, m->note);
    if (m->n_totals > JIFEN_CHANNELS) {
        fail(e, "totals: %zu, at most %d", m->n_totals, JIFEN_CHANNELS);
        return;
    }
    for (size_t i = 0; i < m->n_totals && !failed(e); i++) {
        const Jifen__V1__ChannelTotal *t = m->totals[i];
        if (!known_fields_only(e, &t->base))
            return;
        c->totals[i].channel = channel_from_wire(t->channel, e);
        c->totals[i].payments = t->payments;
        c->totals[i].paid_fen = t->paid_fen;
        c->totals[i].refunds = t->refunds;
        c->totals[i].refunded_fen = t->refunded_fen;
        c->totals[i].reversals = t->reversals;
        c->totals[i].reversed_fen = t->reversed_fen;
    }
    c->n_totals = m->n_totals;
    c->entry = m->first_entry;
    c->last_entry = m->last_entry;
    c->previous_close = m->previous_close;
}

static void billing_plan_check(const jifen_command *c, errbuf *e)
{
    check_period(e, c->period, sizeof c->period);
    if (c->code[0] != '\0')
        check_code(e, "item", c->code, sizeof c->code);
    if (c->after[0] != '\0')
        check_household(e, c->after, JIFEN_HOUSEHOLD_MAX + 1);
    check_range(e, "limit", c->limit, 0, JIFEN_PLAN_MAX, " (0: 500)");
}

static void billing_plan_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__BillingPlan *m = &w->sub.billing_plan;

    jifen__v1__billing_plan__init(m);
    m->period = wire_str(c->period);
    m->item = wire_str(c->code);
    m->after = wire_str(c->after);
    m->limit = c->limit;
    w->msg.billing_plan = m;
}

static void billing_plan_from_wire(const ProtobufCMessage *sub,
                                   jifen_command *c, errbuf *e)
{
    const Jifen__V1__BillingPlan *m = (const Jifen__V1__BillingPlan *)sub;

    take_str(e, "period", c->period, sizeof c->period, m->period);
    take_str(e, "item", c->code, sizeof c->code, m->item);
    take_str(e, "after", c->after, JIFEN_HOUSEHOLD_MAX + 1, m->after);
    c->limit = m->limit;
}

static void ontime_award_check(const jifen_command *c, errbuf *e)
{
    if (c->household[0] != '\0')
        check_household(e, c->household, sizeof c->household);
    check_period(e, c->period, sizeof c->period);
}

static void ontime_award_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__OntimeAward *m = &w->sub.ontime_award;

    jifen__v1__ontime_award__init(m);
    m->household = wire_str(c->household);
    m->period = wire_str(c->period);
    m->points = c->points;
    w->msg.ontime_award = m;
}

static void ontime_award_from_wire(const ProtobufCMessage *sub,
                                   jifen_command *c, errbuf *e)
{
    const Jifen__V1__OntimeAward *m = (const Jifen__V1__OntimeAward *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    take_str(e, "period", c->period, sizeof c->period, m->period);
    c->points = m->points;
}

static void receipt_query_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__receipt_query__init(&w->sub.receipt);
    w->sub.receipt.entry = c->entry;
    w->msg.receipt = &w->sub.receipt;
}

static void receipt_query_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    (void)e;
    c->entry = ((const Jifen__V1__ReceiptQuery *)sub)->entry;
}

/* YYYY-MM-DD, or empty: today. */
static void shifts_check(const jifen_command *c, errbuf *e)
{
    const char *d = c->effective;
    if (failed(e) || d[0] == '\0')
        return;
    bool ok = strlen(d) == JIFEN_DATE_LEN && d[4] == '-' && d[7] == '-' &&
              digits(d, 4) >= 2000 && digits(d + 5, 2) >= 1 &&
              digits(d + 5, 2) <= 12 && digits(d + 8, 2) >= 1 &&
              digits(d + 8, 2) <= 31;
    if (!ok)
        fail(e, "date: must be YYYY-MM-DD");
}

static void shifts_to_wire(const jifen_command *c, wire_command *w)
{
    jifen__v1__shifts_query__init(&w->sub.shifts);
    w->sub.shifts.date = wire_str(c->effective);
    w->msg.shifts = &w->sub.shifts;
}

static void shifts_from_wire(const ProtobufCMessage *sub, jifen_command *c,
                             errbuf *e)
{
    const Jifen__V1__ShiftsQuery *m = (const Jifen__V1__ShiftsQuery *)sub;
    take_str(e, "date", c->effective, sizeof c->effective, m->date);
}

/* Either the floor area, or the units of one fee item. */
static void household_set_check(const jifen_command *c, errbuf *e)
{
    check_household(e, c->household, sizeof c->household);
    if (c->code[0] == '\0') {
        check_range(e, "area_centi_m2", c->area_centi_m2, 1, UINT32_MAX,
                    " (or an item and its units)");
        if (!failed(e) && c->points)
            fail(e, "units: give them with an item");
    } else {
        check_code(e, "item", c->code, sizeof c->code);
        check_range(e, "units", c->points, 0, 1000, "");
        if (!failed(e) && c->area_centi_m2)
            fail(e, "area_centi_m2: set the area in a command of its own");
    }
}

static void household_set_to_wire(const jifen_command *c, wire_command *w)
{
    Jifen__V1__HouseholdSet *m = &w->sub.household_set;

    jifen__v1__household_set__init(m);
    m->household = wire_str(c->household);
    m->area_centi_m2 = c->area_centi_m2;
    m->item = wire_str(c->code);
    m->units = c->points;
    w->msg.household_set = m;
}

static void household_set_from_wire(const ProtobufCMessage *sub,
                                    jifen_command *c, errbuf *e)
{
    const Jifen__V1__HouseholdSet *m = (const Jifen__V1__HouseholdSet *)sub;

    take_str(e, "household", c->household, sizeof c->household, m->household);
    c->area_centi_m2 = m->area_centi_m2;
    take_str(e, "item", c->code, sizeof c->code, m->item);
    c->points = m->units;
}

static const kind_info KINDS[] = {
    {JIFEN_CMD_HOUSEHOLD_ADD, "household_add", true,
     JIFEN__V1__COMMAND__KIND_HOUSEHOLD_ADD,
     &jifen__v1__household_add__descriptor, household_add_check,
     household_add_to_wire, household_add_from_wire},
    {JIFEN_CMD_AWARD, "award", true, JIFEN__V1__COMMAND__KIND_AWARD,
     &jifen__v1__award__descriptor, award_check, award_to_wire,
     award_from_wire},
    {JIFEN_CMD_DEDUCT, "deduct", true, JIFEN__V1__COMMAND__KIND_DEDUCT,
     &jifen__v1__deduct__descriptor, deduct_check, deduct_to_wire,
     deduct_from_wire},
    {JIFEN_CMD_BILL, "bill", true, JIFEN__V1__COMMAND__KIND_BILL,
     &jifen__v1__bill__descriptor, bill_check, bill_to_wire, bill_from_wire},
    {JIFEN_CMD_PAY, "pay", true, JIFEN__V1__COMMAND__KIND_PAY,
     &jifen__v1__pay__descriptor, pay_check, pay_to_wire, pay_from_wire},
    {JIFEN_CMD_REDEEM, "redeem", true, JIFEN__V1__COMMAND__KIND_REDEEM,
     &jifen__v1__redeem__descriptor, redeem_check, redeem_to_wire,
     redeem_from_wire},
    {JIFEN_CMD_REVERSE, "reverse", true, JIFEN__V1__COMMAND__KIND_REVERSE,
     &jifen__v1__reverse__descriptor, reverse_check, reverse_to_wire,
     reverse_from_wire},
    {JIFEN_CMD_BALANCE, "balance", false, JIFEN__V1__COMMAND__KIND_BALANCE,
     &jifen__v1__balance_query__descriptor, balance_query_check,
     balance_query_to_wire, balance_query_from_wire},
    {JIFEN_CMD_HISTORY, "history", false, JIFEN__V1__COMMAND__KIND_HISTORY,
     &jifen__v1__history_query__descriptor, history_query_check,
     history_query_to_wire, history_query_from_wire},
    {JIFEN_CMD_VERIFY, "verify", false, JIFEN__V1__COMMAND__KIND_VERIFY,
     &jifen__v1__verify_query__descriptor, NULL, verify_query_to_wire, NULL},
    {JIFEN_CMD_CHECKPOINT, "checkpoint", false,
     JIFEN__V1__COMMAND__KIND_CHECKPOINT,
     &jifen__v1__checkpoint_query__descriptor, NULL, checkpoint_query_to_wire,
     checkpoint_query_from_wire},
    {JIFEN_CMD_STATS, "stats", false, JIFEN__V1__COMMAND__KIND_STATS,
     &jifen__v1__stats_query__descriptor, NULL, stats_query_to_wire, NULL},
    {JIFEN_CMD_FEED, "feed", false, JIFEN__V1__COMMAND__KIND_FEED,
     &jifen__v1__feed_query__descriptor, feed_query_check, feed_query_to_wire,
     feed_query_from_wire},
    {JIFEN_CMD_KEY_ENROL, "key_enrol", true, JIFEN__V1__COMMAND__KIND_KEY_ENROL,
     &jifen__v1__key_enrol__descriptor, key_enrol_check, key_enrol_to_wire,
     key_enrol_from_wire},
    {JIFEN_CMD_KEY_REVOKE, "key_revoke", true,
     JIFEN__V1__COMMAND__KIND_KEY_REVOKE, &jifen__v1__key_revoke__descriptor,
     key_revoke_check, key_revoke_to_wire, key_revoke_from_wire},
    {JIFEN_CMD_KEY_LIST, "key_list", false, JIFEN__V1__COMMAND__KIND_KEY_LIST,
     &jifen__v1__key_list_query__descriptor, NULL, key_list_query_to_wire,
     NULL},
    {JIFEN_CMD_POLICY, "policy", false, JIFEN__V1__COMMAND__KIND_POLICY,
     &jifen__v1__policy_query__descriptor, policy_query_check,
     policy_query_to_wire, policy_query_from_wire},
    {JIFEN_CMD_OBJECT, "object", true, JIFEN__V1__COMMAND__KIND_OBJECT,
     &jifen__v1__object__descriptor, reverse_check, object_to_wire,
     object_from_wire},
    {JIFEN_CMD_APPROVE, "approve", true, JIFEN__V1__COMMAND__KIND_APPROVE,
     &jifen__v1__approve__descriptor, entry_only_check, approve_to_wire,
     approve_from_wire},
    {JIFEN_CMD_RELEASE, "release", true, JIFEN__V1__COMMAND__KIND_RELEASE,
     &jifen__v1__release__descriptor, entry_only_check, release_to_wire,
     release_from_wire},
    {JIFEN_CMD_NOTICES, "notices", false, JIFEN__V1__COMMAND__KIND_NOTICES,
     &jifen__v1__notice_query__descriptor, notices_check, notice_query_to_wire,
     notice_query_from_wire},
    {JIFEN_CMD_EXPIRE, "expire", true, JIFEN__V1__COMMAND__KIND_EXPIRE,
     &jifen__v1__expire__descriptor, expire_check, expire_to_wire,
     expire_from_wire},
    {JIFEN_CMD_REPORT, "report", false, JIFEN__V1__COMMAND__KIND_REPORT,
     &jifen__v1__report_query__descriptor, report_check, report_query_to_wire,
     report_query_from_wire},
    {JIFEN_CMD_SETTLE, "settle", true, JIFEN__V1__COMMAND__KIND_SETTLE,
     &jifen__v1__settle__descriptor, settle_check, settle_to_wire,
     settle_from_wire},
    {JIFEN_CMD_POLICY_LOAD, "policy_load", true,
     JIFEN__V1__COMMAND__KIND_POLICY_LOAD, &jifen__v1__policy_load__descriptor,
     policy_load_check, policy_load_to_wire, policy_load_from_wire},
    {JIFEN_CMD_COMMUNITY_CREATE, "community_create", true,
     JIFEN__V1__COMMAND__KIND_COMMUNITY_CREATE,
     &jifen__v1__community_create__descriptor, community_create_check,
     community_create_to_wire, community_create_from_wire},
    {JIFEN_CMD_COMMUNITY_CLOSE, "community_close", true,
     JIFEN__V1__COMMAND__KIND_COMMUNITY_CLOSE,
     &jifen__v1__community_close__descriptor, community_close_check,
     community_close_to_wire, community_close_from_wire},
    {JIFEN_CMD_COMMUNITY_LIST, "community_list", false,
     JIFEN__V1__COMMAND__KIND_COMMUNITY_LIST,
     &jifen__v1__community_list_query__descriptor, NULL,
     community_list_to_wire, NULL},
    {JIFEN_CMD_ROLLUP, "rollup", false, JIFEN__V1__COMMAND__KIND_ROLLUP,
     &jifen__v1__rollup_query__descriptor, rollup_check, rollup_to_wire,
     rollup_from_wire},
    {JIFEN_CMD_INCLUSION, "inclusion", false,
     JIFEN__V1__COMMAND__KIND_INCLUSION, &jifen__v1__inclusion_query__descriptor,
     inclusion_check, inclusion_to_wire, inclusion_from_wire},
    {JIFEN_CMD_CONSISTENCY, "consistency", false,
     JIFEN__V1__COMMAND__KIND_CONSISTENCY,
     &jifen__v1__consistency_query__descriptor, consistency_check,
     consistency_to_wire, consistency_from_wire},
    {JIFEN_CMD_TREE_HEAD, "tree_head", false,
     JIFEN__V1__COMMAND__KIND_TREE_HEAD,
     &jifen__v1__tree_head_query__descriptor, NULL, tree_head_to_wire,
     tree_head_from_wire},
    {JIFEN_CMD_HOUSEHOLD_SEARCH, "household_search", false,
     JIFEN__V1__COMMAND__KIND_HOUSEHOLD_SEARCH,
     &jifen__v1__household_search__descriptor, household_search_check,
     household_search_to_wire, household_search_from_wire},
    {JIFEN_CMD_REFUND, "refund", true, JIFEN__V1__COMMAND__KIND_REFUND,
     &jifen__v1__refund__descriptor, refund_check, refund_to_wire,
     refund_from_wire},
    {JIFEN_CMD_SHIFT_CLOSE, "shift_close", true,
     JIFEN__V1__COMMAND__KIND_SHIFT_CLOSE, &jifen__v1__shift_close__descriptor,
     shift_close_check, shift_close_to_wire, shift_close_from_wire},
    {JIFEN_CMD_BILLING_PLAN, "billing_plan", false,
     JIFEN__V1__COMMAND__KIND_BILLING_PLAN,
     &jifen__v1__billing_plan__descriptor, billing_plan_check,
     billing_plan_to_wire, billing_plan_from_wire},
    {JIFEN_CMD_ONTIME_AWARD, "ontime_award", true,
     JIFEN__V1__COMMAND__KIND_ONTIME_AWARD,
     &jifen__v1__ontime_award__descriptor, ontime_award_check,
     ontime_award_to_wire, ontime_award_from_wire},
    {JIFEN_CMD_RECEIPT, "receipt", false, JIFEN__V1__COMMAND__KIND_RECEIPT,
     &jifen__v1__receipt_query__descriptor, entry_only_check,
     receipt_query_to_wire, receipt_query_from_wire},
    {JIFEN_CMD_SHIFTS, "shifts", false, JIFEN__V1__COMMAND__KIND_SHIFTS,
     &jifen__v1__shifts_query__descriptor, shifts_check, shifts_to_wire,
     shifts_from_wire},
    {JIFEN_CMD_HOUSEHOLD_SET, "household_set", true,
     JIFEN__V1__COMMAND__KIND_HOUSEHOLD_SET,
     &jifen__v1__household_set__descriptor, household_set_check,
     household_set_to_wire, household_set_from_wire},
};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

bool jifen_command_is_service(jifen_command_kind kind)
{
    return kind == JIFEN_CMD_COMMUNITY_CREATE ||
           kind == JIFEN_CMD_COMMUNITY_CLOSE ||
           kind == JIFEN_CMD_COMMUNITY_LIST || kind == JIFEN_CMD_ROLLUP;
}

static const kind_info *kind_info_of(jifen_command_kind kind)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (KINDS[i].kind == kind)
            return &KINDS[i];
    for (size_t i = 0; i < codec_committee_n_kinds; i++)
        if (codec_committee_kinds[i].kind == kind)
            return &codec_committee_kinds[i];
    return NULL;
}

static const kind_info *kind_info_of_wire(Jifen__V1__Command__KindCase wire)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (KINDS[i].wire_case == wire)
            return &KINDS[i];
    for (size_t i = 0; i < codec_committee_n_kinds; i++)
        if (codec_committee_kinds[i].wire_case == wire)
            return &codec_committee_kinds[i];
    return NULL;
}

const char *codec_command_name(jifen_command_kind kind)
{
    const kind_info *k = kind_info_of(kind);
    return k != NULL ? k->name : "unknown";
}

bool jifen_command_is_write(jifen_command_kind kind)
{
    const kind_info *k = kind_info_of(kind);
    return k != NULL && k->write;
}

static void command_check(const jifen_command *c, errbuf *e)
{
    const kind_info *k = kind_info_of(c->kind);

    if (k == NULL)
        fail(e, "unknown or empty command");
    else if (k->check != NULL)
        k->check(c, e);
}

jifen_status codec_command_validate(const jifen_command *cmd, char *err,
                                    size_t errlen)
{
    errbuf e = errbuf_start(err, errlen);

    command_check(cmd, &e);
    return e.status;
}

/* An unknown kind encodes as an empty Command, which decoders refuse. */
void codec_command_to_wire(const jifen_command *c, wire_command *w)
{
    const kind_info *k = kind_info_of(c->kind);

    jifen__v1__command__init(&w->msg);
    if (k == NULL)
        return;
    w->msg.kind_case = k->wire_case;
    k->to_wire(c, w);
}

/* The payload of a Command's oneof, read where protobuf-c itself keeps it. */
static const ProtobufCMessage *command_payload(const Jifen__V1__Command *w)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(
        w->base.descriptor, (unsigned)w->kind_case);
    const ProtobufCMessage *sub;

    if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return NULL;
    memcpy(&sub, (const char *)w + f->offset, sizeof sub);
    return sub;
}

/* Structure only (sizes, known fields, a known kind); command_check does the
 * rest for requests. Returns the kind found, for error messages. */
static const kind_info *command_from_wire(const Jifen__V1__Command *w,
                                          jifen_command *c, errbuf *e)
{
    const kind_info *k;
    const ProtobufCMessage *sub;

    if (!known_fields_only(e, &w->base))
        return NULL;
    k = kind_info_of_wire(w->kind_case);
    if (k == NULL) {
        fail(e, "unknown or empty command");
        return NULL;
    }
    sub = command_payload(w);
    if (sub == NULL || sub->descriptor != k->desc) {
        fail(e, "malformed %s command", k->name);
        return k;
    }
    if (!known_fields_only(e, sub))
        return k;
    c->kind = k->kind;
    if (k->from_wire != NULL)
        k->from_wire(sub, c, e);
    return k;
}

void codec_command_from_wire(const Jifen__V1__Command *w, jifen_command *c,
                             errbuf *e)
{
    (void)command_from_wire(w, c, e);
}

/* --- output sinks ------------------------------------------------------- */

/* Collects packed bytes into a malloc'd buffer that grows as needed. */
typedef struct {
    ProtobufCBuffer base;
    uint8_t *data;
    size_t len;
    size_t cap;
    bool nomem;
} grow_sink;

static void grow_append(ProtobufCBuffer *b, size_t n, const uint8_t *data)
{
    grow_sink *s = (grow_sink *)b;

    if (s->nomem || n == 0)
        return;
    if (n > s->cap - s->len) {
        size_t cap = s->cap != 0 ? s->cap : 256;
        uint8_t *p;
        while (cap - s->len < n) {
            if (cap > SIZE_MAX / 2) {
                s->nomem = true;
                return;
            }
            cap *= 2;
        }
        p = realloc(s->data, cap);
        if (p == NULL) {
            s->nomem = true;
            return;
        }
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->len, data, n);
    s->len += n;
}

static grow_sink grow_sink_start(void)
{
    return (grow_sink){.base = {grow_append}};
}

static int grow_sink_finish(grow_sink *s, uint8_t **out, size_t *out_len)
{
    /* An empty message is valid; the caller still gets something to free. */
    if (!s->nomem && s->data == NULL) {
        s->data = malloc(1);
        s->nomem = s->data == NULL;
    }
    if (s->nomem) {
        free(s->data);
        *out = NULL;
        *out_len = 0;
        return -1;
    }
    *out = s->data;
    *out_len = s->len;
    return 0;
}

/* Hands packed bytes to a caller's function (the daemon's SHA-256). */
typedef struct {
    ProtobufCBuffer base;
    codec_bytes_fn fn;
    void *ctx;
} fn_sink;

static void fn_append(ProtobufCBuffer *b, size_t n, const uint8_t *data)
{
    fn_sink *s = (fn_sink *)b;
    s->fn(s->ctx, data, n);
}

/* --- requests ----------------------------------------------------------- */

/* Packs the request piece by piece (see the top of this file). */
static void request_pack(const jifen_request *req, bool with_id,
                         ProtobufCBuffer *sink)
{
    Jifen__V1__Request piece = JIFEN__V1__REQUEST__INIT;

    if (with_id) {
        piece.request_id = wire_str(req->request_id);
        protobuf_c_message_pack_to_buffer(&piece.base, sink);
        piece.request_id = (char *)protobuf_c_empty_string;
    }
    for (size_t i = 0; i < req->n_commands; i++) {
        wire_command wc;
        Jifen__V1__Command *one = &wc.msg;
        codec_command_to_wire(&req->commands[i], &wc);
        piece.n_commands = 1;
        piece.commands = &one;
        protobuf_c_message_pack_to_buffer(&piece.base, sink);
    }
    /* Fields 3 and 60 after the commands, so the pieces stay in field
     * order. The digest leaves them out with the id: the community chooses
     * the ledger whose idempotency records are asked, and a dry run and
     * the real run of the same commands are the same request. */
    if (with_id && (req->community[0] || req->dry_run)) {
        Jifen__V1__Request last = JIFEN__V1__REQUEST__INIT;
        if (req->community[0])
            last.community = wire_str(req->community);
        last.dry_run = req->dry_run;
        protobuf_c_message_pack_to_buffer(&last.base, sink);
    }
}

int codec_request_encode(const jifen_request *req, uint8_t **out,
                         size_t *out_len)
{
    grow_sink sink = grow_sink_start();

    request_pack(req, true, &sink.base);
    return grow_sink_finish(&sink, out, out_len);
}

void codec_request_canonical(const jifen_request *req, codec_bytes_fn fn,
                             void *ctx)
{
    fn_sink sink = {.base = {fn_append}, .fn = fn, .ctx = ctx};

    request_pack(req, false, &sink.base);
}

void codec_request_clear(jifen_request *req)
{
    if (req == NULL)
        return;
    for (size_t i = 0; req->commands != NULL && i < req->n_commands; i++)
        free(req->commands[i].text);
    free(req->commands);
    memset(req, 0, sizeof *req);
}

/* A batch is all writes or all queries, and writes carry a request id. */
static void request_check(const jifen_request *req, errbuf *e)
{
    size_t first_write = 0, first_query = 0; /* 1-based; 0: none */

    for (size_t i = 0; i < req->n_commands; i++) {
        size_t *first = jifen_command_is_write(req->commands[i].kind)
                            ? &first_write
                            : &first_query;
        if (*first == 0)
            *first = i + 1;
    }
    /* Proofs are O(log n) reads each: a request holds a bounded number,
     * enough for a statement of the longest history (JIFEN_HISTORY_MAX). */
    size_t proofs = 0;
    for (size_t i = 0; i < req->n_commands; i++)
        if (req->commands[i].kind == JIFEN_CMD_INCLUSION ||
            req->commands[i].kind == JIFEN_CMD_CONSISTENCY)
            proofs++;
    if (proofs > JIFEN_PROOFS_MAX) {
        fail(e, "commands: %zu inclusion and consistency queries, at most %u "
                "in one request",
             proofs, JIFEN_PROOFS_MAX);
        return;
    }
    if (first_write != 0 && first_query != 0) {
        fail(e,
             "a request is all writes or all queries: command %zu (%s) "
             "writes, command %zu (%s) is a query",
             first_write,
             codec_command_name(req->commands[first_write - 1].kind),
             first_query,
             codec_command_name(req->commands[first_query - 1].kind));
        return;
    }
    if (req->request_id[0] != '\0')
        check_request_id(e, req->request_id, sizeof req->request_id);
    else if (first_write != 0)
        fail(e, "request_id: required for write requests");
}

static void request_from_wire(const Jifen__V1__Request *w, jifen_request *out,
                              errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    take_str(e, "request_id", out->request_id, sizeof out->request_id,
             w->request_id);
    out->dry_run = w->dry_run;
    take_str(e, "community", out->community, sizeof out->community,
             w->community);
    if (strcmp(out->community, JIFEN_SERVICE_ADDRESS) != 0)
        check_community(e, "community", out->community, sizeof out->community,
                        false);
    if (failed(e))
        return;
    if (w->n_commands == 0 || w->n_commands > JIFEN_BATCH_MAX) {
        fail(e, "commands: %zu in the batch, must be 1-%d", w->n_commands,
             JIFEN_BATCH_MAX);
        return;
    }
    out->commands = calloc(w->n_commands, sizeof *out->commands);
    if (out->commands == NULL) {
        fail_nomem(e);
        return;
    }
    out->n_commands = w->n_commands;
    for (size_t i = 0; i < w->n_commands && !failed(e); i++) {
        const kind_info *k =
            command_from_wire(w->commands[i], &out->commands[i], e);
        command_check(&out->commands[i], e);
        /* Counted from 1, as a person reading the message would. */
        if (k != NULL)
            fail_context(e, "command %zu (%s)", i + 1, k->name);
        else
            fail_context(e, "command %zu", i + 1);
    }
    request_check(out, e);
}

jifen_status codec_request_decode(const uint8_t *buf, size_t len,
                                  jifen_request *out, char *err, size_t errlen)
{
    errbuf e = errbuf_start(err, errlen);
    Jifen__V1__Request *w;

    memset(out, 0, sizeof *out);
    if (buf == NULL && len > 0) {
        fail(&e, "no request bytes");
        return e.status;
    }
    w = jifen__v1__request__unpack(&wire_allocator, len, buf);
    if (w == NULL) {
        fail(&e, "not a valid jifen.v1.Request message");
        return e.status;
    }
    request_from_wire(w, out, &e);
    jifen__v1__request__free_unpacked(w, &wire_allocator);
    if (failed(&e))
        codec_request_clear(out);
    return e.status;
}

/* --- replies ------------------------------------------------------------ */

/* A Result and what it points to, except its history (see history_buf). */
typedef struct {
    Jifen__V1__Result msg;
    Jifen__V1__Posting postings[JIFEN_POSTINGS_MAX];
    Jifen__V1__Posting *posting_ptrs[JIFEN_POSTINGS_MAX];
    Jifen__V1__Balance balance;
    Jifen__V1__VerifyReport verify;
    Jifen__V1__CheckpointReport checkpoint;
    Jifen__V1__Stats stats;
    Jifen__V1__Feed feed;
    ProtobufCBinaryData feed_entries[JIFEN_FEED_MAX];
    char *feed_checkpoints[JIFEN_FEED_MAX];
    Jifen__V1__RuleSet rule_sets[JIFEN_RULE_SETS_MAX];
    Jifen__V1__RuleSet *rule_set_ptrs[JIFEN_RULE_SETS_MAX];
    Jifen__V1__TreeProof proof;
    ProtobufCBinaryData proof_path[JIFEN_PROOF_PATH_MAX];
    Jifen__V1__Balance households[JIFEN_SEARCH_MAX];
    Jifen__V1__Balance *household_ptrs[JIFEN_SEARCH_MAX];
} wire_result;

/* Room for the longest history and key list of the reply, reused for
 * every result. */
typedef struct {
    wire_entry *entries;
    Jifen__V1__Entry **ptrs;
    Jifen__V1__KeyInfo *keys;
    Jifen__V1__KeyInfo **key_ptrs;
} history_buf;

static size_t result_history_len(const jifen_result *r)
{
    return r->history != NULL ? r->n_history : 0;
}

static size_t result_keys_len(const jifen_result *r)
{
    return r->keys != NULL ? r->n_keys : 0;
}

static int history_buf_init(history_buf *h, const jifen_reply *reply)
{
    size_t most = 0, most_keys = 0;

    for (size_t i = 0; i < reply->n_results; i++) {
        if (result_history_len(&reply->results[i]) > most)
            most = result_history_len(&reply->results[i]);
        if (result_keys_len(&reply->results[i]) > most_keys)
            most_keys = result_keys_len(&reply->results[i]);
    }
    memset(h, 0, sizeof *h);
    if (most > 0) {
        h->entries = calloc(most, sizeof *h->entries);
        h->ptrs = calloc(most, sizeof *h->ptrs);
        if (h->entries == NULL || h->ptrs == NULL)
            return -1;
    }
    if (most_keys > 0) {
        h->keys = calloc(most_keys, sizeof *h->keys);
        h->key_ptrs = calloc(most_keys, sizeof *h->key_ptrs);
        if (h->keys == NULL || h->key_ptrs == NULL)
            return -1;
    }
    return 0;
}

static void history_buf_free(history_buf *h)
{
    free(h->entries);
    free(h->ptrs);
    free(h->keys);
    free(h->key_ptrs);
}

static void key_info_to_wire(const jifen_key_info *k, Jifen__V1__KeyInfo *w)
{
    jifen__v1__key_info__init(w);
    w->public_key = wire_str(k->key);
    w->role = role_to_wire(k->role);
    w->label = wire_str(k->label);
    w->revoked = k->revoked;
    w->enrolled_entry = k->enrolled_entry;
    w->revoked_entry = k->revoked_entry;
    w->all_communities = k->all_communities;
    w->street = wire_str(k->street);
    w->communities = wire_str(k->communities);
}

static void key_info_from_wire(const Jifen__V1__KeyInfo *w, jifen_key_info *k,
                               errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    take_str(e, "public_key", k->key, sizeof k->key, w->public_key);
    take_str(e, "label", k->label, sizeof k->label, w->label);
    k->role = role_from_wire(w->role);
    k->revoked = w->revoked;
    k->enrolled_entry = w->enrolled_entry;
    k->revoked_entry = w->revoked_entry;
    k->all_communities = w->all_communities;
    take_str(e, "street", k->street, sizeof k->street, w->street);
    take_str(e, "communities", k->communities, sizeof k->communities,
             w->communities);
}

static void balance_to_wire(const jifen_balance *b, Jifen__V1__Balance *w)
{
    jifen__v1__balance__init(w);
    w->household = wire_str(b->household);
    w->name = wire_str(b->name);
    w->area_centi_m2 = b->area_centi_m2;
    w->points = b->points;
    w->fee_due_fen = b->fee_due_fen;
    w->pending_points = b->pending_points;
}

static void verify_report_to_wire(const jifen_verify_report *v,
                                  Jifen__V1__VerifyReport *w)
{
    jifen__v1__verify_report__init(w);
    w->ok = v->ok;
    w->entries = v->entries;
    w->head.data = (uint8_t *)v->head;
    w->head.len = JIFEN_HASH_LEN;
    w->problem = wire_str(v->problem);
    w->bad_entry = v->bad_entry;
}

/* The Stats fields, which are the same in both structs. */
#define STATS_FIELDS(X)                                                       \
    X(entries) X(commits) X(requests) X(write_requests) X(batch_avg_milli)    \
    X(batch_max) X(commit_p50_us) X(commit_p90_us) X(commit_p99_us)           \
    X(commit_max_us) X(map_bytes) X(map_used_bytes) X(uptime_s) X(peers)     \
    X(replica_lag)

static void feed_to_wire(const jifen_feed *f, wire_result *w)
{
    jifen__v1__feed__init(&w->feed);
    w->feed.head = f->head;
    size_t off = 0;
    for (size_t i = 0; i < f->n_entries && i < JIFEN_FEED_MAX; i++) {
        w->feed_entries[i].data = f->bytes + off;
        w->feed_entries[i].len = f->lens[i];
        off += f->lens[i];
    }
    w->feed.n_entries = f->n_entries < JIFEN_FEED_MAX ? f->n_entries
                                                      : JIFEN_FEED_MAX;
    w->feed.entries = w->feed_entries;
    for (size_t i = 0; i < f->n_checkpoints && i < JIFEN_FEED_MAX; i++)
        w->feed_checkpoints[i] = wire_str(f->checkpoints[i]);
    w->feed.n_checkpoints = f->n_checkpoints < JIFEN_FEED_MAX
                                ? f->n_checkpoints
                                : JIFEN_FEED_MAX;
    w->feed.checkpoints = w->feed_checkpoints;
    w->msg.feed = &w->feed;
}

/* Copies a decoded Feed into owned arrays (see jifen_feed). */
static void feed_from_wire(const Jifen__V1__Feed *w, jifen_feed *f, errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    if (w->n_entries > JIFEN_FEED_MAX || w->n_checkpoints > JIFEN_FEED_MAX) {
        fail(e, "feed: more than %d entries or checkpoints", JIFEN_FEED_MAX);
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < w->n_entries; i++)
        total += w->entries[i].len;
    f->head = w->head;
    f->bytes = malloc(total ? total : 1);
    f->lens = calloc(w->n_entries ? w->n_entries : 1, sizeof *f->lens);
    f->checkpoints = calloc(w->n_checkpoints ? w->n_checkpoints : 1,
                            sizeof *f->checkpoints);
    if (!f->bytes || !f->lens || !f->checkpoints) {
        fail_nomem(e);
        return;
    }
    size_t off = 0;
    for (size_t i = 0; i < w->n_entries; i++) {
        if (w->entries[i].len)
            memcpy(f->bytes + off, w->entries[i].data, w->entries[i].len);
        f->lens[i] = w->entries[i].len;
        off += w->entries[i].len;
    }
    f->n_entries = w->n_entries;
    for (size_t i = 0; i < w->n_checkpoints && !failed(e); i++)
        take_str(e, "feed.checkpoints", f->checkpoints[i],
                 sizeof f->checkpoints[i], w->checkpoints[i]);
    f->n_checkpoints = w->n_checkpoints;
}

static void ops_to_wire(const jifen_result *r, wire_result *w)
{
    if (r->has_feed)
        feed_to_wire(&r->feed, w);
    if (r->has_checkpoint) {
        Jifen__V1__CheckpointReport *c = &w->checkpoint;
        jifen__v1__checkpoint_report__init(c);
        c->text = wire_str(r->checkpoint.text);
        c->entry = r->checkpoint.entry;
        if (r->checkpoint.has_entry_hash) {
            c->entry_hash.data = (uint8_t *)r->checkpoint.entry_hash;
            c->entry_hash.len = JIFEN_HASH_LEN;
        }
        w->msg.checkpoint = c;
    }
    if (r->has_stats) {
        jifen__v1__stats__init(&w->stats);
#define TO_WIRE(f) w->stats.f = r->stats.f;
        STATS_FIELDS(TO_WIRE)
#undef TO_WIRE
        w->msg.stats = &w->stats;
    }
}

static void ops_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                          errbuf *e)
{
    if (w->checkpoint != NULL && !failed(e) &&
        known_fields_only(e, &w->checkpoint->base)) {
        r->has_checkpoint = true;
        take_str(e, "checkpoint.text", r->checkpoint.text,
                 sizeof r->checkpoint.text, w->checkpoint->text);
        r->checkpoint.entry = w->checkpoint->entry;
        r->checkpoint.has_entry_hash = w->checkpoint->entry_hash.len != 0;
        take_hash(e, "checkpoint.entry_hash", r->checkpoint.entry_hash,
                  w->checkpoint->entry_hash, true);
    }
    if (w->feed != NULL && !failed(e)) {
        r->has_feed = true;
        feed_from_wire(w->feed, &r->feed, e);
    }
    if (w->stats != NULL && !failed(e) &&
        known_fields_only(e, &w->stats->base)) {
        r->has_stats = true;
#define FROM_WIRE(f) r->stats.f = w->stats->f;
        STATS_FIELDS(FROM_WIRE)
#undef FROM_WIRE
    }
}

static void rule_sets_to_wire(const jifen_result *r, wire_result *w)
{
    size_t n = r->n_rule_sets < JIFEN_RULE_SETS_MAX ? r->n_rule_sets
                                                    : JIFEN_RULE_SETS_MAX;
    for (size_t i = 0; r->rule_sets != NULL && i < n; i++) {
        const jifen_rule_set *s = &r->rule_sets[i];
        Jifen__V1__RuleSet *m = &w->rule_sets[i];
        jifen__v1__rule_set__init(m);
        m->version = wire_str(s->version);
        m->effective = wire_str(s->effective);
        m->resolution = wire_str(s->resolution);
        m->in_force = s->in_force;
        m->text = wire_str(s->text != NULL ? s->text : "");
        w->rule_set_ptrs[i] = m;
    }
    w->msg.n_rule_sets = r->rule_sets != NULL ? n : 0;
    w->msg.rule_sets = w->rule_set_ptrs;
}

static void proof_to_wire(const jifen_tree_proof *p, wire_result *w)
{
    Jifen__V1__TreeProof *m = &w->proof;
    jifen__v1__tree_proof__init(m);
    m->tree_size = p->tree_size;
    m->entry = p->entry;
    m->stored.data = p->stored;
    m->stored.len = p->stored ? p->stored_len : 0;
    m->old_size = p->old_size;
    size_t n = p->n_path < JIFEN_PROOF_PATH_MAX ? p->n_path
                                                : JIFEN_PROOF_PATH_MAX;
    for (size_t i = 0; i < n; i++) {
        w->proof_path[i].data = (uint8_t *)p->path[i];
        w->proof_path[i].len = JIFEN_HASH_LEN;
    }
    m->n_path = n;
    m->path = w->proof_path;
    m->tree_head = wire_str(p->tree_head);
    if (p->has_root) {
        m->root.data = (uint8_t *)p->root;
        m->root.len = JIFEN_HASH_LEN;
    }
    w->msg.proof = m;
}

/* A decoded TreeProof into an owned struct; every hash exactly 32 bytes,
 * the entry no larger than an entry can be. */
static void proof_from_wire(const Jifen__V1__TreeProof *m, jifen_result *r,
                            errbuf *e)
{
    if (failed(e) || m == NULL || !known_fields_only(e, &m->base))
        return;
    if (m->n_path > JIFEN_PROOF_PATH_MAX) {
        fail(e, "proof.path: %zu hashes, at most %d", m->n_path,
             JIFEN_PROOF_PATH_MAX);
        return;
    }
    if (m->stored.len > codec_entry_max_size()) {
        fail(e, "proof.stored: %zu bytes, more than an entry can be",
             m->stored.len);
        return;
    }
    jifen_tree_proof *p = calloc(1, sizeof *p);
    if (p == NULL) {
        fail_nomem(e);
        return;
    }
    r->proof = p;
    p->tree_size = m->tree_size;
    p->entry = m->entry;
    p->old_size = m->old_size;
    if (m->stored.len > 0) {
        p->stored = malloc(m->stored.len);
        if (p->stored == NULL) {
            fail_nomem(e);
            return;
        }
        memcpy(p->stored, m->stored.data, m->stored.len);
        p->stored_len = m->stored.len;
    }
    for (size_t i = 0; i < m->n_path && !failed(e); i++)
        take_hash(e, "proof.path", p->path[i], m->path[i], false);
    p->n_path = m->n_path;
    take_str(e, "proof.tree_head", p->tree_head, sizeof p->tree_head,
             m->tree_head);
    p->has_root = m->root.len != 0;
    take_hash(e, "proof.root", p->root, m->root, true);
}

static void result_to_wire(const jifen_result *r, wire_result *w,
                           history_buf *h)
{
    jifen__v1__result__init(&w->msg);
    w->msg.status = status_to_wire(r->status);
    w->msg.error = wire_str(r->error);
    w->msg.entry = r->entry;
    w->msg.n_postings = codec_postings_to_wire(r->postings, r->n_postings,
                                         w->postings, w->posting_ptrs);
    w->msg.postings = w->posting_ptrs;
    w->msg.points = r->points;
    w->msg.offset_fen = r->offset_fen;
    if (r->has_balance) {
        balance_to_wire(&r->balance, &w->balance);
        w->msg.balance = &w->balance;
    }
    w->msg.n_history = result_history_len(r);
    for (size_t i = 0; i < w->msg.n_history; i++) {
        codec_entry_to_wire(&r->history[i], &h->entries[i]);
        h->ptrs[i] = &h->entries[i].msg;
    }
    w->msg.history = h->ptrs;
    if (r->has_verify) {
        verify_report_to_wire(&r->verify, &w->verify);
        w->msg.verify = &w->verify;
    }
    ops_to_wire(r, w);
    w->msg.n_keys = result_keys_len(r);
    for (size_t i = 0; i < w->msg.n_keys; i++) {
        key_info_to_wire(&r->keys[i], &h->keys[i]);
        h->key_ptrs[i] = &h->keys[i];
    }
    w->msg.keys = h->key_ptrs;
    rule_sets_to_wire(r, w);
    size_t nh = r->households != NULL ? r->n_households : 0;
    if (nh > JIFEN_SEARCH_MAX)
        nh = JIFEN_SEARCH_MAX;
    for (size_t i = 0; i < nh; i++) {
        balance_to_wire(&r->households[i], &w->households[i]);
        w->household_ptrs[i] = &w->households[i];
    }
    w->msg.n_households = nh;
    w->msg.households = w->household_ptrs;
    w->msg.notice_ends_ms = r->notice_ends_ms;
    w->msg.needs_approval = r->needs_approval;
    w->msg.suspended_until_ms = r->suspended_until_ms;
    w->msg.stock_left = r->stock_left;
    if (r->proof != NULL)
        proof_to_wire(r->proof, w);
    w->msg.next = wire_str(r->next);
    w->msg.receipt_no = r->receipt_no;
}

/* The notice list can be long: its wire form is allocated per result and
 * freed right after packing (notices_wire_free). 0, or -1 out of memory. */
static int notices_to_wire(const jifen_result *r, wire_result *w,
                           Jifen__V1__NoticeItem **items)
{
    *items = NULL;
    size_t n = r->notices != NULL ? r->n_notices : 0;
    if (n == 0)
        return 0;
    *items = calloc(n, sizeof **items);
    Jifen__V1__NoticeItem **ptrs = calloc(n, sizeof *ptrs);
    if (*items == NULL || ptrs == NULL) {
        free(*items);
        free(ptrs);
        *items = NULL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const jifen_notice *s = &r->notices[i];
        Jifen__V1__NoticeItem *m = &(*items)[i];
        jifen__v1__notice_item__init(m);
        m->entry = s->entry;
        m->time_ms = s->time_ms;
        m->household = wire_str(s->household);
        m->name = wire_str(s->name);
        m->activity = wire_str(s->activity);
        m->points = s->points;
        m->state = wire_str(s->state);
        m->ends_ms = s->ends_ms;
        m->needs_approval = s->needs_approval;
        m->approved = s->approved;
        m->decided_by = s->decided_by;
        ptrs[i] = m;
    }
    w->msg.n_notices = n;
    w->msg.notices = ptrs;
    return 0;
}

/* A report's wire form: one block holding the table, its rows and the
 * pointer arrays, freed after packing. 0, or -1 out of memory. */
typedef struct {
    Jifen__V1__ReportTable table;
    Jifen__V1__ReportRow *rows;
    Jifen__V1__ReportRow **row_ptrs;
    char **cells; /* n_rows * n_columns pointers into the C rows */
    char *columns[JIFEN_REPORT_COLUMNS_MAX];
} wire_report;

static int report_to_wire(const jifen_result *r, wire_result *w,
                          wire_report *out)
{
    memset(out, 0, sizeof *out);
    const jifen_report *rep = r->report;
    if (rep == NULL)
        return 0;
    size_t nr = rep->n_rows, nc = rep->n_columns;
    jifen__v1__report_table__init(&out->table);
    out->table.title = wire_str(rep->title);
    for (size_t i = 0; i < nc; i++)
        out->columns[i] = wire_str(rep->columns[i]);
    out->table.n_columns = nc;
    out->table.columns = out->columns;
    if (nr > 0) {
        out->rows = calloc(nr, sizeof *out->rows);
        out->row_ptrs = calloc(nr, sizeof *out->row_ptrs);
        out->cells = calloc(nr * (nc ? nc : 1), sizeof *out->cells);
        if (!out->rows || !out->row_ptrs || !out->cells)
            return -1;
    }
    for (size_t i = 0; i < nr; i++) {
        jifen__v1__report_row__init(&out->rows[i]);
        for (size_t j = 0; j < nc; j++)
            out->cells[i * nc + j] = wire_str(rep->rows[i].cells[j]);
        out->rows[i].n_cells = nc;
        out->rows[i].cells = &out->cells[i * nc];
        out->row_ptrs[i] = &out->rows[i];
    }
    out->table.n_rows = nr;
    out->table.rows = out->row_ptrs;
    out->table.next = wire_str(rep->next);
    out->table.head = rep->head;
    out->table.n_sums = rep->n_sums < JIFEN_REPORT_SUMS_MAX
                            ? rep->n_sums
                            : JIFEN_REPORT_SUMS_MAX;
    out->table.sums = (int64_t *)rep->sums;
    w->msg.report = &out->table;
    return 0;
}

/* A billing plan's lines and a receipt, allocated per result and freed
 * after packing (desk_wire_free). */
typedef struct {
    Jifen__V1__BillLine *lines;
    Jifen__V1__BillLine **line_ptrs;
    Jifen__V1__Receipt receipt;
    Jifen__V1__ReceiptLine receipt_lines[JIFEN_RECEIPT_LINES_MAX];
    Jifen__V1__ReceiptLine *receipt_line_ptrs[JIFEN_RECEIPT_LINES_MAX];
} wire_desk;

static void receipt_to_wire(const jifen_receipt *r, wire_desk *d)
{
    Jifen__V1__Receipt *m = &d->receipt;
    jifen__v1__receipt__init(m);
    m->entry = r->entry;
    m->receipt = r->receipt;
    m->time_ms = r->time_ms;
    m->household = wire_str(r->household);
    m->name = wire_str(r->name);
    m->area_centi_m2 = r->area_centi_m2;
    m->paid_fen = r->paid_fen;
    m->channel = (Jifen__V1__Channel)r->channel;
    m->reference = wire_str(r->reference);
    m->points = r->points;
    m->offset_fen = r->offset_fen;
    m->fee_due_after_fen = r->fee_due_after_fen;
    m->points_after = r->points_after;
    m->author = wire_str(r->author);
    m->entry_hash.data = (uint8_t *)r->entry_hash;
    m->entry_hash.len = JIFEN_HASH_LEN;
    size_t n = r->n_lines < JIFEN_RECEIPT_LINES_MAX ? r->n_lines
                                                    : JIFEN_RECEIPT_LINES_MAX;
    for (size_t i = 0; i < n; i++) {
        Jifen__V1__ReceiptLine *l = &d->receipt_lines[i];
        jifen__v1__receipt_line__init(l);
        l->item = wire_str(r->lines[i].item);
        l->item_name = wire_str(r->lines[i].item_name);
        l->period = wire_str(r->lines[i].period);
        l->fen = r->lines[i].fen;
        l->bill_entry = r->lines[i].bill_entry;
        d->receipt_line_ptrs[i] = l;
    }
    m->n_lines = n;
    m->lines = d->receipt_line_ptrs;
    m->ahead_fen = r->ahead_fen;
    m->payee = wire_str(r->payee);
    m->reversed_by = r->reversed_by;
    m->request_id = wire_str(r->request_id);
}

static int desk_to_wire(const jifen_result *r, wire_result *w, wire_desk *d)
{
    d->lines = NULL;
    d->line_ptrs = NULL;
    if (r->receipt != NULL) {
        receipt_to_wire(r->receipt, d);
        w->msg.receipt = &d->receipt;
    }
    size_t n = r->bill_lines != NULL ? r->n_bill_lines : 0;
    if (n == 0)
        return 0;
    d->lines = calloc(n, sizeof *d->lines);
    d->line_ptrs = calloc(n, sizeof *d->line_ptrs);
    if (d->lines == NULL || d->line_ptrs == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const jifen_bill_line *s = &r->bill_lines[i];
        Jifen__V1__BillLine *m = &d->lines[i];
        jifen__v1__bill_line__init(m);
        m->household = wire_str(s->household);
        m->item = wire_str(s->item);
        m->amount_fen = s->amount_fen;
        m->rate_fen = s->rate_fen;
        m->quantity = s->quantity;
        m->basis = (Jifen__V1__FeeBasis)s->basis;
        m->billed_entry = s->billed_entry;
        m->problem = wire_str(s->problem);
        m->item_name = wire_str(s->item_name);
        d->line_ptrs[i] = m;
    }
    w->msg.n_bill_lines = n;
    w->msg.bill_lines = d->line_ptrs;
    return 0;
}

static void desk_wire_free(wire_desk *d)
{
    free(d->lines);
    free(d->line_ptrs);
    d->lines = NULL; /* the same wire_desk serves the next result */
    d->line_ptrs = NULL;
}

static void report_wire_free(wire_report *w)
{
    free(w->rows);
    free(w->row_ptrs);
    free(w->cells);
}

/* The community list, allocated per result like the notice list. */
static int communities_to_wire(const jifen_result *r, wire_result *w,
                               Jifen__V1__CommunityInfo **items)
{
    *items = NULL;
    size_t n = r->communities != NULL ? r->n_communities : 0;
    if (n == 0)
        return 0;
    *items = calloc(n, sizeof **items);
    Jifen__V1__CommunityInfo **ptrs = calloc(n, sizeof *ptrs);
    if (*items == NULL || ptrs == NULL) {
        free(*items);
        free(ptrs);
        *items = NULL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const jifen_community *c = &r->communities[i];
        Jifen__V1__CommunityInfo *m = &(*items)[i];
        jifen__v1__community_info__init(m);
        m->code = wire_str(c->code);
        m->name = wire_str(c->name);
        m->street = wire_str(c->street);
        m->closed = c->closed;
        m->created_entry = c->created_entry;
        m->closed_entry = c->closed_entry;
        m->entries = c->entries;
        ptrs[i] = m;
    }
    w->msg.n_communities = n;
    w->msg.communities = ptrs;
    return 0;
}

static void communities_wire_free(wire_result *w,
                                  Jifen__V1__CommunityInfo *items)
{
    free(items);
    if (w->msg.n_communities)
        free(w->msg.communities);
}

static void notices_wire_free(wire_result *w, Jifen__V1__NoticeItem *items)
{
    free(items);
    if (w->msg.n_notices)
        free(w->msg.notices);
}

int codec_reply_encode(const jifen_reply *reply, uint8_t **out, size_t *out_len)
{
    grow_sink sink = grow_sink_start();
    Jifen__V1__Reply piece = JIFEN__V1__REPLY__INIT;
    history_buf h;

    /* ~10 KB, not the stack's; one for all the results (desk_to_wire sets
     * what it uses), not a malloc for each of a billing run's thousand. */
    if (history_buf_init(&h, reply) != 0) {
        history_buf_free(&h);
        return -1;
    }
    wire_desk *desk = malloc(sizeof *desk);
    if (desk == NULL) {
        history_buf_free(&h);
        return -1;
    }
    desk->lines = NULL; /* what desk_wire_free frees */
    desk->line_ptrs = NULL;
    piece.request_id = wire_str(reply->request_id);
    piece.status = status_to_wire(reply->status);
    piece.error = wire_str(reply->error);
    protobuf_c_message_pack_to_buffer(&piece.base, &sink.base);

    /* Then one Reply{results: [r]} per result (see the top of this file). */
    jifen__v1__reply__init(&piece);
    for (size_t i = 0; i < reply->n_results; i++) {
        wire_result wr;
        Jifen__V1__Result *one = &wr.msg;
        Jifen__V1__NoticeItem *items;
        Jifen__V1__CommunityInfo *citems;
        wire_report wrep;
        result_to_wire(&reply->results[i], &wr, &h);
        int bad = notices_to_wire(&reply->results[i], &wr, &items);
        int bad_c = communities_to_wire(&reply->results[i], &wr, &citems);
        if (report_to_wire(&reply->results[i], &wr, &wrep) != 0 || bad ||
            bad_c || desk_to_wire(&reply->results[i], &wr, desk) != 0) {
            if (!bad)
                notices_wire_free(&wr, items);
            if (!bad_c)
                communities_wire_free(&wr, citems);
            report_wire_free(&wrep);
            desk_wire_free(desk);
            free(desk);
            history_buf_free(&h);
            free(sink.data);
            return -1;
        }
        piece.n_results = 1;
        piece.results = &one;
        protobuf_c_message_pack_to_buffer(&piece.base, &sink.base);
        notices_wire_free(&wr, items);
        communities_wire_free(&wr, citems);
        report_wire_free(&wrep);
        desk_wire_free(desk);
    }
    free(desk);
    history_buf_free(&h);
    return grow_sink_finish(&sink, out, out_len);
}

static void balance_from_wire(const Jifen__V1__Balance *w, jifen_balance *b,
                              errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    take_str(e, "household", b->household, sizeof b->household, w->household);
    take_str(e, "name", b->name, sizeof b->name, w->name);
    b->area_centi_m2 = w->area_centi_m2;
    b->points = w->points;
    b->fee_due_fen = w->fee_due_fen;
    b->pending_points = w->pending_points;
}

static void verify_report_from_wire(const Jifen__V1__VerifyReport *w,
                                    jifen_verify_report *v, errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    v->ok = w->ok;
    v->entries = w->entries;
    take_hash(e, "head", v->head, w->head, true);
    take_str(e, "problem", v->problem, sizeof v->problem, w->problem);
    v->bad_entry = w->bad_entry;
}

static void history_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                              errbuf *e)
{
    if (failed(e) || w->n_history == 0)
        return;
    if (w->n_history > JIFEN_HISTORY_MAX) {
        fail(e, "history: %zu entries, at most %u", w->n_history,
             JIFEN_HISTORY_MAX);
        return;
    }
    r->history = calloc(w->n_history, sizeof *r->history);
    if (r->history == NULL) {
        fail_nomem(e);
        return;
    }
    r->n_history = w->n_history;
    for (size_t i = 0; i < w->n_history && !failed(e); i++) {
        codec_entry_from_wire(w->history[i], &r->history[i], false, e);
        fail_context(e, "history[%zu]", i);
    }
}

static void keys_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                           errbuf *e)
{
    if (failed(e) || w->n_keys == 0)
        return;
    if (w->n_keys > JIFEN_KEYS_MAX) {
        fail(e, "keys: %zu, at most %u", w->n_keys, JIFEN_KEYS_MAX);
        return;
    }
    r->keys = calloc(w->n_keys, sizeof *r->keys);
    if (r->keys == NULL) {
        fail_nomem(e);
        return;
    }
    r->n_keys = w->n_keys;
    for (size_t i = 0; i < w->n_keys && !failed(e); i++) {
        key_info_from_wire(w->keys[i], &r->keys[i], e);
        fail_context(e, "keys[%zu]", i);
    }
}

/* A rule set's text is the one unbounded string of a reply: bounded here. */
static void take_text(errbuf *e, char **dst, const char *src)
{
    take_owned_text(e, "text", dst, src, JIFEN_RULE_SET_TEXT_MAX);
}

static void rule_set_from_wire(const Jifen__V1__RuleSet *w, jifen_rule_set *s,
                               errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    take_str(e, "version", s->version, sizeof s->version, w->version);
    take_str(e, "effective", s->effective, sizeof s->effective, w->effective);
    take_str(e, "resolution", s->resolution, sizeof s->resolution,
             w->resolution);
    s->in_force = w->in_force;
    take_text(e, &s->text, w->text);
}

static void rule_sets_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                                errbuf *e)
{
    if (failed(e) || w->n_rule_sets == 0)
        return;
    if (w->n_rule_sets > JIFEN_RULE_SETS_MAX) {
        fail(e, "rule_sets: %zu, at most %d", w->n_rule_sets,
             JIFEN_RULE_SETS_MAX);
        return;
    }
    r->rule_sets = calloc(w->n_rule_sets, sizeof *r->rule_sets);
    if (r->rule_sets == NULL) {
        fail_nomem(e);
        return;
    }
    r->n_rule_sets = w->n_rule_sets;
    for (size_t i = 0; i < w->n_rule_sets && !failed(e); i++) {
        rule_set_from_wire(w->rule_sets[i], &r->rule_sets[i], e);
        fail_context(e, "rule_sets[%zu]", i);
    }
}

static void notice_from_wire(const Jifen__V1__NoticeItem *w, jifen_notice *s,
                             errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    s->entry = w->entry;
    s->time_ms = w->time_ms;
    take_str(e, "household", s->household, sizeof s->household, w->household);
    take_str(e, "name", s->name, sizeof s->name, w->name);
    take_str(e, "activity", s->activity, sizeof s->activity, w->activity);
    s->points = w->points;
    take_str(e, "state", s->state, sizeof s->state, w->state);
    s->ends_ms = w->ends_ms;
    s->needs_approval = w->needs_approval;
    s->approved = w->approved;
    s->decided_by = w->decided_by;
}

static void notices_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                              errbuf *e)
{
    r->notice_ends_ms = w->notice_ends_ms;
    r->needs_approval = w->needs_approval;
    r->suspended_until_ms = w->suspended_until_ms;
    if (failed(e) || w->n_notices == 0)
        return;
    if (w->n_notices > JIFEN_NOTICES_MAX) {
        fail(e, "notices: %zu, at most %d", w->n_notices, JIFEN_NOTICES_MAX);
        return;
    }
    r->notices = calloc(w->n_notices, sizeof *r->notices);
    if (r->notices == NULL) {
        fail_nomem(e);
        return;
    }
    r->n_notices = w->n_notices;
    for (size_t i = 0; i < w->n_notices && !failed(e); i++) {
        notice_from_wire(w->notices[i], &r->notices[i], e);
        fail_context(e, "notices[%zu]", i);
    }
}

static void communities_from_wire(const Jifen__V1__Result *w,
                                  jifen_result *r, errbuf *e)
{
    if (failed(e) || w->n_communities == 0)
        return;
    if (w->n_communities > JIFEN_COMMUNITIES_MAX) {
        fail(e, "communities: %zu, at most %u", w->n_communities,
             JIFEN_COMMUNITIES_MAX);
        return;
    }
    r->communities = calloc(w->n_communities, sizeof *r->communities);
    if (r->communities == NULL) {
        fail_nomem(e);
        return;
    }
    r->n_communities = w->n_communities;
    for (size_t i = 0; i < w->n_communities && !failed(e); i++) {
        const Jifen__V1__CommunityInfo *m = w->communities[i];
        jifen_community *c = &r->communities[i];
        if (!known_fields_only(e, &m->base))
            break;
        take_str(e, "code", c->code, sizeof c->code, m->code);
        take_str(e, "name", c->name, sizeof c->name, m->name);
        take_str(e, "street", c->street, sizeof c->street, m->street);
        c->closed = m->closed;
        c->created_entry = m->created_entry;
        c->closed_entry = m->closed_entry;
        c->entries = m->entries;
        fail_context(e, "communities[%zu]", i);
    }
}

static void report_row_from_wire(const Jifen__V1__ReportRow *w,
                                 jifen_report_row *row, size_t nc, errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    if (w->n_cells != nc) {
        fail(e, "cells: %zu, the table has %zu columns", w->n_cells, nc);
        return;
    }
    for (size_t j = 0; j < nc && !failed(e); j++)
        take_str(e, "cell", row->cells[j], sizeof row->cells[j], w->cells[j]);
}

static void report_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                             errbuf *e)
{
    const Jifen__V1__ReportTable *t = w->report;
    if (failed(e) || t == NULL || !known_fields_only(e, &t->base))
        return;
    if (t->n_columns > JIFEN_REPORT_COLUMNS_MAX ||
        t->n_rows > JIFEN_REPORT_ROWS_MAX) {
        fail(e, "report: %zu columns and %zu rows, at most %d and %d",
             t->n_columns, t->n_rows, JIFEN_REPORT_COLUMNS_MAX,
             JIFEN_REPORT_ROWS_MAX);
        return;
    }
    jifen_report *rep = calloc(1, sizeof *rep);
    if (rep == NULL) {
        fail_nomem(e);
        return;
    }
    r->report = rep;
    take_str(e, "title", rep->title, sizeof rep->title, t->title);
    take_str(e, "next", rep->next, sizeof rep->next, t->next);
    rep->head = t->head;
    if (!failed(e) && t->n_sums > JIFEN_REPORT_SUMS_MAX)
        fail(e, "sums: %zu, at most %d", t->n_sums, JIFEN_REPORT_SUMS_MAX);
    for (size_t i = 0; !failed(e) && i < t->n_sums; i++)
        rep->sums[i] = t->sums[i];
    if (!failed(e))
        rep->n_sums = t->n_sums;
    rep->n_columns = t->n_columns;
    for (size_t j = 0; j < t->n_columns && !failed(e); j++)
        take_str(e, "column", rep->columns[j], sizeof rep->columns[j],
                 t->columns[j]);
    if (failed(e) || t->n_rows == 0)
        return;
    rep->rows = calloc(t->n_rows, sizeof *rep->rows);
    if (rep->rows == NULL) {
        fail_nomem(e);
        return;
    }
    rep->n_rows = t->n_rows;
    for (size_t i = 0; i < t->n_rows && !failed(e); i++) {
        report_row_from_wire(t->rows[i], &rep->rows[i], t->n_columns, e);
        fail_context(e, "report.rows[%zu]", i);
    }
}

static void households_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                                 errbuf *e)
{
    if (failed(e) || w->n_households == 0)
        return;
    if (w->n_households > JIFEN_SEARCH_MAX) {
        fail(e, "households: %zu, at most %u", w->n_households,
             JIFEN_SEARCH_MAX);
        return;
    }
    r->households = calloc(w->n_households, sizeof *r->households);
    if (r->households == NULL) {
        fail_nomem(e);
        return;
    }
    r->n_households = w->n_households;
    for (size_t i = 0; i < w->n_households && !failed(e); i++) {
        balance_from_wire(w->households[i], &r->households[i], e);
        fail_context(e, "households[%zu]", i);
    }
}

static void bill_lines_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                                 errbuf *e)
{
    take_str(e, "next", r->next, sizeof r->next, w->next);
    r->receipt_no = w->receipt_no;
    if (failed(e) || w->n_bill_lines == 0)
        return;
    if (w->n_bill_lines > (size_t)JIFEN_PLAN_MAX * 16) {
        fail(e, "bill_lines: %zu, at most %u", w->n_bill_lines,
             JIFEN_PLAN_MAX * 16);
        return;
    }
    r->bill_lines = calloc(w->n_bill_lines, sizeof *r->bill_lines);
    if (r->bill_lines == NULL) {
        fail_nomem(e);
        return;
    }
    r->n_bill_lines = w->n_bill_lines;
    for (size_t i = 0; i < w->n_bill_lines && !failed(e); i++) {
        const Jifen__V1__BillLine *m = w->bill_lines[i];
        jifen_bill_line *l = &r->bill_lines[i];
        if (!known_fields_only(e, &m->base))
            break;
        take_str(e, "household", l->household, sizeof l->household,
                 m->household);
        take_str(e, "item", l->item, sizeof l->item, m->item);
        l->amount_fen = m->amount_fen;
        l->rate_fen = m->rate_fen;
        l->quantity = m->quantity;
        l->basis = basis_from_wire(m->basis, e);
        l->billed_entry = m->billed_entry;
        take_str(e, "problem", l->problem, sizeof l->problem, m->problem);
        take_str(e, "item_name", l->item_name, sizeof l->item_name,
                 m->item_name);
        fail_context(e, "bill_lines[%zu]", i);
    }
}

static void receipt_from_wire(const Jifen__V1__Receipt *m, jifen_result *r,
                              errbuf *e)
{
    if (m == NULL || failed(e) || !known_fields_only(e, &m->base))
        return;
    if (m->n_lines > JIFEN_RECEIPT_LINES_MAX) {
        fail(e, "receipt.lines: %zu, at most %d", m->n_lines,
             JIFEN_RECEIPT_LINES_MAX);
        return;
    }
    jifen_receipt *p = r->receipt = calloc(1, sizeof *r->receipt);
    if (p == NULL) {
        fail_nomem(e);
        return;
    }
    p->entry = m->entry;
    p->receipt = m->receipt;
    p->time_ms = m->time_ms;
    take_str(e, "household", p->household, sizeof p->household, m->household);
    take_str(e, "name", p->name, sizeof p->name, m->name);
    p->area_centi_m2 = m->area_centi_m2;
    p->paid_fen = m->paid_fen;
    p->channel = channel_from_wire(m->channel, e);
    take_str(e, "reference", p->reference, sizeof p->reference, m->reference);
    p->points = m->points;
    p->offset_fen = m->offset_fen;
    p->fee_due_after_fen = m->fee_due_after_fen;
    p->points_after = m->points_after;
    take_str(e, "author", p->author, sizeof p->author, m->author);
    take_hash(e, "entry_hash", p->entry_hash, m->entry_hash, true);
    for (size_t i = 0; i < m->n_lines && !failed(e); i++) {
        const Jifen__V1__ReceiptLine *w = m->lines[i];
        jifen_receipt_line *l = &p->lines[i];
        if (!known_fields_only(e, &w->base))
            break;
        take_str(e, "item", l->item, sizeof l->item, w->item);
        take_str(e, "item_name", l->item_name, sizeof l->item_name,
                 w->item_name);
        take_str(e, "period", l->period, sizeof l->period, w->period);
        l->fen = w->fen;
        l->bill_entry = w->bill_entry;
    }
    p->n_lines = m->n_lines;
    p->ahead_fen = m->ahead_fen;
    take_str(e, "payee", p->payee, sizeof p->payee, m->payee);
    p->reversed_by = m->reversed_by;
    take_str(e, "request_id", p->request_id, sizeof p->request_id,
             m->request_id);
    fail_context(e, "receipt");
}

static void result_from_wire(const Jifen__V1__Result *w, jifen_result *r,
                             errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    status_from_wire(w->status, &r->status, e);
    take_str(e, "error", r->error, sizeof r->error, w->error);
    r->entry = w->entry;
    codec_postings_from_wire(w->postings, w->n_postings, r->postings, &r->n_postings,
                       e);
    r->points = w->points;
    r->offset_fen = w->offset_fen;
    r->stock_left = w->stock_left;
    if (w->balance != NULL && !failed(e)) {
        r->has_balance = true;
        balance_from_wire(w->balance, &r->balance, e);
        fail_context(e, "balance");
    }
    history_from_wire(w, r, e);
    if (w->verify != NULL && !failed(e)) {
        r->has_verify = true;
        verify_report_from_wire(w->verify, &r->verify, e);
        fail_context(e, "verify");
    }
    ops_from_wire(w, r, e);
    keys_from_wire(w, r, e);
    rule_sets_from_wire(w, r, e);
    notices_from_wire(w, r, e);
    report_from_wire(w, r, e);
    communities_from_wire(w, r, e);
    proof_from_wire(w->proof, r, e);
    households_from_wire(w, r, e);
    bill_lines_from_wire(w, r, e);
    receipt_from_wire(w->receipt, r, e);
}

static void reply_from_wire(const Jifen__V1__Reply *w, jifen_reply *out,
                            errbuf *e)
{
    if (!known_fields_only(e, &w->base))
        return;
    take_str(e, "request_id", out->request_id, sizeof out->request_id,
             w->request_id);
    status_from_wire(w->status, &out->status, e);
    take_str(e, "error", out->error, sizeof out->error, w->error);
    if (failed(e) || w->n_results == 0)
        return;
    if (w->n_results > JIFEN_BATCH_MAX) {
        fail(e, "results: %zu, at most %d", w->n_results, JIFEN_BATCH_MAX);
        return;
    }
    out->results = calloc(w->n_results, sizeof *out->results);
    if (out->results == NULL) {
        fail_nomem(e);
        return;
    }
    out->n_results = w->n_results;
    for (size_t i = 0; i < w->n_results && !failed(e); i++) {
        result_from_wire(w->results[i], &out->results[i], e);
        fail_context(e, "results[%zu]", i);
    }
}

jifen_status codec_reply_decode(const uint8_t *buf, size_t len,
                                jifen_reply *out, char *err, size_t errlen)
{
    errbuf e = errbuf_start(err, errlen);
    Jifen__V1__Reply *w;

    memset(out, 0, sizeof *out);
    if (buf == NULL && len > 0) {
        fail(&e, "no reply bytes");
        return e.status;
    }
    w = jifen__v1__reply__unpack(&wire_allocator, len, buf);
    if (w == NULL) {
        fail(&e, "not a valid jifen.v1.Reply message");
        return e.status;
    }
    reply_from_wire(w, out, &e);
    jifen__v1__reply__free_unpacked(w, &wire_allocator);
    if (failed(&e))
        codec_reply_clear(out);
    return e.status;
}

void codec_result_clear(jifen_result *result)
{
    if (result == NULL)
        return;
    free(result->history);
    result->history = NULL;
    result->n_history = 0;
    free(result->feed.bytes);
    free(result->feed.lens);
    free(result->feed.checkpoints);
    memset(&result->feed, 0, sizeof result->feed);
    result->has_feed = false;
    free(result->keys);
    result->keys = NULL;
    result->n_keys = 0;
    for (size_t i = 0; result->rule_sets != NULL && i < result->n_rule_sets;
         i++)
        free(result->rule_sets[i].text);
    free(result->rule_sets);
    result->rule_sets = NULL;
    result->n_rule_sets = 0;
    free(result->notices);
    result->notices = NULL;
    result->n_notices = 0;
    if (result->report != NULL)
        free(result->report->rows);
    free(result->report);
    result->report = NULL;
    free(result->communities);
    result->communities = NULL;
    result->n_communities = 0;
    if (result->proof != NULL)
        free(result->proof->stored);
    free(result->proof);
    result->proof = NULL;
    free(result->households);
    result->households = NULL;
    result->n_households = 0;
    free(result->bill_lines);
    result->bill_lines = NULL;
    result->n_bill_lines = 0;
    free(result->receipt);
    result->receipt = NULL;
}

void codec_reply_clear(jifen_reply *reply)
{
    if (reply == NULL)
        return;
    for (size_t i = 0; reply->results != NULL && i < reply->n_results; i++)
        codec_result_clear(&reply->results[i]);
    free(reply->results);
    memset(reply, 0, sizeof *reply);
}

void codec_reply_mark_replayed(jifen_reply *reply)
{
    for (size_t i = 0; i < reply->n_results; i++)
        if (reply->results[i].status == JIFEN_STATUS_OK)
            reply->results[i].status = JIFEN_STATUS_EXISTS;
}

/* --- the field rules, for clients that check a form before sending ------ */

bool codec_household_ok(const char *s)
{
    return token_ok(s, JIFEN_HOUSEHOLD_MAX + 1, JIFEN_HOUSEHOLD_MAX,
                    household_char);
}

bool codec_code_ok(const char *s)
{
    return token_ok(s, JIFEN_CODE_MAX + 1, JIFEN_CODE_MAX, code_char);
}

bool codec_request_id_ok(const char *s)
{
    return token_ok(s, JIFEN_REQUEST_ID_MAX + 1, JIFEN_REQUEST_ID_MAX,
                    request_id_char);
}

size_t codec_utf8_valid_prefix(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    for (size_t len; i < n && (len = utf8_char_len(u + i, n - i, &cp)) != 0;)
        i += len;
    return i;
}

bool codec_text_ok(const char *s, size_t n)
{
    char why[96];
    return text_ok(s, n, why, sizeof why);
}
