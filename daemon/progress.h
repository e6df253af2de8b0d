/*
 * progress - long work (a migration, a rebuild, a verification, a backup)
 * tells a person at a terminal how far it got, on one line of stderr that
 * it rewrites; it says nothing when stderr is not a terminal (a service's
 * journal, a pipe, a test), so logs and --json output stay clean.
 */
#ifndef JIFEN_PROGRESS_H
#define JIFEN_PROGRESS_H

#include <stdint.h>

/* For callbacks of the form (ctx, done, total): ctx is the const char *
 * naming the work ("rebuilding"), or NULL. The line ends at done == total. */
void progress_on_tty(void *ctx, uint64_t done, uint64_t total);

#endif
