/*
 * apply - one entry into the ledger: the journal and every piece of derived
 * state (ledger_internal.h). The primary calls it for the entries it
 * decides, a replica for the entries it receives, a rebuild for every entry
 * of a journal; nothing else writes derived state, so the three agree by
 * construction (tests/test_equivalence.c holds them to it).
 *
 * An entry is applied from itself and the state before it. What that
 * state cannot tell (the rule set's notice window, approval threshold,
 * expiry, suspension) the entry carries since format 3; for entries written
 * before, the same values are worked out from the rule set the entry names
 * (legacy_effects), as the release that wrote them did.
 *
 * Whatever does not fit the state before (a release of a notice that is
 * not open, a key revoked twice, a spend beyond the household's lots) is
 * refused with a reason and nothing of the entry may be kept: on a
 * replica it means the primary's history and this one differ.
 */
#include "ledger_internal.h"

#include "clock.h"
#include "counters.h"
#include "desk.h"
#include "journal.h"
#include "merkle_store.h"
#include "lots.h"
#include "notice.h"
#include "policy.h"
#include "sanction.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* What applying an entry depends on besides its postings. */
typedef struct {
    bool noticed;           /* an award under public notice */
    int64_t notice_ends_ms; /* ... when its window ends */
    bool needs_approval;
    int64_t expires_ms;         /* credited points: LOTS_NEVER or a time */
    int64_t suspended_until_ms; /* a sanction's end, 0: none */
} effects;

static int refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static void fail(ledger *self, storage_error e)
{
    if (e != STORAGE_OK && !self->txn.error)
        self->txn.error = e;
}

/* The rule set an entry of an earlier release was written under, the
 * version it names; NULL when the ledger has no rule set of that name (its
 * file was not given). */
static const policy *entry_policy(ledger *self, const jifen_entry *e)
{
    return ruleset_find(rulebook_for_write(self->book), e->policy);
}

static bool credits_pending(const jifen_entry *e)
{
    char pending[JIFEN_ACCOUNT_MAX + 1];
    account_household_pending(e->command.household, pending);
    return e->n_postings == 1 && strcmp(e->postings[0].credit, pending) == 0;
}

/* Whether working out an entry's effects needs its rule set. */
static bool needs_rule_set(const jifen_entry *e)
{
    return e->format < JIFEN_ENTRY_FORMAT &&
           (e->command.kind == JIFEN_CMD_AWARD ||
            e->command.kind == JIFEN_CMD_RELEASE ||
            e->command.kind == JIFEN_CMD_DEDUCT);
}

/* Before format 3 the rule set decided these at apply time; work them out
 * the same way. `notice` is the notice a release closes; pol the rule set
 * the entry names (needs_rule_set). */
static void legacy_effects(const policy *pol, const jifen_entry *e,
                           const notice_record *notice, effects *fx)
{
    const jifen_command *c = &e->command;
    switch (c->kind) {
    case JIFEN_CMD_AWARD:
        fx->noticed = credits_pending(e);
        if (fx->noticed) {
            notice_applies(pol, c->points, &fx->needs_approval);
            fx->notice_ends_ms = notice_window_end(e->time_ms,
                                                   pol->notice_days);
        } else {
            fx->expires_ms = policy_expiry_of(pol, e->time_ms);
        }
        break;
    case JIFEN_CMD_RELEASE:
        /* Earned when the window ended, however late the timer ran. */
        fx->expires_ms = policy_expiry_of(pol, notice ? notice->due_ms
                                                      : e->time_ms);
        break;
    case JIFEN_CMD_DEDUCT: {
        const policy_rule *rule = policy_find_rule(pol, c->code);
        fx->suspended_until_ms =
            rule ? policy_suspended_until(rule, e->time_ms) : 0;
        break;
    }
    default:
        break;
    }
}

/* The effects of entry e: 0, or -1 with why in err when it is an entry of
 * an earlier release whose rule set the ledger does not have. */
static int entry_effects(ledger *self, const jifen_entry *e,
                         const notice_record *notice, effects *fx, char *err,
                         size_t errlen)
{
    memset(fx, 0, sizeof *fx);
    fx->expires_ms = LOTS_NEVER;
    if (needs_rule_set(e)) {
        const policy *pol = entry_policy(self, e);
        if (!pol)
            return refuse(err, errlen,
                          "it was written under rule set %s, which this "
                          "jifend was not given: start it with that rule "
                          "set's file (--policy)",
                          e->policy);
        legacy_effects(pol, e, notice, fx);
        return 0;
    }
    if (e->format < JIFEN_ENTRY_FORMAT)
        return 0;
    fx->noticed = e->notice_ends_ms != 0;
    fx->notice_ends_ms = e->notice_ends_ms;
    fx->needs_approval = e->needs_approval;
    fx->expires_ms = e->expires_ms ? e->expires_ms : LOTS_NEVER;
    fx->suspended_until_ms = e->suspended_until_ms;
    return 0;
}

/* --- balances and the history index --------------------------------------- */

static void add_totals(ledger *self, const char *account, uint64_t debit,
                       uint64_t credit)
{
    fail(self, totals_add(&self->w->totals, &self->txn, account, debit,
                          credit));
}

static void post_balances(ledger *self, const jifen_entry *e)
{
    for (size_t i = 0; i < e->n_postings; i++) {
        add_totals(self, e->postings[i].debit, e->postings[i].amount, 0);
        add_totals(self, e->postings[i].credit, 0, e->postings[i].amount);
    }
}

static void index_history(ledger *self, const char *household, uint64_t seq)
{
    uint8_t key[ACCOUNT_HISTORY_KEY_MAX];
    size_t klen = account_history_key(household, seq, key);
    storage_put(&self->txn, TABLE_BALANCES, key, klen, "", 0,
                STORAGE_PUT_OVERWRITE);
}

/* --- households and keys ---------------------------------------------------- */

#define HOUSEHOLD_RECORD_FIXED 12 /* be64 registering entry, be32 area */

static int apply_household_add(ledger *self, const jifen_entry *e, char *err,
                               size_t errlen)
{
    const jifen_command *c = &e->command;
    uint8_t rec[HOUSEHOLD_RECORD_FIXED + JIFEN_NAME_MAX];
    storage_be64_put(rec, e->seq);
    rec[8] = (uint8_t)(c->area_centi_m2 >> 24);
    rec[9] = (uint8_t)(c->area_centi_m2 >> 16);
    rec[10] = (uint8_t)(c->area_centi_m2 >> 8);
    rec[11] = (uint8_t)c->area_centi_m2;
    size_t n = strlen(c->name);
    memcpy(rec + HOUSEHOLD_RECORD_FIXED, c->name, n);
    storage_error se =
        storage_put(&self->txn, TABLE_HOUSEHOLDS, c->household,
                    strlen(c->household), rec, HOUSEHOLD_RECORD_FIXED + n,
                    STORAGE_PUT_NEW);
    /* STORAGE_EXISTS is an answer, not a failure: the txn goes on. */
    if (se == STORAGE_EXISTS)
        return refuse(err, errlen, "household %s is registered already",
                      c->household);
    return 0;
}

storage_error ledger_get_household(storage_txn *txn, const char *code,
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

static int apply_key_enrol(ledger *self, const jifen_entry *e, char *err,
                           size_t errlen)
{
    keys_record rec;
    storage_error se = keys_get(&self->txn, e->command.key, &rec);
    if (se == STORAGE_OK)
        return refuse(err, errlen, "key %s is enrolled already",
                      e->command.key);
    if (se != STORAGE_NOT_FOUND) {
        fail(self, se);
        return 0;
    }
    memset(&rec, 0, sizeof rec);
    rec.role = e->command.role;
    rec.enrolled_entry = e->seq;
    ledger_copy_text(rec.label, sizeof rec.label, e->command.name);
    if (e->command.all_communities) {
        rec.scope = KEYS_SCOPE_ALL;
    } else if (e->command.street[0]) {
        rec.scope = KEYS_SCOPE_STREET;
        ledger_copy_text(rec.scope_text, sizeof rec.scope_text,
                         e->command.street);
    } else if (e->command.text) {
        rec.scope = KEYS_SCOPE_LIST;
        ledger_copy_text(rec.scope_text, sizeof rec.scope_text,
                         e->command.text);
    }
    keys_put(&self->txn, e->command.key, &rec);
    self->keys_changed = true;
    return 0;
}

static int apply_key_revoke(ledger *self, const jifen_entry *e, char *err,
                            size_t errlen)
{
    keys_record rec;
    storage_error se = keys_get(&self->txn, e->command.key, &rec);
    if (se == STORAGE_NOT_FOUND || (se == STORAGE_OK && rec.revoked))
        return refuse(err, errlen,
                      "it revokes key %s, which is not enrolled here",
                      e->command.key);
    if (se != STORAGE_OK) {
        fail(self, se);
        return 0;
    }
    rec.revoked = true;
    rec.revoked_entry = e->seq;
    keys_put(&self->txn, e->command.key, &rec);
    self->keys_changed = true;
    return 0;
}

/* --- points: awards, notices, lots ------------------------------------------ */

static int apply_award(ledger *self, const jifen_entry *e, const effects *fx,
                       char *err, size_t errlen)
{
    const jifen_command *c = &e->command;
    /* Issue 15: the event it was awarded for, taken for the household. */
    if (committee_apply_award(self, e, err, errlen) != 0)
        return -1;
    counter_add_month_year(&self->txn, c->household, c->code, e->time_ms,
                           c->points);
    if (!fx->noticed) {
        lots_credit(&self->txn, c->household, e->seq, fx->expires_ms,
                    c->points);
        ledger_timer_due_by(self, fx->expires_ms);
        return 0;
    }
    household_record h;
    storage_error se = ledger_get_household(&self->txn, c->household, &h);
    if (se != STORAGE_OK) {
        fail(self, se == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : se);
        return 0;
    }
    notice_record r;
    memset(&r, 0, sizeof r);
    r.entry = e->seq;
    r.time_ms = e->time_ms;
    r.due_ms = fx->notice_ends_ms;
    r.points = c->points;
    r.state = NOTICE_PENDING;
    r.needs_approval = fx->needs_approval;
    ledger_copy_text(r.household, sizeof r.household, c->household);
    ledger_copy_text(r.name, sizeof r.name, h.name);
    ledger_copy_text(r.activity, sizeof r.activity, c->code);
    ledger_copy_text(r.author, sizeof r.author, e->author);
    ledger_copy_text(r.author_key, sizeof r.author_key, e->author_key);
    notice_put(&self->txn, &r);
    if (!r.needs_approval)
        ledger_timer_due_by(self, r.due_ms);
    return 0;
}

/* The notice a Release, Object or Approve entry is about: it must be
 * pending. */
static int pending_notice(ledger *self, const jifen_entry *e,
                          notice_record *r, char *err, size_t errlen)
{
    storage_error se = notice_get(&self->txn, e->command.entry, r);
    if (se == STORAGE_NOT_FOUND)
        return refuse(err, errlen, "award %" PRIu64 " has no notice here",
                      e->command.entry);
    if (se != STORAGE_OK) {
        fail(self, se);
        return -1;
    }
    if (r->state != NOTICE_PENDING)
        return refuse(err, errlen,
                      "the notice of award %" PRIu64 " is closed here",
                      e->command.entry);
    return 0;
}

static int apply_notice_decision(ledger *self, const jifen_entry *e,
                                 notice_record *r, char *err, size_t errlen)
{
    bool release = e->command.kind == JIFEN_CMD_RELEASE;
    if (release && r->needs_approval && !r->approved)
        return refuse(err, errlen,
                      "award %" PRIu64 " is released unapproved",
                      r->entry);
    effects fx;
    if (entry_effects(self, e, r, &fx, err, errlen) != 0)
        return -1;
    r->state = release ? NOTICE_POSTED : NOTICE_VOIDED;
    r->decided_by = e->seq;
    notice_put(&self->txn, r);
    if (release) {
        lots_credit(&self->txn, r->household, e->seq, fx.expires_ms,
                    r->points);
        ledger_timer_due_by(self, fx.expires_ms);
    } else {
        counter_add_month_year(&self->txn, r->household, r->activity,
                               r->time_ms, -(int64_t)r->points);
        /* A voided award frees the event it was for (issue 15). */
        storage_error se =
            journal_read(&self->txn, r->entry, &self->w->original, false);
        if (se == STORAGE_OK)
            committee_award_undone(self, &self->w->original);
        else
            fail(self, se == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : se);
    }
    return 0;
}

static int apply_approve(ledger *self, notice_record *r, char *err,
                         size_t errlen)
{
    if (!r->needs_approval || r->approved)
        return refuse(err, errlen, "award %" PRIu64 " %s", r->entry,
                      r->approved ? "is approved already"
                                  : "needs no approval");
    r->approved = true;
    notice_put(&self->txn, r);
    ledger_timer_due_by(self, r->due_ms);
    return 0;
}

static int spent(int rc, const char *household, char *err, size_t errlen)
{
    return rc == 0 ? 0
                   : refuse(err, errlen,
                            "household %s holds fewer points in its lots "
                            "than the entry takes",
                            household);
}

static int apply_expire(ledger *self, const jifen_entry *e, char *err,
                        size_t errlen)
{
    int64_t due = 0;
    if (clock_parse_period(e->command.period, &due) != 0)
        return refuse(err, errlen, "period %s is not YYYY-MM",
                      e->command.period);
    uint64_t points = e->n_postings ? e->postings[0].amount : 0;
    return spent(lots_expire(&self->txn, e->command.household, due, points),
                 e->command.household, err, errlen);
}

/* --- reversals --------------------------------------------------------------- */

static int apply_reverse(ledger *self, const jifen_entry *e,
                         char household[JIFEN_HOUSEHOLD_MAX + 1], char *err,
                         size_t errlen)
{
    jifen_entry *o = &self->w->original;
    storage_error se = journal_read(&self->txn, e->reverses, o, false);
    if (se == STORAGE_NOT_FOUND)
        return refuse(err, errlen, "it reverses entry %" PRIu64
                      ", which is not here", e->reverses);
    if (se != STORAGE_OK) {
        fail(self, se);
        return 0;
    }
    uint8_t key[8], rev[8];
    storage_be64_put(key, e->reverses);
    storage_be64_put(rev, e->seq);
    se = storage_put(&self->txn, TABLE_REVERSALS, key, sizeof key, rev,
                     sizeof rev, STORAGE_PUT_NEW);
    if (se == STORAGE_EXISTS)
        return refuse(err, errlen, "entry %" PRIu64 " is reversed already",
                      e->reverses);
    const jifen_command *c = &o->command;
    memcpy(household, c->household, JIFEN_HOUSEHOLD_MAX + 1);
    if (desk_apply_reverse(self, e, o, err, errlen) != 0)
        return -1;
    int64_t earliest = LOTS_NEVER;
    switch (c->kind) {
    case JIFEN_CMD_AWARD:
        counter_add_month_year(&self->txn, c->household, c->code, o->time_ms,
                               -(int64_t)c->points);
        committee_award_undone(self, o);
        return spent(lots_take_back(&self->txn, c->household, c->points),
                     c->household, err, errlen);
    case JIFEN_CMD_ONTIME_AWARD:
        /* Reversed itself (an operator's correction; a payment's reversal
         * takes its awards back in desk_apply_reverse): its points out of
         * the newest lots, as an award's, so that the lots keep holding
         * what the account does. Equivalence seed 3 found the lots left
         * as they were: they expired later into a balance of -3. */
        return spent(lots_take_back(&self->txn, c->household, c->points),
                     c->household, err, errlen);
    case JIFEN_CMD_OPENING: /* issue 15 */
        return committee_apply_reverse(self, o, err, errlen);
    case JIFEN_CMD_GOODS_REDEEM:
        return supermarket_apply_reverse(self, o, e->seq, err, errlen);
    case JIFEN_CMD_REDEEM:
        counter_add_month_year(&self->txn, c->household, COUNTER_REDEEM,
                               o->time_ms, -(int64_t)c->amount);
        lots_restore(&self->txn, c->household, o->seq, &earliest);
        break;
    case JIFEN_CMD_DEDUCT:
        fail(self, sanction_lift(&self->txn, c->household, o->seq));
        lots_restore(&self->txn, c->household, o->seq, &earliest);
        break;
    default:
        break;
    }
    /* Points back after their expiry expire at the next tick. */
    ledger_timer_due_by(self, earliest);
    return 0;
}

/* --- the one entry point ------------------------------------------------------ */

int apply_entry(ledger *self, const jifen_entry *e, const uint8_t *stored,
                size_t len, char household[JIFEN_HOUSEHOLD_MAX + 1],
                char *err, size_t errlen)
{
    const jifen_command *c = &e->command;
    memcpy(household, c->household, JIFEN_HOUSEHOLD_MAX + 1);
    effects fx;
    notice_record r;
    int rc = 0;
    switch (c->kind) {
    case JIFEN_CMD_HOUSEHOLD_ADD:
        rc = apply_household_add(self, e, err, errlen);
        break;
    case JIFEN_CMD_AWARD:
        rc = entry_effects(self, e, NULL, &fx, err, errlen);
        if (rc == 0)
            rc = apply_award(self, e, &fx, err, errlen);
        break;
    case JIFEN_CMD_DEDUCT:
        rc = entry_effects(self, e, NULL, &fx, err, errlen);
        if (rc == 0)
            rc = spent(lots_spend(&self->txn, c->household, e->seq,
                                  e->postings[0].amount),
                       c->household, err, errlen);
        if (rc == 0 && fx.suspended_until_ms)
            sanction_put(&self->txn, c->household, e->seq,
                         fx.suspended_until_ms);
        /* Issue 15: a rule that also suspends awards (format 3 only: the
         * rule key came later). */
        if (rc == 0 && e->awards_suspended_until_ms)
            sanction_award_put(&self->txn, c->household, e->seq,
                               e->awards_suspended_until_ms);
        break;
    case JIFEN_CMD_REDEEM:
        counter_add_month_year(&self->txn, c->household, COUNTER_REDEEM,
                               e->time_ms, (int64_t)c->amount);
        rc = spent(lots_spend(&self->txn, c->household, e->seq, c->amount),
                   c->household, err, errlen);
        break;
    case JIFEN_CMD_EXPIRE:
        rc = apply_expire(self, e, err, errlen);
        break;
    case JIFEN_CMD_REVERSE:
        rc = apply_reverse(self, e, household, err, errlen);
        break;
    case JIFEN_CMD_RELEASE:
    case JIFEN_CMD_OBJECT:
    case JIFEN_CMD_APPROVE:
        rc = pending_notice(self, e, &r, err, errlen);
        if (rc == 0)
            memcpy(household, r.household, JIFEN_HOUSEHOLD_MAX + 1);
        if (rc == 0 && c->kind == JIFEN_CMD_APPROVE)
            rc = apply_approve(self, &r, err, errlen);
        else if (rc == 0)
            rc = apply_notice_decision(self, e, &r, err, errlen);
        break;
    case JIFEN_CMD_KEY_ENROL:
        rc = apply_key_enrol(self, e, err, errlen);
        break;
    case JIFEN_CMD_KEY_REVOKE:
        rc = apply_key_revoke(self, e, err, errlen);
        break;
    case JIFEN_CMD_POLICY_LOAD:
        rc = adopt_apply(self, e, err, errlen);
        break;
    case JIFEN_CMD_COMMUNITY_CREATE:
    case JIFEN_CMD_COMMUNITY_CLOSE:
        rc = community_apply(self, e, err, errlen);
        break;
    case JIFEN_CMD_BILL:
    case JIFEN_CMD_PAY:
    case JIFEN_CMD_REFUND:
    case JIFEN_CMD_SHIFT_CLOSE:
    case JIFEN_CMD_HOUSEHOLD_SET:
    case JIFEN_CMD_ONTIME_AWARD:
        rc = desk_apply(self, e, err, errlen); /* desk.c */
        break;
    case JIFEN_CMD_SETTLE:
        break;
    /* issue 15 (docs/committee.md) */
    case JIFEN_CMD_MEMBER_SET:
        rc = committee_apply_member_set(self, e, err, errlen);
        break;
    case JIFEN_CMD_PROXY_CONSENT:
        rc = committee_apply_proxy_consent(self, e, err, errlen);
        break;
    case JIFEN_CMD_OPENING:
        rc = committee_apply_opening(self, e);
        break;
    case JIFEN_CMD_PASSBOOK_MARK:
        rc = committee_apply_passbook_mark(self, e, err, errlen);
        break;
    case JIFEN_CMD_ITEM_SET:
        rc = supermarket_apply_item_set(self, e, err, errlen);
        break;
    case JIFEN_CMD_STOCK_CHANGE:
        rc = supermarket_apply_stock_change(self, e, err, errlen);
        break;
    case JIFEN_CMD_GOODS_REDEEM:
        rc = supermarket_apply_goods_redeem(self, e, err, errlen);
        break;
    case JIFEN_CMD_PICKUP:
        rc = supermarket_apply_pickup(self, e, household, err, errlen);
        break;
    case JIFEN_CMD_FUNDER_SETTLE: /* its postings are all it does */
        break;
    default:
        rc = refuse(err, errlen, "a %s command is not an entry",
                    c->kind == JIFEN_CMD_NONE ? "missing" : "query");
    }
    if (rc != 0 || self->txn.error)
        return rc;
    journal_append(&self->txn, e->seq, stored, len);
    /* The Merkle tree over the journal (merkle_store.h): its one call. */
    if (!self->opts.merkle_off)
        merkle_append(&self->txn, &self->tree_edge, e->seq, stored, len);
    post_balances(self, e);
    if (household[0])
        index_history(self, household, e->seq);
    return 0;
}
