/*
 * spec - request input parsed into typed values by a declarative table, in
 * the manner of GNU Taler's GNUNET_JSON_spec: a handler lists its fields
 * (name, kind, required, where the value goes) and calls spec_parse once;
 * the first bad field comes back with its name and the catalogue's hint.
 * The same table reads a JSON object (a POST body) or a query string
 * (GET), so a field is checked one way whichever way it came.
 *
 * Values arrive as JSON strings (what a form holds) or, for numbers, JSON
 * integers; any other JSON type, an unknown field, a duplicate or a value
 * out of range is refused. Money is text in yuan, parsed exactly into fen
 * (jifen_parse_yuan), never through a float.
 */
#ifndef JIFEN_WEB_SPEC_H
#define JIFEN_WEB_SPEC_H

#include "http.h"
#include "i18n.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SPEC_HOUSEHOLD,  /* char[JIFEN_HOUSEHOLD_MAX + 1], codec rules */
    SPEC_CODE,       /* char[JIFEN_CODE_MAX + 1], a-z 0-9 _ - */
    SPEC_TEXT,       /* char[cap]: UTF-8 without control characters */
    SPEC_YUAN,       /* uint64_t fen, 0.01 .. JIFEN_FEN_MAX yuan */
    SPEC_AREA,       /* uint32_t centi-m2, two decimals */
    SPEC_UINT,       /* uint64_t, 0 .. max (digits only) */
    SPEC_PERIOD,     /* char[8], YYYY-MM of a real month */
    SPEC_REQUEST_ID, /* char[JIFEN_REQUEST_ID_MAX + 1] */
    SPEC_USER,       /* char[33]: a jifen-web user name */
    SPEC_PASSWORD,   /* char[129]: 8-128 bytes of text */
    SPEC_COMMUNITY,  /* char[JIFEN_COMMUNITY_MAX + 1], spec_community_ok */
} spec_kind;

typedef struct {
    const char *name;
    spec_kind kind;
    bool required;
    void *out;
    size_t cap;    /* SPEC_TEXT: the buffer's size */
    uint64_t max;  /* SPEC_UINT: the largest value */
    bool *present; /* optional: set when the field was given */
} spec_field;

#define SPEC_FIELD(n, k, req, dst) {n, k, req, dst, sizeof *(dst), 0, NULL}
#define SPEC_TEXT_FIELD(n, req, dst) {n, SPEC_TEXT, req, dst, sizeof(dst), 0, NULL}
#define SPEC_UINT_FIELD(n, req, dst, mx) {n, SPEC_UINT, req, dst, sizeof *(dst), mx, NULL}
#define SPEC_END {NULL, 0, false, NULL, 0, 0, NULL}

typedef struct {
    char field[33];  /* "" for the body as a whole */
    i18n_id hint;
} spec_error;

/* A JSON object body. 0, or -1 with *err filled. */
int spec_parse_json(const char *body, size_t len, const spec_field *fields,
                    spec_error *err);
/* The request's query-string arguments (unknown ones are ignored: caches
 * and browsers add their own). 0, or -1. */
int spec_parse_args(const web_request *req, const spec_field *fields,
                    spec_error *err);

/* One value against its field's rules (exposed for the unit tests). */
int spec_parse_value(const spec_field *f, const char *text, spec_error *err);

/* A web user's name: 1-32 of a-z 0-9 . _ - , starting with a letter or a
 * digit (it names files and the key's label). */
bool spec_user_ok(const char *s);

/* A community or street code, by the codec's rules: 1-32 of A-Z a-z 0-9
 * . _ -, not starting with a dot (it names a directory). */
bool spec_community_ok(const char *s);

#endif
