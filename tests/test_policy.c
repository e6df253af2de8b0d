/*
 * test_policy - the policy file format, the default catalogue, and the
 * arithmetic of awards, deductions and fee offsets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

#define TOP "version = t1\nfen_per_point = 100\nmax_offset_percent = 50\n"
#define MEETING "[activity meeting]\npoints = 2\n"

/* Fails with the actual message when `sub` is not in it. */
#define assert_contains(hay, sub)                                              \
    do {                                                                       \
        if (strstr((hay), (sub)) == NULL)                                      \
            fail_msg("expected \"%s\" in \"%s\"", (sub), (hay));               \
    } while (0)

/* A policy is ~20 KiB; keep it off the cmocka stack. */
static policy *new_policy(void)
{
    policy *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    return p;
}

static int parse_str(policy *p, const char *text, char *err, size_t errlen)
{
    return policy_parse(p, text, strlen(text), "t.conf", err, errlen);
}

static void load_default(policy *p)
{
    char err[256] = "";

    if (policy_load_default(p, err, sizeof(err)) != 0)
        fail_msg("default policy: %s", err);
}

static jifen_command award_cmd(const char *code, uint32_t points,
                               uint32_t hours)
{
    jifen_command c;

    memset(&c, 0, sizeof(c));
    c.kind = JIFEN_CMD_AWARD;
    snprintf(c.code, sizeof(c.code), "%s", code);
    c.points = points;
    c.hours = hours;
    return c;
}

static jifen_command deduct_cmd(const char *code, uint32_t points)
{
    jifen_command c = award_cmd(code, points, 0);

    c.kind = JIFEN_CMD_DEDUCT;
    return c;
}

/* --- the default policy ------------------------------------------------- */

static void test_default_catalogue(void **state)
{
    policy *p = new_policy();
    const policy_activity *a;
    const policy_rule *r;

    (void)state;
    load_default(p);
    assert_string_equal(p->version, "2026-01-default");
    assert_int_equal(p->fen_per_point, 100);
    assert_int_equal(p->max_offset_percent, 50);
    assert_int_equal(p->n_activities, 7);
    assert_int_equal(p->n_rules, 3);

    a = policy_find_activity(p, "meeting");
    assert_non_null(a);
    assert_false(a->per_hour);
    assert_int_equal(a->points, 2);
    assert_int_equal(a->max_points, 0);
    assert_contains(a->description, "议事会");

    a = policy_find_activity(p, "volunteer");
    assert_non_null(a);
    assert_true(a->per_hour);
    assert_int_equal(a->points, 1);
    assert_int_equal(a->max_hours, 2);
    assert_contains(a->description, "志愿服务");

    a = policy_find_activity(p, "honour");
    assert_non_null(a);
    assert_int_equal(a->points, 5);
    assert_int_equal(a->max_points, 50);

    a = policy_find_activity(p, "good-neighbour");
    assert_non_null(a);
    assert_int_equal(a->points, 10);
    assert_contains(a->description, "好邻里");

    a = policy_find_activity(p, "civilised-family");
    assert_non_null(a);
    assert_int_equal(a->points, 10);
    assert_int_equal(a->max_points, 50);
    assert_contains(a->description, "文明家庭");

    a = policy_find_activity(p, "garbage-sorting");
    assert_non_null(a);
    assert_int_equal(a->points, 1);
    a = policy_find_activity(p, "proposal");
    assert_non_null(a);
    assert_int_equal(a->points, 3);
    assert_int_equal(a->max_points, 10);

    r = policy_find_rule(p, "free-riding");
    assert_non_null(r);
    assert_int_equal(r->points, 5);
    assert_int_equal(r->max_points, 20);
    r = policy_find_rule(p, "parking-violation");
    assert_non_null(r);
    assert_int_equal(r->points, 2);
    assert_int_equal(r->max_points, 10);
    r = policy_find_rule(p, "littering");
    assert_non_null(r);
    assert_int_equal(r->points, 1);
    assert_int_equal(r->max_points, 5);

    /* Every entry is documented for staff. */
    for (size_t i = 0; i < p->n_activities; i++)
        assert_true(p->activities[i].description[0] != '\0');
    for (size_t i = 0; i < p->n_rules; i++)
        assert_true(p->rules[i].description[0] != '\0');

    assert_null(policy_find_activity(p, "free-riding"));
    assert_null(policy_find_rule(p, "meeting"));
    assert_null(policy_find_activity(p, "meet"));
    assert_null(policy_find_activity(p, NULL));
    assert_null(policy_find_activity(NULL, "meeting"));
    free(p);
}

/* The embedded text is the file's bytes, with a NUL after them. */
static void test_default_text(void **state)
{
    (void)state;
    assert_true(policy_default_text_len > 0);
    assert_int_equal(policy_default_text[policy_default_text_len], '\0');
    assert_int_equal(strlen(policy_default_text), policy_default_text_len);
    assert_non_null(strstr(policy_default_text, "[activity meeting]"));
}

/* --- format details ----------------------------------------------------- */

static void test_brief_example(void **state)
{
    static const char text[] =
        "# comment\n"
        "version = 2026-01-default          # required\n"
        "fen_per_point = 100                 # required\n"
        "max_offset_percent = 50             # required\n"
        "\n"
        "[activity meeting]                  # code\n"
        "description = Deliberation meeting (议事会 / 小板凳会)\n"
        "points = 2\n"
        "\n"
        "[activity volunteer]\n"
        "description = Volunteering, per hour\n"
        "points_per_hour = 1\n"
        "max_hours = 2                       # hours beyond\n"
        "\n"
        "[activity honour]\n"
        "points = 5\n"
        "max_points = 50                     # committee may give\n"
        "\n"
        "[rule free-riding]\n"
        "description = ...\n"
        "points = 5\n"
        "max_points = 20\n";
    policy *p = new_policy();
    char err[256] = "";

    (void)state;
    if (parse_str(p, text, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(p->n_activities, 3);
    assert_int_equal(p->n_rules, 1);
    assert_string_equal(p->activities[0].description,
                        "Deliberation meeting (议事会 / 小板凳会)");
    assert_string_equal(p->activities[2].description, "");
    assert_true(p->activities[1].per_hour);
    assert_int_equal(p->activities[1].max_hours, 2);
    assert_string_equal(p->rules[0].description, "...");
    free(p);
}

static void test_format_details(void **state)
{
    /* BOM, CRLF, tabs, a comment after a header, '#' inside a word, no
     * final newline, leading zeros, maximal values. */
    static const char text[] =
        "\xEF\xBB\xBF# policy\r\n"
        "\tversion\t=\tA.b_c-9\t\r\n"
        "fen_per_point=00100\n"
        "max_offset_percent = 100\n"
        "  [ activity  meeting ]  # header comment\n"
        "description = C# and No.#3 # but this is a comment\n"
        "points = 1000000\n"
        "max_points=1000000\n"
        "[activity x]\n"
        "points_per_hour = 41666\n"
        "[rule r_1]\n"
        "points = 7";
    policy *p = new_policy();
    char err[256] = "";

    (void)state;
    if (parse_str(p, text, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(p->version, "A.b_c-9");
    assert_int_equal(p->fen_per_point, 100);
    assert_int_equal(p->max_offset_percent, 100);
    assert_string_equal(p->activities[0].code, "meeting");
    assert_string_equal(p->activities[0].description, "C# and No.#3");
    assert_int_equal(p->activities[0].points, 1000000);
    assert_int_equal(p->activities[0].max_points, 1000000);
    assert_true(p->activities[1].per_hour);
    assert_int_equal(p->activities[1].points, 41666);
    assert_int_equal(p->activities[1].max_hours, 0);
    assert_string_equal(p->rules[0].code, "r_1");
    assert_int_equal(p->rules[0].points, 7);
    assert_int_equal(p->rules[0].max_points, 0);
    free(p);
}

/* Exactly POLICY_ACTIVITIES_MAX activities, POLICY_RULES_MAX rules, a
 * 32-character code, a 120-byte description and a 64-byte version fit. */
static char *limits_text(int activities, int rules, const char *extra)
{
    size_t cap = 64 * 1024;
    char *t = malloc(cap);
    size_t n;

    assert_non_null(t);
    n = (size_t)snprintf(t, cap, TOP);
    for (int i = 0; i < activities; i++)
        n +=
            (size_t)snprintf(t + n, cap - n, "[activity a%d]\npoints = 1\n", i);
    for (int i = 0; i < rules; i++)
        n += (size_t)snprintf(t + n, cap - n, "[rule r%d]\npoints = 1\n", i);
    snprintf(t + n, cap - n, "%s", extra);
    return t;
}

static void test_limits_fit(void **state)
{
    char extra[512];
    char desc[POLICY_DESCRIPTION_MAX + 1];
    policy *p = new_policy();
    char err[256] = "";
    char *text;

    (void)state;
    /* 40 three-byte characters: exactly 120 bytes. */
    desc[0] = '\0';
    for (int i = 0; i < 40; i++)
        strcat(desc, "好");
    snprintf(extra, sizeof(extra),
             "[rule abcdefghijklmnopqrstuvwxyz-_0123]\npoints = 1\n"
             "description = %s\n",
             desc);
    text = limits_text(POLICY_ACTIVITIES_MAX, POLICY_RULES_MAX - 1, extra);
    if (parse_str(p, text, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(p->n_activities, POLICY_ACTIVITIES_MAX);
    assert_int_equal(p->n_rules, POLICY_RULES_MAX);
    assert_string_equal(p->rules[POLICY_RULES_MAX - 1].description, desc);
    assert_non_null(policy_find_rule(p, "abcdefghijklmnopqrstuvwxyz-_0123"));
    free(text);

    assert_int_equal(
        parse_str(p,
                  "version = "
                  "0123456789012345678901234567890123456789012345678901234567"
                  "890123\nfen_per_point = 1\nmax_offset_percent = 1\n" MEETING,
                  err, sizeof(err)),
        0);
    assert_int_equal(strlen(p->version), JIFEN_POLICY_MAX);
    free(p);
}

/* --- errors, table-driven ----------------------------------------------- */

typedef struct {
    const char *name;
    const char *text;
    const char *where; /* expected prefix: "t.conf:LINE: " or "t.conf: " */
    const char *what;  /* expected somewhere in the message */
} error_case;

static const error_case error_cases[] = {
    /* keys */
    {"unknown top key", TOP "colour = red\n" MEETING,
     "t.conf:4: ", "unknown key colour"},
    {"unknown activity key", TOP MEETING "colour = red\n",
     "t.conf:6: ", "unknown key colour in [activity meeting]"},
    {"unknown rule key", TOP MEETING "[rule x]\npoints = 1\nmax_hours = 2\n",
     "t.conf:8: ", "unknown key max_hours in [rule x]"},
    {"top key in section", TOP MEETING "version = 2\n",
     "t.conf:6: ", "version belongs at the top"},
    {"duplicate top key", TOP "fen_per_point = 100\n" MEETING,
     "t.conf:4: ", "duplicate key fen_per_point"},
    {"duplicate section key", TOP MEETING "points = 3\n",
     "t.conf:6: ", "duplicate key points"},
    {"no equals", TOP "points 2\n" MEETING,
     "t.conf:4: ", "expected \"key = value\""},
    {"no key", TOP "= 2\n" MEETING, "t.conf:4: ", "missing key"},
    {"empty value", TOP "[activity a]\npoints =   # none\n",
     "t.conf:5: ", "points has no value"},
    /* missing keys */
    {"missing version", "fen_per_point = 1\nmax_offset_percent = 1\n" MEETING,
     "t.conf: ", "missing version"},
    {"missing fen_per_point", "version = v\nmax_offset_percent = 1\n" MEETING,
     "t.conf: ", "missing fen_per_point"},
    {"missing max_offset_percent", "version = v\nfen_per_point = 1\n" MEETING,
     "t.conf: ", "missing max_offset_percent"},
    {"empty file", "", "t.conf: ", "missing version"},
    {"no activities", TOP "[rule x]\npoints = 1\n",
     "t.conf: ", "no [activity CODE] sections"},
    {"activity without points", TOP MEETING "[activity b]\ndescription = b\n",
     "t.conf:6: ", "[activity b] needs exactly one of points"},
    {"points and points_per_hour",
     TOP "[activity a]\npoints = 1\npoints_per_hour = 1\n" MEETING,
     "t.conf:4: ", "needs exactly one of points"},
    {"max_hours without points_per_hour",
     TOP "[activity a]\npoints = 1\nmax_hours = 2\n" MEETING,
     "t.conf:4: ", "[activity a] has max_hours but no points_per_hour"},
    {"max_points on per-hour",
     TOP "[activity a]\npoints_per_hour = 1\nmax_points = 5\n",
     "t.conf:4: ", "max_points applies only to activities with points"},
    {"activity max_points below points",
     TOP "[activity a]\npoints = 5\nmax_points = 4\n",
     "t.conf:4: ", "max_points 4 below points 5"},
    {"rule without points", TOP MEETING "[rule r]\nmax_points = 3\n",
     "t.conf:6: ", "[rule r] needs points"},
    {"rule max_points below points",
     TOP MEETING "[rule r]\npoints = 5\nmax_points = 1\n[rule s]\n",
     "t.conf:6: ", "[rule r] has max_points 1 below points 5"},
    /* ranges */
    {"fen_per_point 0", "version = v\nfen_per_point = 0\n", "t.conf:2: ",
     "fen_per_point must be a whole number from 1 to 100000, not \"0\""},
    {"fen_per_point too big", "version = v\nfen_per_point = 100001\n",
     "t.conf:2: ", "from 1 to 100000"},
    {"percent 0", "max_offset_percent = 0\n",
     "t.conf:1: ", "max_offset_percent must be a whole number from 1 to 100"},
    {"percent 101", "max_offset_percent = 101\n",
     "t.conf:1: ", "from 1 to 100, not \"101\""},
    {"points 0", TOP "[activity a]\npoints = 0\n",
     "t.conf:5: ", "points must be a whole number from 1 to 1000000"},
    {"points too big", TOP "[activity a]\npoints = 1000001\n",
     "t.conf:5: ", "not \"1000001\""},
    {"points_per_hour too big", TOP "[activity a]\npoints_per_hour = 41667\n",
     "t.conf:5: ", "points_per_hour must be a whole number from 1 to 41666"},
    {"max_hours 0", TOP "[activity a]\npoints_per_hour = 1\nmax_hours = 0\n",
     "t.conf:6: ", "max_hours must be a whole number from 1 to 24"},
    {"max_hours 25", TOP "[activity a]\npoints_per_hour = 1\nmax_hours = 25\n",
     "t.conf:6: ", "not \"25\""},
    {"rule points 0", TOP MEETING "[rule r]\npoints = 0\n",
     "t.conf:7: ", "points must be a whole number"},
    /* numbers */
    {"negative", TOP "[activity a]\npoints = -1\n", "t.conf:5: ", "not \"-1\""},
    {"plus sign", TOP "[activity a]\npoints = +1\n",
     "t.conf:5: ", "not \"+1\""},
    {"decimal point", TOP "[activity a]\npoints = 1.5\n",
     "t.conf:5: ", "not \"1.5\""},
    {"trailing junk", TOP "[activity a]\npoints = 12abc\n",
     "t.conf:5: ", "not \"12abc\""},
    {"hex", TOP "[activity a]\npoints = 0x10\n", "t.conf:5: ", "not \"0x10\""},
    {"inner blank", TOP "[activity a]\npoints = 1 000\n",
     "t.conf:5: ", "not \"1 000\""},
    {"uint64 overflow", TOP "[activity a]\npoints = 18446744073709551616\n",
     "t.conf:5: ", "not \"18446744073709551616\""},
    /* 2^64 + 1 would wrap to a valid 1 without the overflow check. */
    {"uint64 wrap to 1", TOP "[activity a]\npoints = 18446744073709551617\n",
     "t.conf:5: ", "not \"18446744073709551617\""},
    {"uint32 wrap", TOP "[activity a]\npoints = 4294967297\n",
     "t.conf:5: ", "not \"4294967297\""},
    {"huge", TOP "[activity a]\npoints = 99999999999999999999999999\n",
     "t.conf:5: ", "whole number"},
    /* sections */
    {"unknown section type", TOP "[reward x]\npoints = 1\n",
     "t.conf:4: ", "unknown section type \"reward\""},
    {"section without code", TOP "[activity]\npoints = 1\n",
     "t.conf:4: ", "needs a code"},
    {"section with two codes", TOP "[activity a b]\npoints = 1\n",
     "t.conf:4: ", "one code only"},
    {"unterminated header", TOP "[activity a\npoints = 1\n",
     "t.conf:4: ", "must end with ']'"},
    {"upper-case code", TOP "[activity Meeting]\npoints = 1\n",
     "t.conf:4: ", "code \"Meeting\" may use only a-z"},
    {"code with dot", TOP "[rule a.b]\npoints = 1\n",
     "t.conf:4: ", "may use only a-z"},
    {"code too long", TOP "[activity abcdefghijklmnopqrstuvwxyz-_01234]\n",
     "t.conf:4: ", "longer than 32"},
    {"duplicate activity", TOP MEETING "[activity other]\npoints = 1\n" MEETING,
     "t.conf:8: ", "duplicate activity meeting (first at line 4)"},
    {"duplicate rule",
     TOP MEETING "[rule r]\npoints = 1\n\n[rule r]\npoints = 1\n",
     "t.conf:9: ", "duplicate rule r (first at line 6)"},
    /* strings */
    {"version bad char", "version = 2026 01\n",
     "t.conf:1: ", "version may use only letters"},
    {"version too long",
     "version = "
     "01234567890123456789012345678901234567890123456789012345678901234\n",
     "t.conf:1: ", "version must be 1 to 64 bytes long, not 65"},
    {"description too long",
     TOP "[activity a]\ndescription = "
         "0123456789012345678901234567890123456789012345678901234567890123456"
         "789012345678901234567890123456789012345678901234567890\n",
     "t.conf:5: ", "description must be 1 to 120 bytes long, not 121"},
    {"description bad utf-8", TOP "[activity a]\ndescription = caf\xE9\n",
     "t.conf:5: ", "description is not valid UTF-8"},
    {"description overlong utf-8", TOP "[activity a]\ndescription = \xC0\xAF\n",
     "t.conf:5: ", "not valid UTF-8"},
    {"description surrogate", TOP "[activity a]\ndescription = \xED\xA0\x80\n",
     "t.conf:5: ", "not valid UTF-8"},
    {"control character", TOP "[activity a]\ndescription = a\x1b[31m\n",
     "t.conf:5: ", "control character 0x1B"},
    {"bare CR", TOP "points\r= 1\n", "t.conf:4: ", "control character 0x0D"},
};

static void run_error_case(const error_case *c, size_t len)
{
    policy *p = new_policy();
    policy *before = new_policy();
    char err[256];

    /* A failed parse leaves the output exactly as it was. */
    memset(p, 0xA5, sizeof(*p));
    memcpy(before, p, sizeof(*before));
    memset(err, 0, sizeof(err));
    if (policy_parse(p, c->text, len, "t.conf", err, sizeof(err)) != -1)
        fail_msg("case \"%s\": parsed", c->name);
    if (strncmp(err, c->where, strlen(c->where)) != 0)
        fail_msg("case \"%s\": expected at \"%s\", got \"%s\"", c->name,
                 c->where, err);
    if (strstr(err, c->what) == NULL)
        fail_msg("case \"%s\": expected \"%s\" in \"%s\"", c->name, c->what,
                 err);
    assert_memory_equal(p, before, sizeof(*before));
    free(before);
    free(p);
}

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
        run_error_case(&error_cases[i], strlen(error_cases[i].text));
}

static void test_error_nul_byte(void **state)
{
    static const char text[] = TOP MEETING "descr\0iption = x\n";
    error_case c = {"NUL", text, "t.conf:6: ", "NUL byte"};

    (void)state;
    run_error_case(&c, sizeof(text) - 1);
}

static void test_error_too_many(void **state)
{
    error_case c = {"too many activities", NULL,
                    "t.conf:132: ", "too many activities (at most 64)"};
    char *text;

    (void)state;
    /* TOP is 3 lines; each section 2: the 65th header is line 3+64*2+1. */
    text = limits_text(POLICY_ACTIVITIES_MAX + 1, 0, "");
    c.text = text;
    run_error_case(&c, strlen(text));
    free(text);

    text = limits_text(1, POLICY_RULES_MAX + 1, "");
    c.name = "too many rules";
    c.where = "t.conf:134: ";
    c.what = "too many rules (at most 64)";
    c.text = text;
    run_error_case(&c, strlen(text));
    free(text);
}

static void test_error_long_line(void **state)
{
    char text[2048];
    error_case c = {"long line", text, "t.conf:5: ", "longer than 1024 bytes"};
    policy *p = new_policy();
    char err[256] = "";
    size_t n;

    (void)state;
    /* 1024 bytes is allowed (a comment), 1025 is not. */
    n = (size_t)snprintf(text, sizeof(text), TOP MEETING);
    memset(text + n, '#', 1024);
    strcpy(text + n + 1024, "\n");
    if (parse_str(p, text, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    n = (size_t)snprintf(text, sizeof(text), TOP "\n");
    memset(text + n, '#', 1025);
    strcpy(text + n + 1025, "\n" MEETING);
    run_error_case(&c, strlen(text));
    free(p);
}

/* Messages are cut to the caller's buffer, never overrun it; no buffer at
 * all is fine too. */
static void test_error_buffer(void **state)
{
    policy *p = new_policy();
    char err[16];

    (void)state;
    memset(err, 'x', sizeof(err));
    assert_int_equal(policy_parse(p, "x", 1, "t.conf", err, 10), -1);
    assert_int_equal(strlen(err), 9);
    assert_int_equal(err[10], 'x');
    assert_int_equal(policy_parse(p, "x", 1, "t.conf", NULL, 0), -1);
    assert_int_equal(policy_parse(p, NULL, 0, NULL, err, sizeof(err)), -1);
    free(p);
}

/* --- files -------------------------------------------------------------- */

static void test_load_file(void **state)
{
    char path[] = "/tmp/test_policy_XXXXXX";
    policy *p = new_policy();
    char err[512] = "";
    int fd;
    FILE *f;

    (void)state;
    assert_int_equal(
        policy_load_file(p, "/nonexistent/jifen/policy.conf", err, sizeof(err)),
        -1);
    assert_contains(err, "/nonexistent/jifen/policy.conf");
    assert_contains(err, "cannot open");

    fd = mkstemp(path);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(TOP MEETING "[rule r]\npoints = 2\nmax_points = 1\n", f);
    fclose(f);
    assert_int_equal(policy_load_file(p, path, err, sizeof(err)), -1);
    assert_int_equal(strncmp(err, path, strlen(path)), 0);
    assert_contains(err, ":6: [rule r] has max_points 1 below points 2");

    f = fopen(path, "w");
    assert_non_null(f);
    fwrite(policy_default_text, 1, policy_default_text_len, f);
    fclose(f);
    if (policy_load_file(p, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(p->version, "2026-01-default");
    assert_int_equal(p->n_activities, 7);
    unlink(path);
    free(p);
}

/* --- awards ------------------------------------------------------------- */

static void expect_award(const policy *p, jifen_command c, jifen_status want,
                         uint32_t want_points, const char *want_err)
{
    char err[JIFEN_ERROR_MAX + 1] = "";
    uint32_t points = 12345;
    jifen_status st = policy_award_points(p, &c, &points, err, sizeof(err));

    if (st != want)
        fail_msg("award %s points=%u hours=%u: status %d, want %d (%s)", c.code,
                 c.points, c.hours, (int)st, (int)want, err);
    if (want == JIFEN_STATUS_OK)
        assert_int_equal(points, want_points);
    else
        assert_int_equal(points, 12345); /* untouched on refusal */
    if (want_err != NULL)
        assert_contains(err, want_err);
}

static void test_award(void **state)
{
    policy *p = new_policy();

    (void)state;
    load_default(p);
    /* per event, fixed */
    expect_award(p, award_cmd("meeting", 0, 0), JIFEN_STATUS_OK, 2, NULL);
    expect_award(p, award_cmd("meeting", 0, 1), JIFEN_STATUS_BAD_REQUEST, 0,
                 "activity meeting is not counted per hour");
    expect_award(p, award_cmd("meeting", 3, 0), JIFEN_STATUS_CAP_EXCEEDED, 0,
                 "activity meeting is worth a fixed 2 points");
    expect_award(p, award_cmd("meeting", 2, 0), JIFEN_STATUS_CAP_EXCEEDED, 0,
                 "leave out --points");
    expect_award(p, award_cmd("garbage-sorting", 2, 0),
                 JIFEN_STATUS_CAP_EXCEEDED, 0, "a fixed 1 point;");
    /* per event, graded */
    expect_award(p, award_cmd("honour", 0, 0), JIFEN_STATUS_OK, 5, NULL);
    expect_award(p, award_cmd("honour", 1, 0), JIFEN_STATUS_OK, 1, NULL);
    expect_award(p, award_cmd("honour", 20, 0), JIFEN_STATUS_OK, 20, NULL);
    expect_award(p, award_cmd("honour", 50, 0), JIFEN_STATUS_OK, 50, NULL);
    expect_award(p, award_cmd("honour", 51, 0), JIFEN_STATUS_CAP_EXCEEDED, 0,
                 "activity honour allows at most 50 points, not 51");
    expect_award(p, award_cmd("honour", UINT32_MAX, 0),
                 JIFEN_STATUS_CAP_EXCEEDED, 0, "at most 50");
    expect_award(p, award_cmd("honour", 10, 2), JIFEN_STATUS_BAD_REQUEST, 0,
                 "not counted per hour");
    /* per hour, capped at 2 h */
    expect_award(p, award_cmd("volunteer", 0, 1), JIFEN_STATUS_OK, 1, NULL);
    expect_award(p, award_cmd("volunteer", 0, 2), JIFEN_STATUS_OK, 2, NULL);
    expect_award(p, award_cmd("volunteer", 0, 3), JIFEN_STATUS_OK, 2, NULL);
    expect_award(p, award_cmd("volunteer", 0, 24), JIFEN_STATUS_OK, 2, NULL);
    expect_award(p, award_cmd("volunteer", 0, 0), JIFEN_STATUS_BAD_REQUEST, 0,
                 "activity volunteer needs --hours");
    expect_award(p, award_cmd("volunteer", 2, 0), JIFEN_STATUS_BAD_REQUEST, 0,
                 "counted per hour");
    expect_award(p, award_cmd("volunteer", 2, 2), JIFEN_STATUS_BAD_REQUEST, 0,
                 "give --hours, not --points");
    expect_award(p, award_cmd("volunteer", 0, 25), JIFEN_STATUS_BAD_REQUEST, 0,
                 "hours must be 1 to 24");
    /* unknown */
    expect_award(p, award_cmd("bingo", 0, 0), JIFEN_STATUS_UNKNOWN_ACTIVITY, 0,
                 "unknown activity \"bingo\"");
    expect_award(p, award_cmd("free-riding", 0, 0),
                 JIFEN_STATUS_UNKNOWN_ACTIVITY, 0, "free-riding");
    expect_award(p, award_cmd("", 0, 0), JIFEN_STATUS_UNKNOWN_ACTIVITY, 0,
                 NULL);
    free(p);
}

/* A per-hour activity with no max_hours counts every hour; the largest rate
 * times the most hours still fits one command. */
static void test_award_uncapped_hours(void **state)
{
    policy *p = new_policy();
    char err[256] = "";
    uint32_t points = 0;
    jifen_command c = award_cmd("patrol", 0, 24);

    (void)state;
    if (parse_str(p, TOP "[activity patrol]\npoints_per_hour = 41666\n", err,
                  sizeof(err)) != 0)
        fail_msg("%s", err);
    expect_award(p, c, JIFEN_STATUS_OK, 41666u * 24u, NULL);
    assert_true(41666u * 24u <= JIFEN_POINTS_MAX);
    /* No error buffer: still the right answer. */
    c.hours = 0;
    assert_int_equal(policy_award_points(p, &c, &points, NULL, 0),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_int_equal(policy_award_points(NULL, &c, &points, err, sizeof(err)),
                     JIFEN_STATUS_INTERNAL);
    free(p);
}

/* --- deductions --------------------------------------------------------- */

static void expect_deduct(const policy *p, jifen_command c, jifen_status want,
                          uint32_t want_points, const char *want_err)
{
    char err[JIFEN_ERROR_MAX + 1] = "";
    uint32_t points = 12345;
    jifen_status st = policy_deduct_points(p, &c, &points, err, sizeof(err));

    if (st != want)
        fail_msg("deduct %s points=%u: status %d, want %d (%s)", c.code,
                 c.points, (int)st, (int)want, err);
    assert_int_equal(points, want == JIFEN_STATUS_OK ? want_points : 12345);
    if (want_err != NULL)
        assert_contains(err, want_err);
}

static void test_deduct(void **state)
{
    policy *p = new_policy();
    char err[256] = "";

    (void)state;
    load_default(p);
    expect_deduct(p, deduct_cmd("free-riding", 0), JIFEN_STATUS_OK, 5, NULL);
    expect_deduct(p, deduct_cmd("free-riding", 1), JIFEN_STATUS_OK, 1, NULL);
    expect_deduct(p, deduct_cmd("free-riding", 20), JIFEN_STATUS_OK, 20, NULL);
    expect_deduct(p, deduct_cmd("free-riding", 21), JIFEN_STATUS_CAP_EXCEEDED,
                  0, "rule free-riding allows at most 20 points, not 21");
    expect_deduct(p, deduct_cmd("littering", 0), JIFEN_STATUS_OK, 1, NULL);
    expect_deduct(p, deduct_cmd("parking-violation", 10), JIFEN_STATUS_OK, 10,
                  NULL);
    expect_deduct(p, deduct_cmd("meeting", 0), JIFEN_STATUS_UNKNOWN_RULE, 0,
                  "unknown rule \"meeting\"");

    if (parse_str(p, TOP MEETING "[rule fixed]\npoints = 3\n", err,
                  sizeof(err)) != 0)
        fail_msg("%s", err);
    expect_deduct(p, deduct_cmd("fixed", 0), JIFEN_STATUS_OK, 3, NULL);
    expect_deduct(p, deduct_cmd("fixed", 3), JIFEN_STATUS_CAP_EXCEEDED, 0,
                  "rule fixed is worth a fixed 3 points");
    free(p);
}

/* --- fee offsets -------------------------------------------------------- */

static policy *offset_policy(uint32_t fen_per_point, uint32_t percent)
{
    policy *p = new_policy();

    load_default(p);
    p->fen_per_point = fen_per_point;
    p->max_offset_percent = percent;
    return p;
}

static jifen_status redeem(const policy *p, uint64_t points, int64_t due,
                           uint64_t *offset, char *err)
{
    *offset = 777;
    return policy_redeem_offset(p, points, due, offset, err,
                                JIFEN_ERROR_MAX + 1);
}

static void test_redeem(void **state)
{
    policy *p = offset_policy(100, 50);
    char err[JIFEN_ERROR_MAX + 1] = "";
    uint64_t off;

    (void)state;
    /* 100.00 yuan due: points may pay 50.00 yuan = 50 points. */
    assert_int_equal(redeem(p, 1, 10000, &off, err), JIFEN_STATUS_OK);
    assert_int_equal(off, 100);
    assert_int_equal(redeem(p, 50, 10000, &off, err), JIFEN_STATUS_OK);
    assert_int_equal(off, 5000);
    assert_int_equal(redeem(p, 51, 10000, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    assert_int_equal(off, 777);
    /* A refusal names its cap, as every cap's does. */
    assert_contains(err, "cap max_offset_percent: at most 50 points can be "
                         "redeemed now");
    assert_contains(err, "50% of the 100.00 yuan due");
    assert_contains(err, "up to 50.00 yuan");
    assert_contains(err, "asked for 51 points");

    /* Rounding down: 1.99 yuan due, the limit is 0.99 yuan: not a point. */
    assert_int_equal(redeem(p, 1, 199, &off, err), JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(err, "at most 0 points");
    assert_contains(err, "of the 1.99 yuan due, that is up to 0.99 yuan");
    assert_int_equal(redeem(p, 1, 200, &off, err), JIFEN_STATUS_OK);
    assert_int_equal(off, 100);
    /* 0.01 yuan due, 50%: limit 0 fen. */
    assert_int_equal(redeem(p, 1, 1, &off, err), JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(err, "up to 0.00 yuan");

    /* Nothing due, or prepaid. */
    assert_int_equal(redeem(p, 1, 0, &off, err), JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(err, "cap max_offset_percent: nothing is due");
    assert_int_equal(redeem(p, 1, -500, &off, err), JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(err, "nothing is due");
    assert_int_equal(redeem(p, 1, INT64_MIN, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    assert_int_equal(redeem(p, 0, 10000, &off, err), JIFEN_STATUS_BAD_REQUEST);
    assert_int_equal(off, 777);
    free(p);

    /* 33% of 10.00 yuan = 3.30 yuan: 3 points at 1 yuan, 330 at 1 fen. */
    p = offset_policy(100, 33);
    assert_int_equal(redeem(p, 3, 1000, &off, err), JIFEN_STATUS_OK);
    assert_int_equal(off, 300);
    assert_int_equal(redeem(p, 4, 1000, &off, err), JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(err, "at most 3 points");
    assert_contains(err, "up to 3.30 yuan");
    p->fen_per_point = 1;
    assert_int_equal(redeem(p, 330, 1000, &off, err), JIFEN_STATUS_OK);
    assert_int_equal(off, 330);
    assert_int_equal(redeem(p, 331, 1000, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    /* 100% lets points pay the whole bill. */
    p->max_offset_percent = 100;
    assert_int_equal(redeem(p, 1000, 1000, &off, err), JIFEN_STATUS_OK);
    assert_int_equal(off, 1000);
    free(p);
}

/* floor(due * percent / 100) for every small case, against the plain
 * formula (no overflow at these sizes): points at rate 1 fen equal fen. */
static void test_redeem_rounding_exhaustive(void **state)
{
    policy *p = offset_policy(1, 1);
    char err[JIFEN_ERROR_MAX + 1];
    uint64_t off;

    (void)state;
    for (uint32_t pct = 1; pct <= 100; pct++) {
        p->max_offset_percent = pct;
        for (int64_t due = 1; due <= 1000; due++) {
            uint64_t limit = (uint64_t)due * pct / 100;

            if (limit > 0) {
                assert_int_equal(redeem(p, limit, due, &off, err),
                                 JIFEN_STATUS_OK);
                assert_int_equal(off, limit);
            }
            assert_int_equal(redeem(p, limit + 1, due, &off, err),
                             JIFEN_STATUS_CAP_EXCEEDED);
        }
    }
    free(p);
}

static void test_redeem_overflow(void **state)
{
    policy *p = offset_policy(100000, 100);
    char err[JIFEN_ERROR_MAX + 1] = "";
    uint64_t off, most;

    (void)state;
    /* points * rate would wrap uint64: refused, not wrapped into range. */
    assert_int_equal(redeem(p, UINT64_MAX, INT64_MAX, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    assert_int_equal(redeem(p, UINT64_MAX / 100000 + 1, INT64_MAX, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    /* The largest fee and the largest allowed redemption. */
    most = (uint64_t)INT64_MAX / 100000;
    assert_int_equal(redeem(p, most, INT64_MAX, &off, err), JIFEN_STATUS_OK);
    assert_int_equal(off, most * 100000);
    assert_int_equal(redeem(p, most + 1, INT64_MAX, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    assert_contains(err, "92233720368547758.07 yuan due");

    /* The largest redemption one command can ask for at the largest rate
     * is the largest amount one command may move: 1e6 x 1e5 = 1e11 fen. */
    assert_int_equal(redeem(p, JIFEN_POINTS_MAX, INT64_MAX, &off, err),
                     JIFEN_STATUS_OK);
    assert_int_equal(off, JIFEN_FEN_MAX);

    /* percent of a fee where fee * percent overflows uint64. */
    p->fen_per_point = 1;
    p->max_offset_percent = 50;
    assert_int_equal(redeem(p, 4611686018427387903u, INT64_MAX, &off, err),
                     JIFEN_STATUS_OK);
    assert_int_equal(off, 4611686018427387903u);
    assert_int_equal(redeem(p, 4611686018427387904u, INT64_MAX, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    p->max_offset_percent = 99;
    /* floor((2^63 - 1) * 99 / 100) = 9131138316486228048 */
    assert_int_equal(redeem(p, 9131138316486228048u, INT64_MAX, &off, err),
                     JIFEN_STATUS_OK);
    assert_int_equal(redeem(p, 9131138316486228049u, INT64_MAX, &off, err),
                     JIFEN_STATUS_CAP_EXCEEDED);
    free(p);
}

/* The keys of versioned rule sets and caps (docs/policy.md). */
static void test_rule_set_keys(void **state)
{
    (void)state;
    policy *p = new_policy();
    char err[256];
    assert_int_equal(
        parse_str(p,
                  TOP "effective = 2026-03-15\nresolution = minutes No.2\n"
                      "max_redeem_points_per_year = 300\n"
                      "[activity volunteer]\npoints_per_hour = 1\n"
                      "max_per_month = 8\nmax_per_year = 60\n",
                  err, sizeof err),
        0);
    assert_string_equal(p->effective, "2026-03-15");
    assert_int_equal(p->effective_ms, 1773504000000LL);
    assert_string_equal(p->resolution, "minutes No.2");
    assert_int_equal(p->max_redeem_per_year, 300);
    assert_int_equal(p->activities[0].max_per_month, 8);
    assert_int_equal(p->activities[0].max_per_year, 60);
    /* Without `effective` a rule set applies from the beginning. */
    assert_int_equal(parse_str(p, TOP MEETING, err, sizeof err), 0);
    assert_true(p->effective_ms == INT64_MIN);
    assert_int_equal(parse_str(p, TOP "effective = 2026-13-01\n" MEETING, err,
                               sizeof err),
                     -1);
    assert_contains(err, "effective must be a date YYYY-MM-DD");
    assert_int_equal(parse_str(p,
                               TOP "[activity meeting]\npoints = 2\n"
                                   "max_per_month = 9\nmax_per_year = 8\n",
                               err, sizeof err),
                     -1);
    assert_contains(err, "t.conf:4: [activity meeting] has max_per_month 9 "
                         "above max_per_year 8");
    free(p);
}

/* `jifen policy show` prints policy_format's text: it must load back to
 * the same rule set, for the default and for the worked revision. */
static void test_format_round_trip(void **state)
{
    (void)state;
    policy *p = new_policy(), *q = new_policy();
    char err[256];
    static char a[65536], b[65536];
    load_default(p);
    int n = policy_format(p, a, sizeof a);
    assert_true(n > 0);
    assert_int_equal(policy_parse(q, a, (size_t)n, "shown", err, sizeof err),
                     0);
    assert_int_equal(policy_format(q, b, sizeof b), n);
    assert_string_equal(a, b);
    assert_int_equal(policy_load_file(p, JIFEN_SOURCE_DIR
                                      "/deploy/policy-2026-07.conf",
                                      err, sizeof err),
                     0);
    n = policy_format(p, a, sizeof a);
    assert_int_equal(policy_parse(q, a, (size_t)n, "shown", err, sizeof err),
                     0);
    assert_int_equal(policy_format(q, b, sizeof b), n);
    assert_string_equal(a, b);
    assert_contains(a, "effective = 2026-07-01\n");
    assert_contains(a, "[activity volunteer]\ndescription = Volunteer");
    assert_contains(a, "max_per_month = 20\nmax_per_year = 120\n");
    assert_int_equal(policy_format(p, a, 10), -1); /* too small: refused */
    free(p);
    free(q);
}

/* The fee schedule (issue 14, docs/desk.md): [fee CODE] sections, the
 * payee and the on-time rule; what they refuse; the one rounding rule. */
static void test_fee_schedule(void **state)
{
    (void)state;
    policy *p = new_policy();
    char err[256] = "";
    const char *text = TOP "payee = 幸福物业\nontime_day = 15\n"
                           "ontime_points = 5\n" MEETING
                           "[fee wuye]\nname = 物业费\nbasis = area\n"
                           "rate_fen = 120\n"
                           "[fee chewei]\nname = 车位费\nbasis = unit\n"
                           "rate_fen = 15000\n"
                           "[fee laji]\nname = 垃圾处理费\nbasis = fixed\n"
                           "rate_fen = 1000\n";
    if (parse_str(p, text, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(p->n_fees, 3);
    assert_string_equal(p->payee, "幸福物业");
    const policy_fee *w = policy_find_fee(p, "wuye");
    assert_non_null(w);
    assert_int_equal(w->basis, JIFEN_BASIS_AREA);
    assert_null(policy_find_fee(p, "nope"));
    /* 1 January 2026, 00:00 Shanghai, + 15 days: the end of the 15th. */
    assert_int_equal(policy_ontime_deadline(p, 1767196800000LL),
                     1767196800000LL + 15LL * 86400000LL);

    /* area x rate / 100, half up to the fen, in integers. */
    static const struct {
        uint32_t area, rate;
        uint64_t fen;
    } cases[] = {
        {8550, 120, 10260},   /* 85.50 m2 x 1.20 = 102.60 exactly */
        {8555, 115, 9838},    /* 98.3825 -> 98.38 */
        {8555, 116, 9924},    /* 99.238 -> 99.24 */
        {5, 10, 1},           /* 0.5 fen rounds up */
        {4294967295u, 10000000u, 429496729500000ull}, /* the largest */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        policy_fee f = *w;
        f.rate_fen = cases[i].rate;
        uint64_t fen = 0;
        uint32_t q = 0;
        char problem[JIFEN_PROBLEM_MAX + 1];
        assert_int_equal(policy_fee_amount(&f, cases[i].area, 0, &fen, &q,
                                           problem),
                         JIFEN_STATUS_OK);
        if (fen != cases[i].fen)
            fail_msg("%u x %u: %llu fen, expected %llu", cases[i].area,
                     cases[i].rate, (unsigned long long)fen,
                     (unsigned long long)cases[i].fen);
        assert_int_equal(q, cases[i].area);
    }
    uint64_t fen = 0;
    uint32_t q = 0;
    char problem[JIFEN_PROBLEM_MAX + 1];
    assert_int_equal(policy_fee_amount(w, 0, 0, &fen, &q, problem),
                     JIFEN_STATUS_NOT_BILLABLE);
    assert_string_equal(problem, "no_area");
    assert_int_equal(policy_fee_amount(policy_find_fee(p, "chewei"), 8550, 0,
                                       &fen, &q, problem),
                     JIFEN_STATUS_NOT_BILLABLE);
    assert_string_equal(problem, "no_units");
    assert_int_equal(policy_fee_amount(policy_find_fee(p, "chewei"), 0, 2,
                                       &fen, &q, problem),
                     JIFEN_STATUS_OK);
    assert_int_equal(fen, 30000);
    assert_int_equal(policy_fee_amount(policy_find_fee(p, "laji"), 0, 0, &fen,
                                       &q, problem),
                     JIFEN_STATUS_OK);
    assert_int_equal(fen, 1000);

    /* It reads back as it was written (policy show, PolicyLoad's text). */
    static char a[65536], b[65536];
    policy *r = new_policy();
    int n = policy_format(p, a, sizeof a);
    assert_true(n > 0);
    assert_int_equal(policy_parse(r, a, (size_t)n, "shown", err, sizeof err),
                     0);
    assert_int_equal(policy_format(r, b, sizeof b), n);
    assert_string_equal(a, b);
    assert_contains(a, "[fee wuye]\nname = 物业费\nbasis = area\nrate_fen = 120\n");

    /* What is refused, naming the line. */
    static const struct {
        const char *text, *why;
    } bad[] = {
        {TOP MEETING "[fee x]\nname = X\nbasis = volume\nrate_fen = 1\n",
         "basis must be area"},
        {TOP MEETING "[fee x]\nbasis = area\nrate_fen = 1\n",
         "needs name, basis and rate_fen"},
        {TOP MEETING "[fee x]\nname = X\nbasis = area\nrate_fen = 0\n",
         "rate_fen must be a whole number from 1"},
        {TOP MEETING "[fee x]\nname = X\nbasis = fixed\nrate_fen = 1\n"
                     "[fee x]\nname = Y\nbasis = fixed\nrate_fen = 2\n",
         "duplicate fee x"},
        {TOP "ontime_day = 15\n" MEETING, "ontime_day and ontime_points go "
                                          "together"},
        {TOP "ontime_day = 29\nontime_points = 1\n" MEETING,
         "ontime_day must be a whole number from 1 to 28"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(parse_str(r, bad[i].text, err, sizeof err), -1);
        assert_contains(err, bad[i].why);
    }
    free(p);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_catalogue),
        cmocka_unit_test(test_default_text),
        cmocka_unit_test(test_brief_example),
        cmocka_unit_test(test_format_details),
        cmocka_unit_test(test_limits_fit),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_nul_byte),
        cmocka_unit_test(test_error_too_many),
        cmocka_unit_test(test_error_long_line),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_award),
        cmocka_unit_test(test_award_uncapped_hours),
        cmocka_unit_test(test_deduct),
        cmocka_unit_test(test_redeem),
        cmocka_unit_test(test_redeem_rounding_exhaustive),
        cmocka_unit_test(test_redeem_overflow),
        cmocka_unit_test(test_rule_set_keys),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_fee_schedule),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
