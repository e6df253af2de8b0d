/*
 * adopt - adopting a rule set over the wire (PolicyLoad), decided and
 * applied; see ledger_internal.h and docs/policy.md.
 *
 * The entry carries the rule set's canonical text, so the hash chain holds
 * exactly the rules adopted, and a replica or an auditor reads them from
 * the journal. The meta table keeps, per version, which entry adopted it
 * last ("rule-set/VERSION" -> be64 entry): derived state, written in the
 * same transaction, from which jifend finds the adopted rule sets again at
 * start without reading the whole journal.
 */
#include "ledger_internal.h"

#include "journal.h"
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

int adopt_canonical(ledger *self, const char *text, char *err, size_t errlen)
{
    policy *p = &self->w->scratch_policy;
    if (policy_parse(p, text, strlen(text), "rule set", err, errlen) != 0)
        return -1;
    if (policy_format(p, self->w->scratch_text, sizeof self->w->scratch_text) < 0) {
        snprintf(err, errlen,
                 "rule set %s: longer than %d bytes even without comments",
                 p->version, JIFEN_RULE_SET_LOAD_MAX);
        return -1;
    }
    return 0;
}

void adopt_decide(ledger *self, const write_context *ctx,
                  const jifen_command *cmd, jifen_result *result)
{
    policy *p = &self->w->scratch_policy;
    char *canonical = self->w->scratch_text;
    char err[600];
    if (adopt_canonical(self, cmd->text, err, sizeof err) != 0) {
        refuse(result, err);
        return;
    }
    ruleset *next = successor_with(rulebook_for_write(self->book), p,
                                   ctx->now_ms, err, sizeof err);
    if (!next) {
        refuse(result, err);
        return;
    }
    ruleset_destroy(&next); /* the apply stages the one it reads back */
    jifen_entry *e = &self->w->draft;
    memset(e, 0, sizeof *e);
    e->command = *cmd;
    e->command.text = canonical;
    ledger_copy_text(e->command.name, sizeof e->command.name, p->version);
    ledger_copy_text(e->command.effective, sizeof e->command.effective,
                     p->effective);
    ledger_copy_text(e->command.note, sizeof e->command.note, p->resolution);
    ledger_post_draft(self, ctx, result);
    e->command.text = NULL;
    if (result->status != JIFEN_STATUS_OK)
        return;
    /* The reply says what was adopted, as `jifen policy list` would. */
    result->rule_sets = calloc(1, sizeof *result->rule_sets);
    if (result->rule_sets) {
        jifen_rule_set *r = &result->rule_sets[0];
        result->n_rule_sets = 1;
        ledger_copy_text(r->version, sizeof r->version, p->version);
        ledger_copy_text(r->effective, sizeof r->effective, p->effective);
        ledger_copy_text(r->resolution, sizeof r->resolution, p->resolution);
    }
}

int ledger_found(ledger *self, const char *text, int64_t now_ms, char *err,
                 size_t errlen)
{
    if (ledger_entries(self) != 0) {
        snprintf(err, errlen, "the ledger has entries already");
        return -1;
    }
    /* In the write transaction: the scratch it parses into is the
     * writer's. */
    ledger_error le = ledger_write_begin(self);
    if (le != LEDGER_OK) {
        snprintf(err, errlen, "%s", ledger_strerror(self));
        return -1;
    }
    if (adopt_canonical(self, text, err, errlen) != 0) {
        ledger_write_abort(self);
        return -1;
    }
    policy *p = &self->w->scratch_policy;
    if (p->effective[0] && p->effective_ms > now_ms) {
        /* Its own date, if it has one; before it nothing can be written. */
        log_info("the founding rule set %s takes effect on %s", p->version,
                 p->effective);
    }
    jifen_entry *e = &self->w->draft;
    memset(e, 0, sizeof *e);
    e->command.kind = JIFEN_CMD_POLICY_LOAD;
    e->command.text = self->w->scratch_text;
    ledger_copy_text(e->command.name, sizeof e->command.name, p->version);
    ledger_copy_text(e->command.effective, sizeof e->command.effective,
                     p->effective);
    ledger_copy_text(e->command.note, sizeof e->command.note, p->resolution);
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    snprintf(request_id, sizeof request_id, "found-%.58s", p->version);
    write_context ctx = {request_id, LEDGER_DAEMON_AUTHOR, now_ms, p, NULL};
    jifen_result result;
    memset(&result, 0, sizeof result);
    ledger_post_draft(self, &ctx, &result);
    e->command.text = NULL;
    le = self->txn.error ? ledger_fail(self, self->txn.error,
                                       self->last_error)
                         : ledger_write_commit(self);
    if (le != LEDGER_OK) {
        if (self->in_write)
            ledger_write_abort(self);
        snprintf(err, errlen, "%s", ledger_strerror(self));
        return -1;
    }
    return 0;
}

/* The primary checked the rule set against history when it decided; the
 * entry is taken as the chain says, in place of the version it replaces. */
int adopt_apply(ledger *self, const jifen_entry *e, char *err, size_t errlen)
{
    policy *p = &self->w->scratch_policy;
    char why[600];
    if (!e->command.text ||
        policy_parse(p, e->command.text, strlen(e->command.text), "rule set",
                     why, sizeof why) != 0 ||
        strcmp(p->version, e->command.name) != 0) {
        snprintf(err, errlen,
                 "it adopts rule set %s, which does not read back: %s",
                 e->command.name, e->command.text ? why : "no text");
        return -1;
    }
    ruleset *next = NULL;
    if (ruleset_copy(&next, rulebook_for_write(self->book), why,
                     sizeof why) != 0 ||
        ruleset_put(next, p, "the adopted rule set", why, sizeof why) != 0) {
        ruleset_destroy(&next);
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    put_adopted(&self->txn, p->version, e->seq);
    rulebook_stage(self->book, next);
    return 0;
}

/* Reads back the rule set entry `seq` adopted. */
static int read_adopted(storage_txn *txn, uint64_t seq, jifen_entry *e,
                        policy *p, char *err, size_t errlen)
{
    char why[600];
    if (journal_read(txn, seq, e, true) != STORAGE_OK) {
        snprintf(err, errlen,
                 "entry %" PRIu64 " (a rule set's adoption) cannot be read",
                 seq);
        return -1;
    }
    int rc = e->command.kind == JIFEN_CMD_POLICY_LOAD && e->command.text &&
                     policy_parse(p, e->command.text, strlen(e->command.text),
                                  "rule set", why, sizeof why) == 0
                 ? 0
                 : -1;
    free(e->command.text);
    e->command.text = NULL;
    if (rc != 0)
        snprintf(err, errlen,
                 "entry %" PRIu64 " does not hold a rule set that reads back",
                 seq);
    return rc;
}

typedef struct {
    storage_txn *txn;
    ruleset *into;
    jifen_entry entry;
    policy pol;
    char *err;
    size_t errlen;
} merge;

static int merge_one(void *ctx, const storage_val *k, const storage_val *v)
{
    (void)k;
    merge *m = ctx;
    if (v->len != 8) {
        snprintf(m->err, m->errlen, "a rule set's adoption record is damaged");
        return -1;
    }
    uint64_t seq = storage_be64_get(v->data);
    if (read_adopted(m->txn, seq, &m->entry, &m->pol, m->err, m->errlen) != 0)
        return -1;
    const policy *file = ruleset_find(m->into, m->pol.version);
    if (file && !ruleset_same(file, &m->pol))
        log_warn("rule set %s: the ledger's (adopted in entry %" PRIu64
                 ") differs from the file's; the ledger's applies",
                 m->pol.version, seq);
    char origin[64];
    snprintf(origin, sizeof origin, "entry %" PRIu64, seq);
    return ruleset_put(m->into, &m->pol, origin, m->err, m->errlen) == 0 ? 0
                                                                         : -1;
}

int adopt_merge_stored(storage_txn *txn, ruleset *into, char *err,
                       size_t errlen)
{
    merge *m = malloc(sizeof *m); /* two large structs: not the stack */
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *m = (merge){.txn = txn, .into = into, .err = err, .errlen = errlen};
    err[0] = '\0';
    storage_error se = storage_foreach_prefix(
        txn, TABLE_META, ADOPTED_PREFIX, ADOPTED_PREFIX_LEN, merge_one, m);
    free(m);
    if (se == STORAGE_OK)
        return 0;
    if (se != STORAGE_CORRUPT || !err[0])
        snprintf(err, errlen, "the adopted rule sets cannot be read: %s",
                 storage_strerror(se));
    return -1;
}
