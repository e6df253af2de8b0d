/*
 * test_codec - the wire codec: round trips of every message, every
 * validation rule, and decoding of hostile bytes.
 *
 * Malformed frames are written by hand with the small protobuf writer below
 * rather than with the generated types, so the tests also pin down the wire
 * format that other languages' stock protobuf runtimes produce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "codec.h"
#include "entry_codec.h"
#include "hash.h"

/* --- helpers ------------------------------------------------------------ */

static void assert_prefix(const char *err, const char *prefix)
{
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", err, prefix);
}

static void assert_contains(const char *err, const char *part)
{
    if (strstr(err, part) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", err, part);
}

#define HOUSEHOLD "3-2-501"

/* A valid command of each kind, with every field it uses set. */
static jifen_command valid_command(jifen_command_kind kind)
{
    jifen_command c;

    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (kind != JIFEN_CMD_REVERSE && kind != JIFEN_CMD_VERIFY)
        strcpy(c.household, HOUSEHOLD);
    switch (kind) {
    case JIFEN_CMD_HOUSEHOLD_ADD:
        strcpy(c.name, "张三");
        c.area_centi_m2 = 8950;
        break;
    case JIFEN_CMD_AWARD:
        strcpy(c.code, "volunteer");
        c.points = 3;
        c.hours = 2;
        strcpy(c.note, "社区清扫 cleanup");
        break;
    case JIFEN_CMD_DEDUCT:
        strcpy(c.code, "parking");
        c.points = 5;
        strcpy(c.note, "违停 three times");
        break;
    case JIFEN_CMD_BILL:
        c.amount = 12800;
        strcpy(c.period, "2024-03");
        break;
    case JIFEN_CMD_PAY:
    case JIFEN_CMD_REDEEM:
        c.amount = 30;
        break;
    case JIFEN_CMD_REVERSE:
        c.entry = 42;
        strcpy(c.note, "wrong household");
        break;
    case JIFEN_CMD_HISTORY:
        c.limit = 50;
        break;
    default:
        break;
    }
    return c;
}

static void assert_command_equal(const jifen_command *a, const jifen_command *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->household, b->household);
    assert_string_equal(a->code, b->code);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->note, b->note);
    assert_string_equal(a->period, b->period);
    assert_int_equal(a->amount, b->amount);
    assert_int_equal(a->points, b->points);
    assert_int_equal(a->hours, b->hours);
    assert_int_equal(a->area_centi_m2, b->area_centi_m2);
    assert_int_equal(a->limit, b->limit);
    assert_int_equal(a->entry, b->entry);
    assert_string_equal(a->key, b->key);
    assert_int_equal(a->role, b->role);
}

static void assert_entry_equal(const jifen_entry *a, const jifen_entry *b)
{
    assert_int_equal(a->seq, b->seq);
    assert_memory_equal(a->prev_hash, b->prev_hash, JIFEN_HASH_LEN);
    assert_int_equal(a->time_ms, b->time_ms);
    assert_string_equal(a->request_id, b->request_id);
    assert_string_equal(a->author, b->author);
    assert_command_equal(&a->command, &b->command);
    assert_int_equal(a->n_postings, b->n_postings);
    for (size_t i = 0; i < a->n_postings; i++) {
        assert_int_equal(a->postings[i].asset, b->postings[i].asset);
        assert_string_equal(a->postings[i].debit, b->postings[i].debit);
        assert_string_equal(a->postings[i].credit, b->postings[i].credit);
        assert_int_equal(a->postings[i].amount, b->postings[i].amount);
    }
    assert_int_equal(a->reverses, b->reverses);
    assert_string_equal(a->policy, b->policy);
}

/* Encodes and decodes a request; returns the decode status. */
static jifen_status roundtrip_request(const jifen_request *in,
                                      jifen_request *out, char *err,
                                      size_t errlen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    jifen_status st;

    assert_int_equal(codec_request_encode(in, &buf, &len), 0);
    assert_non_null(buf);
    st = codec_request_decode(buf, len, out, err, errlen);
    free(buf);
    return st;
}

/* A request over `cmds`, with an id when it writes. */
static jifen_request request_of(jifen_command *cmds, size_t n, const char *id)
{
    jifen_request r;

    memset(&r, 0, sizeof r);
    snprintf(r.request_id, sizeof r.request_id, "%s", id);
    r.commands = cmds;
    r.n_commands = n;
    return r;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* --- a hand-written protobuf encoder, for frames the codec would not make */

typedef struct {
    uint8_t b[4096];
    size_t n;
} pb;

static void pb_raw(pb *p, const void *data, size_t n)
{
    assert_true(n <= sizeof p->b - p->n);
    memcpy(p->b + p->n, data, n);
    p->n += n;
}

static void pb_varint(pb *p, uint64_t v)
{
    uint8_t byte;

    while (v >= 0x80) {
        byte = (uint8_t)(v | 0x80);
        pb_raw(p, &byte, 1);
        v >>= 7;
    }
    byte = (uint8_t)v;
    pb_raw(p, &byte, 1);
}

static void pb_uint(pb *p, unsigned field, uint64_t v)
{
    pb_varint(p, (uint64_t)field << 3);
    pb_varint(p, v);
}

static void pb_bytes(pb *p, unsigned field, const void *data, size_t n)
{
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, n);
    pb_raw(p, data, n);
}

static void pb_str(pb *p, unsigned field, const char *s)
{
    pb_bytes(p, field, s, strlen(s));
}

static void pb_msg(pb *p, unsigned field, const pb *m)
{
    pb_bytes(p, field, m->b, m->n);
}

/* Request{request_id: id, commands: [Command{<kind_field>: payload}]} */
static pb request_with(const char *id, unsigned kind_field, const pb *payload)
{
    pb req = {.n = 0}, cmd = {.n = 0};

    pb_msg(&cmd, kind_field, payload);
    if (id[0] != '\0')
        pb_str(&req, 1, id);
    pb_msg(&req, 2, &cmd);
    return req;
}

static void expect_request_error(const pb *frame, const char *prefix)
{
    jifen_request req;
    char err[256];

    assert_int_equal(
        codec_request_decode(frame->b, frame->n, &req, err, sizeof err),
        JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, prefix);
    assert_null(req.commands);
    assert_int_equal(req.n_commands, 0);
}

/* --- names ---------------------------------------------------------------*/

static void test_names(void **state)
{
    static const char *const statuses[] = {
        "unspecified",      "ok",
        "exists",           "id_conflict",
        "bad_request",      "unknown_household",
        "household_exists", "insufficient_points",
        "cap_exceeded",     "unknown_activity",
        "unknown_rule",     "unknown_entry",
        "already_reversed", "not_reversible",
        "ledger_full",      "forbidden",
        "internal",         "too_large",
    };
    static const char *const commands[] = {
        "household_add", "award",   "deduct",  "bill",    "pay",
        "redeem",        "reverse", "balance", "history", "verify",
    };

    (void)state;
    for (int i = 0; i <= JIFEN_STATUS_TOO_LARGE; i++)
        assert_string_equal(jifen_status_name((jifen_status)i), statuses[i]);
    assert_string_equal(jifen_status_name((jifen_status)99), "unknown");
    for (int k = JIFEN_CMD_HOUSEHOLD_ADD; k <= JIFEN_CMD_VERIFY; k++) {
        assert_string_equal(codec_command_name((jifen_command_kind)k),
                            commands[k - 1]);
        assert_int_equal(jifen_command_is_write((jifen_command_kind)k),
                         k <= JIFEN_CMD_REVERSE);
    }
    assert_false(jifen_command_is_write(JIFEN_CMD_NONE));
    assert_string_equal(codec_command_name(JIFEN_CMD_NONE), "unknown");
    assert_string_equal(codec_asset_name(JIFEN_ASSET_POINTS), "points");
    assert_string_equal(codec_asset_name(JIFEN_ASSET_FEE), "fee");
}

/* --- request round trips -------------------------------------------------*/

static void roundtrip_kinds(jifen_command_kind first, jifen_command_kind last,
                            const char *id)
{
    jifen_command cmds[JIFEN_CMD_VERIFY];
    size_t n = 0;
    jifen_request in, out;
    char err[256];

    for (int k = first; k <= (int)last; k++)
        cmds[n++] = valid_command((jifen_command_kind)k);
    in = request_of(cmds, n, id);
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_string_equal(err, "");
    assert_string_equal(out.request_id, id);
    assert_int_equal(out.n_commands, n);
    for (size_t i = 0; i < n; i++)
        assert_command_equal(&out.commands[i], &cmds[i]);
    codec_request_clear(&out);
    assert_null(out.commands);
}

static void test_request_roundtrip_writes(void **state)
{
    (void)state;
    roundtrip_kinds(JIFEN_CMD_HOUSEHOLD_ADD, JIFEN_CMD_REVERSE,
                    "0123456789abcdef0123456789abcdef");
}

static void test_request_roundtrip_queries(void **state)
{
    (void)state;
    roundtrip_kinds(JIFEN_CMD_BALANCE, JIFEN_CMD_VERIFY, "");
    roundtrip_kinds(JIFEN_CMD_BALANCE, JIFEN_CMD_VERIFY, "q-1");
}

/* The exact bytes of stock protobuf, field by field. */
static void test_request_golden_bytes(void **state)
{
    static const uint8_t want[] = {
        0x0a, 0x02, 'r',  '1',                   /* request_id "r1" */
        0x12, 0x05, 0x42, 0x03, 0x0a, 0x01, 'A', /* balance{household A} */
        0x12, 0x02, 0x52, 0x00,                  /* verify{} */
    };
    jifen_command cmds[2];
    jifen_request req;
    uint8_t *buf;
    size_t len;

    (void)state;
    memset(cmds, 0, sizeof cmds);
    cmds[0].kind = JIFEN_CMD_BALANCE;
    strcpy(cmds[0].household, "A");
    cmds[1].kind = JIFEN_CMD_VERIFY;
    req = request_of(cmds, 2, "r1");
    assert_int_equal(codec_request_encode(&req, &buf, &len), 0);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    free(buf);
}

/* --- validation ----------------------------------------------------------*/

typedef struct {
    jifen_command_kind kind;
    const char *field; /* wire name of the field to change */
    const char *str;   /* its new value, or NULL for num */
    uint64_t num;
    bool ok;
} field_case;

#define LONG33 "abcdefghijklmnopqrstuvwxyz0123456"
#define CH21 "张张张张张张张张张张张张张张张张张张张张张" /* 63 bytes */

static const field_case FIELD_CASES[] = {
    /* household codes */
    {JIFEN_CMD_BALANCE, "household", "", 0, false},
    {JIFEN_CMD_BALANCE, "household", "3/2/501", 0, false},
    {JIFEN_CMD_BALANCE, "household", "3 2", 0, false},
    {JIFEN_CMD_BALANCE, "household", "ü", 0, false},
    {JIFEN_CMD_BALANCE, "household", "A.b_C-9", 0, true},
    {JIFEN_CMD_BALANCE, "household", "abcdefghijklmnopqrstuvwxyz012345", 0,
     true},
    {JIFEN_CMD_HISTORY, "household", "x:y", 0, false},
    {JIFEN_CMD_PAY, "household", "", 0, false},
    /* activity and rule codes */
    {JIFEN_CMD_AWARD, "activity", "", 0, false},
    {JIFEN_CMD_AWARD, "activity", "Volunteer", 0, false},
    {JIFEN_CMD_AWARD, "activity", "a.b", 0, false},
    {JIFEN_CMD_AWARD, "activity", "meeting_2-x", 0, true},
    {JIFEN_CMD_DEDUCT, "rule", "", 0, false},
    {JIFEN_CMD_DEDUCT, "rule", "no parking", 0, false},
    /* text */
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "", 0, true},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", CH21 "a", 0, true},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "emoji \xf0\x9f\x98\x80", 0, true},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "bad \xff", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "cut \xe5\xbc", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "overlong \xc0\xaf", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "surrogate \xed\xa0\x80", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "big \xf4\x90\x80\x80", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "line\nbreak", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "del\x7f", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "c1 \xc2\x85", 0, false},
    {JIFEN_CMD_AWARD, "note", "", 0, true},
    {JIFEN_CMD_AWARD, "note", "tab\there", 0, false},
    {JIFEN_CMD_DEDUCT, "note", "", 0, false},
    {JIFEN_CMD_REVERSE, "note", "", 0, false},
    {JIFEN_CMD_REVERSE, "note", "esc\x1b", 0, false},
    /* invisible characters that make text read differently (bidi
     * overrides and isolates, zero-width characters) */
    {JIFEN_CMD_AWARD, "note", "paid \xe2\x80\xae" "021", 0, false}, /* RLO */
    {JIFEN_CMD_AWARD, "note", "\xe2\x80\xaa" "LRE", 0, false},
    {JIFEN_CMD_AWARD, "note", "pdf \xe2\x80\xac", 0, false},
    {JIFEN_CMD_AWARD, "note", "rli \xe2\x81\xa7x", 0, false},
    {JIFEN_CMD_AWARD, "note", "pdi \xe2\x81\xa9", 0, false},
    {JIFEN_CMD_AWARD, "note", "rlm \xe2\x80\x8f", 0, false},
    {JIFEN_CMD_AWARD, "note", "alm \xd8\x9c", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "\xe5\xbc\xa0\xe2\x80\x8b\xe4\xb8\x89", 0,
     false}, /* 张<ZWSP>三 */
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "zwj \xe2\x80\x8d", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "bom \xef\xbb\xbf", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "wj \xe2\x81\xa0", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "shy \xc2\xad", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "ls \xe2\x80\xa8", 0, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "tag \xf3\xa0\x80\x81", 0, false},
    {JIFEN_CMD_DEDUCT, "note", "\xe2\x80\xad" "LRO", 0, false},
    {JIFEN_CMD_REVERSE, "note", "\xe2\x80\x8c", 0, false},
    /* ... and their neighbours, which are ordinary text */
    {JIFEN_CMD_AWARD, "note", "dash \xe2\x80\x94 quote \xe2\x80\x9c\xe2\x80\x9d", 0,
     true},
    {JIFEN_CMD_AWARD, "note", "\xe2\x80\xb0 per mille, \xe2\x81\xb0 super", 0, true},
    {JIFEN_CMD_HOUSEHOLD_ADD, "name", "\xe5\xbc\xa0\xe4\xb8\x89\xef\xbc\x88\xe5\xa4\xa7\xef\xbc\x89", 0,
     true}, /* 张三（大） */
    /* numbers */
    {JIFEN_CMD_AWARD, "points", NULL, 0, true},
    {JIFEN_CMD_AWARD, "points", NULL, JIFEN_POINTS_MAX, true},
    {JIFEN_CMD_AWARD, "points", NULL, JIFEN_POINTS_MAX + 1, false},
    {JIFEN_CMD_AWARD, "hours", NULL, 0, true},
    {JIFEN_CMD_AWARD, "hours", NULL, JIFEN_HOURS_MAX, true},
    {JIFEN_CMD_AWARD, "hours", NULL, JIFEN_HOURS_MAX + 1, false},
    {JIFEN_CMD_DEDUCT, "points", NULL, 0, true},
    {JIFEN_CMD_DEDUCT, "points", NULL, JIFEN_POINTS_MAX + 1, false},
    {JIFEN_CMD_REDEEM, "points", NULL, 0, false},
    {JIFEN_CMD_REDEEM, "points", NULL, 1, true},
    {JIFEN_CMD_REDEEM, "points", NULL, JIFEN_POINTS_MAX, true},
    {JIFEN_CMD_REDEEM, "points", NULL, JIFEN_POINTS_MAX + 1, false},
    {JIFEN_CMD_BILL, "amount_fen", NULL, 0, false},
    {JIFEN_CMD_BILL, "amount_fen", NULL, 1, true},
    {JIFEN_CMD_BILL, "amount_fen", NULL, JIFEN_FEN_MAX, true},
    {JIFEN_CMD_BILL, "amount_fen", NULL, JIFEN_FEN_MAX + 1, false},
    {JIFEN_CMD_PAY, "amount_fen", NULL, 0, false},
    {JIFEN_CMD_PAY, "amount_fen", NULL, UINT64_MAX, false},
    {JIFEN_CMD_REVERSE, "entry", NULL, 0, false},
    {JIFEN_CMD_REVERSE, "entry", NULL, UINT64_MAX, true},
    {JIFEN_CMD_HISTORY, "limit", NULL, 0, true},
    {JIFEN_CMD_HISTORY, "limit", NULL, JIFEN_HISTORY_MAX, true},
    {JIFEN_CMD_HISTORY, "limit", NULL, JIFEN_HISTORY_MAX + 1, false},
    {JIFEN_CMD_HOUSEHOLD_ADD, "area_centi_m2", NULL, UINT32_MAX, true},
    /* periods */
    {JIFEN_CMD_BILL, "period", "2000-01", 0, true},
    {JIFEN_CMD_BILL, "period", "2999-12", 0, true},
    {JIFEN_CMD_BILL, "period", "1999-12", 0, false},
    {JIFEN_CMD_BILL, "period", "3000-01", 0, false},
    {JIFEN_CMD_BILL, "period", "2024-00", 0, false},
    {JIFEN_CMD_BILL, "period", "2024-13", 0, false},
    {JIFEN_CMD_BILL, "period", "2024-3", 0, false},
    {JIFEN_CMD_BILL, "period", "2024/03", 0, false},
    {JIFEN_CMD_BILL, "period", "2024-0a", 0, false},
    {JIFEN_CMD_BILL, "period", "+024-03", 0, false},
    {JIFEN_CMD_BILL, "period", "", 0, false},
};

static void set_field(jifen_command *c, const field_case *fc)
{
    struct {
        const char *field;
        char *str;
        size_t cap;
    } strs[] = {
        {"household", c->household, sizeof c->household},
        {"activity", c->code, sizeof c->code},
        {"rule", c->code, sizeof c->code},
        {"name", c->name, sizeof c->name},
        {"note", c->note, sizeof c->note},
        {"period", c->period, sizeof c->period},
    };

    for (size_t i = 0; fc->str != NULL && i < sizeof strs / sizeof strs[0];
         i++) {
        if (strcmp(strs[i].field, fc->field) == 0) {
            assert_true(strlen(fc->str) < strs[i].cap);
            strcpy(strs[i].str, fc->str);
            return;
        }
    }
    if (strcmp(fc->field, "points") == 0 && c->kind == JIFEN_CMD_REDEEM)
        c->amount = fc->num;
    else if (strcmp(fc->field, "points") == 0)
        c->points = (uint32_t)fc->num;
    else if (strcmp(fc->field, "hours") == 0)
        c->hours = (uint32_t)fc->num;
    else if (strcmp(fc->field, "amount_fen") == 0)
        c->amount = fc->num;
    else if (strcmp(fc->field, "entry") == 0)
        c->entry = fc->num;
    else if (strcmp(fc->field, "limit") == 0)
        c->limit = (uint32_t)fc->num;
    else if (strcmp(fc->field, "area_centi_m2") == 0)
        c->area_centi_m2 = (uint32_t)fc->num;
    else
        fail_msg("no field %s", fc->field);
}

static void expect_status(size_t i, const field_case *fc, const char *what,
                          jifen_status got, jifen_status want, const char *err)
{
    if (got != want)
        fail_msg("case %zu (%s %s) %s: %s, expected %s (%s)", i,
                 codec_command_name(fc->kind), fc->field, what,
                 jifen_status_name(got), jifen_status_name(want), err);
}

/* One rule through codec_command_validate, then through the decoder as the
 * second command of a batch (the error names it as command 2). */
static void check_field_case(size_t i, const field_case *fc)
{
    jifen_command cmds[2] = {valid_command(fc->kind), valid_command(fc->kind)};
    const char *id = jifen_command_is_write(fc->kind) ? "req-1" : "";
    jifen_request in = request_of(cmds, 2, id), out;
    jifen_status want = fc->ok ? JIFEN_STATUS_OK : JIFEN_STATUS_BAD_REQUEST;
    char err[256], prefix[128];

    set_field(&cmds[1], fc);
    expect_status(i, fc, "validate",
                  codec_command_validate(&cmds[1], err, sizeof err), want, err);
    snprintf(prefix, sizeof prefix, "%s: ", fc->field);
    if (!fc->ok)
        assert_prefix(err, prefix);

    expect_status(i, fc, "decode",
                  roundtrip_request(&in, &out, err, sizeof err), want, err);
    snprintf(prefix, sizeof prefix,
             "command 2 (%s): %s: ", codec_command_name(fc->kind), fc->field);
    if (fc->ok)
        assert_command_equal(&out.commands[1], &cmds[1]);
    else
        assert_prefix(err, prefix);
    codec_request_clear(&out);
}

static void test_field_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof FIELD_CASES / sizeof FIELD_CASES[0]; i++)
        check_field_case(i, &FIELD_CASES[i]);
}

static void test_validate_messages(void **state)
{
    jifen_command c = valid_command(JIFEN_CMD_AWARD);
    char err[256];

    (void)state;
    strcpy(c.household, "3/2");
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(
        err, "household: must be 1-32 characters of A-Z a-z 0-9 . _ -");

    /* Buffers the caller forgot to terminate are refused, not overrun. */
    c = valid_command(JIFEN_CMD_AWARD);
    memset(c.household, 'a', sizeof c.household);
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "household: ");
    c = valid_command(JIFEN_CMD_AWARD);
    memset(c.note, 'a', sizeof c.note);
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "note: longer than 200 bytes");

    memset(&c, 0, sizeof c);
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "unknown or empty command");
    c.kind = (jifen_command_kind)77;
    assert_int_equal(codec_command_validate(&c, NULL, 0),
                     JIFEN_STATUS_BAD_REQUEST);

    /* A tiny error buffer is truncated, never overrun. */
    c = valid_command(JIFEN_CMD_PAY);
    c.amount = 0;
    assert_int_equal(codec_command_validate(&c, err, 5),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "amou");
}

/* The error says which character, where, and what it is. */
static void test_invisible_text_message(void **state)
{
    jifen_command c = valid_command(JIFEN_CMD_AWARD);
    char err[256];

    (void)state;
    strcpy(c.note, "paid 12\xe2\x80\xae" "0");
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "note: holds U+202E at byte 8, a bidirectional "
                             "control, which can make the text read "
                             "differently from what it holds; remove it");
    c = valid_command(JIFEN_CMD_HOUSEHOLD_ADD);
    strcpy(c.name, "a\xe2\x80\x8b");
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "name: holds U+200B at byte 2, a zero-width character");
    strcpy(c.name, "tab\t");
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "name: must be text without control characters "
                             "(U+0009 at byte 4)");
}

/* --- request-level rules -------------------------------------------------*/

static void test_request_id_rules(void **state)
{
    jifen_command award = valid_command(JIFEN_CMD_AWARD);
    jifen_command balance = valid_command(JIFEN_CMD_BALANCE);
    jifen_request in, out;
    char err[256];
    char id64[JIFEN_REQUEST_ID_MAX + 1];

    (void)state;
    in = request_of(&award, 1, "");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "request_id: required for write requests");

    in = request_of(&award, 1, "has space");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "request_id: must be 1-64 printable ASCII");

    /* Optional for queries, but checked when given. */
    in = request_of(&balance, 1, "");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    codec_request_clear(&out);
    in = request_of(&balance, 1, "tab\tid");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "request_id: ");

    memset(id64, '~', JIFEN_REQUEST_ID_MAX);
    id64[JIFEN_REQUEST_ID_MAX] = '\0';
    in = request_of(&award, 1, id64);
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_string_equal(out.request_id, id64);
    codec_request_clear(&out);
}

static void test_mixed_batch_refused(void **state)
{
    jifen_command cmds[3] = {valid_command(JIFEN_CMD_BALANCE),
                             valid_command(JIFEN_CMD_AWARD),
                             valid_command(JIFEN_CMD_BALANCE)};
    jifen_request in = request_of(cmds, 3, "mix-1"), out;
    char err[256];

    (void)state;
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "a request is all writes or all queries");
    assert_contains(err, "command 2 (award)");
    assert_contains(err, "command 1 (balance)");
    assert_null(out.commands);
}

static void test_batch_size(void **state)
{
    jifen_command *cmds = calloc(JIFEN_BATCH_MAX + 1, sizeof *cmds);
    jifen_request in, out;
    char err[256];

    (void)state;
    assert_non_null(cmds);
    for (size_t i = 0; i <= JIFEN_BATCH_MAX; i++)
        cmds[i] = valid_command(JIFEN_CMD_PAY);

    in = request_of(cmds, JIFEN_BATCH_MAX, "batch-1");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_int_equal(out.n_commands, JIFEN_BATCH_MAX);
    codec_request_clear(&out);

    in = request_of(cmds, JIFEN_BATCH_MAX + 1, "batch-1");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "commands: 8193 in the batch, must be 1-8192");
    assert_null(out.commands);

    in = request_of(cmds, 0, "batch-1");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(err, "commands: 0 in the batch, must be 1-8192");
    assert_int_equal(codec_request_decode(NULL, 0, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    free(cmds);
}

static void test_digest(void **state)
{
    jifen_command cmds[2] = {valid_command(JIFEN_CMD_AWARD),
                             valid_command(JIFEN_CMD_BILL)};
    jifen_request a = request_of(cmds, 2, "id-a");
    jifen_request b = request_of(cmds, 2, "id-b");
    jifen_request anon = request_of(cmds, 2, "");
    uint8_t da[JIFEN_HASH_LEN], db[JIFEN_HASH_LEN], dc[JIFEN_HASH_LEN];
    uint8_t want[JIFEN_HASH_LEN];
    uint8_t *buf;
    size_t len;

    (void)state;
    hash_request_digest(&a, da);
    hash_request_digest(&b, db);
    assert_memory_equal(da, db, JIFEN_HASH_LEN);

    /* It is SHA-256 of the Request encoded with no request id. */
    assert_int_equal(codec_request_encode(&anon, &buf, &len), 0);
    assert_int_equal(sodium_init() >= 0, 1);
    crypto_hash_sha256(want, buf, len);
    free(buf);
    assert_memory_equal(da, want, JIFEN_HASH_LEN);

    cmds[0].points++;
    hash_request_digest(&a, dc);
    assert_memory_not_equal(da, dc, JIFEN_HASH_LEN);
    cmds[0].points--;
    b = request_of(cmds, 1, "id-a");
    hash_request_digest(&b, dc);
    assert_memory_not_equal(da, dc, JIFEN_HASH_LEN);
    /* Same commands in another order are other content. */
    jifen_command swapped[2] = {cmds[1], cmds[0]};
    b = request_of(swapped, 2, "id-a");
    hash_request_digest(&b, dc);
    assert_memory_not_equal(da, dc, JIFEN_HASH_LEN);
}

/* --- hostile request frames ----------------------------------------------*/

static void test_unknown_fields_refused(void **state)
{
    jifen_command award = valid_command(JIFEN_CMD_AWARD);
    jifen_request in = request_of(&award, 1, "u-1");
    uint8_t *buf;
    size_t len;
    pb frame = {.n = 0}, payload = {.n = 0}, cmd = {.n = 0};

    (void)state;
    /* A packed Request with field 99 (varint 1) appended. */
    assert_int_equal(codec_request_encode(&in, &buf, &len), 0);
    pb_raw(&frame, buf, len);
    free(buf);
    pb_uint(&frame, 99, 1);
    expect_request_error(&frame, "unknown field 99 in jifen.v1.Request");

    /* ... inside a Command, next to its payload ... */
    pb_str(&payload, 1, "A");
    pb_msg(&cmd, 8, &payload);
    pb_uint(&cmd, 15, 1);
    frame.n = 0;
    pb_msg(&frame, 2, &cmd);
    expect_request_error(&frame,
                         "command 1: unknown field 15 in jifen.v1.Command");

    /* ... and inside the payload. */
    payload.n = 0;
    pb_str(&payload, 1, "A");
    pb_str(&payload, 2, "meeting");
    pb_uint(&payload, 9, 4);
    frame = request_with("u-1", 2, &payload);
    expect_request_error(
        &frame, "command 1 (award): unknown field 9 in jifen.v1.Award");
}

static void test_hostile_commands(void **state)
{
    pb frame = {.n = 0}, payload = {.n = 0}, empty = {.n = 0};
    static const char nul[] = {'A', '\0', 'B'};

    (void)state;
    pb_msg(&frame, 2, &empty);
    expect_request_error(&frame, "command 1: unknown or empty command");

    pb_str(&payload, 1, LONG33);
    frame = request_with("", 8, &payload);
    expect_request_error(
        &frame, "command 1 (balance): household: longer than 32 bytes");

    payload.n = 0;
    pb_bytes(&payload, 1, nul, sizeof nul);
    frame = request_with("", 8, &payload);
    expect_request_error(&frame,
                         "command 1 (balance): household: contains a NUL byte");

    /* A field of the wrong wire type is not protobuf for this schema. */
    payload.n = 0;
    pb_uint(&payload, 1, 7);
    frame = request_with("", 8, &payload);
    expect_request_error(&frame, "not a valid jifen.v1.Request");

    payload.n = 0;
    pb_str(&payload, 1, "A");
    frame = request_with(
        "0123456789012345678901234567890123456789012345678901234567890123"
        "4",
        8, &payload);
    expect_request_error(&frame, "request_id: longer than 64 bytes");

    /* The oneof given twice: the last one counts, as in every runtime. */
    {
        pb cmd = {.n = 0}, p1 = {.n = 0}, p2 = {.n = 0};
        jifen_request req;
        char err[256];

        pb_str(&p1, 1, "A");
        pb_str(&p2, 1, "B");
        pb_uint(&p2, 2, 7);
        pb_msg(&cmd, 8, &p1);
        pb_msg(&cmd, 9, &p2);
        frame.n = 0;
        pb_msg(&frame, 2, &cmd);
        assert_int_equal(
            codec_request_decode(frame.b, frame.n, &req, err, sizeof err),
            JIFEN_STATUS_OK);
        assert_int_equal(req.commands[0].kind, JIFEN_CMD_HISTORY);
        assert_string_equal(req.commands[0].household, "B");
        assert_int_equal(req.commands[0].limit, 7);
        codec_request_clear(&req);
    }
}

/* Every prefix and every single-bit corruption of a valid frame decodes or
 * fails cleanly; run under ASan/valgrind this is the crash test. */
static void test_request_truncated_and_corrupt(void **state)
{
    jifen_command cmds[JIFEN_CMD_REVERSE];
    jifen_request in, out;
    uint8_t *buf;
    size_t len;
    char err[256];

    (void)state;
    for (int k = JIFEN_CMD_HOUSEHOLD_ADD; k <= JIFEN_CMD_REVERSE; k++)
        cmds[k - 1] = valid_command((jifen_command_kind)k);
    in = request_of(cmds, JIFEN_CMD_REVERSE, "trunc-1");
    assert_int_equal(codec_request_encode(&in, &buf, &len), 0);

    for (size_t n = 0; n < len; n++) {
        if (codec_request_decode(buf, n, &out, err, sizeof err) !=
            JIFEN_STATUS_OK) {
            assert_null(out.commands);
            assert_true(err[0] != '\0');
        }
        codec_request_clear(&out);
    }
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            codec_request_decode(buf, len, &out, err, sizeof err);
            codec_request_clear(&out);
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(buf);
}

static void test_garbage(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint8_t buf[512];
    char err[256];

    (void)state;
    for (int round = 0; round < 3000; round++) {
        size_t len = xorshift(&seed) % sizeof buf;
        jifen_request req;
        jifen_reply reply;
        jifen_entry entry;

        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)xorshift(&seed);
        /* Bias some frames towards plausible tags so decoding goes deep. */
        if (round % 2 == 0 && len > 0)
            buf[0] = 0x12;
        codec_request_decode(buf, len, &req, err, sizeof err);
        codec_request_clear(&req);
        codec_reply_decode(buf, len, &reply, err, sizeof err);
        codec_reply_clear(&reply);
        codec_entry_decode(buf, len, &entry, err, sizeof err);
    }
}

/* --- entries -------------------------------------------------------------*/

static jifen_entry sample_entry(jifen_command_kind kind, uint64_t seq)
{
    jifen_entry e;

    memset(&e, 0, sizeof e);
    e.seq = seq;
    for (size_t i = 0; i < JIFEN_HASH_LEN; i++)
        e.prev_hash[i] = (uint8_t)(seq * 31 + i);
    e.time_ms = 1711900800123;
    snprintf(e.request_id, sizeof e.request_id, "req-%llu",
             (unsigned long long)seq);
    strcpy(e.author, "committee-1");
    e.command = valid_command(kind);
    strcpy(e.policy, "2024.1");
    if (jifen_command_is_write(kind) && kind != JIFEN_CMD_HOUSEHOLD_ADD) {
        e.n_postings = 2;
        e.postings[0].asset = JIFEN_ASSET_POINTS;
        strcpy(e.postings[0].debit, "household/" HOUSEHOLD "/points");
        strcpy(e.postings[0].credit, "community/redeemed");
        e.postings[0].amount = 30;
        e.postings[1].asset = JIFEN_ASSET_FEE;
        strcpy(e.postings[1].debit, "community/points-offset");
        strcpy(e.postings[1].credit, "household/" HOUSEHOLD "/fee");
        e.postings[1].amount = 3000;
    }
    if (kind == JIFEN_CMD_REVERSE)
        e.reverses = 42;
    return e;
}

/* Decoding then encoding gives back the stored bytes exactly: the hash
 * chain is over those bytes. */
/* Entries already in a journal are decoded as they were written: the rule
 * is for new input, and an old note with such a character must not make
 * history, verify or an export fail. */
static void test_invisible_text_in_stored_entry(void **state)
{
    static uint8_t buf[40 * 1024];
    jifen_entry in = sample_entry(JIFEN_CMD_AWARD, 7), out;
    char err[256];

    (void)state;
    strcpy(in.command.note, "old \xe2\x80\xae note");
    size_t n = codec_entry_encode(&in, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(codec_entry_decode(buf, n, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_string_equal(out.command.note, in.command.note);
}

static void test_entry_roundtrip_byte_identical(void **state)
{
    static uint8_t a[40 * 1024], b[40 * 1024];
    char err[256];

    (void)state;
    assert_true(codec_entry_max_size() <= sizeof a);
    for (int k = JIFEN_CMD_HOUSEHOLD_ADD; k <= JIFEN_CMD_VERIFY; k++) {
        jifen_entry in = sample_entry((jifen_command_kind)k, (uint64_t)k);
        jifen_entry out;
        size_t na = codec_entry_encode(&in, a, sizeof a), nb;

        assert_true(na > 0);
        assert_int_equal(codec_entry_decode(a, na, &out, err, sizeof err),
                         JIFEN_STATUS_OK);
        assert_entry_equal(&in, &out);
        nb = codec_entry_encode(&out, b, sizeof b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
    }
}

static void fill(char *s, size_t cap, char c)
{
    memset(s, c, cap - 1);
    s[cap - 1] = '\0';
}

/* The largest entry the bounds allow fits codec_entry_max_size(). */
static void test_entry_max_size(void **state)
{
    jifen_entry e, out;
    uint8_t *buf = malloc(codec_entry_max_size());
    char err[256];
    size_t n;

    (void)state;
    assert_non_null(buf);
    memset(&e, 0xff, sizeof e);
    e.time_ms = INT64_MIN;
    fill(e.request_id, sizeof e.request_id, 'r');
    fill(e.author, sizeof e.author, 'a');
    fill(e.policy, sizeof e.policy, 'p');
    fill(e.author_key, sizeof e.author_key, 'k');
    e.needs_approval = true;
    e.notice_ends_ms = INT64_MIN;
    memset(&e.command, 0, sizeof e.command);
    e.command.kind = JIFEN_CMD_AWARD;
    fill(e.command.household, sizeof e.command.household, 'h');
    fill(e.command.code, sizeof e.command.code, 'c');
    fill(e.command.note, sizeof e.command.note, 'n');
    e.command.points = UINT32_MAX;
    e.command.hours = UINT32_MAX;
    e.n_postings = JIFEN_POSTINGS_MAX;
    for (size_t i = 0; i < JIFEN_POSTINGS_MAX; i++) {
        e.postings[i].asset = JIFEN_ASSET_FEE;
        fill(e.postings[i].debit, sizeof e.postings[i].debit, 'd');
        fill(e.postings[i].credit, sizeof e.postings[i].credit, 'c');
    }

    n = codec_entry_encode(&e, buf, codec_entry_max_size());
    assert_true(n > 0 && n <= codec_entry_max_size());
    assert_int_equal(codec_entry_decode(buf, n, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_entry_equal(&e, &out);

    /* Too small a buffer is refused, exactly big enough is fine. */
    assert_int_equal(codec_entry_encode(&e, buf, n - 1), 0);
    assert_int_equal(codec_entry_encode(&e, buf, n), n);
    e.n_postings = JIFEN_POSTINGS_MAX + 1;
    assert_int_equal(codec_entry_encode(&e, buf, codec_entry_max_size()), 0);
    free(buf);
}

/* A rule set travels as text: in a request as the admin sent it (owned by
 * the request), in the journal as its canonical form, which only
 * codec_entry_decode_text hands out. */
static void test_policy_load(void **state)
{
    jifen_command c;
    jifen_request out;
    char err[256];

    (void)state;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_POLICY_LOAD;
    c.text = "version = v2\neffective = 2027-01-01\n";
    jifen_request in = request_of(&c, 1, "load-1");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_int_equal(out.commands[0].kind, JIFEN_CMD_POLICY_LOAD);
    assert_string_equal(out.commands[0].text, c.text);
    assert_true(out.commands[0].text != c.text); /* its own copy */
    codec_request_clear(&out);

    c.text = NULL; /* nothing to adopt */
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_non_null(strstr(err, "text: the rule set's text"));
    c.text = "version = v2\n"; /* the daemon fills these in */
    snprintf(c.name, sizeof c.name, "v2");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_non_null(strstr(err, "leave them empty"));

    /* The longest canonical text, with every other field at its bound,
     * fits an entry. */
    static jifen_entry e, back;
    static char text[JIFEN_RULE_SET_LOAD_MAX + 1];
    uint8_t *buf = malloc(codec_entry_max_size());
    assert_non_null(buf);
    memset(&e, 0, sizeof e);
    e.seq = UINT64_MAX;
    e.time_ms = INT64_MIN;
    fill(e.request_id, sizeof e.request_id, 'r');
    fill(e.author, sizeof e.author, 'a');
    fill(e.policy, sizeof e.policy, 'p');
    e.command.kind = JIFEN_CMD_POLICY_LOAD;
    fill(text, sizeof text, 't');
    e.command.text = text;
    fill(e.command.name, sizeof e.command.name, 'v');
    fill(e.command.effective, sizeof e.command.effective, '2');
    fill(e.command.note, sizeof e.command.note, 'n');
    size_t n = codec_entry_encode(&e, buf, codec_entry_max_size());
    assert_true(n > JIFEN_RULE_SET_LOAD_MAX && n <= codec_entry_max_size());
    assert_int_equal(codec_entry_decode(buf, n, &back, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_null(back.command.text);
    assert_string_equal(back.command.name, e.command.name);
    assert_string_equal(back.command.effective, e.command.effective);
    assert_string_equal(back.command.note, e.command.note);
    assert_int_equal(codec_entry_decode_text(buf, n, &back, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_string_equal(back.command.text, text);
    free(back.command.text);
    free(buf);
}

static void expect_entry_error(const pb *frame, const char *prefix)
{
    jifen_entry e;
    char err[256];

    assert_int_equal(
        codec_entry_decode(frame->b, frame->n, &e, err, sizeof err),
        JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, prefix);
    assert_int_equal(e.seq, 0);
}

static void test_entry_refused(void **state)
{
    uint8_t hash[JIFEN_HASH_LEN + 1] = {0};
    pb frame = {.n = 0}, cmd = {.n = 0}, payload = {.n = 0}, post = {.n = 0};

    (void)state;
    pb_str(&payload, 1, "A");
    pb_msg(&cmd, 8, &payload);

    pb_uint(&frame, 1, 5);
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN - 1);
    pb_msg(&frame, 6, &cmd);
    expect_entry_error(&frame, "prev_hash: must be 32 bytes, not 31");

    frame.n = 0;
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN + 1);
    pb_msg(&frame, 6, &cmd);
    expect_entry_error(&frame, "prev_hash: must be 32 bytes, not 33");

    frame.n = 0;
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN);
    expect_entry_error(&frame, "command: missing");

    frame.n = 0;
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN);
    pb_msg(&frame, 6, &cmd);
    pb_uint(&frame, 50, 1);
    expect_entry_error(&frame, "unknown field 50 in jifen.v1.Entry");

    frame.n = 0;
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN);
    pb_msg(&frame, 6, &cmd);
    pb_uint(&post, 1, 1);
    for (int i = 0; i <= JIFEN_POSTINGS_MAX; i++)
        pb_msg(&frame, 7, &post);
    expect_entry_error(&frame, "postings: 5, at most 4");

    frame.n = 0;
    post.n = 0;
    pb_uint(&post, 1, 9);
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN);
    pb_msg(&frame, 6, &cmd);
    pb_msg(&frame, 7, &post);
    expect_entry_error(&frame, "postings[0]: asset: unknown value 9");

    frame.n = 0;
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN);
    pb_msg(&frame, 6, &cmd);
    pb_str(&frame, 9, LONG33 LONG33);
    expect_entry_error(&frame, "policy: longer than 64 bytes");

    frame.n = 0;
    payload.n = 0;
    pb_str(&payload, 1, LONG33);
    cmd.n = 0;
    pb_msg(&cmd, 8, &payload);
    pb_bytes(&frame, 2, hash, JIFEN_HASH_LEN);
    pb_msg(&frame, 6, &cmd);
    expect_entry_error(&frame, "command: household: longer than 32 bytes");
}

static void test_entry_truncated(void **state)
{
    jifen_entry in = sample_entry(JIFEN_CMD_REDEEM, 9), out;
    uint8_t buf[4096];
    char err[256];
    size_t n = codec_entry_encode(&in, buf, sizeof buf);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        if (codec_entry_decode(buf, i, &out, err, sizeof err) !=
            JIFEN_STATUS_OK)
            assert_true(err[0] != '\0');
    }
}

/* --- replies -------------------------------------------------------------*/

static void sample_reply(jifen_reply *r, jifen_entry *history, size_t n_hist)
{
    jifen_result *res = calloc(4, sizeof *res);

    assert_non_null(res);
    memset(r, 0, sizeof *r);
    strcpy(r->request_id, "reply-1");
    r->status = JIFEN_STATUS_OK;
    r->results = res;
    r->n_results = 4;

    res[0].status = JIFEN_STATUS_OK;
    res[0].entry = 7;
    res[0].points = 30;
    res[0].offset_fen = 3000;
    res[0].n_postings = 2;
    res[0].postings[0] = sample_entry(JIFEN_CMD_REDEEM, 1).postings[0];
    res[0].postings[1] = sample_entry(JIFEN_CMD_REDEEM, 1).postings[1];
    res[0].has_balance = true;
    strcpy(res[0].balance.household, HOUSEHOLD);
    strcpy(res[0].balance.name, "张三");
    res[0].balance.area_centi_m2 = 8950;
    res[0].balance.points = 12;
    res[0].balance.fee_due_fen = -500;

    res[1].status = JIFEN_STATUS_INSUFFICIENT_POINTS;
    strcpy(res[1].error, "needs 30 points, has 12");

    res[2].status = JIFEN_STATUS_OK;
    res[2].has_balance = true;
    strcpy(res[2].balance.household, HOUSEHOLD);
    res[2].history = history;
    res[2].n_history = n_hist;

    res[3].status = JIFEN_STATUS_OK;
    res[3].has_verify = true;
    res[3].verify.ok = false;
    res[3].verify.entries = 99;
    memset(res[3].verify.head, 0xab, JIFEN_HASH_LEN);
    strcpy(res[3].verify.problem, "entry 12: prev_hash does not match");
    res[3].verify.bad_entry = 12;
}

static void assert_result_equal(const jifen_result *a, const jifen_result *b)
{
    assert_int_equal(a->status, b->status);
    assert_string_equal(a->error, b->error);
    assert_int_equal(a->entry, b->entry);
    assert_int_equal(a->n_postings, b->n_postings);
    for (size_t i = 0; i < a->n_postings; i++) {
        assert_int_equal(a->postings[i].asset, b->postings[i].asset);
        assert_string_equal(a->postings[i].debit, b->postings[i].debit);
        assert_string_equal(a->postings[i].credit, b->postings[i].credit);
        assert_int_equal(a->postings[i].amount, b->postings[i].amount);
    }
    assert_int_equal(a->points, b->points);
    assert_int_equal(a->offset_fen, b->offset_fen);
    assert_int_equal(a->has_balance, b->has_balance);
    assert_string_equal(a->balance.household, b->balance.household);
    assert_string_equal(a->balance.name, b->balance.name);
    assert_int_equal(a->balance.area_centi_m2, b->balance.area_centi_m2);
    assert_int_equal(a->balance.points, b->balance.points);
    assert_int_equal(a->balance.fee_due_fen, b->balance.fee_due_fen);
    assert_int_equal(a->n_history, b->n_history);
    for (size_t i = 0; i < a->n_history; i++)
        assert_entry_equal(&a->history[i], &b->history[i]);
    assert_int_equal(a->has_verify, b->has_verify);
    assert_int_equal(a->verify.ok, b->verify.ok);
    assert_int_equal(a->verify.entries, b->verify.entries);
    assert_memory_equal(a->verify.head, b->verify.head, JIFEN_HASH_LEN);
    assert_string_equal(a->verify.problem, b->verify.problem);
    assert_int_equal(a->verify.bad_entry, b->verify.bad_entry);
}

static void test_reply_roundtrip(void **state)
{
    jifen_entry *history = calloc(3, sizeof *history);
    jifen_reply in, out;
    uint8_t *buf;
    size_t len;
    char err[256];

    (void)state;
    assert_non_null(history);
    history[0] = sample_entry(JIFEN_CMD_AWARD, 3);
    history[1] = sample_entry(JIFEN_CMD_HOUSEHOLD_ADD, 2);
    history[2] = sample_entry(JIFEN_CMD_REVERSE, 1);
    history[2].time_ms = -1; /* negative int64 takes the long varint */
    sample_reply(&in, history, 3);

    assert_int_equal(codec_reply_encode(&in, &buf, &len), 0);
    assert_int_equal(codec_reply_decode(buf, len, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    assert_string_equal(out.request_id, in.request_id);
    assert_int_equal(out.status, in.status);
    assert_string_equal(out.error, in.error);
    assert_int_equal(out.n_results, in.n_results);
    for (size_t i = 0; i < in.n_results; i++)
        assert_result_equal(&in.results[i], &out.results[i]);
    assert_false(out.results[1].has_balance);
    assert_false(out.results[0].has_verify);

    codec_reply_clear(&out);
    assert_null(out.results);
    assert_int_equal(out.n_results, 0);
    codec_reply_clear(&in); /* frees the history array too */
}

/* The policy query and its rule sets (new in the policy branch): version
 * rules, the owned texts, and the names of the new statuses. */
static void test_rule_sets_roundtrip(void **state)
{
    (void)state;
    assert_string_equal(jifen_status_name(JIFEN_STATUS_NO_RULE_SET),
                        "no_rule_set");
    assert_string_equal(jifen_status_name(JIFEN_STATUS_UNKNOWN_RULE_SET),
                        "unknown_rule_set");
    assert_string_equal(codec_command_name(JIFEN_CMD_POLICY), "policy");
    assert_false(jifen_command_is_write(JIFEN_CMD_POLICY));

    jifen_command q;
    memset(&q, 0, sizeof q);
    q.kind = JIFEN_CMD_POLICY;
    jifen_request in = request_of(&q, 1, ""), out;
    char err[256];
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_string_equal(out.commands[0].name, "");
    codec_request_clear(&out);
    snprintf(q.name, sizeof q.name, "2026-07-revised");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_string_equal(out.commands[0].name, "2026-07-revised");
    codec_request_clear(&out);
    snprintf(q.name, sizeof q.name, "no spaces");
    assert_int_equal(codec_command_validate(&q, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);

    jifen_reply rin, rout;
    memset(&rin, 0, sizeof rin);
    rin.status = JIFEN_STATUS_OK;
    rin.n_results = 1;
    rin.results = calloc(1, sizeof *rin.results);
    assert_non_null(rin.results);
    jifen_result *r = &rin.results[0];
    r->status = JIFEN_STATUS_OK;
    r->n_rule_sets = 2;
    r->rule_sets = calloc(2, sizeof *r->rule_sets);
    assert_non_null(r->rule_sets);
    snprintf(r->rule_sets[0].version, sizeof r->rule_sets[0].version, "a");
    snprintf(r->rule_sets[1].version, sizeof r->rule_sets[1].version, "b");
    snprintf(r->rule_sets[1].effective, 11, "2026-07-01");
    snprintf(r->rule_sets[1].resolution, 64, "议事会 No.3");
    r->rule_sets[1].in_force = true;
    r->rule_sets[1].text = strdup("version = b\n");
    uint8_t *buf;
    size_t len;
    assert_int_equal(codec_reply_encode(&rin, &buf, &len), 0);
    assert_int_equal(codec_reply_decode(buf, len, &rout, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    const jifen_result *o = &rout.results[0];
    assert_int_equal(o->n_rule_sets, 2);
    assert_string_equal(o->rule_sets[0].version, "a");
    assert_null(o->rule_sets[0].text);
    assert_false(o->rule_sets[0].in_force);
    assert_string_equal(o->rule_sets[1].effective, "2026-07-01");
    assert_string_equal(o->rule_sets[1].resolution, "议事会 No.3");
    assert_true(o->rule_sets[1].in_force);
    assert_string_equal(o->rule_sets[1].text, "version = b\n");
    codec_reply_clear(&rout);
    codec_reply_clear(&rin); /* frees the texts and the array */
}

/* The commands of the policy work round-trip field for field, and their
 * checks refuse what the daemon must never see. */
static jifen_command policy_command(jifen_command_kind kind)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    switch (kind) {
    case JIFEN_CMD_OBJECT:
        c.entry = 7;
        strcpy(c.note, "不在场 not there");
        break;
    case JIFEN_CMD_APPROVE:
    case JIFEN_CMD_RELEASE:
        c.entry = 7;
        break;
    case JIFEN_CMD_NOTICES:
        strcpy(c.period, "2026-07");
        break;
    case JIFEN_CMD_EXPIRE:
        strcpy(c.household, HOUSEHOLD);
        strcpy(c.period, "2028-01");
        break;
    case JIFEN_CMD_REPORT:
        strcpy(c.code, "statement");
        strcpy(c.household, HOUSEHOLD);
        strcpy(c.period, "2026-03");
        break;
    case JIFEN_CMD_SETTLE:
        c.amount = 1000;
        strcpy(c.note, "transfer 2026-03");
        break;
    default:
        break;
    }
    return c;
}

static void test_policy_commands(void **state)
{
    (void)state;
    static const jifen_command_kind kinds[] = {
        JIFEN_CMD_OBJECT, JIFEN_CMD_APPROVE, JIFEN_CMD_RELEASE,
        JIFEN_CMD_NOTICES, JIFEN_CMD_EXPIRE, JIFEN_CMD_REPORT,
        JIFEN_CMD_SETTLE,
    };
    char err[256];
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        jifen_command c = policy_command(kinds[i]);
        jifen_request in = request_of(&c, 1,
                                      jifen_command_is_write(kinds[i]) ? "w-1"
                                                                       : ""),
                      out;
        assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                         JIFEN_STATUS_OK);
        assert_command_equal(&out.commands[0], &c);
        codec_request_clear(&out);
    }
    jifen_command c = policy_command(JIFEN_CMD_OBJECT);
    c.note[0] = '\0';
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST); /* an objection says why */
    c = policy_command(JIFEN_CMD_APPROVE);
    c.entry = 0;
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    c = policy_command(JIFEN_CMD_NOTICES);
    strcpy(c.period, "2026-13");
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    c = policy_command(JIFEN_CMD_REPORT);
    strcpy(c.code, "Bad Kind");
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    c = policy_command(JIFEN_CMD_SETTLE);
    c.amount = 0;
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_true(jifen_command_is_write(JIFEN_CMD_SETTLE));
    assert_false(jifen_command_is_write(JIFEN_CMD_REPORT));
    assert_false(jifen_command_is_write(JIFEN_CMD_NOTICES));
}

/* The Merkle queries: their fields, their checks, the bound per request,
 * and a TreeProof through the reply codec (a hash of another length, or a
 * path longer than any tree has, is refused). */
static void test_merkle_commands(void **state)
{
    (void)state;
    char err[256];
    jifen_command c[3] = {
        {.kind = JIFEN_CMD_INCLUSION, .entry = 7, .tree_size = 1000},
        {.kind = JIFEN_CMD_CONSISTENCY, .old_size = 5, .tree_size = 0},
        {.kind = JIFEN_CMD_TREE_HEAD, .entry = 12},
    };
    jifen_request in = request_of(c, 3, ""), out;
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    for (int i = 0; i < 3; i++) {
        assert_command_equal(&out.commands[i], &c[i]);
        assert_int_equal(out.commands[i].tree_size, c[i].tree_size);
        assert_int_equal(out.commands[i].old_size, c[i].old_size);
        assert_false(jifen_command_is_write(c[i].kind));
    }
    codec_request_clear(&out);
    jifen_command bad[] = {
        {.kind = JIFEN_CMD_INCLUSION, .entry = 0},
        {.kind = JIFEN_CMD_INCLUSION, .entry = 9, .tree_size = 8},
        {.kind = JIFEN_CMD_CONSISTENCY, .old_size = 0, .tree_size = 8},
        {.kind = JIFEN_CMD_CONSISTENCY, .old_size = 9, .tree_size = 8},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        jifen_request one = request_of(&bad[i], 1, "");
        assert_int_equal(roundtrip_request(&one, &out, err, sizeof err),
                         JIFEN_STATUS_BAD_REQUEST);
        assert_null(out.commands);
    }
    /* A statement's worth of proofs in one request, and not one more. */
    jifen_command *many = calloc(JIFEN_PROOFS_MAX + 1, sizeof *many);
    for (size_t i = 0; i <= JIFEN_PROOFS_MAX; i++)
        many[i] = (jifen_command){.kind = JIFEN_CMD_INCLUSION,
                                  .entry = i + 1};
    in = request_of(many, JIFEN_PROOFS_MAX, "");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    codec_request_clear(&out);
    in = request_of(many, JIFEN_PROOFS_MAX + 1, "");
    assert_int_equal(roundtrip_request(&in, &out, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_non_null(strstr(err, "at most 1000"));
    free(many);

    /* The reply. */
    jifen_tree_proof p = {.tree_size = 1000, .entry = 7, .n_path = 10,
                          .has_root = true};
    uint8_t stored[] = {8, 7, 18, 32};
    p.stored = stored;
    p.stored_len = sizeof stored;
    for (size_t i = 0; i < p.n_path; i++)
        memset(p.path[i], (int)i + 1, JIFEN_HASH_LEN);
    memset(p.root, 0xee, JIFEN_HASH_LEN);
    strcpy(p.tree_head, "jifen-sth1 1000 2026-11-26T09:40:00Z r h s");
    jifen_result r = {.status = JIFEN_STATUS_OK, .proof = &p};
    jifen_reply rin = {.status = JIFEN_STATUS_OK, .n_results = 1,
                       .results = &r},
                rout;
    uint8_t *buf;
    size_t len;
    assert_int_equal(codec_reply_encode(&rin, &buf, &len), 0);
    assert_int_equal(codec_reply_decode(buf, len, &rout, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    const jifen_tree_proof *q = rout.results[0].proof;
    assert_non_null(q);
    assert_int_equal(q->tree_size, 1000);
    assert_int_equal(q->entry, 7);
    assert_int_equal(q->stored_len, sizeof stored);
    assert_memory_equal(q->stored, stored, sizeof stored);
    assert_int_equal(q->n_path, 10);
    assert_memory_equal(q->path, p.path, 10 * JIFEN_HASH_LEN);
    assert_true(q->has_root);
    assert_memory_equal(q->root, p.root, JIFEN_HASH_LEN);
    assert_string_equal(q->tree_head, p.tree_head);
    codec_reply_clear(&rout);
    /* A result without a proof decodes without one. */
    r.proof = NULL;
    assert_int_equal(codec_reply_encode(&rin, &buf, &len), 0);
    assert_int_equal(codec_reply_decode(buf, len, &rout, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    assert_null(rout.results[0].proof);
    codec_reply_clear(&rout);
}

/* Notices, a sanction's date and a report table survive the reply codec
 * (negative numbers too: report cells are text, times are int64). */
static void test_notices_and_report_roundtrip(void **state)
{
    (void)state;
    jifen_reply in, out;
    memset(&in, 0, sizeof in);
    in.status = JIFEN_STATUS_OK;
    in.n_results = 1;
    in.results = calloc(1, sizeof *in.results);
    assert_non_null(in.results);
    jifen_result *r = &in.results[0];
    r->status = JIFEN_STATUS_OK;
    r->notice_ends_ms = 1783699200000;
    r->needs_approval = true;
    r->suspended_until_ms = 1790784000000;
    r->n_notices = 1;
    r->notices = calloc(1, sizeof *r->notices);
    r->report = calloc(1, sizeof *r->report);
    assert_non_null(r->notices);
    assert_non_null(r->report);
    r->notices[0] = (jifen_notice){.entry = 3, .time_ms = -5, .points = 2,
                                   .ends_ms = 9, .needs_approval = true,
                                   .decided_by = 4};
    strcpy(r->notices[0].household, "3-2-5**");
    strcpy(r->notices[0].name, "张*");
    strcpy(r->notices[0].activity, "meeting");
    strcpy(r->notices[0].state, "voided");
    strcpy(r->report->title, "statement");
    r->report->n_columns = 2;
    strcpy(r->report->columns[0], "item");
    strcpy(r->report->columns[1], "value");
    r->report->n_rows = 1;
    r->report->rows = calloc(1, sizeof *r->report->rows);
    assert_non_null(r->report->rows);
    strcpy(r->report->rows[0].cells[0], "points_opening");
    strcpy(r->report->rows[0].cells[1], "-3");
    uint8_t *buf;
    size_t len;
    char err[256];
    assert_int_equal(codec_reply_encode(&in, &buf, &len), 0);
    assert_int_equal(codec_reply_decode(buf, len, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    const jifen_result *o = &out.results[0];
    assert_int_equal(o->notice_ends_ms, 1783699200000);
    assert_true(o->needs_approval);
    assert_int_equal(o->suspended_until_ms, 1790784000000);
    assert_int_equal(o->n_notices, 1);
    assert_int_equal(o->notices[0].time_ms, -5);
    assert_string_equal(o->notices[0].name, "张*");
    assert_string_equal(o->notices[0].state, "voided");
    assert_int_equal(o->notices[0].decided_by, 4);
    assert_string_equal(o->report->title, "statement");
    assert_int_equal(o->report->n_rows, 1);
    assert_string_equal(o->report->columns[1], "value");
    assert_string_equal(o->report->rows[0].cells[1], "-3");
    codec_reply_clear(&out);
    codec_reply_clear(&in);
}

/* A refused request: no results, just the status and why. */
static void test_reply_refused_roundtrip(void **state)
{
    jifen_reply in, out;
    uint8_t *buf;
    size_t len;
    char err[256];

    (void)state;
    memset(&in, 0, sizeof in);
    in.status = JIFEN_STATUS_TOO_LARGE;
    strcpy(in.error, "request larger than 16 MiB");
    assert_int_equal(codec_reply_encode(&in, &buf, &len), 0);
    assert_int_equal(codec_reply_decode(buf, len, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(buf);
    assert_int_equal(out.status, JIFEN_STATUS_TOO_LARGE);
    assert_string_equal(out.error, in.error);
    assert_int_equal(out.n_results, 0);
    assert_null(out.results);

    /* A zeroed reply encodes to nothing at all, and still decodes. */
    memset(&in, 0, sizeof in);
    assert_int_equal(codec_reply_encode(&in, &buf, &len), 0);
    assert_non_null(buf);
    assert_int_equal(len, 0);
    assert_int_equal(codec_reply_decode(buf, len, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_int_equal(out.status, JIFEN_STATUS_UNSPECIFIED);
    free(buf);
}

static void test_reply_mark_replayed(void **state)
{
    jifen_reply r;

    (void)state;
    sample_reply(&r, NULL, 0);
    codec_reply_mark_replayed(&r);
    assert_int_equal(r.results[0].status, JIFEN_STATUS_EXISTS);
    assert_int_equal(r.results[1].status, JIFEN_STATUS_INSUFFICIENT_POINTS);
    assert_int_equal(r.results[2].status, JIFEN_STATUS_EXISTS);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    codec_reply_clear(&r);
}

static void expect_reply_error(const pb *frame, const char *prefix)
{
    jifen_reply r;
    char err[256];

    assert_int_equal(
        codec_reply_decode(frame->b, frame->n, &r, err, sizeof err),
        JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, prefix);
    assert_null(r.results);
}

static void test_reply_refused(void **state)
{
    uint8_t hash[JIFEN_HASH_LEN] = {0};
    pb frame = {.n = 0}, res = {.n = 0}, sub = {.n = 0};

    (void)state;
    pb_uint(&frame, 2, 99);
    expect_reply_error(&frame, "status: unknown value 99");

    frame.n = 0;
    pb_uint(&frame, 2, 1);
    pb_uint(&frame, 77, 1);
    expect_reply_error(&frame, "unknown field 77 in jifen.v1.Reply");

    pb_uint(&res, 1, 1);
    pb_uint(&res, 199, 1);
    frame.n = 0;
    pb_uint(&frame, 2, 1);
    pb_msg(&frame, 4, &res);
    expect_reply_error(&frame,
                       "results[0]: unknown field 199 in jifen.v1.Result");

    res.n = 0;
    pb_uint(&sub, 1, 7);
    pb_msg(&res, 4, &sub);
    frame.n = 0;
    pb_msg(&frame, 4, &res);
    expect_reply_error(&frame,
                       "results[0]: postings[0]: asset: unknown value 7");

    /* An entry of a history with a short prev_hash. */
    res.n = 0;
    sub.n = 0;
    pb_bytes(&sub, 2, hash, 16);
    pb_msg(&res, 8, &sub);
    frame.n = 0;
    pb_msg(&frame, 4, &res);
    expect_reply_error(&frame, "results[0]: history[0]: prev_hash");

    /* A verify head is 32 bytes or absent. */
    res.n = 0;
    sub.n = 0;
    pb_bytes(&sub, 3, hash, 8);
    pb_msg(&res, 9, &sub);
    frame.n = 0;
    pb_msg(&frame, 4, &res);
    expect_reply_error(&frame, "results[0]: verify: head: must be 32 bytes");
}

static void test_reply_truncated(void **state)
{
    jifen_entry *history = calloc(2, sizeof *history);
    jifen_reply in, out;
    uint8_t *buf;
    size_t len;
    char err[256];

    (void)state;
    assert_non_null(history);
    history[0] = sample_entry(JIFEN_CMD_BILL, 5);
    history[1] = sample_entry(JIFEN_CMD_PAY, 6);
    sample_reply(&in, history, 2);
    assert_int_equal(codec_reply_encode(&in, &buf, &len), 0);
    codec_reply_clear(&in);
    for (size_t n = 0; n < len; n++) {
        if (codec_reply_decode(buf, n, &out, err, sizeof err) !=
            JIFEN_STATUS_OK)
            assert_null(out.results);
        codec_reply_clear(&out);
    }
    free(buf);
}

/* --- key commands ---------------------------------------------------------*/

#define KEY_A "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"

static jifen_command key_command(jifen_command_kind kind)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (kind != JIFEN_CMD_KEY_LIST)
        strcpy(c.key, KEY_A);
    if (kind == JIFEN_CMD_KEY_ENROL) {
        c.role = JIFEN_ROLE_TERMINAL;
        strcpy(c.name, "前台 2");
    }
    return c;
}

static jifen_status roundtrip_one(jifen_command c, const char *id,
                                  char *err, size_t errlen)
{
    jifen_request in = request_of(&c, 1, id), out;
    jifen_status st = roundtrip_request(&in, &out, err, errlen);
    if (st == JIFEN_STATUS_OK)
        assert_command_equal(&out.commands[0], &c);
    codec_request_clear(&out);
    return st;
}

static void test_key_commands(void **state)
{
    char err[256];
    (void)state;
    assert_int_equal(roundtrip_one(key_command(JIFEN_CMD_KEY_ENROL), "k-1",
                                   err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_int_equal(roundtrip_one(key_command(JIFEN_CMD_KEY_REVOKE), "k-2",
                                   err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_int_equal(roundtrip_one(key_command(JIFEN_CMD_KEY_LIST), "", err,
                                   sizeof err),
                     JIFEN_STATUS_OK);
    assert_true(jifen_command_is_write(JIFEN_CMD_KEY_ENROL));
    assert_true(jifen_command_is_write(JIFEN_CMD_KEY_REVOKE));
    assert_false(jifen_command_is_write(JIFEN_CMD_KEY_LIST));

    jifen_command c = key_command(JIFEN_CMD_KEY_ENROL);
    c.role = JIFEN_ROLE_NONE;
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "role");
    c = key_command(JIFEN_CMD_KEY_ENROL);
    c.name[0] = '\0';
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "label");
    c = key_command(JIFEN_CMD_KEY_REVOKE);
    c.key[39] = ' '; /* not Z85 */
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_prefix(err, "public_key");
    c.key[39] = '\0'; /* 39 characters */
    assert_int_equal(codec_command_validate(&c, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_string_equal(jifen_role_name(JIFEN_ROLE_AUDITOR), "auditor");
    assert_int_equal(jifen_role_from_name("admin"), JIFEN_ROLE_ADMIN);
    assert_int_equal(jifen_role_from_name("root"), JIFEN_ROLE_NONE);
    assert_string_equal(jifen_status_name(JIFEN_STATUS_UNKNOWN_KEY),
                        "unknown_key");
    assert_string_equal(jifen_status_name(JIFEN_STATUS_KEY_EXISTS),
                        "key_exists");
}

/* A key enrolment as a journal entry, and the widest one fits the bound. */
static void test_key_entry_and_list_reply(void **state)
{
    jifen_entry e, out;
    uint8_t buf[4096];
    char err[256];
    (void)state;
    memset(&e, 0, sizeof e);
    e.seq = 1;
    strcpy(e.author, "local-operator");
    e.command = key_command(JIFEN_CMD_KEY_ENROL);
    fill(e.command.name, sizeof e.command.name, 'l');
    size_t n = codec_entry_encode(&e, buf, sizeof buf);
    assert_true(n > 0 && n <= codec_entry_max_size());
    assert_int_equal(codec_entry_decode(buf, n, &out, err, sizeof err),
                     JIFEN_STATUS_OK);
    assert_entry_equal(&e, &out);

    jifen_key_info keys[2] = {
        {.key = KEY_A, .role = JIFEN_ROLE_ADMIN, .label = "Li",
         .enrolled_entry = 1},
        {.key = KEY_A, .role = JIFEN_ROLE_COMMITTEE, .label = "Wang",
         .revoked = true, .enrolled_entry = 2, .revoked_entry = 5,
         .all_communities = true}};
    jifen_result r = {.status = JIFEN_STATUS_OK, .n_keys = 2, .keys = keys};
    jifen_reply reply = {.status = JIFEN_STATUS_OK, .n_results = 1,
                         .results = &r}, back;
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(codec_reply_encode(&reply, &bytes, &len), 0);
    assert_int_equal(codec_reply_decode(bytes, len, &back, err, sizeof err),
                     JIFEN_STATUS_OK);
    free(bytes);
    assert_int_equal(back.results[0].n_keys, 2);
    assert_string_equal(back.results[0].keys[1].label, "Wang");
    assert_int_equal(back.results[0].keys[1].role, JIFEN_ROLE_COMMITTEE);
    assert_true(back.results[0].keys[1].revoked);
    assert_int_equal(back.results[0].keys[1].revoked_entry, 5);
    codec_reply_clear(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_request_roundtrip_writes),
        cmocka_unit_test(test_request_roundtrip_queries),
        cmocka_unit_test(test_request_golden_bytes),
        cmocka_unit_test(test_field_rules),
        cmocka_unit_test(test_validate_messages),
        cmocka_unit_test(test_invisible_text_message),
        cmocka_unit_test(test_invisible_text_in_stored_entry),
        cmocka_unit_test(test_request_id_rules),
        cmocka_unit_test(test_mixed_batch_refused),
        cmocka_unit_test(test_batch_size),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_unknown_fields_refused),
        cmocka_unit_test(test_hostile_commands),
        cmocka_unit_test(test_request_truncated_and_corrupt),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_entry_roundtrip_byte_identical),
        cmocka_unit_test(test_entry_max_size),
        cmocka_unit_test(test_policy_load),
        cmocka_unit_test(test_entry_refused),
        cmocka_unit_test(test_entry_truncated),
        cmocka_unit_test(test_reply_roundtrip),
        cmocka_unit_test(test_rule_sets_roundtrip),
        cmocka_unit_test(test_policy_commands),
        cmocka_unit_test(test_notices_and_report_roundtrip),
        cmocka_unit_test(test_reply_refused_roundtrip),
        cmocka_unit_test(test_reply_mark_replayed),
        cmocka_unit_test(test_reply_refused),
        cmocka_unit_test(test_reply_truncated),
        cmocka_unit_test(test_key_commands),
        cmocka_unit_test(test_key_entry_and_list_reply),
        cmocka_unit_test(test_merkle_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
