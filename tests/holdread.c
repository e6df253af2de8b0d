/*
 * holdread - opens a ledger read-only, begins a read transaction and holds
 * it until killed: a reader that dies with kill -9 leaves its slot in
 * LMDB's lock file, which jifend must reclaim at start (stale_readers.sh).
 *
 *   holdread DIR     prints "holding" once the transaction is open
 */
#include "offline.h"
#include "storage.h"

#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    storage *st = NULL;
    storage_txn txn;
    char err[512], dir[4096];
    /* A service's data directory: its only community's ledger. */
    if (argc != 2 ||
        offline_ledger_dir(argv[1], NULL, dir, sizeof dir, err, sizeof err) !=
            0 ||
        storage_open_readonly(&st, dir, err, sizeof err) != STORAGE_OK ||
        storage_txn_begin(st, &txn, false) != STORAGE_OK) {
        fprintf(stderr, "holdread: cannot open %s\n", argc > 1 ? argv[1] : "");
        return 1;
    }
    printf("holding\n");
    fflush(stdout);
    for (;;)
        pause();
}
