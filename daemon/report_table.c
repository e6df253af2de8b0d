/*
 * report_table - see report_table.h.
 */
#include "report_table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool table_start(table *t, jifen_result *res, const char *const *cols,
                        size_t nc)
{
    memset(t, 0, sizeof *t);
    t->r = res->report = calloc(1, sizeof *res->report);
    if (!t->r)
        return false;
    t->r->n_columns = nc;
    for (size_t i = 0; i < nc; i++)
        snprintf(t->r->columns[i], sizeof t->r->columns[i], "%s", cols[i]);
    return true;
}

void table_title(table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->r->title, sizeof t->r->title, fmt, ap);
    va_end(ap);
}

void *table_room_for(void *items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return items;
    size_t more = *cap ? *cap * 2 : 16;
    void *p = realloc(items, more * size);
    if (p)
        *cap = more;
    return p;
}

void table_cell_copy(char out[JIFEN_REPORT_CELL_MAX + 1], const char *src)
{
    size_t n = strlen(src);
    if (n > JIFEN_REPORT_CELL_MAX) {
        n = JIFEN_REPORT_CELL_MAX;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--;
    }
    memcpy(out, src, n);
    out[n] = '\0';
}

void table_row(table *t, const char *const *cells)
{
    jifen_report *r = t->r;
    if (!r) /* a table without a report (reports_summary's): no rows */
        return;
    jifen_report_row *rows = NULL;
    if (!t->failed && r->n_rows < JIFEN_REPORT_ROWS_MAX)
        rows = table_room_for(r->rows, &t->cap, r->n_rows, sizeof *r->rows);
    if (!rows) {
        t->failed = true;
        return;
    }
    r->rows = rows;
    jifen_report_row *row = &r->rows[r->n_rows++];
    memset(row, 0, sizeof *row);
    for (size_t i = 0; i < r->n_columns; i++)
        table_cell_copy(row->cells[i], cells[i]);
}

