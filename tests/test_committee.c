/*
 * test_committee - issue 15 on a real ledger (docs/committee.md): members
 * and consented proxies on the entries they make, an event awarded to a
 * household once whatever the request ids, a dry run that decides like
 * the real run and keeps nothing, the points supermarket (points and stock
 * in one entry, nothing changed past the stock, pickup, reversal before
 * the pickup, a price change leaving past entries, a funder owed and
 * settled), opening balances only where the accounts are empty, passbook
 * marks, suspended awards, the reports, and every new kind rebuilt the
 * same by a replica and by a rebuild.
 */
#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "ledger.h"
#include "rebuild.h"
#include "ruleset.h"
#include "storage.h"
#include "testutil.h"

#include <setjmp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define RULES                                                                  \
    "version = c1\nfen_per_point = 100\nmax_offset_percent = 50\n"             \
    "max_redeem_points_per_year = 500\n"                                       \
    "[activity meeting]\npoints = 2\nmax_per_month = 8\n"                      \
    "[activity volunteer]\npoints_per_hour = 1\nmax_hours = 2\n"               \
    "[rule free-riding]\npoints = 1\nsuspend_months = 1\n"                     \
    "suspend_award_months = 1\n"
#define NOTICE_RULES                                                           \
    "version = n1\neffective = 2026-08-01\nfen_per_point = 100\n"              \
    "max_offset_percent = 50\nnotice_days = 7\n"                               \
    "[activity meeting]\npoints = 2\nmax_per_month = 8\n"                      \
    "[activity volunteer]\npoints_per_hour = 1\nmax_hours = 2\n"               \
    "[rule free-riding]\npoints = 1\n"

#define A "3-2-501"
#define B "3-2-502"
#define C "5-1-101"

static testutil_book book;
#define at testutil_at
static int64_t T;

static jifen_command cmd_of(jifen_command_kind kind, const char *household)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    if (household)
        snprintf(c.household, sizeof c.household, "%s", household);
    return c;
}

static jifen_result write_at(int64_t now, const jifen_command *c)
{
    jifen_result r;
    assert_int_equal(testutil_book_write(&book, now, "委员 王芳", c, &r), 0);
    return r;
}

static jifen_result write(const jifen_command *c)
{
    return write_at(T, c);
}

static jifen_status status_of(const jifen_command *c)
{
    return write(c).status;
}

static void add_household(const char *h, const char *name)
{
    jifen_command c = cmd_of(JIFEN_CMD_HOUSEHOLD_ADD, h);
    snprintf(c.name, sizeof c.name, "%s", name);
    assert_int_equal(status_of(&c), JIFEN_STATUS_OK);
}

static jifen_status add_member(const char *h, const char *name,
                               const char *relation, const char *phone)
{
    jifen_command c = cmd_of(JIFEN_CMD_MEMBER_SET, h);
    snprintf(c.member, sizeof c.member, "%s", name);
    snprintf(c.code, sizeof c.code, "%s", relation);
    snprintf(c.key, sizeof c.key, "%s", phone);
    return status_of(&c);
}

static jifen_command award_of(const char *h, const char *activity,
                              const char *member, const char *proxy,
                              const char *event, const char *date)
{
    jifen_command c = cmd_of(JIFEN_CMD_AWARD, h);
    snprintf(c.code, sizeof c.code, "%s", activity);
    if (member)
        snprintf(c.member, sizeof c.member, "%s", member);
    if (proxy)
        snprintf(c.proxy, sizeof c.proxy, "%s", proxy);
    if (event) {
        snprintf(c.name, sizeof c.name, "%s", event);
        snprintf(c.effective, sizeof c.effective, "%s", date);
    }
    return c;
}

static jifen_balance balance(const char *h)
{
    jifen_balance b;
    assert_int_equal(testutil_book_balance(&book, h, &b), 0);
    return b;
}

/* One query, its result's report (the caller clears it). */
static jifen_result report(const char *kind, const char *h,
                           const char *period, uint64_t from)
{
    jifen_command q = cmd_of(JIFEN_CMD_REPORT, h);
    snprintf(q.code, sizeof q.code, "%s", kind);
    if (period)
        snprintf(q.period, sizeof q.period, "%s", period);
    q.entry = from;
    jifen_request req = {.n_commands = 1, .commands = &q};
    jifen_reply reply;
    assert_int_equal(ledger_query(book.led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.n_results, 1);
    jifen_result r = reply.results[0];
    reply.results[0].report = NULL;
    codec_reply_clear(&reply);
    return r;
}

/* The cell of `column` in the first row whose first cell is `key`
 * ("" when there is none). */
static const char *cell(const jifen_report *rep, const char *key,
                        const char *column)
{
    size_t col = 0;
    while (col < rep->n_columns && strcmp(rep->columns[col], column) != 0)
        col++;
    assert_true(col < rep->n_columns);
    for (size_t i = 0; i < rep->n_rows; i++)
        if (strcmp(rep->rows[i].cells[0], key) == 0)
            return rep->rows[i].cells[col];
    return "";
}

static void report_free(jifen_result *r)
{
    codec_result_clear(r);
}

static int setup(void **state)
{
    (void)state;
    const char *rules[] = {RULES, NOTICE_RULES};
    assert_int_equal(testutil_book_open(&book, rules, 2), 0);
    T = at(2026, 7, 3, 19, 30);
    add_household(A, "王建国");
    add_household(B, "李秀英");
    add_household(C, "欧阳娜娜");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testutil_book_close(&book);
    return 0;
}

/* --- members and proxies -------------------------------------------------- */

static void test_members_and_proxies(void **state)
{
    (void)state;
    assert_int_equal(add_member(A, "王奶奶", "parent", "13812341234"),
                     JIFEN_STATUS_OK);
    assert_int_equal(add_member(A, "王小明", "child", "139 0000 5678"),
                     JIFEN_STATUS_OK);
    assert_int_equal(add_member("9-9-999", "谁", "head", ""),
                     JIFEN_STATUS_UNKNOWN_HOUSEHOLD);

    /* A member's award: the points are the household's. */
    jifen_command aw = award_of(A, "meeting", "王奶奶", NULL, NULL, NULL);
    jifen_result r = write(&aw);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(balance(A).points, 2);
    uint64_t member_award = r.entry;

    /* A proxy without consent is refused, with nothing written. */
    uint64_t head = testutil_book_head(&book);
    aw = award_of(A, "volunteer", "王奶奶", "王小明", NULL, NULL);
    aw.hours = 2;
    r = write(&aw);
    assert_int_equal(r.status, JIFEN_STATUS_NO_CONSENT);
    assert_non_null(strstr(r.error, "proxy grant"));
    assert_int_equal(testutil_book_head(&book), head);

    jifen_command pc = cmd_of(JIFEN_CMD_PROXY_CONSENT, A);
    snprintf(pc.member, sizeof pc.member, "王奶奶");
    snprintf(pc.proxy, sizeof pc.proxy, "王小明");
    snprintf(pc.note, sizeof pc.note, "亲情代理授权书 2026-07 第3号");
    r = write(&pc);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    uint64_t consent = r.entry;
    assert_int_equal(status_of(&pc), JIFEN_STATUS_BAD_REQUEST); /* twice */

    r = write(&aw);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(balance(A).points, 4);
    jifen_entry e;
    /* The entry carries the member, the proxy and the consent. */
    jifen_command h = cmd_of(JIFEN_CMD_HISTORY, A);
    h.limit = 1;
    jifen_request req = {.n_commands = 1, .commands = &h};
    jifen_reply reply;
    assert_int_equal(ledger_query(book.led, &req, &reply), LEDGER_OK);
    e = reply.results[0].history[0];
    codec_reply_clear(&reply);
    assert_string_equal(e.command.member, "王奶奶");
    assert_string_equal(e.command.proxy, "王小明");
    assert_int_equal(e.proxy_consent, consent);

    /* A consent withdrawn: the proxy is refused again, nothing written;
     * granted anew, the proxy's entries name the new consent. */
    jifen_command revoke = pc;
    revoke.flag = true;
    snprintf(revoke.note, sizeof revoke.note, "本人收回");
    assert_int_equal(status_of(&revoke), JIFEN_STATUS_OK);
    head = testutil_book_head(&book);
    aw.hours = 1;
    r = write(&aw);
    assert_int_equal(r.status, JIFEN_STATUS_NO_CONSENT);
    assert_int_equal(testutil_book_head(&book), head);
    r = write(&pc);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    consent = r.entry;
    r = write(&aw);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(balance(A).points, 5);
    h.limit = 1;
    assert_int_equal(ledger_query(book.led, &req, &reply), LEDGER_OK);
    assert_int_equal(reply.results[0].history[0].proxy_consent, consent);
    codec_reply_clear(&reply);

    /* Unknown and moved-out members. */
    aw = award_of(A, "meeting", "张三", NULL, NULL, NULL);
    assert_int_equal(status_of(&aw), JIFEN_STATUS_UNKNOWN_MEMBER);
    jifen_command left = cmd_of(JIFEN_CMD_MEMBER_SET, A);
    snprintf(left.member, sizeof left.member, "王小明");
    left.flag = true; /* the relation and the phone stay */
    assert_int_equal(status_of(&left), JIFEN_STATUS_OK);
    aw = award_of(A, "meeting", "王奶奶", "王小明", NULL, NULL);
    assert_int_equal(status_of(&aw), JIFEN_STATUS_UNKNOWN_MEMBER);

    /* The statement's lines name the member and the proxy; the members
     * report shows the phone masked. */
    jifen_result lines = report("statement-lines", A, "2026-07", 0);
    assert_int_equal(lines.status, JIFEN_STATUS_OK);
    char seq[24];
    snprintf(seq, sizeof seq, "%" PRIu64, member_award);
    assert_string_equal(cell(lines.report, seq, "member"), "王奶奶");
    snprintf(seq, sizeof seq, "%" PRIu64, e.seq);
    assert_string_equal(cell(lines.report, seq, "proxy"), "王小明");
    assert_string_equal(cell(lines.report, seq, "points"), "2");
    report_free(&lines);
    jifen_result members = report("members", A, NULL, 0);
    assert_string_equal(cell(members.report, "王奶奶", "phone"),
                        "138****1234");
    assert_string_equal(cell(members.report, "王小明", "phone"),
                        "139 **** 5678");
    assert_string_equal(cell(members.report, "王小明", "state"), "left");
    assert_string_equal(cell(members.report, "王小明", "acts_for"), "王奶奶");
    report_free(&members);
}

/* --- an event once; a dry run ---------------------------------------------- */

static void test_event_once_and_dry_run(void **state)
{
    (void)state;
    jifen_command aw =
        award_of(B, "meeting", NULL, NULL, "小板凳会：自行车棚", "2026-07-03");
    assert_int_equal(status_of(&aw), JIFEN_STATUS_OK); /* fresh id */
    jifen_result r = write(&aw);                       /* another id */
    assert_int_equal(r.status, JIFEN_STATUS_ALREADY_AWARDED);
    assert_non_null(strstr(r.error, "an event counts once"));
    /* The same event typed again with a stray space (an ASCII one, the
     * ideographic one of a Chinese input method): the same event. */
    jifen_command spaced = aw;
    snprintf(spaced.name, sizeof spaced.name, " 小板凳会：自行车棚\xe3\x80\x80");
    assert_int_equal(status_of(&spaced), JIFEN_STATUS_ALREADY_AWARDED);
    snprintf(spaced.name, sizeof spaced.name, "小板凳会：自行车棚 ");
    assert_int_equal(status_of(&spaced), JIFEN_STATUS_ALREADY_AWARDED);
    /* Another date is another event. */
    snprintf(aw.effective, sizeof aw.effective, "2026-07-10");
    r = write(&aw);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    /* Reversed, the award frees its event: a corrected roster awards it
     * again, once. */
    jifen_command rev = cmd_of(JIFEN_CMD_REVERSE, NULL);
    rev.entry = r.entry;
    snprintf(rev.note, sizeof rev.note, "签到表有误");
    assert_int_equal(status_of(&rev), JIFEN_STATUS_OK);
    assert_int_equal(status_of(&aw), JIFEN_STATUS_OK);
    assert_int_equal(status_of(&aw), JIFEN_STATUS_ALREADY_AWARDED);

    /* A dry run of three rows, one a duplicate of an earlier one within
     * the request: the answers of a real run, nothing kept. */
    uint64_t head = testutil_book_head(&book);
    jifen_balance before = balance(C);
    jifen_command rows[3] = {
        award_of(C, "meeting", NULL, NULL, "议事会：加装电梯", "2026-07-03"),
        award_of(C, "meeting", NULL, NULL, "议事会：加装电梯", "2026-07-03"),
        award_of("9-9-9", "meeting", NULL, NULL, "议事会：加装电梯",
                 "2026-07-03"),
    };
    jifen_request req = {.n_commands = 3, .commands = rows, .dry_run = true};
    snprintf(req.request_id, sizeof req.request_id, "roster-dry");
    uint8_t digest[JIFEN_HASH_LEN];
    hash_request_digest(&req, digest);
    ledger_caller who = {"", JIFEN_ROLE_NONE, "委员", false};
    jifen_reply reply;
    assert_int_equal(ledger_write_begin(book.led), LEDGER_OK);
    assert_int_equal(ledger_apply(book.led, &req, digest, &who, T, &reply),
                     LEDGER_OK);
    assert_int_equal(ledger_write_commit(book.led), LEDGER_OK);
    assert_int_equal(reply.status, JIFEN_STATUS_OK);
    assert_int_equal(reply.results[0].status, JIFEN_STATUS_OK);
    assert_int_equal(reply.results[0].points, 2);
    assert_int_equal(reply.results[1].status, JIFEN_STATUS_ALREADY_AWARDED);
    assert_int_equal(reply.results[2].status, JIFEN_STATUS_UNKNOWN_HOUSEHOLD);
    codec_reply_clear(&reply);
    assert_int_equal(testutil_book_head(&book), head);
    assert_int_equal(balance(C).points, before.points);

    /* The real run, with the very same request id: applied. */
    req.dry_run = false;
    assert_int_equal(ledger_write_begin(book.led), LEDGER_OK);
    assert_int_equal(ledger_apply(book.led, &req, digest, &who, T, &reply),
                     LEDGER_OK);
    assert_int_equal(ledger_write_commit(book.led), LEDGER_OK);
    assert_int_equal(reply.results[0].status, JIFEN_STATUS_OK);
    assert_int_equal(reply.results[1].status, JIFEN_STATUS_ALREADY_AWARDED);
    codec_reply_clear(&reply);
    assert_int_equal(testutil_book_head(&book), head + 1);
    assert_int_equal(balance(C).points, before.points + 2);
}

/* --- suspended awards --------------------------------------------------------- */

static void test_awards_suspended(void **state)
{
    (void)state;
    int64_t t = at(2026, 7, 20, 10, 0);
    jifen_command d = cmd_of(JIFEN_CMD_DEDUCT, C);
    snprintf(d.code, sizeof d.code, "free-riding");
    snprintf(d.note, sizeof d.note, "不交物业费还占车位");
    jifen_result r = write_at(t, &d);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    uint64_t sanction = r.entry;
    jifen_command aw = award_of(C, "meeting", NULL, NULL, NULL, NULL);
    r = write_at(t, &aw);
    assert_int_equal(r.status, JIFEN_STATUS_AWARDS_SUSPENDED);
    assert_non_null(strstr(r.error, "until 2026-09-01"));
    /* An appeal upheld lifts it. */
    jifen_command rev = cmd_of(JIFEN_CMD_REVERSE, NULL);
    rev.entry = sanction;
    snprintf(rev.note, sizeof rev.note, "申诉成立");
    assert_int_equal(write_at(t, &rev).status, JIFEN_STATUS_OK);
    assert_int_equal(write_at(t, &aw).status, JIFEN_STATUS_OK);
}

/* --- the points supermarket ---------------------------------------------------- */

static jifen_command item_of(const char *code, const char *name,
                             uint32_t price, uint64_t value_fen,
                             jifen_funder_kind kind, const char *funder,
                             uint32_t stock)
{
    jifen_command c = cmd_of(JIFEN_CMD_ITEM_SET, NULL);
    snprintf(c.code, sizeof c.code, "%s", code);
    snprintf(c.name, sizeof c.name, "%s", name);
    c.points = price;
    c.amount = value_fen;
    c.funder_kind = kind;
    snprintf(c.key, sizeof c.key, "%s", funder);
    snprintf(c.note, sizeof c.note, "老王便利店");
    c.limit = stock;
    return c;
}

static jifen_command redeem_of(const char *h, const char *item, uint64_t qty)
{
    jifen_command c = cmd_of(JIFEN_CMD_GOODS_REDEEM, h);
    snprintf(c.code, sizeof c.code, "%s", item);
    c.amount = qty;
    return c;
}

static void test_supermarket(void **state)
{
    (void)state;
    /* B has 2 + 2 points; some more for shopping. */
    jifen_command aw = award_of(B, "volunteer", NULL, NULL, NULL, NULL);
    aw.hours = 2;
    for (int i = 0; i < 4; i++)
        assert_int_equal(status_of(&aw), JIFEN_STATUS_OK);
    int64_t points = balance(B).points;
    assert_int_equal(points, 12);

    jifen_command it = item_of("rice-5kg", "5斤装大米", 5, 1500,
                               JIFEN_FUNDER_MERCHANT, "laowang", 2);
    jifen_result r = write(&it);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.stock_left, 2);
    /* A funder is of one kind. */
    jifen_command other = item_of("soap", "肥皂", 2, 0, JIFEN_FUNDER_SPONSOR,
                                  "laowang", 5);
    assert_int_equal(status_of(&other), JIFEN_STATUS_BAD_REQUEST);

    /* Points and stock in one entry; the merchant is owed its value. */
    jifen_command rd = redeem_of(B, "rice-5kg", 1);
    r = write(&rd);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, 5);
    assert_int_equal(r.stock_left, 1);
    assert_int_equal(r.n_postings, 2);
    assert_string_equal(r.postings[1].credit, "funder/laowang");
    assert_int_equal(r.postings[1].amount, 1500);
    uint64_t first = r.entry;
    assert_int_equal(balance(B).points, 7);

    /* Beyond the stock: refused, nothing changed. */
    uint64_t head = testutil_book_head(&book);
    rd.amount = 2;
    r = write(&rd);
    assert_int_equal(r.status, JIFEN_STATUS_OUT_OF_STOCK);
    assert_non_null(strstr(r.error, "only 1 of rice-5kg"));
    assert_int_equal(testutil_book_head(&book), head);
    assert_int_equal(balance(B).points, 7);
    jifen_result stock = report("stock", NULL, NULL, 0);
    assert_string_equal(cell(stock.report, "rice-5kg", "stock"), "1");
    report_free(&stock);
    /* Beyond the points: refused too. */
    jifen_command more = item_of("oil", "花生油", 50, 0,
                                 JIFEN_FUNDER_COMMUNITY_FUND,
                                 "community-fund", 3);
    assert_int_equal(status_of(&more), JIFEN_STATUS_OK);
    jifen_command oil = redeem_of(B, "oil", 1);
    assert_int_equal(status_of(&oil), JIFEN_STATUS_INSUFFICIENT_POINTS);

    /* Picked up once; a reversal only before. */
    jifen_command pk = cmd_of(JIFEN_CMD_PICKUP, NULL);
    pk.entry = first;
    r = write(&pk);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(status_of(&pk), JIFEN_STATUS_ALREADY_PICKED_UP);
    jifen_command rev = cmd_of(JIFEN_CMD_REVERSE, NULL);
    rev.entry = first;
    snprintf(rev.note, sizeof rev.note, "退货");
    assert_int_equal(status_of(&rev), JIFEN_STATUS_NOT_REVERSIBLE);

    /* A price change touches nothing made before it. */
    jifen_command dearer = item_of("rice-5kg", "5斤装大米", 6, 1500,
                                   JIFEN_FUNDER_MERCHANT, "laowang", 0);
    assert_int_equal(status_of(&dearer), JIFEN_STATUS_OK);
    rd.amount = 1;
    r = write(&rd);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_int_equal(r.points, 6);
    assert_int_equal(r.stock_left, 0);
    uint64_t second = r.entry;
    jifen_result lines = report("statement-lines", B, "2026-07", 0);
    char seq[24];
    snprintf(seq, sizeof seq, "%" PRIu64, first);
    assert_string_equal(cell(lines.report, seq, "points"), "-5");
    snprintf(seq, sizeof seq, "%" PRIu64, second);
    assert_string_equal(cell(lines.report, seq, "points"), "-6");
    report_free(&lines);
    /* Reversed before its pickup: points, stock and the funder's due
     * back. */
    rev.entry = second;
    assert_int_equal(status_of(&rev), JIFEN_STATUS_OK);
    assert_int_equal(balance(B).points, 7);
    stock = report("stock", NULL, NULL, 0);
    assert_string_equal(cell(stock.report, "rice-5kg", "stock"), "1");
    assert_string_equal(cell(stock.report, "rice-5kg", "price"), "6");
    report_free(&stock);
    pk.entry = second;
    assert_int_equal(status_of(&pk), JIFEN_STATUS_ALREADY_PICKED_UP);

    /* The merchant is owed 15.00 yuan; settled, never above that. */
    jifen_result funders = report("funders", NULL, "2026-07", 0);
    assert_string_equal(cell(funders.report, "laowang", "owed_fen"), "1500");
    assert_string_equal(cell(funders.report, "laowang", "booked_fen"),
                        "1500");
    report_free(&funders);
    jifen_command st = cmd_of(JIFEN_CMD_FUNDER_SETTLE, NULL);
    snprintf(st.key, sizeof st.key, "laowang");
    st.amount = 1501;
    r = write(&st);
    assert_int_equal(r.status, JIFEN_STATUS_CAP_EXCEEDED);
    assert_non_null(strstr(r.error, "15.00 yuan"));
    st.amount = 1500;
    snprintf(st.note, sizeof st.note, "转账 2026-07-31");
    assert_int_equal(status_of(&st), JIFEN_STATUS_OK);
    snprintf(st.key, sizeof st.key, "nobody");
    assert_int_equal(status_of(&st), JIFEN_STATUS_UNKNOWN_FUNDER);
    funders = report("funders", NULL, "2026-07", 0);
    assert_string_equal(cell(funders.report, "laowang", "owed_fen"), "0");
    assert_string_equal(cell(funders.report, "laowang", "settled_fen"), "1500");
    report_free(&funders);
    jifen_result red = report("redemptions", NULL, "2026-07", 0);
    assert_string_equal(cell(red.report, "rice-5kg", "quantity"), "1");
    assert_string_equal(cell(red.report, "rice-5kg", "handed_over"), "1");
    report_free(&red);
    /* Settled, then reversed before its pickup: the merchant owes the
     * 15.00 yuan back, never a negative debt, and nothing more is paid. */
    r = write(&rd);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    snprintf(st.key, sizeof st.key, "laowang");
    st.amount = 1500;
    assert_int_equal(status_of(&st), JIFEN_STATUS_OK);
    rev.entry = r.entry;
    assert_int_equal(status_of(&rev), JIFEN_STATUS_OK);
    funders = report("funders", NULL, "2026-07", 0);
    assert_string_equal(cell(funders.report, "laowang", "owed_fen"), "0");
    assert_string_equal(cell(funders.report, "laowang", "overpaid_fen"),
                        "1500");
    assert_string_equal(cell(funders.report, "TOTAL", "overpaid_fen"), "1500");
    report_free(&funders);
    st.amount = 1;
    assert_int_equal(status_of(&st), JIFEN_STATUS_CAP_EXCEEDED);
    /* Goods out of stock for a withdrawn item; goods in refused. */
    jifen_command w = cmd_of(JIFEN_CMD_ITEM_SET, NULL);
    snprintf(w.code, sizeof w.code, "oil");
    w.flag = true;
    assert_int_equal(status_of(&w), JIFEN_STATUS_OK);
    assert_int_equal(status_of(&oil), JIFEN_STATUS_UNKNOWN_ITEM);
    jifen_command sc = cmd_of(JIFEN_CMD_STOCK_CHANGE, NULL);
    snprintf(sc.code, sizeof sc.code, "oil");
    sc.amount = 1;
    assert_int_equal(status_of(&sc), JIFEN_STATUS_UNKNOWN_ITEM);
    sc.flag = true;
    sc.amount = 4;
    assert_int_equal(status_of(&sc), JIFEN_STATUS_OUT_OF_STOCK);
    sc.amount = 3;
    assert_int_equal(write(&sc).stock_left, 0);

    /* Redeemed and settled in one write transaction (one request, as a
     * group commit would hold them): the settlement sees what the
     * redemption made owed, though the funder's account is put only at
     * the commit (daemon/totals.c). */
    jifen_command eggs = item_of("eggs", "鸡蛋", 2, 800, JIFEN_FUNDER_MERCHANT,
                                 "laowu", 1);
    assert_int_equal(status_of(&eggs), JIFEN_STATUS_OK);
    jifen_command both[2] = {redeem_of(B, "eggs", 1),
                             cmd_of(JIFEN_CMD_FUNDER_SETTLE, NULL)};
    snprintf(both[1].key, sizeof both[1].key, "laowu");
    both[1].amount = 800;
    jifen_request req = {.n_commands = 2, .commands = both};
    snprintf(req.request_id, sizeof req.request_id, "redeem-and-settle");
    ledger_caller who = {.role = JIFEN_ROLE_NONE};
    snprintf(who.author, sizeof who.author, "委员 王芳");
    jifen_reply reply;
    assert_int_equal(testutil_apply(book.led, T, &who, &req, &reply), 0);
    assert_int_equal(reply.n_results, 2);
    assert_int_equal(reply.results[0].status, JIFEN_STATUS_OK);
    assert_int_equal(reply.results[1].status, JIFEN_STATUS_OK);
    codec_reply_clear(&reply);
    funders = report("funders", NULL, "2026-07", 0);
    assert_string_equal(cell(funders.report, "laowu", "owed_fen"), "0");
    assert_string_equal(cell(funders.report, "laowu", "settled_fen"), "800");
    report_free(&funders);
}

/* --- opening balances and passbooks ---------------------------------------------- */

static void test_opening_and_passbook(void **state)
{
    (void)state;
    add_household("7-1-101", "赵大爷");
    jifen_command op = cmd_of(JIFEN_CMD_OPENING, "7-1-101");
    op.points = 86;
    op.amount = 36000; /* owes 360.00 yuan */
    snprintf(op.effective, sizeof op.effective, "2025-12-31");
    snprintf(op.name, sizeof op.name, "2025年积分台账 第2册");
    op.limit = 17;
    jifen_result r = write(&op);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    uint64_t opening = r.entry;
    jifen_balance b = balance("7-1-101");
    assert_int_equal(b.points, 86);
    assert_int_equal(b.fee_due_fen, 36000);
    r = write(&op);
    assert_int_equal(r.status, JIFEN_STATUS_HOUSEHOLD_HAS_ENTRIES);
    /* A household with awards already: refused. */
    jifen_command other = op;
    snprintf(other.household, sizeof other.household, B);
    assert_int_equal(status_of(&other), JIFEN_STATUS_HOUSEHOLD_HAS_ENTRIES);
    /* A wrong figure: reversed, then imported again. */
    jifen_command rev = cmd_of(JIFEN_CMD_REVERSE, NULL);
    rev.entry = opening;
    snprintf(rev.note, sizeof rev.note, "抄错了一位");
    assert_int_equal(status_of(&rev), JIFEN_STATUS_OK);
    op.points = 68;
    op.flag = true; /* prepaid, not owed */
    assert_int_equal(status_of(&op), JIFEN_STATUS_OK);
    b = balance("7-1-101");
    assert_int_equal(b.points, 68);
    assert_int_equal(b.fee_due_fen, -36000);

    /* The passbook: lines since the last print, then from there on. */
    jifen_result pb = report("passbook", "7-1-101", NULL, 0);
    assert_int_equal(pb.status, JIFEN_STATUS_OK);
    assert_int_equal(pb.report->n_rows, 3); /* opening, reversal, opening */
    assert_string_equal(pb.report->rows[2].cells[7], "68"); /* balance */
    uint64_t through = strtoull(pb.report->rows[2].cells[1], NULL, 10);
    report_free(&pb);
    jifen_command mark = cmd_of(JIFEN_CMD_PASSBOOK_MARK, "7-1-101");
    mark.entry = through;
    mark.limit = 3;
    assert_int_equal(status_of(&mark), JIFEN_STATUS_OK);
    assert_int_equal(status_of(&mark), JIFEN_STATUS_PRINTED_ALREADY);
    pb = report("passbook", "7-1-101", NULL, 0);
    assert_int_equal(pb.report->n_rows, 0);
    report_free(&pb);
    jifen_command aw = award_of("7-1-101", "meeting", NULL, NULL, NULL, NULL);
    assert_int_equal(status_of(&aw), JIFEN_STATUS_OK);
    pb = report("passbook", "7-1-101", NULL, 0);
    assert_int_equal(pb.report->n_rows, 1);
    assert_string_equal(pb.report->rows[0].cells[0], "4"); /* line 4 */
    assert_string_equal(pb.report->rows[0].cells[5], "2");
    assert_string_equal(pb.report->rows[0].cells[7], "70");
    report_free(&pb);
    /* A reprint from the opening: up to where the last print ended. */
    pb = report("passbook", "7-1-101", NULL, opening);
    assert_int_equal(pb.report->n_rows, 3);
    report_free(&pb);
    /* A mark on another household's entry is refused. */
    mark.entry = 1; /* A's registration */
    assert_int_equal(status_of(&mark), JIFEN_STATUS_UNKNOWN_ENTRY);
}

/* --- the honour board -------------------------------------------------------------- */

static void test_honour_board(void **state)
{
    (void)state;
    /* A year nobody earned anything in: an empty board (the lists to rank
     * are empty; under UBSan this once stopped jifend). */
    jifen_result none = report("honour", NULL, "2025-01", 0);
    assert_int_equal(none.status, JIFEN_STATUS_OK);
    assert_int_equal(none.report->n_rows, 0);
    report_free(&none);
    jifen_result h = report("honour", NULL, "2026-07", 0);
    assert_int_equal(h.status, JIFEN_STATUS_OK);
    const jifen_report *rep = h.report;
    /* B earned 2 + 2 + 4 x 2 = 12 in July (the reversed award does not
     * count), A 5 (all by its member 王奶奶), C 2 + 2, 7-1-101 2: B
     * first; names masked. */
    assert_string_equal(rep->rows[0].cells[0], "month-household");
    assert_string_equal(rep->rows[0].cells[1], "1");
    assert_string_equal(rep->rows[0].cells[2], "3-2-5**");
    assert_string_equal(rep->rows[0].cells[3], "李**");
    assert_string_equal(rep->rows[0].cells[5], "12");
    bool member = false;
    for (size_t i = 0; i < rep->n_rows; i++) {
        if (strcmp(rep->rows[i].cells[0], "month-member") == 0) {
            member = true;
            assert_string_equal(rep->rows[i].cells[4], "王**");
            assert_string_equal(rep->rows[i].cells[5], "5");
        }
        assert_null(strstr(rep->rows[i].cells[3], "欧阳"));
    }
    assert_true(member);
    report_free(&h);
}

/* --- public notice: roster awards wait like single ones --------------------------- */

static void test_notice(void **state)
{
    (void)state;
    int64_t t = at(2026, 8, 3, 19, 0);
    jifen_command aw =
        award_of(A, "meeting", "王奶奶", NULL, "八月议事会", "2026-08-03");
    jifen_result r = write_at(t, &aw);
    assert_int_equal(r.status, JIFEN_STATUS_OK);
    assert_true(r.notice_ends_ms > t);
    assert_int_equal(write_at(t, &aw).status, JIFEN_STATUS_ALREADY_AWARDED);
    /* Voided by an objection: the event is free again. */
    jifen_command ob = cmd_of(JIFEN_CMD_OBJECT, NULL);
    ob.entry = r.entry;
    snprintf(ob.note, sizeof ob.note, "当天没来");
    assert_int_equal(write_at(t, &ob).status, JIFEN_STATUS_OK);
    assert_int_equal(write_at(t, &aw).status, JIFEN_STATUS_OK);
}

/* --- the same everywhere ---------------------------------------------------------- */

static void test_replica_and_rebuild(void **state)
{
    (void)state;
    assert_int_equal(testutil_book_equivalence(&book), 0);
    jifen_verify_report v;
    assert_int_equal(ledger_verify(book.led, &v), LEDGER_OK);
    assert_true(v.ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_members_and_proxies),
        cmocka_unit_test(test_event_once_and_dry_run),
        cmocka_unit_test(test_awards_suspended),
        cmocka_unit_test(test_supermarket),
        cmocka_unit_test(test_opening_and_passbook),
        cmocka_unit_test(test_honour_board),
        cmocka_unit_test(test_notice),
        cmocka_unit_test(test_replica_and_rebuild),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
