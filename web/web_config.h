/*
 * web_config - jifen-web's settings: one table of options with their
 * ranges (web_config.c), read from a `key = value` file (deploy/
 * jifen-web.conf documents every key) and overridden on the command line
 * through the same table. A bad line stops start-up naming file and line.
 */
#ifndef JIFEN_WEB_CONFIG_H
#define JIFEN_WEB_CONFIG_H

#include <stddef.h>

#define WEB_CONFIG_PATH_MAX 1024

typedef struct {
    char listen[128];              /* ADDRESS:PORT, [IPv6]:PORT */
    char data[WEB_CONFIG_PATH_MAX]; /* users, keys, secrets, sign-in log */
    char server[256];              /* jifend's ZeroMQ endpoint */
    char server_key[WEB_CONFIG_PATH_MAX]; /* jifend.pub, or its Z85 */
    char tls_cert[WEB_CONFIG_PATH_MAX];   /* PEM; "" = plain HTTP */
    char tls_key[WEB_CONFIG_PATH_MAX];
    char public_url[256];          /* the address printed in links */
    unsigned long threads;
    unsigned long session_hours;
    unsigned long idle_minutes;
    unsigned long signin_failures;
    unsigned long address_failures;
    unsigned long lock_minutes;
    unsigned long timeout_ms;
    unsigned long report_timeout_ms; /* reports, verify, the roll-up */
    /* Many communities (docs/communities.md): the community of users,
     * links and boards that name none ("": the service's only one), and
     * the checkpoint signing key residents' pages check tree heads with
     * ("": checkpoint.pub beside server_key, when that is a file). */
    char community[33];
    char checkpoint_key[WEB_CONFIG_PATH_MAX];
} web_config;

void web_config_defaults(web_config *cfg);
int web_config_set(web_config *cfg, const char *key, const char *value,
                   char *err, size_t errlen);
int web_config_load(web_config *cfg, const char *path, char *err,
                    size_t errlen);
/* Cross-option checks: both TLS files or neither; plain HTTP only on a
 * loopback address. 0, or -1 with err. */
int web_config_check(const web_config *cfg, char *err, size_t errlen);
void web_config_print(const web_config *cfg, void *file);

/* Splits listen into address and port. 0, or -1. */
int web_config_listen(const web_config *cfg, char *address, size_t cap,
                      unsigned *port);

#endif
