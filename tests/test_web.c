/*
 * web: jifen-web's pure parts - session tokens and CSRF, the failed
 * sign-in limit, password hashing, input parsing (the spec tables),
 * escaping on output (CSV cells, JSON), residents' link tokens, the user
 * table's files and modes, the configuration's checks, and the catalogue.
 */
#include "app.h"
#include "export.h"
#include "i18n.h"
#include "links.h"
#include "session.h"
#include "spec.h"
#include "store.h"
#include "users.h"
#include "web_config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>

#define HOUR (3600 * 1000LL)

/* A scratch directory of this test's own (the daemon's testutil is not
 * linked here: jifen-web links the client library, not the daemon). */
static char *testutil_tmpdir(void)
{
    char tmpl[] = "/tmp/jifen-test-web.XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void testutil_rmtree(char **path_p)
{
    nftw(*path_p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(*path_p);
    *path_p = NULL;
}

static void test_session_tokens_and_expiry(void **state)
{
    (void)state;
    session_table *t = session_table_new(4, 8 * HOUR, HOUR / 2);
    char tok[SESSION_TOKEN_LEN + 1], tok2[SESSION_TOKEN_LEN + 1];
    session_info s, got;
    assert_int_equal(session_create(t, "desk1", 2, 1, 1000, tok, &s), 0);
    assert_int_equal(strlen(tok), SESSION_TOKEN_LEN);
    assert_int_equal(strspn(tok, "0123456789abcdef"), SESSION_TOKEN_LEN);
    assert_int_equal(session_create(t, "desk1", 2, 1, 1000, tok2, NULL), 0);
    assert_string_not_equal(tok, tok2); /* random, never reused */
    assert_true(session_find(t, tok, 2000, &got));
    assert_string_equal(got.user, "desk1");
    assert_string_not_equal(got.csrf, tok); /* the CSRF token is its own */
    /* Idle for longer than half an hour: gone. */
    assert_false(session_find(t, tok, 2000 + HOUR / 2, &got));
    assert_false(session_find(t, tok, 2000, &got)); /* and removed */
    /* Used every 20 minutes, it still ends at its absolute expiry. */
    int64_t now = 1000;
    while (now < 1000 + 8 * HOUR - HOUR / 3) {
        now += HOUR / 3;
        assert_true(session_find(t, tok2, now, &got));
    }
    assert_false(session_find(t, tok2, 1000 + 8 * HOUR, &got));
    /* Malformed tokens are nobody's. */
    assert_false(session_find(t, "", 1000, &got));
    assert_false(session_find(t, "XYZ", 1000, &got));
    tok[0] = tok[0] == 'a' ? 'b' : 'a';
    assert_false(session_find(t, tok, 1000, &got));
    session_table_destroy(&t);
    assert_null(t);
}

static void test_session_end_and_full_table(void **state)
{
    (void)state;
    session_table *t = session_table_new(2, 8 * HOUR, HOUR);
    char a[SESSION_TOKEN_LEN + 1], b[SESSION_TOKEN_LEN + 1],
        c[SESSION_TOKEN_LEN + 1];
    session_info got;
    session_create(t, "u1", 1, 1, 1000, a, NULL);
    session_create(t, "u2", 1, 1, 2000, b, NULL);
    session_find(t, a, 3000, &got); /* u1 used last */
    session_create(t, "u3", 1, 1, 4000, c, NULL); /* full: u2 goes */
    assert_true(session_find(t, a, 4000, &got));
    assert_false(session_find(t, b, 4000, &got));
    assert_true(session_find(t, c, 4000, &got));
    session_end(t, a);
    assert_false(session_find(t, a, 4000, &got));
    assert_int_equal(session_end_user(t, "u3"), 1);
    assert_int_equal(session_count(t), 0);
    session_table_destroy(&t);
}

static void test_csrf(void **state)
{
    (void)state;
    session_table *t = session_table_new(2, 8 * HOUR, HOUR);
    char tok[SESSION_TOKEN_LEN + 1];
    session_info s;
    session_create(t, "u1", 1, 1, 1000, tok, &s);
    assert_true(session_csrf_ok(&s, s.csrf));
    assert_false(session_csrf_ok(&s, NULL));
    assert_false(session_csrf_ok(&s, ""));
    assert_false(session_csrf_ok(&s, tok)); /* the cookie is not the token */
    char wrong[SESSION_TOKEN_LEN + 1];
    memcpy(wrong, s.csrf, sizeof wrong);
    wrong[10] = wrong[10] == '0' ? '1' : '0';
    assert_false(session_csrf_ok(&s, wrong));
    char longer[SESSION_TOKEN_LEN + 2];
    snprintf(longer, sizeof longer, "%sx", s.csrf);
    assert_false(session_csrf_ok(&s, longer));
    session_table_destroy(&t);
}

static void test_signin_limit(void **state)
{
    (void)state;
    limiter *l = limiter_new(8, 5, 15 * 60000LL, 15 * 60000LL);
    for (int i = 0; i < 4; i++) {
        limiter_fail(l, "desk1#1", 1000 + i);
        assert_false(limiter_locked(l, "desk1#1", 1000 + i));
    }
    limiter_fail(l, "desk1#1", 1010);
    assert_true(limiter_locked(l, "desk1#1", 1011));
    assert_false(limiter_locked(l, "desk1#2", 1011)); /* a reset: new key */
    assert_false(limiter_locked(l, "comm1#1", 1011)); /* nobody else */
    assert_true(limiter_locked(l, "desk1#1", 1010 + 15 * 60000LL - 1));
    assert_false(limiter_locked(l, "desk1#1", 1010 + 15 * 60000LL));
    /* Failures spread over more than the window never add up to a lock. */
    for (int i = 0; i < 10; i++)
        limiter_fail(l, "slow#1", 5000000 + i * 16 * 60000LL);
    assert_false(limiter_locked(l, "slow#1", 5000000 + 10 * 16 * 60000LL));
    /* A flood of made-up names cannot lock out a user who did not fail. */
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "made-up-%d", i);
        limiter_fail(l, key, 9000000);
    }
    assert_false(limiter_locked(l, "desk1#1", 9000000));
    limiter_destroy(&l);
    assert_null(l);
}

static void test_password_hashing(void **state)
{
    (void)state;
    web_user u;
    memset(&u, 0, sizeof u);
    assert_int_equal(users_hash_password("correct-horse-7", u.hash), 0);
    assert_non_null(strstr(u.hash, "$argon2id$"));
    assert_null(strstr(u.hash, "correct-horse")); /* only the hash */
    assert_true(users_password_ok(&u, "correct-horse-7"));
    assert_false(users_password_ok(&u, "correct-horse-8"));
    assert_false(users_password_ok(&u, ""));
    char h2[USER_HASH_MAX];
    users_hash_password("correct-horse-7", h2);
    assert_string_not_equal(u.hash, h2); /* salted */
    char pw[USER_PASSWORD_GEN_LEN + 1];
    users_make_password(pw);
    assert_int_equal(strlen(pw), USER_PASSWORD_GEN_LEN);
    assert_null(strpbrk(pw, "0O1lI"));
}

static int parse_one(spec_kind kind, const char *text, void *out, size_t cap)
{
    spec_field f = {"x", kind, true, out, cap, 1000, NULL};
    spec_error e;
    return spec_parse_value(&f, text, &e);
}

static void test_spec_values(void **state)
{
    (void)state;
    uint64_t fen = 0;
    assert_int_equal(parse_one(SPEC_YUAN, "128.50", &fen, 8), 0);
    assert_int_equal(fen, 12850);
    assert_int_equal(parse_one(SPEC_YUAN, "0.01", &fen, 8), 0);
    assert_int_equal(fen, 1);
    static const char *const bad_yuan[] = {"0", "0.00", "-5", "1e3", "12.345",
                                           "abc", "", " 1", "1,000", "NaN"};
    for (size_t i = 0; i < sizeof bad_yuan / sizeof *bad_yuan; i++)
        assert_int_equal(parse_one(SPEC_YUAN, bad_yuan[i], &fen, 8), -1);
    uint32_t area = 0;
    assert_int_equal(parse_one(SPEC_AREA, "85.5", &area, 4), 0);
    assert_int_equal(area, 8550);
    char h[JIFEN_HOUSEHOLD_MAX + 1];
    assert_int_equal(parse_one(SPEC_HOUSEHOLD, "3-2-501", h, sizeof h), 0);
    assert_int_equal(parse_one(SPEC_HOUSEHOLD, "3 2 501", h, sizeof h), -1);
    assert_int_equal(parse_one(SPEC_HOUSEHOLD, "<b>", h, sizeof h), -1);
    char p[8];
    assert_int_equal(parse_one(SPEC_PERIOD, "2026-11", p, sizeof p), 0);
    assert_int_equal(parse_one(SPEC_PERIOD, "2026-13", p, sizeof p), -1);
    assert_int_equal(parse_one(SPEC_PERIOD, "2026-1", p, sizeof p), -1);
    uint64_t n = 0;
    assert_int_equal(parse_one(SPEC_UINT, "1000", &n, 8), 0);
    assert_int_equal(parse_one(SPEC_UINT, "1001", &n, 8), -1); /* max */
    assert_int_equal(parse_one(SPEC_UINT, "-1", &n, 8), -1);
    assert_int_equal(parse_one(SPEC_UINT, "99999999999999999999999", &n, 8),
                     -1);
    char text[8];
    assert_int_equal(parse_one(SPEC_TEXT, "张伟", text, sizeof text), 0);
    assert_int_equal(parse_one(SPEC_TEXT, "张伟张伟", text, sizeof text), -1);
    assert_int_equal(parse_one(SPEC_TEXT, "a\tb", text, sizeof text), -1);
    assert_int_equal(parse_one(SPEC_TEXT, "\xff\xfe", text, sizeof text), -1);
    assert_true(spec_user_ok("desk1"));
    assert_false(spec_user_ok("Desk1"));
    assert_false(spec_user_ok("../etc"));
    assert_false(spec_user_ok(".hidden"));
    assert_false(spec_user_ok(""));
}

static void test_spec_json(void **state)
{
    (void)state;
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "", id[JIFEN_REQUEST_ID_MAX + 1] = "";
    uint64_t fen = 0, points = 7;
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &h),
        SPEC_FIELD("amount", SPEC_YUAN, true, &fen),
        SPEC_UINT_FIELD("points", false, &points, 100),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    spec_error e;
    const char *good = "{\"household\":\"3-2-501\",\"amount\":\"10.5\","
                       "\"request_id\":\"r-1\",\"points\":3}";
    assert_int_equal(spec_parse_json(good, strlen(good), fields, &e), 0);
    assert_string_equal(h, "3-2-501");
    assert_int_equal(fen, 1050);
    assert_int_equal(points, 3);
    static const struct {
        const char *body, *field;
    } bad[] = {
        {"[1]", ""},
        {"not json", ""},
        {"{\"household\":\"3-2-501\",\"request_id\":\"r\"}", "amount"},
        {"{\"household\":\"3-2-501\",\"amount\":10.5,\"request_id\":\"r\"}",
         "amount"}, /* a float: never */
        {"{\"household\":\"3-2-501\",\"amount\":\"1\",\"request_id\":\"r\","
         "\"admin\":true}",
         "admin"}, /* unknown fields are refused */
        {"{\"household\":\"3-2-501\",\"amount\":\"1\",\"amount\":\"2\","
         "\"request_id\":\"r\"}",
         ""}, /* duplicates */
        {"{\"household\":\"3-2-501\",\"amount\":\"1\",\"request_id\":\"r\","
         "\"points\":-1}",
         "points"},
        {"{\"household\":\"3-2-501\\u0000x\",\"amount\":\"1\","
         "\"request_id\":\"r\"}",
         ""}, /* a NUL inside: jansson refuses the body */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&e, 0, sizeof e);
        assert_int_equal(
            spec_parse_json(bad[i].body, strlen(bad[i].body), fields, &e), -1);
        assert_string_equal(e.field, bad[i].field);
        assert_true(e.hint < I18N_COUNT);
        assert_true(i18n_text(e.hint, I18N_ZH)[0] != '\0');
    }
}

static void test_csv_escaping(void **state)
{
    (void)state;
    jifen_report r;
    memset(&r, 0, sizeof r);
    r.n_columns = 2;
    strcpy(r.columns[0], "household");
    strcpy(r.columns[1], "total_fen");
    jifen_report_row rows[3];
    memset(rows, 0, sizeof rows);
    strcpy(rows[0].cells[0], "=HYPERLINK(\"x\")");
    strcpy(rows[0].cells[1], "-500");
    strcpy(rows[1].cells[0], "a,b\"c");
    strcpy(rows[1].cells[1], "12");
    strcpy(rows[2].cells[0], "张伟");
    strcpy(rows[2].cells[1], "-");
    r.rows = rows;
    r.n_rows = 3;
    size_t len;
    char *csv = export_csv(&r, &len);
    assert_non_null(csv);
    assert_memory_equal(csv, "\xEF\xBB\xBF", 3);
    /* Through client/csv.c: Chinese headings, yuan, formulas defused. */
    assert_string_equal(csv + 3,
                        "门牌号,合计\r\n"
                        "\"'=HYPERLINK(\"\"x\"\")\",-5.00\r\n"
                        "\"a,b\"\"c\",0.12\r\n"
                        "张伟,-\r\n");
    free(csv);
}

static void test_json_escaping(void **state)
{
    (void)state;
    jifen_balance b;
    memset(&b, 0, sizeof b);
    strcpy(b.household, "3-2-501");
    strcpy(b.name, "</script><b>\"");
    b.fee_due_fen = -1205;
    json_t *o = json_balance(&b);
    char *text = json_dumps(o, JSON_COMPACT | JSON_ESCAPE_SLASH);
    assert_non_null(strstr(text, "<\\/script>"));
    assert_null(strstr(text, "</script>"));
    assert_non_null(strstr(text, "\"fee_due_yuan\":\"-12.05\""));
    free(text);
    json_decref(o);
}

static void test_link_tokens(void **state)
{
    (void)state;
    uint8_t secret[32] = {1}, other[32] = {2};
    char a[LINK_TOKEN_LEN + 1], b[LINK_TOKEN_LEN + 1];
    links_compute(secret, "3-2-501", 0, a);
    links_compute(secret, "3-2-501", 0, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), LINK_TOKEN_LEN);
    links_compute(secret, "3-2-502", 0, b);
    assert_string_not_equal(a, b);
    links_compute(secret, "3-2-501", 1, b); /* revoked once */
    assert_string_not_equal(a, b);
    links_compute(other, "3-2-501", 0, b); /* another server's secret */
    assert_string_not_equal(a, b);

    char *dir = testutil_tmpdir();
    char err[256];
    links *l = links_open(dir, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(links_token(l, "3-2-501", a, err, sizeof err), 0);
    assert_true(links_check(l, "3-2-501", a));
    assert_false(links_check(l, "3-2-502", a));
    assert_false(links_check(l, "3-2-501", "short"));
    assert_int_equal(links_revoke(l, "3-2-501", err, sizeof err), 0);
    assert_false(links_check(l, "3-2-501", a));
    links_token(l, "3-2-501", b, err, sizeof err);
    assert_string_not_equal(a, b);
    links_close(&l);
    /* The secret survives a restart; it is private. */
    l = links_open(dir, err, sizeof err);
    assert_true(links_check(l, "3-2-501", b));
    links_close(&l);
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/link.secret", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    testutil_rmtree(&dir);
}

static void test_user_store(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    char data[512], err[512], path[600];
    snprintf(data, sizeof data, "%s/web", dir);
    mode_t old = umask(0); /* the worst umask: modes must not follow it */
    user_store *s = users_open(data, err, sizeof err);
    assert_non_null(s);
    web_user u;
    assert_int_equal(users_add(s, "desk1", JIFEN_ROLE_TERMINAL,
                               "correct-horse-7", &u, err, sizeof err),
                     0);
    umask(old);
    assert_int_equal(strlen(u.key), JIFEN_KEY_Z85_LEN);
    assert_int_equal(users_add(s, "desk1", JIFEN_ROLE_TERMINAL,
                               "correct-horse-7", NULL, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "exists"));
    assert_int_equal(users_add(s, "boss", JIFEN_ROLE_ADMIN, "correct-horse-7",
                               NULL, err, sizeof err),
                     -1);
    assert_int_equal(users_add(s, "short", JIFEN_ROLE_AUDITOR, "1234567",
                               NULL, err, sizeof err),
                     -1);
    assert_int_equal(users_add(s, "../x", JIFEN_ROLE_AUDITOR, "12345678",
                               NULL, err, sizeof err),
                     -1);
    struct stat st;
    assert_int_equal(stat(data, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/users.json", data);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/keys/u-desk1.key", data);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* Another process (a second store) changes it; the first notices. */
    user_store *s2 = users_open(data, err, sizeof err);
    assert_int_equal(users_set_password(s2, "desk1", "another-pass-9", err,
                                        sizeof err),
                     0);
    web_user now;
    assert_int_equal(users_get(s, "desk1", &now, err, sizeof err), 0);
    assert_int_equal(now.generation, u.generation + 1);
    assert_true(users_password_ok(&now, "another-pass-9"));
    assert_int_equal(users_disable(s2, "desk1", err, sizeof err), 0);
    assert_int_equal(users_get(s, "desk1", &now, err, sizeof err), 0);
    assert_true(now.disabled);
    assert_int_equal(users_get(s, "nobody", &now, err, sizeof err), 1);
    users_close(&s2);
    users_close(&s);

    /* A symlink planted for the table is refused, not followed. */
    snprintf(path, sizeof path, "%s/users.json", data);
    unlink(path);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    s = users_open(data, err, sizeof err);
    assert_int_equal(users_get(s, "desk1", &now, err, sizeof err), -1);
    users_close(&s);
    /* A table others may read is refused, naming the chmod. */
    unlink(path);
    assert_int_equal(store_write(data, "users.json", "{}", 2, err, sizeof err),
                     0);
    chmod(path, 0644);
    s = users_open(data, err, sizeof err);
    assert_int_equal(users_get(s, "desk1", &now, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    users_close(&s);
    testutil_rmtree(&dir);
}

static void test_config(void **state)
{
    (void)state;
    web_config c;
    char err[512];
    web_config_defaults(&c);
    assert_int_equal(web_config_check(&c, err, sizeof err), 0);
    /* Plain HTTP beyond loopback: refused. */
    assert_int_equal(web_config_set(&c, "listen", "0.0.0.0:8080", err,
                                    sizeof err),
                     0);
    assert_int_equal(web_config_check(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "HTTPS"));
    web_config_set(&c, "tls_cert", "/etc/ssl/c.pem", err, sizeof err);
    assert_int_equal(web_config_check(&c, err, sizeof err), -1); /* no key */
    web_config_set(&c, "tls_key", "/etc/ssl/k.pem", err, sizeof err);
    assert_int_equal(web_config_check(&c, err, sizeof err), 0);
    web_config_set(&c, "listen", "[::1]:8443", err, sizeof err);
    char addr[64];
    unsigned port;
    assert_int_equal(web_config_listen(&c, addr, sizeof addr, &port), 0);
    assert_string_equal(addr, "::1");
    assert_int_equal(port, 8443);
    assert_int_equal(web_config_set(&c, "threads", "0", err, sizeof err), -1);
    assert_int_equal(web_config_set(&c, "threads", "4x", err, sizeof err), -1);
    assert_int_equal(web_config_set(&c, "nonsense", "1", err, sizeof err), -1);
    web_config_set(&c, "listen", "127.0.0.1:99999", err, sizeof err);
    assert_int_equal(web_config_check(&c, err, sizeof err), -1);
}

/* Many communities: a link binds its community; the form without one is
 * the one printed before communities and stays what it was. */
static void test_link_communities(void **state)
{
    (void)state;
    uint8_t secret[32] = {7};
    char old[LINK_TOKEN_LEN + 1], a[LINK_TOKEN_LEN + 1],
        b[LINK_TOKEN_LEN + 1];
    links_compute(secret, "1-1-101", 0, old);
    links_compute_in(secret, "", "1-1-101", 0, a);
    assert_string_equal(old, a); /* "" is the old form, byte for byte */
    links_compute_in(secret, "east", "1-1-101", 0, a);
    links_compute_in(secret, "west", "1-1-101", 0, b);
    assert_string_not_equal(a, b); /* the same door in two communities */
    assert_string_not_equal(a, old);
    /* The community and the household are separated: "e" + "ast/..." is
     * not "east" + "...". */
    links_compute_in(secret, "eas", "t1-1-101", 0, b);
    assert_string_not_equal(a, b);

    char *dir = testutil_tmpdir();
    char err[256];
    links *l = links_open(dir, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(links_token_in(l, "east", "1-1-101", a, err, sizeof err),
                     0);
    assert_true(links_check_in(l, "east", "1-1-101", a));
    assert_false(links_check_in(l, "west", "1-1-101", a));
    assert_false(links_check_in(l, "", "1-1-101", a));
    assert_int_equal(links_token(l, "1-1-101", old, err, sizeof err), 0);
    assert_false(links_check_in(l, "east", "1-1-101", old));
    /* Revoking east's link leaves the old form's and west's alone. */
    assert_int_equal(links_token_in(l, "west", "1-1-101", b, err, sizeof err),
                     0);
    assert_int_equal(links_revoke_in(l, "east", "1-1-101", err, sizeof err),
                     0);
    assert_false(links_check_in(l, "east", "1-1-101", a));
    assert_true(links_check(l, "1-1-101", old));
    assert_true(links_check_in(l, "west", "1-1-101", b));
    links_close(&l);
    testutil_rmtree(&dir);
}

/* A user's community or scope: checked, written only when set, read back;
 * a table of the release before (no such fields) reads as users of the
 * default community. */
static void test_user_scopes(void **state)
{
    (void)state;
    char *dir = testutil_tmpdir();
    char data[512], err[512];
    snprintf(data, sizeof data, "%s/web", dir);
    user_store *s = users_open(data, err, sizeof err);
    assert_non_null(s);
    web_scope sc;
    memset(&sc, 0, sizeof sc);
    snprintf(sc.community, sizeof sc.community, "east");
    assert_int_equal(users_add_scoped(s, "desk-east", JIFEN_ROLE_TERMINAL, &sc,
                                      "correct-horse-7", NULL, err,
                                      sizeof err),
                     0);
    memset(&sc, 0, sizeof sc);
    snprintf(sc.street, sizeof sc.street, "jiefang");
    assert_int_equal(users_add_scoped(s, "street", JIFEN_ROLE_AUDITOR, &sc,
                                      "correct-horse-7", NULL, err,
                                      sizeof err),
                     0);
    memset(&sc, 0, sizeof sc);
    snprintf(sc.communities, sizeof sc.communities, "east,west");
    assert_int_equal(users_add_scoped(s, "two", JIFEN_ROLE_AUDITOR, &sc,
                                      "correct-horse-7", NULL, err,
                                      sizeof err),
                     0);
    /* Refused: two kinds at once, bad codes, a malformed list. */
    snprintf(sc.community, sizeof sc.community, "east");
    assert_int_equal(users_add_scoped(s, "both", JIFEN_ROLE_AUDITOR, &sc,
                                      "correct-horse-7", NULL, err,
                                      sizeof err),
                     -1);
    const char *lists[] = {"east,,west", ",east", "east,", "ea st", ".."};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        memset(&sc, 0, sizeof sc);
        snprintf(sc.communities, sizeof sc.communities, "%s", lists[i]);
        assert_int_equal(web_scope_check(&sc, err, sizeof err), -1);
    }
    memset(&sc, 0, sizeof sc);
    snprintf(sc.community, sizeof sc.community, ".hidden");
    assert_int_equal(web_scope_check(&sc, err, sizeof err), -1);
    users_close(&s);

    s = users_open(data, err, sizeof err); /* read back from the file */
    web_user u;
    assert_int_equal(users_get(s, "desk-east", &u, err, sizeof err), 0);
    assert_string_equal(u.scope.community, "east");
    assert_false(web_scope_is_service(&u.scope));
    assert_int_equal(users_get(s, "street", &u, err, sizeof err), 0);
    assert_true(web_scope_is_service(&u.scope));
    assert_string_equal(u.scope.street, "jiefang");
    assert_int_equal(users_get(s, "two", &u, err, sizeof err), 0);
    assert_string_equal(u.scope.communities, "east,west");
    char text[200];
    web_scope_text(&u.scope, text, sizeof text);
    assert_string_equal(text, "east,west");
    users_close(&s);

    /* The release before: no community, no scope. */
    const char *old = "{\"format\": \"jifen-web-users-1\", \"users\": [{"
                      "\"name\": \"olddesk\", \"role\": \"terminal\", "
                      "\"hash\": \"$argon2id$x\", \"disabled\": false, "
                      "\"generation\": 1, \"created_ms\": 1, \"key\": "
                      "\"0123456789012345678901234567890123456789\"}]}";
    assert_int_equal(store_write(data, "users.json", old, strlen(old), err,
                                 sizeof err),
                     0);
    s = users_open(data, err, sizeof err);
    assert_int_equal(users_get(s, "olddesk", &u, err, sizeof err), 0);
    assert_string_equal(u.scope.community, "");
    assert_false(web_scope_is_service(&u.scope));
    users_close(&s);
    /* A malformed scope is refused with the file's name, not guessed. */
    const char *bad = "{\"format\": \"jifen-web-users-1\", \"users\": [{"
                      "\"name\": \"x\", \"role\": \"auditor\", \"hash\": "
                      "\"h\", \"disabled\": false, \"generation\": 1, "
                      "\"key\": \"0123456789012345678901234567890123456789\","
                      " \"scope\": {\"street\": 7}}]}";
    store_write(data, "users.json", bad, strlen(bad), err, sizeof err);
    s = users_open(data, err, sizeof err);
    assert_int_equal(users_get(s, "x", &u, err, sizeof err), -1);
    assert_non_null(strstr(err, "users.json"));
    users_close(&s);
    testutil_rmtree(&dir);
}

static void test_config_community(void **state)
{
    (void)state;
    web_config c;
    char err[512];
    web_config_defaults(&c);
    assert_string_equal(c.community, ""); /* the service's only one */
    assert_int_equal(web_config_set(&c, "community", "default", err,
                                    sizeof err),
                     0);
    assert_int_equal(web_config_check(&c, err, sizeof err), 0);
    web_config_set(&c, "community", "bad code", err, sizeof err);
    assert_int_equal(web_config_check(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "community"));
    assert_true(spec_community_ok("Xingfuli.2026_a-b"));
    assert_false(spec_community_ok(".."));
    assert_false(spec_community_ok(""));
}

static void test_catalogue(void **state)
{
    (void)state;
    for (unsigned i = 0; i < I18N_COUNT; i++) {
        assert_non_null(i18n_key((i18n_id)i));
        assert_true(i18n_text((i18n_id)i, I18N_ZH)[0] != '\0');
        assert_true(i18n_text((i18n_id)i, I18N_EN)[0] != '\0');
        assert_int_equal(i18n_find(i18n_key((i18n_id)i)), i);
    }
    assert_int_equal(i18n_find("NO_SUCH_MESSAGE"), I18N_COUNT);
    assert_int_equal(i18n_lang_parse("en_US.UTF-8"), I18N_EN);
    assert_int_equal(i18n_lang_parse("zh_CN.UTF-8"), I18N_ZH);
    assert_int_equal(i18n_lang_parse("C"), I18N_ZH);
    assert_int_equal(i18n_lang_choose("en"), I18N_EN);
    setenv("JIFEN_LANG", "en", 1);
    assert_int_equal(i18n_lang_choose(NULL), I18N_EN);
    assert_int_equal(i18n_lang_choose("zh"), I18N_ZH); /* the option wins */
    unsetenv("JIFEN_LANG");
    assert_true(i18n_find("ERR_STATUS_insufficient_points") < I18N_COUNT);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_tokens_and_expiry),
        cmocka_unit_test(test_session_end_and_full_table),
        cmocka_unit_test(test_csrf),
        cmocka_unit_test(test_signin_limit),
        cmocka_unit_test(test_password_hashing),
        cmocka_unit_test(test_spec_values),
        cmocka_unit_test(test_spec_json),
        cmocka_unit_test(test_csv_escaping),
        cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_link_tokens),
        cmocka_unit_test(test_user_store),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_link_communities),
        cmocka_unit_test(test_user_scopes),
        cmocka_unit_test(test_config_community),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
