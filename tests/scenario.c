/*
 * scenario - see scenario.h.
 */
#include "scenario.h"

#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "keyfile.h"
#include "tabledump.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stddef.h>

#include <cmocka.h>

/* Fails the running test at the scenario's line, with the message. */
static void fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

static void fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error("%s:%d: %s\n", file, line, msg);
    _fail(file, line);
    abort(); /* _fail does not return; this tells the compiler so */
}

#define FAIL(...) fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* --- every scenario alive, for scenario_teardown ------------------------- */

#define LIVE_MAX 8
static scenario *live[LIVE_MAX];

static void live_add(scenario *s)
{
    for (size_t i = 0; i < LIVE_MAX; i++)
        if (!live[i]) {
            live[i] = s;
            return;
        }
    FAIL("more than %d scenarios at once", LIVE_MAX);
}

static void live_remove(const scenario *s)
{
    for (size_t i = 0; i < LIVE_MAX; i++)
        if (live[i] == s)
            live[i] = NULL;
}

int scenario_teardown(void **state)
{
    (void)state;
    for (size_t i = LIVE_MAX; i-- > 0;)
        if (live[i])
            scenario_destroy(&live[i]);
    return 0;
}

/* --- time ---------------------------------------------------------------- */

int64_t scenario_ms(const char *when)
{
    int y, mo, d, h, mi, sec = 0;
    int n = sscanf(when, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
    if (n != 5 && n != 6)
        FAIL("time \"%s\" is not YYYY-MM-DD HH:MM[:SS]", when);
    return testutil_at(y, mo, d, h, mi) + (int64_t)sec * 1000;
}

void scenario_at_ms(scenario *s, int64_t ms)
{
    s->now_ms = ms;
    if (!s->clock_path)
        return; /* a replica reads its primary's clock */
    FILE *f = fopen(s->clock_path, "w");
    if (!f || fprintf(f, "%" PRId64 "\n", ms) < 0 || fclose(f) != 0)
        FAIL("cannot write the test clock %s", s->clock_path);
}

void scenario_at(scenario *s, const char *when)
{
    scenario_at_ms(s, scenario_ms(when));
}

uint64_t scenario_head(scenario *s)
{
    return testutil_book_head(&s->book);
}

uint64_t scenario_tick(scenario *s)
{
    uint64_t before = scenario_head(s);
    if (ledger_tick(s->book.led, s->now_ms) != LEDGER_OK)
        FAIL("ledger_tick: %s", ledger_strerror(s->book.led));
    return scenario_head(s) - before;
}

/* --- commands ------------------------------------------------------------ */

static jifen_command command(jifen_command_kind kind, const char *h)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (h)
        snprintf(c.household, sizeof c.household, "%s", h);
    return c;
}

static void set_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

jifen_command sc_household(const char *h, const char *name)
{
    jifen_command c = command(JIFEN_CMD_HOUSEHOLD_ADD, h);
    set_text(c.name, sizeof c.name, name);
    return c;
}

jifen_command sc_award(const char *h, const char *activity)
{
    jifen_command c = command(JIFEN_CMD_AWARD, h);
    set_text(c.code, sizeof c.code, activity);
    return c;
}

jifen_command sc_award_points(const char *h, const char *activity,
                              uint32_t points)
{
    jifen_command c = sc_award(h, activity);
    c.points = points;
    return c;
}

jifen_command sc_award_hours(const char *h, const char *activity,
                             uint32_t hours)
{
    jifen_command c = sc_award(h, activity);
    c.hours = hours;
    return c;
}

jifen_command sc_deduct(const char *h, const char *rule, uint32_t points,
                        const char *note)
{
    jifen_command c = command(JIFEN_CMD_DEDUCT, h);
    set_text(c.code, sizeof c.code, rule);
    set_text(c.note, sizeof c.note, note);
    c.points = points;
    return c;
}

jifen_command sc_bill(const char *h, uint64_t fen, const char *period)
{
    jifen_command c = command(JIFEN_CMD_BILL, h);
    c.amount = fen;
    set_text(c.period, sizeof c.period, period);
    return c;
}

jifen_command sc_pay(const char *h, uint64_t fen)
{
    jifen_command c = command(JIFEN_CMD_PAY, h);
    c.amount = fen;
    return c;
}

jifen_command sc_redeem(const char *h, uint64_t points)
{
    jifen_command c = command(JIFEN_CMD_REDEEM, h);
    c.amount = points;
    return c;
}

static jifen_command about_entry(jifen_command_kind kind, uint64_t entry,
                                 const char *note)
{
    jifen_command c = command(kind, NULL);
    c.entry = entry;
    set_text(c.note, sizeof c.note, note);
    return c;
}

jifen_command sc_reverse(uint64_t entry, const char *note)
{
    return about_entry(JIFEN_CMD_REVERSE, entry, note);
}

jifen_command sc_object(uint64_t entry, const char *note)
{
    return about_entry(JIFEN_CMD_OBJECT, entry, note);
}

jifen_command sc_approve(uint64_t entry)
{
    return about_entry(JIFEN_CMD_APPROVE, entry, NULL);
}

jifen_command sc_settle(uint64_t fen, const char *note)
{
    jifen_command c = command(JIFEN_CMD_SETTLE, NULL);
    c.amount = fen;
    set_text(c.note, sizeof c.note, note);
    return c;
}

jifen_command sc_policy_load(const char *text)
{
    jifen_command c = command(JIFEN_CMD_POLICY_LOAD, NULL);
    c.text = (char *)text; /* borrowed: a request only reads it */
    return c;
}

jifen_command sc_key_enrol(const char *z85, jifen_role role, const char *label)
{
    jifen_command c = command(JIFEN_CMD_KEY_ENROL, NULL);
    set_text(c.key, sizeof c.key, z85);
    set_text(c.name, sizeof c.name, label);
    c.role = role;
    return c;
}

jifen_command sc_key_revoke(const char *z85)
{
    jifen_command c = command(JIFEN_CMD_KEY_REVOKE, NULL);
    set_text(c.key, sizeof c.key, z85);
    return c;
}

void scenario_describe(const jifen_command *c, char *out, size_t cap)
{
    size_t n = 0;
#define ADD(...)                                                               \
    do {                                                                       \
        if (n < cap)                                                           \
            n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__);              \
    } while (0)
    ADD("%s", codec_command_name(c->kind));
    if (c->household[0])
        ADD(" %s", c->household);
    if (c->code[0])
        ADD(" %s", c->code);
    if (c->entry)
        ADD(" entry %" PRIu64, c->entry);
    if (c->amount)
        ADD(" %" PRIu64, c->amount);
    if (c->points)
        ADD(" points=%" PRIu32, c->points);
    if (c->hours)
        ADD(" hours=%" PRIu32, c->hours);
    if (c->period[0])
        ADD(" period=%s", c->period);
    if (c->key[0])
        ADD(" key %.8s...", c->key);
    if (c->kind == JIFEN_CMD_KEY_ENROL)
        ADD(" as %s", jifen_role_name(c->role));
    if (c->text)
        ADD(" (%zu bytes of rules)", strlen(c->text));
#undef ADD
}

/* "terminal (test-terminal)" */
static void describe_caller(const ledger_caller *who, char *out, size_t cap)
{
    snprintf(out, cap, "%s (%s)",
             who->key[0] ? jifen_role_name(who->role) : "local operator",
             who->author);
}

/* --- the ledger ---------------------------------------------------------- */

/* A key pair's public half, made up from a seed: the ledger keeps and
 * compares public keys only, so no secret is needed. */
static void made_up_key(const char *seed, char z85[JIFEN_KEY_Z85_LEN + 1])
{
    uint8_t raw[JIFEN_HASH_LEN];
    hash_sha256(seed, strlen(seed), raw);
    keyfile_z85_encode(raw, z85);
}

ledger_caller scenario_operator(const char *author)
{
    ledger_caller who;
    memset(&who, 0, sizeof who);
    who.role = JIFEN_ROLE_NONE;
    snprintf(who.author, sizeof who.author, "%s", author);
    return who;
}

static ledger_caller key_caller(const char *z85, jifen_role role,
                                const char *label)
{
    ledger_caller who;
    memset(&who, 0, sizeof who);
    snprintf(who.key, sizeof who.key, "%s", z85);
    who.role = role;
    snprintf(who.author, sizeof who.author, "%s", label);
    return who;
}

static size_t count_texts(const char *const *texts)
{
    size_t n = 0;
    while (texts[n])
        n++;
    return n;
}

/* s->texts := a copy of texts (a replica, a restart read them again). */
static void keep_texts(scenario *s, const char *const *texts)
{
    for (size_t i = 0; s->texts && s->texts[i]; i++)
        free(s->texts[i]);
    free(s->texts);
    size_t n = count_texts(texts);
    s->texts = calloc(n + 1, sizeof *s->texts);
    for (size_t i = 0; s->texts && i < n; i++)
        if (!(s->texts[i] = strdup(texts[i])))
            FAIL("out of memory");
    if (!s->texts)
        FAIL("out of memory");
}

static scenario *open_book(const char *const *rule_sets)
{
    static const char *const default_rules[] = {policy_default_text, NULL};
    const char *const *texts = rule_sets ? rule_sets : default_rules;
    size_t n = count_texts(texts);
    scenario *s = calloc(1, sizeof *s);
    if (!s)
        FAIL("out of memory");
    if (testutil_book_open(&s->book, texts, n) != 0) {
        testutil_book_close(&s->book);
        free(s);
        FAIL("the scenario's ledger cannot be opened (rule sets above)");
    }
    keep_texts(s, texts);
    live_add(s);
    return s;
}

scenario *scenario_new(const char *const *rule_sets)
{
    scenario *s = open_book(rule_sets);
    size_t len = strlen(s->book.dir) + sizeof "/test-clock";
    s->clock_path = malloc(len);
    if (!s->clock_path)
        FAIL("out of memory");
    snprintf(s->clock_path, len, "%s/test-clock", s->book.dir);
    /* Keys can be enrolled only under a rule set: the first one's date
     * when that is later. */
    int64_t first = ruleset_get(s->book.rules, 0)->effective_ms;
    int64_t start = scenario_ms("2026-01-01 00:00");
    scenario_at_ms(s, first > start ? first : start);
    if (clock_use_test_file(s->clock_path) != 0)
        FAIL("cannot use the test clock %s", s->clock_path);
    /* One key per role, enrolled offline (`jifend --enrol`). */
    static const jifen_role roles[] = {JIFEN_ROLE_COMMITTEE, JIFEN_ROLE_TERMINAL,
                                       JIFEN_ROLE_AUDITOR, JIFEN_ROLE_ADMIN};
    ledger_caller *callers[] = {&s->committee, &s->terminal, &s->auditor,
                                &s->admin};
    ledger_caller local = scenario_operator("local-operator");
    for (size_t i = 0; i < 4; i++) {
        char label[64], z85[JIFEN_KEY_Z85_LEN + 1];
        snprintf(label, sizeof label, "test-%s", jifen_role_name(roles[i]));
        made_up_key(label, z85);
        *callers[i] = key_caller(z85, roles[i], label);
        scenario_expect(s, &local, NULL, sc_key_enrol(z85, roles[i], label),
                        JIFEN_STATUS_OK, NULL, __FILE__, __LINE__);
    }
    return s;
}

void scenario_destroy(scenario **s_p)
{
    scenario *s = *s_p;
    if (!s)
        return;
    live_remove(s);
    codec_reply_clear(&s->last_write);
    codec_reply_clear(&s->last_query);
    testutil_book_close(&s->book);
    if (s->clock_path) {
        clock_use_test_file(NULL);
        free(s->clock_path);
    }
    for (size_t i = 0; s->texts && s->texts[i]; i++)
        free(s->texts[i]);
    free(s->texts);
    free(s);
    *s_p = NULL;
}

void scenario_restart(scenario *s)
{
    if (testutil_book_reopen(&s->book) != 0)
        FAIL("the ledger does not open again (see above)");
}

int scenario_reload(scenario *s, const char *const *rule_sets, char *err,
                    size_t errlen)
{
    ruleset *rules = NULL;
    policy first;
    if (testutil_rules(rule_sets, count_texts(rule_sets), &rules, &first) != 0)
        FAIL("the rule sets do not parse (see above)");
    if (ledger_replace_rules(s->book.led, rules, s->now_ms, err, errlen) !=
        0) {
        ruleset_destroy(&rules);
        return -1;
    }
    /* Taken: a restart reads these files from now on. */
    ruleset_destroy(&s->book.rules);
    s->book.rules = rules;
    s->book.pol = first;
    keep_texts(s, rule_sets);
    return 0;
}

char *scenario_source_file(const char *relative_path)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", JIFEN_SOURCE_DIR, relative_path);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len + 1)) &&
        fread(text, 1, (size_t)len, f) == (size_t)len) {
        text[len] = '\0';
        fclose(f);
        return text;
    }
    if (f)
        fclose(f);
    free(text);
    FAIL("cannot read %s", path);
}

char *scenario_edit(const char *text, const char *old_line,
                    const char *new_line)
{
    size_t cap = strlen(text) + 1, n = 0, old_len = strlen(old_line);
    size_t new_len = strlen(new_line);
    int edits = 0;
    /* Each edit may grow the text by new_len; lines are counted first. */
    for (const char *p = text; *p; p++)
        cap += *p == '\n' ? new_len : 0;
    char *out = malloc(cap + new_len);
    if (!out)
        FAIL("out of memory");
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        bool match = len == old_len && memcmp(p, old_line, len) == 0;
        memcpy(out + n, match ? new_line : p, match ? new_len : len);
        n += match ? new_len : len;
        edits += match;
        p += len;
        if (*p == '\n')
            out[n++] = *p++;
    }
    out[n] = '\0';
    if (edits == 0) {
        free(out);
        FAIL("no line \"%s\" to replace", old_line);
    }
    return out;
}

ledger_caller scenario_enrol(scenario *s, jifen_role role, const char *label)
{
    char seed[128], z85[JIFEN_KEY_Z85_LEN + 1];
    snprintf(seed, sizeof seed, "key %d %s", ++s->next_key, label);
    made_up_key(seed, z85);
    scenario_expect(s, &s->admin, NULL, sc_key_enrol(z85, role, label),
                    JIFEN_STATUS_OK, NULL, __FILE__, __LINE__);
    return key_caller(z85, role, label);
}

/* --- requests ------------------------------------------------------------ */

/* Through the codec as from the wire, then authorized as server.c's admit
 * does: 0 with *out decoded and *checked the sender, or -1 with the whole
 * request's refusal in *refused (status and message, no results). */
static int admit(scenario *s, const ledger_caller *who,
                 const jifen_request *sent, jifen_request *out,
                 ledger_caller *checked, jifen_reply *refused)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (codec_request_encode(sent, &bytes, &len) != 0)
        FAIL("out of memory");
    memset(refused, 0, sizeof *refused);
    snprintf(refused->request_id, sizeof refused->request_id, "%s",
             sent->request_id);
    refused->status = codec_request_decode(bytes, len, out, refused->error,
                                           sizeof refused->error);
    free(bytes);
    if (refused->status != JIFEN_STATUS_OK)
        return -1;
    *checked = *who;
    if (who->key[0])
        refused->status =
            ledger_authorize(s->book.led, who->key, out, checked,
                             refused->error, sizeof refused->error);
    if (refused->status == JIFEN_STATUS_OK)
        return 0;
    codec_request_clear(out);
    return -1;
}

/* One write transaction of the admitted requests: LEDGER_OK committed,
 * or the error with the transaction undone and their replies emptied. */
static ledger_error apply_admitted(ledger *led, size_t n,
                                   const jifen_request *decoded,
                                   const ledger_caller *checked,
                                   const bool *in_group, int64_t now_ms,
                                   jifen_reply *replies)
{
    ledger_error le = ledger_write_begin(led);
    if (le != LEDGER_OK)
        FAIL("ledger_write_begin: %s", ledger_strerror(led));
    for (size_t i = 0; i < n && le == LEDGER_OK; i++) {
        uint8_t digest[JIFEN_HASH_LEN];
        if (!in_group[i])
            continue;
        hash_request_digest(&decoded[i], digest);
        le = ledger_apply(led, &decoded[i], digest, &checked[i], now_ms,
                          &replies[i]);
    }
    if (le == LEDGER_OK)
        le = ledger_write_commit(led);
    else
        ledger_write_abort(led);
    if (le != LEDGER_OK)
        for (size_t i = 0; i < n; i++)
            if (in_group[i]) {
                char id[sizeof replies[i].request_id];
                memcpy(id, replies[i].request_id, sizeof id);
                codec_reply_clear(&replies[i]);
                memcpy(replies[i].request_id, id, sizeof id);
            }
    return le;
}

void scenario_group(scenario *s, size_t n, const jifen_request *requests,
                    const ledger_caller *who, jifen_reply *replies)
{
    jifen_request *decoded = calloc(n, sizeof *decoded);
    ledger_caller *checked = calloc(n, sizeof *checked);
    bool *in_group = calloc(n, sizeof *in_group);
    if (!decoded || !checked || !in_group)
        FAIL("out of memory");
    for (size_t i = 0; i < n; i++) {
        jifen_request sent = requests[i];
        if (!sent.request_id[0])
            snprintf(sent.request_id, sizeof sent.request_id, "sc-%d",
                     ++s->next_id);
        in_group[i] = admit(s, &who[i], &sent, &decoded[i], &checked[i],
                            &replies[i]) == 0;
    }
    /* As jifend's committer does (server.c run_job): a group that fills
     * the map is undone, the map grown and the group applied again. */
    ledger *led = s->book.led;
    ledger_error le = LEDGER_FULL;
    for (int attempt = 0; le == LEDGER_FULL && attempt < 8; attempt++) {
        if (attempt > 0 && ledger_grow(led) != LEDGER_OK)
            FAIL("ledger_grow: %s", ledger_strerror(led));
        le = apply_admitted(led, n, decoded, checked, in_group, s->now_ms,
                            replies);
    }
    if (le != LEDGER_OK)
        FAIL("the ledger failed: %s", ledger_strerror(led)[0]
                                          ? ledger_strerror(led)
                                          : "(its log line above)");
    for (size_t i = 0; i < n; i++)
        if (in_group[i])
            codec_request_clear(&decoded[i]);
    free(decoded);
    free(checked);
    free(in_group);
}

/* The single result of a reply; a reply refused as a whole as a result. */
static jifen_result only_result(const jifen_reply *reply)
{
    jifen_result r;
    memset(&r, 0, sizeof r);
    if (reply->status == JIFEN_STATUS_OK && reply->n_results == 1)
        return reply->results[0];
    r.status = reply->status == JIFEN_STATUS_OK ? JIFEN_STATUS_INTERNAL
                                                : reply->status;
    snprintf(r.error, sizeof r.error, "%s", reply->error);
    return r;
}

/* A request of one command. */
static jifen_request one(const char *request_id, jifen_command *cmd)
{
    jifen_request req = {.n_commands = 1, .commands = cmd};
    if (request_id)
        snprintf(req.request_id, sizeof req.request_id, "%s", request_id);
    return req;
}

jifen_result scenario_send(scenario *s, const ledger_caller *who,
                           const char *request_id, jifen_command cmd)
{
    codec_reply_clear(&s->last_write);
    if (!jifen_command_is_write(cmd.kind))
        FAIL("%s is not a write", codec_command_name(cmd.kind));
    jifen_request req = one(request_id, &cmd);
    scenario_group(s, 1, &req, who, &s->last_write);
    return only_result(&s->last_write);
}

/* The first line where two dumps differ, for the message. */
static void first_difference(const char *a, const char *b, char *out,
                             size_t cap)
{
    while (*a && *a == *b) {
        const char *na = strchr(a, '\n'), *nb = strchr(b, '\n');
        size_t la = na ? (size_t)(na - a) + 1 : strlen(a);
        size_t lb = nb ? (size_t)(nb - b) + 1 : strlen(b);
        if (la != lb || memcmp(a, b, la) != 0)
            break;
        a += la;
        b += lb;
    }
    snprintf(out, cap, "before: %.*s\n  after: %.*s",
             (int)strcspn(a, "\n"), *a ? a : "(end)", (int)strcspn(b, "\n"),
             *b ? b : "(end)");
}

jifen_result scenario_expect(scenario *s, const ledger_caller *who,
                             const char *request_id, jifen_command cmd,
                             jifen_status status, const char *needle,
                             const char *file, int line)
{
    char what[256], by[128];
    scenario_describe(&cmd, what, sizeof what);
    describe_caller(who, by, sizeof by);
    char *before = NULL;
    if (status != JIFEN_STATUS_OK &&
        !(before = tabledump_text(ledger_storage(s->book.led),
                                  SCENARIO_LOCAL_TABLES)))
        fail_at(file, line, "the ledger cannot be dumped");
    jifen_result r = scenario_send(s, who, request_id, cmd);
    if (r.status != status) {
        free(before);
        if (r.status == JIFEN_STATUS_OK)
            fail_at(file, line, "%s: %s: expected %s, got ok (entry %" PRIu64 ")",
                    by, what, jifen_status_name(status), r.entry);
        fail_at(file, line, "%s: %s: expected %s, got %s: %s", by, what,
                jifen_status_name(status), jifen_status_name(r.status),
                r.error);
    }
    if (needle && !strstr(r.error, needle)) {
        free(before);
        fail_at(file, line, "%s: %s: %s as expected, but the message \"%s\" "
                "does not say \"%s\"",
                by, what, jifen_status_name(status), r.error, needle);
    }
    if (!before)
        return r;
    char *after =
        tabledump_text(ledger_storage(s->book.led), SCENARIO_LOCAL_TABLES);
    if (!after || strcmp(before, after) != 0) {
        char diff[1024] = "the ledger cannot be dumped";
        if (after)
            first_difference(before, after, diff, sizeof diff);
        free(before);
        free(after);
        fail_at(file, line, "%s: %s: %s, but it changed the ledger:\n  %s",
                by, what, jifen_status_name(status), diff);
    }
    free(before);
    free(after);
    return r;
}

/* --- queries ------------------------------------------------------------- */

jifen_result scenario_query(scenario *s, const ledger_caller *who,
                            jifen_command cmd)
{
    codec_reply_clear(&s->last_query);
    jifen_request sent = one(NULL, &cmd), req;
    ledger_caller checked;
    if (admit(s, who, &sent, &req, &checked, &s->last_query) != 0)
        return only_result(&s->last_query);
    ledger_error le = ledger_query(s->book.led, &req, &s->last_query);
    codec_request_clear(&req);
    if (le != LEDGER_OK)
        FAIL("ledger_query: %s", ledger_query_strerror(s->book.led));
    return only_result(&s->last_query);
}

/* A query as the auditor that must succeed; its result stays in
 * s->last_query. */
static const jifen_result *query_ok(scenario *s, jifen_command cmd,
                                    const char *file, int line)
{
    jifen_result r = scenario_query(s, &s->auditor, cmd);
    if (r.status != JIFEN_STATUS_OK) {
        char what[256];
        scenario_describe(&cmd, what, sizeof what);
        fail_at(file, line, "%s: %s: %s", what, jifen_status_name(r.status),
                r.error);
    }
    return &s->last_query.results[0];
}

jifen_balance scenario_balance(scenario *s, const char *h, const char *file,
                               int line)
{
    return query_ok(s, command(JIFEN_CMD_BALANCE, h), file, line)->balance;
}

void scenario_expect_balance(scenario *s, const char *h, int64_t points,
                             int64_t pending, int64_t fee_due_fen,
                             const char *file, int line)
{
    jifen_balance b = scenario_balance(s, h, file, line);
    if (b.points != points || b.pending_points != pending ||
        b.fee_due_fen != fee_due_fen)
        fail_at(file, line,
                "balance of %s: expected %" PRId64 " points, %" PRId64
                " pending, %" PRId64 " fen due; got %" PRId64 ", %" PRId64
                ", %" PRId64,
                h, points, pending, fee_due_fen, b.points, b.pending_points,
                b.fee_due_fen);
}

const jifen_result *scenario_history(scenario *s, const char *h,
                                     uint32_t limit)
{
    jifen_command c = command(JIFEN_CMD_HISTORY, h);
    c.limit = limit;
    return query_ok(s, c, __FILE__, __LINE__);
}

const jifen_entry *scenario_newest(scenario *s, const char *h)
{
    const jifen_result *r = scenario_history(s, h, 1);
    if (r->n_history != 1)
        FAIL("%s has no history", h);
    return &r->history[0];
}

const jifen_result *scenario_notices(scenario *s, const char *period)
{
    jifen_command c = command(JIFEN_CMD_NOTICES, NULL);
    set_text(c.period, sizeof c.period, period);
    return query_ok(s, c, __FILE__, __LINE__);
}

const jifen_report *scenario_report(scenario *s, const char *kind,
                                    const char *period, const char *h)
{
    jifen_command c = command(JIFEN_CMD_REPORT, h);
    set_text(c.code, sizeof c.code, kind);
    set_text(c.period, sizeof c.period, period);
    const jifen_result *r = query_ok(s, c, __FILE__, __LINE__);
    if (!r->report)
        FAIL("report %s: no table in the answer", kind);
    return r->report;
}

int64_t scenario_item(const jifen_report *r, const char *item,
                      const char *file, int line)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].cells[0], item) == 0)
            return strtoll(r->rows[i].cells[1], NULL, 10);
    fail_at(file, line, "%s: no row %s", r->title, item);
}

const char *scenario_cell(const jifen_report *r, const char *row,
                          const char *column, const char *file, int line)
{
    size_t col = 0;
    while (col < r->n_columns && strcmp(r->columns[col], column) != 0)
        col++;
    if (col == r->n_columns)
        fail_at(file, line, "%s: no column %s", r->title, column);
    for (size_t i = 0; i < r->n_rows; i++)
        if (strcmp(r->rows[i].cells[0], row) == 0)
            return r->rows[i].cells[col];
    fail_at(file, line, "%s: no row %s", r->title, row);
}

const jifen_result *scenario_policy(scenario *s, const char *version)
{
    jifen_command c = command(JIFEN_CMD_POLICY, NULL);
    set_text(c.name, sizeof c.name, version);
    jifen_result r = scenario_query(s, &s->auditor, c);
    if (s->last_query.n_results != 1)
        FAIL("policy %s: refused: %s", version, r.error);
    return &s->last_query.results[0]; /* an unknown version: the caller's */
}

void scenario_verify(scenario *s, const char *file, int line)
{
    jifen_verify_report rep;
    if (ledger_verify(s->book.led, &rep) != LEDGER_OK)
        fail_at(file, line, "verify: %s", ledger_strerror(s->book.led));
    if (!rep.ok)
        fail_at(file, line, "verify: entry %" PRIu64 ": %s", rep.bad_entry,
                rep.problem);
}

/* --- replicas ------------------------------------------------------------ */

scenario *scenario_replica_of(scenario *primary)
{
    return scenario_replica_with(primary,
                                 (const char *const *)primary->texts);
}

scenario *scenario_replica_with(scenario *primary, const char *const *rule_sets)
{
    scenario *r = open_book(rule_sets);
    r->now_ms = primary->now_ms;
    /* The same keys: the replica learns them from the enrolments. */
    r->committee = primary->committee;
    r->terminal = primary->terminal;
    r->auditor = primary->auditor;
    r->admin = primary->admin;
    return r;
}

void scenario_follow(scenario *replica, scenario *primary, const char *file,
                     int line)
{
    if (testutil_replicate(primary->book.led, replica->book.led, 0) != 0)
        fail_at(file, line, "the replica does not take the primary's "
                            "entries (see above)");
    replica->now_ms = primary->now_ms;
}

/* The reply to a query, encoded: what a client would receive. */
static uint8_t *answer_bytes(scenario *s, jifen_command q, size_t *len)
{
    uint8_t *bytes = NULL;
    scenario_query(s, &s->auditor, q);
    if (codec_reply_encode(&s->last_query, &bytes, len) != 0)
        FAIL("out of memory");
    return bytes;
}

void scenario_same_answer(scenario *a, scenario *b, jifen_command query,
                          const char *file, int line)
{
    size_t la = 0, lb = 0;
    uint8_t *ba = answer_bytes(a, query, &la);
    uint8_t *bb = answer_bytes(b, query, &lb);
    size_t at = 0;
    while (at < la && at < lb && ba[at] == bb[at])
        at++;
    free(ba);
    free(bb);
    if (la == lb && at == la)
        return;
    char what[256];
    scenario_describe(&query, what, sizeof what);
    fail_at(file, line, "%s: the answers differ from byte %zu on (%zu and "
            "%zu bytes)",
            what, at, la, lb);
}

void scenario_same_tables(scenario *a, scenario *b, const char *file, int line)
{
    tabledump_options o = {SCENARIO_LOCAL_TABLES, "primary", "replica", 10,
                           stderr};
    long n = tabledump_compare(ledger_storage(a->book.led),
                               ledger_storage(b->book.led), &o);
    if (n != 0)
        fail_at(file, line, "%ld record(s) differ between the primary and "
                "the replica (listed above)", n);
}
