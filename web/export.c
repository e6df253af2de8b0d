/*
 * export - see export.h (CSV here; .xlsx in xlsx.c).
 */
#include "export.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 4096;
        while (c < *len + n + 1)
            c *= 2;
        char *p = realloc(*buf, c);
        if (p == NULL)
            return -1;
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static bool plain_number(const char *s)
{
    if (*s == '-')
        s++;
    return *s && strspn(s, "0123456789") == strlen(s);
}

int export_csv_cell(char **buf, size_t *len, size_t *cap, const char *cell)
{
    if (plain_number(cell))
        return put(buf, len, cap, cell, strlen(cell));
    int rc = put(buf, len, cap, "\"", 1);
    if (strchr("=+-@\t\r", cell[0]) != NULL && cell[0] != '\0')
        rc |= put(buf, len, cap, "'", 1);
    for (const char *p = cell; *p && rc == 0; p++)
        rc |= *p == '"' ? put(buf, len, cap, "\"\"", 2) : put(buf, len, cap, p, 1);
    return rc | put(buf, len, cap, "\"", 1);
}

char *export_csv(const jifen_report *r, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0;
    *len = 0;
    int rc = put(&buf, len, &cap, "\xEF\xBB\xBF", 3);
    for (size_t j = 0; j < r->n_columns; j++) {
        if (j)
            rc |= put(&buf, len, &cap, ",", 1);
        rc |= export_csv_cell(&buf, len, &cap, r->columns[j]);
    }
    rc |= put(&buf, len, &cap, "\r\n", 2);
    for (size_t i = 0; i < r->n_rows && rc == 0; i++) {
        for (size_t j = 0; j < r->n_columns; j++) {
            if (j)
                rc |= put(&buf, len, &cap, ",", 1);
            rc |= export_csv_cell(&buf, len, &cap, r->rows[i].cells[j]);
        }
        rc |= put(&buf, len, &cap, "\r\n", 2);
    }
    if (rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
