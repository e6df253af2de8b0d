/*
 * jifend - the jifen ledger daemon.
 *
 * Runs in the foreground and logs to stderr; a supervisor (systemd, a
 * terminal) owns its lifetime. SIGTERM or SIGINT stops it after the commit
 * in flight.
 */
#include "clock.h"
#include "hash.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "ruleset.h"
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

#define DEFAULT_DATA_DIR "jifen-data"
#define DEFAULT_LISTEN "tcp://127.0.0.1:7400"
#define DEFAULT_MAP_MIB 64
#define DEFAULT_MAP_MAX_MIB (64 * 1024)
#define REQUEST_MAX_BYTES (4u << 20)

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
            "  -d, --data DIR        ledger directory, created if missing "
            "(default: ./" DEFAULT_DATA_DIR ")\n"
            "  -l, --listen ENDPOINT ZeroMQ endpoint (default: " DEFAULT_LISTEN
            ");\n"
            "                        a port of * picks a free one\n"
            "  -p, --policy PATH     points policy (default: the embedded "
            "one, see deploy/policy.conf);\n"
            "                        repeat for several rule sets, each "
            "with its effective date;\n"
            "                        a directory: every *.conf in it. "
            "SIGHUP re-reads them\n"
            "      --check-policy    validate the policy, print it, and exit\n"
            "      --map-size MIB    initial LMDB map size (default %d); it "
            "grows by itself\n"
            "      --map-max MIB     largest map size (default %d)\n"
            "      --test-clock FILE TESTS ONLY: \"now\" is the Unix time in ms "
            "written in FILE,\n"
            "                        re-read every loop turn (also "
            "JIFEN_TEST_CLOCK=FILE)\n"
            "  -v, --verbose         log debug messages\n"
            "  -h, --help            this text\n"
            "      --version         the version\n"
            "\n"
            "Stops cleanly on SIGTERM or SIGINT. Exit status: 0 clean stop, "
            "1 start-up error, 2 usage error, 3 fatal I/O error.\n",
            DEFAULT_MAP_MIB, DEFAULT_MAP_MAX_MIB);
}

typedef struct {
    const char *data_dir;
    const char *listen;
    const char *policy_paths[RULESET_MAX]; /* every --policy, in order */
    size_t n_policies;
    bool check_policy;
    unsigned long map_mib;
    unsigned long map_max_mib;
    const char *test_clock;
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
        OPT_TEST_CLOCK
    };
    static const struct option longs[] = {
        {"data", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"policy", required_argument, NULL, 'p'},
        {"check-policy", no_argument, NULL, OPT_CHECK},
        {"map-size", required_argument, NULL, OPT_MAP_SIZE},
        {"map-max", required_argument, NULL, OPT_MAP_MAX},
        {"test-clock", required_argument, NULL, OPT_TEST_CLOCK},
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
        case OPT_MAP_MAX:
            if (parse_mib(optarg, c == OPT_MAP_SIZE ? &o->map_mib
                                                    : &o->map_max_mib) != 0) {
                fprintf(stderr, "jifend: %s: not a size in MiB: %s\n",
                        c == OPT_MAP_SIZE ? "--map-size" : "--map-max",
                        optarg);
                return 2;
            }
            break;
        case OPT_TEST_CLOCK:
            o->test_clock = optarg;
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
    return 0;
}

/* Every --policy file is one rule set; with none, the embedded default is
 * the only one and applies from the beginning. */
static int load_policy(const options *o, policy *pol, ruleset **rules)
{
    char err[512];
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
 * in place. Re-read every --policy path; take the result only if it keeps
 * history intact (ruleset_check_successor), else keep what is in use.
 */
typedef struct {
    const options *o;
    ledger *led;
    ruleset **rules;
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
                           sizeof err) != 0 ||
        ruleset_check_successor(*r->rules, next, clock_now_ms(), err,
                                sizeof err) != 0) {
        log_error("rule sets not reloaded (still %zu in use): %s",
                  ruleset_count(*r->rules), err);
        ruleset_destroy(&next);
        return;
    }
    ledger_use_rules(r->led, next);
    ruleset_destroy(r->rules);
    *r->rules = next;
    log_info("rule sets reloaded: %zu", ruleset_count(next));
}

static int ensure_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "jifend: cannot create %s: %s\n", dir,
                strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "jifend: %s is not a directory\n", dir);
        return -1;
    }
    return 0;
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

int main(int argc, char **argv)
{
    options o = {.data_dir = DEFAULT_DATA_DIR,
                 .listen = DEFAULT_LISTEN,
                 .map_mib = DEFAULT_MAP_MIB,
                 .map_max_mib = DEFAULT_MAP_MAX_MIB};
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;

    policy *pol = malloc(sizeof *pol);
    ruleset *rules = NULL;
    if (!pol || hash_init() != 0 || load_policy(&o, pol, &rules) != 0) {
        free(pol);
        return 1;
    }
    if (o.check_policy) {
        print_rules(rules);
        ruleset_destroy(&rules);
        free(pol);
        return 0;
    }
    if (setup_test_clock(&o) != 0 || ensure_data_dir(o.data_dir) != 0) {
        ruleset_destroy(&rules);
        free(pol);
        return 1;
    }

    char err[512];
    ledger *led = NULL;
    ledger_options lo = {(size_t)o.map_mib << 20, (size_t)o.map_max_mib << 20};
    if (ledger_open(&led, o.data_dir, pol, &lo, err, sizeof err) !=
        LEDGER_OK) {
        fprintf(stderr, "jifend: cannot open the ledger in %s: %s\n",
                o.data_dir, err);
        ruleset_destroy(&rules);
        free(pol);
        return 1;
    }
    ledger_use_rules(led, rules);
    transport *tp = NULL;
    char bound[256];
    if (transport_bind(&tp, o.listen, REQUEST_MAX_BYTES, bound, sizeof bound,
                       err, sizeof err) != 0) {
        fprintf(stderr, "jifend: %s\n", err);
        ledger_close(&led);
        ruleset_destroy(&rules);
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
             o.n_policies ? "first of the --policy rule sets"
                          : "embedded default");
    for (size_t i = 1; i < ruleset_count(rules); i++)
        log_info("rule set %s from %s", ruleset_get(rules, i)->version,
                 ruleset_get(rules, i)->effective);
    install_signals();
    log_info("serving %s", bound);

    reloader rl = {&o, led, &rules};
    server_options so = {"anonymous", &reload_requested, reload_rules, &rl};
    rc = server_run(led, tp, &so, &stop_requested);
    log_info(rc == 0 ? "stopped" : "stopped on a fatal error");
    transport_destroy(&tp);
    ledger_close(&led);
    ruleset_destroy(&rules);
    free(pol);
    return rc == 0 ? 0 : 3;
}
