/*
 * rebuild - see rebuild.h.
 */
#include "rebuild.h"

#include "journal.h"
#include "keyspace.h"
#include "ledger.h"
#include "storage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries per write transaction: large enough that the fsync per commit
 * is not the cost, small enough that a commit stays a few MB. */
#define BATCH 4096
#define PROGRESS_EVERY 8192

/* The tables a rebuild derives, compared by --rebuild; the others are
 * local and copied (keyspace.h). */
static const storage_table derived[] = {
    TABLE_JOURNAL, TABLE_BALANCES, TABLE_HOUSEHOLDS, TABLE_REVERSALS,
    TABLE_KEYS,    TABLE_META,     TABLE_HISTORY,  TABLE_MERKLE,
};
static const storage_table local[] = {TABLE_REQUESTS, TABLE_CHECKPOINTS};

/* --- replaying the journal ----------------------------------------------------- */

/* Applies entries [from, to] of the source in one transaction of the
 * destination, growing its map when full. 0, or -1 with why in err. */
static int replay_batch(ledger *dest, storage_txn *src, uint64_t from,
                        uint64_t to, char *err, size_t errlen)
{
    for (int attempt = 0;; attempt++) {
        ledger_error le = ledger_write_begin(dest);
        for (uint64_t seq = from; le == LEDGER_OK && seq <= to; seq++) {
            storage_val v;
            storage_error se = journal_get(src, seq, &v);
            if (se != STORAGE_OK) {
                snprintf(err, errlen, "entry %" PRIu64 " cannot be read: %s",
                         seq, storage_strerror(se));
                ledger_write_abort(dest);
                return -1;
            }
            le = ledger_replicate(dest, v.data, v.len, err, errlen);
        }
        if (le == LEDGER_OK)
            le = ledger_write_commit(dest);
        else
            ledger_write_abort(dest);
        if (le == LEDGER_OK)
            return 0;
        if (le == LEDGER_FAILED && err[0])
            return -1; /* the entry's reason is in err */
        if (le != LEDGER_FULL || attempt == 16 ||
            ledger_grow(dest) != LEDGER_OK) {
            snprintf(err, errlen, "writing the rebuilt ledger: %s",
                     ledger_strerror(dest));
            return -1;
        }
    }
}

/* --- copying the local tables ---------------------------------------------------- */

typedef struct {
    storage_txn *dest;
    storage_table table;
} copy;

static int copy_record(void *ctx, const storage_val *k, const storage_val *v)
{
    copy *c = ctx;
    return storage_put(c->dest, c->table, k->data, k->len, v->data, v->len,
                       STORAGE_PUT_OVERWRITE) == STORAGE_OK
               ? 0
               : -1;
}

static int copy_local(storage *dest, storage_txn *src, char *err,
                      size_t errlen)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(dest, &txn, true);
    for (size_t i = 0; e == STORAGE_OK && i < sizeof local / sizeof *local;
         i++) {
        copy c = {&txn, local[i]};
        e = storage_foreach_prefix(src, local[i], NULL, 0, copy_record, &c);
        if (e == STORAGE_CORRUPT && txn.error)
            e = txn.error;
    }
    if (e == STORAGE_OK)
        e = storage_txn_commit(&txn);
    else
        storage_txn_abort(&txn);
    if (e != STORAGE_OK)
        snprintf(err, errlen, "copying the idempotency records and "
                 "checkpoints: %s", storage_strerror(e));
    return e == STORAGE_OK ? 0 : -1;
}

/* --- comparing -------------------------------------------------------------------- */

/* A key or value for a person: printable bytes as they are, others as
 * \xNN, cut short when long. */
static void show(const storage_val *v, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    const uint8_t *p = v ? v->data : NULL;
    if (!v) {
        snprintf(out, cap, "(none)");
        return;
    }
    for (size_t i = 0; i < v->len && o + 5 < cap; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
            out[o++] = (char)p[i];
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 15];
        }
    }
    if (o + 5 >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 3), o = cap - 1;
    out[o] = '\0';
}

typedef struct {
    storage_txn *other;
    storage_table table;
    bool first_side; /* walking the rebuilt side */
    char *diff;
    size_t difflen;
} compare;

static int compare_record(void *ctx, const storage_val *k, const storage_val *v)
{
    compare *c = ctx;
    storage_val w;
    storage_error e = storage_get(c->other, c->table, k->data, k->len, &w);
    if (e == STORAGE_OK && w.len == v->len &&
        memcmp(w.data, v->data, v->len) == 0)
        return 0;
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND)
        return -1;
    char key[160], mine[160], theirs[160];
    show(k, key, sizeof key);
    show(v, mine, sizeof mine);
    show(e == STORAGE_OK ? &w : NULL, theirs, sizeof theirs);
    snprintf(c->diff, c->difflen, "table %s, key %s: rebuilt %s, stored %s",
             storage_table_name(c->table), key, c->first_side ? mine : theirs,
             c->first_side ? theirs : mine);
    return 1;
}

/* 0 when the table is the same on both sides, 1 with the first
 * difference in diff, -1 when it cannot be read. */
static int compare_table(storage_txn *rebuilt, storage_txn *stored,
                         storage_table t, char *diff, size_t difflen)
{
    diff[0] = '\0';
    compare c = {stored, t, true, diff, difflen};
    storage_error e =
        storage_foreach_prefix(rebuilt, t, NULL, 0, compare_record, &c);
    if (e == STORAGE_OK && !diff[0]) {
        /* Everything rebuilt is stored: anything more stored? */
        c = (compare){rebuilt, t, false, diff, difflen};
        e = storage_foreach_prefix(stored, t, NULL, 0, compare_record, &c);
    }
    if (e != STORAGE_OK)
        return -1;
    return diff[0] ? 1 : 0;
}

static int compare_all(storage *dest, storage_txn *src, rebuild_report *r,
                       char *err, size_t errlen)
{
    storage_txn txn;
    if (storage_txn_begin(dest, &txn, false) != STORAGE_OK) {
        snprintf(err, errlen, "reading the rebuilt ledger: %s",
                 storage_txn_strerror(&txn));
        return -1;
    }
    int rc = 0;
    r->compared = true;
    r->same = true;
    for (size_t i = 0; i < sizeof derived / sizeof *derived; i++) {
        rc = compare_table(&txn, src, derived[i], r->difference,
                           sizeof r->difference);
        if (rc < 0)
            snprintf(err, errlen, "comparing table %s failed",
                     storage_table_name(derived[i]));
        if (rc != 0)
            break;
    }
    r->same = rc == 0;
    storage_txn_abort(&txn);
    return rc < 0 ? -1 : 0;
}

/* --- the whole -------------------------------------------------------------------- */

int rebuild_ledger(const char *src_dir, const char *dest_dir,
                   const rebuild_options *opts, rebuild_report *report,
                   char *err, size_t errlen)
{
    memset(report, 0, sizeof *report);
    err[0] = '\0';
    storage *src = NULL;
    if (storage_open_readonly(&src, src_dir, err, errlen) != STORAGE_OK)
        return -1;
    storage_txn txn;
    uint64_t last = 0;
    storage_error se = storage_txn_begin(src, &txn, false);
    if (se == STORAGE_OK)
        se = journal_last(&txn, &last);
    storage_val fv;
    if (se == STORAGE_OK &&
        storage_get(&txn, TABLE_META, META_FORMAT, strlen(META_FORMAT),
                    &fv) == STORAGE_OK)
        snprintf(report->source_format, sizeof report->source_format, "%.*s",
                 (int)(fv.len < 31 ? fv.len : 31), (const char *)fv.data);
    if (se != STORAGE_OK) {
        snprintf(err, errlen, "reading %s: %s", src_dir, storage_strerror(se));
        storage_txn_abort(&txn);
        storage_close(&src);
        return -1;
    }
    /* A community a service founded has its rule sets in its journal from
     * entry 1 (a PolicyLoad by jifend): the operator's files are not its. */
    jifen_entry *first = malloc(sizeof *first);
    ruleset *none = NULL;
    char why[128];
    bool founded = first && last > 0 &&
                   journal_read(&txn, 1, first, false) == STORAGE_OK &&
                   first->command.kind == JIFEN_CMD_POLICY_LOAD &&
                   strcmp(first->author, "jifend") == 0;
    free(first);
    if (founded && ruleset_empty(&none, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s", why);
        storage_txn_abort(&txn);
        storage_close(&src);
        return -1;
    }
    ledger_options lo = {.map_size = storage_map_size(src),
                         .map_max = (size_t)1 << 40,
                         .rules = founded ? none : opts->rules};
    if (lo.map_size < ((size_t)16 << 20))
        lo.map_size = (size_t)16 << 20;
    ledger *dest = NULL;
    int rc = ledger_open(&dest, dest_dir, opts->pol, &lo, err, errlen) ==
                     LEDGER_OK
                 ? 0
                 : -1;
    ruleset_destroy(&none);
    for (uint64_t from = 1; rc == 0 && from <= last; from += BATCH) {
        uint64_t to = from + BATCH - 1 < last ? from + BATCH - 1 : last;
        rc = replay_batch(dest, &txn, from, to, err, errlen);
        report->entries = rc == 0 ? to : report->entries;
        if (opts->progress && (to % PROGRESS_EVERY == 0 || to == last))
            opts->progress(opts->progress_ctx, to, last);
    }
    if (rc == 0)
        rc = copy_local(ledger_storage(dest), &txn, err, errlen);
    if (rc == 0 && opts->compare &&
        strcmp(report->source_format, LEDGER_FORMAT) == 0)
        rc = compare_all(ledger_storage(dest), &txn, report, err, errlen);
    ledger_close(&dest);
    storage_txn_abort(&txn);
    storage_close(&src);
    return rc;
}
