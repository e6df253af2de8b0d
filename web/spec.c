/*
 * spec - see spec.h.
 */
#include "spec.h"

#include "codec.h"
#include "clock.h"
#include "jifen.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static int refuse(spec_error *err, const char *field, i18n_id hint)
{
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    err->hint = hint;
    return -1;
}

bool spec_user_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32 || s[0] == '.' || s[0] == '-' || s[0] == '_')
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

bool spec_community_ok(const char *s)
{
    return codec_household_ok(s) && s[0] != '.';
}

static int copy_text(const spec_field *f, const char *text, size_t n,
                     spec_error *err, i18n_id hint)
{
    if (n + 1 > f->cap)
        return refuse(err, f->name, hint);
    memcpy(f->out, text, n + 1);
    return 0;
}

static int digits(const char *text, uint64_t max, uint64_t *out)
{
    size_t n = strlen(text);
    uint64_t v = 0;
    if (n == 0 || n > 20 || strspn(text, "0123456789") != n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int spec_parse_value(const spec_field *f, const char *text, spec_error *err)
{
    size_t n = strlen(text);
    uint64_t v;
    int64_t ms;
    switch (f->kind) {
    case SPEC_HOUSEHOLD:
        if (!codec_household_ok(text))
            return refuse(err, f->name, I18N_ERR_FIELD_HOUSEHOLD);
        return copy_text(f, text, n, err, I18N_ERR_FIELD_HOUSEHOLD);
    case SPEC_CODE:
        if (!codec_code_ok(text))
            return refuse(err, f->name, I18N_ERR_FIELD_CODE);
        return copy_text(f, text, n, err, I18N_ERR_FIELD_CODE);
    case SPEC_TEXT:
        if (!codec_text_ok(text, n))
            return refuse(err, f->name, I18N_ERR_FIELD_TEXT);
        return copy_text(f, text, n, err, I18N_ERR_FIELD_TEXT);
    case SPEC_YUAN:
        if (jifen_parse_yuan(text, &v) != 0 || v == 0)
            return refuse(err, f->name, I18N_ERR_FIELD_YUAN);
        *(uint64_t *)f->out = v;
        return 0;
    case SPEC_AREA:
        if (jifen_parse_yuan(text, &v) != 0 || v > UINT32_MAX)
            return refuse(err, f->name, I18N_ERR_FIELD_AREA);
        *(uint32_t *)f->out = (uint32_t)v;
        return 0;
    case SPEC_UINT:
        if (digits(text, f->max, &v) != 0)
            return refuse(err, f->name, I18N_ERR_FIELD_NUMBER);
        *(uint64_t *)f->out = v;
        return 0;
    case SPEC_PERIOD:
        if (n != 7 || clock_parse_period(text, &ms) != 0)
            return refuse(err, f->name, I18N_ERR_FIELD_PERIOD);
        memcpy(f->out, text, 8);
        return 0;
    case SPEC_REQUEST_ID:
        if (!codec_request_id_ok(text))
            return refuse(err, f->name, I18N_ERR_FIELD_REQUEST_ID);
        return copy_text(f, text, n, err, I18N_ERR_FIELD_REQUEST_ID);
    case SPEC_USER:
        if (!spec_user_ok(text))
            return refuse(err, f->name, I18N_ERR_SIGNIN_FAILED);
        memcpy(f->out, text, n + 1);
        return 0;
    case SPEC_COMMUNITY:
        if (!spec_community_ok(text))
            return refuse(err, f->name, I18N_ERR_FIELD_COMMUNITY);
        memcpy(f->out, text, n + 1);
        return 0;
    case SPEC_PASSWORD:
        if (n < 8 || n > 128 || !codec_text_ok(text, n))
            return refuse(err, f->name, I18N_ERR_FIELD_PASSWORD);
        memcpy(f->out, text, n + 1);
        return 0;
    }
    return refuse(err, f->name, I18N_ERR_BAD_JSON);
}

/* An empty string is "not given": a form's blank optional field. */
static int take(const spec_field *f, const char *text, spec_error *err)
{
    if (text == NULL || *text == '\0') {
        if (f->required)
            return refuse(err, f->name, I18N_ERR_FIELD_REQUIRED);
        return 0;
    }
    if (f->present != NULL)
        *f->present = true;
    return spec_parse_value(f, text, err);
}

static const spec_field *field_named(const spec_field *fields,
                                     const char *name)
{
    for (const spec_field *f = fields; f->name != NULL; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

int spec_parse_json(const char *body, size_t len, const spec_field *fields,
                    spec_error *err)
{
    json_error_t jerr;
    /* Duplicate keys are refused: which one counts would be a guess. */
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return refuse(err, NULL, I18N_ERR_BAD_JSON);
    }
    const char *key;
    json_t *value;
    int rc = 0;
    json_object_foreach(root, key, value)
    {
        const spec_field *f = field_named(fields, key);
        if (f == NULL) {
            rc = refuse(err, key, I18N_ERR_BAD_JSON);
            break;
        }
        if (!json_is_string(value) &&
            !(json_is_integer(value) && f->kind == SPEC_UINT) &&
            !json_is_null(value)) {
            rc = refuse(err, key, I18N_ERR_BAD_JSON);
            break;
        }
        if (json_is_string(value) &&
            strlen(json_string_value(value)) != json_string_length(value)) {
            rc = refuse(err, key, I18N_ERR_FIELD_TEXT); /* a NUL inside */
            break;
        }
    }
    for (const spec_field *f = fields; rc == 0 && f->name != NULL; f++) {
        json_t *v = json_object_get(root, f->name);
        char num[24];
        const char *text = NULL;
        if (json_is_string(v)) {
            text = json_string_value(v);
        } else if (json_is_integer(v)) {
            if (json_integer_value(v) < 0) {
                rc = refuse(err, f->name, I18N_ERR_FIELD_NUMBER);
                break;
            }
            snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
            text = num;
        }
        rc = take(f, text, err);
    }
    json_decref(root);
    return rc;
}

int spec_parse_args(const web_request *req, const spec_field *fields,
                    spec_error *err)
{
    for (const spec_field *f = fields; f->name != NULL; f++)
        if (take(f, web_request_arg(req, f->name), err) != 0)
            return -1;
    return 0;
}
