/*
 * codec - the one module that touches the generated protobuf-c types.
 *
 * Converts the wire messages of proto/jifen/v1/jifen.proto to and from the
 * plain structs of jifen_types.h, and validates everything it decodes: a
 * decoded request is structurally sound (sizes, required fields, ranges,
 * character sets, no unknown fields), so the ledger only checks domain rules.
 *
 * Error convention: functions that can fail return a jifen_status
 * (JIFEN_STATUS_OK on success) and write a human-readable reason into
 * err[errlen] that names the offending field.
 */
#ifndef JIFEN_CODEC_H
#define JIFEN_CODEC_H

#include "jifen_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- requests ----------------------------------------------------------- */

/* Checks one command's fields against the bounds of jifen_types.h (used by
 * the decoder, and by clients before they send anything). */
jifen_status codec_command_validate(const jifen_command *cmd, char *err,
                                    size_t errlen);

/* Decodes and validates a request frame. Also refuses: an empty batch, more
 * than JIFEN_BATCH_MAX commands, a mix of writes and queries, a write request
 * without a request id. On success `out` owns its commands (free with
 * codec_request_clear); on failure `out` is left cleared. */
jifen_status codec_request_decode(const uint8_t *buf, size_t len,
                                  jifen_request *out, char *err,
                                  size_t errlen);

/* Encodes a request. *out is malloc'd; the caller frees it. Returns 0, or -1
 * when memory runs out. */
int codec_request_encode(const jifen_request *req, uint8_t **out,
                         size_t *out_len);

/* Streams the request's commands in canonical encoding, request id left
 * out, to fn: what idempotency compares, once hashed (the daemon hashes
 * them with its one SHA-256, hash.h). Allocates nothing. */
typedef void (*codec_bytes_fn)(void *ctx, const uint8_t *data, size_t len);
void codec_request_canonical(const jifen_request *req, codec_bytes_fn fn,
                             void *ctx);

void codec_request_clear(jifen_request *req);

/* The codec's own rules for one field, for a client that checks a form
 * before it builds a command (jifen-web): a household code, an activity or
 * rule code, a request id, and text (UTF-8 without control characters; n
 * bytes, length bounds are the caller's). */
bool codec_household_ok(const char *s);
bool codec_code_ok(const char *s);
bool codec_request_id_ok(const char *s);
bool codec_text_ok(const char *s, size_t n);
/* How many bytes of s[0..n) from the start are valid UTF-8 (n: all of
 * them), control characters and all: a file's text (client/encoding.c). */
size_t codec_utf8_valid_prefix(const char *s, size_t n);

/* --- replies ------------------------------------------------------------ */

/* Encodes a reply. *out is malloc'd; the caller frees it. 0 or -1 (memory). */
int codec_reply_encode(const jifen_reply *reply, uint8_t **out,
                       size_t *out_len);

/* Decodes a reply (client side). On success `out` owns its results and their
 * history arrays (free with codec_reply_clear). */
jifen_status codec_reply_decode(const uint8_t *buf, size_t len,
                                jifen_reply *out, char *err, size_t errlen);

/* Frees what a decoded or assembled reply owns: every result's history
 * array, then the results array. Leaves the reply zeroed. */
void codec_reply_clear(jifen_reply *reply);

/* Releases one result's history array (results built by the daemon). */
void codec_result_clear(jifen_result *result);

/* Rewrites a stored reply for an idempotent retry: every OK result becomes
 * EXISTS. */
void codec_reply_mark_replayed(jifen_reply *reply);

/* --- names -------------------------------------------------------------- */

/* "household_add", "award", ... */
const char *codec_command_name(jifen_command_kind kind);
/* "points" / "fee" */
const char *codec_asset_name(jifen_asset asset);

#ifdef __cplusplus
}
#endif
#endif /* JIFEN_CODEC_H */
