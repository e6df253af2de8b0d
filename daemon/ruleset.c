/*
 * ruleset - see ruleset.h. A handful of rule sets in a sorted array of
 * pointers: a community adopts a new one a few times a year at most, so
 * a linear search is the whole index.
 */
#include "ruleset.h"

#include "clock.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ruleset {
    size_t n;
    policy *sets[RULESET_MAX]; /* by effective_ms, ascending */
};

static int conflict(const ruleset *self, const policy *p, const char *origin,
                    char *err, size_t errlen)
{
    for (size_t i = 0; i < self->n; i++) {
        const policy *q = self->sets[i];
        if (strcmp(q->version, p->version) == 0) {
            snprintf(err, errlen,
                     "%s: version %s is already used by another "
                     "rule set",
                     origin, p->version);
            return -1;
        }
        if (q->effective_ms == p->effective_ms) {
            snprintf(err, errlen,
                     "%s: rule sets %s and %s take effect at the same time "
                     "(%s); give each its own effective date",
                     origin, q->version, p->version,
                     p->effective[0] ? p->effective : "no effective date");
            return -1;
        }
    }
    return 0;
}

int ruleset_add(ruleset *self, const policy *p, const char *origin, char *err,
                size_t errlen)
{
    if (self->n == RULESET_MAX) {
        snprintf(err, errlen, "%s: more than %d rule sets", origin,
                 RULESET_MAX);
        return -1;
    }
    if (conflict(self, p, origin, err, errlen) != 0)
        return -1;
    policy *copy = malloc(sizeof *copy);
    if (!copy) {
        snprintf(err, errlen, "%s: out of memory", origin);
        return -1;
    }
    *copy = *p;
    size_t i = self->n;
    while (i > 0 && self->sets[i - 1]->effective_ms > p->effective_ms) {
        self->sets[i] = self->sets[i - 1];
        i--;
    }
    self->sets[i] = copy;
    self->n++;
    return 0;
}

static ruleset *ruleset_new(char *err, size_t errlen)
{
    ruleset *self = calloc(1, sizeof *self);
    if (!self)
        snprintf(err, errlen, "out of memory");
    return self;
}

int ruleset_empty(ruleset **out, char *err, size_t errlen)
{
    *out = ruleset_new(err, errlen);
    return *out ? 0 : -1;
}

int ruleset_from_policy(ruleset **out, const policy *p, char *err,
                        size_t errlen)
{
    *out = ruleset_new(err, errlen);
    if (!*out)
        return -1;
    if (ruleset_add(*out, p, "policy", err, errlen) != 0) {
        ruleset_destroy(out);
        return -1;
    }
    return 0;
}

/* One rule set per file (ruleset_load_paths has expanded directories). */
static int ruleset_load_files(ruleset **out, const char *const *paths,
                              size_t n, char *err, size_t errlen)
{
    *out = ruleset_new(err, errlen);
    policy *p = malloc(sizeof *p);
    if (!*out || !p) {
        snprintf(err, errlen, "out of memory");
        free(p);
        ruleset_destroy(out);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = policy_load_file(p, paths[i], err, errlen);
        if (rc == 0)
            rc = ruleset_add(*out, p, paths[i], err, errlen);
    }
    free(p);
    if (rc != 0)
        ruleset_destroy(out);
    return rc;
}

/* --- directories and reloading -------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_conf(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && name[0] != '.' && strcmp(name + n - 5, ".conf") == 0;
}

/* Appends the *.conf files of dir (sorted) to names; -1 when unreadable or
 * when there are more than fit. */
static int list_dir(const char *dir, char **names, size_t *n, char *err,
                    size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read the directory", dir);
        return -1;
    }
    size_t first = *n;
    int rc = 0;
    for (struct dirent *e = readdir(d); e && rc == 0; e = readdir(d)) {
        if (!is_conf(e->d_name))
            continue;
        size_t len = strlen(dir) + 1 + strlen(e->d_name) + 1;
        if (*n == RULESET_MAX || !(names[*n] = malloc(len))) {
            snprintf(err, errlen, "%s: more than %d rule sets", dir,
                     RULESET_MAX);
            rc = -1;
            break;
        }
        snprintf(names[(*n)++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    qsort(names + first, *n - first, sizeof *names, by_name);
    return rc;
}

int ruleset_load_paths(ruleset **out, const char *const *paths, size_t n,
                       char *err, size_t errlen)
{
    char *files[RULESET_MAX];
    size_t n_files = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = list_dir(paths[i], files, &n_files, err, errlen);
        } else if (n_files < RULESET_MAX &&
                   (files[n_files] = strdup(paths[i])) != NULL) {
            n_files++;
        } else {
            snprintf(err, errlen,
                     "%s: more than %d rule sets, or out of "
                     "memory",
                     paths[i], RULESET_MAX);
            rc = -1;
        }
    }
    if (rc == 0 && n_files == 0) {
        snprintf(err, errlen, "no rule set (*.conf) in %s", paths[0]);
        rc = -1;
    }
    if (rc == 0)
        rc = ruleset_load_files(out, (const char *const *)files, n_files, err,
                                errlen);
    for (size_t i = 0; i < n_files; i++)
        free(files[i]);
    return rc;
}

/* Two rule sets are the same when they print the same policy file. The
 * buffers are per thread: the server thread (SIGHUP) and the writer thread
 * (PolicyLoad) both compare. */
bool ruleset_same(const policy *a, const policy *b)
{
    static _Thread_local char ta[JIFEN_RULE_SET_TEXT_MAX + 1],
        tb[JIFEN_RULE_SET_TEXT_MAX + 1];
    int na = policy_format(a, ta, sizeof ta);
    int nb = policy_format(b, tb, sizeof tb);
    return na >= 0 && na == nb && memcmp(ta, tb, (size_t)na) == 0;
}

int ruleset_copy(ruleset **out, const ruleset *src, char *err, size_t errlen)
{
    *out = ruleset_new(err, errlen);
    int rc = *out ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < src->n; i++)
        rc = ruleset_add(*out, src->sets[i], src->sets[i]->version, err,
                         errlen);
    if (rc != 0)
        ruleset_destroy(out);
    return rc;
}

int ruleset_put(ruleset *self, const policy *p, const char *origin, char *err,
                size_t errlen)
{
    for (size_t i = 0; i < self->n; i++) {
        if (strcmp(self->sets[i]->version, p->version) != 0)
            continue;
        policy *old = self->sets[i];
        memmove(&self->sets[i], &self->sets[i + 1],
                (self->n - i - 1) * sizeof *self->sets);
        self->n--;
        if (ruleset_add(self, p, origin, err, errlen) == 0) {
            free(old);
            return 0;
        }
        /* Put the old one back where it was: it still fits. */
        memmove(&self->sets[i + 1], &self->sets[i],
                (self->n - i) * sizeof *self->sets);
        self->sets[i] = old;
        self->n++;
        return -1;
    }
    return ruleset_add(self, p, origin, err, errlen);
}

int ruleset_check_successor(const ruleset *now_rules, const ruleset *next,
                            int64_t now_ms, char *err, size_t errlen)
{
    for (size_t i = 0; i < now_rules->n; i++) {
        const policy *old = now_rules->sets[i];
        if (old->effective_ms > now_ms)
            continue; /* not in force yet: may change or go */
        const policy *p = ruleset_find(next, old->version);
        if (!p || !ruleset_same(old, p)) {
            snprintf(err, errlen,
                     "rule set %s is in force and has judged entries; it "
                     "must stay as it is (%s)",
                     old->version, p ? "it was changed" : "it is missing");
            return -1;
        }
    }
    for (size_t i = 0; i < next->n; i++) {
        const policy *p = next->sets[i];
        const policy *old = ruleset_find(now_rules, p->version);
        if ((!old || !ruleset_same(old, p)) && p->effective_ms <= now_ms) {
            snprintf(err, errlen,
                     "rule set %s would take effect in the past (%s); a new "
                     "rule set needs a future effective date",
                     p->version,
                     p->effective[0] ? p->effective : "no effective date");
            return -1;
        }
    }
    return 0;
}

void ruleset_destroy(ruleset **self_p)
{
    ruleset *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        free(self->sets[i]);
    free(self);
    *self_p = NULL;
}

size_t ruleset_count(const ruleset *self)
{
    return self->n;
}

const policy *ruleset_get(const ruleset *self, size_t i)
{
    return i < self->n ? self->sets[i] : NULL;
}

const policy *ruleset_at(const ruleset *self, int64_t ms)
{
    const policy *found = NULL;
    for (size_t i = 0; i < self->n && self->sets[i]->effective_ms <= ms; i++)
        found = self->sets[i];
    return found;
}

const policy *ruleset_find(const ruleset *self, const char *version)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp(self->sets[i]->version, version) == 0)
            return self->sets[i];
    return NULL;
}

/* --- describing ------------------------------------------------------- */

static int describe_one(const policy *p, bool in_force, bool with_text,
                        jifen_rule_set *out)
{
    snprintf(out->version, sizeof out->version, "%s", p->version);
    snprintf(out->effective, sizeof out->effective, "%s", p->effective);
    snprintf(out->resolution, sizeof out->resolution, "%s", p->resolution);
    out->in_force = in_force;
    if (!with_text)
        return 0;
    out->text = malloc(JIFEN_RULE_SET_TEXT_MAX + 1);
    if (!out->text)
        return -1;
    return policy_format(p, out->text, JIFEN_RULE_SET_TEXT_MAX + 1) < 0 ? -1
                                                                        : 0;
}

void ruleset_describe(const ruleset *self, const char *version, int64_t now_ms,
                      jifen_result *result)
{
    const policy *now = ruleset_at(self, now_ms);
    const policy *one = version[0] ? ruleset_find(self, version) : NULL;
    if (version[0] && !one) {
        result->status = JIFEN_STATUS_UNKNOWN_RULE_SET;
        snprintf(result->error, sizeof result->error,
                 "there is no rule set %s (jifen policy list shows them)",
                 version);
        return;
    }
    size_t n = one ? 1 : self->n;
    result->rule_sets = calloc(n, sizeof *result->rule_sets);
    if (!result->rule_sets) {
        result->status = JIFEN_STATUS_INTERNAL;
        snprintf(result->error, sizeof result->error, "out of memory");
        return;
    }
    result->n_rule_sets = n;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const policy *p = one ? one : self->sets[i];
        rc = describe_one(p, p == now, one != NULL, &result->rule_sets[i]);
    }
    result->status = rc == 0 ? JIFEN_STATUS_OK : JIFEN_STATUS_INTERNAL;
    if (rc != 0)
        snprintf(result->error, sizeof result->error,
                 "rule set %s does not fit in a reply", version);
}
