/*
 * rows - a spreadsheet's rows made into ledger commands (issue 15,
 * docs/committee.md): a sign-in roster into awards, a paper ledger's
 * page into opening balances. One implementation for the jifen CLI
 * (award roster, import opening) and jifen-web (the roster upload), so a
 * row reads and is refused the same wherever the file comes in.
 *
 * The file is decoded to UTF-8 (encoding.h), read as CSV (csv.h) and its
 * columns found by a header row in either language (the HDR_ messages of
 * common/i18n_messages.def) or by their places. Each data row becomes a
 * command, or a refusal said in the reader's language with the reason
 * (not a door number, hours not a number, a household twice: the later
 * row). Rows are sent ROWS_CHUNK to a request, each command succeeding or
 * refused on its own; a dry run sends them as Request.dry_run.
 */
#ifndef JIFEN_ROWS_H
#define JIFEN_ROWS_H

#include "encoding.h"
#include "i18n.h"
#include "jifen.h"

#include "csv.h"

#include <stdbool.h>
#include <stddef.h>

#define ROWS_CHUNK 500
#define ROWS_FILE_MAX (8u << 20) /* bytes of a file imported */
#define ROWS_WHY_MAX 512

typedef enum {
    ROWS_HOUSEHOLD,
    ROWS_MEMBER,
    ROWS_HOURS,
    ROWS_PROXY,
    ROWS_POINTS,
    ROWS_FEE,
    ROWS_DATE,
    ROWS_BOOK,
    ROWS_PAGE,
    ROWS_NOTE,
    ROWS_COLUMNS
} rows_column;

typedef enum { ROWS_ROSTER, ROWS_OPENING } rows_kind;

typedef struct {
    char *text;
    csv_reader rd;
    int at[ROWS_COLUMNS]; /* the cell index of each column, -1: absent */
    bool header;
    bool past_header;
    encoding_kind found;
    int had_bom;
} rows_file;

/* One row's outcome: refused before sending (why set), or its command's
 * result. */
typedef struct {
    unsigned line;
    jifen_command cmd;
    char why[ROWS_WHY_MAX];
    jifen_result result;
    bool sent;
} rows_row;

typedef struct {
    rows_row *v;
    size_t n, cap;
} rows_list;

/* Decodes data[0..len) (encoding: NULL or "" to find it; utf-8, gb18030)
 * and finds the columns of a roster or of an opening file. 0, or -1 with
 * why in err, in lang (`name` names the file there). */
int rows_open(rows_file *f, rows_kind kind, const char *name,
              const char *data, size_t len, const char *encoding,
              i18n_lang lang, char *err, size_t errlen);
/* The same for a file on disk ("-": standard input). */
int rows_open_file(rows_file *f, rows_kind kind, const char *path,
                   const char *encoding, i18n_lang lang, char *err,
                   size_t errlen);
void rows_close(rows_file *f);
/* "UTF-8 (BOM)", "UTF-8", "GB18030"; and "utf-8" or "gb18030". */
const char *rows_encoding_name(const rows_file *f);
const char *rows_encoding_code(const rows_file *f);

/* Every data row into a command: awards like `award` (activity, event,
 * date, note) for a roster, opening balances for an opening file. 0; -1
 * out of memory; 1 when the file has no data row (why in err). */
int rows_read(rows_file *f, rows_kind kind, const jifen_command *award,
              i18n_lang lang, rows_list *out, char *err, size_t errlen);

/* Sends commands[0..n) (dry_run as given); 0 with reply holding a result
 * per command, or nonzero, the caller's code of a failure (reported by
 * it). */
typedef int (*rows_send_fn)(void *ctx, jifen_command *commands, size_t n,
                            bool dry_run, jifen_reply *reply);
typedef void (*rows_progress_fn)(void *ctx, size_t done, size_t total);

/* The rows not refused, ROWS_CHUNK to a request; each row keeps its
 * result. 0, or send's failure. progress may be NULL. */
int rows_send(rows_list *l, bool dry_run, rows_send_fn send, void *ctx,
              rows_progress_fn progress, void *progress_ctx);

bool rows_ok(const rows_row *r);
/* "ok", "refused_here", or the ledger's status name. */
const char *rows_status(const rows_row *r);
/* Why a row was refused, for people: the catalogue's words for the
 * ledger's status (ERR_STATUS_...), and the ledger's reason. */
void rows_reason(i18n_lang lang, const rows_row *r, char *out, size_t cap);
void rows_free(rows_list *l);

/* Opening balances: what the file says (rows read without a refusal), and
 * what the ledger holds now for the same households (balance queries
 * through send); they must agree. */
typedef struct {
    uint64_t households, points, owed_fen, prepaid_fen;
} rows_totals;

rows_totals rows_file_totals(const rows_list *l);
int rows_ledger_totals(const rows_list *l, rows_send_fn send, void *ctx,
                       rows_totals *out);
bool rows_totals_agree(const rows_totals *a, const rows_totals *b);

#endif
