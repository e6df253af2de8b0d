/*
 * qr - a line of text as a QR code, for the notice sheet: in a terminal, as
 * SVG and as PNG. The one module that includes qrencode.h (libqrencode)
 * and png.h (libpng).
 *
 * The code is 8-bit mode, error correction level M (15 % of it may be
 * dirty or torn and it still reads), with the 4-module quiet zone the
 * standard asks for. A signed tree head (231 characters at most) makes a
 * version 10 code, 57 modules and 65 with the quiet zone: the SVG is 65 mm
 * across at 1 mm a module, which a phone reads from an arm's length.
 */
#ifndef JIFEN_QR_H
#define JIFEN_QR_H

#include <stddef.h>
#include <stdio.h>

/* Unicode half blocks, two rows of modules per line, dark on light: what
 * a phone's camera reads off a screen. 0, or -1 with why in err. */
int qr_print_terminal(const char *text, FILE *f, char *err, size_t errlen);

/* The SVG picture written to f (jifen-web serves it from memory). 0, or
 * -1 with why in err. */
int qr_svg_stream(const char *text, FILE *f, char *err, size_t errlen);

/* An SVG file at path, one rectangle per dark module. 0, or -1. */
int qr_write_svg(const char *text, const char *path, char *err,
                 size_t errlen);

/* A grey-scale PNG at path, `scale` pixels a module (1..64). 0, or -1. */
int qr_write_png(const char *text, const char *path, int scale, char *err,
                 size_t errlen);

#endif
