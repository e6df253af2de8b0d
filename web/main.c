/*
 * jifen-web - the web console: serves the pages and their JSON API, and
 * manages its users. See README.md ("jifen-web") and `jifen-web --help`.
 */
#include "app.h"

#include "checkpoint.h"
#include "codec.h"
#include "jifen.h"
#include "store.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2

static const char USAGE[] =
    "usage: jifen-web [OPTIONS]                      serve the console\n"
    "       jifen-web [OPTIONS] user add NAME --role ROLE [WHERE]\n"
    "                                    [--password-stdin] [--admin-key FILE]\n"
    "       jifen-web [OPTIONS] user disable NAME [--admin-key FILE]\n"
    "       jifen-web [OPTIONS] user reset NAME [--password-stdin]\n"
    "       jifen-web [OPTIONS] user list [--json]\n"
    "       jifen-web [OPTIONS] init [WHERE] [--admin-key FILE]\n"
    "       jifen-web [OPTIONS] link HOUSEHOLD [--community CODE] [--revoke]\n"
    "       jifen-web --check-config FILE | --help | --version\n"
    "\n"
    "Options (each also a key of the configuration file, with - for _):\n"
    "  --config FILE      read FILE first (deploy/jifen-web.conf explains it)\n"
    "  --listen ADDR:PORT where to serve (default 127.0.0.1:8080; plain HTTP\n"
    "                     only on loopback, else set --tls-cert/--tls-key)\n"
    "  --data DIR         users, keys, secrets, sign-in log (jifen-web-data)\n"
    "  --server ENDPOINT  jifend (tcp://127.0.0.1:7400)\n"
    "  --server-key KEY   jifend's public key: DATA/jifend.pub or its Z85\n"
    "  --tls-cert FILE --tls-key FILE   HTTPS (PEM)\n"
    "  --public-url URL   the address printed in residents' links\n"
    "  --threads N (8)  --session-hours N  --idle-minutes N  --timeout-ms N\n"
    "  --report-timeout-ms N (120000: reports, verify, the roll-up)\n"
    "  --signin-failures N  --address-failures N  --lock-minutes N\n"
    "  --community CODE   the community of users and links that name none\n"
    "                     (\"\": the service's only one)\n"
    "  --checkpoint-key FILE  checkpoint.pub, for residents' browsers to\n"
    "                     check signed tree heads with\n"
    "\n"
    "WHERE (docs/communities.md): --community CODE, a user of one community\n"
    "(its key is that community's); or a scope, for a street office or a\n"
    "property company (a key of the service): --street CODE, --communities\n"
    "A,B,... or --all-communities. None: the configured community. init's\n"
    "WHERE is the public pages' key's: the communities whose boards and\n"
    "residents' links this jifen-web serves.\n"
    "\n"
    "Roles: terminal (front desk), committee (residents' committee),\n"
    "auditor (street office). Each user gets a CURVE key of its own,\n"
    "DATA/keys/u-NAME.key, enrolled on jifend with NAME as its label: with\n"
    "--admin-key (the admin's secret key) jifen-web enrols it itself, else\n"
    "it prints the `jifen key enrol` line for the admin to run.\n"
    "Passwords: --password-stdin reads one line; otherwise a random one is\n"
    "made and printed once.\n"
    "Exit: 0 done, 1 failed (the message says why), 2 usage.\n";

static volatile sig_atomic_t stop_signal;

static void usage_error(const char *fmt, const char *arg)
    __attribute__((format(printf, 1, 0), noreturn));

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "jifen-web: ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    fprintf(stderr, fmt, arg); /* fmt: a literal of this file, one %s */
#pragma GCC diagnostic pop
    fprintf(stderr, "\n(jifen-web --help shows the usage)\n");
    exit(EXIT_USAGE);
}

/* --some-key VALUE -> web_config_set("some_key", VALUE). */
static int take_option(web_config *cfg, const char *opt, const char *value)
{
    char key[64], err[512];
    if (strlen(opt) < 3 || strlen(opt) >= sizeof key + 2)
        return -1;
    snprintf(key, sizeof key, "%s", opt + 2);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    if (strcmp(key, "config") == 0)
        return -1;
    if (web_config_set(cfg, key, value, err, sizeof err) != 0) {
        fprintf(stderr, "jifen-web: %s\n", err);
        exit(EXIT_USAGE);
    }
    return 0;
}

/* --- talking to jifend as the admin (enrol, revoke) --------------------- */

static int admin_call(const web_config *cfg, const char *admin_key,
                      jifen_command *cmd, const char *request_id,
                      const char *community)
{
    char err[512];
    jifen_client *cl = jifen_client_new(cfg->server);
    if (cl == NULL ||
        jifen_client_set_curve(cl, admin_key, cfg->server_key, err,
                               sizeof err) != 0) {
        fprintf(stderr, "jifen-web: %s\n", cl ? err : "out of memory");
        jifen_client_destroy(&cl);
        return -1;
    }
    jifen_request req = {.n_commands = 1, .commands = cmd};
    snprintf(req.request_id, sizeof req.request_id, "%s", request_id);
    snprintf(req.community, sizeof req.community, "%s", community);
    jifen_reply reply;
    jifen_call_status st = jifen_client_call(cl, &req, &reply, err, sizeof err);
    jifen_client_destroy(&cl);
    if (st != JIFEN_CALL_OK) {
        fprintf(stderr, "jifen-web: jifend at %s: %s\n", cfg->server, err);
        return -1;
    }
    jifen_status s = reply.status == JIFEN_STATUS_OK && reply.n_results == 1
                         ? reply.results[0].status
                         : reply.status;
    const char *why = reply.n_results == 1 ? reply.results[0].error
                                           : reply.error;
    int rc = 0;
    if (s != JIFEN_STATUS_OK && s != JIFEN_STATUS_EXISTS) {
        fprintf(stderr, "jifen-web: jifend refused: %s: %s\n",
                jifen_status_name(s), why);
        rc = -1;
    }
    jifen_reply_clear(&reply);
    return rc;
}

/* The community a key of this scope lives in: its own, or the
 * configured one; "" for a key of the service (and for the service's only
 * community when none is configured). */
static const char *home_of(const web_config *cfg, const web_scope *sc)
{
    return web_scope_is_service(sc) ? ""
           : sc->community[0]        ? sc->community
                                     : cfg->community;
}

/* Enrols key (Z85) with role and label where the scope says: into a
 * community, or as a key of the service with that scope. A second run is
 * a no-op, since the request id is made from the key. */
static int enrol(const web_config *cfg, const char *admin_key,
                 const char *key, jifen_role role, const char *label,
                 const web_scope *sc)
{
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_KEY_ENROL;
    snprintf(cmd.key, sizeof cmd.key, "%s", key);
    cmd.role = role;
    snprintf(cmd.name, sizeof cmd.name, "%s", label);
    cmd.all_communities = sc->all;
    snprintf(cmd.street, sizeof cmd.street, "%s", sc->street);
    char list[sizeof sc->communities];
    snprintf(list, sizeof list, "%s", sc->communities);
    cmd.text = list[0] ? list : NULL; /* borrowed for the call */
    char id[JIFEN_REQUEST_ID_MAX + 1];
    snprintf(id, sizeof id, "jifen-web-enrol-%s", key);
    return admin_call(cfg, admin_key, &cmd, id, home_of(cfg, sc));
}

/* "--community east", "--street jiefang", ... for the printed lines. */
static void where_options(const web_config *cfg, const web_scope *sc,
                          char *global, size_t gcap, char *scope, size_t scap)
{
    const char *home = home_of(cfg, sc);
    snprintf(global, gcap, "%s%s", home[0] ? " --community " : "", home);
    if (sc->all)
        snprintf(scope, scap, " --all-communities");
    else if (sc->street[0])
        snprintf(scope, scap, " --street %s", sc->street);
    else if (sc->communities[0])
        snprintf(scope, scap, " --communities %s", sc->communities);
    else
        scope[0] = '\0';
}

static void print_enrol_line(const web_config *cfg, const char *prefix,
                             jifen_role role, const char *label,
                             const web_scope *sc)
{
    char global[64], scope[JIFEN_SCOPE_TEXT_MAX + 32];
    where_options(cfg, sc, global, sizeof global, scope, sizeof scope);
    printf("enrol it on jifend (as its admin):\n"
           "  jifen --server %s --server-key %s --key ADMIN.key%s key enrol "
           "%s.pub %s --label '%s'%s\n",
           cfg->server, cfg->server_key, global, prefix,
           jifen_role_name(role), label, scope);
}

/* WHERE options (see USAGE) at argv[*i]: true when one was taken. */
static bool take_where(int argc, char **argv, int *i, web_scope *sc)
{
    const char *a = argv[*i];
    char *dst = NULL;
    size_t cap = 0;
    if (strcmp(a, "--all-communities") == 0) {
        sc->all = true;
        return true;
    }
    if (strcmp(a, "--community") == 0) {
        dst = sc->community;
        cap = sizeof sc->community;
    } else if (strcmp(a, "--street") == 0) {
        dst = sc->street;
        cap = sizeof sc->street;
    } else if (strcmp(a, "--communities") == 0) {
        dst = sc->communities;
        cap = sizeof sc->communities;
    } else {
        return false;
    }
    if (*i + 1 >= argc)
        usage_error("%s needs a value", a);
    if (strlen(argv[*i + 1]) >= cap)
        usage_error("%s: too long", a);
    snprintf(dst, cap, "%s", argv[++*i]);
    return true;
}

static void check_where(const web_scope *sc)
{
    char err[256];
    if (web_scope_check(sc, err, sizeof err) != 0)
        usage_error("%s", err);
}

static void read_password(bool from_stdin, char out[130], bool *made)
{
    *made = false;
    if (from_stdin) {
        if (fgets(out, 130, stdin) == NULL) {
            fprintf(stderr, "jifen-web: no password on standard input\n");
            exit(1);
        }
        out[strcspn(out, "\r\n")] = '\0';
        return;
    }
    users_make_password(out);
    *made = true;
}

/* --- commands ------------------------------------------------------------ */

#define PUBLIC_LABEL "jifen-web public pages"

static int open_public_key(const web_config *cfg, char *prefix, size_t cap,
                           char key[JIFEN_KEY_Z85_LEN + 1], bool *made)
{
    char err[512];
    snprintf(prefix, cap, "%s/keys/public", cfg->data);
    char pub[STORE_PATH_MAX + 16];
    snprintf(pub, sizeof pub, "%s.pub", prefix);
    *made = false;
    if (access(pub, F_OK) == 0)
        return jifen_key_z85_read(pub, key, err, sizeof err) == 0
                   ? 0
                   : (fprintf(stderr, "jifen-web: %s\n", err), -1);
    if (jifen_keygen(prefix, key, err, sizeof err) != 0) {
        fprintf(stderr, "jifen-web: %s\n", err);
        return -1;
    }
    *made = true;
    return 0;
}

static int cmd_init(const web_config *cfg, const char *admin_key,
                    const web_scope *sc)
{
    char err[512], prefix[STORE_PATH_MAX + 16], key[JIFEN_KEY_Z85_LEN + 1];
    bool made;
    user_store *us = users_open(cfg->data, err, sizeof err);
    links *ln = us ? links_open(cfg->data, err, sizeof err) : NULL;
    if (ln == NULL) {
        fprintf(stderr, "jifen-web: %s\n", err);
        users_close(&us);
        return 1;
    }
    links_close(&ln);
    users_close(&us);
    if (open_public_key(cfg, prefix, sizeof prefix, key, &made) != 0)
        return 1;
    printf("%s the public pages' key %s.pub (%s)\n", made ? "made" : "have",
           prefix, key);
    if (admin_key != NULL)
        return enrol(cfg, admin_key, key, JIFEN_ROLE_AUDITOR, PUBLIC_LABEL,
                     sc)
                   ? 1
                   : (printf("enrolled on jifend as auditor (%s)\n",
                             PUBLIC_LABEL),
                      0);
    print_enrol_line(cfg, prefix, JIFEN_ROLE_AUDITOR, PUBLIC_LABEL, sc);
    return 0;
}

static int cmd_user(const web_config *cfg, int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    const char *name = NULL, *role = NULL, *admin_key = NULL;
    bool pw_stdin = false, json = false;
    web_scope sc;
    memset(&sc, 0, sizeof sc);
    for (int i = 1; i < argc; i++) {
        if (take_where(argc, argv, &i, &sc))
            continue;
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strcmp(argv[i], "--admin-key") == 0 && i + 1 < argc)
            admin_key = argv[++i];
        else if (strcmp(argv[i], "--password-stdin") == 0)
            pw_stdin = true;
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (argv[i][0] != '-' && name == NULL)
            name = argv[i];
        else
            usage_error("user: unexpected '%s'", argv[i]);
    }
    char err[512];
    user_store *us = users_open(cfg->data, err, sizeof err);
    if (us == NULL) {
        fprintf(stderr, "jifen-web: %s\n", err);
        return 1;
    }
    int rc = 0;
    char prefix[STORE_PATH_MAX + 40];
    if (strcmp(sub, "list") == 0) {
        web_user *all;
        size_t n;
        if (users_list(us, &all, &n, err, sizeof err) != 0) {
            fprintf(stderr, "jifen-web: %s\n", err);
            users_close(&us);
            return 1;
        }
        char where[JIFEN_SCOPE_TEXT_MAX + 32];
        if (json) {
            json_t *a = json_array();
            for (size_t i = 0; i < n; i++) {
                /* "community": the one they work in ("" the default);
                 * "scope": a key of the service's */
                bool svc = web_scope_is_service(&all[i].scope);
                web_scope_text(&all[i].scope, where, sizeof where);
                json_array_append_new(
                    a, json_pack("{s:s, s:s, s:b, s:s, s:s, s:s*}", "name",
                                 all[i].name, "role",
                                 jifen_role_name(all[i].role), "disabled",
                                 all[i].disabled, "key", all[i].key,
                                 "community", all[i].scope.community,
                                 "scope", svc ? where : NULL));
            }
            json_dumpf(a, stdout, JSON_COMPACT);
            putchar('\n');
            json_decref(a);
        } else {
            for (size_t i = 0; i < n; i++) {
                web_scope_text(&all[i].scope, where, sizeof where);
                printf("%-20s %-10s %-9s %-16s %s\n", all[i].name,
                       jifen_role_name(all[i].role),
                       all[i].disabled ? "disabled" : "active", where,
                       all[i].key);
            }
        }
        sodium_memzero(all, n * sizeof *all);
        free(all);
    } else if (name == NULL) {
        usage_error("user %s: which user?", sub);
    } else if (strcmp(sub, "add") == 0) {
        jifen_role r = role ? jifen_role_from_name(role) : JIFEN_ROLE_NONE;
        if (role == NULL || !users_role_ok(r))
            usage_error("user add: --role terminal, committee or auditor "
                        "(got '%s')",
                        role ? role : "");
        check_where(&sc);
        /* The default community is written into the record, so that the
         * user stays where they were put if the default changes later. */
        if (!web_scope_is_service(&sc) && !sc.community[0])
            snprintf(sc.community, sizeof sc.community, "%s", cfg->community);
        char pw[130];
        bool made;
        read_password(pw_stdin, pw, &made);
        web_user u;
        rc = users_add_scoped(us, name, r, &sc, pw, &u, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "jifen-web: %s\n", err);
        } else {
            char where[JIFEN_SCOPE_TEXT_MAX + 32];
            web_scope_text(&sc, where, sizeof where);
            users_key_prefix(us, name, prefix, sizeof prefix);
            printf("added %s (%s, %s), key %s.pub\n", name, role, where,
                   prefix);
            if (made)
                printf("password (give it to %s; shown once): %s\n", name, pw);
            if (admin_key != NULL) {
                rc = enrol(cfg, admin_key, u.key, r, name, &sc);
                if (rc == 0)
                    printf("enrolled on jifend as %s, label %s\n", role, name);
            } else {
                print_enrol_line(cfg, prefix, r, name, &sc);
            }
        }
        sodium_memzero(pw, sizeof pw);
    } else if (strcmp(sub, "disable") == 0) {
        web_user u;
        rc = users_get(us, name, &u, err, sizeof err) == 0
                 ? users_disable(us, name, err, sizeof err)
                 : (snprintf(err, sizeof err, "no user named '%s'", name), -1);
        if (rc != 0) {
            fprintf(stderr, "jifen-web: %s\n", err);
        } else {
            printf("disabled %s: signed out at their next request\n", name);
            if (admin_key != NULL) {
                jifen_command cmd;
                memset(&cmd, 0, sizeof cmd);
                cmd.kind = JIFEN_CMD_KEY_REVOKE;
                snprintf(cmd.key, sizeof cmd.key, "%s", u.key);
                char id[JIFEN_REQUEST_ID_MAX + 1];
                snprintf(id, sizeof id, "jifen-web-revoke-%s", u.key);
                rc = admin_call(cfg, admin_key, &cmd, id,
                                home_of(cfg, &u.scope));
                if (rc == 0)
                    printf("revoked their key on jifend\n");
            } else {
                printf("also revoke their key on jifend: jifen key revoke "
                       "%s\n",
                       u.key);
            }
        }
    } else if (strcmp(sub, "reset") == 0) {
        char pw[130];
        bool made;
        read_password(pw_stdin, pw, &made);
        rc = users_set_password(us, name, pw, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "jifen-web: %s\n", err);
        else {
            printf("reset %s's password; their sessions end and any sign-in "
                   "lock is lifted\n",
                   name);
            if (made)
                printf("new password (shown once): %s\n", pw);
        }
        sodium_memzero(pw, sizeof pw);
    } else {
        usage_error("user: '%s' is not add, disable, reset or list", sub);
    }
    users_close(&us);
    return rc == 0 ? 0 : 1;
}

static int cmd_link(const web_config *cfg, int argc, char **argv)
{
    const char *h = NULL, *community = cfg->community;
    bool revoke = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--revoke") == 0)
            revoke = true;
        else if (strcmp(argv[i], "--community") == 0 && i + 1 < argc)
            community = argv[++i];
        else if (h == NULL && argv[i][0] != '-')
            h = argv[i];
        else
            usage_error("link: unexpected '%s'", argv[i]);
    }
    if (h == NULL || !codec_household_ok(h))
        usage_error("link: a household code such as 3-2-501 (got '%s')",
                    h ? h : "");
    if (community[0] && !spec_community_ok(community))
        usage_error("link: --community: not a community code ('%s')",
                    community);
    char err[512], token[LINK_TOKEN_LEN + 1];
    if (store_dir_ensure(cfg->data, err, sizeof err) != 0) {
        fprintf(stderr, "jifen-web: %s\n", err);
        return 1;
    }
    links *ln = links_open(cfg->data, err, sizeof err);
    int rc = ln ? 0 : -1;
    if (rc == 0 && revoke)
        rc = links_revoke_in(ln, community, h, err, sizeof err);
    if (rc == 0)
        rc = links_token_in(ln, community, h, token, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "jifen-web: %s\n", err);
    else
        printf("%s%s/r/%s%s%s/%s\n",
               revoke ? "revoked the old link; new one: " : "",
               cfg->public_url[0] ? cfg->public_url : "", community,
               community[0] ? "/" : "", h, token);
    links_close(&ln);
    return rc == 0 ? 0 : 1;
}

/* --- serving --------------------------------------------------------------- */

static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "jifen-web: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf == NULL || n == 0) {
        fprintf(stderr, "jifen-web: %s: empty or unreadable\n", path);
        free(buf);
        return NULL;
    }
    return buf;
}

/* The checkpoint signing key residents' pages check tree heads with:
 * checkpoint_key, else checkpoint.pub beside server_key (jifend keeps both
 * in its DATA). An explicit key that cannot be read stops start-up. */
static int load_checkpoint_key(web_app *a)
{
    char path[WEB_CONFIG_PATH_MAX + 32], err[512];
    bool given = a->cfg.checkpoint_key[0] != '\0';
    if (given) {
        snprintf(path, sizeof path, "%s", a->cfg.checkpoint_key);
    } else {
        const char *slash = strrchr(a->cfg.server_key, '/');
        int dir = slash ? (int)(slash - a->cfg.server_key) : 0;
        snprintf(path, sizeof path, "%.*s%scheckpoint.pub", dir,
                 a->cfg.server_key, slash ? "/" : "");
        if (access(a->cfg.server_key, R_OK) != 0 || access(path, R_OK) != 0) {
            fprintf(stderr, "jifen-web: no checkpoint_key (and no %s): "
                            "residents' pages will say that the tree head's "
                            "signature was not checked\n",
                    path);
            return 0;
        }
    }
    uint8_t pub[CHECKPOINT_PUBLIC_LEN];
    if (checkpoint_read_public_key(path, pub, err, sizeof err) != 0) {
        fprintf(stderr, "jifen-web: checkpoint_key: %s\n", err);
        return given ? -1 : 0;
    }
    jifen_hex(pub, sizeof pub, a->checkpoint_key_hex,
              sizeof a->checkpoint_key_hex);
    return 0;
}

static int serve(web_config *cfg)
{
    char err[512], address[128], prefix[STORE_PATH_MAX + 16],
        key[JIFEN_KEY_Z85_LEN + 1];
    unsigned port;
    bool made;
    web_config_listen(cfg, address, sizeof address, &port);
    web_app *a = calloc(1, sizeof *a);
    if (a == NULL)
        return 1;
    a->cfg = *cfg;
    a->tls = cfg->tls_cert[0] != '\0';
    pthread_mutex_init(&a->rules_mu, NULL);
    pthread_mutex_init(&a->hash_mu, NULL);
    pthread_cond_init(&a->hash_cv, NULL);
    a->users = users_open(cfg->data, err, sizeof err);
    if (a->users != NULL)
        a->links = links_open(cfg->data, err, sizeof err);
    int rc = 1;
    char *cert = NULL, *tkey = NULL;
    web_http *h = NULL;
    if (a->links == NULL) {
        fprintf(stderr, "jifen-web: %s\n", err);
        goto out;
    }
    if (open_public_key(cfg, prefix, sizeof prefix, key, &made) != 0)
        goto out;
    if (made)
        fprintf(stderr,
                "jifen-web: made the public pages' key %s.pub; until it is "
                "enrolled (jifen-web init --admin-key ...), the notice board "
                "and residents' links are refused\n",
                prefix);
    snprintf(a->public_key_file, sizeof a->public_key_file, "%s.key", prefix);
    if (load_checkpoint_key(a) != 0)
        goto out;
    a->sessions = session_table_new(1024,
                                    (int64_t)cfg->session_hours * 3600000,
                                    (int64_t)cfg->idle_minutes * 60000);
    int64_t lock = (int64_t)cfg->lock_minutes * 60000;
    a->by_user = limiter_new(1024, (unsigned)cfg->signin_failures, lock, lock);
    a->by_address =
        limiter_new(4096, (unsigned)cfg->address_failures, lock, lock);
    a->ledger = backend_new(cfg->server, cfg->server_key, (int)cfg->timeout_ms);
    if (!a->sessions || !a->by_user || !a->by_address || !a->ledger)
        goto out;
    if (a->tls && ((cert = read_pem(cfg->tls_cert)) == NULL ||
                   (tkey = read_pem(cfg->tls_key)) == NULL))
        goto out;

    /* Signals are waited for here, never delivered to the server's
     * threads (which inherit this mask). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    web_http_options ho = {address, port, cert, tkey, (unsigned)cfg->threads,
                           64 * 1024, 30};
    h = web_http_start(&ho, app_dispatch, a, err, sizeof err);
    if (h == NULL) {
        fprintf(stderr, "jifen-web: %s\n", err);
        goto out;
    }
    unsigned bound = web_http_port(h);
    const char *scheme = a->tls ? "https" : "http";
    bool v6 = strchr(address, ':') != NULL;
    if (a->cfg.public_url[0] == '\0')
        snprintf(a->cfg.public_url, sizeof a->cfg.public_url, "%s://%s%s%s:%u",
                 scheme, v6 ? "[" : "", address, v6 ? "]" : "", bound);
    fprintf(stderr, "jifen-web: serving %s://%s%s%s:%u (ledger %s)\n", scheme,
            v6 ? "[" : "", address, v6 ? "]" : "", bound, cfg->server);
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "jifen-web: stopping (signal %d)\n", sig);
    rc = 0;
out:
    web_http_stop(&h);
    backend_destroy(&a->ledger);
    limiter_destroy(&a->by_user);
    limiter_destroy(&a->by_address);
    session_table_destroy(&a->sessions);
    links_close(&a->links);
    users_close(&a->users);
    pthread_mutex_destroy(&a->rules_mu);
    pthread_mutex_destroy(&a->hash_mu);
    pthread_cond_destroy(&a->hash_cv);
    if (tkey)
        sodium_memzero(tkey, strlen(tkey));
    free(cert);
    free(tkey);
    free(a);
    return rc;
}

int main(int argc, char **argv)
{
    web_config cfg;
    web_config_defaults(&cfg);
    char err[1024];
    if (sodium_init() < 0) {
        fprintf(stderr, "jifen-web: libsodium cannot start\n");
        return 1;
    }
    int i = 1;
    /* --config first, so that options after it override the file. */
    for (int j = 1; j + 1 < argc; j++) {
        if (strcmp(argv[j], "--config") == 0 &&
            web_config_load(&cfg, argv[j + 1], err, sizeof err) != 0) {
            fprintf(stderr, "jifen-web: %s\n", err);
            return EXIT_USAGE;
        }
    }
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("jifen-web %s\n", JIFEN_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--check-config") == 0) {
            if (i + 1 >= argc)
                usage_error("%s needs a file", argv[i]);
            web_config_defaults(&cfg);
            if (web_config_load(&cfg, argv[i + 1], err, sizeof err) != 0 ||
                web_config_check(&cfg, err, sizeof err) != 0) {
                fprintf(stderr, "jifen-web: %s\n", err);
                return 1;
            }
            printf("%s: ok\n", argv[i + 1]);
            web_config_print(&cfg, stdout);
            return 0;
        }
        if (i + 1 >= argc)
            usage_error("%s needs a value", argv[i]);
        if (strcmp(argv[i], "--config") != 0 &&
            take_option(&cfg, argv[i], argv[i + 1]) != 0)
            usage_error("unknown option '%s'", argv[i]);
        i++;
    }
    if (web_config_check(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "jifen-web: %s\n", err);
        return EXIT_USAGE;
    }
    if (i == argc)
        return serve(&cfg);
    const char *cmd = argv[i];
    if (strcmp(cmd, "user") == 0)
        return cmd_user(&cfg, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "link") == 0)
        return cmd_link(&cfg, argc - i - 1, argv + i + 1);
    if (strcmp(cmd, "init") == 0) {
        const char *admin = NULL;
        web_scope sc;
        memset(&sc, 0, sizeof sc);
        for (int j = i + 1; j < argc; j++) {
            if (strcmp(argv[j], "--admin-key") == 0 && j + 1 < argc)
                admin = argv[++j];
            else if (!take_where(argc, argv, &j, &sc))
                usage_error("init: unexpected '%s'", argv[j]);
        }
        check_where(&sc);
        return cmd_init(&cfg, admin, &sc);
    }
    usage_error("'%s' is not a command (user, link, init)", cmd);
    return EXIT_USAGE;
}
