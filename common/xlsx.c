/*
 * xlsx - see xlsx.h.
 */
#include "xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

struct xlsx_book {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *yuan;
    lxw_row_t row;
    bool failed;
};

xlsx_book *xlsx_new(const char *path, const char *sheet, char *err,
                    size_t errlen)
{
    xlsx_book *b = calloc(1, sizeof *b);
    /* Rows go out as they come (a large report in bounded memory);
     * libxlsxwriter then needs each row written before the next. */
    lxw_workbook_options opts = {.constant_memory = LXW_TRUE,
                                 .tmpdir = NULL};
    if (b)
        b->wb = workbook_new_opt(path, &opts);
    if (b && b->wb) {
        b->ws = workbook_add_worksheet(b->wb, sheet);
        b->bold = workbook_add_format(b->wb);
        b->yuan = workbook_add_format(b->wb);
    }
    if (!b || !b->ws || !b->bold || !b->yuan) {
        if (b && b->wb)
            workbook_close(b->wb);
        free(b);
        snprintf(err, errlen, "libxlsxwriter: cannot make a workbook at %s",
                 path);
        return NULL;
    }
    format_set_bold(b->bold);
    format_set_num_format(b->yuan, "#,##0.00");
    return b;
}

void xlsx_title(xlsx_book *b, const char *text)
{
    worksheet_write_string(b->ws, b->row, 0, text, NULL);
    b->row += 2;
}

void xlsx_headings(xlsx_book *b, const char *const *cells, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        worksheet_write_string(b->ws, b->row, (lxw_col_t)j, cells[j],
                               b->bold);
        /* Chinese headings and door numbers: a little wider than 8. */
        worksheet_set_column(b->ws, (lxw_col_t)j, (lxw_col_t)j,
                             j == 0 ? 18 : 14, NULL);
    }
    b->row++;
}

void xlsx_text(xlsx_book *b, size_t col, const char *text)
{
    worksheet_write_string(b->ws, b->row, (lxw_col_t)col, text, NULL);
}

void xlsx_integer(xlsx_book *b, size_t col, int64_t v)
{
    /* Whole numbers below 2^53 are exact in a spreadsheet's double. */
    worksheet_write_number(b->ws, b->row, (lxw_col_t)col, (double)v, NULL);
}

void xlsx_yuan(xlsx_book *b, size_t col, int64_t fen)
{
    /* The file stores a double: yuan = fen / 100 is the nearest double to
     * the exact amount, shown with two decimals. The ledger's integers
     * stay in --json. */
    worksheet_write_number(b->ws, b->row, (lxw_col_t)col, (double)fen / 100.0,
                           b->yuan);
}

void xlsx_cell(xlsx_book *b, size_t col, const char *s)
{
    const char *p = *s == '-' ? s + 1 : s;
    if (*p != '\0' && strspn(p, "0123456789") == strlen(p) && strlen(p) <= 15)
        xlsx_integer(b, col, strtoll(s, NULL, 10));
    else
        xlsx_text(b, col, s);
}

void xlsx_next_row(xlsx_book *b)
{
    b->row++;
}

int xlsx_close(xlsx_book **bp, char *err, size_t errlen)
{
    xlsx_book *b = *bp;
    *bp = NULL;
    if (!b)
        return -1;
    lxw_error e = workbook_close(b->wb);
    free(b);
    if (e != LXW_NO_ERROR) {
        snprintf(err, errlen, "libxlsxwriter: %s", lxw_strerror(e));
        return -1;
    }
    return 0;
}
