/*
 * bench_jifen - the scenarios against the real jifend: started from an
 * empty data directory on a loopback wildcard port, driven over ZeroMQ with
 * the project's own codec, one REQ socket per client thread (a shared
 * context, so 64 clients do not bring 64 I/O threads onto two cores).
 *
 * jifend answers only enrolled CURVE keys, each checked against its role:
 * before the daemon starts, the bench makes a key pair per role it needs
 * (committee: registration and awards; terminal: bills and redemptions;
 * auditor: verify) and enrols them offline (jifend --enrol), as an operator
 * would; every socket is a CURVE client with the role's key and the
 * daemon's public key (DATA/jifend.pub, made on its first start).
 */
#include "bench_jifen.h"

#include "codec.h"
#include "jifen.h"
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#define CALL_TIMEOUT_MS 30000

static const char *const key_roles[N_KEYS] = {"committee", "terminal",
                                              "auditor", "admin"};

/* --- the daemon ----------------------------------------------------------- */

/* "jifen", or "jifen-notree" for the run without the Merkle tree. */
static const char *run_system = "jifen";

static void exec_daemon(const bench_options *o, const bench_daemon *d,
                        const char *policy)
{
    char conf[600];
    snprintf(conf, sizeof conf, "%s.conf", d->dir);
    FILE *cf = fopen(conf, "w");
    if (cf) {
        fprintf(cf, "merkle_tree = %d\n", o->no_tree ? 0 : 1);
        if (o->committers)
            fprintf(cf, "committers = %u\n", o->committers);
        if (o->extra_conf)
            fputs(o->extra_conf, cf);
        fclose(cf);
    }
    int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    const char *argv[16];
    int n = 0;
    argv[n++] = "jifend";
    argv[n++] = "--config";
    argv[n++] = conf;
    argv[n++] = "--data";
    argv[n++] = d->dir;
    argv[n++] = "--listen";
    argv[n++] = "tcp://127.0.0.1:*";
    /* A map large enough for the whole run: growing it mid-scenario would
     * replay a group and show up as a latency spike that is not the steady
     * state. The file only takes what is written. A service of many
     * communities keeps the daemon's default (64 MiB each, grown when
     * full), as a deployment would: a thousand 4 GiB maps are 4 TiB of
     * address space for nothing. */
    if (!o->communities) {
        argv[n++] = "--map-size";
        argv[n++] = "4096";
    }
    if (policy) {
        argv[n++] = "--policy";
        argv[n++] = policy;
    }
    argv[n] = NULL;
    execv(o->jifend, (char *const *)argv);
    _exit(127);
}

/* Reads the endpoint from the "serving tcp://..." log line, reading only
 * what the log gained since the last look (a service of a thousand
 * communities logs a few thousand lines before it). From `offset`: the
 * log's size when this start began. */
static int wait_serving(bench_daemon *d, long offset)
{
    FILE *f = NULL;
    char line[1024];
    for (int i = 0; i < 600000; i++) { /* 10 minutes at most */
        if (!f && (f = fopen(d->log, "r")) != NULL)
            fseek(f, offset, SEEK_SET);
        while (f) {
            long at = ftell(f);
            if (!fgets(line, sizeof line, f))
                break;
            size_t len = strlen(line);
            if (len == 0 || line[len - 1] != '\n') {
                fseek(f, at, SEEK_SET); /* half a line: read it again */
                break;
            }
            const char *p = strstr(line, " serving tcp://");
            if (p && sscanf(p, " serving %127s", d->endpoint) == 1) {
                fclose(f);
                return 0;
            }
        }
        if (f)
            clearerr(f);
        if (waitpid(d->pid, NULL, WNOHANG) == d->pid)
            break;
        usleep(1000);
    }
    if (f)
        fclose(f);
    return -1;
}

/* `jifend --data DIR --enrol PUB --role ROLE --label L`, offline, before
 * the daemon runs (its output goes to the log); for the admin key of a
 * service (d->service), `--enrol-admin PUB --label L`: the service's key
 * for every community. 0 or -1. */
static int enrol_offline(const bench_options *o, const bench_daemon *d, int k)
{
    char label[32];
    snprintf(label, sizeof label, "bench %s", key_roles[k]);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        if (k == KEY_ADMIN)
            execl(o->jifend, "jifend", "--data", d->dir, "--enrol-admin",
                  d->pub[k], "--label", label, (char *)NULL);
        else
            execl(o->jifend, "jifend", "--data", d->dir, "--enrol",
                  d->pub[k], "--role", key_roles[k], "--label", label,
                  (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "jifen_bench: enrolling the %s key failed; log: %s\n",
                key_roles[k], d->log);
        return -1;
    }
    return 0;
}

/* The daemon's public key, as Z85 (jifend writes it on first start). */
static int read_server_key(bench_daemon *d)
{
    char path[600], err[256];
    uint8_t raw[KEYFILE_KEY_LEN];
    snprintf(path, sizeof path, "%s/jifend.pub", d->dir);
    if (keyfile_read_public(path, raw, err, sizeof err) != 0) {
        fprintf(stderr, "jifen_bench: %s\n", err);
        return -1;
    }
    keyfile_z85_encode(raw, d->server_key);
    return 0;
}

/* The daemon running now, for bench_interrupted. */
static volatile sig_atomic_t running_daemon;

/* Async-signal-safe: the daemon must not outlive an interrupted bench. */
static void bench_interrupted(int sig)
{
    if (running_daemon > 0)
        kill((pid_t)running_daemon, SIGKILL);
    _exit(128 + sig);
}

void bench_on_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bench_interrupted;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int bench_daemon_spawn(const bench_options *o, bench_daemon *d,
                       const char *policy)
{
    struct stat st;
    long offset = stat(d->log, &st) == 0 ? (long)st.st_size : 0;
    double t0 = bench_now();
    d->pid = fork();
    if (d->pid == 0)
        exec_daemon(o, d, policy);
    running_daemon = d->pid > 0 ? d->pid : 0;
    if (d->pid < 0 || wait_serving(d, offset) != 0 || read_server_key(d) != 0) {
        fprintf(stderr, "jifen_bench: jifend did not start (%s); log: %s\n",
                o->jifend, d->log);
        return -1;
    }
    d->start_s = bench_now() - t0;
    return 0;
}

int bench_daemon_start(const bench_options *o, bench_daemon *d, const char *dir,
                       const char *policy)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "%s/ledger", dir);
    snprintf(d->log, sizeof d->log, "%s/jifend.log", dir);
    d->service = o->communities > 0;
    for (int k = 0; k < N_KEYS; k++) {
        if (zmq_curve_keypair(d->pub[k], d->secret[k]) != 0)
            return -1;
        /* A service's keys but its first admin are enrolled over the
         * wire, by that admin (bench_communities.c). */
        if (d->service ? k == KEY_ADMIN : k != KEY_ADMIN)
            if (enrol_offline(o, d, k) != 0)
                return -1;
    }
    return bench_daemon_spawn(o, d, policy);
}

/* Stops the daemon as an operator would. Its exit status counts: under
 * AddressSanitizer a leak or an error makes it non-zero, and the smoke run
 * in ctest then fails. 0 or -1. */
int bench_daemon_stop(bench_daemon *d)
{
    if (d->pid <= 0)
        return 0;
    int status = 0;
    kill(d->pid, SIGTERM);
    waitpid(d->pid, &status, 0);
    d->pid = 0;
    running_daemon = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fprintf(stderr,
            "jifen_bench: jifend stopped badly (status 0x%x); log: %s\n",
            (unsigned)status, d->log);
    return -1;
}

/* --- one client connection ------------------------------------------------ */

/* A socket of `type` (REQ, DEALER) to the daemon, a CURVE client with the
 * key of role k. */
static void *open_sock(void *ctx, const bench_daemon *d, int k, int type)
{
    void *s = zmq_socket(ctx, type);
    int linger = 0;
    if (s) {
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
        if (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, d->server_key,
                           sizeof d->server_key) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, d->pub[k],
                           sizeof d->pub[k]) != 0 ||
            zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, d->secret[k],
                           sizeof d->secret[k]) != 0 ||
            zmq_connect(s, d->endpoint) != 0) {
            zmq_close(s);
            s = NULL;
        }
    }
    return s;
}

void *bench_open_req(void *ctx, const bench_daemon *d, int k)
{
    return open_sock(ctx, d, k, ZMQ_REQ);
}

/* Encodes and sends one request; a DEALER socket first sends the empty
 * delimiter frame a REQ socket adds by itself. 0 or -1. */
static int send_request(void *sock, bool dealer, const jifen_request *req)
{
    uint8_t *frame = NULL;
    size_t len = 0;
    if (codec_request_encode(req, &frame, &len) != 0)
        return -1;
    int rc = (!dealer || zmq_send(sock, "", 0, ZMQ_SNDMORE) == 0) &&
                     zmq_send(sock, frame, len, 0) == (int)len
                 ? 0
                 : -1;
    free(frame);
    return rc;
}

/* Waits for the next reply and decodes it (on a DEALER socket, after the
 * empty delimiter frame). 0 with *reply filled (codec_reply_clear), or -1. */
static int recv_reply(void *sock, bool dealer, jifen_reply *reply)
{
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, CALL_TIMEOUT_MS) != 1)
        return -1;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    int rc = 0;
    if (dealer && (zmq_msg_recv(&msg, sock, 0) != 0 || !zmq_msg_more(&msg)))
        rc = -1;
    if (rc == 0 && zmq_msg_recv(&msg, sock, 0) < 0)
        rc = -1;
    char err[256];
    if (rc == 0 &&
        codec_reply_decode(zmq_msg_data(&msg), zmq_msg_size(&msg), reply, err,
                           sizeof err) != JIFEN_STATUS_OK)
        rc = -1;
    zmq_msg_close(&msg);
    return rc;
}

/* One round trip, as a client does it: encode, send, wait, decode. 0 with
 * *reply filled (codec_reply_clear), or -1. */
int bench_call(void *sock, const jifen_request *req, jifen_reply *reply)
{
    if (send_request(sock, false, req) != 0)
        return -1;
    return recv_reply(sock, false, reply);
}

/* Commands of the reply that did not succeed (the whole request when the
 * call failed or the request was refused). */
static uint64_t count_errors(int rc, const jifen_request *req,
                             const jifen_reply *reply)
{
    if (rc != 0 || reply->status != JIFEN_STATUS_OK)
        return req->n_commands;
    /* A redeem from a household with no points left is the ledger doing
     * its job, not a failure of the run. */
    uint64_t bad = 0;
    for (size_t i = 0; i < reply->n_results; i++)
        bad += reply->results[i].status != JIFEN_STATUS_OK &&
               reply->results[i].status != JIFEN_STATUS_INSUFFICIENT_POINTS;
    return bad;
}

/* --- batched scenarios: registration, billing ------------------------------
 */

void bench_fill_register(jifen_command *cmd, unsigned household)
{
    cmd->kind = JIFEN_CMD_HOUSEHOLD_ADD;
    bench_household(household, cmd->household);
    cmd->area_centi_m2 = 8000 + household % 5000;
}

void bench_fill_bill(jifen_command *cmd, unsigned household)
{
    cmd->kind = JIFEN_CMD_BILL;
    bench_household(household, cmd->household);
    cmd->amount = 12000; /* 120 yuan */
    memcpy(cmd->period, "2026-11", 8);
}

typedef struct {
    double t0;
    unsigned n;
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
} in_flight;

/*
 * One client sends every household once, `batch` commands per request,
 * with up to o->window requests (--window) in flight on one DEALER socket: the
 * daemon decodes request k+1 while it commits request k, and the client
 * encodes the next while it waits, as a billing terminal that does not
 * need one batch's reply to send the next would. The protocol allows it:
 * the daemon answers each request after its own commit (in order within
 * one community), and the replies are matched by request id. Latency is per request, from its
 * send to its reply.
 */
int bench_run_batched(const bench_options *o, void *ctx, const bench_daemon *d,
                      bench_fill fill, int key, bench_row *row)
{
    return bench_run_batched_in(o, ctx, d, fill, key, NULL, 0, row);
}

int bench_run_batched_in(const bench_options *o, void *ctx,
                         const bench_daemon *d, bench_fill fill, int key,
                         const bench_community *codes, unsigned n_codes,
                         bench_row *row)
{
    /* Every household of each community in turn: a request never spans
     * two communities. */
    uint64_t total = (uint64_t)o->households * (n_codes ? n_codes : 1);
    void *sock = open_sock(ctx, d, key, ZMQ_DEALER);
    jifen_command *cmds = calloc(o->batch, sizeof *cmds);
    if (!sock || !cmds) {
        free(cmds);
        if (sock)
            zmq_close(sock);
        return -1;
    }
    samples lat = {0};
    in_flight win[BENCH_WINDOW_MAX];
    unsigned head = 0, count = 0;
    uint64_t first = 0;
    int rc = 0;
    double start = bench_now();
    while (rc == 0 && (first < total || count > 0)) {
        if (first < total && count < o->window) {
            unsigned at = (unsigned)(first % o->households);
            unsigned n = o->households - at < o->batch ? o->households - at
                                                       : o->batch;
            memset(cmds, 0, n * sizeof *cmds);
            for (unsigned i = 0; i < n; i++)
                fill(&cmds[i], at + i);
            jifen_request req = {.n_commands = n, .commands = cmds};
            if (n_codes)
                memcpy(req.community, codes[first / o->households].code,
                       sizeof req.community);
            jifen_request_id_new(req.request_id); /* as libjifen's callers */
            in_flight *f = &win[(head + count) % o->window];
            f->t0 = bench_now();
            f->n = n;
            memcpy(f->request_id, req.request_id, sizeof f->request_id);
            if (send_request(sock, true, &req) != 0) {
                row->errors += n;
                rc = -1;
                break;
            }
            count++;
            first += n;
            continue;
        }
        jifen_reply reply;
        memset(&reply, 0, sizeof reply);
        rc = recv_reply(sock, true, &reply);
        /* One community's replies come in order; requests of different
         * communities commit on different committers, and the one that
         * finished first is answered first. The one answered moves to the
         * head of the window; a reply to none is a fault. */
        unsigned j = 0;
        while (rc == 0 && j < count &&
               strcmp(reply.request_id,
                      win[(head + j) % o->window].request_id) != 0)
            j++;
        if (rc == 0 && j == count)
            rc = -1;
        if (rc == 0 && j > 0) {
            in_flight t = win[head];
            win[head] = win[(head + j) % o->window];
            win[(head + j) % o->window] = t;
        }
        in_flight *f = &win[head];
        samples_add(&lat, bench_ms_since(f->t0));
        jifen_request sent = {.n_commands = f->n};
        memcpy(sent.request_id, f->request_id, sizeof sent.request_id);
        row->errors += count_errors(rc, &sent, &reply);
        row->ops += f->n;
        row->requests++;
        bench_progress(row->scenario, row->ops, total);
        codec_reply_clear(&reply);
        head = (head + 1) % o->window;
        count--;
    }
    bench_progress_done();
    for (; count > 0; count--, head = (head + 1) % o->window)
        row->errors += win[head].n; /* never answered */
    row->seconds = bench_now() - start;
    row->clients = 1;
    row->batch = o->batch;
    bench_row_finish(row, &lat);
    samples_free(&lat);
    free(cmds);
    zmq_close(sock);
    return rc;
}

/* --- closed-loop scenarios: award storm, mixed ------------------------------
 */

enum { OP_BALANCE, OP_AWARD, OP_REDEEM, OP_KINDS };
static const char *const op_names[OP_KINDS] = {"balance", "award", "redeem"};

/* One closed-loop client: its sockets, its request in flight, its
 * figures. */
typedef struct {
    const bench_options *o;
    bool mixed; /* false: awards only */
    const bench_storm *spec; /* the communities its requests name */
    unsigned index;          /* of the client, from 0 */
    void *sock; /* committee: awards and balances */
    void *till; /* terminal: redemptions (mixed only) */
    uint64_t rng;
    int op;    /* of the request in flight */
    double t0; /* when it was sent */
    bool busy; /* a request is in flight */
    bool dead; /* a call failed: this client stops */
    jifen_command cmd;
    jifen_request req;
    samples lat[OP_KINDS];
    uint64_t ops[OP_KINDS];
    uint64_t errors[OP_KINDS];
} worker;

static int pick_op(const worker *w, uint64_t *rng)
{
    if (!w->mixed)
        return OP_AWARD;
    unsigned r = (unsigned)(bench_rand(rng) % 100);
    return r < 80 ? OP_BALANCE : r < 95 ? OP_AWARD : OP_REDEEM;
}

static void fill_op(jifen_request *req, int op, unsigned household)
{
    jifen_command *cmd = req->commands;
    memset(cmd, 0, sizeof *cmd);
    bench_household(household, cmd->household);
    req->request_id[0] = '\0';
    if (op == OP_BALANCE) {
        cmd->kind = JIFEN_CMD_BALANCE;
        return;
    }
    /* Ids as libjifen makes them (time-ordered, random tail), so the
     * daemon's idempotency table sees what real clients send. */
    jifen_request_id_new(req->request_id);
    if (op == OP_AWARD) {
        cmd->kind = JIFEN_CMD_AWARD;
        memcpy(cmd->code, "meeting", 8);
    } else {
        cmd->kind = JIFEN_CMD_REDEEM;
        cmd->amount = 1;
    }
}

static void *target(const worker *w)
{
    return w->op == OP_REDEEM ? w->till : w->sock;
}

/* Sends the client's next request. */
static void client_send(worker *w)
{
    w->op = pick_op(w, &w->rng);
    fill_op(&w->req, w->op, (unsigned)(bench_rand(&w->rng) % w->o->households));
    const bench_storm *sp = w->spec;
    if (sp && sp->n_codes) {
        unsigned c = sp->random ? (unsigned)(bench_rand(&w->rng) % sp->n_codes)
                                : w->index % sp->n_codes;
        memcpy(w->req.community, sp->codes[c].code, sizeof w->req.community);
    }
    w->t0 = bench_now();
    w->busy = send_request(target(w), false, &w->req) == 0;
    if (!w->busy) {
        w->errors[w->op]++;
        w->dead = true;
    }
}

/* Takes the reply the client's socket has ready. */
static void client_receive(worker *w)
{
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    int rc = recv_reply(target(w), false, &reply);
    samples_add(&w->lat[w->op], bench_ms_since(w->t0));
    w->ops[w->op]++;
    w->errors[w->op] += count_errors(rc, &w->req, &reply);
    codec_reply_clear(&reply);
    w->busy = false;
    w->dead = rc != 0;
}

/* One harness thread drives its share of the clients, each in a closed
 * loop: a client sends its next request as soon as its reply is in, and
 * never has more than one in flight. Polling many sockets from a few
 * threads instead of a thread per client keeps the harness's own CPU
 * (64 threads waking one another) off the two cores the daemon needs. */
typedef struct {
    void *ctx;
    const bench_daemon *d;
    worker *ws;
    size_t n;
    atomic_int *stop;
} driver;

static void *driver_main(void *arg)
{
    driver *dr = arg;
    zmq_pollitem_t *items = calloc(dr->n, sizeof *items);
    worker **who = calloc(dr->n, sizeof *who);
    for (size_t i = 0; i < dr->n; i++) {
        worker *w = &dr->ws[i];
        w->sock = bench_open_req(dr->ctx, dr->d, KEY_COMMITTEE);
        w->till =
            w->mixed ? bench_open_req(dr->ctx, dr->d, KEY_TERMINAL) : NULL;
        w->dead = !items || !who || !w->sock || (w->mixed && !w->till);
        if (w->dead)
            w->errors[OP_AWARD]++;
        else
            client_send(w);
    }
    while (items && who) {
        size_t k = 0;
        for (size_t i = 0; i < dr->n; i++)
            if (dr->ws[i].busy) {
                items[k] =
                    (zmq_pollitem_t){target(&dr->ws[i]), 0, ZMQ_POLLIN, 0};
                who[k++] = &dr->ws[i];
            }
        if (k == 0)
            break;
        if (zmq_poll(items, (int)k, CALL_TIMEOUT_MS) <= 0) {
            for (size_t j = 0; j < k; j++) /* no reply in time */
                who[j]->errors[who[j]->op]++;
            break;
        }
        bool stopping = atomic_load(dr->stop);
        for (size_t j = 0; j < k; j++) {
            if (!(items[j].revents & ZMQ_POLLIN))
                continue;
            client_receive(who[j]);
            if (!stopping && !who[j]->dead)
                client_send(who[j]);
        }
    }
    for (size_t i = 0; i < dr->n; i++) {
        if (dr->ws[i].sock)
            zmq_close(dr->ws[i].sock);
        if (dr->ws[i].till)
            zmq_close(dr->ws[i].till);
    }
    free(items);
    free(who);
    return NULL;
}

static void add_closed_row(bench_results *res, const char *scenario,
                           unsigned clients, worker *ws, int op,
                           double seconds, double hwm, double anon)
{
    bench_row *row = bench_results_add(res, scenario, run_system);
    samples lat = {0};
    for (unsigned i = 0; i < clients; i++) {
        for (int k = 0; k < OP_KINDS; k++) {
            if (op >= 0 && k != op)
                continue;
            samples_merge(&lat, &ws[i].lat[k]);
            row->ops += ws[i].ops[k];
            row->errors += ws[i].errors[k];
        }
    }
    row->requests = row->ops;
    row->clients = clients;
    row->batch = 1;
    row->seconds = seconds;
    row->peak_rss_mb = hwm;
    row->peak_anon_mb = anon;
    bench_row_finish(row, &lat);
    samples_free(&lat);
}

/* The daemon's commit counters (the stats query, as the auditor). */
int bench_daemon_stats(void *ctx, const bench_daemon *d, jifen_stats *st)
{
    void *sock = bench_open_req(ctx, d, KEY_AUDITOR);
    /* Never for ever: a replica that does not know the key yet (its
     * enrolment not replicated) leaves a handshake without an answer. */
    int wait_ms = 10000;
    if (sock)
        zmq_setsockopt(sock, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms);
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_STATS;
    jifen_request req = {.n_commands = 1, .commands = &cmd};
    /* A service's counters are the daemon's, asked of its own ledger. */
    if (d->service)
        snprintf(req.community, sizeof req.community, "%s",
                 JIFEN_SERVICE_ADDRESS);
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    int rc = sock ? bench_call(sock, &req, &reply) : -1;
    bool ok = rc == 0 && reply.n_results == 1 && reply.results[0].has_stats;
    if (ok)
        *st = reply.results[0].stats;
    codec_reply_clear(&reply);
    if (sock)
        zmq_close(sock);
    return ok ? 0 : -1;
}

/* How the daemon grouped a scenario's writes: commits, writes per commit,
 * and the time a group took to apply and commit (the daemon's histogram
 * since its start, so also the scenarios before). */
static void print_grouping(const jifen_stats *a, const jifen_stats *b,
                           double seconds)
{
    uint64_t commits = b->commits - a->commits;
    uint64_t writes = b->write_requests - a->write_requests;
    bench_say("  (daemon: %llu commits, %.0f/s, %.1f write requests per "
              "commit; apply+commit p50 %llu us, p99 %llu us)\n",
              (unsigned long long)commits, commits / seconds,
              commits ? (double)writes / commits : 0.0,
              (unsigned long long)b->commit_p50_us,
              (unsigned long long)b->commit_p99_us);
}

/* C clients in a closed loop for o->seconds, driven by o->threads
 * harness threads (each client in one thread's share); the communities
 * their requests name as sp says (NULL: none, the one of a one-community
 * service). */
static int run_closed(const bench_options *o, void *ctx, const bench_daemon *d,
                      bool mixed, const bench_storm *sp, bench_results *res)
{
    unsigned clients = sp && sp->clients ? sp->clients : o->clients;
    unsigned nt = o->threads < clients ? o->threads : clients;
    worker *ws = calloc(clients, sizeof *ws);
    driver *drs = calloc(nt, sizeof *drs);
    pthread_t *th = calloc(nt, sizeof *th);
    atomic_int stop = 0;
    if (!ws || !drs || !th) {
        free(ws);
        free(drs);
        free(th);
        return -1;
    }
    for (unsigned i = 0; i < clients; i++) {
        worker *w = &ws[i];
        w->o = o;
        w->mixed = mixed;
        w->spec = sp;
        w->index = i;
        w->rng = 0x9e3779b97f4a7c15ull * (i + 1);
        w->req.n_commands = 1;
        w->req.commands = &w->cmd;
    }
    jifen_stats before, after;
    bool stats = bench_daemon_stats(ctx, d, &before) == 0;
    bench_rss_reset(d->pid);
    rss_monitor *mon = rss_monitor_start(d->pid);
    double cpu0 = bench_proc_cpu_s(d->pid, 0);
    double srv0 = bench_proc_cpu_s(d->pid, d->pid);
    double start = bench_now();
    for (unsigned t = 0, first = 0; t < nt; t++) {
        unsigned n = clients / nt + (t < clients % nt);
        drs[t] = (driver){ctx, d, &ws[first], n, &stop};
        first += n;
        pthread_create(&th[t], NULL, driver_main, &drs[t]);
    }
    usleep((useconds_t)(o->seconds * 1e6));
    atomic_store(&stop, 1);
    for (unsigned t = 0; t < nt; t++)
        pthread_join(th[t], NULL);
    double seconds = bench_now() - start;
    double cpu = bench_proc_cpu_s(d->pid, 0) - cpu0;
    double srv = bench_proc_cpu_s(d->pid, d->pid) - srv0;
    double anon = rss_monitor_stop(&mon);
    double hwm = bench_proc_mb(d->pid, "VmHWM");
    bool grouped = stats && bench_daemon_stats(ctx, d, &after) == 0;
    if (grouped && !sp) /* the communities run says it per row */
        print_grouping(&before, &after, seconds);
    size_t first_row = res->n;
    if (!mixed) {
        add_closed_row(res, sp ? sp->scenario : "award_storm", clients, ws,
                       OP_AWARD, seconds, hwm, anon);
    } else {
        add_closed_row(res, "mixed", clients, ws, -1, seconds, hwm, anon);
        for (int k = 0; k < OP_KINDS; k++) {
            char name[32];
            snprintf(name, sizeof name, "mixed_%s", op_names[k]);
            add_closed_row(res, name, clients, ws, k, seconds, hwm, anon);
        }
    }
    for (size_t i = first_row; i < res->n; i++) {
        bench_row *r = &res->rows[i];
        if (grouped)
            r->commits = after.commits - before.commits;
        if (r->ops && cpu0 >= 0 && srv0 >= 0) {
            r->cpu_us_per_op = cpu * 1e6 / (double)r->ops;
            r->server_us_per_op = srv * 1e6 / (double)r->ops;
        }
    }
    for (unsigned i = 0; i < clients; i++)
        for (int k = 0; k < OP_KINDS; k++)
            samples_free(&ws[i].lat[k]);
    free(ws);
    free(drs);
    free(th);
    return 0;
}

int bench_run_storm(const bench_options *o, void *ctx, const bench_daemon *d,
                    const bench_storm *sp, bench_results *res)
{
    return run_closed(o, ctx, d, false, sp, res);
}

/* --- verification -----------------------------------------------------------
 */

static int run_verify(void *ctx, const bench_daemon *d, bench_row *row)
{
    void *sock = bench_open_req(ctx, d, KEY_AUDITOR);
    if (!sock)
        return -1;
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_VERIFY;
    jifen_request req = {.n_commands = 1, .commands = &cmd};
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    samples lat = {0};
    double t0 = bench_now();
    int rc = bench_call(sock, &req, &reply);
    double ms = bench_ms_since(t0);
    samples_add(&lat, ms);
    bool ok = rc == 0 && reply.n_results == 1 && reply.results[0].has_verify &&
              reply.results[0].verify.ok;
    if (ok)
        row->ops = reply.results[0].verify.entries;
    else
        fprintf(stderr, "jifen_bench: verify failed: %s\n",
                rc                ? "no reply"
                : reply.n_results ? reply.results[0].verify.problem
                                  : reply.error);
    row->errors = !ok;
    row->requests = 1;
    row->clients = 1;
    row->batch = 1;
    row->seconds = ms / 1000.0;
    bench_row_finish(row, &lat);
    samples_free(&lat);
    codec_reply_clear(&reply);
    zmq_close(sock);
    return ok ? 0 : -1;
}

/* --- proofs (docs/proofs.md) --------------------------------------------- */

/* One request, answered OK throughout; 0 or -1 (said why). */
int bench_call_ok(void *sock, jifen_request *req, jifen_reply *reply,
                   const char *what)
{
    memset(reply, 0, sizeof *reply);
    int rc = bench_call(sock, req, reply);
    for (size_t i = 0; rc == 0 && i < reply->n_results; i++)
        if (reply->results[i].status != JIFEN_STATUS_OK)
            rc = -1;
    if (rc != 0 || reply->n_results != req->n_commands) {
        fprintf(stderr, "jifen_bench: %s failed: %s\n", what,
                reply->n_results ? reply->results[0].error : reply->error);
        codec_reply_clear(reply);
        return -1;
    }
    return 0;
}

/* A proof of one entry against the tree now, and a statement of 1,000
 * entries with a proof of each (the history and the proofs, two round
 * trips, as `jifen report statement --proof` makes them): the time per
 * request, many times over. The household with 1,000 entries is written
 * first, in one request. */
static int run_proofs(const bench_options *o, void *ctx, const bench_daemon *d,
                      bench_results *res)
{
    enum { STATEMENT = 1000 };
    void *wsock = bench_open_req(ctx, d, KEY_COMMITTEE);
    void *sock = bench_open_req(ctx, d, KEY_AUDITOR);
    jifen_command *cmds = calloc(STATEMENT, sizeof *cmds);
    int rc = wsock && sock && cmds ? 0 : -1;
    jifen_reply reply;
    char household[16];
    bench_household(0, household);
    for (unsigned i = 0; rc == 0 && i < STATEMENT; i++) {
        cmds[i].kind = JIFEN_CMD_AWARD;
        memcpy(cmds[i].household, household, sizeof household);
        memcpy(cmds[i].code, "meeting", 8);
    }
    jifen_request req = {.n_commands = STATEMENT, .commands = cmds};
    snprintf(req.request_id, sizeof req.request_id, "bench-statement");
    if (rc == 0 && (rc = bench_call_ok(wsock, &req, &reply, "the statement's "
                                                      "awards")) == 0)
        codec_reply_clear(&reply);
    /* The tree's size now (proofs against it need no signed head). */
    jifen_command th = {.kind = JIFEN_CMD_TREE_HEAD};
    jifen_request treq = {.n_commands = 1, .commands = &th};
    uint64_t size = 0;
    if (rc == 0 && (rc = bench_call_ok(sock, &treq, &reply, "tree head")) == 0) {
        size = reply.results[0].proof ? reply.results[0].proof->tree_size : 0;
        codec_reply_clear(&reply);
    }
    unsigned rounds = o->smoke ? 20 : 1000;
    samples one = {0}, stmt = {0};
    bench_row *r1 = bench_results_add(res, "proof-one", run_system);
    for (unsigned i = 0; rc == 0 && i < rounds; i++) {
        jifen_command c = {.kind = JIFEN_CMD_INCLUSION,
                           .entry = 1 + (i * 7919u) % size,
                           .tree_size = size};
        jifen_request q = {.n_commands = 1, .commands = &c};
        double t0 = bench_now();
        rc = bench_call_ok(sock, &q, &reply, "a proof");
        samples_add(&one, bench_ms_since(t0));
        if (rc == 0)
            codec_reply_clear(&reply);
    }
    r1->ops = r1->requests = rounds;
    r1->clients = r1->batch = 1;
    unsigned srounds = o->smoke ? 3 : 50;
    bench_row *r2 = bench_results_add(res, "statement-1000", run_system);
    for (unsigned i = 0; rc == 0 && i < srounds; i++) {
        jifen_command h = {.kind = JIFEN_CMD_HISTORY, .limit = STATEMENT};
        memcpy(h.household, household, sizeof household);
        jifen_request hq = {.n_commands = 1, .commands = &h};
        double t0 = bench_now();
        rc = bench_call_ok(sock, &hq, &reply, "the statement's history");
        size_t n = 0;
        for (size_t k = 0; rc == 0 && k < reply.results[0].n_history; k++)
            cmds[n++] = (jifen_command){
                .kind = JIFEN_CMD_INCLUSION,
                .entry = reply.results[0].history[k].seq,
                .tree_size = size};
        if (rc == 0)
            codec_reply_clear(&reply);
        jifen_request pq = {.n_commands = n, .commands = cmds};
        if (rc == 0 && (rc = bench_call_ok(sock, &pq, &reply, "the proofs")) == 0)
            codec_reply_clear(&reply);
        samples_add(&stmt, bench_ms_since(t0));
        r2->ops += n;
    }
    r2->requests = 2 * srounds;
    r2->clients = 1;
    r2->batch = STATEMENT;
    if (rc == 0) {
        r1->seconds = 0;
        for (size_t i = 0; i < one.n; i++)
            r1->seconds += one.v[i] / 1000;
        r2->seconds = 0;
        for (size_t i = 0; i < stmt.n; i++)
            r2->seconds += stmt.v[i] / 1000;
        bench_row_finish(r1, &one);
        bench_row_finish(r2, &stmt);
        bench_say("  %-14s p50 %8.3f ms  p99 %8.3f ms  (one entry of %llu)\n",
               r1->scenario, r1->p50_ms, r1->p99_ms, (unsigned long long)size);
        bench_say("  %-14s p50 %8.3f ms  p99 %8.3f ms  (history + %u proofs)\n",
               r2->scenario, r2->p50_ms, r2->p99_ms, STATEMENT);
    }
    samples_free(&one);
    samples_free(&stmt);
    free(cmds);
    if (wsock)
        zmq_close(wsock);
    if (sock)
        zmq_close(sock);
    return rc;
}

/* --- the run -------------------------------------------------------------- */

/* One row's line, with the daemon's CPU per command where measured. */
static void say_row(const bench_row *r)
{
    bench_say("  %-14s %10.0f ops/s  p50 %8.3f ms  p99 %8.3f ms  (%llu ops, "
              "%llu errors)",
              r->scenario, r->ops_per_s, r->p50_ms, r->p99_ms,
              (unsigned long long)r->ops, (unsigned long long)r->errors);
    if (r->cpu_us_per_op > 0)
        bench_say("  daemon CPU %.2f us/op, server thread %.2f",
                  r->cpu_us_per_op, r->server_us_per_op);
    bench_say("\n");
}

/* The daemon's CPU (all threads, and the server thread) since *cpu0 and
 * *srv0, per op of the row. */
static void cpu_start(const bench_daemon *d, double *cpu0, double *srv0)
{
    *cpu0 = bench_proc_cpu_s(d->pid, 0);
    *srv0 = bench_proc_cpu_s(d->pid, d->pid);
}

static void cpu_per_op(const bench_daemon *d, double cpu0, double srv0,
                       bench_row *row)
{
    if (!row->ops || cpu0 < 0 || srv0 < 0)
        return;
    row->cpu_us_per_op =
        (bench_proc_cpu_s(d->pid, 0) - cpu0) * 1e6 / (double)row->ops;
    row->server_us_per_op =
        (bench_proc_cpu_s(d->pid, d->pid) - srv0) * 1e6 / (double)row->ops;
}

static void finish_row(bench_row *row, const bench_daemon *d, rss_monitor *mon)
{
    row->peak_anon_mb = rss_monitor_stop(&mon);
    row->peak_rss_mb = bench_proc_mb(d->pid, "VmHWM");
    say_row(row);
}

static int run_one_batched(const bench_options *o, void *ctx,
                           const bench_daemon *d, bench_results *res,
                           const char *scenario, bench_fill fill, int key)
{
    bench_row *row = bench_results_add(res, scenario, run_system);
    bench_rss_reset(d->pid);
    rss_monitor *mon = rss_monitor_start(d->pid);
    double cpu0, srv0;
    cpu_start(d, &cpu0, &srv0);
    int rc = bench_run_batched(o, ctx, d, fill, key, row);
    /* CPU per command as in the closed loop: billing is CPU-bound, and
     * this figure holds where the machine's load moves the throughput. */
    cpu_per_op(d, cpu0, srv0, row);
    finish_row(row, d, mon);
    return rc;
}

static void print_closed(const bench_results *res, size_t from)
{
    for (size_t i = from; i < res->n; i++)
        say_row(&res->rows[i]);
}

/* --- a second key's queries while others send the heaviest ------------------
 *
 * The committee key asks a balance, one at a time, first alone, then while
 * the auditor key verifies the whole ledger back to back on four
 * connections and the terminal key asks 300 histories a request (near the
 * most a reply may hold) on two: what one key's heavy queries cost another
 * key (docs/security.md). The query threads take keys in turn, so the
 * committee's balance waits for a free thread, not behind the verifies.
 */

typedef struct {
    void *ctx;
    const bench_daemon *d;
    int key;
    jifen_command_kind kind;
    unsigned n;
    atomic_bool *stop;
    pthread_t thread;
    unsigned long requests;
} loader;

static void *load_main(void *arg)
{
    loader *l = arg;
    void *sock = bench_open_req(l->ctx, l->d, l->key);
    jifen_command *cmds = calloc(l->n, sizeof *cmds);
    if (!sock || !cmds) {
        free(cmds);
        if (sock)
            zmq_close(sock);
        return NULL;
    }
    for (unsigned i = 0; i < l->n; i++) {
        cmds[i].kind = l->kind;
        if (l->kind == JIFEN_CMD_HISTORY)
            bench_household(0, cmds[i].household);
    }
    jifen_request req = {.n_commands = l->n, .commands = cmds};
    while (!atomic_load(l->stop)) {
        jifen_reply reply;
        memset(&reply, 0, sizeof reply);
        if (bench_call(sock, &req, &reply) != 0)
            break; /* a REQ socket without a reply is done for */
        codec_reply_clear(&reply);
        l->requests++;
    }
    free(cmds);
    zmq_close(sock);
    return NULL;
}

/* Balance queries of the committee key, one at a time, for `seconds`. */
static int probe(void *ctx, const bench_daemon *d, double seconds,
                 bench_row *row)
{
    void *sock = bench_open_req(ctx, d, KEY_COMMITTEE);
    if (!sock)
        return -1;
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_BALANCE;
    bench_household(0, cmd.household);
    jifen_request req = {.n_commands = 1, .commands = &cmd};
    samples lat = {0};
    double start = bench_now();
    int rc = 0;
    while (rc == 0 && bench_now() - start < seconds) {
        jifen_reply reply;
        memset(&reply, 0, sizeof reply);
        double t0 = bench_now();
        rc = bench_call(sock, &req, &reply);
        samples_add(&lat, bench_ms_since(t0));
        row->errors += count_errors(rc, &req, &reply);
        codec_reply_clear(&reply);
        row->ops++;
        row->requests++;
    }
    row->seconds = bench_now() - start;
    row->clients = 1;
    row->batch = 1;
    bench_row_finish(row, &lat);
    samples_free(&lat);
    zmq_close(sock);
    return rc;
}

static int run_under_load(const bench_options *o, void *ctx,
                          const bench_daemon *d, bench_results *res)
{
    double seconds = o->seconds / 2 > 1 ? o->seconds / 2 : 1;
    bench_row *alone = bench_results_add(res, "query-alone", "jifen");
    bench_rss_reset(d->pid);
    rss_monitor *mon = rss_monitor_start(d->pid);
    int rc = probe(ctx, d, seconds, alone);
    finish_row(alone, d, mon);
    if (rc != 0)
        return -1;
    atomic_bool stop;
    atomic_init(&stop, false);
    loader loads[6];
    size_t started = 0;
    for (size_t i = 0; i < 6; i++) {
        loads[i] = (loader){ctx, d, i < 4 ? KEY_AUDITOR : KEY_TERMINAL,
                            i < 4 ? JIFEN_CMD_VERIFY : JIFEN_CMD_HISTORY,
                            i < 4 ? 1 : 300, &stop, 0, 0};
        if (pthread_create(&loads[i].thread, NULL, load_main, &loads[i]) == 0)
            started++;
        else
            break;
    }
    usleep(300 * 1000); /* the load is under way */
    bench_row *loaded = bench_results_add(res, "query-loaded", "jifen");
    bench_rss_reset(d->pid);
    mon = rss_monitor_start(d->pid);
    rc = started == 6 ? probe(ctx, d, seconds, loaded) : -1;
    atomic_store(&stop, true);
    unsigned long heavy = 0;
    for (size_t i = 0; i < started; i++) {
        pthread_join(loads[i].thread, NULL);
        heavy += loads[i].requests;
    }
    finish_row(loaded, d, mon);
    bench_say("  under load: %lu heavy requests answered meanwhile (verify x4 "
              "connections, 300 histories x2); committee p99 %.2fx alone, p99.9 "
              "%.1f ms\n",
              heavy, alone->p99_ms > 0 ? loaded->p99_ms / alone->p99_ms : 0,
              loaded->p999_ms);
    return rc;
}

static int run_scenarios(const bench_options *o, void *ctx,
                         const bench_daemon *d, bench_results *res)
{
    if (run_one_batched(o, ctx, d, res, "register", bench_fill_register,
                        KEY_COMMITTEE) != 0)
        return -1;
    size_t from = res->n;
    if (run_closed(o, ctx, d, false, NULL, res) != 0)
        return -1;
    print_closed(res, from);
    if (run_one_batched(o, ctx, d, res, "billing", bench_fill_bill,
                        KEY_TERMINAL) != 0)
        return -1;
    from = res->n;
    if (run_closed(o, ctx, d, true, NULL, res) != 0)
        return -1;
    print_closed(res, from);
    /* The reports once, with the tree (they read, never write). */
    if (!o->no_tree && !o->core &&
        bench_reports_now(o, ctx, d, "report_", res) != 0)
        return -1;
    bench_row *row = bench_results_add(res, "verify", run_system);
    bench_rss_reset(d->pid);
    rss_monitor *mon = rss_monitor_start(d->pid);
    double cpu0, srv0;
    cpu_start(d, &cpu0, &srv0);
    int rc = run_verify(ctx, d, row);
    cpu_per_op(d, cpu0, srv0, row);
    finish_row(row, d, mon);
    if (o->core)
        return rc;
    if (rc == 0 && !o->no_tree)
        rc = run_proofs(o, ctx, d, res);
    return rc == 0 ? run_under_load(o, ctx, d, res) : rc;
}

int bench_jifen_run(const bench_options *o, bench_results *res)
{
    char *dir = bench_tmpdir("jifen");
    if (!dir)
        return -1;
    run_system = o->no_tree ? "jifen-notree" : "jifen";
    bench_say("%s: %u households, %u clients, batch %u, %.0f s per timed "
              "scenario\n",
              run_system, o->households, o->clients, o->batch, o->seconds);
    bench_daemon d;
    void *ctx = zmq_ctx_new();
    int rc = -1;
    if (ctx && bench_daemon_start(o, &d, dir, NULL) == 0) {
        rc = run_scenarios(o, ctx, &d, res);
        if (bench_daemon_stop(&d) != 0)
            rc = -1;
    }
    if (ctx && rc == 0 && !o->no_tree && !o->core)
        rc = bench_reports_scale(o, ctx, res);
    if (ctx)
        zmq_ctx_term(ctx);
    bench_tmpdir_done(&dir, "jifen", rc);
    return rc;
}

/* --- replication on NATS JetStream (issue 18) ------------------------------
 *
 * The same daemon, durability local then replicated, against the cluster
 * bench.sh started on this machine (three nodes: their fsyncs and Raft
 * traffic share the cores with jifend and the clients, so the ratio is a
 * floor). In the replicated run a replica of the streams follows; a probe
 * asks both for their entries every few milliseconds during the award
 * storm: lag in entries is the difference at one moment, lag in
 * milliseconds how long after the primary had N entries the replica had
 * them too.
 */

typedef struct {
    void *ctx;
    const bench_daemon *primary, *replica;
    atomic_int *stop;
    double *t;
    uint64_t *p, *r;
    size_t n, cap;
} lag_probe;

static void *probe_lag(void *arg)
{
    lag_probe *lp = arg;
    while (!atomic_load(lp->stop) && lp->n < lp->cap) {
        jifen_stats ps, rs;
        double t = bench_now();
        if (bench_daemon_stats(lp->ctx, lp->primary, &ps) == 0 &&
            bench_daemon_stats(lp->ctx, lp->replica, &rs) == 0) {
            lp->t[lp->n] = t;
            lp->p[lp->n] = ps.entries;
            lp->r[lp->n] = rs.entries;
            lp->n++;
        }
        usleep(5000);
    }
    return NULL;
}

/* Lag rows from the probe's samples. */
static void lag_rows(const lag_probe *lp, bench_results *res)
{
    samples ms = {0}, entries = {0};
    for (size_t i = 0; i < lp->n; i++) {
        samples_add(&entries, (double)(lp->p[i] > lp->r[i] ? lp->p[i] - lp->r[i]
                                                            : 0));
        for (size_t j = i; j < lp->n; j++)
            if (lp->r[j] >= lp->p[i]) {
                samples_add(&ms, (lp->t[j] - lp->t[i]) * 1000.0);
                break;
            }
    }
    bench_row *a = bench_results_add(res, "replica_lag_ms", run_system);
    a->ops = lp->n;
    bench_row_finish(a, &ms);
    bench_row *b = bench_results_add(res, "replica_lag_entries", run_system);
    b->ops = lp->n;
    bench_row_finish(b, &entries);
    a->ops_per_s = b->ops_per_s = 0;
    bench_say("  replica lag under the storm: p50 %.1f ms, p99 %.1f ms; "
              "p50 %.0f entries, p99 %.0f entries (%zu samples)\n",
              a->p50_ms, a->p99_ms, b->p50_ms, b->p99_ms, lp->n);
    samples_free(&ms);
    samples_free(&entries);
}

static int nats_one(const bench_options *o, void *ctx, const char *durability,
                    bench_results *res)
{
    char *dir = bench_tmpdir("nats");
    if (!dir)
        return -1;
    bool replicated = strcmp(durability, "replicated") == 0;
    char conf[2048], rconf[2300];
    snprintf(conf, sizeof conf,
             "nats_servers = %s\nnats_durability = %s\nnats_prefix = "
             "b%d%s\nnats_ack_timeout_ms = 30000\n",
             o->nats, durability, (int)getpid(), replicated ? "r" : "l");
    snprintf(rconf, sizeof rconf, "%snats_replica = 1\nnats_name = bench-r\n",
             conf);
    bench_options po = *o;
    po.extra_conf = conf;
    run_system = replicated ? "nats-replicated" : "nats-local";
    bench_say("%s: NATS durability %s, %u households, %u clients\n",
              run_system, durability, o->households, o->clients);
    bench_daemon d, r;
    int rc = bench_daemon_start(&po, &d, dir, NULL);
    bool have_r = false;
    if (rc == 0 && replicated) {
        bench_options ro = *o;
        ro.extra_conf = rconf;
        r = d;
        snprintf(r.dir, sizeof r.dir, "%s/replica", dir);
        snprintf(r.log, sizeof r.log, "%s/replica.log", dir);
        rc = bench_daemon_spawn(&ro, &r, NULL);
        have_r = rc == 0;
    }
    if (rc == 0)
        rc = run_one_batched(&po, ctx, &d, res, "register",
                             bench_fill_register, KEY_COMMITTEE);
    lag_probe lp = {0};
    atomic_int stop = 0;
    pthread_t probe;
    bool probing = false;
    if (rc == 0 && have_r) {
        lp.ctx = ctx;
        lp.primary = &d;
        lp.replica = &r;
        lp.stop = &stop;
        lp.cap = (size_t)(o->seconds * 400) + 1000;
        lp.t = calloc(lp.cap, sizeof *lp.t);
        lp.p = calloc(lp.cap, sizeof *lp.p);
        lp.r = calloc(lp.cap, sizeof *lp.r);
        probing = lp.t && lp.p && lp.r;
    }
    /* The replica caught up with the registrations before the storm: the
     * lag measured is the storm's. */
    for (int i = 0; probing && i < 600; i++) {
        jifen_stats ps, rs;
        if (bench_daemon_stats(ctx, &d, &ps) == 0 &&
            bench_daemon_stats(ctx, &r, &rs) == 0 && rs.entries == ps.entries)
            break;
        usleep(100000);
    }
    if (probing && pthread_create(&probe, NULL, probe_lag, &lp) != 0)
        probing = false;
    size_t from = res->n;
    if (rc == 0)
        rc = run_closed(&po, ctx, &d, false, NULL, res);
    if (probing) {
        atomic_store(&stop, 1);
        pthread_join(probe, NULL);
        lag_rows(&lp, res);
    }
    free(lp.t);
    free(lp.p);
    free(lp.r);
    if (rc == 0)
        print_closed(res, from);
    if (rc == 0)
        rc = run_one_batched(&po, ctx, &d, res, "billing", bench_fill_bill,
                             KEY_TERMINAL);
    if (have_r && bench_daemon_stop(&r) != 0)
        rc = -1;
    if (bench_daemon_stop(&d) != 0)
        rc = -1;
    bench_tmpdir_done(&dir, "nats", rc);
    return rc;
}

int bench_nats_run(const bench_options *o, bench_results *res)
{
    void *ctx = zmq_ctx_new();
    if (!ctx)
        return -1;
    int rc = nats_one(o, ctx, "local", res);
    if (rc == 0)
        rc = nats_one(o, ctx, "replicated", res);
    zmq_ctx_term(ctx);
    if (rc != 0)
        return rc;
    bench_say("\nreplicated / local, same run, the three NATS nodes on this "
              "machine:\n");
    static const char *const scenarios[] = {"register", "award_storm",
                                            "billing"};
    for (size_t s = 0; s < sizeof scenarios / sizeof *scenarios; s++) {
        const bench_row *l = NULL, *rr = NULL;
        for (size_t i = 0; i < res->n; i++) {
            if (strcmp(res->rows[i].scenario, scenarios[s]) != 0)
                continue;
            if (!strcmp(res->rows[i].system, "nats-local"))
                l = &res->rows[i];
            else if (!strcmp(res->rows[i].system, "nats-replicated"))
                rr = &res->rows[i];
        }
        if (l && rr && l->ops_per_s > 0)
            bench_say("  %-12s %10.0f / %10.0f ops/s = %.3f   p99 %.2f / "
                      "%.2f ms\n",
                      scenarios[s], rr->ops_per_s, l->ops_per_s,
                      rr->ops_per_s / l->ops_per_s, rr->p99_ms, l->p99_ms);
    }
    return 0;
}
