/*
 * testutil - helpers shared by the test programs: temporary directories that
 * clean themselves up, and a real jifend child process on a free port.
 */
#ifndef JIFEN_TESTUTIL_H
#define JIFEN_TESTUTIL_H

#include "ledger.h"

#include <stddef.h>
#include <sys/types.h>

/* Makes a fresh directory under $TMPDIR (or /tmp); path is malloc'd. */
char *testutil_tmpdir(void);
/* Removes a directory tree and frees the path; sets *path_p to NULL. */
void testutil_rmtree(char **path_p);

typedef struct {
    pid_t pid;
    char endpoint[128]; /* tcp://127.0.0.1:PORT, as the daemon reported */
    char log_path[512];
} testutil_daemon;

/* Starts JIFEND_PATH on data_dir with a wildcard loopback port and waits
 * until it reports the endpoint it serves. extra_args may be NULL. Returns 0,
 * or -1 (and the log stays for the reader). */
int testutil_daemon_start(testutil_daemon *d, const char *data_dir,
                          const char *const *extra_args);
/* Sends `sig` and waits for the exit. Returns the exit status as from
 * waitpid, or -1. */
int testutil_daemon_stop(testutil_daemon *d, int sig);

/* Applies one write command as one request in its own group commit, at
 * now_ms by `author`, and copies the single result out (its history and
 * notices dropped). Returns 0, or -1 when the ledger itself failed. */
int testutil_write(ledger *led, int64_t now_ms, const char *author,
                   const char *request_id, const jifen_command *cmd,
                   jifen_result *out);

#endif
