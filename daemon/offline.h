/*
 * offline - jifend's tools that work on a ledger directory without serving
 * it: backup, verify (optionally against a signed checkpoint), export, and
 * show a checkpoint. They open the environment read-only, so they are safe
 * next to a running jifend (LMDB readers never block the writer), on a
 * backup copy, or on a directory copied from another machine.
 *
 *   jifend --backup DIR --to DEST      compacting copy with the server key
 *                                      pair, verified, then renamed to DEST
 *   jifend --verify DIR [--checkpoint TEXT --checkpoint-key PUBFILE] [--json]
 *   jifend --export DIR --to FILE|- [--from N]   JSON lines
 *                                      (docs/export-format.md)
 *   jifend --show-checkpoint DIR [--entry N]
 *   jifend --rebuild DIR [--to DEST] [--policy FILE]... [--json]
 *                                      every derived table re-derived from
 *                                      the journal and compared (rebuild.h)
 *
 * Exit status: 0 done (and verified), 1 verification failed or the copy
 * failed, 2 usage error.
 */
#ifndef JIFEN_OFFLINE_H
#define JIFEN_OFFLINE_H

#include "ruleset.h"

#include <getopt.h>
#include <stdbool.h>

typedef enum {
    OFFLINE_NONE = 0,
    OFFLINE_BACKUP,
    OFFLINE_VERIFY,
    OFFLINE_EXPORT,
    OFFLINE_SHOW_CHECKPOINT,
    OFFLINE_REBUILD,
} offline_mode;

typedef struct {
    offline_mode mode;
    const char *dir;
    const char *to;
    const char *checkpoint;     /* text of a checkpoint to verify against */
    const char *checkpoint_key; /* public key file */
    const char *entry;          /* --entry N for --show-checkpoint */
    const char *from;           /* --from N for --export */
    bool json;
    /* --rebuild: the rule sets the entries of earlier releases were made
     * under (the daemon's --policy files), set by main. */
    const policy *pol;
    const ruleset *rules;
    /* --community CODE: the tool works on that community of a service's
     * data directory (docs/communities.md); without it, on the whole
     * service, or on the only community where one ledger is meant. */
    const char *community;
} offline_request;

/* getopt_long rows of the offline options, all returning `val`. */
#define OFFLINE_LONG_OPTIONS(val)                                          \
    {"backup", required_argument, NULL, val},                              \
        {"verify", required_argument, NULL, val},                          \
        {"export", required_argument, NULL, val},                          \
        {"show-checkpoint", required_argument, NULL, val},                 \
        {"rebuild", required_argument, NULL, val},                         \
        {"to", required_argument, NULL, val},                              \
        {"checkpoint", required_argument, NULL, val},                      \
        {"checkpoint-key", required_argument, NULL, val},                  \
        {"entry", required_argument, NULL, val},                           \
        {"from", required_argument, NULL, val},                            \
        {"json", no_argument, NULL, val}

/* Records one offline option. 0, or 2 (usage error, reported). */
int offline_option(offline_request *req, const char *name, const char *arg);

/* Whether the tool needs the rule sets (main loads them first). */
bool offline_needs_rules(const offline_request *req);

/* The ledger directory a tool meant for one ledger works on: dir itself
 * when it is a ledger, else the service's community named (or its only
 * one). 0, or -1 with why in err. Also for the test tools. */
int offline_ledger_dir(const char *dir, const char *community, char *out,
                       size_t cap, char *err, size_t errlen);

/* Runs the requested tool; returns the exit status. */
int offline_run(const offline_request *req);

/* The usage lines of the offline tools. */
const char *offline_usage(void);

#endif
