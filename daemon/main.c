/*
 * jifend - the jifen ledger daemon.
 *
 * Runs in the foreground and logs to stderr; a supervisor (systemd, a
 * terminal) owns its lifetime. SIGTERM or SIGINT stops it after the commit
 * in flight.
 */
#include "codec.h"
#include "hash.h"
#include "identity.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "server.h"
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

#define DEFAULT_DATA_DIR "jifen-data"
#define DEFAULT_LISTEN "tcp://127.0.0.1:7400"
#define DEFAULT_MAP_MIB 64
#define DEFAULT_MAP_MAX_MIB (64 * 1024)
#define REQUEST_MAX_BYTES (4u << 20)

#ifndef JIFEN_VERSION
#define JIFEN_VERSION "0.1.0"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: jifend [OPTIONS]\n"
            "The jifen points ledger daemon: keeps the ledger in DIR and "
            "serves it on ENDPOINT.\n"
            "\n"
            "  -d, --data DIR        ledger directory, created if missing "
            "(default: ./" DEFAULT_DATA_DIR ")\n"
            "  -l, --listen ENDPOINT ZeroMQ endpoint (default: " DEFAULT_LISTEN
            ");\n"
            "                        a port of * picks a free one\n"
            "  -p, --policy FILE     points policy (default: the embedded "
            "one, see deploy/policy.conf)\n"
            "      --check-policy    validate the policy, print it, and exit\n"
            "      --map-size MIB    initial LMDB map size (default %d); it "
            "grows by itself\n"
            "      --map-max MIB     largest map size (default %d)\n"
            "      --enrol-admin KEY enrol KEY (Z85, or a .pub file) as an "
            "admin key,\n"
            "                        with --label NAME, and exit; jifend must "
            "not be running\n"
            "      --enrol KEY --role ROLE --label NAME\n"
            "                        the same for any role (committee, "
            "terminal, auditor,\n"
            "                        admin)\n"
            "  -v, --verbose         log debug messages\n"
            "  -h, --help            this text\n"
            "      --version         the version\n"
            "\n"
            "Clients connect with CURVE: DIR/" IDENTITY_PUBLIC_FILE " is the "
            "server key they need\n(made on first start). Only enrolled keys "
            "get in; see docs/security.md.\n"
            "\n"
            "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 clean stop, "
            "1 start-up error, 2 usage error, 3 fatal I/O error.\n",
            DEFAULT_MAP_MIB, DEFAULT_MAP_MAX_MIB);
}

typedef struct {
    const char *data_dir;
    const char *listen;
    const char *policy_path;
    bool check_policy;
    unsigned long map_mib;
    unsigned long map_max_mib;
    const char *enrol_key; /* offline enrolment, then exit */
    const char *enrol_role;
    const char *enrol_label;
} options;

static int parse_mib(const char *text, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v < 1 ||
        v > 16UL * 1024 * 1024)
        return -1;
    *out = v;
    return 0;
}

/* Returns -1 to exit 0 (help, version), 0 to run, 2 for a usage error. */
static int parse_options(int argc, char **argv, options *o)
{
    enum {
        OPT_VERSION = 256,
        OPT_MAP_SIZE,
        OPT_MAP_MAX,
        OPT_CHECK,
        OPT_ENROL_ADMIN,
        OPT_ENROL,
        OPT_ROLE,
        OPT_LABEL
    };
    static const struct option longs[] = {
        {"data", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"policy", required_argument, NULL, 'p'},
        {"check-policy", no_argument, NULL, OPT_CHECK},
        {"map-size", required_argument, NULL, OPT_MAP_SIZE},
        {"map-max", required_argument, NULL, OPT_MAP_MAX},
        {"enrol-admin", required_argument, NULL, OPT_ENROL_ADMIN},
        {"enrol", required_argument, NULL, OPT_ENROL},
        {"role", required_argument, NULL, OPT_ROLE},
        {"label", required_argument, NULL, OPT_LABEL},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "d:l:p:vh", longs, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->data_dir = optarg;
            break;
        case 'l':
            o->listen = optarg;
            break;
        case 'p':
            o->policy_path = optarg;
            break;
        case OPT_CHECK:
            o->check_policy = true;
            break;
        case OPT_MAP_SIZE:
        case OPT_MAP_MAX:
            if (parse_mib(optarg, c == OPT_MAP_SIZE ? &o->map_mib
                                                    : &o->map_max_mib) != 0) {
                fprintf(stderr, "jifend: %s: not a size in MiB: %s\n",
                        c == OPT_MAP_SIZE ? "--map-size" : "--map-max",
                        optarg);
                return 2;
            }
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
        case 'v':
            log_set_level(LOG_LEVEL_DEBUG);
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

static int load_policy(const options *o, policy *pol)
{
    char err[512];
    int rc = o->policy_path ? policy_load_file(pol, o->policy_path, err,
                                               sizeof err)
                            : policy_load_default(pol, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "jifend: bad policy: %s\n", err);
        return -1;
    }
    return 0;
}

static void print_policy(const policy *pol)
{
    printf("policy %s: %u fen per point, points pay at most %u%% of the fee "
           "due\n",
           pol->version, pol->fen_per_point, pol->max_offset_percent);
    for (size_t i = 0; i < pol->n_activities; i++) {
        const policy_activity *a = &pol->activities[i];
        if (a->per_hour)
            printf("  activity %-20s %u per hour, at most %u hours\n",
                   a->code, a->points, a->max_hours);
        else
            printf("  activity %-20s %u point%s%s\n", a->code, a->points,
                   a->points == 1 ? "" : "s",
                   a->max_points ? " (up to max_points, by level)" : "");
    }
    for (size_t i = 0; i < pol->n_rules; i++)
        printf("  rule     %-20s %u point%s\n", pol->rules[i].code,
               pol->rules[i].points, pol->rules[i].points == 1 ? "" : "s");
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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
 * a journal entry like any enrolment, written by "local-operator". */
static int enrol_offline(ledger *led, const options *o)
{
    jifen_command cmd;
    if (enrol_command(o, &cmd) != 0)
        return 2;
    jifen_request req = {.n_commands = 1, .commands = &cmd};
    snprintf(req.request_id, sizeof req.request_id, "local-enrol-%" PRId64,
             now_ms());
    static const ledger_caller local = {"", JIFEN_ROLE_NONE, "local-operator"};
    uint8_t digest[JIFEN_HASH_LEN];
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    ledger_error le = codec_request_digest(&req, digest) == 0
                          ? ledger_write_begin(led)
                          : LEDGER_FAILED;
    if (le == LEDGER_OK)
        le = ledger_apply(led, &req, digest, &local, now_ms(), &reply);
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

/* The ZAP handler's question, answered from the ledger's key snapshot. */
static bool admit_key(void *arg, const char *z85)
{
    return ledger_key_admitted(arg, z85);
}

/* Loads (or makes) the daemon's key pair and binds the CURVE socket. */
static int bind_secure(transport **tp, ledger *led, const options *o,
                       char *bound, size_t bound_len)
{
    char err[512], pub_path[4096];
    int created = 0;
    transport_security sec = {.admit = admit_key, .admit_arg = led};
    if (identity_load(o->data_dir, sec.secret_key, pub_path, sizeof pub_path,
                      &created, err, sizeof err) != 0) {
        fprintf(stderr, "jifend: server key: %s\n", err);
        return -1;
    }
    log_info("%s server key; clients need its public key: %s",
             created ? "made a new" : "using the", pub_path);
    int rc = transport_bind(tp, o->listen, REQUEST_MAX_BYTES, &sec, bound,
                            bound_len, err, sizeof err);
    explicit_bzero(sec.secret_key, sizeof sec.secret_key);
    if (rc != 0)
        fprintf(stderr, "jifend: %s\n", err);
    return rc;
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
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    options o = {DEFAULT_DATA_DIR, DEFAULT_LISTEN, NULL, false,
                 DEFAULT_MAP_MIB, DEFAULT_MAP_MAX_MIB, NULL, NULL, NULL};
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    policy *pol = malloc(sizeof *pol);
    if (!pol || hash_init() != 0 || load_policy(&o, pol) != 0) {
        free(pol);
        return 1;
    }
    if (o.check_policy) {
        print_policy(pol);
        free(pol);
        return 0;
    }
    char err[512] = "";
    int lock = -1;
    if (ensure_data_dir(o.data_dir) != 0 ||
        (lock = identity_lock(o.data_dir, err, sizeof err)) < 0) {
        if (lock < 0 && err[0])
            fprintf(stderr, "jifend: %s\n", err);
        free(pol);
        return 1;
    }

    ledger *led = NULL;
    ledger_options lo = {(size_t)o.map_mib << 20, (size_t)o.map_max_mib << 20};
    if (ledger_open(&led, o.data_dir, pol, &lo, err, sizeof err) !=
        LEDGER_OK) {
        fprintf(stderr, "jifend: cannot open the ledger in %s: %s\n",
                o.data_dir, err);
        free(pol);
        return 1;
    }
    if (o.enrol_key) {
        rc = enrol_offline(led, &o);
        ledger_close(&led);
        free(pol);
        return rc;
    }
    transport *tp = NULL;
    char bound[256];
    if (bind_secure(&tp, led, &o, bound, sizeof bound) != 0) {
        ledger_close(&led);
        free(pol);
        return 1;
    }

    uint64_t seq;
    uint8_t head[32];
    char hex[65];
    ledger_head(led, &seq, head);
    log_info("jifend %s: ledger %s, %" PRIu64 " entries, head %s", JIFEN_VERSION,
             o.data_dir, seq, hash_hex(head, sizeof head, hex, sizeof hex));
    log_info("policy %s (%s)", pol->version,
             o.policy_path ? o.policy_path : "embedded default");
    install_signals();
    log_info("serving %s", bound);

    server_options so = {NULL};
    rc = server_run(led, tp, &so, &stop_requested);
    log_info(rc == 0 ? "stopped" : "stopped on a fatal error");
    transport_destroy(&tp);
    ledger_close(&led);
    free(pol);
    return rc == 0 ? 0 : 3;
}
