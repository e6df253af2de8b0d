/*
 * cli_desk - see cli_desk.h.
 */
#include "cli_desk.h"

#include "billing_run.h"
#include "calendar.h"
#include "json_out.h"
#include "report_pages.h"
#include "report_view.h"
#include "rmb_capitals.h"
#include "xlsx.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DONE = 0, REFUSED = 1, USAGE = 2, FORBIDDEN = 4 };

#define T(id) i18n_text(I18N_##id, env->lang)

static int refused(const cli_desk_env *env, jifen_status s, const char *why)
{
    cli_print_refusal(env->out, s, why);
    return s == JIFEN_STATUS_FORBIDDEN ? FORBIDDEN : REFUSED;
}

/* One request; its first result when the ledger answered OK, else the
 * exit code (the refusal printed). */
static int ask(const cli_desk_env *env, jifen_request *req, jifen_reply *reply,
               const jifen_result **res)
{
    int rc = env->call(env->ctx, req, reply);
    if (rc != DONE)
        return rc;
    *res = reply->n_results ? &reply->results[0] : NULL;
    const char *error = NULL;
    jifen_status s = report_reply_status(reply, &error);
    if (s != JIFEN_STATUS_OK) {
        char why[JIFEN_ERROR_MAX + 1];
        snprintf(why, sizeof why, "%s", error);
        jifen_reply_clear(reply);
        return refused(env, s, why);
    }
    return DONE;
}

/* ask() for one command. */
static int ask_one(const cli_desk_env *env, jifen_command *c,
                   jifen_reply *reply, const jifen_result **res)
{
    jifen_request req = {.n_commands = 1, .commands = c};
    return ask(env, &req, reply, res);
}

/* A reply without the part it should have. */
static int missing(const cli_desk_env *env, jifen_reply *reply,
                   const char *what)
{
    jifen_reply_clear(reply);
    cli_print_failure(env->out, "bad_reply", what, NULL);
    return REFUSED;
}

static const char *yuan(int64_t fen, char buf[32])
{
    return jifen_format_yuan(fen, buf, 32);
}

static const char *num(uint64_t v, char buf[32])
{
    snprintf(buf, 32, "%" PRIu64, v);
    return buf;
}

/* --- reports as people read them -------------------------------------------
 *
 * A sink takes the rows as they come: a table on the terminal, CSV for
 * Excel, an .xlsx workbook, or (--json) the machine form streamed. The
 * table's columns are as wide as the first page needs.
 */

typedef struct {
    const cli_desk_env *env;
    const char *kind;
    bool started;
    size_t width[JIFEN_REPORT_COLUMNS_MAX];
    xlsx_book *book;
    bool json_first;
    /* --json: a report of one page is held and printed whole at the end,
     * as it always was (title first); a longer one is streamed. */
    bool streaming;
    jifen_report_row *held;
    size_t n_held;
    jifen_report held_header;
    char err[256];
} sink;

static bool is_integer_text(const char *s)
{
    const char *p = s + (*s == '-');
    return *p && strspn(p, "0123456789") == strlen(p);
}

static void pad(FILE *f, const char *s, size_t width, bool right)
{
    size_t w = report_view_width(s);
    if (right)
        for (size_t i = w; i < width; i++)
            fputc(' ', f);
    fputs(s, f);
    if (!right)
        for (size_t i = w; i < width; i++)
            fputc(' ', f);
}

#define CELL_TEXT (JIFEN_REPORT_CELL_MAX * 2 + 1)

static void table_row(sink *k, const jifen_report *r,
                      const jifen_report_row *row)
{
    FILE *f = k->env->out->out;
    for (size_t j = 0; j < r->n_columns; j++) {
        char buf[CELL_TEXT];
        bool fen = false;
        const char *c = report_view_cell(r, row, j, k->env->lang, buf,
                                         sizeof buf, &fen, NULL);
        if (j)
            fputs("  ", f);
        pad(f, c, k->width[j], j > 0 && (fen || is_integer_text(c)));
    }
    fputc('\n', f);
}

static void start_table(sink *k, const jifen_report *p)
{
    const cli_desk_env *env = k->env;
    FILE *f = env->out->out;
    char title[JIFEN_REPORT_TITLE_MAX * 2];
    report_view_title(k->kind, p->title, env->lang, title, sizeof title);
    for (size_t j = 0; j < p->n_columns; j++) {
        k->width[j] = report_view_width(
            report_view_heading(p->columns[j], env->lang));
        for (size_t i = 0; i < p->n_rows; i++) {
            char buf[CELL_TEXT];
            bool fen = false;
            size_t w = report_view_width(report_view_cell(
                p, &p->rows[i], j, env->lang, buf, sizeof buf, &fen, NULL));
            /* Totals come after the rows: room for them. */
            if (fen && w < 10)
                w = 10;
            if (w > k->width[j])
                k->width[j] = w;
        }
    }
    if (env->out->csv) {
        fputs(REPORT_VIEW_BOM, f);
        report_view_csv_header(f, p, env->lang);
    } else if (env->xlsx) {
        k->book = xlsx_new(env->xlsx, k->kind, k->err, sizeof k->err);
        if (!k->book)
            return;
        const char *heads[JIFEN_REPORT_COLUMNS_MAX];
        for (size_t j = 0; j < p->n_columns; j++)
            heads[j] = report_view_heading(p->columns[j], env->lang);
        xlsx_title(k->book, title);
        xlsx_headings(k->book, heads, p->n_columns);
    } else if (env->out->json) {
        k->held_header = *p;
        k->held_header.rows = NULL;
        k->held_header.n_rows = 0;
    } else {
        fprintf(f, "%s\n", title);
        for (size_t j = 0; j < p->n_columns; j++) {
            if (j)
                fputs("  ", f);
            pad(f, report_view_heading(p->columns[j], env->lang), k->width[j],
                j > 0);
        }
        fputc('\n', f);
    }
}

static void xlsx_report_row(xlsx_book *b, const jifen_report *r,
                            const jifen_report_row *row, i18n_lang lang)
{
    for (size_t j = 0; j < r->n_columns; j++) {
        char buf[CELL_TEXT];
        bool fen = false;
        int64_t v = 0;
        const char *c =
            report_view_cell(r, row, j, lang, buf, sizeof buf, &fen, &v);
        if (fen)
            xlsx_yuan(b, j, v);
        else
            xlsx_cell(b, j, c);
    }
    xlsx_next_row(b);
}

/* The JSON of a row as `report --json` always wrote it: integers as
 * numbers, keyed by column. */
static void json_row_into(json_out *o, const jifen_report *r,
                          const jifen_report_row *row)
{
    for (size_t j = 0; j < r->n_columns; j++) {
        const char *cell = row->cells[j];
        if (is_integer_text(cell))
            json_out_i64(o, r->columns[j], strtoll(cell, NULL, 10));
        else
            json_out_str(o, r->columns[j], cell);
    }
}

static void json_row(sink *k, const jifen_report *r,
                     const jifen_report_row *row)
{
    json_out *o = json_out_new();
    json_row_into(o, r, row);
    json_out_stream_element(k->env->out->out, &o, k->json_first);
    k->json_first = false;
}

/* Holds rows of the first page (a report that may fit one), or streams
 * them from the second page on, the held ones first. */
static void json_rows(sink *k, const jifen_report *p,
                      const jifen_report_row *rows, size_t n, bool more)
{
    if (!k->streaming && more) {
        k->streaming = true;
        json_out_stream_open(k->env->out->out, "rows");
        k->json_first = true;
        for (size_t i = 0; i < k->n_held; i++)
            json_row(k, &k->held_header, &k->held[i]);
        free(k->held);
        k->held = NULL;
        k->n_held = 0;
    }
    if (k->streaming) {
        for (size_t i = 0; i < n; i++)
            json_row(k, p, &rows[i]);
        return;
    }
    jifen_report_row *h = n ? realloc(k->held, (k->n_held + n) * sizeof *h)
                            : k->held;
    if (!h)
        return;
    memcpy(h + k->n_held, rows, n * sizeof *h);
    k->held = h;
    k->n_held += n;
}

/* The end of --json: the held report whole, or the stream closed. */
static void json_end(sink *k, const char *title)
{
    FILE *f = k->env->out->out;
    if (k->streaming) {
        json_out *rest = json_out_new();
        json_out_str(rest, "title", title);
        json_out_stream_close(f, &rest);
        return;
    }
    json_out *o = json_out_new();
    json_out_str(o, "title", title);
    json_out *list = json_out_array(o, "rows");
    for (size_t i = 0; i < k->n_held; i++)
        json_row_into(json_out_object(list, NULL), &k->held_header,
                      &k->held[i]);
    json_out_print(f, &o);
    free(k->held);
    k->held = NULL;
    k->n_held = 0;
}

static void sink_rows(sink *k, const jifen_report *p,
                      const jifen_report_row *rows, size_t n)
{
    const cli_desk_env *env = k->env;
    if (!k->started) {
        start_table(k, p);
        k->started = true;
    }
    if (env->out->json) {
        json_rows(k, p, rows, n, p->next[0] != '\0');
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (env->out->csv)
            report_view_csv_rows(env->out->out, p, &rows[i], 1, env->lang);
        else if (env->xlsx && k->book)
            xlsx_report_row(k->book, p, &rows[i], env->lang);
        else if (!env->xlsx)
            table_row(k, p, &rows[i]);
    }
}

static int page_rows(void *ctx, const jifen_report *page)
{
    sink *k = ctx;
    sink_rows(k, page, page->rows, page->n_rows);
    return k->env->xlsx && !k->book ? 1 : 0;
}

/* A line after the table, from all its pages: the ageing's collection
 * rate, the trial balance's verdict. */
static void rate_line(sink *k, const report_whole *w)
{
    const cli_desk_env *env = k->env;
    bool ageing = strcmp(k->kind, "ageing") == 0;
    if ((!ageing && strcmp(k->kind, "trial-balance") != 0) ||
        w->n_sums < 2 || env->out->json)
        return;
    char title[JIFEN_REPORT_TITLE_MAX * 2];
    report_view_title(k->kind, w->header.title, env->lang, title,
                      sizeof title);
    if (env->out->csv)
        return; /* a CSV is its rows; the title goes with the table */
    if (k->book)
        xlsx_text(k->book, 0, title);
    else
        fprintf(env->out->out, "%s\n", title);
}

static int call_report(void *ctx, const jifen_request *req,
                       jifen_reply *reply)
{
    const cli_desk_env *env = ctx;
    return env->call(env->ctx, req, reply);
}

static int paged_report(const cli_desk_env *env, const jifen_command *cmd)
{
    sink k = {.env = env, .kind = cmd->code};
    report_whole w;
    int rc = report_pages_fetch(cmd, call_report, (void *)env, page_rows, &k,
                                &w);
    if (rc != DONE)
        return rc;
    if (w.status != JIFEN_STATUS_OK)
        return refused(env, w.status, w.error);
    if (env->xlsx && !k.book) {
        cli_print_failure(env->out, "error", k.err, NULL);
        return REFUSED;
    }
    if (!k.started) { /* no page at all is not possible; be safe */
        w.header.n_rows = 0;
        sink_rows(&k, &w.header, NULL, 0);
    }
    jifen_report_row tail[2];
    size_t n_tail = 0;
    report_pages_totals(cmd->code, &w, tail, &n_tail);
    sink_rows(&k, &w.header, tail, n_tail);
    rate_line(&k, &w);
    if (env->out->json)
        json_end(&k, w.header.title);
    if (k.book && xlsx_close(&k.book, k.err, sizeof k.err) != 0) {
        cli_print_failure(env->out, "error", k.err, NULL);
        return REFUSED;
    }
    if (env->xlsx && !env->out->json)
        fprintf(env->out->out, "%s\n", env->xlsx);
    return w.moved ? REFUSED : DONE;
}

int cli_desk_report(const cli_desk_env *env, const jifen_command *report)
{
    if (report->kind == JIFEN_CMD_REPORT && report_pages_kind(report->code))
        return paged_report(env, report);
    jifen_command c = *report;
    jifen_reply reply;
    const jifen_result *res = NULL;
    int rc = ask_one(env, &c, &reply, &res);
    if (rc != DONE)
        return rc;
    if (!res->report)
        return missing(env, &reply, "no report in the reply");
    if (env->out->json && report->kind == JIFEN_CMD_REPORT) {
        cli_print_result(env->out, report, "", res); /* as it always was */
        jifen_reply_clear(&reply);
        return DONE;
    }
    sink k = {.env = env,
              .kind = report->kind == JIFEN_CMD_SHIFTS   ? "shifts"
                      : report->kind == JIFEN_CMD_ROLLUP ? "rollup"
                                                         : report->code};
    page_rows(&k, res->report);
    if (env->out->json)
        json_end(&k, res->report->title);
    jifen_reply_clear(&reply);
    if (k.book && xlsx_close(&k.book, k.err, sizeof k.err) != 0) {
        cli_print_failure(env->out, "error", k.err, NULL);
        return REFUSED;
    }
    if (env->xlsx && !k.started) {
        cli_print_failure(env->out, "error", k.err, NULL);
        return REFUSED;
    }
    if (env->xlsx && !env->out->json)
        fprintf(env->out->out, "%s\n", env->xlsx);
    return DONE;
}

/* --- the receipt ------------------------------------------------------------ */

static const char *channel_text(const cli_desk_env *env, jifen_channel ch)
{
    char key[32];
    snprintf(key, sizeof key, "CHANNEL_%s", jifen_channel_name(ch));
    i18n_id id = i18n_find(key);
    return id != I18N_COUNT ? i18n_text(id, env->lang)
                            : jifen_channel_name(ch);
}

static void receipt_json(const cli_desk_env *env, const jifen_receipt *r,
                         const char *capitals)
{
    char hex[2 * JIFEN_HASH_LEN + 1];
    json_out *o = json_out_new();
    json_out_str(o, "status", "ok");
    json_out_u64(o, "entry", r->entry);
    json_out_u64(o, "receipt", r->receipt);
    json_out_i64(o, "time_ms", r->time_ms);
    json_out_str(o, "household", r->household);
    json_out_str(o, "name", r->name);
    json_out_u64(o, "area_centi_m2", r->area_centi_m2);
    json_out_u64(o, "paid_fen", r->paid_fen);
    json_out_str(o, "channel", jifen_channel_name(r->channel));
    json_out_str(o, "reference", r->reference);
    json_out_u64(o, "points", r->points);
    json_out_u64(o, "offset_fen", r->offset_fen);
    json_out_u64(o, "total_fen", r->paid_fen + r->offset_fen);
    json_out_str(o, "capitals", capitals);
    json_out *lines = json_out_array(o, "lines");
    for (size_t i = 0; i < r->n_lines; i++) {
        json_out *l = json_out_object(lines, NULL);
        json_out_str(l, "item", r->lines[i].item);
        json_out_str(l, "item_name", r->lines[i].item_name);
        json_out_str(l, "period", r->lines[i].period);
        json_out_u64(l, "fen", r->lines[i].fen);
        json_out_u64(l, "bill_entry", r->lines[i].bill_entry);
    }
    json_out_u64(o, "ahead_fen", r->ahead_fen);
    json_out_i64(o, "fee_due_after_fen", r->fee_due_after_fen);
    json_out_i64(o, "points_after", r->points_after);
    json_out_str(o, "author", r->author);
    json_out_str(o, "payee", r->payee);
    json_out_str(o, "entry_hash",
                 jifen_hex(r->entry_hash, JIFEN_HASH_LEN, hex, sizeof hex));
    json_out_str(o, "request_id", r->request_id);
    if (r->reversed_by)
        json_out_u64(o, "reversed_by", r->reversed_by);
    json_out_print(env->out->out, &o);
}

/* "label：value" lines, the label from the catalogue. */
static void field(FILE *f, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void field(FILE *f, const char *label, const char *fmt, ...)
{
    va_list ap;
    /* A full-width colon after a Chinese label, ": " after an English. */
    bool ascii = (unsigned char)label[0] < 0x80;
    fprintf(f, "%s%s", label, ascii ? ": " : "：");
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

static void receipt_human(const cli_desk_env *env, const jifen_receipt *r,
                          const char *capitals)
{
    FILE *f = env->out->out;
    char a[32], b[32], when[CLOCK_TIME_LEN + 1], hex[2 * JIFEN_HASH_LEN + 1];
    const char *rule = "------------------------------------------------";
    clock_time_text(r->time_ms, when);
    fprintf(f, "                %s\n", T(RCPT_TITLE));
    if (r->receipt)
        field(f, T(RCPT_NO), "No.%08" PRIu64, r->receipt);
    else
        fprintf(f, "%s\n", T(RCPT_NO_NONE));
    if (r->payee[0])
        field(f, T(RCPT_PAYEE), "%s", r->payee);
    field(f, T(RCPT_HOUSEHOLD), "%s", r->household);
    if (r->name[0])
        field(f, T(RCPT_NAME), "%s", r->name);
    if (r->area_centi_m2)
        field(f, T(RCPT_AREA), "%s ㎡", yuan(r->area_centi_m2, a));
    fprintf(f, "%s\n", rule);
    pad(f, T(RCPT_ITEM), 18, false);
    pad(f, T(RCPT_PERIOD), 12, false);
    pad(f, T(RCPT_AMOUNT), 14, true);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_lines; i++) {
        const jifen_receipt_line *l = &r->lines[i];
        pad(f, l->item_name[0] ? l->item_name
               : l->item[0]    ? l->item
                               : T(RCPT_OTHER_BILL),
            18, false);
        pad(f, l->period, 12, false);
        pad(f, yuan((int64_t)l->fen, a), 14, true);
        fputc('\n', f);
    }
    if (r->ahead_fen) {
        pad(f, T(RCPT_AHEAD), 30, false);
        pad(f, yuan((int64_t)r->ahead_fen, a), 14, true);
        fputc('\n', f);
    }
    fprintf(f, "%s\n", rule);
    field(f, T(RCPT_SUM), "¥%s", yuan((int64_t)(r->paid_fen + r->offset_fen), a));
    field(f, T(RCPT_CAPITALS), "%s", capitals);
    if (r->paid_fen) {
        field(f, T(RCPT_MONEY), "%s", yuan((int64_t)r->paid_fen, a));
        field(f, T(RCPT_CHANNEL), "%s", channel_text(env, r->channel));
        if (r->reference[0])
            field(f, T(RCPT_REFERENCE), "%s", r->reference);
    }
    if (r->points) {
        char detail[128];
        i18n_format(detail, sizeof detail, I18N_RCPT_POINTS_DETAIL, env->lang,
                 num(r->points, a), yuan((int64_t)r->offset_fen, b));
        field(f, T(RCPT_POINTS), "%s", detail);
    }
    if (r->fee_due_after_fen >= 0)
        field(f, T(RCPT_DUE_AFTER), "%s", yuan(r->fee_due_after_fen, a));
    else
        field(f, T(RCPT_PREPAID_AFTER), "%s", yuan(-r->fee_due_after_fen, a));
    field(f, T(RCPT_POINTS_AFTER), "%" PRId64, r->points_after);
    field(f, T(RCPT_CLERK), "%s", r->author);
    field(f, T(RCPT_TIME), "%s", when);
    field(f, T(RCPT_ENTRY), "%" PRIu64, r->entry);
    field(f, T(RCPT_HASH), "%s",
          jifen_hex(r->entry_hash, JIFEN_HASH_LEN, hex, sizeof hex));
    if (r->reversed_by) {
        char line[160];
        i18n_format(line, sizeof line, I18N_RCPT_REVERSED, env->lang,
                 num(r->reversed_by, a));
        fprintf(f, "%s\n", line);
    }
}

int cli_desk_receipt(const cli_desk_env *env, uint64_t entry)
{
    jifen_command c = {.kind = JIFEN_CMD_RECEIPT, .entry = entry};
    jifen_reply reply;
    const jifen_result *res = NULL;
    int rc = ask_one(env, &c, &reply, &res);
    if (rc != DONE)
        return rc;
    if (!res->receipt)
        return missing(env, &reply, "no receipt in the reply");
    const jifen_receipt *r = res->receipt;
    char capitals[RMB_CAPITALS_LEN] = "";
    rmb_capitals(r->paid_fen + r->offset_fen, capitals, sizeof capitals);
    if (env->out->json)
        receipt_json(env, r, capitals);
    else
        receipt_human(env, r, capitals);
    jifen_reply_clear(&reply);
    return DONE;
}

/* --- the billing run (billing_run.h) ---------------------------------------- */

static void run_json(const cli_desk_env *env, const billing_result *b,
                     const char *period)
{
    json_out *o = json_out_new();
    json_out_str(o, "status", b->failed ? "failed" : "ok");
    json_out_str(o, "period", period);
    json_out_bool(o, "dry_run", b->dry);
    json_out_u64(o, "households", b->households);
    json_out *items = json_out_array(o, "items");
    for (size_t i = 0; i < b->n_items; i++) {
        json_out *it = json_out_object(items, NULL);
        json_out_str(it, "item", b->items[i].item);
        json_out_str(it, "name", b->items[i].name);
        json_out_u64(it, "bills", b->items[i].bills);
        json_out_u64(it, "amount_fen", b->items[i].fen);
        json_out_u64(it, "already_billed", b->items[i].before);
        json_out_u64(it, "cannot_bill", b->items[i].cannot);
    }
    json_out_u64(o, "bills", b->bills);
    json_out_u64(o, "amount_fen", b->fen);
    json_out_u64(o, "already_billed", b->before);
    json_out *cant = json_out_array(o, "cannot_bill");
    for (size_t i = 0; i < b->n_problems; i++) {
        json_out *p = json_out_object(cant, NULL);
        json_out_str(p, "household", b->problems[i].household);
        json_out_str(p, "item", b->problems[i].item);
        json_out_str(p, "problem", b->problems[i].problem);
    }
    json_out_u64(o, "cannot_bill_count", b->cannot);
    json_out_u64(o, "failed", b->failed);
    if (b->failed)
        json_out_str(o, "error", b->first_failure);
    json_out_print(env->out->out, &o);
}

static void run_human(const cli_desk_env *env, const billing_result *b,
                      const char *period)
{
    FILE *f = env->out->out;
    char line[256], x[32], y[32], z[32];
    i18n_format(line, sizeof line, b->dry ? I18N_RUN_DRY_TITLE : I18N_RUN_TITLE,
                env->lang, period);
    fprintf(f, "%s\n", line);
    for (size_t i = 0; i < b->n_items; i++) {
        i18n_format(line, sizeof line, I18N_RUN_ITEM_LINE, env->lang,
                    b->items[i].item, b->items[i].name,
                    num(b->items[i].bills, x),
                    yuan((int64_t)b->items[i].fen, y));
        fprintf(f, "  %s\n", line);
    }
    i18n_format(line, sizeof line, b->dry ? I18N_RUN_WOULD_BILL : I18N_RUN_BILLED,
                env->lang, num(b->bills, x), yuan((int64_t)b->fen, y));
    fprintf(f, "%s\n", line);
    i18n_format(line, sizeof line, I18N_RUN_ALREADY, env->lang,
                num(b->before, x));
    fprintf(f, "%s\n", line);
    if (b->cannot) {
        i18n_format(line, sizeof line, I18N_RUN_CANNOT, env->lang,
                    num(b->cannot, x));
        fprintf(f, "%s\n", line);
        for (size_t i = 0; i < b->n_problems; i++) {
            const jifen_bill_line *p = &b->problems[i];
            i18n_format(line, sizeof line,
                        strcmp(p->problem, "no_units") == 0 ? I18N_RUN_NO_UNITS
                                                            : I18N_RUN_NO_AREA,
                        env->lang, p->household, p->item);
            fprintf(f, "  %s\n", line);
        }
        if (b->cannot > b->n_problems)
            fprintf(f, "  … (%s)\n", num(b->cannot - b->n_problems, z));
    }
    if (b->failed)
        fprintf(env->out->err,
                "jifen: %" PRIu64 " bills refused; the first: %s\n", b->failed,
                b->first_failure);
}

static void run_progress(void *ctx, uint64_t households)
{
    const cli_desk_env *env = ctx;
    if (!env->progress)
        return;
    char n[32], line[128];
    i18n_format(line, sizeof line, I18N_RUN_PROGRESS, env->lang,
                num(households, n), "…");
    fprintf(env->out->err, "\r%s", line);
    fflush(env->out->err);
}

int cli_desk_billing_run(const cli_desk_env *env, const char *period,
                         const char *item, bool dry_run, size_t batch)
{
    billing_result *b = malloc(sizeof *b);
    if (!b) {
        cli_print_failure(env->out, "error", "out of memory", NULL);
        return REFUSED;
    }
    billing_calls calls = {.call = call_report,
                           .ctx = (void *)env,
                           .parallel = env->parallel,
                           .parallel_ctx = env->ctx};
    int rc = billing_run(period, item, dry_run, batch, &calls, run_progress,
                         (void *)env, b);
    if (env->progress)
        fputc('\n', env->out->err);
    if (rc == DONE && b->status != JIFEN_STATUS_OK)
        rc = refused(env, b->status, b->error);
    else if (rc == DONE) {
        if (env->out->json)
            run_json(env, b, period);
        else
            run_human(env, b, period);
        if (b->failed)
            rc = REFUSED;
    }
    free(b);
    return rc;
}

/* --- the shift close --------------------------------------------------------- */

int cli_desk_shift_close(const cli_desk_env *env, const char *note)
{
    jifen_command c = {.kind = JIFEN_CMD_SHIFT_CLOSE};
    snprintf(c.note, sizeof c.note, "%s", note ? note : "");
    jifen_request req = {.n_commands = 1, .commands = &c};
    if (env->request_id && env->request_id[0])
        snprintf(req.request_id, sizeof req.request_id, "%s",
                 env->request_id);
    else
        jifen_request_id_new(req.request_id);
    jifen_reply reply;
    int rc = env->call(env->ctx, &req, &reply);
    if (rc != DONE)
        return rc;
    const jifen_result *res = &reply.results[0];
    const char *why = NULL;
    jifen_status st = report_reply_status(&reply, &why);
    if (st != JIFEN_STATUS_OK && st != JIFEN_STATUS_EXISTS) {
        char copy[JIFEN_ERROR_MAX + 1];
        snprintf(copy, sizeof copy, "%s", why);
        jifen_reply_clear(&reply);
        return refused(env, st, copy);
    }
    /* The totals are the entry's, as the journal holds them. */
    uint64_t entry = res->entry;
    bool replayed = res->status == JIFEN_STATUS_EXISTS;
    const jifen_command *close = res->n_history ? &res->history[0].command
                                                : NULL;
    FILE *f = env->out->out;
    char want[32], a[32], b1[32], c1[32], d[32], line[512];
    num(entry, want);
    json_out *o = env->out->json ? json_out_new() : NULL;
    json_out *totals = NULL;
    if (o) {
        json_out_str(o, "status", replayed ? "exists" : "ok");
        json_out_u64(o, "entry", entry);
        json_out_str(o, "request_id", req.request_id);
        if (close) {
            json_out_u64(o, "first_entry", close->entry);
            json_out_u64(o, "last_entry", close->last_entry);
            json_out_u64(o, "previous_close", close->previous_close);
        }
        totals = json_out_array(o, "totals");
    }
    int64_t cash = 0;
    size_t n = close ? close->n_totals : 0;
    for (size_t i = 0; i < n; i++) {
        const jifen_channel_total *t = &close->totals[i];
        int64_t net = (int64_t)t->paid_fen - (int64_t)t->refunded_fen +
                      t->reversed_fen;
        if (t->channel == JIFEN_CHANNEL_CASH)
            cash = net;
        if (o) {
            json_out *j = json_out_object(totals, NULL);
            json_out_str(j, "channel", jifen_channel_name(t->channel));
            json_out_u64(j, "payments", t->payments);
            json_out_u64(j, "paid_fen", t->paid_fen);
            json_out_u64(j, "refunds", t->refunds);
            json_out_u64(j, "refunded_fen", t->refunded_fen);
            json_out_u64(j, "reversals", t->reversals);
            json_out_i64(j, "reversed_fen", t->reversed_fen);
            json_out_i64(j, "net_fen", net);
            continue;
        }
        if (i == 0) {
            i18n_format(line, sizeof line, I18N_SHIFT_CLOSED, env->lang, want);
            fprintf(f, "%s\n", line);
        }
        char p1[32], p2[32], p3[32];
        i18n_format(line, sizeof line, I18N_SHIFT_LINE, env->lang,
                    channel_text(env, t->channel), num(t->payments, p1),
                    yuan((int64_t)t->paid_fen, a), num(t->refunds, p2),
                    yuan((int64_t)t->refunded_fen, b1), num(t->reversals, p3),
                    yuan(t->reversed_fen, c1), yuan(net, d));
        fprintf(f, "  %s\n", line);
    }
    if (o) {
        json_out_i64(o, "cash_expected_fen", cash);
        json_out_print(f, &o);
    } else {
        if (n == 0) {
            i18n_format(line, sizeof line, I18N_SHIFT_EMPTY, env->lang, want);
            fprintf(f, "%s\n", line);
        }
        i18n_format(line, sizeof line, I18N_SHIFT_CASH, env->lang,
                    yuan(cash, a));
        fprintf(f, "%s\n", line);
    }
    jifen_reply_clear(&reply);
    return DONE;
}
