/*
 * api_session - sign-in, sign-out, who is signed in, fresh request ids,
 * and the message catalogue for the pages.
 *
 *   POST /api/session         {user, password} -> cookie, {user, role, csrf}
 *   GET  /api/session         -> {user, role, csrf}       (signed in)
 *   POST /api/session/logout  -> {}                       (CSRF)
 *   GET  /api/request-id      -> {request_id}             (signed in)
 *   GET  /api/i18n            -> {"zh-CN": {ID: text}, "en": {...}}
 */
#include "app.h"

#include "clock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void signin_log(web_ctx *c, const char *result, const char *user)
{
    char line[256], when[CLOCK_MINUTE_LEN + 1], err[256];
    int64_t now = app_now_ms();
    clock_minute_text(now, when);
    snprintf(line, sizeof line,
             "%s +08:00 time_ms=%" PRId64 " result=%s user=%s address=%s\n",
             when, now, result, user, c->req->remote);
    if (store_append(c->app->cfg.data, "signin.log", line, err, sizeof err) !=
        0)
        fprintf(stderr, "jifen-web: sign-in log: %s\n", err);
}

/* Argon2id costs 64 MiB and most of a core: a few at a time, the rest
 * wait, so a flood of sign-ins cannot take the server's memory. */
static bool verify_bounded(web_app *a, const web_user *u, const char *pw)
{
    pthread_mutex_lock(&a->hash_mu);
    while (a->hashing >= 2)
        pthread_cond_wait(&a->hash_cv, &a->hash_mu);
    a->hashing++;
    pthread_mutex_unlock(&a->hash_mu);
    bool ok = users_password_ok(u, pw);
    pthread_mutex_lock(&a->hash_mu);
    a->hashing--;
    pthread_cond_signal(&a->hash_cv);
    pthread_mutex_unlock(&a->hash_mu);
    return ok;
}

static char dummy_hash[USER_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    if (users_hash_password("not anybody's password", dummy_hash) != 0)
        dummy_hash[0] = '\0';
}

/* community: the one the session works in ("" for none, or not chosen
 * yet); scoped: the user chooses among several (api_community.c). */
static json_t *session_json(const session_info *s, const char *community,
                            bool scoped)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b}", "user", s->user, "role",
                     jifen_role_name((jifen_role)s->role), "csrf", s->csrf,
                     "community", community, "scoped", scoped);
}

static void sign_in(web_ctx *c)
{
    char user[USER_NAME_MAX + 1] = "", password[129] = "";
    spec_field fields[] = {
        SPEC_FIELD("user", SPEC_USER, true, &user),
        SPEC_FIELD("password", SPEC_TEXT, true, &password),
        SPEC_END,
    };
    fields[1].cap = sizeof password;
    web_app *a = c->app;
    int64_t now = app_now_ms();
    if (limiter_locked(a->by_address, c->req->remote, now)) {
        signin_log(c, "address_locked", "-");
        reply_error(c, 429, "signin_locked", I18N_ERR_SIGNIN_LOCKED, NULL,
                    NULL);
        return;
    }
    spec_error e;
    if (spec_parse_json(c->req->body, c->req->body_len, fields, &e) != 0) {
        /* A malformed name is a failed sign-in like any other. */
        limiter_fail(a->by_address, c->req->remote, now);
        signin_log(c, "bad_request", "-");
        reply_error(c, 401, "signin_failed", I18N_ERR_SIGNIN_FAILED, NULL,
                    NULL);
        return;
    }
    web_user u;
    char err[512], key[USER_NAME_MAX + 24];
    int found = users_get(a->users, user, &u, err, sizeof err);
    if (found < 0) {
        sodium_memzero(password, sizeof password);
        fprintf(stderr, "jifen-web: %s\n", err);
        reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, NULL);
        return;
    }
    /* The lock is per user and record generation: a reset lifts it. */
    snprintf(key, sizeof key, "%s#%" PRIu64, user,
             found == 0 ? u.generation : 0);
    if (limiter_locked(a->by_user, key, now)) {
        sodium_memzero(password, sizeof password);
        signin_log(c, "user_locked", user);
        reply_error(c, 429, "signin_locked", I18N_ERR_SIGNIN_LOCKED, NULL,
                    NULL);
        return;
    }
    if (found != 0) { /* no such user: the same work, the same answer */
        memset(&u, 0, sizeof u);
        pthread_once(&dummy_once, make_dummy);
        memcpy(u.hash, dummy_hash, sizeof u.hash);
    }
    bool ok = verify_bounded(a, &u, password);
    sodium_memzero(password, sizeof password);
    if (!ok || found != 0 || u.disabled) {
        limiter_fail(a->by_user, key, now);
        limiter_fail(a->by_address, c->req->remote, now);
        signin_log(c, found != 0 ? "unknown_user"
                      : u.disabled ? "disabled"
                                   : "bad_password",
                   user);
        reply_error(c, 401, "signin_failed", I18N_ERR_SIGNIN_FAILED, NULL,
                    NULL);
        return;
    }
    limiter_clear(a->by_user, key);
    char token[SESSION_TOKEN_LEN + 1];
    session_info s;
    if (session_create(a->sessions, u.name, u.role, u.generation, now, token,
                       &s) != 0) {
        reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, NULL);
        return;
    }
    signin_log(c, "ok", u.name);
    char cookie[256];
    snprintf(cookie, sizeof cookie,
             "jifen_session=%s; Path=/; HttpOnly; SameSite=Strict; "
             "Max-Age=%lu%s",
             token, a->cfg.session_hours * 3600, a->tls ? "; Secure" : "");
    sodium_memzero(token, sizeof token);
    web_response_header(c->resp, "Set-Cookie", cookie);
    sodium_memzero(cookie, sizeof cookie);
    bool scoped = web_scope_is_service(&u.scope);
    reply_json(c, 200,
               session_json(&s,
                            scoped                 ? ""
                            : u.scope.community[0] ? u.scope.community
                                                   : a->cfg.community,
                            scoped));
}

static void who(web_ctx *c)
{
    reply_json(c, 200, session_json(c->session, c->community, c->scoped));
}

static void sign_out(web_ctx *c)
{
    const char *token = web_request_cookie(c->req, "jifen_session");
    if (token != NULL)
        session_end(c->app->sessions, token);
    web_response_header(c->resp, "Set-Cookie",
                        c->app->tls ? "jifen_session=; Path=/; HttpOnly; "
                                      "SameSite=Strict; Max-Age=0; Secure"
                                    : "jifen_session=; Path=/; HttpOnly; "
                                      "SameSite=Strict; Max-Age=0");
    reply_json(c, 200, json_object());
}

/* A form's request id, made when the form is shown (libjifen's, so ids
 * sort by time like the CLI's): a double click or a resubmitted page
 * sends the same id, and the ledger applies it once. */
static void request_id(web_ctx *c)
{
    char id[JIFEN_REQUEST_ID_MAX + 1];
    jifen_request_id_new(id);
    reply_json(c, 200, json_pack("{s:s}", "request_id", id));
}

static void catalogue(web_ctx *c)
{
    json_t *zh = json_object(), *en = json_object();
    for (unsigned i = 0; i < I18N_COUNT; i++) {
        json_object_set_new(zh, i18n_key((i18n_id)i),
                            json_string(i18n_text((i18n_id)i, I18N_ZH)));
        json_object_set_new(en, i18n_key((i18n_id)i),
                            json_string(i18n_text((i18n_id)i, I18N_EN)));
    }
    reply_json(c, 200, json_pack("{s:o, s:o}", "zh-CN", zh, "en", en));
}

const web_route session_routes[] = {
    {"POST", "/api/session", false, 0, false, sign_in},
    {"GET", "/api/session", false, ROLES_STAFF, false, who},
    {"POST", "/api/session/logout", false, ROLES_STAFF, true, sign_out},
    {"GET", "/api/request-id", false, ROLES_STAFF, false, request_id},
    {"GET", "/api/i18n", false, 0, false, catalogue},
    {NULL, NULL, false, 0, false, NULL},
};
