/*
 * billing_run - see billing_run.h.
 */
#include "billing_run.h"

#include "jifen.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One request of bills, sent on a thread of its own when in parallel. */
typedef struct {
    jifen_request req;
    jifen_reply reply;
    int rc;
    bool live; /* a thread is sending it */
    pthread_t thread;
} job;

typedef struct {
    billing_result *r;
    const billing_calls *calls;
    jifen_command *batch; /* the batch being filled: the window's next */
    size_t n_batch, batch_max;
    job jobs[BILLING_WINDOW_MAX];
    jifen_command *cmds[BILLING_WINDOW_MAX]; /* each job's commands */
    unsigned window, next;
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

/* What a batch's reply says, into the sums. */
static int merge(run *u, job *j)
{
    if (j->rc != 0)
        return j->rc; /* the call reported why */
    jifen_reply *reply = &j->reply;
    if (reply->status != JIFEN_STATUS_OK) {
        refused(u->r, reply->status, reply->error);
        jifen_reply_clear(reply);
        return 0;
    }
    const jifen_command *cmds = j->req.commands;
    for (size_t i = 0; i < reply->n_results && i < j->req.n_commands; i++) {
        const jifen_result *res = &reply->results[i];
        billing_item *s = item_of(u->r, cmds[i].code, "");
        if (res->status == JIFEN_STATUS_OK ||
            res->status == JIFEN_STATUS_EXISTS) {
            s->bills++;
            s->fen += res->n_postings ? res->postings[0].amount : 0;
        } else if (res->status == JIFEN_STATUS_ALREADY_BILLED) {
            s->before++; /* another run billed it meanwhile */
        } else if (u->r->failed++ == 0) {
            snprintf(u->r->first_failure, sizeof u->r->first_failure,
                     "%s %s: %s: %s", cmds[i].household, cmds[i].code,
                     jifen_status_name(res->status), res->error);
        }
    }
    jifen_reply_clear(reply);
    return 0;
}

static void *send_job(void *arg)
{
    void **a = arg;
    run *u = a[0];
    job *j = a[1];
    free(arg);
    j->rc = u->calls->parallel(u->calls->parallel_ctx, &j->req, &j->reply);
    return NULL;
}

/* Waits for job j to be answered and merges it; 0, or a call's code. */
static int finish(run *u, job *j)
{
    if (!j->live)
        return 0;
    pthread_join(j->thread, NULL);
    j->live = false;
    return merge(u, j);
}

/* Sends the batch being filled: in parallel into the window (the slot
 * it takes answered first), else at once. */
static int send_batch(run *u)
{
    if (u->n_batch == 0)
        return 0;
    job *j = &u->jobs[u->next];
    j->req = (jifen_request){.n_commands = u->n_batch, .commands = u->batch};
    jifen_request_id_new(j->req.request_id); /* made before sending: retries */
    u->n_batch = 0;
    int rc = 0;
    if (u->calls->parallel) {
        void **arg = malloc(2 * sizeof *arg);
        if (arg) {
            arg[0] = u;
            arg[1] = j;
        }
        if (arg && pthread_create(&j->thread, NULL, send_job, arg) == 0) {
            j->live = true;
        } else {
            free(arg); /* no thread: send it from here */
            j->rc = u->calls->parallel(u->calls->parallel_ctx, &j->req,
                                       &j->reply);
            rc = merge(u, j);
        }
    } else {
        j->rc = u->calls->call(u->calls->ctx, &j->req, &j->reply);
        rc = merge(u, j);
    }
    /* The next batch fills the next slot, once its request is answered. */
    u->next = (u->next + 1) % u->window;
    int rc2 = finish(u, &u->jobs[u->next]);
    u->batch = u->cmds[u->next];
    return rc ? rc : rc2;
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
                const billing_calls *calls, billing_progress_fn progress,
                void *progress_ctx, billing_result *out)
{
    memset(out, 0, sizeof *out);
    out->dry = dry;
    out->status = JIFEN_STATUS_OK;
    if (batch == 0 || batch > JIFEN_BATCH_MAX)
        batch = JIFEN_BATCH_MAX;
    report_call_fn call = calls->call;
    void *call_ctx = calls->ctx;
    run *up = calloc(1, sizeof *up);
    if (!up)
        return refused(out, JIFEN_STATUS_INTERNAL, "out of memory");
    *up = (run){.r = out, .calls = calls, .batch_max = batch};
    up->window = !calls->parallel ? 1
               : calls->window == 0 ? BILLING_WINDOW
               : calls->window > BILLING_WINDOW_MAX ? BILLING_WINDOW_MAX
                                                    : calls->window;
    for (unsigned w = 0; !dry && w < up->window; w++)
        if (!(up->cmds[w] = calloc(batch, sizeof *up->cmds[w]))) {
            for (unsigned k = 0; k < w; k++)
                free(up->cmds[k]);
            free(up);
            return refused(out, JIFEN_STATUS_INTERNAL, "out of memory");
        }
    up->batch = up->cmds[0];
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
            rc = take_line(up, l, period);
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
        rc = send_batch(up);
    /* Every request in flight is answered (and counted) before the end. */
    for (unsigned w = 0; w < up->window; w++) {
        int r = finish(up, &up->jobs[w]);
        if (rc == 0)
            rc = r;
    }
    for (size_t i = 0; i < out->n_items; i++) {
        out->bills += out->items[i].bills;
        out->fen += out->items[i].fen;
        out->before += out->items[i].before;
        out->cannot += out->items[i].cannot;
    }
    for (unsigned w = 0; w < up->window; w++)
        free(up->cmds[w]);
    free(up);
    return rc;
}
