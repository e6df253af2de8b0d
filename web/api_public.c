/*
 * api_public - what residents see without signing in, asked of the ledger
 * with jifen-web's own service key (an auditor key: it reads, it cannot
 * write), always masked as the notice list is.
 *
 *   GET /api/public/board?period=          the notice board (公示)
 *   GET /api/public/statement?h=&t=&period= a household's own statement,
 *        through the link the desk or the committee printed for it
 *        (links.h); a wrong or revoked token is refused like an unknown
 *        household, so links cannot be used to probe door numbers.
 *
 * Inclusion proofs against the published tree head (checked in the
 * browser) and the QR code on the passbook are the next step: issue 16's
 * queries (InclusionQuery, TreeHeadQuery) exist now; the statement already
 * lists each entry's number, which is what a proof is asked for.
 */
#include "app.h"

#include "mask.h"

#include <stdio.h>
#include <string.h>

static void board(web_ctx *c)
{
    jifen_reply cp;
    if (app_checkpoint(c, 0, &cp) != 0)
        return;
    json_t *o = app_notice_list(c);
    if (o != NULL) {
        json_object_set_new(o, "checkpoint",
                            json_string(cp.results[0].checkpoint.text));
        reply_json(c, 200, o);
    }
    jifen_reply_clear(&cp);
}

static void statement(web_ctx *c)
{
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "", t[LINK_TOKEN_LEN + 1] = "";
    char period[8] = "";
    spec_field fields[] = {
        SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
        SPEC_FIELD("t", SPEC_CODE, true, &t),
        SPEC_FIELD("period", SPEC_PERIOD, false, &period),
        SPEC_END,
    };
    spec_error e;
    if (spec_parse_args(c->req, fields, &e) != 0 ||
        !links_check(c->app->links, h, t)) {
        reply_error(c, 404, "bad_link", I18N_RES_BAD_LINK, NULL, NULL);
        return;
    }
    jifen_command cmds[2];
    memset(cmds, 0, sizeof cmds);
    cmds[0].kind = JIFEN_CMD_REPORT;
    snprintf(cmds[0].code, sizeof cmds[0].code, "statement");
    snprintf(cmds[0].household, sizeof cmds[0].household, "%s", h);
    snprintf(cmds[0].period, sizeof cmds[0].period, "%s", period);
    cmds[1].kind = JIFEN_CMD_HISTORY;
    snprintf(cmds[1].household, sizeof cmds[1].household, "%s", h);
    cmds[1].limit = 30;
    jifen_reply reply;
    if (app_call(c, cmds, 2, NULL, &reply) != 0)
        return;
    jifen_balance b = reply.results[1].balance;
    /* Masked as on the notice board: a link shown to the wrong person
     * (over a shoulder, on a shared phone) says little about who. */
    notice_mask_household(h, b.household, sizeof b.household);
    notice_mask_name(reply.results[1].balance.name, b.name, sizeof b.name);
    json_t *entries = json_array();
    for (size_t i = 0; i < reply.results[1].n_history; i++) {
        jifen_entry en = reply.results[1].history[i];
        snprintf(en.command.household, sizeof en.command.household, "%s",
                 b.household);
        en.command.name[0] = '\0';
        json_array_append_new(entries, json_entry(&en));
    }
    char shown[8];
    app_period_or_now(period, shown);
    json_t *report = json_report(reply.results[0].report);
    if (json_is_object(report)) /* its title names the door unmasked */
        json_object_set_new(report, "title", json_string(""));
    json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "period", shown, "balance",
                          json_balance(&b), "statement", report, "entries",
                          entries);
    jifen_reply_clear(&reply);
    reply_json(c, 200, o);
}

const web_route public_routes[] = {
    {"GET", "/api/public/board", false, 0, false, board},
    {"GET", "/api/public/statement", false, 0, false, statement},
    {NULL, NULL, false, 0, false, NULL},
};
