/*
 * jifen_types.h - the plain C form of jifen's protocol messages.
 *
 * The daemon and the client library work with these structs; only codec.c
 * converts them to and from the generated protobuf-c types (proto/jifen/v1).
 * Strings are fixed-size, NUL-terminated buffers so that decoding a command
 * allocates nothing per command and every length is bounded by construction.
 * All amounts are integers: points, or fen (0.01 yuan).
 */
#ifndef JIFEN_TYPES_H
#define JIFEN_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds enforced by the codec on every decoded message. */
#define JIFEN_HOUSEHOLD_MAX 32    /* bytes, [A-Za-z0-9._-] */
#define JIFEN_CODE_MAX 32         /* activity / rule code, [a-z0-9_-] */
#define JIFEN_NAME_MAX 64         /* household name, UTF-8 bytes */
#define JIFEN_NOTE_MAX 200        /* note, UTF-8 bytes */
#define JIFEN_REQUEST_ID_MAX 64   /* printable ASCII */
#define JIFEN_AUTHOR_MAX 64
#define JIFEN_POLICY_MAX 64
#define JIFEN_ACCOUNT_MAX 64      /* "household/<code>/points" fits */
#define JIFEN_PERIOD_LEN 7        /* YYYY-MM */
#define JIFEN_DATE_LEN 10         /* YYYY-MM-DD */
#define JIFEN_BATCH_MAX 8192      /* commands per request */
#define JIFEN_POSTINGS_MAX 4      /* postings per entry */
#define JIFEN_HASH_LEN 32         /* SHA-256 */
#define JIFEN_POINTS_MAX 1000000u           /* one command, points */
#define JIFEN_FEN_MAX 100000000000ull       /* one command, fen (1e9 yuan) */
#define JIFEN_HOURS_MAX 24u
#define JIFEN_HISTORY_DEFAULT 20u
#define JIFEN_HISTORY_MAX 1000u
#define JIFEN_KEY_Z85_LEN 40      /* a CURVE public key in Z85 */
#define JIFEN_LABEL_MAX JIFEN_AUTHOR_MAX /* a key's label is the author */
#define JIFEN_KEYS_MAX 4096u      /* enrolled keys listed in one reply */
#define JIFEN_SEARCH_DEFAULT 20u  /* households per search, limit 0 */
#define JIFEN_SEARCH_MAX 100u     /* households per search, at most */
#define JIFEN_MEMBER_MAX 32       /* a member's name, UTF-8 bytes */
#define JIFEN_PHONE_MAX 20        /* a member's contact number */
#define JIFEN_QUANTITY_MAX 1000u  /* goods of one redemption */
#define JIFEN_STOCK_MAX 1000000u  /* units of one stock change */
#define JIFEN_PAGE_MAX 100000u    /* a paper ledger's page */
#define JIFEN_COMMUNITY_MAX 32    /* community / street code, [A-Za-z0-9._-] */
/* Request.community naming the service's own ledger (its journal, for a
 * replica's feed): no community code starts with '@'. */
#define JIFEN_SERVICE_ADDRESS "@service"
#define JIFEN_SCOPE_MAX 64        /* communities a service key lists */
#define JIFEN_SCOPE_TEXT_MAX (JIFEN_SCOPE_MAX * (JIFEN_COMMUNITY_MAX + 1))
#define JIFEN_COMMUNITIES_MAX 100000u /* communities listed in one reply */

typedef enum {
    JIFEN_STATUS_UNSPECIFIED = 0,
    JIFEN_STATUS_OK = 1,
    JIFEN_STATUS_EXISTS = 2,
    JIFEN_STATUS_ID_CONFLICT = 3,
    JIFEN_STATUS_BAD_REQUEST = 4,
    JIFEN_STATUS_UNKNOWN_HOUSEHOLD = 5,
    JIFEN_STATUS_HOUSEHOLD_EXISTS = 6,
    JIFEN_STATUS_INSUFFICIENT_POINTS = 7,
    JIFEN_STATUS_CAP_EXCEEDED = 8,
    JIFEN_STATUS_UNKNOWN_ACTIVITY = 9,
    JIFEN_STATUS_UNKNOWN_RULE = 10,
    JIFEN_STATUS_UNKNOWN_ENTRY = 11,
    JIFEN_STATUS_ALREADY_REVERSED = 12,
    JIFEN_STATUS_NOT_REVERSIBLE = 13,
    JIFEN_STATUS_LEDGER_FULL = 14,
    JIFEN_STATUS_FORBIDDEN = 15,
    JIFEN_STATUS_INTERNAL = 16,
    JIFEN_STATUS_TOO_LARGE = 17,
    JIFEN_STATUS_UNKNOWN_KEY = 18,
    JIFEN_STATUS_KEY_EXISTS = 19,
    JIFEN_STATUS_NO_RULE_SET = 30,
    JIFEN_STATUS_UNKNOWN_RULE_SET = 31,
    JIFEN_STATUS_NOTICE_CLOSED = 32,
    JIFEN_STATUS_REDEMPTION_SUSPENDED = 33,
    JIFEN_STATUS_RULE_SET_REFUSED = 34,
    JIFEN_STATUS_REQUEST_TOO_COSTLY = 36, /* a query request over its limits */
    JIFEN_STATUS_BUSY = 37, /* the key's query queue is full */
    JIFEN_STATUS_UNKNOWN_COMMUNITY = 40,
    JIFEN_STATUS_COMMUNITY_CLOSED = 41,
    JIFEN_STATUS_COMMUNITY_EXISTS = 42,
    JIFEN_STATUS_OVERFLOW = 39, /* a report's total does not fit 64 bits */
    JIFEN_STATUS_NO_TREE = 70,
    JIFEN_STATUS_NO_TREE_HEAD = 71,
    /* issue 14: the property desk (docs/desk.md) */
    JIFEN_STATUS_ALREADY_BILLED = 50,
    JIFEN_STATUS_DUPLICATE_REFERENCE = 51,
    JIFEN_STATUS_NOT_BILLABLE = 52,
    JIFEN_STATUS_UNKNOWN_FEE_ITEM = 53,
    JIFEN_STATUS_REPORT_TOO_LARGE = 54,
    JIFEN_STATUS_NOT_PREPAID = 55,
    /* issue 15 (docs/committee.md) */
    JIFEN_STATUS_UNKNOWN_MEMBER = 60,
    JIFEN_STATUS_NO_CONSENT = 61,
    JIFEN_STATUS_UNKNOWN_ITEM = 62,
    JIFEN_STATUS_OUT_OF_STOCK = 63,
    JIFEN_STATUS_ALREADY_AWARDED = 64,
    JIFEN_STATUS_AWARDS_SUSPENDED = 65,
    JIFEN_STATUS_HOUSEHOLD_HAS_ENTRIES = 66,
    JIFEN_STATUS_ALREADY_PICKED_UP = 67,
    JIFEN_STATUS_UNKNOWN_FUNDER = 68,
    JIFEN_STATUS_PRINTED_ALREADY = 69,
} jifen_status;

/* Short lowercase name of a status ("ok", "insufficient_points", ...). */
const char *jifen_status_name(jifen_status status);

typedef enum {
    JIFEN_ASSET_UNSPECIFIED = 0,
    JIFEN_ASSET_POINTS = 1,
    JIFEN_ASSET_FEE = 2,
} jifen_asset;

/* How a payment or refund was made (issue 14). */
typedef enum {
    JIFEN_CHANNEL_UNSPECIFIED = 0, /* payments of earlier releases: cash */
    JIFEN_CHANNEL_CASH = 1,
    JIFEN_CHANNEL_WECHAT = 2,
    JIFEN_CHANNEL_ALIPAY = 3,
    JIFEN_CHANNEL_BANK = 4,
    JIFEN_CHANNEL_CARD = 5,
} jifen_channel;
#define JIFEN_CHANNELS 6 /* including UNSPECIFIED */

/* "cash", "wechat", "alipay", "bank", "card" ("unspecified" for 0). */
const char *jifen_channel_name(jifen_channel channel);
/* The channel named `name`, or JIFEN_CHANNEL_UNSPECIFIED. */
jifen_channel jifen_channel_from_name(const char *name);

/* How a fee item is priced (docs/desk.md). */
typedef enum {
    JIFEN_BASIS_NONE = 0, /* a bill of an amount, no schedule */
    JIFEN_BASIS_AREA = 1, /* fen per m2 per month x floor area */
    JIFEN_BASIS_FIXED = 2, /* fen per month */
    JIFEN_BASIS_UNIT = 3, /* fen per unit per month x units */
} jifen_fee_basis;

#define JIFEN_REFERENCE_MAX 64 /* a platform's transaction reference */

/* One channel's takings in a shift (ShiftClose). */
typedef struct {
    jifen_channel channel;
    uint32_t payments;
    uint64_t paid_fen;
    uint32_t refunds;
    uint64_t refunded_fen;
    uint32_t reversals;
    int64_t reversed_fen; /* a reversed payment's -amount, a refund's + */
} jifen_channel_total;

typedef enum {
    JIFEN_ROLE_NONE = 0,
    JIFEN_ROLE_COMMITTEE = 1,
    JIFEN_ROLE_TERMINAL = 2,
    JIFEN_ROLE_AUDITOR = 3,
    JIFEN_ROLE_ADMIN = 4,
} jifen_role;

/* Who funds an item of the points supermarket (docs/committee.md). */
typedef enum {
    JIFEN_FUNDER_NONE = 0,
    JIFEN_FUNDER_COMMUNITY_FUND = 1,
    JIFEN_FUNDER_STREET_OFFICE = 2,
    JIFEN_FUNDER_SPONSOR = 3,
    JIFEN_FUNDER_MERCHANT = 4,
} jifen_funder_kind;

/* "community-fund", "street-office", "sponsor", "merchant"; "none". */
const char *jifen_funder_kind_name(jifen_funder_kind kind);
jifen_funder_kind jifen_funder_kind_from_name(const char *name);

/* A member's relation to the household's owner: head (户主), spouse,
 * child, parent, grandchild, sibling, tenant, other. */
bool jifen_relation_known(const char *code);

/* "committee", "terminal", "auditor", "admin"; "none" otherwise. */
const char *jifen_role_name(jifen_role role);
/* The role named `name`, or JIFEN_ROLE_NONE. */
jifen_role jifen_role_from_name(const char *name);

typedef enum {
    JIFEN_CMD_NONE = 0,
    JIFEN_CMD_HOUSEHOLD_ADD,
    JIFEN_CMD_AWARD,
    JIFEN_CMD_DEDUCT,
    JIFEN_CMD_BILL,
    JIFEN_CMD_PAY,
    JIFEN_CMD_REDEEM,
    JIFEN_CMD_REVERSE,
    JIFEN_CMD_BALANCE,
    JIFEN_CMD_HISTORY,
    JIFEN_CMD_VERIFY,
    JIFEN_CMD_CHECKPOINT, /* operations queries (docs/operations.md) */
    JIFEN_CMD_STATS,
    JIFEN_CMD_FEED,
    JIFEN_CMD_KEY_ENROL,
    JIFEN_CMD_KEY_REVOKE,
    JIFEN_CMD_KEY_LIST,
    JIFEN_CMD_POLICY,
    JIFEN_CMD_OBJECT,
    JIFEN_CMD_APPROVE,
    JIFEN_CMD_RELEASE,
    JIFEN_CMD_NOTICES,
    JIFEN_CMD_EXPIRE,
    JIFEN_CMD_REPORT,
    JIFEN_CMD_SETTLE,
    JIFEN_CMD_POLICY_LOAD,
    JIFEN_CMD_COMMUNITY_CREATE, /* many communities (docs/communities.md) */
    JIFEN_CMD_COMMUNITY_CLOSE,
    JIFEN_CMD_COMMUNITY_LIST,
    JIFEN_CMD_ROLLUP,
    JIFEN_CMD_INCLUSION, /* Merkle proofs (docs/proofs.md) */
    JIFEN_CMD_CONSISTENCY,
    JIFEN_CMD_TREE_HEAD,
    JIFEN_CMD_HOUSEHOLD_SEARCH, /* issue 17: find by door number or name */
    JIFEN_CMD_REFUND, /* issue 14: the property desk (docs/desk.md) */
    JIFEN_CMD_SHIFT_CLOSE,
    JIFEN_CMD_BILLING_PLAN,
    JIFEN_CMD_ONTIME_AWARD,
    JIFEN_CMD_RECEIPT,
    JIFEN_CMD_SHIFTS,
    JIFEN_CMD_HOUSEHOLD_SET,
    JIFEN_CMD_MEMBER_SET, /* issue 15: the committee's month */
    JIFEN_CMD_PROXY_CONSENT,
    JIFEN_CMD_ITEM_SET,
    JIFEN_CMD_STOCK_CHANGE,
    JIFEN_CMD_GOODS_REDEEM,
    JIFEN_CMD_PICKUP,
    JIFEN_CMD_FUNDER_SETTLE,
    JIFEN_CMD_OPENING,
    JIFEN_CMD_PASSBOOK_MARK,
    /* New kinds go above this line: it counts them (tests/test_keys.c
     * holds every kind to a row of its role matrix). */
    JIFEN_CMD_KINDS
} jifen_command_kind;

/* True for the commands of the service itself rather than a community's:
 * they go to the service's journal or read across communities. */
bool jifen_command_is_service(jifen_command_kind kind);

/* True for the commands that write to the ledger. */
bool jifen_command_is_write(jifen_command_kind kind);

/*
 * One command. Which fields are used depends on `kind`:
 *   HOUSEHOLD_ADD household, name, area_centi_m2
 *   AWARD         household, code (activity), points (0: catalogue), hours, note
 *   DEDUCT        household, code (rule), points (0: rule default), note
 *   BILL          household, amount (fen), period
 *   PAY           household, amount (fen)
 *   REDEEM        household, amount (points)
 *   REVERSE       entry, note
 *   BALANCE       household
 *   HISTORY       household, limit
 *   VERIFY        -
 *   CHECKPOINT    entry (0: the latest checkpoint)
 *   STATS         -
 *   FEED          entry (first entry wanted), limit (at most this many)
 *   KEY_ENROL     key, role, name (the key's label)
 *   KEY_REVOKE    key
 *   KEY_LIST      -
 *   POLICY        name (a rule set version; empty: list them all)
 *   OBJECT        entry (a pending award), note
 *   APPROVE       entry (a pending award)
 *   RELEASE       entry (written by jifend only)
 *   NOTICES       period (empty: this month)
 *   EXPIRE        household, period (written by jifend only)
 *   REPORT        code (kind), period (empty: this month), household
 *   SETTLE        amount (fen), note
 *   POLICY_LOAD   text; in the journal also name (version), effective and
 *                 note (resolution), and text is the canonical form
 *   COMMUNITY_CREATE community (code), name, street, text (founding rule set;
 *                 in the journal its canonical form)
 *   COMMUNITY_CLOSE community (code), note
 *   COMMUNITY_LIST -
 *   ROLLUP        period, street
 *   KEY_ENROL     also, for a key of the service: all_communities, street,
 *                 text (its communities, comma-separated)
 *   INCLUSION     entry, tree_size (0: the latest signed tree head's)
 *   CONSISTENCY   old_size, tree_size (0: the latest signed tree head's)
 *   TREE_HEAD     entry (0: the latest signed tree head)
 *   HOUSEHOLD_SEARCH name (the query: a code prefix or part of a name),
 *                 limit
 *   BILL          also code (fee item; amount 0 in a request: priced by
 *                 jifend), and in the journal rate_fen, quantity, basis
 *   PAY           also channel, reference; in the journal receipt
 *   REFUND        household, amount, channel, reference, note
 *   SHIFT_CLOSE   note; in the journal totals, entry (first counted),
 *                 last_entry, previous_close
 *   BILLING_PLAN  period, code (item, optional), after, limit
 *   ONTIME_AWARD  household ("" closes the period), period, points
 *   RECEIPT       entry
 *   SHIFTS        effective (the date, YYYY-MM-DD; "" today)
 *   HOUSEHOLD_SET household, area_centi_m2 (code ""), or code (item) and
 *                 units (in `points`)
 *   REPORT        also after, limit, upto (pages)
 * Issue 15 (docs/committee.md):
 *   AWARD         also member, proxy; name (the event), effective (its date)
 *   REPORT        also entry (passbook: from this entry; 0: the last print)
 *   MEMBER_SET    household, member, code (relation), key (the phone),
 *                 flag (left)
 *   PROXY_CONSENT household, member, proxy, note (the consent), flag (revoke)
 *   ITEM_SET      code, name, points (price), amount (value in fen),
 *                 funder_kind, key (the funder's code), note (the funder's
 *                 name), limit (a new item's stock), flag (withdrawn)
 *   STOCK_CHANGE  code (item), amount (quantity), flag (decrease), note
 *   GOODS_REDEEM  household, code (item), amount (quantity), member, proxy;
 *                 in the journal points (the unit price then)
 *   PICKUP        entry (the redemption), member, proxy, note
 *   FUNDER_SETTLE key (the funder's code), amount (fen), note
 *   OPENING       household, points, amount (fen), flag (the fee is
 *                 prepaid, not owed), effective (the paper's date), name
 *                 (the book), limit (the page), note
 *   PASSBOOK_MARK household, entry (printed through), limit (lines)
 */
typedef struct {
    jifen_command_kind kind;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char code[JIFEN_CODE_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    char note[JIFEN_NOTE_MAX + 1];
    char period[JIFEN_PERIOD_LEN + 1];
    uint64_t amount;
    uint32_t points;
    uint32_t hours;
    uint32_t area_centi_m2;
    uint32_t limit;
    uint64_t entry;
    char key[JIFEN_KEY_Z85_LEN + 1];
    jifen_role role;
    char effective[JIFEN_DATE_LEN + 1];
    char community[JIFEN_COMMUNITY_MAX + 1];
    char street[JIFEN_COMMUNITY_MAX + 1];
    bool all_communities;
    bool file_rules; /* COMMUNITY_CREATE, by jifend only */
    uint64_t tree_size; /* Merkle queries */
    uint64_t old_size;
    /* issue 14: the property desk */
    jifen_channel channel;
    char reference[JIFEN_REFERENCE_MAX + 1];
    uint64_t receipt;
    uint64_t rate_fen;
    uint32_t quantity;
    jifen_fee_basis basis;
    char after[JIFEN_ACCOUNT_MAX + 1]; /* pages: the last key of the one before */
    uint64_t upto;
    uint64_t last_entry, previous_close; /* SHIFT_CLOSE */
    size_t n_totals;
    jifen_channel_total totals[JIFEN_CHANNELS];
    /* issue 15 (docs/committee.md); a member's phone and a funder's code
     * travel in `key`, which their commands do not otherwise use */
    char member[JIFEN_MEMBER_MAX + 1];
    char proxy[JIFEN_MEMBER_MAX + 1];
    jifen_funder_kind funder_kind;
    bool flag; /* its meaning by kind: see above */
    /* POLICY_LOAD and COMMUNITY_CREATE (a rule set's text), KEY_ENROL (a
     * service key's communities), NUL-terminated, else NULL. Owned by the request
     * (codec_request_clear frees it) or by whoever decoded an entry with
     * codec_entry_decode_text; copies of the struct only borrow it. */
    char *text;
} jifen_command;

typedef struct {
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    size_t n_commands;
    jifen_command *commands; /* owned; see codec_request_clear */
    char community[JIFEN_COMMUNITY_MAX + 1]; /* "": see Request.community */
    bool dry_run; /* issue 15: decided and applied, then nothing kept */
} jifen_request;

typedef struct {
    jifen_asset asset;
    char debit[JIFEN_ACCOUNT_MAX + 1];
    char credit[JIFEN_ACCOUNT_MAX + 1];
    uint64_t amount;
} jifen_posting;

/* A journal entry; its stored form is the protobuf Entry message. */
typedef struct {
    uint64_t seq;
    uint8_t prev_hash[JIFEN_HASH_LEN];
    int64_t time_ms;
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    char author[JIFEN_AUTHOR_MAX + 1];
    jifen_command command;
    size_t n_postings;
    jifen_posting postings[JIFEN_POSTINGS_MAX];
    uint64_t reverses;
    char policy[JIFEN_POLICY_MAX + 1];
    /* Format 3 on (JIFEN_ENTRY_FORMAT): the effects decided from the rule
     * set, so that applying the entry needs nothing but the ledger before
     * it (docs/entry-format.md). 0 / false / "" when not set. */
    uint32_t format;
    int64_t notice_ends_ms;
    bool needs_approval;
    int64_t expires_ms; /* 0: never */
    int64_t suspended_until_ms;
    char author_key[JIFEN_KEY_Z85_LEN + 1];
    /* issue 14: the on-time awards a payment's reversal takes back */
    size_t n_takes_back;
    uint64_t takes_back[JIFEN_POSTINGS_MAX];
    /* issue 15: the consent a proxy acted under; a sanction on awards */
    uint64_t proxy_consent;
    int64_t awards_suspended_until_ms;
} jifen_entry;

/* The format of entries written by this release; entries of earlier ones
 * read as format 0 (docs/entry-format.md). */
#define JIFEN_ENTRY_FORMAT 3

typedef struct {
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    uint32_t area_centi_m2;
    int64_t points;
    int64_t fee_due_fen; /* negative: prepaid */
    int64_t pending_points; /* under public notice, not spendable */
} jifen_balance;

typedef struct {
    bool ok;
    uint64_t entries;
    uint8_t head[JIFEN_HASH_LEN];
    char problem[256];
    uint64_t bad_entry;
} jifen_verify_report;

#define JIFEN_CHECKPOINT_TEXT_MAX 255

typedef struct {
    char text[JIFEN_CHECKPOINT_TEXT_MAX + 1]; /* "" when none */
    uint64_t entry;
    bool has_entry_hash;
    uint8_t entry_hash[JIFEN_HASH_LEN];
} jifen_checkpoint_report;

typedef struct {
    uint64_t entries, commits, requests, write_requests;
    uint64_t batch_avg_milli, batch_max;
    uint64_t commit_p50_us, commit_p90_us, commit_p99_us, commit_max_us;
    uint64_t map_bytes, map_used_bytes, uptime_s, peers, replica_lag;
} jifen_stats;

#define JIFEN_FEED_MAX 500 /* entries per feed reply */

typedef struct {
    uint64_t head;       /* the primary's number of entries */
    size_t n_entries;
    uint8_t *bytes;      /* owned: the stored entries, back to back */
    size_t *lens;        /* owned: n_entries lengths */
    size_t n_checkpoints;
    char (*checkpoints)[JIFEN_CHECKPOINT_TEXT_MAX + 1]; /* owned */
} jifen_feed;
/* An enrolled client key, as listed by KEY_LIST. */
typedef struct {
    char key[JIFEN_KEY_Z85_LEN + 1];
    jifen_role role;
    char label[JIFEN_LABEL_MAX + 1];
    bool revoked;
    uint64_t enrolled_entry;
    uint64_t revoked_entry;
    /* a key of the service: its scope */
    bool all_communities;
    char street[JIFEN_COMMUNITY_MAX + 1];
    char communities[JIFEN_SCOPE_TEXT_MAX + 1]; /* comma-separated */
} jifen_key_info;

/* One community of the service, as CommunityListQuery lists it. */
typedef struct {
    char code[JIFEN_COMMUNITY_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    char street[JIFEN_COMMUNITY_MAX + 1];
    bool closed;
    uint64_t created_entry;
    uint64_t closed_entry;
    uint64_t entries;
} jifen_community;
#define JIFEN_RULE_SETS_MAX 32
#define JIFEN_RESOLUTION_MAX 120
#define JIFEN_RULE_SET_TEXT_MAX 65536
/* A rule set as journaled by PolicyLoad: its canonical text (no comments). */
#define JIFEN_RULE_SET_LOAD_MAX 32768

typedef struct {
    char version[JIFEN_POLICY_MAX + 1];
    char effective[11]; /* YYYY-MM-DD, or empty: from the beginning */
    char resolution[JIFEN_RESOLUTION_MAX + 1];
    bool in_force;
    char *text; /* owned, NUL-terminated; NULL when not asked for */
} jifen_rule_set;

#define JIFEN_NOTICES_MAX 5000
#define JIFEN_NOTICE_STATE_MAX 15

/* One line of the notice list (公示): personal data already masked. */
typedef struct {
    uint64_t entry;
    int64_t time_ms;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    char activity[JIFEN_CODE_MAX + 1];
    uint64_t points;
    char state[JIFEN_NOTICE_STATE_MAX + 1]; /* pending, posted, voided */
    int64_t ends_ms;
    bool needs_approval;
    bool approved;
    uint64_t decided_by;
} jifen_notice;

#define JIFEN_REPORT_TITLE_MAX 255
#define JIFEN_REPORT_COLUMNS_MAX 20
#define JIFEN_REPORT_CELL_MAX 63
#define JIFEN_REPORT_ROWS_MAX 20000

typedef struct {
    char cells[JIFEN_REPORT_COLUMNS_MAX][JIFEN_REPORT_CELL_MAX + 1];
} jifen_report_row;

#define JIFEN_REPORT_SUMS_MAX 8
#define JIFEN_REPORT_PAGE_DEFAULT 2000u /* rows a page, limit 0 in a page */

typedef struct {
    char title[JIFEN_REPORT_TITLE_MAX + 1];
    size_t n_columns;
    char columns[JIFEN_REPORT_COLUMNS_MAX][JIFEN_REPORT_CELL_MAX + 1];
    size_t n_rows;
    jifen_report_row *rows; /* owned, with the report */
    /* pages (issue 14): the key to ask after next ("" the last page), the
     * entries counted, and the page's figures to add up */
    char next[JIFEN_ACCOUNT_MAX + 1];
    uint64_t head;
    size_t n_sums;
    int64_t sums[JIFEN_REPORT_SUMS_MAX];
} jifen_report;

/* The billing run (issue 14): one household and fee item of a plan. */
#define JIFEN_PLAN_DEFAULT 500u /* households a plan page, limit 0 */
#define JIFEN_PLAN_MAX 2000u
#define JIFEN_PROBLEM_MAX 15
typedef struct {
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char item[JIFEN_CODE_MAX + 1];
    uint64_t amount_fen;
    uint64_t rate_fen;
    uint32_t quantity;
    jifen_fee_basis basis;
    uint64_t billed_entry;
    char problem[JIFEN_PROBLEM_MAX + 1]; /* "", "no_area", "no_units" */
    char item_name[64 + 1];
} jifen_bill_line;

#define JIFEN_RECEIPT_LINES_MAX 64
#define JIFEN_ITEM_NAME_MAX 64
typedef struct {
    char item[JIFEN_CODE_MAX + 1];
    char item_name[JIFEN_ITEM_NAME_MAX + 1];
    char period[JIFEN_PERIOD_LEN + 1];
    uint64_t fen;
    uint64_t bill_entry;
} jifen_receipt_line;

/* A receipt (收据) as the desk prints it (ReceiptQuery). */
typedef struct {
    uint64_t entry;
    uint64_t receipt;
    int64_t time_ms;
    char household[JIFEN_HOUSEHOLD_MAX + 1];
    char name[JIFEN_NAME_MAX + 1];
    uint32_t area_centi_m2;
    uint64_t paid_fen;
    jifen_channel channel;
    char reference[JIFEN_REFERENCE_MAX + 1];
    uint64_t points;
    uint64_t offset_fen;
    int64_t fee_due_after_fen;
    int64_t points_after;
    char author[JIFEN_AUTHOR_MAX + 1];
    uint8_t entry_hash[JIFEN_HASH_LEN];
    size_t n_lines;
    jifen_receipt_line lines[JIFEN_RECEIPT_LINES_MAX];
    uint64_t ahead_fen;
    char payee[JIFEN_ITEM_NAME_MAX * 2 + 1];
    uint64_t reversed_by;
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
} jifen_receipt;

/* Merkle proofs (docs/proofs.md). */
#define JIFEN_PROOFS_MAX 1000u    /* inclusion + consistency per request */
#define JIFEN_PROOF_PATH_MAX 64   /* hashes in one proof */

typedef struct {
    uint64_t tree_size;
    uint64_t entry;         /* inclusion */
    uint8_t *stored;        /* inclusion: the entry as stored; owned */
    size_t stored_len;
    uint64_t old_size;      /* consistency */
    size_t n_path;
    uint8_t path[JIFEN_PROOF_PATH_MAX][JIFEN_HASH_LEN];
    char tree_head[JIFEN_CHECKPOINT_TEXT_MAX + 1]; /* tree head; "" none */
    bool has_root;
    uint8_t root[JIFEN_HASH_LEN];
} jifen_tree_proof;

#define JIFEN_ERROR_MAX 255

typedef struct {
    jifen_status status;
    char error[JIFEN_ERROR_MAX + 1];
    uint64_t entry;
    size_t n_postings;
    jifen_posting postings[JIFEN_POSTINGS_MAX];
    uint64_t points;
    uint64_t offset_fen;
    bool has_balance;
    jifen_balance balance;
    size_t n_history;
    jifen_entry *history; /* owned; see codec_reply_clear */
    bool has_verify;
    jifen_verify_report verify;
    bool has_checkpoint;
    jifen_checkpoint_report checkpoint;
    bool has_stats;
    jifen_stats stats;
    bool has_feed;
    jifen_feed feed;
    size_t n_keys;
    jifen_key_info *keys; /* owned; see codec_reply_clear */
    size_t n_rule_sets;
    jifen_rule_set *rule_sets; /* owned; see codec_result_clear */
    int64_t notice_ends_ms; /* award under notice: when it posts */
    bool needs_approval;
    size_t n_notices;
    jifen_notice *notices; /* owned; see codec_result_clear */
    int64_t suspended_until_ms; /* deduct: a sanction's suspension */
    jifen_report *report; /* owned; see codec_result_clear */
    size_t n_communities;
    jifen_community *communities; /* owned; see codec_result_clear */
    jifen_tree_proof *proof; /* owned; see codec_result_clear */
    size_t n_households;
    jifen_balance *households; /* owned: a search's matches */
    /* issue 14 */
    size_t n_bill_lines;
    jifen_bill_line *bill_lines; /* owned: a billing plan's page */
    char next[JIFEN_HOUSEHOLD_MAX + 1];
    jifen_receipt *receipt; /* owned */
    uint64_t receipt_no;
    int64_t stock_left; /* issue 15: goods redeem, stock change */
} jifen_result;

typedef struct {
    char request_id[JIFEN_REQUEST_ID_MAX + 1];
    jifen_status status;
    char error[JIFEN_ERROR_MAX + 1];
    size_t n_results;
    jifen_result *results; /* owned; see codec_reply_clear */
} jifen_reply;

#ifdef __cplusplus
}
#endif
#endif /* JIFEN_TYPES_H */
