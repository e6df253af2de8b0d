/*
 * testutil - helpers shared by the test programs: temporary directories that
 * clean themselves up, and a real jifend child process on a free port.
 */
#ifndef JIFEN_TESTUTIL_H
#define JIFEN_TESTUTIL_H

#include "ledger.h"
#include "ruleset.h"

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

/* Applies a write request as `who` at now_ms in a group commit of its own
 * (digest, begin, ledger_apply, commit: the server's apply_group for one
 * request). Fills reply (free with codec_reply_clear). 0, or -1 when the
 * ledger itself failed (nothing committed, reply cleared). */
int testutil_apply(ledger *led, int64_t now_ms, const ledger_caller *who,
                   const jifen_request *req, jifen_reply *reply);

/* Applies one write command as one request in its own group commit, at
 * now_ms by `author`, and copies the single result out (its history and
 * notices dropped). Returns 0, or -1 when the ledger itself failed. */
int testutil_write(ledger *led, int64_t now_ms, const char *author,
                   const char *request_id, const jifen_command *cmd,
                   jifen_result *out);

/* The same as an enrolled key (`who`: its key, role and label), which the
 * ledger authorizes as it does a client's request. */
int testutil_write_as(ledger *led, int64_t now_ms, const ledger_caller *who,
                      const char *request_id, const jifen_command *cmd,
                      jifen_result *out);

/* A ledger in a fresh temporary directory judged by rule sets given as
 * policy texts (the tests of rule sets, notice, expiry, sanctions). */
typedef struct {
    char *dir;
    ledger *led;
    ruleset *rules;
    policy pol; /* the first text's rule set, for ledger_open */
    int next_id;
} testutil_book;

/* Parses policy texts into rule sets (a bad one is printed); *first is the
 * first text's. 0, or -1 (*out NULL). */
int testutil_rules(const char *const *texts, size_t n, ruleset **out,
                   policy *first);
/* Parses the texts (a bad one is printed), opens the ledger. 0 or -1. */
int testutil_book_open(testutil_book *b, const char *const *texts, size_t n);
/* Closes and opens the ledger again, as a restart does. 0 or -1. */
int testutil_book_reopen(testutil_book *b);
void testutil_book_close(testutil_book *b);
/* testutil_write with a fresh request id. */
int testutil_book_write(testutil_book *b, int64_t now_ms, const char *author,
                        const jifen_command *cmd, jifen_result *out);
/* The household's balance; 0, or -1 when it cannot be read. */
int testutil_book_balance(testutil_book *b, const char *household,
                          jifen_balance *out);
/* The number of journal entries. */
uint64_t testutil_book_head(testutil_book *b);
/* Replicates the entries of `from` after `to`'s head, through entry upto
 * (0: all), into `to`, one transaction each, as daemon/replica.c applies a
 * feed. 0, or -1 (printed). */
int testutil_replicate(ledger *from, ledger *to, uint64_t upto);
/* The same for every entry after to's head, `batch` entries per write
 * transaction, as daemon/replica.c applies one feed reply (up to
 * JIFEN_FEED_MAX entries) in one. */
int testutil_replicate_feed(ledger *from, ledger *to, size_t batch);
/* Replicates the book's journal into a fresh ledger (ledger_replicate, as
 * a replica does) and compares the policy's derived state in the meta
 * table (notices, cap counters, expiry lots, sanctions) and the Merkle tree
 * row by row: 0 when the replica's is the book's, -1 (the first difference
 * printed). */
int testutil_book_replica_check(testutil_book *b);
/* The equivalence of "one path for derived state": the book's journal
 * replicated into a fresh ledger, and rebuilt (rebuild.h) from its files,
 * each compared with the book's every derived table, row by row. 0 when
 * both are the book's, -1 (the first difference printed). The book's
 * ledger is closed and opened again on the way (a rebuild reads the
 * files). */
int testutil_book_equivalence(testutil_book *b);
/* Unix ms of a wall-clock time in Asia/Shanghai. */
int64_t testutil_at(int year, int month, int day, int hour, int minute);

#endif
