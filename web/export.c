/*
 * export - see export.h.
 */
#include "export.h"

#include "report_view.h"
#include "xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct exporter {
    bool xlsx, started;
    char kind[JIFEN_CODE_MAX + 1];
    FILE *csv;           /* CSV: a memory stream */
    char *csv_buf;
    size_t csv_len;
    xlsx_book *book;     /* .xlsx: written to a private temporary file */
    char path[1100];
};

exporter *export_new(bool xlsx, const char *kind, const char *tmp_dir,
                     char *err, size_t errlen)
{
    exporter *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    x->xlsx = xlsx;
    snprintf(x->kind, sizeof x->kind, "%s", kind);
    if (!xlsx) {
        x->csv = open_memstream(&x->csv_buf, &x->csv_len);
        if (!x->csv) {
            free(x);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        fputs(REPORT_VIEW_BOM, x->csv);
        return x;
    }
    /* libxlsxwriter writes to a file only: one of our own, read back. */
    snprintf(x->path, sizeof x->path, "%s/export-XXXXXX", tmp_dir);
    int fd = mkstemp(x->path);
    if (fd < 0) {
        free(x);
        snprintf(err, errlen, "cannot make a temporary file in %s", tmp_dir);
        return NULL;
    }
    close(fd);
    x->book = xlsx_new(x->path, kind, err, errlen);
    if (!x->book) {
        unlink(x->path);
        free(x);
        return NULL;
    }
    return x;
}

static void start(exporter *x, const jifen_report *p)
{
    x->started = true;
    if (x->csv) {
        report_view_csv_header(x->csv, p, I18N_ZH);
        return;
    }
    char title[JIFEN_REPORT_TITLE_MAX * 2];
    report_view_title(x->kind, p->title, I18N_ZH, title, sizeof title);
    xlsx_title(x->book, title);
    const char *heads[JIFEN_REPORT_COLUMNS_MAX];
    for (size_t j = 0; j < p->n_columns; j++)
        heads[j] = report_view_heading(p->columns[j], I18N_ZH);
    xlsx_headings(x->book, heads, p->n_columns);
}

void export_rows(exporter *x, const jifen_report *page,
                 const jifen_report_row *rows, size_t n)
{
    if (!x->started)
        start(x, page);
    if (x->csv) {
        report_view_csv_rows(x->csv, page, rows, n, I18N_ZH);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < page->n_columns; j++) {
            char cell[JIFEN_REPORT_CELL_MAX * 2 + 1];
            bool fen = false;
            int64_t v = 0;
            const char *c = report_view_cell(page, &rows[i], j, I18N_ZH, cell,
                                             sizeof cell, &fen, &v);
            if (fen)
                xlsx_yuan(x->book, j, v);
            else
                xlsx_cell(x->book, j, c);
        }
        xlsx_next_row(x->book);
    }
}

char *export_finish(exporter **xp, size_t *len, char *err, size_t errlen)
{
    exporter *x = *xp;
    *xp = NULL;
    char *buf = NULL;
    if (x->csv) {
        if (fclose(x->csv) == 0) {
            buf = x->csv_buf;
            *len = x->csv_len;
        } else {
            free(x->csv_buf);
            snprintf(err, errlen, "out of memory");
        }
        free(x);
        return buf;
    }
    FILE *f = xlsx_close(&x->book, err, errlen) == 0 ? fopen(x->path, "rb")
                                                      : NULL;
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
    unlink(x->path);
    free(x);
    return buf;
}

static char *whole(const jifen_report *r, bool xlsx, const char *kind,
                   const char *tmp_dir, size_t *len, char *err, size_t errlen)
{
    exporter *x = export_new(xlsx, kind, tmp_dir, err, errlen);
    if (!x)
        return NULL;
    export_rows(x, r, r->rows, r->n_rows);
    return export_finish(&x, len, err, errlen);
}

char *export_csv(const jifen_report *r, size_t *len)
{
    char err[64];
    return whole(r, false, "report", NULL, len, err, sizeof err);
}

char *export_xlsx(const jifen_report *r, const char *sheet,
                  const char *tmp_dir, size_t *len, char *err, size_t errlen)
{
    return whole(r, true, sheet, tmp_dir, len, err, errlen);
}
