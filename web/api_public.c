/*
 * api_public - what residents see without signing in, asked of the ledger
 * with jifen-web's own key (an auditor key: it reads, it cannot write; in
 * a service of many communities a key of the service whose scope covers
 * the communities jifen-web serves), always masked as the notice list is.
 *
 *   GET /api/public/board?community=&period=     the notice board (公示)
 *   GET /api/public/statement?community=&h=&t=&period=&tree_size=
 *        a household's own statement, through the link the desk or the
 *        committee printed for it (links.h); a wrong or revoked token, or
 *        a token of another community, is refused like an unknown
 *        household, so links cannot be used to probe door numbers
 *   GET /api/public/tree-head.svg?community=&size=
 *        the signed tree head covering `size` (0: the latest) as a QR code
 *        (common/qr.c), for the notice sheet
 *
 * A request that names no community is for the configuration's default
 * one (a link printed before communities has none).
 *
 * Proofs (docs/proofs.md): the statement carries the signed tree head, the
 * checkpoint key jifen-web was configured with, and for each entry it
 * lists that the head covers an RFC 9162 inclusion proof in the fields of
 * the CLI's jifen-proof-1 documents (leaf_index, stored, leaf_hash, path).
 * The page checks them itself (app.js: SHA-256 and Ed25519 of the
 * browser's SubtleCrypto): nothing here says "verified". A resident who
 * types the line of the notice sheet gets the proofs for that line's tree
 * size (tree_size=), so the check needs no word of this server at all.
 */
#include "app.h"

#include "checkpoint.h"
#include "mask.h"
#include "merkle.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATEMENT_ENTRIES 30u

void app_public_community(web_ctx *c, const char *given)
{
    snprintf(c->community, sizeof c->community, "%s",
             given[0] ? given : c->app->cfg.community);
}

/* A call whose refusal is no error of the page's (a name, the proofs):
 * 0 with *reply when every result is OK, else -1 and nothing replied. */
static int quiet_call(web_ctx *c, const char *community, jifen_command *cmds,
                      size_t n, jifen_reply *reply)
{
    jifen_request req = {.n_commands = n, .commands = cmds};
    snprintf(req.community, sizeof req.community, "%s", community);
    char err[256];
    if (backend_call(c->app->ledger, c->key_file, &req, reply, err,
                     sizeof err) != JIFEN_CALL_OK)
        return -1;
    bool ok = reply->status == JIFEN_STATUS_OK && reply->n_results == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = reply->results[i].status == JIFEN_STATUS_OK;
    if (!ok)
        jifen_reply_clear(reply);
    return ok ? 0 : -1;
}

/* A community's name for the page, from the community list when the key
 * may read it (a key of the service); "" otherwise (a one-community
 * service's key of its community: no name is needed there). */
static void community_name(web_ctx *c, char out[JIFEN_NAME_MAX + 1])
{
    out[0] = '\0';
    if (c->community[0] == '\0')
        return;
    jifen_command cmd = app_command(JIFEN_CMD_COMMUNITY_LIST, "");
    jifen_reply reply;
    if (quiet_call(c, "", &cmd, 1, &reply) != 0)
        return;
    for (size_t i = 0; i < reply.results[0].n_communities; i++)
        if (strcmp(reply.results[0].communities[i].code, c->community) == 0)
            snprintf(out, JIFEN_NAME_MAX + 1, "%s",
                     reply.results[0].communities[i].name);
    jifen_reply_clear(&reply);
}

/* The fields every public page has: its community and the key to check
 * signed tree heads with. */
static void set_where(web_ctx *c, json_t *o)
{
    char name[JIFEN_NAME_MAX + 1];
    community_name(c, name);
    json_object_set_new(o, "community", json_string(c->community));
    json_object_set_new(o, "community_name", json_string(name));
    json_object_set_new(o, "checkpoint_key",
                        json_string(c->app->checkpoint_key_hex));
}

static int parse_community(web_ctx *c)
{
    char code[JIFEN_COMMUNITY_MAX + 1] = "";
    spec_field fields[] = {
        SPEC_FIELD("community", SPEC_COMMUNITY, false, &code),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return -1;
    app_public_community(c, code);
    return 0;
}

static void board(web_ctx *c)
{
    if (parse_community(c) != 0)
        return;
    jifen_reply cp;
    if (app_checkpoint(c, 0, &cp) != 0)
        return;
    json_t *o = app_notice_list(c);
    if (o != NULL) {
        json_object_set_new(o, "checkpoint",
                            json_string(cp.results[0].checkpoint.text));
        set_where(c, o);
        reply_json(c, 200, o);
    }
    jifen_reply_clear(&cp);
}

static json_t *json_hex(const uint8_t *h)
{
    char hex[2 * JIFEN_HASH_LEN + 1];
    return json_string(jifen_hex(h, JIFEN_HASH_LEN, hex, sizeof hex));
}

/* One inclusion proof in the fields of a jifen-proof-1 document. */
static json_t *json_proof(const jifen_tree_proof *p)
{
    size_t cap = sodium_base64_ENCODED_LEN(p->stored_len,
                                           sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(cap);
    if (b64 == NULL)
        return json_null();
    sodium_bin2base64(b64, cap, p->stored, p->stored_len,
                      sodium_base64_VARIANT_ORIGINAL);
    merkle_hash leaf;
    merkle_leaf_hash(p->stored, p->stored_len, leaf);
    json_t *path = json_array();
    for (size_t i = 0; i < p->n_path; i++)
        json_array_append_new(path, json_hex(p->path[i]));
    json_t *o = json_pack("{s:I, s:I, s:I, s:s, s:o, s:o}", "entry",
                          (json_int_t)p->entry, "leaf_index",
                          (json_int_t)(p->entry - 1), "tree_size",
                          (json_int_t)p->tree_size, "stored", b64,
                          "leaf_hash", json_hex(leaf), "path", path);
    free(b64);
    return o;
}

/*
 * The signed tree head (covering tree_size, or the latest) and the proofs
 * of the entries it covers, into o; entries[i] gets "proof", or
 * "not_yet_covered". The statement stands without them: no head yet, or
 * a ledger keeping no tree, gives tree_head "" (the page says so); proofs
 * the ledger refuses leave their entries without one, which the page
 * shows as not verified, never as verified.
 */
static void add_proofs(web_ctx *c, json_t *o, json_t *entries,
                       const jifen_entry *history, size_t n, uint64_t size)
{
    jifen_command th = app_command(JIFEN_CMD_TREE_HEAD, "");
    th.entry = size;
    jifen_reply head;
    checkpoint cp;
    char why[200];
    bool have = false;
    if (quiet_call(c, c->community, &th, 1, &head) == 0) {
        have = head.results[0].proof != NULL &&
               checkpoint_parse(&cp, head.results[0].proof->tree_head, why,
                                sizeof why) == 0 &&
               cp.has_root;
        jifen_reply_clear(&head);
    }
    json_object_set_new(o, "tree_head", json_string(have ? cp.text : ""));
    if (!have)
        return;
    /* Against the line the resident typed when they gave its size. */
    uint64_t against = size ? size : cp.entry;
    json_object_set_new(o, "format", json_string("jifen-proof-1"));
    json_object_set_new(o, "tree_size", json_integer((json_int_t)against));
    jifen_command cmds[STATEMENT_ENTRIES];
    size_t k = 0, at[STATEMENT_ENTRIES];
    for (size_t i = 0; i < n && k < STATEMENT_ENTRIES; i++) {
        if (history[i].seq > against) {
            json_object_set_new(json_array_get(entries, i), "not_yet_covered",
                                json_true());
            continue;
        }
        cmds[k] = app_command(JIFEN_CMD_INCLUSION, "");
        cmds[k].entry = history[i].seq;
        cmds[k].tree_size = against;
        at[k++] = i;
    }
    jifen_reply proofs;
    if (k == 0 || quiet_call(c, c->community, cmds, k, &proofs) != 0)
        return;
    for (size_t j = 0; j < k; j++)
        if (proofs.results[j].proof != NULL)
            json_object_set_new(json_array_get(entries, at[j]), "proof",
                                json_proof(proofs.results[j].proof));
    jifen_reply_clear(&proofs);
}

static void statement(web_ctx *c)
{
    char code[JIFEN_COMMUNITY_MAX + 1] = "";
    char h[JIFEN_HOUSEHOLD_MAX + 1] = "", t[LINK_TOKEN_LEN + 1] = "";
    char period[8] = "";
    uint64_t tree_size = 0;
    spec_field fields[] = {
        SPEC_FIELD("community", SPEC_COMMUNITY, false, &code),
        SPEC_FIELD("h", SPEC_HOUSEHOLD, true, &h),
        SPEC_FIELD("t", SPEC_CODE, true, &t),
        SPEC_FIELD("period", SPEC_PERIOD, false, &period),
        SPEC_UINT_FIELD("tree_size", false, &tree_size, UINT64_MAX),
        SPEC_END,
    };
    spec_error e;
    /* The token binds the community the link names (none: the form of
     * before communities, for the default community only). */
    if (spec_parse_args(c->req, fields, &e) != 0 ||
        !links_check_in(c->app->links, code, h, t)) {
        reply_error(c, 404, "bad_link", I18N_RES_BAD_LINK, NULL, NULL);
        return;
    }
    app_public_community(c, code);
    jifen_command cmds[2];
    memset(cmds, 0, sizeof cmds);
    cmds[0].kind = JIFEN_CMD_REPORT;
    snprintf(cmds[0].code, sizeof cmds[0].code, "statement");
    snprintf(cmds[0].household, sizeof cmds[0].household, "%s", h);
    snprintf(cmds[0].period, sizeof cmds[0].period, "%s", period);
    cmds[1].kind = JIFEN_CMD_HISTORY;
    snprintf(cmds[1].household, sizeof cmds[1].household, "%s", h);
    cmds[1].limit = STATEMENT_ENTRIES;
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
    /* The proofs are of the entries as stored, unmasked: a resident's own
     * entries, which their link already shows. */
    add_proofs(c, o, entries, reply.results[1].history,
               reply.results[1].n_history, tree_size);
    jifen_reply_clear(&reply);
    set_where(c, o);
    reply_json(c, 200, o);
}

static void tree_head_qr(web_ctx *c)
{
    char code[JIFEN_COMMUNITY_MAX + 1] = "";
    uint64_t size = 0;
    spec_field fields[] = {
        SPEC_FIELD("community", SPEC_COMMUNITY, false, &code),
        SPEC_UINT_FIELD("size", false, &size, UINT64_MAX),
        SPEC_END,
    };
    if (app_parse(c, fields) != 0)
        return;
    app_public_community(c, code);
    jifen_reply cp;
    if (app_checkpoint(c, size, &cp) != 0)
        return;
    char text[JIFEN_CHECKPOINT_TEXT_MAX + 1];
    snprintf(text, sizeof text, "%s", cp.results[0].checkpoint.text);
    jifen_reply_clear(&cp);
    if (text[0] == '\0') {
        reply_refusal(c, JIFEN_STATUS_NO_TREE_HEAD, "no checkpoint yet");
        return;
    }
    app_reply_qr(c, text);
}

const web_route public_routes[] = {
    {"GET", "/api/public/board", false, 0, false, board},
    {"GET", "/api/public/statement", false, 0, false, statement},
    {"GET", "/api/public/tree-head.svg", false, 0, false, tree_head_qr},
    {NULL, NULL, false, 0, false, NULL},
};
