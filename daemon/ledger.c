/*
 * ledger - commands as postings; see ledger.h for the accounts and the
 * write-path contract, DESIGN.md section 3 for the model.
 *
 * Every command handler first decides (reads only), then writes. Writes can
 * fail only for storage reasons, which poison the transaction; the server
 * then replays the whole group, so a handler never undoes anything itself.
 */
#include "ledger.h"
#include "ledger_internal.h"

#include "accounts.h"
#include "clock.h"
#include "codec.h"
#include "counters.h"
#include "hash.h"
#include "keys.h"
#include "log.h"
#include "notice.h"
#include "reports.h"
#include "sanction.h"
#include "storage.h"
#include "verify.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_HEAD "head"
#define META_FORMAT "format"
/* Format 2 keeps the history index and the cap counters next to the
 * balances (accounts.h, counters.h); format 1 had them in the history and
 * meta tables. A format 1 ledger is moved to 2 when it is opened
 * (migrate_history). The journal is the same in both. */
#define LEDGER_FORMAT "jifen-ledger-2"
#define LEDGER_FORMAT_1 "jifen-ledger-1"
#define HOUSEHOLD_RECORD_FIXED 12 /* be64 registering entry, be32 area */

struct ledger {
    storage *st;
    policy pol;
    /* The rule sets, by time (ledger_open starts it with pol and the ones
     * adopted in the ledger; ledger_use_rules adds the operator's). */
    rulebook *book;
    /* The timer (public notice, expiry): when it next has work, and whether
     * that must be found out again (after anything that opened or approved
     * a notice or credited points that expire). */
    int64_t timer_next_ms;
    bool timer_rescan;
    ledger_options opts;
    storage_txn txn; /* the write transaction, when in_write */
    bool in_write;
    /* The committed chain head. Written by the committer thread after each
     * commit, read by the server thread (stats, replication feed): the lock
     * keeps the number and the hash of one head together. */
    pthread_mutex_t head_lock;
    uint64_t head_seq;
    uint8_t head_hash[JIFEN_HASH_LEN];
    uint64_t next_seq; /* chain head inside the write transaction */
    uint8_t next_hash[JIFEN_HASH_LEN];
    uint8_t *entry_buf; /* one encoded entry; reused, never per entry */
    size_t entry_cap;
    char last_error[256];
    storage_error last_storage_error; /* behind last_error */
    ledger_commit_hook hook; /* see ledger_set_commit_hook */
    void *hook_ctx;
    /* The query path runs on the server thread while the committer thread
     * writes, so it has its own read transaction (kept and renewed, not
     * begun per query) and its own error text. */
    storage_txn reader;
    bool have_reader;
    char query_error[256];
    /* The household balance need_household read for the command being
     * applied, so that the balance after it is computed from its postings
     * instead of read again; valid for that one command only. */
    jifen_balance before;
    /* The stored (and to be sent) encoding of the last applied reply, when
     * it was stored whole (remember_reply). */
    uint8_t *reply_bytes;
    size_t reply_len;
    keys_snapshot keys;  /* active keys, for the ZAP handler's thread */
    bool keys_changed;   /* the write transaction enrolled or revoked */
};

typedef struct {
    uint64_t registered; /* entry that registered it */
    uint32_t area_centi_m2;
    char name[JIFEN_NAME_MAX + 1];
} household_record;

/* write_context: see ledger_internal.h */

static void set_result(jifen_result *r, jifen_status status, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

static void set_result(jifen_result *r, jifen_status status, const char *fmt,
                       ...)
{
    r->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

/* snprintf(dst, cap, "%s", src) without the format machinery, which
 * showed in the write path's profile. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static ledger_error from_storage(ledger *self, storage_error e,
                                 const char *reason)
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

static bool format_is(const storage_val *v, const char *format)
{
    return v->len == strlen(format) && memcmp(v->data, format, v->len) == 0;
}

/* Format 1 -> 2: the history index moves from its own table, and the cap
 * counters from the meta table, into the balances table, next to each
 * household's accounts; then the format record says 2. One write
 * transaction: all of it, or none. */
static storage_error migrate_history(storage_txn *txn, uint64_t *moved)
{
    storage_cursor *c = NULL;
    storage_val k;
    *moved = 0;
    storage_error e = storage_cursor_open(txn, TABLE_HISTORY, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, NULL);
    while (e == STORAGE_OK) {
        /* household code, NUL, be64 seq */
        size_t hlen = strnlen(k.data, k.len);
        if (hlen == 0 || hlen > JIFEN_HOUSEHOLD_MAX || k.len != hlen + 9) {
            e = STORAGE_CORRUPT;
            break;
        }
        char household[JIFEN_HOUSEHOLD_MAX + 1];
        memcpy(household, k.data, hlen);
        household[hlen] = '\0';
        uint8_t key[ACCOUNT_HISTORY_KEY_MAX];
        size_t klen = account_history_key(
            household, storage_be64_get((const uint8_t *)k.data + hlen + 1),
            key);
        e = storage_put(txn, TABLE_BALANCES, key, klen, "", 0,
                        STORAGE_PUT_OVERWRITE);
        if (e == STORAGE_OK) {
            (*moved)++;
            e = storage_cursor_next(c, &k, NULL);
        }
    }
    storage_cursor_close(&c);
    if (e == STORAGE_NOT_FOUND)
        e = storage_clear(txn, TABLE_HISTORY);
    uint64_t counters = 0;
    if (e == STORAGE_OK)
        e = counter_migrate(txn, &counters);
    *moved += counters;
    if (e == STORAGE_OK)
        e = storage_put(txn, TABLE_META, META_FORMAT, strlen(META_FORMAT),
                        LEDGER_FORMAT, strlen(LEDGER_FORMAT),
                        STORAGE_PUT_OVERWRITE);
    return e;
}

static ledger_error load_head(ledger *self, char *err, size_t errlen)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(self->st, &txn, true);
    if (e) {
        snprintf(err, errlen, "begin: %s", storage_txn_strerror(&txn));
        return from_storage(self, e, NULL);
    }
    storage_val v;
    bool migrating = false;
    uint64_t moved = 0;
    e = storage_get(&txn, TABLE_META, META_FORMAT, strlen(META_FORMAT), &v);
    if (e == STORAGE_NOT_FOUND) {
        e = storage_put(&txn, TABLE_META, META_FORMAT, strlen(META_FORMAT),
                        LEDGER_FORMAT, strlen(LEDGER_FORMAT),
                        STORAGE_PUT_NEW);
    } else if (e == STORAGE_OK && format_is(&v, LEDGER_FORMAT_1)) {
        migrating = true;
        e = migrate_history(&txn, &moved);
        if (e != STORAGE_OK) {
            snprintf(err, errlen, "moving the ledger to format 2: %s",
                     e == STORAGE_CORRUPT ? "a damaged history or counter key"
                                          : storage_txn_strerror(&txn));
            storage_txn_abort(&txn);
            return from_storage(self, e, NULL);
        }
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
    storage_cursor *c = NULL;
    storage_val k;
    if (e == STORAGE_OK)
        e = storage_cursor_open(&txn, TABLE_JOURNAL, &c);
    uint64_t last = 0;
    if (e == STORAGE_OK) {
        storage_error ce = storage_cursor_last(c, &k, NULL);
        if (ce == STORAGE_OK && k.len == 8)
            last = storage_be64_get(k.data);
        else if (ce != STORAGE_NOT_FOUND)
            e = ce;
        storage_cursor_close(&c);
    }
    if (e == STORAGE_OK && last != self->head_seq) {
        snprintf(err, errlen,
                 "journal ends at entry %" PRIu64 " but the head says %" PRIu64,
                 last, self->head_seq);
        storage_txn_abort(&txn);
        return LEDGER_FAILED;
    }
    if (e == STORAGE_OK)
        e = storage_txn_commit(&txn);
    else
        storage_txn_abort(&txn);
    if (e) {
        snprintf(err, errlen, "%s", storage_txn_strerror(&txn));
        return from_storage(self, e, NULL);
    }
    if (migrating)
        log_info("ledger format 1 -> 2: the history index and the counters "
                 "(%" PRIu64 " keys) now lie next to the balances",
                 moved);
    return LEDGER_OK;
}

/* The rule set in force at ms, or NULL before the first takes effect. */
static const policy *in_force(const ledger *self, int64_t ms)
{
    return ruleset_at(rulebook_current(self->book), ms);
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
    ledger *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return LEDGER_FAILED;
    }
    pthread_mutex_init(&self->head_lock, NULL);
    self->pol = *pol;
    self->opts = *opts;
    keys_snapshot_init(&self->keys);
    self->timer_rescan = true; /* a restart finds what is still open */
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
    if (le == LEDGER_OK && reload_keys(self) != STORAGE_OK) {
        snprintf(err, errlen, "the key table cannot be read: %s",
                 self->last_error);
        le = LEDGER_FAILED;
    }
    ruleset *rules = NULL;
    if (le == LEDGER_OK &&
        (ruleset_from_policy(&rules, pol, err, errlen) != 0 ||
         with_adopted(self, &rules, err, errlen) != 0)) {
        le = LEDGER_FAILED;
    } else if (le == LEDGER_OK && !(self->book = rulebook_new(rules))) {
        snprintf(err, errlen, "out of memory");
        le = LEDGER_FAILED;
    }
    if (le != LEDGER_OK) {
        ledger_close(&self);
        return le;
    }
    *out = self;
    return LEDGER_OK;
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
    return from_storage(self, e, e == STORAGE_MAP_FULL
                                     ? "the ledger reached its largest size"
                                     : NULL);
}

/* --- records -------------------------------------------------------------- */

static storage_error get_totals(ledger *self, const char *account,
                                account_totals *t)
{
    storage_val v;
    storage_error e =
        storage_get(&self->txn, TABLE_BALANCES, account, strlen(account), &v);
    if (e == STORAGE_NOT_FOUND) {
        t->debits = t->credits = 0;
        return STORAGE_OK;
    }
    if (e == STORAGE_OK && account_totals_decode(v.data, v.len, t) != 0)
        return STORAGE_CORRUPT;
    return e;
}

static storage_error get_household(storage_txn *txn, const char *code,
                                   household_record *h)
{
    storage_val v;
    storage_error e =
        storage_get(txn, TABLE_HOUSEHOLDS, code, strlen(code), &v);
    if (e != STORAGE_OK)
        return e;
    if (v.len < HOUSEHOLD_RECORD_FIXED ||
        v.len > HOUSEHOLD_RECORD_FIXED + JIFEN_NAME_MAX)
        return STORAGE_CORRUPT;
    const uint8_t *p = v.data;
    h->registered = storage_be64_get(p);
    h->area_centi_m2 = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
                       (uint32_t)p[10] << 8 | p[11];
    size_t n = v.len - HOUSEHOLD_RECORD_FIXED;
    memcpy(h->name, p + HOUSEHOLD_RECORD_FIXED, n);
    h->name[n] = '\0';
    return STORAGE_OK;
}

/* Points and fee due of a household, as seen in `txn`. */
static storage_error household_balance(storage_txn *txn, const char *code,
                                       jifen_balance *b)
{
    household_record h;
    storage_error e = get_household(txn, code, &h);
    if (e != STORAGE_OK)
        return e;
    memset(b, 0, sizeof *b);
    copy_text(b->household, sizeof b->household, code);
    memcpy(b->name, h.name, sizeof b->name);
    b->area_centi_m2 = h.area_centi_m2;

    char account[JIFEN_ACCOUNT_MAX + 1];
    account_totals t;
    storage_val v;
    char fee[JIFEN_ACCOUNT_MAX + 1], pending[JIFEN_ACCOUNT_MAX + 1];
    const char *names[3];
    account_household_points(code, account);
    account_household_fee(code, fee);
    account_household_pending(code, pending);
    names[0] = account;
    names[1] = fee;
    names[2] = pending;
    for (int i = 0; i < 3; i++) {
        e = storage_get(txn, TABLE_BALANCES, names[i], strlen(names[i]), &v);
        if (e == STORAGE_NOT_FOUND) {
            t.debits = t.credits = 0;
        } else if (e != STORAGE_OK) {
            return e;
        } else if (account_totals_decode(v.data, v.len, &t) != 0) {
            return STORAGE_CORRUPT;
        }
        if (i == 0)
            b->points = (int64_t)(t.credits - t.debits);
        else if (i == 1)
            b->fee_due_fen = (int64_t)(t.debits - t.credits);
        else
            b->pending_points = (int64_t)(t.credits - t.debits);
    }
    return STORAGE_OK;
}

/* --- posting an entry ----------------------------------------------------- */

static void make_posting(jifen_posting *p, jifen_asset asset,
                         const char *debit, const char *credit,
                         uint64_t amount)
{
    p->asset = asset;
    copy_text(p->debit, sizeof p->debit, debit);
    copy_text(p->credit, sizeof p->credit, credit);
    p->amount = amount;
}

static void apply_totals(ledger *self, const char *account, uint64_t debit,
                         uint64_t credit)
{
    account_totals t;
    storage_error e = get_totals(self, account, &t);
    if (e != STORAGE_OK) {
        if (!self->txn.error)
            self->txn.error = e;
        return;
    }
    t.debits += debit;
    t.credits += credit;
    uint8_t rec[BALANCE_RECORD_LEN];
    account_totals_encode(&t, rec);
    storage_put(&self->txn, TABLE_BALANCES, account, strlen(account), rec,
                sizeof rec, STORAGE_PUT_OVERWRITE);
}

/* The household's balance after `postings`: from the one need_household
 * read before them when there is one, else from storage. */
static storage_error balance_after(ledger *self, const char *household,
                                   const jifen_posting *postings,
                                   size_t n_postings, jifen_balance *b)
{
    if (strcmp(self->before.household, household) != 0)
        return household_balance(&self->txn, household, b);
    *b = self->before;
    char points[JIFEN_ACCOUNT_MAX + 1], fee[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(household, points);
    account_household_fee(household, fee);
    for (size_t i = 0; i < n_postings; i++) {
        const jifen_posting *p = &postings[i];
        int64_t amount = (int64_t)p->amount;
        b->points += (strcmp(p->credit, points) == 0 ? amount : 0) -
                     (strcmp(p->debit, points) == 0 ? amount : 0);
        b->fee_due_fen += (strcmp(p->debit, fee) == 0 ? amount : 0) -
                          (strcmp(p->credit, fee) == 0 ? amount : 0);
    }
    return STORAGE_OK;
}

/*
 * Appends the stored bytes of entry `seq` to the journal and updates the
 * derived state: balances from its postings, the household's history index.
 * Shared by the write path and replication (ledger_replicate), so that a
 * replica's derived state is the primary's by construction.
 */
static void index_entry(ledger *self, uint64_t seq, const uint8_t *stored,
                        size_t len, const char *household,
                        const jifen_posting *postings, size_t n_postings)
{
    uint8_t key[8];
    storage_be64_put(key, seq);
    storage_put(&self->txn, TABLE_JOURNAL, key, sizeof key, stored, len,
                STORAGE_PUT_APPEND);
    for (size_t i = 0; i < n_postings; i++) {
        apply_totals(self, postings[i].debit, postings[i].amount, 0);
        apply_totals(self, postings[i].credit, 0, postings[i].amount);
    }
    if (household && household[0]) {
        uint8_t hkey[ACCOUNT_HISTORY_KEY_MAX];
        size_t hlen = account_history_key(household, seq, hkey);
        storage_put(&self->txn, TABLE_BALANCES, hkey, hlen, "", 0,
                    STORAGE_PUT_OVERWRITE);
    }
}

/*
 * Appends one journal entry with its postings and updates the derived state
 * (balances, the household's history index). Storage errors land in the
 * transaction's sticky error; the caller checks once.
 */
static void post_entry(ledger *self, const write_context *ctx,
                       const jifen_command *cmd, const char *household,
                       const jifen_posting *postings, size_t n_postings,
                       uint64_t reverses, jifen_result *result)
{
    static jifen_entry entry; /* large; one writer thread, reused */
    memset(&entry, 0, sizeof entry);
    entry.seq = self->next_seq + 1;
    memcpy(entry.prev_hash, self->next_hash, JIFEN_HASH_LEN);
    entry.time_ms = ctx->now_ms;
    snprintf(entry.request_id, sizeof entry.request_id, "%s", ctx->request_id);
    snprintf(entry.author, sizeof entry.author, "%s", ctx->author);
    entry.command = *cmd;
    entry.n_postings = n_postings;
    if (n_postings) /* a registration has none, and postings is NULL */
        memcpy(entry.postings, postings, n_postings * sizeof *postings);
    entry.reverses = reverses;
    snprintf(entry.policy, sizeof entry.policy, "%s", ctx->pol->version);

    size_t len = codec_entry_encode(&entry, self->entry_buf, self->entry_cap);
    if (len == 0) {
        self->txn.error = STORAGE_FAILED;
        snprintf(self->last_error, sizeof self->last_error,
                 "entry %" PRIu64 " does not encode", entry.seq);
        return;
    }
    index_entry(self, entry.seq, self->entry_buf, len, household, postings,
                n_postings);
    if (self->txn.error)
        return;

    self->next_seq = entry.seq;
    hash_sha256(self->entry_buf, len, self->next_hash);
    result->status = JIFEN_STATUS_OK;
    result->entry = entry.seq;
    result->n_postings = n_postings;
    if (n_postings)
        memcpy(result->postings, postings, n_postings * sizeof *postings);
    if (household && household[0] &&
        balance_after(self, household, postings, n_postings,
                      &result->balance) == STORAGE_OK)
        result->has_balance = true;
}

/* --- commands ------------------------------------------------------------- */

typedef void (*command_handler)(ledger *self, const write_context *ctx,
                                const jifen_command *cmd,
                                jifen_result *result);

/* Loads the household or refuses the command. Returns true when found. */
static bool need_household(ledger *self, const char *code, jifen_balance *b,
                           jifen_result *result)
{
    storage_error e = household_balance(&self->txn, code, b);
    if (e == STORAGE_OK) {
        self->before = *b;
        return true;
    }
    if (e == STORAGE_NOT_FOUND)
        set_result(result, JIFEN_STATUS_UNKNOWN_HOUSEHOLD,
                   "household %s is not registered", code);
    else if (!self->txn.error)
        self->txn.error = e; /* a damaged record stops the group */
    return false;
}

/* The household record of a registration made by entry `seq`. */
static void put_household(ledger *self, uint64_t seq, const jifen_command *cmd)
{
    uint8_t rec[HOUSEHOLD_RECORD_FIXED + JIFEN_NAME_MAX];
    storage_be64_put(rec, seq);
    rec[8] = (uint8_t)(cmd->area_centi_m2 >> 24);
    rec[9] = (uint8_t)(cmd->area_centi_m2 >> 16);
    rec[10] = (uint8_t)(cmd->area_centi_m2 >> 8);
    rec[11] = (uint8_t)cmd->area_centi_m2;
    size_t n = strlen(cmd->name);
    memcpy(rec + HOUSEHOLD_RECORD_FIXED, cmd->name, n);
    storage_put(&self->txn, TABLE_HOUSEHOLDS, cmd->household,
                strlen(cmd->household), rec, HOUSEHOLD_RECORD_FIXED + n,
                STORAGE_PUT_NEW);
}

static void cmd_household_add(ledger *self, const write_context *ctx,
                              const jifen_command *cmd, jifen_result *result)
{
    household_record h;
    storage_error e = get_household(&self->txn, cmd->household, &h);
    if (e == STORAGE_OK) {
        set_result(result, JIFEN_STATUS_HOUSEHOLD_EXISTS,
                   "household %s is already registered (entry %" PRIu64 ")",
                   cmd->household, h.registered);
        return;
    }
    if (e != STORAGE_NOT_FOUND)
        return;
    put_household(self, self->next_seq + 1, cmd);
    post_entry(self, ctx, cmd, cmd->household, NULL, 0, 0, result);
}


static void cmd_award(ledger *self, const write_context *ctx,
                      const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!need_household(self, cmd->household, &b, result))
        return;
    uint32_t points = 0;
    jifen_status s = policy_award_points(ctx->pol, cmd, &points,
                                         result->error, sizeof result->error);
    if (s == JIFEN_STATUS_OK)
        s = rules_check_award_caps(self, ctx, cmd, points, result);
    if (s != JIFEN_STATUS_OK) {
        result->status = s;
        return;
    }
    counter_add_month_year(&self->txn, cmd->household, cmd->code,
                           ctx->now_ms, points);
    /* Under public notice the points wait in the pending account. */
    bool needs_approval = false;
    bool noticed = notice_applies(ctx->pol, points, &needs_approval);
    char account[JIFEN_ACCOUNT_MAX + 1];
    if (noticed)
        account_household_pending(cmd->household, account);
    else
        account_household_points(cmd->household, account);
    jifen_posting p;
    make_posting(&p, JIFEN_ASSET_POINTS, ACCOUNT_POINTS_ISSUED, account,
                 points);
    jifen_command applied = *cmd;
    applied.points = points; /* the entry says what was really awarded */
    post_entry(self, ctx, &applied, cmd->household, &p, 1, 0, result);
    result->points = points;
    if (noticed && result->status == JIFEN_STATUS_OK)
        rules_open_notice(self, ctx, &applied, b.name, needs_approval, result);
    else if (result->status == JIFEN_STATUS_OK)
        rules_earn(self, ctx, cmd->household, ctx->now_ms, points);
}

static bool enough_points(const jifen_balance *b, uint64_t points,
                          jifen_result *result)
{
    if (b->points >= 0 && (uint64_t)b->points >= points)
        return true;
    set_result(result, JIFEN_STATUS_INSUFFICIENT_POINTS,
               "household %s has %" PRId64 " points, %" PRIu64 " needed",
               b->household, b->points, points);
    return false;
}

static void cmd_deduct(ledger *self, const write_context *ctx,
                       const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!need_household(self, cmd->household, &b, result))
        return;
    uint32_t points = 0;
    jifen_status s = policy_deduct_points(ctx->pol, cmd, &points,
                                          result->error, sizeof result->error);
    if (s != JIFEN_STATUS_OK) {
        result->status = s;
        return;
    }
    if (!enough_points(&b, points, result))
        return;
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(cmd->household, account);
    jifen_posting p;
    make_posting(&p, JIFEN_ASSET_POINTS, account, ACCOUNT_POINTS_DEDUCTED,
                 points);
    jifen_command applied = *cmd;
    applied.points = points;
    post_entry(self, ctx, &applied, cmd->household, &p, 1, 0, result);
    result->points = points;
    if (result->status == JIFEN_STATUS_OK)
        rules_sanction(self, ctx, cmd, result);
}

static void cmd_bill(ledger *self, const write_context *ctx,
                     const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!need_household(self, cmd->household, &b, result))
        return;
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_fee(cmd->household, account);
    jifen_posting p;
    make_posting(&p, JIFEN_ASSET_FEE, account, ACCOUNT_FEE_INCOME,
                 cmd->amount);
    post_entry(self, ctx, cmd, cmd->household, &p, 1, 0, result);
}

static void cmd_pay(ledger *self, const write_context *ctx,
                    const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!need_household(self, cmd->household, &b, result))
        return;
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_fee(cmd->household, account);
    jifen_posting p;
    make_posting(&p, JIFEN_ASSET_FEE, ACCOUNT_CASH, account, cmd->amount);
    post_entry(self, ctx, cmd, cmd->household, &p, 1, 0, result);
}

static void cmd_redeem(ledger *self, const write_context *ctx,
                       const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!need_household(self, cmd->household, &b, result))
        return;
    if (!enough_points(&b, cmd->amount, result) ||
        rules_suspended(self, ctx, cmd->household, result))
        return;
    uint64_t offset = 0;
    jifen_status s =
        policy_redeem_offset(ctx->pol, cmd->amount, b.fee_due_fen, &offset,
                             result->error, sizeof result->error);
    if (s == JIFEN_STATUS_OK)
        s = rules_check_redeem_cap(self, ctx, cmd, result);
    if (s != JIFEN_STATUS_OK) {
        result->status = s;
        return;
    }
    counter_add_month_year(&self->txn, cmd->household, COUNTER_REDEEM,
                           ctx->now_ms, (int64_t)cmd->amount);
    char points[JIFEN_ACCOUNT_MAX + 1], fee[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(cmd->household, points);
    account_household_fee(cmd->household, fee);
    /* Both legs in one entry: the points leave and the fee falls together,
     * and the funder now owes the property company the offset. */
    jifen_posting p[2];
    make_posting(&p[0], JIFEN_ASSET_POINTS, points, ACCOUNT_POINTS_REDEEMED,
                 cmd->amount);
    make_posting(&p[1], JIFEN_ASSET_FEE, ACCOUNT_POINTS_OFFSET, fee, offset);
    post_entry(self, ctx, cmd, cmd->household, p, 2, 0, result);
    result->points = cmd->amount;
    result->offset_fen = offset;
}

/* The household an entry belongs to, for the history index. */
static const char *entry_household(const jifen_entry *e)
{
    return e->command.household[0] ? e->command.household : NULL;
}

static void cmd_reverse(ledger *self, const write_context *ctx,
                        const jifen_command *cmd, jifen_result *result)
{
    static jifen_entry original; /* large; one writer thread, reused */
    uint8_t key[8];
    storage_be64_put(key, cmd->entry);
    storage_val v;
    storage_error e =
        storage_get(&self->txn, TABLE_JOURNAL, key, sizeof key, &v);
    if (e == STORAGE_NOT_FOUND) {
        set_result(result, JIFEN_STATUS_UNKNOWN_ENTRY,
                   "there is no entry %" PRIu64, cmd->entry);
        return;
    }
    char why[128];
    if (e != STORAGE_OK)
        return;
    if (codec_entry_decode(v.data, v.len, &original, why, sizeof why) !=
        JIFEN_STATUS_OK) {
        self->txn.error = STORAGE_CORRUPT;
        snprintf(self->last_error, sizeof self->last_error,
                 "entry %" PRIu64 " does not decode: %s", cmd->entry, why);
        return;
    }
    if (original.n_postings == 0 || original.reverses != 0) {
        set_result(result, JIFEN_STATUS_NOT_REVERSIBLE,
                   "entry %" PRIu64 " (%s) has nothing to reverse",
                   cmd->entry, codec_command_name(original.command.kind));
        return;
    }
    /* ledger_authorize refused this already; kept here so that the rule
     * holds whoever calls ledger_apply. */
    if (ctx->caller && ctx->caller->key[0] != '\0' &&
        !keys_role_may_reverse(ctx->caller->role, original.command.kind)) {
        set_result(result, JIFEN_STATUS_FORBIDDEN,
                   "a %s key may not reverse a %s entry",
                   jifen_role_name(ctx->caller->role),
                   codec_command_name(original.command.kind));
        return;
    }
    if (!rules_reversible_after_notice(self, &original, result))
        return;
    e = storage_get(&self->txn, TABLE_REVERSALS, key, sizeof key, &v);
    if (e == STORAGE_OK && v.len == 8) {
        set_result(result, JIFEN_STATUS_ALREADY_REVERSED,
                   "entry %" PRIu64 " was already reversed by entry %" PRIu64,
                   cmd->entry, storage_be64_get(v.data));
        return;
    }
    if (e != STORAGE_NOT_FOUND)
        return;

    jifen_posting mirrored[JIFEN_POSTINGS_MAX];
    for (size_t i = 0; i < original.n_postings; i++) {
        const jifen_posting *p = &original.postings[i];
        make_posting(&mirrored[i], p->asset, p->credit, p->debit, p->amount);
        rules_posted_from_points(&original, &mirrored[i]);
        /* Taking back an award must not push the household below zero:
         * the account the mirror debits, which for an award posted after
         * its notice is the points account, not the pending one the award
         * credited. */
        const char *from = mirrored[i].debit;
        if (account_is_household_points(from)) {
            account_totals t;
            if (get_totals(self, from, &t) != STORAGE_OK)
                return;
            if (t.credits - t.debits < p->amount) {
                set_result(result, JIFEN_STATUS_INSUFFICIENT_POINTS,
                           "reversing entry %" PRIu64 " needs %" PRIu64
                           " points; %s has %" PRIu64,
                           cmd->entry, p->amount, from,
                           t.credits - t.debits);
                return;
            }
        }
    }
    rules_reversed(self, &original); /* caps; an appeal upheld */
    uint8_t rev[8];
    storage_be64_put(rev, self->next_seq + 1);
    storage_put(&self->txn, TABLE_REVERSALS, key, sizeof key, rev, sizeof rev,
                STORAGE_PUT_NEW);
    jifen_command applied = *cmd;
    snprintf(applied.household, sizeof applied.household, "%s",
             original.command.household);
    post_entry(self, ctx, &applied, entry_household(&original), mirrored,
               original.n_postings, cmd->entry, result);
}

/* Enrolments and revocations are journal entries without postings, so that
 * who may do what is in the hash chain; TABLE_KEYS is derived state, written
 * by these two for entry `seq`. Shared by the write path and replication
 * (ledger_replicate), so that a replica admits the keys its primary admits.
 * The key snapshot is reloaded after the commit (ledger_write_commit). */
static void index_key_enrol(ledger *self, uint64_t seq,
                            const jifen_command *cmd)
{
    keys_record rec;
    memset(&rec, 0, sizeof rec);
    rec.role = cmd->role;
    rec.enrolled_entry = seq;
    snprintf(rec.label, sizeof rec.label, "%s", cmd->name);
    keys_put(&self->txn, cmd->key, &rec);
    self->keys_changed = true;
}

static void index_key_revoke(ledger *self, uint64_t seq, const char *key,
                             keys_record *rec)
{
    rec->revoked = true;
    rec->revoked_entry = seq;
    keys_put(&self->txn, key, rec);
    self->keys_changed = true;
}

static void cmd_key_enrol(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, jifen_result *result)
{
    keys_record rec;
    storage_error e = keys_get(&self->txn, cmd->key, &rec);
    if (e == STORAGE_OK) {
        set_result(result, JIFEN_STATUS_KEY_EXISTS,
                   "key %s is already enrolled (entry %" PRIu64 ")%s",
                   cmd->key, rec.enrolled_entry,
                   rec.revoked ? " and was revoked; make a new key" : "");
        return;
    }
    if (e != STORAGE_NOT_FOUND) {
        if (!self->txn.error)
            self->txn.error = e;
        return;
    }
    index_key_enrol(self, self->next_seq + 1, cmd);
    post_entry(self, ctx, cmd, NULL, NULL, 0, 0, result);
}

static void cmd_key_revoke(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result)
{
    keys_record rec;
    storage_error e = keys_get(&self->txn, cmd->key, &rec);
    if (e == STORAGE_NOT_FOUND || (e == STORAGE_OK && rec.revoked)) {
        set_result(result, JIFEN_STATUS_UNKNOWN_KEY,
                   "key %s is not enrolled, or already revoked", cmd->key);
        return;
    }
    if (e != STORAGE_OK) {
        if (!self->txn.error)
            self->txn.error = e;
        return;
    }
    index_key_revoke(self, self->next_seq + 1, cmd->key, &rec);
    post_entry(self, ctx, cmd, NULL, NULL, 0, 0, result);
}

static const command_handler write_handlers[] = {
    [JIFEN_CMD_HOUSEHOLD_ADD] = cmd_household_add,
    [JIFEN_CMD_AWARD] = cmd_award,
    [JIFEN_CMD_DEDUCT] = cmd_deduct,
    [JIFEN_CMD_BILL] = cmd_bill,
    [JIFEN_CMD_PAY] = cmd_pay,
    [JIFEN_CMD_REDEEM] = cmd_redeem,
    [JIFEN_CMD_REVERSE] = cmd_reverse,
    [JIFEN_CMD_KEY_ENROL] = cmd_key_enrol,
    [JIFEN_CMD_KEY_REVOKE] = cmd_key_revoke,
    [JIFEN_CMD_OBJECT] = rules_cmd_object,
    [JIFEN_CMD_APPROVE] = rules_cmd_approve,
    [JIFEN_CMD_RELEASE] = rules_cmd_daemon_only,
    [JIFEN_CMD_EXPIRE] = rules_cmd_daemon_only,
    [JIFEN_CMD_SETTLE] = rules_cmd_settle,
    [JIFEN_CMD_POLICY_LOAD] = adopt_cmd_policy_load,
};

/* --- for ledger_rules.c (ledger_internal.h) ------------------------------- */

storage_txn *ledger_txn(ledger *self)
{
    return &self->txn;
}

void ledger_set_result(jifen_result *r, jifen_status status, const char *fmt,
                       ...)
{
    r->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

storage_error ledger_get_totals(ledger *self, const char *account,
                                account_totals *t)
{
    return get_totals(self, account, t);
}

void ledger_make_posting(jifen_posting *p, jifen_asset asset,
                         const char *debit, const char *credit,
                         uint64_t amount)
{
    make_posting(p, asset, debit, credit, amount);
}

void ledger_post_entry(ledger *self, const write_context *ctx,
                       const jifen_command *cmd, const char *household,
                       const jifen_posting *postings, size_t n_postings,
                       uint64_t reverses, jifen_result *result)
{
    post_entry(self, ctx, cmd, household, postings, n_postings, reverses,
               result);
}

rulebook *ledger_rulebook(ledger *self)
{
    return self->book;
}

/* New work for the timer at ms: only ever earlier, so no scan is needed.
 * (A group that then fails to commit leaves it too early: harmless, the
 * tick finds nothing and looks again.) */
void ledger_timer_due_by(ledger *self, int64_t ms)
{
    if (ms < self->timer_next_ms)
        self->timer_next_ms = ms;
}

/* --- the write path ------------------------------------------------------- */

ledger_error ledger_write_begin(ledger *self)
{
    storage_error e = storage_txn_begin(self->st, &self->txn, true);
    if (e)
        return from_storage(self, e, storage_txn_strerror(&self->txn));
    self->in_write = true;
    self->keys_changed = false;
    self->next_seq = self->head_seq;
    memcpy(self->next_hash, self->head_hash, JIFEN_HASH_LEN);
    return LEDGER_OK;
}

void ledger_write_abort(ledger *self)
{
    storage_txn_abort(&self->txn);
    self->in_write = false;
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

ledger_error ledger_write_commit(ledger *self)
{
    if (self->hook && self->next_seq != self->head_seq)
        self->hook(self->hook_ctx, &self->txn, self->head_seq, self->next_seq,
                   self->next_hash);
    uint8_t head[8 + JIFEN_HASH_LEN];
    storage_be64_put(head, self->next_seq);
    memcpy(head + 8, self->next_hash, JIFEN_HASH_LEN);
    storage_put(&self->txn, TABLE_META, META_HEAD, strlen(META_HEAD), head,
                sizeof head, STORAGE_PUT_OVERWRITE);
    storage_error e = storage_txn_commit(&self->txn);
    self->in_write = false;
    if (e) {
        rulebook_abort(self->book);
        return from_storage(self, e, storage_txn_strerror(&self->txn));
    }
    rulebook_commit(self->book); /* rule sets a PolicyLoad adopted */
    pthread_mutex_lock(&self->head_lock);
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
    uint8_t key[8];
    storage_val v;
    storage_be64_put(key, cmd->entry);
    storage_error e = storage_get(txn, TABLE_JOURNAL, key, sizeof key, &v);
    if (e == STORAGE_NOT_FOUND)
        return JIFEN_STATUS_OK;
    if (e != STORAGE_OK ||
        codec_entry_decode(v.data, v.len, &original, err, errlen) !=
            JIFEN_STATUS_OK) {
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
    memset(caller, 0, sizeof *caller);
    snprintf(caller->key, sizeof caller->key, "%s", z85);
    caller->role = rec.role;
    snprintf(caller->author, sizeof caller->author, "%s", rec.label);
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *cmd = &req->commands[i];
        if (!keys_role_may(rec.role, cmd->kind))
            return deny(err, errlen,
                        "command %zu (%s) is not allowed for a %s key", i + 1,
                        codec_command_name(cmd->kind),
                        jifen_role_name(rec.role));
        if (cmd->kind == JIFEN_CMD_REVERSE) {
            jifen_status st =
                check_reversal(txn, rec.role, cmd, i, err, errlen);
            if (st != JIFEN_STATUS_OK)
                return st;
        }
    }
    return JIFEN_STATUS_OK;
}

/* The query path's read transaction on the newest snapshot, lent as a
 * copy (its sticky error and all) and taken back by end_reader. */
static storage_error begin_reader(ledger *self, storage_txn *txn)
{
    storage_error e = STORAGE_FAILED;
    if (self->have_reader) {
        e = storage_txn_renew(&self->reader);
        if (e != STORAGE_OK)
            storage_txn_abort(&self->reader);
    }
    if (e != STORAGE_OK)
        e = storage_txn_begin(self->st, &self->reader, false);
    self->have_reader = e == STORAGE_OK;
    *txn = self->reader;
    return e;
}

static void end_reader(ledger *self, storage_txn *txn)
{
    self->reader = *txn;
    storage_txn_reset(&self->reader); /* read-only: nothing to commit */
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
    if (begin_reader(self, &txn) != STORAGE_OK) {
        snprintf(err, errlen, "%s", storage_txn_strerror(&txn));
        return JIFEN_STATUS_INTERNAL;
    }
    jifen_status st = authorize_in(&txn, z85, req, caller, err, errlen);
    end_reader(self, &txn);
    return st;
}

bool ledger_key_admitted(ledger *self, const char *z85)
{
    return keys_snapshot_has(&self->keys, z85);
}

/* --- the daemon's own writes: the timer ------------------------------------ */


ledger_error ledger_tick(ledger *self, int64_t now_ms)
{
    if (!self->timer_rescan && now_ms < self->timer_next_ms)
        return LEDGER_OK;
    ledger_error le = ledger_write_begin(self);
    if (le != LEDGER_OK)
        return le;
    uint64_t due[TICK_BATCH];
    size_t n = 0, n_lots = 0;
    int64_t next = INT64_MAX, next_lot = INT64_MAX;
    storage_error e =
        notice_due(&self->txn, now_ms, due, TICK_BATCH, &n, &next);
    const policy *pol = in_force(self, now_ms);
    for (size_t i = 0; e == STORAGE_OK && pol && i < n; i++)
        rules_release_one(self, pol, now_ms, due[i]);
    if (e == STORAGE_OK && pol && !self->txn.error)
        e = rules_expire_due(self, pol, now_ms, &n_lots, &next_lot);
    if (next_lot < next)
        next = next_lot;
    n += n_lots;
    if (e == STORAGE_OK)
        e = self->txn.error;
    if (e != STORAGE_OK || n == 0 || !pol) {
        ledger_write_abort(self);
        if (e != STORAGE_OK)
            return from_storage(self, e, storage_txn_strerror(&self->txn));
        self->timer_next_ms = next;
        self->timer_rescan = false;
        return LEDGER_OK;
    }
    le = ledger_write_commit(self);
    self->timer_rescan = true; /* find out when the next one is due */
    if (le == LEDGER_OK)
        log_info("timer: %zu notice(s) posted or lot(s) expired", n);
    return le;
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

storage_error ledger_read_entry(storage_txn *txn, uint64_t seq,
                                jifen_entry *out, bool with_text)
{
    uint8_t key[8];
    storage_val v;
    char why[128];
    storage_be64_put(key, seq);
    storage_error e = storage_get(txn, TABLE_JOURNAL, key, sizeof key, &v);
    if (e != STORAGE_OK)
        return e;
    jifen_status s =
        with_text ? codec_entry_decode_text(v.data, v.len, out, why, sizeof why)
                  : codec_entry_decode(v.data, v.len, out, why, sizeof why);
    return s == JIFEN_STATUS_OK ? STORAGE_OK : STORAGE_CORRUPT;
}

/* Puts back each result's postings from its journal entry. */
static storage_error refill_postings(storage_txn *txn, jifen_reply *reply)
{
    static jifen_entry entry; /* large; one writer thread, reused */
    for (size_t i = 0; i < reply->n_results; i++) {
        jifen_result *r = &reply->results[i];
        if (r->entry == 0)
            continue;
        storage_error e = ledger_read_entry(txn, r->entry, &entry, false);
        if (e != STORAGE_OK)
            return e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e;
        r->n_postings = entry.n_postings;
        memcpy(r->postings, entry.postings,
               entry.n_postings * sizeof *entry.postings);
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
        return from_storage(self, STORAGE_CORRUPT, "damaged request record");
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
        return from_storage(self, STORAGE_CORRUPT, "damaged stored reply");
    if (compact) {
        memcpy(reply->request_id, req->request_id, sizeof reply->request_id);
        storage_error e = refill_postings(&self->txn, reply);
        if (e != STORAGE_OK)
            return from_storage(self, e,
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
        return from_storage(self, STORAGE_FAILED, "out of memory");
    uint8_t *rec = malloc(JIFEN_HASH_LEN + compact + len);
    if (!rec) {
        free(bytes);
        return from_storage(self, STORAGE_FAILED, "out of memory");
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
    return from_storage(self, e, storage_txn_strerror(&self->txn));
}

/* Authorizes again inside the write transaction, in the serial order: a
 * key revoked by an earlier request of the same group is refused. Returns
 * false when the request must not be applied (reply->status says why). */
static bool authorized_in_write(ledger *self, const ledger_caller *caller,
                                const jifen_request *req,
                                ledger_caller *checked, jifen_reply *reply)
{
    if (caller->key[0] == '\0') {
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
    set_result(result, JIFEN_STATUS_NO_RULE_SET,
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

ledger_error ledger_apply(ledger *self, const jifen_request *req,
                          const uint8_t digest[JIFEN_HASH_LEN],
                          const ledger_caller *caller, int64_t now_ms,
                          jifen_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    snprintf(reply->request_id, sizeof reply->request_id, "%s",
             req->request_id);
    ledger_caller who;
    if (!authorized_in_write(self, caller, req, &who, reply))
        return self->txn.error ? from_storage(self, self->txn.error,
                                              storage_txn_strerror(&self->txn))
                               : LEDGER_OK;
    reply->status = JIFEN_STATUS_OK;
    free(self->reply_bytes); /* never another request's bytes */
    self->reply_bytes = NULL;
    self->reply_len = 0;

    storage_val stored;
    storage_error e = storage_get(&self->txn, TABLE_REQUESTS, req->request_id,
                                  strlen(req->request_id), &stored);
    if (e == STORAGE_OK)
        return replay_request(self, req, digest, &stored, reply);
    if (e != STORAGE_NOT_FOUND)
        return from_storage(self, e, storage_txn_strerror(&self->txn));

    reply->results = calloc(req->n_commands, sizeof *reply->results);
    if (!reply->results)
        return from_storage(self, STORAGE_FAILED, "out of memory");
    reply->n_results = req->n_commands;

    write_context ctx = {req->request_id, who.author, now_ms,
                         in_force(self, now_ms), &who};
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *cmd = &req->commands[i];
        jifen_result *result = &reply->results[i];
        if (!ctx.pol) {
            refuse_no_rules(result, now_ms);
            continue;
        }
        if (cmd->kind >= sizeof write_handlers / sizeof *write_handlers ||
            !write_handlers[cmd->kind]) {
            set_result(result, JIFEN_STATUS_BAD_REQUEST,
                       "command %zu is not a write", i + 1);
            continue;
        }
        self->before.household[0] = '\0'; /* nothing read yet */
        write_handlers[cmd->kind](self, &ctx, cmd, result);
        if (self->txn.error) {
            codec_reply_clear(reply);
            return from_storage(self, self->txn.error,
                                storage_txn_strerror(&self->txn));
        }
    }
    ledger_error le = remember_reply(self, req, digest, reply);
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

/* --- the read path -------------------------------------------------------- */

static void query_balance(storage_txn *txn, const jifen_command *cmd,
                          jifen_result *result)
{
    storage_error e = household_balance(txn, cmd->household, &result->balance);
    if (e == STORAGE_OK) {
        result->status = JIFEN_STATUS_OK;
        result->has_balance = true;
    } else if (e == STORAGE_NOT_FOUND) {
        set_result(result, JIFEN_STATUS_UNKNOWN_HOUSEHOLD,
                   "household %s is not registered", cmd->household);
    } else {
        set_result(result, JIFEN_STATUS_INTERNAL, "%s",
                   storage_txn_strerror(txn));
    }
}

static void query_history(storage_txn *txn, const jifen_command *cmd,
                          jifen_result *result)
{
    query_balance(txn, cmd, result);
    if (result->status != JIFEN_STATUS_OK)
        return;
    uint32_t limit = cmd->limit ? cmd->limit : JIFEN_HISTORY_DEFAULT;
    if (limit > JIFEN_HISTORY_MAX)
        limit = JIFEN_HISTORY_MAX;
    result->history = calloc(limit, sizeof *result->history);
    if (!result->history) {
        set_result(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    /* Newest first: seek just past this household's last key, step back. */
    uint8_t key[ACCOUNT_HISTORY_KEY_MAX];
    size_t klen = account_history_key(cmd->household, UINT64_MAX, key);
    size_t plen = klen - 8; /* the household's prefix */
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error e = storage_cursor_open(txn, TABLE_BALANCES, &c);
    if (e == STORAGE_OK) {
        e = storage_cursor_seek(c, key, klen, &k, NULL);
        e = storage_cursor_prev(c, &k, NULL);
    }
    char why[128];
    while (e == STORAGE_OK && result->n_history < limit && k.len == klen &&
           memcmp(k.data, key, plen) == 0) {
        const uint8_t *seq = (const uint8_t *)k.data + plen;
        if (storage_get(txn, TABLE_JOURNAL, seq, 8, &v) != STORAGE_OK ||
            codec_entry_decode(v.data, v.len,
                               &result->history[result->n_history], why,
                               sizeof why) != JIFEN_STATUS_OK) {
            set_result(result, JIFEN_STATUS_INTERNAL,
                       "entry %" PRIu64 " cannot be read",
                       storage_be64_get(seq));
            break;
        }
        result->n_history++;
        e = storage_cursor_prev(c, &k, NULL);
    }
    storage_cursor_close(&c);
}

const char *ledger_query_strerror(const ledger *self)
{
    return self->query_error;
}

static void query_keys(storage_txn *txn, jifen_result *result)
{
    storage_error e = keys_list(txn, &result->keys, &result->n_keys);
    if (e == STORAGE_OK && result->n_keys <= JIFEN_KEYS_MAX) {
        result->status = JIFEN_STATUS_OK;
        return;
    }
    codec_result_clear(result);
    set_result(result, JIFEN_STATUS_INTERNAL, "the key table: %s",
               e != STORAGE_OK ? storage_strerror(e)
                               : "too many keys to list in one reply");
}

/* The rule sets are configuration, not ledger state: no transaction. */
static void query_policy(ledger *self, const jifen_command *cmd,
                         jifen_result *result)
{
    ruleset_describe(rulebook_current(self->book), cmd->name, clock_now_ms(),
                     result);
}

ledger_error ledger_query(ledger *self, const jifen_request *req,
                          jifen_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    snprintf(reply->request_id, sizeof reply->request_id, "%s",
             req->request_id);
    reply->status = JIFEN_STATUS_OK;
    reply->results = calloc(req->n_commands, sizeof *reply->results);
    if (!reply->results) {
        snprintf(self->query_error, sizeof self->query_error,
                 "out of memory");
        return LEDGER_FAILED;
    }
    reply->n_results = req->n_commands;

    storage_txn txn;
    storage_error e = begin_reader(self, &txn);
    if (e) {
        codec_reply_clear(reply);
        snprintf(self->query_error, sizeof self->query_error, "%s",
                 storage_txn_strerror(&txn));
        return LEDGER_FAILED;
    }
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *cmd = &req->commands[i];
        jifen_result *result = &reply->results[i];
        switch (cmd->kind) {
        case JIFEN_CMD_BALANCE:
            query_balance(&txn, cmd, result);
            break;
        case JIFEN_CMD_HISTORY:
            query_history(&txn, cmd, result);
            break;
        case JIFEN_CMD_VERIFY:
            verify_ledger(&txn, &result->verify);
            result->has_verify = true;
            result->status = JIFEN_STATUS_OK;
            break;
        case JIFEN_CMD_KEY_LIST:
            query_keys(&txn, result);
            break;
        case JIFEN_CMD_POLICY:
            query_policy(self, cmd, result);
            break;
        case JIFEN_CMD_NOTICES:
            rules_query_notices(&txn, cmd, result);
            break;
        case JIFEN_CMD_REPORT: {
            int64_t now = clock_now_ms();
            const policy *pol = in_force(self, now);
            reports_run(&txn, cmd, pol ? pol : &self->pol, now, result);
            break;
        }
        default:
            set_result(result, JIFEN_STATUS_BAD_REQUEST,
                       "command %zu is not a query", i + 1);
        }
    }
    end_reader(self, &txn);
    return LEDGER_OK;
}

ledger_error ledger_verify(ledger *self, jifen_verify_report *report)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(self->st, &txn, false);
    if (e)
        return from_storage(self, e, storage_txn_strerror(&txn));
    verify_ledger(&txn, report);
    storage_txn_abort(&txn);
    return LEDGER_OK;
}

/* --- replication ---------------------------------------------------------- */

/* The entry a replicated reversal reverses, or NULL when it is not here
 * (the chain check in ledger_replicate has the last word). */
static const jifen_entry *replicated_original(ledger *self, uint64_t seq)
{
    static jifen_entry e; /* large; one writer thread, reused */
    return ledger_read_entry(&self->txn, seq, &e, false) == STORAGE_OK ? &e
                                                                       : NULL;
}

/* The rule set an entry was written under: the version it names, else the
 * one in force at its time (a replica is given the primary's --policy
 * files; docs/operations.md). */
static const policy *replicated_policy(ledger *self, const jifen_entry *e)
{
    const ruleset *rules = rulebook_for_write(self->book);
    const policy *pol = ruleset_find(rules, e->policy);
    if (!pol)
        pol = ruleset_at(rules, e->time_ms);
    return pol ? pol : &self->pol;
}

/* The policy's derived state in the meta table, as the write path left it
 * on the primary (ledger_rules.c). */
static void replicate_rules(ledger *self, const jifen_entry *e,
                            const jifen_entry *original,
                            char household[JIFEN_HOUSEHOLD_MAX + 1])
{
    household_record h;
    memset(&h, 0, sizeof h);
    if (e->command.kind == JIFEN_CMD_AWARD) {
        storage_error he = get_household(&self->txn, e->command.household, &h);
        if (he != STORAGE_OK && !self->txn.error)
            self->txn.error = he == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : he;
    }
    rules_replicate(self, replicated_policy(self, e), e, original, h.name,
                    household);
}

static ledger_error replicate_entry(ledger *self, const jifen_entry *e,
                                   const uint8_t *stored, size_t len,
                                   char *err, size_t errlen);

ledger_error ledger_replicate(ledger *self, const uint8_t *stored, size_t len,
                              char *err, size_t errlen)
{
    static jifen_entry e; /* large; one writer thread, reused */
    char why[160];
    if (codec_entry_decode_text(stored, len, &e, why, sizeof why) !=
        JIFEN_STATUS_OK) {
        snprintf(err, errlen, "entry %" PRIu64 " does not decode: %s",
                 self->next_seq + 1, why);
        return LEDGER_FAILED;
    }
    ledger_error le = replicate_entry(self, &e, stored, len, err, errlen);
    free(e.command.text);
    e.command.text = NULL;
    return le;
}

static ledger_error replicate_entry(ledger *self, const jifen_entry *e,
                                   const uint8_t *stored, size_t len,
                                   char *err, size_t errlen)
{
    uint8_t hash[JIFEN_HASH_LEN];
    /* The chain, re-checked: a replica never takes an entry that does not
     * follow its own head. */
    if (e->seq != self->next_seq + 1 ||
        memcmp(e->prev_hash, self->next_hash, JIFEN_HASH_LEN) != 0) {
        snprintf(err, errlen, "entry %" PRIu64 " does not follow entry %" PRIu64
                 " here: %s", e->seq, self->next_seq,
                 e->seq != self->next_seq + 1 ? "out of sequence"
                                              : "previous hash differs");
        return LEDGER_FAILED;
    }
    if (e->command.kind == JIFEN_CMD_HOUSEHOLD_ADD)
        put_household(self, e->seq, &e->command);
    if (e->command.kind == JIFEN_CMD_POLICY_LOAD &&
        adopt_replicate(self, e, err, errlen) != 0)
        return LEDGER_FAILED;
    if (e->command.kind == JIFEN_CMD_KEY_ENROL) {
        index_key_enrol(self, e->seq, &e->command);
    } else if (e->command.kind == JIFEN_CMD_KEY_REVOKE) {
        /* The primary revokes only enrolled, unrevoked keys: anything else
         * here means the replicated key table differs from the primary's. */
        keys_record rec;
        storage_error ke = keys_get(&self->txn, e->command.key, &rec);
        if (ke == STORAGE_OK && !rec.revoked) {
            index_key_revoke(self, e->seq, e->command.key, &rec);
        } else if (ke == STORAGE_OK || ke == STORAGE_NOT_FOUND) {
            snprintf(err, errlen,
                     "entry %" PRIu64 " revokes key %s, which is not "
                     "enrolled here",
                     e->seq, e->command.key);
            return LEDGER_FAILED;
        } else if (!self->txn.error) {
            self->txn.error = ke;
        }
    }
    /* As cmd_reverse does: a reversal is filed under its original's
     * household (a stored Reverse command does not carry it). */
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    memcpy(household, e->command.household, sizeof household);
    const jifen_entry *original = NULL;
    if (e->reverses) {
        uint8_t key[8], rev[8];
        storage_be64_put(key, e->reverses);
        storage_be64_put(rev, e->seq);
        storage_put(&self->txn, TABLE_REVERSALS, key, sizeof key, rev,
                    sizeof rev, STORAGE_PUT_NEW);
        original = replicated_original(self, e->reverses);
        if (original && entry_household(original))
            memcpy(household, original->command.household, sizeof household);
        else
            household[0] = '\0';
    }
    replicate_rules(self, e, original, household);
    index_entry(self, e->seq, stored, len, household, e->postings,
                e->n_postings);
    if (self->txn.error)
        return from_storage(self, self->txn.error,
                            storage_txn_strerror(&self->txn));
    self->next_seq = e->seq;
    hash_sha256(stored, len, hash);
    memcpy(self->next_hash, hash, JIFEN_HASH_LEN);
    return LEDGER_OK;
}
