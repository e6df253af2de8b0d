/*
 * conffile - the `key = value` configuration files of jifend and
 * jifen-web: blank lines and `#` comments skipped, spaces around key and
 * value trimmed, each pair handed to the program's own option table, and
 * the first bad line reported as "FILE:LINE: reason" (the Redis manner).
 */
#ifndef JIFEN_CONFFILE_H
#define JIFEN_CONFFILE_H

#include <stddef.h>

/* Sets one option; 0, or -1 with the reason in err. */
typedef int (*conffile_set_fn)(void *target, const char *key,
                               const char *value, char *err, size_t errlen);

/* Reads `path`, calling set for each pair; stops at the first bad line.
 * 0, or -1 with "FILE:LINE: reason" (or "FILE: reason") in err. */
int conffile_load(const char *path, conffile_set_fn set, void *target,
                  char *err, size_t errlen);

#endif
