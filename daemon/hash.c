#include "hash.h"

#include <sodium.h>

int hash_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

void hash_sha256(const void *data, size_t len, uint8_t out[HASH_LEN])
{
    crypto_hash_sha256(out, data, len);
}

char *hash_hex(const uint8_t *bytes, size_t n, char *buf, size_t len)
{
    if (len < 2 * n + 1)
        n = len ? (len - 1) / 2 : 0;
    if (len)
        sodium_bin2hex(buf, 2 * n + 1, bytes, n);
    return buf;
}
