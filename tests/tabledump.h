/*
 * tabledump - every record of every table of a ledger environment, to
 * compare two ledgers that must hold the same state byte for byte (a
 * primary and a replica built from its journal, a ledger and its rebuild)
 * and to say exactly where they differ.
 *
 * It reads storage.h only and knows nothing of what the records mean: it
 * walks tables 0 .. TABLE_COUNT-1 and every key in LMDB's order, so a table
 * or a key prefix added later is compared without anybody remembering to
 * add it here. Tables that are local by design (e.g. idempotency records,
 * which a replica does not copy) are left out by the caller, by name, with
 * TABLEDUMP_SKIP.
 *
 * Output: one line per record, "TABLE KEY-HEX VALUE-HEX  # KEY-TEXT", where
 * KEY-TEXT is the key with its printable ASCII as it is and every other
 * byte as \xNN (so "household/3-2-501/points" reads as itself, and a
 * be64 sequence number as eight escapes).
 */
#ifndef JIFEN_TABLEDUMP_H
#define JIFEN_TABLEDUMP_H

#include "storage.h"

#include <stdio.h>

#define TABLEDUMP_SKIP(table) (1u << (table))

/* Writes every record of the tables not in `skip`, table by table in
 * storage_table order, keys in LMDB order. 0, or -1 when a table cannot be
 * read (the reason is written to out). */
int tabledump_write(storage *st, unsigned skip, FILE *out);

/* The same into a malloc'd string (NULL when a table cannot be read or
 * memory runs out); the caller frees it. */
char *tabledump_text(storage *st, unsigned skip);

typedef struct {
    unsigned skip;       /* tables left out: TABLEDUMP_SKIP(...) | ... */
    const char *name_a;  /* what a and b are called in the report */
    const char *name_b;  /* (NULL: "a", "b") */
    size_t max_shown;    /* differing records shown in full (0: 10) */
    FILE *out;           /* where the report goes (NULL: stderr) */
} tabledump_options;

/* Compares a and b, table by table and key by key. Every differing record
 * (a key in one only, or one key with two values) counts; the first
 * max_shown are reported with table, key and both values, then a count per
 * table. Returns the number of differing records (0: identical), or -1
 * when a table cannot be read (reported). */
long tabledump_compare(storage *a, storage *b, const tabledump_options *opts);

/* Writes len bytes as text: printable ASCII as it is, others as \xNN. */
void tabledump_print_text(FILE *out, const void *data, size_t len);

#endif
