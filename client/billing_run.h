/*
 * billing_run - the month's billing run as a client does it (issue 14,
 * docs/desk.md), shared by the jifen CLI (jifen billing run) and jifen-web
 * (the desk's billing page): page by page, a plan of what each household
 * would be billed (jifend prices it with the same code as the bill), then
 * the billable lines as Bill commands in requests of up to `batch`. jifend
 * bills a (household, item, period) once whatever the request ids, so a
 * run that was killed is simply run again: what was billed shows as billed
 * before, the rest is billed now, and two runs racing bill each line once.
 */
#ifndef JIFEN_BILLING_RUN_H
#define JIFEN_BILLING_RUN_H

#include "report_pages.h"

#define BILLING_ITEMS_MAX 16     /* POLICY_FEES_MAX */
#define BILLING_PROBLEMS_SHOWN 50

typedef struct {
    char item[JIFEN_CODE_MAX + 1];
    char name[64 + 1];
    uint64_t bills, fen; /* billed now (or would be, in a dry run) */
    uint64_t before;     /* billed before: not again */
    uint64_t cannot;     /* no area, no units */
} billing_item;

typedef struct {
    bool dry;
    billing_item items[BILLING_ITEMS_MAX];
    size_t n_items;
    uint64_t households;
    uint64_t bills, fen, before, cannot; /* the items' sums */
    /* The first households that cannot be billed, and how many more. */
    jifen_bill_line problems[BILLING_PROBLEMS_SHOWN];
    size_t n_problems;
    /* Bills refused for another reason, and the first one's why. */
    uint64_t failed;
    char first_failure[JIFEN_ERROR_MAX + 128];
    /* A whole request refused (the plan, a batch): its status and why. */
    jifen_status status;
    char error[JIFEN_ERROR_MAX + 1];
} billing_result;

/* Called after each page: households seen so far. */
typedef void (*billing_progress_fn)(void *ctx, uint64_t households);

/* How the bills go out. `call` sends the plan queries (and the bills when
 * `parallel` is NULL). With `parallel`, a call that may run on several
 * threads at once (its own connection each time), up to `window` requests
 * of bills are in flight together, while the next page is planned: jifend
 * commits them in one group, and neither side waits for the other. */
typedef struct {
    report_call_fn call;
    void *ctx;
    report_call_fn parallel;
    void *parallel_ctx;
    unsigned window; /* 1..BILLING_WINDOW_MAX; 0: BILLING_WINDOW */
} billing_calls;

#define BILLING_WINDOW 3
#define BILLING_WINDOW_MAX 8

/* Runs (or with dry, plans) the billing of `period` (item NULL: every
 * item), `batch` bills a request (1..JIFEN_BATCH_MAX). 0 when the ledger
 * answered throughout (out->status says whether it refused), else what a
 * call returned. */
int billing_run(const char *period, const char *item, bool dry, size_t batch,
                const billing_calls *calls, billing_progress_fn progress,
                void *progress_ctx, billing_result *out);

#endif
