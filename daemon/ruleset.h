/*
 * ruleset - the rule sets of a community over time.
 *
 * A residents' meeting adopts a rule set (one policy file, see
 * deploy/policy.conf) with an effective date and the reference of its
 * resolution; later meetings adopt new ones. jifend loads them all
 * (--policy FILE, repeated) and applies, to each command, the rule set in
 * force at the command's time: the one with the latest effective date not
 * after it. A new rule set never rewrites history: every entry records the
 * version it was made under.
 *
 * Checked at load: versions unique, effective dates unique, and at most one
 * rule set without an effective date (it then applies from the beginning).
 */
#ifndef JIFEN_RULESET_H
#define JIFEN_RULESET_H

#include "policy.h"

#define RULESET_MAX 32

typedef struct ruleset ruleset;

/* Loads one rule set per path; a path may also be a directory: every
 * "*.conf" in it, in name order, is a rule set. 0, or -1 with
 * "FILE:LINE: problem" or the conflict between two files in err. */
int ruleset_load_paths(ruleset **out, const char *const *paths, size_t n,
                       char *err, size_t errlen);

/* Whether `next` may replace `now_rules` at now_ms without rewriting
 * history: every rule set already in force is still there, unchanged, and
 * every new or changed one takes effect later than now. 0, or -1 with the
 * reason in err. */
int ruleset_check_successor(const ruleset *now_rules, const ruleset *next,
                            int64_t now_ms, char *err, size_t errlen);

/* A book of none (a community whose rule sets are all in its journal). */
int ruleset_empty(ruleset **out, char *err, size_t errlen);

/* A book of one rule set (the embedded default, or tests). */
int ruleset_from_policy(ruleset **out, const policy *p, char *err,
                        size_t errlen);

/* Adds a rule set, keeping them ordered by effective date. 0, or -1 with
 * the conflict in err (origin names the file). */
int ruleset_add(ruleset *self, const policy *p, const char *origin, char *err,
                size_t errlen);

/* A copy of src (the policies copied too). 0, or -1 with why in err. */
int ruleset_copy(ruleset **out, const ruleset *src, char *err, size_t errlen);

/* Adds p, or replaces the rule set of the same version with it. 0, or -1
 * with the conflict in err (nothing changed). */
int ruleset_put(ruleset *self, const policy *p, const char *origin, char *err,
                size_t errlen);

/* Whether two rule sets are the same rules (they print the same file). */
bool ruleset_same(const policy *a, const policy *b);

void ruleset_destroy(ruleset **self_p);

size_t ruleset_count(const ruleset *self);
/* The i-th rule set, oldest effective date first. */
const policy *ruleset_get(const ruleset *self, size_t i);
/* The rule set in force at Unix time ms, or NULL before the first one. */
const policy *ruleset_at(const ruleset *self, int64_t ms);
const policy *ruleset_find(const ruleset *self, const char *version);

/* Answers a policy query (JIFEN_CMD_POLICY): with an empty version every
 * rule set without text, else that one with its text. `now_ms` says which
 * is in force. Fills result (its rule_sets are malloc'd, freed by
 * codec_result_clear). */
void ruleset_describe(const ruleset *self, const char *version, int64_t now_ms,
                      jifen_result *result);

#endif
