/*
 * cli_text - text laid out in columns for a terminal or a passbook
 * printer, where a Chinese character takes two columns and a Latin one
 * one (East Asian Width, wide and full-width forms). Issue 15: the
 * committee's reports and the narrow passbook column.
 */
#ifndef JIFEN_CLI_TEXT_H
#define JIFEN_CLI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The columns s takes (UTF-8; bytes that are not are one column each). */
size_t cli_text_width(const char *s);

/* Writes s in exactly `width` columns: cut before the character that
 * would not fit, padded with spaces on the right (left aligned) or the
 * left (right aligned). */
void cli_text_cell(FILE *f, const char *s, size_t width, bool right);

#endif
