/*
 * clock - the daemon's idea of "now", and the calendar of Asia/Shanghai.
 *
 * Periods (billing months, caps per month and per year, notice windows that
 * end at a day boundary) are calendar months in Asia/Shanghai. China has one
 * time zone, UTC+8, with no daylight saving since 1991, so local time is
 * computed arithmetically from Unix time: no tzdata, no TZ variable, no
 * localtime_r, and the same answer on every machine.
 *
 * Tests drive time: with clock_use_test_file(FILE) (jifend --test-clock FILE
 * or JIFEN_TEST_CLOCK=FILE) "now" is the Unix time in milliseconds written in
 * FILE, re-read on every call, so a script moves the daemon's clock with
 * `echo MS > FILE`. Test-only: a production daemon never sets it.
 */
#ifndef JIFEN_CLOCK_H
#define JIFEN_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_SHANGHAI_OFFSET_MS (8LL * 3600 * 1000)
#define CLOCK_DAY_MS (24LL * 3600 * 1000)
#define CLOCK_PERIOD_LEN 7 /* "YYYY-MM" */
#define CLOCK_DATE_LEN 10  /* "YYYY-MM-DD" */
#define CLOCK_MINUTE_LEN 16 /* "YYYY-MM-DD HH:MM" */

/* Makes clock_now_ms read FILE (NULL: back to the real clock). The path is
 * copied. Returns 0, or -1 when the file cannot be read now. */
int clock_use_test_file(const char *path);
bool clock_is_test(void);

/* Unix time in ms: the real clock, or the test file's value (when the file
 * cannot be read or parsed, the last good value, so a half-written file
 * never moves time backwards). */
int64_t clock_now_ms(void);

/* A civil date in Asia/Shanghai. */
typedef struct {
    int year;  /* 1970 .. 9999 */
    int month; /* 1 .. 12 */
    int day;   /* 1 .. 31 */
} clock_date;

/* The Shanghai date of a Unix time in ms. */
clock_date clock_date_of(int64_t ms);

/* Unix ms of 00:00 Asia/Shanghai on a date (the day may be one past the
 * month's last, e.g. month 13 of a year is January of the next). */
int64_t clock_date_start_ms(int year, int month, int day);

/* Start of the Shanghai month holding ms, and of the next month. */
int64_t clock_month_start_ms(int64_t ms);
int64_t clock_next_month_start_ms(int64_t ms);
/* Start of the Shanghai year holding ms, and of the next year. */
int64_t clock_year_start_ms(int64_t ms);
int64_t clock_next_year_start_ms(int64_t ms);
/* Start of the Shanghai month `months` calendar months after the month of
 * ms (months >= 0). */
int64_t clock_add_months_start_ms(int64_t ms, int months);

/* "YYYY-MM" of ms into out[8]; "YYYY-MM-DD" into out[11]. */
void clock_period_of(int64_t ms, char out[CLOCK_PERIOD_LEN + 1]);
void clock_date_text(int64_t ms, char out[CLOCK_DATE_LEN + 1]);
/* "YYYY-MM-DD HH:MM", Shanghai time, for people (the web console). */
void clock_minute_text(int64_t ms, char out[CLOCK_MINUTE_LEN + 1]);

/* Parses "YYYY-MM" (start of that month) or "YYYY-MM-DD" (start of that
 * day), Shanghai time, checking the calendar. 0, or -1 when malformed. */
int clock_parse_period(const char *text, int64_t *start_ms);
int clock_parse_date(const char *text, int64_t *start_ms);

#endif
