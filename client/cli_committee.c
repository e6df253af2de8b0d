/*
 * cli_committee - see cli_committee.h.
 */
#include "cli_committee.h"

#include "calendar.h"
#include "cli_text.h"
#include "codec.h"
#include "csv.h"
#include "rows.h"
#include "i18n.h"
#include "json_out.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { DONE = 0, REFUSED = 1, USAGE = 2 };


/* --- words ---------------------------------------------------------------- */

static const char *tr(const cli_output *o, i18n_id id)
{
    return i18n_text(id, o->lang);
}

/* The message PREFIX_CODE ('-' read as '_') in o's language, or the code
 * itself when the catalogue has none (an activity of a community's own). */
static const char *label(const cli_output *o, const char *prefix,
                         const char *code)
{
    char key[96];
    snprintf(key, sizeof key, "%s%s", prefix, code);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    i18n_id id = i18n_find(key);
    /* Command names are upper case in the catalogue (CMD_AWARD). */
    for (char *p = key + strlen(prefix); id == I18N_COUNT && *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    if (id == I18N_COUNT)
        id = i18n_find(key);
    return id < I18N_COUNT ? tr(o, id) : code;
}

/* A message with its %s filled (i18n_fill), written to f. */
static void say(FILE *f, const cli_output *o, const char *text, int n, ...)
{
    char buf[1024];
    va_list ap;
    (void)o;
    va_start(ap, n);
    fputs(i18n_vfill(buf, sizeof buf, text, n, ap), f);
    va_end(ap);
}

static const char *u64s(char buf[24], uint64_t v)
{
    snprintf(buf, 24, "%" PRIu64, v);
    return buf;
}

static const char *yuan(char buf[32], int64_t fen)
{
    return jifen_format_yuan(fen, buf, 32);
}

const char *cli_committee_relation(const char *text)
{
    static const char *const codes[] = {"head",       "spouse",  "child",
                                        "parent",     "grandchild",
                                        "sibling",    "tenant",  "other"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char key[32];
        snprintf(key, sizeof key, "REL_%s", codes[i]);
        i18n_id id = i18n_find(key);
        if (strcmp(text, codes[i]) == 0 ||
            strcmp(text, i18n_text(id, I18N_ZH)) == 0 ||
            strcasecmp(text, i18n_text(id, I18N_EN)) == 0)
            return codes[i];
    }
    return NULL;
}

/* " (by PROXY for MEMBER)" when a proxy acted. */
static void print_acting(FILE *f, const cli_output *o, const char *member,
                         const char *proxy)
{
    if (proxy && proxy[0])
        say(f, o, tr(o, I18N_W_BY_PROXY), 2, proxy, member);
}

/* --- one request ------------------------------------------------------------- */

/* Sends commands[0..n) as one request (a dry run when asked); DONE with
 * the reply, or the exit code of a failure (reported). A refusal of the
 * whole request is reported here too. */
static int send(const cli_committee_env *env, jifen_command *commands,
                size_t n, bool dry_run, jifen_reply *reply)
{
    jifen_request req = {.n_commands = n, .commands = commands};
    req.dry_run = dry_run;
    if (n && jifen_command_is_write(commands[0].kind))
        jifen_request_id_new(req.request_id);
    return cli_request(env->out, env->call, env->ctx, &req, reply);
}

/* rows_send_fn over send: the env's dry run aside, as asked. */
static int send_rows_fn(void *ctx, jifen_command *commands, size_t n,
                        bool dry_run, jifen_reply *reply)
{
    return send((const cli_committee_env *)ctx, commands, n, dry_run, reply);
}

/* On a terminal: how far the rows are. */
static void progress(void *ctx, size_t done, size_t total)
{
    const cli_committee_env *env = ctx;
    char a[24], b[24];
    fputc('\r', stderr);
    say(stderr, env->out, tr(env->out, I18N_ROSTER_PROGRESS), 2,
        u64s(a, done), u64s(b, total));
    if (done == total)
        fputc('\n', stderr);
}

/* Reads the file's rows into commands (refusing what is wrong in them),
 * then sends those not refused. DONE with f open and rows filled (the
 * caller closes and frees them), or the failure's code (reported). */
static int read_and_send(const cli_committee_env *env, rows_kind kind,
                         const char *file, const jifen_command *award,
                         rows_file *f, rows_list *rows)
{
    char err[ROWS_WHY_MAX];
    memset(rows, 0, sizeof *rows);
    if (rows_open_file(f, kind, file, env->encoding, env->out->lang, err,
                       sizeof err) != 0) {
        cli_print_failure(env->out, "bad_file", err, NULL);
        return USAGE;
    }
    int rc = rows_read(f, kind, award, env->out->lang, rows, err, sizeof err);
    if (rc == 0) {
        bool tty = !env->out->json && isatty(STDERR_FILENO);
        rc = rows_send(rows, env->dry_run, send_rows_fn, (void *)env,
                       tty ? progress : NULL, (void *)env);
        if (rc == 0)
            return DONE;
        if (rc == -1)
            cli_print_failure(env->out, "error", "out of memory", NULL);
        rows_free(rows);
        rows_close(f);
        return rc == -1 ? REFUSED : rc;
    }
    if (rc == 1) {
        char msg[ROWS_WHY_MAX + 256];
        snprintf(msg, sizeof msg, "%s%s", err, file);
        cli_print_failure(env->out, "bad_file", msg, NULL);
    } else {
        cli_print_failure(env->out, "error", err, NULL);
    }
    rows_free(rows);
    rows_close(f);
    return rc == 1 ? USAGE : REFUSED;
}

static void print_roster_json(const cli_committee_env *env, const char *file,
                              const jifen_command *award, const rows_file *f,
                              const rows_list *rows, uint64_t households,
                              uint64_t points, uint64_t refused)
{
    json_out *o = json_out_new();
    json_out_str(o, "status", "ok");
    json_out_bool(o, "dry_run", env->dry_run);
    json_out_str(o, "file", file);
    json_out_str(o, "encoding", rows_encoding_code(f));
    json_out_bool(o, "bom", f->had_bom);
    json_out_str(o, "activity", award->code);
    json_out_str(o, "event", award->name);
    json_out_str(o, "date", award->effective);
    json_out *list = json_out_array(o, "rows");
    for (size_t i = 0; i < rows->n; i++) {
        const rows_row *r = &rows->v[i];
        json_out *j = json_out_object(list, NULL);
        json_out_u64(j, "line", r->line);
        json_out_str(j, "household", r->cmd.household);
        json_out_str(j, "member", r->cmd.member);
        json_out_str(j, "proxy", r->cmd.proxy);
        json_out_u64(j, "hours", r->cmd.hours);
        json_out_str(j, "status", rows_status(r));
        json_out_str(j, "error", r->why[0] ? r->why : r->result.error);
        json_out_u64(j, "points", rows_ok(r) ? r->result.points : 0);
        json_out_u64(j, "entry", env->dry_run ? 0 : r->result.entry);
        json_out_i64(j, "notice_ends_ms", r->result.notice_ends_ms);
    }
    json_out_u64(o, "households", households);
    json_out_u64(o, "points", points);
    json_out_u64(o, "refused", refused);
    json_out_print(env->out->out, &o);
}

int cli_committee_roster(const cli_committee_env *env, const char *file,
                         const jifen_command *award)
{
    const cli_output *o = env->out;
    rows_file f;
    rows_list rows = {0};
    int rc = read_and_send(env, ROWS_ROSTER, file, award, &f, &rows);
    if (rc != DONE)
        return rc;
    uint64_t households = 0, points = 0, refused = 0, others = 0;
    for (size_t i = 0; i < rows.n; i++) {
        const rows_row *r = &rows.v[i];
        if (rows_ok(r)) {
            households++;
            points += r->result.points;
        } else {
            refused++;
            others += r->result.status != JIFEN_STATUS_ALREADY_AWARDED ||
                      r->why[0];
        }
    }
    if (o->json) {
        print_roster_json(env, file, award, &f, &rows, households, points,
                          refused);
    } else {
        FILE *out = o->out;
        say(out, o, tr(o, I18N_ROSTER_TITLE), 4, file, award->name, label(o, "ACT_", award->code), award->effective);
        fputc('\n', out);
        say(out, o, tr(o, I18N_ROSTER_ENCODING), 1, rows_encoding_name(&f));
        fputc('\n', out);
        for (size_t i = 0; i < rows.n; i++) {
            const rows_row *r = &rows.v[i];
            char num[24], a[24], b[24], line[48], why[ROWS_WHY_MAX];
            i18n_fill(line, sizeof line, tr(o, I18N_ROSTER_LINE), 1, u64s(num, r->line));
            cli_text_cell(out, line, 10, false);
            cli_text_cell(out, r->cmd.household, 12, false);
            cli_text_cell(out, r->cmd.member, 10, false);
            if (rows_ok(r) && env->dry_run) {
                say(out, o, tr(o, I18N_ROSTER_WOULD), 1, u64s(a, r->result.points));
            } else if (rows_ok(r)) {
                say(out, o, tr(o, I18N_ROSTER_AWARDED), 2, u64s(a, r->result.points), u64s(b, r->result.entry));
                if (r->result.notice_ends_ms) {
                    char when[CLOCK_MINUTE_LEN + 1];
                    clock_minute_text(r->result.notice_ends_ms, when);
                    say(out, o, tr(o, I18N_ROSTER_PENDING), 1, when);
                }
            } else {
                rows_reason(o->lang, r, why, sizeof why);
                say(out, o, tr(o, I18N_ROSTER_REFUSED), 1, why);
            }
            print_acting(out, o, r->cmd.member, r->cmd.proxy);
            fputc('\n', out);
        }
        char n1[24], n2[24], n3[24], n4[24];
        say(out, o, tr(o, env->dry_run ? I18N_ROSTER_SUMMARY_DRY
                                   : I18N_ROSTER_SUMMARY), 4, u64s(n1, rows.n), u64s(n2, households), u64s(n3, points), u64s(n4, refused));
        fputc('\n', out);
    }
    rows_free(&rows);
    rows_close(&f);
    /* Rows already awarded for the event are no fault: a roster imported
     * again awards nobody twice, and says so. */
    return others ? REFUSED : DONE;
}

/* --- opening balances ---------------------------------------------------------------- */

static void fee_text(const cli_output *o, const jifen_command *c, char *out,
                     size_t cap)
{
    char y[32];
    if (c->amount == 0)
        snprintf(out, cap, "%s", tr(o, I18N_OPEN_NO_FEE));
    else
        i18n_fill(out, cap, tr(o, c->flag ? I18N_OPEN_PREPAID : I18N_OPEN_OWED), 1, yuan(y, (int64_t)c->amount));
}

static void print_totals(FILE *out, const cli_output *o,
                         const rows_totals *file, const rows_totals *ledger)
{
    fprintf(out, "%s\n", tr(o, I18N_OPEN_TOTALS));
    cli_text_cell(out, tr(o, I18N_OPEN_COL_WHAT), 16, false);
    cli_text_cell(out, tr(o, I18N_OPEN_COL_FILE), 14, true);
    cli_text_cell(out, tr(o, I18N_OPEN_COL_LEDGER), 14, true);
    fputc('\n', out);
    const i18n_id names[] = {I18N_OPEN_ROWS, I18N_OPEN_POINTS,
                             I18N_OPEN_OWED_TOTAL, I18N_OPEN_PREPAID_TOTAL};
    const uint64_t a[] = {file->households, file->points, file->owed_fen,
                          file->prepaid_fen};
    const uint64_t b[] = {ledger->households, ledger->points,
                          ledger->owed_fen, ledger->prepaid_fen};
    for (size_t i = 0; i < 4; i++) {
        char x[32], y[32];
        cli_text_cell(out, tr(o, names[i]), 16, false);
        cli_text_cell(out, i < 2 ? u64s(x, a[i]) : yuan(x, (int64_t)a[i]), 14,
                      true);
        cli_text_cell(out, i < 2 ? u64s(y, b[i]) : yuan(y, (int64_t)b[i]), 14,
                      true);
        fputc('\n', out);
    }
}

static void json_totals(json_out *o, const char *name, const rows_totals *t)
{
    json_out *j = json_out_object(o, name);
    json_out_u64(j, "households", t->households);
    json_out_u64(j, "points", t->points);
    json_out_u64(j, "owed_fen", t->owed_fen);
    json_out_u64(j, "prepaid_fen", t->prepaid_fen);
}

int cli_committee_opening(const cli_committee_env *env, const char *file)
{
    const cli_output *o = env->out;
    rows_file f;
    rows_list rows = {0};
    int rc = read_and_send(env, ROWS_OPENING, file, NULL, &f, &rows);
    if (rc != DONE)
        return rc;
    rows_totals in_file = rows_file_totals(&rows), in_ledger = {0};
    if (!env->dry_run)
        rc = rows_ledger_totals(&rows, send_rows_fn, (void *)env, &in_ledger);
    if (rc != DONE) {
        rows_free(&rows);
        rows_close(&f);
        return rc;
    }
    uint64_t refused = 0;
    for (size_t i = 0; i < rows.n; i++)
        refused += !rows_ok(&rows.v[i]);
    bool agree = env->dry_run || rows_totals_agree(&in_file, &in_ledger);
    if (o->json) {
        json_out *j = json_out_new();
        json_out_str(j, "status", "ok");
        json_out_bool(j, "dry_run", env->dry_run);
        json_out_str(j, "file", file);
        json_out_str(j, "encoding", rows_encoding_code(&f));
        json_out *list = json_out_array(j, "rows");
        for (size_t i = 0; i < rows.n; i++) {
            const rows_row *r = &rows.v[i];
            json_out *e = json_out_object(list, NULL);
            json_out_u64(e, "line", r->line);
            json_out_str(e, "household", r->cmd.household);
            json_out_u64(e, "points", r->cmd.points);
            json_out_i64(e, "fee_due_fen", r->cmd.flag
                                               ? -(int64_t)r->cmd.amount
                                               : (int64_t)r->cmd.amount);
            json_out_str(e, "date", r->cmd.effective);
            json_out_str(e, "book", r->cmd.name);
            json_out_u64(e, "page", r->cmd.limit);
            json_out_str(e, "status", rows_status(r));
            json_out_str(e, "error", r->why[0] ? r->why : r->result.error);
            json_out_u64(e, "entry", env->dry_run ? 0 : r->result.entry);
        }
        json_out_u64(j, "refused", refused);
        json_totals(j, "file_totals", &in_file);
        if (!env->dry_run) {
            json_totals(j, "ledger_totals", &in_ledger);
            json_out_bool(j, "agree", agree);
        }
        json_out_print(o->out, &j);
    } else {
        FILE *out = o->out;
        say(out, o, tr(o, I18N_OPEN_TITLE), 1, file);
        fputc('\n', out);
        say(out, o, tr(o, I18N_ROSTER_ENCODING), 1, rows_encoding_name(&f));
        fputc('\n', out);
        for (size_t i = 0; i < rows.n; i++) {
            const rows_row *r = &rows.v[i];
            char num[24], a[24], line[48], why[ROWS_WHY_MAX], fee[96];
            i18n_fill(line, sizeof line, tr(o, I18N_ROSTER_LINE), 1, u64s(num, r->line));
            cli_text_cell(out, line, 10, false);
            cli_text_cell(out, r->cmd.household, 12, false);
            if (!rows_ok(r)) {
                rows_reason(o->lang, r, why, sizeof why);
                say(out, o, tr(o, I18N_OPEN_REFUSED), 1, why);
                fputc('\n', out);
                continue;
            }
            fee_text(o, &r->cmd, fee, sizeof fee);
            char page[24];
            if (env->dry_run)
                fprintf(out, "%s ", tr(o, I18N_OPEN_WOULD));
            say(out, o, tr(o, I18N_OPEN_LINE), 5, u64s(a, r->cmd.points), fee,
                r->cmd.name, u64s(page, r->cmd.limit), r->cmd.effective);
            if (!env->dry_run) {
                fputs("  ", out);
                say(out, o, tr(o, I18N_OPEN_DONE), 1, u64s(a, r->result.entry));
            }
            fputc('\n', out);
        }
        if (env->dry_run) {
            char n1[24], n2[24], y1[32], y2[32], n3[24];
            say(out, o, tr(o, I18N_OPEN_DRY_TOTALS), 5, u64s(n1, in_file.households), u64s(n2, in_file.points), yuan(y1, (int64_t)in_file.owed_fen), yuan(y2, (int64_t)in_file.prepaid_fen), u64s(n3, refused));
            fputc('\n', out);
        } else {
            print_totals(out, o, &in_file, &in_ledger);
            fprintf(out, "%s\n",
                    tr(o, agree ? I18N_OPEN_AGREE : I18N_OPEN_DISAGREE));
        }
    }
    rows_free(&rows);
    rows_close(&f);
    return agree && refused == 0 ? DONE : REFUSED;
}

/* --- passbooks ------------------------------------------------------------------------- */

#define PB_PAGE_LINES 20 /* lines on a passbook page */

/* What a passbook line says, in at most a narrow column's words. */
static void passbook_what(const cli_output *o, const char *command,
                          const char *detail, char *out, size_t cap)
{
    if (strcmp(command, "award") == 0 || strcmp(command, "release") == 0) {
        char code[JIFEN_CODE_MAX + 1];
        size_t n = strcspn(detail, ":");
        snprintf(code, sizeof code, "%.*s", (int)(n < JIFEN_CODE_MAX ? n : JIFEN_CODE_MAX),
                 detail);
        snprintf(out, cap, "%s", label(o, "ACT_", code));
    } else if (strcmp(command, "deduct") == 0) {
        snprintf(out, cap, "%s %s", tr(o, I18N_PB_DEDUCT),
                 label(o, "RULE_", detail));
    } else if (strcmp(command, "redeem") == 0) {
        snprintf(out, cap, "%s", tr(o, I18N_PB_REDEEM));
    } else if (strcmp(command, "goods_redeem") == 0) {
        snprintf(out, cap, "%s %s", tr(o, I18N_PB_GOODS), detail);
    } else if (strcmp(command, "expire") == 0) {
        snprintf(out, cap, "%s", tr(o, I18N_PB_EXPIRE));
    } else if (strcmp(command, "reverse") == 0) {
        snprintf(out, cap, "%s %s", tr(o, I18N_PB_REVERSE), detail);
    } else if (strcmp(command, "opening") == 0) {
        snprintf(out, cap, "%s", tr(o, I18N_PB_OPENING));
    } else {
        snprintf(out, cap, "%s", command);
    }
}

/* A report's cell by column name ("" when the column is not there). */
static const char *cell(const jifen_report *rep, size_t i, const char *col)
{
    for (size_t j = 0; j < rep->n_columns; j++)
        if (strcmp(rep->columns[j], col) == 0)
            return rep->rows[i].cells[j];
    return "";
}

static void passbook_header(FILE *out, const cli_output *o)
{
    cli_text_cell(out, tr(o, I18N_PB_COL_DATE), 8, false);
    fputc(' ', out);
    cli_text_cell(out, tr(o, I18N_PB_COL_WHAT), 14, false);
    fputc(' ', out);
    cli_text_cell(out, tr(o, I18N_PB_COL_IN), 4, true);
    fputc(' ', out);
    cli_text_cell(out, tr(o, I18N_PB_COL_OUT), 4, true);
    fputc(' ', out);
    cli_text_cell(out, tr(o, I18N_PB_COL_BALANCE), 6, true);
    fputc('\n', out);
}

static void passbook_lines(FILE *out, const cli_output *o,
                           const jifen_report *rep)
{
    uint64_t page = 0;
    for (size_t i = 0; i < rep->n_rows; i++) {
        uint64_t line = strtoull(cell(rep, i, "line"), NULL, 10);
        uint64_t p = line ? (line - 1) / PB_PAGE_LINES + 1 : 1;
        if (p != page) {
            char num[24], head[64];
            i18n_fill(head, sizeof head, tr(o, I18N_PB_PAGE), 1, u64s(num, p));
            fprintf(out, "%s\n", head);
            passbook_header(out, o);
            page = p;
        }
        const char *date = cell(rep, i, "date");
        const char *in = cell(rep, i, "points_in");
        const char *outp = cell(rep, i, "points_out");
        char what[160];
        passbook_what(o, cell(rep, i, "command"), cell(rep, i, "detail"), what,
                      sizeof what);
        /* YY-MM-DD: the narrow column of a passbook. */
        cli_text_cell(out, strlen(date) == 10 ? date + 2 : date, 8, false);
        fputc(' ', out);
        cli_text_cell(out, what, 14, false);
        fputc(' ', out);
        cli_text_cell(out, strcmp(in, "0") ? in : "", 4, true);
        fputc(' ', out);
        cli_text_cell(out, strcmp(outp, "0") ? outp : "", 4, true);
        fputc(' ', out);
        cli_text_cell(out, cell(rep, i, "balance"), 6, true);
        fputc('\n', out);
    }
}

static void passbook_json(const cli_output *o, const char *household,
                          const jifen_report *rep, bool reprint,
                          uint64_t mark, uint64_t through)
{
    json_out *j = json_out_new();
    json_out_str(j, "status", "ok");
    json_out_str(j, "household", household);
    json_out_bool(j, "reprint", reprint);
    json_out *list = json_out_array(j, "lines");
    for (size_t i = 0; i < rep->n_rows; i++) {
        json_out *e = json_out_object(list, NULL);
        json_out_u64(e, "line", strtoull(cell(rep, i, "line"), NULL, 10));
        json_out_u64(e, "entry", strtoull(cell(rep, i, "entry"), NULL, 10));
        json_out_str(e, "date", cell(rep, i, "date"));
        json_out_str(e, "command", cell(rep, i, "command"));
        json_out_str(e, "detail", cell(rep, i, "detail"));
        json_out_i64(e, "points_in",
                     strtoll(cell(rep, i, "points_in"), NULL, 10));
        json_out_i64(e, "points_out",
                     strtoll(cell(rep, i, "points_out"), NULL, 10));
        json_out_i64(e, "balance", strtoll(cell(rep, i, "balance"), NULL, 10));
    }
    json_out_u64(j, "mark_entry", mark);
    json_out_u64(j, "through", through);
    json_out_print(o->out, &j);
}

int cli_committee_passbook(const cli_committee_env *env,
                           const char *household, uint64_t reprint_from)
{
    const cli_output *o = env->out;
    jifen_command q[2];
    memset(q, 0, sizeof q);
    q[0].kind = JIFEN_CMD_REPORT;
    snprintf(q[0].code, sizeof q[0].code, "passbook");
    snprintf(q[0].household, sizeof q[0].household, "%s", household);
    q[0].entry = reprint_from;
    q[1].kind = JIFEN_CMD_BALANCE;
    snprintf(q[1].household, sizeof q[1].household, "%s", household);
    jifen_reply reply;
    int rc = send(env, q, 2, false, &reply);
    if (rc != DONE)
        return rc;
    const jifen_result *pb = &reply.results[0], *bal = &reply.results[1];
    if (pb->status != JIFEN_STATUS_OK || !pb->report) {
        cli_print_refusal(o, pb->status, pb->error);
        jifen_reply_clear(&reply);
        return REFUSED;
    }
    const jifen_report *rep = pb->report;
    uint64_t through = rep->n_rows
                           ? strtoull(cell(rep, rep->n_rows - 1, "entry"),
                                      NULL, 10)
                           : 0;
    uint64_t mark = 0;
    FILE *out = o->out;
    if (!o->json) {
        say(out, o, tr(o, I18N_PB_TITLE), 2, household, bal->status == JIFEN_STATUS_OK ? bal->balance.name : "");
        fputc('\n', out);
        passbook_lines(out, o, rep);
    }
    if (!reprint_from && rep->n_rows) {
        /* Where this print ended, so that the next continues there. */
        jifen_command m;
        memset(&m, 0, sizeof m);
        m.kind = JIFEN_CMD_PASSBOOK_MARK;
        snprintf(m.household, sizeof m.household, "%s", household);
        m.entry = through;
        m.limit = (uint32_t)rep->n_rows;
        jifen_reply mr;
        rc = send(env, &m, 1, false, &mr);
        if (rc == DONE) {
            const jifen_result *r = &mr.results[0];
            if (r->status != JIFEN_STATUS_OK && r->status != JIFEN_STATUS_EXISTS)
                rc = REFUSED, cli_print_refusal(o, r->status, r->error);
            else
                mark = r->entry;
            jifen_reply_clear(&mr);
        }
    }
    if (o->json) {
        if (rc == DONE)
            passbook_json(o, household, rep, reprint_from != 0, mark, through);
    } else if (rc == DONE) {
        char a[24], b[24];
        if (reprint_from)
            say(out, o, tr(o, I18N_PB_REPRINT), 2, u64s(a, reprint_from), u64s(b, through));
        else if (rep->n_rows)
            say(out, o, tr(o, I18N_PB_MARKED), 2, u64s(a, rep->n_rows), u64s(b, through));
        else {
            /* Where the last print ended: the report's title says. */
            const char *at = strstr(rep->title, "printed through entry ");
            uint64_t last = at ? strtoull(at + 22, NULL, 10) : 0;
            if (last)
                say(out, o, tr(o, I18N_PB_NOTHING), 1, u64s(a, last));
            else
                fputs(tr(o, I18N_PB_NEVER_NOTHING), out);
        }
        fputc('\n', out);
    }
    jifen_reply_clear(&reply);
    return rc;
}

/* --- a statement with its lines ---------------------------------------------------------- */

static const char *heading(const cli_output *o, const char *kind,
                           const char *col);
static bool ends_with(const char *s, const char *suffix);
static void title_period(const jifen_command *c, const jifen_report *rep,
                         char out[CLOCK_PERIOD_LEN + 1]);

static void print_lines(FILE *out, const cli_output *o,
                        const jifen_report *rep)
{
    fprintf(out, "%s\n", tr(o, I18N_RPT_lines));
    for (size_t i = 0; i < rep->n_rows; i++) {
        char when[CLOCK_MINUTE_LEN + 1], what[160], y[32];
        clock_minute_text(strtoll(cell(rep, i, "time_ms"), NULL, 10), when);
        const char *command = cell(rep, i, "command");
        passbook_what(o, command, cell(rep, i, "detail"), what, sizeof what);
        if (strcmp(what, command) == 0)
            snprintf(what, sizeof what, "%s", label(o, "CMD_", command));
        cli_text_cell(out, cell(rep, i, "entry"), 6, false);
        cli_text_cell(out, when, 18, false);
        cli_text_cell(out, what, 18, false);
        const char *points = cell(rep, i, "points");
        cli_text_cell(out, strcmp(points, "0") ? points : "", 6, true);
        fputc(' ', out);
        int64_t fee = strtoll(cell(rep, i, "fee_fen"), NULL, 10);
        cli_text_cell(out, fee ? yuan(y, fee) : "", 10, true);
        const char *member = cell(rep, i, "member");
        if (member[0])
            fprintf(out, "  %s %s", tr(o, I18N_COL_member), member);
        print_acting(out, o, member, cell(rep, i, "proxy"));
        fputc('\n', out);
    }
}

/* The statement's figures in the reader's words: an item the words do
 * not know is shown by its name. */
static void print_statement(FILE *out, const cli_output *o,
                            const jifen_command *c, const jifen_report *rep)
{
    char period[CLOCK_PERIOD_LEN + 1];
    title_period(c, rep, period);
    say(out, o, tr(o, I18N_RPT_statement), 2, c->household, period);
    fputc('\n', out);
    size_t width = 0;
    for (size_t i = 0; i < rep->n_rows; i++) {
        size_t w = cli_text_width(heading(o, "statement", cell(rep, i, "item")));
        width = w > width ? w : width;
    }
    for (size_t i = 0; i < rep->n_rows; i++) {
        const char *item = cell(rep, i, "item"), *v = cell(rep, i, "value");
        char y[32];
        cli_text_cell(out, heading(o, "statement", item), width, false);
        cli_text_cell(out, ends_with(item, "_fen") ? yuan(y, strtoll(v, NULL, 10)) : v,
                      12, true);
        fputc('\n', out);
    }
}

int cli_committee_statement(const cli_committee_env *env,
                            const jifen_command *report)
{
    const cli_output *o = env->out;
    jifen_command q[2] = {*report, *report};
    snprintf(q[1].code, sizeof q[1].code, "statement-lines");
    jifen_reply reply;
    int rc = send(env, q, 2, false, &reply);
    if (rc != DONE)
        return rc;
    for (size_t i = 0; i < 2; i++) {
        const jifen_result *r = &reply.results[i];
        if (r->status != JIFEN_STATUS_OK || !r->report) {
            cli_print_refusal(o, r->status, r->error);
            jifen_reply_clear(&reply);
            return REFUSED;
        }
    }
    if (o->json) {
        json_out *j = json_out_new();
        cli_json_report(j, reply.results[0].report);
        json_out *lines = json_out_object(j, "lines");
        cli_json_report(lines, reply.results[1].report);
        json_out_print(o->out, &j);
    } else {
        print_statement(o->out, o, report, reply.results[0].report);
        print_lines(o->out, o, reply.results[1].report);
    }
    jifen_reply_clear(&reply);
    return DONE;
}

/* --- writes -------------------------------------------------------------------------------- */

bool cli_committee_print_write(const cli_output *o, const jifen_command *c,
                               const jifen_result *r)
{
    FILE *f = o->out;
    char e[24], a[24], b[24], d[24], y[32];
    u64s(e, r->entry);
    switch (c->kind) {
    case JIFEN_CMD_MEMBER_SET:
        if (c->flag)
            say(f, o, tr(o, I18N_W_MEMBER_LEFT), 3, e, c->household, c->member);
        else
            say(f, o, tr(o, I18N_W_MEMBER), 4, e, c->household, c->member, label(o, "REL_", c->code));
        break;
    case JIFEN_CMD_PROXY_CONSENT:
        say(f, o, tr(o, c->flag ? I18N_W_PROXY_REVOKED : I18N_W_PROXY), 5, e, c->household, c->member, c->proxy, c->note);
        break;
    case JIFEN_CMD_ITEM_SET:
        if (c->flag)
            say(f, o, tr(o, I18N_W_ITEM_WITHDRAWN), 2, e, c->code);
        else
            say(f, o, tr(o, I18N_W_ITEM), 6, e, c->code, c->name, u64s(a, c->points), u64s(b, (uint64_t)r->stock_left), c->note[0] ? c->note
                               : label(o, "FUNDER_",
                                       jifen_funder_kind_name(c->funder_kind)));
        break;
    case JIFEN_CMD_STOCK_CHANGE:
        say(f, o, tr(o, I18N_W_STOCK), 3, e, c->code, u64s(a, (uint64_t)r->stock_left));
        break;
    case JIFEN_CMD_GOODS_REDEEM:
        say(f, o, tr(o, I18N_W_GOODS), 7, e, c->household, c->code, u64s(a, c->amount), u64s(b, r->points), u64s(d, r->has_balance ? (uint64_t)r->balance.points : 0), u64s(y, (uint64_t)r->stock_left));
        print_acting(f, o, c->member, c->proxy);
        break;
    case JIFEN_CMD_PICKUP:
        say(f, o, tr(o, I18N_W_PICKUP), 2, e, u64s(a, c->entry));
        print_acting(f, o, c->member, c->proxy);
        break;
    case JIFEN_CMD_FUNDER_SETTLE:
        say(f, o, tr(o, I18N_W_FUNDER_SETTLE), 3, e, c->key, yuan(y, (int64_t)c->amount));
        break;
    case JIFEN_CMD_OPENING: {
        char fee[96];
        fee_text(o, c, fee, sizeof fee);
        say(f, o, tr(o, I18N_W_OPENING), 7, e, c->household, u64s(a, c->points), fee, c->name, u64s(b, c->limit), c->effective);
        break;
    }
    default:
        return false;
    }
    if (r->status == JIFEN_STATUS_EXISTS)
        fputs(tr(o, I18N_W_EXISTS), f);
    fputc('\n', f);
    return true;
}

/* --- reports ----------------------------------------------------------------------------------- */

/* A column's heading: COL_<report>_<column>, else COL_<column>. */
static const char *heading(const cli_output *o, const char *kind,
                           const char *col)
{
    char key[96];
    snprintf(key, sizeof key, "COL_%s_%s", kind, col);
    i18n_id id = i18n_find(key);
    if (id < I18N_COUNT)
        return tr(o, id);
    snprintf(key, sizeof key, "COL_%s", col);
    id = i18n_find(key);
    return id < I18N_COUNT ? tr(o, id) : col;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A cell as a person reads it: fen as yuan, a time in Shanghai, codes as
 * words. */
static void shown(const cli_output *o, const char *col, const char *v,
                  char *out, size_t cap)
{
    char y[32];
    if (ends_with(col, "_fen") && v[0])
        snprintf(out, cap, "%s", yuan(y, strtoll(v, NULL, 10)));
    else if (strcmp(col, "time_ms") == 0) {
        char when[CLOCK_MINUTE_LEN + 1];
        clock_minute_text(strtoll(v, NULL, 10), when);
        snprintf(out, cap, "%s", when);
    } else if (strcmp(col, "relation") == 0)
        snprintf(out, cap, "%s", label(o, "REL_", v));
    else if (strcmp(col, "funder_kind") == 0 && v[0])
        snprintf(out, cap, "%s", label(o, "FUNDER_", v));
    else if (strcmp(col, "state") == 0)
        snprintf(out, cap, "%s", label(o, "STATE_", v));
    else if (strcmp(v, "TOTAL") == 0)
        snprintf(out, cap, "%s", tr(o, I18N_COL_TOTAL));
    else
        snprintf(out, cap, "%s", v);
}

/* Rows [from, to) of the table, the columns `skip` leaves out not shown. */
static void print_table(FILE *out, const cli_output *o, const char *kind,
                        const jifen_report *rep, size_t from, size_t to,
                        unsigned skip)
{
    size_t width[JIFEN_REPORT_COLUMNS_MAX];
    char text[JIFEN_REPORT_CELL_MAX * 2 + 32];
    for (size_t j = 0; j < rep->n_columns; j++) {
        width[j] = cli_text_width(heading(o, kind, rep->columns[j]));
        for (size_t i = from; i < to; i++) {
            shown(o, rep->columns[j], rep->rows[i].cells[j], text,
                  sizeof text);
            size_t w = cli_text_width(text);
            width[j] = w > width[j] ? w : width[j];
        }
    }
    for (size_t j = 0; j < rep->n_columns; j++)
        if (!(skip & 1u << j)) {
            cli_text_cell(out, heading(o, kind, rep->columns[j]), width[j],
                          false);
            fputs("  ", out);
        }
    fputc('\n', out);
    for (size_t i = from; i < to; i++) {
        for (size_t j = 0; j < rep->n_columns; j++) {
            if (skip & 1u << j)
                continue;
            const char *v = rep->rows[i].cells[j];
            shown(o, rep->columns[j], v, text, sizeof text);
            cli_text_cell(out, text, width[j], csv_is_number(v));
            fputs("  ", out);
        }
        fputc('\n', out);
    }
}

/* The report's month: the one asked for, else the daemon's this month,
 * which its title names (YYYY-MM, the first in it). */
static void title_period(const jifen_command *c, const jifen_report *rep,
                         char out[CLOCK_PERIOD_LEN + 1])
{
    snprintf(out, CLOCK_PERIOD_LEN + 1, "%s", c->period);
    for (const char *t = rep->title; !out[0] && *t; t++) {
        int64_t ms;
        char maybe[CLOCK_PERIOD_LEN + 1];
        snprintf(maybe, sizeof maybe, "%.7s", t);
        if (strlen(maybe) == CLOCK_PERIOD_LEN && maybe[4] == '-' &&
            clock_parse_period(maybe, &ms) == 0)
            snprintf(out, CLOCK_PERIOD_LEN + 1, "%s", maybe);
    }
}

static void print_honour(FILE *out, const cli_output *o,
                         const jifen_command *c, const jifen_report *rep)
{
    char period[CLOCK_PERIOD_LEN + 1], year[8], month[8], when[64];
    title_period(c, rep, period);
    snprintf(year, sizeof year, "%.4s", period);
    snprintf(month, sizeof month, "%d", atoi(period + 5));
    if (o->lang == I18N_EN) /* 2026-07, not 2026-7 */
        snprintf(month, sizeof month, "%.2s", period + 5);
    i18n_fill(when, sizeof when, tr(o, I18N_HON_PERIOD), 2, year, month);
    say(out, o, tr(o, I18N_HON_TITLE), 1, when);
    fprintf(out, "\n%s\n", tr(o, I18N_HON_NOTE));
    static const char *const boards[] = {"month-household", "month-member",
                                         "year-household", "year-member"};
    for (size_t b = 0; b < 4; b++) {
        size_t from = 0, to;
        while (from < rep->n_rows && strcmp(rep->rows[from].cells[0],
                                            boards[b]) != 0)
            from++;
        for (to = from; to < rep->n_rows &&
                        strcmp(rep->rows[to].cells[0], boards[b]) == 0;
             to++)
            ;
        char key[48];
        snprintf(key, sizeof key, "HON_%s", boards[b]);
        for (char *p = key; *p; p++)
            *p = *p == '-' ? '_' : *p;
        fprintf(out, "\n%s\n", tr(o, i18n_find(key)));
        if (from == to) {
            fprintf(out, "%s\n", tr(o, I18N_HON_NONE));
            continue;
        }
        /* board, and the name or the member as the board is of. */
        unsigned skip = 1u << 0 | (b % 2 ? 1u << 3 : 1u << 4);
        print_table(out, o, "honour", rep, from, to, skip);
    }
}

/* The committee's reports, in the order cli_committee_print_report's
 * switch takes them. */
static const char *const committee_kinds[] = {
    "members", "stock", "redemptions", "funders", "pickups", "honour",
    "statement-lines"};
#define N_COMMITTEE_KINDS (sizeof committee_kinds / sizeof *committee_kinds)

static size_t committee_kind_index(const char *kind)
{
    size_t k = 0;
    while (k < N_COMMITTEE_KINDS && strcmp(committee_kinds[k], kind) != 0)
        k++;
    return k;
}

bool cli_committee_report_kind(const char *kind)
{
    return committee_kind_index(kind) < N_COMMITTEE_KINDS;
}

bool cli_committee_print_report(const cli_output *o, const jifen_command *c,
                                const jifen_result *r)
{
    const jifen_report *rep = r->report;
    size_t k = committee_kind_index(c->code);
    if (k == N_COMMITTEE_KINDS || !rep)
        return false;
    FILE *out = o->out;
    char p[CLOCK_PERIOD_LEN + 1];
    title_period(c, rep, p);
    switch (k) {
    case 0:
        say(out, o, tr(o, I18N_RPT_members), 1, c->household);
        break;
    case 1:
        fputs(tr(o, I18N_RPT_stock), out);
        break;
    case 2:
        say(out, o, tr(o, I18N_RPT_redemptions), 1, p);
        break;
    case 3:
        say(out, o, tr(o, I18N_RPT_funders), 1, p);
        break;
    case 4:
        fputs(tr(o, I18N_RPT_pickups), out);
        break;
    case 5:
        print_honour(out, o, c, rep);
        return true;
    default:
        print_lines(out, o, rep);
        return true;
    }
    fputc('\n', out);
    if (rep->n_rows == 0)
        fprintf(out, "%s\n", tr(o, I18N_APP_NOTHING));
    else
        print_table(out, o, c->code, rep, 0, rep->n_rows, 0);
    return true;
}
