/*
 * amount.c - yuan <-> fen, exactly.
 *
 * Money never passes through a float: "128.5" is read as the integers 128
 * and 50 and becomes 12850 fen. The grammar is deliberately narrow
 *
 *     amount = digit+ [ "." digit [ digit ] ]
 *
 * so that every accepted string has exactly one meaning. Signs, exponents,
 * blanks, hex, an empty integer part (".5") or fraction ("5.") and a third
 * decimal ("12.345", which would have to be rounded) are refused rather
 * than guessed at; a terminal clerk who typed any of them made a mistake.
 *
 * Zero is refused: no command takes a zero amount (billing or paying
 * nothing is always a typing error, and the codec would reject it anyway),
 * so saying so at parse time gives the clearer message. Leading zeros
 * ("0.50", "007") are accepted; they cannot change the value.
 */
#include "jifen.h"

#include <inttypes.h>
#include <stdio.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int jifen_parse_yuan(const char *text, uint64_t *fen)
{
    /* Bounding the whole-yuan part before each multiplication keeps the
     * arithmetic far from overflow however many digits arrive. */
    const uint64_t max_yuan = JIFEN_FEN_MAX / 100;
    uint64_t yuan = 0;
    uint64_t cents = 0;
    const char *p = text;

    if (text == NULL || fen == NULL || !is_digit(*p))
        return -1;
    for (; is_digit(*p); p++) {
        yuan = yuan * 10 + (uint64_t)(*p - '0');
        if (yuan > max_yuan)
            return -1;
    }
    if (*p == '.') {
        p++;
        if (!is_digit(*p))
            return -1;
        cents = (uint64_t)(*p++ - '0') * 10;
        if (is_digit(*p))
            cents += (uint64_t)(*p++ - '0');
    }
    if (*p != '\0')
        return -1;

    uint64_t total = yuan * 100 + cents;
    if (total == 0 || total > JIFEN_FEN_MAX)
        return -1;
    *fen = total;
    return 0;
}

char *jifen_format_yuan(int64_t fen, char *buf, size_t len)
{
    /* The magnitude is taken in unsigned arithmetic so INT64_MIN, whose
     * negation does not fit an int64_t, formats correctly too. */
    uint64_t mag = fen < 0 ? 0 - (uint64_t)fen : (uint64_t)fen;

    if (buf == NULL || len == 0)
        return buf;
    snprintf(buf, len, "%s%" PRIu64 ".%02u", fen < 0 ? "-" : "", mag / 100,
             (unsigned)(mag % 100));
    return buf;
}
