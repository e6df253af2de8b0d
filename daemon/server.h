/*
 * server - jifend's event loop: receive, decode, route to a community,
 * group-commit, reply.
 *
 * Three kinds of threads. The server thread owns the socket: it takes
 * every request waiting (up to a bound), decodes it, routes it to its
 * ledger (service.h) and authorizes it, hands queries to the query threads
 * (querypool.h: fair between keys, each request judged whole against its
 * cost, querycost.h) and gathers writes into a group per ledger. Committer
 * threads own ledgers' write transactions, one ledger each at a time: a
 * committer applies a whole group, commits once, and hands it back; only
 * then does the server thread reply to each of its requests. While groups
 * are being committed (mostly waiting for fsync) the next ones are
 * gathered, communities commit in parallel, queries never wait behind a
 * commit, and a long query (verify, a community report) holds one query
 * thread, never the server thread.
 */
#ifndef JIFEN_SERVER_H
#define JIFEN_SERVER_H

#include "ledger.h"
#include "service.h"
#include "ops.h"
#include "outbox.h"
#include "transport.h"

#include <signal.h>

/* How often stale reader slots are looked for while serving. */
#define SERVER_READER_CHECK_MS 5000

/* How often the ledgers' timers (notices, expiry) are looked at. */
#define SERVER_TIMER_SCAN_MS 100

/* Most requests gathered into one commit, and most commands. */
#define SERVER_GROUP_REQUESTS 4096
#define SERVER_GROUP_COMMANDS 16384
/* ... and most bytes of requests (rule sets are 64 KB commands). */
#define SERVER_GROUP_BYTES (32u << 20)

typedef struct {
    ops *ops;           /* metrics and operations queries; may be NULL */
    bool read_only;     /* a replica: writes are refused */
    void (*idle)(void *ctx); /* called every turn of the loop (replication) */
    void *idle_ctx;
    int idle_fd; /* readable: a turn is due at once (-1: none; 0 is read
                    as none too, so that zeroed options mean none) */
    /* When *reload becomes non-zero (SIGHUP) the loop clears it and calls
     * on_reload(reload_arg) between turns, with no transaction open.
     * NULL: no reloading. */
    volatile sig_atomic_t *reload;
    void (*on_reload)(void *arg);
    void *reload_arg;
    /* Publishing to NATS JetStream (outbox.h), or NULL: none. A committer
     * hands each commit's entries to it, and in replicated durability a
     * group is answered only once the stream acknowledged them. */
    outbox *outbox;
    /* Committer threads: ledgers whose groups commit at once (0: 2). */
    int committers;
    /* Lingering (server.c): at most this long a group of small writes
     * waits for the writers the last commit answered; 0: never. */
    unsigned linger_max_us;
    /* TESTS ONLY (--test-hold-reads): while this file exists no request
     * is taken from the socket. NULL in service. */
    const char *test_hold_reads;
} server_options;

/* Serves until *stop becomes non-zero (the commit in flight finishes
 * first). Returns 0 on a clean stop, -1 when the ledger failed in a way that
 * must stop the daemon (I/O error). */
int server_run(service *svc, transport *tp, const server_options *opts,
               volatile sig_atomic_t *stop);

#endif
