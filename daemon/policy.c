/*
 * policy - parsing and applying the points policy (see policy.h and
 * deploy/policy.conf for the file format).
 *
 * The parser is a single pass over the lines. Keys are described by one
 * table (name, section, kind, range, where the value goes), so adding a key is
 * one line and every key gets the same duplicate, range and syntax checks.
 * Checks that involve several keys of a section run when the section ends.
 */
#include "policy.h"

#include "clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest line, without its newline. Generous: a maximal description with
 * its key and a comment fits several times over. */
#define POLICY_LINE_MAX 1024
/* A policy file is a few kilobytes; anything near this is not a policy. */
#define POLICY_FILE_MAX (1024 * 1024)

#define POLICY_FEN_PER_POINT_MAX 100000
/* A per-hour award counts at most JIFEN_HOURS_MAX hours, so this bound keeps
 * every award within JIFEN_POINTS_MAX whatever max_hours says. */
#define POLICY_POINTS_PER_HOUR_MAX (JIFEN_POINTS_MAX / JIFEN_HOURS_MAX)

#if defined(__GNUC__)
#define POLICY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define POLICY_PRINTF(f, a)
#endif

/* --- errors ------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    POLICY_PRINTF(3, 4);

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* --- the key table ------------------------------------------------------ */

typedef enum {
    SEC_TOP,      /* before the first [section] */
    SEC_ACTIVITY, /* [activity CODE] */
    SEC_RULE,     /* [rule CODE] */
    SEC_FEE,      /* [fee CODE]: the fee schedule (issue 14) */
} section_kind;

typedef enum {
    VAL_UINT, /* decimal, stored as uint32_t; min..max is the value range */
    VAL_NAME, /* [A-Za-z0-9._-]; min..max is the length in bytes */
    VAL_TEXT, /* printable UTF-8; min..max is the length in bytes */
} value_kind;

typedef enum {
    KEY_VERSION,
    KEY_FEN_PER_POINT,
    KEY_MAX_OFFSET_PERCENT,
    KEY_EFFECTIVE,
    KEY_RESOLUTION,
    KEY_MAX_REDEEM_PER_YEAR,
    KEY_NOTICE_DAYS,
    KEY_APPROVAL_ABOVE,
    KEY_EXPIRY,
    KEY_EXPIRY_MONTHS,
    KEY_ACT_DESCRIPTION,
    KEY_ACT_POINTS,
    KEY_ACT_POINTS_PER_HOUR,
    KEY_ACT_MAX_HOURS,
    KEY_ACT_MAX_POINTS,
    KEY_ACT_MAX_PER_MONTH,
    KEY_ACT_MAX_PER_YEAR,
    KEY_RULE_DESCRIPTION,
    KEY_RULE_POINTS,
    KEY_RULE_MAX_POINTS,
    KEY_RULE_SUSPEND_MONTHS,
    KEY_PAYEE,
    KEY_ONTIME_DAY,
    KEY_ONTIME_POINTS,
    KEY_FEE_NAME,
    KEY_FEE_BASIS,
    KEY_FEE_RATE,
    KEY_RULE_SUSPEND_AWARD_MONTHS,
    KEY_COUNT
} key_id;

typedef struct {
    const char *name;
    section_kind section;
    value_kind kind;
    bool required; /* top-level only; sections check their keys at the end */
    uint64_t min, max;
    size_t offset; /* into policy, policy_activity or policy_rule; a string
                      field holds max bytes and its NUL */
} key_spec;

#define FIELD(type, member) offsetof(type, member)

/* Indexed by key_id. points_per_hour lands in `points` too: per_hour says
 * how to read it. */
static const key_spec keys[KEY_COUNT] = {
    [KEY_VERSION] = {"version", SEC_TOP, VAL_NAME, true, 1, JIFEN_POLICY_MAX,
                     FIELD(policy, version)},
    [KEY_FEN_PER_POINT] = {"fen_per_point", SEC_TOP, VAL_UINT, true, 1,
                           POLICY_FEN_PER_POINT_MAX,
                           FIELD(policy, fen_per_point)},
    [KEY_MAX_OFFSET_PERCENT] = {"max_offset_percent", SEC_TOP, VAL_UINT, true,
                                1, 100, FIELD(policy, max_offset_percent)},
    [KEY_EFFECTIVE] = {"effective", SEC_TOP, VAL_TEXT, false, POLICY_DATE_LEN,
                       POLICY_DATE_LEN, FIELD(policy, effective)},
    [KEY_RESOLUTION] = {"resolution", SEC_TOP, VAL_TEXT, false, 1,
                        POLICY_DESCRIPTION_MAX, FIELD(policy, resolution)},
    [KEY_MAX_REDEEM_PER_YEAR] = {"max_redeem_points_per_year", SEC_TOP,
                                 VAL_UINT, false, 1, JIFEN_POINTS_MAX,
                                 FIELD(policy, max_redeem_per_year)},
    [KEY_NOTICE_DAYS] = {"notice_days", SEC_TOP, VAL_UINT, false, 1,
                         POLICY_NOTICE_DAYS_MAX, FIELD(policy, notice_days)},
    [KEY_APPROVAL_ABOVE] = {"approval_above", SEC_TOP, VAL_UINT, false, 1,
                            JIFEN_POINTS_MAX, FIELD(policy, approval_above)},
    [KEY_EXPIRY] = {"expiry", SEC_TOP, VAL_NAME, false, 1,
                    POLICY_EXPIRY_TEXT_MAX, FIELD(policy, expiry)},
    [KEY_EXPIRY_MONTHS] = {"expiry_months", SEC_TOP, VAL_UINT, false, 1,
                           POLICY_EXPIRY_MONTHS_MAX,
                           FIELD(policy, expiry_months)},
    [KEY_ACT_DESCRIPTION] = {"description", SEC_ACTIVITY, VAL_TEXT, false, 1,
                             POLICY_DESCRIPTION_MAX,
                             FIELD(policy_activity, description)},
    [KEY_ACT_POINTS] = {"points", SEC_ACTIVITY, VAL_UINT, false, 1,
                        JIFEN_POINTS_MAX, FIELD(policy_activity, points)},
    [KEY_ACT_POINTS_PER_HOUR] = {"points_per_hour", SEC_ACTIVITY, VAL_UINT,
                                 false, 1, POLICY_POINTS_PER_HOUR_MAX,
                                 FIELD(policy_activity, points)},
    [KEY_ACT_MAX_HOURS] = {"max_hours", SEC_ACTIVITY, VAL_UINT, false, 1,
                           JIFEN_HOURS_MAX, FIELD(policy_activity, max_hours)},
    [KEY_ACT_MAX_POINTS] = {"max_points", SEC_ACTIVITY, VAL_UINT, false, 1,
                            JIFEN_POINTS_MAX,
                            FIELD(policy_activity, max_points)},
    [KEY_ACT_MAX_PER_MONTH] = {"max_per_month", SEC_ACTIVITY, VAL_UINT, false,
                               1, JIFEN_POINTS_MAX,
                               FIELD(policy_activity, max_per_month)},
    [KEY_ACT_MAX_PER_YEAR] = {"max_per_year", SEC_ACTIVITY, VAL_UINT, false, 1,
                              JIFEN_POINTS_MAX,
                              FIELD(policy_activity, max_per_year)},
    [KEY_RULE_DESCRIPTION] = {"description", SEC_RULE, VAL_TEXT, false, 1,
                              POLICY_DESCRIPTION_MAX,
                              FIELD(policy_rule, description)},
    [KEY_RULE_POINTS] = {"points", SEC_RULE, VAL_UINT, false, 1,
                         JIFEN_POINTS_MAX, FIELD(policy_rule, points)},
    [KEY_RULE_MAX_POINTS] = {"max_points", SEC_RULE, VAL_UINT, false, 1,
                             JIFEN_POINTS_MAX, FIELD(policy_rule, max_points)},
    [KEY_RULE_SUSPEND_MONTHS] = {"suspend_months", SEC_RULE, VAL_UINT, false,
                                 1, POLICY_SUSPEND_MONTHS_MAX,
                                 FIELD(policy_rule, suspend_months)},
    [KEY_PAYEE] = {"payee", SEC_TOP, VAL_TEXT, false, 1,
                   POLICY_DESCRIPTION_MAX, FIELD(policy, payee)},
    [KEY_ONTIME_DAY] = {"ontime_day", SEC_TOP, VAL_UINT, false, 1,
                        POLICY_ONTIME_DAY_MAX, FIELD(policy, ontime_day)},
    [KEY_ONTIME_POINTS] = {"ontime_points", SEC_TOP, VAL_UINT, false, 1,
                           POLICY_ONTIME_POINTS_MAX,
                           FIELD(policy, ontime_points)},
    [KEY_FEE_NAME] = {"name", SEC_FEE, VAL_TEXT, false, 1, POLICY_FEE_NAME_MAX,
                      FIELD(policy_fee, name)},
    [KEY_FEE_BASIS] = {"basis", SEC_FEE, VAL_NAME, false, 1, 7,
                       FIELD(policy_fee, basis_text)},
    [KEY_FEE_RATE] = {"rate_fen", SEC_FEE, VAL_UINT, false, 1,
                      POLICY_FEE_RATE_MAX, FIELD(policy_fee, rate_fen)},
    [KEY_RULE_SUSPEND_AWARD_MONTHS] = {"suspend_award_months", SEC_RULE,
                                       VAL_UINT, false, 1,
                                       POLICY_SUSPEND_MONTHS_MAX,
                                       FIELD(policy_rule,
                                             suspend_award_months)},
};
_Static_assert(KEY_COUNT <= 32, "the parser keeps one bit per key");

/* --- parser state ------------------------------------------------------- */

typedef struct {
    policy *p;
    const char *origin;
    char *err;
    size_t errlen;
    unsigned line;         /* current line, from 1 */
    section_kind section;  /* the section being read */
    unsigned section_line; /* its header's line */
    void *target;          /* the struct its keys fill */
    uint32_t seen;         /* bit per key_id seen in this section */
    uint32_t seen_top;     /* the top-level keys seen */
    unsigned activity_line[POLICY_ACTIVITIES_MAX];
    unsigned rule_line[POLICY_RULES_MAX];
    unsigned fee_line[POLICY_FEES_MAX];
} parser;

static void fail_at(parser *ps, unsigned line, const char *fmt, ...)
    POLICY_PRINTF(3, 4);

/* "ORIGIN:LINE: problem", or "ORIGIN: problem" when line is 0. */
static void fail_at(parser *ps, unsigned line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (ps->err == NULL || ps->errlen == 0)
        return;
    if (line > 0)
        n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->origin, line);
    else
        n = snprintf(ps->err, ps->errlen, "%s: ", ps->origin);
    if (n < 0 || (size_t)n >= ps->errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static const char *section_name(section_kind s)
{
    return s == SEC_ACTIVITY ? "activity"
           : s == SEC_RULE   ? "rule"
           : s == SEC_FEE    ? "fee"
                             : "";
}

/* The code of the section being read, for messages. */
static const char *section_code(const parser *ps)
{
    if (ps->section == SEC_ACTIVITY)
        return ((const policy_activity *)ps->target)->code;
    if (ps->section == SEC_RULE)
        return ((const policy_rule *)ps->target)->code;
    if (ps->section == SEC_FEE)
        return ((const policy_fee *)ps->target)->code;
    return "";
}

/* --- lexical helpers ---------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_code_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool is_name_char(char c)
{
    return is_code_char(c) || (c >= 'A' && c <= 'Z') || c == '.';
}

/* Trims blanks at both ends in place; returns the new start. */
static char *trim(char *s)
{
    size_t n;

    while (is_space(*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A '#' at the start or after a blank begins a comment, so a description can
 * still say "C#" or "No.#3" but "points = 2  # two" is 2. */
static void strip_comment(char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '#' && (i == 0 || is_space(s[i - 1]))) {
            s[i] = '\0';
            return;
        }
    }
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is malformed
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0; /* continuation byte, overlong 0xC0/0xC1, or > U+10FFFF */
    cp = c & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

/* Decimal digits only: no sign, no blanks, no hex, no overflow. atoi and
 * strtoul accept "-1", " 7" or "12abc"; a policy typo must not slip through
 * as a number. */
static bool parse_uint(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        unsigned d;

        if (*s < '0' || *s > '9')
            return false;
        d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* --- values ------------------------------------------------------------- */

static int set_uint(parser *ps, const key_spec *k, const char *value)
{
    uint64_t v;
    uint32_t v32;

    if (!parse_uint(value, &v) || v < k->min || v > k->max) {
        fail_at(ps, ps->line,
                "%s must be a whole number from %" PRIu64 " to %" PRIu64
                ", not \"%s\"",
                k->name, k->min, k->max, value);
        return -1;
    }
    /* Every VAL_UINT field is a uint32_t and k->max fits one. memcpy, as the
     * table only knows an offset, not the field's type. */
    v32 = (uint32_t)v;
    memcpy((char *)ps->target + k->offset, &v32, sizeof(v32));
    return 0;
}

static int check_name(parser *ps, const key_spec *k, const char *value)
{
    for (const char *c = value; *c != '\0'; c++) {
        if (!is_name_char(*c)) {
            fail_at(ps, ps->line,
                    "%s may use only letters, digits, '.', '_' and '-'",
                    k->name);
            return -1;
        }
    }
    return 0;
}

static int check_text(parser *ps, const key_spec *k, const char *value)
{
    const unsigned char *s = (const unsigned char *)value;

    while (*s != '\0') {
        size_t n = utf8_seq_len(s);

        if (n == 0) {
            fail_at(ps, ps->line, "%s is not valid UTF-8", k->name);
            return -1;
        }
        s += n;
    }
    return 0;
}

static int set_string(parser *ps, const key_spec *k, const char *value)
{
    size_t len = strlen(value);

    if (len < k->min || len > k->max) {
        fail_at(ps, ps->line,
                "%s must be %" PRIu64 " to %" PRIu64 " bytes long, not %zu",
                k->name, k->min, k->max, len);
        return -1;
    }
    if (k->kind == VAL_NAME ? check_name(ps, k, value) < 0
                            : check_text(ps, k, value) < 0)
        return -1;
    memcpy((char *)ps->target + k->offset, value, len + 1);
    return 0;
}

static const key_spec *find_key(section_kind section, const char *name,
                                key_id *id)
{
    for (int i = 0; i < KEY_COUNT; i++) {
        if (keys[i].section == section && strcmp(keys[i].name, name) == 0) {
            *id = (key_id)i;
            return &keys[i];
        }
    }
    return NULL;
}

static int unknown_key(parser *ps, const char *name)
{
    key_id id;

    if (ps->section == SEC_TOP) {
        fail_at(ps, ps->line,
                "unknown key %s (expected version, "
                "fen_per_point or max_offset_percent)",
                name);
    } else if (find_key(SEC_TOP, name, &id) != NULL) {
        fail_at(ps, ps->line,
                "%s belongs at the top of the file, before the first "
                "[section]",
                name);
    } else {
        fail_at(ps, ps->line, "unknown key %s in [%s %s]", name,
                section_name(ps->section), section_code(ps));
    }
    return -1;
}

static int key_value_line(parser *ps, char *line)
{
    char *eq = strchr(line, '=');
    char *name, *value;
    const key_spec *k;
    key_id id;

    if (eq == NULL) {
        fail_at(ps, ps->line,
                "expected \"key = value\" or \"[section]\", "
                "got \"%s\"",
                line);
        return -1;
    }
    *eq = '\0';
    name = trim(line);
    value = trim(eq + 1);
    if (*name == '\0') {
        fail_at(ps, ps->line, "missing key before '='");
        return -1;
    }
    k = find_key(ps->section, name, &id);
    if (k == NULL)
        return unknown_key(ps, name);
    if (ps->seen & (UINT32_C(1) << id)) {
        fail_at(ps, ps->line, "duplicate key %s", name);
        return -1;
    }
    ps->seen |= UINT32_C(1) << id;
    if (*value == '\0') {
        fail_at(ps, ps->line, "%s has no value", name);
        return -1;
    }
    return k->kind == VAL_UINT ? set_uint(ps, k, value)
                               : set_string(ps, k, value);
}

/* --- sections ----------------------------------------------------------- */

#define SEEN(ps, id) (((ps)->seen & (UINT32_C(1) << (id))) != 0)

static int finish_activity(parser *ps)
{
    policy_activity *a = ps->target;
    bool fixed = SEEN(ps, KEY_ACT_POINTS);
    bool hourly = SEEN(ps, KEY_ACT_POINTS_PER_HOUR);
    unsigned line = ps->section_line;

    if (fixed == hourly) {
        fail_at(ps, line,
                "[activity %s] needs exactly one of points (per "
                "event) or points_per_hour",
                a->code);
        return -1;
    }
    a->per_hour = hourly;
    if (SEEN(ps, KEY_ACT_MAX_HOURS) && !hourly) {
        fail_at(ps, line,
                "[activity %s] has max_hours but no "
                "points_per_hour",
                a->code);
        return -1;
    }
    /* An hourly award is set by its hours; a points override would bypass
     * the hour cap, so award refuses one and the file may not promise it. */
    if (SEEN(ps, KEY_ACT_MAX_POINTS) && hourly) {
        fail_at(ps, line,
                "[activity %s] is counted per hour; max_points "
                "applies only to activities with points",
                a->code);
        return -1;
    }
    if (a->max_per_month && a->max_per_year &&
        a->max_per_month > a->max_per_year) {
        fail_at(ps, line,
                "[activity %s] has max_per_month %" PRIu32
                " above max_per_year %" PRIu32,
                a->code, a->max_per_month, a->max_per_year);
        return -1;
    }
    if (SEEN(ps, KEY_ACT_MAX_POINTS) && a->max_points < a->points) {
        fail_at(ps, line,
                "[activity %s] has max_points %" PRIu32
                " below points %" PRIu32,
                a->code, a->max_points, a->points);
        return -1;
    }
    return 0;
}

static int finish_rule(parser *ps)
{
    policy_rule *r = ps->target;
    unsigned line = ps->section_line;

    if (!SEEN(ps, KEY_RULE_POINTS)) {
        fail_at(ps, line, "[rule %s] needs points", r->code);
        return -1;
    }
    if (SEEN(ps, KEY_RULE_MAX_POINTS) && r->max_points < r->points) {
        fail_at(ps, line,
                "[rule %s] has max_points %" PRIu32 " below points %" PRIu32,
                r->code, r->max_points, r->points);
        return -1;
    }
    return 0;
}

/* A fee item needs its name (the receipt prints it), how it is priced and
 * its rate. */
static int finish_fee(parser *ps)
{
    policy_fee *f = ps->target;
    unsigned line = ps->section_line;
    static const char *const bases[] = {
        [JIFEN_BASIS_AREA] = "area",
        [JIFEN_BASIS_FIXED] = "fixed",
        [JIFEN_BASIS_UNIT] = "unit",
    };

    if (!SEEN(ps, KEY_FEE_NAME) || !SEEN(ps, KEY_FEE_BASIS) ||
        !SEEN(ps, KEY_FEE_RATE)) {
        fail_at(ps, line, "[fee %s] needs name, basis and rate_fen", f->code);
        return -1;
    }
    for (int b = JIFEN_BASIS_AREA; b <= JIFEN_BASIS_UNIT; b++)
        if (strcmp(f->basis_text, bases[b]) == 0)
            f->basis = (jifen_fee_basis)b;
    if (f->basis == JIFEN_BASIS_NONE) {
        fail_at(ps, line,
                "[fee %s] basis must be area (per m2 per month), fixed (per "
                "month) or unit (per unit per month), not %s",
                f->code, f->basis_text);
        return -1;
    }
    return 0;
}

static int finish_section(parser *ps)
{
    switch (ps->section) {
    case SEC_ACTIVITY:
        return finish_activity(ps);
    case SEC_RULE:
        return finish_rule(ps);
    case SEC_FEE:
        return finish_fee(ps);
    case SEC_TOP:
        ps->seen_top = ps->seen;
        return 0;
    }
    return 0;
}

/* Finds code among the first n entries (activities or rules); returns its
 * index or -1. */
static int index_of_activity(const policy *p, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p->activities[i].code, code) == 0)
            return (int)i;
    return -1;
}

static int index_of_rule(const policy *p, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p->rules[i].code, code) == 0)
            return (int)i;
    return -1;
}

static int begin_activity(parser *ps, const char *code)
{
    policy *p = ps->p;
    int dup = index_of_activity(p, p->n_activities, code);
    policy_activity *a;

    if (dup >= 0) {
        fail_at(ps, ps->line, "duplicate activity %s (first at line %u)", code,
                ps->activity_line[dup]);
        return -1;
    }
    if (p->n_activities == POLICY_ACTIVITIES_MAX) {
        fail_at(ps, ps->line, "too many activities (at most %d)",
                POLICY_ACTIVITIES_MAX);
        return -1;
    }
    ps->activity_line[p->n_activities] = ps->line;
    a = &p->activities[p->n_activities++];
    memcpy(a->code, code, strlen(code) + 1);
    ps->target = a;
    return 0;
}

static int begin_rule(parser *ps, const char *code)
{
    policy *p = ps->p;
    int dup = index_of_rule(p, p->n_rules, code);
    policy_rule *r;

    if (dup >= 0) {
        fail_at(ps, ps->line, "duplicate rule %s (first at line %u)", code,
                ps->rule_line[dup]);
        return -1;
    }
    if (p->n_rules == POLICY_RULES_MAX) {
        fail_at(ps, ps->line, "too many rules (at most %d)", POLICY_RULES_MAX);
        return -1;
    }
    ps->rule_line[p->n_rules] = ps->line;
    r = &p->rules[p->n_rules++];
    memcpy(r->code, code, strlen(code) + 1);
    ps->target = r;
    return 0;
}

static int begin_fee(parser *ps, const char *code)
{
    policy *p = ps->p;

    for (size_t i = 0; i < p->n_fees; i++) {
        if (strcmp(p->fees[i].code, code) == 0) {
            fail_at(ps, ps->line, "duplicate fee %s (first at line %u)", code,
                    ps->fee_line[i]);
            return -1;
        }
    }
    if (p->n_fees == POLICY_FEES_MAX) {
        fail_at(ps, ps->line, "too many fee items (at most %d)",
                POLICY_FEES_MAX);
        return -1;
    }
    ps->fee_line[p->n_fees] = ps->line;
    policy_fee *f = &p->fees[p->n_fees++];
    memcpy(f->code, code, strlen(code) + 1);
    ps->target = f;
    return 0;
}

static int check_code(parser *ps, const char *code)
{
    size_t len = strlen(code);

    if (len == 0) {
        fail_at(ps, ps->line, "section needs a code, as in [activity CODE]");
        return -1;
    }
    if (len > JIFEN_CODE_MAX) {
        fail_at(ps, ps->line, "code is longer than %d characters",
                JIFEN_CODE_MAX);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_code_char(code[i])) {
            fail_at(ps, ps->line,
                    "code \"%s\" may use only a-z, 0-9, '_' "
                    "and '-'",
                    code);
            return -1;
        }
    }
    return 0;
}

/* "[TYPE CODE]" with the brackets already known to be there. */
static int section_line(parser *ps, char *line)
{
    size_t len = strlen(line);
    char *type, *code, *rest;

    if (line[len - 1] != ']') {
        fail_at(ps, ps->line, "section header must end with ']'");
        return -1;
    }
    line[len - 1] = '\0';
    type = trim(line + 1);
    code = type + strcspn(type, " \t");
    if (*code != '\0')
        *code++ = '\0';
    code = trim(code);
    rest = code + strcspn(code, " \t");
    if (strcmp(type, "activity") != 0 && strcmp(type, "rule") != 0 &&
        strcmp(type, "fee") != 0) {
        fail_at(ps, ps->line,
                "unknown section type \"%s\" (expected "
                "[activity CODE], [rule CODE] or [fee CODE])",
                type);
        return -1;
    }
    if (*rest != '\0') {
        fail_at(ps, ps->line, "a section header is [%s CODE], one code only",
                type);
        return -1;
    }
    if (check_code(ps, code) < 0 || finish_section(ps) < 0)
        return -1;
    ps->section = type[0] == 'a'   ? SEC_ACTIVITY
                  : type[0] == 'r' ? SEC_RULE
                                   : SEC_FEE;
    ps->section_line = ps->line;
    ps->seen = 0;
    if (ps->section == SEC_FEE)
        return begin_fee(ps, code);
    return ps->section == SEC_ACTIVITY ? begin_activity(ps, code)
                                       : begin_rule(ps, code);
}

/* --- lines --------------------------------------------------------------
 *
 * The line reader is ours, not an INI library's (inih is in Debian): a rule
 * set's text is in the hash chain (PolicyLoad) and `policy show` must read
 * back the same forever, so its grammar cannot depend on a library's build
 * options (inih's continuation lines, ';' comments, truncation of long
 * lines are compile-time choices of the packager). What a library would
 * save is these few lines; the checks around them stay either way.
 */

/* Copies one raw line into buf (NUL-terminated) after the checks that need
 * the raw bytes: length, NUL, control characters. A final '\r' is dropped
 * so files edited on Windows load. */
static int take_line(parser *ps, const char *raw, size_t n, char *buf)
{
    if (n > 0 && raw[n - 1] == '\r')
        n--;
    if (n > POLICY_LINE_MAX) {
        fail_at(ps, ps->line, "line is longer than %d bytes", POLICY_LINE_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];

        if (c == '\0') {
            fail_at(ps, ps->line, "NUL byte in the text");
            return -1;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            fail_at(ps, ps->line, "control character 0x%02X in the text", c);
            return -1;
        }
    }
    memcpy(buf, raw, n);
    buf[n] = '\0';
    return 0;
}

static int parse_line(parser *ps, const char *raw, size_t n)
{
    char buf[POLICY_LINE_MAX + 1];
    char *line;

    if (take_line(ps, raw, n, buf) < 0)
        return -1;
    strip_comment(buf);
    line = trim(buf);
    if (*line == '\0')
        return 0;
    if (*line == '[')
        return section_line(ps, line);
    return key_value_line(ps, line);
}

/* `effective` is a calendar date; the rule set starts at its 00:00 in
 * Asia/Shanghai. Without one it applies from the beginning. */
static int finish_effective(parser *ps)
{
    policy *p = ps->p;
    if (p->effective[0] == '\0') {
        p->effective_ms = INT64_MIN;
        return 0;
    }
    if (clock_parse_date(p->effective, &p->effective_ms) != 0) {
        fail_at(ps, 0, "effective must be a date YYYY-MM-DD, not %s",
                p->effective);
        return -1;
    }
    return 0;
}

/* expiry names one of three schemes; expiry_months goes with "months". */
static int finish_expiry(parser *ps)
{
    policy *p = ps->p;
    static const char *const names[] = {
        [POLICY_EXPIRY_NEVER] = "never",
        [POLICY_EXPIRY_MONTHS] = "months",
        [POLICY_EXPIRY_FOLLOWING_YEAR_END] = "end-of-following-year",
    };
    int kind = p->expiry[0] ? -1 : POLICY_EXPIRY_NEVER;
    for (int i = 0; kind < 0 && i < 3; i++)
        if (strcmp(p->expiry, names[i]) == 0)
            kind = i;
    if (kind < 0) {
        fail_at(ps, 0, "expiry must be never, months or "
                       "end-of-following-year, not %s",
                p->expiry);
        return -1;
    }
    p->expiry_kind = (policy_expiry)kind;
    if ((kind == POLICY_EXPIRY_MONTHS) != (p->expiry_months != 0)) {
        fail_at(ps, 0, "expiry_months goes with expiry = months, and only "
                       "with it");
        return -1;
    }
    return 0;
}

/* The checks that need the whole file. */
static int finish_file(parser *ps)
{
    if (finish_section(ps) < 0)
        return -1;
    for (int i = 0; i < KEY_COUNT; i++) {
        const key_spec *k = &keys[i];

        if (k->required && !(ps->seen_top & (UINT32_C(1) << i))) {
            fail_at(ps, 0, "missing %s (required at the top of the file)",
                    k->name);
            return -1;
        }
    }
    if (finish_effective(ps) < 0 || finish_expiry(ps) < 0)
        return -1;
    if ((ps->p->ontime_day != 0) != (ps->p->ontime_points != 0)) {
        fail_at(ps, 0, "ontime_day and ontime_points go together: points for "
                       "a month's bills paid in full by that day");
        return -1;
    }
    if (ps->p->n_activities == 0) {
        fail_at(ps, 0,
                "no [activity CODE] sections: nothing could earn "
                "points");
        return -1;
    }
    return 0;
}

static int parse_into(parser *ps, const char *text, size_t len)
{
    const char *end = text + len;
    const char *s = text;

    /* Editors on Windows like to start UTF-8 files with a BOM. */
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    ps->line = 1;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);

        if (parse_line(ps, s, n) < 0)
            return -1;
        s += n + (nl != NULL);
        ps->line++;
    }
    return finish_file(ps);
}

/* --- public: loading ---------------------------------------------------- */

int policy_parse(policy *out, const char *text, size_t len, const char *origin,
                 char *err, size_t errlen)
{
    parser *ps;
    policy *p;
    int rc;

    if (origin == NULL)
        origin = "policy";
    if (out == NULL || (text == NULL && len > 0)) {
        set_err(err, errlen, "%s: no policy text", origin);
        return -1;
    }
    /* Parse into a scratch copy (about 20 KiB, too big for a thread stack
     * to take lightly) so a bad file leaves *out as it was. */
    ps = calloc(1, sizeof(*ps));
    p = calloc(1, sizeof(*p));
    if (ps == NULL || p == NULL) {
        free(ps);
        free(p);
        set_err(err, errlen, "%s: out of memory", origin);
        return -1;
    }
    ps->p = p;
    ps->origin = origin;
    ps->err = err;
    ps->errlen = errlen;
    ps->section = SEC_TOP;
    ps->target = p;
    rc = parse_into(ps, text != NULL ? text : "", len);
    if (rc == 0)
        *out = *p;
    free(ps);
    free(p);
    return rc;
}

/* Reads the whole file into a malloc'd buffer. */
static int read_file(const char *path, char **text, size_t *len, char *err,
                     size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (f == NULL) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    buf = malloc(POLICY_FILE_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        set_err(err, errlen, "%s: out of memory", path);
        return -1;
    }
    /* Reading one byte past the limit tells "too large" from "just fits". */
    n = fread(buf, 1, POLICY_FILE_MAX + 1, f);
    if (ferror(f)) {
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    } else if (n > POLICY_FILE_MAX) {
        set_err(err, errlen, "%s: larger than %d bytes; not a policy file",
                path, POLICY_FILE_MAX);
    } else {
        fclose(f);
        *text = buf;
        *len = n;
        return 0;
    }
    fclose(f);
    free(buf);
    return -1;
}

int policy_load_file(policy *out, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int rc;

    if (path == NULL) {
        set_err(err, errlen, "policy: no file name");
        return -1;
    }
    if (read_file(path, &text, &len, err, errlen) < 0)
        return -1;
    rc = policy_parse(out, text, len, path, err, errlen);
    free(text);
    return rc;
}

int policy_load_default(policy *out, char *err, size_t errlen)
{
    return policy_parse(out, policy_default_text, policy_default_text_len,
                        "embedded deploy/policy.conf", err, errlen);
}

const policy_activity *policy_find_activity(const policy *p, const char *code)
{
    int i;

    if (p == NULL || code == NULL)
        return NULL;
    i = index_of_activity(p, p->n_activities, code);
    return i >= 0 ? &p->activities[i] : NULL;
}

const policy_fee *policy_find_fee(const policy *p, const char *code)
{
    if (p == NULL || code == NULL)
        return NULL;
    for (size_t i = 0; i < p->n_fees; i++)
        if (strcmp(p->fees[i].code, code) == 0)
            return &p->fees[i];
    return NULL;
}

jifen_status policy_fee_amount(const policy_fee *fee, uint32_t area_centi_m2,
                               uint32_t units, uint64_t *fen,
                               uint32_t *quantity,
                               char problem[JIFEN_PROBLEM_MAX + 1])
{
    problem[0] = '\0';
    *fen = 0;
    *quantity = 0;
    switch (fee->basis) {
    case JIFEN_BASIS_AREA:
        if (area_centi_m2 == 0) {
            snprintf(problem, JIFEN_PROBLEM_MAX + 1, "no_area");
            return JIFEN_STATUS_NOT_BILLABLE;
        }
        /* (area in 0.01 m2 x fen per m2) is in 0.01 fen: half up to the
         * fen. At most 2^32 x 10^7, well inside 64 bits. */
        *fen = ((uint64_t)area_centi_m2 * fee->rate_fen + 50) / 100;
        *quantity = area_centi_m2;
        break;
    case JIFEN_BASIS_FIXED:
        *fen = fee->rate_fen;
        break;
    case JIFEN_BASIS_UNIT:
        if (units == 0) {
            snprintf(problem, JIFEN_PROBLEM_MAX + 1, "no_units");
            return JIFEN_STATUS_NOT_BILLABLE;
        }
        *fen = (uint64_t)units * fee->rate_fen;
        *quantity = units;
        break;
    default:
        snprintf(problem, JIFEN_PROBLEM_MAX + 1, "no_basis");
        return JIFEN_STATUS_NOT_BILLABLE;
    }
    if (*fen == 0) { /* a tiny area at a tiny rate: nothing to bill */
        snprintf(problem, JIFEN_PROBLEM_MAX + 1, "zero");
        return JIFEN_STATUS_NOT_BILLABLE;
    }
    return JIFEN_STATUS_OK;
}

int64_t policy_ontime_deadline(const policy *p, int64_t period_start_ms)
{
    if (p == NULL || p->ontime_day == 0)
        return 0;
    /* Asia/Shanghai has no daylight saving: a day is always 24 hours. */
    return period_start_ms + (int64_t)p->ontime_day * CLOCK_DAY_MS;
}

const policy_rule *policy_find_rule(const policy *p, const char *code)
{
    int i;

    if (p == NULL || code == NULL)
        return NULL;
    i = index_of_rule(p, p->n_rules, code);
    return i >= 0 ? &p->rules[i] : NULL;
}

/* --- public: applying --------------------------------------------------- */

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static jifen_status award_per_hour(const policy_activity *a,
                                   const jifen_command *award, uint32_t *points,
                                   char *err, size_t errlen)
{
    uint32_t hours = award->hours;

    if (award->points != 0) {
        set_err(err, errlen,
                "activity %s is counted per hour (%" PRIu32
                " point%s an hour); give --hours, not --points",
                a->code, a->points, plural(a->points));
        return JIFEN_STATUS_BAD_REQUEST;
    }
    if (hours == 0) {
        if (a->max_hours > 0)
            set_err(err, errlen,
                    "activity %s needs --hours (%" PRIu32
                    " point%s an hour, at most %" PRIu32 " hours counted)",
                    a->code, a->points, plural(a->points), a->max_hours);
        else
            set_err(err, errlen,
                    "activity %s needs --hours (%" PRIu32 " point%s an hour)",
                    a->code, a->points, plural(a->points));
        return JIFEN_STATUS_BAD_REQUEST;
    }
    if (hours > JIFEN_HOURS_MAX) {
        set_err(err, errlen, "hours must be 1 to %u, not %" PRIu32,
                JIFEN_HOURS_MAX, hours);
        return JIFEN_STATUS_BAD_REQUEST;
    }
    /* Hours past the cap are simply not counted: the award still stands. */
    if (a->max_hours > 0 && hours > a->max_hours)
        hours = a->max_hours;
    /* Both factors are bounded by the parser (points_per_hour <=
     * JIFEN_POINTS_MAX / JIFEN_HOURS_MAX), so this cannot wrap. */
    *points = a->points * hours;
    return JIFEN_STATUS_OK;
}

/* The override rule shared by activities and rules: 0 means the catalogue
 * value; anything else must be allowed by max_points and within it. */
static jifen_status pick_points(const char *kind, const char *code,
                                uint32_t value, uint32_t max_points,
                                uint32_t override, uint32_t *points, char *err,
                                size_t errlen)
{
    if (override == 0) {
        *points = value;
        return JIFEN_STATUS_OK;
    }
    if (max_points == 0) {
        set_err(err, errlen,
                "%s %s is worth a fixed %" PRIu32
                " point%s; leave out --points",
                kind, code, value, plural(value));
        return JIFEN_STATUS_CAP_EXCEEDED;
    }
    if (override > max_points) {
        set_err(err, errlen,
                "%s %s allows at most %" PRIu32 " points, "
                "not %" PRIu32,
                kind, code, max_points, override);
        return JIFEN_STATUS_CAP_EXCEEDED;
    }
    *points = override;
    return JIFEN_STATUS_OK;
}

jifen_status policy_award_points(const policy *p, const jifen_command *award,
                                 uint32_t *points, char *err, size_t errlen)
{
    const policy_activity *a;

    if (p == NULL || award == NULL || points == NULL) {
        set_err(err, errlen, "policy_award_points: missing argument");
        return JIFEN_STATUS_INTERNAL;
    }
    a = policy_find_activity(p, award->code);
    if (a == NULL) {
        set_err(err, errlen, "unknown activity \"%s\" (not in policy %s)",
                award->code, p->version);
        return JIFEN_STATUS_UNKNOWN_ACTIVITY;
    }
    if (a->per_hour)
        return award_per_hour(a, award, points, err, errlen);
    if (award->hours != 0) {
        set_err(err, errlen,
                "activity %s is not counted per hour; leave "
                "out --hours",
                a->code);
        return JIFEN_STATUS_BAD_REQUEST;
    }
    return pick_points("activity", a->code, a->points, a->max_points,
                       award->points, points, err, errlen);
}

jifen_status policy_deduct_points(const policy *p, const jifen_command *deduct,
                                  uint32_t *points, char *err, size_t errlen)
{
    const policy_rule *r;

    if (p == NULL || deduct == NULL || points == NULL) {
        set_err(err, errlen, "policy_deduct_points: missing argument");
        return JIFEN_STATUS_INTERNAL;
    }
    r = policy_find_rule(p, deduct->code);
    if (r == NULL) {
        set_err(err, errlen, "unknown rule \"%s\" (not in policy %s)",
                deduct->code, p->version);
        return JIFEN_STATUS_UNKNOWN_RULE;
    }
    return pick_points("rule", r->code, r->points, r->max_points,
                       deduct->points, points, err, errlen);
}

/* floor(fee * percent / 100) without forming fee * percent, which would
 * overflow for fees above ~1.8e17 fen. */
static uint64_t percent_of(uint64_t fee, uint32_t percent)
{
    return fee / 100 * percent + fee % 100 * percent / 100;
}

#define YUAN(fen) (fen) / 100, (fen) % 100

uint64_t policy_redeem_most(const policy *p, int64_t fee_due_fen,
                            uint64_t *limit_fen)
{
    uint64_t limit = 0;
    if (p != NULL && p->fen_per_point != 0 && fee_due_fen > 0)
        limit = percent_of((uint64_t)fee_due_fen, p->max_offset_percent);
    if (limit_fen != NULL)
        *limit_fen = limit;
    /* points * rate <= limit  <=>  points <= floor(limit / rate): comparing
     * this way can never overflow, however many points are asked for. */
    return p != NULL && p->fen_per_point != 0 ? limit / p->fen_per_point : 0;
}

jifen_status policy_redeem_offset(const policy *p, uint64_t points,
                                  int64_t fee_due_fen, uint64_t *offset_fen,
                                  char *err, size_t errlen)
{
    uint64_t due, limit, most;

    if (p == NULL || offset_fen == NULL || p->fen_per_point == 0) {
        set_err(err, errlen, "policy_redeem_offset: missing argument");
        return JIFEN_STATUS_INTERNAL;
    }
    if (points == 0) {
        set_err(err, errlen, "redeem at least 1 point");
        return JIFEN_STATUS_BAD_REQUEST;
    }
    if (fee_due_fen <= 0) {
        set_err(err, errlen,
                "cap max_offset_percent: nothing is due: the household owes "
                "no fee, so there is nothing for points to pay");
        return JIFEN_STATUS_CAP_EXCEEDED;
    }
    due = (uint64_t)fee_due_fen;
    most = policy_redeem_most(p, fee_due_fen, &limit);
    if (points > most) {
        set_err(err, errlen,
                "cap max_offset_percent: at most %" PRIu64 " points can be "
                "redeemed now: points may pay %" PRIu32 "%% of the %" PRIu64
                ".%02" PRIu64
                " yuan due, that is up to %" PRIu64 ".%02" PRIu64 " yuan "
                "(asked for %" PRIu64 " points)",
                most, p->max_offset_percent, YUAN(due), YUAN(limit), points);
        return JIFEN_STATUS_CAP_EXCEEDED;
    }
    *offset_fen = points * p->fen_per_point;
    return JIFEN_STATUS_OK;
}

/* --- public: caps ----------------------------------------------------- */

static jifen_status over_cap(const char *what, uint32_t cap,
                             const char *household, const char *period,
                             uint64_t so_far, uint64_t asked, char *err,
                             size_t errlen)
{
    uint64_t left = so_far >= cap ? 0 : cap - so_far;
    set_err(err, errlen,
            "cap %s: %" PRIu32 " points per household in %s; %s has %" PRIu64
            " already, %" PRIu64 " left, %" PRIu64 " asked",
            what, cap, period, household, so_far, left, asked);
    return JIFEN_STATUS_CAP_EXCEEDED;
}

jifen_status policy_award_caps(const policy *p, const char *activity,
                               const char *household, const char *month,
                               uint64_t month_so_far, uint64_t year_so_far,
                               uint32_t points, char *err, size_t errlen)
{
    const policy_activity *a = policy_find_activity(p, activity);
    if (a == NULL)
        return JIFEN_STATUS_UNKNOWN_ACTIVITY;
    char what[JIFEN_CODE_MAX + 32];
    if (a->max_per_month && month_so_far + points > a->max_per_month) {
        snprintf(what, sizeof what, "%s.max_per_month", a->code);
        return over_cap(what, a->max_per_month, household, month,
                        month_so_far, points, err, errlen);
    }
    if (a->max_per_year && year_so_far + points > a->max_per_year) {
        char year[5];
        snprintf(year, sizeof year, "%.4s", month);
        snprintf(what, sizeof what, "%s.max_per_year", a->code);
        return over_cap(what, a->max_per_year, household, year, year_so_far,
                        points, err, errlen);
    }
    return JIFEN_STATUS_OK;
}

jifen_status policy_redeem_cap(const policy *p, const char *household,
                               const char *year, uint64_t year_so_far,
                               uint64_t points, char *err, size_t errlen)
{
    if (p->max_redeem_per_year == 0 ||
        year_so_far + points <= p->max_redeem_per_year)
        return JIFEN_STATUS_OK;
    return over_cap("max_redeem_points_per_year", p->max_redeem_per_year,
                    household, year, year_so_far, points, err, errlen);
}

/* --- public: formatting ----------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap, len;
    bool overflow;
} text_out;

static void out(text_out *t, const char *fmt, ...) POLICY_PRINTF(2, 3);

static void out(text_out *t, const char *fmt, ...)
{
    if (t->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len)
        t->overflow = true;
    else
        t->len += (size_t)n;
}

/* An optional key: written only when set, as the parser reads it. */
static void out_opt(text_out *t, const char *key, uint32_t v)
{
    if (v)
        out(t, "%s = %" PRIu32 "\n", key, v);
}

static void format_activity(text_out *t, const policy_activity *a)
{
    out(t, "\n[activity %s]\n", a->code);
    if (a->description[0])
        out(t, "description = %s\n", a->description);
    out(t, "%s = %" PRIu32 "\n", a->per_hour ? "points_per_hour" : "points",
        a->points);
    out_opt(t, "max_hours", a->max_hours);
    out_opt(t, "max_points", a->max_points);
    out_opt(t, "max_per_month", a->max_per_month);
    out_opt(t, "max_per_year", a->max_per_year);
}

static void format_fee(text_out *t, const policy_fee *f)
{
    out(t, "\n[fee %s]\n", f->code);
    out(t, "name = %s\n", f->name);
    out(t, "basis = %s\n", f->basis_text);
    out(t, "rate_fen = %" PRIu32 "\n", f->rate_fen);
}

static void format_rule(text_out *t, const policy_rule *r)
{
    out(t, "\n[rule %s]\n", r->code);
    if (r->description[0])
        out(t, "description = %s\n", r->description);
    out(t, "points = %" PRIu32 "\n", r->points);
    out_opt(t, "max_points", r->max_points);
    out_opt(t, "suspend_months", r->suspend_months);
    out_opt(t, "suspend_award_months", r->suspend_award_months);
}

int policy_format(const policy *p, char *buf, size_t cap)
{
    text_out t = {buf, cap, 0, cap == 0};
    out(&t, "version = %s\n", p->version);
    if (p->effective[0])
        out(&t, "effective = %s\n", p->effective);
    if (p->resolution[0])
        out(&t, "resolution = %s\n", p->resolution);
    out(&t, "fen_per_point = %" PRIu32 "\n", p->fen_per_point);
    out(&t, "max_offset_percent = %" PRIu32 "\n", p->max_offset_percent);
    out_opt(&t, "max_redeem_points_per_year", p->max_redeem_per_year);
    out_opt(&t, "notice_days", p->notice_days);
    out_opt(&t, "approval_above", p->approval_above);
    if (p->expiry[0])
        out(&t, "expiry = %s\n", p->expiry);
    out_opt(&t, "expiry_months", p->expiry_months);
    if (p->payee[0])
        out(&t, "payee = %s\n", p->payee);
    out_opt(&t, "ontime_day", p->ontime_day);
    out_opt(&t, "ontime_points", p->ontime_points);
    for (size_t i = 0; i < p->n_activities; i++)
        format_activity(&t, &p->activities[i]);
    for (size_t i = 0; i < p->n_rules; i++)
        format_rule(&t, &p->rules[i]);
    for (size_t i = 0; i < p->n_fees; i++)
        format_fee(&t, &p->fees[i]);
    return t.overflow ? -1 : (int)t.len;
}

int64_t policy_expiry_of(const policy *p, int64_t earned_ms)
{
    switch (p->expiry_kind) {
    case POLICY_EXPIRY_MONTHS:
        return clock_add_months_start_ms(earned_ms, (int)p->expiry_months + 1);
    case POLICY_EXPIRY_FOLLOWING_YEAR_END:
        return clock_date_start_ms(clock_date_of(earned_ms).year + 2, 1, 1);
    default:
        return INT64_MAX;
    }
}

int64_t policy_suspended_until(const policy_rule *rule, int64_t deducted_ms)
{
    if (rule->suspend_months == 0)
        return 0;
    return clock_add_months_start_ms(deducted_ms, (int)rule->suspend_months + 1);
}

int64_t policy_awards_suspended_until(const policy_rule *rule,
                                      int64_t deducted_ms)
{
    if (rule->suspend_award_months == 0)
        return 0;
    return clock_add_months_start_ms(deducted_ms,
                                     (int)rule->suspend_award_months + 1);
}
