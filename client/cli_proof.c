/*
 * cli_proof.c - see cli_proof.h. Every verdict is computed here: the leaf
 * hash from the entry's stored bytes, the root from the audit path, the
 * comparison with the root a signed tree head names, the head's signature
 * with the public key the resident trusts.
 */
#include "cli_proof.h"

#include "checkpoint.h"
#include "clock.h"
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "merkle.h"
#include "qr.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DONE = 0, REFUSED = 1, USAGE = 2, FORBIDDEN = 4 };

#define PROOF_FORMAT "jifen-proof-1"

static int failure(const cli_proof_env *env, const char *kind,
                   const char *message)
{
    cli_print_failure(env->out, kind, message, NULL);
    return strcmp(kind, "usage") == 0 ? USAGE : REFUSED;
}

/* One request of queries; 0 with the reply (whose results may still be
 * refusals), or an exit code (reported). */
static int ask(const cli_proof_env *env, jifen_command *cmds, size_t n,
               jifen_reply *reply)
{
    jifen_request req = {.n_commands = n, .commands = cmds};
    return cli_request(env->out, env->call, env->ctx, &req, reply);
}

int cli_request(const cli_output *out, cli_call_fn call, void *ctx,
                const jifen_request *req, jifen_reply *reply)
{
    int rc = call(ctx, req, reply);
    if (rc != 0)
        return rc;
    if (reply->status != JIFEN_STATUS_OK ||
        reply->n_results != req->n_commands) {
        jifen_status st = reply->status;
        cli_print_refusal(out, st, reply->error);
        jifen_reply_clear(reply);
        /* a key set up wrongly is told apart, as for every command */
        return st == JIFEN_STATUS_FORBIDDEN ? FORBIDDEN : REFUSED;
    }
    return 0;
}

/* A refused result: reported, and the reply cleared. */
static int refused(const cli_proof_env *env, jifen_reply *reply,
                   const jifen_result *r)
{
    cli_print_refusal(env->out, r->status, r->error);
    jifen_reply_clear(reply);
    return r->status == JIFEN_STATUS_FORBIDDEN ? FORBIDDEN : REFUSED;
}

/* One query whose result must be OK and carry a proof: 0 with the reply
 * and *r, or an exit code (reported, reply cleared). */
static int ask_proof(const cli_proof_env *env, jifen_command *c,
                     jifen_reply *reply, const jifen_result **r)
{
    int rc = ask(env, c, 1, reply);
    if (rc != 0)
        return rc;
    *r = &reply->results[0];
    if ((*r)->status != JIFEN_STATUS_OK || !(*r)->proof)
        return refused(env, reply, *r);
    return 0;
}

/* --- the signed tree head ------------------------------------------------- */

typedef struct {
    checkpoint cp;
    const char *signature; /* "holds" or "not checked" */
} head;

/* The tree head to check against: `line` (a jifen-sth1 line), or with NULL
 * the one the daemon has covering `entry` (0: its latest). Its signature is
 * checked when a public key was given; a forged one stops everything. */
static int get_head(const cli_proof_env *env, const char *line,
                    uint64_t entry, head *h)
{
    char err[256];
    if (line == NULL) {
        jifen_command c = {.kind = JIFEN_CMD_TREE_HEAD, .entry = entry};
        jifen_reply reply;
        const jifen_result *r = NULL;
        int rc = ask_proof(env, &c, &reply, &r);
        if (rc != 0)
            return rc;
        if (r->proof->tree_head[0] == '\0') {
            jifen_reply_clear(&reply);
            cli_print_refusal(env->out, JIFEN_STATUS_NO_TREE_HEAD,
                              "no signed tree head yet covers this: the next "
                              "one is signed within checkpoint_entries "
                              "entries or checkpoint_seconds");
            return REFUSED;
        }
        snprintf(err, sizeof err, "%s", r->proof->tree_head);
        jifen_reply_clear(&reply);
        line = err;
    }
    char why[256];
    if (checkpoint_parse(&h->cp, line, why, sizeof why) != 0)
        return failure(env, "usage", why);
    if (!h->cp.has_root)
        return failure(env, "usage",
                       "a jifen-cp1 checkpoint names no Merkle root: proofs "
                       "need a signed tree head (jifen-sth1)");
    h->signature = "not checked";
    if (env->checkpoint_key) {
        uint8_t pub[CHECKPOINT_PUBLIC_LEN];
        if (checkpoint_read_public_key(env->checkpoint_key, pub, why,
                                       sizeof why) != 0)
            return failure(env, "usage", why);
        if (checkpoint_check_signature(&h->cp, pub) != 0)
            return failure(env, "forged_checkpoint",
                           "the signed tree head's signature does not hold "
                           "for this public key: it is not genuine");
        h->signature = "holds";
    }
    return 0;
}

static void head_time(const head *h, char out[32])
{
    const char *t = strchr(h->cp.text, ' ');
    t = t ? strchr(t + 1, ' ') : NULL;
    snprintf(out, 32, "%.20s", t ? t + 1 : "?");
}

static void warn_unsigned(const cli_proof_env *env, const head *h)
{
    if (strcmp(h->signature, "holds") != 0 && !env->out->json)
        fprintf(env->out->err,
                "jifen: the tree head's signature was not checked: give "
                "--checkpoint-key with the community's checkpoint.pub\n");
}

/* --- inclusion -------------------------------------------------------------- */

typedef struct {
    bool ok;
    const char *why; /* when not ok */
    merkle_hash leaf;
    jifen_entry entry; /* decoded from the stored bytes */
} inclusion_verdict;

static void check_inclusion(const jifen_tree_proof *p, uint64_t entry,
                            const head *h, inclusion_verdict *v)
{
    char err[160];
    memset(v, 0, sizeof *v);
    merkle_leaf_hash(p->stored, p->stored_len, v->leaf);
    if (p->tree_size != h->cp.entry || p->entry != entry)
        v->why = "the proof is for another entry or tree size";
    else if (codec_entry_decode(p->stored, p->stored_len, &v->entry, err,
                                sizeof err) != JIFEN_STATUS_OK ||
             v->entry.seq != entry)
        v->why = "the entry's stored bytes are not that entry";
    else if (!merkle_verify_inclusion(entry - 1, p->tree_size, v->leaf,
                                      (const merkle_hash *)p->path, p->n_path,
                                      h->cp.root))
        v->why = "the entry as the ledger holds it is not in the tree the "
                 "head signed: history was rewritten";
    else
        v->ok = true;
}

static void json_hash(json_out *w, const char *key, const uint8_t *h)
{
    char hex[2 * MERKLE_HASH_LEN + 1];
    json_out_str(w, key, hash_hex(h, MERKLE_HASH_LEN, hex, sizeof hex));
}

static void json_path(json_out *w, const char *key,
                      const uint8_t (*path)[MERKLE_HASH_LEN], size_t n)
{
    json_out *a = json_out_array(w, key);
    for (size_t i = 0; i < n; i++)
        json_hash(a, NULL, path[i]);
}

/* The fields of one inclusion proof, in the current JSON object. */
static void json_inclusion(json_out *w, const jifen_tree_proof *p,
                           const inclusion_verdict *v)
{
    char *b64 = malloc(sodium_base64_ENCODED_LEN(
        p->stored_len, sodium_base64_VARIANT_ORIGINAL));
    json_out_u64(w, "entry", p->entry);
    json_out_u64(w, "leaf_index", p->entry - 1);
    if (b64) {
        sodium_bin2base64(b64,
                          sodium_base64_ENCODED_LEN(
                              p->stored_len, sodium_base64_VARIANT_ORIGINAL),
                          p->stored, p->stored_len,
                          sodium_base64_VARIANT_ORIGINAL);
        json_out_str(w, "stored", b64);
        free(b64);
    }
    json_hash(w, "leaf_hash", v->leaf);
    json_path(w, "path", p->path, p->n_path);
    json_out_bool(w, "ok", v->ok);
    if (!v->ok)
        json_out_str(w, "problem", v->why);
}

static void json_head(json_out *w, const head *h)
{
    json_out_str(w, "format", PROOF_FORMAT);
    json_out_str(w, "tree_head", h->cp.text);
    json_out_u64(w, "tree_size", h->cp.entry);
    json_hash(w, "root", h->cp.root);
    json_out_str(w, "signature", h->signature);
}

int cli_proof_entry(const cli_proof_env *env, uint64_t entry)
{
    head h;
    int rc = get_head(env, env->checkpoint, 0, &h);
    if (rc != 0)
        return rc;
    if (entry > h.cp.entry) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "entry %" PRIu64 " is not covered by this signed tree head "
                 "(entries 1-%" PRIu64 "): wait for the next one",
                 entry, h.cp.entry);
        cli_print_refusal(env->out, JIFEN_STATUS_NO_TREE_HEAD, msg);
        return REFUSED;
    }
    jifen_command c = {.kind = JIFEN_CMD_INCLUSION, .entry = entry,
                       .tree_size = h.cp.entry};
    jifen_reply reply;
    const jifen_result *r = NULL;
    if ((rc = ask_proof(env, &c, &reply, &r)) != 0)
        return rc;
    inclusion_verdict v;
    check_inclusion(r->proof, entry, &h, &v);
    if (env->out->json) {
        json_out *w = json_out_new();
        json_out_str(w, "kind", "inclusion");
        json_head(w, &h);
        json_inclusion(w, r->proof, &v);
        json_out_print(env->out->out, &w);
    } else {
        char when[32];
        head_time(&h, when);
        if (v.ok) {
            printf("ok: entry %" PRIu64 " is in the ledger signed at %s "
                   "(%" PRIu64 " entries); signature %s\n",
                   entry, when, h.cp.entry, h.signature);
            fputs("  ", stdout);
            cli_print_entry(stdout, &v.entry);
            printf("  audit path: %zu hashes\n", r->proof->n_path);
        } else {
            printf("FAILED: entry %" PRIu64 ": %s (tree head of %s, %" PRIu64
                   " entries)\n",
                   entry, v.why, when, h.cp.entry);
        }
    }
    warn_unsigned(env, &h);
    jifen_reply_clear(&reply);
    return v.ok ? DONE : REFUSED;
}

/* --- consistency ------------------------------------------------------------ */

int cli_proof_consistency(const cli_proof_env *env, const char *old_line,
                          const char *new_line)
{
    head old, now;
    int rc = get_head(env, old_line, 0, &old);
    if (rc == 0)
        rc = get_head(env, strcmp(new_line, "latest") == 0 ? NULL : new_line,
                      0, &now);
    if (rc != 0)
        return rc;
    if (old.cp.entry > now.cp.entry)
        return failure(env, "usage",
                       "OLD covers more entries than NEW: give the older "
                       "tree head first");
    jifen_command c = {.kind = JIFEN_CMD_CONSISTENCY,
                       .old_size = old.cp.entry,
                       .tree_size = now.cp.entry};
    jifen_reply reply;
    const jifen_result *r = NULL;
    if ((rc = ask_proof(env, &c, &reply, &r)) != 0)
        return rc;
    const jifen_tree_proof *p = r->proof;
    bool ok = p->old_size == old.cp.entry && p->tree_size == now.cp.entry &&
              merkle_verify_consistency(
                  old.cp.entry, now.cp.entry, old.cp.root, now.cp.root,
                  (const merkle_hash *)p->path, p->n_path);
    char t_old[32], t_new[32];
    head_time(&old, t_old);
    head_time(&now, t_new);
    if (env->out->json) {
        json_out *w = json_out_new();
        json_out_str(w, "kind", "consistency");
        json_out_str(w, "format", PROOF_FORMAT);
        json_out_str(w, "old", old.cp.text);
        json_out_str(w, "new", now.cp.text);
        json_out_u64(w, "old_size", old.cp.entry);
        json_out_u64(w, "new_size", now.cp.entry);
        json_path(w, "path", p->path, p->n_path);
        json_out_str(w, "old_signature", old.signature);
        json_out_str(w, "new_signature", now.signature);
        json_out_bool(w, "ok", ok);
        json_out_print(env->out->out, &w);
    } else if (ok) {
        printf("ok: the ledger signed at %s (%" PRIu64 " entries) extends the "
               "one signed at %s (%" PRIu64 " entries): entries 1-%" PRIu64
               " are unchanged; signatures %s, %s\n",
               t_new, now.cp.entry, t_old, old.cp.entry, old.cp.entry,
               old.signature, now.signature);
    } else {
        printf("FAILED: the ledger signed at %s (%" PRIu64 " entries) is not "
               "an extension of the one signed at %s (%" PRIu64 " entries): "
               "history before entry %" PRIu64 " was rewritten\n",
               t_new, now.cp.entry, t_old, old.cp.entry, old.cp.entry + 1);
    }
    warn_unsigned(env, &old);
    jifen_reply_clear(&reply);
    return ok ? DONE : REFUSED;
}

/* --- a statement with a proof per entry ---------------------------------- */

int cli_proof_statement(const cli_proof_env *env, const jifen_command *report)
{
    char period[CLOCK_PERIOD_LEN + 1];
    int64_t from = 0;
    if (report->period[0])
        snprintf(period, sizeof period, "%s", report->period);
    else
        clock_period_of(clock_now_ms(), period);
    if (clock_parse_period(period, &from) != 0)
        return failure(env, "usage", "--period: not a month YYYY-MM");
    int64_t to = clock_next_month_start_ms(from);

    /* The statement, and the household's entries (the newest 1,000). */
    jifen_command q[2] = {*report,
                          {.kind = JIFEN_CMD_HISTORY,
                           .limit = JIFEN_HISTORY_MAX}};
    memcpy(q[1].household, report->household, sizeof q[1].household);
    jifen_reply rep;
    int rc = ask(env, q, 2, &rep);
    if (rc != 0)
        return rc;
    for (int i = 0; i < 2; i++)
        if (rep.results[i].status != JIFEN_STATUS_OK)
            return refused(env, &rep, &rep.results[i]);
    const jifen_result *hist = &rep.results[1];

    head h;
    if ((rc = get_head(env, env->checkpoint, 0, &h)) != 0) {
        jifen_reply_clear(&rep);
        return rc;
    }
    /* The month's entries the head covers get a proof; later ones wait for
     * the next head. Oldest first, as a statement reads. */
    size_t n = 0, later = 0;
    jifen_command *pq = calloc(hist->n_history ? hist->n_history : 1,
                               sizeof *pq);
    if (!pq) {
        jifen_reply_clear(&rep);
        return failure(env, "error", "out of memory");
    }
    for (size_t i = hist->n_history; i-- > 0;) {
        const jifen_entry *e = &hist->history[i];
        if (e->time_ms < from || e->time_ms >= to)
            continue;
        if (e->seq > h.cp.entry) {
            later++;
            continue;
        }
        pq[n++] = (jifen_command){.kind = JIFEN_CMD_INCLUSION,
                                  .entry = e->seq,
                                  .tree_size = h.cp.entry};
    }
    jifen_reply proofs = {0};
    if (n > 0 && (rc = ask(env, pq, n, &proofs)) != 0) {
        free(pq);
        jifen_reply_clear(&rep);
        return rc;
    }
    bool all_ok = true;
    json_out *w = NULL, *entries = NULL;
    if (env->out->json) {
        w = json_out_new();
        json_out_str(w, "kind", "statement");
        json_out_str(w, "household", report->household);
        json_out_str(w, "period", period);
        json_head(w, &h);
        cli_json_report(json_out_object(w, "report"), rep.results[0].report);
        entries = json_out_array(w, "entries");
    } else {
        cli_print_result(env->out, report, "", &rep.results[0]);
        char when[32];
        head_time(&h, when);
        printf("\nproofs against the tree head signed at %s (%" PRIu64
               " entries; signature %s):\n",
               when, h.cp.entry, h.signature);
    }
    for (size_t i = 0; i < n; i++) {
        const jifen_result *r = &proofs.results[i];
        inclusion_verdict v;
        if (r->status != JIFEN_STATUS_OK || !r->proof) {
            memset(&v, 0, sizeof v);
            v.why = r->error;
        } else {
            check_inclusion(r->proof, pq[i].entry, &h, &v);
        }
        all_ok = all_ok && v.ok;
        if (env->out->json && r->proof) {
            json_out *one = json_out_object(entries, NULL);
            json_out_i64(one, "time_ms", v.entry.time_ms);
            json_out_str(one, "command",
                         codec_command_name(v.entry.command.kind));
            json_inclusion(one, r->proof, &v);
        } else if (env->out->json) {
            json_out *one = json_out_object(entries, NULL);
            json_out_u64(one, "entry", pq[i].entry);
            json_out_bool(one, "ok", false);
            json_out_str(one, "problem", v.why);
        } else if (v.ok) {
            fputs("  ok      ", stdout);
            cli_print_entry(stdout, &v.entry);
        } else {
            printf("  FAILED  entry %" PRIu64 ": %s\n", pq[i].entry, v.why);
        }
    }
    if (env->out->json) {
        json_out_u64(w, "not_yet_covered", later);
        json_out_bool(w, "ok", all_ok);
        json_out_print(env->out->out, &w);
    } else {
        if (later)
            printf("  %zu later entr%s: not yet covered by a signed tree "
                   "head\n",
                   later, later == 1 ? "y" : "ies");
        printf("%s: %zu of the month's entries checked\n",
               all_ok ? "ok" : "FAILED", n);
    }
    warn_unsigned(env, &h);
    free(pq);
    jifen_reply_clear(&proofs);
    jifen_reply_clear(&rep);
    return all_ok ? DONE : REFUSED;
}

/* --- the notice sheet's QR code --------------------------------------------- */

int cli_checkpoint_picture(const cli_proof_env *env, uint64_t entry,
                           bool terminal, const char *svg, const char *png)
{
    jifen_command c = {.kind = JIFEN_CMD_CHECKPOINT, .entry = entry};
    jifen_reply reply;
    int rc = ask(env, &c, 1, &reply);
    if (rc != 0)
        return rc;
    const jifen_result *r = &reply.results[0];
    if (r->status != JIFEN_STATUS_OK)
        return refused(env, &reply, r);
    char text[JIFEN_CHECKPOINT_TEXT_MAX + 1], err[256];
    snprintf(text, sizeof text, "%s", r->checkpoint.text);
    jifen_reply_clear(&reply);
    if (!text[0]) {
        cli_print_refusal(env->out, JIFEN_STATUS_NO_TREE_HEAD,
                          "no checkpoint yet");
        return REFUSED;
    }
    printf("%s\n", text);
    if (terminal && qr_print_terminal(text, stdout, err, sizeof err) != 0)
        return failure(env, "error", err);
    if (svg && qr_write_svg(text, svg, err, sizeof err) != 0)
        return failure(env, "error", err);
    if (png && qr_write_png(text, png, 8, err, sizeof err) != 0)
        return failure(env, "error", err);
    if (svg)
        fprintf(env->out->err, "wrote %s\n", svg);
    if (png)
        fprintf(env->out->err, "wrote %s\n", png);
    return DONE;
}
