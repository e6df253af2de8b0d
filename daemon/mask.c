/*
 * mask - see mask.h. Pure string work, shared by jifend (the notice list)
 * and jifen-web (the residents' pages), so both mask alike.
 */
#include "mask.h"

#include <stdbool.h>
#include <string.h>

/* Bytes of the UTF-8 character starting at s (1 for anything odd). */
static size_t char_len(const unsigned char *s)
{
    if (*s >= 0xf0)
        return 4;
    if (*s >= 0xe0)
        return 3;
    if (*s >= 0xc0)
        return 2;
    return 1;
}

void notice_mask_name(const char *name, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t o = 0;
    if (cap == 0)
        return;
    if (*s) {
        size_t n = char_len(s);
        for (size_t i = 0; i < n && s[i] && o + 1 < cap; i++)
            out[o++] = (char)s[i];
        s += strnlen((const char *)s, n);
    }
    while (*s && o + 1 < cap) {
        out[o++] = '*';
        s += strnlen((const char *)s, char_len(s));
    }
    out[o] = '\0';
}

void notice_mask_household(const char *code, char *out, size_t cap)
{
    if (cap == 0)
        return;
    const char *last = strrchr(code, '-');
    size_t keep = last ? (size_t)(last - code) + 2 : 1;
    size_t n = strlen(code), o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++)
        out[o++] = i < keep ? code[i] : '*';
    out[o] = '\0';
}

void notice_mask_phone(const char *phone, char *out, size_t cap)
{
    size_t n = strlen(phone), digits = 0, o = 0, seen = 0;
    if (cap == 0)
        return;
    for (size_t i = 0; i < n; i++)
        digits += phone[i] >= '0' && phone[i] <= '9';
    size_t head = digits > 7 ? 3 : 0, tail = digits > 7 ? 4 : 2;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char c = phone[i];
        if (c >= '0' && c <= '9') {
            bool shown = seen < head || seen + tail >= digits;
            seen++;
            out[o++] = shown ? c : '*';
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
}
