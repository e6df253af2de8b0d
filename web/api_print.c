/*
 * api_print - what the desk and the committee print for a household
 * (docs/committee.md, "Paper passbooks"; README, "The web console"):
 *
 *   GET  /api/passbook?h=&from=   the passbook's lines since the last print
 *        (from=N: a reprint from entry N up to where the last print ended),
 *        each line's words in both languages, the household's fee balance
 *        in yuan, where the last print ended, and the resident's link for
 *        the QR code printed on the page
 *   POST /api/passbook/mark {household, through, lines, request_id}
 *        after the page printed: a PassbookMark entry, so that the next
 *        print continues after `through` (what the CLI's `jifen passbook`
 *        records); a second desk's mark of the same lines is refused by
 *        jifend (printed_already), a double click is the same request
 *   GET  /api/household/link.svg?h=  the resident's link as a QR code, to
 *        print for an elderly resident (the auditor gets no link)
 *
 * The passbook is the ledger's own report (kind "passbook"), as the CLI
 * prints it: nothing is computed here but the words.
 */
#include "app.h"

#include "report_view.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRINTERS (ROLE_BIT(JIFEN_ROLE_TERMINAL) | ROLE_BIT(JIFEN_ROLE_COMMITTEE))
#define PASSBOOK_PAGE_LINES 20 /* as the CLI's passbook page */

/* A report's cell by column name ("" when the column is not there). */
static const char *cell(const jifen_report *rep, size_t i, const char *col)
{
    for (size_t j = 0; j < rep->n_columns; j++)
        if (strcmp(rep->columns[j], col) == 0)
            return rep->rows[i].cells[j];
    return "";
}

static json_int_t num(const jifen_report *rep, size_t i, const char *col)
{
    return (json_int_t)strtoll(cell(rep, i, col), NULL, 10);
}

static json_t *line_json(const jifen_report *rep, size_t i)
{
    char zh[200], en[200];
    const char *command = cell(rep, i, "command"), *detail = cell(rep, i, "detail");
    report_view_passbook_what(command, detail, I18N_ZH, zh, sizeof zh);
    report_view_passbook_what(command, detail, I18N_EN, en, sizeof en);
    return json_pack("{s:I, s:I, s:s, s:s, s:{s:s, s:s}, s:I, s:I, s:I}",
                     "line", num(rep, i, "line"), "entry",
                     num(rep, i, "entry"), "date", cell(rep, i, "date"),
                     "command", command, "what", "zh-CN", zh, "en", en,
                     "points_in", num(rep, i, "points_in"), "points_out",
                     num(rep, i, "points_out"), "balance",
                     num(rep, i, "balance"));
}

static void passbook(web_ctx *c)
{
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "";
    uint64_t from = 0;
    spec_field fields[] = {
        SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
        SPEC_UINT_FIELD("from", false, &from, UINT64_MAX),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    jifen_command cmds[2] = {app_command(JIFEN_CMD_REPORT, h),
                             app_command(JIFEN_CMD_BALANCE, h)};
    snprintf(cmds[0].code, sizeof cmds[0].code, "passbook");
    cmds[0].entry = from;
    jifen_reply reply;
    if (app_call(c, cmds, 2, NULL, &reply) != 0)
        return;
    const jifen_report *rep = reply.results[0].report;
    if (rep == NULL) {
        jifen_reply_clear(&reply);
        reply_error(c, 502, "internal", I18N_ERR_INTERNAL, NULL, "no report");
        return;
    }
    /* Where the last print ended: jifend's title says (as for the CLI). */
    unsigned long long last = 0, printed = 0;
    const char *at = strstr(rep->title, "printed through entry ");
    if (at)
        sscanf(at, "printed through entry %llu (%llu lines)", &last, &printed);
    json_t *lines = json_array();
    for (size_t i = 0; i < rep->n_rows; i++)
        json_array_append_new(lines, line_json(rep, i));
    json_t *o = json_pack(
        "{s:o, s:o, s:b, s:I, s:I, s:I, s:I, s:i, s:o}", "balance",
        json_balance(&reply.results[1].balance), "lines", lines, "reprint",
        from != 0, "from", (json_int_t)from, "through",
        (json_int_t)(rep->n_rows ? num(rep, rep->n_rows - 1, "entry") : 0),
        "printed_through", (json_int_t)last, "printed_lines",
        (json_int_t)printed, "page_lines", PASSBOOK_PAGE_LINES, "printed_at",
        json_minute(app_now_ms()));
    jifen_reply_clear(&reply);
    char url[512];
    if (app_resident_link(c, h, url, sizeof url) == 0)
        json_object_set_new(o, "link", json_string(url));
    reply_json(c, 200, o);
}

static void mark(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_PASSBOOK_MARK, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    uint64_t lines = 0;
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_UINT_FIELD("through", true, &cmd.entry, UINT64_MAX),
        SPEC_UINT_FIELD("lines", true, &lines, UINT32_MAX),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    cmd.limit = (uint32_t)lines;
    app_write(c, &cmd, id);
}

static void link_qr(web_ctx *c)
{
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "", url[512];
    spec_field fields[] = {SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
                           SPEC_END};
    if (app_parse(c, fields) != 0)
        return;
    /* Only for a household the ledger knows, as the desk's link is. */
    jifen_command cmd = app_command(JIFEN_CMD_BALANCE, h);
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return;
    jifen_reply_clear(&reply);
    if (app_resident_link(c, h, url, sizeof url) != 0) {
        reply_error(c, 500, "internal", I18N_ERR_INTERNAL, NULL, "link");
        return;
    }
    app_reply_qr(c, url);
}

const web_route print_routes[] = {
    {"GET", "/api/passbook", false, PRINTERS, false, passbook},
    {"POST", "/api/passbook/mark", false, PRINTERS, true, mark},
    {"GET", "/api/household/link.svg", false, PRINTERS, false, link_qr},
    {NULL, NULL, false, 0, false, NULL},
};
