#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int identity_check_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", dir);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "%s is open to group or others (mode %03o): the ledger and "
                 "the daemon's secret key must be private; run: chmod 700 %s",
                 dir, (unsigned)(st.st_mode & 0777), dir);
        return -1;
    }
    return 0;
}

static void join(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

int identity_load(const char *dir, uint8_t secret[KEYFILE_KEY_LEN],
                  char *public_path, size_t path_len, int *created, char *err,
                  size_t errlen)
{
    char secret_path[4096];
    char z85[KEYFILE_Z85_LEN + 1];
    join(secret_path, sizeof secret_path, dir, IDENTITY_SECRET_FILE);
    join(public_path, path_len, dir, IDENTITY_PUBLIC_FILE);
    *created = 0;
    if (access(secret_path, F_OK) != 0 && errno == ENOENT) {
        /* A public file left without its secret would be overwritten by
         * nobody (O_EXCL): clear it first. */
        unlink(public_path);
        if (keyfile_generate(secret_path, public_path, z85, err, errlen) != 0)
            return -1;
        *created = 1;
    }
    if (keyfile_read_secret(secret_path, secret, err, errlen) != 0)
        return -1;
    /* The public half is derived data: remake it when it went missing. */
    uint8_t pub[KEYFILE_KEY_LEN];
    if (access(public_path, F_OK) != 0 &&
        (keyfile_public_of(secret, pub) != 0 ||
         keyfile_write_public(public_path, pub, err, errlen) != 0))
        return -1;
    return 0;
}

int identity_lock(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    join(path, sizeof path, dir, "jifend.lock");
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen,
                 "%s is in use by another jifend (stop it first)", dir);
        close(fd);
        return -1;
    }
    return fd;
}
