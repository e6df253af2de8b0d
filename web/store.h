/*
 * store - jifen-web's files, kept private whatever the umask: directories
 * 0700, files 0600, written whole to a temporary file and renamed into
 * place (a crash leaves the old file or the new one, never half of one),
 * and opened with O_NOFOLLOW so that a symlink planted in the data
 * directory is refused rather than followed.
 */
#ifndef JIFEN_WEB_STORE_H
#define JIFEN_WEB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_PATH_MAX 1024

/* Makes `dir` (mode 0700) if missing; refuses a symlink, a non-directory,
 * or one owned by another user; sets 0700 if it was more open. */
int store_dir_ensure(const char *dir, char *err, size_t errlen);

/* Writes data to dir/name atomically, mode 0600. */
int store_write(const char *dir, const char *name, const void *data,
                size_t len, char *err, size_t errlen);

/* Reads dir/name whole (at most max bytes) into a malloc'd, NUL-terminated
 * buffer. Refuses a symlink, a file others may read or write, a file too
 * large. 1 when the file does not exist (*out NULL), 0, or -1. */
int store_read(const char *dir, const char *name, size_t max, char **out,
               size_t *len, char *err, size_t errlen);

/* Appends one line to dir/name (created 0600). */
int store_append(const char *dir, const char *name, const char *line,
                 char *err, size_t errlen);

/* What a file looks like now (inode, size, mtime), to notice another
 * process's change; all zero when it does not exist. */
typedef struct {
    uint64_t ino, size;
    int64_t mtime_ns;
} store_stamp;
store_stamp store_stamp_of(const char *dir, const char *name);
bool store_stamp_equal(const store_stamp *a, const store_stamp *b);

#endif
