/*
 * cli_text - see cli_text.h.
 */
#include "cli_text.h"

#include <stdint.h>

/* The next character of s: its code point and its length in bytes (1 for
 * a byte that is not UTF-8). */
static size_t next_char(const unsigned char *s, uint32_t *cp)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2
                               : (s[0] & 0xf0) == 0xe0 ? 3
                               : (s[0] & 0xf8) == 0xf0 ? 4
                                                       : 1;
    *cp = len == 1 ? s[0] : s[0] & (0xff >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = s[0];
            return 1;
        }
        *cp = *cp << 6 | (s[i] & 0x3f);
    }
    return len;
}

/* Two columns: the wide and full-width ranges of Unicode's East Asian
 * Width that Chinese text uses (CJK, kana, hangul, full-width forms,
 * CJK punctuation), and the supplementary ideographs. */
static size_t columns(uint32_t cp)
{
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
        (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
        (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    return 1;
}

size_t cli_text_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        p += next_char(p, &cp);
        w += columns(cp);
    }
    return w;
}

void cli_text_cell(FILE *f, const char *s, size_t width, bool right)
{
    const unsigned char *p = (const unsigned char *)s, *stop = p;
    size_t used = 0;
    while (*stop) {
        uint32_t cp;
        size_t len = next_char(stop, &cp), w = columns(cp);
        if (used + w > width)
            break;
        used += w;
        stop += len;
    }
    if (right)
        for (size_t i = used; i < width; i++)
            fputc(' ', f);
    fwrite(p, 1, (size_t)(stop - p), f);
    if (!right)
        for (size_t i = used; i < width; i++)
            fputc(' ', f);
}
