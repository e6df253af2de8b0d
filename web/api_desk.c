/*
 * api_desk - the property company's front desk (terminal role), and the
 * household lookups that the committee and the street office share.
 *
 *   GET  /api/households?q=&limit=   find by door number or name (staff)
 *   GET  /api/household?h=           balance, recent entries, redeem cap
 *   POST /api/desk/pay     {household, amount, request_id}
 *   POST /api/desk/redeem  {household, points, request_id}
 *   POST /api/desk/bill    {household, amount, period, request_id}
 *   GET  /api/desk/slip?h=&entry=    a printable payment slip
 *
 * Amounts are yuan text in ("128.50"), parsed exactly into fen; replies
 * carry fen integers and yuan text.
 */
#include "app.h"

#include "codec.h"

#include <inttypes.h>
#include <stdio.h>
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

static void pay(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_PAY, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_FIELD("amount", SPEC_YUAN, true, &cmd.amount),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
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

/* A payment slip from what the protocol has today: the entry (number,
 * time, who, what, amounts), its hash in this ledger, and the first
 * signed checkpoint covering it, if one does yet. Receipt numbers and
 * 人民币大写 come with the property desk (issue 14). */
static void slip(web_ctx *c)
{
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "";
    uint64_t entry = 0;
    spec_field fields[] = {
        SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
        SPEC_UINT_FIELD("entry", true, &entry, UINT64_MAX),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    jifen_command cmd = app_command(JIFEN_CMD_HISTORY, h);
    cmd.limit = JIFEN_HISTORY_MAX;
    jifen_reply reply, cp;
    if (app_checkpoint(c, entry, &cp) != 0)
        return;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0) {
        jifen_reply_clear(&cp);
        return;
    }
    const jifen_result *hr = &reply.results[0], *cr = &cp.results[0];
    const jifen_entry *e = NULL;
    for (size_t i = 0; i < hr->n_history && e == NULL; i++)
        if (hr->history[i].seq == entry)
            e = &hr->history[i];
    if (e == NULL) {
        jifen_reply_clear(&reply);
        jifen_reply_clear(&cp);
        reply_refusal(c, JIFEN_STATUS_UNKNOWN_ENTRY,
                      "not among the household's last 1000 entries");
        return;
    }
    json_t *o = json_pack("{s:o, s:o}", "entry", json_entry(e), "balance",
                          json_balance(&hr->balance));
    char hex[2 * JIFEN_HASH_LEN + 1];
    if (cr->has_checkpoint && cr->checkpoint.has_entry_hash)
        json_object_set_new(o, "hash",
                            json_string(jifen_hex(cr->checkpoint.entry_hash,
                                                  JIFEN_HASH_LEN, hex,
                                                  sizeof hex)));
    if (cr->has_checkpoint && cr->checkpoint.text[0])
        json_object_set_new(o, "checkpoint",
                            json_string(cr->checkpoint.text));
    jifen_reply_clear(&cp);
    jifen_reply_clear(&reply);
    reply_json(c, 200, o);
}

#define TERMINAL ROLE_BIT(JIFEN_ROLE_TERMINAL)

const web_route desk_routes[] = {
    {"GET", "/api/households", false, ROLES_STAFF, false, search},
    {"GET", "/api/household", false, ROLES_STAFF, false, household},
    {"POST", "/api/desk/pay", false, TERMINAL, true, pay},
    {"POST", "/api/desk/redeem", false, TERMINAL, true, redeem},
    {"POST", "/api/desk/bill", false, TERMINAL, true, bill},
    {"GET", "/api/desk/slip", false, TERMINAL, false, slip},
    {NULL, NULL, false, 0, false, NULL},
};
