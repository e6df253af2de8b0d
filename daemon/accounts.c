#include "accounts.h"

#include "storage.h"

#include <string.h>

/* "household/<code><suffix>", cut at JIFEN_ACCOUNT_MAX as snprintf would
 * cut it. Plain copies: these names are built several times per command on
 * the write path, where snprintf's format machinery showed in profiles. */
static void household_account(const char *household, const char *suffix,
                              char out[JIFEN_ACCOUNT_MAX + 1])
{
    static const char prefix[] = "household/";
    const char *parts[3] = {prefix, household, suffix};
    size_t len = 0;
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (n > JIFEN_ACCOUNT_MAX - len)
            n = JIFEN_ACCOUNT_MAX - len;
        memcpy(out + len, parts[i], n);
        len += n;
    }
    out[len] = '\0';
}

void account_household_points(const char *household,
                              char out[JIFEN_ACCOUNT_MAX + 1])
{
    household_account(household, "/points", out);
}

void account_household_fee(const char *household,
                           char out[JIFEN_ACCOUNT_MAX + 1])
{
    household_account(household, "/fee", out);
}

void account_household_pending(const char *household,
                               char out[JIFEN_ACCOUNT_MAX + 1])
{
    household_account(household, "/pending", out);
}

size_t account_household_prefix(const char *household, uint8_t *out)
{
    static const char prefix[] = "household/";
    size_t len = sizeof prefix - 1;
    size_t hlen = strnlen(household, JIFEN_HOUSEHOLD_MAX);
    memcpy(out, prefix, len);
    memcpy(out + len, household, hlen);
    len += hlen;
    out[len++] = '/';
    return len;
}

size_t account_history_key(const char *household, uint64_t seq,
                           uint8_t out[ACCOUNT_HISTORY_KEY_MAX])
{
    size_t len = account_household_prefix(household, out);
    out[len++] = '\0';
    storage_be64_put(out + len, seq);
    return len + 8;
}

bool account_key_is_account(const void *key, size_t len)
{
    /* Account names are printable; the history index, counters and lots
     * hold a control byte after the household's prefix (keyspace.h). */
    const uint8_t *p = key;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20)
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

jifen_asset account_asset(const char *name)
{
    if ((strncmp(name, "household/", 10) == 0 && ends_with(name, "/fee")) ||
        strcmp(name, ACCOUNT_FEE_INCOME) == 0 ||
        strcmp(name, ACCOUNT_CASH) == 0 ||
        strcmp(name, ACCOUNT_POINTS_OFFSET) == 0)
        return JIFEN_ASSET_FEE;
    /* Issue 15: the supermarket's funders and its goods (market.h), fee
     * balances carried over from paper ledgers. */
    if (strncmp(name, "funder/", 7) == 0 ||
        strcmp(name, "community/goods-redeemed") == 0 ||
        strcmp(name, "community/funder-paid") == 0 ||
        strcmp(name, "community/fee-opening") == 0)
        return JIFEN_ASSET_FEE;
    return JIFEN_ASSET_POINTS;
}

bool account_is_household_points(const char *name)
{
    static const char prefix[] = "household/", suffix[] = "/points";
    size_t n = strlen(name), np = sizeof prefix - 1, ns = sizeof suffix - 1;
    return n > np + ns && memcmp(name, prefix, np) == 0 &&
           memcmp(name + n - ns, suffix, ns) == 0;
}

void account_totals_encode(const account_totals *t,
                           uint8_t out[BALANCE_RECORD_LEN])
{
    storage_be64_put(out, t->debits);
    storage_be64_put(out + 8, t->credits);
}

int account_totals_decode(const void *data, size_t len, account_totals *t)
{
    if (len != BALANCE_RECORD_LEN)
        return -1;
    const uint8_t *p = data;
    t->debits = storage_be64_get(p);
    t->credits = storage_be64_get(p + 8);
    return 0;
}
