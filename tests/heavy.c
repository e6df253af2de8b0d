/*
 * heavy - sends query requests of many commands, once or in a loop, and
 * says what came back: the load of the resource tests (query_load.sh) and
 * of the figures in docs/security.md.
 *
 *     heavy ENDPOINT KIND N [SECONDS]
 *
 * One request of N commands of KIND: history (of HEAVY_HOUSEHOLD, default
 * h1, default limit), verify, ageing (report ageing), balance, mixed (a
 * verify and N - 1 balances). With
 * SECONDS it sends such requests back to back for that long. It prints one
 * line per reply when it sends one, and at the end
 *
 *     sent=N ok=N too_costly=N busy=N other=N noreply=N p50_ms=X p99_ms=X
 * max_ms=X
 *
 * (latencies of the replies that came). Keys as for the CLI: JIFEN_KEY,
 * JIFEN_SERVER_KEY; HEAVY_TIMEOUT_MS (default 60000) per try, no retries.
 * Exit 0 when every request got a reply, 3 when one did not, 2 usage.
 */
#include "jifen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int fill(jifen_request *req, const char *kind, size_t n)
{
    const char *h = getenv("HEAVY_HOUSEHOLD");
    memset(req, 0, sizeof *req);
    req->commands = calloc(n, sizeof *req->commands);
    if (!req->commands)
        return -1;
    req->n_commands = n;
    for (size_t i = 0; i < n; i++) {
        jifen_command *c = &req->commands[i];
        if (strcmp(kind, "history") == 0 || strcmp(kind, "balance") == 0) {
            c->kind = kind[0] == 'h' ? JIFEN_CMD_HISTORY : JIFEN_CMD_BALANCE;
            snprintf(c->household, sizeof c->household, "%s", h ? h : "h1");
        } else if (strcmp(kind, "verify") == 0) {
            c->kind = JIFEN_CMD_VERIFY;
        } else if (strcmp(kind, "mixed") == 0) {
            /* A verify, then balances: the most work and results one
             * request may have within the limits. */
            c->kind = i == 0 ? JIFEN_CMD_VERIFY : JIFEN_CMD_BALANCE;
            snprintf(c->household, sizeof c->household, "%s",
                     i == 0 ? ""
                     : h    ? h
                            : "h1");
        } else if (strcmp(kind, "ageing") == 0) {
            c->kind = JIFEN_CMD_REPORT;
            snprintf(c->code, sizeof c->code, "ageing");
        } else {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: heavy ENDPOINT KIND N [SECONDS]\n");
        return 2;
    }
    size_t n = strtoul(argv[3], NULL, 10);
    double seconds = argc == 5 ? atof(argv[4]) : 0;
    const char *timeout = getenv("HEAVY_TIMEOUT_MS");
    jifen_request req;
    char err[512];
    if (n == 0 || n > JIFEN_BATCH_MAX || fill(&req, argv[2], n) != 0) {
        fprintf(stderr, "heavy: bad KIND or N\n");
        return 2;
    }
    jifen_client *c = jifen_client_new(argv[1]);
    if (!c || jifen_client_set_curve(
                  c, getenv("JIFEN_KEY") ? getenv("JIFEN_KEY") : "",
                  getenv("JIFEN_SERVER_KEY") ? getenv("JIFEN_SERVER_KEY") : "",
                  err, sizeof err) != 0) {
        fprintf(stderr, "heavy: keys: %s\n", err);
        return 2;
    }
    jifen_client_set_timeout(c, timeout ? atoi(timeout) : 60000, 0);
    size_t cap = 1024, n_lat = 0;
    double *lat = malloc(cap * sizeof *lat);
    unsigned long sent = 0, ok = 0, costly = 0, busy = 0, other = 0,
                  noreply = 0;
    double start = now_ms();
    do {
        jifen_reply reply;
        double t0 = now_ms();
        sent++;
        jifen_call_status st =
            jifen_client_call(c, &req, &reply, err, sizeof err);
        double took = now_ms() - t0;
        if (st != JIFEN_CALL_OK) {
            noreply++;
            fprintf(stderr, "heavy: %s\n", err);
            continue;
        }
        if (n_lat == cap) {
            cap *= 2;
            lat = realloc(lat, cap * sizeof *lat);
        }
        lat[n_lat++] = took;
        if (reply.status == JIFEN_STATUS_OK)
            ok++;
        else if (reply.status == JIFEN_STATUS_REQUEST_TOO_COSTLY)
            costly++;
        else if (reply.status == JIFEN_STATUS_BUSY)
            busy++;
        else
            other++;
        if (seconds == 0) {
            size_t entries = 0;
            for (size_t i = 0; i < reply.n_results; i++)
                entries += reply.results[i].n_history;
            printf("status=%s results=%zu history_entries=%zu ms=%.1f "
                   "error=%s first=%s first_error=%s\n",
                   jifen_status_name(reply.status), reply.n_results, entries,
                   took, reply.error,
                   reply.n_results ? jifen_status_name(reply.results[0].status)
                                   : "-",
                   reply.n_results ? reply.results[0].error : "");
        }
        jifen_reply_clear(&reply);
    } while (seconds > 0 && now_ms() - start < seconds * 1000);
    qsort(lat, n_lat, sizeof *lat, cmp_double);
    printf("sent=%lu ok=%lu too_costly=%lu busy=%lu other=%lu noreply=%lu "
           "p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
           sent, ok, costly, busy, other, noreply, n_lat ? lat[n_lat / 2] : 0,
           n_lat ? lat[n_lat * 99 / 100] : 0, n_lat ? lat[n_lat - 1] : 0);
    free(lat);
    free(req.commands);
    jifen_client_destroy(&c);
    return noreply ? 3 : 0;
}
