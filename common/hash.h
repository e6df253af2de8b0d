/*
 * hash - the one SHA-256 of jifend and of the jifen CLI (nettle; hex via
 * libsodium): the journal's hash chain, requests' idempotency digests, the
 * Merkle tree (merkle.h) and the CLI's checks of proofs.
 */
#ifndef JIFEN_HASH_H
#define JIFEN_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_LEN 32

/* Initialises libsodium; call once before anything else. 0 or -1. */
int hash_init(void);

void hash_sha256(const void *data, size_t len, uint8_t out[HASH_LEN]);
/* SHA-256 of a || b, without copying them together. */
void hash_sha256_2(const void *a, size_t alen, const void *b, size_t blen,
                   uint8_t out[HASH_LEN]);

/* The idempotency digest of a request: SHA-256 of its commands in
 * canonical encoding, request id left out (codec_request_canonical). */
void hash_request_digest(const void *request, uint8_t out[HASH_LEN]);

/* Lowercase hex of n bytes into buf (2n+1 bytes). Returns buf. */
char *hash_hex(const uint8_t *bytes, size_t n, char *buf, size_t len);

#endif
