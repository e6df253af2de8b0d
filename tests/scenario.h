/*
 * scenario - domain scenarios on a real ledger, written the way
 * docs/policy.md tells them: "on 3 July at 15:00 the committee awards
 * 3-2-501 a meeting; until 11 July 00:00 the points are under notice".
 *
 * A scenario is a real ledger (LMDB in a temporary directory) judged by the
 * rule sets given as policy texts, with the test clock (clock.h) on a file
 * of its own, so that what the ledger reads as "now" (queries, reports, the
 * rule set in force) is the scenario's Shanghai wall-clock time. Requests
 * go the daemon's way (server.c's admit and apply_group, without the
 * socket): encoded and decoded again (the codec's validation), authorized
 * against the sender's key and role (ledger_authorize: the role matrix),
 * then applied in a group commit of their own; queries answered by
 * ledger_query. Each scenario starts with one key per role, enrolled
 * offline as `jifend --enrol` does (labels "test-committee", ...; four
 * journal entries), in s->committee, s->terminal, s->auditor, s->admin.
 *
 * The checks fail the running cmocka test with a message that says what
 * was sent, by whom, what was expected and what came back, e.g.
 *
 *   scenario_redeem.c:57: terminal (test-terminal): redeem 1-1-101 4:
 *   expected cap_exceeded, got ok (entry 9)
 *
 * and every write expected to be refused is also checked to have changed
 * nothing: every table but the idempotency records (which keep the
 * refusal, so that a retry gets it again) is byte for byte as before.
 */
#ifndef JIFEN_SCENARIO_H
#define JIFEN_SCENARIO_H

#include "ledger.h"
#include "tabledump.h"
#include "testutil.h"

#include <stdbool.h>
#include <stdint.h>

/* A write refused by the ledger changes no table but this one. */
#define SCENARIO_LOCAL_TABLES TABLEDUMP_SKIP(TABLE_REQUESTS)

typedef struct {
    testutil_book book; /* the ledger and its rule sets */
    char **texts;       /* the rule sets' texts, NULL-terminated */
    char *clock_path;
    int64_t now_ms;
    int next_id;
    int next_key;
    /* One enrolled key per role. */
    ledger_caller committee, terminal, auditor, admin;
    /* What the last write / query returned; pointers in results handed
     * out (rule_sets, notices, history, report) stay valid until the next
     * call of the same kind. */
    jifen_reply last_write;
    jifen_reply last_query;
} scenario;

/* --- the ledger --------------------------------------------------------- */

/* A fresh ledger judged by the rule sets in `rule_sets` (policy texts,
 * NULL-terminated; NULL: the embedded default policy), at 2026-01-01 00:00
 * Shanghai (or when the first rule set takes effect, if later). Fails the
 * test when it cannot be made. */
scenario *scenario_new(const char *const *rule_sets);
/* Closes the ledger and removes its directory. */
void scenario_destroy(scenario **s_p);
/* A cmocka teardown that destroys every scenario still open, so that a
 * failed check leaves no ledger behind: register tests with
 * cmocka_unit_test_teardown(test, scenario_teardown). */
int scenario_teardown(void **state);
/* Closes the ledger and opens it again, as a restart of jifend does (with
 * the operator's rule sets it was made with). */
void scenario_restart(scenario *s);
/* What SIGHUP makes jifend do: the operator's rule sets read again (as
 * texts, NULL-terminated), taken only if they keep history intact now
 * (ledger_replace_rules). 0, or -1 with why in err and nothing changed. */
int scenario_reload(scenario *s, const char *const *rule_sets, char *err,
                    size_t errlen);
/* The text of a file of the source tree (e.g. "deploy/policy-2026-07.conf"),
 * malloc'd; fails the test when it cannot be read. */
char *scenario_source_file(const char *relative_path);

/* A copy of a policy text with every line equal to old_line replaced by
 * new_line (what `sed 's/^OLD$/NEW/'` does), malloc'd; fails the test when
 * no line is old_line. */
char *scenario_edit(const char *text, const char *old_line,
                    const char *new_line);

/* --- time (Asia/Shanghai) ------------------------------------------------ */

/* Unix ms of "YYYY-MM-DD HH:MM" (or "YYYY-MM-DD HH:MM:SS") in Shanghai. */
int64_t scenario_ms(const char *when);
/* The scenario's clock: "now" for writes, queries and the timer. */
void scenario_at(scenario *s, const char *when);
void scenario_at_ms(scenario *s, int64_t ms);
/* Runs the daemon's timer (ledger_tick) now; returns the entries it wrote. */
uint64_t scenario_tick(scenario *s);
/* The number of journal entries. */
uint64_t scenario_head(scenario *s);

/* --- who sends it -------------------------------------------------------- */

/* A new key for `role`, enrolled by the admin over the write path. */
ledger_caller scenario_enrol(scenario *s, jifen_role role, const char *label);
/* The local operator (jifend run by hand on the server: no key, no role
 * check), writing as `author`. */
ledger_caller scenario_operator(const char *author);

/* --- commands ------------------------------------------------------------ */

jifen_command sc_household(const char *h, const char *name);
jifen_command sc_award(const char *h, const char *activity);
jifen_command sc_award_points(const char *h, const char *activity,
                              uint32_t points);
jifen_command sc_award_hours(const char *h, const char *activity,
                             uint32_t hours);
jifen_command sc_deduct(const char *h, const char *rule, uint32_t points,
                        const char *note);
jifen_command sc_bill(const char *h, uint64_t fen, const char *period);
jifen_command sc_pay(const char *h, uint64_t fen);
jifen_command sc_redeem(const char *h, uint64_t points);
/* `jifen appeal` is a reversal under its everyday name. */
jifen_command sc_reverse(uint64_t entry, const char *note);
jifen_command sc_object(uint64_t entry, const char *note);
jifen_command sc_approve(uint64_t entry);
jifen_command sc_settle(uint64_t fen, const char *note);
/* The text is borrowed: it must outlive the write. */
jifen_command sc_policy_load(const char *text);
jifen_command sc_key_enrol(const char *z85, jifen_role role,
                           const char *label);
jifen_command sc_key_revoke(const char *z85);

/* "award 3-2-501 meeting points=5", for messages. */
void scenario_describe(const jifen_command *cmd, char *out, size_t cap);

/* --- writes -------------------------------------------------------------- */

/* Sends one write command as `who` in a request of its own (request_id
 * NULL: a fresh one) and returns its result. A request refused as a whole
 * (FORBIDDEN by the role matrix, ID_CONFLICT, BAD_REQUEST from the codec)
 * comes back as a result with that status and the reply's message. No
 * checks: sc_ok / sc_refused below are the checked forms. */
jifen_result scenario_send(scenario *s, const ledger_caller *who,
                           const char *request_id, jifen_command cmd);

/* Several write requests in one group commit, as the server gathers them:
 * each through the codec and ledger_authorize first (a refusal there
 * answers that request alone, as in server.c), the others applied in one
 * write transaction in order and committed once. A request without an id
 * gets a fresh one. Fills replies[i] (free each with codec_reply_clear). */
void scenario_group(scenario *s, size_t n, const jifen_request *requests,
                    const ledger_caller *who, jifen_reply *replies);

/* The checked forms: the write must end with `status` (and, unless NULL,
 * its message contain `needle`); a refusal must change nothing. */
jifen_result scenario_expect(scenario *s, const ledger_caller *who,
                             const char *request_id, jifen_command cmd,
                             jifen_status status, const char *needle,
                             const char *file, int line);
#define sc_ok(s, who, cmd)                                                     \
    scenario_expect((s), (who), NULL, (cmd), JIFEN_STATUS_OK, NULL, __FILE__,  \
                    __LINE__)
#define sc_ok_id(s, who, id, cmd)                                              \
    scenario_expect((s), (who), (id), (cmd), JIFEN_STATUS_OK, NULL, __FILE__,  \
                    __LINE__)
#define sc_refused(s, who, cmd, status, needle)                                \
    scenario_expect((s), (who), NULL, (cmd), (status), (needle), __FILE__,     \
                    __LINE__)
#define sc_refused_id(s, who, id, cmd, status, needle)                         \
    scenario_expect((s), (who), (id), (cmd), (status), (needle), __FILE__,     \
                    __LINE__)

/* --- queries (as the auditor unless said) -------------------------------- */

/* Answers one query command as `who`; refused as a whole like writes. */
jifen_result scenario_query(scenario *s, const ledger_caller *who,
                            jifen_command cmd);
jifen_balance scenario_balance(scenario *s, const char *h, const char *file,
                               int line);
#define sc_balance(s, h) scenario_balance((s), (h), __FILE__, __LINE__)
/* Points, pending points and fee due must be these. */
void scenario_expect_balance(scenario *s, const char *h, int64_t points,
                             int64_t pending, int64_t fee_due_fen,
                             const char *file, int line);
#define sc_expect_balance(s, h, points, pending, fee)                          \
    scenario_expect_balance((s), (h), (points), (pending), (fee), __FILE__,    \
                            __LINE__)
/* The household's history, newest first (limit 0: the default 20). */
const jifen_result *scenario_history(scenario *s, const char *h,
                                     uint32_t limit);
/* The newest entry of the household's history. */
const jifen_entry *scenario_newest(scenario *s, const char *h);
/* The notice list of a month ("" this month). */
const jifen_result *scenario_notices(scenario *s, const char *period);
/* A report ("statement", "liability", "ageing", "trial-balance"). */
const jifen_report *scenario_report(scenario *s, const char *kind,
                                    const char *period, const char *h);
/* The value of row `item` of an item/value report. */
int64_t scenario_item(const jifen_report *r, const char *item,
                      const char *file, int line);
#define sc_item(r, item) scenario_item((r), (item), __FILE__, __LINE__)
/* The cell in column `column` of the row whose first cell is `row`. */
const char *scenario_cell(const jifen_report *r, const char *row,
                          const char *column, const char *file, int line);
#define sc_cell(r, row, column)                                                \
    scenario_cell((r), (row), (column), __FILE__, __LINE__)
/* `policy list` (version "") or `policy show VERSION`. */
const jifen_result *scenario_policy(scenario *s, const char *version);
/* ledger_verify must find the chain and every balance right. */
void scenario_verify(scenario *s, const char *file, int line);
#define sc_verify(s) scenario_verify((s), __FILE__, __LINE__)

/* --- replicas ------------------------------------------------------------ */

/* A fresh ledger with the primary's rule-set files (as a replica is
 * started with the primary's --policy) and the primary's clock, holding
 * nothing yet; scenario_follow brings it up to the primary's head. */
scenario *scenario_replica_of(scenario *primary);
/* The same with other rule-set files than the primary's. */
scenario *scenario_replica_with(scenario *primary, const char *const *rule_sets);
/* Replicates the primary's entries after the replica's head, one
 * ledger_replicate per entry, as daemon/replica.c applies a feed. */
void scenario_follow(scenario *replica, scenario *primary, const char *file,
                     int line);
#define sc_follow(r, p) scenario_follow((r), (p), __FILE__, __LINE__)
/* The same query must get the same reply, byte for byte (encoded), from
 * both. */
void scenario_same_answer(scenario *a, scenario *b, jifen_command query,
                          const char *file, int line);
#define sc_same_answer(a, b, q) scenario_same_answer((a), (b), (q), __FILE__, __LINE__)
/* Every table but the local ones (SCENARIO_LOCAL_TABLES) must be byte for
 * byte the same in both (tabledump_compare; the differences printed). */
void scenario_same_tables(scenario *a, scenario *b, const char *file,
                          int line);
#define sc_same_tables(a, b) scenario_same_tables((a), (b), __FILE__, __LINE__)

#endif
