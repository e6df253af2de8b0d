/*
 * rlimits - the process limits jifend sets for itself at start.
 *
 * Every client connection is a file descriptor, also one that never
 * finishes its CURVE handshake. At the common default of 1,024 a few
 * hundred idle connections leave no descriptor for the next accept, and
 * honest clients wait (p99 1-2 s measured) until handshakes time out.
 * And every community's ledger holds three (LMDB's data.mdb twice, for
 * its pages and its synchronous meta page, and lock.mdb): a service of
 * 1,000 communities needs 3,000 before its first client (docs/
 * operations.md). So jifend raises its soft limit to the hard one at
 * start, before it opens the communities, as a service should (systemd's default is 1024 soft, 524288 hard; deploy/
 * jifend.service sets both to 65536, so there nothing is raised and no
 * setrlimit is called, which its system-call filter forbids).
 */
#ifndef JIFEN_RLIMITS_H
#define JIFEN_RLIMITS_H

#include <stdint.h>

/* Raises RLIMIT_NOFILE's soft limit to the hard one, when lower, and logs
 * the outcome. The soft limit in force afterwards. */
uint64_t rlimits_raise_nofile(void);

#endif
