/*
 * encoding - see encoding.h.
 */
#include "encoding.h"

#include "codec.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int encoding_parse(const char *name, encoding_kind *out)
{
    static const char *const utf8[] = {"utf-8", "utf8"};
    static const char *const gb[] = {"gb18030", "gbk", "gb2312", "cp936"};
    *out = ENCODING_AUTO;
    if (name == NULL || *name == '\0' || strcasecmp(name, "auto") == 0)
        return 0;
    for (size_t i = 0; i < sizeof utf8 / sizeof *utf8; i++)
        if (strcasecmp(name, utf8[i]) == 0) {
            *out = ENCODING_UTF8;
            return 0;
        }
    for (size_t i = 0; i < sizeof gb / sizeof *gb; i++)
        if (strcasecmp(name, gb[i]) == 0) {
            *out = ENCODING_GB18030;
            return 0;
        }
    return -1;
}

const char *encoding_name(encoding_kind kind, int had_bom)
{
    if (kind == ENCODING_GB18030)
        return "GB18030";
    return had_bom ? "UTF-8 (BOM)" : "UTF-8";
}

int encoding_valid_utf8(const unsigned char *s, size_t n, size_t *bad)
{
    *bad = codec_utf8_valid_prefix((const char *)s, n);
    return *bad == n;
}

/* The 1-based line of byte offset `at`. */
static size_t line_of(const unsigned char *s, size_t at)
{
    size_t line = 1;
    for (size_t i = 0; i < at; i++)
        line += s[i] == '\n';
    return line;
}

/* How many multibyte UTF-8 characters the whole lines before the one of
 * byte `bad` hold (those lines are valid UTF-8). A GB18030 line passes
 * for UTF-8 only by chance: a common character's two bytes (lead
 * 0xB0-0xF7, trail 0xA1-0xFE) do so about one time in seven, so four
 * such characters (1 in 2,400 by chance; a Chinese header row alone has
 * five) say the file is UTF-8 and a later line of it is not (pasted in
 * from another file, added in another editor). Fewer are left to the
 * GB18030 reading: a name turned to nonsense is then refused as no
 * member of the household, never awarded as someone else. */
#define UTF8_EVIDENCE 4

static size_t utf8_chars_before_line(const unsigned char *s, size_t bad)
{
    size_t end = bad;
    while (end > 0 && s[end - 1] != '\n')
        end--;
    size_t n = 0;
    for (size_t i = 0; i < end; i++)
        n += s[i] >= 0xc2 && s[i] <= 0xf4;
    return n;
}

/* Converts GB18030 to UTF-8 into a new buffer. 0, or -1 with the offset
 * of the first byte that does not convert in *bad. */
static int from_gb18030(const unsigned char *in, size_t n, char **out,
                        size_t *out_len, size_t *bad)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) {
        *bad = 0;
        return -1;
    }
    /* A GB18030 character of 2 bytes is 3 in UTF-8, one of 4 at most 4. */
    size_t cap = n / 2 * 3 + n % 2 * 3 + 4;
    char *buf = malloc(cap + 1);
    char *src = (char *)in, *dst = buf;
    size_t left = n, room = cap;
    int rc = buf ? 0 : -1;
    if (buf && iconv(cd, &src, &left, &dst, &room) == (size_t)-1)
        rc = -1;
    if (rc == 0 && iconv(cd, NULL, NULL, &dst, &room) == (size_t)-1)
        rc = -1;
    iconv_close(cd);
    if (rc != 0) {
        *bad = (size_t)(src - (const char *)in);
        free(buf);
        return -1;
    }
    *dst = '\0';
    *out = buf;
    *out_len = (size_t)(dst - buf);
    return 0;
}

static int fail(char *err, size_t errlen, i18n_lang lang, i18n_id msg,
                const char *path, size_t line, const char *expected,
                i18n_id hint)
{
    char num[24], what[512];
    snprintf(num, sizeof num, "%zu", line);
    const char *text = i18n_text(msg, lang);
    if (msg == I18N_ENC_WRONG) {
        i18n_fill(err, errlen, text, 4, path, num, expected,
                  i18n_text(hint, lang));
        return -1;
    }
    /* ENC_UNKNOWN and ENC_MIXED name the line, ENC_UTF16 only the file. */
    i18n_fill(what, sizeof what, text, 2, path, num);
    snprintf(err, errlen, "%s %s", what, i18n_text(hint, lang));
    return -1;
}

/* Whether the bytes hold anything but ASCII. */
static int has_non_ascii(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x80)
            return 1;
    return 0;
}

int encoding_decode(const char *path, const unsigned char *data, size_t n,
                    encoding_kind asked, i18n_lang lang, char **text,
                    size_t *len, encoding_kind *found, int *had_bom,
                    char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    size_t bad = 0, gb_bad = 0;
    char *gb = NULL;
    size_t gb_len = 0;
    *had_bom = n >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf;
    if (n >= 2 && ((data[0] == 0xff && data[1] == 0xfe) ||
                   (data[0] == 0xfe && data[1] == 0xff)))
        return fail(err, errlen, lang, I18N_ENC_UTF16, path, 1, NULL,
                    I18N_ENC_HINT_NONE);
    const unsigned char *body = data + (*had_bom ? 3 : 0);
    size_t body_n = n - (*had_bom ? 3 : 0);
    int utf8 = encoding_valid_utf8(body, body_n, &bad);
    if (asked == ENCODING_GB18030 && (*had_bom || (utf8 &&
                                                   has_non_ascii(body,
                                                                 body_n))))
        /* UTF-8 Chinese also converts as GB18030, into nonsense: a file
         * that reads as UTF-8 (or says so) is not taken for GB18030. */
        return fail(err, errlen, lang, I18N_ENC_WRONG, path, 1, "GB18030",
                    I18N_ENC_HINT_UTF8);
    if (asked != ENCODING_GB18030 && utf8) {
        *text = malloc(body_n + 1);
        if (!*text) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(*text, body, body_n);
        (*text)[body_n] = '\0';
        *len = body_n;
        *found = ENCODING_UTF8;
        return 0;
    }
    if (*had_bom) /* says UTF-8, is not */
        return fail(err, errlen, lang, I18N_ENC_UNKNOWN, path,
                    line_of(body, bad), NULL, I18N_ENC_HINT_NONE);
    if (asked == ENCODING_AUTO &&
        utf8_chars_before_line(body, bad) >= UTF8_EVIDENCE)
        /* Read as GB18030 it could even convert, into nonsense names:
         * refused at the line that breaks the file's UTF-8. */
        return fail(err, errlen, lang, I18N_ENC_MIXED, path,
                    line_of(body, bad), NULL, I18N_ENC_HINT_MIXED);
    int gb_ok = from_gb18030(body, body_n, &gb, &gb_len, &gb_bad) == 0;
    if (asked == ENCODING_UTF8) {
        free(gb);
        return fail(err, errlen, lang, I18N_ENC_WRONG, path,
                    line_of(body, bad), "UTF-8",
                    gb_ok ? I18N_ENC_HINT_GB18030 : I18N_ENC_HINT_NONE);
    }
    if (!gb_ok)
        /* Neither: the line named is where the reading that got further
         * stopped, the likelier encoding's bad line (a GB18030 file with a
         * line of Latin-1 fails as UTF-8 on its first Chinese line). */
        return fail(err, errlen, lang,
                    asked == ENCODING_GB18030 ? I18N_ENC_WRONG
                                              : I18N_ENC_UNKNOWN,
                    path,
                    line_of(body, asked == ENCODING_GB18030 || gb_bad > bad
                                      ? gb_bad
                                      : bad),
                    "GB18030", I18N_ENC_HINT_NONE);
    *text = gb;
    *len = gb_len;
    *found = ENCODING_GB18030;
    return 0;
}

int encoding_read_file(const char *path, size_t max, encoding_kind asked,
                       i18n_lang lang, char **text, size_t *len,
                       encoding_kind *found, int *had_bom, char *err,
                       size_t errlen)
{
    *text = NULL;
    *len = 0;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    unsigned char *data = malloc(max + 1);
    size_t n = data ? fread(data, 1, max + 1, f) : 0;
    int rc = 0;
    if (!data) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot be read", path);
        rc = -1;
    } else if (n > max) {
        snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
        rc = -1;
    } else if (memchr(data, '\0', n) != NULL &&
               !(n >= 2 && (data[0] == 0xff || data[0] == 0xfe))) {
        snprintf(err, errlen, "%s: not a text file (a NUL byte)", path);
        rc = -1;
    }
    if (f != stdin)
        fclose(f);
    if (rc == 0)
        rc = encoding_decode(path, data, n, asked, lang, text, len, found,
                             had_bom, err, errlen);
    free(data);
    return rc;
}
