/*
 * bench_reports - the monthly reports (statement, liability, ageing, trial
 * balance, the notice list) timed against the real jifend: once on the
 * bench's own 100k-household ledger after the scenarios, and on a ledger
 * of their own as it grows from one entry per household to ten, to show
 * what each costs as the journal grows. A report should cost what its rows
 * cost, not what the journal holds; the table shows which do.
 *
 * A report is timed as a client sees it: request, the daemon's read
 * transaction, the reply over ZeroMQ and its decoding. The daemon's memory
 * besides the map (RssAnon) is sampled every 2 ms during each report. A
 * refusal is recorded as it is, with its reason: today ageing and the trial
 * balance refuse more than JIFEN_REPORT_ROWS_MAX rows, and the notice list
 * stops at JIFEN_NOTICES_MAX without saying so.
 */
#include "bench_jifen.h"

#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct {
    const char *name; /* the row's scenario after the prefix */
    const char *kind; /* REPORT code; NULL: the NOTICES query */
    bool household;   /* of one household (a statement) */
    unsigned reps;    /* timed calls */
} report_spec;

static const report_spec specs[] = {
    {"statement", "statement", true, 20},
    {"liability", "liability", false, 3},
    {"ageing", "ageing", false, 3},
    {"trial_balance", "trial-balance", false, 3},
    {"notices", NULL, false, 3},
};

/* Why a report was not answered, in the daemon's own words: nothing is
 * refused for its size since the reports come in pages (issue 14). */
static bool refusal_note(const bench_options *o, const report_spec *s,
                         const jifen_result *r, char *note, size_t cap)
{
    (void)o;
    (void)s;
    snprintf(note, cap, "refused: %.30s", r->error);
    return false;
}

/* The reports with a row per household come page by page (docs/desk.md):
 * one "call" is every page, as the CLI asks them. The last page's reply
 * is left in *reply (its rows counted in *rows). */
static int call_pages(void *sock, jifen_command *cmd, jifen_reply *reply,
                      uint64_t *rows)
{
    jifen_request req = {.n_commands = 1, .commands = cmd};
    bool paged = cmd->kind == JIFEN_CMD_REPORT &&
                 (strcmp(cmd->code, "ageing") == 0 ||
                  strcmp(cmd->code, "trial-balance") == 0);
    *rows = 0;
    if (paged)
        cmd->limit = 2000;
    for (;;) {
        memset(reply, 0, sizeof *reply);
        int rc = bench_call(sock, &req, reply);
        const jifen_result *r =
            rc == 0 && reply->n_results == 1 ? &reply->results[0] : NULL;
        if (!r || reply->status != JIFEN_STATUS_OK ||
            r->status != JIFEN_STATUS_OK || !paged || !r->report)
            return rc;
        *rows += r->report->n_rows;
        if (!r->report->next[0])
            return 0;
        cmd->upto = r->report->head;
        snprintf(cmd->after, sizeof cmd->after, "%s", r->report->next);
        codec_reply_clear(reply);
    }
}

/* One report, s->reps times, on the auditor's socket. */
static int time_report(const bench_options *o, void *sock,
                       const bench_daemon *d, const report_spec *s,
                       uint64_t *rng, bench_row *row)
{
    jifen_command cmd;
    samples lat = {0};
    int rc = 0;
    bench_rss_reset(d->pid);
    rss_monitor *mon = rss_monitor_start_every(d->pid, 2000);
    double start = bench_now();
    for (unsigned i = 0; i < s->reps && rc == 0; i++) {
        memset(&cmd, 0, sizeof cmd);
        cmd.kind = s->kind ? JIFEN_CMD_REPORT : JIFEN_CMD_NOTICES;
        if (s->kind)
            snprintf(cmd.code, sizeof cmd.code, "%s", s->kind);
        if (s->household)
            bench_household((unsigned)(bench_rand(rng) % o->households),
                            cmd.household);
        jifen_reply reply;
        memset(&reply, 0, sizeof reply);
        double t0 = bench_now();
        uint64_t paged_rows = 0;
        int call_rc = call_pages(sock, &cmd, &reply, &paged_rows);
        samples_add(&lat, bench_ms_since(t0));
        row->requests++;
        const jifen_result *r =
            call_rc == 0 && reply.n_results == 1 ? &reply.results[0] : NULL;
        if (!r || reply.status != JIFEN_STATUS_OK) {
            snprintf(row->note, sizeof row->note, "failed: %.38s",
                     r ? reply.error : "no reply");
            row->errors++;
            rc = -1;
        } else if (r->status != JIFEN_STATUS_OK) {
            row->errors += !refusal_note(o, s, r, row->note, sizeof row->note);
            row->report_rows = 0;
        } else {
            row->ops++;
            row->report_rows =
                paged_rows ? paged_rows
                : s->kind  ? (r->report ? r->report->n_rows : 0)
                           : r->n_notices;
            /* The notice list stops at JIFEN_NOTICES_MAX and says nothing
             * of the rest: recorded, so that the figure is not read as
             * the whole month's. */
            if (!s->kind && r->n_notices >= JIFEN_NOTICES_MAX)
                snprintf(row->note, sizeof row->note, "cut at %d, silently",
                         JIFEN_NOTICES_MAX);
        }
        codec_reply_clear(&reply);
    }
    row->seconds = bench_now() - start;
    row->peak_anon_mb = rss_monitor_stop(&mon);
    row->peak_rss_mb = bench_proc_mb(d->pid, "VmHWM");
    row->clients = 1;
    row->batch = 1;
    bench_row_finish(row, &lat);
    row->ops_per_s = row->seconds > 0 ? row->requests / row->seconds : 0;
    samples_free(&lat);
    return rc;
}

int bench_reports_now(const bench_options *o, void *ctx, const bench_daemon *d,
                      const char *prefix, bench_results *res)
{
    jifen_stats st;
    if (bench_daemon_stats(ctx, d, &st) != 0)
        return -1;
    void *sock = bench_open_req(ctx, d, KEY_AUDITOR);
    if (!sock)
        return -1;
    uint64_t rng = 0x2545f4914f6cdd1dull ^ st.entries;
    int rc = 0;
    for (size_t i = 0; i < sizeof specs / sizeof *specs && rc == 0; i++) {
        char scenario[32];
        snprintf(scenario, sizeof scenario, "%s%s", prefix, specs[i].name);
        bench_progress(scenario, 0, 1);
        bench_row *row = bench_results_add(res, scenario, "jifen");
        row->entries = st.entries;
        rc = time_report(o, sock, d, &specs[i], &rng, row);
        bench_progress_done();
        bench_say("  %-22s %9llu entries %7llu rows  p50 %9.3f ms  max %9.3f "
                  "ms  anon %5.1f MB%s%s\n",
                  row->scenario, (unsigned long long)row->entries,
                  (unsigned long long)row->report_rows, row->p50_ms,
                  row->p99_ms, row->peak_anon_mb, row->note[0] ? "  " : "",
                  row->note);
    }
    zmq_close(sock);
    return rc;
}

/* --- a ledger of its own, growing ---------------------------------------- */

/* The default rules' meeting activity, with every award under public
 * notice (公示) for 7 days, so that the notice list has rows and the
 * statement and liability have pending points. */
static const char notice_policy[] =
    "# jifen_bench: every award under public notice, for the notice list\n"
    "resolution = jifen_bench: awards under notice for 7 days\n"
    "version = bench-notice\n"
    "fen_per_point = 100\n"
    "max_offset_percent = 50\n"
    "notice_days = 7\n"
    "\n"
    "[activity meeting]\n"
    "description = Attending a deliberation meeting\n"
    "points = 2\n";

static void fill_award(jifen_command *cmd, unsigned household)
{
    cmd->kind = JIFEN_CMD_AWARD;
    bench_household(household, cmd->household);
    memcpy(cmd->code, "meeting", 8);
}

static void fill_pay(jifen_command *cmd, unsigned household)
{
    cmd->kind = JIFEN_CMD_PAY;
    bench_household(household, cmd->household);
    cmd->amount = 6000; /* half a bill: every household still owes */
}

/* Each pass sends one command to every household: a month's bills, an
 * award, half the bill paid, another award, and so on. */
static const struct {
    const char *name;
    bench_fill fill;
    int key;
} passes[] = {
    {"grow: bills", bench_fill_bill, KEY_TERMINAL},
    {"grow: awards", fill_award, KEY_COMMITTEE},
    {"grow: payments", fill_pay, KEY_TERMINAL},
    {"grow: awards", fill_award, KEY_COMMITTEE},
    {"grow: bills", bench_fill_bill, KEY_TERMINAL},
    {"grow: awards", fill_award, KEY_COMMITTEE},
    {"grow: payments", fill_pay, KEY_TERMINAL},
    {"grow: awards", fill_award, KEY_COMMITTEE},
    {"grow: bills", bench_fill_bill, KEY_TERMINAL},
};

/* The reports are timed after this many passes: 1, 2, 5 and 10 entries
 * per household (100k to 1M entries for 100k households). */
static const unsigned measure_after[] = {0, 1, 4, 9};

static int write_policy(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(notice_policy, f);
    return fclose(f) == 0 ? 0 : -1;
}

static int grow_and_measure(const bench_options *o, void *ctx,
                            const bench_daemon *d, bench_results *res)
{
    bench_row grow;
    memset(&grow, 0, sizeof grow);
    snprintf(grow.scenario, sizeof grow.scenario, "grow: households");
    if (bench_run_batched(o, ctx, d, bench_fill_register, KEY_COMMITTEE,
                          &grow) != 0 ||
        grow.errors)
        return -1;
    unsigned done = 0;
    for (size_t m = 0; m < sizeof measure_after / sizeof *measure_after; m++) {
        for (; done < measure_after[m]; done++) {
            memset(&grow, 0, sizeof grow);
            snprintf(grow.scenario, sizeof grow.scenario, "%s",
                     passes[done].name);
            if (bench_run_batched(o, ctx, d, passes[done].fill,
                                  passes[done].key, &grow) != 0 ||
                grow.errors) {
                fprintf(stderr, "jifen_bench: %s: %llu commands failed\n",
                        passes[done].name, (unsigned long long)grow.errors);
                return -1;
            }
        }
        if (bench_reports_now(o, ctx, d, "scale_", res) != 0)
            return -1;
    }
    return 0;
}

int bench_reports_scale(const bench_options *o, void *ctx, bench_results *res)
{
    char *dir = bench_tmpdir("reports");
    if (!dir)
        return -1;
    char policy[600];
    snprintf(policy, sizeof policy, "%s/notice.conf", dir);
    bench_say("reports: a ledger of %u households growing to %u entries; "
              "every award under notice\n",
              o->households, o->households * 10);
    bench_daemon d;
    int rc = -1;
    if (write_policy(policy) == 0 &&
        bench_daemon_start(o, &d, dir, policy) == 0) {
        rc = grow_and_measure(o, ctx, &d, res);
        if (bench_daemon_stop(&d) != 0)
            rc = -1;
    }
    bench_tmpdir_done(&dir, "reports", rc);
    return rc;
}
