/*
 * policy - the points policy: activity catalogue, deduction rules, the
 * points-to-fen rate and the share of a fee that points may pay.
 *
 * One rule set, parsed from a small INI-style text (see deploy/policy.conf,
 * which is also the embedded default) and validated: the operator's files
 * at start-up and on SIGHUP, or an admin's PolicyLoad over the wire (and
 * its journal entry, read back); a bad text is refused with "FILE:LINE:
 * problem". The structure is fixed-size, so a policy is a plain value that
 * can be copied and never needs freeing. Rule sets over time: ruleset.h.
 */
#ifndef JIFEN_POLICY_H
#define JIFEN_POLICY_H

#include "jifen_types.h"

#define POLICY_ACTIVITIES_MAX 64
#define POLICY_RULES_MAX 64
#define POLICY_DESCRIPTION_MAX 120

typedef struct {
    char code[JIFEN_CODE_MAX + 1];
    char description[POLICY_DESCRIPTION_MAX + 1];
    /* Points for one event, or for one hour when per_hour is set. */
    uint32_t points;
    bool per_hour;
    /* per_hour only: the most hours one award may count (e.g. 2). */
    uint32_t max_hours;
    /* Largest points a committee may give instead of `points` (0: the
     * catalogue value is fixed). Honours graded by level use this. */
    uint32_t max_points;
    /* Most points one household may earn from this activity in a calendar
     * month / year (Asia/Shanghai), counting every award of the period
     * whichever rule set made it; 0: no cap. Stops farming points. */
    uint32_t max_per_month;
    uint32_t max_per_year;
} policy_activity;

typedef struct {
    char code[JIFEN_CODE_MAX + 1];
    char description[POLICY_DESCRIPTION_MAX + 1];
    uint32_t points;     /* default deduction */
    uint32_t max_points; /* largest allowed override (0: fixed) */
    /* A sanction: a deduction under this rule also suspends the household's
     * redemptions for the rest of the month and this many more (0: none). */
    uint32_t suspend_months;
    /* ... and refuses its awards for the rest of the month and this many
     * more (issue 15: a roster's "suspended" rows; 0: none). */
    uint32_t suspend_award_months;
} policy_rule;

/* The fee schedule (issue 14, docs/desk.md): what a billing run bills
 * each household each month. Rates are integers in fen: per m2 per month
 * (the area is in 0.01 m2), per month, or per unit per month. */
#define POLICY_FEES_MAX 16
#define POLICY_FEE_NAME_MAX 64
#define POLICY_FEE_RATE_MAX 10000000u /* 100,000 yuan */
#define POLICY_ONTIME_DAY_MAX 28
#define POLICY_ONTIME_POINTS_MAX 1000

typedef struct {
    char code[JIFEN_CODE_MAX + 1];
    char name[POLICY_FEE_NAME_MAX + 1]; /* 物业费: what a receipt prints */
    char basis_text[8];                 /* "area", "fixed", "unit" */
    jifen_fee_basis basis;
    uint32_t rate_fen;
} policy_fee;

#define POLICY_DATE_LEN 10 /* YYYY-MM-DD */
#define POLICY_NOTICE_DAYS_MAX 60
#define POLICY_EXPIRY_TEXT_MAX 24
#define POLICY_EXPIRY_MONTHS_MAX 120
#define POLICY_SUSPEND_MONTHS_MAX 24

typedef enum {
    POLICY_EXPIRY_NEVER = 0,
    POLICY_EXPIRY_MONTHS,
    POLICY_EXPIRY_FOLLOWING_YEAR_END,
} policy_expiry;

typedef struct {
    char version[JIFEN_POLICY_MAX + 1];
    /* A rule set applies from 00:00 Asia/Shanghai of `effective` until the
     * next rule set's; empty: from the beginning of the ledger. */
    char effective[POLICY_DATE_LEN + 1];
    int64_t effective_ms; /* INT64_MIN when effective is empty */
    /* Which resolution adopted it (e.g. the 议事会 minutes' reference). */
    char resolution[POLICY_DESCRIPTION_MAX + 1];
    uint32_t fen_per_point;      /* 1 .. 100000; 100 = 1 yuan per point */
    uint32_t max_offset_percent; /* 1 .. 100: share of the fee due */
    /* Most points one household may redeem in a calendar year; 0: none. */
    uint32_t max_redeem_per_year;
    /* Public notice (公示): an award stays pending for notice_days full
     * days after the day it was made, and posts at 00:00 Shanghai after
     * them; 0: awards post at once. Awards of more than approval_above
     * points also need a second committee member's approval; 0: never. */
    uint32_t notice_days;
    uint32_t approval_above;
    /* When earned points expire (oldest first): `expiry` is "never" (also
     * when absent), "months" (at the end of the expiry_months-th month
     * after the month earned) or "end-of-following-year". */
    char expiry[POLICY_EXPIRY_TEXT_MAX + 1];
    policy_expiry expiry_kind;
    uint32_t expiry_months;
    size_t n_activities;
    policy_activity activities[POLICY_ACTIVITIES_MAX];
    size_t n_rules;
    policy_rule rules[POLICY_RULES_MAX];
    /* The property desk (issue 14): who receipts name as payee, the fee
     * schedule, and points for paying a period's bills in full by its
     * ontime_day (0: no such rule). */
    char payee[POLICY_DESCRIPTION_MAX + 1];
    uint32_t ontime_day;
    uint32_t ontime_points;
    size_t n_fees;
    policy_fee fees[POLICY_FEES_MAX];
} policy;

/* Parses policy text. `origin` names it in errors ("FILE:LINE: problem").
 * Returns 0, or -1 with the reason in err. */
int policy_parse(policy *out, const char *text, size_t len, const char *origin,
                 char *err, size_t errlen);

/* Reads and parses a policy file. Returns 0, or -1 with the reason in err. */
int policy_load_file(policy *out, const char *path, char *err, size_t errlen);

/* The embedded default policy (the text of deploy/policy.conf). */
int policy_load_default(policy *out, char *err, size_t errlen);
extern const char policy_default_text[];
extern const size_t policy_default_text_len;

const policy_activity *policy_find_activity(const policy *p, const char *code);
const policy_rule *policy_find_rule(const policy *p, const char *code);
const policy_fee *policy_find_fee(const policy *p, const char *code);

/* What `fee` bills a household of area_centi_m2 (0.01 m2) holding `units`
 * of it for one month, in fen, and the quantity it is computed from
 * (*quantity: the area or the units; 0 for a fixed fee). Per m2 the fee is
 * area x rate / 100 rounded half up to the fen (四舍五入): 85.50 m2 at
 * 1.20 yuan/m2 is 8550 x 120 / 100 = 10260 fen exactly; 85.55 m2 at 1.15
 * is 9838.25, billed 9838 fen; 0.5 fen rounds up. Integers all the way
 * (no float), exact for any area and rate in range. JIFEN_STATUS_OK, or
 * NOT_BILLABLE with why ("no_area", "no_units") in problem. */
jifen_status policy_fee_amount(const policy_fee *fee, uint32_t area_centi_m2,
                               uint32_t units, uint64_t *fen,
                               uint32_t *quantity,
                               char problem[JIFEN_PROBLEM_MAX + 1]);

/* The moment a period's bills must be paid in full by for on-time points
 * (the end of day ontime_day of the month, Asia/Shanghai), from the
 * period's start; 0 when p has no on-time rule. */
int64_t policy_ontime_deadline(const policy *p, int64_t period_start_ms);

/* Points an award is worth: the catalogue value, or per hour times hours
 * (capped at max_hours: hours beyond it are not counted), or an override
 * within max_points. Refuses unknown activities (UNKNOWN_ACTIVITY), hours on
 * a per-event activity or missing hours on a per-hour one (BAD_REQUEST), and
 * an override the activity does not allow (CAP_EXCEEDED). */
jifen_status policy_award_points(const policy *p, const jifen_command *award,
                                 uint32_t *points, char *err, size_t errlen);

/* Points a deduction takes: the rule's value or an override within
 * max_points. UNKNOWN_RULE, or CAP_EXCEEDED for an override too large. */
jifen_status policy_deduct_points(const policy *p, const jifen_command *deduct,
                                  uint32_t *points, char *err, size_t errlen);

/* Fen that `points` pay off, given what the household owes: points times the
 * rate, which must not exceed max_offset_percent of fee_due_fen (rounded
 * down). CAP_EXCEEDED with the limit in err when it would, or when nothing
 * is due. */
jifen_status policy_redeem_offset(const policy *p, uint64_t points,
                                  int64_t fee_due_fen, uint64_t *offset_fen,
                                  char *err, size_t errlen);

/* The most points policy_redeem_offset accepts against fee_due_fen (0 when
 * nothing is due), and the fen that share of the fee is (limit_fen, may be
 * NULL): what a desk shows before the clerk commits. The ledger also
 * applies the yearly cap and sanctions, which need its counters. */
uint64_t policy_redeem_most(const policy *p, int64_t fee_due_fen,
                            uint64_t *limit_fen);

/* Unix ms at which points earned at earned_ms expire under p (always the
 * start of a month, Asia/Shanghai), or INT64_MAX when they never do. */
int64_t policy_expiry_of(const policy *p, int64_t earned_ms);

/* Until when (Unix ms, a month start in Shanghai) a deduction made at
 * deducted_ms under `rule` suspends redemption; 0 when it does not. */
int64_t policy_suspended_until(const policy_rule *rule, int64_t deducted_ms);

/* Until when a deduction made at deducted_ms under `rule` suspends the
 * household's awards; 0 when it does not. */
int64_t policy_awards_suspended_until(const policy_rule *rule,
                                      int64_t deducted_ms);

/* Writes the policy as a policy file that parses back to the same policy
 * (what `jifen policy show` prints). Returns the length, or -1 when it does
 * not fit in buf[cap]. */
int policy_format(const policy *p, char *buf, size_t cap);

/* The caps of docs/policy.md ("caps per household per activity per month and
 * per year": `month_so_far` / `year_so_far` are the points the household
 * already earned from the activity in the award's month and year. OK, or
 * CAP_EXCEEDED naming the cap, the period and what is left. */
jifen_status policy_award_caps(const policy *p, const char *activity,
                               const char *household, const char *month,
                               uint64_t month_so_far, uint64_t year_so_far,
                               uint32_t points, char *err, size_t errlen);

/* The yearly redemption cap: `year_so_far` points redeemed this year. */
jifen_status policy_redeem_cap(const policy *p, const char *household,
                               const char *year, uint64_t year_so_far,
                               uint64_t points, char *err, size_t errlen);

#endif /* JIFEN_POLICY_H */
