/*
 * backend - jifen-web's way to jifend: libjifen over CURVE, one client per
 * key (each web user's own, and the public pages' service key), each used
 * by one request at a time. Clients are made on first use and kept.
 */
#ifndef JIFEN_WEB_BACKEND_H
#define JIFEN_WEB_BACKEND_H

#include "jifen.h"

typedef struct backend backend;

backend *backend_new(const char *endpoint, const char *server_key,
                     int timeout_ms);
void backend_destroy(backend **b_p);

/* Sends `req` with the secret key in key_file (the client for that file
 * is made once and reused). Like jifen_client_call; a client that cannot
 * be set up gives JIFEN_CALL_INVALID with the reason in err. */
jifen_call_status backend_call(backend *b, const char *key_file,
                               const jifen_request *req, jifen_reply *reply,
                               char *err, size_t errlen);
/* The same waiting timeout_ms for the reply, and resending `retries`
 * times: the reports, verify and the roll-up, which over many communities
 * take seconds, and which a resend would only compute again behind the
 * first (as the CLI waits for them). */
jifen_call_status backend_call_timed(backend *b, const char *key_file,
                                     const jifen_request *req,
                                     jifen_reply *reply, int timeout_ms,
                                     int retries, char *err, size_t errlen);

#endif
