/*
 * rmb_capitals - see rmb_capitals.h. The yuan are written in groups of four
 * digits (个, 万, 亿, 万亿), each group like a number below 10,000; the
 * zeros between and inside groups collapse to one 零.
 */
#include "rmb_capitals.h"

#include <stdbool.h>
#include <string.h>

static const char *const DIGIT[10] = {"零", "壹", "贰", "叁", "肆",
                                      "伍", "陆", "柒", "捌", "玖"};
static const char *const PLACE[4] = {"", "拾", "佰", "仟"};

typedef struct {
    char *buf;
    size_t cap, len;
    bool full;
} text;

static void put(text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->full || t->len + n >= t->cap) {
        t->full = true;
        return;
    }
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

/* A group of four digits (1..9999). `lead`: there are digits before it, so
 * its leading zeros are a skipped zero (零). */
static void group(text *t, unsigned g, bool lead)
{
    unsigned d[4] = {g / 1000, g / 100 % 10, g / 10 % 10, g % 10};
    bool started = false, zero = false;
    for (int i = 0; i < 4; i++) {
        if (d[i] == 0) {
            zero = started || lead;
            continue;
        }
        if (zero)
            put(t, DIGIT[0]);
        put(t, DIGIT[d[i]]);
        put(t, PLACE[3 - i]);
        started = true;
        zero = false;
    }
}

/* yuan > 0, below 10^16. */
static void yuan_part(text *t, uint64_t yuan)
{
    unsigned g[4];
    for (int i = 0; i < 4; i++) {
        g[i] = (unsigned)(yuan % 10000);
        yuan /= 10000;
    }
    /* Group 3 is 万亿: its 亿 is written when group 2 (亿) is empty. */
    static const char *const UNIT[4] = {"", "万", "亿", "万"};
    bool started = false, gap = false;
    for (int i = 3; i >= 0; i--) {
        if (g[i] == 0) {
            gap = gap || started;
            continue;
        }
        if (started && gap)
            put(t, DIGIT[0]);
        group(t, g[i], started && !gap);
        put(t, UNIT[i]);
        if (i == 3 && g[2] == 0)
            put(t, "亿");
        started = true;
        gap = false;
    }
}

int rmb_capitals(uint64_t fen, char *out, size_t cap)
{
    if (fen > RMB_CAPITALS_MAX_FEN || out == NULL || cap == 0)
        return -1;
    text t = {out, cap, 0, false};
    out[0] = '\0';
    uint64_t yuan = fen / 100;
    unsigned jiao = (unsigned)(fen / 10 % 10), cents = (unsigned)(fen % 10);
    if (yuan > 0) {
        yuan_part(&t, yuan);
        put(&t, "元");
    } else if (jiao == 0 && cents == 0) {
        put(&t, "零元");
    }
    if (jiao > 0) {
        put(&t, DIGIT[jiao]);
        put(&t, "角");
    } else if (cents > 0 && yuan > 0) {
        put(&t, DIGIT[0]); /* 1000.05: 壹仟元零伍分 */
    }
    if (cents > 0) {
        put(&t, DIGIT[cents]);
        put(&t, "分");
    } else {
        put(&t, "整");
    }
    return t.full ? -1 : (int)t.len;
}
