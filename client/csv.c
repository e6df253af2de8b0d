#include "csv.h"

#include <stdlib.h>

#include <string.h>

bool csv_is_number(const char *s)
{
    const char *p = s + (*s == '-');
    size_t digits = strspn(p, "0123456789");
    if (digits == 0)
        return false;
    p += digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        if (frac == 0)
            return false;
        p += 1 + frac;
    }
    return *p == '\0';
}

/* A first character that makes a spreadsheet read the cell as a formula.
 * A lone "-" (a report's "nothing to show") is text to a spreadsheet. */
static bool formula_start(const char *s)
{
    if (strcmp(s, "-") == 0)
        return false;
    return *s != '\0' && strchr("=+-@\t\r", *s) != NULL && !csv_is_number(s);
}

void csv_cell(FILE *f, const char *s)
{
    bool neutralise = formula_start(s);
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', f);
    if (neutralise)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    if (quote)
        fputc('"', f);
}

/* --- reading ----------------------------------------------------------- */

void csv_reader_init(csv_reader *r, const char *text, size_t len)
{
    memset(r, 0, sizeof *r);
    r->p = text;
    r->end = text + len;
    r->line = 1;
}

void csv_reader_free(csv_reader *r)
{
    free(r->buf);
    free(r->starts);
    memset(r, 0, sizeof *r);
}

static int put_byte(csv_reader *r, size_t *used, char c)
{
    if (*used == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char *b = realloc(r->buf, cap);
        if (!b)
            return -1;
        r->buf = b;
        r->cap = cap;
    }
    r->buf[(*used)++] = c;
    return 0;
}

static int put_start(csv_reader *r, size_t n, size_t at)
{
    if (n == r->starts_cap) {
        size_t cap = r->starts_cap ? r->starts_cap * 2 : 16;
        size_t *s = realloc(r->starts, cap * sizeof *s);
        if (!s)
            return -1;
        r->starts = s;
        r->starts_cap = cap;
    }
    r->starts[n] = at;
    return 0;
}

/* One row as it is, into buf; false at the end of the text. */
static int read_row(csv_reader *r, size_t *n_cells, unsigned *line)
{
    size_t used = 0, n = 0;
    if (r->p >= r->end)
        return 0;
    *line = r->line;
    bool quoted = false, in_quotes = false;
    if (put_start(r, n++, 0) != 0)
        return -1;
    while (r->p < r->end) {
        char c = *r->p++;
        if (in_quotes) {
            if (c == '"' && r->p < r->end && *r->p == '"') {
                r->p++;
            } else if (c == '"') {
                in_quotes = false;
                continue;
            }
            r->line += c == '\n';
            if (put_byte(r, &used, c) != 0)
                return -1;
            continue;
        }
        if (c == '"' && !quoted) {
            in_quotes = quoted = true;
            continue;
        }
        if (c == '\r' && r->p < r->end && *r->p == '\n')
            continue;
        if (c == '\n' || c == '\r') {
            r->line++;
            break;
        }
        if (c == ',') {
            if (put_byte(r, &used, '\0') != 0 || put_start(r, n++, used) != 0)
                return -1;
            quoted = false;
            continue;
        }
        if (put_byte(r, &used, c) != 0)
            return -1;
    }
    if (put_byte(r, &used, '\0') != 0)
        return -1;
    *n_cells = n;
    return 1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

int csv_reader_next(csv_reader *r, const char **cells, size_t max, size_t *n,
                    unsigned *line)
{
    for (;;) {
        size_t got = 0;
        int rc = read_row(r, &got, line);
        if (rc <= 0)
            return rc;
        bool any = false;
        *n = 0;
        for (size_t i = 0; i < got; i++) {
            char *cell = trim(r->buf + r->starts[i]);
            any = any || *cell;
            if (*n < max)
                cells[(*n)++] = cell;
        }
        if (any)
            return 1;
    }
}
