/*
 * query - the ledger's read path: queries answered in a read transaction of
 * their own (readers never block the writer), and verification.
 */
#include "ledger_internal.h"

#include "clock.h"
#include "desk.h"
#include "codec.h"
#include "journal.h"
#include "notice.h"
#include "reports.h"
#include "verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

storage_error ledger_begin_reader(ledger *self, storage_txn *txn)
{
    storage_error e = STORAGE_FAILED;
    if (self->have_reader) {
        e = storage_txn_renew(&self->reader);
        if (e != STORAGE_OK)
            storage_txn_abort(&self->reader);
    }
    if (e != STORAGE_OK)
        e = storage_txn_begin(self->st, &self->reader, false);
    self->have_reader = e == STORAGE_OK;
    *txn = self->reader;
    return e;
}

void ledger_end_reader(ledger *self, storage_txn *txn)
{
    self->reader = *txn;
    storage_txn_reset(&self->reader); /* read-only: nothing to commit */
}

static void query_balance(storage_txn *txn, const jifen_command *cmd,
                          jifen_result *result)
{
    storage_error e =
        ledger_household_balance(txn, NULL, cmd->household, &result->balance);
    if (e == STORAGE_OK) {
        result->status = JIFEN_STATUS_OK;
        result->has_balance = true;
    } else if (e == STORAGE_NOT_FOUND) {
        ledger_set_result(result, JIFEN_STATUS_UNKNOWN_HOUSEHOLD,
                          "household %s is not registered", cmd->household);
    } else {
        ledger_set_result(result, JIFEN_STATUS_INTERNAL, "%s",
                          storage_txn_strerror(txn));
    }
}

typedef struct {
    jifen_result *result;
    uint32_t limit;
} history_walk;

static int add_history(void *ctx, uint64_t seq, const storage_val *stored,
                       const jifen_entry *e)
{
    (void)seq;
    (void)stored;
    history_walk *w = ctx;
    w->result->history[w->result->n_history++] = *e;
    return w->result->n_history < w->limit ? 0 : 1;
}

static void query_history(storage_txn *txn, const jifen_command *cmd,
                          jifen_result *result)
{
    query_balance(txn, cmd, result);
    if (result->status != JIFEN_STATUS_OK)
        return;
    uint32_t limit = cmd->limit ? cmd->limit : JIFEN_HISTORY_DEFAULT;
    if (limit > JIFEN_HISTORY_MAX)
        limit = JIFEN_HISTORY_MAX;
    result->history = calloc(limit, sizeof *result->history);
    if (!result->history) {
        ledger_set_result(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    history_walk w = {result, limit};
    uint64_t bad = 0;
    storage_error e =
        journal_household(txn, cmd->household, true, add_history, &w, &bad);
    if (e != STORAGE_OK)
        ledger_set_result(result, JIFEN_STATUS_INTERNAL,
                          "entry %" PRIu64 " cannot be read", bad);
}

static void query_keys(storage_txn *txn, jifen_result *result)
{
    storage_error e = keys_list(txn, &result->keys, &result->n_keys);
    if (e == STORAGE_OK && result->n_keys <= JIFEN_KEYS_MAX) {
        result->status = JIFEN_STATUS_OK;
        return;
    }
    codec_result_clear(result);
    ledger_set_result(result, JIFEN_STATUS_INTERNAL, "the key table: %s",
                      e != STORAGE_OK ? storage_strerror(e)
                                      : "too many keys to list in one reply");
}

/* The notice list of a month (this one by default), masked. */
static void query_notices(storage_txn *txn, const jifen_command *cmd,
                          jifen_result *result)
{
    int64_t month = clock_month_start_ms(clock_now_ms());
    if (cmd->period[0] && clock_parse_period(cmd->period, &month) != 0) {
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                          "period: not YYYY-MM");
        return;
    }
    if (notice_list(txn, month, result) == STORAGE_OK)
        result->status = JIFEN_STATUS_OK;
    else
        ledger_set_result(result, JIFEN_STATUS_INTERNAL,
                          "the notice list cannot be read");
}

const char *ledger_query_strerror(const ledger *self)
{
    return self->query_error;
}

ledger_error ledger_query_txn(ledger *self, storage_txn *txn,
                              const jifen_request *req, jifen_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    ledger_copy_text(reply->request_id, sizeof reply->request_id,
                     req->request_id);
    reply->status = JIFEN_STATUS_OK;
    reply->results = calloc(req->n_commands, sizeof *reply->results);
    if (!reply->results)
        return LEDGER_FAILED;
    reply->n_results = req->n_commands;
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *cmd = &req->commands[i];
        jifen_result *result = &reply->results[i];
        switch (cmd->kind) {
        case JIFEN_CMD_BALANCE:
            query_balance(txn, cmd, result);
            break;
        case JIFEN_CMD_HISTORY:
            query_history(txn, cmd, result);
            break;
        case JIFEN_CMD_VERIFY:
            verify_ledger(txn, &result->verify);
            result->has_verify = true;
            result->status = JIFEN_STATUS_OK;
            break;
        case JIFEN_CMD_KEY_LIST:
            query_keys(txn, result);
            break;
        case JIFEN_CMD_POLICY:
            /* The rule sets are configuration, not ledger state. */
            ruleset_describe(rulebook_current(self->book), cmd->name,
                             clock_now_ms(), result);
            break;
        case JIFEN_CMD_NOTICES:
            query_notices(txn, cmd, result);
            break;
        case JIFEN_CMD_HOUSEHOLD_SEARCH: /* search.c */
            search_households(txn, cmd, result);
            break;
        case JIFEN_CMD_BILLING_PLAN: /* the property desk: desk_query.c */
            desk_query_plan(self, txn, cmd, result);
            break;
        case JIFEN_CMD_RECEIPT:
            desk_query_receipt(self, txn, cmd, result);
            break;
        case JIFEN_CMD_SHIFTS:
            desk_query_shifts(self, txn, cmd, result);
            break;
        case JIFEN_CMD_REPORT: {
            int64_t now = clock_now_ms();
            const policy *pol = ruleset_at(rulebook_current(self->book), now);
            reports_run_rules(txn, cmd, pol ? pol : self->pol,
                              rulebook_current(self->book), now, result);
            break;
        }
        default:
            ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST,
                              "command %zu is not a query", i + 1);
        }
    }
    return LEDGER_OK;
}

ledger_error ledger_query(ledger *self, const jifen_request *req,
                          jifen_reply *reply)
{
    storage_txn txn;
    memset(reply, 0, sizeof *reply);
    storage_error e = ledger_begin_reader(self, &txn);
    if (e) {
        snprintf(self->query_error, sizeof self->query_error, "%s",
                 storage_txn_strerror(&txn));
        return LEDGER_FAILED;
    }
    ledger_error le = ledger_query_txn(self, &txn, req, reply);
    if (le != LEDGER_OK)
        snprintf(self->query_error, sizeof self->query_error,
                 "out of memory");
    ledger_end_reader(self, &txn);
    return le;
}

ledger_error ledger_verify(ledger *self, jifen_verify_report *report)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(self->st, &txn, false);
    if (e)
        return ledger_fail(self, e, storage_txn_strerror(&txn));
    verify_ledger(&txn, report);
    storage_txn_abort(&txn);
    return LEDGER_OK;
}
