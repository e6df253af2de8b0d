#include "privfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int privfile_create(const char *path, mode_t mode, char *err, size_t errlen)
{
    int fd =
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (it is never overwritten: give a new "
                                   "name, or remove it first)"
                                 : "");
        return -1;
    }
    if (fchmod(fd, mode) != 0) {
        snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

int privfile_open_secret(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
                 errno == ELOOP ? " (a symbolic link: give the file itself)"
                                : "");
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
    } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "%s: secret key readable by group or others (mode %03o); "
                 "run chmod 600 on it (and make a new key if others may have "
                 "read it)",
                 path, (unsigned)(st.st_mode & 0777));
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

int privfile_copy(const char *from, const char *to, bool secret, char *err,
                  size_t errlen)
{
    char buf[4097];
    int in = secret ? privfile_open_secret(from, err, errlen)
                    : open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0) {
        if (!secret)
            snprintf(err, errlen, "%s: %s", from, strerror(errno));
        return -1;
    }
    ssize_t n = read(in, buf, sizeof buf);
    close(in);
    if (n < 0 || (size_t)n == sizeof buf) {
        snprintf(err, errlen, "%s: %s", from,
                 n < 0 ? strerror(errno) : "larger than a key file");
        explicit_bzero(buf, sizeof buf);
        return -1;
    }
    int out = privfile_create(to, secret ? 0600 : 0644, err, errlen);
    int rc = out < 0 ? -1 : 0;
    if (out >= 0) {
        if (write(out, buf, (size_t)n) != n || fsync(out) != 0) {
            snprintf(err, errlen, "%s: %s", to, strerror(errno));
            rc = -1;
        }
        if (close(out) != 0 && rc == 0) {
            snprintf(err, errlen, "%s: %s", to, strerror(errno));
            rc = -1;
        }
        if (rc != 0)
            unlink(to);
    }
    explicit_bzero(buf, sizeof buf);
    return rc;
}
