/*
 * test_clock - the Asia/Shanghai calendar and the test clock file.
 *
 * Every boundary is checked against a Unix time worked out by hand (or by
 * `TZ=Asia/Shanghai date -d ... +%s`), so an off-by-one in the offset or in
 * the civil-date arithmetic fails here, not in a monthly report.
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

#include "clock.h"

/* 2026-03-01 00:00 +08:00 = 2026-02-28 16:00 UTC. */
#define MAR_2026_MS 1772294400000LL

static void test_month_boundary(void **state)
{
    (void)state;
    char p[8];
    clock_period_of(MAR_2026_MS, p);
    assert_string_equal(p, "2026-03");
    /* One millisecond earlier is still February in Shanghai, though it is
     * already 28 February 15:59 UTC: the offset, not UTC, decides. */
    clock_period_of(MAR_2026_MS - 1, p);
    assert_string_equal(p, "2026-02");
    assert_int_equal(clock_month_start_ms(MAR_2026_MS + 12345), MAR_2026_MS);
    assert_int_equal(clock_month_start_ms(MAR_2026_MS - 1),
                     MAR_2026_MS - 28 * CLOCK_DAY_MS);
    assert_int_equal(clock_next_month_start_ms(MAR_2026_MS - 1), MAR_2026_MS);
    assert_int_equal(clock_next_month_start_ms(MAR_2026_MS),
                     MAR_2026_MS + 31 * CLOCK_DAY_MS);
}

/* The period is written digit by digit: every month start from year 1 to
 * 9999 (and a few past either end) reads as the calendar's own date
 * printed with "%04d-%02d". */
static void test_period_digits(void **state)
{
    (void)state;
    for (int year = -3; year <= 10003; year++) {
        for (int month = 1; month <= 12; month++) {
            int64_t ms = clock_date_start_ms(year, month, 1);
            char p[CLOCK_PERIOD_LEN + 1], want[48];
            clock_period_of(ms, p);
            clock_date d = clock_date_of(ms);
            snprintf(want, sizeof want, "%04d-%02d", d.year % 10000,
                     d.month);
            want[CLOCK_PERIOD_LEN] = '\0';
            assert_string_equal(p, want);
            if (year >= 1 && year <= 9999)
                assert_int_equal(d.year, year);
        }
    }
}

static void test_year_boundary(void **state)
{
    (void)state;
    /* 2027-01-01 00:00 +08:00 = 2026-12-31 16:00 UTC. */
    int64_t y2027 = 1798732800000LL;
    char p[8], d[11];
    clock_period_of(y2027 - 1, p);
    assert_string_equal(p, "2026-12");
    clock_date_text(y2027 - 1, d);
    assert_string_equal(d, "2026-12-31");
    clock_period_of(y2027, p);
    assert_string_equal(p, "2027-01");
    char m[CLOCK_MINUTE_LEN + 1];
    clock_minute_text(y2027 - 1, m); /* the last minute of 2026 in Shanghai */
    assert_string_equal(m, "2026-12-31 23:59");
    clock_minute_text(y2027 + 61 * 60000, m);
    assert_string_equal(m, "2027-01-01 01:01");
    assert_int_equal(clock_year_start_ms(y2027 - 1),
                     clock_date_start_ms(2026, 1, 1));
    assert_int_equal(clock_next_year_start_ms(y2027 - 1), y2027);
    assert_int_equal(clock_date_start_ms(2026, 13, 1), y2027);
    assert_int_equal(clock_add_months_start_ms(MAR_2026_MS, 10), y2027);
    assert_int_equal(clock_add_months_start_ms(MAR_2026_MS, 0), MAR_2026_MS);
}

static void test_leap_years(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(clock_parse_date("2028-02-29", &ms), 0);
    char d[11];
    clock_date_text(ms, d);
    assert_string_equal(d, "2028-02-29");
    assert_int_equal(clock_parse_date("2026-02-29", &ms), -1);
    assert_int_equal(clock_parse_date("2100-02-29", &ms), -1);
    assert_int_equal(clock_parse_date("2000-02-29", &ms), 0);
    assert_int_equal(clock_next_month_start_ms(clock_date_start_ms(2028, 2, 1)),
                     clock_date_start_ms(2028, 2, 1) + 29 * CLOCK_DAY_MS);
}

static void test_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(clock_parse_period("2026-03", &ms), 0);
    assert_int_equal(ms, MAR_2026_MS);
    assert_int_equal(clock_parse_date("2026-03-01", &ms), 0);
    assert_int_equal(ms, MAR_2026_MS);
    const char *bad[] = {"2026-3",  "2026-13",  "2026-00", "26-03",
                         "2026/03", "2026-03x", "",        "1969-12"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(clock_parse_period(bad[i], &ms), -1);
    assert_int_equal(clock_parse_date("2026-04-31", &ms), -1);
    assert_int_equal(clock_parse_date("2026-04-30", &ms), 0);
}

/* Every day of many years round-trips through date text and back. */
static void test_round_trip(void **state)
{
    (void)state;
    int64_t start = clock_date_start_ms(1999, 1, 1);
    for (int64_t day = 0; day < 366 * 40; day++) {
        int64_t ms = start + day * CLOCK_DAY_MS;
        char d[11];
        clock_date_text(ms + CLOCK_DAY_MS - 1, d);
        int64_t back;
        assert_int_equal(clock_parse_date(d, &back), 0);
        assert_int_equal(back, ms);
    }
}

static void test_test_file(void **state)
{
    (void)state;
    char path[] = "/tmp/jifen-clock-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "1772294400000\n", 14), 14);
    close(fd);
    assert_int_equal(clock_use_test_file(path), 0);
    assert_true(clock_is_test());
    assert_int_equal(clock_now_ms(), MAR_2026_MS);
    FILE *f = fopen(path, "w");
    fputs("1772294400999", f);
    fclose(f);
    assert_int_equal(clock_now_ms(), MAR_2026_MS + 999);
    /* A half-written file keeps the last good time. */
    f = fopen(path, "w");
    fputs("17723x", f);
    fclose(f);
    assert_int_equal(clock_now_ms(), MAR_2026_MS + 999);
    unlink(path);
    assert_int_equal(clock_now_ms(), MAR_2026_MS + 999);
    assert_int_equal(clock_use_test_file(path), -1); /* gone */
    assert_false(clock_is_test());
    assert_true(clock_now_ms() > MAR_2026_MS); /* the real clock again */
    assert_int_equal(clock_use_test_file(NULL), 0);
}

/* The clock face people read: Shanghai time whatever TZ says, with its
 * offset; to the second (milliseconds dropped, never rounded up). */
static void test_time_text(void **state)
{
    (void)state;
    char t[CLOCK_TIME_LEN + 1];
    setenv("TZ", "UTC", 1); /* must not matter */
    assert_int_equal(clock_time_text(MAR_2026_MS, t), 0);
    assert_string_equal(t, "2026-03-01T00:00:00+08:00");
    assert_int_equal(clock_time_text(MAR_2026_MS - 1, t), 0);
    assert_string_equal(t, "2026-02-28T23:59:59+08:00");
    /* 2026-07-10 16:00 UTC is 11 July 00:00 in Shanghai. */
    assert_int_equal(clock_time_text(1783699200000LL, t), 0);
    assert_string_equal(t, "2026-07-11T00:00:00+08:00");
    assert_int_equal(clock_time_text(1783699200000LL + 13 * 3600000 + 61999,
                                     t),
                     0);
    assert_string_equal(t, "2026-07-11T13:01:01+08:00");
    /* Before 1970 (a damaged entry) still reads right. */
    assert_int_equal(clock_time_text(-1, t), 0);
    assert_string_equal(t, "1970-01-01T07:59:59+08:00");
    assert_int_equal(clock_time_text(clock_date_start_ms(10000, 1, 1) - 1, t),
                     0);
    assert_string_equal(t, "9999-12-31T23:59:59+08:00");
    assert_int_equal(clock_time_text(clock_date_start_ms(1, 1, 1), t), 0);
    assert_string_equal(t, "0001-01-01T00:00:00+08:00");
    /* Years that do not fit four digits are refused, t untouched. */
    strcpy(t, "unchanged");
    assert_int_equal(clock_time_text(INT64_MAX, t), -1);
    assert_int_equal(clock_time_text(INT64_MIN / 2, t), -1);
    assert_string_equal(t, "unchanged");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month_boundary),
        cmocka_unit_test(test_period_digits),
        cmocka_unit_test(test_year_boundary),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_test_file),
        cmocka_unit_test(test_time_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
