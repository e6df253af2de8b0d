/*
 * jifen.h - client library for the jifen points ledger.
 *
 * Link with -ljifen (pkg-config jifen). A client builds a jifen_request of one
 * or more jifen_command (see jifen_types.h), sends it with jifen_client_call,
 * and reads one jifen_result per command from the reply.
 *
 * Retries: every write request carries a request id that the caller makes
 * (jifen_request_id_new) and keeps before sending. When no reply arrives
 * within the timeout, the library drops the connection and resends the same
 * bytes with the same id (ZeroMQ's "Lazy Pirate" pattern); the daemon
 * applies a request id at most once, so a retry never applies twice.
 *
 * Ownership: jifen_client_new returns a handle the caller destroys with
 * jifen_client_destroy(&c), which sets c to NULL. A reply filled by
 * jifen_client_call owns memory that jifen_reply_clear releases.
 */
#ifndef JIFEN_H
#define JIFEN_H

#include "jifen_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define JIFEN_DEFAULT_ENDPOINT "tcp://127.0.0.1:7400"
#define JIFEN_DEFAULT_TIMEOUT_MS 3000
#define JIFEN_DEFAULT_RETRIES 3

typedef enum {
    JIFEN_CALL_OK = 0,          /* a reply arrived (look at its status) */
    JIFEN_CALL_UNREACHABLE = 1, /* no reply after every retry */
    JIFEN_CALL_INVALID = 2,     /* the request failed validation; not sent */
    JIFEN_CALL_BAD_REPLY = 3,   /* the reply could not be decoded */
    JIFEN_CALL_NOMEM = 4,
} jifen_call_status;

typedef struct jifen_client jifen_client;

/* A client for `endpoint` (NULL: JIFEN_DEFAULT_ENDPOINT). Connects lazily.
 * NULL when memory or a ZeroMQ context cannot be had. */
jifen_client *jifen_client_new(const char *endpoint);

/* CURVE: every connection to jifend is encrypted and authenticated.
 * `client_secret` is the client's secret key file (made by `jifen keygen`,
 * mode 0600; refused when group or others may read it); `server_public` is
 * jifend's public key, as 40 characters of Z85 or the name of a file holding
 * them (the daemon's DATA/jifend.pub). Without this call the client speaks
 * plain ZeroMQ, which jifend never answers. Returns 0, or -1 with the reason
 * in err (which never contains key material). */
int jifen_client_set_curve(jifen_client *self, const char *client_secret,
                           const char *server_public, char *err, size_t errlen);

/* Writes a new key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub
 * (public, Z85), never over existing files. The public key's Z85 goes to
 * pub_z85. Returns 0, or -1 with the reason in err. */
int jifen_keygen(const char *prefix, char pub_z85[JIFEN_KEY_Z85_LEN + 1],
                 char *err, size_t errlen);

/* Reads a public key given as Z85 or as a file holding it, and writes its
 * Z85 to out. Returns 0, or -1 with the reason in err. */
int jifen_key_z85_read(const char *z85_or_path, char out[JIFEN_KEY_Z85_LEN + 1],
                       char *err, size_t errlen);

/* Per-try timeout and number of resends (defaults above). */
void jifen_client_set_timeout(jifen_client *self, int timeout_ms, int retries);

void jifen_client_destroy(jifen_client **self_p);

/* Validates `request`, sends it and waits for the reply, resending on
 * timeout. On JIFEN_CALL_OK, *reply is filled and owned by the caller
 * (jifen_reply_clear); on JIFEN_CALL_INVALID, err says which field. */
jifen_call_status jifen_client_call(jifen_client *self,
                                    const jifen_request *request,
                                    jifen_reply *reply, char *err,
                                    size_t errlen);

void jifen_reply_clear(jifen_reply *reply);

/* Writes a fresh request id (32 hex characters) into buf: 12 of the time
 * in milliseconds, then 20 random (80 bits), so ids sort by time (as a
 * UUIDv7 does) and the daemon's idempotency index stays cheap to extend. */
void jifen_request_id_new(char buf[JIFEN_REQUEST_ID_MAX + 1]);

/* Parses yuan with at most two decimals ("128", "128.5", "128.50") exactly
 * into fen, without floating point. Refuses signs, exponents, more than two
 * decimals, empty parts, anything not a digit, and amounts above
 * JIFEN_FEN_MAX. Returns 0, or -1. */
int jifen_parse_yuan(const char *text, uint64_t *fen);

/* Formats fen as yuan with two decimals ("-12.05"). Returns buf. */
char *jifen_format_yuan(int64_t fen, char *buf, size_t len);

/* Hex of a hash, 2*JIFEN_HASH_LEN characters plus NUL. Returns buf. */
char *jifen_hex(const uint8_t *bytes, size_t n, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* JIFEN_H */
