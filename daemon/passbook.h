/*
 * passbook - where a household's paper passbook (积分存折) was last printed
 * (issue 15, docs/committee.md), so that the next print (存折补登)
 * continues there.
 *
 * A passbook line is an entry that moves the household's points (an
 * award posted, a redemption, a deduction, an expiry, a reversal of one, an
 * opening balance); a print writes the lines after the mark and then a
 * PassbookMark entry naming the last entry it printed. Derived state,
 * written only by the apply path, in the meta table (keyspace.h):
 *   "passbook/<household>" -> be64 printed through (an entry), be64 lines
 *       printed in all, be64 the PassbookMark entry
 */
#ifndef JIFEN_PASSBOOK_H
#define JIFEN_PASSBOOK_H

#include "jifen_types.h"
#include "storage.h"

typedef struct {
    uint64_t through; /* the last entry printed, 0: never printed */
    uint64_t lines;   /* lines printed, every print together */
    uint64_t mark;    /* the PassbookMark entry */
} passbook_mark;

/* The household's mark; all 0 when its passbook was never printed. */
storage_error passbook_get(storage_txn *txn, const char *household,
                           passbook_mark *out);
void passbook_put(storage_txn *txn, const char *household,
                  const passbook_mark *m);

#endif
