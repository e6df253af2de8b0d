/*
 * committee_reports - issue 15's reports (docs/committee.md), computed in
 * a read transaction like the others (reports.h), each a table of strings:
 *
 *   members H          a household's members: relation, contact number
 *                      (masked), present or moved out, whom they act for
 *   statement-lines H  a household's entries of a month, each with the
 *                      member and the proxy it names, points and fee moved
 *   passbook H         the passbook lines after where the last print ended
 *                      (or, with an entry, a reprint from it up to there):
 *                      line, date, what, points in, out, balance
 *   honour             the honour board (光荣榜): households and members
 *                      by points earned in the month and in its year, the
 *                      first HONOUR_TOP of each, masked as the notice list
 *   stock              the supermarket's catalogue: price, stock, funder
 *   redemptions        the month's redemptions of goods per item
 *   funders            per funder: goods booked to it in the month, paid
 *                      to it in the month, owed to it at the month's end
 *   pickups            the goods redeemed and not yet handed over
 *
 * Codes (command kinds, activities, items) are given as they are; the
 * clients put them into words in the reader's language.
 */
#ifndef JIFEN_COMMITTEE_REPORTS_H
#define JIFEN_COMMITTEE_REPORTS_H

#include "policy.h"
#include "storage.h"

#define HONOUR_TOP 20 /* rows of each board */

/* True when cmd->code is one of these reports (result then filled),
 * false for the others (reports.c's). */
bool committee_reports_run(storage_txn *txn, const jifen_command *cmd,
                           const policy *pol, int64_t now_ms,
                           jifen_result *result);

/* True for the reports above that read a household's entries, the
 * catalogue or the goods waiting, not the whole ledger (querycost.h). */
bool committee_report_is_small(const char *kind);

#endif
