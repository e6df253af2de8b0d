/*
 * json_out - JSON documents for machines, built with jansson: the one file
 * of jifend and the CLI that includes jansson.h (jifen-web, which also
 * parses JSON, uses jansson in its own modules, web/). The CLI's --json
 * (client/cli_output.c) and
 * jifend's export and --verify --json (daemon/offline.c) both write through
 * it, so the two agree on escaping and on integers.
 *
 * A document is built as a tree and printed once, compact, on one line, in
 * the order the fields were added; integers stay JSON integers (fen,
 * points, ms), never floats. A string that is not valid UTF-8 (only text
 * from the command line can be: what the ledger sends was checked) is
 * printed with its non-ASCII bytes as '?', so the output is always JSON.
 */
#ifndef JIFEN_JSON_OUT_H
#define JIFEN_JSON_OUT_H

#include "jifen_types.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct json_out json_out; /* an object or an array being built */

/* A new document: an object. One document at a time in a thread. */
json_out *json_out_new(void);

/* Adds a member to an object (key), or an element to an array (key NULL).
 * The new object or array is returned to be filled; it belongs to parent.
 * On a NULL parent (out of memory earlier) they do nothing. */
json_out *json_out_object(json_out *parent, const char *key);
json_out *json_out_array(json_out *parent, const char *key);
void json_out_str(json_out *parent, const char *key, const char *v);
void json_out_i64(json_out *parent, const char *key, int64_t v);
/* Above INT64_MAX (no figure jifen sends is) it is written as a string of
 * its digits rather than as a wrong number. */
void json_out_u64(json_out *parent, const char *key, uint64_t v);
void json_out_bool(json_out *parent, const char *key, bool v);

/* "postings": [{"asset","debit","credit","amount"}, ...], as every JSON
 * of jifen shows them (the CLI's writes and history, the export). */
void json_out_postings(json_out *parent, const jifen_posting *p, size_t n);

/* Writes the document and a newline to f and frees it (*doc = NULL). 0, or
 * -1 when memory ran out while building it (nothing is written) or writing
 * failed (the stream's error says why). */
int json_out_write(FILE *f, json_out **doc);
/* The same for a program whose output must be one JSON object whatever
 * happens (the CLI's --json): when memory ran out, writes
 * {"status":"internal","error":"out of memory"} instead. */
void json_out_print(FILE *f, json_out **doc);

/* A document too long to build at once (a report of 100,000 rows), with
 * one long array: json_out_stream_open writes {"key":[ ; each element is
 * a document of its own (json_out_new) written and freed by
 * json_out_stream_element; json_out_stream_close writes ] and then the
 * members of `rest` (a document, freed), and the closing brace. */
void json_out_stream_open(FILE *f, const char *key);
void json_out_stream_element(FILE *f, json_out **elem, bool first);
void json_out_stream_close(FILE *f, json_out **rest);

#endif
