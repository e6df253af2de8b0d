#include "qr.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define QUIET 4 /* modules of white border (ISO/IEC 18004) */

static QRcode *encode(const char *text, char *err, size_t errlen)
{
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        snprintf(err, errlen, "the text does not fit a QR code: %s",
                 strerror(errno));
    return q;
}

/* Dark module at (x, y), counting the quiet zone; out of the code: light. */
static bool dark(const QRcode *q, int x, int y)
{
    x -= QUIET;
    y -= QUIET;
    return x >= 0 && y >= 0 && x < q->width && y < q->width &&
           (q->data[y * q->width + x] & 1);
}

int qr_print_terminal(const char *text, FILE *f, char *err, size_t errlen)
{
    QRcode *q = encode(text, err, errlen);
    if (!q)
        return -1;
    int w = q->width + 2 * QUIET;
    /* Light is the block, dark the space: the terminal's background is
     * the dark colour, so this prints dark modules on a light ground
     * whatever the colours (▀ upper half, ▄ lower, █ both). */
    for (int y = 0; y < w; y += 2) {
        for (int x = 0; x < w; x++) {
            bool top = !dark(q, x, y), bottom = y + 1 < w && !dark(q, x, y + 1);
            fputs(top && bottom ? "\u2588" : top ? "\u2580"
                                 : bottom        ? "\u2584"
                                                 : " ",
                  f);
        }
        fputc('\n', f);
    }
    QRcode_free(q);
    return ferror(f) ? -1 : 0;
}

int qr_svg_stream(const char *text, FILE *f, char *err, size_t errlen)
{
    QRcode *q = encode(text, err, errlen);
    if (!q)
        return -1;
    int w = q->width + 2 * QUIET;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
            "width=\"%dmm\" height=\"%dmm\" shape-rendering=\"crispEdges\">\n"
            "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path d=\"",
            w, w, w, w, w, w);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            if (dark(q, x, y))
                fprintf(f, "M%d %dh1v1h-1z", x, y);
    fprintf(f, "\" fill=\"#000\"/>\n</svg>\n");
    QRcode_free(q);
    if (ferror(f)) {
        snprintf(err, errlen, "write failed");
        return -1;
    }
    return 0;
}

int qr_write_svg(const char *text, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = qr_svg_stream(text, f, err, errlen);
    if (fclose(f) != 0 || rc != 0) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

int qr_write_png(const char *text, const char *path, int scale, char *err,
                 size_t errlen)
{
    if (scale < 1 || scale > 64) {
        snprintf(err, errlen, "PNG scale %d: must be 1-64", scale);
        return -1;
    }
    QRcode *q = encode(text, err, errlen);
    if (!q)
        return -1;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        QRcode_free(q);
        return -1;
    }
    int w = (q->width + 2 * QUIET) * scale;
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep row = malloc((size_t)w);
    int rc = -1;
    if (png && info && row && setjmp(png_jmpbuf(png)) == 0) {
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)w, 8,
                     PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (int y = 0; y < w; y++) {
            for (int x = 0; x < w; x++)
                row[x] = dark(q, x / scale, y / scale) ? 0 : 255;
            png_write_row(png, row);
        }
        png_write_end(png, NULL);
        rc = 0;
    }
    png_destroy_write_struct(&png, &info);
    free(row);
    QRcode_free(q);
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        snprintf(err, errlen, "%s: the PNG could not be written", path);
    return rc;
}
