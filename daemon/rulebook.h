/*
 * rulebook - the rule sets a running ledger applies, as they change.
 *
 * Three things change them while jifend serves: the operator's files (read
 * again on SIGHUP), an admin's PolicyLoad command inside a write transaction,
 * and a replica applying such an entry. The committer thread applies writes
 * with the rule sets in use while the server thread answers policy queries
 * and reports with them, so a collection is never freed under a reader: a
 * new one is published with one atomic pointer store, and the one it
 * replaces is kept (retired) until the book is closed. A community adopts
 * new rules a few times a year, so what is kept is a few kilobytes.
 *
 * A collection staged by a write transaction is what later commands of the
 * same transaction see (rulebook_for_write); it is published only when the
 * transaction commits, and dropped when it aborts.
 */
#ifndef JIFEN_RULEBOOK_H
#define JIFEN_RULEBOOK_H

#include "ruleset.h"

typedef struct rulebook rulebook;

/* A book whose rule sets are `initial` (taken over). NULL when out of
 * memory (initial is then destroyed). */
rulebook *rulebook_new(ruleset *initial);
void rulebook_close(rulebook **self_p);

/* The rule sets in use. Any thread; valid until the book is closed. */
const ruleset *rulebook_current(const rulebook *self);

/* Publishes `next` (taken over) at once: the operator's files, with no
 * write transaction open. */
void rulebook_publish(rulebook *self, ruleset *next);

/* Writer thread, inside a write transaction: */
/* What the transaction's next command must see: its staged collection, or
 * the one in use. */
const ruleset *rulebook_for_write(const rulebook *self);
/* Stages `next` (taken over), replacing anything staged before. */
void rulebook_stage(rulebook *self, ruleset *next);
/* The transaction committed: publish what it staged. */
void rulebook_commit(rulebook *self);
/* The transaction aborted or failed to commit: forget what it staged. */
void rulebook_abort(rulebook *self);

#endif
