#include "keyfile.h"

#include "privfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char Z85_CHARS[86] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

void keyfile_z85_encode(const uint8_t key[KEYFILE_KEY_LEN],
                        char out[KEYFILE_Z85_LEN + 1])
{
    for (size_t i = 0; i < KEYFILE_KEY_LEN / 4; i++) {
        uint32_t v = (uint32_t)key[4 * i] << 24 | (uint32_t)key[4 * i + 1] << 16 |
                     (uint32_t)key[4 * i + 2] << 8 | key[4 * i + 3];
        for (int j = 4; j >= 0; j--) {
            out[5 * i + (size_t)j] = Z85_CHARS[v % 85];
            v /= 85;
        }
    }
    out[KEYFILE_Z85_LEN] = '\0';
}

int keyfile_z85_decode(const char *z85, size_t len,
                       uint8_t key[KEYFILE_KEY_LEN])
{
    if (z85 == NULL || len != KEYFILE_Z85_LEN)
        return -1;
    for (size_t i = 0; i < KEYFILE_KEY_LEN / 4; i++) {
        uint64_t v = 0;
        for (size_t j = 0; j < 5; j++) {
            const char *p = z85[5 * i + j] != '\0'
                                ? memchr(Z85_CHARS, z85[5 * i + j], 85)
                                : NULL;
            if (p == NULL)
                return -1;
            v = v * 85 + (uint64_t)(p - Z85_CHARS);
        }
        /* Five digits reach 85^5 - 1 > 2^32 - 1: such a group is no key. */
        if (v > UINT32_MAX)
            return -1;
        for (int b = 3; b >= 0; b--) {
            key[4 * i + (size_t)b] = (uint8_t)(v & 0xff);
            v >>= 8;
        }
    }
    return 0;
}

int keyfile_keypair(uint8_t public_key[KEYFILE_KEY_LEN],
                    uint8_t secret_key[KEYFILE_KEY_LEN])
{
    if (sodium_init() < 0)
        return -1;
    return crypto_box_keypair(public_key, secret_key) == 0 ? 0 : -1;
}

int keyfile_public_of(const uint8_t secret_key[KEYFILE_KEY_LEN],
                      uint8_t public_key[KEYFILE_KEY_LEN])
{
    if (sodium_init() < 0)
        return -1;
    return crypto_scalarmult_base(public_key, secret_key) == 0 ? 0 : -1;
}

static int fail(char *err, size_t errlen, const char *path, const char *why)
{
    snprintf(err, errlen, "%s: %s", path, why);
    return -1;
}

/* Writes one line of Z85 to a new file; O_EXCL so no key is ever
 * overwritten, and the mode is set at creation (no window in which a
 * secret sits in a readable file). */
static int write_line(const char *path, const char *z85, mode_t mode,
                      char *err, size_t errlen)
{
    int fd = privfile_create(path, mode, err, errlen);
    if (fd < 0)
        return -1;
    char line[KEYFILE_Z85_LEN + 2];
    snprintf(line, sizeof line, "%s\n", z85);
    ssize_t n = write(fd, line, strlen(line));
    int rc = (n == (ssize_t)strlen(line) && fsync(fd) == 0) ? 0 : -1;
    sodium_memzero(line, sizeof line);
    if (close(fd) != 0)
        rc = -1;
    if (rc != 0) {
        unlink(path);
        return fail(err, errlen, path, "cannot write the key");
    }
    return 0;
}

int keyfile_write_public(const char *path,
                         const uint8_t public_key[KEYFILE_KEY_LEN], char *err,
                         size_t errlen)
{
    char z85[KEYFILE_Z85_LEN + 1];
    keyfile_z85_encode(public_key, z85);
    return write_line(path, z85, 0644, err, errlen);
}

int keyfile_generate(const char *secret_path, const char *public_path,
                     char pub_z85[KEYFILE_Z85_LEN + 1], char *err,
                     size_t errlen)
{
    uint8_t pub[KEYFILE_KEY_LEN], sec[KEYFILE_KEY_LEN];
    char sec_z85[KEYFILE_Z85_LEN + 1];

    if (keyfile_keypair(pub, sec) != 0)
        return fail(err, errlen, secret_path, "no random source for a key");
    keyfile_z85_encode(pub, pub_z85);
    keyfile_z85_encode(sec, sec_z85);
    int rc = write_line(secret_path, sec_z85, 0600, err, errlen);
    if (rc == 0) {
        rc = write_line(public_path, pub_z85, 0644, err, errlen);
        if (rc != 0)
            unlink(secret_path);
    }
    sodium_memzero(sec, sizeof sec);
    sodium_memzero(sec_z85, sizeof sec_z85);
    return rc;
}

/* Reads the one line of a key file (trailing blanks dropped) into line. */
static int read_line(int fd, const char *path, char *line, size_t cap,
                     char *err, size_t errlen)
{
    ssize_t n = read(fd, line, cap - 1);
    if (n < 0)
        return fail(err, errlen, path, strerror(errno));
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
                     line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    line[n] = '\0';
    return 0;
}

static int decode_line(const char *path, const char *line,
                       uint8_t key[KEYFILE_KEY_LEN], char *err, size_t errlen)
{
    if (keyfile_z85_decode(line, strlen(line), key) != 0)
        return fail(err, errlen, path,
                    "not a key file (one line of 40 Z85 characters)");
    return 0;
}

int keyfile_read_secret(const char *path, uint8_t key[KEYFILE_KEY_LEN],
                        char *err, size_t errlen)
{
    int fd = privfile_open_secret(path, err, errlen);
    if (fd < 0)
        return -1;
    char line[128];
    int rc = read_line(fd, path, line, sizeof line, err, errlen);
    close(fd);
    if (rc == 0)
        rc = decode_line(path, line, key, err, errlen);
    sodium_memzero(line, sizeof line);
    return rc;
}

/* Secret and public key files hold the same thing, 40 Z85 characters, so
 * the content alone cannot tell them apart: the name can. `jifen keygen`
 * writes PREFIX.key (secret) beside PREFIX.pub (public); a .key given where
 * a public key belongs is refused, and the message names the .pub to give
 * instead. Enrolling a secret key would put it in the append-only journal,
 * in every export and every replica, for ever. */
static int refuse_secret_file(const char *path, const uint8_t key[KEYFILE_KEY_LEN],
                              char *err, size_t errlen)
{
    size_t n = strlen(path);
    if (n < 4 || strcmp(path + n - 4, ".key") != 0)
        return 0;
    char pub_path[4096], line[128];
    uint8_t derived[KEYFILE_KEY_LEN], listed[KEYFILE_KEY_LEN];
    snprintf(pub_path, sizeof pub_path, "%.*s.pub", (int)(n - 4), path);
    int fd = open(pub_path, O_RDONLY | O_CLOEXEC);
    bool pair = false;
    if (fd >= 0) {
        pair = read_line(fd, pub_path, line, sizeof line, err, errlen) == 0 &&
               keyfile_z85_decode(line, strlen(line), listed) == 0 &&
               keyfile_public_of(key, derived) == 0 &&
               memcmp(derived, listed, sizeof listed) == 0;
        close(fd);
    }
    sodium_memzero(derived, sizeof derived);
    snprintf(err, errlen,
             "%s is %s secret key file, which must never leave its machine; "
             "give the public key instead: %s",
             path, pair ? "the" : "a", pub_path);
    if (pair)
        snprintf(err + strlen(err), errlen - strlen(err),
                 " (it belongs to this secret key)");
    return -1;
}

int keyfile_read_public(const char *z85_or_path, uint8_t key[KEYFILE_KEY_LEN],
                        char *err, size_t errlen)
{
    /* A file first: a 40-character path can also be valid Z85. */
    int fd = open(z85_or_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (keyfile_z85_decode(z85_or_path, strlen(z85_or_path), key) == 0)
            return 0;
        return fail(err, errlen, z85_or_path,
                    "neither a public key (40 Z85 characters) nor a file");
    }
    char line[128];
    int rc = read_line(fd, z85_or_path, line, sizeof line, err, errlen);
    close(fd);
    if (rc == 0)
        rc = decode_line(z85_or_path, line, key, err, errlen);
    sodium_memzero(line, sizeof line);
    if (rc == 0 && refuse_secret_file(z85_or_path, key, err, errlen) != 0) {
        sodium_memzero(key, KEYFILE_KEY_LEN);
        return -1;
    }
    return rc;
}
