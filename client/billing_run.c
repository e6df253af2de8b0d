/*
 * billing_run - see billing_run.h.
 */
#include "billing_run.h"

#include "jifen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    billing_result *r;
    report_call_fn call;
    void *ctx;
    jifen_command *batch;
    size_t n_batch, batch_max;
} run;

static billing_item *item_of(billing_result *r, const char *item,
                             const char *name)
{
    for (size_t i = 0; i < r->n_items; i++)
        if (strcmp(r->items[i].item, item) == 0)
            return &r->items[i];
    if (r->n_items == BILLING_ITEMS_MAX)
        return &r->items[BILLING_ITEMS_MAX - 1];
    billing_item *s = &r->items[r->n_items++];
    memset(s, 0, sizeof *s);
    snprintf(s->item, sizeof s->item, "%s", item);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* A refusal of the whole request: kept, and the run ends. */
static int refused(billing_result *r, jifen_status s, const char *why)
{
    r->status = s;
    snprintf(r->error, sizeof r->error, "%s", why);
    return 0;
}

static int send_batch(run *u)
{
    if (u->n_batch == 0)
        return 0;
    jifen_request req = {.n_commands = u->n_batch, .commands = u->batch};
    jifen_request_id_new(req.request_id); /* made before sending: retries */
    jifen_reply reply;
    int rc = u->call(u->ctx, &req, &reply);
    if (rc != 0)
        return rc;
    if (reply.status != JIFEN_STATUS_OK) {
        refused(u->r, reply.status, reply.error);
        jifen_reply_clear(&reply);
        return 0;
    }
    for (size_t i = 0; i < reply.n_results && i < u->n_batch; i++) {
        const jifen_result *res = &reply.results[i];
        billing_item *s = item_of(u->r, u->batch[i].code, "");
        if (res->status == JIFEN_STATUS_OK ||
            res->status == JIFEN_STATUS_EXISTS) {
            s->bills++;
            s->fen += res->n_postings ? res->postings[0].amount : 0;
        } else if (res->status == JIFEN_STATUS_ALREADY_BILLED) {
            s->before++; /* another run billed it meanwhile */
        } else if (u->r->failed++ == 0) {
            snprintf(u->r->first_failure, sizeof u->r->first_failure,
                     "%s %s: %s: %s", u->batch[i].household, u->batch[i].code,
                     jifen_status_name(res->status), res->error);
        }
    }
    jifen_reply_clear(&reply);
    u->n_batch = 0;
    return 0;
}

static int take_line(run *u, const jifen_bill_line *l, const char *period)
{
    billing_result *r = u->r;
    billing_item *s = item_of(r, l->item, l->item_name);
    if (!s->name[0])
        snprintf(s->name, sizeof s->name, "%s", l->item_name);
    if (l->billed_entry) {
        s->before++;
        return 0;
    }
    if (l->problem[0]) {
        s->cannot++;
        if (r->n_problems < BILLING_PROBLEMS_SHOWN)
            r->problems[r->n_problems++] = *l;
        return 0;
    }
    if (r->dry) {
        s->bills++;
        s->fen += l->amount_fen;
        return 0;
    }
    jifen_command *c = &u->batch[u->n_batch++];
    memset(c, 0, sizeof *c);
    c->kind = JIFEN_CMD_BILL;
    snprintf(c->household, sizeof c->household, "%s", l->household);
    snprintf(c->code, sizeof c->code, "%s", l->item);
    snprintf(c->period, sizeof c->period, "%s", period);
    return u->n_batch == u->batch_max ? send_batch(u) : 0;
}

int billing_run(const char *period, const char *item, bool dry, size_t batch,
                report_call_fn call, void *call_ctx,
                billing_progress_fn progress, void *progress_ctx,
                billing_result *out)
{
    memset(out, 0, sizeof *out);
    out->dry = dry;
    out->status = JIFEN_STATUS_OK;
    if (batch == 0 || batch > JIFEN_BATCH_MAX)
        batch = JIFEN_BATCH_MAX;
    run u = {.r = out, .call = call, .ctx = call_ctx, .batch_max = batch};
    if (!dry && !(u.batch = calloc(batch, sizeof *u.batch)))
        return refused(out, JIFEN_STATUS_INTERNAL, "out of memory");
    jifen_command plan = {.kind = JIFEN_CMD_BILLING_PLAN};
    snprintf(plan.period, sizeof plan.period, "%s", period);
    snprintf(plan.code, sizeof plan.code, "%s", item ? item : "");
    plan.limit = JIFEN_PLAN_MAX;
    int rc = 0;
    while (rc == 0 && out->status == JIFEN_STATUS_OK) {
        jifen_request req = {.n_commands = 1, .commands = &plan};
        jifen_reply reply;
        rc = call(call_ctx, &req, &reply);
        if (rc != 0)
            break;
        const jifen_result *res = &reply.results[0];
        const char *why = NULL;
        jifen_status s = report_reply_status(&reply, &why);
        if (s != JIFEN_STATUS_OK) {
            refused(out, s, why);
            jifen_reply_clear(&reply);
            break;
        }
        const char *last = "";
        for (size_t i = 0; i < res->n_bill_lines && rc == 0; i++) {
            const jifen_bill_line *l = &res->bill_lines[i];
            if (strcmp(l->household, last) != 0)
                out->households++;
            last = l->household;
            rc = take_line(&u, l, period);
        }
        bool more = res->next[0] != '\0';
        snprintf(plan.after, sizeof plan.after, "%s", res->next);
        jifen_reply_clear(&reply);
        if (progress)
            progress(progress_ctx, out->households);
        if (!more)
            break;
    }
    if (rc == 0 && out->status == JIFEN_STATUS_OK)
        rc = send_batch(&u);
    for (size_t i = 0; i < out->n_items; i++) {
        out->bills += out->items[i].bills;
        out->fen += out->items[i].fen;
        out->before += out->items[i].before;
        out->cannot += out->items[i].cannot;
    }
    free(u.batch);
    return rc;
}
