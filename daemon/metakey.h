/*
 * metakey - keys of the meta table made of a prefix and text parts with a
 * NUL between them ("member/<household>" 0x00 "<name>"), as issue 15's
 * records have them (members.h, market.h, passbook.h). No part holds a
 * NUL (the codec refuses them), so the parts read back unambiguously and
 * every key of a household sorts together under its prefix.
 */
#ifndef JIFEN_METAKEY_H
#define JIFEN_METAKEY_H

#include "storage.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* prefix, then parts[0] NUL parts[1] NUL ... (no NUL after the last).
 * Returns the length, or 0 when it does not fit in cap. */
static inline size_t metakey(uint8_t *out, size_t cap, const char *prefix,
                             const char *const *parts, size_t n)
{
    size_t len = strlen(prefix);
    if (len > cap)
        return 0;
    memcpy(out, prefix, len);
    for (size_t i = 0; i < n; i++) {
        size_t m = strlen(parts[i]);
        if (len + m + (i > 0) > cap)
            return 0;
        if (i > 0)
            out[len++] = '\0';
        memcpy(out + len, parts[i], m);
        len += m;
    }
    return len;
}

/* Big-endian fields of a record, written and read in order. */
static inline void rec_be64(uint8_t **p, uint64_t v)
{
    storage_be64_put(*p, v);
    *p += 8;
}

static inline uint64_t rec_get64(const uint8_t **p)
{
    uint64_t v = storage_be64_get(*p);
    *p += 8;
    return v;
}

/* A length byte and that many bytes of text (at most 255). */
static inline void rec_text(uint8_t **p, const char *s)
{
    size_t n = strlen(s);
    if (n > 255)
        n = 255;
    *(*p)++ = (uint8_t)n;
    memcpy(*p, s, n);
    *p += n;
}

/* The text rec_text wrote into out[cap]; -1 when it runs past end or
 * does not fit. */
static inline int rec_get_text(const uint8_t **p, const uint8_t *end,
                               char *out, size_t cap)
{
    if (*p >= end)
        return -1;
    size_t n = *(*p)++;
    if (n >= cap || (size_t)(end - *p) < n)
        return -1;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n;
    return 0;
}

#endif
