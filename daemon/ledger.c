/*
 * ledger - the ledger's lifecycle and its write path: requests taken apart
 * into commands, each decided (decide.c) and applied (apply.c) inside the
 * group's write transaction; idempotency records; the chain head;
 * authorization; replication and rebuilds through the same apply. See
 * ledger.h for the contract and ledger_internal.h for the modules.
 */
#include "ledger.h"
#include "ledger_internal.h"

#include "accounts.h"
#include "clock.h"
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "journal.h"
#include "keys.h"
#include "keyspace.h"
#include "log.h"
#include "merkle_store.h"
#include "storage.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- small things every module of the ledger uses --------------------------- */

void ledger_set_result(jifen_result *r, jifen_status status, const char *fmt,
                       ...)
{
    r->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

int ledger_refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void ledger_copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void ledger_make_posting(jifen_posting *p, jifen_asset asset,
                         const char *debit, const char *credit,
                         uint64_t amount)
{
    p->asset = asset;
    ledger_copy_text(p->debit, sizeof p->debit, debit);
    ledger_copy_text(p->credit, sizeof p->credit, credit);
    p->amount = amount;
}

ledger_error ledger_fail(ledger *self, storage_error e, const char *reason)
{
    if (e == STORAGE_OK)
        return LEDGER_OK;
    snprintf(self->last_error, sizeof self->last_error, "%s",
             reason ? reason : storage_strerror(e));
    self->last_storage_error = e;
    switch (e) {
    case STORAGE_MAP_FULL:
    case STORAGE_DISK_FULL:
        return LEDGER_FULL;
    case STORAGE_IO:
        return LEDGER_IO;
    default:
        return LEDGER_FAILED;
    }
}

const char *ledger_strerror(const ledger *self)
{
    return self->last_error;
}

const policy *ledger_in_force(const ledger *self, int64_t ms)
{
    return ruleset_at(rulebook_for_write(self->book), ms);
}

/* --- state readers ------------------------------------------------------------- */

storage_error ledger_get_totals(storage_txn *txn, const char *account,
                                account_totals *t)
{
    storage_val v;
    storage_error e =
        storage_get(txn, TABLE_BALANCES, account, strlen(account), &v);
    if (e == STORAGE_NOT_FOUND) {
        t->debits = t->credits = 0;
        return STORAGE_OK;
    }
    if (e == STORAGE_OK && account_totals_decode(v.data, v.len, t) != 0)
        return STORAGE_CORRUPT;
    return e;
}

storage_error ledger_totals(ledger *self, const char *account,
                            account_totals *t)
{
    return totals_get(&self->w->totals, &self->txn, account, t);
}

storage_error ledger_get_totals_sorted(storage_txn *txn,
                                       const char *const *accounts, size_t n,
                                       account_totals *t)
{
    storage_val keys[LEDGER_SORTED_MAX] = {{0}}, vals[LEDGER_SORTED_MAX];
    if (n > LEDGER_SORTED_MAX)
        return STORAGE_FAILED;
    for (size_t i = 0; i < n; i++)
        keys[i] = (storage_val){accounts[i], strlen(accounts[i])};
    storage_error e = storage_get_sorted(txn, TABLE_BALANCES, keys, n, vals);
    for (size_t i = 0; e == STORAGE_OK && i < n; i++) {
        if (!vals[i].data)
            t[i].debits = t[i].credits = 0;
        else if (account_totals_decode(vals[i].data, vals[i].len, &t[i]) != 0)
            e = STORAGE_CORRUPT;
    }
    return e;
}

storage_error ledger_household_balance(storage_txn *txn, totals_cache *cache,
                                       const char *code, jifen_balance *b)
{
    household_record h;
    storage_error e = ledger_get_household(txn, code, &h);
    if (e != STORAGE_OK)
        return e;
    memset(b, 0, sizeof *b);
    ledger_copy_text(b->household, sizeof b->household, code);
    memcpy(b->name, h.name, sizeof b->name);
    b->area_centi_m2 = h.area_centi_m2;
    /* In key order: the three sit side by side in the balances table. */
    char fee[JIFEN_ACCOUNT_MAX + 1], pending[JIFEN_ACCOUNT_MAX + 1],
        points[JIFEN_ACCOUNT_MAX + 1];
    account_household_fee(code, fee);
    account_household_pending(code, pending);
    account_household_points(code, points);
    const char *const names[3] = {fee, pending, points};
    account_totals t[3];
    e = cache ? totals_get_sorted(cache, txn, names, 3, t)
              : ledger_get_totals_sorted(txn, names, 3, t);
    if (e != STORAGE_OK)
        return e;
    b->fee_due_fen = (int64_t)(t[0].debits - t[0].credits);
    b->pending_points = (int64_t)(t[1].credits - t[1].debits);
    b->points = (int64_t)(t[2].credits - t[2].debits);
    return STORAGE_OK;
}

/* --- chain head ----------------------------------------------------------- */

static int read_head(storage_txn *txn, uint64_t *seq,
                     uint8_t hash[JIFEN_HASH_LEN])
{
    storage_val v;
    storage_error e = storage_get(txn, TABLE_META, META_HEAD,
                                  strlen(META_HEAD), &v);
    if (e == STORAGE_NOT_FOUND) {
        *seq = 0;
        memset(hash, 0, JIFEN_HASH_LEN);
        return 0;
    }
    if (e != STORAGE_OK || v.len != 8 + JIFEN_HASH_LEN)
        return -1;
    *seq = storage_be64_get(v.data);
    memcpy(hash, (const uint8_t *)v.data + 8, JIFEN_HASH_LEN);
    return 0;
}

void ledger_head(ledger *self, uint64_t *seq,
                 uint8_t hash[JIFEN_HASH_LEN])
{
    pthread_mutex_lock(&self->head_lock);
    *seq = self->head_seq;
    memcpy(hash, self->head_hash, JIFEN_HASH_LEN);
    pthread_mutex_unlock(&self->head_lock);
}

/* --- open / close --------------------------------------------------------- */

static void load_published(ledger *self);

static bool format_is(const storage_val *v, const char *format)
{
    return v->len == strlen(format) && memcmp(v->data, format, v->len) == 0;
}

/* Marks a new ledger with this release's format, refuses another, and
 * checks the head against the journal. */
static ledger_error load_head(ledger *self, char *err, size_t errlen)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(self->st, &txn, true);
    if (e) {
        snprintf(err, errlen, "begin: %s", storage_txn_strerror(&txn));
        return ledger_fail(self, e, NULL);
    }
    storage_val v;
    e = storage_get(&txn, TABLE_META, META_FORMAT, strlen(META_FORMAT), &v);
    if (e == STORAGE_NOT_FOUND) {
        e = storage_put(&txn, TABLE_META, META_FORMAT, strlen(META_FORMAT),
                        LEDGER_FORMAT, strlen(LEDGER_FORMAT),
                        STORAGE_PUT_NEW);
    } else if (e == STORAGE_OK && !format_is(&v, LEDGER_FORMAT)) {
        snprintf(err, errlen, "not a %s ledger (format %.*s)", LEDGER_FORMAT,
                 (int)(v.len > 64 ? 64 : v.len), (const char *)v.data);
        storage_txn_abort(&txn);
        return LEDGER_FAILED;
    }
    if (e == STORAGE_OK && read_head(&txn, &self->head_seq,
                                     self->head_hash) != 0) {
        snprintf(err, errlen, "the stored chain head is damaged");
        storage_txn_abort(&txn);
        return LEDGER_FAILED;
    }
    /* The head and the journal are written in one transaction, so the last
     * journal key must be the head; anything else is damage. */
    uint64_t last = 0;
    if (e == STORAGE_OK)
        e = journal_last(&txn, &last);
    if (e == STORAGE_OK && last != self->head_seq) {
        snprintf(err, errlen,
                 "journal ends at entry %" PRIu64 " but the head says %" PRIu64,
                 last, self->head_seq);
        storage_txn_abort(&txn);
        return LEDGER_FAILED;
    }
    uint64_t built = 0;
    if (e == STORAGE_OK && !self->opts.merkle_off) {
        /* A ledger written without the tree (by a jifend before it, or
         * with merkle_tree = 0) gets the rest of it here, in the open's
         * one write transaction. */
        e = merkle_store_catch_up(&txn, self->head_seq, self->opts.progress,
                                  self->opts.progress_ctx, &built);
        if (e == STORAGE_CORRUPT) {
            snprintf(err, errlen, "the Merkle tree does not match the "
                                  "journal (damaged, or longer than it)");
            storage_txn_abort(&txn);
            return LEDGER_FAILED;
        }
    }
    if (e == STORAGE_OK)
        e = storage_txn_commit(&txn);
    else
        storage_txn_abort(&txn);
    if (e) {
        snprintf(err, errlen, "%s", storage_txn_strerror(&txn));
        return ledger_fail(self, e, NULL);
    }
    if (built)
        log_info("Merkle tree: built for %" PRIu64 " entries (%" PRIu64
                 " now)", built, self->head_seq);
    return LEDGER_OK;
}

/* Rebuilds the ZAP handler's snapshot from the committed key table. */
static storage_error reload_keys(ledger *self)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(self->st, &txn, false);
    if (e == STORAGE_OK)
        e = keys_snapshot_load(&self->keys, &txn);
    if (e != STORAGE_OK)
        snprintf(self->last_error, sizeof self->last_error, "%s",
                 storage_strerror(e));
    storage_txn_abort(&txn);
    return e;
}

/* Adds the rule sets adopted in the ledger to *rules; on failure (err
 * says why) destroys them and sets *rules to NULL. */
static int with_adopted(ledger *self, ruleset **rules, char *err,
                        size_t errlen)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(self->st, &txn, false);
    int rc = e == STORAGE_OK ? adopt_merge_stored(&txn, *rules, err, errlen)
                             : -1;
    if (e != STORAGE_OK)
        snprintf(err, errlen, "%s", storage_strerror(e));
    storage_txn_abort(&txn);
    if (rc != 0)
        ruleset_destroy(rules);
    return rc;
}

ledger_error ledger_open(ledger **out, const char *dir, const policy *pol,
                         const ledger_options *opts, char *err, size_t errlen)
{
    *out = NULL;
    ruleset *rules = NULL;
    if (opts->rules ? ruleset_copy(&rules, opts->rules, err, errlen) != 0
                    : ruleset_from_policy(&rules, pol, err, errlen) != 0)
        return LEDGER_FAILED;
    /* An older ledger is rebuilt into this release's format first; its
     * entries of earlier releases are judged by the rule sets given. */
    if (migrate_ledger(dir, opts, rules, err, errlen) != 0) {
        ruleset_destroy(&rules);
        return LEDGER_FAILED;
    }
    ledger *self = calloc(1, sizeof *self);
    if (!self) {
        ruleset_destroy(&rules);
        snprintf(err, errlen, "out of memory");
        return LEDGER_FAILED;
    }
    pthread_mutex_init(&self->head_lock, NULL);
    self->pol = pol;
    self->opts = *opts;
    self->opts.rules = NULL; /* not kept: the book has a copy */
    self->service = opts->service;
    keys_snapshot_init(&self->keys);
    self->timer_rescan = true; /* a restart finds what is still open */
    self->timer_next_ms = INT64_MAX;
    if (self->opts.map_max < self->opts.map_size)
        self->opts.map_max = self->opts.map_size;
    self->entry_cap = codec_entry_max_size();
    self->entry_buf = malloc(self->entry_cap);
    ledger_error le = LEDGER_FAILED;
    if (!self->entry_buf) {
        snprintf(err, errlen, "out of memory");
    } else if (storage_open(&self->st, dir, opts->map_size, err, errlen) ==
               STORAGE_OK) {
        le = load_head(self, err, errlen);
    }
    if (le == LEDGER_OK)
        load_published(self);
    if (le == LEDGER_OK && reload_keys(self) != STORAGE_OK) {
        snprintf(err, errlen, "the key table cannot be read: %s",
                 self->last_error);
        le = LEDGER_FAILED;
    }
    if (le == LEDGER_OK && with_adopted(self, &rules, err, errlen) != 0) {
        le = LEDGER_FAILED;
    } else if (le == LEDGER_OK && !(self->book = rulebook_new(rules))) {
        rules = NULL; /* rulebook_new destroyed it */
        snprintf(err, errlen, "out of memory");
        le = LEDGER_FAILED;
    }
    if (le != LEDGER_OK) {
        if (!self->book)
            ruleset_destroy(&rules);
        ledger_close(&self);
        return le;
    }
    *out = self;
    return LEDGER_OK;
}

uint64_t ledger_entries(ledger *self)
{
    uint64_t seq;
    uint8_t hash[JIFEN_HASH_LEN];
    ledger_head(self, &seq, hash);
    return seq;
}

void ledger_close(ledger **self_p)
{
    ledger *self = *self_p;
    if (!self)
        return;
    if (self->in_write)
        ledger_write_abort(self);
    if (self->have_reader)
        storage_txn_abort(&self->reader);
    storage_close(&self->st);
    free(self->reply_bytes);
    keys_snapshot_destroy(&self->keys);
    rulebook_close(&self->book);
    free(self->entry_buf);
    free(self->w);
    pthread_mutex_destroy(&self->head_lock);
    free(self);
    *self_p = NULL;
}

ledger_error ledger_grow(ledger *self)
{
    /* A full disk is not cured by a larger map: growing would only hide
     * the real reason (kept in last_error) behind "largest size". */
    if (self->last_storage_error == STORAGE_DISK_FULL)
        return LEDGER_FULL;
    storage_error e = storage_grow(self->st, self->opts.map_max);
    if (e == STORAGE_OK)
        log_info("ledger map grown to %zu KiB",
                 storage_map_size(self->st) >> 10);
    return ledger_fail(self, e, e == STORAGE_MAP_FULL
                                     ? "the ledger reached its largest size"
                                     : NULL);
}

/* --- posting an entry ----------------------------------------------------- */

/* The household's balance after the entry: from the balance its decision
 * read before it when there is one (the postings added to it), else read
 * again. Pending points count too: an award under notice replies with its
 * own points pending. */
static storage_error balance_after(ledger *self, const char *household,
                                   const jifen_entry *e, jifen_balance *b)
{
    if (strcmp(self->w->before.household, household) != 0)
        return ledger_household_balance(&self->txn, &self->w->totals,
                                        household, b);
    *b = self->w->before;
    char points[JIFEN_ACCOUNT_MAX + 1], fee[JIFEN_ACCOUNT_MAX + 1],
        pending[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(household, points);
    account_household_fee(household, fee);
    account_household_pending(household, pending);
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        int64_t amount = (int64_t)p->amount;
        b->points += (strcmp(p->credit, points) == 0 ? amount : 0) -
                     (strcmp(p->debit, points) == 0 ? amount : 0);
        b->pending_points += (strcmp(p->credit, pending) == 0 ? amount : 0) -
                             (strcmp(p->debit, pending) == 0 ? amount : 0);
        b->fee_due_fen += (strcmp(p->debit, fee) == 0 ? amount : 0) -
                          (strcmp(p->credit, fee) == 0 ? amount : 0);
    }
    return STORAGE_OK;
}

/* Moves the transaction's chain head past an applied entry. */
static void advance_head(ledger *self, uint64_t seq, const uint8_t *stored,
                         size_t len)
{
    self->next_seq = seq;
    hash_sha256(stored, len, self->next_hash);
}

void ledger_post_draft(ledger *self, const write_context *ctx,
                       jifen_result *result)
{
    jifen_entry *e = &self->w->draft;
    e->seq = self->next_seq + 1;
    memcpy(e->prev_hash, self->next_hash, JIFEN_HASH_LEN);
    e->time_ms = ctx->now_ms;
    ledger_copy_text(e->request_id, sizeof e->request_id, ctx->request_id);
    ledger_copy_text(e->author, sizeof e->author, ctx->author);
    ledger_copy_text(e->policy, sizeof e->policy, ctx->pol->version);
    e->format = JIFEN_ENTRY_FORMAT;
    size_t len = codec_entry_encode(e, self->entry_buf, self->entry_cap);
    if (len == 0) {
        self->txn.error = STORAGE_FAILED;
        snprintf(self->last_error, sizeof self->last_error,
                 "entry %" PRIu64 " does not encode", e->seq);
        return;
    }
    char household[JIFEN_HOUSEHOLD_MAX + 1], why[200];
    if (apply_entry(self, e, self->entry_buf, len, household, why,
                    sizeof why) != 0) {
        /* A decision made an entry its own state refuses: a defect, never
         * to be committed half-way. */
        self->txn.error = STORAGE_FAILED;
        snprintf(self->last_error, sizeof self->last_error,
                 "entry %" PRIu64 " (%s) does not apply: %s", e->seq,
                 codec_command_name(e->command.kind), why);
        log_error("%s", self->last_error);
        return;
    }
    if (self->txn.error)
        return;
    advance_head(self, e->seq, self->entry_buf, len);
    result->status = JIFEN_STATUS_OK;
    result->entry = e->seq;
    result->n_postings = e->n_postings;
    if (e->n_postings)
        memcpy(result->postings, e->postings,
               e->n_postings * sizeof *e->postings);
    if (household[0] &&
        balance_after(self, household, e, &result->balance) == STORAGE_OK)
        result->has_balance = true;
}

/* --- the write path ------------------------------------------------------- */

/* The writer's scratch lives as long as one write transaction. */
static void scratch_free(ledger *self)
{
    free(self->w);
    self->w = NULL;
}

ledger_error ledger_write_begin(ledger *self)
{
    if (!self->w && !(self->w = malloc(sizeof *self->w))) {
        snprintf(self->last_error, sizeof self->last_error, "out of memory");
        return LEDGER_FAILED;
    }
    self->w->before.household[0] = '\0'; /* nothing read yet */
    totals_init(&self->w->totals);
    storage_error e = storage_txn_begin(self->st, &self->txn, true);
    if (e) {
        scratch_free(self);
        return ledger_fail(self, e, storage_txn_strerror(&self->txn));
    }
    self->in_write = true;
    self->keys_changed = false;
    self->next_seq = self->head_seq;
    memcpy(self->next_hash, self->head_hash, JIFEN_HASH_LEN);
    return LEDGER_OK;
}

void ledger_write_abort(ledger *self)
{
    storage_txn_abort(&self->txn);
    merkle_edge_forget(&self->tree_edge);
    self->in_write = false;
    scratch_free(self);
    rulebook_abort(self->book);
}

void ledger_set_commit_hook(ledger *self, ledger_commit_hook hook, void *ctx)
{
    self->hook = hook;
    self->hook_ctx = ctx;
}

storage *ledger_storage(ledger *self)
{
    return self->st;
}

void ledger_set_outbox(ledger *self, void *box)
{
    self->outbox = box;
}

void *ledger_outbox(const ledger *self)
{
    return self->outbox;
}

uint64_t ledger_published(ledger *self)
{
    pthread_mutex_lock(&self->head_lock);
    uint64_t v = self->published_noted;
    pthread_mutex_unlock(&self->head_lock);
    return v;
}

void ledger_note_published(ledger *self, uint64_t seq)
{
    pthread_mutex_lock(&self->head_lock);
    if (seq > self->published_noted)
        self->published_noted = seq;
    pthread_mutex_unlock(&self->head_lock);
}

/* The mark, stored with the transaction when it moved: a record of a few
 * bytes, never a transaction of its own (that would be a second fsync
 * per group). */
static uint64_t store_published(ledger *self)
{
    pthread_mutex_lock(&self->head_lock);
    uint64_t noted = self->published_noted;
    pthread_mutex_unlock(&self->head_lock);
    if (noted != self->published_stored) {
        uint8_t v[8];
        storage_be64_put(v, noted);
        storage_put(&self->txn, TABLE_REQUESTS, REQUESTS_PUBLISHED,
                    REQUESTS_PUBLISHED_LEN, v, sizeof v,
                    STORAGE_PUT_OVERWRITE);
    }
    return noted;
}

static void load_published(ledger *self)
{
    storage_txn txn;
    storage_val v;
    if (storage_txn_begin(self->st, &txn, false) != STORAGE_OK)
        return;
    if (storage_get(&txn, TABLE_REQUESTS, REQUESTS_PUBLISHED,
                    REQUESTS_PUBLISHED_LEN, &v) == STORAGE_OK &&
        v.len == 8)
        self->published_stored = self->published_noted =
            storage_be64_get(v.data);
    storage_txn_abort(&txn);
}

ledger_error ledger_write_commit(ledger *self)
{
    totals_flush(&self->w->totals, &self->txn);
    if (self->hook && self->next_seq != self->head_seq)
        self->hook(self->hook_ctx, &self->txn, self->head_seq, self->next_seq,
                   self->next_hash);
    uint64_t published = store_published(self);
    uint8_t head[8 + JIFEN_HASH_LEN];
    storage_be64_put(head, self->next_seq);
    memcpy(head + 8, self->next_hash, JIFEN_HASH_LEN);
    storage_put(&self->txn, TABLE_META, META_HEAD, strlen(META_HEAD), head,
                sizeof head, STORAGE_PUT_OVERWRITE);
    storage_error e = storage_txn_commit(&self->txn);
    self->in_write = false;
    scratch_free(self);
    if (e) {
        rulebook_abort(self->book);
        return ledger_fail(self, e, storage_txn_strerror(&self->txn));
    }
    rulebook_commit(self->book); /* rule sets a PolicyLoad adopted */
    pthread_mutex_lock(&self->head_lock);
    self->published_stored = published;
    self->head_seq = self->next_seq;
    memcpy(self->head_hash, self->next_hash, JIFEN_HASH_LEN);
    pthread_mutex_unlock(&self->head_lock);
    /* Committed: the ZAP handler must see enrolments and revocations now.
     * A failed reload empties the snapshot, which admits nobody. */
    if (self->keys_changed && reload_keys(self) != STORAGE_OK)
        log_error("cannot reload the key table, no key is admitted: %s",
                  self->last_error);
    self->keys_changed = false;
    return LEDGER_OK;
}

/* --- authorization ---------------------------------------------------------- */

static jifen_status deny(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static jifen_status deny(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return JIFEN_STATUS_FORBIDDEN;
}

/* A reversal is the business of whoever writes the kind of entry it
 * reverses. An entry that does not exist or cannot be reversed passes
 * here: the ledger gives the precise answer (unknown_entry, ...). */
static jifen_status check_reversal(storage_txn *txn, jifen_role role,
                                   const jifen_command *cmd, size_t i,
                                   char *err, size_t errlen)
{
    jifen_entry original;
    storage_error e = journal_read(txn, cmd->entry, &original, false);
    if (e == STORAGE_NOT_FOUND)
        return JIFEN_STATUS_OK;
    if (e != STORAGE_OK) {
        snprintf(err, errlen, "entry %" PRIu64 " cannot be read", cmd->entry);
        return JIFEN_STATUS_INTERNAL;
    }
    if (original.n_postings == 0 || original.reverses != 0 ||
        keys_role_may_reverse(role, original.command.kind))
        return JIFEN_STATUS_OK;
    return deny(err, errlen,
                "command %zu (reverse): a %s key may not reverse entry %" PRIu64
                " (%s)",
                i + 1, jifen_role_name(role), cmd->entry,
                codec_command_name(original.command.kind));
}

/* The role matrix and the reversal rule for a key of `role`. */
static jifen_status authorize_role(storage_txn *txn, const char *z85,
                                   jifen_role role, const char *label,
                                   const jifen_request *req,
                                   ledger_caller *caller, char *err,
                                   size_t errlen)
{
    memset(caller, 0, sizeof *caller);
    snprintf(caller->key, sizeof caller->key, "%s", z85);
    caller->role = role;
    snprintf(caller->author, sizeof caller->author, "%s", label);
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *cmd = &req->commands[i];
        if (!keys_role_may(role, cmd->kind))
            return deny(err, errlen,
                        "command %zu (%s) is not allowed for a key of role %s", i + 1,
                        codec_command_name(cmd->kind), jifen_role_name(role));
        if (cmd->kind == JIFEN_CMD_REVERSE) {
            jifen_status st = check_reversal(txn, role, cmd, i, err, errlen);
            if (st != JIFEN_STATUS_OK)
                return st;
        }
    }
    return JIFEN_STATUS_OK;
}

/* The rules of ledger_authorize, in whichever transaction is given. */
static jifen_status authorize_in(storage_txn *txn, const char *z85,
                                 const jifen_request *req,
                                 ledger_caller *caller, char *err,
                                 size_t errlen)
{
    keys_record rec;
    storage_error e = keys_get(txn, z85, &rec);
    if (e == STORAGE_NOT_FOUND || (e == STORAGE_OK && rec.revoked))
        return deny(err, errlen, "this key is not enrolled, or was revoked");
    if (e != STORAGE_OK) {
        snprintf(err, errlen, "the key table: %s", storage_strerror(e));
        return JIFEN_STATUS_INTERNAL;
    }
    return authorize_role(txn, z85, rec.role, rec.label, req, caller, err,
                          errlen);
}

jifen_status ledger_authorize(ledger *self, const char *z85,
                              const jifen_request *req, ledger_caller *caller,
                              char *err, size_t errlen)
{
    storage_txn txn;
    if (z85 == NULL || z85[0] == '\0')
        return deny(err, errlen, "no authenticated key");
    /* The query path's kept reader (server thread, like this): renewing it
     * costs far less than a read transaction per request. */
    if (ledger_begin_reader(self, &txn) != STORAGE_OK) {
        snprintf(err, errlen, "%s", storage_txn_strerror(&txn));
        return JIFEN_STATUS_INTERNAL;
    }
    jifen_status st = authorize_in(&txn, z85, req, caller, err, errlen);
    ledger_end_reader(self, &txn);
    return st;
}

jifen_status ledger_authorize_as(ledger *self, const char *z85,
                                 jifen_role role, const char *label,
                                 const jifen_request *req,
                                 ledger_caller *caller, char *err,
                                 size_t errlen)
{
    storage_txn txn;
    if (ledger_begin_reader(self, &txn) != STORAGE_OK) {
        snprintf(err, errlen, "%s", storage_txn_strerror(&txn));
        return JIFEN_STATUS_INTERNAL;
    }
    jifen_status st =
        authorize_role(&txn, z85, role, label, req, caller, err, errlen);
    caller->of_service = true;
    ledger_end_reader(self, &txn);
    return st;
}

bool ledger_key_admitted(ledger *self, const char *z85)
{
    return keys_snapshot_has(&self->keys, z85);
}


/*
 * The idempotency record of a request: the digest of its commands, then
 * its reply, in one of two forms:
 *
 * - compact, for requests of up to REPLY_COMPACT_MAX commands (awards,
 *   redemptions: where the pages a commit writes are the limit):
 *   REPLY_COMPACT, then the reply's protobuf without what the ledger holds
 *   anyway, the request id (the record's key) and each result's postings
 *   (those of the journal entry the result names: post_entry sets both
 *   from the same array). A retry puts them back.
 * - whole, for larger batches (billing: where CPU is the limit): the
 *   reply's protobuf as sent, encoded once; the server sends these bytes.
 *
 * Either way a retry gets the original reply, field for field. A whole
 * reply starts with a protobuf tag, never 0x00 (there is no field 0), so
 * the two tell themselves apart, and records of earlier builds (whole)
 * read as they are.
 */
#define REPLY_COMPACT 0x00
#define REPLY_COMPACT_MAX 16

/* Puts back each result's postings from its journal entry. */
static storage_error refill_postings(ledger *self, jifen_reply *reply)
{
    jifen_entry *entry = &self->w->original;
    for (size_t i = 0; i < reply->n_results; i++) {
        jifen_result *r = &reply->results[i];
        if (r->entry == 0)
            continue;
        storage_error e = journal_read(&self->txn, r->entry, entry, false);
        if (e != STORAGE_OK)
            return e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e;
        r->n_postings = entry->n_postings;
        memcpy(r->postings, entry->postings,
               entry->n_postings * sizeof *entry->postings);
    }
    return STORAGE_OK;
}

/* A retry: the stored reply, or a refusal when the content differs. */
static ledger_error replay_request(ledger *self, const jifen_request *req,
                                   const uint8_t digest[JIFEN_HASH_LEN],
                                   const storage_val *stored,
                                   jifen_reply *reply)
{
    if (stored->len < JIFEN_HASH_LEN)
        return ledger_fail(self, STORAGE_CORRUPT, "damaged request record");
    if (memcmp(stored->data, digest, JIFEN_HASH_LEN) != 0) {
        reply->status = JIFEN_STATUS_ID_CONFLICT;
        snprintf(reply->error, sizeof reply->error,
                 "request id %s was already used for different commands",
                 req->request_id);
        return LEDGER_OK;
    }
    const uint8_t *bytes = (const uint8_t *)stored->data + JIFEN_HASH_LEN;
    size_t len = stored->len - JIFEN_HASH_LEN;
    bool compact = len > 0 && bytes[0] == REPLY_COMPACT;
    char why[128];
    jifen_status s = codec_reply_decode(bytes + compact, len - compact, reply,
                                        why, sizeof why);
    if (s != JIFEN_STATUS_OK)
        return ledger_fail(self, STORAGE_CORRUPT, "damaged stored reply");
    if (compact) {
        memcpy(reply->request_id, req->request_id, sizeof reply->request_id);
        storage_error e = refill_postings(self, reply);
        if (e != STORAGE_OK)
            return ledger_fail(self, e,
                                e == STORAGE_CORRUPT
                                    ? "a stored reply names a damaged entry"
                                    : storage_txn_strerror(&self->txn));
    }
    codec_reply_mark_replayed(reply);
    return LEDGER_OK;
}

/* The reply's protobuf without its request id and its results' postings
 * (which are put back after): 0, or -1 when out of memory. */
static int encode_compact(jifen_reply *reply, uint8_t **bytes, size_t *len)
{
    uint8_t n_postings[REPLY_COMPACT_MAX];
    char id[sizeof reply->request_id];
    memcpy(id, reply->request_id, sizeof id);
    reply->request_id[0] = '\0';
    for (size_t i = 0; i < reply->n_results; i++) {
        n_postings[i] = (uint8_t)reply->results[i].n_postings;
        if (reply->results[i].entry != 0)
            reply->results[i].n_postings = 0;
    }
    int rc = codec_reply_encode(reply, bytes, len);
    memcpy(reply->request_id, id, sizeof id);
    for (size_t i = 0; i < reply->n_results; i++)
        reply->results[i].n_postings = n_postings[i];
    return rc;
}

static ledger_error remember_reply(ledger *self, const jifen_request *req,
                                   const uint8_t digest[JIFEN_HASH_LEN],
                                   jifen_reply *reply)
{
    bool compact = reply->n_results <= REPLY_COMPACT_MAX;
    uint8_t *bytes = NULL;
    size_t len = 0;
    if ((compact ? encode_compact(reply, &bytes, &len)
                 : codec_reply_encode(reply, &bytes, &len)) != 0)
        return ledger_fail(self, STORAGE_FAILED, "out of memory");
    uint8_t *rec = malloc(JIFEN_HASH_LEN + compact + len);
    if (!rec) {
        free(bytes);
        return ledger_fail(self, STORAGE_FAILED, "out of memory");
    }
    memcpy(rec, digest, JIFEN_HASH_LEN);
    rec[JIFEN_HASH_LEN] = REPLY_COMPACT; /* overwritten when whole */
    memcpy(rec + JIFEN_HASH_LEN + compact, bytes, len);
    storage_error e = storage_put(
        &self->txn, TABLE_REQUESTS, req->request_id, strlen(req->request_id),
        rec, JIFEN_HASH_LEN + compact + len, STORAGE_PUT_NEW);
    free(rec);
    /* A whole reply is kept for the server to send as it is, rather than
     * encoded a second time (a 1,000-command reply is ~200 KB). */
    if (!compact && e == STORAGE_OK) {
        self->reply_bytes = bytes;
        self->reply_len = len;
    } else {
        free(bytes);
    }
    return ledger_fail(self, e, storage_txn_strerror(&self->txn));
}

/* Authorizes again inside the write transaction, in the serial order: a
 * key revoked by an earlier request of the same group is refused. Returns
 * false when the request must not be applied (reply->status says why). */
static bool authorized_in_write(ledger *self, const ledger_caller *caller,
                                const jifen_request *req,
                                ledger_caller *checked, jifen_reply *reply)
{
    /* The local operator; or a key of the service, which the service
     * authorized for this community (its table here does not hold it). */
    if (caller->key[0] == '\0' || caller->of_service) {
        *checked = *caller;
        return true;
    }
    reply->status = authorize_in(&self->txn, caller->key, req, checked,
                                 reply->error, sizeof reply->error);
    return reply->status == JIFEN_STATUS_OK;
}

/* Before the first rule set takes effect nothing can be written: there is
 * no rule to write it under. */
static void refuse_no_rules(jifen_result *result, int64_t now_ms)
{
    char date[CLOCK_DATE_LEN + 1];
    clock_date_text(now_ms, date);
    ledger_set_result(result, JIFEN_STATUS_NO_RULE_SET,
               "no rule set is in force on %s (the first takes effect later)",
               date);
}

int ledger_use_rules(ledger *self, const ruleset *rules, char *err,
                     size_t errlen)
{
    ruleset *next = NULL;
    if (ruleset_copy(&next, rules, err, errlen) != 0 ||
        with_adopted(self, &next, err, errlen) != 0)
        return -1;
    rulebook_publish(self->book, next);
    return 0;
}

int ledger_replace_rules(ledger *self, const ruleset *rules, int64_t now_ms,
                         char *err, size_t errlen)
{
    ruleset *next = NULL;
    if (ruleset_copy(&next, rules, err, errlen) != 0 ||
        with_adopted(self, &next, err, errlen) != 0)
        return -1;
    if (ruleset_check_successor(rulebook_current(self->book), next, now_ms,
                                err, errlen) != 0) {
        ruleset_destroy(&next);
        return -1;
    }
    rulebook_publish(self->book, next);
    return 0;
}

const ruleset *ledger_rules(const ledger *self)
{
    return rulebook_current(self->book);
}

/* Each command of the request decided (and applied) in turn, into
 * reply->results. */
static ledger_error decide_request(ledger *self, const jifen_request *req,
                                   const ledger_caller *who, int64_t now_ms,
                                   jifen_reply *reply)
{
    reply->results = calloc(req->n_commands, sizeof *reply->results);
    if (!reply->results)
        return ledger_fail(self, STORAGE_FAILED, "out of memory");
    reply->n_results = req->n_commands;

    write_context ctx = {req->request_id, who->author, now_ms,
                         ledger_in_force(self, now_ms), who};
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *cmd = &req->commands[i];
        jifen_result *result = &reply->results[i];
        if (!ctx.pol) {
            refuse_no_rules(result, now_ms);
            continue;
        }
        if (!jifen_command_is_write(cmd->kind)) {
            ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                              "command %zu is not a write", i + 1);
            continue;
        }
        /* A PolicyLoad earlier in the request may have put a new rule set
         * in force for the rest of it. */
        ctx.pol = ledger_in_force(self, now_ms);
        decide_command(self, &ctx, cmd, result);
        if (self->txn.error) {
            codec_reply_clear(reply);
            return ledger_fail(self, self->txn.error,
                               self->last_error[0]
                                   ? self->last_error
                                   : storage_txn_strerror(&self->txn));
        }
    }
    return LEDGER_OK;
}

/* Whether a command can be rehearsed: everything it does is in the
 * transaction. A rule set's adoption is staged outside it (rulebook.c). */
static bool rehearsable(jifen_command_kind kind)
{
    return kind != JIFEN_CMD_POLICY_LOAD;
}

/*
 * A dry run (issue 15: a roster's or an import's preview): the request
 * decided and applied inside a child of the group's transaction, which is
 * thrown away. The results are what the real run would answer now, from
 * the very same decisions, commands later in the request seeing the
 * earlier ones; nothing is kept: no entry, no request-id record (the real
 * run may use the same id), the chain head, the timer and the key
 * snapshot as they were. A full map or disk in the rehearsal is the
 * group's: it grows and is replayed, as for a real write.
 */
static ledger_error apply_dry(ledger *self, const jifen_request *req,
                              const ledger_caller *who, int64_t now_ms,
                              jifen_reply *reply)
{
    for (size_t i = 0; i < req->n_commands; i++) {
        if (!rehearsable(req->commands[i].kind)) {
            reply->status = JIFEN_STATUS_BAD_REQUEST;
            snprintf(reply->error, sizeof reply->error,
                     "command %zu (%s) has no dry run", i + 1,
                     codec_command_name(req->commands[i].kind));
            return LEDGER_OK;
        }
    }
    /* The writer's totals (totals.c) are the parent's account records
     * not yet put: the rehearsal adds to them and may write some back
     * into the child, so they are kept aside and put back with the
     * parent. */
    totals_cache *totals = malloc(sizeof *totals);
    if (!totals)
        return ledger_fail(self, STORAGE_FAILED, "out of memory");
    *totals = self->w->totals;
    jifen_balance before = self->w->before;
    storage_txn parent = self->txn, child;
    storage_error e = storage_txn_begin_child(&parent, &child);
    if (e != STORAGE_OK) {
        free(totals);
        self->txn.error = e;
        return ledger_fail(self, e, storage_txn_strerror(&child));
    }
    uint64_t seq = self->next_seq;
    uint8_t hash[JIFEN_HASH_LEN];
    memcpy(hash, self->next_hash, JIFEN_HASH_LEN);
    int64_t timer_next = self->timer_next_ms;
    bool rescan = self->timer_rescan, keys = self->keys_changed;
    self->txn = child;
    ledger_error le = decide_request(self, req, who, now_ms, reply);
    storage_error failed = self->txn.error;
    storage_txn_abort(&self->txn);
    merkle_edge_forget(&self->tree_edge); /* the rehearsal's appends */
    self->txn = parent;
    self->w->totals = *totals;
    self->w->before = before;
    free(totals);
    self->next_seq = seq;
    memcpy(self->next_hash, hash, JIFEN_HASH_LEN);
    self->timer_next_ms = timer_next;
    self->timer_rescan = rescan;
    self->keys_changed = keys;
    if (le == LEDGER_OK)
        return LEDGER_OK;
    if (failed == STORAGE_MAP_FULL || failed == STORAGE_DISK_FULL ||
        failed == STORAGE_IO) {
        self->txn.error = failed; /* the group's: grow and replay it */
        return le;
    }
    /* Anything else went wrong in the rehearsal alone: the group's own
     * transaction is untouched, so only this request is refused. */
    codec_reply_clear(reply);
    ledger_copy_text(reply->request_id, sizeof reply->request_id,
                     req->request_id);
    reply->status = JIFEN_STATUS_INTERNAL;
    snprintf(reply->error, sizeof reply->error, "the dry run failed: %.200s",
             self->last_error);
    return LEDGER_OK;
}

ledger_error ledger_apply(ledger *self, const jifen_request *req,
                          const uint8_t digest[JIFEN_HASH_LEN],
                          const ledger_caller *caller, int64_t now_ms,
                          jifen_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    ledger_copy_text(reply->request_id, sizeof reply->request_id,
                     req->request_id);
    ledger_caller who;
    if (!authorized_in_write(self, caller, req, &who, reply))
        return self->txn.error ? ledger_fail(self, self->txn.error,
                                             storage_txn_strerror(&self->txn))
                               : LEDGER_OK;
    reply->status = JIFEN_STATUS_OK;
    free(self->reply_bytes); /* never another request's bytes */
    self->reply_bytes = NULL;
    self->reply_len = 0;
    if (req->dry_run)
        return apply_dry(self, req, &who, now_ms, reply);

    storage_val stored;
    storage_error e = storage_get(&self->txn, TABLE_REQUESTS, req->request_id,
                                  strlen(req->request_id), &stored);
    if (e == STORAGE_OK)
        return replay_request(self, req, digest, &stored, reply);
    if (e != STORAGE_NOT_FOUND)
        return ledger_fail(self, e, storage_txn_strerror(&self->txn));

    ledger_error le = decide_request(self, req, &who, now_ms, reply);
    if (le == LEDGER_OK)
        le = remember_reply(self, req, digest, reply);
    if (le != LEDGER_OK)
        codec_reply_clear(reply);
    return le;
}

void ledger_take_reply_bytes(ledger *self, uint8_t **bytes, size_t *len)
{
    *bytes = self->reply_bytes;
    *len = self->reply_len;
    self->reply_bytes = NULL;
    self->reply_len = 0;
}

/* --- replication and rebuilds ------------------------------------------------- */

ledger_error ledger_replicate(ledger *self, const uint8_t *stored, size_t len,
                              char *err, size_t errlen)
{
    jifen_entry *e = &self->w->replicated;
    char why[200];
    if (codec_entry_decode_text(stored, len, e, why, sizeof why) !=
        JIFEN_STATUS_OK) {
        snprintf(err, errlen, "entry %" PRIu64 " does not decode: %s",
                 self->next_seq + 1, why);
        return LEDGER_FAILED;
    }
    ledger_error le = LEDGER_OK;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    /* The chain, re-checked: a replica never takes an entry that does not
     * follow its own head. */
    if (e->seq != self->next_seq + 1 ||
        memcmp(e->prev_hash, self->next_hash, JIFEN_HASH_LEN) != 0) {
        snprintf(err, errlen,
                 "entry %" PRIu64 " does not follow entry %" PRIu64
                 " here: %s",
                 e->seq, self->next_seq,
                 e->seq != self->next_seq + 1 ? "out of sequence"
                                              : "previous hash differs");
        le = LEDGER_FAILED;
    } else if (apply_entry(self, e, stored, len, household, why,
                           sizeof why) != 0) {
        snprintf(err, errlen, "entry %" PRIu64 " (%s): %s", e->seq,
                 codec_command_name(e->command.kind), why);
        le = LEDGER_FAILED;
    } else if (self->txn.error) {
        le = ledger_fail(self, self->txn.error,
                         storage_txn_strerror(&self->txn));
    } else {
        advance_head(self, e->seq, stored, len);
    }
    free(e->command.text);
    e->command.text = NULL;
    return le;
}
