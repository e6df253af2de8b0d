/*
 * xlsx - a report as an .xlsx workbook: the only user of libxlsxwriter.
 * libxlsxwriter 1.1 writes to a file only, so the workbook is made in a
 * private temporary file (mkstemp in the 0700 data directory), read back
 * and removed.
 */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

static bool number(const char *s, double *out)
{
    const char *p = *s == '-' ? s + 1 : s;
    if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 15)
        return false;
    /* Integers of at most 15 digits are exact in a spreadsheet's double;
     * longer ones stay text rather than lose a digit. */
    *out = (double)strtoll(s, NULL, 10);
    return true;
}

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
    lxw_workbook *wb = workbook_new(path);
    lxw_worksheet *ws = wb ? workbook_add_worksheet(wb, sheet) : NULL;
    lxw_format *bold = wb ? workbook_add_format(wb) : NULL;
    if (ws == NULL || bold == NULL) {
        if (wb)
            workbook_close(wb);
        unlink(path);
        snprintf(err, errlen, "libxlsxwriter: cannot make a workbook");
        return NULL;
    }
    format_set_bold(bold);
    worksheet_write_string(ws, 0, 0, r->title, NULL);
    for (size_t j = 0; j < r->n_columns; j++)
        worksheet_write_string(ws, 2, (lxw_col_t)j, r->columns[j], bold);
    for (size_t i = 0; i < r->n_rows; i++) {
        for (size_t j = 0; j < r->n_columns; j++) {
            const char *cell = r->rows[i].cells[j];
            double v;
            /* Strings are written as strings: never parsed as formulas. */
            if (number(cell, &v))
                worksheet_write_number(ws, (lxw_row_t)(i + 3), (lxw_col_t)j,
                                       v, NULL);
            else
                worksheet_write_string(ws, (lxw_row_t)(i + 3), (lxw_col_t)j,
                                       cell, NULL);
        }
    }
    worksheet_set_column(ws, 0, 0, 28, NULL);
    lxw_error e = workbook_close(wb);
    char *buf = NULL;
    FILE *f = e == LXW_NO_ERROR ? fopen(path, "rb") : NULL;
    struct stat st;
    if (f != NULL && fstat(fileno(f), &st) == 0 && st.st_size > 0 &&
        (buf = malloc((size_t)st.st_size)) != NULL &&
        fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
        *len = (size_t)st.st_size;
    } else {
        free(buf);
        buf = NULL;
        snprintf(err, errlen, "libxlsxwriter: %s",
                 e != LXW_NO_ERROR ? lxw_strerror(e) : "cannot read it back");
    }
    if (f != NULL)
        fclose(f);
    unlink(path);
    return buf;
}
