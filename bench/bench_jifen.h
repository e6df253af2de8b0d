/*
 * bench_jifen - the pieces of the jifen runs that bench_reports.c uses too:
 * a real jifend on a temporary data directory with the bench's enrolled
 * CURVE keys, one-call sockets, and the batched client.
 */
#ifndef JIFEN_BENCH_JIFEN_H
#define JIFEN_BENCH_JIFEN_H

#include "bench.h"

#include "jifen.h"
#include "keyfile.h"

enum { KEY_COMMITTEE, KEY_TERMINAL, KEY_AUDITOR, N_KEYS };

typedef struct {
    pid_t pid;
    char dir[512];
    char log[600];
    char endpoint[128];
    char server_key[KEYFILE_Z85_LEN + 1];  /* DATA/jifend.pub */
    char pub[N_KEYS][KEYFILE_Z85_LEN + 1]; /* the bench's client keys */
    char secret[N_KEYS][KEYFILE_Z85_LEN + 1];
} bench_daemon;

/* Enrols the bench's keys offline and starts jifend on DIR/ledger, with
 * `policy` (a rule set file) or, when NULL, the embedded default. 0 or -1
 * with the reason on stderr. */
int bench_daemon_start(const bench_options *o, bench_daemon *d, const char *dir,
                       const char *policy);
/* SIGTERM, then its exit status: 0 or -1. */
int bench_daemon_stop(bench_daemon *d);

/* A REQ socket to the daemon with the key of role k, or NULL. */
void *bench_open_req(void *ctx, const bench_daemon *d, int k);
/* One round trip: 0 with *reply filled (codec_reply_clear), or -1. */
int bench_call(void *sock, const jifen_request *req, jifen_reply *reply);
/* The daemon's counters (the stats query, as the auditor). 0 or -1. */
int bench_daemon_stats(void *ctx, const bench_daemon *d, jifen_stats *st);

/* One command for household number `household`. */
typedef void (*bench_fill)(jifen_command *cmd, unsigned household);
void bench_fill_register(jifen_command *cmd, unsigned household);
void bench_fill_bill(jifen_command *cmd, unsigned household);

/* One client sends a command for every household, o->batch per request,
 * o->window requests in flight, as role `key`; fills `row`. 0 or -1. */
int bench_run_batched(const bench_options *o, void *ctx, const bench_daemon *d,
                      bench_fill fill, int key, bench_row *row);

/* The reports on the daemon's ledger as it is (bench_reports.c): one row
 * per report, named `prefix` + kind. 0 or -1. */
int bench_reports_now(const bench_options *o, void *ctx, const bench_daemon *d,
                      const char *prefix, bench_results *res);
/* The reports on a ledger of its own as it grows from o->households to
 * 10x o->households entries (rows "scale_<kind>"). 0 or -1. */
int bench_reports_scale(const bench_options *o, void *ctx, bench_results *res);

#endif
