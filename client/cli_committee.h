/*
 * cli_committee - the jifen commands of a month at the residents'
 * committee (issue 15, docs/committee.md), in the reader's language
 * (Chinese unless English is asked for; the words are in
 * common/i18n_messages.def):
 *
 *   jifen award roster FILE --activity CODE --event TEXT [--date D]
 *         [--dry-run] [--encoding E]   a sign-in sheet's awards
 *   jifen import opening FILE [--dry-run] [--encoding E]
 *                                      balances from the paper ledgers
 *   jifen passbook H [--reprint FROM]  the passbook's new lines
 *   and how the members', proxies', supermarket's and reports' results
 *   read (cli_committee_print_*).
 *
 * Rows of a file are sent as one request per ROSTER_CHUNK rows, each a
 * command that succeeds or is refused on its own; --dry-run sends them as
 * a dry run (Request.dry_run): the ledger decides each row exactly as the
 * real run would and keeps nothing. Progress goes to a terminal's stderr,
 * nowhere with --json or when stderr is not a terminal.
 */
#ifndef JIFEN_CLI_COMMITTEE_H
#define JIFEN_CLI_COMMITTEE_H

#include "cli_output.h"
#include "cli_proof.h" /* cli_call_fn */

#define ROSTER_CHUNK 500
#define ROSTER_FILE_MAX (8u << 20) /* bytes of a file imported */

typedef struct {
    const cli_output *out;
    cli_call_fn call;
    void *ctx;
    const char *encoding; /* --encoding, or NULL */
    bool dry_run;
} cli_committee_env;

/* Each returns the CLI's exit code: 0 done, 1 rows refused (or totals
 * that do not agree, or the ledger refused), 2 a usage or file problem
 * (reported), 3 unreachable. */
int cli_committee_roster(const cli_committee_env *env, const char *file,
                         const jifen_command *award);
int cli_committee_opening(const cli_committee_env *env, const char *file);
int cli_committee_passbook(const cli_committee_env *env,
                           const char *household, uint64_t reprint_from);
/* `report statement H`: the month's summary, then its entries with the
 * member and the proxy each names (--json: "lines" beside "rows"). */
int cli_committee_statement(const cli_committee_env *env,
                            const jifen_command *report);

/* A result of issue 15's commands or reports, human form: true when it
 * was one (and printed). */
bool cli_committee_print_write(const cli_output *o, const jifen_command *cmd,
                               const jifen_result *r);
/* Whether a report kind is one of the committee's (members, stock,
 * redemptions, funders, pickups, honour, statement-lines), which
 * cli_committee_print_report lays out for people. */
bool cli_committee_report_kind(const char *kind);
bool cli_committee_print_report(const cli_output *o, const jifen_command *cmd,
                                const jifen_result *r);

/* A relation given as its code or its name in either language (户主,
 * Spouse, tenant): the code, or NULL. */
const char *cli_committee_relation(const char *text);

#endif
