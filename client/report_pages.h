/*
 * report_pages - a report of any size, asked page by page (issue 14): the
 * ageing, arrears and trial balance of a large community have a row per
 * household, more than one reply holds, so jifend gives them in pages
 * (ReportQuery after / limit / upto). This is the one client of that: the
 * CLI and jifen-web hand it a way to call jifend and a sink for rows, and
 * get every row once, in order, with memory for one page at a time, and
 * at the end the totals and title jifend gives a report asked whole.
 */
#ifndef JIFEN_REPORT_PAGES_H
#define JIFEN_REPORT_PAGES_H

#include "jifen_types.h"

#include <stdbool.h>
#include <stddef.h>

/* Sends req and fills *reply (the caller of the sink clears it): 0, or
 * non-zero when no reply came (the caller has reported why). */
typedef int (*report_call_fn)(void *ctx, const jifen_request *req,
                              jifen_reply *reply);
/* A page's rows (page->title and columns are set; rows are the page's
 * only). 0 to go on, non-zero to stop. */
typedef int (*report_rows_fn)(void *ctx, const jifen_report *page);

#define REPORT_PAGE_ROWS 2000u

typedef struct {
    /* The report's title and columns (from its first page). */
    jifen_report header;
    int64_t sums[JIFEN_REPORT_SUMS_MAX];
    size_t n_sums;
    uint64_t head;
    size_t rows;
    bool moved; /* the trial balance: the ledger changed between pages */
    /* Refused: the status and jifend's reason (status OK otherwise). */
    jifen_status status;
    char error[JIFEN_ERROR_MAX + 1];
} report_whole;

/* The outcome of a reply to one command: the request's refusal, else its
 * result's status (INTERNAL when it has none), and *error the reason. */
jifen_status report_reply_status(const jifen_reply *reply,
                                 const char **error);

/* True for the kinds that come in pages (ageing, arrears, trial-balance). */
bool report_pages_kind(const char *kind);

/* Fetches every page of report cmd (kind, period), calling rows for each
 * page. 0 when the report came whole (see whole->status for a refusal),
 * or what call or rows returned. */
int report_pages_fetch(const jifen_command *cmd, report_call_fn call,
                       void *call_ctx, report_rows_fn rows, void *rows_ctx,
                       report_whole *whole);

/* The rows jifend puts last in a report asked whole (TOTAL rows), and its
 * title, from the summed pages: *tail gets up to 2 rows. */
void report_pages_totals(const char *kind, report_whole *whole,
                         jifen_report_row tail[2], size_t *n_tail);

#endif
