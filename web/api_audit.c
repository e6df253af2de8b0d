/*
 * api_audit - the street office and auditors: the monthly reports as
 * tables and downloads, the figures behind the charts, verification and
 * the checkpoints.
 *
 *   GET  /api/reports/KIND?period=&h=&format=json|csv|xlsx
 *        KIND: ageing, arrears, trial-balance, liability, statement (h=);
 *        those with a row per household come page by page
 *        (report_pages.h): the files hold every row, the page's table
 *        the first REPORT_SHOWN and the totals; and rollup: every
 *        community of the user's scope side by side with a TOTAL row
 *        (the service's `report rollup`, for a street office or a
 *        property company whose key has a scope; it names no community)
 *   GET  /api/audit/series?period=&months=   month by month, for charts
 *   POST /api/audit/verify                    the whole chain (CSRF)
 *   GET  /api/audit/checkpoint                the latest signed checkpoint
 */
#include "app.h"

#include "clock.h"
#include "export.h"
#include "report_pages.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KINDS[] = {"ageing", "trial-balance", "liability",
                                    "statement", "arrears", "rollup"};

static void send_file(web_ctx *c, const char *type, const char *filename,
                      char *body, size_t len)
{
    char disposition[160];
    snprintf(disposition, sizeof disposition,
             "attachment; filename=\"%s\"", filename);
    web_response_body(c->resp, 200, type, body, len);
    web_response_header(c->resp, "Content-Disposition", disposition);
    web_response_header(c->resp, "Cache-Control", "no-store");
}

/* Rows a page shows of a large report (the files have them all). */
#define REPORT_SHOWN 2000

/* Where a large report's pages go: a file, or the rows the page shows. */
typedef struct {
    exporter *x;
    jifen_report *shown;
    size_t cap, more;
} report_sink;

static int sink_page(void *ctx, const jifen_report *page)
{
    report_sink *k = ctx;
    if (k->x) {
        export_rows(k->x, page, page->rows, page->n_rows);
        return 0;
    }
    jifen_report *r = k->shown;
    if (r->n_columns == 0) {
        *r = *page;
        r->rows = NULL;
        r->n_rows = 0;
    }
    size_t take = page->n_rows;
    if (r->n_rows + take > REPORT_SHOWN) {
        k->more += r->n_rows + take - REPORT_SHOWN;
        take = REPORT_SHOWN - r->n_rows;
    }
    if (take == 0)
        return 0;
    jifen_report_row *rows = realloc(r->rows, (r->n_rows + take + 2) *
                                                  sizeof *rows);
    if (!rows)
        return -1;
    memcpy(rows + r->n_rows, page->rows, take * sizeof *rows);
    r->rows = rows;
    r->n_rows += take;
    return 0;
}

/* A report with a row per household or account, page by page. */
static void paged_report(web_ctx *c, jifen_command *cmd, const char *format,
                         const char *name)
{
    bool file = strcmp(format, "json") != 0;
    char err[256] = "";
    jifen_report shown;
    memset(&shown, 0, sizeof shown);
    report_sink k = {.shown = &shown};
    if (file && !(k.x = export_new(strcmp(format, "xlsx") == 0, cmd->code,
                                   c->app->cfg.data, err, sizeof err))) {
        reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, err);
        return;
    }
    report_whole w;
    int rc = report_pages_fetch(cmd, app_send, c, sink_page, &k, &w);
    jifen_report_row tail[2];
    size_t n_tail = 0;
    if (rc == 0 && w.status == JIFEN_STATUS_OK)
        report_pages_totals(cmd->code, &w, tail, &n_tail);
    if (rc != 0 || w.status != JIFEN_STATUS_OK) {
        if (rc == 0)
            reply_refusal(c, w.status, w.error);
        if (k.x) {
            size_t len;
            free(export_finish(&k.x, &len, err, sizeof err));
        }
        free(shown.rows);
        return; /* a failed call has replied */
    }
    if (k.x) {
        export_rows(k.x, &w.header, tail, n_tail);
        size_t len = 0;
        char *body = export_finish(&k.x, &len, err, sizeof err);
        if (!body)
            reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, err);
        else if (strcmp(format, "csv") == 0)
            send_file(c, "text/csv; charset=utf-8", name, body, len);
        else
            send_file(c,
                      "application/vnd.openxmlformats-officedocument."
                      "spreadsheetml.sheet",
                      name, body, len);
        return;
    }
    if (shown.n_columns == 0)
        shown = w.header;
    memcpy(shown.title, w.header.title, sizeof shown.title);
    if (n_tail) { /* room for them was made with the rows */
        jifen_report_row *rows =
            realloc(shown.rows, (shown.n_rows + n_tail) * sizeof *rows);
        if (rows) {
            memcpy(rows + shown.n_rows, tail, n_tail * sizeof *rows);
            shown.rows = rows;
            shown.n_rows += n_tail;
        }
    }
    json_t *o = json_report(&shown);
    json_object_set_new(o, "kind", json_string(cmd->code));
    json_object_set_new(o, "rows_not_shown", json_integer((json_int_t)k.more));
    free(shown.rows);
    reply_json(c, 200, o);
}

static jifen_command report_cmd(const char *kind, const char *period,
                                const char *household)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_REPORT;
    snprintf(c.code, sizeof c.code, "%s", kind);
    snprintf(c.period, sizeof c.period, "%s", period);
    snprintf(c.household, sizeof c.household, "%s", household);
    return c;
}


static void report(web_ctx *c)
{
    const char *kind = c->req->path + strlen("/api/reports/");
    bool known = false;
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        known = known || strcmp(kind, KINDS[i]) == 0;
    if (!known) {
        reply_error(c, 404, "not_found", I18N_ERR_NOT_FOUND, NULL, NULL);
        return;
    }
    char period[8] = "", h[JIFEN_HOUSEHOLD_MAX + 1] = "", format[8] = "json";
    spec_field fields[] = {
        SPEC_FIELD("period", SPEC_PERIOD, false, &period),
        SPEC_FIELD("h", SPEC_HOUSEHOLD, strcmp(kind, "statement") == 0, &h),
        SPEC_FIELD("format", SPEC_CODE, false, &format),
        SPEC_END,
    };
    fields[2].cap = sizeof format;
    if (app_parse(c, fields) != 0)
        return;
    if (strcmp(format, "json") && strcmp(format, "csv") &&
        strcmp(format, "xlsx")) {
        reply_error(c, 400, "bad_field", I18N_ERR_FIELD_CODE, "format", NULL);
        return;
    }
    jifen_command cmd = report_cmd(kind, period, h);
    if (strcmp(kind, "rollup") == 0) {
        cmd.kind = JIFEN_CMD_ROLLUP;
        cmd.code[0] = '\0';
    }
    char name[96], shown[8];
    app_period_or_now(period, shown);
    snprintf(name, sizeof name, "jifen-%s-%s%s%s.%s", kind, shown,
             h[0] ? "-" : "", h, format);
    if (report_pages_kind(kind)) {
        paged_report(c, &cmd, format, name);
        return;
    }
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return;
    const jifen_report *r = reply.results[0].report;
    if (r == NULL) {
        reply_error(c, 502, "internal", I18N_ERR_INTERNAL, NULL, "no table");
    } else if (strcmp(format, "csv") == 0) {
        size_t len;
        char *csv = export_csv(r, &len);
        if (csv)
            send_file(c, "text/csv; charset=utf-8", name, csv, len);
        else
            reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, NULL);
    } else if (strcmp(format, "xlsx") == 0) {
        size_t len;
        char err[256];
        char *x = export_xlsx(r, kind, c->app->cfg.data, &len, err, sizeof err);
        if (x)
            send_file(c,
                      "application/vnd.openxmlformats-officedocument."
                      "spreadsheetml.sheet",
                      name, x, len);
        else
            reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, err);
    } else {
        json_t *o = json_report(r);
        json_object_set_new(o, "kind", json_string(kind));
        json_object_set_new(o, "period", json_string(shown));
        reply_json(c, 200, o);
    }
    jifen_reply_clear(&reply);
}

/* The value of item `name` of a two-column report, or 0. */
static int64_t item(const jifen_report *r, const char *name)
{
    for (size_t i = 0; r != NULL && i < r->n_rows; i++)
        if (strcmp(r->rows[i].cells[0], name) == 0)
            return strtoll(r->rows[i].cells[1], NULL, 10);
    return 0;
}

static int ignore_rows(void *ctx, const jifen_report *page)
{
    (void)ctx;
    (void)page;
    return 0;
}

/* Month by month for the charts: for each month the ageing (billed,
 * outstanding, the collection rate, by age: the sums of its pages) and
 * the funder's liability (points redeemed, outstanding). */
static void series(web_ctx *c)
{
    char period[8] = "";
    uint64_t months = 6;
    spec_field fields[] = {
        SPEC_FIELD("period", SPEC_PERIOD, false, &period),
        SPEC_UINT_FIELD("months", false, &months, 12),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    if (months == 0)
        months = 6;
    char last[8];
    app_period_or_now(period, last);
    int64_t last_ms;
    clock_parse_period(last, &last_ms);
    jifen_command cmds[12];
    char periods[12][8];
    for (uint64_t i = 0; i < months; i++) {
        /* months-1-i months before the last one */
        int64_t ms = last_ms;
        for (uint64_t k = 0; k < months - 1 - i; k++)
            ms = clock_month_start_ms(ms - 1);
        clock_period_of(ms, periods[i]);
        cmds[i] = report_cmd("liability", periods[i], "");
    }
    /* The ageing's figures of each month, from its pages' sums (billed,
     * outstanding, the buckets): any size of community. */
    int64_t sums[12][6];
    memset(sums, 0, sizeof sums);
    for (uint64_t i = 0; i < months; i++) {
        jifen_command ag = report_cmd("ageing", periods[i], "");
        report_whole w;
        if (report_pages_fetch(&ag, app_send, c, ignore_rows, NULL, &w) != 0)
            return;
        if (w.status != JIFEN_STATUS_OK) {
            reply_refusal(c, w.status, w.error);
            return;
        }
        memcpy(sums[i], w.sums, sizeof sums[i]);
    }
    jifen_reply reply;
    if (app_call(c, cmds, months, NULL, &reply) != 0)
        return;
    json_t *list = json_array();
    for (uint64_t i = 0; i < months; i++) {
        const jifen_report *li = reply.results[i].report;
        long long billed = sums[i][0], owed = sums[i][1];
        int64_t per_point = item(li, "fen_per_point");
        int64_t offset = item(li, "offset_this_month_fen");
        json_t *o = json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I}", "period", periods[i],
            "billed_fen", (json_int_t)billed, "outstanding_fen",
            (json_int_t)owed, "points_outstanding",
            (json_int_t)item(li, "points_outstanding"), "points_pending",
            (json_int_t)item(li, "points_pending"), "offset_fen",
            (json_int_t)offset);
        json_object_set_new(o, "billed_yuan", json_yuan(billed));
        json_object_set_new(o, "outstanding_yuan", json_yuan(owed));
        /* Permille, integer: what people read as "87.5%". */
        if (billed > 0)
            json_object_set_new(
                o, "rate_permille",
                json_integer((json_int_t)((billed - owed) * 1000 / billed)));
        if (per_point > 0)
            json_object_set_new(o, "points_redeemed",
                                json_integer((json_int_t)(offset / per_point)));
        json_t *b = json_array(), *y = json_array();
        for (size_t j = 2; j < 6; j++) { /* the buckets */
            json_array_append_new(b, json_integer((json_int_t)sums[i][j]));
            json_array_append_new(y, json_yuan(sums[i][j]));
        }
        json_object_set_new(o, "ageing_fen", b);
        json_object_set_new(o, "ageing_yuan", y);
        json_array_append_new(list, o);
    }
    jifen_reply_clear(&reply);
    reply_json(c, 200, json_pack("{s:o}", "months", list));
}

static void verify(web_ctx *c)
{
    jifen_command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = JIFEN_CMD_VERIFY;
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return;
    const jifen_verify_report *v = &reply.results[0].verify;
    char hex[2 * JIFEN_HASH_LEN + 1];
    reply_json(c, 200,
               json_pack("{s:b, s:I, s:s, s:s, s:I}", "ok", v->ok, "entries",
                         (json_int_t)v->entries, "head",
                         jifen_hex(v->head, JIFEN_HASH_LEN, hex, sizeof hex),
                         "problem", v->problem, "bad_entry",
                         (json_int_t)v->bad_entry));
    jifen_reply_clear(&reply);
}

static void checkpoint(web_ctx *c)
{
    jifen_reply reply;
    if (app_checkpoint(c, 0, &reply) != 0)
        return;
    reply_json(c, 200,
               json_pack("{s:s, s:I}", "checkpoint",
                         reply.results[0].checkpoint.text, "entry",
                         (json_int_t)reply.results[0].checkpoint.entry));
    jifen_reply_clear(&reply);
}

#define AUDITOR ROLE_BIT(JIFEN_ROLE_AUDITOR)

const web_route audit_routes[] = {
    {"GET", "/api/reports/", true, AUDITOR, false, report},
    {"GET", "/api/audit/series", false, AUDITOR, false, series},
    {"POST", "/api/audit/verify", false, AUDITOR, true, verify},
    {"GET", "/api/audit/checkpoint", false, ROLES_STAFF, false, checkpoint},
    {NULL, NULL, false, 0, false, NULL},
};
