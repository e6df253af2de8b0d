/*
 * web_load - a load generator for jifen-web (bench/web_bench.sh runs it):
 * U concurrent signed-in desk users, each on its own keep-alive HTTP/1.1
 * connection, doing the front desk's work in a loop - find a household,
 * open it (balance, history, the redeem cap), fetch a form's request id,
 * take a payment, open its slip - plus the desk page itself, for S
 * seconds. Prints the latency percentiles of each kind of request, the
 * throughput, and jifen-web's memory (VmRSS, VmHWM of --pid) as JSON.
 *
 *   web_load --port P --users U --households H --seconds S --pid PID
 *            [--password PW] [--prefix load]
 *
 * Users are PREFIX1..PREFIXU (terminal role), households h00001..hH.
 * Plain sockets, no HTTP library: the measured time is jifen-web's and
 * jifend's, not a client library's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { K_SEARCH, K_HOUSEHOLD, K_REQUEST_ID, K_PAY, K_SLIP, K_PAGE, K_SIGNIN, K_N };
static const char *const KIND_NAMES[K_N] = {
    "api_search", "api_household", "api_request_id", "api_pay",
    "api_slip",   "page_desk",     "signin"};

static unsigned g_port, g_users = 50, g_households = 1000, g_seconds = 20;
static const char *g_password = "load-password-1", *g_prefix = "load";
static volatile bool g_stop;
/* Everybody signs in first (Argon2id, a few at a time), then the clock
 * starts: the figures are of desk work, not of the sign-in ramp. */
static pthread_barrier_t g_ready;

typedef struct {
    unsigned id;
    int fd;
    char cookie[128], csrf[80];
    uint64_t *lat[K_N]; /* microseconds */
    size_t n[K_N], cap[K_N];
    unsigned errors, cycles;
    char err[256];
} worker;

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int connect_once(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One request on the worker's connection; the body goes to out (at most
 * cap). Returns the HTTP status, or -1 (the connection is then renewed). */
static int request(worker *w, const char *method, const char *path,
                   const char *body, char *out, size_t cap)
{
    char req[2048], cookie[160] = "", csrf[120] = "";
    if (w->cookie[0])
        snprintf(cookie, sizeof cookie, "Cookie: %s\r\n", w->cookie);
    if (w->csrf[0])
        snprintf(csrf, sizeof csrf, "X-CSRF-Token: %s\r\n", w->csrf);
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Connection: keep-alive\r\n%s%s"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     method, path, g_port, cookie, csrf,
                     body ? strlen(body) : 0, body ? body : "");
    for (int attempt = 0; attempt < 2; attempt++) {
        if (w->fd < 0 && (w->fd = connect_once()) < 0)
            return -1;
        if (send(w->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
            close(w->fd);
            w->fd = -1;
            continue;
        }
        static __thread char buf[1 << 17];
        size_t got = 0;
        char *end = NULL;
        while (end == NULL && got < sizeof buf - 1) {
            ssize_t r = recv(w->fd, buf + got, sizeof buf - 1 - got, 0);
            if (r <= 0)
                break;
            got += (size_t)r;
            buf[got] = '\0';
            end = strstr(buf, "\r\n\r\n");
        }
        if (end == NULL) {
            close(w->fd);
            w->fd = -1;
            continue;
        }
        int status = atoi(buf + 9);
        const char *cl = strcasestr(buf, "\r\nContent-Length:");
        size_t len = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
        const char *sc = strcasestr(buf, "\r\nSet-Cookie: jifen_session=");
        if (sc && sc < end) {
            const char *v = sc + 14, *semi = strchr(v, ';');
            snprintf(w->cookie, sizeof w->cookie, "%.*s", (int)(semi - v), v);
        }
        size_t head = (size_t)(end + 4 - buf);
        while (got < head + len && got < sizeof buf - 1) {
            ssize_t r = recv(w->fd, buf + got, sizeof buf - 1 - got, 0);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (got < head + len) {
            close(w->fd);
            w->fd = -1;
            return -1;
        }
        if (out) {
            size_t c = len < cap - 1 ? len : cap - 1;
            memcpy(out, buf + head, c);
            out[c] = '\0';
        }
        return status;
    }
    return -1;
}

static void record(worker *w, int kind, uint64_t us)
{
    if (w->n[kind] == w->cap[kind]) {
        w->cap[kind] = w->cap[kind] ? w->cap[kind] * 2 : 4096;
        w->lat[kind] = realloc(w->lat[kind], w->cap[kind] * sizeof(uint64_t));
    }
    w->lat[kind][w->n[kind]++] = us;
}

/* A JSON string field's value (no escapes in what is read here). */
static bool field(const char *json, const char *name, char *out, size_t cap)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = strstr(json, key);
    if (!p)
        return false;
    p += strlen(key);
    const char *q = strchr(p, '"');
    if (!q || (size_t)(q - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return true;
}

static int timed(worker *w, int kind, const char *method, const char *path,
                 const char *body, char *out, size_t cap, int want)
{
    uint64_t t0 = now_us();
    int st = request(w, method, path, body, out, cap);
    record(w, kind, now_us() - t0);
    if (st != want) {
        w->errors++;
        if (!w->err[0])
            snprintf(w->err, sizeof w->err, "%s %s: HTTP %d %.120s", method,
                     path, st, out ? out : "");
        return -1;
    }
    return 0;
}

static void *run(void *arg)
{
    worker *w = arg;
    char body[512], out[1 << 16], rid[80], path[256], h[16];
    w->fd = -1;
    snprintf(body, sizeof body, "{\"user\":\"%s%u\",\"password\":\"%s\"}",
             g_prefix, w->id + 1, g_password);
    if (timed(w, K_SIGNIN, "POST", "/api/session", body, out, sizeof out,
              200) != 0 ||
        !field(out, "csrf", w->csrf, sizeof w->csrf)) {
        fprintf(stderr, "web_load: user %u cannot sign in: %s\n", w->id + 1,
                w->err);
        pthread_barrier_wait(&g_ready);
        return NULL;
    }
    pthread_barrier_wait(&g_ready);
    unsigned seed = w->id * 2654435761u + 1;
    while (!g_stop) {
        unsigned k = (unsigned)(rand_r(&seed) % g_households) + 1;
        snprintf(h, sizeof h, "h%05u", k);
        snprintf(path, sizeof path, "/api/households?q=h%04u", k / 10);
        timed(w, K_SEARCH, "GET", path, NULL, out, sizeof out, 200);
        snprintf(path, sizeof path, "/api/household?h=%s", h);
        timed(w, K_HOUSEHOLD, "GET", path, NULL, out, sizeof out, 200);
        if (timed(w, K_REQUEST_ID, "GET", "/api/request-id", NULL, out,
                  sizeof out, 200) != 0 ||
            !field(out, "request_id", rid, sizeof rid))
            continue;
        snprintf(body, sizeof body,
                 "{\"household\":\"%s\",\"amount\":\"1.25\","
                 "\"request_id\":\"%s\"}",
                 h, rid);
        if (timed(w, K_PAY, "POST", "/api/desk/pay", body, out, sizeof out,
                  200) != 0)
            continue;
        char entry[32] = "";
        const char *e = strstr(out, "\"entry\":");
        if (e)
            snprintf(entry, sizeof entry, "%lu", strtoul(e + 8, NULL, 10));
        snprintf(path, sizeof path, "/api/desk/slip?h=%s&entry=%s", h, entry);
        timed(w, K_SLIP, "GET", path, NULL, out, sizeof out, 200);
        timed(w, K_PAGE, "GET", "/desk", NULL, out, sizeof out, 200);
        w->cycles++;
    }
    if (w->fd >= 0)
        close(w->fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            v = strtol(line + strlen(key), NULL, 10);
    if (f)
        fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    pid_t pid = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port")) g_port = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--users")) g_users = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--households")) g_households = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) g_seconds = (unsigned)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pid")) pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--password")) g_password = argv[i + 1];
        else if (!strcmp(argv[i], "--prefix")) g_prefix = argv[i + 1];
        else {
            fprintf(stderr, "web_load: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (g_port == 0 || g_users == 0 || g_users > 1000 || g_households == 0) {
        fprintf(stderr, "usage: web_load --port P [--users U] [--households H] "
                        "[--seconds S] [--pid PID]\n");
        return 2;
    }
    worker *ws = calloc(g_users, sizeof *ws);
    pthread_t *th = calloc(g_users, sizeof *th);
    pthread_barrier_init(&g_ready, NULL, g_users + 1);
    for (unsigned i = 0; i < g_users; i++) {
        ws[i].id = i;
        pthread_create(&th[i], NULL, run, &ws[i]);
    }
    pthread_barrier_wait(&g_ready);
    uint64_t t0 = now_us();
    long rss_peak_during = -1;
    for (unsigned s = 0; s < g_seconds; s++) {
        sleep(1);
        long r = pid ? status_kb(pid, "VmRSS:") : -1;
        if (r > rss_peak_during)
            rss_peak_during = r;
    }
    g_stop = true;
    for (unsigned i = 0; i < g_users; i++)
        pthread_join(th[i], NULL);
    double secs = (double)(now_us() - t0) / 1e6;

    unsigned errors = 0, cycles = 0;
    size_t total = 0;
    printf("{\"users\": %u, \"households\": %u, \"seconds\": %.1f,\n", g_users,
           g_households, secs);
    for (int k = 0; k < K_N; k++) {
        size_t n = 0;
        for (unsigned i = 0; i < g_users; i++)
            n += ws[i].n[k];
        uint64_t *all = calloc(n ? n : 1, sizeof *all);
        size_t o = 0;
        for (unsigned i = 0; i < g_users; i++) {
            memcpy(all + o, ws[i].lat[k], ws[i].n[k] * sizeof *all);
            o += ws[i].n[k];
        }
        qsort(all, n, sizeof *all, cmp);
        if (k != K_SIGNIN)
            total += n;
        printf(" \"%s\": {\"n\": %zu, \"per_s\": %.1f, \"p50_ms\": %.2f, "
               "\"p99_ms\": %.2f, \"max_ms\": %.2f},\n",
               KIND_NAMES[k], n, k == K_SIGNIN ? 0.0 : (double)n / secs,
               n ? (double)all[n / 2] / 1000 : 0,
               n ? (double)all[(n * 99) / 100] / 1000 : 0,
               n ? (double)all[n - 1] / 1000 : 0);
        free(all);
    }
    for (unsigned i = 0; i < g_users; i++) {
        errors += ws[i].errors;
        cycles += ws[i].cycles;
        if (ws[i].err[0] && i < 3)
            fprintf(stderr, "web_load: user %u: %s\n", i + 1, ws[i].err);
        for (int k = 0; k < K_N; k++)
            free(ws[i].lat[k]);
    }
    printf(" \"requests_per_s\": %.1f, \"desk_cycles_per_s\": %.1f, "
           "\"errors\": %u,\n",
           (double)total / secs, (double)cycles / secs, errors);
    printf(" \"jifen_web_rss_mb\": %.1f, \"jifen_web_peak_rss_mb\": %.1f}\n",
           rss_peak_during / 1024.0,
           pid ? status_kb(pid, "VmHWM:") / 1024.0 : -1.0);
    free(ws);
    free(th);
    return errors ? 1 : 0;
}
