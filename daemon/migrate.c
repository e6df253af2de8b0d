/*
 * migrate - a ledger of an earlier format brought to this release's.
 *
 * Formats 1 and 2 kept the same journal, but derived state that this
 * release keeps differently (points as lots spent oldest first, lots.h; the
 * history index and counters of format 1 elsewhere). Rather than convert
 * each table, the migration is a rebuild (rebuild.h): the journal is
 * replayed through this release's apply path into DIR/migrate.tmp, the
 * idempotency records and checkpoints are copied, and the new data.mdb is
 * renamed over the old one, so a crash at any moment leaves either the old
 * ledger (migrated again at the next start) or the new one. The journal,
 * the chain and the head are the same bytes.
 *
 * What changes for a household: its points are now spent oldest first
 * whatever each lot's expiry. Points the old rule let a household keep
 * past their expiry (docs/policy.md, "Expiry") are in lots whose time has
 * passed, and the timer posts them as Expire entries at its next tick:
 * the correcting entries, in the journal like any other.
 */
#include "ledger_internal.h"

#include "keyspace.h"
#include "log.h"
#include "rebuild.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_NAME "migrate.tmp"
#define PATH_CAP 4096

/* dir/name into out[PATH_CAP]; -1 when it does not fit. */
static int join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    return n < 0 || n >= PATH_CAP ? -1 : 0;
}

/* The format recorded in dir's ledger, "" for a new or empty one. */
static int read_format(const char *dir, char *format, size_t cap, char *err,
                       size_t errlen)
{
    format[0] = '\0';
    char path[PATH_CAP];
    struct stat st;
    if (join(path, dir, "data.mdb") != 0 || stat(path, &st) != 0 ||
        st.st_size == 0)
        return 0; /* nothing there yet */
    storage *s = NULL;
    if (storage_open_readonly(&s, dir, err, errlen) != STORAGE_OK)
        return -1;
    storage_txn txn;
    storage_val v;
    storage_error e = storage_txn_begin(s, &txn, false);
    if (e == STORAGE_OK)
        e = storage_get(&txn, TABLE_META, META_FORMAT, strlen(META_FORMAT), &v);
    if (e == STORAGE_OK)
        snprintf(format, cap, "%.*s", (int)(v.len < cap ? v.len : cap - 1),
                 (const char *)v.data);
    storage_txn_abort(&txn);
    storage_close(&s);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND) {
        snprintf(err, errlen, "reading the ledger's format: %s",
                 storage_strerror(e));
        return -1;
    }
    return 0;
}

/* Removes dir/migrate.tmp and what is in it (a data.mdb, a lock.mdb). */
static void remove_tmp(const char *tmp)
{
    char path[PATH_CAP];
    if (join(path, tmp, "data.mdb") == 0)
        unlink(path);
    if (join(path, tmp, "lock.mdb") == 0)
        unlink(path);
    rmdir(tmp);
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static bool older_format(const char *format)
{
    return strcmp(format, "jifen-ledger-1") == 0 ||
           strcmp(format, "jifen-ledger-2") == 0;
}

int migrate_ledger(const char *dir, const ledger_options *opts,
                   const ruleset *rules, char *err, size_t errlen)
{
    char tmp[PATH_CAP], format[64];
    if (join(tmp, dir, TMP_NAME) != 0) {
        snprintf(err, errlen, "the ledger's path is too long");
        return -1;
    }
    remove_tmp(tmp); /* what a migration killed half-way left */
    if (read_format(dir, format, sizeof format, err, errlen) != 0)
        return -1;
    if (!older_format(format))
        return 0; /* current, new, or refused later as not a ledger */
    log_info("ledger %s is of format %s: rebuilding its derived state from "
             "the journal into %s (docs/operations.md, \"Upgrading\")",
             dir, format, LEDGER_FORMAT);
    if (mkdir(tmp, 0700) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rebuild_options ro = {.pol = ruleset_count(rules) ? ruleset_get(rules, 0)
                                                      : NULL,
                          .rules = rules,
                          .progress = opts->progress,
                          .progress_ctx = opts->progress_ctx};
    rebuild_report report;
    char why[600];
    if (!ro.pol || rebuild_ledger(dir, tmp, &ro, &report, why,
                                  sizeof why) != 0) {
        snprintf(err, errlen, "migrating %s from %s: %s", dir, format,
                 ro.pol ? why : "no rule set to judge its entries by");
        remove_tmp(tmp);
        return -1;
    }
    char from[PATH_CAP], to[PATH_CAP];
    if (join(from, tmp, "data.mdb") != 0 || join(to, dir, "data.mdb") != 0 ||
        rename(from, to) != 0 || sync_dir(dir) != 0) {
        snprintf(err, errlen, "migrating %s: cannot put the rebuilt ledger "
                 "in place: %s", dir, strerror(errno));
        remove_tmp(tmp);
        return -1;
    }
    remove_tmp(tmp);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_info("ledger %s: %" PRIu64 " entries rebuilt into %s in %.1f s; "
             "journal, chain and head unchanged",
             dir, report.entries, LEDGER_FORMAT,
             (double)(t1.tv_sec - t0.tv_sec) +
                 (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
