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

int checkpoint_sign(checkpoint *cp, uint64_t entry, const uint8_t hash[32],
                    int64_t time_s,
                    const uint8_t secret[CHECKPOINT_SECRET_LEN])
{
    memset(cp, 0, sizeof *cp);
    cp->entry = entry;
    cp->time_s = time_s;
    memcpy(cp->hash, hash, 32);
    time_t t = (time_t)time_s;
    struct tm tm;
    char when[32], hex[65];
    if (!gmtime_r(&t, &tm) ||
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return -1;
    to_hex(hash, 32, hex);
    int n = snprintf(cp->text, sizeof cp->text, CHECKPOINT_PREFIX " %" PRIu64
                     " %s %s", entry, when, hex);
    if (n < 0 || (size_t)n + 1 + 128 >= sizeof cp->text)
        return -1;
    cp->signed_len = (size_t)n;
    crypto_sign_detached(cp->signature, NULL, (const uint8_t *)cp->text,
                         cp->signed_len, secret);
    cp->text[n] = ' ';
    to_hex(cp->signature, 64, cp->text + n + 1);
    return 0;
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
    /* Five fields separated by single spaces. */
    const char *f[5];
    size_t flen[5], n = 0;
    const char *p = cp->text;
    while (n < 5 && *p) {
        const char *sp = strchr(p, ' ');
        f[n] = p;
        flen[n] = sp ? (size_t)(sp - p) : strlen(p);
        n++;
        p = sp ? sp + 1 : p + strlen(p);
    }
    uint64_t entry = 0;
    bool digits = n == 5 && flen[1] > 0 && flen[1] <= 19;
    for (size_t i = 0; digits && i < flen[1]; i++) {
        if (f[1][i] < '0' || f[1][i] > '9')
            digits = false;
        else
            entry = entry * 10 + (uint64_t)(f[1][i] - '0');
    }
    if (n != 5 || *p || strlen(CHECKPOINT_PREFIX) != flen[0] ||
        memcmp(f[0], CHECKPOINT_PREFIX, flen[0]) != 0 || !digits ||
        entry == 0 || parse_time(f[2], flen[2], &cp->time_s) != 0 ||
        from_hex(f[3], flen[3], cp->hash, 32) != 0 ||
        from_hex(f[4], flen[4], cp->signature, 64) != 0) {
        snprintf(err, errlen,
                 "checkpoint: expected '" CHECKPOINT_PREFIX
                 " ENTRY YYYY-MM-DDTHH:MM:SSZ HASH(64 hex) SIGNATURE(128 hex)'");
        return -1;
    }
    cp->entry = entry;
    cp->signed_len = (size_t)(f[4] - cp->text) - 1;
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
