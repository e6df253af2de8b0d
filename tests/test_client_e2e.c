/*
 * test_client_e2e - the client library (client/jifen.h) against a real
 * jifend on a loopback port: single commands, batches where every command
 * gets its own result, query batches, a mixed batch refused by the daemon,
 * idempotent retries, the Lazy Pirate resend while the daemon is stopped
 * (applied exactly once), and "unreachable" when nothing listens.
 *
 * Every client speaks CURVE with a key enrolled for its role (testutil);
 * each call goes out with the key of the role its commands need. The
 * journal starts with the four enrolments, so entry numbers count from
 * f->base.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "codec.h"
#include "jifen.h"
#include "keyfile.h"
#include "policy.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

typedef struct {
    char *dir;
    testutil_daemon d;
    jifen_client *client;     /* the committee's */
    jifen_client *clients[4]; /* by testutil_roles: committee terminal auditor admin */
    uint64_t base;            /* journal entries before the test (enrolments) */
    policy pol; /* the daemon runs the embedded default: the same text */
} fixture;

enum { COMMITTEE, TERMINAL, AUDITOR, ADMIN };

/* A library client on the daemon that authenticates as `role`'s key. */
static jifen_client *client_as(const testutil_daemon *d, int role)
{
    char key[600], err[256];
    jifen_client *c = jifen_client_new(d->endpoint);
    assert_non_null(c);
    testutil_key_path(d, testutil_roles[role], key, sizeof key);
    if (jifen_client_set_curve(c, key, d->server_key, err, sizeof err) != 0)
        fail_msg("curve keys: %s", err);
    return c;
}

/* The role whose key may send commands of this kind. */
static int role_for(jifen_command_kind kind)
{
    switch (kind) {
    case JIFEN_CMD_HOUSEHOLD_ADD:
    case JIFEN_CMD_AWARD:
    case JIFEN_CMD_DEDUCT:
        return COMMITTEE;
    case JIFEN_CMD_BILL:
    case JIFEN_CMD_PAY:
    case JIFEN_CMD_REDEEM:
        return TERMINAL;
    default:
        return AUDITOR;
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[256];
    assert_non_null(f);
    assert_int_equal(policy_load_default(&f->pol, err, sizeof err), 0);
    f->dir = testutil_tmpdir();
    assert_non_null(f->dir);
    if (testutil_daemon_start(&f->d, f->dir, NULL) != 0)
        fail_msg("jifend did not start; see %s", f->d.log_path);
    for (int r = 0; r < 4; r++) {
        f->clients[r] = client_as(&f->d, r);
        jifen_client_set_timeout(f->clients[r], 5000, 2);
    }
    f->client = f->clients[COMMITTEE];
    f->base = 3; /* one enrolment per role but the admin, the service's */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int r = 0; r < 4; r++)
        jifen_client_destroy(&f->clients[r]);
    f->client = NULL;
    if (f->d.pid > 0) {
        kill(f->d.pid, SIGCONT); /* in case a test left it stopped */
        int status = testutil_daemon_stop(&f->d, SIGTERM);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail_msg("jifend did not stop cleanly on SIGTERM (status %d)",
                     status);
    }
    if (getenv("KEEP_LOG") == NULL) unlink(f->d.log_path);
    char *keys = strdup(f->d.keys_dir); /* rmtree frees the path */
    testutil_rmtree(&keys);
    testutil_rmtree(&f->dir);
    free(f);
    return 0;
}

/* --- commands --------------------------------------------------------------
 */

static jifen_command household_add(const char *h)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_HOUSEHOLD_ADD;
    snprintf(c.household, sizeof c.household, "%s", h);
    return c;
}

static jifen_command award(const char *h, const char *code, uint32_t hours)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_AWARD;
    snprintf(c.household, sizeof c.household, "%s", h);
    snprintf(c.code, sizeof c.code, "%s", code);
    c.hours = hours;
    return c;
}

static jifen_command bill(const char *h, uint64_t fen)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_BILL;
    snprintf(c.household, sizeof c.household, "%s", h);
    snprintf(c.period, sizeof c.period, "%s", "2026-01");
    c.amount = fen;
    return c;
}

static jifen_command redeem(const char *h, uint64_t points)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_REDEEM;
    snprintf(c.household, sizeof c.household, "%s", h);
    c.amount = points;
    return c;
}

static jifen_command query(jifen_command_kind kind, const char *h)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (h)
        snprintf(c.household, sizeof c.household, "%s", h);
    return c;
}

static jifen_request request(const char *id, jifen_command *cmds, size_t n)
{
    jifen_request r;
    memset(&r, 0, sizeof r);
    snprintf(r.request_id, sizeof r.request_id, "%s", id);
    r.commands = cmds;
    r.n_commands = n;
    return r;
}

/* Sends and expects a reply that took the request apart (status OK). */
static void call_ok(fixture *f, const char *id, jifen_command *cmds, size_t n,
                    jifen_reply *reply)
{
    char err[256];
    jifen_request req = request(id, cmds, n);
    jifen_call_status st = jifen_client_call(
        f->clients[role_for(cmds[0].kind)], &req, reply, err, sizeof err);
    if (st != JIFEN_CALL_OK)
        fail_msg("call %s: status %d (%s)", id, (int)st, err);
    if (reply->status != JIFEN_STATUS_OK)
        fail_msg("call %s: reply %s: %s", id, jifen_status_name(reply->status),
                 reply->error);
    assert_int_equal(reply->n_results, n);
}

static void expect_result(const jifen_reply *reply, size_t i, jifen_status want)
{
    const jifen_result *r = &reply->results[i];
    if (r->status != want)
        fail_msg("result %zu: %s (%s), expected %s", i,
                 jifen_status_name(r->status), r->error,
                 jifen_status_name(want));
}

/* One write command on its own; returns its entry. */
static uint64_t write1(fixture *f, const char *id, jifen_command cmd)
{
    jifen_reply reply;
    call_ok(f, id, &cmd, 1, &reply);
    expect_result(&reply, 0, JIFEN_STATUS_OK);
    uint64_t entry = reply.results[0].entry;
    assert_true(entry > 0);
    jifen_reply_clear(&reply);
    return entry;
}

static jifen_balance balance(fixture *f, const char *h)
{
    jifen_command cmd = query(JIFEN_CMD_BALANCE, h);
    jifen_reply reply;
    call_ok(f, "", &cmd, 1, &reply);
    expect_result(&reply, 0, JIFEN_STATUS_OK);
    assert_true(reply.results[0].has_balance);
    jifen_balance b = reply.results[0].balance;
    jifen_reply_clear(&reply);
    return b;
}

static jifen_verify_report verify(fixture *f)
{
    jifen_command cmd = query(JIFEN_CMD_VERIFY, NULL);
    jifen_reply reply;
    call_ok(f, "", &cmd, 1, &reply);
    expect_result(&reply, 0, JIFEN_STATUS_OK);
    assert_true(reply.results[0].has_verify);
    jifen_verify_report v = reply.results[0].verify;
    jifen_reply_clear(&reply);
    if (!v.ok)
        fail_msg("verify: %s (entry %llu)", v.problem,
                 (unsigned long long)v.bad_entry);
    return v;
}

static uint32_t activity_points(const fixture *f, const char *code)
{
    const policy_activity *a = policy_find_activity(&f->pol, code);
    assert_non_null(a);
    return a->points;
}

/* --- tests ------------------------------------------------------------------
 */

static void test_register_award_redeem(void **state)
{
    fixture *f = *state;
    const uint32_t meeting = activity_points(f, "meeting");
    const uint64_t due = 10000;

    assert_int_equal(write1(f, "add-1", household_add("e2e-1")), f->base + 1);
    assert_int_equal(write1(f, "award-1", award("e2e-1", "meeting", 0)),
                     f->base + 2);
    assert_int_equal(write1(f, "bill-1", bill("e2e-1", due)), f->base + 3);

    uint64_t most =
        (due * f->pol.max_offset_percent / 100) / f->pol.fen_per_point;
    uint64_t n = meeting < most ? meeting : most;
    assert_true(n >= 1);
    jifen_command cmd = redeem("e2e-1", n);
    jifen_reply reply;
    call_ok(f, "redeem-1", &cmd, 1, &reply);
    expect_result(&reply, 0, JIFEN_STATUS_OK);
    assert_int_equal(reply.results[0].points, n);
    assert_int_equal(reply.results[0].offset_fen, n * f->pol.fen_per_point);
    assert_int_equal(reply.results[0].n_postings, 2);
    jifen_reply_clear(&reply);

    jifen_balance b = balance(f, "e2e-1");
    assert_int_equal(b.points, (int64_t)(meeting - n));
    assert_int_equal(b.fee_due_fen, (int64_t)(due - n * f->pol.fen_per_point));
    assert_int_equal(verify(f).entries, f->base + 4);
}

static void test_batch_each_its_own_result(void **state)
{
    fixture *f = *state;
    const uint32_t meeting = activity_points(f, "meeting");
    const policy_activity *vol = policy_find_activity(&f->pol, "volunteer");
    assert_non_null(vol);

    jifen_command cmds[] = {
        household_add("b-1"),
        household_add("b-2"),
        award("b-1", "meeting", 0),
        award("nobody", "meeting", 0), /* refused on its own */
        award("b-2", "volunteer", 1),
    };
    const size_t n = sizeof cmds / sizeof cmds[0];
    const jifen_status want[] = {
        JIFEN_STATUS_OK, JIFEN_STATUS_OK,
        JIFEN_STATUS_OK, JIFEN_STATUS_UNKNOWN_HOUSEHOLD,
        JIFEN_STATUS_OK};
    uint64_t entries[5];
    jifen_reply reply;

    call_ok(f, "batch-1", cmds, n, &reply);
    uint64_t last = 0;
    for (size_t i = 0; i < n; i++) {
        expect_result(&reply, i, want[i]);
        entries[i] = reply.results[i].entry;
        if (want[i] == JIFEN_STATUS_OK) {
            /* Each command its own entry, in the order of the batch. */
            assert_true(entries[i] > last);
            last = entries[i];
        } else {
            assert_int_equal(entries[i], 0);
            assert_true(reply.results[i].error[0] != '\0');
        }
    }
    assert_int_equal(reply.results[2].points, meeting);
    assert_int_equal(reply.results[4].points, vol->points);
    jifen_reply_clear(&reply);
    /* A batch holds one key's commands: the bill is the terminal's. */
    write1(f, "batch-bill", bill("b-1", 5000));
    assert_int_equal(verify(f).entries, f->base + 5);

    /* The whole batch again under its id: the same results, nothing new. */
    call_ok(f, "batch-1", cmds, n, &reply);
    for (size_t i = 0; i < n; i++) {
        expect_result(&reply, i,
                      want[i] == JIFEN_STATUS_OK ? JIFEN_STATUS_EXISTS
                                                 : want[i]);
        assert_int_equal(reply.results[i].entry, entries[i]);
    }
    jifen_reply_clear(&reply);
    assert_int_equal(verify(f).entries, f->base + 5);
    assert_int_equal(balance(f, "b-1").points, meeting);
    assert_int_equal(balance(f, "b-1").fee_due_fen, 5000);
    assert_int_equal(balance(f, "b-2").points, vol->points);
}

static void test_query_batch(void **state)
{
    fixture *f = *state;
    const uint32_t meeting = activity_points(f, "meeting");

    write1(f, "q-add-1", household_add("q-1"));
    write1(f, "q-add-2", household_add("q-2"));
    write1(f, "q-award-1", award("q-1", "meeting", 0));
    write1(f, "q-award-2", award("q-1", "meeting", 0));

    jifen_command cmds[] = {
        query(JIFEN_CMD_BALANCE, "q-1"),    query(JIFEN_CMD_BALANCE, "q-2"),
        query(JIFEN_CMD_HISTORY, "q-1"),    query(JIFEN_CMD_VERIFY, NULL),
        query(JIFEN_CMD_BALANCE, "nobody"),
    };
    jifen_reply reply;
    call_ok(f, "", cmds, 5, &reply);
    expect_result(&reply, 0, JIFEN_STATUS_OK);
    expect_result(&reply, 1, JIFEN_STATUS_OK);
    expect_result(&reply, 2, JIFEN_STATUS_OK);
    expect_result(&reply, 3, JIFEN_STATUS_OK);
    expect_result(&reply, 4, JIFEN_STATUS_UNKNOWN_HOUSEHOLD);
    assert_int_equal(reply.results[0].balance.points, 2 * meeting);
    assert_int_equal(reply.results[1].balance.points, 0);
    /* q-1's history, newest first: award 4, award 3, registration 1. */
    assert_int_equal(reply.results[2].n_history, 3);
    assert_int_equal(reply.results[2].history[0].seq, f->base + 4);
    assert_int_equal(reply.results[2].history[1].seq, f->base + 3);
    assert_int_equal(reply.results[2].history[2].seq, f->base + 1);
    /* Every entry names the key that wrote it. */
    assert_string_equal(reply.results[2].history[0].author, "test-committee");
    assert_true(reply.results[3].has_verify);
    assert_true(reply.results[3].verify.ok);
    assert_int_equal(reply.results[3].verify.entries, f->base + 4);
    jifen_reply_clear(&reply);
}

/* Sends a frame on a raw REQ socket and decodes the reply. */
/* The committee's key on a raw socket. */
static void raw_curve(void *sock, const testutil_daemon *d)
{
    char path[600], err[256];
    uint8_t sec[KEYFILE_KEY_LEN], pub[KEYFILE_KEY_LEN], srv[KEYFILE_KEY_LEN];
    testutil_key_path(d, "committee", path, sizeof path);
    assert_int_equal(keyfile_read_secret(path, sec, err, sizeof err), 0);
    assert_int_equal(keyfile_public_of(sec, pub), 0);
    assert_int_equal(keyfile_read_public(d->server_key, srv, err, sizeof err),
                     0);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, srv, 32), 0);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 32), 0);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, 32), 0);
}

static void raw_call(const testutil_daemon *d, const uint8_t *frame,
                     size_t len, jifen_reply *reply)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0;
    char err[256];
    assert_non_null(sock);
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    raw_curve(sock, d);
    assert_int_equal(zmq_connect(sock, d->endpoint), 0);
    assert_int_equal(zmq_send(sock, frame, len, 0), (int)len);
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&item, 1, 5000), 1);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    assert_true(zmq_msg_recv(&msg, sock, 0) >= 0);
    if (codec_reply_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), reply, err,
                           sizeof err) != JIFEN_STATUS_OK)
        fail_msg("reply does not decode: %s", err);
    zmq_msg_close(&msg);
    zmq_close(sock);
    zmq_ctx_term(ctx);
}

static void test_mixed_batch_refused(void **state)
{
    fixture *f = *state;
    char err[256];

    write1(f, "m-add", household_add("m-1"));
    jifen_command cmds[] = {award("m-1", "meeting", 0),
                            query(JIFEN_CMD_BALANCE, "m-1")};
    jifen_request req = request("mixed-1", cmds, 2);
    jifen_reply reply;

    /* The library will not send it... */
    assert_int_equal(
        jifen_client_call(f->client, &req, &reply, err, sizeof err),
        JIFEN_CALL_INVALID);
    assert_non_null(strstr(err, "mix"));

    /* ...and the daemon refuses it as a whole when it comes anyway. */
    uint8_t *frame = NULL;
    size_t len = 0;
    assert_int_equal(codec_request_encode(&req, &frame, &len), 0);
    raw_call(&f->d, frame, len, &reply);
    free(frame);
    if (reply.status != JIFEN_STATUS_BAD_REQUEST)
        fail_msg("mixed batch: %s, expected bad_request",
                 jifen_status_name(reply.status));
    assert_int_equal(reply.n_results, 0);
    assert_true(reply.error[0] != '\0');
    codec_reply_clear(&reply);

    assert_int_equal(balance(f, "m-1").points, 0);
    assert_int_equal(verify(f).entries, f->base + 1);
}

static void test_retry_and_conflict(void **state)
{
    fixture *f = *state;
    const uint32_t meeting = activity_points(f, "meeting");
    char err[256];

    write1(f, "r-add", household_add("r-1"));
    uint64_t entry = write1(f, "r-award", award("r-1", "meeting", 0));

    jifen_command cmd = award("r-1", "meeting", 0);
    jifen_reply reply;
    call_ok(f, "r-award", &cmd, 1, &reply);
    expect_result(&reply, 0, JIFEN_STATUS_EXISTS);
    assert_int_equal(reply.results[0].entry, entry);
    assert_int_equal(reply.results[0].points, meeting);
    jifen_reply_clear(&reply);

    cmd = award("r-1", "volunteer", 1);
    jifen_request req = request("r-award", &cmd, 1);
    assert_int_equal(
        jifen_client_call(f->client, &req, &reply, err, sizeof err),
        JIFEN_CALL_OK);
    if (reply.status != JIFEN_STATUS_ID_CONFLICT)
        fail_msg("reused id, other content: %s, expected id_conflict",
                 jifen_status_name(reply.status));
    jifen_reply_clear(&reply);

    assert_int_equal(balance(f, "r-1").points, meeting);
    assert_int_equal(verify(f).entries, f->base + 2);
}

/* Lazy Pirate: the daemon is stopped (SIGSTOP) when the write goes out; a
 * child process resumes it 500 ms later. The client times out (300 ms),
 * resends the same id, and gets its answer; the award is applied once. */
static void test_lazy_pirate_while_stopped(void **state)
{
    fixture *f = *state;
    const uint32_t meeting = activity_points(f, "meeting");
    char err[256];

    write1(f, "lp-add", household_add("lp-1"));
    int64_t before = balance(f, "lp-1").points;

    jifen_client *c = client_as(&f->d, COMMITTEE);
    jifen_client_set_timeout(c, 300, 5);

    assert_int_equal(kill(f->d.pid, SIGSTOP), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct timespec ts = {0, 500 * 1000000L};
        nanosleep(&ts, NULL);
        kill(f->d.pid, SIGCONT);
        _exit(0);
    }
    jifen_command cmd = award("lp-1", "meeting", 0);
    jifen_request req = request("lazy-1", &cmd, 1);
    jifen_reply reply;
    int64_t t0 = now_ms();
    jifen_call_status st = jifen_client_call(c, &req, &reply, err, sizeof err);
    int64_t took = now_ms() - t0;
    int status = 0;
    waitpid(child, &status, 0);
    kill(f->d.pid, SIGCONT);

    if (st != JIFEN_CALL_OK)
        fail_msg("the call did not survive the stopped daemon: %d (%s)",
                 (int)st, err);
    assert_int_equal(reply.status, JIFEN_STATUS_OK);
    /* The first try cannot have been answered by a stopped daemon. */
    if (took < 400)
        fail_msg("answered after %lld ms: the daemon was not stopped?",
                 (long long)took);
    /* OK when a resend was applied first, EXISTS when the first copy (read
     * from the dead connection after SIGCONT) was: either way, once. */
    const jifen_status s = reply.results[0].status;
    if (s != JIFEN_STATUS_OK && s != JIFEN_STATUS_EXISTS)
        fail_msg("lazy pirate write: %s", jifen_status_name(s));
    uint64_t entry = reply.results[0].entry;
    jifen_reply_clear(&reply);
    jifen_client_destroy(&c);

    assert_int_equal(balance(f, "lp-1").points, before + meeting);
    /* The ledger holds it once; a further retry finds it. */
    call_ok(f, "lazy-1", &cmd, 1, &reply);
    expect_result(&reply, 0, JIFEN_STATUS_EXISTS);
    assert_int_equal(reply.results[0].entry, entry);
    jifen_reply_clear(&reply);
    assert_int_equal(balance(f, "lp-1").points, before + meeting);
    assert_int_equal(verify(f).entries, f->base + 2);
}

/* One write or query that must come back refused as a whole. */
static void expect_forbidden(jifen_client *c, jifen_command cmd)
{
    char err[256];
    jifen_reply reply;
    jifen_request req = request(jifen_command_is_write(cmd.kind) ? "forbid-1"
                                                                 : "",
                                &cmd, 1);
    jifen_call_status st = jifen_client_call(c, &req, &reply, err, sizeof err);
    if (st != JIFEN_CALL_OK)
        fail_msg("expected a forbidden reply, got call status %d (%s)",
                 (int)st, err);
    if (reply.status != JIFEN_STATUS_FORBIDDEN)
        fail_msg("expected forbidden, got %s",
                 jifen_status_name(reply.status));
    assert_int_equal(reply.n_results, 0);
    jifen_reply_clear(&reply);
}

/* Revocation acts on the next request of a connection that is already
 * open (ZAP only runs at the handshake), and new connections of the
 * revoked key never complete. */
static void test_revoked_key_open_session(void **state)
{
    fixture *f = *state;
    char pub[600], err[256];

    write1(f, "rv-add", household_add("rv-1")); /* the session is open */
    jifen_command revoke = query(JIFEN_CMD_KEY_REVOKE, NULL);
    snprintf(pub, sizeof pub, "%s/committee.pub", f->d.keys_dir);
    assert_int_equal(jifen_key_z85_read(pub, revoke.key, err, sizeof err), 0);
    jifen_reply reply;
    jifen_request req = request("rv-revoke", &revoke, 1);
    assert_int_equal(jifen_client_call(f->clients[ADMIN], &req, &reply, err,
                                       sizeof err),
                     JIFEN_CALL_OK);
    expect_result(&reply, 0, JIFEN_STATUS_OK);
    jifen_reply_clear(&reply);
    jifen_verify_report before = verify(f);

    /* The same client object, the same open connection: refused. */
    expect_forbidden(f->clients[COMMITTEE], award("rv-1", "meeting", 0));
    expect_forbidden(f->clients[COMMITTEE], query(JIFEN_CMD_BALANCE, "rv-1"));
    jifen_verify_report after = verify(f);
    assert_int_equal(after.entries, before.entries);
    assert_memory_equal(after.head, before.head, JIFEN_HASH_LEN);
    assert_int_equal(balance(f, "rv-1").points, 0);

    /* A new connection with the revoked key: no handshake, no reply. */
    jifen_client *c = client_as(&f->d, COMMITTEE);
    jifen_client_set_timeout(c, 300, 0);
    jifen_command cmd = query(JIFEN_CMD_BALANCE, "rv-1");
    req = request("", &cmd, 1);
    assert_int_equal(jifen_client_call(c, &req, &reply, err, sizeof err),
                     JIFEN_CALL_UNREACHABLE);
    jifen_client_destroy(&c);
}

/* A key for nobody: a fresh pair in the keys directory. */
static void fresh_key(const fixture *f, const char *name, char *path,
                      size_t len)
{
    char prefix[560], pub[JIFEN_KEY_Z85_LEN + 1], err[256];
    snprintf(prefix, sizeof prefix, "%s/%s", f->d.keys_dir, name);
    assert_int_equal(jifen_keygen(prefix, pub, err, sizeof err), 0);
    snprintf(path, len, "%s.key", prefix);
}

/* Sends a write that would be allowed for the committee and expects no
 * reply at all: the handshake never completes. */
static void expect_no_way_in(jifen_client *c)
{
    char err[256];
    jifen_reply reply;
    jifen_command cmd = household_add("intruder");
    jifen_request req = request("intrude-1", &cmd, 1);
    jifen_client_set_timeout(c, 300, 1);
    assert_int_equal(jifen_client_call(c, &req, &reply, err, sizeof err),
                     JIFEN_CALL_UNREACHABLE);
}

/* Plain ZeroMQ, the wrong server key, an unknown client key: nothing gets
 * through, and the ledger does not change. */
static void test_unauthenticated_get_nothing(void **state)
{
    fixture *f = *state;
    char key[600], other[600], err[256];
    jifen_verify_report before = verify(f);

    jifen_client *plain = jifen_client_new(f->d.endpoint);
    assert_non_null(plain);
    expect_no_way_in(plain);
    jifen_client_destroy(&plain);

    /* The committee's own key, but another server's public key. */
    fresh_key(f, "not-the-server", other, sizeof other);
    snprintf(other + strlen(other) - 4, 5, ".pub");
    testutil_key_path(&f->d, "committee", key, sizeof key);
    jifen_client *wrong = jifen_client_new(f->d.endpoint);
    assert_int_equal(
        jifen_client_set_curve(wrong, key, other, err, sizeof err), 0);
    expect_no_way_in(wrong);
    jifen_client_destroy(&wrong);

    fresh_key(f, "stranger", key, sizeof key);
    jifen_client *stranger = jifen_client_new(f->d.endpoint);
    assert_int_equal(jifen_client_set_curve(stranger, key, f->d.server_key,
                                            err, sizeof err),
                     0);
    expect_no_way_in(stranger);
    jifen_client_destroy(&stranger);

    jifen_verify_report after = verify(f);
    assert_int_equal(after.entries, before.entries);
    assert_memory_equal(after.head, before.head, JIFEN_HASH_LEN);
}

/* A secret key that others may read is refused before anything is sent. */
static void test_readable_secret_key_refused(void **state)
{
    fixture *f = *state;
    char key[600], err[256];
    testutil_key_path(&f->d, "auditor", key, sizeof key);
    assert_int_equal(chmod(key, 0644), 0);
    jifen_client *c = jifen_client_new(f->d.endpoint);
    assert_int_equal(
        jifen_client_set_curve(c, key, f->d.server_key, err, sizeof err), -1);
    assert_non_null(strstr(err, "group or others"));
    jifen_client_destroy(&c);
    assert_int_equal(chmod(key, 0600), 0);
}

static void test_unreachable(void **state)
{
    (void)state;
    char err[256];
    /* Port 1 on loopback: nothing listens there without root. */
    jifen_client *c = jifen_client_new("tcp://127.0.0.1:1");
    assert_non_null(c);
    jifen_client_set_timeout(c, 100, 2);
    jifen_command cmd = query(JIFEN_CMD_VERIFY, NULL);
    jifen_request req = request("", &cmd, 1);
    jifen_reply reply;
    int64_t t0 = now_ms();
    assert_int_equal(jifen_client_call(c, &req, &reply, err, sizeof err),
                     JIFEN_CALL_UNREACHABLE);
    int64_t took = now_ms() - t0;
    /* Three tries of 100 ms: neither at once nor much later. */
    if (took < 250 || took > 3000)
        fail_msg("unreachable after %lld ms, expected about 300",
                 (long long)took);
    jifen_client_destroy(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_award_redeem, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_batch_each_its_own_result, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_query_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mixed_batch_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_and_conflict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lazy_pirate_while_stopped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_revoked_key_open_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unauthenticated_get_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_readable_secret_key_refused,
                                        setup, teardown),
        cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
