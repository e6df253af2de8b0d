/*
 * calendar - the calendar and the clock face of Asia/Shanghai, for the
 * daemon (periods, caps, notice windows, reports) and for the CLI (every
 * time a person reads): one implementation for both.
 *
 * Periods (billing months, caps per month and per year, notice windows that
 * end at a day boundary) are calendar months in Asia/Shanghai. China has one
 * time zone, UTC+8, with no daylight saving since 1991, so local time is
 * computed arithmetically from Unix time: no tzdata, no TZ variable, no
 * localtime_r, and the same answer on every machine whatever its TZ.
 *
 * Pure functions of their arguments; "now" is the daemon's (clock.h).
 */
#ifndef JIFEN_CALENDAR_H
#define JIFEN_CALENDAR_H

#include <stdint.h>

#define CLOCK_SHANGHAI_OFFSET_MS (8LL * 3600 * 1000)
#define CLOCK_DAY_MS (24LL * 3600 * 1000)
#define CLOCK_PERIOD_LEN 7 /* "YYYY-MM" */
#define CLOCK_DATE_LEN 10  /* "YYYY-MM-DD" */
#define CLOCK_TIME_LEN 25  /* "YYYY-MM-DDTHH:MM:SS+08:00" */
#define CLOCK_MINUTE_LEN 16 /* "YYYY-MM-DD HH:MM" */

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
/* RFC 3339 in Shanghai time with its offset, to the second:
 * "2026-07-10T16:00:00+08:00" into out[26]. 0, or -1 (out untouched) for a
 * time outside the years 1-9999. */
int clock_time_text(int64_t ms, char out[CLOCK_TIME_LEN + 1]);

/* "YYYY-MM-DD HH:MM", Shanghai time, for a person to read on a page or a
 * slip (the web console); machines get ms or clock_time_text. */
void clock_minute_text(int64_t ms, char out[CLOCK_MINUTE_LEN + 1]);

/* Parses "YYYY-MM" (start of that month) or "YYYY-MM-DD" (start of that
 * day), Shanghai time, checking the calendar. 0, or -1 when malformed. */
int clock_parse_period(const char *text, int64_t *start_ms);
int clock_parse_date(const char *text, int64_t *start_ms);

#endif
