/*
 * cli_desk - the jifen commands of the property desk and the monthly
 * reports as people read them (issue 14, docs/desk.md):
 *
 *   jifen billing run --period YYYY-MM [--item CODE] [--dry-run]
 *   jifen receipt ENTRY
 *   jifen shift close [--note T]
 *   jifen report shifts [--date YYYY-MM-DD]
 *   jifen report statement|liability|ageing|arrears|trial-balance ...
 *         [--csv | --xlsx FILE]
 *
 * People read Chinese by default (--lang en, JIFEN_LANG or the locale for
 * English), yuan with two decimals; --json gives the machine form, fen and
 * codes. Reports with a row per household come page by page
 * (report_pages.h) and are written as they come, so their size never
 * matters; CSV starts with a UTF-8 byte-order mark for Excel.
 */
#ifndef JIFEN_CLI_DESK_H
#define JIFEN_CLI_DESK_H

#include "cli_output.h"
#include "cli_proof.h"
#include "i18n.h"

typedef struct {
    const cli_output *out;
    cli_call_fn call;
    void *ctx;
    /* The same, safe to call from several threads at once (the billing
     * run's requests in flight together); NULL: one at a time. */
    cli_call_fn parallel;
    i18n_lang lang;
    const char *xlsx;  /* --xlsx FILE, or NULL */
    bool progress;     /* stderr is a terminal and the output is not JSON */
    /* The request id of a write (shift close); "" for a fresh one. */
    const char *request_id;
} cli_desk_env;

/* Each returns the CLI's exit code: 0 done, 1 refused, 2 usage, 3
 * unreachable, 4 forbidden. */
int cli_desk_report(const cli_desk_env *env, const jifen_command *report);
int cli_desk_receipt(const cli_desk_env *env, uint64_t entry);
/* batch: bills a request (1..JIFEN_BATCH_MAX). */
int cli_desk_billing_run(const cli_desk_env *env, const char *period,
                         const char *item, bool dry_run, size_t batch);
int cli_desk_shift_close(const cli_desk_env *env, const char *note);

#endif
