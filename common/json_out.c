/*
 * json_out - see json_out.h.
 */
#include "json_out.h"

#include "codec.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The opaque type is jansson's own value. */
#define J(p) ((json_t *)(p))

/* Set when any part of the document in progress could not be made (one
 * document at a time in each thread). */
static _Thread_local bool out_of_memory;

json_out *json_out_new(void)
{
    out_of_memory = false;
    json_t *o = json_object();
    out_of_memory = o == NULL;
    return (json_out *)o;
}

/* Puts v (a new reference) into parent under key, or at its end. */
static json_t *put(json_out *parent, const char *key, json_t *v)
{
    int rc = -1;
    if (parent && v)
        rc = key ? json_object_set_new(J(parent), key, v)
                 : json_array_append_new(J(parent), v);
    else
        json_decref(v);
    if (rc != 0) {
        out_of_memory = out_of_memory || parent != NULL;
        return NULL;
    }
    return v;
}

json_out *json_out_object(json_out *parent, const char *key)
{
    return (json_out *)put(parent, key, json_object());
}

json_out *json_out_array(json_out *parent, const char *key)
{
    return (json_out *)put(parent, key, json_array());
}

void json_out_str(json_out *parent, const char *key, const char *v)
{
    json_t *s = json_string(v);
    if (!s && v) { /* not UTF-8: keep the ASCII, mark the rest */
        char *copy = strdup(v);
        for (char *p = copy; p && *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        s = copy ? json_string(copy) : NULL;
        free(copy);
    }
    put(parent, key, s);
}

void json_out_i64(json_out *parent, const char *key, int64_t v)
{
    put(parent, key, json_integer((json_int_t)v));
}

void json_out_u64(json_out *parent, const char *key, uint64_t v)
{
    if (v <= (uint64_t)INT64_MAX) {
        json_out_i64(parent, key, (int64_t)v);
        return;
    }
    char digits[24];
    snprintf(digits, sizeof digits, "%" PRIu64, v);
    json_out_str(parent, key, digits);
}

void json_out_bool(json_out *parent, const char *key, bool v)
{
    put(parent, key, json_boolean(v));
}

int json_out_write(FILE *f, json_out **doc)
{
    int rc = -1;
    if (!out_of_memory && *doc && json_dumpf(J(*doc), f, JSON_COMPACT) == 0)
        rc = fputc('\n', f) == EOF ? -1 : 0;
    json_decref(J(*doc));
    *doc = NULL;
    out_of_memory = false;
    return rc;
}

void json_out_print(FILE *f, json_out **doc)
{
    bool failed = out_of_memory || !*doc;
    if (json_out_write(f, doc) != 0 && failed)
        fputs("{\"status\":\"internal\",\"error\":\"out of memory\"}\n", f);
}

void json_out_postings(json_out *parent, const jifen_posting *p, size_t n)
{
    json_out *list = json_out_array(parent, "postings");
    for (size_t i = 0; i < n; i++) {
        json_out *e = json_out_object(list, NULL);
        json_out_str(e, "asset", codec_asset_name(p[i].asset));
        json_out_str(e, "debit", p[i].debit);
        json_out_str(e, "credit", p[i].credit);
        json_out_u64(e, "amount", p[i].amount);
    }
}

/* --- a long array, streamed ------------------------------------------------ */

void json_out_stream_open(FILE *f, const char *key)
{
    json_t *k = json_string(key);
    fputc('{', f);
    if (k)
        json_dumpf(k, f, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(k);
    fputs(":[", f);
}

void json_out_stream_element(FILE *f, json_out **elem, bool first)
{
    if (!first)
        fputc(',', f);
    if (!out_of_memory && *elem)
        json_dumpf(J(*elem), f, JSON_COMPACT);
    else
        fputs("null", f);
    json_decref(J(*elem));
    *elem = NULL;
    out_of_memory = false;
}

void json_out_stream_close(FILE *f, json_out **rest)
{
    fputc(']', f);
    char *s = !out_of_memory && *rest ? json_dumps(J(*rest), JSON_COMPACT)
                                      : NULL;
    /* The members of `rest` follow the array: "{...}" without its "{". */
    if (s && strcmp(s, "{}") != 0)
        fprintf(f, ",%s", s + 1);
    else
        fputc('}', f);
    fputc('\n', f);
    free(s);
    json_decref(J(*rest));
    *rest = NULL;
    out_of_memory = false;
}
