/*
 * http - see http.h. libmicrohttpd runs its own threads (a pool of
 * `threads` polling threads); each request is read whole, up to body_max,
 * then dispatched on the thread that read it. Handlers may block on the
 * ledger for a few milliseconds: that is what the pool is for.
 */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct web_http {
    struct MHD_Daemon *d;
    web_dispatch_fn fn;
    void *app;
    size_t body_max;
    bool tls;
};

typedef struct {
    char *body;
    size_t len, cap;
    bool too_large;
} conn_ctx;

const char *web_request_header(const web_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *web_request_cookie(const web_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *web_request_arg(const web_request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p == NULL)
        abort(); /* a header of a few bytes: nothing sensible to do */
    memcpy(p, s, n);
    return p;
}

void web_response_header(web_response *r, const char *name, const char *value)
{
    if (r->n_headers == WEB_HEADERS_MAX)
        abort();
    r->headers[r->n_headers][0] = dup_text(name);
    r->headers[r->n_headers][1] = dup_text(value);
    r->n_headers++;
}

void web_response_body(web_response *r, int status, const char *type,
                       char *body, size_t len)
{
    if (!r->is_static)
        free(r->body);
    r->status = status;
    r->content_type = type;
    r->body = body;
    r->len = len;
    r->is_static = false;
}

static void response_free(web_response *r)
{
    if (!r->is_static)
        free(r->body);
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->headers[i][0]);
        free(r->headers[i][1]);
    }
}

static void remote_of(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "?");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  out, (socklen_t)cap);
}

static int append(conn_ctx *c, const char *data, size_t n, size_t max)
{
    if (c->too_large || c->len + n > max) {
        c->too_large = true;
        return 0;
    }
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (cap < c->len + n + 1)
            cap *= 2;
        char *p = realloc(c->body, cap);
        if (p == NULL)
            return -1;
        c->body = p;
        c->cap = cap;
    }
    memcpy(c->body + c->len, data, n);
    c->len += n;
    c->body[c->len] = '\0';
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    web_http *h = cls;
    conn_ctx *c = *con_cls;
    (void)version;
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL)
            return MHD_NO;
        *con_cls = c;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        int rc = append(c, upload, *upload_size, h->body_max);
        *upload_size = 0;
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    web_request req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.body = c->body != NULL ? c->body : "";
    req.body_len = c->len;
    req.body_too_large = c->too_large;
    req.tls = h->tls;
    req.conn = conn;
    remote_of(conn, req.remote, sizeof req.remote);

    web_response resp;
    memset(&resp, 0, sizeof resp);
    resp.status = 500;
    resp.content_type = "text/plain; charset=utf-8";
    h->fn(h->app, &req, &resp);

    struct MHD_Response *r = MHD_create_response_from_buffer(
        resp.len, resp.body,
        resp.is_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        response_free(&resp);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp.content_type);
    for (size_t i = 0; i < resp.n_headers; i++)
        MHD_add_response_header(r, resp.headers[i][0], resp.headers[i][1]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    response_free(&resp);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    conn_ctx *c = *con_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (c != NULL) {
        free(c->body);
        free(c);
        *con_cls = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("jifen-web: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

web_http *web_http_start(const web_http_options *opt, web_dispatch_fn fn,
                         void *app, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                     MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, opt->address, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)opt->port);
    } else if (inet_pton(AF_INET6, opt->address, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)opt->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "listen: '%s' is not an IPv4 or IPv6 address",
                 opt->address);
        return NULL;
    }
    bool tls = opt->tls_cert_pem != NULL;
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "this libmicrohttpd was built without TLS");
        return NULL;
    }
    web_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->fn = fn;
    h->app = app;
    h->body_max = opt->body_max;
    h->tls = tls;
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)opt->threads, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)opt->connection_timeout_s,
         NULL},
        {MHD_OPTION_CONNECTION_LIMIT, 1000, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_done, NULL},
        /* Plain HTTP: the list ends here. */
        {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0,
         (void *)opt->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opt->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (tls)
        flags |= MHD_USE_TLS;
    h->d = MHD_start_daemon(flags, (uint16_t)opt->port, NULL, NULL,
                            on_request, h, MHD_OPTION_ARRAY, ops,
                            MHD_OPTION_END);
    if (h->d == NULL) {
        snprintf(err, errlen,
                 "cannot serve on %s port %u (in use, not an address of "
                 "this machine, or a bad certificate or key)",
                 opt->address, opt->port);
        free(h);
        return NULL;
    }
    return h;
}

unsigned web_http_port(const web_http *h)
{
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return di != NULL ? di->port : 0;
}

void web_http_stop(web_http **h_p)
{
    web_http *h = *h_p;
    if (h == NULL)
        return;
    MHD_stop_daemon(h->d);
    free(h);
    *h_p = NULL;
}
