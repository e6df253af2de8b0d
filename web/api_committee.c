/*
 * api_committee - the residents' committee: households, awards,
 * deductions by a rule, and the public notice (公示).
 *
 *   POST /api/committee/household {household, name, area, request_id}
 *   POST /api/committee/award   {household, activity, points?, hours?, note?, request_id}
 *   POST /api/committee/deduct  {household, rule, points?, note, request_id}
 *   POST /api/committee/object  {entry, note, request_id}
 *   POST /api/committee/approve {entry, request_id}
 *   GET  /api/notices?period=   the notice list, masked (staff)
 *   GET  /api/policy            activities and rules in force (staff)
 */
#include "app.h"

#include <stdio.h>
#include <string.h>

static void add_household(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_HOUSEHOLD_ADD, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_TEXT_FIELD("name", false, cmd.name),
        SPEC_FIELD("area", SPEC_AREA, false, &cmd.area_centi_m2),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
        app_write(c, &cmd, id);
}

static void award(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_AWARD, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    uint64_t points = 0, hours = 0;
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_FIELD("activity", SPEC_CODE, true, &cmd.code),
        SPEC_UINT_FIELD("points", false, &points, JIFEN_POINTS_MAX),
        SPEC_UINT_FIELD("hours", false, &hours, JIFEN_HOURS_MAX),
        SPEC_TEXT_FIELD("note", false, cmd.note),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    cmd.points = (uint32_t)points;
    cmd.hours = (uint32_t)hours;
    app_write(c, &cmd, id);
}

static void deduct(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_DEDUCT, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    uint64_t points = 0;
    spec_field fields[] = {
        SPEC_FIELD("household", SPEC_HOUSEHOLD, true, &cmd.household),
        SPEC_FIELD("rule", SPEC_CODE, true, &cmd.code),
        SPEC_UINT_FIELD("points", false, &points, JIFEN_POINTS_MAX),
        SPEC_TEXT_FIELD("note", true, cmd.note),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    cmd.points = (uint32_t)points;
    app_write(c, &cmd, id);
}

static void object(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_OBJECT, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_UINT_FIELD("entry", true, &cmd.entry, UINT64_MAX),
        SPEC_TEXT_FIELD("note", true, cmd.note),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
        app_write(c, &cmd, id);
}

static void approve(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_APPROVE, "");
    char id[JIFEN_REQUEST_ID_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_UINT_FIELD("entry", true, &cmd.entry, UINT64_MAX),
        SPEC_FIELD("request_id", SPEC_REQUEST_ID, true, &id),
        SPEC_END,
    };
    if (app_parse(c, fields) == 0)
        app_write(c, &cmd, id);
}

json_t *app_notice_list(web_ctx *c)
{
    jifen_command cmd = app_command(JIFEN_CMD_NOTICES, "");
    spec_field fields[] = {
        SPEC_FIELD("period", SPEC_PERIOD, false, &cmd.period),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return NULL;
    jifen_reply reply;
    if (app_call(c, &cmd, 1, NULL, &reply) != 0)
        return NULL;
    json_t *list = json_array();
    for (size_t i = 0; i < reply.results[0].n_notices; i++)
        json_array_append_new(list, json_notice(&reply.results[0].notices[i]));
    char period[8];
    app_period_or_now(cmd.period, period);
    jifen_reply_clear(&reply);
    return json_pack("{s:s, s:o}", "period", period, "notices", list);
}

static void notices(web_ctx *c)
{
    json_t *o = app_notice_list(c);
    if (o != NULL)
        reply_json(c, 200, o);
}

static void rules(web_ctx *c)
{
    policy p;
    if (app_rules(c, &p) != 0)
        return;
    json_t *acts = json_array(), *rls = json_array();
    for (size_t i = 0; i < p.n_activities; i++) {
        const policy_activity *a = &p.activities[i];
        json_array_append_new(
            acts, json_pack("{s:s, s:s, s:I, s:b, s:I, s:I}", "code", a->code,
                            "description", a->description, "points",
                            (json_int_t)a->points, "per_hour", a->per_hour,
                            "max_hours", (json_int_t)a->max_hours,
                            "max_points", (json_int_t)a->max_points));
    }
    for (size_t i = 0; i < p.n_rules; i++) {
        const policy_rule *r = &p.rules[i];
        json_array_append_new(
            rls, json_pack("{s:s, s:s, s:I, s:I}", "code", r->code,
                           "description", r->description, "points",
                           (json_int_t)r->points, "max_points",
                           (json_int_t)r->max_points));
    }
    reply_json(c, 200,
               json_pack("{s:s, s:o, s:o, s:o, s:I}", "version", p.version,
                         "activities", acts, "rules", rls, "point_yuan",
                         json_yuan(p.fen_per_point), "max_offset_percent",
                         (json_int_t)p.max_offset_percent));
}

#define COMMITTEE ROLE_BIT(JIFEN_ROLE_COMMITTEE)

const web_route committee_routes[] = {
    {"POST", "/api/committee/household", false, COMMITTEE, true,
     add_household},
    {"POST", "/api/committee/award", false, COMMITTEE, true, award},
    {"POST", "/api/committee/deduct", false, COMMITTEE, true, deduct},
    {"POST", "/api/committee/object", false, COMMITTEE, true, object},
    {"POST", "/api/committee/approve", false, COMMITTEE, true, approve},
    {"GET", "/api/notices", false, ROLES_STAFF, false, notices},
    {"GET", "/api/policy", false, ROLES_STAFF, false, rules},
    {NULL, NULL, false, 0, false, NULL},
};
