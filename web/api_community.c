/*
 * api_community - many communities in one service (docs/communities.md):
 * the communities a signed-in user works in, and the one a user with a
 * scope of several has chosen for the session.
 *
 *   GET  /api/communities          {scoped, current, communities: [...]}
 *   POST /api/session/community    {community} -> {current}        (CSRF)
 *
 * A community's user works in their one community and never chooses (the
 * list is empty and the page shows no selector). A user with a scope sees
 * the communities the ledger lists for their key (`community list` shows a
 * key of the service only those of its scope), and may choose only one of
 * those: a crafted choice of another is refused (403) before anything is
 * sent, and the ledger would refuse the key there anyway. Until a choice
 * is made the session works in the first open community of the list.
 */
#include "app.h"

#include <stdio.h>
#include <string.h>

#define SESSION_COOKIE "jifen_session"

/* The communities of the caller's scope, from the ledger. 0 with *reply
 * (results[0].communities), or -1 replied. */
static int scope_list(web_ctx *c, jifen_reply *reply)
{
    jifen_command cmd = app_command(JIFEN_CMD_COMMUNITY_LIST, "");
    return app_call_in(c, "", &cmd, 1, NULL, reply);
}

static const jifen_community *listed(const jifen_result *r, const char *code)
{
    for (size_t i = 0; i < r->n_communities; i++)
        if (strcmp(r->communities[i].code, code) == 0)
            return &r->communities[i];
    return NULL;
}

static bool choose(web_ctx *c, const char *code)
{
    const char *token = web_request_cookie(c->req, SESSION_COOKIE);
    if (token == NULL || !session_set_community(c->app->sessions, token, code))
        return false;
    snprintf(c->community, sizeof c->community, "%s", code);
    return true;
}

static void list(web_ctx *c)
{
    json_t *all = json_array();
    if (!c->scoped) {
        reply_json(c, 200,
                   json_pack("{s:b, s:s, s:o}", "scoped", false, "current",
                             c->community, "communities", all));
        return;
    }
    jifen_reply reply;
    if (scope_list(c, &reply) != 0) {
        json_decref(all);
        return;
    }
    const jifen_result *r = &reply.results[0];
    const jifen_community *first_open = NULL;
    for (size_t i = 0; i < r->n_communities; i++) {
        const jifen_community *m = &r->communities[i];
        if (!m->closed && first_open == NULL)
            first_open = m;
        json_array_append_new(
            all, json_pack("{s:s, s:s, s:s, s:b}", "code", m->code, "name",
                           m->name, "street", m->street, "closed",
                           m->closed));
    }
    /* No choice yet, or one no longer in the scope: the first open one. */
    if ((c->community[0] == '\0' || listed(r, c->community) == NULL) &&
        !choose(c, first_open ? first_open->code : ""))
        c->community[0] = '\0';
    reply_json(c, 200,
               json_pack("{s:b, s:s, s:o}", "scoped", true, "current",
                         c->community, "communities", all));
    jifen_reply_clear(&reply);
}

static void set_current(web_ctx *c)
{
    char code[JIFEN_COMMUNITY_MAX + 1] = "";
    spec_field fields[] = {SPEC_FIELD("community", SPEC_COMMUNITY, true, &code),
                           SPEC_END};
    if (app_parse(c, fields) != 0)
        return;
    if (!c->scoped) {
        reply_error(c, 403, "forbidden_community",
                    I18N_ERR_FORBIDDEN_COMMUNITY, "community", NULL);
        return;
    }
    jifen_reply reply;
    if (scope_list(c, &reply) != 0)
        return;
    bool ok = listed(&reply.results[0], code) != NULL;
    jifen_reply_clear(&reply);
    if (!ok) {
        reply_error(c, 403, "forbidden_community",
                    I18N_ERR_FORBIDDEN_COMMUNITY, "community", NULL);
        return;
    }
    if (!choose(c, code)) {
        reply_error(c, 401, "session_ended", I18N_ERR_SESSION_EXPIRED, NULL,
                    NULL);
        return;
    }
    reply_json(c, 200, json_pack("{s:s}", "current", c->community));
}

const web_route community_routes[] = {
    {"GET", "/api/communities", false, ROLES_STAFF, false, list},
    {"POST", "/api/session/community", false, ROLES_STAFF, true, set_current},
    {NULL, NULL, false, 0, false, NULL},
};
