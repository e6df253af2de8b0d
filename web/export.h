/*
 * export - a report as a file people open in Excel: CSV (UTF-8 with a
 * byte-order mark, which Chinese Excel needs to read UTF-8, through the
 * one CSV writer client/csv.c) or .xlsx (common/xlsx.c, the only user of
 * libxlsxwriter), with Chinese headings and yuan, as the CLI writes them
 * (client/report_view.h). Rows go in page by page (report_pages.h), so a
 * report of any size takes the memory of its file, never of its rows.
 */
#ifndef JIFEN_WEB_EXPORT_H
#define JIFEN_WEB_EXPORT_H

#include "jifen_types.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct exporter exporter;

/* A file of report `kind` being made: xlsx (in tmp_dir, a 0700
 * directory) or CSV. NULL with err. */
exporter *export_new(bool xlsx, const char *kind, const char *tmp_dir,
                     char *err, size_t errlen);
/* Rows of a page (the first call also writes the title and headings). */
void export_rows(exporter *x, const jifen_report *page,
                 const jifen_report_row *rows, size_t n);
/* The file, malloc'd, and x freed; NULL with err. */
char *export_finish(exporter **x, size_t *len, char *err, size_t errlen);

/* A whole report as CSV / .xlsx at once (tests, small reports). */
char *export_csv(const jifen_report *r, size_t *len);
char *export_xlsx(const jifen_report *r, const char *sheet,
                  const char *tmp_dir, size_t *len, char *err, size_t errlen);

#endif
