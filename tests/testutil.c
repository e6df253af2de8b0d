/* nftw() is an XSI interface. */
#define _XOPEN_SOURCE 700

#include "testutil.h"

#include "rebuild.h"

#include "keyfile.h"
#include "clock.h"
#include "codec.h"
#include "hash.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

const char *const testutil_roles[4] = {"committee", "terminal", "auditor",
                                       "admin"};

void testutil_key_path(const testutil_daemon *d, const char *role, char *out,
                       size_t len)
{
    snprintf(out, len, "%s/%s.key", d->keys_dir, role);
}

/* Starts JIFEND_PATH with `fixed` then `extra` arguments (either may be
 * NULL-terminated lists; extra may be NULL), stderr (and stdout when
 * `with_stdout`) appended to the log. Returns the child's pid, or -1. */
static pid_t spawn_jifend(const testutil_daemon *d, const char *const *fixed,
                          const char *const *extra, bool with_stdout)
{
    const char *argv[32] = {JIFEND_PATH};
    size_t n = 1;
    for (size_t i = 0; fixed[i] && n < 31; i++)
        argv[n++] = fixed[i];
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        if (with_stdout)
            dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

int testutil_jifend_run(const testutil_daemon *d, const char *const *args)
{
    pid_t pid = spawn_jifend(d, args, NULL, true);
    int status = 0;
    if (pid < 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return status;
}

/* One key pair per role, enrolled offline before the daemon first runs. */
static int enrol_test_keys(const testutil_daemon *d, const char *data_dir)
{
    if (mkdir(d->keys_dir, 0700) != 0)
        return errno == EEXIST ? 0 : -1; /* a restart: enrolled already */
    for (size_t i = 0; i < 4; i++) {
        char sec[600], pub[600], z85[KEYFILE_Z85_LEN + 1], err[256], label[64];
        snprintf(sec, sizeof sec, "%s/%s.key", d->keys_dir, testutil_roles[i]);
        snprintf(pub, sizeof pub, "%s/%s.pub", d->keys_dir, testutil_roles[i]);
        snprintf(label, sizeof label, "test-%s", testutil_roles[i]);
        if (keyfile_generate(sec, pub, z85, err, sizeof err) != 0)
            return -1;
        const char *args[] = {"--data", data_dir, "--enrol", pub, "--role",
                              testutil_roles[i], "--label", label, NULL};
        int st = testutil_jifend_run(d, args);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return -1;
    }
    return 0;
}

int testutil_daemon_start(testutil_daemon *d, const char *data_dir,
                          const char *const *extra_args)
{
    memset(d, 0, sizeof *d);
    snprintf(d->log_path, sizeof d->log_path, "%s.log", data_dir);
    snprintf(d->keys_dir, sizeof d->keys_dir, "%s.keys", data_dir);
    snprintf(d->server_key, sizeof d->server_key, "%s/jifend.pub", data_dir);
    unlink(d->log_path);
    if (enrol_test_keys(d, data_dir) != 0)
        return -1;
    const char *fixed[] = {"--data", data_dir, "--listen", "tcp://127.0.0.1:*",
                           NULL};
    pid_t pid = spawn_jifend(d, fixed, extra_args, false);
    if (pid < 0)
        return -1;
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
    /* The local operator (no key): the ledger checks no role, and the
     * author is whoever the test says, so rules about authors can be
     * tested (the recorder of an award may not approve it). */
    ledger_caller who = {.role = JIFEN_ROLE_NONE};
    snprintf(who.author, sizeof who.author, "%s", author);
    return testutil_write_as(led, now_ms, &who, request_id, cmd, out);
}

int testutil_apply(ledger *led, int64_t now_ms, const ledger_caller *who,
                   const jifen_request *req, jifen_reply *reply)
{
    uint8_t digest[JIFEN_HASH_LEN];
    memset(reply, 0, sizeof *reply);
    hash_request_digest(req, digest);
    if (ledger_write_begin(led) != LEDGER_OK)
        return -1;
    if (ledger_apply(led, req, digest, who, now_ms, reply) != LEDGER_OK) {
        ledger_write_abort(led);
        return -1;
    }
    if (ledger_write_commit(led) != LEDGER_OK) {
        codec_reply_clear(reply);
        return -1;
    }
    return 0;
}

int testutil_write_as(ledger *led, int64_t now_ms, const ledger_caller *who,
                      const char *request_id, const jifen_command *cmd,
                      jifen_result *out)
{
    jifen_command one = *cmd;
    jifen_request req = {.n_commands = 1, .commands = &one};
    snprintf(req.request_id, sizeof req.request_id, "%s", request_id);
    jifen_reply reply;
    memset(out, 0, sizeof *out);
    if (testutil_apply(led, now_ms, who, &req, &reply) != 0)
        return -1;
    if (reply.n_results != 1) {
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
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20,
                         .rules = b->rules};
    if (ledger_open(&b->led, b->dir, &b->pol, &lo, err, sizeof err) !=
        LEDGER_OK) {
        fprintf(stderr, "ledger_open: %s\n", err);
        return -1;
    }
    if (ledger_use_rules(b->led, b->rules, err, sizeof err) != 0) {
        fprintf(stderr, "ledger_use_rules: %s\n", err);
        return -1;
    }
    return 0;
}

int testutil_rules(const char *const *texts, size_t n, ruleset **out,
                   policy *first)
{
    char err[256];
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        policy p;
        int rc = policy_parse(&p, texts[i], strlen(texts[i]), "test.conf",
                              err, sizeof err);
        if (rc == 0 && i == 0) {
            *first = p;
            rc = ruleset_from_policy(out, &p, err, sizeof err);
        } else if (rc == 0) {
            rc = ruleset_add(*out, &p, "test.conf", err, sizeof err);
        }
        if (rc != 0) {
            fprintf(stderr, "%s\n", err);
            ruleset_destroy(out);
            return -1;
        }
    }
    return 0;
}

int testutil_book_open(testutil_book *b, const char *const *texts, size_t n)
{
    memset(b, 0, sizeof *b);
    if (hash_init() != 0 || testutil_rules(texts, n, &b->rules, &b->pol) != 0)
        return -1;
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

/* --- a replica of a book ---------------------------------------------------
 */

/* Entries after to's head, through upto (0: all), `batch` of them per
 * write transaction. */
static int replicate(ledger *from, ledger *to, uint64_t upto, size_t batch)
{
    char err[256] = "";
    storage_txn txn;
    uint64_t seq;
    uint8_t head[JIFEN_HASH_LEN];
    ledger_head(to, &seq, head);
    if (storage_txn_begin(ledger_storage(from), &txn, false) != STORAGE_OK)
        return -1;
    int rc = 0;
    bool more = true;
    for (seq++; rc == 0 && more && (upto == 0 || seq <= upto);) {
        if (ledger_write_begin(to) != LEDGER_OK) {
            rc = -1;
            break;
        }
        for (size_t n = 0; rc == 0 && n < batch && (upto == 0 || seq <= upto);
             n++, seq++) {
            uint8_t key[8];
            storage_val v;
            storage_be64_put(key, seq);
            if (storage_get(&txn, TABLE_JOURNAL, key, sizeof key, &v) !=
                STORAGE_OK) {
                more = false;
                break;
            }
            if (ledger_replicate(to, v.data, v.len, err, sizeof err) !=
                LEDGER_OK) {
                fprintf(stderr, "replicating entry %" PRIu64 ": %s\n", seq,
                        err);
                rc = -1;
            }
        }
        if (rc != 0)
            ledger_write_abort(to);
        else if (ledger_write_commit(to) != LEDGER_OK)
            rc = -1;
    }
    storage_txn_abort(&txn);
    return rc;
}

int testutil_replicate(ledger *from, ledger *to, uint64_t upto)
{
    return replicate(from, to, upto, 1);
}

int testutil_replicate_feed(ledger *from, ledger *to, size_t batch)
{
    return replicate(from, to, 0, batch ? batch : 1);
}

/* The policy's derived state: what the rules keep in the meta table. */
static bool is_policy_state(const storage_val *k)
{
    static const char *const prefixes[] = {"notice/", "notice-open/", "count/",
                                           "expiry-lot/", "sanction/"};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t n = strlen(prefixes[i]);
        if (k->len >= n && memcmp(k->data, prefixes[i], n) == 0)
            return true;
    }
    return false;
}

/* The next row at or after the cursor's that `keep` wants (all of them
 * when it is NULL); false at the end. */
static bool next_row(storage_cursor *c, storage_error *e, storage_val *k,
                     storage_val *v, bool (*keep)(const storage_val *k))
{
    while (*e == STORAGE_OK && keep && !keep(k))
        *e = storage_cursor_next(c, k, v);
    return *e == STORAGE_OK;
}

static bool same_val(const storage_val *a, const storage_val *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* Row by row, the rows `keep` wants of one table of two ledgers; 0 when
 * equal. */
static int compare_rows(ledger *a, ledger *b, storage_table table,
                        bool (*keep)(const storage_val *k), const char *what)
{
    storage_txn ta, tb;
    storage_cursor *ca = NULL, *cb = NULL;
    storage_val ka, va, kb, vb;
    if (storage_txn_begin(ledger_storage(a), &ta, false) != STORAGE_OK)
        return -1;
    if (storage_txn_begin(ledger_storage(b), &tb, false) != STORAGE_OK) {
        storage_txn_abort(&ta);
        return -1;
    }
    storage_error ea = storage_cursor_open(&ta, table, &ca);
    storage_error eb = storage_cursor_open(&tb, table, &cb);
    if (ea == STORAGE_OK)
        ea = storage_cursor_first(ca, &ka, &va);
    if (eb == STORAGE_OK)
        eb = storage_cursor_first(cb, &kb, &vb);
    int rc = 0, rows = 0;
    for (;; rows++) {
        bool more_a = next_row(ca, &ea, &ka, &va, keep);
        bool more_b = next_row(cb, &eb, &kb, &vb, keep);
        if (!more_a && !more_b)
            break;
        if (more_a != more_b || !same_val(&ka, &kb) || !same_val(&va, &vb)) {
            fprintf(stderr, "%s differs at row %d%s\n", what, rows,
                    more_a != more_b ? " (one of them ends there)" : "");
            rc = -1;
            break;
        }
        ea = storage_cursor_next(ca, &ka, &va);
        eb = storage_cursor_next(cb, &kb, &vb);
    }
    if ((ea != STORAGE_OK && ea != STORAGE_NOT_FOUND) ||
        (eb != STORAGE_OK && eb != STORAGE_NOT_FOUND))
        rc = -1;
    storage_cursor_close(&ca);
    storage_cursor_close(&cb);
    storage_txn_abort(&ta);
    storage_txn_abort(&tb);
    return rc;
}

int testutil_book_equivalence(testutil_book *b)
{
    static const storage_table derived[] = {
        TABLE_BALANCES, TABLE_HOUSEHOLDS, TABLE_REVERSALS, TABLE_KEYS,
        TABLE_META,     TABLE_MERKLE,     TABLE_JOURNAL,
    };
    static const char *const names[] = {"balances", "households",
                                        "reversals", "keys", "meta",
                                        "merkle", "journal"};
    char err[640];
    char *dir = testutil_tmpdir(), *dest = testutil_tmpdir();
    ledger *rep = NULL;
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20};
    int rc = -1;
    if (dir && dest &&
        ledger_open(&rep, dir, &b->pol, &lo, err, sizeof err) == LEDGER_OK &&
        ledger_use_rules(rep, b->rules, err, sizeof err) == 0) {
        rc = testutil_replicate(b->led, rep, 0);
        for (size_t i = 0; rc == 0 && i < sizeof derived / sizeof *derived;
             i++)
            rc = compare_rows(b->led, rep, derived[i], NULL, names[i]);
    }
    ledger_close(&rep);
    if (rc == 0) {
        rebuild_options ro = {.pol = &b->pol, .rules = b->rules,
                              .compare = true};
        rebuild_report report;
        ledger_close(&b->led);
        rc = rebuild_ledger(b->dir, dest, &ro, &report, err, sizeof err);
        if (rc != 0)
            fprintf(stderr, "rebuild: %s\n", err);
        else if (!report.same) {
            fprintf(stderr, "rebuild differs: %s\n", report.difference);
            rc = -1;
        }
        if (book_open_ledger(b) != 0)
            rc = -1;
    }
    testutil_rmtree(&dir);
    testutil_rmtree(&dest);
    return rc;
}

int testutil_book_replica_check(testutil_book *b)
{
    char err[256];
    char *dir = testutil_tmpdir();
    ledger *rep = NULL;
    ledger_options lo = {.map_size = 1 << 20, .map_max = 256 << 20};
    if (!dir)
        return -1;
    int rc = -1;
    if (ledger_open(&rep, dir, &b->pol, &lo, err, sizeof err) == LEDGER_OK) {
        rc = ledger_use_rules(rep, b->rules, err, sizeof err) == 0
                 ? testutil_replicate(b->led, rep, 0)
                 : -1;
        if (rc == 0)
            rc = compare_rows(b->led, rep, TABLE_META, is_policy_state,
                              "policy state");
        /* The Merkle tree, record by record: the replica's is built by
         * the same call from the same bytes. */
        if (rc == 0)
            rc = compare_rows(b->led, rep, TABLE_MERKLE, NULL, "Merkle tree");
    } else {
        fprintf(stderr, "ledger_open: %s\n", err);
    }
    ledger_close(&rep);
    testutil_rmtree(&dir);
    return rc;
}
