/*
 * reply - JSON replies, refusals with a machine code and a hint in both
 * languages, and the one way a handler calls the ledger (app_call).
 */
#include "app.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t app_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void reply_json(web_ctx *c, int status, json_t *obj)
{
    /* Escaping "/" too keeps "</script>" out of any JSON text. */
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
    json_decref(obj);
    if (text == NULL) {
        static const char oom[] = "{\"code\":\"internal\"}";
        text = malloc(sizeof oom);
        if (text == NULL)
            abort();
        memcpy(text, oom, sizeof oom);
        status = 500;
    }
    web_response_body(c->resp, status, "application/json; charset=utf-8", text,
                      strlen(text));
    web_response_header(c->resp, "Cache-Control", "no-store");
}

static json_t *hint_of(i18n_id id)
{
    return json_pack("{s:s, s:s}", "zh-CN", i18n_text(id, I18N_ZH), "en",
                     i18n_text(id, I18N_EN));
}

void reply_error(web_ctx *c, int status, const char *code, i18n_id hint,
                 const char *field, const char *detail)
{
    json_t *o = json_pack("{s:s, s:o}", "code", code, "hint", hint_of(hint));
    if (field != NULL && *field)
        json_object_set_new(o, "field", json_string(field));
    /* The ledger's own words (English, for whoever maintains it). Only
     * valid UTF-8 goes into JSON; the ledger's messages always are. */
    if (detail != NULL && *detail)
        json_object_set_new(o, "detail", json_string(detail));
    reply_json(c, status, o);
}

void reply_spec_error(web_ctx *c, const spec_error *e)
{
    reply_error(c, 400, e->field[0] ? "bad_field" : "bad_json", e->hint,
                e->field, NULL);
}

static int http_of(jifen_status s)
{
    switch (s) {
    case JIFEN_STATUS_FORBIDDEN:
        return 403;
    case JIFEN_STATUS_UNKNOWN_HOUSEHOLD:
    case JIFEN_STATUS_UNKNOWN_ENTRY:
    case JIFEN_STATUS_UNKNOWN_RULE_SET:
        return 404;
    case JIFEN_STATUS_ID_CONFLICT:
    case JIFEN_STATUS_HOUSEHOLD_EXISTS:
    case JIFEN_STATUS_ALREADY_REVERSED:
    case JIFEN_STATUS_NOTICE_CLOSED:
    case JIFEN_STATUS_DUPLICATE_REFERENCE:
    case JIFEN_STATUS_ALREADY_BILLED:
        return 409;
    case JIFEN_STATUS_LEDGER_FULL:
        return 507;
    case JIFEN_STATUS_INTERNAL:
        return 502;
    default:
        return 422;
    }
}

void reply_refusal(web_ctx *c, jifen_status status, const char *detail)
{
    char key[64];
    const char *name = jifen_status_name(status);
    snprintf(key, sizeof key, "ERR_STATUS_%s", name);
    i18n_id hint = i18n_find(key);
    if (hint == I18N_COUNT)
        hint = I18N_ERR_STATUS_other;
    reply_error(c, http_of(status), name, hint, NULL, detail);
}

int app_parse(web_ctx *c, const spec_field *fields)
{
    spec_error e;
    int rc = strcmp(c->req->method, "GET") == 0
                 ? spec_parse_args(c->req, fields, &e)
                 : spec_parse_json(c->req->body, c->req->body_len, fields, &e);
    if (rc != 0)
        reply_spec_error(c, &e);
    return rc;
}

/* The one call to the ledger: req as it is (its community named), with
 * the long wait for reports, verify and the roll-up. 0 when the ledger
 * answered (*reply filled), or -1 replied. */
static int send_named(web_ctx *c, const jifen_request *req, jifen_reply *reply)
{
    char err[512];
    /* Reports, verify and the roll-up: a long wait, no resend (a roll-up
     * of a thousand communities takes seconds; docs/performance.md). */
    bool long_query = false;
    for (size_t i = 0; i < req->n_commands; i++) {
        jifen_command_kind k = req->commands[i].kind;
        long_query = long_query || k == JIFEN_CMD_REPORT ||
                     k == JIFEN_CMD_VERIFY || k == JIFEN_CMD_ROLLUP;
    }
    jifen_call_status st =
        long_query ? backend_call_timed(c->app->ledger, c->key_file, req,
                                        reply,
                                        (int)c->app->cfg.report_timeout_ms, 0,
                                        err, sizeof err)
                   : backend_call(c->app->ledger, c->key_file, req, reply,
                                  err, sizeof err);
    switch (st) {
    case JIFEN_CALL_OK:
        return 0;
    case JIFEN_CALL_UNREACHABLE:
        reply_error(c, 503, "ledger_unreachable", I18N_ERR_UNREACHABLE, NULL,
                    err);
        return -1;
    case JIFEN_CALL_INVALID:
        reply_error(c, 400, "bad_request", I18N_ERR_STATUS_bad_request, NULL,
                    err);
        return -1;
    default:
        reply_error(c, 502, "internal", I18N_ERR_INTERNAL, NULL, err);
        return -1;
    }
}

int app_send(void *ctx, const jifen_request *req, jifen_reply *reply)
{
    web_ctx *c = ctx;
    jifen_request named = *req;
    bool service = req->n_commands > 0 &&
                   jifen_command_is_service(req->commands[0].kind);
    if (named.community[0] == '\0' && !service) {
        if (c->scoped && c->community[0] == '\0') {
            reply_error(c, 409, "choose_community", I18N_ERR_CHOOSE_COMMUNITY,
                        NULL, NULL);
            return -1;
        }
        snprintf(named.community, sizeof named.community, "%s", c->community);
    }
    return send_named(c, &named, reply);
}

/* The request's status ok and a result per command: 0, or -1 replied
 * (and *reply cleared). */
static int answered(web_ctx *c, size_t n, jifen_reply *reply)
{
    if (reply->status != JIFEN_STATUS_OK) {
        reply_refusal(c, reply->status, reply->error);
        jifen_reply_clear(reply);
        return -1;
    }
    if (reply->n_results != n) {
        jifen_reply_clear(reply);
        reply_error(c, 502, "internal", I18N_ERR_INTERNAL, NULL,
                    "the ledger's reply has the wrong number of results");
        return -1;
    }
    return 0;
}

/* Every result ok or exists: 0, or -1 replied with the first refusal. */
static int all_done(web_ctx *c, jifen_reply *reply)
{
    for (size_t i = 0; i < reply->n_results; i++) {
        jifen_status s = reply->results[i].status;
        if (s != JIFEN_STATUS_OK && s != JIFEN_STATUS_EXISTS) {
            reply_refusal(c, s, reply->results[i].error);
            jifen_reply_clear(reply);
            return -1;
        }
    }
    return 0;
}

static jifen_request request_of(jifen_command *cmds, size_t n,
                                const char *request_id)
{
    jifen_request req;
    memset(&req, 0, sizeof req);
    if (request_id != NULL)
        snprintf(req.request_id, sizeof req.request_id, "%s", request_id);
    req.n_commands = n;
    req.commands = cmds;
    return req;
}

int app_send_commands(web_ctx *c, jifen_command *cmds, size_t n,
                      const char *request_id, bool dry_run, jifen_reply *reply)
{
    jifen_request req = request_of(cmds, n, request_id);
    req.dry_run = dry_run;
    if (app_send(c, &req, reply) != 0)
        return -1;
    return answered(c, n, reply);
}

int app_call(web_ctx *c, jifen_command *cmds, size_t n,
             const char *request_id, jifen_reply *reply)
{
    if (app_send_commands(c, cmds, n, request_id, false, reply) != 0)
        return -1;
    return all_done(c, reply);
}

int app_call_in(web_ctx *c, const char *community, jifen_command *cmds,
                size_t n, const char *request_id, jifen_reply *reply)
{
    jifen_request req = request_of(cmds, n, request_id);
    snprintf(req.community, sizeof req.community, "%s", community);
    if (send_named(c, &req, reply) != 0 || answered(c, n, reply) != 0)
        return -1;
    return all_done(c, reply);
}

jifen_command app_command(jifen_command_kind kind, const char *household)
{
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = kind;
    snprintf(cmd.household, sizeof cmd.household, "%s", household);
    return cmd;
}

void app_write(web_ctx *c, jifen_command *cmd, const char *request_id)
{
    jifen_reply reply;
    if (app_call(c, cmd, 1, request_id, &reply) != 0)
        return;
    reply_json(c, 200, json_write_result(&reply.results[0], request_id));
    jifen_reply_clear(&reply);
}

int app_checkpoint(web_ctx *c, uint64_t entry, jifen_reply *cp)
{
    jifen_command cmd = app_command(JIFEN_CMD_CHECKPOINT, "");
    cmd.entry = entry;
    return app_call(c, &cmd, 1, NULL, cp);
}

/* The cache slot of `community` under rules_mu: its own, else a free or
 * the oldest one (emptied). */
static int rules_slot(web_app *a, const char *community)
{
    int pick = 0;
    for (int i = 0; i < APP_RULES_CACHED; i++) {
        if (a->rules_cache[i].ms != 0 &&
            strcmp(a->rules_cache[i].community, community) == 0)
            return i;
        if (a->rules_cache[i].ms < a->rules_cache[pick].ms)
            pick = i;
    }
    a->rules_cache[pick].ms = 0;
    snprintf(a->rules_cache[pick].community,
             sizeof a->rules_cache[pick].community, "%s", community);
    return pick;
}

int app_rules(web_ctx *c, policy *out)
{
    web_app *a = c->app;
    int64_t now = app_now_ms();
    pthread_mutex_lock(&a->rules_mu);
    int slot = rules_slot(a, c->community);
    bool fresh = a->rules_cache[slot].ms != 0 &&
                 now - a->rules_cache[slot].ms < 60000;
    if (fresh)
        *out = a->rules_cache[slot].rules;
    pthread_mutex_unlock(&a->rules_mu);
    if (fresh)
        return 0;

    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_POLICY;
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return -1;
    for (size_t i = 0; i < reply.results[0].n_rule_sets; i++)
        if (reply.results[0].rule_sets[i].in_force)
            snprintf(cmd.name, sizeof cmd.name, "%s",
                     reply.results[0].rule_sets[i].version);
    jifen_reply_clear(&reply);
    if (cmd.name[0] == '\0') {
        reply_refusal(c, JIFEN_STATUS_NO_RULE_SET, "no rule set in force");
        return -1;
    }
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return -1;
    const jifen_rule_set *rs = reply.results[0].n_rule_sets == 1
                                   ? &reply.results[0].rule_sets[0]
                                   : NULL;
    char err[512];
    int rc = rs && rs->text ? policy_parse(out, rs->text, strlen(rs->text),
                                           rs->version, err, sizeof err)
                            : -1;
    jifen_reply_clear(&reply);
    if (rc != 0) {
        reply_error(c, 502, "internal", I18N_ERR_INTERNAL, NULL,
                    "the rule set in force does not parse here");
        return -1;
    }
    pthread_mutex_lock(&a->rules_mu);
    slot = rules_slot(a, c->community);
    a->rules_cache[slot].rules = *out;
    a->rules_cache[slot].ms = now;
    pthread_mutex_unlock(&a->rules_mu);
    return 0;
}

int app_resident_link(web_ctx *c, const char *h, char *out, size_t cap)
{
    char token[LINK_TOKEN_LEN + 1], err[256];
    if (links_token_in(c->app->links, c->community, h, token, err,
                       sizeof err) != 0)
        return -1;
    snprintf(out, cap, "%s/r/%s%s%s/%s", c->app->cfg.public_url, c->community,
             c->community[0] ? "/" : "", h, token);
    return 0;
}

void app_period_or_now(const char *given, char out[8])
{
    if (given != NULL && given[0])
        snprintf(out, 8, "%s", given);
    else
        clock_period_of(app_now_ms(), out);
}
