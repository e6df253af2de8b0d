/*
 * communities - the communities (小区) of a service, as the service's own
 * journal records them: CommunityCreate and CommunityClose entries, applied
 * (apply.c) into one record per community in the service ledger's meta
 * table (keyspace.h: "community/<code>"). Derived state like any other:
 * a rebuild of the service journal gives the same records.
 */
#ifndef JIFEN_COMMUNITIES_H
#define JIFEN_COMMUNITIES_H

#include "jifen_types.h"
#include "storage.h"

typedef struct {
    char code[JIFEN_COMMUNITY_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    char street[JIFEN_COMMUNITY_MAX + 1];
    uint64_t created_entry; /* the service journal's entry */
    uint64_t closed_entry;  /* 0 while open */
    /* Taken over from an earlier release's one-community ledger: its rule
     * sets are the operator's files and the adopted ones; a community the
     * service created has its founding rule set in its journal. */
    bool file_rules;
} community_record;

/* STORAGE_OK, STORAGE_NOT_FOUND, or an error (damage: STORAGE_CORRUPT). */
storage_error community_get(storage_txn *txn, const char *code,
                            community_record *out);
/* Errors land in the txn's sticky error. */
void community_put(storage_txn *txn, const community_record *rec);

/* Calls fn for every community, in code order; fn returns 0 to go on, 1 to
 * stop. */
storage_error community_each(storage_txn *txn,
                             int (*fn)(void *ctx, const community_record *r),
                             void *ctx);

#endif
