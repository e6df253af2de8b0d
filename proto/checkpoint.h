/*
 * checkpoint - the signed head of the ledger as one printable line, shared
 * by the daemon (which signs) and the clients (which check). Two versions:
 *
 *   jifen-sth1 <size> <UTC time> <root> <head> <signature>
 *
 * a signed tree head (RFC 9162's STH, in one line): the ledger had <size>
 * entries, <root> is the Merkle tree head of those entries (common/merkle.h)
 * and <head> the SHA-256 of entry <size>'s stored bytes (the hash chain's
 * head); the three binary fields are standard base64 with padding (44, 44
 * and 88 characters), as in C2SP's tlog checkpoints, so that the line stays
 * within 231 characters for a notice board and a small QR code. And the
 * older chain head alone, still accepted everywhere:
 *
 *   jifen-cp1 <entry> <UTC time> <SHA-256 of entry, hex> <Ed25519 sig, hex>
 *
 * e.g. "jifen-cp1 1000 2026-11-26T09:40:00Z 3a7b...e1 9c0d...07". Either
 * way the Ed25519 signature covers the line up to the space before it,
 * byte for byte (the version tag included, so a signature of one kind is
 * never one of the other), and anyone with the public key and any Ed25519
 * library can check it (docs/proofs.md, docs/operations.md).
 */
#ifndef JIFEN_CHECKPOINT_H
#define JIFEN_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>

#define CHECKPOINT_PREFIX "jifen-cp1"
#define CHECKPOINT_STH_PREFIX "jifen-sth1"
#define CHECKPOINT_TEXT_MAX 256
#define CHECKPOINT_PUBLIC_LEN 32
#define CHECKPOINT_SECRET_LEN 64

typedef struct {
    uint64_t entry;           /* sth1: the tree size, the last entry */
    int64_t time_s;           /* Unix time of signing */
    uint8_t hash[32];         /* SHA-256 of entry's stored bytes */
    bool has_root;            /* a signed tree head (jifen-sth1) */
    uint8_t root[32];         /* ... the Merkle root of entries 1..entry */
    uint8_t signature[64];
    size_t signed_len;        /* bytes of the text the signature covers */
    char text[CHECKPOINT_TEXT_MAX];
} checkpoint;

/* Builds and signs a checkpoint into cp (cp->text is the printable line).
 * 0, or -1. */
int checkpoint_sign(checkpoint *cp, uint64_t entry, const uint8_t hash[32],
                    int64_t time_s,
                    const uint8_t secret[CHECKPOINT_SECRET_LEN]);

/* Builds and signs a signed tree head (jifen-sth1): `size` entries, their
 * Merkle root and the chain head (the hash of entry `size`). 0, or -1. */
int checkpoint_sign_tree(checkpoint *cp, uint64_t size, const uint8_t root[32],
                         const uint8_t head[32], int64_t time_s,
                         const uint8_t secret[CHECKPOINT_SECRET_LEN]);

/* Parses a line of either version (surrounding blanks allowed). 0, or -1
 * with a reason. */
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
