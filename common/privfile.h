/*
 * privfile - files only their owner may read: secret keys, the ledger's
 * backups, exports (names and notes of residents). Shared by jifend and the
 * client.
 *
 * Created new, never over an existing file (O_EXCL; as root, following a
 * symlink planted in its place would overwrite anything), with exactly the
 * mode asked for whatever the umask (fchmod after creation; the file is
 * never more open than that, since the umask only takes bits away). A
 * secret is read only from a regular file, not through a symlink, that
 * group and others cannot read.
 */
#ifndef JIFEN_PRIVFILE_H
#define JIFEN_PRIVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Creates `path` for writing with mode `mode` (0600 for anything private).
 * A descriptor, or -1 with the reason in err (an existing file: "exists;
 * it is never overwritten"). */
int privfile_create(const char *path, mode_t mode, char *err, size_t errlen);

/* Opens the secret `path` for reading. A descriptor, or -1 with the reason
 * (and the chmod that fixes it) in err. */
int privfile_open_secret(const char *path, char *err, size_t errlen);

/* Copies the small file `from` (a key: at most 4 KiB) to the new file
 * `to`, synced. A secret is read as privfile_open_secret reads it and
 * written 0600; anything else is written 0644. 0, or -1 with err (`to` is
 * removed again). */
int privfile_copy(const char *from, const char *to, bool secret, char *err,
                  size_t errlen);

#endif
