/*
 * identity - the daemon's own CURVE key pair and the protection of its data
 * directory.
 *
 * On first start jifend makes DIR/jifend.key (secret, mode 0600) and
 * DIR/jifend.pub (public, Z85: what clients need). It refuses to start when
 * the data directory or the secret key is open to group or others: the
 * ledger and the key are the daemon's alone. Nothing here ever prints the
 * secret key.
 */
#ifndef JIFEN_IDENTITY_H
#define JIFEN_IDENTITY_H

#include "keyfile.h"

#include <stddef.h>
#include <stdint.h>

#define IDENTITY_SECRET_FILE "jifend.key"
#define IDENTITY_PUBLIC_FILE "jifend.pub"

/* 0 when dir is a directory that only its owner may use; -1 with the
 * reason (and the fix) in err. */
int identity_check_dir(const char *dir, char *err, size_t errlen);

/* Loads the daemon's secret key, making a new pair when there is none.
 * *created tells which; public_path receives the public key file's name.
 * 0, or -1 with the reason in err. */
int identity_load(const char *dir, uint8_t secret[KEYFILE_KEY_LEN],
                  char *public_path, size_t path_len, int *created, char *err,
                  size_t errlen);

/* Takes DIR/jifend.lock for the life of the process, so that one jifend
 * (or one --enrol-admin) at a time writes the ledger: the chain head is
 * kept in memory. Returns the lock's descriptor, or -1 with err. */
int identity_lock(const char *dir, char *err, size_t errlen);

#endif
