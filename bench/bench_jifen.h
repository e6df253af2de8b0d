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

/* The admin key exists only in a service of many communities (--communities),
 * where it is the one key enrolled offline. */
enum { KEY_COMMITTEE, KEY_TERMINAL, KEY_AUDITOR, KEY_ADMIN, N_KEYS };

typedef struct {
    pid_t pid;
    char dir[512];
    char log[600];
    char endpoint[128];
    char server_key[KEYFILE_Z85_LEN + 1];  /* DATA/jifend.pub */
    char pub[N_KEYS][KEYFILE_Z85_LEN + 1]; /* the bench's client keys */
    char secret[N_KEYS][KEYFILE_Z85_LEN + 1];
    bool service;   /* many communities: the keys are the service's */
    double start_s; /* the last start: exec to the "serving" log line */
} bench_daemon;

/* Enrols the bench's keys offline and starts jifend on DIR/ledger, with
 * `policy` (a rule set file) or, when NULL, the embedded default. 0 or -1
 * with the reason on stderr. */
int bench_daemon_start(const bench_options *o, bench_daemon *d, const char *dir,
                       const char *policy);
/* Starts jifend again on d's data directory and keys (after
 * bench_daemon_stop), timing it into d->start_s. 0 or -1. */
int bench_daemon_spawn(const bench_options *o, bench_daemon *d,
                       const char *policy);
/* SIGTERM, then its exit status: 0 or -1. */
int bench_daemon_stop(bench_daemon *d);

/* A REQ socket to the daemon with the key of role k, or NULL. */
void *bench_open_req(void *ctx, const bench_daemon *d, int k);
/* One round trip: 0 with *reply filled (codec_reply_clear), or -1. */
int bench_call(void *sock, const jifen_request *req, jifen_reply *reply);
/* One request answered OK throughout (every result too): 0 with *reply
 * filled (codec_reply_clear), or -1 with why on stderr, naming `what`. */
int bench_call_ok(void *sock, jifen_request *req, jifen_reply *reply,
                  const char *what);
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

/* A closed-loop award storm (o->seconds, one award per request) whose
 * requests name communities: each a random one of codes (random), or
 * client i always codes[i % n_codes]; n_codes 0 names none. The row is
 * `scenario`, with the daemon's commits meanwhile. */
typedef struct {
    char code[JIFEN_COMMUNITY_MAX + 1];
} bench_community;
typedef struct {
    const char *scenario;
    const bench_community *codes;
    unsigned n_codes;
    bool random;
    unsigned clients; /* 0: o->clients */
} bench_storm;
int bench_run_storm(const bench_options *o, void *ctx, const bench_daemon *d,
                    const bench_storm *sp, bench_results *res);

/* The same for every community of codes (n_codes of them): o->households
 * each, a request never spanning two, o->window requests in flight (so
 * consecutive ones, of different communities, commit on different
 * committers). */
int bench_run_batched_in(const bench_options *o, void *ctx,
                         const bench_daemon *d, bench_fill fill, int key,
                         const bench_community *codes, unsigned n_codes,
                         bench_row *row);

/* The reports on the daemon's ledger as it is (bench_reports.c): one row
 * per report, named `prefix` + kind. 0 or -1. */
int bench_reports_now(const bench_options *o, void *ctx, const bench_daemon *d,
                      const char *prefix, bench_results *res);
/* The reports on a ledger of its own as it grows from o->households to
 * 10x o->households entries (rows "scale_<kind>"). 0 or -1. */
int bench_reports_scale(const bench_options *o, void *ctx, bench_results *res);

#endif
