/*
 * api_month - a month at the residents' committee (issue 15,
 * docs/committee.md): the sign-in roster uploaded, tried as a dry run and
 * then recorded; households' members and consented proxies; the points
 * supermarket's redemptions and pickups; the honour board.
 *
 *   POST /api/committee/roster  {file (base64), filename?, encoding?,
 *        activity, event, date, note?, dry_run (0|1), lang?, request_id}
 *   POST /api/committee/member  {household, name, relation, phone?, left?,
 *        request_id}
 *   GET  /api/committee/members?h=         a household's members (phones
 *        masked by jifend)
 *   POST /api/committee/proxy   {household, member, proxy, consent,
 *        revoke?, request_id}
 *   GET  /api/committee/shop               the catalogue and the goods
 *        waiting for their pickup
 *   POST /api/committee/shop/redeem {household, item, quantity?, member?,
 *        proxy?, request_id}
 *   POST /api/committee/shop/pickup {entry, member?, proxy?, request_id}
 *   GET  /api/committee/honour?period=     the honour board, masked
 *   GET  /api/public/honour?period=&community=   ... for residents (no
 *        sign-in), of the community named, else the default
 *
 * The roster's rows are read by the CLI's own code (client/rows.c), so a
 * file reads and a row is refused the same on the page as with `jifen
 * award roster`; each row is an award of its own, refused or not on its
 * own, and the dry run is the ledger's (Request.dry_run), not a guess.
 */
#include "app.h"

#include "calendar.h"
#include "rows.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the roster ---------------------------------------------------------------- */

typedef struct {
    web_ctx *c;
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    unsigned chunk;
} roster_send;

/* rows_send_fn: a chunk of the roster's awards. The form's request id
 * names the first chunk and "-2", "-3"... the next, so a form sent again
 * is a retry of each. */
static int send_chunk(void *ctx, jifen_command *cmds, size_t n, bool dry_run,
                      jifen_reply *reply)
{
    roster_send *s = ctx;
    char id[JIFEN_REQUEST_ID_MAX + 1];
    if (s->chunk++ == 0)
        snprintf(id, sizeof id, "%s", s->request_id);
    else
        snprintf(id, sizeof id, "%.50s-%u", s->request_id, s->chunk);
    return app_send_commands(s->c, cmds, n, id, dry_run, reply) == 0 ? 0 : 1;
}

static json_t *row_json(const rows_row *r, bool dry_run, i18n_lang lang)
{
    char why[ROWS_WHY_MAX] = "";
    if (!rows_ok(r))
        rows_reason(lang, r, why, sizeof why);
    json_t *o = json_pack(
        "{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:s}", "line",
        (json_int_t)r->line, "household", r->cmd.household, "member",
        r->cmd.member, "proxy", r->cmd.proxy, "hours",
        (json_int_t)r->cmd.hours, "status", rows_status(r), "points",
        (json_int_t)(rows_ok(r) ? r->result.points : 0), "entry",
        (json_int_t)(dry_run ? 0 : r->result.entry), "reason", why);
    if (rows_ok(r) && r->result.notice_ends_ms)
        json_object_set_new(o, "notice_ends",
                            json_minute(r->result.notice_ends_ms));
    return o;
}

static void roster(web_ctx *c)
{
    /* The file as base64 in the JSON body: at most what a body may be. */
    size_t cap = c->req->body_len + 1;
    char *b64 = malloc(cap);
    jifen_command award = app_command(JIFEN_CMD_AWARD, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "", filename[65] = "",
         encoding[16] = "", lang[8] = "";
    uint64_t dry = 0;
    if (!b64) {
        reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, NULL);
        return;
    }
    spec_field fields[] = {
        {"file", SPEC_TEXT, true, b64, cap, 0, NULL},
        SPEC_TEXT_FIELD("filename", false, filename),
        SPEC_TEXT_FIELD("encoding", false, encoding),
        SPEC_FIELD("activity", SPEC_CODE, true, &award.code),
        SPEC_TEXT_FIELD("event", true, award.name),
        SPEC_TEXT_FIELD("date", true, award.effective),
        SPEC_TEXT_FIELD("note", false, award.note),
        SPEC_UINT_FIELD("dry_run", false, &dry, 1),
        SPEC_TEXT_FIELD("lang", false, lang),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0) {
        free(b64);
        return;
    }
    int64_t day;
    if (clock_parse_date(award.effective, &day) != 0) {
        free(b64);
        reply_error(c, 400, "bad_field", I18N_OPEN_BAD_DATE, "date", NULL);
        return;
    }
    i18n_lang l = i18n_lang_parse(lang[0] ? lang : "zh");
    size_t n = 0;
    unsigned char *bytes = malloc(cap);
    if (!bytes || sodium_base642bin(bytes, cap, b64, strlen(b64), NULL, &n,
                                    NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(b64);
        free(bytes);
        reply_error(c, 400, "bad_field", I18N_ERR_FIELD_TEXT, "file", NULL);
        return;
    }
    free(b64);
    rows_file f;
    rows_list rows = {0};
    char err[ROWS_WHY_MAX];
    const char *name = filename[0] ? filename : "roster.csv";
    int rc = rows_open(&f, ROWS_ROSTER, name, (const char *)bytes, n,
                       encoding, l, err, sizeof err);
    free(bytes);
    if (rc != 0) {
        reply_error(c, 400, "bad_file", I18N_ENC_HINT_NONE, "file", err);
        return;
    }
    rc = rows_read(&f, ROWS_ROSTER, &award, l, &rows, err, sizeof err);
    if (rc != 0) {
        reply_error(c, 400, "bad_file", I18N_ENC_HINT_NONE, "file", err);
    } else {
        roster_send s = {c, "", 0};
        snprintf(s.request_id, sizeof s.request_id, "%s", id);
        if (rows_send(&rows, dry != 0, send_chunk, &s, NULL, NULL) == 0) {
            json_t *list = json_array();
            json_int_t households = 0, points = 0, refused = 0;
            for (size_t i = 0; i < rows.n; i++) {
                const rows_row *r = &rows.v[i];
                json_array_append_new(list, row_json(r, dry != 0, l));
                households += rows_ok(r);
                points += rows_ok(r) ? (json_int_t)r->result.points : 0;
                refused += !rows_ok(r);
            }
            reply_json(c, 200,
                       json_pack("{s:b, s:s, s:s, s:o, s:I, s:I, s:I}",
                                 "dry_run", dry != 0, "encoding",
                                 rows_encoding_name(&f), "request_id", id,
                                 "rows", list, "households", households,
                                 "points", points, "refused", refused));
        } /* else app_send_commands replied */
    }
    rows_free(&rows);
    rows_close(&f);
}

/* --- members and proxies --------------------------------------------------------- */

static void member(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_MEMBER_SET, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    uint64_t left = 0;
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_TEXT_FIELD("name", true, cmd.member),
        SPEC_FIELD("relation", SPEC_CODE, false, &cmd.code),
        {"phone", SPEC_TEXT, false, cmd.key, JIFEN_PHONE_MAX + 1, 0, NULL},
        SPEC_UINT_FIELD("left", false, &left, 1),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    cmd.flag = left != 0;
    app_write(c, &cmd, id);
}

static void proxy(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_PROXY_CONSENT, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    uint64_t revoke = 0;
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_TEXT_FIELD("member", true, cmd.member),
        SPEC_TEXT_FIELD("proxy", true, cmd.proxy),
        SPEC_TEXT_FIELD("consent", true, cmd.note),
        SPEC_UINT_FIELD("revoke", false, &revoke, 1),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    cmd.flag = revoke != 0;
    app_write(c, &cmd, id);
}

/* A report of issue 15 as JSON (title, columns, rows, display). */
static json_t *report_of(const jifen_result *r, const char *kind)
{
    json_t *o = json_report(r->report);
    if (json_is_object(o))
        json_object_set_new(o, "kind", json_string(kind));
    return o;
}

static void one_report(web_ctx *c, const char *kind, const char *household,
                       const char *period)
{
    jifen_command cmd = app_command(JIFEN_CMD_REPORT, household);
    snprintf(cmd.code, sizeof cmd.code, "%s", kind);
    snprintf(cmd.period, sizeof cmd.period, "%s", period);
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return;
    reply_json(c, 200, report_of(&reply.results[0], kind));
    jifen_reply_clear(&reply);
}

static void members(web_ctx *c)
{
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
        one_report(c, "members", h, "");
}

/* --- the points supermarket ---------------------------------------------------------- */

static void shop(web_ctx *c)
{
    jifen_command cmds[2] = {app_command(JIFEN_CMD_REPORT, ""),
                             app_command(JIFEN_CMD_REPORT, "")};
    snprintf(cmds[0].code, sizeof cmds[0].code, "stock");
    snprintf(cmds[1].code, sizeof cmds[1].code, "pickups");
    jifen_reply reply;
    if (app_call(c, cmds, 2, NULL, &reply) != 0)
        return;
    reply_json(c, 200,
               json_pack("{s:o, s:o}", "stock",
                         report_of(&reply.results[0], "stock"), "waiting",
                         report_of(&reply.results[1], "pickups")));
    jifen_reply_clear(&reply);
}

static void shop_redeem(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_GOODS_REDEEM, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    uint64_t quantity = 0;
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_FIELD("item", SPEC_CODE, true, &cmd.code),
        SPEC_UINT_FIELD("quantity", false, &quantity, JIFEN_QUANTITY_MAX),
        SPEC_TEXT_FIELD("member", false, cmd.member),
        SPEC_TEXT_FIELD("proxy", false, cmd.proxy),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    cmd.amount = quantity ? quantity : 1;
    jifen_reply reply;
    if (app_call(c, &cmd, 1, id, &reply) != 0)
        return;
    const jifen_result *r = &reply.results[0];
    json_t *o = json_write_result(r, id);
    json_object_set_new(o, "points", json_integer((json_int_t)r->points));
    json_object_set_new(o, "stock_left", json_integer(r->stock_left));
    reply_json(c, 200, o);
    jifen_reply_clear(&reply);
}

static void shop_pickup(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_PICKUP, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_UINT_FIELD("entry", true, &cmd.entry, UINT64_MAX),
        SPEC_TEXT_FIELD("member", false, cmd.member),
        SPEC_TEXT_FIELD("proxy", false, cmd.proxy),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
        app_write(c, &cmd, id);
}

/* --- the honour board ------------------------------------------------------------------- */

/* The committee's board is of its own community (the session's); the
 * residents' of the community the page names, else the default, as the
 * notice board's (api_public.c). */
static void honour_of(web_ctx *c, bool public_page)
{
    char period[8] = "", community[JIFEN_COMMUNITY_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("period", SPEC_PERIOD, false, &period),
        SPEC_FIELD("community", SPEC_COMMUNITY, false, &community),
        SPEC_END,
    };
    if (!public_page)
        fields[1] = (spec_field)SPEC_END;
    if (app_parse(c, fields) != 0)
        return;
    if (public_page)
        app_public_community(c, community);
    char shown[8];
    app_period_or_now(period, shown);
    one_report(c, "honour", "", shown);
}

static void honour(web_ctx *c)
{
    honour_of(c, false);
}

static void public_honour(web_ctx *c)
{
    honour_of(c, true);
}

#define COMMITTEE ROLE_BIT(JIFEN_ROLE_COMMITTEE)

const web_route month_routes[] = {
    {"POST", "/api/committee/roster", false, COMMITTEE, true, roster},
    {"POST", "/api/committee/member", false, COMMITTEE, true, member},
    {"GET", "/api/committee/members", false, COMMITTEE, false, members},
    {"POST", "/api/committee/proxy", false, COMMITTEE, true, proxy},
    {"GET", "/api/committee/shop", false, COMMITTEE, false, shop},
    {"POST", "/api/committee/shop/redeem", false, COMMITTEE, true,
     shop_redeem},
    {"POST", "/api/committee/shop/pickup", false, COMMITTEE, true,
     shop_pickup},
    {"GET", "/api/committee/honour", false, COMMITTEE, false, honour},
    {"GET", "/api/public/honour", false, 0, false, public_honour},
    {NULL, NULL, false, 0, false, NULL},
};
