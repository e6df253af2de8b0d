/*
 * jifend - the jifen ledger daemon.
 *
 * Runs in the foreground and logs to stderr; a supervisor (systemd, a
 * terminal) owns its lifetime. SIGTERM or SIGINT stops it after the commit
 * in flight.
 */
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "hash.h"
#include "identity.h"
#include "ledger.h"
#include "rlimits.h"
#include "log.h"
#include "notary.h"
#include "notify.h"
#include "offline.h"
#include "progress.h"
#include "ops.h"
#include "outbox.h"
#include "follow.h"
#include "stream.h"
#include "policy.h"
#include "replica.h"
#include "ruleset.h"
#include "server.h"
#include "service.h"
#include "transport.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX_BYTES (4u << 20)
#define MAX_OVERRIDES 16

#ifndef JIFEN_VERSION
#define JIFEN_VERSION "0.1.0"
#endif

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hangup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: jifend [OPTIONS]\n"
            "The jifen points ledger daemon: keeps the ledger in DIR and "
            "serves it on ENDPOINT.\n"
            "\n"
            "  -c, --config FILE     read options from FILE (see "
            "deploy/jifend.conf);\n"
            "                        the options below override it\n"
            "      --check-config FILE  validate FILE, print the settings, "
            "and exit 0/1\n"
            "  -d, --data DIR        ledger directory, created if missing "
            "(default: ./jifen-data)\n"
            "  -l, --listen ENDPOINT ZeroMQ endpoint (default: "
            "tcp://127.0.0.1:7400);\n"
            "                        a port of * picks a free one\n"
            "  -p, --policy PATH     points policy (default: the embedded "
            "one, see deploy/policy.conf);\n"
            "                        repeat for several rule sets, each "
            "with its effective date;\n"
            "                        a directory: every *.conf in it. "
            "SIGHUP re-reads them\n"
            "      --check-policy    validate the policy, print it, and exit\n"
            "      --map-size MIB    initial LMDB map size (default 64); it "
            "grows by itself\n"
            "      --map-max MIB     largest map size (default 65536)\n"
            "      --log-level L     debug, info, warn or error\n"
            "      --test-clock FILE TESTS ONLY: \"now\" is the Unix time in ms "
            "written in FILE,\n"
            "                        re-read every loop turn (also "
            "JIFEN_TEST_CLOCK=FILE)\n"
            "      --test-hold-reads FILE  TESTS ONLY: while FILE exists, "
            "take no request\n"
            "                        from the socket (what libzmq holds for "
            "a busy daemon)\n"
            "      --replica-of ENDPOINT  run as a read-only replica of that "
            "primary\n"
            "      --replica-server-key KEY  the primary's public key (Z85 "
            "or file)\n"
            "      --nats-replica    a read-only replica of the service's NATS "
            "streams\n"
            "                        (nats_servers, docs/operations.md)\n"
            "      --promote         make this replica of the NATS streams "
            "the primary:\n"
            "                        catch up to the end of every stream, "
            "then serve writes;\n"
            "                        the old primary is fenced at its next "
            "write\n"
            "      --enrol-admin KEY --label NAME\n"
            "                        enrol KEY (Z85, or a .pub file) as an "
            "admin key and exit;\n"
            "                        jifend must not be running\n"
            "      --enrol KEY --role ROLE --label NAME\n"
            "                        the same for any role (committee, "
            "terminal, auditor, admin)\n"
            "  -v, --verbose         log debug messages\n"
            "  -h, --help            this text\n"
            "      --version         the version\n"
            "\n"
            "Clients connect with CURVE: DIR/" IDENTITY_PUBLIC_FILE " is the "
            "server key they need\n(made on first start). Only enrolled keys "
            "get in; see docs/security.md.\n"
            "\n"
            "Offline tools (no daemon needed; safe next to a running one):\n"
            "%s"
            "\n"
            "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 clean stop, "
            "1 start-up error, 2 usage error, 3 fatal I/O error.\n",
            offline_usage());
}

typedef struct {
    const char *key;
    const char *value;
} override;

typedef struct {
    config cfg;
    const char *config_path;
    bool check_config;
    bool check_policy;
    override overrides[MAX_OVERRIDES]; /* applied after the file */
    size_t n_overrides;
    offline_request offline;
    const char *enrol_key; /* offline enrolment, then exit */
    const char *enrol_role;
    const char *enrol_label;
    const char *enrol_community; /* --community: enrol there */
    /* Every --policy, in order; without any, the configuration's policy
     * path, else the embedded default. */
    const char *policy_paths[RULESET_MAX];
    size_t n_policies;
    const char *test_clock;
    const char *test_hold_reads;
    bool promote; /* --promote: a replica of the streams becomes primary */
} options;

static int add_override(options *o, const char *key, const char *value)
{
    if (o->n_overrides == MAX_OVERRIDES) {
        fprintf(stderr, "jifend: too many options\n");
        return 2;
    }
    o->overrides[o->n_overrides++] = (override){key, value};
    return 0;
}

/* Returns -1 to exit 0 (help, version), 0 to go on, 2 for a usage error. */
static int parse_options(int argc, char **argv, options *o)
{
    enum { OPT_VERSION = 256, OPT_MAP_SIZE, OPT_MAP_MAX, OPT_CHECK,
           OPT_CHECK_CONFIG, OPT_LOG_LEVEL, OPT_OFFLINE, OPT_REPLICA_OF,
           OPT_REPLICA_KEY, OPT_ENROL_ADMIN, OPT_ENROL, OPT_ROLE, OPT_LABEL,
            OPT_TEST_CLOCK, OPT_COMMUNITY, OPT_TEST_HOLD_READS,
           OPT_NATS_REPLICA, OPT_PROMOTE };
    static const struct option longs[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, OPT_CHECK_CONFIG},
        {"data", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"policy", required_argument, NULL, 'p'},
        {"check-policy", no_argument, NULL, OPT_CHECK},
        {"map-size", required_argument, NULL, OPT_MAP_SIZE},
        {"map-max", required_argument, NULL, OPT_MAP_MAX},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"replica-of", required_argument, NULL, OPT_REPLICA_OF},
        {"replica-server-key", required_argument, NULL, OPT_REPLICA_KEY},
        {"enrol-admin", required_argument, NULL, OPT_ENROL_ADMIN},
        {"enrol", required_argument, NULL, OPT_ENROL},
        {"role", required_argument, NULL, OPT_ROLE},
        {"label", required_argument, NULL, OPT_LABEL},
        {"test-clock", required_argument, NULL, OPT_TEST_CLOCK},
        {"community", required_argument, NULL, OPT_COMMUNITY},
        {"test-hold-reads", required_argument, NULL, OPT_TEST_HOLD_READS},
        {"nats-replica", no_argument, NULL, OPT_NATS_REPLICA},
        {"promote", no_argument, NULL, OPT_PROMOTE},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        OFFLINE_LONG_OPTIONS(OPT_OFFLINE),
        {NULL, 0, NULL, 0},
    };
    int c, idx = 0, rc = 0;
    while (rc == 0 &&
           (c = getopt_long(argc, argv, "c:d:l:p:vh", longs, &idx)) != -1) {
        switch (c) {
        case 'c':
            o->config_path = optarg;
            break;
        case OPT_CHECK_CONFIG:
            o->config_path = optarg;
            o->check_config = true;
            break;
        case 'd':
            rc = add_override(o, "data", optarg);
            break;
        case 'l':
            rc = add_override(o, "listen", optarg);
            break;
        case 'p':
            if (o->n_policies == RULESET_MAX) {
                fprintf(stderr, "jifend: at most %d --policy files\n",
                        RULESET_MAX);
                return 2;
            }
            o->policy_paths[o->n_policies++] = optarg;
            break;
        case OPT_CHECK:
            o->check_policy = true;
            break;
        case OPT_MAP_SIZE:
            rc = add_override(o, "map_size_mib", optarg);
            break;
        case OPT_MAP_MAX:
            rc = add_override(o, "map_max_mib", optarg);
            break;
        case OPT_LOG_LEVEL:
            rc = add_override(o, "log_level", optarg);
            break;
        case OPT_REPLICA_OF:
            rc = add_override(o, "replica_of", optarg);
            break;
        case OPT_REPLICA_KEY:
            rc = add_override(o, "replica_server_key", optarg);
            break;
        case OPT_ENROL_ADMIN:
            o->enrol_role = "admin";
            /* fall through */
        case OPT_ENROL:
            o->enrol_key = optarg;
            break;
        case OPT_ROLE:
            o->enrol_role = optarg;
            break;
        case OPT_LABEL:
            o->enrol_label = optarg;
            break;
        case OPT_TEST_CLOCK:
            o->test_clock = optarg;
            break;
        case OPT_COMMUNITY:
            /* The community an enrolment or an offline tool is for. */
            o->enrol_community = optarg;
            o->offline.community = optarg;
            break;
        case OPT_TEST_HOLD_READS:
            o->test_hold_reads = optarg;
            break;
        case OPT_NATS_REPLICA:
            rc = add_override(o, "nats_replica", "1");
            break;
        case OPT_PROMOTE:
            o->promote = true;
            break;
        case 'v':
            rc = add_override(o, "log_level", "debug");
            break;
        case OPT_OFFLINE:
            rc = offline_option(&o->offline, longs[idx].name, optarg);
            break;
        case 'h':
            usage(stdout);
            return -1;
        case OPT_VERSION:
            printf("jifend %s\n", JIFEN_VERSION);
            return -1;
        default:
            fprintf(stderr, "Try 'jifend --help'.\n");
            return 2;
        }
    }
    if (rc != 0)
        return rc;
    if (optind < argc) {
        fprintf(stderr, "jifend: unexpected argument '%s'\nTry 'jifend --help'.\n",
                argv[optind]);
        return 2;
    }
    if (o->enrol_key && (!o->enrol_role || !o->enrol_label)) {
        fprintf(stderr, "jifend: enrolling a key needs --role ROLE and "
                        "--label NAME\nTry 'jifend --help'.\n");
        return 2;
    }
    return 0;
}

/* The file first, then the command line over it, both through the table.
 * 0, 1 (a bad file: start-up error) or 2 (a bad option: usage error). */
static int settle_config(options *o)
{
    char err[2048];
    config_defaults(&o->cfg);
    if (o->config_path &&
        config_load(&o->cfg, o->config_path, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: bad configuration: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < o->n_overrides; i++) {
        if (config_set(&o->cfg, o->overrides[i].key, o->overrides[i].value,
                       err, sizeof err) != 0) {
            fprintf(stderr, "jifend: command line: %s\n", err);
            return 2;
        }
    }
    if (config_check(&o->cfg, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: bad configuration%s%s: %s\n",
                o->config_path ? " in " : "",
                o->config_path ? o->config_path : "", err);
        return 1;
    }
    log_set_level((log_level)o->cfg.log_level);
    return 0;
}

/* Every --policy path is one rule set (a directory: each *.conf in it);
 * without any, the configuration's policy path; without that, the embedded
 * default is the only rule set and applies from the beginning. */
static int load_policy(options *o, policy *pol, ruleset **rules)
{
    char err[512];
    if (o->n_policies == 0 && o->cfg.policy[0])
        o->policy_paths[o->n_policies++] = o->cfg.policy;
    int rc = o->n_policies
                 ? ruleset_load_paths(rules, o->policy_paths, o->n_policies,
                                      err, sizeof err)
                 : policy_load_default(pol, err, sizeof err);
    if (rc == 0 && o->n_policies)
        *pol = *ruleset_get(*rules, 0);
    else if (rc == 0)
        rc = ruleset_from_policy(rules, pol, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "jifend: bad policy: %s\n", err);
        return -1;
    }
    return 0;
}

/* ", at most 8 a month, 60 a year", or nothing without caps. */
static void print_caps(const policy_activity *a)
{
    if (a->max_per_month)
        printf(", at most %u a month", a->max_per_month);
    if (a->max_per_year)
        printf(", at most %u a year", a->max_per_year);
    printf("\n");
}

static void print_policy(const policy *pol)
{
    if (pol->effective[0] || pol->resolution[0])
        printf("rule set %s: in force from %s; adopted by %s\n", pol->version,
               pol->effective[0] ? pol->effective : "the beginning",
               pol->resolution[0] ? pol->resolution : "(no resolution given)");
    printf("policy %s: %u fen per point, points pay at most %u%% of the fee "
           "due\n",
           pol->version, pol->fen_per_point, pol->max_offset_percent);
    if (pol->max_redeem_per_year)
        printf("  at most %u points redeemed per household a year\n",
               pol->max_redeem_per_year);
    for (size_t i = 0; i < pol->n_activities; i++) {
        const policy_activity *a = &pol->activities[i];
        if (a->per_hour)
            printf("  activity %-20s %u per hour, at most %u hours", a->code,
                   a->points, a->max_hours);
        else
            printf("  activity %-20s %u point%s%s", a->code, a->points,
                   a->points == 1 ? "" : "s",
                   a->max_points ? " (up to max_points, by level)" : "");
        print_caps(a);
    }
    for (size_t i = 0; i < pol->n_rules; i++)
        printf("  rule     %-20s %u point%s\n", pol->rules[i].code,
               pol->rules[i].points, pol->rules[i].points == 1 ? "" : "s");
    static const char *const per[] = {"", " per m2 per month", " per month",
                                      " per unit per month"};
    for (size_t i = 0; i < pol->n_fees; i++) {
        const policy_fee *f = &pol->fees[i];
        printf("  fee      %-20s %u.%02u yuan%s (%s)\n", f->code,
               f->rate_fen / 100, f->rate_fen % 100, per[f->basis], f->name);
    }
    if (pol->ontime_day)
        printf("  on time: a month's bills paid in full by day %u earn %u "
               "points\n",
               pol->ontime_day, pol->ontime_points);
}

static void print_rules(const ruleset *rules)
{
    for (size_t i = 0; i < ruleset_count(rules); i++)
        print_policy(ruleset_get(rules, i));
}

/* Tests move the daemon's clock through a file (clock.h); say so loudly so
 * that nobody runs a real ledger on it by mistake. */
static int setup_test_clock(const options *o)
{
    const char *path = o->test_clock ? o->test_clock
                                     : getenv("JIFEN_TEST_CLOCK");
    if (!path || !*path)
        return 0;
    if (clock_use_test_file(path) != 0) {
        fprintf(stderr, "jifend: --test-clock %s: cannot read a Unix time in "
                        "ms from it\n", path);
        return -1;
    }
    log_info("TEST CLOCK from %s: time is whatever that file says", path);
    return 0;
}

/*
 * SIGHUP: a residents' meeting adopted a new rule set and its file was put
 * in place. Re-read every --policy path; give the result to every
 * community whose rule sets are the operator's files (docs/communities.md),
 * each taking it only if it keeps its history intact
 * (ruleset_check_successor), else keeping what it has.
 */
typedef struct {
    const options *o;
    service *svc;
} reloader;

static void reload_rules(void *arg)
{
    reloader *r = arg;
    char err[512];
    ruleset *next = NULL;
    if (r->o->n_policies == 0) {
        log_info("SIGHUP: the embedded policy is in use; nothing to re-read");
        return;
    }
    if (ruleset_load_paths(&next, r->o->policy_paths, r->o->n_policies, err,
                           sizeof err) != 0) {
        log_error("rule sets not reloaded: %s", err);
        return;
    }
    for (size_t i = 0; i < service_count(r->svc); i++) {
        const community_record *rec = NULL;
        ledger *led = service_at(r->svc, i, &rec);
        if (!rec->file_rules)
            continue;
        if (ledger_replace_rules(led, next, clock_now_ms(), err, sizeof err) !=
            0)
            log_error("community %s: rule sets not reloaded (still %zu in "
                      "use): %s",
                      rec->code, ruleset_count(ledger_rules(led)), err);
        else
            log_info("community %s: rule sets reloaded: %zu", rec->code,
                     ruleset_count(ledger_rules(led)));
    }
    ruleset_destroy(&next); /* each ledger keeps its own copy */
}

/* One notary holds the service's checkpoint key; each community's ledger
 * (and the service's) signs its own head with it, in its own table: a
 * notary each, attached as the service opens the ledger (service.h,
 * on_open), for communities created while serving too. */
typedef struct {
    notary *keys;
    notary **each;
    size_t n, cap;
} notaries;

static void attach_notary(void *ctx, ledger *led)
{
    notaries *ns = ctx;
    if (!ns->keys)
        return; /* a replica stores its primary's checkpoints */
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        notary **p = realloc(ns->each, cap * sizeof *p);
        if (!p) {
            log_error("out of memory: a ledger signs no checkpoints");
            return;
        }
        ns->each = p;
        ns->cap = cap;
    }
    if (notary_attach(&ns->each[ns->n], ns->keys, ledger_storage(led)) != 0) {
        log_error("out of memory: a ledger signs no checkpoints");
        return;
    }
    ledger_set_commit_hook(led, notary_on_commit, ns->each[ns->n++]);
}

/* What each ledger gets as the service opens it: its notary and, on a
 * primary publishing to NATS, its outbox. */
typedef struct {
    notaries *ns;
    outbox *ob;
} attachments;

static void attach_ledger(void *ctx, ledger *led, const char *code)
{
    attachments *a = ctx;
    attach_notary(a->ns, led);
    if (a->ob && outbox_attach(a->ob, led, code) != 0)
        log_error("out of memory: %s is not published to NATS",
                  code ? code : "the service's journal");
}

static void attach_all(attachments *a, service *svc)
{
    attach_ledger(a, service_ledger(svc), NULL);
    for (size_t i = 0; i < service_count(svc); i++) {
        const community_record *rec = NULL;
        ledger *led = service_at(svc, i, &rec);
        attach_ledger(a, led, rec->code);
    }
}

/* The NATS client, when nats_servers names a cluster; its name (the
 * connection's, and a replica's consumers') is nats_name or the host's. */
static stream_client *start_stream(const options *o, char *name, size_t cap)
{
    if (!o->cfg.nats_servers[0])
        return NULL;
    snprintf(name, cap, "%s", o->cfg.nats_name);
    if (!name[0] && gethostname(name, cap - 1) != 0)
        snprintf(name, cap, "jifend");
    name[cap - 1] = '\0';
    for (char *p = name; *p; p++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                    "0123456789-_", *p))
            *p = '-';
    char err[512];
    stream_settings ss = {.servers = o->cfg.nats_servers,
                          .creds = o->cfg.nats_creds,
                          .name = name,
                          .replicas = (int)o->cfg.nats_replicas,
                          .ack_timeout_ms = (int)o->cfg.nats_ack_timeout_ms};
    stream_client *c = stream_client_new(&ss, err, sizeof err);
    if (!c)
        fprintf(stderr, "jifend: NATS: %s\n", err);
    return c;
}

static outbox *start_outbox(const options *o, stream_client *c)
{
    outbox_options oo = {
        .client = c,
        .prefix = o->cfg.nats_prefix,
        .durability = strcmp(o->cfg.nats_durability, "replicated") == 0
                          ? OUTBOX_REPLICATED
                          : OUTBOX_LOCAL,
        .ack_timeout_ms = (int)o->cfg.nats_ack_timeout_ms,
    };
    outbox *ob = outbox_new(&oo);
    if (!ob)
        fprintf(stderr, "jifend: no thread for publishing to NATS\n");
    else
        log_info("publishing every entry to NATS JetStream (%s, streams "
                 "%s_*), durability %s",
                 o->cfg.nats_servers, o->cfg.nats_prefix,
                 o->cfg.nats_durability);
    return ob;
}

/* How long --promote waits for the streams' last entries. */
#define PROMOTE_TIMEOUT_MS 120000

/*
 * jifend --promote (docs/operations.md, "Fail-over"): this replica of the
 * streams applies every entry still in them, then becomes the primary:
 * it signs checkpoints with the service's key (which must be here: a new
 * one would sign heads nobody can check against the published key) and
 * publishes from its head on. No vote, no lease: its first append
 * carries the expectation that the stream ends at its head, so whichever
 * jifend appends after that is refused by the stream, and fences itself.
 */
static int promote(const options *o, service *svc, stream_client *sc,
                   const char *name, notaries *ns, attachments *a)
{
    char err[512], path[CONFIG_PATH_MAX + 32];
    struct stat stt;
    snprintf(path, sizeof path, "%s/checkpoint.key", o->cfg.data);
    if (stat(path, &stt) != 0) {
        fprintf(stderr, "jifend: --promote: %s is missing: copy the "
                        "service's checkpoint key pair (checkpoint.key, "
                        "checkpoint.pub) from its key backup first "
                        "(docs/operations.md, section 4)\n",
                path);
        return -1;
    }
    follow *fl = follow_new(svc, NULL, sc, o->cfg.nats_prefix, name);
    if (!fl) {
        fprintf(stderr, "jifend: --promote: out of memory\n");
        return -1;
    }
    log_info("promoting: catching up from the streams first");
    int rc = follow_catch_up(fl, PROMOTE_TIMEOUT_MS, err, sizeof err);
    follow_destroy(&fl, rc == 0);
    if (rc != 0) {
        fprintf(stderr, "jifend: --promote: %s; nothing changed, still a "
                        "replica\n", err);
        return -1;
    }
    if (notary_open(&ns->keys, o->cfg.data, NULL, o->cfg.checkpoint_entries,
                    o->cfg.checkpoint_seconds, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: checkpoint key: %s\n", err);
        return -1;
    }
    if (!(a->ob = start_outbox(o, sc)))
        return -1;
    service_set_replica(svc, false);
    attach_all(a, svc);
    uint64_t total = ledger_entries(service_ledger(svc));
    for (size_t i = 0; i < service_count(svc); i++)
        total += ledger_entries(service_at(svc, i, NULL));
    log_info("PROMOTED: this jifend is the primary of the service and its "
             "%zu communit%s (%" PRIu64 " entries from the streams); set "
             "nats_replica = 0 in its configuration",
             service_count(svc), service_count(svc) == 1 ? "y" : "ies", total);
    return 0;
}

static void stop_notaries(notaries *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        notary_close(&ns->each[i]);
    free(ns->each);
    notary_close(&ns->keys);
    memset(ns, 0, sizeof *ns);
}

static int ensure_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "jifend: cannot create %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    char err[512];
    if (identity_check_dir(dir, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: %s\n", err);
        return -1;
    }
    return 0;
}

/* The command of --enrol / --enrol-admin, checked as the network would. */
static int enrol_command(const options *o, jifen_command *cmd)
{
    char err[512];
    uint8_t raw[KEYFILE_KEY_LEN];
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = JIFEN_CMD_KEY_ENROL;
    cmd->role = jifen_role_from_name(o->enrol_role);
    snprintf(cmd->name, sizeof cmd->name, "%s", o->enrol_label);
    if (keyfile_read_public(o->enrol_key, raw, err, sizeof err) == 0) {
        keyfile_z85_encode(raw, cmd->key);
        if (codec_command_validate(cmd, err, sizeof err) == JIFEN_STATUS_OK)
            return 0;
    }
    fprintf(stderr, "jifend: cannot enrol: %s\n", err);
    return -1;
}

/* The first admin key, enrolled on the server machine without the network:
 * a journal entry like any enrolment, written by "local-operator", dated by
 * the daemon's clock (the test clock too, so that a test ledger's first
 * entry is not dated after all that follow). */
static int enrol_offline(service *svc, const options *o)
{
    jifen_command cmd;
    if (enrol_command(o, &cmd) != 0)
        return 2;
    /* The first admin is the service's, for every community; another role
     * is a key of the community named (or of the only one). */
    ledger *led = NULL;
    if (strcmp(o->enrol_role, "admin") == 0 && !o->enrol_community) {
        cmd.all_communities = true;
        led = service_ledger(svc);
    } else if (o->enrol_community) {
        led = service_community(svc, o->enrol_community, NULL);
        if (!led) {
            fprintf(stderr, "jifend: cannot enrol: the service has no "
                            "community %s\n",
                    o->enrol_community);
            return 2;
        }
    } else if (service_count(svc) == 1) {
        led = service_at(svc, 0, NULL);
    } else {
        fprintf(stderr, "jifend: cannot enrol: the service has %zu "
                        "communities: name one (--community CODE)\n",
                service_count(svc));
        return 2;
    }
    jifen_request req = {.n_commands = 1, .commands = &cmd};
    int64_t now = clock_now_ms();
    snprintf(req.request_id, sizeof req.request_id, "local-enrol-%" PRId64,
             now);
    static const ledger_caller local = {.author = "local-operator"};
    uint8_t digest[JIFEN_HASH_LEN];
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    hash_request_digest(&req, digest);
    ledger_error le = ledger_write_begin(led);
    if (le == LEDGER_OK)
        le = ledger_apply(led, &req, digest, &local, now, &reply);
    le = le == LEDGER_OK ? ledger_write_commit(led) : le;
    if (le != LEDGER_OK) {
        fprintf(stderr, "jifend: cannot enrol: %s\n", ledger_strerror(led));
        codec_reply_clear(&reply);
        return 1;
    }
    const jifen_result *r = &reply.results[0];
    int rc = r->status == JIFEN_STATUS_OK ? 0 : 1;
    if (rc == 0)
        printf("enrolled %s as %s \"%s\" (journal entry %" PRIu64 ")\n",
               cmd.key, jifen_role_name(cmd.role), cmd.name, r->entry);
    else
        fprintf(stderr, "jifend: cannot enrol: %s: %s\n",
                jifen_status_name(r->status), r->error);
    codec_reply_clear(&reply);
    return rc;
}

/* The ZAP handler's question, answered from the key snapshots of the
 * service and its communities. */
static bool admit_key(void *arg, const char *z85)
{
    return service_key_admitted(arg, z85);
}

/* Loads (or makes) the daemon's key pair and binds the CURVE socket. */
static int bind_secure(transport **tp, service *svc, const options *o,
                       char *bound, size_t bound_len)
{
    char err[512], pub_path[4096];
    int created = 0;
    transport_security sec = {.admit = admit_key, .admit_arg = svc};
    if (identity_load(o->cfg.data, sec.secret_key, pub_path, sizeof pub_path,
                      &created, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: server key: %s\n", err);
        return -1;
    }
    log_info("%s server key; clients need its public key: %s",
             created ? "made a new" : "using the", pub_path);
    int rc = transport_bind(tp, o->cfg.listen, REQUEST_MAX_BYTES, &sec, bound,
                            bound_len, err, sizeof err);
    explicit_bzero(sec.secret_key, sizeof sec.secret_key);
    if (rc != 0)
        fprintf(stderr, "jifend: %s\n", err);
    return rc;
}

/* A replica follows its primary as a client, with this daemon's own key. */
static replica *start_replica(const options *o, service *svc, ops *metrics)
{
    char err[512], secret[CONFIG_PATH_MAX + 32];
    snprintf(secret, sizeof secret, "%s/%s", o->cfg.data,
             IDENTITY_SECRET_FILE);
    replica *rep = replica_new(svc, metrics, o->cfg.replica_of, secret,
                               o->cfg.replica_server_key, err, sizeof err);
    if (!rep)
        fprintf(stderr, "jifend: replica of %s: %s\n", o->cfg.replica_of,
                err);
    return rep;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the poll in the server loop must wake up. */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hangup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Everything after the options and the policy: checks, the ledger, the
 * keys, the socket, the loop. Returns main's exit status. */
static int serve(options *o, policy *pol, ruleset **rules)
{
    if (o->check_config) {
        printf("%s: ok\n", o->config_path);
        config_print(&o->cfg, stdout);
        return 0;
    }
    if (o->check_policy) {
        print_rules(*rules);
        return 0;
    }
    char err[512] = "";
    int lock = -1;
    if (setup_test_clock(o) != 0 || ensure_data_dir(o->cfg.data) != 0 ||
        (lock = identity_lock(o->cfg.data, err, sizeof err)) < 0) {
        if (lock < 0 && err[0])
            fprintf(stderr, "jifend: %s\n", err);
        return 1;
    }
    if (o->promote && !o->cfg.nats_servers[0]) {
        fprintf(stderr, "jifend: --promote is for a replica of the NATS "
                        "streams (nats_servers, nats_replica)\n");
        return 1;
    }
    /* A replica follows its primary's feed (replica_of) or the streams
     * (nats_replica); --promote starts as the latter. */
    bool stream_replica = o->cfg.nats_replica || o->promote;
    bool a_replica = o->cfg.replica_of[0] || stream_replica;
    char nats_name[65];
    stream_client *sc = NULL;
    if (!o->enrol_key && o->cfg.nats_servers[0] &&
        !(sc = start_stream(o, nats_name, sizeof nats_name)))
        return 1;
    /* A primary signs checkpoints; a replica stores its primary's. */
    notaries ns = {0};
    attachments att = {&ns, NULL};
    if (sc && !a_replica && !(att.ob = start_outbox(o, sc))) {
        stream_client_destroy(&sc);
        return 1;
    }
    if (!a_replica && !o->enrol_key &&
        notary_open(&ns.keys, o->cfg.data, NULL, o->cfg.checkpoint_entries,
                    o->cfg.checkpoint_seconds, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: checkpoint key: %s\n", err);
        outbox_destroy(&att.ob);
        stream_client_destroy(&sc);
        return 1;
    }
    /* Before the service opens: each community's ledger holds three
     * descriptors (rlimits.h), and a thousand communities are past the
     * common soft limit of 1,024 before the first connection. */
    rlimits_raise_nofile();
    service *svc = NULL;
    service_options so_svc = {
        .data_dir = o->cfg.data,
        .ledger = {.map_size = (size_t)o->cfg.map_size_mib << 20,
                   .map_max = (size_t)o->cfg.map_max_mib << 20,
                   .progress = progress_on_tty,
                   .progress_ctx = (void *)"upgrading the ledger",
                   .merkle_off = o->cfg.merkle_tree == 0},
        .pol = pol,
        .files = *rules,
        .first_community = o->cfg.community,
        .on_open = attach_ledger,
        .on_open_ctx = &att,
        .replica = a_replica,
    };
    if (service_open(&svc, &so_svc, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: cannot open the service in %s: %s\n",
                o->cfg.data, err);
        outbox_destroy(&att.ob);
        stop_notaries(&ns);
        stream_client_destroy(&sc);
        return 1;
    }
    if (o->promote && promote(o, svc, sc, nats_name, &ns, &att) != 0) {
        outbox_destroy(&att.ob);
        service_close(&svc);
        stop_notaries(&ns);
        stream_client_destroy(&sc);
        return 1;
    }
    if (o->enrol_key) {
        int rc = enrol_offline(svc, o);
        service_close(&svc);
        return rc;
    }
    /* The server key is made first: a replica logs in to its primary with
     * it. */
    replica *rep = NULL;
    follow *fl = NULL;
    transport *tp = NULL;
    char bound[256];
    ops *metrics = ops_new();
    if (!metrics || bind_secure(&tp, svc, o, bound, sizeof bound) != 0 ||
        (o->cfg.replica_of[0] && !(rep = start_replica(o, svc, metrics))) ||
        (stream_replica && !o->promote &&
         !(fl = follow_new(svc, metrics, sc, o->cfg.nats_prefix,
                           nats_name)))) {
        transport_destroy(&tp);
        ops_destroy(&metrics);
        outbox_destroy(&att.ob);
        service_close(&svc);
        stop_notaries(&ns);
        stream_client_destroy(&sc);
        return 1;
    }

    for (size_t i = 0; i < service_count(svc); i++) {
        const community_record *rec = NULL;
        ledger *led = service_at(svc, i, &rec);
        uint64_t seq;
        uint8_t head[32];
        char hex[65];
        ledger_head(led, &seq, head);
        log_info("community %s: %" PRIu64 " entries, head %s%s", rec->code,
                 seq, hash_hex(head, sizeof head, hex, sizeof hex),
                 rec->closed_entry ? ", closed" : "");
        const ruleset *in_use = ledger_rules(led);
        for (size_t k = 0; k < ruleset_count(in_use); k++) {
            const policy *r = ruleset_get(in_use, k);
            const policy *given =
                rec->file_rules ? ruleset_find(*rules, r->version) : NULL;
            log_info("community %s: rule set %s, in force from %s (%s)",
                     rec->code, r->version,
                     r->effective[0] ? r->effective : "the beginning",
                     !given || !ruleset_same(given, r) ? "adopted in the ledger"
                     : o->n_policies                   ? "--policy"
                                                       : "embedded default");
        }
    }
    log_info("jifend %s: service in %s, %zu communit%s", JIFEN_VERSION,
             o->cfg.data, service_count(svc),
             service_count(svc) == 1 ? "y" : "ies");
    install_signals();
    log_info("serving %s", bound);
    notify_send("READY=1");

    if (rep)
        log_info("read-only replica of %s: the service's journal and every "
                 "community's",
                 o->cfg.replica_of);
    if (fl)
        log_info("read-only replica of the NATS streams %s_* at %s, as "
                 "consumer %s: the service's journal and every community's",
                 o->cfg.nats_prefix, o->cfg.nats_servers, nats_name);
    reloader rl = {o, svc};
    server_options so = {.ops = metrics,
                         .read_only = rep != NULL || fl != NULL,
                         .idle = rep  ? replica_poll
                                 : fl ? follow_poll
                                      : NULL,
                         .idle_ctx = rep ? (void *)rep : (void *)fl,
                         .idle_fd = fl ? follow_fd(fl) : -1,
                         .outbox = att.ob,
                         .reload = &reload_requested,
                         .on_reload = reload_rules,
                         .reload_arg = &rl,
                         .committers = (int)o->cfg.committers,
                         .linger_max_us = (unsigned)o->cfg.group_linger_us,
                         .test_hold_reads = o->test_hold_reads};
    if (o->test_hold_reads)
        log_info("TEST: no request is taken while %s exists",
                 o->test_hold_reads);
    int rc = server_run(svc, tp, &so, &stop_requested);
    replica_destroy(&rep);
    follow_destroy(&fl, false);
    outbox_destroy(&att.ob);
    ops_destroy(&metrics);
    notify_send("STOPPING=1");
    log_info(rc == 0 ? "stopped" : "stopped on a fatal error");
    transport_destroy(&tp);
    service_close(&svc);
    stop_notaries(&ns);
    stream_client_destroy(&sc);
    return rc == 0 ? 0 : 3;
}

int main(int argc, char **argv)
{
    static options o; /* large (paths); not on the stack */
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (hash_init() != 0)
        return 1;
    if (o.offline.mode != OFFLINE_NONE && !offline_needs_rules(&o.offline))
        return offline_run(&o.offline);
    rc = settle_config(&o);
    if (rc != 0)
        return rc;

    policy *pol = malloc(sizeof *pol);
    ruleset *rules = NULL;
    if (!pol || load_policy(&o, pol, &rules) != 0) {
        free(pol);
        return 1;
    }
    if (o.offline.mode != OFFLINE_NONE) {
        o.offline.pol = pol;
        o.offline.rules = rules;
        rc = offline_run(&o.offline);
    } else {
        rc = serve(&o, pol, &rules);
    }
    ruleset_destroy(&rules);
    free(pol);
    return rc;
}
