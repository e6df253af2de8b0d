#include "querycost.h"

#include "committee_reports.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint64_t pass(uint64_t entries)
{
    return entries > QUERY_PASS_MIN ? entries : QUERY_PASS_MIN;
}

static uint32_t history_limit(const jifen_command *c)
{
    uint32_t limit = c->limit ? c->limit : JIFEN_HISTORY_DEFAULT;
    return limit > JIFEN_HISTORY_MAX ? JIFEN_HISTORY_MAX : limit;
}

uint64_t querycost_work(const jifen_command *c, uint64_t entries)
{
    switch (c->kind) {
    case JIFEN_CMD_HISTORY:
        return history_limit(c);
    case JIFEN_CMD_VERIFY:
    case JIFEN_CMD_NOTICES:
    case JIFEN_CMD_HOUSEHOLD_SEARCH: /* a name is found by reading them all */
        return pass(entries);
    case JIFEN_CMD_REPORT:
        /* Issue 15's reports of one household, of the catalogue or of the
         * goods waiting read little; the others a pass. */
        if (strcmp(c->code, "statement") == 0 ||
            committee_report_is_small(c->code))
            return QUERY_STATEMENT_WORK;
        return pass(entries);
    default:
        return 1;
    }
}

jifen_status querycost_check(const jifen_request *req, uint64_t entries,
                             char *err, size_t errlen)
{
    uint64_t work = 0, history = 0;
    size_t scans = 0;
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *c = &req->commands[i];
        uint64_t w = querycost_work(c, entries);
        work += w;
        scans += w >= pass(entries) && c->kind != JIFEN_CMD_HISTORY;
        if (c->kind == JIFEN_CMD_HISTORY)
            history += history_limit(c);
    }
    uint64_t bytes = history * sizeof(jifen_entry);
    if (bytes > QUERY_REPLY_MAX) {
        snprintf(err, errlen,
                 "its %" PRIu64
                 " history entries would make a reply of ~%" PRIu64
                 " MiB; the limit is %u MiB a reply (~%zu entries): ask for "
                 "fewer at a time",
                 history, bytes >> 20, QUERY_REPLY_MAX >> 20,
                 (size_t)QUERY_REPLY_MAX / sizeof(jifen_entry));
        return JIFEN_STATUS_REQUEST_TOO_COSTLY;
    }
    uint64_t budget = pass(entries) + QUERY_WORK_MARGIN;
    if (work > budget) {
        snprintf(err, errlen,
                 "it would read ~%" PRIu64
                 " entries (%zu whole-ledger command(s), %" PRIu64
                 " entries each); the limit is %" PRIu64
                 " (one pass, plus %u): send verify, community reports and "
                 "notices one per request",
                 work, scans, pass(entries), budget, QUERY_WORK_MARGIN);
        return JIFEN_STATUS_REQUEST_TOO_COSTLY;
    }
    return JIFEN_STATUS_OK;
}

size_t querycost_result_bytes(const jifen_result *r)
{
    size_t n = r->n_history * sizeof(jifen_entry) +
               r->n_keys * sizeof(jifen_key_info) +
               r->n_notices * sizeof(jifen_notice) +
               r->n_rule_sets * sizeof(jifen_rule_set) +
               r->n_households * sizeof(jifen_balance);
    for (size_t i = 0; i < r->n_rule_sets; i++)
        n += r->rule_sets[i].text ? strlen(r->rule_sets[i].text) + 1 : 0;
    if (r->report)
        n += sizeof *r->report + r->report->n_rows * sizeof(jifen_report_row);
    return n;
}

void querycost_reply_refusal(size_t at, size_t bytes, char *err, size_t errlen)
{
    snprintf(err, errlen,
             "at command %zu its reply held %zu MiB; at "
             "most %u MiB per reply: split the request",
             at, bytes >> 20, QUERY_REPLY_MAX >> 20);
}

void querycost_wire_refusal(size_t bytes, char *err, size_t errlen)
{
    snprintf(err, errlen,
             "its reply would be %zu KiB on the wire; at "
             "most %u MiB per reply: split the request",
             bytes >> 10, QUERY_WIRE_MAX >> 20);
}
