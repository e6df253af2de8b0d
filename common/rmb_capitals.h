/*
 * rmb_capitals - an amount of money in Chinese capitals (人民币大写), as a
 * receipt (收据), an invoice or a cheque writes it so that no digit can be
 * altered: 零壹贰叁肆伍陆柒捌玖, 拾佰仟, 万亿, 元角分, and 整 after an amount
 * that ends in 元 or 角. The one place jifen makes them (the CLI's receipt,
 * jifen-web's receipt page).
 *
 * The form is the common one of the People's Bank of China's rules for
 * filling in bills: one 零 stands for a run of zero digits inside the
 * amount (1000.05 -> 壹仟元零伍分, 10001 -> 壹万零壹元整, 100010000 ->
 * 壹亿零壹万元整); zeros at the end of the yuan are not written (1000 ->
 * 壹仟元整); 10 is 壹拾, never 拾; a zero in the 元 place before 角 is not
 * written (1680.32 -> 壹仟陆佰捌拾元叁角贰分, which the rules allow beside
 * ...元零叁角贰分); an amount under one yuan has no 元 (0.50 -> 伍角整);
 * 0 is 零元整.
 */
#ifndef JIFEN_RMB_CAPITALS_H
#define JIFEN_RMB_CAPITALS_H

#include <stddef.h>
#include <stdint.h>

/* The largest amount written: 9999 9999 9999 9999.99 yuan (below 万万亿). */
#define RMB_CAPITALS_MAX_FEN 999999999999999999ull
/* Room for the longest text, NUL included (3 UTF-8 bytes a character). */
#define RMB_CAPITALS_LEN 160

/* Writes fen (0.01 yuan) in capitals into out[cap]. Returns the length, or
 * -1 when fen is above RMB_CAPITALS_MAX_FEN or cap is too small. */
int rmb_capitals(uint64_t fen, char *out, size_t cap);

#endif
