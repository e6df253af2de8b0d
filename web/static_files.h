/*
 * static_files - the console's pages, scripts and styles (web/static/),
 * embedded at build time so that jifen-web is one file to install and the
 * pages can never drift from the binary that serves them.
 */
#ifndef JIFEN_WEB_STATIC_FILES_H
#define JIFEN_WEB_STATIC_FILES_H

#include <stddef.h>

typedef struct {
    const char *name; /* "app.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
} static_file;

/* The file `name` (no directories), or NULL. */
const static_file *static_find(const char *name);

#endif
