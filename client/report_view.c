/*
 * report_view - see report_view.h.
 */
#include "report_view.h"

#include "csv.h"
#include "jifen.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *report_view_heading(const char *column, i18n_lang lang)
{
    char key[JIFEN_REPORT_CELL_MAX + 8];
    snprintf(key, sizeof key, "COL_%s", column);
    i18n_id id = i18n_find(key);
    return id != I18N_COUNT ? i18n_text(id, lang) : column;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n > t && strcmp(s + n - t, tail) == 0;
}

bool report_view_is_fen(const jifen_report *r, const jifen_report_row *row,
                        size_t j)
{
    const char *col = r->columns[j];
    if (r->n_columns == 2 && strcmp(r->columns[0], "item") == 0)
        return j == 1 && (ends_with(row->cells[0], "_fen") ||
                          strcmp(row->cells[0], "fen_per_point") == 0);
    if (strcmp(r->columns[0], "account") == 0)
        return j >= 2 && strcmp(row->cells[1], "fee") == 0;
    return strncmp(col, "days_", 5) == 0 || ends_with(col, "_fen");
}

static bool integer(const char *s, int64_t *v)
{
    char *end = NULL;
    if (*s == '\0')
        return false;
    long long x = strtoll(s, &end, 10);
    if (*end != '\0')
        return false;
    *v = x;
    return true;
}

/* A catalogue text by key, or NULL. */
static const char *text_of(const char *prefix, const char *name,
                           i18n_lang lang)
{
    char key[JIFEN_REPORT_CELL_MAX + 16];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    i18n_id id = i18n_find(key);
    return id != I18N_COUNT ? i18n_text(id, lang) : NULL;
}

const char *report_view_cell(const jifen_report *r, const jifen_report_row *row,
                             size_t j, i18n_lang lang, char *buf, size_t cap,
                             bool *is_fen, int64_t *fen)
{
    const char *cell = row->cells[j];
    const char *col = r->columns[j];
    int64_t v = 0;
    bool money = report_view_is_fen(r, row, j) && integer(cell, &v);
    if (is_fen)
        *is_fen = money;
    if (fen)
        *fen = v;
    if (money) {
        jifen_format_yuan(v, buf, cap);
        return buf;
    }
    const char *label = NULL;
    if (j == 0 && strcmp(col, "item") == 0)
        label = text_of("ITEM_", cell, lang);
    else if (j == 0 && strncmp(cell, "TOTAL", 5) == 0)
        label = text_of("RPT_", cell[5] ? cell + 6 : "TOTAL", lang);
    else if (strcmp(col, "channel") == 0)
        label = text_of("CHANNEL_", cell, lang);
    else if (strcmp(col, "state") == 0)
        label = text_of("SHIFT_STATE_", cell, lang);
    else if (strcmp(col, "asset") == 0)
        label = text_of("ASSET_", cell, lang);
    else if (strcmp(col, "item") == 0 && cell[0] == '\0')
        label = text_of("RPT_", "NO_ITEM", lang);
    snprintf(buf, cap, "%s", label ? label : cell);
    return buf;
}

void report_view_title(const char *kind, const char *title, i18n_lang lang,
                       char *out, size_t cap)
{
    if (lang == I18N_EN) {
        snprintf(out, cap, "%s", title);
        return;
    }
    /* jifend's titles name what the Chinese ones need; read them back. */
    char a[80] = "", b[80] = "", c[80] = "";
    long long billed = 0, owed = 0;
    const char *at = strstr(title, "end of ");
    if (at)
        snprintf(a, sizeof a, "%.10s", at + 7);
    if (strcmp(kind, "statement") == 0 &&
        sscanf(title, "statement of %79s for %79s", b, c) == 2)
        i18n_format(out, cap, I18N_RPT_TITLE_STATEMENT, lang, b, c);
    else if (strcmp(kind, "liability") == 0 &&
             sscanf(title, "funder liability for %79s", b) == 1)
        i18n_format(out, cap, I18N_RPT_TITLE_LIABILITY, lang, b, a);
    else if (strcmp(kind, "ageing") == 0) {
        const char *rate = strstr(title, "collection rate ");
        if (rate && sscanf(rate, "collection rate %79s (billed %lld, "
                                 "outstanding %lld)",
                           b, &billed, &owed) == 3) {
            char y1[32], y2[32];
            i18n_format(out, cap, I18N_RPT_TITLE_AGEING_RATE, lang, a, b,
                        jifen_format_yuan(billed, y1, sizeof y1),
                        jifen_format_yuan(owed, y2, sizeof y2));
        } else {
            i18n_format(out, cap, I18N_RPT_TITLE_AGEING, lang, a);
        }
    } else if (strcmp(kind, "arrears") == 0)
        i18n_format(out, cap, I18N_RPT_TITLE_ARREARS, lang, a);
    else if (strcmp(kind, "trial-balance") == 0)
        snprintf(out, cap, "%s",
                 i18n_text(strstr(title, "DO NOT")
                               ? I18N_RPT_TITLE_TRIAL_UNEQUAL
                           : strstr(title, "equal") ? I18N_RPT_TITLE_TRIAL_EQUAL
                                                     : I18N_RPT_TITLE_TRIAL,
                           lang));
    else if (strcmp(kind, "shifts") == 0 &&
             sscanf(title, "shift closes of %10s", b) == 1)
        i18n_format(out, cap, I18N_RPT_TITLE_SHIFTS, lang, b);
    else if (strcmp(kind, "rollup") == 0 &&
             sscanf(title, "roll-up of %79s communit%*s for %7s", b, c) == 2) {
        const char *street = strstr(title, ", street ");
        char s[80] = "";
        if (street)
            sscanf(street, ", street %79[^ ]", s);
        i18n_format(out, cap,
                    s[0] ? I18N_RPT_TITLE_ROLLUP_STREET : I18N_RPT_TITLE_ROLLUP,
                    lang, c, b, s);
    }
    else
        snprintf(out, cap, "%s", title);
}

static void csv_cells(FILE *f, const char *const *cells, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (j)
            fputc(',', f);
        csv_cell(f, cells[j]);
    }
    fputs("\r\n", f);
}

void report_view_csv_header(FILE *f, const jifen_report *r, i18n_lang lang)
{
    const char *cells[JIFEN_REPORT_COLUMNS_MAX];
    for (size_t j = 0; j < r->n_columns; j++)
        cells[j] = report_view_heading(r->columns[j], lang);
    csv_cells(f, cells, r->n_columns);
}

void report_view_csv_rows(FILE *f, const jifen_report *r,
                          const jifen_report_row *rows, size_t n,
                          i18n_lang lang)
{
    char bufs[JIFEN_REPORT_COLUMNS_MAX][JIFEN_REPORT_CELL_MAX * 2 + 1];
    const char *cells[JIFEN_REPORT_COLUMNS_MAX];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < r->n_columns; j++)
            cells[j] = report_view_cell(r, &rows[i], j, lang, bufs[j],
                                        sizeof bufs[j], NULL, NULL);
        csv_cells(f, cells, r->n_columns);
    }
}

size_t report_view_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        if (*p < 0x80) {
            w++;
            p++;
            continue;
        }
        unsigned cp = 0;
        size_t n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
        cp = *p & (0x3F >> (n - 1));
        for (size_t i = 1; i < n && p[i]; i++)
            cp = cp << 6 | (p[i] & 0x3F);
        /* CJK, full-width forms, symbols such as ㎡: two columns. */
        w += (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                               (cp >= 0xAC00 && cp <= 0xD7A3) ||
                               (cp >= 0xF900 && cp <= 0xFAFF) ||
                               (cp >= 0xFE30 && cp <= 0xFE4F) ||
                               (cp >= 0xFF00 && cp <= 0xFF60) ||
                               (cp >= 0xFFE0 && cp <= 0xFFE6)))
                 ? 2
                 : 1;
        while (n-- && *p)
            p++;
    }
    return w;
}
