#include "csv.h"

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
