/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700

#include "testutil.h"

#include "clock.h"
#include "codec.h"
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *testutil_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t len = strlen(base) + sizeof "/jifen-test-XXXXXX";
    char *path = malloc(len);
    if (!path)
        return NULL;
    snprintf(path, len, "%s/jifen-test-XXXXXX", base);
    if (!mkdtemp(path)) {
        free(path);
        return NULL;
    }
    return path;
}

static int remove_one(const char *path, const struct stat *sb, int flag,
                      struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void testutil_rmtree(char **path_p)
{
    if (!*path_p)
        return;
    nftw(*path_p, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(*path_p);
    *path_p = NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Looks for "serving ENDPOINT" in the daemon's log. */
static int find_endpoint(const char *log_path, char *endpoint, size_t len)
{
    FILE *f = fopen(log_path, "r");
    if (!f)
        return -1;
    char line[1024];
    int found = -1;
    while (found != 0 && fgets(line, sizeof line, f)) {
        char *p = strstr(line, " serving ");
        if (p) {
            p += strlen(" serving ");
            p[strcspn(p, "\r\n")] = '\0';
            snprintf(endpoint, len, "%s", p);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

int testutil_daemon_start(testutil_daemon *d, const char *data_dir,
                          const char *const *extra_args)
{
    memset(d, 0, sizeof *d);
    snprintf(d->log_path, sizeof d->log_path, "%s.log", data_dir);
    const char *argv[32] = {JIFEND_PATH, "--data", data_dir, "--listen",
                            "tcp://127.0.0.1:*"};
    size_t n = 5;
    for (size_t i = 0; extra_args && extra_args[i] && n < 30; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;

    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    d->pid = pid;
    for (int i = 0; i < 1000; i++) { /* up to 10 s */
        if (find_endpoint(d->log_path, d->endpoint, sizeof d->endpoint) == 0)
            return 0;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            d->pid = 0;
            return -1;
        }
        sleep_ms(10);
    }
    testutil_daemon_stop(d, SIGKILL);
    return -1;
}

int testutil_daemon_stop(testutil_daemon *d, int sig)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, sig);
    int status = 0;
    pid_t r;
    do {
        r = waitpid(d->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    d->pid = 0;
    return r < 0 ? -1 : status;
}

int testutil_write(ledger *led, int64_t now_ms, const char *author,
                   const char *request_id, const jifen_command *cmd,
                   jifen_result *out)
{
    jifen_command one = *cmd;
    jifen_request req = {.n_commands = 1, .commands = &one};
    snprintf(req.request_id, sizeof req.request_id, "%s", request_id);
    uint8_t digest[JIFEN_HASH_LEN];
    jifen_reply reply;
    memset(out, 0, sizeof *out);
    if (codec_request_digest(&req, digest) != 0 ||
        ledger_write_begin(led) != LEDGER_OK)
        return -1;
    if (ledger_apply(led, &req, digest, author, now_ms, &reply) !=
        LEDGER_OK) {
        ledger_write_abort(led);
        return -1;
    }
    if (ledger_write_commit(led) != LEDGER_OK || reply.n_results != 1) {
        codec_reply_clear(&reply);
        return -1;
    }
    *out = reply.results[0];
    out->history = NULL;
    out->n_history = 0;
    out->notices = NULL;
    out->n_notices = 0;
    out->rule_sets = NULL;
    out->n_rule_sets = 0;
    codec_reply_clear(&reply);
    return 0;
}

static int book_open_ledger(testutil_book *b)
{
    char err[256];
    ledger_options lo = {1 << 20, 256 << 20};
    if (ledger_open(&b->led, b->dir, &b->pol, &lo, err, sizeof err) !=
        LEDGER_OK) {
        fprintf(stderr, "ledger_open: %s\n", err);
        return -1;
    }
    ledger_use_rules(b->led, b->rules);
    return 0;
}

int testutil_book_open(testutil_book *b, const char *const *texts, size_t n)
{
    char err[256];
    memset(b, 0, sizeof *b);
    if (hash_init() != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        policy p;
        int rc = policy_parse(&p, texts[i], strlen(texts[i]), "test.conf",
                              err, sizeof err);
        if (rc == 0 && i == 0) {
            b->pol = p;
            rc = ruleset_from_policy(&b->rules, &p, err, sizeof err);
        } else if (rc == 0) {
            rc = ruleset_add(b->rules, &p, "test.conf", err, sizeof err);
        }
        if (rc != 0) {
            fprintf(stderr, "%s\n", err);
            ruleset_destroy(&b->rules);
            return -1;
        }
    }
    b->dir = testutil_tmpdir();
    return b->dir && book_open_ledger(b) == 0 ? 0 : -1;
}

int testutil_book_reopen(testutil_book *b)
{
    ledger_close(&b->led);
    return book_open_ledger(b);
}

void testutil_book_close(testutil_book *b)
{
    ledger_close(&b->led);
    ruleset_destroy(&b->rules);
    testutil_rmtree(&b->dir);
}

int testutil_book_write(testutil_book *b, int64_t now_ms, const char *author,
                        const jifen_command *cmd, jifen_result *out)
{
    char id[32];
    snprintf(id, sizeof id, "req-%d", ++b->next_id);
    return testutil_write(b->led, now_ms, author, id, cmd, out);
}

int testutil_book_balance(testutil_book *b, const char *household,
                          jifen_balance *out)
{
    jifen_command q;
    memset(&q, 0, sizeof q);
    q.kind = JIFEN_CMD_BALANCE;
    snprintf(q.household, sizeof q.household, "%s", household);
    jifen_request req = {.n_commands = 1, .commands = &q};
    jifen_reply reply;
    if (ledger_query(b->led, &req, &reply) != LEDGER_OK)
        return -1;
    int rc = reply.results[0].status == JIFEN_STATUS_OK ? 0 : -1;
    *out = reply.results[0].balance;
    codec_reply_clear(&reply);
    return rc;
}

uint64_t testutil_book_head(testutil_book *b)
{
    uint64_t seq;
    uint8_t hash[JIFEN_HASH_LEN];
    ledger_head(b->led, &seq, hash);
    return seq;
}

int64_t testutil_at(int year, int month, int day, int hour, int minute)
{
    return clock_date_start_ms(year, month, day) +
           ((int64_t)hour * 60 + minute) * 60000;
}
