#include "checkpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Exactly 2n lowercase or uppercase hex digits. */
static int from_hex(const char *text, size_t text_len, uint8_t *out, size_t n)
{
    if (text_len != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = text[i];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" of a Unix time into when[21]. 0 or -1. */
static int format_time(int64_t time_s, char when[32])
{
    time_t t = (time_t)time_s;
    struct tm tm;
    return gmtime_r(&t, &tm) &&
                   strftime(when, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) != 0
               ? 0
               : -1;
}

/* Signs cp->text[0..n) and appends " SIGNATURE" in hex or base64. */
static int finish_signing(checkpoint *cp, int n, bool base64,
                          const uint8_t secret[CHECKPOINT_SECRET_LEN])
{
    size_t sig_len = base64 ? sodium_base64_ENCODED_LEN(
                                  64, sodium_base64_VARIANT_ORIGINAL)
                            : 129;
    if (n < 0 || (size_t)n + 1 + sig_len > sizeof cp->text)
        return -1;
    cp->signed_len = (size_t)n;
    crypto_sign_detached(cp->signature, NULL, (const uint8_t *)cp->text,
                         cp->signed_len, secret);
    cp->text[n] = ' ';
    if (base64)
        sodium_bin2base64(cp->text + n + 1, sig_len, cp->signature, 64,
                          sodium_base64_VARIANT_ORIGINAL);
    else
        to_hex(cp->signature, 64, cp->text + n + 1);
    return 0;
}

int checkpoint_sign(checkpoint *cp, uint64_t entry, const uint8_t hash[32],
                    int64_t time_s,
                    const uint8_t secret[CHECKPOINT_SECRET_LEN])
{
    memset(cp, 0, sizeof *cp);
    cp->entry = entry;
    cp->time_s = time_s;
    memcpy(cp->hash, hash, 32);
    char when[32], hex[65];
    if (format_time(time_s, when) != 0)
        return -1;
    to_hex(hash, 32, hex);
    int n = snprintf(cp->text, sizeof cp->text, CHECKPOINT_PREFIX " %" PRIu64
                     " %s %s", entry, when, hex);
    return finish_signing(cp, n, false, secret);
}

#define B64_32 44 /* standard base64 of 32 bytes, with its padding */
#define B64_64 88

int checkpoint_sign_tree(checkpoint *cp, uint64_t size, const uint8_t root[32],
                         const uint8_t head[32], int64_t time_s,
                         const uint8_t secret[CHECKPOINT_SECRET_LEN])
{
    memset(cp, 0, sizeof *cp);
    cp->entry = size;
    cp->time_s = time_s;
    cp->has_root = true;
    memcpy(cp->root, root, 32);
    memcpy(cp->hash, head, 32);
    char when[32], r64[B64_32 + 1], h64[B64_32 + 1];
    if (format_time(time_s, when) != 0)
        return -1;
    sodium_bin2base64(r64, sizeof r64, root, 32,
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(h64, sizeof h64, head, 32,
                      sodium_base64_VARIANT_ORIGINAL);
    int n = snprintf(cp->text, sizeof cp->text,
                     CHECKPOINT_STH_PREFIX " %" PRIu64 " %s %s %s", size, when,
                     r64, h64);
    return finish_signing(cp, n, true, secret);
}

/* Unix time of "YYYY-MM-DDTHH:MM:SSZ" without the TZ environment (timegm is
 * not POSIX): days from civil, after Howard Hinnant. */
static int parse_time(const char *s, size_t len, int64_t *out)
{
    int y, mo, d, h, mi, se;
    char z;
    if (len != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h,
                            &mi, &se, &z) != 7 || z != 'Z')
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int64_t yy = mo <= 2 ? y - 1 : y;
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *out = days * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* Exactly the standard base64 (with padding) of n bytes. */
static int from_base64(const char *text, size_t text_len, uint8_t *out,
                       size_t n)
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (text_len != sodium_base64_ENCODED_LEN(n,
                                              sodium_base64_VARIANT_ORIGINAL) -
                        1)
        return -1;
    return sodium_base642bin(out, n, text, text_len, NULL, &bin_len, &end,
                             sodium_base64_VARIANT_ORIGINAL) == 0 &&
                   bin_len == n && end == text + text_len
               ? 0
               : -1;
}

/* A decimal number of 1-19 digits above zero. */
static int parse_entry(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 19)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return v == 0 ? -1 : 0;
}

static bool field_is(const char *f, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(f, word, len) == 0;
}

int checkpoint_parse(checkpoint *cp, const char *text, char *err,
                     size_t errlen)
{
    memset(cp, 0, sizeof *cp);
    while (*text == ' ' || *text == '\t')
        text++;
    size_t len = strlen(text);
    while (len > 0 && strchr(" \t\r\n", text[len - 1]))
        len--;
    if (len >= sizeof cp->text) {
        snprintf(err, errlen, "checkpoint: longer than a checkpoint can be");
        return -1;
    }
    memcpy(cp->text, text, len);
    /* Fields separated by single spaces: five (cp1) or six (sth1). */
    const char *f[7];
    size_t flen[7], n = 0;
    const char *p = cp->text;
    while (n < 7 && *p) {
        const char *sp = strchr(p, ' ');
        f[n] = p;
        flen[n] = sp ? (size_t)(sp - p) : strlen(p);
        n++;
        p = sp ? sp + 1 : p + strlen(p);
    }
    bool ok;
    if (n >= 1 && field_is(f[0], flen[0], CHECKPOINT_STH_PREFIX)) {
        cp->has_root = true;
        ok = n == 6 && !*p && parse_entry(f[1], flen[1], &cp->entry) == 0 &&
             parse_time(f[2], flen[2], &cp->time_s) == 0 &&
             from_base64(f[3], flen[3], cp->root, 32) == 0 &&
             from_base64(f[4], flen[4], cp->hash, 32) == 0 &&
             from_base64(f[5], flen[5], cp->signature, 64) == 0;
        if (!ok) {
            snprintf(err, errlen,
                     "signed tree head: expected '" CHECKPOINT_STH_PREFIX
                     " SIZE YYYY-MM-DDTHH:MM:SSZ ROOT HEAD SIGNATURE' "
                     "(base64: 44, 44 and 88 characters)");
            return -1;
        }
    } else {
        ok = n == 5 && !*p && field_is(f[0], flen[0], CHECKPOINT_PREFIX) &&
             parse_entry(f[1], flen[1], &cp->entry) == 0 &&
             parse_time(f[2], flen[2], &cp->time_s) == 0 &&
             from_hex(f[3], flen[3], cp->hash, 32) == 0 &&
             from_hex(f[4], flen[4], cp->signature, 64) == 0;
        if (!ok) {
            snprintf(err, errlen,
                     "checkpoint: expected '" CHECKPOINT_STH_PREFIX
                     " SIZE TIME ROOT HEAD SIGNATURE' or '" CHECKPOINT_PREFIX
                     " ENTRY YYYY-MM-DDTHH:MM:SSZ HASH(64 hex) "
                     "SIGNATURE(128 hex)'");
            return -1;
        }
    }
    cp->signed_len = (size_t)(f[n - 1] - cp->text) - 1;
    return 0;
}

int checkpoint_check_signature(const checkpoint *cp,
                               const uint8_t public_key[CHECKPOINT_PUBLIC_LEN])
{
    return crypto_sign_verify_detached(cp->signature,
                                       (const uint8_t *)cp->text,
                                       cp->signed_len, public_key) == 0
               ? 0
               : -1;
}

int checkpoint_read_public_key(const char *path,
                               uint8_t public_key[CHECKPOINT_PUBLIC_LEN],
                               char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char buf[256];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = buf;
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len > 0 && strchr(" \t\r\n", s[len - 1]))
        len--;
    if (from_hex(s, len, public_key, CHECKPOINT_PUBLIC_LEN) != 0) {
        snprintf(err, errlen, "%s: not a checkpoint public key (64 hex digits)",
                 path);
        return -1;
    }
    return 0;
}
