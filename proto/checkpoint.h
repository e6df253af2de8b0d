/*
 * checkpoint - the signed chain head as one printable line, shared by the
 * daemon (which signs) and the clients (which check):
 *
 *   jifen-cp1 <entry> <UTC time> <SHA-256 of entry, hex> <Ed25519 sig, hex>
 *
 * e.g. "jifen-cp1 1000 2026-11-26T09:40:00Z 3a7b...e1 9c0d...07". The
 * signature covers the line up to the space before it, byte for byte, so
 * anyone with the public key and any Ed25519 library can check it (see
 * docs/operations.md). The line fits on a notice board, and on a QR code.
 */
#ifndef JIFEN_CHECKPOINT_H
#define JIFEN_CHECKPOINT_H

#include <stdint.h>
#include <stddef.h>
#include <time.h>

#define CHECKPOINT_PREFIX "jifen-cp1"
#define CHECKPOINT_TEXT_MAX 256
#define CHECKPOINT_PUBLIC_LEN 32
#define CHECKPOINT_SECRET_LEN 64

typedef struct {
    uint64_t entry;
    int64_t time_s;           /* Unix time of signing */
    uint8_t hash[32];         /* SHA-256 of entry's stored bytes */
    uint8_t signature[64];
    size_t signed_len;        /* bytes of the text the signature covers */
    char text[CHECKPOINT_TEXT_MAX];
} checkpoint;

/* Builds and signs a checkpoint into cp (cp->text is the printable line).
 * 0, or -1. */
int checkpoint_sign(checkpoint *cp, uint64_t entry, const uint8_t hash[32],
                    int64_t time_s,
                    const uint8_t secret[CHECKPOINT_SECRET_LEN]);

/* Parses a line (surrounding blanks allowed). 0, or -1 with a reason. */
int checkpoint_parse(checkpoint *cp, const char *text, char *err,
                     size_t errlen);

/* Checks the signature with the public key. 0 when it holds. */
int checkpoint_check_signature(const checkpoint *cp,
                               const uint8_t public_key[CHECKPOINT_PUBLIC_LEN]);

/* Reads a public key file: 64 hex digits (blanks around allowed). 0 or -1
 * with a reason. */
int checkpoint_read_public_key(const char *path,
                               uint8_t public_key[CHECKPOINT_PUBLIC_LEN],
                               char *err, size_t errlen);

#endif
