/*
 * http - jifen-web's HTTP server: the only module that includes
 * microhttpd.h. It accepts connections (plain HTTP, or HTTPS with GnuTLS
 * through libmicrohttpd), reads a request and its body (bounded), hands it
 * to one dispatch function and sends back what that function filled in.
 * Everything above it sees only web_request and web_response.
 */
#ifndef JIFEN_WEB_HTTP_H
#define JIFEN_WEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define WEB_HEADERS_MAX 12
#define WEB_ADDRESS_MAX 64

typedef struct {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* the URL's path, without the query string */
    char remote[WEB_ADDRESS_MAX]; /* the peer's address, "127.0.0.1" */
    const char *body;    /* NUL-terminated; "" when none */
    size_t body_len;
    bool body_too_large; /* the body was cut off: refuse the request */
    bool tls;
    void *conn;          /* the library's connection; http.c only */
} web_request;

/* A header, a cookie or a query-string argument (decoded), or NULL. */
const char *web_request_header(const web_request *r, const char *name);
const char *web_request_cookie(const web_request *r, const char *name);
const char *web_request_arg(const web_request *r, const char *name);

typedef struct {
    int status;
    const char *content_type;
    char *body;          /* malloc'd (freed after sending) unless is_static */
    size_t len;
    bool is_static;      /* body points at data that outlives the server */
    size_t n_headers;
    char *headers[WEB_HEADERS_MAX][2]; /* malloc'd name and value */
} web_response;

/* Adds a response header (copied). Silently refuses nothing: past
 * WEB_HEADERS_MAX it aborts, since that is a programming error. */
void web_response_header(web_response *r, const char *name,
                         const char *value);
/* Takes a malloc'd body. */
void web_response_body(web_response *r, int status, const char *type,
                       char *body, size_t len);

typedef void (*web_dispatch_fn)(void *app, const web_request *req,
                                web_response *resp);

typedef struct {
    const char *address; /* "127.0.0.1", "::1", "0.0.0.0" */
    unsigned port;       /* 0: any free port (see web_http_port) */
    const char *tls_cert_pem; /* both NULL: plain HTTP */
    const char *tls_key_pem;
    unsigned threads;    /* worker threads */
    size_t body_max;     /* bytes */
    unsigned connection_timeout_s;
} web_http_options;

typedef struct web_http web_http;

/* Starts serving in threads of its own. NULL with the reason in err. */
web_http *web_http_start(const web_http_options *opt, web_dispatch_fn fn,
                         void *app, char *err, size_t errlen);
unsigned web_http_port(const web_http *h);
void web_http_stop(web_http **h_p);

#endif
