/*
 * app - what jifen-web's endpoint files share: the server's state, the
 * request context a handler gets, the table row each endpoint is, and the
 * helpers that turn ledger replies and refusals into JSON.
 *
 * In the manner of GNU Taler's exchange, each endpoint group is one file
 * (api_session.c, api_desk.c, api_committee.c, api_audit.c, api_public.c)
 * exporting a table of routes: method, path, the roles that may call it,
 * whether it writes (a write needs the session's CSRF token), and the
 * handler. routes.c checks the session, the role and the token before any
 * handler runs, so a handler only ever sees a caller who may call it; the
 * ledger checks the role of the user's key once more.
 */
#ifndef JIFEN_WEB_APP_H
#define JIFEN_WEB_APP_H

#include "backend.h"
#include "http.h"
#include "i18n.h"
#include "links.h"
#include "policy.h"
#include "session.h"
#include "spec.h"
#include "store.h"
#include "users.h"
#include "web_config.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#define APP_RULES_CACHED 8

typedef struct {
    web_config cfg;
    user_store *users;
    session_table *sessions;
    limiter *by_user, *by_address;
    backend *ledger;
    links *links;
    char public_key_file[STORE_PATH_MAX + 24]; /* the public pages' key */
    bool tls;
    /* The rule set in force, as the desk's cap needs it: a cache of the
     * last few communities' (each community has its own rule sets). */
    pthread_mutex_t rules_mu;
    struct {
        char community[JIFEN_COMMUNITY_MAX + 1];
        policy rules;
        int64_t ms; /* 0: a free slot */
    } rules_cache[APP_RULES_CACHED];
    /* checkpoint_key's 64 hex digits ("" when none), for the residents'
     * browsers to check signed tree heads with. */
    char checkpoint_key_hex[65];
    /* Argon2id takes 64 MiB a try: at most this many at once. */
    pthread_mutex_t hash_mu;
    pthread_cond_t hash_cv;
    int hashing;
} web_app;

typedef struct {
    web_app *app;
    const web_request *req;
    web_response *resp;
    const session_info *session; /* NULL on the public endpoints */
    char key_file[STORE_PATH_MAX + 48]; /* the caller's ledger key */
    /* The community every call names ("": none, the service's only one):
     * a community's user's own, or the configuration's default; for a user
     * with a scope, the one chosen for the session. */
    char community[JIFEN_COMMUNITY_MAX + 1];
    bool scoped; /* a user with a scope of the service's */
} web_ctx;

typedef void (*web_handler)(web_ctx *ctx);

#define ROLE_BIT(r) (1u << (r))
#define ROLES_STAFF                                                           \
    (ROLE_BIT(JIFEN_ROLE_TERMINAL) | ROLE_BIT(JIFEN_ROLE_COMMITTEE) |         \
     ROLE_BIT(JIFEN_ROLE_AUDITOR))

typedef struct {
    const char *method;
    const char *path; /* exact, or a prefix when it ends in '/' and prefix */
    bool prefix;
    unsigned roles;   /* 0: public, no session */
    bool write;       /* POST with the session's CSRF token */
    web_handler fn;
} web_route;

extern const web_route session_routes[];
extern const web_route desk_routes[];
extern const web_route committee_routes[];
extern const web_route audit_routes[];
extern const web_route public_routes[];
extern const web_route month_routes[]; /* api_month.c: issue 15 */
extern const web_route community_routes[]; /* api_community.c */
extern const web_route print_routes[]; /* api_print.c: passbook, link QR */

/* routes.c: the dispatch function given to http. */
void app_dispatch(void *app, const web_request *req, web_response *resp);

/* --- replies (reply.c) ------------------------------------------------ */

/* Sends obj (reference stolen) as the JSON reply. */
void reply_json(web_ctx *c, int status, json_t *obj);
/* {"code": code, "hint": {"zh-CN": .., "en": ..}, "field"?, "detail"?} */
void reply_error(web_ctx *c, int status, const char *code, i18n_id hint,
                 const char *field, const char *detail);
void reply_spec_error(web_ctx *c, const spec_error *e);
/* A ledger refusal (a result's status other than ok/exists). */
void reply_refusal(web_ctx *c, jifen_status status, const char *detail);

/* The community a public request (no sign-in) names, else the
 * configuration's default: into c (api_public.c). */
void app_public_community(web_ctx *c, const char *given);

/* The body as fields, or the query string (GET). 0, or -1 replied. */
int app_parse(web_ctx *c, const spec_field *fields);

/* Sends req with the caller's key, naming the context's community when
 * req names none (a service command names none; a user with a scope who
 * has chosen none yet gets 409 choose_community): 0 with *reply filled
 * whatever the ledger answered (the caller looks at the statuses and
 * clears it), or -1 replied (no answer, a request that failed
 * validation). A report_call_fn (client/report_pages.h): ctx is the
 * web_ctx. */
int app_send(void *ctx, const jifen_request *req, jifen_reply *reply);

/* Sends one request of n commands with the caller's key (or the public
 * key when there is no session). 0 with *reply filled (the caller clears
 * it) when the ledger answered and every result is ok or exists; otherwise
 * replies with the refusal and returns -1. */
int app_call(web_ctx *c, jifen_command *cmds, size_t n,
             const char *request_id, jifen_reply *reply);
/* The same naming `community` ("": none; the service's own commands name
 * none). app_call names the context's, and for a user with a scope who
 * has chosen none yet replies 409 choose_community. */
int app_call_in(web_ctx *c, const char *community, jifen_command *cmds,
                size_t n, const char *request_id, jifen_reply *reply);

/* The resident's link to household h of the context's community, the
 * form without a community when the context names none. 0, or -1. */
int app_resident_link(web_ctx *c, const char *h, char *out, size_t cap);

/* Replies with `text` drawn as a QR code, SVG (common/qr.c): the notice
 * sheet's line, a resident's link. */
void app_reply_qr(web_ctx *c, const char *text);

/* The same, each result as it came (a refused command does not refuse the
 * request; issue 15: a roster's rows), and as a dry run when asked. 0 with
 * a result per command, or -1 replied. */
int app_send_commands(web_ctx *c, jifen_command *cmds, size_t n,
                      const char *request_id, bool dry_run, jifen_reply *reply);

/* A command of `kind` for `household` ("" for none), all else zero. */
jifen_command app_command(jifen_command_kind kind, const char *household);
/* One write under the form's request id; replies with its result (entry,
 * ok or exists, the balance after it) or the refusal. */
void app_write(web_ctx *c, jifen_command *cmd, const char *request_id);
/* The first signed checkpoint covering `entry` (0: the latest), in a
 * request of its own: jifend answers checkpoints apart from the ledger's
 * queries and refuses a batch that mixes them. 0, or -1 replied. */
int app_checkpoint(web_ctx *c, uint64_t entry, jifen_reply *cp);

/* The notice list of the month in the request's `period` (default this
 * one), masked by jifend: {period, notices}. NULL when it replied with a
 * refusal. (api_committee.c; the board uses it too.) */
json_t *app_notice_list(web_ctx *c);

/* The rule set in force (fetched from jifend, parsed by the daemon's own
 * policy.c, cached for a minute). 0, or -1 replied. */
int app_rules(web_ctx *c, policy *out);

/* --- JSON of ledger values (convert.c) --------------------------------- */

json_t *json_yuan(int64_t fen); /* "128.50", by jifen_format_yuan */
json_t *json_balance(const jifen_balance *b);
json_t *json_entry(const jifen_entry *e);
json_t *json_write_result(const jifen_result *r, const char *request_id);
json_t *json_notice(const jifen_notice *n);
json_t *json_report(const jifen_report *r);
/* "YYYY-MM-DD HH:MM", Asia/Shanghai. */
json_t *json_minute(int64_t ms);
/* The month a period field names, or this one (Shanghai). */
void app_period_or_now(const char *given, char out[8]);

int64_t app_now_ms(void);

#endif
