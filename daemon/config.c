/*
 * config - the option table. Adding an option is adding a row here, a field
 * in config.h and a documented line in deploy/jifend.conf.
 */
#include "config.h"

#include "conffile.h"

#include "log.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OPT_STRING, OPT_NUMBER, OPT_LEVEL } option_type;

typedef struct {
    const char *key;
    option_type type;
    size_t offset;
    size_t size;               /* strings: buffer size */
    unsigned long min, max;    /* numbers: inclusive range */
} option_row;

#define STR(k, f) {k, OPT_STRING, offsetof(config, f), sizeof(((config *)0)->f), 0, 0}
#define NUM(k, f, lo, hi) {k, OPT_NUMBER, offsetof(config, f), 0, lo, hi}

static const option_row table[] = {
    STR("data", data),
    STR("listen", listen),
    STR("policy", policy),
    NUM("map_size_mib", map_size_mib, 1, 16UL * 1024 * 1024),
    NUM("map_max_mib", map_max_mib, 1, 16UL * 1024 * 1024),
    NUM("checkpoint_entries", checkpoint_entries, 1, 100000000),
    /* At least daily is the promise to residents; at most once a minute
     * keeps the table small. */
    NUM("checkpoint_seconds", checkpoint_seconds, 60, 86400),
    /* 0 only to measure what the tree costs (bench.sh): no proofs, and
     * checkpoints without a root (jifen-cp1). */
    NUM("merkle_tree", merkle_tree, 0, 1),
    {"log_level", OPT_LEVEL, offsetof(config, log_level), 0, 0, 0},
    STR("replica_of", replica_of),
    STR("replica_server_key", replica_server_key),
    STR("community", community),
    /* A committer holds one community's write transaction at a time; with
     * more, more communities wait for their fsync together. */
    NUM("committers", committers, 1, 64),
    /* How long a group of small writes may wait for the writers the last
     * commit answered (server.c, lingering); 0: never. */
    NUM("group_linger_us", group_linger_us, 0, 20000),
    /* Replication on NATS JetStream (docs/operations.md). */
    STR("nats_servers", nats_servers),
    STR("nats_durability", nats_durability),
    STR("nats_prefix", nats_prefix),
    NUM("nats_replicas", nats_replicas, 1, 5),
    /* Long enough for a stream leader to be elected again after a node
     * died (a few seconds), short enough that a client is told. */
    NUM("nats_ack_timeout_ms", nats_ack_timeout_ms, 100, 600000),
    STR("nats_creds", nats_creds),
    STR("nats_name", nats_name),
    NUM("nats_replica", nats_replica, 0, 1),
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void config_defaults(config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->data, sizeof cfg->data, "jifen-data");
    snprintf(cfg->listen, sizeof cfg->listen, "tcp://127.0.0.1:7400");
    cfg->map_size_mib = 64;
    cfg->map_max_mib = 64 * 1024;
    cfg->checkpoint_entries = 1000;
    cfg->checkpoint_seconds = 86400;
    cfg->merkle_tree = 1;
    cfg->log_level = LOG_LEVEL_INFO;
    snprintf(cfg->community, sizeof cfg->community, "default");
    cfg->committers = 8;
    snprintf(cfg->nats_durability, sizeof cfg->nats_durability, "local");
    snprintf(cfg->nats_prefix, sizeof cfg->nats_prefix, "jifen");
    cfg->nats_replicas = 3;
    cfg->nats_ack_timeout_ms = 10000;
}

static const option_row *find_row(const char *key)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].key, key) == 0)
            return &table[i];
    return NULL;
}

/* Digits only: strtoul would take "-1", " 5" and "5x" half-read. */
static int parse_number(const char *text, unsigned long *out)
{
    if (*text == '\0' || strspn(text, "0123456789") != strlen(text))
        return -1;
    errno = 0;
    unsigned long v = strtoul(text, NULL, 10);
    if (errno)
        return -1;
    *out = v;
    return 0;
}

static int set_level(unsigned long *field, const char *key, const char *value,
                     char *err, size_t errlen)
{
    for (unsigned long i = 0; i < sizeof level_names / sizeof *level_names;
         i++) {
        if (strcmp(value, level_names[i]) == 0) {
            *field = i;
            return 0;
        }
    }
    snprintf(err, errlen,
             "%s: '%s' is not one of debug, info, warn, error", key, value);
    return -1;
}

int config_set(config *cfg, const char *key, const char *value, char *err,
               size_t errlen)
{
    const option_row *row = find_row(key);
    if (!row) {
        snprintf(err, errlen, "unknown option '%s'", key);
        return -1;
    }
    char *field = (char *)cfg + row->offset;
    switch (row->type) {
    case OPT_STRING:
        /* Only the optional ones may be empty. */
        if (*value == '\0' && row->offset != offsetof(config, policy) &&
            row->offset != offsetof(config, replica_of) &&
            row->offset != offsetof(config, replica_server_key) &&
            row->offset != offsetof(config, nats_servers) &&
            row->offset != offsetof(config, nats_creds) &&
            row->offset != offsetof(config, nats_name)) {
            snprintf(err, errlen, "%s: must not be empty", key);
            return -1;
        }
        if (strlen(value) >= row->size) {
            snprintf(err, errlen, "%s: '%.40s...' is longer than %zu bytes",
                     key, value, row->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case OPT_NUMBER: {
        unsigned long v;
        if (parse_number(value, &v) != 0 || v < row->min || v > row->max) {
            snprintf(err, errlen, "%s: '%s' is not a whole number from %lu to %lu",
                     key, value, row->min, row->max);
            return -1;
        }
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case OPT_LEVEL:
        return set_level((unsigned long *)(void *)field, key, value, err,
                         errlen);
    }
    return -1;
}

static int set_option(void *target, const char *key, const char *value,
                      char *err, size_t errlen)
{
    return config_set(target, key, value, err, errlen);
}

int config_load(config *cfg, const char *path, char *err, size_t errlen)
{
    return conffile_load(path, set_option, cfg, err, errlen);
}

int config_check(const config *cfg, char *err, size_t errlen)
{
    if (cfg->map_size_mib > cfg->map_max_mib) {
        snprintf(err, errlen,
                 "map_size_mib (%lu) is larger than map_max_mib (%lu)",
                 cfg->map_size_mib, cfg->map_max_mib);
        return -1;
    }
    if (cfg->replica_of[0] && !cfg->replica_server_key[0]) {
        snprintf(err, errlen, "replica_of needs replica_server_key (the "
                              "primary's public key)");
        return -1;
    }
    if (strcmp(cfg->nats_durability, "local") != 0 &&
        strcmp(cfg->nats_durability, "replicated") != 0) {
        snprintf(err, errlen, "nats_durability: '%s' is not local or "
                 "replicated", cfg->nats_durability);
        return -1;
    }
    size_t pn = strlen(cfg->nats_prefix);
    if (pn == 0 || strspn(cfg->nats_prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
                                            "ghijklmnopqrstuvwxyz0123456789-") !=
                       pn) {
        snprintf(err, errlen, "nats_prefix: '%s' is not 1-32 of A-Z a-z 0-9 -",
                 cfg->nats_prefix);
        return -1;
    }
    size_t nn = strlen(cfg->nats_name);
    if (strspn(cfg->nats_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                               "tuvwxyz0123456789-_") != nn) {
        snprintf(err, errlen, "nats_name: '%s' is not of A-Z a-z 0-9 - _ "
                 "(it names this replica's consumers)", cfg->nats_name);
        return -1;
    }
    /* "replicated" promises that an acknowledged write survives the loss
     * of this machine and of any one NATS node: a majority of three. */
    if (strcmp(cfg->nats_durability, "replicated") == 0 &&
        cfg->nats_replicas < 3) {
        snprintf(err, errlen, "nats_durability = replicated needs "
                 "nats_replicas of 3 or more (it is %lu): an acknowledgement "
                 "of one replica is one disk", cfg->nats_replicas);
        return -1;
    }
    if (cfg->nats_replica && !cfg->nats_servers[0]) {
        snprintf(err, errlen, "nats_replica = 1 needs nats_servers (the "
                 "replica follows the streams there)");
        return -1;
    }
    if (cfg->nats_replica && cfg->replica_of[0]) {
        snprintf(err, errlen, "nats_replica and replica_of: a replica "
                 "follows the NATS streams or a primary's feed, not both");
        return -1;
    }
    /* A community's code names a directory: the characters of a
     * household's code only. */
    size_t n = strlen(cfg->community);
    if (n == 0 || strspn(cfg->community, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                                         "klmnopqrstuvwxyz0123456789._-") != n ||
        cfg->community[0] == '.') {
        snprintf(err, errlen,
                 "community: '%s' is not a code of A-Z a-z 0-9 . _ - (not "
                 "starting with a dot)",
                 cfg->community);
        return -1;
    }
    return 0;
}

void config_print(const config *cfg, void *file)
{
    FILE *f = file;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const char *field = (const char *)cfg + table[i].offset;
        unsigned long v;
        switch (table[i].type) {
        case OPT_STRING:
            fprintf(f, "%s = %s\n", table[i].key, field);
            break;
        case OPT_NUMBER:
            memcpy(&v, field, sizeof v);
            fprintf(f, "%s = %lu\n", table[i].key, v);
            break;
        case OPT_LEVEL:
            memcpy(&v, field, sizeof v);
            fprintf(f, "%s = %s\n", table[i].key, level_names[v]);
            break;
        }
    }
}
