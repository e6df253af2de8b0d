/*
 * keyfile - CURVE keys as Z85 text and as files, shared by jifend and the
 * client (no ZeroMQ here: Z85 is coded by hand, keys come from libsodium,
 * whose crypto_box keys are the Curve25519 keys CURVE uses).
 *
 * Files: PREFIX.key holds the secret key, one line of Z85, mode 0600, and
 * is refused when group or others may read it; PREFIX.pub holds the public
 * key, one line of Z85. Error messages name files, never their contents.
 */
#ifndef JIFEN_KEYFILE_H
#define JIFEN_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYFILE_KEY_LEN 32
#define KEYFILE_Z85_LEN 40

/* Z85 (ZeroMQ RFC 32) of a 32-byte key into out[41]. */
void keyfile_z85_encode(const uint8_t key[KEYFILE_KEY_LEN],
                        char out[KEYFILE_Z85_LEN + 1]);
/* Decodes exactly 40 characters of Z85. 0, or -1 when it is not Z85. */
int keyfile_z85_decode(const char *z85, size_t len,
                       uint8_t key[KEYFILE_KEY_LEN]);

/* A fresh key pair. 0, or -1 when libsodium cannot start. */
int keyfile_keypair(uint8_t public_key[KEYFILE_KEY_LEN],
                    uint8_t secret_key[KEYFILE_KEY_LEN]);
/* The public key that belongs to a secret key. */
int keyfile_public_of(const uint8_t secret_key[KEYFILE_KEY_LEN],
                      uint8_t public_key[KEYFILE_KEY_LEN]);

/* Makes a key pair and writes it to secret_path (mode 0600, never over an
 * existing file) and public_path. The public key's Z85 goes to pub_z85.
 * 0, or -1 with the reason in err. */
int keyfile_generate(const char *secret_path, const char *public_path,
                     char pub_z85[KEYFILE_Z85_LEN + 1], char *err,
                     size_t errlen);

/* Writes a public key file (mode 0644, never over an existing file). */
int keyfile_write_public(const char *path,
                         const uint8_t public_key[KEYFILE_KEY_LEN], char *err,
                         size_t errlen);

/* Reads a secret key file; refuses one that group or others may read. */
int keyfile_read_secret(const char *path, uint8_t key[KEYFILE_KEY_LEN],
                        char *err, size_t errlen);

/* A public key given as the name of a file holding it, or as 40
 * characters of Z85 (the file wins when both could be meant). A secret key
 * file (a name ending in .key) is refused, naming the .pub to give. */
int keyfile_read_public(const char *z85_or_path, uint8_t key[KEYFILE_KEY_LEN],
                        char *err, size_t errlen);

#endif
