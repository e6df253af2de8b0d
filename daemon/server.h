/*
 * server - jifend's event loop: receive, decode, group-commit, reply.
 *
 * Each turn takes every request waiting on the socket (up to a bound),
 * applies all the writes among them in one write transaction, commits once,
 * and only then replies to each of them. Queries are answered after the
 * writes of the same turn, each in its own read transaction.
 */
#ifndef JIFEN_SERVER_H
#define JIFEN_SERVER_H

#include "ledger.h"
#include "transport.h"

#include <signal.h>

/* Most requests gathered into one commit, and most commands. */
#define SERVER_GROUP_REQUESTS 4096
#define SERVER_GROUP_COMMANDS 16384

typedef struct {
    const char *author; /* recorded in every entry until keys exist */
    /* When *reload becomes non-zero (SIGHUP) the loop clears it and calls
     * on_reload(reload_arg) between turns, with no transaction open.
     * NULL: no reloading. */
    volatile sig_atomic_t *reload;
    void (*on_reload)(void *arg);
    void *reload_arg;
} server_options;

/* Serves until *stop becomes non-zero (the commit in flight finishes
 * first). Returns 0 on a clean stop, -1 when the ledger failed in a way that
 * must stop the daemon (I/O error). */
int server_run(ledger *led, transport *tp, const server_options *opts,
               volatile sig_atomic_t *stop);

#endif
