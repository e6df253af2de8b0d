/*
 * supermarket - issue 15's decisions and applies for the points
 * supermarket (积分超市, docs/committee.md): the catalogue, its stock,
 * redemptions of goods, their pickup, and settling with the funders.
 * Stored state: market.h. Decisions as in decide.c, applies as in apply.c.
 *
 * A redemption of goods is one entry with (up to) two postings: the
 * household's points to community/points-redeemed, and the goods' value
 * from community/goods-redeemed to the funder's account, which then shows
 * what the scheme owes it. The stock falls in the same apply. The entry
 * records the unit price it was redeemed at, so a later change of price
 * touches nothing made before.
 */
#include "ledger_internal.h"

#include "counters.h"
#include "journal.h"
#include "lots.h"
#include "market.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>


/* The item `code`; refused (UNKNOWN_ITEM) when there is none, or when it
 * was withdrawn and on_sale is asked for. */
static bool need_item(ledger *self, const char *code, bool on_sale,
                      market_item *it, jifen_result *result)
{
    storage_error e = market_item_get(&self->txn, code, it);
    if (e == STORAGE_OK && !(on_sale && it->withdrawn))
        return true;
    if (e == STORAGE_OK || e == STORAGE_NOT_FOUND)
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_ITEM,
                          e == STORAGE_OK
                              ? "item %s was withdrawn from the supermarket"
                              : "the supermarket has no item %s",
                          code);
    else
        decide_failed(self, e);
    return false;
}

/* --- the catalogue ------------------------------------------------------------ */

void supermarket_decide_item_set(ledger *self, const write_context *ctx,
                            const jifen_command *cmd, jifen_result *result)
{
    market_item it;
    storage_error e = market_item_get(&self->txn, cmd->code, &it);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND) {
        decide_failed(self, e);
        return;
    }
    bool exists = e == STORAGE_OK;
    if (cmd->flag && !need_item(self, cmd->code, true, &it, result))
        return;
    if (!cmd->flag && exists && cmd->limit) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "item %s has a stock of %" PRIu64
                          " already: it changes by stock entries (jifen shop "
                          "stock)",
                          cmd->code, it.stock);
        return;
    }
    market_funder f;
    e = cmd->flag ? STORAGE_NOT_FOUND
                  : market_funder_get(&self->txn, cmd->key, &f);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND) {
        decide_failed(self, e);
        return;
    }
    if (e == STORAGE_OK && f.kind != cmd->funder_kind) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "funder %s is a %s already, not a %s", cmd->key,
                          jifen_funder_kind_name(f.kind),
                          jifen_funder_kind_name(cmd->funder_kind));
        return;
    }
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
    result->stock_left = (int64_t)(exists ? it.stock : cmd->limit);
}

void supermarket_decide_stock_change(ledger *self, const write_context *ctx,
                                const jifen_command *cmd,
                                jifen_result *result)
{
    market_item it;
    /* Goods come in only for what is on sale; they go out (broken,
     * lost) whatever the item's state. */
    if (!need_item(self, cmd->code, !cmd->flag, &it, result))
        return;
    if (cmd->flag && cmd->amount > it.stock) {
        ledger_set_result(result, JIFEN_STATUS_OUT_OF_STOCK,
                          "item %s has %" PRIu64 " in stock, not %" PRIu64,
                          cmd->code, it.stock, cmd->amount);
        return;
    }
    decide_new_draft(self, cmd);
    ledger_post_draft(self, ctx, result);
    result->stock_left = (int64_t)(cmd->flag ? it.stock - cmd->amount
                                             : it.stock + cmd->amount);
}

/* --- redemptions and pickups ---------------------------------------------------- */

void supermarket_decide_goods_redeem(ledger *self, const write_context *ctx,
                                const jifen_command *cmd,
                                jifen_result *result)
{
    jifen_balance b;
    market_item it;
    uint64_t consent = 0;
    if (!decide_need_household(self, cmd->household, &b, result) ||
        decide_redemption_suspended(self, ctx, cmd->household, result) ||
        !committee_acting(self, cmd->household, cmd, &consent, result) ||
        !need_item(self, cmd->code, true, &it, result))
        return;
    if (it.stock < cmd->amount) {
        ledger_set_result(result, JIFEN_STATUS_OUT_OF_STOCK,
                          "only %" PRIu64 " of %s (%s) left, %" PRIu64
                          " asked: nothing was taken",
                          it.stock, it.code, it.name, cmd->amount);
        return;
    }
    /* Both at most 10^6 and 10^3: the product fits. */
    uint64_t points = it.price * cmd->amount;
    if (!decide_enough_points(&b, points, result))
        return;
    jifen_status s =
        decide_redeem_cap(self, ctx, cmd->household, points, result);
    if (s != JIFEN_STATUS_OK) {
        result->status = s;
        return;
    }
    jifen_entry *e = decide_new_draft(self, cmd);
    e->command.points = (uint32_t)it.price; /* the price it was redeemed at */
    e->proxy_consent = consent;
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_household_points(cmd->household, account);
    decide_add_posting(e, JIFEN_ASSET_POINTS, account, ACCOUNT_POINTS_REDEEMED,
                       points);
    if (it.value_fen) {
        market_funder_account(it.funder, account);
        decide_add_posting(e, JIFEN_ASSET_FEE, ACCOUNT_GOODS_REDEEMED, account,
                           it.value_fen * cmd->amount);
    }
    ledger_post_draft(self, ctx, result);
    result->points = points;
    result->stock_left = (int64_t)(it.stock - cmd->amount);
}

/* The redemption of goods `entry`, waiting for its pickup. */
static bool need_waiting(ledger *self, uint64_t entry, market_goods *g,
                         jifen_result *result)
{
    storage_error e = market_goods_get(&self->txn, entry, g);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_ENTRY,
                          "entry %" PRIu64 " is not a redemption of goods",
                          entry);
        return false;
    }
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        return false;
    }
    if (g->pickup == 0 && g->reversed == 0)
        return true;
    ledger_set_result(result, JIFEN_STATUS_ALREADY_PICKED_UP,
                      g->pickup ? "the goods of entry %" PRIu64
                                  " were handed over by entry %" PRIu64
                                : "redemption %" PRIu64
                                  " was reversed by entry %" PRIu64
                                  ": nothing to hand over",
                      entry, g->pickup ? g->pickup : g->reversed);
    return false;
}

void supermarket_decide_pickup(ledger *self, const write_context *ctx,
                          const jifen_command *cmd, jifen_result *result)
{
    market_goods g;
    uint64_t consent = 0;
    if (!need_waiting(self, cmd->entry, &g, result) ||
        !committee_acting(self, g.household, cmd, &consent, result))
        return;
    jifen_entry *e = decide_new_draft(self, cmd);
    e->proxy_consent = consent;
    /* Filed under the redemption's household; the stored Pickup does not
     * carry it (apply reads the redemption's record). */
    ledger_copy_text(e->command.household, sizeof e->command.household,
                     g.household);
    ledger_post_draft(self, ctx, result);
}

/* --- funders -------------------------------------------------------------------- */

void supermarket_decide_funder_settle(ledger *self, const write_context *ctx,
                                 const jifen_command *cmd,
                                 jifen_result *result)
{
    market_funder f;
    storage_error e = market_funder_get(&self->txn, cmd->key, &f);
    if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_FUNDER,
                          "no item of the supermarket is funded by %s",
                          cmd->key);
        return;
    }
    char account[JIFEN_ACCOUNT_MAX + 1];
    account_totals t = {0, 0};
    market_funder_account(cmd->key, account);
    if (e == STORAGE_OK)
        e = ledger_totals(self, account, &t); /* through the writer's totals */
    if (e != STORAGE_OK) {
        decide_failed(self, e);
        return;
    }
    uint64_t owed = t.credits > t.debits ? t.credits - t.debits : 0;
    if (cmd->amount > owed) {
        ledger_set_result(result, JIFEN_STATUS_CAP_EXCEEDED,
                          "the scheme owes %s %" PRIu64 ".%02" PRIu64
                          " yuan for goods handed out; settle at most that",
                          cmd->key, owed / 100, owed % 100);
        return;
    }
    jifen_entry *d = decide_new_draft(self, cmd);
    decide_add_posting(d, JIFEN_ASSET_FEE, account, ACCOUNT_FUNDER_PAID,
                       cmd->amount);
    ledger_post_draft(self, ctx, result);
}


bool supermarket_reversible(ledger *self, const jifen_entry *original,
                            jifen_result *result)
{
    if (original->command.kind != JIFEN_CMD_GOODS_REDEEM)
        return true;
    market_goods g;
    storage_error e = market_goods_get(&self->txn, original->seq, &g);
    if (e != STORAGE_OK) {
        decide_failed(self, e == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : e);
        return false;
    }
    if (g.pickup == 0)
        return true;
    ledger_set_result(result, JIFEN_STATUS_NOT_REVERSIBLE,
                      "the goods of entry %" PRIu64
                      " were handed over (entry %" PRIu64
                      "): goods brought back are restocked, not reversed",
                      original->seq, g.pickup);
    return false;
}

/* --- applying -------------------------------------------------------------------- */

static storage_error get_item(ledger *self, const char *code, market_item *it)
{
    storage_error e = market_item_get(&self->txn, code, it);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND)
        decide_failed(self, e);
    return e;
}

int supermarket_apply_item_set(ledger *self, const jifen_entry *e, char *err,
                          size_t errlen)
{
    const jifen_command *c = &e->command;
    market_item it;
    storage_error se = get_item(self, c->code, &it);
    if (se != STORAGE_OK && se != STORAGE_NOT_FOUND)
        return 0;
    if (c->flag) {
        if (se != STORAGE_OK || it.withdrawn)
            return ledger_refuse(err, errlen, "item %s is not on sale here",
                          c->code);
        it.withdrawn = true;
        it.changed = e->seq;
        market_item_put(&self->txn, &it);
        return 0;
    }
    if (se == STORAGE_NOT_FOUND) {
        memset(&it, 0, sizeof it);
        ledger_copy_text(it.code, sizeof it.code, c->code);
        it.created = e->seq;
        it.stock = c->limit;
    }
    ledger_copy_text(it.name, sizeof it.name, c->name);
    ledger_copy_text(it.funder, sizeof it.funder, c->key);
    it.changed = e->seq;
    it.price = c->points;
    it.value_fen = c->amount;
    it.funder_kind = c->funder_kind;
    it.withdrawn = false;
    market_item_put(&self->txn, &it);
    market_funder f;
    se = market_funder_get(&self->txn, c->key, &f);
    if (se == STORAGE_OK && f.kind != c->funder_kind)
        return ledger_refuse(err, errlen, "funder %s is of another kind here",
                      c->key);
    if (se != STORAGE_OK && se != STORAGE_NOT_FOUND) {
        decide_failed(self, se);
        return 0;
    }
    if (se == STORAGE_NOT_FOUND) {
        memset(&f, 0, sizeof f);
        ledger_copy_text(f.code, sizeof f.code, c->key);
        f.kind = c->funder_kind;
    }
    if (c->note[0])
        ledger_copy_text(f.name, sizeof f.name, c->note);
    market_funder_put(&self->txn, &f);
    return 0;
}

int supermarket_apply_stock_change(ledger *self, const jifen_entry *e, char *err,
                              size_t errlen)
{
    const jifen_command *c = &e->command;
    market_item it;
    storage_error se = get_item(self, c->code, &it);
    if (se == STORAGE_NOT_FOUND)
        return ledger_refuse(err, errlen, "there is no item %s here", c->code);
    if (se != STORAGE_OK)
        return 0;
    if (c->flag && c->amount > it.stock)
        return ledger_refuse(err, errlen, "item %s has %" PRIu64 " in stock here",
                      c->code, it.stock);
    it.stock = c->flag ? it.stock - c->amount : it.stock + c->amount;
    market_item_put(&self->txn, &it);
    return 0;
}

int supermarket_apply_goods_redeem(ledger *self, const jifen_entry *e, char *err,
                              size_t errlen)
{
    const jifen_command *c = &e->command;
    uint64_t points = e->n_postings ? e->postings[0].amount : 0;
    market_item it;
    storage_error se = get_item(self, c->code, &it);
    if (se == STORAGE_NOT_FOUND || (se == STORAGE_OK && it.stock < c->amount))
        return ledger_refuse(err, errlen, "item %s has less in stock here than the "
                                   "redemption takes",
                      c->code);
    if (se != STORAGE_OK)
        return 0;
    counter_add_month_year(&self->txn, c->household, COUNTER_REDEEM,
                           e->time_ms, (int64_t)points);
    if (lots_spend(&self->txn, c->household, e->seq, points) != 0)
        return ledger_refuse(err, errlen,
                      "household %s holds fewer points in its lots than the "
                      "entry takes",
                      c->household);
    it.stock -= c->amount;
    market_item_put(&self->txn, &it);
    market_goods g;
    memset(&g, 0, sizeof g);
    g.entry = e->seq;
    g.quantity = c->amount;
    ledger_copy_text(g.household, sizeof g.household, c->household);
    ledger_copy_text(g.item, sizeof g.item, c->code);
    market_goods_put(&self->txn, &g);
    return 0;
}

int supermarket_apply_pickup(ledger *self, const jifen_entry *e,
                        char household[JIFEN_HOUSEHOLD_MAX + 1], char *err,
                        size_t errlen)
{
    market_goods g;
    storage_error se = market_goods_get(&self->txn, e->command.entry, &g);
    if (se == STORAGE_NOT_FOUND || (se == STORAGE_OK && (g.pickup ||
                                                         g.reversed)))
        return ledger_refuse(err, errlen,
                      "entry %" PRIu64 " has no goods waiting here",
                      e->command.entry);
    if (se != STORAGE_OK) {
        decide_failed(self, se);
        return 0;
    }
    g.pickup = e->seq;
    market_goods_put(&self->txn, &g);
    memcpy(household, g.household, JIFEN_HOUSEHOLD_MAX + 1);
    return 0;
}


int supermarket_apply_reverse(ledger *self, const jifen_entry *original,
                              uint64_t reversal, char *err, size_t errlen)
{
    const jifen_command *c = &original->command;
    if (c->kind != JIFEN_CMD_GOODS_REDEEM)
        return 0;
    market_goods g;
    market_item it;
    storage_error se = market_goods_get(&self->txn, original->seq, &g);
    if (se == STORAGE_OK && (g.pickup || g.reversed))
        return ledger_refuse(err, errlen,
                      "the goods of entry %" PRIu64 " are not waiting here",
                      original->seq);
    if (se == STORAGE_OK)
        se = get_item(self, c->code, &it);
    if (se != STORAGE_OK) {
        decide_failed(self, se == STORAGE_NOT_FOUND ? STORAGE_CORRUPT : se);
        return 0;
    }
    uint64_t points = original->n_postings ? original->postings[0].amount : 0;
    counter_add_month_year(&self->txn, c->household, COUNTER_REDEEM,
                           original->time_ms, -(int64_t)points);
    int64_t earliest = LOTS_NEVER;
    lots_restore(&self->txn, c->household, original->seq, &earliest);
    ledger_timer_due_by(self, earliest);
    it.stock += c->amount;
    market_item_put(&self->txn, &it);
    g.reversed = reversal;
    market_goods_put(&self->txn, &g);
    return 0;
}
