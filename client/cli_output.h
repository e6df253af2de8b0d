/*
 * cli_output - everything the jifen CLI prints about an outcome.
 *
 * Two forms: short human lines on stdout (diagnostics on stderr), or with
 * --json exactly one JSON object on stdout per run, whatever the outcome,
 * so that scripts can always parse what they get. Diagnostics still go to
 * stderr in JSON mode.
 */
#ifndef JIFEN_CLI_OUTPUT_H
#define JIFEN_CLI_OUTPUT_H

#include "i18n.h"
#include "jifen.h"
#include "json_out.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *out; /* results */
    FILE *err; /* diagnostics */
    bool json;
    bool csv; /* reports only */
    i18n_lang lang; /* issue 15's prints and reports: zh-CN unless asked */
} cli_output;

/* A result with status OK or EXISTS for the command that was sent: a write
 * confirmation, a balance, a history page or a verify report. */
void cli_print_result(const cli_output *o, const jifen_command *cmd,
                      const char *request_id, const jifen_result *r);

/* `verify --checkpoint`: the verify report and the checkpoint's verdict,
 * one JSON object in JSON mode. */
void cli_print_verify_checkpoint(const cli_output *o,
                                 const jifen_verify_report *v, bool cp_ok,
                                 const char *cp_message);

/* The ledger refused: "jifen: <status_name>: <error>" on stderr, and the
 * JSON {"status","error"} on stdout. */
void cli_print_refusal(const cli_output *o, jifen_status status,
                       const char *error);

/* The run failed before the ledger could answer (usage error, unreachable
 * server, bad reply): "jifen: <message>" on stderr, and in JSON mode
 * {"status":kind,"error":message[,"request_id"]} on stdout. request_id may
 * be NULL or empty. */
void cli_print_failure(const cli_output *o, const char *kind,
                       const char *message, const char *request_id);

/* A report's title and rows, as `report --json` prints them, into the
 * JSON object o (json_out.h: the one JSON writer of the CLI and jifend). */
void cli_json_report(json_out *o, const jifen_report *r);

/* One journal entry as `history` prints it, on one line. */
void cli_print_entry(FILE *f, const jifen_entry *e);

#endif
