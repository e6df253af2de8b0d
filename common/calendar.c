/*
 * calendar - see calendar.h. The arithmetic is Howard Hinnant's
 * days_from_civil / civil_from_days (proleptic Gregorian), exact for every
 * date jifen can meet, with no table and no library time zone.
 */
#include "calendar.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a civil date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static clock_date civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    clock_date d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

/* Floor division: times before 1970 must not round towards zero. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

clock_date clock_date_of(int64_t ms)
{
    return civil_from_days(
        floor_div(ms + CLOCK_SHANGHAI_OFFSET_MS, CLOCK_DAY_MS));
}

int64_t clock_date_start_ms(int year, int month, int day)
{
    /* Normalise month overflow so callers can ask for "month 13". */
    int64_t y = year + floor_div(month - 1, 12);
    int m = (int)(month - 1 - floor_div(month - 1, 12) * 12) + 1;
    return days_from_civil(y, m, day) * CLOCK_DAY_MS - CLOCK_SHANGHAI_OFFSET_MS;
}

int64_t clock_month_start_ms(int64_t ms)
{
    clock_date d = clock_date_of(ms);
    return clock_date_start_ms(d.year, d.month, 1);
}

int64_t clock_add_months_start_ms(int64_t ms, int months)
{
    clock_date d = clock_date_of(ms);
    return clock_date_start_ms(d.year, d.month + months, 1);
}

int64_t clock_next_month_start_ms(int64_t ms)
{
    return clock_add_months_start_ms(ms, 1);
}

int64_t clock_year_start_ms(int64_t ms)
{
    return clock_date_start_ms(clock_date_of(ms).year, 1, 1);
}

int64_t clock_next_year_start_ms(int64_t ms)
{
    return clock_date_start_ms(clock_date_of(ms).year + 1, 1, 1);
}

/* Digits by hand: every award computes its month two or three times
 * (caps, counters), and snprintf was most of that (docs/performance.md,
 * session 4). A year before 0 (a time from the wire can be any int64) is
 * left to snprintf, which prints it as it always did. */
void clock_period_of(int64_t ms, char out[CLOCK_PERIOD_LEN + 1])
{
    clock_date d = clock_date_of(ms);
    int y = d.year % 10000;
    if (y < 0) {
        /* The compiler cannot see that year and month fit their widths,
         * so format into room for any int and copy the fixed-size
         * result. */
        char buf[48];
        snprintf(buf, sizeof buf, "%04d-%02d", y, d.month);
        memcpy(out, buf, CLOCK_PERIOD_LEN);
    } else {
        out[0] = (char)('0' + y / 1000);
        out[1] = (char)('0' + y / 100 % 10);
        out[2] = (char)('0' + y / 10 % 10);
        out[3] = (char)('0' + y % 10);
        out[4] = '-';
        out[5] = (char)('0' + d.month / 10);
        out[6] = (char)('0' + d.month % 10);
    }
    out[CLOCK_PERIOD_LEN] = '\0';
}

void clock_date_text(int64_t ms, char out[CLOCK_DATE_LEN + 1])
{
    clock_date d = clock_date_of(ms);
    char buf[48];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year % 10000, d.month, d.day);
    memcpy(out, buf, CLOCK_DATE_LEN);
    out[CLOCK_DATE_LEN] = '\0';
}

void clock_minute_text(int64_t ms, char out[CLOCK_MINUTE_LEN + 1])
{
    char date[CLOCK_DATE_LEN + 1], buf[48];
    clock_date_text(ms, date);
    int64_t in_day = (ms + CLOCK_SHANGHAI_OFFSET_MS) % CLOCK_DAY_MS;
    if (in_day < 0)
        in_day += CLOCK_DAY_MS;
    int minute = (int)(in_day / 60000);
    snprintf(buf, sizeof buf, "%s %02d:%02d", date, minute / 60, minute % 60);
    memcpy(out, buf, CLOCK_MINUTE_LEN);
    out[CLOCK_MINUTE_LEN] = '\0';
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int year, int month)
{
    return (int)(days_from_civil(year + (month == 12), month % 12 + 1, 1) -
                 days_from_civil(year, month, 1));
}

int clock_parse_date(const char *text, int64_t *start_ms)
{
    int y, m, d;
    if (strlen(text) != CLOCK_DATE_LEN || text[4] != '-' || text[7] != '-' ||
        digits(text, 4, &y) || digits(text + 5, 2, &m) ||
        digits(text + 8, 2, &d) || y < 1970 || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, m))
        return -1;
    *start_ms = clock_date_start_ms(y, m, d);
    return 0;
}

int clock_parse_period(const char *text, int64_t *start_ms)
{
    int y, m;
    if (strlen(text) != CLOCK_PERIOD_LEN || text[4] != '-' ||
        digits(text, 4, &y) || digits(text + 5, 2, &m) || y < 1970 || m < 1 ||
        m > 12)
        return -1;
    *start_ms = clock_date_start_ms(y, m, 1);
    return 0;
}

int clock_time_text(int64_t ms, char out[CLOCK_TIME_LEN + 1])
{
    /* Checked first: a time from the wire may be any int64, and adding the
     * offset to one near the ends would overflow. */
    if (ms < clock_date_start_ms(1, 1, 1) ||
        ms >= clock_date_start_ms(10000, 1, 1))
        return -1;
    int64_t local = ms + CLOCK_SHANGHAI_OFFSET_MS;
    int64_t in_day = local - floor_div(local, CLOCK_DAY_MS) * CLOCK_DAY_MS;
    clock_date d = clock_date_of(ms);
    int s = (int)(in_day / 1000);
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", d.year,
             d.month, d.day, s / 3600, s / 60 % 60, s % 60);
    memcpy(out, buf, CLOCK_TIME_LEN);
    out[CLOCK_TIME_LEN] = '\0';
    return 0;
}
