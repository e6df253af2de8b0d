/*
 * ledger_internal - the ledger's own modules and what they share; nobody
 * outside daemon/ledger*.c, decide.c, apply.c, timer.c, query.c, adopt.c,
 * migrate.c, rebuild.c and the desk's desk*.c includes it.
 *
 * The write path is two steps (docs/architecture.md):
 *
 *   decide (decide.c, timer.c, adopt.c): reads the ledger and the rule set
 *     in force, and either refuses the command or fills in the complete
 *     entry it makes: command as applied, postings, and every effect that
 *     depends on the rule set (notice window, approval, expiry date,
 *     suspension). It writes nothing.
 *
 *   apply (apply.c): appends one entry and writes every piece of derived
 *     state from the entry and the state before it alone: balances, the
 *     history index, households, notices, point lots, counters, sanctions,
 *     keys, rule sets. The primary, a replica and a rebuild all call it, so
 *     no state is derived a second way.
 *
 * Dependencies run one way: ledger.c -> decide/timer/query/adopt -> apply
 * -> the domain modules (notice, lots, counters, sanction, keys, rulebook)
 * -> storage, journal. apply.c never calls a decision.
 */
#ifndef JIFEN_LEDGER_INTERNAL_H
#define JIFEN_LEDGER_INTERNAL_H

#include "accounts.h"
#include "keys.h"
#include "ledger.h"
#include "merkle_store.h"
#include "rulebook.h"
#include "storage.h"

#include <pthread.h>

#define TICK_BATCH 256 /* timer work per tick; more waits for the next turn */

/* A household's registration record (keyspace.h: TABLE_HOUSEHOLDS). */
typedef struct {
    uint64_t registered; /* entry that registered it */
    uint32_t area_centi_m2;
    char name[JIFEN_NAME_MAX + 1];
} household_record;

/* The account totals of one write transaction (totals.c): read once,
 * added to in memory, written back at the commit. */
#define TOTALS_SLOTS 64 /* a power of two */
#define TOTALS_PROBE 8  /* slots looked at from an account's home */

typedef struct {
    char name[JIFEN_ACCOUNT_MAX];
    size_t len;
    account_totals t;
    bool used, dirty;
} totals_slot;

typedef struct {
    totals_slot slots[TOTALS_SLOTS];
} totals_cache;

/* What the writer works with inside one write transaction (see
 * ledger.w): the entry being decided, an original a reversal reads, a
 * decoded replicated entry, a parsed rule set and its canonical text. */
typedef struct {
    jifen_entry draft;
    jifen_entry original;
    jifen_entry replicated;
    policy scratch_policy;
    char scratch_text[JIFEN_RULE_SET_LOAD_MAX + 1]; /* a canonical rule set */
    /* The household balance a decision read for the command being decided,
     * so that the balance after it is computed from its postings instead
     * of read again; valid for that one command only. */
    jifen_balance before;
    totals_cache totals; /* every account read or posted to */
} ledger_scratch;

struct ledger {
    storage *st;
    /* The default rule set (ledger_open's: the caller keeps it alive, one
     * for every ledger of a service), for a time no rule set of the book
     * is in force at. */
    const policy *pol;
    /* The rule sets, by time (ledger_open starts it with pol, or the
     * options' rule sets, and the ones adopted in the ledger). */
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
    /* Scratch of the writer, allocated by ledger_write_begin and freed at
     * the commit or abort: some 60 KB a ledger would otherwise hold for
     * good, which a service of a thousand communities, few of them
     * written at any one time, does not keep resident. */
    ledger_scratch *w;
    /* The stored (and to be sent) encoding of the last applied reply, when
     * it was stored whole (remember_reply). */
    uint8_t *reply_bytes;
    size_t reply_len;
    /* The on-time timer's place in the month it is judging (desk_ontime.c):
     * in memory only; after a restart it starts the month again and the
     * awards already made (derived state) are skipped. */
    char ontime_period[JIFEN_PERIOD_LEN + 1];
    char ontime_after[JIFEN_HOUSEHOLD_MAX + 1];
    keys_snapshot keys; /* active keys, for the ZAP handler's thread */
    bool keys_changed;  /* the write transaction enrolled or revoked */
    /* The Merkle tree's right edge as the last append left it
     * (merkle_store.h); forgotten when a write transaction aborts. */
    merkle_edge tree_edge;
    bool service;       /* the service's own ledger (ledger_options) */
    void *outbox;       /* ledger_set_outbox */
    /* The published-up-to mark (under head_lock): as stored, and the
     * newest noted, written with the next write transaction. */
    uint64_t published_stored, published_noted;
};

/* What one write command is decided with. */
typedef struct {
    const char *request_id;
    const char *author;
    int64_t now_ms;
    const policy *pol; /* the rule set in force at now_ms */
    /* The key that sent the request; NULL for the daemon's own entries
     * (notice releases, expiry), which no key writes. */
    const ledger_caller *caller;
} write_context;

/* --- ledger.c ---------------------------------------------------------------- */

/* A storage failure as the ledger reports it: the reason kept for
 * ledger_strerror, and LEDGER_FULL, LEDGER_IO or LEDGER_FAILED. */
ledger_error ledger_fail(ledger *self, storage_error e, const char *reason);
void ledger_set_result(jifen_result *r, jifen_status status, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));
/* The reason an entry does not apply, into err; returns -1 (apply's
 * refusal: ledger_internal.h, apply_entry). */
int ledger_refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* snprintf(dst, cap, "%s", src) without the format machinery, which showed
 * in the write path's profile. */
void ledger_copy_text(char *dst, size_t cap, const char *src);
void ledger_make_posting(jifen_posting *p, jifen_asset asset, const char *debit,
                         const char *credit, uint64_t amount);
/* The rule set in force at ms for the next write, or NULL before the first. */
const policy *ledger_in_force(const ledger *self, int64_t ms);

/* Finishes self->draft (seq, previous hash, time, ids, author, rule set,
 * format), encodes it, applies it (apply.c) and moves the chain head in the
 * transaction; fills result (status OK, entry, postings, the household's
 * balance after it). Storage errors land in the txn's sticky error. */
void ledger_post_draft(ledger *self, const write_context *ctx,
                       jifen_result *result);

/* --- state readers (ledger.c), for decisions and queries -------------------- */

storage_error ledger_get_totals(storage_txn *txn, const char *account,
                                account_totals *t);
storage_error ledger_get_household(storage_txn *txn, const char *code,
                                   household_record *h);
/* Several accounts' totals at once, their names in ascending order (at
 * most LEDGER_SORTED_MAX): one cursor walk (storage_get_sorted). */
#define LEDGER_SORTED_MAX 4
storage_error ledger_get_totals_sorted(storage_txn *txn,
                                       const char *const *accounts, size_t n,
                                       account_totals *t);
/* Points, pending points and fee due of a household, as seen in txn;
 * the writer passes its totals (NULL: read from txn alone). */
storage_error ledger_household_balance(storage_txn *txn, totals_cache *cache,
                                       const char *code, jifen_balance *b);
/* An account's totals inside the write transaction (through its totals). */
storage_error ledger_totals(ledger *self, const char *account,
                            account_totals *t);

/* --- totals.c ---------------------------------------------------------------- */

void totals_init(totals_cache *c);
storage_error totals_get(totals_cache *c, storage_txn *txn,
                         const char *account, account_totals *t);
/* The same for accounts in ascending order (ledger_get_totals_sorted):
 * those not kept are read in one walk. */
storage_error totals_get_sorted(totals_cache *c, storage_txn *txn,
                                const char *const *accounts, size_t n,
                                account_totals *t);
/* Adds to an account's totals (kept until totals_flush). */
storage_error totals_add(totals_cache *c, storage_txn *txn,
                         const char *account, uint64_t debit, uint64_t credit);
/* Puts every account changed since totals_init: before the commit. */
void totals_flush(totals_cache *c, storage_txn *txn);

/* --- search.c ---------------------------------------------------------------- */

/* The household search query (issue 17), in a read transaction. */
void search_households(storage_txn *txn, const jifen_command *cmd,
                       jifen_result *result);

/* --- decide.c ---------------------------------------------------------------- */

/* Decides one client write command and, unless refused, posts its entry
 * (ledger_post_draft). */
void decide_command(ledger *self, const write_context *ctx,
                    const jifen_command *cmd, jifen_result *result);

/* What decide.c lends the other decisions (desk.c; issue 15's committee.c
 * and supermarket.c): the draft emptied for a command as applied, a
 * posting, the household (refused when unknown), enough points, a
 * redemption suspension, the yearly redemption cap, and a storage failure
 * poisoning the transaction; each as decide.c's own decisions use it. */
jifen_entry *decide_new_draft(ledger *self, const jifen_command *cmd);
void decide_add_posting(jifen_entry *e, jifen_asset asset, const char *debit,
                        const char *credit, uint64_t amount);
bool decide_need_household(ledger *self, const char *code, jifen_balance *b,
                           jifen_result *result);
bool decide_enough_points(const jifen_balance *b, uint64_t points,
                          jifen_result *result);
bool decide_redemption_suspended(ledger *self, const write_context *ctx,
                                 const char *household, jifen_result *result);
jifen_status decide_redeem_cap(ledger *self, const write_context *ctx,
                               const char *household, uint64_t points,
                               jifen_result *result);
void decide_failed(ledger *self, storage_error e);

/* --- committee.c, supermarket.c (issue 15, docs/committee.md) --------------- */

/* The decisions, one per command (decide.c's table names them). */
#define ISSUE15_DECISION(name)                                                 \
    void name(ledger *self, const write_context *ctx,                          \
              const jifen_command *cmd, jifen_result *result)
ISSUE15_DECISION(committee_decide_member_set);
ISSUE15_DECISION(committee_decide_proxy_consent);
ISSUE15_DECISION(committee_decide_opening);
ISSUE15_DECISION(committee_decide_passbook_mark);
ISSUE15_DECISION(supermarket_decide_item_set);
ISSUE15_DECISION(supermarket_decide_stock_change);
ISSUE15_DECISION(supermarket_decide_goods_redeem);
ISSUE15_DECISION(supermarket_decide_pickup);
ISSUE15_DECISION(supermarket_decide_funder_settle);
/* An award's guards beyond the household and the rule set: no suspension
 * of awards, the member present, the proxy consented (*consent: its
 * entry), the event not awarded to the household yet. False with the
 * refusal in result. */
bool committee_award_guards(ledger *self, const write_context *ctx,
                            const jifen_command *cmd, uint64_t *consent,
                            jifen_result *result);
/* cmd's member and proxy in `household`: present, and the proxy
 * consented (*consent: the entry; 0 without a proxy). */
bool committee_acting(ledger *self, const char *household,
                      const jifen_command *cmd, uint64_t *consent,
                      jifen_result *result);
/* A reversal of a goods redemption: refused once the goods were handed
 * over. */
bool supermarket_reversible(ledger *self, const jifen_entry *original,
                            jifen_result *result);

/* Applying issue 15's entries (household: what the entry is filed under),
 * an award's event, and what undoing an award, a redemption of goods or an
 * opening balance puts back. 0, or -1 with why in err, as apply_entry. */
int committee_apply_member_set(ledger *self, const jifen_entry *e, char *err,
                               size_t errlen);
int committee_apply_proxy_consent(ledger *self, const jifen_entry *e,
                                  char *err, size_t errlen);
int committee_apply_passbook_mark(ledger *self, const jifen_entry *e,
                                  char *err, size_t errlen);
int committee_apply_opening(ledger *self, const jifen_entry *e);
int supermarket_apply_item_set(ledger *self, const jifen_entry *e, char *err,
                               size_t errlen);
int supermarket_apply_stock_change(ledger *self, const jifen_entry *e,
                                   char *err, size_t errlen);
int supermarket_apply_goods_redeem(ledger *self, const jifen_entry *e,
                                   char *err, size_t errlen);
/* A pickup is filed under its redemption's household (into household). */
int supermarket_apply_pickup(ledger *self, const jifen_entry *e,
                             char household[JIFEN_HOUSEHOLD_MAX + 1],
                             char *err, size_t errlen);
int committee_apply_award(ledger *self, const jifen_entry *e, char *err,
                          size_t errlen);
/* A reversed or voided award frees its event for the household. */
void committee_award_undone(ledger *self, const jifen_entry *award);
int committee_apply_reverse(ledger *self, const jifen_entry *original,
                            char *err, size_t errlen);
int supermarket_apply_reverse(ledger *self, const jifen_entry *original,
                              uint64_t reversal, char *err, size_t errlen);

/* --- adopt.c ----------------------------------------------------------------- */
/* --- adopt.c, community.c ------------------------------------------------------- */

/* CommunityCreate / CommunityClose in the service's ledger. */
void community_decide(ledger *self, const write_context *ctx,
                      const jifen_command *cmd, jifen_result *result);
int community_apply(ledger *self, const jifen_entry *e, char *err,
                    size_t errlen);
/* Parses a rule set's text and writes its canonical form into
 * self->scratch_text (valid until the next call); the policy in
 * self->scratch_policy. 0, or -1 with why in err. */
int adopt_canonical(ledger *self, const char *text, char *err, size_t errlen);

/* PolicyLoad: parses, checks against history and drafts the entry with the
 * canonical text (in self->scratch text, valid until the next call). */
void adopt_decide(ledger *self, const write_context *ctx,
                  const jifen_command *cmd, jifen_result *result);
/* Applying an adoption: the rule set read back from the entry's text
 * staged for the transaction, and its adoption record. 0, or -1 with why
 * in err. */
int adopt_apply(ledger *self, const jifen_entry *e, char *err, size_t errlen);
/* Puts every rule set adopted in the ledger into `into`, in place of a
 * file's of the same version (the ledger's is the adopted one). 0, or -1
 * with why in err. */
int adopt_merge_stored(storage_txn *txn, ruleset *into, char *err,
                       size_t errlen);

/* --- apply.c ----------------------------------------------------------------- */

/* Appends entry e (stored[len] its encoding) in the open write
 * transaction and writes every piece of derived state it implies.
 * `household` receives the household the entry is filed under ("" for
 * none). 0; or -1 with why in err when the entry does not fit the state
 * before it (a replica's primary diverged: nothing of it may be kept, the
 * caller aborts); storage errors land in the txn's sticky error. */
int apply_entry(ledger *self, const jifen_entry *e, const uint8_t *stored,
                size_t len, char household[JIFEN_HOUSEHOLD_MAX + 1],
                char *err, size_t errlen);

/* --- timer.c ----------------------------------------------------------------- */

/* The timer has work at ms (it only ever moves earlier). */
void ledger_timer_due_by(ledger *self, int64_t ms);

/* --- query.c ----------------------------------------------------------------- */

/* The query path's read transaction on the newest snapshot, lent as a
 * copy (its sticky error and all) and taken back by ledger_end_reader. */
storage_error ledger_begin_reader(ledger *self, storage_txn *txn);
void ledger_end_reader(ledger *self, storage_txn *txn);

/* --- migrate.c --------------------------------------------------------------- */

/* Moves an older ledger in dir to this release's format before it is
 * opened for use (format 1 -> 2 -> 3); nothing when it is current. 0, or
 * -1 with why in err. `rules` judge the entries written before format 3. */
int migrate_ledger(const char *dir, const ledger_options *opts,
                   const ruleset *rules, char *err, size_t errlen);

#endif
