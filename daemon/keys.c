#include "keys.h"

#include <stdlib.h>
#include <string.h>

#define RECORD_FIXED 18 /* role, revoked, be64 enrolled, be64 revoked */
/* Then the label; a key of the service adds 0x00, its scope byte and the
 * scope's text (labels hold no NUL, so a community key's record, the
 * layout of earlier releases, reads as it always did). */
#define RECORD_MAX (RECORD_FIXED + JIFEN_LABEL_MAX + 2 + JIFEN_SCOPE_TEXT_MAX)

/* --- records ---------------------------------------------------------------- */

static storage_error decode_record(const storage_val *v, keys_record *out)
{
    const uint8_t *p = v->data;

    if (v->len < RECORD_FIXED || v->len > RECORD_MAX ||
        p[0] < JIFEN_ROLE_COMMITTEE || p[0] > JIFEN_ROLE_ADMIN || p[1] > 1)
        return STORAGE_CORRUPT;
    memset(out, 0, sizeof *out);
    out->role = (jifen_role)p[0];
    out->revoked = p[1] == 1;
    out->enrolled_entry = storage_be64_get(p + 2);
    out->revoked_entry = storage_be64_get(p + 10);
    const uint8_t *label = p + RECORD_FIXED;
    size_t rest = v->len - RECORD_FIXED;
    const uint8_t *nul = memchr(label, 0, rest);
    size_t llen = nul ? (size_t)(nul - label) : rest;
    if (llen > JIFEN_LABEL_MAX)
        return STORAGE_CORRUPT;
    memcpy(out->label, label, llen);
    out->label[llen] = '\0';
    if (!nul)
        return STORAGE_OK;
    size_t slen = rest - llen - 2;
    if (rest < llen + 2 || nul[1] < KEYS_SCOPE_ALL ||
        nul[1] > KEYS_SCOPE_LIST || slen > JIFEN_SCOPE_TEXT_MAX)
        return STORAGE_CORRUPT;
    out->scope = (keys_scope)nul[1];
    memcpy(out->scope_text, nul + 2, slen);
    out->scope_text[slen] = '\0';
    return STORAGE_OK;
}

bool keys_scope_covers(const keys_record *rec, const char *code,
                       const char *street)
{
    switch (rec->scope) {
    case KEYS_SCOPE_ALL:
        return true;
    case KEYS_SCOPE_STREET:
        return street[0] && strcmp(rec->scope_text, street) == 0;
    case KEYS_SCOPE_LIST: {
        size_t n = strlen(code);
        for (const char *p = rec->scope_text; *p;) {
            const char *end = strchr(p, ',');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len == n && memcmp(p, code, n) == 0)
                return true;
            if (!end)
                break;
            p = end + 1;
        }
        return false;
    }
    case KEYS_SCOPE_COMMUNITY:
    default:
        return false;
    }
}

storage_error keys_get(storage_txn *txn, const char *z85, keys_record *out)
{
    storage_val v;
    storage_error e = storage_get(txn, TABLE_KEYS, z85, strlen(z85), &v);

    return e == STORAGE_OK ? decode_record(&v, out) : e;
}

storage_error keys_put(storage_txn *txn, const char *z85,
                       const keys_record *rec)
{
    uint8_t buf[RECORD_MAX];
    size_t n = strnlen(rec->label, JIFEN_LABEL_MAX);

    buf[0] = (uint8_t)rec->role;
    buf[1] = rec->revoked ? 1 : 0;
    storage_be64_put(buf + 2, rec->enrolled_entry);
    storage_be64_put(buf + 10, rec->revoked_entry);
    memcpy(buf + RECORD_FIXED, rec->label, n);
    n += RECORD_FIXED;
    if (rec->scope != KEYS_SCOPE_COMMUNITY) {
        size_t slen = strnlen(rec->scope_text, JIFEN_SCOPE_TEXT_MAX);
        buf[n++] = 0;
        buf[n++] = (uint8_t)rec->scope;
        memcpy(buf + n, rec->scope_text, slen);
        n += slen;
    }
    return storage_put(txn, TABLE_KEYS, z85, strlen(z85), buf, n,
                       STORAGE_PUT_OVERWRITE);
}

/* --- labels ----------------------------------------------------------------- */

/* The next character of a label, folded: ASCII lower case, full-width
 * forms U+FF01..FF5E to their ASCII twins, and every kind of space to ' '.
 * Advances *s past it; bytes that are not one of those are kept. */
static unsigned fold_next(const unsigned char **s)
{
    const unsigned char *p = *s;
    if (p[0] == 0xef && (p[1] == 0xbc || p[1] == 0xbd) && p[2] >= 0x80 &&
        p[2] <= 0xbf) {
        unsigned cp = 0xff00u + ((unsigned)(p[1] - 0xbc) << 6) + (p[2] - 0x80);
        if (cp >= 0xff01 && cp <= 0xff5e) {
            *s = p + 3;
            unsigned c = cp - 0xff01 + 0x21;
            return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
        }
    }
    if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) { /* U+3000 */
        *s = p + 3;
        return ' ';
    }
    if (p[0] == 0xc2 && p[1] == 0xa0) { /* U+00A0 */
        *s = p + 2;
        return ' ';
    }
    *s = p + 1;
    if (p[0] == '\t')
        return ' ';
    return p[0] >= 'A' && p[0] <= 'Z' ? p[0] - 'A' + 'a' : p[0];
}

/* The folded label in out (spaces trimmed and collapsed). */
static void fold_label(const char *label, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)label;
    size_t n = 0;
    bool space = false;
    while (*s && n + 1 < cap) {
        unsigned c = fold_next(&s);
        if (c == ' ') {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < cap)
            out[n++] = ' ';
        space = false;
        out[n++] = (char)c;
    }
    out[n] = '\0';
}

bool keys_labels_alike(const char *a, const char *b)
{
    char fa[JIFEN_LABEL_MAX + 1], fb[JIFEN_LABEL_MAX + 1];
    fold_label(a, fa, sizeof fa);
    fold_label(b, fb, sizeof fb);
    return strcmp(fa, fb) == 0;
}

/* Calls fn for every well-formed record, in key order. */
static storage_error keys_each(storage_txn *txn,
                               int (*fn)(void *arg, const storage_val *key,
                                         const keys_record *rec),
                               void *arg)
{
    storage_cursor *c = NULL;
    storage_val k, v;
    storage_error e = storage_cursor_open(txn, TABLE_KEYS, &c);

    if (e == STORAGE_OK)
        e = storage_cursor_first(c, &k, &v);
    while (e == STORAGE_OK) {
        keys_record rec;
        if (k.len != JIFEN_KEY_Z85_LEN || decode_record(&v, &rec) != 0) {
            e = STORAGE_CORRUPT;
            break;
        }
        if (fn(arg, &k, &rec) != 0) {
            e = STORAGE_FAILED;
            break;
        }
        e = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

typedef struct {
    jifen_key_info *items;
    size_t n, cap;
    bool active_only;
} key_vec;

static int collect(void *arg, const storage_val *key, const keys_record *rec)
{
    key_vec *v = arg;

    if (v->active_only && rec->revoked)
        return 0;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        jifen_key_info *p = realloc(v->items, cap * sizeof *p);
        if (p == NULL)
            return -1;
        v->items = p;
        v->cap = cap;
    }
    jifen_key_info *k = &v->items[v->n++];
    memset(k, 0, sizeof *k);
    memcpy(k->key, key->data, JIFEN_KEY_Z85_LEN);
    k->role = rec->role;
    memcpy(k->label, rec->label, sizeof k->label);
    k->revoked = rec->revoked;
    k->enrolled_entry = rec->enrolled_entry;
    k->revoked_entry = rec->revoked_entry;
    k->all_communities = rec->scope == KEYS_SCOPE_ALL;
    if (rec->scope == KEYS_SCOPE_STREET)
        memcpy(k->street, rec->scope_text, sizeof k->street - 1);
    else if (rec->scope == KEYS_SCOPE_LIST)
        memcpy(k->communities, rec->scope_text, sizeof k->communities);
    return 0;
}

static storage_error collect_keys(storage_txn *txn, bool active_only,
                                  key_vec *v)
{
    memset(v, 0, sizeof *v);
    v->active_only = active_only;
    storage_error e = keys_each(txn, collect, v);
    if (e != STORAGE_OK) {
        free(v->items);
        memset(v, 0, sizeof *v);
    }
    return e;
}

storage_error keys_list(storage_txn *txn, jifen_key_info **out, size_t *n)
{
    key_vec v;
    storage_error e = collect_keys(txn, false, &v);

    *out = v.items;
    *n = v.n;
    return e;
}

/* --- the role matrix ---------------------------------------------------------- */

#define R(role) (1u << (role))
#define READERS                                                                \
    (R(JIFEN_ROLE_COMMITTEE) | R(JIFEN_ROLE_TERMINAL) | R(JIFEN_ROLE_AUDITOR) | \
     R(JIFEN_ROLE_ADMIN))

static const unsigned MATRIX[] = {
    [JIFEN_CMD_HOUSEHOLD_ADD] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_AWARD] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_DEDUCT] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_BILL] = R(JIFEN_ROLE_TERMINAL),
    [JIFEN_CMD_PAY] = R(JIFEN_ROLE_TERMINAL),
    [JIFEN_CMD_REDEEM] = R(JIFEN_ROLE_TERMINAL),
    [JIFEN_CMD_REVERSE] = R(JIFEN_ROLE_COMMITTEE) | R(JIFEN_ROLE_TERMINAL),
    [JIFEN_CMD_BALANCE] = READERS,
    [JIFEN_CMD_HISTORY] = READERS,
    [JIFEN_CMD_VERIFY] = R(JIFEN_ROLE_AUDITOR) | R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_KEY_ENROL] = R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_KEY_REVOKE] = R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_KEY_LIST] = R(JIFEN_ROLE_AUDITOR) | R(JIFEN_ROLE_ADMIN),
    /* Checkpoints are for everybody to check against (they are printed on
     * the notice board); metrics and the replication feed are for the
     * people who run and audit the system. A replica follows its primary
     * with an auditor key. */
    [JIFEN_CMD_CHECKPOINT] = READERS,
    [JIFEN_CMD_STATS] = R(JIFEN_ROLE_AUDITOR) | R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_FEED] = R(JIFEN_ROLE_AUDITOR) | R(JIFEN_ROLE_ADMIN),
    /* The points policy (docs/policy.md). The committee runs public notice:
     * it upholds objections and gives the second approval. The funder's
     * payment for redeemed points reaches the property company, whose
     * terminal records it. Rule sets, the notice list and the reports are
     * public within the system. Releases and expiry are the daemon's own
     * entries: no key may send them. */
    [JIFEN_CMD_OBJECT] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_APPROVE] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_SETTLE] = R(JIFEN_ROLE_TERMINAL),
    [JIFEN_CMD_POLICY] = READERS,
    [JIFEN_CMD_NOTICES] = READERS,
    [JIFEN_CMD_REPORT] = READERS,
    /* Adopting a rule set carries out a residents' meeting's resolution;
     * whoever runs the system does it, not one of the parties it judges. */
    [JIFEN_CMD_POLICY_LOAD] = R(JIFEN_ROLE_ADMIN),
    /* Many communities (docs/communities.md): the service's admin opens
     * and closes them; the list and the roll-up are for those who oversee
     * them (and every key that may see a community sees it listed). */
    [JIFEN_CMD_COMMUNITY_CREATE] = R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_COMMUNITY_CLOSE] = R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_COMMUNITY_LIST] = READERS,
    [JIFEN_CMD_ROLLUP] = R(JIFEN_ROLE_AUDITOR) | R(JIFEN_ROLE_ADMIN),
    /* Merkle proofs are what residents check their own entries with: like
     * checkpoints, for every key (a resident's statement is printed at the
     * desk or the committee's office). */
    [JIFEN_CMD_INCLUSION] = READERS,
    [JIFEN_CMD_CONSISTENCY] = READERS,
    [JIFEN_CMD_TREE_HEAD] = READERS,
    /* Finding a household by door number or name (the web console's desk
     * and committee pages) shows what a balance query shows: readers. */
    [JIFEN_CMD_HOUSEHOLD_SEARCH] = READERS,
    /* The property desk (issue 14, docs/desk.md): the terminals take
     * payments and refunds and close their shifts; a billing plan is the
     * terminal's too (it shows what would be billed). A receipt and the
     * shift report are read by whoever checks the desk's work. Floor areas
     * and parking spaces are kept by the property company and by the
     * committee that registers households. On-time points are jifend's. */
    [JIFEN_CMD_REFUND] = R(JIFEN_ROLE_TERMINAL),
    [JIFEN_CMD_SHIFT_CLOSE] = R(JIFEN_ROLE_TERMINAL),
    [JIFEN_CMD_BILLING_PLAN] = R(JIFEN_ROLE_TERMINAL) | R(JIFEN_ROLE_AUDITOR) |
                               R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_RECEIPT] = READERS,
    [JIFEN_CMD_SHIFTS] = R(JIFEN_ROLE_TERMINAL) | R(JIFEN_ROLE_AUDITOR) |
                         R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_HOUSEHOLD_SET] = R(JIFEN_ROLE_TERMINAL) | R(JIFEN_ROLE_COMMITTEE),
    /* Issue 15 (docs/committee.md): the committee keeps the households'
     * members and their consents, runs the points supermarket and settles
     * with its funders. A passbook is printed at the committee's office or
     * at the property desk. Opening balances from the paper ledgers are
     * the committee's, or the operator's when a scheme moves onto jifen. */
    [JIFEN_CMD_MEMBER_SET] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_PROXY_CONSENT] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_ITEM_SET] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_STOCK_CHANGE] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_GOODS_REDEEM] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_PICKUP] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_FUNDER_SETTLE] = R(JIFEN_ROLE_COMMITTEE),
    [JIFEN_CMD_OPENING] = R(JIFEN_ROLE_COMMITTEE) | R(JIFEN_ROLE_ADMIN),
    [JIFEN_CMD_PASSBOOK_MARK] = R(JIFEN_ROLE_COMMITTEE) | R(JIFEN_ROLE_TERMINAL),
};

static bool in_matrix(jifen_role role, jifen_command_kind kind)
{
    return (unsigned)kind < sizeof MATRIX / sizeof MATRIX[0] &&
           role >= JIFEN_ROLE_COMMITTEE && role <= JIFEN_ROLE_ADMIN &&
           (MATRIX[kind] & R(role)) != 0;
}

bool keys_role_may(jifen_role role, jifen_command_kind kind)
{
    return in_matrix(role, kind);
}

/* Whoever may write an entry of a kind may reverse it: the committee its
 * awards and deductions, the terminals their bills, payments and
 * redemptions. Only those kinds carry postings to mirror. */
bool keys_role_may_reverse(jifen_role role, jifen_command_kind original)
{
    switch (original) {
    case JIFEN_CMD_AWARD:
    case JIFEN_CMD_DEDUCT:
    case JIFEN_CMD_BILL:
    case JIFEN_CMD_PAY:
    case JIFEN_CMD_REDEEM:
    case JIFEN_CMD_REFUND:
    case JIFEN_CMD_GOODS_REDEEM: /* issue 15: before the pickup */
    case JIFEN_CMD_OPENING:      /* a wrong figure from the paper */
    case JIFEN_CMD_FUNDER_SETTLE:
        return in_matrix(role, JIFEN_CMD_REVERSE) && in_matrix(role, original);
    default:
        return false;
    }
}

/* --- the snapshot the ZAP handler reads ------------------------------------------ */

void keys_snapshot_init(keys_snapshot *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
}

void keys_snapshot_destroy(keys_snapshot *s)
{
    free(s->active);
    s->active = NULL;
    s->n = 0;
    pthread_mutex_destroy(&s->lock);
}

storage_error keys_snapshot_load(keys_snapshot *s, storage_txn *txn)
{
    key_vec v;
    storage_error e = collect_keys(txn, true, &v);
    char (*active)[JIFEN_KEY_Z85_LEN + 1] =
        v.n ? malloc(v.n * sizeof *active) : NULL;

    if (v.n && active == NULL)
        e = STORAGE_FAILED;
    for (size_t i = 0; active != NULL && i < v.n; i++)
        memcpy(active[i], v.items[i].key, sizeof active[i]);
    free(v.items);
    if (e != STORAGE_OK) {
        free(active);
        active = NULL;
        v.n = 0;
    }
    pthread_mutex_lock(&s->lock);
    free(s->active);
    s->active = active;
    s->n = v.n;
    pthread_mutex_unlock(&s->lock);
    return e;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(a, b);
}

bool keys_snapshot_has(keys_snapshot *s, const char *z85)
{
    pthread_mutex_lock(&s->lock);
    bool found = s->n > 0 &&
                 bsearch(z85, s->active, s->n, sizeof s->active[0], cmp_key);
    pthread_mutex_unlock(&s->lock);
    return found;
}
