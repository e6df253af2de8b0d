/*
 * encoding - a text file from a spreadsheet, as UTF-8 (issue 15: sign-in
 * rosters and paper-ledger imports).
 *
 * Chinese Excel saves "CSV" in GB18030 (GBK) and "CSV UTF-8" with a byte
 * order mark; other tools write UTF-8 without one. The file's encoding is
 * taken as given (utf-8 or gb18030) or found: a UTF-8 BOM or valid UTF-8
 * is UTF-8, anything else that converts as GB18030 is GB18030. The
 * conversion is glibc's iconv, the one user of it in jifen. A file in
 * neither (UTF-16 "Unicode text", a Latin-1 export) is refused with the
 * line it fails at and what to do about it.
 */
#ifndef JIFEN_ENCODING_H
#define JIFEN_ENCODING_H

#include "i18n.h"

#include <stddef.h>

typedef enum {
    ENCODING_AUTO = 0,
    ENCODING_UTF8,
    ENCODING_GB18030,
} encoding_kind;

/* "utf-8", "utf8" -> UTF8; "gb18030", "gbk", "gb2312" -> GB18030 (GBK and
 * GB2312 are subsets); NULL or "" -> AUTO. -1 for anything else. */
int encoding_parse(const char *name, encoding_kind *out);

/* "UTF-8 (BOM)", "UTF-8", "GB18030". */
const char *encoding_name(encoding_kind kind, int had_bom);

/* Reads `path` (at most max bytes) and converts it to UTF-8 without a BOM:
 * *text (malloc'd, NUL-terminated, the caller frees it) and its length.
 * *found says which encoding it was, *had_bom whether it began with one.
 * 0, or -1 with why in err (in lang): the file cannot be read, is too
 * large, holds a NUL byte, or is not in the encoding asked for or in
 * either. */
int encoding_read_file(const char *path, size_t max, encoding_kind asked,
                       i18n_lang lang, char **text, size_t *len,
                       encoding_kind *found, int *had_bom, char *err,
                       size_t errlen);

/* The same for bytes in memory (a file uploaded to jifen-web); `path`
 * names it in err. */
int encoding_decode(const char *path, const unsigned char *data, size_t n,
                    encoding_kind asked, i18n_lang lang, char **text,
                    size_t *len, encoding_kind *found, int *had_bom,
                    char *err, size_t errlen);

/* True when s[0..n) is valid UTF-8; else *bad is the first bad byte's
 * offset. */
int encoding_valid_utf8(const unsigned char *s, size_t n, size_t *bad);

#endif
