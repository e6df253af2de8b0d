/*
 * report_view - a report as people read it (issue 14): headings and row
 * labels from the one catalogue (common/i18n_messages.def: COL_<column>,
 * ITEM_<item>), amounts of fen as yuan with two decimals, Chinese unless
 * English was asked for. jifend's tables carry machine names and integers
 * (what --json gives); the CLI's tables, CSV and .xlsx and jifen-web's
 * pages and files show them through here, so they agree.
 */
#ifndef JIFEN_REPORT_VIEW_H
#define JIFEN_REPORT_VIEW_H

#include "i18n.h"
#include "jifen_types.h"

#include <stdbool.h>
#include <stdio.h>

/* The heading of a column (COL_<column>), or the column's own name. */
const char *report_view_heading(const char *column, i18n_lang lang);

/* Whether a cell of `row` in column j holds fen: the "_fen" items of a
 * statement and the liability, the ageing's buckets, "_fen" columns, the
 * fee asset's amounts in the trial balance. */
bool report_view_is_fen(const jifen_report *r, const jifen_report_row *row,
                        size_t j);

/* The cell as people read it: yuan for fen ("128.50"), a row label from
 * the catalogue (ITEM_<item>, TOTAL), a channel's name; else as it is.
 * Writes into buf[cap] and returns it. *fen (may be NULL) gets the amount
 * when the cell is fen. */
const char *report_view_cell(const jifen_report *r, const jifen_report_row *row,
                             size_t j, i18n_lang lang, char *buf, size_t cap,
                             bool *is_fen, int64_t *fen);

/* The title in the language, from the kind and jifend's (English) title. */
void report_view_title(const char *kind, const char *title, i18n_lang lang,
                       char *out, size_t cap);

/* CSV for Excel: the header (after the UTF-8 byte-order mark, which the
 * caller writes once at the top of the file), then rows, through the one
 * CSV cell writer (csv.h). */
void report_view_csv_header(FILE *f, const jifen_report *r, i18n_lang lang);
void report_view_csv_rows(FILE *f, const jifen_report *r,
                          const jifen_report_row *rows, size_t n,
                          i18n_lang lang);

/* The number of terminal columns `s` takes (a CJK character two). */
size_t report_view_width(const char *s);

#define REPORT_VIEW_BOM "\xEF\xBB\xBF"

#endif
