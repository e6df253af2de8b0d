/*
 * export - see export.h (CSV here; the .xlsx by common/xlsx.c).
 */
#include "export.h"

#include "xlsx.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The workbook is made by common/xlsx.c (the one libxlsxwriter user),
 * which writes to a file only: a private temporary file in the 0700 data
 * directory, read back and removed. */
char *export_xlsx(const jifen_report *r, const char *sheet,
                  const char *tmp_dir, size_t *len, char *err, size_t errlen)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/export-XXXXXX", tmp_dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(err, errlen, "cannot make a temporary file in %s", tmp_dir);
        return NULL;
    }
    close(fd);
    xlsx_book *b = xlsx_new(path, sheet, err, errlen);
    if (!b) {
        unlink(path);
        return NULL;
    }
    xlsx_title(b, r->title);
    const char *heads[JIFEN_REPORT_COLUMNS_MAX];
    for (size_t j = 0; j < r->n_columns; j++)
        heads[j] = r->columns[j];
    xlsx_headings(b, heads, r->n_columns);
    for (size_t i = 0; i < r->n_rows; i++) {
        for (size_t j = 0; j < r->n_columns; j++)
            xlsx_cell(b, j, r->rows[i].cells[j]);
        xlsx_next_row(b);
    }
    char *buf = NULL;
    FILE *f = xlsx_close(&b, err, errlen) == 0 ? fopen(path, "rb") : NULL;
    struct stat st;
    if (f != NULL && fstat(fileno(f), &st) == 0 && st.st_size > 0 &&
        (buf = malloc((size_t)st.st_size)) != NULL &&
        fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
        *len = (size_t)st.st_size;
    } else {
        free(buf);
        buf = NULL;
        if (f)
            snprintf(err, errlen, "the workbook cannot be read back");
    }
    if (f != NULL)
        fclose(f);
    unlink(path);
    return buf;
}
