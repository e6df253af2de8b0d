/*
 * committee - issue 15's decisions and applies for households' members and
 * proxies, the events awarded, opening balances from paper ledgers and
 * paper passbooks (docs/committee.md). Decisions as in decide.c (a flat
 * list of guards, then the draft posted); applies as in apply.c (from the
 * entry and the state before it alone: the primary, a replica and a
 * rebuild write the same).
 */
#include "ledger_internal.h"

#include "clock.h"
#include "journal.h"
#include "lots.h"
#include "members.h"
#include "passbook.h"
#include "policy.h"
#include "sanction.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


#define ACCOUNT_POINTS_OPENING "community/points-opening"
#define ACCOUNT_FEE_OPENING "community/fee-opening"

/* --- who acts -------------------------------------------------------------- */

/* The household's member `name`, present (not moved out). The name the
 * household was registered with is its head's without a member entry:
 * a sign-in sheet names the owner as the household did. */
static bool need_member(ledger *self, const char *household, const char *name,
                        member_record *m, jifen_result *result)
{
    storage_error e = members_get(&self->txn, household, name, m);
    if (e == STORAGE_OK && !m->left)
        return true;
    household_record h;
    if (e == STORAGE_NOT_FOUND &&
        ledger_get_household(&self->txn, household, &h) == STORAGE_OK &&
        h.name[0] && strcmp(h.name, name) == 0) {
        memset(m, 0, sizeof *m);
        ledger_copy_text(m->name, sizeof m->name, name);
        ledger_copy_text(m->relation, sizeof m->relation, "head");
        m->added = h.registered;
        return true;
    }
    if (e == STORAGE_OK)
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_MEMBER,
                          "%s moved out of household %s (entry %" PRIu64 ")",
                          name, household, m->changed);
    else if (e == STORAGE_NOT_FOUND)
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_MEMBER,
                          "household %s has no member named %s (jifen member "
                          "add %s NAME --relation R)",
                          household, name, household);
    else
        decide_failed(self, e);
    return false;
}

bool committee_acting(ledger *self, const char *household,
                      const jifen_command *cmd, uint64_t *consent,
                      jifen_result *result)
{
    member_record m;
    *consent = 0;
    if (cmd->member[0] &&
        !need_member(self, household, cmd->member, &m, result))
        return false;
    if (!cmd->proxy[0])
        return true;
    if (!need_member(self, household, cmd->proxy, &m, result))
        return false;
    proxy_record r;
    storage_error e =
        proxy_get(&self->txn, household, cmd->member, cmd->proxy, &r);
    if (e == STORAGE_OK && r.revoked == 0) {
        *consent = r.consent;
        return true;
    }
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND) {
        decide_failed(self, e);
        return false;
    }
    ledger_set_result(result, JIFEN_STATUS_NO_CONSENT,
                      "%s has %s consented that %s acts for them (jifen proxy "
                      "grant %s %s %s --consent REF)",
                      cmd->member, e == STORAGE_OK ? "withdrawn what they"
                                                   : "not",
                      cmd->proxy, household, cmd->member, cmd->proxy);
    return false;
}

bool committee_award_guards(ledger *self, const write_context *ctx,
                            const jifen_command *cmd, uint64_t *consent,
                            jifen_result *result)
{
    uint64_t by = 0;
    int64_t until = 0;
    storage_error e = sanction_award_active(&self->txn, cmd->household,
                                            ctx->now_ms, &by, &until);
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        return false;
    }
    if (by != 0) {
        char date[CLOCK_DATE_LEN + 1];
        clock_date_text(until, date);
        ledger_set_result(result, JIFEN_STATUS_AWARDS_SUSPENDED,
                          "awards to %s are suspended until %s 00:00 by the "
                          "deduction in entry %" PRIu64
                          "; an appeal upheld lifts it",
                          cmd->household, date, by);
        return false;
    }
    if (!committee_acting(self, cmd->household, cmd, consent, result))
        return false;
    if (!cmd->name[0])
        return true;
    uint64_t award = 0;
    e = event_get(&self->txn, cmd->household, cmd->code, cmd->effective,
                  cmd->name, &award);
    if (e == STORAGE_NOT_FOUND)
        return true;
    if (e != STORAGE_OK)
        decide_failed(self, e);
    else
        ledger_set_result(result, JIFEN_STATUS_ALREADY_AWARDED,
                          "%s was awarded for this event (%s on %s, %s) by "
                          "entry %" PRIu64 "; an event counts once",
                          cmd->household, cmd->code, cmd->effective, cmd->name,
                          award);
    return false;
}

/* --- members and proxies ---------------------------------------------------- */

void committee_decide_member_set(ledger *self, const write_context *ctx,
                              const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    member_record m;
    if (cmd->flag && !need_member(self, cmd->household, cmd->member, &m,
                                  result))
        return; /* moving out who is not there */
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}

void committee_decide_proxy_consent(ledger *self, const write_context *ctx,
                                 const jifen_command *cmd,
                                 jifen_result *result)
{
    jifen_balance b;
    member_record m;
    if (!decide_need_household(self, cmd->household, &b, result) ||
        !need_member(self, cmd->household, cmd->member, &m, result) ||
        !need_member(self, cmd->household, cmd->proxy, &m, result))
        return;
    proxy_record r;
    storage_error e =
        proxy_get(&self->txn, cmd->household, cmd->member, cmd->proxy, &r);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND) {
        decide_failed(self, e);
        return;
    }
    bool in_force = e == STORAGE_OK && r.revoked == 0;
    if (cmd->flag && !in_force) {
        ledger_set_result(result, JIFEN_STATUS_NO_CONSENT,
                          "no consent is in force for %s to act for %s",
                          cmd->proxy, cmd->member);
        return;
    }
    if (!cmd->flag && in_force) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "%s acts for %s already, by the consent of entry "
                          "%" PRIu64,
                          cmd->proxy, cmd->member, r.consent);
        return;
    }
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}

/* --- opening balances ---------------------------------------------------------- */

/* The first entry that moved the household's accounts, 0 when none did.
 * An opening balance that was reversed, and its reversal, do not count:
 * a wrong figure from the paper is reversed and imported again. */
typedef struct {
    uint64_t first;
    uint64_t openings[16]; /* reversed openings seen (few by far) */
    size_t n;
    storage_txn *txn;
} movements;

static int first_movement(void *ctx, uint64_t seq, const storage_val *stored,
                          const jifen_entry *e)
{
    (void)stored;
    movements *m = ctx;
    if (e->n_postings == 0)
        return 0;
    if (e->command.kind == JIFEN_CMD_OPENING && m->n < 16) {
        uint8_t key[8];
        storage_val v;
        storage_be64_put(key, seq);
        if (storage_get(m->txn, TABLE_REVERSALS, key, 8, &v) == STORAGE_OK) {
            m->openings[m->n++] = seq;
            return 0;
        }
    }
    for (size_t i = 0; e->reverses && i < m->n; i++)
        if (m->openings[i] == e->reverses)
            return 0;
    m->first = seq;
    return 1;
}

void committee_decide_opening(ledger *self, const write_context *ctx,
                           const jifen_command *cmd, jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    movements m = {.txn = &self->txn};
    uint64_t bad = 0;
    storage_error e = journal_household(&self->txn, cmd->household, false,
                                        first_movement, &m, &bad);
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        return;
    }
    if (m.first) {
        ledger_set_result(result, JIFEN_STATUS_HOUSEHOLD_HAS_ENTRIES,
                          "household %s has entries on its accounts already "
                          "(the first: entry %" PRIu64
                          "); an opening balance comes before any other",
                          cmd->household, m.first);
        return;
    }
    int64_t day = 0;
    if (clock_parse_date(cmd->effective, &day) != 0 || day > ctx->now_ms) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "date %s: the paper ledger's date must not be in "
                          "the future",
                          cmd->effective);
        return;
    }
    jifen_entry *d = decide_new_draft(self, cmd);
    char account[JIFEN_ACCOUNT_MAX + 1];
    if (cmd->points) {
        account_household_points(cmd->household, account);
        decide_add_posting(d, JIFEN_ASSET_POINTS, ACCOUNT_POINTS_OPENING,
                           account, cmd->points);
        /* Carried over today: they expire as points credited today do. */
        int64_t expires = policy_expiry_of(ctx->pol, ctx->now_ms);
        d->expires_ms = expires == LOTS_NEVER ? 0 : expires;
    }
    if (cmd->amount) {
        account_household_fee(cmd->household, account);
        if (cmd->flag) /* prepaid: as a payment received before */
            decide_add_posting(d, JIFEN_ASSET_FEE, ACCOUNT_FEE_OPENING,
                               account, cmd->amount);
        else /* owed: as a bill */
            decide_add_posting(d, JIFEN_ASSET_FEE, account,
                               ACCOUNT_FEE_OPENING, cmd->amount);
    }
    ledger_post_draft(self, ctx, result);
    result->points = cmd->points;
}

/* --- passbooks ------------------------------------------------------------------- */

void committee_decide_passbook_mark(ledger *self, const write_context *ctx,
                                 const jifen_command *cmd,
                                 jifen_result *result)
{
    jifen_balance b;
    if (!decide_need_household(self, cmd->household, &b, result))
        return;
    uint8_t key[ACCOUNT_HISTORY_KEY_MAX];
    storage_val v;
    storage_error e =
        storage_get(&self->txn, TABLE_BALANCES, key,
                    account_history_key(cmd->household, cmd->entry, key), &v);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_ENTRY,
                          "entry %" PRIu64 " is not one of %s's",
                          cmd->entry, cmd->household);
        return;
    }
    passbook_mark m;
    if (e == STORAGE_OK)
        e = passbook_get(&self->txn, cmd->household, &m);
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        return;
    }
    if (cmd->entry <= m.through) {
        ledger_set_result(result, JIFEN_STATUS_PRINTED_ALREADY,
                          "%s's passbook was printed through entry %" PRIu64
                          " already (entry %" PRIu64
                          "): print again for what came after",
                          cmd->household, m.through, m.mark);
        return;
    }
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
}


/* --- applying -------------------------------------------------------------------- */

int committee_apply_member_set(ledger *self, const jifen_entry *e, char *err,
                            size_t errlen)
{
    const jifen_command *c = &e->command;
    member_record m;
    storage_error se = members_get(&self->txn, c->household, c->member, &m);
    if (se != STORAGE_OK && se != STORAGE_NOT_FOUND) {
        decide_failed(self, se);
        return 0;
    }
    bool present = se == STORAGE_OK && !m.left;
    if (c->flag && !present)
        return ledger_refuse(err, errlen, "%s is not a member of %s here",
                      c->member, c->household);
    if (se == STORAGE_NOT_FOUND) {
        memset(&m, 0, sizeof m);
        ledger_copy_text(m.name, sizeof m.name, c->member);
        m.added = e->seq;
    }
    /* What the entry leaves out stays as it was. */
    if (c->code[0])
        ledger_copy_text(m.relation, sizeof m.relation, c->code);
    if (c->key[0])
        ledger_copy_text(m.phone, sizeof m.phone, c->key);
    m.left = c->flag;
    m.changed = e->seq;
    members_put(&self->txn, c->household, &m);
    return 0;
}

int committee_apply_proxy_consent(ledger *self, const jifen_entry *e, char *err,
                               size_t errlen)
{
    const jifen_command *c = &e->command;
    proxy_record r;
    storage_error se =
        proxy_get(&self->txn, c->household, c->member, c->proxy, &r);
    if (se != STORAGE_OK && se != STORAGE_NOT_FOUND) {
        decide_failed(self, se);
        return 0;
    }
    bool in_force = se == STORAGE_OK && r.revoked == 0;
    if (in_force == !c->flag)
        return ledger_refuse(err, errlen, "the consent of %s for %s is %s here",
                      c->member, c->proxy,
                      in_force ? "in force already" : "not in force");
    if (c->flag) {
        r.revoked = e->seq;
    } else {
        r.consent = e->seq;
        r.revoked = 0;
    }
    proxy_put(&self->txn, c->household, c->member, c->proxy, &r);
    return 0;
}

int committee_apply_passbook_mark(ledger *self, const jifen_entry *e, char *err,
                               size_t errlen)
{
    const jifen_command *c = &e->command;
    passbook_mark m;
    storage_error se = passbook_get(&self->txn, c->household, &m);
    if (se != STORAGE_OK) {
        decide_failed(self, se);
        return 0;
    }
    if (c->entry <= m.through)
        return ledger_refuse(err, errlen,
                      "%s's passbook is printed through entry %" PRIu64
                      " here",
                      c->household, m.through);
    m.through = c->entry;
    m.lines += c->limit;
    m.mark = e->seq;
    passbook_put(&self->txn, c->household, &m);
    return 0;
}

int committee_apply_opening(ledger *self, const jifen_entry *e)
{
    const jifen_command *c = &e->command;
    if (c->points) {
        int64_t expires = e->expires_ms ? e->expires_ms : LOTS_NEVER;
        lots_credit(&self->txn, c->household, e->seq, expires, c->points);
        ledger_timer_due_by(self, expires);
    }
    return 0;
}

int committee_apply_award(ledger *self, const jifen_entry *e, char *err,
                          size_t errlen)
{
    const jifen_command *c = &e->command;
    if (!c->name[0])
        return 0;
    storage_error se = event_put(&self->txn, c->household, c->code,
                                 c->effective, c->name, e->seq);
    if (se == STORAGE_EXISTS)
        return ledger_refuse(err, errlen, "%s was awarded for event %s already here",
                      c->household, c->name);
    return 0;
}

void committee_award_undone(ledger *self, const jifen_entry *award)
{
    const jifen_command *c = &award->command;
    if (c->name[0])
        event_free(&self->txn, c->household, c->code, c->effective, c->name,
                   award->seq);
}

int committee_apply_reverse(ledger *self, const jifen_entry *original,
                            char *err, size_t errlen)
{
    const jifen_command *c = &original->command;
    if (c->kind != JIFEN_CMD_OPENING || c->points == 0)
        return 0;
    if (lots_take_back(&self->txn, c->household, c->points) != 0)
        return ledger_refuse(err, errlen,
                      "household %s holds fewer points in its lots than the "
                      "opening balance it reverses",
                      c->household);
    return 0;
}
