/*
 * rebuild - every piece of derived state re-derived from the journal alone.
 *
 * The journal of a ledger is replayed, entry by entry, through the one
 * apply path (ledger_replicate: the chain is checked as a replica checks
 * it) into a fresh environment, and the local tables (idempotency records,
 * signed checkpoints: keyspace.h) are copied over. The result is a ledger
 * of this release's format with the same journal, chain and head.
 *
 * Three uses: `jifend --rebuild DIR` checks a ledger's derived state (it
 * compares the rebuilt tables with the stored ones, table by table, and
 * names the first difference); `jifend --rebuild DIR --to DEST` writes the
 * rebuilt ledger, the recovery path for a damaged index; and the
 * migration of a ledger of an earlier format (migrate.c).
 */
#ifndef JIFEN_REBUILD_H
#define JIFEN_REBUILD_H

#include "policy.h"
#include "ruleset.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t entries;  /* replayed */
    /* The source's format; a ledger of an earlier format is not compared
     * (its derived state is another release's), only rebuilt. */
    char source_format[32];
    bool compared;
    bool same;         /* every derived table equal */
    /* The first difference: table, key (printable or hex) and what each
     * side holds. */
    char difference[640];
} rebuild_report;

typedef struct {
    /* Judge the entries of earlier releases (those without their effects,
     * docs/entry-format.md); entries of this release need no rule set. */
    const policy *pol;
    const ruleset *rules; /* NULL: pol alone */
    bool compare;         /* compare the derived tables with the source's */
    /* Progress, now and then: entries replayed of total. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} rebuild_options;

/* Rebuilds the ledger in src_dir into dest_dir, an existing empty
 * directory. 0, or -1 with why in err (the source cannot be read, or an
 * entry of its journal does not follow its chain or does not apply: the
 * journal itself is damaged, and err names the entry). */
int rebuild_ledger(const char *src_dir, const char *dest_dir,
                   const rebuild_options *opts, rebuild_report *report,
                   char *err, size_t errlen);

#endif
