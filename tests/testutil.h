/*
 * testutil - helpers shared by the test programs: temporary directories that
 * clean themselves up, and a real jifend child process on a free port.
 */
#ifndef JIFEN_TESTUTIL_H
#define JIFEN_TESTUTIL_H

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
    char keys_dir[512];   /* DATA.keys: ROLE.key / ROLE.pub per role */
    char server_key[600]; /* DATA/jifend.pub */
} testutil_daemon;

/* The roles testutil enrols a key for, by name. */
extern const char *const testutil_roles[4]; /* committee terminal auditor admin */

/* Starts JIFEND_PATH on data_dir with a wildcard loopback port and waits
 * until it reports the endpoint it serves. extra_args may be NULL. The
 * first start on a data_dir makes one key pair per role in DATA.keys and
 * enrols them offline (jifend --enrol, labels "test-ROLE"). Returns 0, or
 * -1 (and the log stays for the reader). */
int testutil_daemon_start(testutil_daemon *d, const char *data_dir,
                          const char *const *extra_args);
/* The secret key file of the test key for `role` ("committee", ...). */
void testutil_key_path(const testutil_daemon *d, const char *role, char *out,
                       size_t len);

/* Runs JIFEND_PATH with args (NULL-terminated, argv[0] excluded), output to
 * the daemon's log; returns its exit status (as from waitpid), or -1. */
int testutil_jifend_run(const testutil_daemon *d, const char *const *args);

/* Sends `sig` and waits for the exit. Returns the exit status as from
 * waitpid, or -1. */
int testutil_daemon_stop(testutil_daemon *d, int sig);

#endif
