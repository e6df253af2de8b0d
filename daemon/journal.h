/*
 * journal - the one reader (and the one writer) of the journal table.
 *
 * The journal maps be64 seq -> the stored bytes of entry seq (the Entry
 * message, proto/entry_codec.h), appended in order and never changed. Every
 * module that needs entries gets them here: the write path (a reversal reads
 * its original), reports, verification, the export, the replication feed,
 * a rebuild. A household's entries are found through its history index
 * (keyspace.h: "household/<code>/" 0x00 be64 seq in the balances table),
 * which the apply path keeps.
 *
 * Entries handed to a callback are decoded into a buffer the walk owns:
 * valid during the call only. Stored bytes point into the map: valid until
 * the transaction ends.
 */
#ifndef JIFEN_JOURNAL_H
#define JIFEN_JOURNAL_H

#include "jifen_types.h"
#include "storage.h"

/* Appends entry seq's stored bytes (seq must follow the last one). Errors
 * land in the txn's sticky error. */
void journal_append(storage_txn *txn, uint64_t seq, const uint8_t *stored,
                    size_t len);

/* The stored bytes of entry seq: STORAGE_OK, STORAGE_NOT_FOUND, or an
 * error. */
storage_error journal_get(storage_txn *txn, uint64_t seq, storage_val *stored);

/* Entry seq, decoded; with_text keeps a rule set's text (out->command.text,
 * the caller frees it). STORAGE_NOT_FOUND when there is no such entry,
 * STORAGE_CORRUPT when its bytes do not decode. */
storage_error journal_read(storage_txn *txn, uint64_t seq, jifen_entry *out,
                           bool with_text);

/* The number of the last entry (0 for an empty journal). */
storage_error journal_last(storage_txn *txn, uint64_t *seq);

/* Calls fn for each entry from `from` (1: the first) on, in order. fn gets
 * the stored bytes and, when decode is set, the entry decoded (else NULL);
 * it returns 0 to go on, 1 to stop, -1 for damage (STORAGE_CORRUPT). An
 * entry that does not decode is STORAGE_CORRUPT, its number in *bad when
 * bad is not NULL. */
typedef int (*journal_fn)(void *ctx, uint64_t seq, const storage_val *stored,
                          const jifen_entry *e);
storage_error journal_foreach(storage_txn *txn, uint64_t from, bool decode,
                              journal_fn fn, void *ctx, uint64_t *bad);

/* The same over one household's entries (its history index), oldest first
 * or newest first; entries are always decoded. */
storage_error journal_household(storage_txn *txn, const char *household,
                                bool newest_first, journal_fn fn, void *ctx,
                                uint64_t *bad);

#endif
