/*
 * ruleset - see ruleset.h. A handful of rule sets in a sorted array of
 * pointers: a community adopts a new one a few times a year at most, so
 * a linear search is the whole index.
 */
#include "ruleset.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int ruleset_load_files(ruleset **out, const char *const *paths, size_t n,
                       char *err, size_t errlen)
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
