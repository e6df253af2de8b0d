/*
 * clock - the daemon's idea of "now"; with common/calendar.h (included
 * here) the calendar of Asia/Shanghai that every period is counted in.
 *
 * Tests drive time: with clock_use_test_file(FILE) (jifend --test-clock FILE
 * or JIFEN_TEST_CLOCK=FILE) "now" is the Unix time in milliseconds written in
 * FILE, re-read on every call, so a script moves the daemon's clock with
 * `echo MS > FILE`. Test-only: a production daemon never sets it.
 */
#ifndef JIFEN_CLOCK_H
#define JIFEN_CLOCK_H

#include "calendar.h"

#include <stdbool.h>
#include <stdint.h>

/* Makes clock_now_ms read FILE (NULL: back to the real clock). The path is
 * copied. Returns 0, or -1 when the file cannot be read now. */
int clock_use_test_file(const char *path);
bool clock_is_test(void);

/* Unix time in ms: the real clock, or the test file's value (when the file
 * cannot be read or parsed, the last good value, so a half-written file
 * never moves time backwards). */
int64_t clock_now_ms(void);

#endif
