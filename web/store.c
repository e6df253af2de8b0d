/*
 * store - see store.h.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return -1;
}

static int join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, STORE_PATH_MAX, "%s/%s", dir, name);
    return n > 0 && n < STORE_PATH_MAX ? 0 : -1;
}

int store_dir_ensure(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return fail(err, errlen, "cannot make", dir);
    if (lstat(dir, &st) != 0)
        return fail(err, errlen, "cannot read", dir);
    if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory (or a symlink)", dir);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s: owned by another user (uid %u)", dir,
                 (unsigned)st.st_uid);
        return -1;
    }
    if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) != 0)
        return fail(err, errlen, "cannot chmod 0700", dir);
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int store_write(const char *dir, const char *name, const void *data,
                size_t len, char *err, size_t errlen)
{
    char path[STORE_PATH_MAX], tmp[STORE_PATH_MAX], tmpname[128];
    snprintf(tmpname, sizeof tmpname, ".%s.%ld.%08x", name, (long)getpid(),
             randombytes_random());
    if (join(path, dir, name) != 0 || join(tmp, dir, tmpname) != 0) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    if (fd < 0)
        return fail(err, errlen, "cannot create", tmp);
    /* The mode is 0600 whatever the umask said. */
    if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 ||
        fsync(fd) != 0) {
        fail(err, errlen, "cannot write", tmp);
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        fail(err, errlen, "cannot replace", path);
        unlink(tmp);
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* the rename itself survives a crash */
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int store_read(const char *dir, const char *name, size_t max, char **out,
               size_t *len, char *err, size_t errlen)
{
    char path[STORE_PATH_MAX];
    struct stat st;
    *out = NULL;
    *len = 0;
    if (join(path, dir, name) != 0) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return 1;
    if (fd < 0)
        return fail(err, errlen, "cannot open", path);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, errlen,
                 "%s: others may read or write it (mode %03o); chmod 600 %s",
                 path, (unsigned)(st.st_mode & 0777), path);
        close(fd);
        return -1;
    }
    if ((size_t)st.st_size > max) {
        snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
        close(fd);
        return -1;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf != NULL && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf == NULL || got != (size_t)st.st_size) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read it whole", path);
        return -1;
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

int store_append(const char *dir, const char *name, const char *line,
                 char *err, size_t errlen)
{
    char path[STORE_PATH_MAX];
    if (join(path, dir, name) != 0) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return -1;
    }
    int fd = open(path,
                  O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(err, errlen, "cannot open", path);
    int rc = write_all(fd, line, strlen(line));
    if (rc != 0)
        fail(err, errlen, "cannot append to", path);
    close(fd);
    return rc;
}

store_stamp store_stamp_of(const char *dir, const char *name)
{
    store_stamp s = {0, 0, 0};
    char path[STORE_PATH_MAX];
    struct stat st;
    if (join(path, dir, name) == 0 && lstat(path, &st) == 0) {
        s.ino = (uint64_t)st.st_ino;
        s.size = (uint64_t)st.st_size;
        s.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
                     st.st_mtim.tv_nsec;
    }
    return s;
}

bool store_stamp_equal(const store_stamp *a, const store_stamp *b)
{
    return a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}
