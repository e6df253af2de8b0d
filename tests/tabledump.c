/*
 * tabledump - see tabledump.h.
 */
#include "tabledump.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One table of one environment, walked in key order. */
typedef struct {
    storage_cursor *c;
    storage_val k, v;
    bool end;
    storage_error error; /* other than STORAGE_NOT_FOUND: cannot be read */
} walk;

static void walk_step(walk *w, storage_error e)
{
    w->end = e != STORAGE_OK;
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND)
        w->error = e;
}

/* A table an older read-only file lacks reads as empty, as storage.h says. */
static void walk_open(walk *w, storage_txn *txn, storage_table t)
{
    memset(w, 0, sizeof *w);
    storage_error e = storage_cursor_open(txn, t, &w->c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(w->c, &w->k, &w->v);
    walk_step(w, e);
}

static void walk_next(walk *w)
{
    walk_step(w, storage_cursor_next(w->c, &w->k, &w->v));
}

static void walk_close(walk *w)
{
    storage_cursor_close(&w->c);
}

/* LMDB's default order: bytes compared as unsigned, a prefix first. */
static int key_cmp(const storage_val *a, const storage_val *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->data, b->data, n) : 0;
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

static bool same_val(const storage_val *a, const storage_val *b)
{
    return a->len == b->len &&
           (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void print_hex(FILE *out, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len == 0)
        fputs("(empty)", out);
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%02x", p[i]);
}

void tabledump_print_text(FILE *out, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            fputc(p[i], out);
        else
            fprintf(out, "\\x%02x", p[i]);
    }
}

static void print_record(FILE *out, storage_table t, const storage_val *k,
                         const storage_val *v)
{
    fprintf(out, "%s ", storage_table_name(t));
    print_hex(out, k->data, k->len);
    fputc(' ', out);
    print_hex(out, v->data, v->len);
    fputs("  # ", out);
    tabledump_print_text(out, k->data, k->len);
    fputc('\n', out);
}

int tabledump_write(storage *st, unsigned skip, FILE *out)
{
    storage_txn txn;
    if (storage_txn_begin(st, &txn, false) != STORAGE_OK) {
        fprintf(out, "tabledump: %s\n", storage_txn_strerror(&txn));
        return -1;
    }
    int rc = 0;
    for (int t = 0; t < TABLE_COUNT && rc == 0; t++) {
        if (skip & TABLEDUMP_SKIP(t))
            continue;
        walk w;
        for (walk_open(&w, &txn, t); !w.end; walk_next(&w))
            print_record(out, t, &w.k, &w.v);
        if (w.error != STORAGE_OK) {
            fprintf(out, "tabledump: table %s: %s\n", storage_table_name(t),
                    storage_strerror(w.error));
            rc = -1;
        }
        walk_close(&w);
    }
    storage_txn_abort(&txn);
    return rc;
}

char *tabledump_text(storage *st, unsigned skip)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    int rc = tabledump_write(st, skip, f);
    if (fclose(f) != 0 || rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* --- comparing two environments ------------------------------------------ */

typedef struct {
    const tabledump_options *o;
    FILE *out;
    const char *a, *b;
    size_t shown, max_shown;
} report;

static void show_value(const report *r, const char *who, const storage_val *v)
{
    fprintf(r->out, "    %-8s ", who);
    if (!v) {
        fputs("(absent)\n", r->out);
        return;
    }
    print_hex(r->out, v->data, v->len);
    fprintf(r->out, " (%zu bytes)\n", v->len);
}

/* One differing record: its key and both values (NULL: absent there). */
static void show_difference(report *r, storage_table t, const storage_val *k,
                            const storage_val *va, const storage_val *vb)
{
    if (r->shown++ >= r->max_shown)
        return;
    fprintf(r->out, "  table %s, key \"", storage_table_name(t));
    tabledump_print_text(r->out, k->data, k->len);
    fputs("\" (", r->out);
    print_hex(r->out, k->data, k->len);
    fputs("):\n", r->out);
    show_value(r, r->a, va);
    show_value(r, r->b, vb);
}

long tabledump_compare(storage *a, storage *b, const tabledump_options *opts)
{
    static const tabledump_options none = {0, NULL, NULL, 0, NULL};
    const tabledump_options *o = opts ? opts : &none;
    report r = {o, o->out ? o->out : stderr, o->name_a ? o->name_a : "a",
                o->name_b ? o->name_b : "b", 0,
                o->max_shown ? o->max_shown : 10};
    storage_txn ta, tb;
    if (storage_txn_begin(a, &ta, false) != STORAGE_OK) {
        fprintf(r.out, "tabledump: %s: %s\n", r.a, storage_txn_strerror(&ta));
        return -1;
    }
    if (storage_txn_begin(b, &tb, false) != STORAGE_OK) {
        fprintf(r.out, "tabledump: %s: %s\n", r.b, storage_txn_strerror(&tb));
        storage_txn_abort(&ta);
        return -1;
    }
    long total = 0;
    for (int t = 0; t < TABLE_COUNT && total >= 0; t++) {
        if (o->skip & TABLEDUMP_SKIP(t))
            continue;
        walk wa, wb;
        long only_a = 0, only_b = 0, differ = 0;
        walk_open(&wa, &ta, t);
        walk_open(&wb, &tb, t);
        /* A merge of two sorted key sequences. */
        while (!wa.end || !wb.end) {
            int c = wa.end ? 1 : wb.end ? -1 : key_cmp(&wa.k, &wb.k);
            if (c < 0) {
                show_difference(&r, t, &wa.k, &wa.v, NULL);
                only_a++;
                walk_next(&wa);
            } else if (c > 0) {
                show_difference(&r, t, &wb.k, NULL, &wb.v);
                only_b++;
                walk_next(&wb);
            } else {
                if (!same_val(&wa.v, &wb.v)) {
                    show_difference(&r, t, &wa.k, &wa.v, &wb.v);
                    differ++;
                }
                walk_next(&wa);
                walk_next(&wb);
            }
        }
        if (wa.error != STORAGE_OK || wb.error != STORAGE_OK) {
            fprintf(r.out, "tabledump: table %s cannot be read in %s: %s\n",
                    storage_table_name(t), wa.error ? r.a : r.b,
                    storage_strerror(wa.error ? wa.error : wb.error));
            total = -1;
        } else if (only_a + only_b + differ > 0) {
            fprintf(r.out,
                    "  table %s: %ld record(s) only in %s, %ld only in %s, "
                    "%ld with different values\n",
                    storage_table_name(t), only_a, r.a, only_b, r.b, differ);
            total += only_a + only_b + differ;
        }
        walk_close(&wa);
        walk_close(&wb);
    }
    if (r.shown > r.max_shown)
        fprintf(r.out, "  (%zu more differing records not shown)\n",
                r.shown - r.max_shown);
    storage_txn_abort(&ta);
    storage_txn_abort(&tb);
    return total;
}
