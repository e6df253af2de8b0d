/*
 * xlsx - a table as an Excel workbook: the only user of libxlsxwriter
 * (moved here from jifen-web so that the CLI's --xlsx and the web
 * console's download write the same files). Rows are written in order
 * with libxlsxwriter's constant-memory mode, so a report of 100,000 rows
 * takes the memory of one row. Text is written as text (never a formula),
 * whole numbers as numbers, amounts of yuan as numbers with two decimals
 * ("#,##0.00"), headings bold.
 */
#ifndef JIFEN_XLSX_H
#define JIFEN_XLSX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xlsx_book xlsx_book;

/* A workbook at path with one sheet. NULL with why in err. */
xlsx_book *xlsx_new(const char *path, const char *sheet, char *err,
                    size_t errlen);

/* A line of its own (the title), then the next row. */
void xlsx_title(xlsx_book *b, const char *text);
/* Bold headings, then the next row; sets the column widths. */
void xlsx_headings(xlsx_book *b, const char *const *cells, size_t n);
/* One cell of the current row. */
void xlsx_text(xlsx_book *b, size_t col, const char *text);
void xlsx_integer(xlsx_book *b, size_t col, int64_t v);
void xlsx_yuan(xlsx_book *b, size_t col, int64_t fen);
/* Text that is a whole number of at most 15 digits goes as a number. */
void xlsx_cell(xlsx_book *b, size_t col, const char *text);
void xlsx_next_row(xlsx_book *b);

/* Writes the file and frees b. 0, or -1 with why in err. */
int xlsx_close(xlsx_book **b, char *err, size_t errlen);

#endif
