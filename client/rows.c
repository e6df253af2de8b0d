/*
 * rows - see rows.h.
 */
#include "rows.h"

#include "calendar.h"
#include "codec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CELLS_MAX 16

/* --- the file ---------------------------------------------------------------- */

static const i18n_id HEADERS[ROWS_COLUMNS] = {
    I18N_HDR_household, I18N_HDR_member, I18N_HDR_hours, I18N_HDR_proxy,
    I18N_HDR_points,    I18N_HDR_fee,    I18N_HDR_date,  I18N_HDR_book,
    I18N_HDR_page,      I18N_HDR_note,
};

/* Whether `cell` is one of the |-separated words of a header message, in
 * either language. */
static bool header_is(const char *cell, i18n_id id)
{
    size_t n = strlen(cell);
    for (int lang = 0; lang < I18N_LANGS; lang++) {
        const char *words = i18n_text(id, (i18n_lang)lang);
        for (const char *w = words; *w;) {
            size_t len = strcspn(w, "|");
            if (len == n && strncasecmp(w, cell, n) == 0)
                return true;
            w += len + (w[len] == '|');
        }
    }
    return false;
}

/* The columns of a file without a header, in their places. */
static const rows_column ROSTER_PLACES[] = {ROWS_HOUSEHOLD, ROWS_MEMBER,
                                            ROWS_HOURS};
static const rows_column OPENING_PLACES[] = {ROWS_HOUSEHOLD, ROWS_POINTS,
                                             ROWS_FEE,       ROWS_DATE,
                                             ROWS_BOOK,      ROWS_PAGE,
                                             ROWS_NOTE};

/* The columns: a header row's, or their places (the first row is data
 * then). */
static int find_columns(rows_file *f, rows_kind kind, const char *name,
                        size_t len, i18n_lang lang, char *err, size_t errlen)
{
    for (int c = 0; c < ROWS_COLUMNS; c++)
        f->at[c] = -1;
    csv_reader probe;
    csv_reader_init(&probe, f->text, len);
    const char *cells[CELLS_MAX];
    size_t n = 0;
    unsigned line = 0;
    int rc = csv_reader_next(&probe, cells, CELLS_MAX, &n, &line);
    for (size_t i = 0; rc == 1 && i < n; i++)
        for (int c = 0; c < ROWS_COLUMNS; c++)
            if (f->at[c] < 0 && header_is(cells[i], HEADERS[c])) {
                f->at[c] = (int)i;
                f->header = true;
            }
    csv_reader_free(&probe);
    const rows_column *places = kind == ROWS_ROSTER ? ROSTER_PLACES
                                                    : OPENING_PLACES;
    size_t n_places = kind == ROWS_ROSTER
                          ? sizeof ROSTER_PLACES / sizeof *ROSTER_PLACES
                          : sizeof OPENING_PLACES / sizeof *OPENING_PLACES;
    if (!f->header)
        for (size_t i = 0; i < n_places; i++)
            f->at[places[i]] = (int)i;
    if (f->at[ROWS_HOUSEHOLD] >= 0)
        return 0;
    i18n_fill(err, errlen, i18n_text(I18N_ROSTER_NO_HOUSEHOLD_COLUMN, lang), 1,
              name);
    return -1;
}

static int start(rows_file *f, rows_kind kind, const char *name, size_t len,
                 i18n_lang lang, char *err, size_t errlen)
{
    csv_reader_init(&f->rd, f->text, len);
    if (find_columns(f, kind, name, len, lang, err, errlen) == 0)
        return 0;
    rows_close(f);
    return -1;
}

static int asked_encoding(const char *encoding, i18n_lang lang,
                          encoding_kind *asked, char *err, size_t errlen)
{
    if (encoding_parse(encoding, asked) == 0)
        return 0;
    snprintf(err, errlen, "%s", i18n_text(I18N_ENC_BAD_NAME, lang));
    return -1;
}

int rows_open(rows_file *f, rows_kind kind, const char *name,
              const char *data, size_t len, const char *encoding,
              i18n_lang lang, char *err, size_t errlen)
{
    encoding_kind asked;
    size_t n = 0;
    memset(f, 0, sizeof *f);
    if (asked_encoding(encoding, lang, &asked, err, errlen) != 0 ||
        encoding_decode(name, (const unsigned char *)data, len, asked, lang,
                        &f->text, &n, &f->found, &f->had_bom, err,
                        errlen) != 0)
        return -1;
    return start(f, kind, name, n, lang, err, errlen);
}

int rows_open_file(rows_file *f, rows_kind kind, const char *path,
                   const char *encoding, i18n_lang lang, char *err,
                   size_t errlen)
{
    encoding_kind asked;
    size_t n = 0;
    memset(f, 0, sizeof *f);
    if (asked_encoding(encoding, lang, &asked, err, errlen) != 0 ||
        encoding_read_file(path, ROWS_FILE_MAX, asked, lang, &f->text, &n,
                           &f->found, &f->had_bom, err, errlen) != 0)
        return -1;
    return start(f, kind, path, n, lang, err, errlen);
}

void rows_close(rows_file *f)
{
    csv_reader_free(&f->rd);
    free(f->text);
    f->text = NULL;
}

const char *rows_encoding_name(const rows_file *f)
{
    return encoding_name(f->found, f->had_bom);
}

const char *rows_encoding_code(const rows_file *f)
{
    return f->found == ENCODING_GB18030 ? "gb18030" : "utf-8";
}

static const char *cell_of(const rows_file *f, const char *const *cells,
                           size_t n, rows_column c)
{
    return f->at[c] >= 0 && (size_t)f->at[c] < n ? cells[f->at[c]] : "";
}

/* --- rows into commands ----------------------------------------------------------- */

static rows_row *new_row(rows_list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        rows_row *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    rows_row *r = &l->v[l->n++];
    memset(r, 0, sizeof *r);
    return r;
}

void rows_free(rows_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        codec_result_clear(&l->v[i].result);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The earlier row of the same household, 0 when none. */
static unsigned duplicate_of(const rows_list *l, const char *household)
{
    for (size_t i = 0; i + 1 < l->n; i++)
        if (!l->v[i].why[0] && strcmp(l->v[i].cmd.household, household) == 0)
            return l->v[i].line;
    return 0;
}

static void refuse_row(i18n_lang lang, rows_row *r, i18n_id why,
                       const char *arg)
{
    i18n_fill(r->why, sizeof r->why, i18n_text(why, lang), 1,
              arg ? arg : "");
}

/* A household once a file: a later row of it is refused. */
static void refuse_duplicate(i18n_lang lang, const rows_list *rows,
                             rows_row *r)
{
    unsigned dup = duplicate_of(rows, r->cmd.household);
    if (dup) {
        char num[24];
        snprintf(num, sizeof num, "%u", dup);
        refuse_row(lang, r, I18N_ROSTER_DUPLICATE, num);
    }
}

/* The file's next data row (past a header), a new row of the list with
 * its line; NULL at the end (*nomem when out of memory). */
static rows_row *next_row(rows_file *f, rows_list *rows, const char **cells,
                          size_t *n, bool *nomem)
{
    unsigned line = 0;
    int rc = csv_reader_next(&f->rd, cells, CELLS_MAX, n, &line);
    if (rc == 1 && f->header && !f->past_header) {
        f->past_header = true;
        rc = csv_reader_next(&f->rd, cells, CELLS_MAX, n, &line);
    }
    rows_row *r = rc == 1 ? new_row(rows) : NULL;
    *nomem = *nomem || rc < 0 || (rc == 1 && !r);
    if (r)
        r->line = line;
    return r;
}

static bool digits_only(const char *s)
{
    return strspn(s, "0123456789") == strlen(s);
}

static void roster_row(const rows_file *f, const char *const *cells, size_t n,
                       const jifen_command *award, i18n_lang lang,
                       rows_list *rows, rows_row *r)
{
    r->cmd = *award;
    const char *hh = cell_of(f, cells, n, ROWS_HOUSEHOLD);
    const char *member = cell_of(f, cells, n, ROWS_MEMBER);
    const char *proxy = cell_of(f, cells, n, ROWS_PROXY);
    const char *hours = cell_of(f, cells, n, ROWS_HOURS);
    snprintf(r->cmd.household, sizeof r->cmd.household, "%s", hh);
    if (!codec_household_ok(hh)) {
        refuse_row(lang, r, I18N_ROSTER_BAD_HOUSEHOLD, NULL);
        return;
    }
    if (strlen(member) > JIFEN_MEMBER_MAX || strlen(proxy) > JIFEN_MEMBER_MAX ||
        !codec_text_ok(member, strlen(member)) ||
        !codec_text_ok(proxy, strlen(proxy))) {
        refuse_row(lang, r, I18N_ROSTER_BAD_MEMBER, NULL);
        return;
    }
    snprintf(r->cmd.member, sizeof r->cmd.member, "%s", member);
    snprintf(r->cmd.proxy, sizeof r->cmd.proxy, "%s", proxy);
    unsigned long h = strtoul(hours, NULL, 10);
    if (hours[0] && (!digits_only(hours) || h > JIFEN_HOURS_MAX)) {
        refuse_row(lang, r, I18N_ROSTER_BAD_HOURS, NULL);
        return;
    }
    r->cmd.hours = (uint32_t)h;
    refuse_duplicate(lang, rows, r);
}

/* A fee balance: yuan owed, or prepaid written negative; "" or 0: none.
 * 0, or -1 when it is not an amount. */
static int parse_fee(const char *text, uint64_t *fen, bool *prepaid)
{
    *fen = 0;
    *prepaid = text[0] == '-';
    const char *p = text + *prepaid;
    if (!*p)
        return *prepaid ? -1 : 0;
    if (strspn(p, "0.") == strlen(p)) /* 0, 0.0, 0.00 */
        return strchr(p, '0') ? 0 : -1;
    return jifen_parse_yuan(p, fen) == 0 ? 0 : -1;
}

static void opening_row(const rows_file *f, const char *const *cells,
                        size_t n, i18n_lang lang, rows_list *rows,
                        rows_row *r)
{
    r->cmd.kind = JIFEN_CMD_OPENING;
    const char *hh = cell_of(f, cells, n, ROWS_HOUSEHOLD);
    const char *points = cell_of(f, cells, n, ROWS_POINTS);
    const char *fee = cell_of(f, cells, n, ROWS_FEE);
    const char *date = cell_of(f, cells, n, ROWS_DATE);
    const char *book = cell_of(f, cells, n, ROWS_BOOK);
    const char *page = cell_of(f, cells, n, ROWS_PAGE);
    const char *note = cell_of(f, cells, n, ROWS_NOTE);
    snprintf(r->cmd.household, sizeof r->cmd.household, "%s", hh);
    unsigned long long pts = strtoull(points, NULL, 10);
    unsigned long long pg = strtoull(page, NULL, 10);
    int64_t day;
    i18n_id why = I18N_COUNT;
    if (!codec_household_ok(hh))
        why = I18N_ROSTER_BAD_HOUSEHOLD;
    else if (!digits_only(points) || pts > JIFEN_POINTS_MAX)
        why = I18N_OPEN_BAD_POINTS;
    else if (parse_fee(fee, &r->cmd.amount, &r->cmd.flag) != 0)
        why = I18N_OPEN_BAD_FEE;
    else if (strlen(date) != CLOCK_DATE_LEN || clock_parse_date(date, &day) != 0)
        why = I18N_OPEN_BAD_DATE;
    else if (!book[0] || strlen(book) > JIFEN_NAME_MAX ||
             !codec_text_ok(book, strlen(book)))
        why = I18N_OPEN_NO_BOOK;
    else if (!digits_only(page) || pg > JIFEN_PAGE_MAX)
        why = I18N_OPEN_BAD_PAGE;
    else if (pts == 0 && r->cmd.amount == 0)
        why = I18N_OPEN_NOTHING;
    if (why != I18N_COUNT) {
        refuse_row(lang, r, why, NULL);
        return;
    }
    r->cmd.points = (uint32_t)pts;
    r->cmd.limit = (uint32_t)pg;
    snprintf(r->cmd.effective, sizeof r->cmd.effective, "%s", date);
    snprintf(r->cmd.name, sizeof r->cmd.name, "%s", book);
    if (strlen(note) < sizeof r->cmd.note && codec_text_ok(note, strlen(note)))
        snprintf(r->cmd.note, sizeof r->cmd.note, "%s", note);
    refuse_duplicate(lang, rows, r);
}

int rows_read(rows_file *f, rows_kind kind, const jifen_command *award,
              i18n_lang lang, rows_list *out, char *err, size_t errlen)
{
    const char *cells[CELLS_MAX];
    size_t n = 0;
    bool nomem = false;
    rows_row *r;
    while ((r = next_row(f, out, cells, &n, &nomem)) != NULL) {
        if (kind == ROWS_ROSTER)
            roster_row(f, cells, n, award, lang, out, r);
        else
            opening_row(f, cells, n, lang, out, r);
    }
    if (nomem) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (out->n == 0) {
        i18n_fill(err, errlen, i18n_text(I18N_ROSTER_NO_ROWS, lang), 1, "");
        return 1;
    }
    return 0;
}

/* --- sending ----------------------------------------------------------------------- */

int rows_send(rows_list *l, bool dry_run, rows_send_fn send, void *ctx,
              rows_progress_fn progress, void *progress_ctx)
{
    jifen_command *chunk = calloc(ROWS_CHUNK, sizeof *chunk);
    rows_row **which = calloc(ROWS_CHUNK, sizeof *which);
    int rc = chunk && which ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < l->n;) {
        size_t n = 0;
        for (; i < l->n && n < ROWS_CHUNK; i++) {
            if (l->v[i].why[0])
                continue;
            which[n] = &l->v[i];
            chunk[n++] = l->v[i].cmd;
        }
        if (n == 0)
            break;
        jifen_reply reply;
        rc = send(ctx, chunk, n, dry_run, &reply);
        if (rc != 0)
            break;
        for (size_t k = 0; k < n; k++) {
            which[k]->result = reply.results[k];
            which[k]->sent = true;
            /* Owned by the row now. */
            memset(&reply.results[k], 0, sizeof reply.results[k]);
        }
        jifen_reply_clear(&reply);
        if (progress)
            progress(progress_ctx, i, l->n);
    }
    free(chunk);
    free(which);
    return rc;
}

bool rows_ok(const rows_row *r)
{
    return !r->why[0] && r->sent &&
           (r->result.status == JIFEN_STATUS_OK ||
            r->result.status == JIFEN_STATUS_EXISTS);
}

const char *rows_status(const rows_row *r)
{
    if (r->why[0])
        return "refused_here";
    return r->sent ? jifen_status_name(r->result.status) : "not_sent";
}

/* Whether the words of a status say all there is: then a Chinese reader
 * is not given the ledger's English reason as well. Elsewhere (a cap, a
 * suspension, the event's earlier award) that reason names what the words
 * cannot: which cap, until when, which entry. */
static bool status_says_all(jifen_status s)
{
    switch (s) {
    case JIFEN_STATUS_UNKNOWN_HOUSEHOLD:
    case JIFEN_STATUS_HOUSEHOLD_EXISTS:
    case JIFEN_STATUS_UNKNOWN_ACTIVITY:
    case JIFEN_STATUS_UNKNOWN_MEMBER:
    case JIFEN_STATUS_NO_CONSENT:
    case JIFEN_STATUS_UNKNOWN_ITEM:
    case JIFEN_STATUS_HOUSEHOLD_HAS_ENTRIES:
    case JIFEN_STATUS_FORBIDDEN:
        return true;
    default:
        return false;
    }
}

void rows_reason(i18n_lang lang, const rows_row *r, char *out, size_t cap)
{
    if (r->why[0]) {
        snprintf(out, cap, "%s", r->why);
        return;
    }
    char key[64];
    snprintf(key, sizeof key, "ERR_STATUS_%s",
             jifen_status_name(r->result.status));
    i18n_id id = i18n_find(key);
    const char *what =
        i18n_text(id < I18N_COUNT ? id : I18N_ERR_STATUS_other, lang);
    if (r->result.error[0] &&
        (lang == I18N_EN || !status_says_all(r->result.status)))
        snprintf(out, cap, "%s (%s)", what, r->result.error);
    else
        snprintf(out, cap, "%s", what);
}

/* --- totals of opening balances ----------------------------------------------------- */

rows_totals rows_file_totals(const rows_list *l)
{
    rows_totals t = {0};
    for (size_t i = 0; i < l->n; i++) {
        const rows_row *r = &l->v[i];
        if (r->why[0])
            continue;
        t.households++;
        t.points += r->cmd.points;
        if (r->cmd.flag)
            t.prepaid_fen += r->cmd.amount;
        else
            t.owed_fen += r->cmd.amount;
    }
    return t;
}

int rows_ledger_totals(const rows_list *l, rows_send_fn send, void *ctx,
                       rows_totals *t)
{
    memset(t, 0, sizeof *t);
    jifen_command *q = calloc(l->n ? l->n : 1, sizeof *q);
    size_t n = 0;
    if (!q)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        const rows_row *r = &l->v[i];
        if (r->why[0])
            continue;
        memset(&q[n], 0, sizeof q[n]);
        q[n].kind = JIFEN_CMD_BALANCE;
        snprintf(q[n].household, sizeof q[n].household, "%s",
                 r->cmd.household);
        n++;
    }
    int rc = 0;
    for (size_t at = 0; rc == 0 && at < n; at += ROWS_CHUNK) {
        size_t k = n - at < ROWS_CHUNK ? n - at : ROWS_CHUNK;
        jifen_reply reply;
        rc = send(ctx, q + at, k, false, &reply);
        for (size_t i = 0; rc == 0 && i < k; i++) {
            const jifen_balance *b = &reply.results[i].balance;
            if (reply.results[i].status != JIFEN_STATUS_OK)
                continue;
            t->households++;
            t->points += b->points > 0 ? (uint64_t)b->points : 0;
            if (b->fee_due_fen > 0)
                t->owed_fen += (uint64_t)b->fee_due_fen;
            else
                t->prepaid_fen += (uint64_t)-b->fee_due_fen;
        }
        if (rc == 0)
            jifen_reply_clear(&reply);
    }
    free(q);
    return rc;
}

bool rows_totals_agree(const rows_totals *a, const rows_totals *b)
{
    return a->households == b->households && a->points == b->points &&
           a->owed_fen == b->owed_fen && a->prepaid_fen == b->prepaid_fen;
}
