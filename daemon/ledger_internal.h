/*
 * ledger_internal - what ledger.c and ledger_rules.c share, and nobody
 * else: the write context, a few primitives of the write path, and the
 * rules of the points policy (caps, public notice, expiry, sanctions,
 * settlement) that ledger.c's command handlers call.
 *
 * Kept out of ledger.c so that the accounting core stays small and the
 * policy work lives in its own module (ledger_rules.c); everything here
 * runs on the single writer thread, inside its open write transaction.
 */
#ifndef JIFEN_LEDGER_INTERNAL_H
#define JIFEN_LEDGER_INTERNAL_H

#include "accounts.h"
#include "ledger.h"
#include "notice.h"
#include "rulebook.h"
#include "storage.h"

#define TICK_BATCH 256 /* timer work per tick; more waits for the next turn */

/* What one write command is applied with. */
typedef struct {
    const char *request_id;
    const char *author;
    int64_t now_ms;
    const policy *pol; /* the rule set in force at now_ms */
    /* The key that sent the request; NULL for the daemon's own entries
     * (notice releases, expiry), which no key writes. */
    const ledger_caller *caller;
} write_context;

/* --- ledger.c, for ledger_rules.c ------------------------------------------
 */

storage_txn *ledger_txn(ledger *self);
void ledger_set_result(jifen_result *r, jifen_status status, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));
storage_error ledger_get_totals(ledger *self, const char *account,
                                account_totals *t);
void ledger_make_posting(jifen_posting *p, jifen_asset asset, const char *debit,
                         const char *credit, uint64_t amount);
/* Appends an entry with its postings (see post_entry in ledger.c). */
void ledger_post_entry(ledger *self, const write_context *ctx,
                       const jifen_command *cmd, const char *household,
                       const jifen_posting *postings, size_t n_postings,
                       uint64_t reverses, jifen_result *result);
/* The timer has work at ms (it only ever moves earlier). */
void ledger_timer_due_by(ledger *self, int64_t ms);
/* Entry `seq` of the journal, decoded; with_text keeps a rule set's text
 * (out->command.text, the caller frees it). STORAGE_NOT_FOUND when there is
 * no such entry, STORAGE_CORRUPT when its bytes do not decode. */
storage_error ledger_read_entry(storage_txn *txn, uint64_t seq,
                                jifen_entry *out, bool with_text);
/* A household's balance in `txn` (what a balance query answers);
 * STORAGE_NOT_FOUND for a code not registered. */
storage_error ledger_household_balance(storage_txn *txn, const char *code,
                                       jifen_balance *b);
/* Its resident's name, as registered. */
storage_error ledger_household_name(storage_txn *txn, const char *code,
                                    char name[JIFEN_NAME_MAX + 1]);
/* The rule sets the ledger applies (rulebook.h). */
rulebook *ledger_rulebook(ledger *self);

/* --- ledger_rules.c, for ledger.c ------------------------------------------
 */

/* Caps (policy_award_caps, policy_redeem_cap) against the counters. */
jifen_status rules_check_award_caps(ledger *self, const write_context *ctx,
                                    const jifen_command *cmd, uint32_t points,
                                    jifen_result *result);
jifen_status rules_check_redeem_cap(ledger *self, const write_context *ctx,
                                    const jifen_command *cmd,
                                    jifen_result *result);
/* A reversed award or redemption leaves the caps of its period; a
 * reversed deduction lifts its suspension. */
void rules_reversed(ledger *self, const jifen_entry *original);

/* Points credited at earned_ms start a lot towards expiry (expiry.h). */
void rules_earn(ledger *self, const write_context *ctx, const char *household,
                int64_t earned_ms, uint64_t points);
/* An award just posted to pending opens its public notice (notice.h). */
void rules_open_notice(ledger *self, const write_context *ctx,
                       const jifen_command *award, const char *name,
                       bool needs_approval, jifen_result *result);
/* Reversal under notice: refuses (false) what notice itself undoes, and
 * takes a posted award back from the household's points. */
bool rules_reversible_after_notice(ledger *self, const jifen_entry *original,
                                   jifen_result *result);
void rules_posted_from_points(const jifen_entry *original, jifen_posting *p);

/* A deduction under a sanction rule suspends redemption (sanction.h);
 * rules_suspended refuses a redemption while one does. */
void rules_sanction(ledger *self, const write_context *ctx,
                    const jifen_command *cmd, jifen_result *result);
bool rules_suspended(ledger *self, const write_context *ctx,
                     const char *household, jifen_result *result);

/* Command handlers. */
void rules_cmd_object(ledger *self, const write_context *ctx,
                      const jifen_command *cmd, jifen_result *result);
void rules_cmd_approve(ledger *self, const write_context *ctx,
                       const jifen_command *cmd, jifen_result *result);
void rules_cmd_settle(ledger *self, const write_context *ctx,
                      const jifen_command *cmd, jifen_result *result);
void rules_cmd_daemon_only(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result);

/* The timer's work in the open transaction: post one award whose notice
 * ended; close the lots due, expiring what is left of them. */
void rules_release_one(ledger *self, const policy *pol, int64_t now_ms,
                       uint64_t award);
storage_error rules_expire_due(ledger *self, const policy *pol, int64_t now_ms,
                               size_t *n, int64_t *next);

/* Replication: rebuilds the derived state (notices, cap counters, expiry
 * lots, sanctions) that entry e left on the primary, under `pol` (the rule
 * set it names). original: the entry e reverses, or NULL; name: the
 * household's name, for a notice. An entry deciding or approving a notice
 * carries no household in its command, but the primary filed it under the
 * award's: filed_under is set to that one. */
void rules_replicate(ledger *self, const policy *pol, const jifen_entry *e,
                     const jifen_entry *original, const char *name,
                     char filed_under[JIFEN_HOUSEHOLD_MAX + 1]);

/* --- search.c, for ledger.c ----------------------------------------------
 */
/* The household search query (issue 17), in a read transaction. */
void search_households(storage_txn *txn, const jifen_command *cmd,
                       jifen_result *result);

/* The notice list query, in a read transaction. */
void rules_query_notices(storage_txn *txn, const jifen_command *cmd,
                         jifen_result *result);

/* --- ledger_adopt.c, for ledger.c ------------------------------------------
 */
/* PolicyLoad: parses, checks against history, journals the canonical text
 * and stages the new rule sets (published when the transaction commits). */
void adopt_cmd_policy_load(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result);
/* A replica applies the primary's adoption entry (decoded with its text).
 * 0, or -1 with why in err. */
int adopt_replicate(ledger *self, const jifen_entry *e, char *err,
                    size_t errlen);
/* Puts every rule set adopted in the ledger into `into`, in place of a
 * file's of the same version (the ledger's is the adopted one). 0, or -1
 * with why in err. */
int adopt_merge_stored(storage_txn *txn, ruleset *into, char *err,
                       size_t errlen);

#endif
