/*
 * notice - see notice.h.
 */
#include "notice.h"

#include "clock.h"
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_RECORD "notice/"
#define KEY_OPEN "notice-open/"
#define KEY_MAX 24 /* the longer prefix + be64 */
/* be64 time, due, points, decided_by; state, needs_approval, approved;
 * then household, name, activity, author and the author's key as
 * NUL-terminated fixed fields. Records written before the key was kept end
 * after the author (RECORD_LEN_NO_KEY): they are read with an empty key,
 * and rewritten whole when next stored. */
#define FIXED (4 * 8 + 3)
#define RECORD_LEN_NO_KEY                                                      \
    (FIXED + JIFEN_HOUSEHOLD_MAX + 1 + JIFEN_NAME_MAX + 1 + JIFEN_CODE_MAX +   \
     1 + JIFEN_AUTHOR_MAX + 1)
#define RECORD_LEN (RECORD_LEN_NO_KEY + JIFEN_KEY_Z85_LEN + 1)

bool notice_applies(const policy *p, uint32_t points, bool *needs_approval)
{
    *needs_approval = p->approval_above && points > p->approval_above;
    return p->notice_days > 0 || *needs_approval;
}

int64_t notice_window_end(int64_t award_ms, uint32_t days)
{
    clock_date d = clock_date_of(award_ms);
    return clock_date_start_ms(d.year, d.month, d.day) +
           ((int64_t)days + 1) * CLOCK_DAY_MS;
}

static size_t make_key(uint8_t *key, const char *prefix, uint64_t entry)
{
    size_t n = strlen(prefix);
    memcpy(key, prefix, n);
    storage_be64_put(key + n, entry);
    return n + 8;
}

static void put_field(uint8_t **p, const char *s, size_t cap)
{
    memset(*p, 0, cap);
    memcpy(*p, s, strnlen(s, cap - 1));
    *p += cap;
}

static void get_field(const uint8_t **p, char *s, size_t cap)
{
    memcpy(s, *p, cap);
    s[cap - 1] = '\0';
    *p += cap;
}

static void encode(const notice_record *r, uint8_t *rec)
{
    uint8_t *p = rec;
    storage_be64_put(p, (uint64_t)r->time_ms);
    storage_be64_put(p + 8, (uint64_t)r->due_ms);
    storage_be64_put(p + 16, r->points);
    storage_be64_put(p + 24, r->decided_by);
    p[32] = (uint8_t)r->state;
    p[33] = r->needs_approval;
    p[34] = r->approved;
    p += FIXED;
    put_field(&p, r->household, sizeof r->household);
    put_field(&p, r->name, sizeof r->name);
    put_field(&p, r->activity, sizeof r->activity);
    put_field(&p, r->author, sizeof r->author);
    put_field(&p, r->author_key, sizeof r->author_key);
}

static bool record_len_ok(size_t len)
{
    return len == RECORD_LEN || len == RECORD_LEN_NO_KEY;
}

static void decode(const uint8_t *rec, size_t len, uint64_t entry,
                   notice_record *r)
{
    const uint8_t *p = rec;
    r->entry = entry;
    r->time_ms = (int64_t)storage_be64_get(p);
    r->due_ms = (int64_t)storage_be64_get(p + 8);
    r->points = storage_be64_get(p + 16);
    r->decided_by = storage_be64_get(p + 24);
    r->state = (notice_state)p[32];
    r->needs_approval = p[33] != 0;
    r->approved = p[34] != 0;
    p += FIXED;
    get_field(&p, r->household, sizeof r->household);
    get_field(&p, r->name, sizeof r->name);
    get_field(&p, r->activity, sizeof r->activity);
    get_field(&p, r->author, sizeof r->author);
    if (len == RECORD_LEN)
        get_field(&p, r->author_key, sizeof r->author_key);
    else
        r->author_key[0] = '\0';
}

bool notice_recorded_by(const notice_record *r, const char *key,
                        const char *label)
{
    if (r->author_key[0] && key[0] && strcmp(r->author_key, key) == 0)
        return true;
    return keys_labels_alike(r->author, label);
}

storage_error notice_get(storage_txn *txn, uint64_t entry, notice_record *r)
{
    uint8_t key[KEY_MAX];
    storage_val v;
    storage_error e =
        storage_get(txn, TABLE_META, key, make_key(key, KEY_RECORD, entry), &v);
    if (e == STORAGE_OK && !record_len_ok(v.len))
        return STORAGE_CORRUPT;
    if (e == STORAGE_OK)
        decode(v.data, v.len, entry, r);
    return e;
}

void notice_put(storage_txn *txn, const notice_record *r)
{
    uint8_t key[KEY_MAX], rec[RECORD_LEN];
    encode(r, rec);
    storage_put(txn, TABLE_META, key, make_key(key, KEY_RECORD, r->entry), rec,
                sizeof rec, STORAGE_PUT_OVERWRITE);
    size_t klen = make_key(key, KEY_OPEN, r->entry);
    if (r->state == NOTICE_PENDING)
        storage_put(txn, TABLE_META, key, klen, "", 0, STORAGE_PUT_OVERWRITE);
    else
        storage_del(txn, TABLE_META, key, klen); /* absent is fine */
}

/* Ready to post: pending, window ended by now_ms, approved when needed. */
static bool notice_releasable(const notice_record *r, int64_t now_ms)
{
    return r->state == NOTICE_PENDING && now_ms >= r->due_ms &&
           (!r->needs_approval || r->approved);
}

/* Calls fn for every record under prefix, in entry order, until fn returns
 * non-zero or storage fails. */
typedef int (*record_fn)(const notice_record *r, void *arg);

typedef struct {
    storage_txn *txn;
    size_t plen;
    bool records; /* the records themselves (KEY_RECORD), or an index */
    record_fn fn;
    void *arg;
    storage_error e; /* a read of the record an index names failed */
} each_walk;

static int visit_record(void *ctx, const storage_val *k, const storage_val *v)
{
    each_walk *w = ctx;
    if (k->len != w->plen + 8)
        return 1; /* as before the walk went through storage_foreach_prefix */
    notice_record r;
    uint64_t entry = storage_be64_get((const uint8_t *)k->data + w->plen);
    if (w->records) {
        if (!record_len_ok(v->len))
            return -1;
        decode(v->data, v->len, entry, &r);
    } else if ((w->e = notice_get(w->txn, entry, &r)) != STORAGE_OK) {
        return 1;
    }
    return w->fn(&r, w->arg) != 0 ? 1 : 0;
}

static storage_error each_record(storage_txn *txn, const char *prefix,
                                 record_fn fn, void *arg)
{
    each_walk w = {.txn = txn,
                   .plen = strlen(prefix),
                   .records = strcmp(prefix, KEY_RECORD) == 0,
                   .fn = fn,
                   .arg = arg,
                   .e = STORAGE_OK};
    storage_error e =
        storage_foreach_prefix(txn, TABLE_META, prefix, w.plen, visit_record, &w);
    if (e == STORAGE_OK)
        e = w.e;
    return e == STORAGE_NOT_FOUND ? STORAGE_OK : e;
}

typedef struct {
    int64_t now_ms;
    uint64_t *entries;
    size_t max, n;
    int64_t next_ms;
} due_scan;

static int collect_due(const notice_record *r, void *arg)
{
    due_scan *s = arg;
    if (notice_releasable(r, s->now_ms)) {
        if (s->n < s->max)
            s->entries[s->n++] = r->entry;
        else
            s->next_ms = s->now_ms; /* more than fit: come back at once */
    } else if (!r->needs_approval || r->approved) {
        if (r->due_ms < s->next_ms)
            s->next_ms = r->due_ms;
    }
    return 0;
}

storage_error notice_due(storage_txn *txn, int64_t now_ms, uint64_t *entries,
                         size_t max, size_t *n, int64_t *next_ms)
{
    due_scan s = {now_ms, entries, max, 0, INT64_MAX};
    storage_error e = each_record(txn, KEY_OPEN, collect_due, &s);
    *n = s.n;
    *next_ms = s.next_ms;
    return e;
}

static int add_open(const notice_record *r, void *arg)
{
    *(uint64_t *)arg += r->points;
    return 0;
}

storage_error notice_open_total(storage_txn *txn, uint64_t *points)
{
    *points = 0;
    return each_record(txn, KEY_OPEN, add_open, points);
}

/* --- the notice list ------------------------------------------------------ */

static const char *const state_names[] = {
    [NOTICE_PENDING] = "pending",
    [NOTICE_POSTED] = "posted",
    [NOTICE_VOIDED] = "voided",
};

typedef struct {
    int64_t from_ms, to_ms;
    jifen_result *result;
    size_t cap;
    bool nomem;
} list_scan;

static int add_to_list(const notice_record *r, void *arg)
{
    list_scan *s = arg;
    if (r->time_ms < s->from_ms || r->time_ms >= s->to_ms)
        return 0;
    jifen_result *res = s->result;
    if (res->n_notices == JIFEN_NOTICES_MAX)
        return 1;
    if (res->n_notices == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        jifen_notice *p = realloc(res->notices, cap * sizeof *p);
        if (!p) {
            s->nomem = true;
            return 1;
        }
        res->notices = p;
        s->cap = cap;
    }
    jifen_notice *n = &res->notices[res->n_notices++];
    memset(n, 0, sizeof *n);
    n->entry = r->entry;
    n->time_ms = r->time_ms;
    notice_mask_household(r->household, n->household, sizeof n->household);
    notice_mask_name(r->name, n->name, sizeof n->name);
    snprintf(n->activity, sizeof n->activity, "%s", r->activity);
    n->points = r->points;
    snprintf(n->state, sizeof n->state, "%s",
             r->state <= NOTICE_VOIDED ? state_names[r->state] : "?");
    n->ends_ms = r->due_ms;
    n->needs_approval = r->needs_approval;
    n->approved = r->approved;
    n->decided_by = r->decided_by;
    return 0;
}

storage_error notice_list(storage_txn *txn, int64_t month_ms,
                          jifen_result *result)
{
    list_scan s = {month_ms, clock_next_month_start_ms(month_ms), result, 0,
                   false};
    storage_error e = each_record(txn, KEY_RECORD, add_to_list, &s);
    if (e == STORAGE_OK && s.nomem)
        e = STORAGE_FAILED;
    return e;
}
