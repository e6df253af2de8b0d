/*
 * report_table - a report being made: its table (jifen_report) and the
 * rows added to it, for reports.c and committee_reports.c alike.
 */
#ifndef JIFEN_REPORT_TABLE_H
#define JIFEN_REPORT_TABLE_H

#include "jifen_types.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    jifen_report *r;
    size_t cap;
    bool failed;   /* a row could not be kept */
    bool overflow; /* a total did not fit 64 bits: refused, not shown */
} table;

/* A new report in res with these columns; false when out of memory. */
bool table_start(table *t, jifen_result *res, const char *const *cols,
                 size_t nc);

void table_title(table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An array of `size`-byte items that doubles as it fills, with room for
 * item n: the array (moved, perhaps), or NULL when out of memory (the old
 * one is left as it was). */
void *table_room_for(void *items, size_t *cap, size_t n, size_t size);

/* src into a cell of JIFEN_REPORT_CELL_MAX bytes, cut (if it must be)
 * before a UTF-8 character, never inside one: cells are text that any
 * client decodes. */
void table_cell_copy(char out[JIFEN_REPORT_CELL_MAX + 1], const char *src);

/* Adds a row; cells are strings, n_columns of them (cut as
 * table_cell_copy cuts). A table without a report (reports_summary's)
 * keeps no rows: only the figures count. */
void table_row(table *t, const char *const *cells);

#endif
