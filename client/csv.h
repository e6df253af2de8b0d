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

/*
 * Reading (issue 15: sign-in rosters, paper-ledger imports): the rows of a
 * UTF-8 text as RFC 4180 has them - quoted cells may hold commas, line
 * breaks and doubled quotes; lines end in CRLF or LF. A cell's spaces and
 * tabs around it are trimmed; a row of empty cells is skipped.
 */
typedef struct {
    const char *p, *end;
    unsigned line; /* the line p is on, from 1 */
    char *buf;     /* the current row's cells, NUL after each */
    size_t cap;
    size_t *starts;
    size_t starts_cap;
} csv_reader;

void csv_reader_init(csv_reader *r, const char *text, size_t len);
/* The next row with anything in it: its cells (at most max; more are
 * dropped) into cells[], valid until the next call, *n of them, and the
 * line it starts on. 1 a row, 0 the end, -1 out of memory. */
int csv_reader_next(csv_reader *r, const char **cells, size_t max, size_t *n,
                    unsigned *line);
void csv_reader_free(csv_reader *r);

#endif
