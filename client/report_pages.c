/*
 * report_pages - see report_pages.h.
 */
#include "report_pages.h"

#include "jifen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jifen_status report_reply_status(const jifen_reply *reply,
                                 const char **error)
{
    const jifen_result *r = reply->n_results ? &reply->results[0] : NULL;
    if (reply->status != JIFEN_STATUS_OK || !r) {
        *error = reply->status != JIFEN_STATUS_OK ? reply->error : "no result";
        return reply->status != JIFEN_STATUS_OK ? reply->status
                                                : JIFEN_STATUS_INTERNAL;
    }
    *error = r->error;
    return r->status;
}

bool report_pages_kind(const char *kind)
{
    return strcmp(kind, "ageing") == 0 || strcmp(kind, "arrears") == 0 ||
           strcmp(kind, "trial-balance") == 0;
}

/* A report is consistent when every page counted the same entries; the
 * trial balance (balances as they are) can only tell that it moved. */
#define ATTEMPTS 3

static int fetch_once(const jifen_command *cmd, report_call_fn call,
                      void *call_ctx, report_rows_fn rows, void *rows_ctx,
                      report_whole *w)
{
    jifen_command c = *cmd;
    jifen_request req = {.n_commands = 1, .commands = &c};
    c.limit = REPORT_PAGE_ROWS;
    c.after[0] = '\0';
    c.upto = 0;
    uint64_t first_head = 0;
    for (bool first = true;; first = false) {
        jifen_reply reply;
        int rc = call(call_ctx, &req, &reply);
        if (rc != 0)
            return rc;
        const jifen_result *r = reply.n_results ? &reply.results[0] : NULL;
        const char *why = NULL;
        jifen_status s = report_reply_status(&reply, &why);
        if (s != JIFEN_STATUS_OK || !r->report) {
            w->status = s != JIFEN_STATUS_OK ? s : JIFEN_STATUS_INTERNAL;
            snprintf(w->error, sizeof w->error, "%s",
                     s != JIFEN_STATUS_OK ? why : "no report in the reply");
            jifen_reply_clear(&reply);
            return 0;
        }
        const jifen_report *p = r->report;
        if (first) {
            w->header = *p;
            w->header.rows = NULL;
            w->header.n_rows = 0;
            w->header.next[0] = '\0'; /* what follows the last page */
            first_head = p->head;
            /* the journal's reports count entries up to the first head */
            c.upto = p->head;
        }
        w->moved = w->moved || p->head != first_head;
        for (size_t i = 0; i < p->n_sums && i < JIFEN_REPORT_SUMS_MAX; i++)
            w->sums[i] += p->sums[i];
        if (p->n_sums > w->n_sums)
            w->n_sums = p->n_sums;
        w->rows += p->n_rows;
        w->head = p->head;
        rc = rows(rows_ctx, p);
        bool more = p->next[0] != '\0';
        snprintf(c.after, sizeof c.after, "%s", p->next);
        jifen_reply_clear(&reply);
        if (rc != 0 || !more)
            return rc;
    }
}

int report_pages_fetch(const jifen_command *cmd, report_call_fn call,
                       void *call_ctx, report_rows_fn rows, void *rows_ctx,
                       report_whole *whole)
{
    memset(whole, 0, sizeof *whole);
    whole->status = JIFEN_STATUS_OK;
    int rc = fetch_once(cmd, call, call_ctx, rows, rows_ctx, whole);
    /* Rows already handed on cannot be taken back: a trial balance that
     * moved is said so (whole->moved), and its totals then need not
     * balance; the caller may ask again. */
    return rc;
}

static void cell(jifen_report_row *row, size_t j, int64_t v)
{
    snprintf(row->cells[j], sizeof row->cells[j], "%" PRId64, v);
}

void report_pages_totals(const char *kind, report_whole *w,
                         jifen_report_row tail[2], size_t *n_tail)
{
    /* The page's title names the date: "... as of the end of DATE (fen)". */
    char date[11] = "";
    const char *at = strstr(w->header.title, "end of ");
    if (at)
        snprintf(date, sizeof date, "%.10s", at + 7);
    *n_tail = 0;
    memset(tail, 0, 2 * sizeof *tail);
    const int64_t *s = w->sums;
    if (strcmp(kind, "ageing") == 0 && w->n_sums >= 6) {
        jifen_report_row *t = &tail[(*n_tail)++];
        snprintf(t->cells[0], sizeof t->cells[0], "TOTAL");
        int64_t all = 0;
        for (size_t b = 0; b < 4; b++) {
            cell(t, b + 1, s[2 + b]);
            all += s[2 + b];
        }
        cell(t, 5, all);
        int64_t billed = s[0], owed = s[1];
        char rate[32] = "-";
        if (billed > 0) {
            int64_t pm = (int64_t)((unsigned __int128)(billed - owed) * 1000u /
                                   (unsigned __int128)billed);
            snprintf(rate, sizeof rate, "%" PRId64 ".%" PRId64 "%%", pm / 10,
                     pm % 10);
        }
        snprintf(w->header.title, sizeof w->header.title,
                 "arrears ageing as of the end of %s (fen); collection rate "
                 "%s (billed %" PRId64 ", outstanding %" PRId64 ")",
                 date, rate, billed, owed);
    } else if (strcmp(kind, "trial-balance") == 0 && w->n_sums >= 4) {
        static const char *const assets[2] = {"points", "fee"};
        for (size_t a = 0; a < 2; a++) {
            jifen_report_row *t = &tail[(*n_tail)++];
            snprintf(t->cells[0], sizeof t->cells[0], "TOTAL %s", assets[a]);
            snprintf(t->cells[1], sizeof t->cells[1], "%s", assets[a]);
            cell(t, 2, s[2 * a]);
            cell(t, 3, s[2 * a + 1]);
            cell(t, 4, s[2 * a] - s[2 * a + 1]);
        }
        bool equal = s[0] == s[1] && s[2] == s[3];
        snprintf(w->header.title, sizeof w->header.title,
                 "trial balance now: debits %s credits for every asset%s",
                 equal ? "equal" : "DO NOT EQUAL",
                 w->moved ? " (the ledger changed while it was read: ask "
                            "again)"
                          : "");
    }
}
