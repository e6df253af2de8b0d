/*
 * routes - jifen-web's dispatch: security headers on every reply, the
 * pages and their static files, and the API's table of routes with the
 * checks every route gets before its handler runs (session, role, CSRF on
 * writes, same-origin POSTs, body size).
 */
#include "app.h"

#include "static_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_COOKIE "jifen_session"

static const web_route *const GROUPS[] = {
    session_routes, desk_routes, committee_routes, audit_routes,
    public_routes,  month_routes,  community_routes,
};

/* A strict policy: scripts and styles only from this server, nothing
 * inline, no frames; no referrer, so a resident's link never leaks to
 * another site. */
static void security_headers(web_ctx *c)
{
    web_response_header(c->resp, "Content-Security-Policy",
                        "default-src 'self'; script-src 'self'; style-src "
                        "'self'; img-src 'self' data:; object-src 'none'; "
                        "base-uri 'none'; form-action 'self'; "
                        "frame-ancestors 'none'");
    web_response_header(c->resp, "X-Content-Type-Options", "nosniff");
    web_response_header(c->resp, "X-Frame-Options", "DENY");
    web_response_header(c->resp, "Referrer-Policy", "no-referrer");
    if (c->app->tls)
        web_response_header(c->resp, "Strict-Transport-Security",
                            "max-age=31536000");
}

/* The pages are one shell (index.html) whose script draws the page the
 * path names; the residents' links (/r/...) too. */
static bool is_page(const char *path)
{
    static const char *const pages[] = {"/",      "/desk",  "/committee",
                                        "/audit", "/board", "/receipt",
                                        "/street"};
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++)
        if (strcmp(path, pages[i]) == 0)
            return true;
    return strncmp(path, "/r/", 3) == 0;
}

static bool serve_static(web_ctx *c)
{
    const char *path = c->req->path;
    const static_file *f = NULL;
    if (strcmp(c->req->method, "GET") != 0 && strcmp(c->req->method, "HEAD"))
        return false;
    if (is_page(path))
        f = static_find("index.html");
    else if (strncmp(path, "/static/", 8) == 0)
        f = static_find(path + 8);
    if (f == NULL)
        return false;
    c->resp->status = 200;
    c->resp->content_type = f->type;
    c->resp->body = (char *)f->data;
    c->resp->len = f->len;
    c->resp->is_static = true;
    web_response_header(c->resp, "Cache-Control", "no-cache");
    return true;
}

static const web_route *find_route(const char *method, const char *path,
                                   bool *path_known)
{
    *path_known = false;
    for (size_t g = 0; g < sizeof GROUPS / sizeof *GROUPS; g++) {
        for (const web_route *r = GROUPS[g]; r->path != NULL; r++) {
            bool match = r->prefix ? strncmp(path, r->path, strlen(r->path)) == 0
                                   : strcmp(path, r->path) == 0;
            if (!match)
                continue;
            *path_known = true;
            if (strcmp(method, r->method) == 0)
                return r;
        }
    }
    return NULL;
}

/* A POST from a page of another site is refused even before the CSRF
 * token is looked at: browsers send Origin on every cross-site POST. */
static bool same_origin(const web_ctx *c)
{
    const char *origin = web_request_header(c->req, "Origin");
    const char *host = web_request_header(c->req, "Host");
    if (origin == NULL)
        return true; /* not a browser's cross-site request */
    if (host == NULL)
        return false;
    char want[300];
    snprintf(want, sizeof want, "%s://%s", c->app->tls ? "https" : "http",
             host);
    return strcmp(origin, want) == 0;
}

/*
 * The community every call of this request names. Never the client's
 * word: a community's user is held to the community of their record (or
 * the configuration's default), whatever the request says; a user with a
 * scope works in the community chosen for the session, and the ledger
 * holds that to the key's scope. A page sends the community it was drawn
 * for in X-Jifen-Community, so that a form drawn for one community is
 * never sent to another one chosen meanwhile in a second window.
 */
static bool in_community(web_ctx *c, const web_user *u, const session_info *s)
{
    c->scoped = web_scope_is_service(&u->scope);
    const char *code = c->scoped              ? s->community
                       : u->scope.community[0] ? u->scope.community
                                              : c->app->cfg.community;
    snprintf(c->community, sizeof c->community, "%s", code);
    const char *drawn = web_request_header(c->req, "X-Jifen-Community");
    if (drawn != NULL && strcmp(drawn, c->community) != 0) {
        reply_error(c, 409, "community_changed", I18N_ERR_COMMUNITY_CHANGED,
                    NULL, NULL);
        return false;
    }
    return true;
}

static bool check_session(web_ctx *c, const web_route *r, session_info *s)
{
    const char *token = web_request_cookie(c->req, SESSION_COOKIE);
    if (token == NULL ||
        !session_find(c->app->sessions, token, app_now_ms(), s)) {
        reply_error(c, 401, "not_signed_in", I18N_ERR_NOT_SIGNED_IN, NULL,
                    NULL);
        return false;
    }
    /* The user as the table says now: disabled or reset since? */
    web_user u;
    char err[256];
    if (users_get(c->app->users, s->user, &u, err, sizeof err) != 0 ||
        u.disabled || u.generation != s->user_generation ||
        (int)u.role != s->role) {
        session_end(c->app->sessions, token);
        reply_error(c, 401, "session_ended", I18N_ERR_SESSION_EXPIRED, NULL,
                    NULL);
        return false;
    }
    if ((r->roles & ROLE_BIT(s->role)) == 0) {
        reply_error(c, 403, "forbidden_role", I18N_ERR_FORBIDDEN_ROLE, NULL,
                    NULL);
        return false;
    }
    if (r->write &&
        !session_csrf_ok(s, web_request_header(c->req, "X-CSRF-Token"))) {
        reply_error(c, 403, "csrf", I18N_ERR_CSRF, NULL, NULL);
        return false;
    }
    char prefix[STORE_PATH_MAX + 40];
    users_key_prefix(c->app->users, s->user, prefix, sizeof prefix);
    snprintf(c->key_file, sizeof c->key_file, "%s.key", prefix);
    return in_community(c, &u, s);
}

void app_dispatch(void *app, const web_request *req, web_response *resp)
{
    web_ctx c;
    memset(&c, 0, sizeof c);
    c.app = app;
    c.req = req;
    c.resp = resp;
    security_headers(&c);
    if (serve_static(&c))
        return;
    if (strncmp(req->path, "/api/", 5) != 0) {
        reply_error(&c, 404, "not_found", I18N_ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    bool known;
    const web_route *r = find_route(req->method, req->path, &known);
    if (r == NULL) {
        if (known)
            reply_error(&c, 405, "method", I18N_ERR_METHOD, NULL, NULL);
        else
            reply_error(&c, 404, "not_found", I18N_ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    if (req->body_too_large) {
        reply_error(&c, 413, "too_large", I18N_ERR_TOO_LARGE, NULL, NULL);
        return;
    }
    if (strcmp(req->method, "POST") == 0 && !same_origin(&c)) {
        reply_error(&c, 403, "csrf", I18N_ERR_CSRF, NULL, "cross-site POST");
        return;
    }
    session_info s;
    if (r->roles != 0) {
        if (!check_session(&c, r, &s))
            return;
        c.session = &s;
    } else {
        snprintf(c.key_file, sizeof c.key_file, "%s",
                 c.app->public_key_file);
        snprintf(c.community, sizeof c.community, "%s",
                 c.app->cfg.community);
    }
    r->fn(&c);
}
