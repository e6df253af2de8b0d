/*
 * mask - personal data on public lists (公示, the residents' pages).
 */
#ifndef JIFEN_MASK_H
#define JIFEN_MASK_H

#include <stddef.h>

/* 张三 -> 张*, 欧阳娜娜 -> 欧***: the first character, then one * per
 * character. 3-2-501 -> 3-2-5**: the last part keeps its first character.
 * out has room for the input's size. */
void notice_mask_name(const char *name, char *out, size_t cap);
void notice_mask_household(const char *code, char *out, size_t cap);
/* 13812341234 -> 138****1234: the first three and the last four digits
 * stay, each digit between becomes *; other characters (+ - spaces) stay
 * where they are. A number of seven digits or fewer keeps only its last
 * two. (Issue 15: a member's contact number, everywhere it is shown.) */
void notice_mask_phone(const char *phone, char *out, size_t cap);

#endif
