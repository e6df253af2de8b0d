/*
 * community - the service's own commands, decided and applied in the
 * service's ledger (docs/communities.md): a community created, with the
 * canonical text of its founding rule set in the entry (the service module
 * then founds the community's own ledger with it), and a community closed.
 */
#include "ledger_internal.h"

#include "communities.h"
#include "policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void decide_create(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, jifen_result *result)
{
    community_record r;
    storage_error e = community_get(&self->txn, cmd->community, &r);
    if (e == STORAGE_OK) {
        ledger_set_result(result, JIFEN_STATUS_COMMUNITY_EXISTS,
                          "community %s %s (entry %" PRIu64 "): codes are "
                          "never reused",
                          cmd->community,
                          r.closed_entry ? "was closed" : "exists",
                          r.created_entry);
        return;
    }
    if (e != STORAGE_NOT_FOUND) {
        if (!self->txn.error)
            self->txn.error = e;
        return;
    }
    /* Taking over an existing ledger is jifend's own doing (service.c). */
    if (cmd->file_rules) {
        if (ctx->caller && ctx->caller->key[0]) {
            ledger_set_result(result, JIFEN_STATUS_FORBIDDEN,
                              "only jifend adopts an existing ledger");
            return;
        }
        jifen_entry *d = &self->w->draft;
        memset(d, 0, sizeof *d);
        d->command = *cmd;
        d->command.text = NULL;
        ledger_post_draft(self, ctx, result);
        return;
    }
    /* Its founding rule set: the text given, or the embedded default; the
     * entry holds the canonical text, so the service's journal says under
     * which rules each community began. */
    char err[600];
    if (adopt_canonical(self, cmd->text ? cmd->text : policy_default_text, err,
                        sizeof err) != 0) {
        ledger_set_result(result, JIFEN_STATUS_RULE_SET_REFUSED, "%s", err);
        return;
    }
    jifen_entry *d = &self->w->draft;
    memset(d, 0, sizeof *d);
    d->command = *cmd;
    d->command.text = self->w->scratch_text;
    ledger_post_draft(self, ctx, result);
    d->command.text = NULL;
}

static void decide_close(ledger *self, const write_context *ctx,
                         const jifen_command *cmd, jifen_result *result)
{
    community_record r;
    storage_error e = community_get(&self->txn, cmd->community, &r);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_COMMUNITY,
                          "the service has no community %s", cmd->community);
        return;
    }
    if (e != STORAGE_OK) {
        if (!self->txn.error)
            self->txn.error = e;
        return;
    }
    if (r.closed_entry) {
        ledger_set_result(result, JIFEN_STATUS_COMMUNITY_CLOSED,
                          "community %s was closed by entry %" PRIu64,
                          cmd->community, r.closed_entry);
        return;
    }
    jifen_entry *d = &self->w->draft;
    memset(d, 0, sizeof *d);
    d->command = *cmd;
    ledger_post_draft(self, ctx, result);
}

void community_decide(ledger *self, const write_context *ctx,
                      const jifen_command *cmd, jifen_result *result)
{
    if (cmd->kind == JIFEN_CMD_COMMUNITY_CREATE)
        decide_create(self, ctx, cmd, result);
    else
        decide_close(self, ctx, cmd, result);
}

int community_apply(ledger *self, const jifen_entry *e, char *err,
                    size_t errlen)
{
    const jifen_command *c = &e->command;
    community_record r;
    storage_error se = community_get(&self->txn, c->community, &r);
    if (se != STORAGE_OK && se != STORAGE_NOT_FOUND) {
        if (!self->txn.error)
            self->txn.error = se;
        return 0;
    }
    if (c->kind == JIFEN_CMD_COMMUNITY_CREATE) {
        if (se == STORAGE_OK) {
            snprintf(err, errlen, "community %s exists already", c->community);
            return -1;
        }
        memset(&r, 0, sizeof r);
        ledger_copy_text(r.code, sizeof r.code, c->community);
        ledger_copy_text(r.name, sizeof r.name, c->name);
        ledger_copy_text(r.street, sizeof r.street, c->street);
        r.created_entry = e->seq;
        r.file_rules = c->file_rules;
    } else {
        if (se != STORAGE_OK || r.closed_entry) {
            snprintf(err, errlen, "community %s is not open here",
                     c->community);
            return -1;
        }
        r.closed_entry = e->seq;
    }
    community_put(&self->txn, &r);
    return 0;
}
