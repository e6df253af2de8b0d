/*
 * ledger - the double-entry ledger of points and fees: the domain rules of
 * accounting model (README.md, docs/policy.md) on top of storage, policy
 * and the codec. docs/architecture.md shows how it is built.
 *
 * Write path (group commit): the server opens one write transaction, applies
 * every waiting write request in it, commits once, then replies to all of
 * them. A domain refusal (not enough points, unknown household, ...) is
 * decided before anything is written, so it never leaves a partial command
 * behind. A storage failure poisons the whole transaction: the server
 * aborts, fixes what it can (grows the map) and replays the group.
 *
 * Accounts, and which side their balance is on:
 *   household/<code>/points        credit balance: the household's points
 *   household/<code>/fee           debit balance: fee due (credit: prepaid)
 *   household/<code>/pending       credit balance: awards under public
 *                                  notice (notice.h), not spendable
 *   community/points-issued        source of awards
 *   community/points-deducted      sink of deductions
 *   community/points-redeemed      sink of redemptions
 *   community/points-expired       sink of expired points (expiry.h)
 *   community/fee-income           credited by bills
 *   community/cash                 debited by payments
 *   community/points-offset        what the funder owes for redeemed points
 */
#ifndef JIFEN_LEDGER_H
#define JIFEN_LEDGER_H

#include "jifen_types.h"
#include "policy.h"
#include "storage.h"
#include "ruleset.h"

typedef struct ledger ledger;

typedef enum {
    LEDGER_OK = 0,
    LEDGER_FULL,     /* map and growth limit reached, or disk full */
    LEDGER_IO,       /* I/O error: the daemon must stop */
    LEDGER_FAILED,   /* other storage failure */
} ledger_error;

typedef struct {
    size_t map_size;     /* initial map size in bytes */
    size_t map_max;      /* largest the map may grow to */
    /* No Merkle tree (config merkle_tree = off; for benchmarks): entries
     * are appended without it, checkpoints are jifen-cp1 lines and proofs
     * are refused. The next open with the tree on builds what is missing. */
    bool merkle_off;
    /* The operator's rule sets (the --policy files; copied), or NULL for
     * `pol` alone. Besides the first ledger_use_rules, they judge the
     * entries of earlier releases when an older ledger is migrated. */
    const ruleset *rules;
    /* Called now and then during a migration, on the thread that opens:
     * entries done of total (a terminal shows it); NULL: nothing. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* The service's own ledger (docs/communities.md): its journal holds
     * communities created and closed and the service's keys, nothing
     * else; a community's ledger refuses those commands. */
    bool service;
} ledger_options;

/* Opens the ledger in `dir` (which must exist) with `pol` as its default
 * rule set, which the caller keeps alive until ledger_close (a service
 * shares one among its communities). A
 * ledger of an earlier format is migrated first: its derived state is
 * rebuilt from its journal by this release's apply path (docs/
 * operations.md, "Upgrading"); the journal, its chain and head stay as
 * they are. LEDGER_OK, or an error with the reason in err. */
ledger_error ledger_open(ledger **out, const char *dir, const policy *pol,
                         const ledger_options *opts, char *err, size_t errlen);
void ledger_close(ledger **self_p);

/* --- callers ------------------------------------------------------------- */

/* Who sends a request: an enrolled key (from ZAP's User-Id) with its role
 * and label, or the local operator (key ""), who is checked by nobody: that
 * is jifend run by hand on the server machine (--enrol-admin) and tests. */
typedef struct {
    char key[JIFEN_KEY_Z85_LEN + 1];
    jifen_role role;
    char author[JIFEN_AUTHOR_MAX + 1]; /* the key's label */
    /* A key of the service, authorized by the service (service.h) for this
     * community: the community's own key table does not hold it, so the
     * ledger does not look it up again inside the write transaction. */
    bool of_service;
} ledger_caller;

/* Decides whether the key `z85` may send `req` now, against the committed
 * state: the key must be enrolled and not revoked, its role must allow every
 * command (keys.h), and a reversal must be of an entry its role may write.
 * JIFEN_STATUS_OK with *caller filled, FORBIDDEN with the reason in err, or
 * INTERNAL. Server thread only (it uses a read transaction). */
jifen_status ledger_authorize(ledger *self, const char *z85,
                              const jifen_request *req, ledger_caller *caller,
                              char *err, size_t errlen);

/* Authorizes a key the ledger does not hold, with `role` and `label` given
 * (a key of the service, whose scope the service checked): the role matrix
 * and the reversal rule against this ledger. As ledger_authorize. */
jifen_status ledger_authorize_as(ledger *self, const char *z85,
                                 jifen_role role, const char *label,
                                 const jifen_request *req,
                                 ledger_caller *caller, char *err,
                                 size_t errlen);

/* True when z85 is an enrolled, unrevoked key: what the ZAP handler asks.
 * Reads an in-memory snapshot; safe from any thread. */
bool ledger_key_admitted(ledger *self, const char *z85);
/* From now on each write uses the rule set in force at its time, from
 * `rules` (copied) and the rule sets adopted in the ledger (PolicyLoad;
 * where both have a version, the ledger's applies), instead of the policy
 * given to ledger_open. No write transaction may be open. 0, or -1 with
 * why in err (two rule sets take effect at the same time, ...). */
int ledger_use_rules(ledger *self, const ruleset *rules, char *err,
                     size_t errlen);

/* The same for a change of the operator's files while serving (SIGHUP):
 * refused (-1, why in err, nothing changed) unless it keeps history intact
 * at now_ms (ruleset_check_successor). */
int ledger_replace_rules(ledger *self, const ruleset *rules, int64_t now_ms,
                         char *err, size_t errlen);

/* The rule sets in use; valid until the ledger is closed. Any thread. */
const ruleset *ledger_rules(const ledger *self);

/* --- write path ---------------------------------------------------------- */

ledger_error ledger_write_begin(ledger *self);

/* Applies one decoded write request in the open transaction. `digest` is
 * codec_request_digest of it. Fills reply->results (n_commands of them,
 * malloc'd; free with codec_reply_clear), or for an idempotent retry the
 * stored original reply with OK turned into EXISTS, or ID_CONFLICT. A caller
 * with a key is authorized again inside the transaction (a revocation
 * earlier in the same group counts): when refused, the reply is FORBIDDEN
 * and nothing is written. Returns LEDGER_OK, or a storage error that
 * poisoned the transaction (the reply is then cleared). */
ledger_error ledger_apply(ledger *self, const jifen_request *req,
                          const uint8_t digest[JIFEN_HASH_LEN],
                          const ledger_caller *caller, int64_t now_ms,
                          jifen_reply *reply);

/* The encoded reply of the request ledger_apply just applied for the first
 * time (the bytes it stored for idempotent retries), for the server to send
 * as they are; the caller frees them. NULL when the last call replayed or
 * failed: then encode the reply struct. */
void ledger_take_reply_bytes(ledger *self, uint8_t **bytes, size_t *len);

/* Commits. On failure nothing of the group is kept (the in-memory chain
 * head is rolled back too). */
ledger_error ledger_write_commit(ledger *self);
void ledger_write_abort(ledger *self);

/* Replication and rebuilds: appends an entry as stored elsewhere (by the
 * primary, or in the journal being rebuilt) in the open write transaction,
 * after checking that it follows the chain head (sequence and previous
 * hash), and applies it with the primary's own apply path. LEDGER_OK, or
 * LEDGER_FAILED with the reason in err (the entry does not decode, does
 * not follow, or does not fit the state here: the transaction must be
 * aborted), or a storage error that poisoned the transaction. */
ledger_error ledger_replicate(ledger *self, const uint8_t *stored, size_t len,
                              char *err, size_t errlen);

/* Grows the map after LEDGER_FULL, with no transaction active. LEDGER_OK
 * when there is more room now. */
ledger_error ledger_grow(ledger *self);

/* The author of the entries jifend writes by itself (notice releases). */
#define LEDGER_DAEMON_AUTHOR "jifend"

/* A new community's first entry: its founding rule set (the canonical text
 * of a policy file), adopted from the beginning, written by jifend at
 * now_ms in a transaction of its own. Only on an empty ledger. 0, or -1
 * with why in err. */
int ledger_found(ledger *self, const char *text, int64_t now_ms, char *err,
                 size_t errlen);

/* The number of entries (the committed head). */
uint64_t ledger_entries(ledger *self);

/* Does, with no client asking, what is due at now_ms: posts the awards whose
 * public notice has ended (notice.h), in a write transaction of its own,
 * between group commits. Cheap when nothing is due (no transaction). A
 * crash at any point leaves each notice either decided with its entry or
 * open, so the next tick neither skips nor repeats one. LEDGER_OK or a
 * storage error (LEDGER_FULL: grow and it is retried on the next tick). */
ledger_error ledger_tick(ledger *self, int64_t now_ms);

/* Whether ledger_tick has work at now_ms (cheap; false for a ledger whose
 * timer waits for a later time). Call it only while no other thread writes
 * to the ledger. */
bool ledger_timer_due(const ledger *self, int64_t now_ms);

/* Reason for the last storage failure. */
const char *ledger_strerror(const ledger *self);

/* --- read path ----------------------------------------------------------- */

/* Answers a query-only request in its own read transaction (readers never
 * block the writer). Fills reply->results. It may run on one thread while
 * the write path runs on another, but on one thread at a time: it reuses
 * one read transaction. Its failures are told by ledger_query_strerror. */
ledger_error ledger_query(ledger *self, const jifen_request *req,
                          jifen_reply *reply);
const char *ledger_query_strerror(const ledger *self);

/* The same in a read transaction of the caller's own, begun on
 * ledger_storage(self): any thread, as many at once as there are threads
 * (daemon/querypool.c). LEDGER_OK, or LEDGER_FAILED when memory ran out
 * (nothing in reply). */
ledger_error ledger_query_txn(ledger *self, storage_txn *txn,
                              const jifen_request *req, jifen_reply *reply);

/* Recomputes the hash chain and replays every posting, comparing with the
 * stored balances and the invariants of the accounting model (README.md):
 * per asset debits = credits, no household points below zero, pending
 * accounts = open notices, lots = points. */
ledger_error ledger_verify(ledger *self, jifen_verify_report *report);

/* Called inside every write transaction that added entries, just before
 * it commits, with the head before (from_seq) and after (seq, hash): what
 * it writes in `txn` commits atomically with the entries (signed
 * checkpoints use it). A failed write poisons the transaction as usual. */
typedef void (*ledger_commit_hook)(void *ctx, storage_txn *txn,
                                   uint64_t from_seq, uint64_t seq,
                                   const uint8_t hash[JIFEN_HASH_LEN]);
void ledger_set_commit_hook(ledger *self, ledger_commit_hook hook, void *ctx);

/* The storage underneath, for read-only queries of other modules (stats,
 * checkpoints). */
storage *ledger_storage(ledger *self);

/* The committed chain head: number of entries and hash of the last. */
void ledger_head(ledger *self, uint64_t *seq, uint8_t hash[JIFEN_HASH_LEN]);

/* --- publishing to a stream (outbox.h) ------------------------------------ */

/* The outbox's state for this ledger (NULL: not published). */
void ledger_set_outbox(ledger *self, void *box);
void *ledger_outbox(const ledger *self);

/* The "published up to" mark: the last entry the stream acknowledged, as
 * this ledger last recorded it (0 at first). The journal after it is the
 * outbox. ledger_note_published records a newer one, written with the next
 * write transaction (the stream itself, not the mark, is what a restart
 * checks: the mark may lag by a group). Any thread. */
uint64_t ledger_published(ledger *self);
void ledger_note_published(ledger *self, uint64_t seq);

#endif
