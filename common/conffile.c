/*
 * conffile - see conffile.h.
 */
#include "conffile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && strchr(" \t\r\n", s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* One line: blank, comment, or key = value. */
static int load_line(char *line, conffile_set_fn set, void *target, char *err,
                     size_t errlen)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return 0;
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "'%s' is not 'key = value'", s);
        return -1;
    }
    *eq = '\0';
    return set(target, trim(s), trim(eq + 1), err, errlen);
}

int conffile_load(const char *path, conffile_set_fn set, void *target,
                  char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048], why[1536];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, sizeof why, "line longer than %zu bytes",
                     sizeof line - 2);
            rc = -1;
        } else {
            rc = load_line(line, set, target, why, sizeof why);
        }
        if (rc != 0)
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}
