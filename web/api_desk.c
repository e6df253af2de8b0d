/*
 * api_desk - the property company's front desk (terminal role), and the
 * household lookups that the committee and the street office share.
 *
 *   GET  /api/households?q=&limit=   find by door number or name (staff)
 *   GET  /api/household?h=           balance, recent entries, redeem cap
 *   POST /api/desk/pay     {household, amount, channel?, reference?,
 *                           request_id}
 *   POST /api/desk/redeem  {household, points, request_id}
 *   POST /api/desk/bill    {household, amount, period, request_id}
 *   GET  /api/desk/receipt?entry=    the receipt (收据) of a payment
 *   GET  /api/desk/arrears?h=        what a household owes, by month, item
 *   POST /api/desk/billing {period, item?, dry_run?}   the billing run
 *   POST /api/desk/shift   {note?, request_id}         the shift close
 *   GET  /api/desk/shifts?date=      the day's closes, what is open
 *
 * Amounts are yuan text in ("128.50"), parsed exactly into fen; replies
 * carry fen integers and yuan text.
 */
#include "app.h"

#include "billing_run.h"
#include "codec.h"
#include "report_pages.h"
#include "rmb_capitals.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_SHOWN 20u

static void search(web_ctx *c)
{
    char q[JIFEN_NAME_MAX + 1] = "";
    uint64_t limit = SEARCH_SHOWN;
    spec_field fields[] = {
        SPEC_TEXT_FIELD("q", true, q),
        SPEC_UINT_FIELD("limit", false, &limit, 50),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    if (limit == 0)
        limit = SEARCH_SHOWN;
    jifen_command cmd = app_command(JIFEN_CMD_HOUSEHOLD_SEARCH, "");
    snprintf(cmd.name, sizeof cmd.name, "%s", q);
    cmd.limit = (uint32_t)limit + 1; /* one more says "there are more" */
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return;
    const jifen_result *r = &reply.results[0];
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_households && i < limit; i++)
        json_array_append_new(list, json_balance(&r->households[i]));
    reply_json(c, 200,
               json_pack("{s:o, s:b}", "households", list, "more",
                         r->n_households > limit));
    jifen_reply_clear(&reply);
}

/* What points can pay now, computed by the daemon's own policy code
 * (policy_redeem_most, the bound policy_redeem_offset enforces). */
static json_t *redeem_cap(const policy *p, const jifen_balance *b)
{
    uint64_t limit_fen = 0;
    uint64_t most = policy_redeem_most(p, b->fee_due_fen, &limit_fen);
    uint64_t have = b->points > 0 ? (uint64_t)b->points : 0;
    uint64_t usable = have < most ? have : most;
    char pct[16];
    snprintf(pct, sizeof pct, "%" PRIu32, p->max_offset_percent);
    return json_pack("{s:I, s:I, s:I, s:o, s:I, s:o, s:s, s:s, s:o}",
                     "most_points", (json_int_t)most, "usable_points",
                     (json_int_t)usable, "limit_fen", (json_int_t)limit_fen,
                     "limit_yuan", json_yuan((int64_t)limit_fen),
                     "usable_fen", (json_int_t)(usable * p->fen_per_point),
                     "usable_yuan",
                     json_yuan((int64_t)(usable * p->fen_per_point)),
                     "percent", pct, "rules", p->version, "point_yuan",
                     json_yuan(p->fen_per_point));
}

static void household(web_ctx *c)
{
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "";
    spec_field fields[] = {SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
                           SPEC_END};
    if (app_parse(c, fields) != 0)
        return;
    policy rules;
    if (app_rules(c, &rules) != 0)
        return;
    jifen_command cmds[2] = {app_command(JIFEN_CMD_BALANCE, h),
                             app_command(JIFEN_CMD_HISTORY, h)};
    cmds[1].limit = 10;
    jifen_reply reply;
    if (app_call(c, cmds, 2, NULL, &reply) != 0)
        return;
    const jifen_balance *b = &reply.results[0].balance;
    json_t *history = json_array();
    for (size_t i = 0; i < reply.results[1].n_history; i++)
        json_array_append_new(history,
                              json_entry(&reply.results[1].history[i]));
    json_t *o = json_pack("{s:o, s:o, s:o}", "balance", json_balance(b),
                          "history", history, "redeem", redeem_cap(&rules, b));
    /* The resident's own link, to print for them (not for auditors). */
    char url[512];
    if (c->session->role != JIFEN_ROLE_AUDITOR &&
        app_resident_link(c, h, url, sizeof url) == 0)
        json_object_set_new(o, "link", json_string(url));
    jifen_reply_clear(&reply);
    reply_json(c, 200, o);
}

/* The channel a form names (cash by default), or -1 replied. */
static int channel_field(web_ctx *c, const char *name, jifen_command *cmd)
{
    cmd->channel = name[0] ? jifen_channel_from_name(name) : JIFEN_CHANNEL_CASH;
    if (cmd->channel != JIFEN_CHANNEL_UNSPECIFIED)
        return 0;
    reply_error(c, 400, "bad_field", I18N_ERR_FIELD_CODE, "channel", NULL);
    return -1;
}

static void pay(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_PAY, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "", channel[JIFEN_CODE_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_FIELD("amount", SPEC_YUAN, true, &cmd.amount),
        SPEC_FIELD("channel", SPEC_CODE, false, &channel),
        /* A platform's reference has the request id's characters. */
        SPEC_FIELD("reference", SPEC_REQUEST_ID, false, &cmd.reference),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0 && channel_field(c, channel, &cmd) == 0)
        app_write(c, &cmd, id);
}

static void redeem(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_REDEEM, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_UINT_FIELD("points", true, &cmd.amount, JIFEN_POINTS_MAX),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
        app_write(c, &cmd, id);
}

static void bill(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_BILL, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_FIELD("amount", SPEC_YUAN, true, &cmd.amount),
        SPEC_FIELD("period", SPEC_PERIOD, true, &cmd.period),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
        app_write(c, &cmd, id);
}

/* --- the receipt (收据) ------------------------------------------------------ */

static const char *channel_key(jifen_channel ch)
{
    static char key[32];
    snprintf(key, sizeof key, "CHANNEL_%s", jifen_channel_name(ch));
    return key;
}

static void receipt(web_ctx *c)
{
    uint64_t entry = 0;
    spec_field fields[] = {SPEC_UINT_FIELD("entry", true, &entry, UINT64_MAX),
                           SPEC_END};
    if (app_parse(c, fields) != 0)
        return;
    jifen_command cmd = app_command(JIFEN_CMD_RECEIPT, "");
    cmd.entry = entry;
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return;
    const jifen_receipt *r = reply.results[0].receipt;
    if (r == NULL) {
        jifen_reply_clear(&reply);
        reply_error(c, 502, "internal", I18N_ERR_INTERNAL, NULL, "no receipt");
        return;
    }
    /* 人民币大写 by common/rmb_capitals.c, the one place it is made. */
    char capitals[RMB_CAPITALS_LEN] = "", hex[2 * JIFEN_HASH_LEN + 1];
    uint64_t total = r->paid_fen + r->offset_fen;
    rmb_capitals(total, capitals, sizeof capitals);
    json_t *lines = json_array();
    for (size_t i = 0; i < r->n_lines; i++)
        json_array_append_new(
            lines, json_pack("{s:s, s:s, s:s, s:I, s:o, s:I}", "item",
                             r->lines[i].item, "item_name",
                             r->lines[i].item_name, "period",
                             r->lines[i].period, "fen",
                             (json_int_t)r->lines[i].fen, "yuan",
                             json_yuan((int64_t)r->lines[i].fen), "bill_entry",
                             (json_int_t)r->lines[i].bill_entry));
    json_t *o = json_pack(
        "{s:I, s:I, s:o, s:I, s:s, s:s, s:o, s:I, s:o, s:s, s:s, s:s, s:I, "
        "s:o, s:o, s:s, s:o, s:I, s:o, s:I, s:s, s:s, s:s, s:o, s:I}",
        "entry", (json_int_t)r->entry, "receipt", (json_int_t)r->receipt,
        "time", json_minute(r->time_ms), "time_ms", (json_int_t)r->time_ms,
        "household", r->household, "name", r->name, "area_m2",
        json_yuan(r->area_centi_m2), "paid_fen", (json_int_t)r->paid_fen,
        "paid_yuan", json_yuan((int64_t)r->paid_fen), "channel",
        jifen_channel_name(r->channel), "channel_key", channel_key(r->channel),
        "reference", r->reference, "points", (json_int_t)r->points,
        "offset_yuan", json_yuan((int64_t)r->offset_fen), "total_yuan",
        json_yuan((int64_t)total), "capitals", capitals, "lines", lines,
        "ahead_fen", (json_int_t)r->ahead_fen, "ahead_yuan",
        json_yuan((int64_t)r->ahead_fen), "fee_due_after_fen",
        (json_int_t)r->fee_due_after_fen, "author", r->author, "payee",
        r->payee, "hash",
        jifen_hex(r->entry_hash, JIFEN_HASH_LEN, hex, sizeof hex),
        "fee_due_after_yuan", json_yuan(r->fee_due_after_fen), "points_after",
        (json_int_t)r->points_after);
    if (r->reversed_by)
        json_object_set_new(o, "reversed_by",
                            json_integer((json_int_t)r->reversed_by));
    jifen_reply_clear(&reply);
    reply_json(c, 200, o);
}

/* A report's rows as the pages show them (json_report) for one command;
 * -1 when it replied with a refusal. */
static int report_reply(web_ctx *c, jifen_command *cmd)
{
    jifen_reply reply;
    if (app_call(c, cmd, 1, NULL, &reply) != 0)
        return -1;
    json_t *o = json_report(reply.results[0].report);
    jifen_reply_clear(&reply);
    reply_json(c, 200, o);
    return 0;
}

/* What a household owes, by month and item (the arrears report of one
 * household, as of the end of this month). */
static void arrears(web_ctx *c)
{
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "";
    spec_field fields[] = {SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
                           SPEC_END};
    if (app_parse(c, fields) != 0)
        return;
    jifen_command cmd = app_command(JIFEN_CMD_REPORT, h);
    snprintf(cmd.code, sizeof cmd.code, "arrears");
    report_reply(c, &cmd);
}

/* --- the billing run and the shift close ------------------------------------- */

static void billing(web_ctx *c)
{
    char period[8] = "", item[JIFEN_CODE_MAX + 1] = "";
    uint64_t dry = 0;
    spec_field fields[] = {
        SPEC_FIELD("period", SPEC_PERIOD, true, &period),
        SPEC_FIELD("item", SPEC_CODE, false, &item),
        SPEC_UINT_FIELD("dry_run", false, &dry, 1),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    billing_result *b = malloc(sizeof *b);
    if (!b) {
        reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, NULL);
        return;
    }
    /* The same run as `jifen billing run` (client/billing_run.c). */
    /* One request at a time: a web user's key has one connection. */
    billing_calls calls = {.call = app_send, .ctx = c};
    if (billing_run(period, item[0] ? item : NULL, dry != 0, JIFEN_BATCH_MAX,
                    &calls, NULL, NULL, b) != 0) {
        free(b); /* app_send replied */
        return;
    }
    if (b->status != JIFEN_STATUS_OK) {
        reply_refusal(c, b->status, b->error);
        free(b);
        return;
    }
    json_t *items = json_array(), *cannot = json_array();
    for (size_t i = 0; i < b->n_items; i++)
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:I, s:I, s:o, s:I, s:I}", "item",
                             b->items[i].item, "name", b->items[i].name,
                             "bills", (json_int_t)b->items[i].bills,
                             "amount_fen", (json_int_t)b->items[i].fen,
                             "amount_yuan", json_yuan((int64_t)b->items[i].fen),
                             "already_billed", (json_int_t)b->items[i].before,
                             "cannot_bill", (json_int_t)b->items[i].cannot));
    for (size_t i = 0; i < b->n_problems; i++)
        json_array_append_new(cannot,
                              json_pack("{s:s, s:s, s:s}", "household",
                                        b->problems[i].household, "item",
                                        b->problems[i].item, "problem",
                                        b->problems[i].problem));
    json_t *o = json_pack(
        "{s:s, s:b, s:I, s:o, s:I, s:I, s:o, s:I, s:o, s:I, s:I}", "period",
        period, "dry_run", dry != 0, "households", (json_int_t)b->households,
        "items", items, "bills", (json_int_t)b->bills, "amount_fen",
        (json_int_t)b->fen, "amount_yuan", json_yuan((int64_t)b->fen),
        "already_billed", (json_int_t)b->before, "cannot_bill", cannot,
        "cannot_bill_count", (json_int_t)b->cannot, "failed",
        (json_int_t)b->failed);
    if (b->failed)
        json_object_set_new(o, "error", json_string(b->first_failure));
    free(b);
    reply_json(c, 200, o);
}

static void shift_close(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_SHIFT_CLOSE, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_TEXT_FIELD("note", false, cmd.note),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    jifen_reply reply;
    if (app_call(c, &cmd, 1, id, &reply) != 0)
        return;
    const jifen_result *r = &reply.results[0];
    json_t *o = json_write_result(r, id), *totals = json_array();
    int64_t cash = 0;
    const jifen_command *close = r->n_history ? &r->history[0].command : NULL;
    for (size_t i = 0; close && i < close->n_totals; i++) {
        const jifen_channel_total *t = &close->totals[i];
        int64_t net = (int64_t)t->paid_fen - (int64_t)t->refunded_fen +
                      t->reversed_fen;
        if (t->channel == JIFEN_CHANNEL_CASH)
            cash = net;
        json_array_append_new(
            totals,
            json_pack("{s:s, s:s, s:I, s:o, s:I, s:o, s:I, s:o, s:I, s:o}",
                      "channel", jifen_channel_name(t->channel), "channel_key",
                      channel_key(t->channel), "payments",
                      (json_int_t)t->payments, "paid_yuan",
                      json_yuan((int64_t)t->paid_fen), "refunds",
                      (json_int_t)t->refunds, "refunded_yuan",
                      json_yuan((int64_t)t->refunded_fen), "reversals",
                      (json_int_t)t->reversals, "reversed_yuan",
                      json_yuan(t->reversed_fen), "net_fen", (json_int_t)net,
                      "net_yuan", json_yuan(net)));
    }
    json_object_set_new(o, "totals", totals);
    json_object_set_new(o, "cash_expected_fen", json_integer(cash));
    json_object_set_new(o, "cash_expected_yuan", json_yuan(cash));
    jifen_reply_clear(&reply);
    reply_json(c, 200, o);
}

static void shifts(web_ctx *c)
{
    char date[11] = "";
    spec_field fields[] = {SPEC_TEXT_FIELD("date", false, date), SPEC_END};
    if (app_parse(c, fields) != 0)
        return;
    jifen_command cmd = app_command(JIFEN_CMD_SHIFTS, "");
    snprintf(cmd.effective, sizeof cmd.effective, "%s", date);
    report_reply(c, &cmd);
}

#define TERMINAL ROLE_BIT(JIFEN_ROLE_TERMINAL)

const web_route desk_routes[] = {
    {"GET", "/api/households", false, ROLES_STAFF, false, search},
    {"GET", "/api/household", false, ROLES_STAFF, false, household},
    {"POST", "/api/desk/pay", false, TERMINAL, true, pay},
    {"POST", "/api/desk/redeem", false, TERMINAL, true, redeem},
    {"POST", "/api/desk/bill", false, TERMINAL, true, bill},
    {"GET", "/api/desk/receipt", false, ROLES_STAFF, false, receipt},
    {"GET", "/api/desk/arrears", false, ROLES_STAFF, false, arrears},
    {"POST", "/api/desk/billing", false, TERMINAL, true, billing},
    {"POST", "/api/desk/shift", false, TERMINAL, true, shift_close},
    {"GET", "/api/desk/shifts", false, TERMINAL, false, shifts},
    {NULL, NULL, false, 0, false, NULL},
};
