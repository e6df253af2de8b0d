/*
 * log - one line per event on stderr: "2026-11-26T09:15:00Z jifend[pid] LEVEL message".
 *
 * jifend runs in the foreground under a supervisor (systemd, a terminal), so
 * stderr is the log; the supervisor adds persistence. Never log per entry on
 * the write path: logging is for start-up, shutdown and failures.
 */
#ifndef JIFEN_LOG_H
#define JIFEN_LOG_H

typedef enum { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR } log_level;

void log_set_level(log_level level);

#if defined(__GNUC__)
#define LOG_PRINTF __attribute__((format(printf, 2, 3)))
#else
#define LOG_PRINTF
#endif

void log_write(log_level level, const char *fmt, ...) LOG_PRINTF;

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
