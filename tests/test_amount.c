/*
 * test_amount - yuan <-> fen in the client library (client/amount.c).
 *
 * Money typed at a front desk must mean exactly one thing or be refused:
 * these cases pin down the grammar (digits, at most two decimals), the
 * bounds, and that formatting and parsing agree on every value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "jifen.h"

static void expect_fen(const char *text, uint64_t want)
{
    uint64_t fen = 0;
    if (jifen_parse_yuan(text, &fen) != 0)
        fail_msg("'%s' was refused, expected %llu fen", text,
                 (unsigned long long)want);
    if (fen != want)
        fail_msg("'%s' gave %llu fen, expected %llu", text,
                 (unsigned long long)fen, (unsigned long long)want);
}

static void expect_refused(const char *text)
{
    uint64_t fen = 4242;
    if (jifen_parse_yuan(text, &fen) == 0)
        fail_msg("'%s' was accepted as %llu fen", text,
                 (unsigned long long)fen);
    /* A refused parse leaves the output alone: no half-written amount. */
    assert_int_equal(fen, 4242);
}

static void test_parse_accepts(void **state)
{
    (void)state;
    expect_fen("128", 12800);
    expect_fen("128.5", 12850);
    expect_fen("128.50", 12850);
    expect_fen("128.05", 12805);
    expect_fen("0.01", 1);
    expect_fen("0.5", 50);
    expect_fen("007", 700); /* leading zeros cannot change the value */
    expect_fen("00000000000000000000000001.00", 100);
    expect_fen("1", 100);
}

static void test_parse_refuses_bad_shapes(void **state)
{
    static const char *const bad[] = {
        "",     ".5",     "5.",    "1e3",  "-5",    "+5",   " 5",
        "5 ",   "12.345", "abc",   "0x10", "1,5",   "1..5", "1.5.",
        "1.5a", "١٢",     "5\n",   ".",    "1.-5",  "1.+5", "inf",
        "nan",  "1 000",  "1_000", "１",   "12.3 ", "\t1",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_refused(bad[i]);
}

/* Zero is refused by design: no command takes a zero amount. */
static void test_parse_refuses_zero(void **state)
{
    (void)state;
    expect_refused("0");
    expect_refused("0.0");
    expect_refused("0.00");
    expect_refused("000");
}

static void test_parse_bounds(void **state)
{
    char buf[64];
    (void)state;
    snprintf(buf, sizeof buf, "%llu",
             (unsigned long long)(JIFEN_FEN_MAX / 100));
    expect_fen(buf, JIFEN_FEN_MAX);
    snprintf(buf, sizeof buf, "%llu.00",
             (unsigned long long)(JIFEN_FEN_MAX / 100));
    expect_fen(buf, JIFEN_FEN_MAX);
    snprintf(buf, sizeof buf, "%llu.01",
             (unsigned long long)(JIFEN_FEN_MAX / 100));
    expect_refused(buf);
    snprintf(buf, sizeof buf, "%llu",
             (unsigned long long)(JIFEN_FEN_MAX / 100 + 1));
    expect_refused(buf);
    /* Past uint64: must be refused, not wrapped round to a small amount. */
    expect_refused("18446744073709551616");
    expect_refused("184467440737095516.16");
    expect_refused("99999999999999999999999999999999999999999");
}

static void test_parse_null(void **state)
{
    uint64_t fen = 0;
    (void)state;
    assert_int_equal(jifen_parse_yuan(NULL, &fen), -1);
    assert_int_equal(jifen_parse_yuan("1", NULL), -1);
}

static void expect_format(int64_t fen, const char *want)
{
    char buf[32];
    assert_ptr_equal(jifen_format_yuan(fen, buf, sizeof buf), buf);
    assert_string_equal(buf, want);
}

static void test_format(void **state)
{
    (void)state;
    expect_format(0, "0.00");
    expect_format(1, "0.01");
    expect_format(10, "0.10");
    expect_format(12850, "128.50");
    expect_format(-1205, "-12.05");
    expect_format(-5, "-0.05");
    expect_format(INT64_MAX, "92233720368547758.07");
    expect_format(INT64_MIN, "-92233720368547758.08");
}

static void test_format_short_buffer(void **state)
{
    char buf[8];
    (void)state;
    memset(buf, 'x', sizeof buf);
    jifen_format_yuan(12345678, buf, 5); /* "123456.78" cut to "1234" */
    assert_string_equal(buf, "1234");
    assert_int_equal(buf[5], 'x'); /* nothing written past len */
    assert_null(jifen_format_yuan(1, NULL, 8));
}

/* Formatting then parsing gives back the same fen, across the cent digits
 * and the large end of the range. */
static void test_round_trip(void **state)
{
    char buf[32];
    uint64_t fen = 0;
    (void)state;
    for (int64_t v = 1; v <= 100000; v++) {
        jifen_format_yuan(v, buf, sizeof buf);
        assert_int_equal(jifen_parse_yuan(buf, &fen), 0);
        assert_int_equal(fen, (uint64_t)v);
    }
    for (uint64_t v = JIFEN_FEN_MAX - 1000; v <= JIFEN_FEN_MAX; v++) {
        jifen_format_yuan((int64_t)v, buf, sizeof buf);
        assert_int_equal(jifen_parse_yuan(buf, &fen), 0);
        assert_int_equal(fen, v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_refuses_bad_shapes),
        cmocka_unit_test(test_parse_refuses_zero),
        cmocka_unit_test(test_parse_bounds),
        cmocka_unit_test(test_parse_null),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_short_buffer),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
