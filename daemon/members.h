/*
 * members - a household's members, the consents under which one acts for
 * another (亲情代理), and the events each household was awarded for
 * (issue 15, docs/committee.md).
 *
 * The points are the household's (as the schemes have it); members say
 * who earned an award or made a redemption, and a proxy who acted for
 * whom, under which consent. An event (a meeting, a volunteer day) is
 * awarded to a household at most once: its index names the award.
 *
 * Derived state, written only by the apply path from the entries
 * (MemberSet, ProxyConsent, Award), in the meta table (keyspace.h):
 *   "member/<household>" 0x00 <name> -> u8 left, be64 added, be64 changed,
 *       u8 n, relation[n], phone (the rest)
 *   "proxy/<household>" 0x00 <member> 0x00 <proxy> -> be64 consent entry,
 *       be64 revoking entry (0: in force)
 *   "event/<household>" 0x00 <activity> 0x00 <date> 0x00 <event> -> be64
 *       the award
 * Errors of the writers land in the txn's sticky error.
 */
#ifndef JIFEN_MEMBERS_H
#define JIFEN_MEMBERS_H

#include "jifen_types.h"
#include "storage.h"

typedef struct {
    char name[JIFEN_MEMBER_MAX + 1];
    char relation[JIFEN_CODE_MAX + 1];
    char phone[JIFEN_PHONE_MAX + 1];
    bool left;
    uint64_t added;   /* the entry that added the member */
    uint64_t changed; /* the last entry that changed them */
} member_record;

storage_error members_get(storage_txn *txn, const char *household,
                          const char *name, member_record *out);
void members_put(storage_txn *txn, const char *household,
                 const member_record *m);
/* Every member of the household, in name order (bytes). fn returns 0 to
 * go on, 1 to stop. */
storage_error members_each(storage_txn *txn, const char *household,
                           int (*fn)(void *ctx, const member_record *m),
                           void *ctx);

typedef struct {
    uint64_t consent; /* the entry that recorded it */
    uint64_t revoked; /* the entry that withdrew it, 0: in force */
} proxy_record;

storage_error proxy_get(storage_txn *txn, const char *household,
                        const char *member, const char *proxy,
                        proxy_record *out);
void proxy_put(storage_txn *txn, const char *household, const char *member,
               const char *proxy, const proxy_record *r);
/* Every consent in force by which `proxy` acts, fn(ctx, member, consent). */
storage_error proxy_each_of(storage_txn *txn, const char *household,
                            const char *proxy,
                            int (*fn)(void *ctx, const char *member,
                                      const proxy_record *r),
                            void *ctx);

/* The award that took the event for the household: STORAGE_NOT_FOUND when
 * none did. */
storage_error event_get(storage_txn *txn, const char *household,
                        const char *activity, const char *date,
                        const char *event, uint64_t *award);
/* STORAGE_EXISTS (the txn goes on) when the event is taken already. */
storage_error event_put(storage_txn *txn, const char *household,
                        const char *activity, const char *date,
                        const char *event, uint64_t award);
/* Frees the event of `award` (its reversal or voiding). */
void event_free(storage_txn *txn, const char *household, const char *activity,
                const char *date, const char *event, uint64_t award);

#endif
