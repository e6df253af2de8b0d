/*
 * encoding, rows: a spreadsheet's file as the committee's commands read it
 * (client/encoding.c, client/rows.c; docs/committee.md). Encodings found
 * and refused, with the line a bad byte is on; a roster's and an opening
 * file's rows, their line numbers, headers in either language, and the
 * rows refused before anything is sent.
 */
#include "encoding.h"
#include "rows.h"

#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* s (UTF-8) as GB18030, by glibc's iconv: the bytes Chinese Excel writes. */
static char *gb(const char *s, size_t *n)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(s), cap = in_left * 2 + 4, out_left = cap;
    char *out = malloc(cap), *in = (char *)s, *at = out;
    assert_non_null(out);
    assert_true(iconv(cd, &in, &in_left, &at, &out_left) != (size_t)-1);
    iconv_close(cd);
    *n = cap - out_left;
    return out;
}

static int decode(const void *data, size_t n, encoding_kind asked,
                  char **text, encoding_kind *found, int *bom, char *err,
                  size_t errlen)
{
    size_t len = 0;
    return encoding_decode("sheet.csv", data, n, asked, I18N_ZH, text, &len,
                           found, bom, err, errlen);
}

static void test_found(void **state)
{
    (void)state;
    char *text = NULL, err[512];
    encoding_kind found;
    int bom;
    const char with_bom[] = "\xef\xbb\xbf门牌号,姓名\n3-2-501,王奶奶\n";
    assert_int_equal(decode(with_bom, sizeof with_bom - 1, ENCODING_AUTO,
                            &text, &found, &bom, err, sizeof err),
                     0);
    assert_int_equal(found, ENCODING_UTF8);
    assert_true(bom);
    assert_string_equal(text, "门牌号,姓名\n3-2-501,王奶奶\n"); /* BOM gone */
    assert_string_equal(encoding_name(found, bom), "UTF-8 (BOM)");
    free(text);

    size_t n;
    char *g = gb("门牌号,姓名\n3-2-501,欧阳娜娜\n", &n);
    assert_int_equal(decode(g, n, ENCODING_AUTO, &text, &found, &bom, err,
                            sizeof err),
                     0);
    assert_int_equal(found, ENCODING_GB18030);
    assert_false(bom);
    assert_string_equal(text, "门牌号,姓名\n3-2-501,欧阳娜娜\n");
    free(text);
    /* Asked for, the same. */
    assert_int_equal(decode(g, n, ENCODING_GB18030, &text, &found, &bom, err,
                            sizeof err),
                     0);
    assert_string_equal(text, "门牌号,姓名\n3-2-501,欧阳娜娜\n");
    free(text);

    /* Plain ASCII is UTF-8, whatever else it also is. */
    assert_int_equal(decode("household\n1-1-101\n", 18, ENCODING_AUTO, &text,
                            &found, &bom, err, sizeof err),
                     0);
    assert_int_equal(found, ENCODING_UTF8);
    free(text);

    encoding_kind k;
    assert_int_equal(encoding_parse("GBK", &k), 0);
    assert_int_equal(k, ENCODING_GB18030);
    assert_int_equal(encoding_parse("utf8", &k), 0);
    assert_int_equal(k, ENCODING_UTF8);
    assert_int_equal(encoding_parse(NULL, &k), 0);
    assert_int_equal(k, ENCODING_AUTO);
    assert_int_equal(encoding_parse("latin1", &k), -1);
    free(g);
}

static void test_refused(void **state)
{
    (void)state;
    char *text = NULL, err[512];
    encoding_kind found;
    int bom;
    /* UTF-16 ("Unicode text"): said so, with what to do. */
    const char u16[] = "\xff\xfeh\x00o\x00";
    assert_int_equal(decode(u16, sizeof u16 - 1, ENCODING_AUTO, &text, &found,
                            &bom, err, sizeof err),
                     -1);
    assert_null(text);
    assert_non_null(strstr(err, "UTF-16"));
    assert_non_null(strstr(err, "CSV UTF-8"));

    /* GB18030 given as UTF-8: refused at the line of the first bad byte,
     * and the hint says what it is. */
    size_t n;
    char *g = gb("household,member\n1-1-101,ok\n3-2-501,王奶奶\n", &n);
    assert_int_equal(decode(g, n, ENCODING_UTF8, &text, &found, &bom, err,
                            sizeof err),
                     -1);
    assert_non_null(strstr(err, "第 3 行"));
    assert_non_null(strstr(err, "GB18030"));
    free(g);

    /* UTF-8 Chinese asked for as GB18030 would convert into nonsense. */
    const char u8[] = "household,member\n3-2-501,王奶奶\n";
    assert_int_equal(decode(u8, sizeof u8 - 1, ENCODING_GB18030, &text,
                            &found, &bom, err, sizeof err),
                     -1);

    /* A BOM that lies: bad UTF-8 after it, named by its line. */
    const char lie[] = "\xef\xbb\xbf" "a\nb\n\xff\n";
    assert_int_equal(decode(lie, sizeof lie - 1, ENCODING_AUTO, &text, &found,
                            &bom, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "第 3 行"));

    /* Neither UTF-8 nor GB18030 (0x80 alone is no GB18030 lead byte). */
    const char junk[] = "a\n\x80\x80\n";
    assert_int_equal(decode(junk, sizeof junk - 1, ENCODING_AUTO, &text,
                            &found, &bom, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "第 2 行"));

    /* A UTF-8 file with a line of GB18030 pasted in: refused at that
     * line, not at line 1 (where its reading as GB18030 breaks), and not
     * taken for GB18030, which here converts, into a nonsense name. */
    char *pasted = gb("3-2-502,李秀英\n", &n);
    const char head[] = "门牌号,姓名\n3-2-501,张伟\n";
    char mixed[128];
    memcpy(mixed, head, sizeof head - 1);
    memcpy(mixed + sizeof head - 1, pasted, n);
    assert_int_equal(decode(mixed, sizeof head - 1 + n, ENCODING_AUTO, &text,
                            &found, &bom, err, sizeof err),
                     -1);
    assert_null(text);
    assert_non_null(strstr(err, "第 3 行"));
    assert_non_null(strstr(err, "前面是 UTF-8"));
    /* Said to be GB18030, it is not that either. */
    assert_int_equal(decode(mixed, sizeof head - 1 + n, ENCODING_GB18030,
                            &text, &found, &bom, err, sizeof err),
                     -1);
    free(pasted);
    /* A GB18030 file with a Latin-1 line: neither, named at that line. */
    char *g2 = gb("门牌号,姓名\n3-2-501,王奶奶\n3-2-502,李秀英\n", &n);
    char latin[160];
    memcpy(latin, g2, n);
    memcpy(latin + n, "3-2-503,Jos\xe9\n", 13);
    assert_int_equal(decode(latin, n + 13, ENCODING_AUTO, &text, &found, &bom,
                            err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "第 4 行"));
    free(g2);

    /* In English on request. */
    size_t len;
    assert_int_equal(encoding_decode("sheet.csv", (const unsigned char *)u16, sizeof u16 - 1,
                                     ENCODING_AUTO, I18N_EN, &text, &len,
                                     &found, &bom, err, sizeof err),
                     -1);
    assert_null(strstr(err, "文件"));
    assert_non_null(strstr(err, "UTF-16"));
}

/* --- rows ------------------------------------------------------------------------ */

static void roster_of(const char *csv, size_t len, rows_file *f,
                      rows_list *l)
{
    char err[512];
    jifen_command award;
    memset(&award, 0, sizeof award);
    award.kind = JIFEN_CMD_AWARD;
    snprintf(award.code, sizeof award.code, "meeting");
    snprintf(award.name, sizeof award.name, "议事会");
    snprintf(award.effective, sizeof award.effective, "2026-07-03");
    assert_int_equal(rows_open(f, ROWS_ROSTER, "roster.csv", csv, len, NULL,
                               I18N_ZH, err, sizeof err),
                     0);
    memset(l, 0, sizeof *l);
    assert_int_equal(rows_read(f, ROWS_ROSTER, &award, I18N_ZH, l, err,
                               sizeof err),
                     0);
}

static void test_roster_rows(void **state)
{
    (void)state;
    /* A Chinese header in its own order, a quoted cell over two lines (a
     * name with a line break: refused), a household twice, a cell that is no door number, hours that are no
     * number, a blank line. */
    const char csv[] = "时长,门牌号,姓名\r\n"
                       "2,3-2-501,王奶奶\r\n"
                       ",3-2-502,\"李\n秀英\"\r\n"
                       "\r\n"
                       "1,3-2-501,王小明\r\n"
                       ",3 2 503,某人\r\n"
                       "两个,3-2-504,\r\n"
                       ",\"3-2-505\",\r\n";
    rows_file f;
    rows_list l;
    roster_of(csv, sizeof csv - 1, &f, &l);
    assert_true(f.header);
    assert_int_equal(l.n, 6);
    assert_int_equal(l.v[0].line, 2);
    assert_string_equal(l.v[0].cmd.household, "3-2-501");
    assert_string_equal(l.v[0].cmd.member, "王奶奶");
    assert_string_equal(l.v[0].cmd.code, "meeting");
    assert_string_equal(l.v[0].cmd.name, "议事会"); /* the event */
    assert_string_equal(l.v[0].cmd.effective, "2026-07-03");
    assert_false(l.v[0].why[0]);
    assert_int_equal(l.v[1].line, 3);
    assert_true(l.v[1].why[0]); /* no line break in a name */
    /* The row after the two-line cell and the blank line: line 6. */
    assert_int_equal(l.v[2].line, 6);
    assert_non_null(strstr(l.v[2].why, "第 2 行")); /* the same household */
    assert_int_equal(l.v[3].line, 7);
    assert_true(l.v[3].why[0]); /* not a door number */
    assert_int_equal(l.v[4].line, 8);
    assert_true(l.v[4].why[0]); /* hours */
    assert_int_equal(l.v[5].line, 9);
    assert_false(l.v[5].why[0]);
    assert_string_equal(rows_status(&l.v[3]), "refused_here");
    assert_string_equal(rows_status(&l.v[5]), "not_sent");
    rows_free(&l);
    rows_close(&f);

    /* No header: household, member, hours by their places. */
    const char bare[] = "3-2-501,王奶奶,\n3-2-502,,\n";
    roster_of(bare, sizeof bare - 1, &f, &l);
    assert_false(f.header);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].line, 1);
    assert_string_equal(l.v[0].cmd.member, "王奶奶");
    rows_free(&l);
    rows_close(&f);

    /* An English header, GB18030 bytes. */
    size_t n;
    char *g = gb("household,member\n3-2-501,王奶奶\n", &n);
    roster_of(g, n, &f, &l);
    assert_int_equal(f.found, ENCODING_GB18030);
    assert_string_equal(rows_encoding_code(&f), "gb18030");
    assert_string_equal(l.v[0].cmd.member, "王奶奶");
    rows_free(&l);
    rows_close(&f);
    free(g);
}

static void test_opening_rows(void **state)
{
    (void)state;
    const char csv[] = "门牌号,积分,物业费余额,日期,台账,页\n"
                       "8-1-101,86,360.00,2025-12-31,第2册,17\n"
                       "8-1-102,40,-120.50,2025-12-31,第2册,18\n"
                       "8-1-103,x,0,2025-12-31,第2册,18\n"
                       "8-1-104,1,0,2025/12/31,第2册,18\n"
                       "8-1-105,0,0,2025-12-31,第2册,18\n";
    rows_file f;
    rows_list l;
    char err[512];
    assert_int_equal(rows_open(&f, ROWS_OPENING, "o.csv", csv, sizeof csv - 1,
                               NULL, I18N_ZH, err, sizeof err),
                     0);
    memset(&l, 0, sizeof l);
    assert_int_equal(rows_read(&f, ROWS_OPENING, NULL, I18N_ZH, &l, err,
                               sizeof err),
                     0);
    assert_int_equal(l.n, 5);
    assert_int_equal(l.v[0].cmd.kind, JIFEN_CMD_OPENING);
    assert_int_equal(l.v[0].cmd.points, 86);
    assert_int_equal(l.v[0].cmd.amount, 36000);
    assert_false(l.v[0].cmd.flag);
    assert_string_equal(l.v[0].cmd.name, "第2册");
    assert_int_equal(l.v[0].cmd.limit, 17);
    assert_int_equal(l.v[1].cmd.amount, 12050);
    assert_true(l.v[1].cmd.flag); /* prepaid */
    assert_true(l.v[2].why[0]);   /* points */
    assert_true(l.v[3].why[0]);   /* the date */
    assert_true(l.v[4].why[0]);   /* nothing to carry over */
    rows_totals t = rows_file_totals(&l);
    assert_int_equal(t.households, 2);
    assert_int_equal(t.points, 126);
    assert_int_equal(t.owed_fen, 36000);
    assert_int_equal(t.prepaid_fen, 12050);
    rows_totals same = t, other = t;
    other.points++;
    assert_true(rows_totals_agree(&t, &same));
    assert_false(rows_totals_agree(&t, &other));
    rows_free(&l);
    rows_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_found),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_roster_rows),
        cmocka_unit_test(test_opening_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
