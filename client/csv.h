/*
 * csv - one cell of comma-separated values, the one way jifen writes them
 * (every CSV writer of the CLI, and any other program of jifen that writes
 * CSV, goes through csv_cell).
 *
 * RFC 4180: a cell holding a comma, a quote or a line break is quoted, with
 * quotes doubled. And for spreadsheets (CSV injection): a cell that starts
 * with =, +, -, @, a tab or a carriage return is a formula to Excel,
 * LibreOffice and WPS, so a household code such as "-A1+1" or a name such
 * as "=HYPERLINK(...)" would run when the file is opened. Such a cell gets
 * a leading apostrophe, which spreadsheets show as text. A cell that is a
 * plain number ("-5000", "12.50") is left alone: numbers stay numbers.
 */
#ifndef JIFEN_CSV_H
#define JIFEN_CSV_H

#include <stdbool.h>
#include <stdio.h>

/* Writes s as one cell (no separator, no line end). */
void csv_cell(FILE *f, const char *s);

/* True when s is an optional '-', digits, and optionally '.' and digits. */
bool csv_is_number(const char *s);

#endif
