/*
 * convert - ledger values as JSON for the pages. Amounts go out twice: as
 * integers (fen, points) for machines, and as yuan text formatted by
 * libjifen's jifen_format_yuan for people, so no page ever does money
 * arithmetic; times as Unix ms and as Shanghai "YYYY-MM-DD HH:MM" text.
 */
#include "app.h"

#include "clock.h"
#include "codec.h"
#include "report_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *json_yuan(int64_t fen)
{
    char buf[32];
    return json_string(jifen_format_yuan(fen, buf, sizeof buf));
}

json_t *json_minute(int64_t ms)
{
    char buf[CLOCK_MINUTE_LEN + 1];
    clock_minute_text(ms, buf);
    return json_string(buf);
}

json_t *json_balance(const jifen_balance *b)
{
    return json_pack("{s:s, s:s, s:I, s:o, s:I, s:I, s:I, s:o}", "household",
                     b->household, "name", b->name, "area_centi_m2",
                     (json_int_t)b->area_centi_m2, "area_m2",
                     json_yuan(b->area_centi_m2), "points",
                     (json_int_t)b->points, "pending_points",
                     (json_int_t)b->pending_points, "fee_due_fen",
                     (json_int_t)b->fee_due_fen, "fee_due_yuan",
                     json_yuan(b->fee_due_fen));
}

static json_t *json_postings(const jifen_posting *p, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:I}", "asset",
                         p[i].asset == JIFEN_ASSET_FEE ? "fee" : "points",
                         "debit", p[i].debit, "credit", p[i].credit, "amount",
                         (json_int_t)p[i].amount));
    return a;
}

/* The amounts a person reads off an entry: fen and points moved. */
static void entry_amounts(const jifen_entry *e, uint64_t *fen,
                          uint64_t *points)
{
    *fen = *points = 0;
    for (size_t i = 0; i < e->n_postings; i++) {
        if (e->postings[i].asset == JIFEN_ASSET_FEE)
            *fen += e->postings[i].amount;
        else
            *points += e->postings[i].amount;
    }
}

json_t *json_entry(const jifen_entry *e)
{
    uint64_t fen, points;
    entry_amounts(e, &fen, &points);
    const jifen_command *c = &e->command;
    json_t *o = json_pack(
        "{s:I, s:I, s:o, s:s, s:s, s:s, s:s, s:I, s:o, s:I, s:s, s:s, s:o}",
        "entry", (json_int_t)e->seq, "time_ms", (json_int_t)e->time_ms,
        "time", json_minute(e->time_ms), "command",
        codec_command_name(c->kind), "household", c->household, "author",
        e->author, "note", c->note, "fen", (json_int_t)fen, "yuan",
        json_yuan((int64_t)fen), "points", (json_int_t)points, "code", c->code,
        "period", c->period, "postings",
        json_postings(e->postings, e->n_postings));
    if (e->reverses)
        json_object_set_new(o, "reverses", json_integer((json_int_t)e->reverses));
    return o;
}

json_t *json_write_result(const jifen_result *r, const char *request_id)
{
    json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:I, s:o}", "status",
                          r->status == JIFEN_STATUS_EXISTS ? "exists" : "ok",
                          "entry", (json_int_t)r->entry, "request_id",
                          request_id, "points", (json_int_t)r->points,
                          "offset_fen", (json_int_t)r->offset_fen,
                          "offset_yuan", json_yuan((int64_t)r->offset_fen));
    if (r->has_balance)
        json_object_set_new(o, "balance", json_balance(&r->balance));
    if (r->receipt_no)
        json_object_set_new(o, "receipt", json_integer((json_int_t)r->receipt_no));
    if (r->notice_ends_ms) {
        json_object_set_new(o, "notice_ends", json_minute(r->notice_ends_ms));
        json_object_set_new(o, "needs_approval",
                            json_boolean(r->needs_approval));
    }
    return o;
}

json_t *json_notice(const jifen_notice *n)
{
    return json_pack("{s:I, s:o, s:s, s:s, s:s, s:I, s:s, s:o, s:b, s:b, s:I}",
                     "entry", (json_int_t)n->entry, "time",
                     json_minute(n->time_ms), "household", n->household,
                     "name", n->name, "activity", n->activity, "points",
                     (json_int_t)n->points, "state", n->state, "ends",
                     json_minute(n->ends_ms), "needs_approval",
                     n->needs_approval, "approved", n->approved, "decided_by",
                     (json_int_t)n->decided_by);
}

json_t *json_report(const jifen_report *r)
{
    if (r == NULL)
        return json_null();
    json_t *cols = json_array(), *rows = json_array(), *shown = json_array();
    for (size_t j = 0; j < r->n_columns; j++)
        json_array_append_new(cols, json_string(r->columns[j]));
    for (size_t i = 0; i < r->n_rows; i++) {
        json_t *row = json_array(), *show = json_array();
        for (size_t j = 0; j < r->n_columns; j++) {
            const char *cell = r->rows[i].cells[j];
            json_array_append_new(row, json_string(cell));
            char *end = NULL;
            long long v = strtoll(cell, &end, 10);
            /* report_view.h: the one rule of which cells are fen. */
            if (report_view_is_fen(r, &r->rows[i], j) && *cell && end &&
                *end == '\0')
                json_array_append_new(show, json_yuan(v));
            else
                json_array_append_new(show, json_string(cell));
        }
        json_array_append_new(rows, row);
        json_array_append_new(shown, show);
    }
    return json_pack("{s:s, s:o, s:o, s:o}", "title", r->title, "columns",
                     cols, "rows", rows, "display", shown);
}
