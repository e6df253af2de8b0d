/*
 * search - the household search query (issue 17): a front desk finds a
 * household by its door number or its resident's name while they wait.
 *
 * A household matches when its code starts with the query or its name
 * contains it, ASCII letters compared without case (so "a-1" finds
 * "A-101" and "zhang" finds "Zhang Wei"; Chinese names match byte for
 * byte, which is exact for UTF-8). The households table is walked once in
 * code order, which is also the order of the answer, and the walk stops at
 * `limit` matches. A community has hundreds to a few thousand households:
 * a full walk of 100,000 takes a few milliseconds on the server thread's
 * read snapshot, and writes never wait for readers.
 */
#include "ledger_internal.h"

#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* True when the first n bytes of s equal q (ASCII case folded). */
static bool same_start(const char *s, size_t slen, const char *q, size_t n)
{
    if (slen < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != lower(q[i]))
            return false;
    return true;
}

static bool contains(const char *s, size_t slen, const char *q, size_t n)
{
    for (size_t i = 0; i + n <= slen; i++)
        if (same_start(s + i, slen - i, q, n))
            return true;
    return false;
}

void search_households(storage_txn *txn, const jifen_command *cmd,
                       jifen_result *result)
{
    const char *q = cmd->name;
    size_t qlen = strlen(q);
    uint32_t limit = cmd->limit ? cmd->limit : JIFEN_SEARCH_DEFAULT;
    if (limit > JIFEN_SEARCH_MAX)
        limit = JIFEN_SEARCH_MAX;
    if (qlen == 0) { /* the codec refuses it; never a walk of everything */
        ledger_set_result(result, JIFEN_STATUS_BAD_REQUEST, "query: required");
        return;
    }
    result->households = calloc(limit, sizeof *result->households);
    if (!result->households) {
        ledger_set_result(result, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    storage_cursor *c = NULL;
    storage_val k;
    storage_error e = storage_cursor_open(txn, TABLE_HOUSEHOLDS, &c);
    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, NULL);
    while (e == STORAGE_OK && result->n_households < limit) {
        if (k.len == 0 || k.len > JIFEN_HOUSEHOLD_MAX) {
            e = STORAGE_CORRUPT;
            break;
        }
        char code[JIFEN_HOUSEHOLD_MAX + 1];
        memcpy(code, k.data, k.len);
        code[k.len] = '\0';
        bool hit = same_start(code, k.len, q, qlen);
        if (!hit) {
            household_record h;
            e = ledger_get_household(txn, code, &h);
            if (e != STORAGE_OK)
                break;
            hit = contains(h.name, strlen(h.name), q, qlen);
        }
        if (hit) {
            e = ledger_household_balance(
                txn, NULL, code, &result->households[result->n_households]);
            if (e != STORAGE_OK)
                break;
            result->n_households++;
        }
        e = storage_cursor_next(c, &k, NULL);
    }
    storage_cursor_close(&c);
    if (e != STORAGE_OK && e != STORAGE_NOT_FOUND) {
        codec_result_clear(result);
        ledger_set_result(result, JIFEN_STATUS_INTERNAL,
                          "the households table: %s", storage_strerror(e));
        return;
    }
    result->status = JIFEN_STATUS_OK;
}
