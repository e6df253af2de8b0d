/*
 * querycost - what one query request may cost, as a whole.
 *
 * Every command has its own bounds (a history at most 1,000 entries, a
 * report at most 20,000 rows), but a request carries up to 8,192 commands:
 * 2,000 histories in a 26 KB request made a 235 MB reply; 200 ageing
 * reports kept a thread busy for 28 s. So a request is judged whole, on
 * two budgets, and refused with STATUS_REQUEST_TOO_COSTLY (the error names
 * the limit) when it is over either; nothing of it is answered then.
 *
 * Work, estimated before anything runs, in journal entries read: a command
 * that reads the whole ledger (verify; the liability, ageing and
 * trial-balance reports; the notice list) costs one pass, the ledger's
 * entries (at least 1,000); a history its limit (default 20); a statement
 * QUERY_STATEMENT_WORK; anything else 1. One request may cost one pass
 * plus QUERY_WORK_MARGIN: one whole-ledger command and many small ones,
 * never two passes on a ledger larger than the margin.
 *
 * Reply, in bytes of what the results hold besides themselves (history
 * entries, report rows, notices, keys, rule sets): at most
 * QUERY_REPLY_MAX. Histories are counted before they run (their limit
 * times an entry's size); the rest as each command is answered, and the
 * request stops at the first command that takes it over. Encoded, a reply
 * may be at most QUERY_WIRE_MAX, as a request may: that bounds what the
 * replies a client leaves unread make jifend hold (transport.h).
 */
#ifndef JIFEN_QUERYCOST_H
#define JIFEN_QUERYCOST_H

#include "jifen_types.h"

#include <stddef.h>
#include <stdint.h>

#define QUERY_WORK_MARGIN 20000u  /* entries beyond one pass */
#define QUERY_PASS_MIN 1000u      /* a pass costs at least this */
#define QUERY_STATEMENT_WORK 100u /* one household's month */
#define QUERY_REPLY_MAX (8u << 20)
/* The encoded reply, as sent: at most what a request may be. */
#define QUERY_WIRE_MAX (4u << 20)

/* Entries command c is expected to read on a ledger of `entries`. */
uint64_t querycost_work(const jifen_command *c, uint64_t entries);

/* JIFEN_STATUS_OK, or JIFEN_STATUS_REQUEST_TOO_COSTLY with why (and the
 * limit) in err: the whole request judged before it runs. */
jifen_status querycost_check(const jifen_request *req, uint64_t entries,
                             char *err, size_t errlen);

/* The bytes a result holds besides its own struct. */
size_t querycost_result_bytes(const jifen_result *r);

/* The refusal of an encoded reply of `bytes`, over QUERY_WIRE_MAX. */
void querycost_wire_refusal(size_t bytes, char *err, size_t errlen);

/* The refusal of a reply that grew past QUERY_REPLY_MAX at command `at`
 * (1-based), holding `bytes` by then. */
void querycost_reply_refusal(size_t at, size_t bytes, char *err, size_t errlen);

#endif
