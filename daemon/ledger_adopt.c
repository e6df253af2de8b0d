/*
 * ledger_adopt - adopting a rule set over the wire (PolicyLoad), see
 * ledger_internal.h and docs/policy.md.
 *
 * The entry carries the rule set's canonical text, so the hash chain holds
 * exactly the rules adopted, and a replica or an auditor reads them from
 * the journal. The meta table keeps, per version, which entry adopted it
 * last ("rule-set/VERSION" -> be64 entry): derived state, written in the
 * same transaction, from which jifend finds the adopted rule sets again at
 * start without reading the whole journal.
 */
#include "ledger_internal.h"

#include "codec.h"
#include "entry_codec.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADOPTED_PREFIX "rule-set/"
#define ADOPTED_PREFIX_LEN (sizeof ADOPTED_PREFIX - 1)

static void put_adopted(storage_txn *txn, const char *version, uint64_t seq)
{
    char key[ADOPTED_PREFIX_LEN + JIFEN_POLICY_MAX];
    size_t n = strlen(version);
    uint8_t val[8];
    memcpy(key, ADOPTED_PREFIX, ADOPTED_PREFIX_LEN);
    memcpy(key + ADOPTED_PREFIX_LEN, version, n);
    storage_be64_put(val, seq);
    storage_put(txn, TABLE_META, key, ADOPTED_PREFIX_LEN + n, val, sizeof val,
                STORAGE_PUT_OVERWRITE);
}

static void refuse(jifen_result *result, const char *why)
{
    ledger_set_result(result, JIFEN_STATUS_RULE_SET_REFUSED, "%s", why);
}

/* The rule sets in use with p added (or put in place of its version's),
 * checked against history: NULL with why in err when refused. */
static ruleset *successor_with(const ruleset *now_rules, const policy *p,
                               int64_t now_ms, char *err, size_t errlen)
{
    const policy *same = ruleset_find(now_rules, p->version);
    if (same && ruleset_same(same, p)) {
        snprintf(err, errlen,
                 "rule set %s is already in use with exactly these rules",
                 p->version);
        return NULL;
    }
    ruleset *next = NULL;
    if (ruleset_copy(&next, now_rules, err, errlen) != 0 ||
        ruleset_put(next, p, "the rule set", err, errlen) != 0 ||
        ruleset_check_successor(now_rules, next, now_ms, err, errlen) != 0)
        ruleset_destroy(&next);
    return next;
}

void adopt_cmd_policy_load(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result)
{
    /* Large, and one writer thread: kept, not on the stack. */
    static policy p;
    static char canonical[JIFEN_RULE_SET_LOAD_MAX + 1];
    char err[600];
    if (policy_parse(&p, cmd->text, strlen(cmd->text), "rule set", err,
                     sizeof err) != 0) {
        refuse(result, err);
        return;
    }
    int n = policy_format(&p, canonical, sizeof canonical);
    if (n < 0) {
        snprintf(err, sizeof err,
                 "rule set %s: longer than %d bytes even without comments",
                 p.version, JIFEN_RULE_SET_LOAD_MAX);
        refuse(result, err);
        return;
    }
    rulebook *book = ledger_rulebook(self);
    ruleset *next = successor_with(rulebook_for_write(book), &p, ctx->now_ms,
                                   err, sizeof err);
    if (!next) {
        refuse(result, err);
        return;
    }
    jifen_command applied = *cmd;
    applied.text = canonical;
    snprintf(applied.name, sizeof applied.name, "%s", p.version);
    snprintf(applied.effective, sizeof applied.effective, "%s", p.effective);
    snprintf(applied.note, sizeof applied.note, "%s", p.resolution);
    ledger_post_entry(self, ctx, &applied, NULL, NULL, 0, 0, result);
    if (result->status != JIFEN_STATUS_OK) {
        ruleset_destroy(&next);
        return;
    }
    put_adopted(ledger_txn(self), p.version, result->entry);
    rulebook_stage(book, next);
    /* The reply says what was adopted, as `jifen policy list` would. */
    result->rule_sets = calloc(1, sizeof *result->rule_sets);
    if (result->rule_sets) {
        jifen_rule_set *r = &result->rule_sets[0];
        result->n_rule_sets = 1;
        snprintf(r->version, sizeof r->version, "%s", p.version);
        snprintf(r->effective, sizeof r->effective, "%s", p.effective);
        snprintf(r->resolution, sizeof r->resolution, "%s", p.resolution);
    }
}

int adopt_replicate(ledger *self, const jifen_entry *e, char *err,
                    size_t errlen)
{
    static policy p; /* one writer thread */
    char why[600];
    if (!e->command.text ||
        policy_parse(&p, e->command.text, strlen(e->command.text), "rule set",
                     why, sizeof why) != 0 ||
        strcmp(p.version, e->command.name) != 0) {
        snprintf(err, errlen,
                 "entry %" PRIu64 " adopts rule set %s, which does not read "
                 "back: %s",
                 e->seq, e->command.name, e->command.text ? why : "no text");
        return -1;
    }
    /* The primary checked it against history; a replica takes it as the
     * chain says, in place of the version it replaces. */
    ruleset *next = NULL;
    if (ruleset_copy(&next, rulebook_for_write(ledger_rulebook(self)), why,
                     sizeof why) != 0 ||
        ruleset_put(next, &p, "the primary's rule set", why, sizeof why) != 0) {
        ruleset_destroy(&next);
        snprintf(err, errlen, "entry %" PRIu64 ": %s", e->seq, why);
        return -1;
    }
    put_adopted(ledger_txn(self), p.version, e->seq);
    rulebook_stage(ledger_rulebook(self), next);
    return 0;
}

/* Reads back the rule set entry `seq` adopted. */
static int read_adopted(storage_txn *txn, uint64_t seq, policy *p, char *err,
                        size_t errlen)
{
    static _Thread_local jifen_entry e; /* large */
    char why[600];
    if (ledger_read_entry(txn, seq, &e, true) != STORAGE_OK) {
        snprintf(err, errlen,
                 "entry %" PRIu64 " (a rule set's adoption) cannot be read",
                 seq);
        return -1;
    }
    int rc = e.command.kind == JIFEN_CMD_POLICY_LOAD && e.command.text &&
                     policy_parse(p, e.command.text, strlen(e.command.text),
                                  "rule set", why, sizeof why) == 0
                 ? 0
                 : -1;
    free(e.command.text);
    e.command.text = NULL;
    if (rc != 0)
        snprintf(err, errlen,
                 "entry %" PRIu64 " does not hold a rule set that reads back",
                 seq);
    return rc;
}

int adopt_merge_stored(storage_txn *txn, ruleset *into, char *err,
                       size_t errlen)
{
    policy *p = malloc(sizeof *p);
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error se =
        p ? storage_cursor_open(txn, TABLE_META, &c) : STORAGE_FAILED;
    if (se == STORAGE_OK)
        se = storage_cursor_seek(c, ADOPTED_PREFIX, ADOPTED_PREFIX_LEN, &k, &v);
    int rc = 0;
    while (rc == 0 && se == STORAGE_OK && k.len > ADOPTED_PREFIX_LEN &&
           memcmp(k.data, ADOPTED_PREFIX, ADOPTED_PREFIX_LEN) == 0) {
        if (v.len != 8) {
            snprintf(err, errlen, "a rule set's adoption record is damaged");
            rc = -1;
            break;
        }
        uint64_t seq = storage_be64_get(v.data);
        rc = read_adopted(txn, seq, p, err, errlen);
        const policy *file = rc == 0 ? ruleset_find(into, p->version) : NULL;
        if (file && !ruleset_same(file, p))
            log_warn("rule set %s: the ledger's (adopted in entry %" PRIu64
                     ") differs from the file's; the ledger's applies",
                     p->version, seq);
        if (rc == 0) {
            char origin[64];
            snprintf(origin, sizeof origin, "entry %" PRIu64, seq);
            rc = ruleset_put(into, p, origin, err, errlen);
        }
        se = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    free(p);
    if (rc == 0 && se != STORAGE_OK && se != STORAGE_NOT_FOUND) {
        snprintf(err, errlen, "the adopted rule sets cannot be read: %s",
                 storage_strerror(se));
        rc = -1;
    }
    return rc;
}
