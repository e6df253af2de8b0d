/*
 * members - see members.h.
 */
#include "members.h"

#include "metakey.h"

#include <string.h>

#define MEMBER_PREFIX "member/"
#define PROXY_PREFIX "proxy/"
#define EVENT_PREFIX "event/"
/* The longest key: "event/" hh NUL activity NUL date NUL event. */
#define KEY_MAX                                                                \
    (sizeof EVENT_PREFIX + JIFEN_HOUSEHOLD_MAX + JIFEN_CODE_MAX +             \
     JIFEN_DATE_LEN + JIFEN_NAME_MAX + 4)
#define MEMBER_FIXED 17 /* u8 left, be64 added, be64 changed */
#define MEMBER_REC_MAX (MEMBER_FIXED + 1 + JIFEN_CODE_MAX + JIFEN_PHONE_MAX)

/* --- members -------------------------------------------------------------- */

static size_t member_key(uint8_t *key, const char *household, const char *name)
{
    const char *parts[] = {household, name};
    return metakey(key, KEY_MAX, MEMBER_PREFIX, parts, 2);
}

static storage_error decode_member(const storage_val *v, member_record *m)
{
    const uint8_t *p = v->data, *end = p + v->len;
    if (v->len < MEMBER_FIXED + 1 || p[0] > 1)
        return STORAGE_CORRUPT;
    m->left = *p++ == 1;
    m->added = rec_get64(&p);
    m->changed = rec_get64(&p);
    if (rec_get_text(&p, end, m->relation, sizeof m->relation) != 0 ||
        (size_t)(end - p) > JIFEN_PHONE_MAX)
        return STORAGE_CORRUPT;
    memcpy(m->phone, p, (size_t)(end - p));
    m->phone[end - p] = '\0';
    return STORAGE_OK;
}

storage_error members_get(storage_txn *txn, const char *household,
                          const char *name, member_record *out)
{
    uint8_t key[KEY_MAX];
    size_t klen = member_key(key, household, name);
    storage_val v;
    storage_error e = klen ? storage_get(txn, TABLE_META, key, klen, &v)
                           : STORAGE_NOT_FOUND;
    if (e != STORAGE_OK)
        return e;
    memset(out, 0, sizeof *out);
    size_t n = strnlen(name, JIFEN_NAME_MAX);
    memcpy(out->name, name, n);
    return decode_member(&v, out);
}

void members_put(storage_txn *txn, const char *household,
                 const member_record *m)
{
    uint8_t key[KEY_MAX], rec[MEMBER_REC_MAX], *p = rec;
    size_t klen = member_key(key, household, m->name);
    *p++ = m->left ? 1 : 0;
    rec_be64(&p, m->added);
    rec_be64(&p, m->changed);
    rec_text(&p, m->relation);
    size_t n = strnlen(m->phone, JIFEN_PHONE_MAX);
    memcpy(p, m->phone, n);
    p += n;
    storage_put(txn, TABLE_META, key, klen, rec, (size_t)(p - rec),
                STORAGE_PUT_OVERWRITE);
}

typedef struct {
    size_t plen;
    int (*fn)(void *ctx, const member_record *m);
    void *ctx;
} member_walk;

static int visit_member(void *ctx, const storage_val *k, const storage_val *v)
{
    member_walk *w = ctx;
    member_record m;
    size_t n = k->len - w->plen;
    memset(&m, 0, sizeof m);
    if (n == 0 || n > JIFEN_NAME_MAX || decode_member(v, &m) != STORAGE_OK)
        return -1;
    memcpy(m.name, (const uint8_t *)k->data + w->plen, n);
    m.name[n] = '\0';
    return w->fn(w->ctx, &m);
}

storage_error members_each(storage_txn *txn, const char *household,
                           int (*fn)(void *ctx, const member_record *m),
                           void *ctx)
{
    uint8_t prefix[KEY_MAX];
    const char *parts[] = {household};
    member_walk w = {metakey(prefix, KEY_MAX, MEMBER_PREFIX, parts, 1), fn,
                     ctx};
    /* "member/<hh>" NUL: the NUL keeps household 3-2-5 out of 3-2-50's. */
    prefix[w.plen++] = '\0';
    return storage_foreach_prefix(txn, TABLE_META, prefix, w.plen,
                                  visit_member, &w);
}

/* --- proxies ---------------------------------------------------------------- */

static size_t proxy_key(uint8_t *key, const char *household,
                        const char *member, const char *proxy)
{
    const char *parts[] = {household, member, proxy};
    return metakey(key, KEY_MAX, PROXY_PREFIX, parts, 3);
}

storage_error proxy_get(storage_txn *txn, const char *household,
                        const char *member, const char *proxy,
                        proxy_record *out)
{
    uint8_t key[KEY_MAX];
    size_t klen = proxy_key(key, household, member, proxy);
    storage_val v;
    storage_error e = klen ? storage_get(txn, TABLE_META, key, klen, &v)
                           : STORAGE_NOT_FOUND;
    if (e != STORAGE_OK)
        return e;
    if (v.len != 16)
        return STORAGE_CORRUPT;
    const uint8_t *p = v.data;
    out->consent = rec_get64(&p);
    out->revoked = rec_get64(&p);
    return STORAGE_OK;
}

void proxy_put(storage_txn *txn, const char *household, const char *member,
               const char *proxy, const proxy_record *r)
{
    uint8_t key[KEY_MAX], rec[16], *p = rec;
    rec_be64(&p, r->consent);
    rec_be64(&p, r->revoked);
    storage_put(txn, TABLE_META, key, proxy_key(key, household, member, proxy),
                rec, sizeof rec, STORAGE_PUT_OVERWRITE);
}

typedef struct {
    size_t plen;
    const char *proxy;
    int (*fn)(void *ctx, const char *member, const proxy_record *r);
    void *ctx;
} proxy_walk;

static int visit_proxy(void *ctx, const storage_val *k, const storage_val *v)
{
    proxy_walk *w = ctx;
    const char *rest = (const char *)k->data + w->plen;
    size_t n = k->len - w->plen;
    const char *sep = memchr(rest, '\0', n);
    if (!sep || v->len != 16)
        return -1;
    size_t mlen = (size_t)(sep - rest), plen = n - mlen - 1;
    if (mlen > JIFEN_NAME_MAX || plen != strlen(w->proxy) ||
        memcmp(sep + 1, w->proxy, plen) != 0)
        return 0; /* another proxy's consent */
    char member[JIFEN_NAME_MAX + 1];
    memcpy(member, rest, mlen);
    member[mlen] = '\0';
    const uint8_t *p = v->data;
    proxy_record r;
    r.consent = rec_get64(&p);
    r.revoked = rec_get64(&p);
    return r.revoked ? 0 : w->fn(w->ctx, member, &r);
}

storage_error proxy_each_of(storage_txn *txn, const char *household,
                            const char *proxy,
                            int (*fn)(void *ctx, const char *member,
                                      const proxy_record *r),
                            void *ctx)
{
    uint8_t prefix[KEY_MAX];
    const char *parts[] = {household};
    proxy_walk w = {metakey(prefix, KEY_MAX, PROXY_PREFIX, parts, 1), proxy,
                    fn, ctx};
    prefix[w.plen++] = '\0';
    return storage_foreach_prefix(txn, TABLE_META, prefix, w.plen,
                                  visit_proxy, &w);
}

/* --- events ----------------------------------------------------------------- */

/* The length of a space at s: ASCII white space, or the ideographic
 * space U+3000 a Chinese input method types; 0 when none. */
static size_t space_at(const char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' ||
                   s[0] == '\n'))
        return 1;
    return n >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0 ? 3 : 0;
}

/* An event's name as the index knows it: without spaces around it, so
 * that a corrected roster whose --event was typed with a stray space is
 * the same event, not a second one awarded again. The entry keeps the
 * text as given. */
static const char *event_name(const char *event, char *buf, size_t cap)
{
    size_t n = strlen(event), k;
    while ((k = space_at(event, n)) != 0) {
        event += k;
        n -= k;
    }
    for (;;) {
        if (n >= 1 && space_at(event + n - 1, 1))
            n--;
        else if (n >= 3 && space_at(event + n - 3, 3) == 3)
            n -= 3;
        else
            break;
    }
    n = n < cap ? n : cap - 1;
    memcpy(buf, event, n);
    buf[n] = '\0';
    return buf;
}

static size_t event_key(uint8_t *key, const char *household,
                        const char *activity, const char *date,
                        const char *event)
{
    char name[JIFEN_NAME_MAX + 1];
    const char *parts[] = {household, activity, date,
                           event_name(event, name, sizeof name)};
    return metakey(key, KEY_MAX, EVENT_PREFIX, parts, 4);
}

storage_error event_get(storage_txn *txn, const char *household,
                        const char *activity, const char *date,
                        const char *event, uint64_t *award)
{
    uint8_t key[KEY_MAX];
    size_t klen = event_key(key, household, activity, date, event);
    storage_val v;
    storage_error e = klen ? storage_get(txn, TABLE_META, key, klen, &v)
                           : STORAGE_NOT_FOUND;
    if (e == STORAGE_OK && v.len != 8)
        return STORAGE_CORRUPT;
    if (e == STORAGE_OK)
        *award = storage_be64_get(v.data);
    return e;
}

storage_error event_put(storage_txn *txn, const char *household,
                        const char *activity, const char *date,
                        const char *event, uint64_t award)
{
    uint8_t key[KEY_MAX], val[8];
    storage_be64_put(val, award);
    return storage_put(txn, TABLE_META, key,
                       event_key(key, household, activity, date, event), val,
                       sizeof val, STORAGE_PUT_NEW);
}

void event_free(storage_txn *txn, const char *household, const char *activity,
                const char *date, const char *event, uint64_t award)
{
    uint64_t held = 0;
    storage_error e = event_get(txn, household, activity, date, event, &held);
    if (e == STORAGE_CORRUPT && !txn->error)
        txn->error = e;
    if (e != STORAGE_OK || held != award)
        return; /* not this award's (a later award took it again) */
    uint8_t key[KEY_MAX];
    storage_del(txn, TABLE_META, key,
                event_key(key, household, activity, date, event));
}
