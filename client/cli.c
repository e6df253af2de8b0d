/*
 * cli.c - the `jifen` command: arguments in, one request out, one outcome.
 *
 *     jifen [--server ENDPOINT] [--key FILE] [--server-key KEY] [--json]
 *           [--timeout MS] [--retries N] COMMAND ARGS... [COMMAND OPTIONS]
 *
 * Commands are rows of a table: the positional arguments and options a
 * command takes, and which command fields they fill. Every argument and
 * option has one parser that writes one field, so the commands share all of
 * their parsing, sending and printing, and adding a command is adding a row.
 *
 * Exit codes are part of the interface that scripts rely on (see `jifen
 * help`): 0 done, 1 refused by the ledger, 2 usage error, 3 no reply,
 * 4 forbidden (the key's role may not do this).
 */
#include "checkpoint.h"
#include "json_out.h"
#include "calendar.h"
#include "cli_committee.h"
#include "cli_output.h"
#include "cli_desk.h"
#include "cli_proof.h"
#include "codec.h"
#include "jifen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#ifndef JIFEN_VERSION
#define JIFEN_VERSION "unknown"
#endif

enum {
    EXIT_DONE = 0,
    EXIT_REFUSED = 1, /* also: a bad reply, verify found a problem */
    EXIT_USAGE = 2,
    EXIT_UNREACHABLE = 3,
    EXIT_FORBIDDEN = 4, /* the ledger refused the key's role: see help */
};

#define CLI_ERR_MAX 512
#define CLI_MAX_WORDS 8 /* command words plus positionals, with room */
#define CLI_MAX_ARGS 3  /* positionals of the widest command */
#define CLI_TIMEOUT_MAX_MS 3600000u
/* verify, reports and the roll-up, unless --timeout says otherwise */
#define CLI_LONG_QUERY_TIMEOUT_MS 120000
#define CLI_RETRIES_MAX 100u

/* --- parsers: text -> one field ------------------------------------------ */

/* Writes "what: ..." into err. Always returns -1, so that parsers can end
 * with `return fail(...)`. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A whole number in [min, max]: digits only, so "+5", "-5", " 5", "5x",
 * "0x10" and "1e3" are all refused instead of half-read as strtoul would. */
static int parse_count(const char *text, uint64_t min, uint64_t max,
                       uint64_t *out)
{
    uint64_t v = 0;

    if (*text == '\0')
        return -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int count_arg(const char *text, const char *what, uint64_t min,
                     uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    if (parse_count(text, min, max, out) != 0)
        return fail(err, errlen,
                    "%s: '%s' is not a whole number from %llu to %llu", what,
                    text, (unsigned long long)min, (unsigned long long)max);
    return 0;
}

/* Copies text into a fixed field; too long is an error, never a cut. */
static int text_arg(char *dst, size_t cap, const char *text, const char *what,
                    char *err, size_t errlen)
{
    size_t n = strlen(text);

    if (n == 0)
        return fail(err, errlen, "%s: empty", what);
    if (n >= cap)
        return fail(err, errlen, "%s: longer than %zu bytes", what, cap - 1);
    memcpy(dst, text, n + 1);
    return 0;
}

typedef int (*field_parser)(jifen_command *c, const char *text,
                            const char *what, char *err, size_t errlen);

static int set_household(jifen_command *c, const char *text, const char *what,
                         char *err, size_t errlen)
{
    return text_arg(c->household, sizeof c->household, text, what, err, errlen);
}

static int set_code(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    return text_arg(c->code, sizeof c->code, text, what, err, errlen);
}

static int set_community(jifen_command *c, const char *text, const char *what,
                         char *err, size_t errlen)
{
    return text_arg(c->community, sizeof c->community, text, what, err, errlen);
}

static int set_street(jifen_command *c, const char *text, const char *what,
                      char *err, size_t errlen)
{
    return text_arg(c->street, sizeof c->street, text, what, err, errlen);
}

static int set_all_communities(jifen_command *c, const char *text,
                               const char *what, char *err, size_t errlen)
{
    (void)text;
    (void)what;
    (void)err;
    (void)errlen;
    c->all_communities = true;
    return 0;
}

/* --communities A,B,C: a key of the service's list (text, owned). */
static int set_communities(jifen_command *c, const char *text,
                           const char *what, char *err, size_t errlen)
{
    if (!*text || strlen(text) > JIFEN_SCOPE_TEXT_MAX)
        return fail(err, errlen, "%s: 1 to %d comma-separated codes", what,
                    JIFEN_SCOPE_MAX);
    free(c->text);
    c->text = strdup(text);
    return c->text ? 0 : fail(err, errlen, "out of memory");
}

static int set_name(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    return text_arg(c->name, sizeof c->name, text, what, err, errlen);
}

static int set_note(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    return text_arg(c->note, sizeof c->note, text, what, err, errlen);
}

/* A rule set version travels in `name` (see jifen_types.h, POLICY). */
static int set_version(jifen_command *c, const char *text, const char *what,
                       char *err, size_t errlen)
{
    return text_arg(c->name, sizeof c->name, text, what, err, errlen);
}

/* A rule set's text, from a policy file or "-" (standard input). */
static int set_rule_set_file(jifen_command *c, const char *path,
                             const char *what, char *err, size_t errlen)
{
    bool stdin_ = strcmp(path, "-") == 0;
    FILE *f = stdin_ ? stdin : fopen(path, "rb");
    if (f == NULL)
        return fail(err, errlen, "%s %s: %s", what, path, strerror(errno));
    char *text = malloc(JIFEN_RULE_SET_TEXT_MAX + 2);
    size_t n = text ? fread(text, 1, JIFEN_RULE_SET_TEXT_MAX + 1, f) : 0;
    int rc = 0;
    if (text == NULL)
        rc = fail(err, errlen, "out of memory");
    else if (ferror(f))
        rc = fail(err, errlen, "%s %s: cannot be read", what, path);
    else if (n > JIFEN_RULE_SET_TEXT_MAX)
        rc = fail(err, errlen, "%s %s: longer than %d bytes", what, path,
                  JIFEN_RULE_SET_TEXT_MAX);
    else if (n == 0 || memchr(text, '\0', n) != NULL)
        rc = fail(err, errlen, "%s %s: %s", what, path,
                  n == 0 ? "empty" : "not a text file (a NUL byte)");
    if (!stdin_)
        fclose(f);
    if (rc != 0) {
        free(text);
        return rc;
    }
    text[n] = '\0';
    c->text = text; /* freed by main */
    return 0;
}

static int set_period(jifen_command *c, const char *text, const char *what,
                      char *err, size_t errlen)
{
    return text_arg(c->period, sizeof c->period, text, what, err, errlen);
}

static int set_yuan(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    if (jifen_parse_yuan(text, &c->amount) != 0)
        return fail(err, errlen,
                    "%s: '%s' is not an amount of yuan (digits with at most "
                    "two decimals, above zero, such as 128.50)",
                    what, text);
    return 0;
}

/* Floor area in m2 has the same shape as yuan (two decimals, exact), so it
 * goes through the same parser and only the range differs. */
static int set_area(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    uint64_t centi = 0;

    if (jifen_parse_yuan(text, &centi) != 0 || centi > UINT32_MAX)
        return fail(err, errlen,
                    "%s: '%s' is not an area in m2 (digits with at most two "
                    "decimals, above zero, such as 75.5)",
                    what, text);
    c->area_centi_m2 = (uint32_t)centi;
    return 0;
}

static int set_redeem_points(jifen_command *c, const char *text,
                             const char *what, char *err, size_t errlen)
{
    return count_arg(text, what, 1, JIFEN_POINTS_MAX, &c->amount, err, errlen);
}

static int set_entry(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return count_arg(text, what, 1, UINT64_MAX, &c->entry, err, errlen);
}

/* The uint32 fields, through a uint64 so that range errors read the same. */
static int set_u32(uint32_t *field, uint64_t max, const char *text,
                   const char *what, char *err, size_t errlen)
{
    uint64_t v = 0;

    if (count_arg(text, what, 1, max, &v, err, errlen) != 0)
        return -1;
    *field = (uint32_t)v;
    return 0;
}

static int set_points(jifen_command *c, const char *text, const char *what,
                      char *err, size_t errlen)
{
    return set_u32(&c->points, JIFEN_POINTS_MAX, text, what, err, errlen);
}

static int set_hours(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return set_u32(&c->hours, JIFEN_HOURS_MAX, text, what, err, errlen);
}

static int set_limit(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return set_u32(&c->limit, JIFEN_HISTORY_MAX, text, what, err, errlen);
}

/* A public key as Z85, or the name of a .pub file holding it. */
static int set_pubkey(jifen_command *c, const char *text, const char *what,
                      char *err, size_t errlen)
{
    char why[CLI_ERR_MAX];
    if (jifen_key_z85_read(text, c->key, why, sizeof why) != 0)
        return fail(err, errlen, "%s: %s", what, why);
    return 0;
}

/* A signed tree head given as a positional: its size is what the query
 * needs; cli_proof.c reads the whole line again to check it. */
static int head_size(const char *text, const char *what, uint64_t *size,
                     char *err, size_t errlen)
{
    checkpoint cp;
    char why[CLI_ERR_MAX];
    if (checkpoint_parse(&cp, text, why, sizeof why) != 0)
        return fail(err, errlen, "%s: %s", what, why);
    if (!cp.has_root)
        return fail(err, errlen, "%s: a jifen-cp1 line names no Merkle root; "
                                 "give a jifen-sth1 line", what);
    *size = cp.entry;
    return 0;
}

static int set_old_head(jifen_command *c, const char *text, const char *what,
                        char *err, size_t errlen)
{
    return head_size(text, what, &c->old_size, err, errlen);
}

static int set_new_head(jifen_command *c, const char *text, const char *what,
                        char *err, size_t errlen)
{
    if (strcmp(text, "latest") == 0) {
        c->tree_size = 0;
        return 0;
    }
    return head_size(text, what, &c->tree_size, err, errlen);
}

/* --- issue 15: members, proxies, the supermarket, events ----------------- */

static int set_member(jifen_command *c, const char *text, const char *what,
                      char *err, size_t errlen)
{
    return text_arg(c->member, sizeof c->member, text, what, err, errlen);
}

static int set_proxy(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return text_arg(c->proxy, sizeof c->proxy, text, what, err, errlen);
}

/* A day, YYYY-MM-DD and real: an event's (awards), or the day of the
 * shift report; it travels in `effective` (see jifen_types.h). */
static int set_date(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    int64_t ms;
    if (strlen(text) != JIFEN_DATE_LEN || clock_parse_date(text, &ms) != 0)
        return fail(err, errlen, "%s: '%s' is not a date YYYY-MM-DD", what,
                    text);
    memcpy(c->effective, text, JIFEN_DATE_LEN + 1);
    return 0;
}

/* head, spouse, ... or its name: 户主, 配偶, Tenant. */
static int set_relation(jifen_command *c, const char *text, const char *what,
                        char *err, size_t errlen)
{
    const char *code = cli_committee_relation(text);
    if (!code)
        return fail(err, errlen,
                    "%s: '%s' is not one of head (户主), spouse (配偶), "
                    "child (子女), parent (父母), grandchild (孙辈), sibling "
                    "(兄弟姐妹), tenant (租户), other (其他)",
                    what, text);
    snprintf(c->code, sizeof c->code, "%s", code);
    return 0;
}

/* A member's phone and a funder's code travel in `key` (jifen_types.h). */
static int set_phone(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return text_arg(c->key, JIFEN_PHONE_MAX + 1, text, what, err, errlen);
}

static int set_funder_code(jifen_command *c, const char *text,
                           const char *what, char *err, size_t errlen)
{
    if (!codec_code_ok(text))
        return fail(err, errlen, "%s: '%s' must be 1-32 characters of "
                                 "a-z 0-9 _ -", what, text);
    return text_arg(c->key, JIFEN_CODE_MAX + 1, text, what, err, errlen);
}

/* KIND or KIND:CODE - community-fund, street-office, sponsor:CODE,
 * merchant:CODE (the fund and the office are their own codes). */
static int set_funder(jifen_command *c, const char *text, const char *what,
                      char *err, size_t errlen)
{
    char kind[JIFEN_CODE_MAX + 1];
    const char *colon = strchr(text, ':');
    size_t n = colon ? (size_t)(colon - text) : strlen(text);
    snprintf(kind, sizeof kind, "%.*s", (int)(n < JIFEN_CODE_MAX ? n : JIFEN_CODE_MAX), text);
    c->funder_kind = jifen_funder_kind_from_name(kind);
    if (c->funder_kind == JIFEN_FUNDER_NONE)
        return fail(err, errlen, "%s: '%s' is not community-fund, "
                                 "street-office, sponsor:CODE or "
                                 "merchant:CODE", what, text);
    bool needs_code = c->funder_kind == JIFEN_FUNDER_SPONSOR ||
                      c->funder_kind == JIFEN_FUNDER_MERCHANT;
    if (needs_code && !colon)
        return fail(err, errlen, "%s: a %s needs its code: %s:CODE", what,
                    kind, kind);
    return set_funder_code(c, colon ? colon + 1 : kind, what, err, errlen);
}

static int set_price(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return set_u32(&c->points, JIFEN_POINTS_MAX, text, what, err, errlen);
}

/* Yuan owed to the funder per unit: 0 for a donation. */
static int set_value(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    if (strspn(text, "0.") == strlen(text) && strchr(text, '0')) {
        c->amount = 0;
        return 0;
    }
    return set_yuan(c, text, what, err, errlen);
}

static int set_stock(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return set_u32(&c->limit, JIFEN_STOCK_MAX, text, what, err, errlen);
}

static int set_count(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    return count_arg(text, what, 1, JIFEN_STOCK_MAX, &c->amount, err, errlen);
}

static int set_quantity(jifen_command *c, const char *text, const char *what,
                        char *err, size_t errlen)
{
    return count_arg(text, what, 1, JIFEN_QUANTITY_MAX, &c->amount, err,
                     errlen);
}

static int set_flag(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    (void)text;
    (void)what;
    (void)err;
    (void)errlen;
    c->flag = true;
    return 0;
}

/* A file a command reads itself (a roster, an import): kept in the
 * arguments, nothing to fill. */
static int set_file(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    (void)c;
    if (*text == '\0')
        return fail(err, errlen, "%s: empty", what);
    return 0;
}

static int set_role(jifen_command *c, const char *text, const char *what,
                    char *err, size_t errlen)
{
    c->role = jifen_role_from_name(text);
    if (c->role == JIFEN_ROLE_NONE)
        return fail(err, errlen,
                    "%s: '%s' is not committee, terminal, auditor or admin",
                    what, text);
    return 0;
}

/* The property desk (issue 14): how a payment was made and its
 * platform's reference, a fee item, units of it, a day. */
static int set_channel(jifen_command *c, const char *text, const char *what,
                       char *err, size_t errlen)
{
    c->channel = jifen_channel_from_name(text);
    if (c->channel == JIFEN_CHANNEL_UNSPECIFIED)
        return fail(err, errlen,
                    "%s: '%s' is not cash, wechat, alipay, bank or card", what,
                    text);
    return 0;
}

static int set_reference(jifen_command *c, const char *text, const char *what,
                         char *err, size_t errlen)
{
    return text_arg(c->reference, sizeof c->reference, text, what, err,
                    errlen);
}

static int set_units(jifen_command *c, const char *text, const char *what,
                     char *err, size_t errlen)
{
    uint64_t v = 0;
    if (count_arg(text, what, 0, 1000, &v, err, errlen) != 0)
        return -1;
    c->points = (uint32_t)v;
    return 0;
}

/* --- options ------------------------------------------------------------- */

typedef enum {
    /* command options: each fills a command field */
    OPT_NAME,
    OPT_AREA,
    OPT_POINTS,
    OPT_HOURS,
    OPT_NOTE,
    OPT_PERIOD,
    OPT_LIMIT,
    OPT_ENTRY,
    /* verify against a signed checkpoint; not command fields */
    OPT_CHECKPOINT,
    OPT_CHECKPOINT_KEY,
    OPT_LABEL,
    OPT_OUT, /* keygen's file prefix; not a command field */
    OPT_CSV, /* reports: comma-separated values instead of a table */
    OPT_PROOF, /* report statement: a Merkle proof per entry */
    OPT_QR,    /* checkpoint: as a QR code in the terminal */
    OPT_SVG,   /* ... as an SVG file */
    OPT_PNG,   /* ... as a PNG file */
    /* the property desk (issue 14) */
    OPT_CHANNEL,
    OPT_REF,
    OPT_ITEM,
    OPT_UNITS,
    OPT_DATE,
    OPT_DRY_RUN,
    OPT_XLSX, /* reports: an Excel workbook */
    OPT_BATCH, /* billing run: bills a request */
    /* issue 15 (docs/committee.md) */
    OPT_MEMBER,
    OPT_PROXY,
    OPT_EVENT,
    OPT_ACTIVITY,
    OPT_RELATION,
    OPT_PHONE,
    OPT_CONSENT,
    OPT_PRICE,
    OPT_VALUE,
    OPT_FUNDER,
    OPT_FUNDER_NAME,
    OPT_STOCK,
    OPT_QUANTITY,
    OPT_DECREASE,
    OPT_ENCODING, /* ... of its file */
    OPT_REPRINT,
    /* many communities (docs/communities.md) */
    OPT_STREET,          /* community create, key enrol, report rollup */
    OPT_ALL_COMMUNITIES, /* key enrol: a key of the service for all */
    OPT_COMMUNITIES,     /* key enrol: ... for a list */
    OPT_POLICY_FILE,     /* community create: its founding rule set */
    /* every write; fills the request, not the command */
    OPT_REQUEST_ID,
    /* global options, accepted before or after the command */
    OPT_SERVER,
    OPT_KEY,
    OPT_SERVER_KEY,
    OPT_COMMUNITY, /* the community the request is for */
    OPT_JSON,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_HELP,
    OPT_VERSION,
    OPT_LANG, /* zh (the default) or en, for what people read */
    OPT_COUNT
} opt_id;

#define BIT(o) (UINT64_C(1) << (o))
#define GLOBAL_OPTS                                                            \
    (BIT(OPT_SERVER) | BIT(OPT_KEY) | BIT(OPT_SERVER_KEY) |                    \
     BIT(OPT_COMMUNITY) | BIT(OPT_JSON) | BIT(OPT_TIMEOUT) |                   \
     BIT(OPT_RETRIES) | BIT(OPT_HELP) | BIT(OPT_VERSION) | BIT(OPT_LANG))
_Static_assert(OPT_COUNT <= 64, "options are bits of a uint64_t");

typedef struct {
    const char *name;
    const char *alias; /* a short spelling, or NULL */
    const char *arg;   /* the value's name in help; NULL for a flag */
    field_parser set;  /* NULL: not a command field */
} option_def;

static const option_def options[OPT_COUNT] = {
    [OPT_NAME] = {"--name", NULL, "N", set_name},
    [OPT_AREA] = {"--area", NULL, "M2", set_area},
    [OPT_POINTS] = {"--points", NULL, "N", set_points},
    [OPT_HOURS] = {"--hours", NULL, "N", set_hours},
    [OPT_NOTE] = {"--note", NULL, "T", set_note},
    [OPT_PERIOD] = {"--period", NULL, "YYYY-MM", set_period},
    [OPT_LIMIT] = {"--limit", NULL, "N", set_limit},
    [OPT_ENTRY] = {"--entry", NULL, "N", set_entry},
    [OPT_CHECKPOINT] = {"--checkpoint", NULL, "TEXT", NULL},
    [OPT_CHECKPOINT_KEY] = {"--checkpoint-key", NULL, "PUBFILE", NULL},
    [OPT_LABEL] = {"--label", NULL, "NAME", set_name},
    [OPT_OUT] = {"--out", NULL, "PREFIX", NULL},
    [OPT_REQUEST_ID] = {"--request-id", NULL, "ID", NULL},
    [OPT_SERVER] = {"--server", NULL, "ENDPOINT", NULL},
    [OPT_KEY] = {"--key", NULL, "FILE", NULL},
    [OPT_SERVER_KEY] = {"--server-key", NULL, "KEY", NULL},
    [OPT_COMMUNITY] = {"--community", NULL, "CODE", NULL},
    [OPT_JSON] = {"--json", NULL, NULL, NULL},
    [OPT_CSV] = {"--csv", NULL, NULL, NULL},
    [OPT_PROOF] = {"--proof", NULL, NULL, NULL},
    [OPT_QR] = {"--qr", NULL, NULL, NULL},
    [OPT_SVG] = {"--svg", NULL, "FILE", NULL},
    [OPT_PNG] = {"--png", NULL, "FILE", NULL},
    [OPT_CHANNEL] = {"--channel", NULL, "CHANNEL", set_channel},
    [OPT_REF] = {"--ref", NULL, "REFERENCE", set_reference},
    [OPT_ITEM] = {"--item", NULL, "CODE", set_code},
    [OPT_UNITS] = {"--units", NULL, "N", set_units},
    [OPT_DATE] = {"--date", NULL, "YYYY-MM-DD", set_date},
    [OPT_DRY_RUN] = {"--dry-run", NULL, NULL, NULL},
    [OPT_XLSX] = {"--xlsx", NULL, "FILE", NULL},
    [OPT_BATCH] = {"--batch", NULL, "N", NULL},
    [OPT_MEMBER] = {"--member", NULL, "NAME", set_member},
    [OPT_PROXY] = {"--proxy", NULL, "NAME", set_proxy},
    [OPT_EVENT] = {"--event", NULL, "TEXT", set_name},
    [OPT_ACTIVITY] = {"--activity", NULL, "CODE", set_code},
    [OPT_RELATION] = {"--relation", NULL, "R", set_relation},
    [OPT_PHONE] = {"--phone", NULL, "NUMBER", set_phone},
    [OPT_CONSENT] = {"--consent", NULL, "REF", set_note},
    [OPT_PRICE] = {"--price", NULL, "POINTS", set_price},
    [OPT_VALUE] = {"--value", NULL, "YUAN", set_value},
    [OPT_FUNDER] = {"--funder", NULL, "KIND[:CODE]", set_funder},
    [OPT_FUNDER_NAME] = {"--funder-name", NULL, "NAME", set_note},
    [OPT_STOCK] = {"--stock", NULL, "N", set_stock},
    [OPT_QUANTITY] = {"--quantity", NULL, "N", set_quantity},
    [OPT_DECREASE] = {"--decrease", NULL, NULL, set_flag},
    [OPT_ENCODING] = {"--encoding", NULL, "utf-8|gb18030", NULL},
    [OPT_REPRINT] = {"--reprint", NULL, "ENTRY", set_entry},
    [OPT_LANG] = {"--lang", NULL, "zh|en", NULL},
    [OPT_STREET] = {"--street", NULL, "CODE", set_street},
    [OPT_ALL_COMMUNITIES] = {"--all-communities", NULL, NULL,
                             set_all_communities},
    [OPT_COMMUNITIES] = {"--communities", NULL, "A,B,...", set_communities},
    [OPT_POLICY_FILE] = {"--policy", NULL, "FILE", set_rule_set_file},
    [OPT_TIMEOUT] = {"--timeout", NULL, "MS", NULL},
    [OPT_RETRIES] = {"--retries", NULL, "N", NULL},
    [OPT_HELP] = {"--help", "-h", NULL, NULL},
    [OPT_VERSION] = {"--version", NULL, NULL, NULL},
};

/* --- commands ------------------------------------------------------------ */

typedef struct {
    const char *name;
    field_parser set;
} arg_def;

/* One row per command; the table reads best unformatted. */
/* clang-format off */
#define ARG_H {"H", set_household}
#define ARG_AMOUNT {"AMOUNT", set_yuan}

typedef struct {
    const char *name;
    const char *sub; /* second word ("household add"), or NULL */
    jifen_command_kind kind;
    arg_def args[CLI_MAX_ARGS]; /* positionals, in order; unused: {NULL} */
    uint64_t opts;              /* command options it takes */
    uint64_t required;          /* ... of which it cannot do without */
    const char *help;
} command_def;

static const command_def commands[] = {
    {"household", "add", JIFEN_CMD_HOUSEHOLD_ADD, {ARG_H},
     BIT(OPT_NAME) | BIT(OPT_AREA), 0,
     "Register household H (a door number such as 3-2-501); area in m2."},
    {"household", "search", JIFEN_CMD_HOUSEHOLD_SEARCH, {{"QUERY", set_version}},
     BIT(OPT_LIMIT), 0,
     "Find households whose code starts with QUERY or name contains it."},
    {"award", "roster", JIFEN_CMD_AWARD, {{"FILE", set_file}},
     BIT(OPT_ACTIVITY) | BIT(OPT_EVENT) | BIT(OPT_DATE) | BIT(OPT_NOTE) |
         BIT(OPT_DRY_RUN) | BIT(OPT_ENCODING),
     BIT(OPT_ACTIVITY) | BIT(OPT_EVENT),
     "Award the attendees of a sign-in sheet (CSV: household, member,\n"
     "      hours; UTF-8 or GB18030) for one event, each household once;\n"
     "      --dry-run shows what would be awarded and every refused row."},
    {"award", NULL, JIFEN_CMD_AWARD, {ARG_H, {"ACTIVITY", set_code}},
     BIT(OPT_POINTS) | BIT(OPT_HOURS) | BIT(OPT_NOTE) | BIT(OPT_MEMBER) |
         BIT(OPT_PROXY) | BIT(OPT_EVENT) | BIT(OPT_DATE), 0,
     "Award points for a catalogue activity (--hours: per-hour ones);\n"
     "      --member who earned it, --proxy who acted for them."},
    {"deduct", NULL, JIFEN_CMD_DEDUCT, {ARG_H, {"RULE", set_code}},
     BIT(OPT_POINTS) | BIT(OPT_NOTE), BIT(OPT_NOTE),
     "Deduct points by a published rule; the note says why."},
    {"bill", NULL, JIFEN_CMD_BILL, {ARG_H, ARG_AMOUNT},
     BIT(OPT_PERIOD), BIT(OPT_PERIOD),
     "Bill AMOUNT yuan of property fee for the month YYYY-MM."},
    {"pay", NULL, JIFEN_CMD_PAY, {ARG_H, ARG_AMOUNT},
     BIT(OPT_CHANNEL) | BIT(OPT_REF), 0,
     "Record a payment of AMOUNT yuan (partial or in advance is fine), by\n"
     "      cash (the default), wechat, alipay, bank or card; a non-cash\n"
     "      payment needs the platform's reference. Settles the oldest bills\n"
     "      first; gets the next receipt number."},
    {"refund", NULL, JIFEN_CMD_REFUND, {ARG_H, ARG_AMOUNT},
     BIT(OPT_CHANNEL) | BIT(OPT_REF) | BIT(OPT_NOTE),
     BIT(OPT_CHANNEL) | BIT(OPT_NOTE),
     "Pay AMOUNT yuan back to H out of what it paid ahead (never more)."},
    {"receipt", NULL, JIFEN_CMD_RECEIPT, {{"ENTRY", set_entry}}, 0, 0,
     "Print the receipt (收据) of payment ENTRY: items and months paid,\n"
     "      the amount in figures and in capitals (人民币大写), points."},
    {"billing", "run", JIFEN_CMD_BILLING_PLAN, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_ITEM) | BIT(OPT_DRY_RUN) | BIT(OPT_BATCH),
     BIT(OPT_PERIOD),
     "Bill every household every item of the fee schedule for YYYY-MM,\n"
     "      once (run it again to finish a run that was stopped); --dry-run:\n"
     "      the totals per item and who cannot be billed, nothing written."},
    {"shift", "close", JIFEN_CMD_SHIFT_CLOSE, {{NULL, NULL}}, BIT(OPT_NOTE), 0,
     "Close this terminal's shift (日结): totals per channel since its last\n"
     "      close, and the cash that should be in the drawer."},
    {"household", "set", JIFEN_CMD_HOUSEHOLD_SET, {ARG_H},
     BIT(OPT_AREA) | BIT(OPT_ITEM) | BIT(OPT_UNITS), 0,
     "Record H's floor area (--area M2) or its units of a per-unit fee\n"
     "      item (--item CODE --units N, such as parking spaces)."},
    {"redeem", NULL, JIFEN_CMD_REDEEM, {ARG_H, {"POINTS", set_redeem_points}},
     0, 0,
     "Pay fee due with POINTS points, at the policy's rate and cap."},
    {"reverse", NULL, JIFEN_CMD_REVERSE, {{"ENTRY", set_entry}},
     BIT(OPT_NOTE), BIT(OPT_NOTE),
     "Post the mirror image of journal entry ENTRY (once only)."},
    {"balance", NULL, JIFEN_CMD_BALANCE, {ARG_H}, 0, 0,
     "Show household H's points and fee due."},
    {"history", NULL, JIFEN_CMD_HISTORY, {ARG_H}, BIT(OPT_LIMIT), 0,
     "Show H's journal entries, newest first (default 20, at most 1000)."},
    {"verify", NULL, JIFEN_CMD_VERIFY, {{NULL, NULL}},
     BIT(OPT_CHECKPOINT) | BIT(OPT_CHECKPOINT_KEY), 0,
     "Recompute the hash chain and check the balances against the journal;\n"
     "      with --checkpoint, also that entry N matches a signed checkpoint."},
    {"checkpoint", "consistency", JIFEN_CMD_CONSISTENCY,
     {{"OLD", set_old_head}, {"NEW", set_new_head}}, BIT(OPT_CHECKPOINT_KEY), 0,
     "Prove that the ledger of signed tree head NEW (a line, or latest)\n"
     "      extends the one of OLD: nothing before OLD was rewritten."},
    {"checkpoint", NULL, JIFEN_CMD_CHECKPOINT, {{NULL, NULL}},
     BIT(OPT_ENTRY) | BIT(OPT_QR) | BIT(OPT_SVG) | BIT(OPT_PNG), 0,
     "Show the latest signed tree head (--entry: the first covering N);\n"
     "      --qr prints it as a QR code, --svg/--png FILE write one."},
    {"proof", NULL, JIFEN_CMD_INCLUSION, {{"ENTRY", set_entry}},
     BIT(OPT_CHECKPOINT) | BIT(OPT_CHECKPOINT_KEY), 0,
     "Prove that entry ENTRY is in the ledger as the latest signed tree\n"
     "      head (or --checkpoint LINE) signed it; checked here."},
    {"stats", NULL, JIFEN_CMD_STATS, {{NULL, NULL}}, 0, 0,
     "Show the daemon's metrics: commits, batch sizes, latency, map use."},
    {"key", "enrol", JIFEN_CMD_KEY_ENROL,
     {{"PUBKEY", set_pubkey}, {"ROLE", set_role}},
     BIT(OPT_LABEL) | BIT(OPT_ALL_COMMUNITIES) | BIT(OPT_STREET) |
         BIT(OPT_COMMUNITIES),
     BIT(OPT_LABEL),
     "Admin: let PUBKEY (Z85 or a .pub file) in as committee, terminal,\n"
     "      auditor or admin; the label names who writes with it. A key of\n"
     "      the community (--community), or of the service for all its\n"
     "      communities, a street's, or a list of them."},
    {"key", "revoke", JIFEN_CMD_KEY_REVOKE, {{"PUBKEY", set_pubkey}}, 0, 0,
     "Admin: shut PUBKEY out, from its next request on."},
    {"key", "list", JIFEN_CMD_KEY_LIST, {{NULL, NULL}}, 0, 0,
     "Admin, auditor: every enrolled key, with role, label and state."},
    {"keygen", NULL, JIFEN_CMD_NONE, {{NULL, NULL}}, BIT(OPT_OUT), 0,
     "Make a key pair: PREFIX.key (secret, 0600) and PREFIX.pub (default\n"
     "      PREFIX: jifen). Give the .pub to the admin to enrol."},
    {"appeal", NULL, JIFEN_CMD_REVERSE, {{"ENTRY", set_entry}},
     BIT(OPT_NOTE), BIT(OPT_NOTE),
     "Uphold an appeal: reverse deduction ENTRY and lift its suspension."},
    {"object", NULL, JIFEN_CMD_OBJECT, {{"ENTRY", set_entry}},
     BIT(OPT_NOTE), BIT(OPT_NOTE),
     "Void award ENTRY under public notice: an objection upheld (why)."},
    {"approve", NULL, JIFEN_CMD_APPROVE, {{"ENTRY", set_entry}}, 0, 0,
     "Approve a large award under notice (not by whoever recorded it)."},
    {"notices", NULL, JIFEN_CMD_NOTICES, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_CSV), 0,
     "The notice list (公示) of a month, default this one; data masked."},
    {"settle", NULL, JIFEN_CMD_SETTLE, {ARG_AMOUNT}, BIT(OPT_NOTE), 0,
     "Record the funder paying AMOUNT yuan for redeemed points."},
    {"report", "statement", JIFEN_CMD_REPORT, {ARG_H},
     BIT(OPT_PERIOD) | BIT(OPT_CSV) | BIT(OPT_XLSX) | BIT(OPT_PROOF) | BIT(OPT_CHECKPOINT) |
         BIT(OPT_CHECKPOINT_KEY), 0,
     "H's month: points earned, spent, expired; fees billed, paid, due;\n"
     "      --proof: with a Merkle proof of each of the month's entries."},
    {"report", "liability", JIFEN_CMD_REPORT, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_CSV) | BIT(OPT_XLSX), 0,
     "What the funder owes for redeemed points; points outstanding."},
    {"report", "ageing", JIFEN_CMD_REPORT, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_CSV) | BIT(OPT_XLSX), 0,
     "Fees due by age (0-30, 31-90, 91-180, >180 days); collection rate."},
    {"report", "arrears", JIFEN_CMD_REPORT, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_CSV) | BIT(OPT_XLSX), 0,
     "What is unpaid of each household's bills, per fee item and month."},
    {"report", "trial-balance", JIFEN_CMD_REPORT, {{NULL, NULL}},
     BIT(OPT_CSV) | BIT(OPT_XLSX), 0,
     "Every account's debits and credits; totals per asset."},
    {"report", "shifts", JIFEN_CMD_SHIFTS, {{NULL, NULL}},
     BIT(OPT_DATE) | BIT(OPT_CSV) | BIT(OPT_XLSX), 0,
     "The day's shift closes (default today) and what is not closed yet."},
    {"policy", "list", JIFEN_CMD_POLICY, {{NULL, NULL}}, 0, 0,
     "List the rule sets: version, effective date, resolution; * in force."},
    {"policy", "show", JIFEN_CMD_POLICY, {{"VERSION", set_version}}, 0, 0,
     "Print rule set VERSION as a policy file (caps, rates, catalogue)."},
    {"policy", "load", JIFEN_CMD_POLICY_LOAD, {{"FILE", set_rule_set_file}}, 0, 0,
     "Admin: adopt the rule set in policy FILE (- for stdin) from its date."},
    {"community", "create", JIFEN_CMD_COMMUNITY_CREATE,
     {{"CODE", set_community}},
     BIT(OPT_NAME) | BIT(OPT_STREET) | BIT(OPT_POLICY_FILE), BIT(OPT_NAME),
     "Admin of the service: a new community (小区) with its own ledger,\n"
     "      founded with rule set FILE (default: the embedded one)."},
    {"community", "close", JIFEN_CMD_COMMUNITY_CLOSE,
     {{"CODE", set_community}}, BIT(OPT_NOTE), BIT(OPT_NOTE),
     "Admin of the service: close community CODE (read, never written)."},
    {"community", "list", JIFEN_CMD_COMMUNITY_LIST, {{NULL, NULL}}, 0, 0,
     "The service's communities that this key may see."},
    {"report", "rollup", JIFEN_CMD_ROLLUP, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_STREET) | BIT(OPT_CSV), 0,
     "Every community side by side (of a street): households, points,\n"
     "      funder owed, fees billed and collected, arrears by age."},
    /* issue 15: a month at the residents' committee (docs/committee.md) */
    {"member", "add", JIFEN_CMD_MEMBER_SET, {ARG_H, {"NAME", set_member}},
     BIT(OPT_RELATION) | BIT(OPT_PHONE), BIT(OPT_RELATION),
     "Record (or change) a member of household H: relation head, spouse,\n"
     "      child, parent, grandchild, sibling, tenant or other (or 户主...)."},
    {"member", "leave", JIFEN_CMD_MEMBER_SET, {ARG_H, {"NAME", set_member}},
     0, 0, "A member moved out (kept for the entries that name them)."},
    {"member", "list", JIFEN_CMD_REPORT, {ARG_H}, BIT(OPT_CSV), 0,
     "H's members, their relation, phone (masked) and whom they act for."},
    {"proxy", "grant", JIFEN_CMD_PROXY_CONSENT,
     {ARG_H, {"MEMBER", set_member}, {"PROXY", set_proxy}}, BIT(OPT_CONSENT),
     BIT(OPT_CONSENT),
     "MEMBER consents that PROXY acts for them (亲情代理); REF: the form."},
    {"proxy", "revoke", JIFEN_CMD_PROXY_CONSENT,
     {ARG_H, {"MEMBER", set_member}, {"PROXY", set_proxy}}, BIT(OPT_NOTE),
     BIT(OPT_NOTE), "MEMBER withdraws the consent that PROXY acts for them."},
    {"shop", "item", JIFEN_CMD_ITEM_SET, {{"CODE", set_code}},
     BIT(OPT_NAME) | BIT(OPT_PRICE) | BIT(OPT_VALUE) | BIT(OPT_FUNDER) |
         BIT(OPT_FUNDER_NAME) | BIT(OPT_STOCK),
     BIT(OPT_NAME) | BIT(OPT_PRICE) | BIT(OPT_FUNDER),
     "Add or change an item of the points supermarket: its price in\n"
     "      points, its funder (community-fund, street-office, sponsor:CODE,\n"
     "      merchant:CODE) and what the funder is owed per unit (--value)."},
    {"shop", "withdraw", JIFEN_CMD_ITEM_SET, {{"CODE", set_code}}, 0, 0,
     "Take an item off the shelves (its entries stay)."},
    {"shop", "stock", JIFEN_CMD_STOCK_CHANGE,
     {{"CODE", set_code}, {"N", set_count}}, BIT(OPT_DECREASE) | BIT(OPT_NOTE),
     0, "N units of the item came in (--decrease: went out, broken or lost)."},
    {"shop", "redeem", JIFEN_CMD_GOODS_REDEEM, {ARG_H, {"ITEM", set_code}},
     BIT(OPT_QUANTITY) | BIT(OPT_MEMBER) | BIT(OPT_PROXY), 0,
     "H takes goods for points: the points and the stock in one entry."},
    {"shop", "pickup", JIFEN_CMD_PICKUP, {{"ENTRY", set_entry}},
     BIT(OPT_MEMBER) | BIT(OPT_PROXY) | BIT(OPT_NOTE), 0,
     "The goods of redemption ENTRY were handed over."},
    {"shop", "list", JIFEN_CMD_REPORT, {{NULL, NULL}}, BIT(OPT_CSV), 0,
     "The supermarket's items: price, stock, funder."},
    {"funder", "settle", JIFEN_CMD_FUNDER_SETTLE,
     {{"FUNDER", set_funder_code}, ARG_AMOUNT}, BIT(OPT_NOTE), 0,
     "The scheme paid FUNDER AMOUNT yuan for goods handed out."},
    {"report", "honour", JIFEN_CMD_REPORT, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_CSV), 0,
     "The honour board (光荣榜) of the month and its year, masked."},
    {"report", "stock", JIFEN_CMD_REPORT, {{NULL, NULL}}, BIT(OPT_CSV), 0,
     "The supermarket's items and stock."},
    {"report", "redemptions", JIFEN_CMD_REPORT, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_CSV), 0,
     "The month's redemptions of goods, per item."},
    {"report", "funders", JIFEN_CMD_REPORT, {{NULL, NULL}},
     BIT(OPT_PERIOD) | BIT(OPT_CSV), 0,
     "Per funder: goods booked to it, paid to it, owed to it."},
    {"report", "pickups", JIFEN_CMD_REPORT, {{NULL, NULL}}, BIT(OPT_CSV), 0,
     "Goods redeemed and not yet handed over."},
    {"passbook", NULL, JIFEN_CMD_PASSBOOK_MARK, {ARG_H}, BIT(OPT_REPRINT), 0,
     "Print H's paper passbook lines since the last print, and note where\n"
     "      it ended; --reprint ENTRY prints again from ENTRY to there."},
    {"import", "opening", JIFEN_CMD_OPENING, {{"FILE", set_file}},
     BIT(OPT_DRY_RUN) | BIT(OPT_ENCODING), 0,
     "Opening balances from the paper ledgers (CSV: household, points,\n"
     "      fee yuan (prepaid: negative), date, book, page); only for\n"
     "      households without entries; file and ledger totals compared."},
};
/* clang-format on */

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static size_t n_args(const command_def *d)
{
    size_t n = 0;
    while (n < CLI_MAX_ARGS && d->args[n].name != NULL)
        n++;
    return n;
}

static bool is_write(const command_def *d)
{
    return jifen_command_is_write(d->kind);
}

/* Whether the command is one request, whose id --request-id may name.
 * A file of rows (award roster, import opening) goes as many requests and
 * a passbook's mark after its reading: each makes its own ids, and an id
 * given for them would be quietly unused. */
static bool takes_request_id(const command_def *d)
{
    return is_write(d) && d->args[0].set != set_file &&
           d->kind != JIFEN_CMD_PASSBOOK_MARK;
}

static uint64_t allowed_opts(const command_def *d)
{
    return d->opts | GLOBAL_OPTS |
           (takes_request_id(d) ? BIT(OPT_REQUEST_ID) : 0);
}

/* --- help ---------------------------------------------------------------- */

static void print_synopsis(FILE *f, const command_def *d, bool all)
{
    fprintf(f, "%s", d->name);
    if (d->sub != NULL)
        fprintf(f, " %s", d->sub);
    for (size_t i = 0; i < n_args(d); i++)
        fprintf(f, " %s", d->args[i].name);
    for (int o = 0; o < OPT_COUNT; o++) {
        bool wanted =
            (d->opts & BIT(o)) ||
            (all && o == OPT_REQUEST_ID && takes_request_id(d));
        if (!wanted)
            continue;
        bool required = d->required & BIT(o);
        fprintf(f, " %s%s%s%s%s", required ? "" : "[", options[o].name,
                options[o].arg ? " " : "", /* a flag has no value */
                options[o].arg ? options[o].arg : "", required ? "" : "]");
    }
}

/* "usage: jifen [--server ENDPOINT] [--key FILE] ... COMMAND ...", from
 * the options table, so that it names every global option there is. */
static void print_usage_line(FILE *f)
{
    static const opt_id shown[] = {OPT_SERVER,  OPT_KEY,     OPT_SERVER_KEY,
                                   OPT_JSON,    OPT_TIMEOUT, OPT_RETRIES};
    size_t col = (size_t)fprintf(f, "usage: jifen");
    for (size_t i = 0; i < sizeof shown / sizeof *shown; i++) {
        const option_def *o = &options[shown[i]];
        char word[64];
        int n = snprintf(word, sizeof word, " [%s%s%s]", o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
        if (col + (size_t)n > 72) {
            fputs("\n            ", f);
            col = 12;
        }
        fputs(word, f);
        col += (size_t)n;
    }
    fputs(" COMMAND ...\n", f);
}

static void print_help(FILE *f)
{
    print_usage_line(f);
    fputs("\ncommands:\n", f);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fputs("  ", f);
        print_synopsis(f, &commands[i], false);
        fprintf(f, "\n      %s\n", commands[i].help);
    }
    fprintf(
        f,
        "  help [COMMAND]\n      This text, or one command's.\n\n"
        "Every write of one entry (household add, award, deduct, bill,\n"
        "pay, redeem, refund, reverse, member, proxy, shop, funder settle,\n"
        "...: each shows [--request-id ID]) takes --request-id ID;\n"
        "without it a random id is made. A\n"
        "request that gets no reply is resent with the same id, and the\n"
        "ledger applies an id once: resending it by hand is safe too.\n"
        "A file of rows (award roster, import opening) goes 500 rows to a\n"
        "request, each with an id of its own; sent again, it awards no\n"
        "household twice for the event and opens no household twice.\n"
        "H is a household code such as 3-2-501. AMOUNT is yuan with at most\n"
        "two decimals: 128, 128.5, 128.50.\n\n"
        "Every connection is encrypted and authenticated with CURVE keys:\n"
        "make a pair with 'jifen keygen', have an admin enrol the .pub with\n"
        "a role, and give --key and --server-key. Roles: committee (household\n"
        "add, award, deduct, reverse of those; object, approve; member,\n"
        "proxy, shop, funder settle, passbook, import opening), terminal\n"
        "(bill, billing run, pay, redeem, refund, reverse of those; settle,\n"
        "shift close, report shifts, household set), auditor (verify,\n"
        "key list, stats, feed), admin\n"
        "(key enrol, revoke, list; policy load; import opening; verify,\n"
        "stats); a terminal may print a passbook too; all of them:\n"
        "balance, history, checkpoint, policy list/show, notices, report,\n"
        "receipt. Receipts and reports print in Chinese; --lang en (or\n"
        "JIFEN_LANG=en, or an English locale) for English.\n\n"
        "options (before or after the command):\n"
        "  --server ENDPOINT  jifend's ZeroMQ endpoint (default: $JIFEN_SERVER,"
        "\n                     else %s)\n"
        "  --key FILE         this client's secret key file (default: "
        "$JIFEN_KEY)\n"
        "  --server-key KEY   jifend's public key, Z85 or a file such as\n"
        "                     DATA/jifend.pub (default: $JIFEN_SERVER_KEY)\n"
        "  --json             print one JSON object on stdout\n"
        "  --timeout MS       wait per try in milliseconds (default %d;\n"
        "                     verify, report: 120000)\n"
        "  --retries N        resends when no reply comes (default %d;\n"
        "                     verify, report: 0)\n"
        "  --lang zh|en       the language of receipts and reports\n"
        "  -h, --help         this text\n"
        "  --version          the version\n\n"
        "exit codes:\n"
        "  0  done (also: the retry of a request the ledger already applied)\n"
        "  1  refused by the ledger, reason on stderr; also a reply that\n"
        "     cannot be read, and verify finding a problem\n"
        "  2  usage error\n"
        "  3  no reply from the server (also: a key the server does not\n"
        "     admit, or the wrong server key: the handshake never completes)\n"
        "  4  forbidden: this key's role may not do this, or the key was\n"
        "     revoked; nothing was changed\n",
        JIFEN_DEFAULT_ENDPOINT, JIFEN_DEFAULT_TIMEOUT_MS,
        JIFEN_DEFAULT_RETRIES);
}

static void print_command_help(FILE *f, const command_def *d)
{
    fputs("usage: jifen [OPTIONS] ", f);
    print_synopsis(f, d, true);
    fputs("\n\n", f);
    /* The help is indented for the command list; here it stands alone as a
     * paragraph, so its continuation lines lose the list's indent. */
    for (const char *p = d->help; *p != '\0'; p++) {
        fputc(*p, f);
        if (*p == '\n')
            while (p[1] == ' ')
                p++;
    }
    fputs("\nRun 'jifen help' for the options and exit codes.\n", f);
}

/* --- the command line ---------------------------------------------------- */

typedef struct {
    const char *opt[OPT_COUNT]; /* value; "" for a flag; NULL: not given */
    const char *words[CLI_MAX_WORDS];
    size_t n_words;
    char err[CLI_ERR_MAX]; /* the first problem found */
} cli_args;

/* Records the first problem only, and parsing goes on: a --json further
 * along the line still decides how the problem is reported. */
static void note_error(cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_error(cli_args *a, const char *fmt, ...)
{
    va_list ap;

    if (a->err[0] != '\0')
        return;
    va_start(ap, fmt);
    vsnprintf(a->err, sizeof a->err, fmt, ap);
    va_end(ap);
}

/* "-5" and "-.5" are mistyped amounts, not options, and get the amount's
 * error message; a lone "-" is an argument too. */
static bool looks_like_option(const char *t)
{
    return t[0] == '-' && t[1] != '\0' && t[1] != '.' &&
           (t[1] < '0' || t[1] > '9');
}

static int find_option(const char *t, size_t len)
{
    for (int o = 0; o < OPT_COUNT; o++) {
        const char *alias = options[o].alias;
        if ((strlen(options[o].name) == len &&
             strncmp(options[o].name, t, len) == 0) ||
            (alias != NULL && strlen(alias) == len &&
             strncmp(alias, t, len) == 0))
            return o;
    }
    return -1;
}

/* One option at argv[*i], as "--opt value" or "--opt=value". */
static void parse_option(cli_args *a, int argc, char **argv, int *i)
{
    const char *t = argv[*i];
    const char *eq = strchr(t, '=');
    int o = find_option(t, eq != NULL ? (size_t)(eq - t) : strlen(t));

    if (o < 0) {
        note_error(a, "unknown option '%s'", t);
        return;
    }
    const char *value = "";
    if (options[o].arg == NULL && eq != NULL) {
        note_error(a, "%s takes no value", options[o].name);
        return;
    }
    if (options[o].arg != NULL) {
        if (eq != NULL)
            value = eq + 1;
        else if (*i + 1 < argc)
            value = argv[++*i];
        else {
            note_error(a, "%s needs a value", options[o].name);
            return;
        }
    }
    /* A repeated flag is harmless; a repeated value is ambiguous. */
    if (a->opt[o] != NULL && options[o].arg != NULL)
        note_error(a, "%s given twice", options[o].name);
    a->opt[o] = value;
}

static void parse_command_line(int argc, char **argv, cli_args *a)
{
    bool options_done = false;

    for (int i = 1; i < argc; i++) {
        const char *t = argv[i];
        if (!options_done && strcmp(t, "--") == 0)
            options_done = true;
        else if (!options_done && looks_like_option(t))
            parse_option(a, argc, argv, &i);
        else if (a->n_words < CLI_MAX_WORDS)
            a->words[a->n_words++] = t;
        else
            note_error(a, "too many arguments, from '%s' on", t);
    }
}

/* The command named by the first one or two words; *used says how many. */
static const command_def *find_command(const char *const *words, size_t n,
                                       size_t *used, char *err, size_t errlen)
{
    char subs[128] = ""; /* the second words there are, for the message */
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const command_def *d = &commands[i];
        if (strcmp(words[0], d->name) != 0)
            continue;
        if (d->sub == NULL) {
            *used = 1;
            return d;
        }
        if (n > 1 && strcmp(words[1], d->sub) == 0) {
            *used = 2;
            return d;
        }
        size_t len = strlen(subs);
        snprintf(subs + len, sizeof subs - len, "%s'%s %s'", len ? ", " : "",
                 d->name, d->sub);
    }
    if (subs[0] != '\0')
        fail(err, errlen, "%s: expected %s", words[0], subs);
    else
        fail(err, errlen, "unknown command '%s'", words[0]);
    return NULL;
}

/* The report a row asks for: its second word, or the word it names it by
 * (member list: members; shop list: stock). */
static const char *report_kind(const command_def *d)
{
    if (strcmp(d->name, "member") == 0)
        return "members";
    if (strcmp(d->name, "shop") == 0)
        return "stock";
    return d->sub;
}

/* The rows whose command undoes: a member moved out, an item withdrawn, a
 * consent withdrawn (the command's flag, jifen_types.h). */
static bool undoes(const command_def *d)
{
    return d->sub && (strcmp(d->sub, "leave") == 0 ||
                      strcmp(d->sub, "withdraw") == 0 ||
                      strcmp(d->sub, "revoke") == 0);
}

/* Fills cmd from the positionals and the options, after checking that the
 * command takes exactly what was given. */
static int build_command(const command_def *d, const cli_args *a, size_t first,
                         jifen_command *cmd, char *err, size_t errlen)
{
    size_t want = n_args(d);
    size_t have = a->n_words - first;

    if (have < want)
        return fail(err, errlen, "%s missing", d->args[have].name);
    if (have > want)
        return fail(err, errlen, "unexpected argument '%s'",
                    a->words[first + want]);
    memset(cmd, 0, sizeof *cmd);
    cmd->kind = d->kind;
    if (d->kind == JIFEN_CMD_REPORT) /* the second word names the report */
        snprintf(cmd->code, sizeof cmd->code, "%s", report_kind(d));
    cmd->flag = undoes(d); /* member leave, shop withdraw, proxy revoke */
    for (size_t i = 0; i < want; i++)
        if (d->args[i].set(cmd, a->words[first + i], d->args[i].name, err,
                           errlen) != 0)
            return -1;
    for (int o = 0; o < OPT_COUNT; o++) {
        if (a->opt[o] == NULL) {
            if (d->required & BIT(o))
                return fail(err, errlen, "%s is required", options[o].name);
            continue;
        }
        if (!(allowed_opts(d) & BIT(o)))
            return fail(err, errlen, "%s does not apply here", options[o].name);
        if (options[o].set != NULL &&
            options[o].set(cmd, a->opt[o], options[o].name, err, errlen) != 0)
            return -1;
    }
    if (cmd->kind == JIFEN_CMD_GOODS_REDEEM && cmd->amount == 0)
        cmd->amount = 1; /* one unit unless --quantity says more */
    return 0;
}

/* --- one run ------------------------------------------------------------- */

typedef struct {
    cli_output out;
    const command_def *def; /* NULL until the command is known */
    const char *server;
    const char *key;        /* client secret key file, or NULL */
    const char *server_key; /* jifend's public key (Z85 or file) */
    int timeout_ms;
    int retries;
    jifen_command cmd;
    jifen_request req;
} cli_run;

static int usage_error(const cli_run *r, const char *message)
{
    cli_print_failure(&r->out, "usage", message, NULL);
    if (r->def != NULL) {
        fputs("usage: jifen [OPTIONS] ", r->out.err);
        print_synopsis(r->out.err, r->def, true);
        fputc('\n', r->out.err);
    }
    fputs("Run 'jifen help' for the list of commands and options.\n",
          r->out.err);
    return EXIT_USAGE;
}

/* An option, else the environment variable, else NULL ("" counts as
 * unset). */
static const char *opt_or_env(const cli_args *a, opt_id o, const char *var)
{
    const char *env = getenv(var);
    if (a->opt[o] != NULL)
        return a->opt[o];
    return env != NULL && *env != '\0' ? env : NULL;
}

/* Queries that read a whole ledger, or every community's: they take
 * seconds on a large service, where a write takes milliseconds. */
static bool long_query(jifen_command_kind kind)
{
    return kind == JIFEN_CMD_ROLLUP || kind == JIFEN_CMD_VERIFY ||
           kind == JIFEN_CMD_REPORT || kind == JIFEN_CMD_SHIFTS;
}

/* Server, keys, timeout and retries: options first, then the
 * environment. */
static int configure(cli_run *r, const cli_args *a, char *err, size_t errlen)
{
    const char *env = getenv("JIFEN_SERVER");
    uint64_t v = 0;

    r->key = opt_or_env(a, OPT_KEY, "JIFEN_KEY");
    r->server_key = opt_or_env(a, OPT_SERVER_KEY, "JIFEN_SERVER_KEY");
    if (r->key != NULL && r->server_key == NULL)
        return fail(err, errlen,
                    "--key needs the server's public key too: --server-key "
                    "(or JIFEN_SERVER_KEY), the daemon's jifend.pub");

    r->server = a->opt[OPT_SERVER] != NULL    ? a->opt[OPT_SERVER]
                : env != NULL && *env != '\0' ? env
                                              : JIFEN_DEFAULT_ENDPOINT;
    if (*r->server == '\0')
        return fail(err, errlen, "--server: empty");
    r->timeout_ms = JIFEN_DEFAULT_TIMEOUT_MS;
    r->retries = JIFEN_DEFAULT_RETRIES;
    if (r->def && long_query(r->def->kind)) {
        /* A resend would only queue the same work again behind the first
         * (the daemon answers a key's queries one at a time): wait for it. */
        r->timeout_ms = CLI_LONG_QUERY_TIMEOUT_MS;
        r->retries = 0;
    }
    if (a->opt[OPT_TIMEOUT] != NULL) {
        if (count_arg(a->opt[OPT_TIMEOUT], "--timeout", 1, CLI_TIMEOUT_MAX_MS,
                      &v, err, errlen) != 0)
            return -1;
        r->timeout_ms = (int)v;
    }
    if (a->opt[OPT_RETRIES] != NULL) {
        if (count_arg(a->opt[OPT_RETRIES], "--retries", 0, CLI_RETRIES_MAX, &v,
                      err, errlen) != 0)
            return -1;
        r->retries = (int)v;
    }
    return 0;
}

/* The request id is made here, before anything is sent, and the library
 * resends that same id: this is what makes a timed-out write safe to retry. */
static int make_request(cli_run *r, const cli_args *a, char *err, size_t errlen)
{
    r->req.n_commands = 1;
    r->req.commands = &r->cmd;
    /* The service's own commands name no community (JIFEN_COMMUNITY, set
     * for a clerk's community, does not get in their way). A key with a
     * scope named with a community is sent so: the service refuses it and
     * says why. */
    const char *community = opt_or_env(a, OPT_COMMUNITY, "JIFEN_COMMUNITY");
    if (community && !jifen_command_is_service(r->def->kind) &&
        text_arg(r->req.community, sizeof r->req.community, community,
                 "--community", err, errlen) != 0)
        return -1;
    if (!is_write(r->def))
        return 0;
    if (a->opt[OPT_REQUEST_ID] != NULL)
        return text_arg(r->req.request_id, sizeof r->req.request_id,
                        a->opt[OPT_REQUEST_ID], "--request-id", err, errlen);
    jifen_request_id_new(r->req.request_id);
    return 0;
}

/* What a successful result of this kind must carry to be printed. */
static const char *missing_part(jifen_command_kind kind,
                                const jifen_result *res)
{
    if (kind == JIFEN_CMD_BALANCE && !res->has_balance)
        return "no balance in the reply";
    if (kind == JIFEN_CMD_VERIFY && !res->has_verify)
        return "no verify report in the reply";
    if (kind == JIFEN_CMD_STATS && !res->has_stats)
        return "no stats in the reply";
    if (kind == JIFEN_CMD_CHECKPOINT && !res->has_checkpoint)
        return "no checkpoint in the reply";
    if ((kind == JIFEN_CMD_REPORT || kind == JIFEN_CMD_ROLLUP) &&
        res->report == NULL)
        return "no report in the reply";
    if (jifen_command_is_write(kind) && res->entry == 0)
        return "no journal entry in the reply";
    return NULL;
}

static int bad_reply(const cli_run *r, const char *why)
{
    char msg[CLI_ERR_MAX];
    snprintf(msg, sizeof msg, "bad reply from %s: %s", r->server, why);
    cli_print_failure(&r->out, "bad_reply", msg, r->req.request_id);
    return EXIT_REFUSED;
}

/* A refusal's exit code: a role problem is told apart from the ledger's
 * own refusals, so that scripts can see a key set up wrongly. */
static int refused(const cli_run *r, jifen_status status, const char *error)
{
    cli_print_refusal(&r->out, status, error);
    return status == JIFEN_STATUS_FORBIDDEN ? EXIT_FORBIDDEN : EXIT_REFUSED;
}

static int report_reply(const cli_run *r, const jifen_reply *reply)
{
    if (reply->status != JIFEN_STATUS_OK)
        return refused(r, reply->status, reply->error);
    const jifen_result *res = &reply->results[0];
    if (res->status != JIFEN_STATUS_OK && res->status != JIFEN_STATUS_EXISTS)
        return refused(r, res->status, res->error);
    const char *missing = missing_part(r->cmd.kind, res);
    if (missing != NULL)
        return bad_reply(r, missing);
    cli_print_result(&r->out, &r->cmd, r->req.request_id, res);
    if (r->cmd.kind == JIFEN_CMD_VERIFY && !res->verify.ok)
        return EXIT_REFUSED;
    return EXIT_DONE;
}

/* No reply at all: a write may or may not have been applied, so tell the
 * operator the id that settles it either way. */
static int report_unreachable(const cli_run *r)
{
    char msg[CLI_ERR_MAX];
    int n = snprintf(msg, sizeof msg, "no reply from %s after %d %s", r->server,
                     r->retries + 1, r->retries ? "tries" : "try");
    if (r->req.request_id[0] != '\0' && n > 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n,
                 " (to retry safely, run it again with --request-id %s)",
                 r->req.request_id);
    if (r->key == NULL && n > 0 && strlen(msg) + 80 < sizeof msg)
        strcat(msg, "; jifend only answers enrolled CURVE keys: give --key "
                    "and --server-key");
    cli_print_failure(&r->out, "unreachable", msg, r->req.request_id);
    return EXIT_UNREACHABLE;
}

/* Sends r->req. EXIT_DONE with *reply filled (the caller clears it), or the
 * failure reported and its exit code. */
static int call_server(cli_run *r, jifen_reply *reply)
{
    char err[CLI_ERR_MAX] = "";
    jifen_client *client = jifen_client_new(r->server);

    if (client == NULL) {
        cli_print_failure(&r->out, "error", "cannot set up ZeroMQ", NULL);
        return EXIT_REFUSED;
    }
    jifen_client_set_timeout(client, r->timeout_ms, r->retries);
    if (r->key != NULL &&
        jifen_client_set_curve(client, r->key, r->server_key, err,
                               sizeof err) != 0) {
        jifen_client_destroy(&client);
        cli_print_failure(&r->out, "usage", err, NULL);
        return EXIT_USAGE;
    }
    jifen_call_status st =
        jifen_client_call(client, &r->req, reply, err, sizeof err);
    jifen_client_destroy(&client);

    switch (st) {
    case JIFEN_CALL_OK:
        return EXIT_DONE;
    case JIFEN_CALL_INVALID:
        return usage_error(r, err); /* caught before sending */
    case JIFEN_CALL_UNREACHABLE:
        return report_unreachable(r);
    case JIFEN_CALL_BAD_REPLY:
        return bad_reply(r, err);
    default:
        cli_print_failure(&r->out, "error", "out of memory", NULL);
        return EXIT_REFUSED;
    }
}

static int send_request(cli_run *r)
{
    jifen_reply reply;
    int rc = call_server(r, &reply);
    if (rc != EXIT_DONE)
        return rc;
    rc = report_reply(r, &reply);
    jifen_reply_clear(&reply);
    return rc;
}

/* One query for the run's single command; its result, or the exit code of
 * the failure (reported). */
static int query_one(cli_run *r, jifen_reply *reply, const jifen_result **res)
{
    int rc = call_server(r, reply);
    if (rc != EXIT_DONE)
        return rc;
    *res = &reply->results[0];
    if (reply->status != JIFEN_STATUS_OK || (*res)->status != JIFEN_STATUS_OK) {
        cli_print_refusal(&r->out, reply->status != JIFEN_STATUS_OK
                                       ? reply->status : (*res)->status,
                          reply->status != JIFEN_STATUS_OK ? reply->error
                                                           : (*res)->error);
        jifen_reply_clear(reply);
        return EXIT_REFUSED;
    }
    return EXIT_DONE;
}

/* Asks the ledger for its hash of entry cp->entry and compares it with a
 * checkpoint whose signature already holds: *match and the verdict in msg.
 * EXIT_DONE, or the exit code of a failure to ask (reported). */
static int compare_with_checkpoint(cli_run *r, const checkpoint *cp,
                                   bool *match, char *msg, size_t msglen)
{
    jifen_reply reply;
    const jifen_result *res = NULL;
    memset(&r->cmd, 0, sizeof r->cmd);
    r->cmd.kind = JIFEN_CMD_CHECKPOINT;
    r->cmd.entry = cp->entry;
    int rc = query_one(r, &reply, &res);
    if (rc != EXIT_DONE)
        return rc;
    if (!res->has_checkpoint || !res->checkpoint.has_entry_hash)
        snprintf(msg, msglen, "the ledger has no entry %" PRIu64
                 " (it was cut short)", cp->entry);
    else if (memcmp(res->checkpoint.entry_hash, cp->hash, JIFEN_HASH_LEN) != 0)
        snprintf(msg, msglen, "entry %" PRIu64 " differs from the signed "
                 "checkpoint: history was rewritten", cp->entry);
    else
        snprintf(msg, msglen, "entry %" PRIu64 " matches the checkpoint",
                 cp->entry);
    *match = res->has_checkpoint && res->checkpoint.has_entry_hash &&
             memcmp(res->checkpoint.entry_hash, cp->hash, JIFEN_HASH_LEN) == 0;
    jifen_reply_clear(&reply);
    return EXIT_DONE;
}

/* `jifen verify --checkpoint TEXT --checkpoint-key PUBFILE`: the signature
 * is checked here, with the key the auditor trusts, before asking the
 * daemon anything; then the chain, then entry N against the checkpoint. */
static int verify_with_checkpoint(cli_run *r, const cli_args *a)
{
    char err[CLI_ERR_MAX];
    checkpoint cp;
    uint8_t pub[CHECKPOINT_PUBLIC_LEN];
    if (!a->opt[OPT_CHECKPOINT_KEY])
        return usage_error(r, "--checkpoint needs --checkpoint-key PUBFILE");
    if (checkpoint_parse(&cp, a->opt[OPT_CHECKPOINT], err, sizeof err) != 0)
        return usage_error(r, err);
    if (checkpoint_read_public_key(a->opt[OPT_CHECKPOINT_KEY], pub, err,
                                   sizeof err) != 0)
        return usage_error(r, err);
    if (checkpoint_check_signature(&cp, pub) != 0) {
        cli_print_failure(&r->out, "forged_checkpoint",
                          "the checkpoint's signature does not hold for this "
                          "public key: it is not genuine", NULL);
        return EXIT_REFUSED;
    }
    jifen_reply reply;
    const jifen_result *res = NULL;
    int rc = query_one(r, &reply, &res);
    if (rc != EXIT_DONE)
        return rc;
    jifen_verify_report v = res->verify;
    jifen_reply_clear(&reply);
    bool match = false;
    char msg[CLI_ERR_MAX];
    rc = compare_with_checkpoint(r, &cp, &match, msg, sizeof msg);
    if (rc != EXIT_DONE)
        return rc;
    cli_print_verify_checkpoint(&r->out, &v, match, msg);
    return v.ok && match ? EXIT_DONE : EXIT_REFUSED;
}

/* cli_call_fn over call_server: the run's settings, another request. */
static int proof_call(void *ctx, const jifen_request *req, jifen_reply *reply)
{
    cli_run *r = ctx;
    jifen_request saved = r->req;
    r->req = *req;
    /* in the run's community */
    memcpy(r->req.community, saved.community, sizeof r->req.community);
    int rc = call_server(r, reply);
    r->req = saved;
    return rc;
}

/* proof_call without touching the run: a request of its own on a
 * connection of its own, so several threads may call it at once (the
 * billing run's requests in flight together). */
static int parallel_call(void *ctx, const jifen_request *req,
                         jifen_reply *reply)
{
    cli_run copy = *(const cli_run *)ctx;
    char community[sizeof copy.req.community];
    memcpy(community, copy.req.community, sizeof community);
    copy.req = *req;
    memcpy(copy.req.community, community, sizeof community);
    return call_server(&copy, reply);
}

/* The commands of cli_proof.h, or -1 when this run is none of them. */
static int run_merkle(cli_run *r, const cli_args *a, size_t first)
{
    cli_proof_env env = {.out = &r->out,
                         .call = proof_call,
                         .ctx = r,
                         .checkpoint = a->opt[OPT_CHECKPOINT],
                         .checkpoint_key = a->opt[OPT_CHECKPOINT_KEY]};
    switch (r->def->kind) {
    case JIFEN_CMD_INCLUSION:
        return cli_proof_entry(&env, r->cmd.entry);
    case JIFEN_CMD_CONSISTENCY:
        return cli_proof_consistency(&env, a->words[first],
                                     a->words[first + 1]);
    case JIFEN_CMD_REPORT:
        if (a->opt[OPT_PROOF] == NULL) {
            if (a->opt[OPT_CHECKPOINT] || a->opt[OPT_CHECKPOINT_KEY])
                return usage_error(r, "--checkpoint goes with --proof here");
            return -1;
        }
        if (a->opt[OPT_CSV])
            return usage_error(r, "--proof prints a table or --json, no CSV");
        return cli_proof_statement(&env, &r->cmd);
    case JIFEN_CMD_CHECKPOINT:
        if (!a->opt[OPT_QR] && !a->opt[OPT_SVG] && !a->opt[OPT_PNG])
            return -1;
        return cli_checkpoint_picture(&env, r->cmd.entry, a->opt[OPT_QR],
                                      a->opt[OPT_SVG], a->opt[OPT_PNG]);
    default:
        return -1;
    }
}

/* The commands of cli_desk.h (the property desk, and every report as
 * people read it), or -1 when this run is none of them. */
static int run_desk(cli_run *r, const cli_args *a)
{
    cli_desk_env env = {.out = &r->out,
                        .call = proof_call,
                        .parallel = parallel_call,
                        .ctx = r,
                        .lang = i18n_lang_choose(a->opt[OPT_LANG]),
                        .xlsx = a->opt[OPT_XLSX],
                        .progress = !r->out.json && isatty(STDERR_FILENO),
                        .request_id = r->req.request_id};
    if (env.xlsx && (r->out.json || r->out.csv))
        return usage_error(r, "--xlsx writes a workbook: not with --csv or "
                              "--json");
    if (env.xlsx && env.xlsx[0] == '\0')
        return usage_error(r, "--xlsx: empty");
    switch (r->def->kind) {
    case JIFEN_CMD_REPORT:
        /* The committee's reports are laid out by cli_committee.c (an
         * honour board is not a table), in JSON and CSV as before; a
         * workbook of any report is the desk's. */
        if (cli_committee_report_kind(r->cmd.code) && !env.xlsx)
            return -1;
        return cli_desk_report(&env, &r->cmd);
    case JIFEN_CMD_SHIFTS:
        return cli_desk_report(&env, &r->cmd);
    case JIFEN_CMD_ROLLUP:
        /* In Chinese and yuan like the reports; --json as it always was. */
        if (r->out.json)
            return -1;
        return cli_desk_report(&env, &r->cmd);
    case JIFEN_CMD_RECEIPT:
        return cli_desk_receipt(&env, r->cmd.entry);
    case JIFEN_CMD_BILLING_PLAN: {
        uint64_t batch = JIFEN_BATCH_MAX;
        char err[CLI_ERR_MAX];
        if (a->opt[OPT_BATCH] &&
            count_arg(a->opt[OPT_BATCH], "--batch", 1, JIFEN_BATCH_MAX, &batch,
                      err, sizeof err) != 0)
            return usage_error(r, err);
        return cli_desk_billing_run(&env, r->cmd.period,
                                    r->cmd.code[0] ? r->cmd.code : NULL,
                                    a->opt[OPT_DRY_RUN] != NULL,
                                    (size_t)batch);
    }
    case JIFEN_CMD_SHIFT_CLOSE:
        return cli_desk_shift_close(&env, r->cmd.note);
    default:
        return -1;
    }
}

/* The commands of cli_committee.h (issue 15), or -1 when this run is none
 * of them. */
static int run_committee(cli_run *r, const cli_args *a, size_t first)
{
    cli_committee_env env = {.out = &r->out,
                             .call = proof_call,
                             .ctx = r,
                             .encoding = a->opt[OPT_ENCODING],
                             .dry_run = a->opt[OPT_DRY_RUN] != NULL};
    const command_def *d = r->def;
    if (d->kind == JIFEN_CMD_AWARD && d->sub != NULL) {
        if (!r->cmd.effective[0]) /* the event was today, in Shanghai */
            clock_date_text((int64_t)time(NULL) * 1000, r->cmd.effective);
        return cli_committee_roster(&env, a->words[first], &r->cmd);
    }
    if (d->kind == JIFEN_CMD_OPENING)
        return cli_committee_opening(&env, a->words[first]);
    if (d->kind == JIFEN_CMD_PASSBOOK_MARK)
        return cli_committee_passbook(&env, r->cmd.household, r->cmd.entry);
    if (d->kind == JIFEN_CMD_REPORT && strcmp(r->cmd.code, "statement") == 0 &&
        !a->opt[OPT_CSV] && !a->opt[OPT_PROOF] && !a->opt[OPT_CHECKPOINT] &&
        !a->opt[OPT_CHECKPOINT_KEY] && !a->opt[OPT_XLSX])
        return cli_committee_statement(&env, &r->cmd);
    return -1;
}

/* `jifen keygen [--out PREFIX]`: local, nothing is sent. Prints the public
 * key, the one part that may be shown and passed on. */
static int run_keygen(cli_run *r, const cli_args *a)
{
    char err[CLI_ERR_MAX];
    char pub[JIFEN_KEY_Z85_LEN + 1];
    const char *prefix = a->opt[OPT_OUT] != NULL ? a->opt[OPT_OUT] : "jifen";

    if (*prefix == '\0')
        return usage_error(r, "--out: empty");
    if (jifen_keygen(prefix, pub, err, sizeof err) != 0) {
        cli_print_failure(&r->out, "error", err, NULL);
        return EXIT_REFUSED;
    }
    if (r->out.json) {
        char file[4096];
        json_out *j = json_out_new();
        json_out_str(j, "public_key", pub);
        snprintf(file, sizeof file, "%s.key", prefix);
        json_out_str(j, "secret_file", file);
        snprintf(file, sizeof file, "%s.pub", prefix);
        json_out_str(j, "public_file", file);
        json_out_print(r->out.out, &j);
    } else
        printf("%s\nwrote %s.key (secret, keep it) and %s.pub (give it to "
               "the admin to enrol)\n",
               pub, prefix, prefix);
    return EXIT_DONE;
}

/* `jifen help [COMMAND]`, `jifen --help`, `jifen COMMAND --help`. */
static int run_help(cli_run *r, const cli_args *a, size_t first)
{
    char err[CLI_ERR_MAX];
    size_t used = 0;

    if (a->n_words <= first) {
        print_help(stdout);
        return EXIT_DONE;
    }
    const command_def *d = find_command(a->words + first, a->n_words - first,
                                        &used, err, sizeof err);
    if (d == NULL && a->n_words == first + 1) {
        /* `jifen help shop`: every command of the group, one after the
         * other (what one looks for knowing only the first word). */
        size_t shown = 0;
        for (size_t i = 0; i < N_COMMANDS; i++)
            if (commands[i].sub != NULL &&
                strcmp(commands[i].name, a->words[first]) == 0) {
                fputs(shown++ ? "\n" : "", stdout);
                print_command_help(stdout, &commands[i]);
            }
        if (shown)
            return EXIT_DONE;
    }
    if (d == NULL)
        return usage_error(r, err);
    print_command_help(stdout, d);
    return EXIT_DONE;
}

int main(int argc, char **argv)
{
    cli_args a = {0};
    cli_run r = {.out = {.out = stdout, .err = stderr}};
    char err[CLI_ERR_MAX];
    size_t used = 0;

    parse_command_line(argc, argv, &a);
    r.out.json = a.opt[OPT_JSON] != NULL;
    r.out.csv = a.opt[OPT_CSV] != NULL;
    r.out.lang = i18n_lang_choose(a.opt[OPT_LANG]);
    if (a.err[0] != '\0')
        return usage_error(&r, a.err);
    if (a.opt[OPT_LANG] != NULL && strcmp(a.opt[OPT_LANG], "zh") != 0 &&
        strcmp(a.opt[OPT_LANG], "en") != 0 &&
        strcmp(a.opt[OPT_LANG], "zh-CN") != 0)
        return usage_error(&r, "--lang: zh or en");
    if (a.opt[OPT_VERSION] != NULL) {
        printf("jifen %s\n", JIFEN_VERSION);
        return EXIT_DONE;
    }
    if (a.n_words > 0 && strcmp(a.words[0], "help") == 0)
        return run_help(&r, &a, 1);
    if (a.opt[OPT_HELP] != NULL)
        return run_help(&r, &a, 0);
    if (a.n_words == 0)
        return usage_error(&r, "no command given");

    r.def = find_command(a.words, a.n_words, &used, err, sizeof err);
    if (r.def != NULL && r.def->kind == JIFEN_CMD_NONE) {
        if (build_command(r.def, &a, used, &r.cmd, err, sizeof err) != 0)
            return usage_error(&r, err);
        return run_keygen(&r, &a);
    }
    int rc;
    if (r.def == NULL ||
        build_command(r.def, &a, used, &r.cmd, err, sizeof err) != 0 ||
        configure(&r, &a, err, sizeof err) != 0 ||
        make_request(&r, &a, err, sizeof err) != 0)
        rc = usage_error(&r, err);
    else if ((rc = run_merkle(&r, &a, used)) >= 0)
        ; /* a proof, a statement with proofs, a QR code */
    else if ((rc = run_committee(&r, &a, used)) >= 0)
        ; /* a roster, an import, a passbook, a statement with its lines */
    else if ((rc = run_desk(&r, &a)) >= 0)
        ; /* the property desk, and the reports */
    else if (a.opt[OPT_CHECKPOINT] != NULL || a.opt[OPT_CHECKPOINT_KEY] != NULL)
        rc = verify_with_checkpoint(&r, &a);
    else
        rc = send_request(&r);
    free(r.cmd.text); /* policy load's file, if any */
    return rc;
}
