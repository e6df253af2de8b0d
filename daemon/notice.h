/*
 * notice - public notice (公示) of awards: the notice records, the window,
 * the masked notice list.
 *
 * Under a rule set with notice_days, an award posts issuance -> the
 * household's *pending* account (visible, not spendable) and opens a
 * notice record. When the window has ended (and a second committee member
 * approved it, for awards above approval_above) jifend itself posts pending
 * -> points in a Release entry; an objection upheld during the window posts
 * pending -> issuance (an Object entry) instead. Either closes the record in
 * the same transaction as its entry, so a restart can neither skip nor
 * repeat it: what is still open after a crash is exactly what is not yet
 * decided.
 *
 * Records live in the meta table: "notice/<be64 award>" (kept for the
 * notice list) and "notice-open/<be64 award>" (the undecided ones, which
 * the daemon's timer scans).
 */
#ifndef JIFEN_NOTICE_H
#define JIFEN_NOTICE_H

#include "mask.h"
#include "policy.h"
#include "storage.h"

typedef enum {
    NOTICE_PENDING = 0,
    NOTICE_POSTED = 1,
    NOTICE_VOIDED = 2,
} notice_state;

typedef struct {
    uint64_t entry; /* the award */
    int64_t time_ms;
    int64_t due_ms; /* end of the window */
    uint64_t points;
    uint64_t decided_by; /* Release or Object entry; 0 while pending */
    notice_state state;
    bool needs_approval;
    bool approved;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    char activity[JIFEN_CODE_MAX + 1];
    char author[JIFEN_AUTHOR_MAX + 1];
    /* The key that recorded the award (Z85). "" in records written before
     * jifen kept it, on a replica (entries carry the label, not the key)
     * and for the local operator. */
    char author_key[JIFEN_KEY_Z85_LEN + 1];
} notice_record;

/* Whether an award of `points` under `p` goes through notice, and whether
 * it needs a second approval. */
bool notice_applies(const policy *p, uint32_t points, bool *needs_approval);

/* End of the window: 00:00 Asia/Shanghai after `days` full days following
 * the day of the award (an award on 3 July with 7 days posts on 11 July). */
int64_t notice_window_end(int64_t award_ms, uint32_t days);

/* Whether the key `key` labelled `label` is whoever recorded the award,
 * and so may not give it its second approval. Keys are compared: the
 * recorder's key is in the record. A label does not tell people apart
 * ("Wang Fang " is not "Wang Fang" to strcmp, but is to a reader of the
 * journal), so a key whose label looks like the recorder's (keys.h,
 * keys_labels_alike) counts as the recorder too; and for a record without
 * the key (written before jifen kept it) that is all there is to go by. */
bool notice_recorded_by(const notice_record *r, const char *key,
                        const char *label);

/* STORAGE_NOT_FOUND when the entry is not an award under notice. */
storage_error notice_get(storage_txn *txn, uint64_t entry, notice_record *r);

/* Stores the record; it is open (scanned by the timer) while PENDING.
 * Errors land in the txn's sticky error. */
void notice_put(storage_txn *txn, const notice_record *r);

/* The awards ready to post at now_ms, oldest first, at most max; and the
 * earliest time anything still open becomes ready (INT64_MAX: never
 * without an approval or nothing open). */
storage_error notice_due(storage_txn *txn, int64_t now_ms, uint64_t *entries,
                         size_t max, size_t *n, int64_t *next_ms);

/* Points of every notice still pending: what the households' pending
 * accounts must hold between them (verify checks it). */
storage_error notice_open_total(storage_txn *txn, uint64_t *points);

/* The notice list of the month starting at month_ms: every award under
 * notice made in it, masked. Fills result->notices (malloc'd). */
storage_error notice_list(storage_txn *txn, int64_t month_ms,
                          jifen_result *result);


#endif
