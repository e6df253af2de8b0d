/*
 * config - jifend's settings: one table of options with their ranges, read
 * from a `key = value` file (deploy/jifend.conf documents every key) and
 * overridden by the command line, which goes through the same table so the
 * same range checks apply to both.
 *
 * A bad line stops start-up: the message names the file, the line and the
 * value, in the manner of Redis.
 */
#ifndef JIFEN_CONFIG_H
#define JIFEN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "jifen_types.h"

#define CONFIG_PATH_MAX 1024
#define CONFIG_ENDPOINT_MAX 256

typedef struct {
    char data[CONFIG_PATH_MAX];        /* ledger directory */
    char listen[CONFIG_ENDPOINT_MAX];  /* ZeroMQ endpoint */
    char policy[CONFIG_PATH_MAX];      /* "" = the embedded policy */
    unsigned long map_size_mib;        /* initial LMDB map size */
    unsigned long map_max_mib;         /* the map never grows past this */
    unsigned long checkpoint_entries;  /* sign the head every N entries */
    unsigned long checkpoint_seconds;  /* ... and at least this often */
    unsigned long log_level;           /* a log_level value */
    unsigned long merkle_tree;         /* 1: keep the Merkle tree (proofs) */
    char replica_of[CONFIG_ENDPOINT_MAX]; /* "" = a primary; else follow it */
    /* A replica's primary's public key (Z85, or a file holding it, such as
     * a copy of the primary's DATA/jifend.pub). The replica logs in with its
     * own DATA/jifend.key, enrolled on the primary as an auditor key. */
    char replica_server_key[CONFIG_PATH_MAX];
    /* Many communities (docs/communities.md): the code of the first
     * community a service makes (and of a one-community ledger of an
     * earlier release it takes over); a replica follows this community
     * of its primary. */
    char community[JIFEN_COMMUNITY_MAX + 1];
    /* Committer threads: how many communities commit at once. */
    unsigned long committers;
    unsigned long group_linger_us; /* 0: groups never linger */
    /* Replication on NATS JetStream (docs/operations.md): "" = none,
     * everything as without it. */
    char nats_servers[CONFIG_PATH_MAX]; /* comma-separated nats:// URLs */
    char nats_durability[16];           /* "local" or "replicated" */
    char nats_prefix[33];               /* stream names and subjects */
    unsigned long nats_replicas;        /* of the streams jifend makes */
    unsigned long nats_ack_timeout_ms;  /* the bound of "replicated" */
    char nats_creds[CONFIG_PATH_MAX];   /* "" or a NATS .creds file */
    char nats_name[65];                 /* "" = the host name */
    unsigned long nats_replica;         /* 1: follow the streams, read-only */
} config;

/* The built-in defaults (the values deploy/jifend.conf shows). */
void config_defaults(config *cfg);

/* Sets one option from text, with its range check. 0, or -1 with the
 * reason (which names the key and the value) in err. */
int config_set(config *cfg, const char *key, const char *value, char *err,
               size_t errlen);

/* Reads a file of `key = value` lines (# comments, blank lines). Stops at
 * the first bad line: -1 with "FILE:LINE: reason" in err. */
int config_load(config *cfg, const char *path, char *err, size_t errlen);

/* Cross-option checks (map_size <= map_max). 0, or -1 with err. */
int config_check(const config *cfg, char *err, size_t errlen);

/* Writes every option as `key = value`, as a loaded file would set it. */
void config_print(const config *cfg, void *file);

#endif
