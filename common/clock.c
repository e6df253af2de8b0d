/*
 * clock - see clock.h: the daemon's "now", from the system or from a test
 * file. The calendar is common/calendar.c.
 */
#include "clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char test_path[4096]; /* set once at start-up, then only read */
/* The server and committer threads both ask for the time: the last good
 * reading of the test file is shared between them. */
static _Atomic int64_t test_last_ms;

/* --- now ------------------------------------------------------------------ */

static int read_test_file(int64_t *out)
{
    FILE *f = fopen(test_path, "r");
    if (!f)
        return -1;
    char buf[64];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    while (end && isspace((unsigned char)*end))
        end++;
    if (errno || end == buf || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

int clock_use_test_file(const char *path)
{
    if (!path) {
        test_path[0] = '\0';
        return 0;
    }
    if (strlen(path) >= sizeof test_path)
        return -1;
    snprintf(test_path, sizeof test_path, "%s", path);
    int64_t v;
    if (read_test_file(&v) != 0) {
        test_path[0] = '\0';
        return -1;
    }
    atomic_store(&test_last_ms, v);
    return 0;
}

bool clock_is_test(void)
{
    return test_path[0] != '\0';
}

int64_t clock_now_ms(void)
{
    if (test_path[0]) {
        int64_t v;
        if (read_test_file(&v) == 0)
            atomic_store(&test_last_ms, v);
        return atomic_load(&test_last_ms);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
