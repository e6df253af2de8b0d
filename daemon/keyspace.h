/*
 * keyspace - the manual of the ledger's on-disk form: every LMDB table, every
 * key prefix and every record layout, in one place. The modules named own
 * their keys (they build and parse them); this header says what exists.
 * Integers are big-endian (be64, be32) so that keys sort numerically.
 *
 * A ledger is one LMDB environment (storage.c, the only user of lmdb.h)
 * with one named database per table. The journal is the ledger; every
 * other table but two is derived state, written only by the apply path
 * (apply.c) in the same write transaction as the entry that implies it,
 * and rebuilt from the journal by `jifend --rebuild` (rebuild.c), which
 * must produce it byte for byte. The two local tables (requests,
 * checkpoints) hold what the journal does not: a rebuild copies them.
 *
 * journal (journal.c)                                         the ledger
 *   be64 seq -> the Entry message as stored (docs/entry-format.md); the
 *   hash chain covers these bytes. Appended in order, never changed.
 *
 * balances (apply.c, accounts.h; lots.c; counters.c)          derived
 *   "<account>" -> be64 debits, be64 credits
 *       accounts: "household/<code>/points|fee|pending",
 *       "community/<name>" (accounts.h), "funder/<funder>" (market.h). Account names are printable;
 *       every other key here holds a control byte right after
 *       "household/<code>/", so it sorts next to the household's accounts
 *       (one B-tree leaf written per household change, not several):
 *   "household/<code>/" 0x00 be64 seq -> ""        history index
 *   "household/<code>/" 0x01 <what> 0x00 <period> -> be64 count
 *       cap counters: <what> an activity code or "#redeem", <period>
 *       "YYYY-MM" or "YYYY" (counters.h)
 *   "household/<code>/" 0x02 be64 lot -> be64 expires_ms, be64 points left
 *       a lot of points (lots.h): `lot` the entry that started it,
 *       expires_ms INT64_MAX for never
 *   "household/<code>/" 0x03 be64 spend -> n x (be64 lot, be64 expires_ms,
 *       be64 points): what a redemption or deduction took from which lot
 *   "household/<code>/" 0x04 <item> 0x00 <period> -> be64 bill   billed
 *       once (desk_state.h: the billing run's index)
 *   "household/<code>/" 0x05 <item> -> be64 units   of a per-unit fee item
 *   "household/<code>/" 0x06 <period> -> be64 award   on-time points
 *
 * households (apply.c)                                        derived
 *   "<code>" -> be64 registering entry, be32 area (0.01 m2), name (UTF-8,
 *   the rest of the record)
 *
 * reversals (apply.c)                                         derived
 *   be64 reversed seq -> be64 reversing seq
 *
 * keys (keys.c)                                               derived
 *   "<Z85 public key>" -> key record (keys.c: role, revoked, enrolling and
 *   revoking entries, label)
 *
 * meta                                                        derived
 *   "format" -> LEDGER_FORMAT
 *   "head" -> be64 seq, 32-byte SHA-256 of the last entry's stored bytes
 *   "rule-set/<version>" -> be64 entry that adopted it (adopt.c)
 *   "notice/" be64 award -> notice record (notice.c)
 *   "notice-open/" be64 award -> ""   the undecided notices
 *   "sanction/<code>" 0x00 be64 deduction -> be64 until_ms (sanction.c)
 *   "lot-due/" be64 expires_ms <code> -> ""  a household with points left
 *       in a lot expiring then (lots.c); what the timer scans
 *   the property desk (desk_state.h, docs/desk.md):
 *   "receipt-last" -> be64   the community's last receipt number
 *   "payref/" <channel digit> <reference> -> be64 payment or refund
 *   "shift-open/" <key Z85> 0x00 be64 entry -> ""   not closed yet
 *   "shift-last/" <key Z85> 0x00 -> be64 close   a key's last close
 *   "shift-close/" be64 time_ms be64 close -> ""   every close, by time
 *   "bill-period/" <YYYY-MM> -> ""   months with bills (the on-time timer)
 *   "ontime-done/" <YYYY-MM> -> be64 entry   the month's on-time closed
 *   issue 15 (docs/committee.md):
 *   "sanction-award/<code>" 0x00 be64 deduction -> be64 until_ms: awards
 *       refused (sanction.c)
 *   "member/<code>" 0x00 <name> -> a member (members.h)
 *   "proxy/<code>" 0x00 <member> 0x00 <proxy> -> a consent (members.h)
 *   "event/<code>" 0x00 <activity> 0x00 <date> 0x00 <event> -> be64 the
 *       award that took it (members.h)
 *   "item/<item>" -> the supermarket's item (market.h)
 *   "goods/" be64 redemption -> its goods and their pickup (market.h)
 *   "goods-open/" be64 redemption -> ""   goods waiting for their pickup
 *   "funder/<funder>" -> its kind and name (market.h)
 *   "passbook/<code>" -> where the passbook's last print ended
 *       (passbook.h)
 *
 * requests (ledger.c)                                         local
 *   "<request id>" -> 32-byte digest, stored reply (ledger.c: compact or
 *   whole). Idempotency of this ledger's clients; a replica has none.
 *
 * checkpoints (notary.c)                                      local
 *   be64 seq -> a signed checkpoint line (checkpoint.h). Signed by this
 *   daemon's key; a replica copies its primary's.
 *
 * history: a table of format 1 only, left empty.
 */
#ifndef JIFEN_KEYSPACE_H
#define JIFEN_KEYSPACE_H

/* Format 3: entries carry their effects (docs/entry-format.md) and points
 * are kept as lots. Formats 1 and 2 are migrated by a rebuild from the
 * journal when opened (migrate.c). */
#define LEDGER_FORMAT "jifen-ledger-3"
#define LEDGER_FORMAT_PREFIX "jifen-ledger-"

#define META_FORMAT "format"
#define META_HEAD "head"

#endif
