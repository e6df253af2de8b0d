/*
 * web_config - the option table. Adding an option is a row here, a field
 * in web_config.h and a documented line in deploy/jifen-web.conf.
 */
#include "web_config.h"

#include "conffile.h"
#include "spec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OPT_STRING, OPT_NUMBER } option_type;

typedef struct {
    const char *key;
    option_type type;
    size_t offset;
    size_t size;            /* strings: the buffer */
    bool may_be_empty;      /* strings */
    unsigned long min, max; /* numbers: inclusive */
} option_row;

#define STR(k, f, e) {k, OPT_STRING, offsetof(web_config, f), sizeof(((web_config *)0)->f), e, 0, 0}
#define NUM(k, f, lo, hi) {k, OPT_NUMBER, offsetof(web_config, f), 0, false, lo, hi}

static const option_row table[] = {
    STR("listen", listen, false),
    STR("data", data, false),
    STR("server", server, false),
    STR("server_key", server_key, false),
    STR("tls_cert", tls_cert, true),
    STR("tls_key", tls_key, true),
    STR("public_url", public_url, true),
    /* Each worker waits for the ledger a few ms per request. */
    NUM("threads", threads, 1, 64),
    NUM("session_hours", session_hours, 1, 168),
    NUM("idle_minutes", idle_minutes, 1, 1440),
    NUM("signin_failures", signin_failures, 1, 100),
    NUM("address_failures", address_failures, 1, 100000),
    NUM("lock_minutes", lock_minutes, 1, 1440),
    NUM("timeout_ms", timeout_ms, 100, 60000),
    NUM("report_timeout_ms", report_timeout_ms, 1000, 600000),
    STR("community", community, true),
    STR("checkpoint_key", checkpoint_key, true),
};

void web_config_defaults(web_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8080");
    snprintf(cfg->data, sizeof cfg->data, "jifen-web-data");
    snprintf(cfg->server, sizeof cfg->server, "tcp://127.0.0.1:7400");
    snprintf(cfg->server_key, sizeof cfg->server_key, "jifen-data/jifend.pub");
    cfg->threads = 8;
    cfg->session_hours = 8;
    cfg->idle_minutes = 30;
    cfg->signin_failures = 5;
    cfg->address_failures = 20;
    cfg->lock_minutes = 15;
    cfg->timeout_ms = 3000;
    cfg->report_timeout_ms = 120000;
}

static const option_row *find_row(const char *key)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].key, key) == 0)
            return &table[i];
    return NULL;
}

int web_config_set(web_config *cfg, const char *key, const char *value,
                   char *err, size_t errlen)
{
    const option_row *row = find_row(key);
    if (row == NULL) {
        snprintf(err, errlen, "unknown option '%s'", key);
        return -1;
    }
    char *field = (char *)cfg + row->offset;
    if (row->type == OPT_STRING) {
        if (*value == '\0' && !row->may_be_empty) {
            snprintf(err, errlen, "%s: must not be empty", key);
            return -1;
        }
        if (strlen(value) >= row->size) {
            snprintf(err, errlen, "%s: '%.40s...' is longer than %zu bytes",
                     key, value, row->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    }
    unsigned long v = 0;
    errno = 0;
    if (*value == '\0' || strspn(value, "0123456789") != strlen(value) ||
        (v = strtoul(value, NULL, 10), errno) || v < row->min ||
        v > row->max) {
        snprintf(err, errlen, "%s: '%s' is not a whole number from %lu to %lu",
                 key, value, row->min, row->max);
        return -1;
    }
    memcpy(field, &v, sizeof v);
    return 0;
}

static int set_option(void *target, const char *key, const char *value,
                      char *err, size_t errlen)
{
    return web_config_set(target, key, value, err, errlen);
}

int web_config_load(web_config *cfg, const char *path, char *err,
                    size_t errlen)
{
    return conffile_load(path, set_option, cfg, err, errlen);
}

int web_config_listen(const web_config *cfg, char *address, size_t cap,
                      unsigned *port)
{
    const char *colon = strrchr(cfg->listen, ':');
    const char *host = cfg->listen;
    size_t hlen;
    if (colon == NULL)
        return -1;
    hlen = (size_t)(colon - host);
    if (host[0] == '[') { /* [::1]:8080 */
        if (hlen < 2 || host[hlen - 1] != ']')
            return -1;
        host++;
        hlen -= 2;
    }
    const char *p = colon + 1;
    if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5 ||
        hlen == 0 || hlen >= cap)
        return -1;
    unsigned long v = strtoul(p, NULL, 10);
    if (v > 65535)
        return -1;
    memcpy(address, host, hlen);
    address[hlen] = '\0';
    *port = (unsigned)v;
    return 0;
}

static bool loopback(const char *address)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, address, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, address, &a6) == 1 &&
           IN6_IS_ADDR_LOOPBACK(&a6);
}

int web_config_check(const web_config *cfg, char *err, size_t errlen)
{
    char address[128];
    unsigned port;
    struct in_addr a4;
    struct in6_addr a6;
    if (web_config_listen(cfg, address, sizeof address, &port) != 0 ||
        (inet_pton(AF_INET, address, &a4) != 1 &&
         inet_pton(AF_INET6, address, &a6) != 1)) {
        snprintf(err, errlen,
                 "listen: '%s' is not ADDRESS:PORT (127.0.0.1:8080, "
                 "[::1]:8080, 0.0.0.0:443)",
                 cfg->listen);
        return -1;
    }
    if (cfg->community[0] && !spec_community_ok(cfg->community)) {
        snprintf(err, errlen,
                 "community: '%s' is not a community code (1-32 of A-Z a-z "
                 "0-9 . _ -, not starting with a dot)",
                 cfg->community);
        return -1;
    }
    if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
        snprintf(err, errlen, "tls_cert and tls_key go together: give both "
                              "(HTTPS) or neither (plain HTTP, loopback only)");
        return -1;
    }
    /* Passwords and session cookies never cross a network in the clear. */
    if (!cfg->tls_cert[0] && !loopback(address)) {
        snprintf(err, errlen,
                 "listen: %s is not a loopback address, so jifen-web needs "
                 "HTTPS: set tls_cert and tls_key (or listen on 127.0.0.1 "
                 "behind a TLS proxy)",
                 address);
        return -1;
    }
    return 0;
}

void web_config_print(const web_config *cfg, void *file)
{
    FILE *f = file;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const char *field = (const char *)cfg + table[i].offset;
        unsigned long v;
        if (table[i].type == OPT_STRING) {
            fprintf(f, "%s = %s\n", table[i].key, field);
        } else {
            memcpy(&v, field, sizeof v);
            fprintf(f, "%s = %lu\n", table[i].key, v);
        }
    }
}
