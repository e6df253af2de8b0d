/*
 * export - a report as a file people open in Excel: CSV (UTF-8 with a
 * byte-order mark, which Chinese Excel needs to read UTF-8) or .xlsx
 * (common/xlsx.c, the only user of libxlsxwriter).
 */
#ifndef JIFEN_WEB_EXPORT_H
#define JIFEN_WEB_EXPORT_H

#include "jifen_types.h"

#include <stddef.h>

/* One CSV cell, RFC 4180 quoted. Text that a spreadsheet would run as a
 * formula (starting with = + - @, tab or CR, and not a plain number) gets
 * a leading apostrophe inside the quotes, so a resident's name can never
 * become a formula on the street office's machine. Appends to *buf. */
int export_csv_cell(char **buf, size_t *len, size_t *cap, const char *cell);

/* The report as CSV: BOM, header row, rows. malloc'd; NULL out of memory. */
char *export_csv(const jifen_report *r, size_t *len);

/* The report as an .xlsx workbook (one sheet, numbers as numbers), made
 * in tmp_dir. malloc'd; NULL with err. */
char *export_xlsx(const jifen_report *r, const char *sheet,
                  const char *tmp_dir, size_t *len, char *err, size_t errlen);

#endif
