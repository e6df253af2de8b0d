/*
 * cli_output.c - human lines and JSON objects for the jifen CLI.
 *
 * The JSON is built with json_out (jansson behind it). Amounts stay
 * integers in JSON (fen, points); only the human form shows yuan.
 */
#include "cli_output.h"

#include "calendar.h"
#include "cli_committee.h"
#include "json_out.h"
#include "codec.h"
#include "csv.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* --- shared pieces -------------------------------------------------------- */

static const char *result_status_name(const jifen_result *r)
{
    return r->status == JIFEN_STATUS_EXISTS ? "exists" : "ok";
}

/* The balance's fields, into o. */
static void json_balance(json_out *o, const jifen_balance *b)
{
    json_out_str(o, "household", b->household);
    json_out_str(o, "name", b->name);
    json_out_i64(o, "points", b->points);
    json_out_i64(o, "fee_due_fen", b->fee_due_fen);
    json_out_u64(o, "area_centi_m2", b->area_centi_m2);
    json_out_i64(o, "pending_points", b->pending_points);
}

/* "128.50 yuan" owed, or "prepaid 10.00 yuan" when the household paid
 * ahead: a negative "fee due" reads like a mistake at a front desk. */
static void print_fee(FILE *f, int64_t fee_due_fen)
{
    char yuan[32];
    if (fee_due_fen < 0) /* the sign dropped: -fee_due_fen may not fit */
        fprintf(f, "prepaid %s yuan",
                jifen_format_yuan(fee_due_fen, yuan, sizeof yuan) + 1);
    else
        fprintf(f, "fee due %s yuan",
                jifen_format_yuan(fee_due_fen, yuan, sizeof yuan));
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static void print_balance_tail(FILE *f, const jifen_balance *b)
{
    fprintf(f, "%" PRId64 " point%s, ", b->points,
            plural((uint64_t)b->points));
    if (b->pending_points != 0)
        fprintf(f, "%" PRId64 " under public notice, ", b->pending_points);
    print_fee(f, b->fee_due_fen);
}

/* An asset amount for people: points as a count, fen as yuan. */
static void print_asset_amount(FILE *f, jifen_asset asset, uint64_t amount)
{
    char yuan[32];
    if (asset == JIFEN_ASSET_FEE)
        fprintf(f, "%s yuan",
                jifen_format_yuan((int64_t)amount, yuan, sizeof yuan));
    else
        fprintf(f, "%" PRIu64 " point%s", amount, plural(amount));
}

/* A note with a line break in it must not split a history line, which
 * scripts and eyes both read as one entry. */
static void print_one_line(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 ? ' ' : *p, f);
}

/* --- writes --------------------------------------------------------------- */

/* Issue 15: ", member 王奶奶, by proxy 王小明". */
static void print_acting(FILE *f, const char *member, const char *proxy)
{
    if (member[0]) {
        fputs(", member ", f);
        print_one_line(f, member);
    }
    if (proxy[0]) {
        fputs(", by proxy ", f);
        print_one_line(f, proxy);
    }
}

/* The middle of "entry 42: awarded 3 points to 3-2-501 (volunteer)". */
static void describe_write(FILE *f, const jifen_command *c,
                           const jifen_result *r)
{
    char yuan[32];

    switch (c->kind) {
    case JIFEN_CMD_HOUSEHOLD_ADD:
        fprintf(f, "registered household %s", c->household);
        if (c->name[0] != '\0')
            fprintf(f, " (%s)", c->name);
        if (c->area_centi_m2 != 0)
            fprintf(f, ", %s m2",
                    jifen_format_yuan(c->area_centi_m2, yuan, sizeof yuan));
        break;
    case JIFEN_CMD_AWARD:
        fprintf(f, "awarded %" PRIu64 " point%s to %s (%s)", r->points,
                plural(r->points), c->household, c->code);
        print_acting(f, c->member, c->proxy);
        break;
    case JIFEN_CMD_DEDUCT:
        fprintf(f, "deducted %" PRIu64 " point%s from %s (%s)", r->points,
                plural(r->points), c->household, c->code);
        break;
    case JIFEN_CMD_BILL:
        fprintf(f, "billed %s %s yuan for %s", c->household,
                jifen_format_yuan((int64_t)c->amount, yuan, sizeof yuan),
                c->period);
        break;
    case JIFEN_CMD_PAY:
        fprintf(f, "received %s yuan from %s",
                jifen_format_yuan((int64_t)c->amount, yuan, sizeof yuan),
                c->household);
        if (c->channel > JIFEN_CHANNEL_CASH)
            fprintf(f, " by %s (%s)", jifen_channel_name(c->channel),
                    c->reference);
        if (r->receipt_no)
            fprintf(f, ", receipt No. %08" PRIu64, r->receipt_no);
        break;
    case JIFEN_CMD_REFUND:
        fprintf(f, "refunded %s yuan to %s by %s",
                jifen_format_yuan((int64_t)c->amount, yuan, sizeof yuan),
                c->household, jifen_channel_name(c->channel));
        if (c->reference[0])
            fprintf(f, " (%s)", c->reference);
        break;
    case JIFEN_CMD_HOUSEHOLD_SET:
        if (c->code[0])
            fprintf(f, "%s has %" PRIu32 " of %s", c->household, c->points,
                    c->code);
        else
            fprintf(f, "%s has %s m2", c->household,
                    jifen_format_yuan(c->area_centi_m2, yuan, sizeof yuan));
        break;
    case JIFEN_CMD_REDEEM:
        fprintf(f, "redeemed %" PRIu64 " point%s of %s for %s yuan of fees",
                r->points, plural(r->points), c->household,
                jifen_format_yuan((int64_t)r->offset_fen, yuan, sizeof yuan));
        break;
    case JIFEN_CMD_REVERSE:
        fprintf(f, "reversed entry %" PRIu64, c->entry);
        break;
    case JIFEN_CMD_KEY_ENROL:
        fprintf(f, "enrolled key %s as %s (", c->key, jifen_role_name(c->role));
        print_one_line(f, c->name);
        fputc(')', f);
        break;
    case JIFEN_CMD_KEY_REVOKE:
        fprintf(f, "revoked key %s", c->key);
        break;
    case JIFEN_CMD_OBJECT:
        fprintf(f, "voided award %" PRIu64 " (%" PRIu64 " point%s) on "
                   "objection",
                c->entry, r->points, plural(r->points));
        break;
    case JIFEN_CMD_APPROVE:
        fprintf(f, "approved award %" PRIu64, c->entry);
        break;
    case JIFEN_CMD_SETTLE:
        fprintf(f, "the funder paid %s yuan for redeemed points",
                jifen_format_yuan((int64_t)c->amount, yuan, sizeof yuan));
        break;
    case JIFEN_CMD_POLICY_LOAD:
        if (r->n_rule_sets == 1)
            fprintf(f, "rule set %s adopted, in force from %s (%s)",
                    r->rule_sets[0].version, r->rule_sets[0].effective,
                    r->rule_sets[0].resolution[0] ? r->rule_sets[0].resolution
                                                  : "no resolution given");
        else
            fputs("rule set adopted", f);
        break;
    case JIFEN_CMD_COMMUNITY_CREATE:
        fprintf(f, "created community %s (", c->community);
        print_one_line(f, c->name);
        fputc(')', f);
        if (c->street[0] != '\0')
            fprintf(f, " in street %s", c->street);
        break;
    case JIFEN_CMD_COMMUNITY_CLOSE:
        fprintf(f, "closed community %s; its ledger stays readable",
                c->community);
        break;
    default:
        fputs(codec_command_name(c->kind), f);
    }
}

static void format_local_time(int64_t time_ms, char *buf, size_t len);

static void print_write_human(FILE *f, const jifen_command *c,
                              const jifen_result *r)
{
    fprintf(f, "entry %" PRIu64 ": ", r->entry);
    describe_write(f, c, r);
    if (r->notice_ends_ms != 0) {
        char when[48];
        format_local_time(r->notice_ends_ms, when, sizeof when);
        fprintf(f, ", under public notice until %s%s", when,
                r->needs_approval ? " and a second approval" : "");
    }
    if (r->suspended_until_ms != 0) {
        char when[48];
        format_local_time(r->suspended_until_ms, when, sizeof when);
        fprintf(f, ", redemption suspended until %s", when);
    }
    if (r->has_balance) {
        fputs("; balance ", f);
        print_balance_tail(f, &r->balance);
    }
    if (r->status == JIFEN_STATUS_EXISTS)
        fputs(" (already recorded; this retry changed nothing)", f);
    fputc('\n', f);
}

/* Which of the optional result figures a command's JSON carries. */
static bool moves_points(jifen_command_kind k)
{
    return k == JIFEN_CMD_AWARD || k == JIFEN_CMD_DEDUCT ||
           k == JIFEN_CMD_REDEEM || k == JIFEN_CMD_GOODS_REDEEM ||
           k == JIFEN_CMD_OPENING;
}

/* Issue 15: the supermarket's writes say what is left in stock. */
static bool tells_stock(jifen_command_kind k)
{
    return k == JIFEN_CMD_ITEM_SET || k == JIFEN_CMD_STOCK_CHANGE ||
           k == JIFEN_CMD_GOODS_REDEEM;
}

static void print_write_json(FILE *f, const jifen_command *c,
                             const char *request_id, const jifen_result *r)
{
    json_out *o = json_out_new();
    json_out_str(o, "status", result_status_name(r));
    json_out_u64(o, "entry", r->entry);
    json_out_str(o, "request_id", request_id);
    json_out_postings(o, r->postings, r->n_postings);
    if (moves_points(c->kind))
        json_out_u64(o, "points", r->points);
    if (c->kind == JIFEN_CMD_REDEEM)
        json_out_u64(o, "offset_fen", r->offset_fen);
    if (r->receipt_no)
        json_out_u64(o, "receipt", r->receipt_no);
    if (tells_stock(c->kind) && !(c->kind == JIFEN_CMD_ITEM_SET && c->flag))
        json_out_i64(o, "stock_left", r->stock_left);
    if (r->suspended_until_ms != 0)
        json_out_i64(o, "suspended_until_ms", r->suspended_until_ms);
    if (r->notice_ends_ms != 0) {
        json_out_i64(o, "notice_ends_ms", r->notice_ends_ms);
        json_out_bool(o, "needs_approval", r->needs_approval);
    }
    if (r->has_balance)
        json_balance(json_out_object(o, "balance"), &r->balance);
    if (c->kind == JIFEN_CMD_POLICY_LOAD && r->n_rule_sets == 1) {
        json_out_str(o, "version", r->rule_sets[0].version);
        json_out_str(o, "effective", r->rule_sets[0].effective);
        json_out_str(o, "resolution", r->rule_sets[0].resolution);
    }
    json_out_print(f, &o);
}

/* --- queries -------------------------------------------------------------- */

static void print_balance_human(FILE *f, const jifen_balance *b)
{
    char area[32];

    fputs(b->household, f);
    if (b->name[0] != '\0' || b->area_centi_m2 != 0) {
        fputs(" (", f);
        if (b->name[0] != '\0') {
            print_one_line(f, b->name);
            fputs(b->area_centi_m2 != 0 ? ", " : "", f);
        }
        if (b->area_centi_m2 != 0)
            fprintf(f, "%s m2",
                    jifen_format_yuan(b->area_centi_m2, area, sizeof area));
        fputc(')', f);
    }
    fputs(": ", f);
    print_balance_tail(f, b);
    fputc('\n', f);
}

/* A time for people: Asia/Shanghai, the community's zone, whatever TZ
 * the machine running the CLI has (common/calendar.h), RFC 3339 with its
 * offset so that it is never ambiguous. */
static void format_local_time(int64_t time_ms, char *buf, size_t len)
{
    char text[CLOCK_TIME_LEN + 1];
    if (clock_time_text(time_ms, text) == 0)
        snprintf(buf, len, "%s", text);
    else
        snprintf(buf, len, "@%" PRId64 "ms", time_ms);
}

/* "award volunteer", "bill 2024-05", "reverse of 42". */
static void print_entry_command(FILE *f, const jifen_entry *e)
{
    const jifen_command *c = &e->command;

    fputs(codec_command_name(c->kind), f);
    if (c->code[0] != '\0')
        fprintf(f, " %s", c->code);
    if (c->kind == JIFEN_CMD_BILL)
        fprintf(f, " %s", c->period);
    if (e->reverses != 0)
        fprintf(f, " of entry %" PRIu64, e->reverses);
}

void cli_print_entry(FILE *f, const jifen_entry *e)
{
    char when[48];

    format_local_time(e->time_ms, when, sizeof when);
    fprintf(f, "%" PRIu64 "  %s  ", e->seq, when);
    print_entry_command(f, e);
    for (size_t i = 0; i < e->n_postings; i++) {
        const jifen_posting *p = &e->postings[i];
        fprintf(f, "%s %s -> %s ", i == 0 ? ":" : ",", p->debit, p->credit);
        print_asset_amount(f, p->asset, p->amount);
    }
    print_acting(f, e->command.member, e->command.proxy);
    fprintf(f, "  by %s", e->author[0] != '\0' ? e->author : "?");
    if (e->policy[0] != '\0')
        fprintf(f, "  rules %s", e->policy);
    if (e->command.note[0] != '\0') {
        fputs("  \"", f);
        print_one_line(f, e->command.note);
        fputc('"', f);
    }
    fputc('\n', f);
}

static void print_history_human(FILE *f, const char *household,
                                const jifen_result *r)
{
    if (r->n_history == 0) {
        fprintf(f, "no entries for %s\n", household);
        return;
    }
    for (size_t i = 0; i < r->n_history; i++)
        cli_print_entry(f, &r->history[i]);
}

static void print_history_json(FILE *f, const char *household,
                               const jifen_result *r)
{
    json_out *o = json_out_new();
    json_out_str(o, "household", household);
    json_out *list = json_out_array(o, "entries");
    for (size_t i = 0; i < r->n_history; i++) {
        const jifen_entry *e = &r->history[i];
        json_out *j = json_out_object(list, NULL);
        json_out_u64(j, "entry", e->seq);
        json_out_i64(j, "time_ms", e->time_ms);
        json_out_str(j, "command", codec_command_name(e->command.kind));
        json_out_str(j, "request_id", e->request_id);
        json_out_str(j, "author", e->author);
        json_out_str(j, "note", e->command.note);
        json_out_postings(j, e->postings, e->n_postings);
        json_out_u64(j, "reverses", e->reverses);
        json_out_str(j, "policy", e->policy); /* the rule set it was under */
        if (e->command.member[0]) /* issue 15 */
            json_out_str(j, "member", e->command.member);
        if (e->command.proxy[0]) {
            json_out_str(j, "proxy", e->command.proxy);
            json_out_u64(j, "proxy_consent", e->proxy_consent);
        }
    }
    json_out_print(f, &o);
}

static void print_verify(const cli_output *o, const jifen_verify_report *v)
{
    char head[2 * JIFEN_HASH_LEN + 1];

    jifen_hex(v->head, sizeof v->head, head, sizeof head);
    if (o->json) {
        json_out *j = json_out_new();
        json_out_bool(j, "ok", v->ok);
        json_out_u64(j, "entries", v->entries);
        json_out_str(j, "head", head);
        json_out_str(j, "problem", v->problem);
        json_out_u64(j, "bad_entry", v->bad_entry);
        json_out_print(o->out, &j);
    } else if (v->ok) {
        fprintf(o->out, "ok: %" PRIu64 " entries, head %s\n", v->entries, head);
    } else {
        fprintf(o->out, "FAILED at entry %" PRIu64 ": %s\n", v->bad_entry,
                v->problem);
    }
}

/* --- operations queries -------------------------------------------------- */

static void print_stats(const cli_output *o, const jifen_stats *s)
{
    if (o->json) {
        json_out *j = json_out_new();
#define STAT(f) json_out_u64(j, #f, s->f);
        STAT(entries) STAT(commits) STAT(requests) STAT(write_requests)
        STAT(batch_avg_milli) STAT(batch_max) STAT(commit_p50_us)
        STAT(commit_p90_us) STAT(commit_p99_us) STAT(commit_max_us)
        STAT(map_bytes) STAT(map_used_bytes) STAT(uptime_s) STAT(peers)
        STAT(replica_lag)
#undef STAT
        json_out_print(o->out, &j);
        return;
    }
    fprintf(o->out,
            "entries      %" PRIu64 "\n"
            "requests     %" PRIu64 " (%" PRIu64 " writes) from %" PRIu64
            " connections, up %" PRIu64 " s\n"
            "commits      %" PRIu64 ", %" PRIu64 ".%03" PRIu64
            " requests per commit on average, at most %" PRIu64 "\n"
            "commit time  p50 %" PRIu64 " us, p90 %" PRIu64 " us, p99 %" PRIu64
            " us, max %" PRIu64 " us\n"
            "map          %" PRIu64 " KiB used of %" PRIu64 " KiB\n",
            s->entries, s->requests, s->write_requests, s->peers, s->uptime_s,
            s->commits, s->batch_avg_milli / 1000, s->batch_avg_milli % 1000,
            s->batch_max, s->commit_p50_us, s->commit_p90_us, s->commit_p99_us,
            s->commit_max_us, s->map_used_bytes >> 10, s->map_bytes >> 10);
    if (s->replica_lag)
        fprintf(o->out, "replica      %" PRIu64 " entries behind the primary\n",
                s->replica_lag);
}

static void print_checkpoint(const cli_output *o,
                             const jifen_checkpoint_report *c)
{
    char hash[2 * JIFEN_HASH_LEN + 1] = "";
    if (c->has_entry_hash)
        jifen_hex(c->entry_hash, sizeof c->entry_hash, hash, sizeof hash);
    if (o->json) {
        json_out *j = json_out_new();
        json_out_str(j, "checkpoint", c->text);
        json_out_u64(j, "entry", c->entry);
        json_out_str(j, "entry_hash", hash);
        json_out_print(o->out, &j);
    } else if (c->text[0]) {
        fprintf(o->out, "%s\n", c->text);
    } else {
        fprintf(o->out, "no checkpoint covers entry %" PRIu64 " yet\n",
                c->entry);
    }
}

void cli_print_verify_checkpoint(const cli_output *o,
                                 const jifen_verify_report *v, bool cp_ok,
                                 const char *cp_message)
{
    if (!o->json) {
        print_verify(o, v);
        fprintf(o->out, "checkpoint: %s%s\n", cp_ok ? "ok, " : "FAILED: ",
                cp_message);
        return;
    }
    char head[2 * JIFEN_HASH_LEN + 1];
    jifen_hex(v->head, sizeof v->head, head, sizeof head);
    json_out *j = json_out_new();
    json_out_bool(j, "ok", v->ok && cp_ok);
    json_out_bool(j, "chain_ok", v->ok);
    json_out_u64(j, "entries", v->entries);
    json_out_str(j, "head", head);
    json_out_str(j, "problem", v->problem);
    json_out_bool(j, "checkpoint_ok", cp_ok);
    json_out_str(j, "checkpoint", cp_message);
    json_out_print(o->out, &j);
}

static void print_key_human(FILE *f, const jifen_key_info *k)
{
    fprintf(f, "%s  %-9s  ", k->key, jifen_role_name(k->role));
    print_one_line(f, k->label);
    fprintf(f, "  enrolled by entry %" PRIu64, k->enrolled_entry);
    if (k->all_communities)
        fputs(", all communities", f);
    else if (k->street[0] != '\0')
        fprintf(f, ", communities of street %s", k->street);
    else if (k->communities[0] != '\0')
        fprintf(f, ", communities %s", k->communities);
    if (k->revoked)
        fprintf(f, ", REVOKED by entry %" PRIu64, k->revoked_entry);
    fputc('\n', f);
}

static void print_keys(const cli_output *o, const jifen_result *r)
{
    if (!o->json) {
        for (size_t i = 0; i < r->n_keys; i++)
            print_key_human(o->out, &r->keys[i]);
        return;
    }
    json_out *j = json_out_new();
    json_out *list = json_out_array(j, "keys");
    for (size_t i = 0; i < r->n_keys; i++) {
        const jifen_key_info *k = &r->keys[i];
        json_out *e = json_out_object(list, NULL);
        json_out_str(e, "public_key", k->key);
        json_out_str(e, "role", jifen_role_name(k->role));
        json_out_str(e, "label", k->label);
        json_out_bool(e, "revoked", k->revoked);
        json_out_u64(e, "enrolled_entry", k->enrolled_entry);
        json_out_u64(e, "revoked_entry", k->revoked_entry);
        if (k->all_communities || k->street[0] || k->communities[0]) {
            json_out *scope = json_out_object(e, "scope");
            json_out_bool(scope, "all_communities", k->all_communities);
            json_out_str(scope, "street", k->street);
            json_out_str(scope, "communities", k->communities);
        }
    }
    json_out_print(o->out, &j);
}

/* --- rule sets ------------------------------------------------------------- */

static void print_rule_sets_json(FILE *f, const jifen_result *r)
{
    json_out *o = json_out_new();
    json_out *list = json_out_array(o, "rule_sets");
    for (size_t i = 0; i < r->n_rule_sets; i++) {
        const jifen_rule_set *s = &r->rule_sets[i];
        json_out *e = json_out_object(list, NULL);
        json_out_str(e, "version", s->version);
        json_out_str(e, "effective", s->effective);
        json_out_str(e, "resolution", s->resolution);
        json_out_bool(e, "in_force", s->in_force);
        if (s->text != NULL)
            json_out_str(e, "text", s->text);
    }
    json_out_print(f, &o);
}

/* `policy list`: one line each, * marking the one in force; `policy show`:
 * the rule set as a file, which jifend --policy would load as it is. */
static void print_rule_sets_human(FILE *f, const jifen_result *r)
{
    for (size_t i = 0; i < r->n_rule_sets; i++) {
        const jifen_rule_set *s = &r->rule_sets[i];
        if (s->text != NULL) {
            fprintf(f, "# rule set %s%s\n%s", s->version,
                    s->in_force ? " (in force now)" : "", s->text);
            continue;
        }
        fprintf(f, "%c %-24s from %-14s %s\n", s->in_force ? '*' : ' ',
                s->version, s->effective[0] ? s->effective : "the beginning",
                s->resolution);
    }
}

/* --- the notice list (公示) ------------------------------------------------ */

static void print_notices_json(FILE *f, const jifen_command *c,
                               const jifen_result *r)
{
    json_out *o = json_out_new();
    json_out_str(o, "period", c->period);
    json_out *list = json_out_array(o, "notices");
    for (size_t i = 0; i < r->n_notices; i++) {
        const jifen_notice *n = &r->notices[i];
        json_out *e = json_out_object(list, NULL);
        json_out_u64(e, "entry", n->entry);
        json_out_i64(e, "time_ms", n->time_ms);
        json_out_str(e, "household", n->household);
        json_out_str(e, "name", n->name);
        json_out_str(e, "activity", n->activity);
        json_out_u64(e, "points", n->points);
        json_out_str(e, "state", n->state);
        json_out_i64(e, "ends_ms", n->ends_ms);
        json_out_bool(e, "needs_approval", n->needs_approval);
        json_out_bool(e, "approved", n->approved);
        json_out_u64(e, "decided_by", n->decided_by);
    }
    json_out_print(f, &o);
}

/* The same for a spreadsheet: times as Unix ms, as in --json. */
static void print_notices_csv(FILE *f, const jifen_result *r)
{
    fputs("entry,time_ms,household,name,activity,points,state,ends_ms,"
          "needs_approval,approved,decided_by\r\n",
          f);
    for (size_t i = 0; i < r->n_notices; i++) {
        const jifen_notice *n = &r->notices[i];
        fprintf(f, "%" PRIu64 ",%" PRId64 ",", n->entry, n->time_ms);
        csv_cell(f, n->household);
        fputc(',', f);
        csv_cell(f, n->name);
        fputc(',', f);
        csv_cell(f, n->activity);
        fprintf(f, ",%" PRIu64 ",", n->points);
        csv_cell(f, n->state);
        fprintf(f, ",%" PRId64 ",%s,%s,%" PRIu64 "\r\n", n->ends_ms,
                n->needs_approval ? "true" : "false",
                n->approved ? "true" : "false", n->decided_by);
    }
}

/* What a notice board shows: masked door and name, what for, how much,
 * and where the notice stands. */
static void print_notices_human(FILE *f, const jifen_result *r)
{
    if (r->n_notices == 0) {
        fputs("no awards under public notice in this month\n", f);
        return;
    }
    fprintf(f, "%-6s %-16s %-12s %-10s %-16s %6s  %s\n", "entry", "made",
            "household", "name", "activity", "points", "state");
    for (size_t i = 0; i < r->n_notices; i++) {
        const jifen_notice *n = &r->notices[i];
        char made[48], ends[48];
        format_local_time(n->time_ms, made, sizeof made);
        format_local_time(n->ends_ms, ends, sizeof ends);
        fprintf(f, "%-6" PRIu64 " %-16.16s %-12s %-10s %-16s %6" PRIu64 "  %s",
                n->entry, made, n->household, n->name, n->activity,
                n->points, n->state);
        if (strcmp(n->state, "pending") == 0)
            fprintf(f, " until %.16s%s", ends,
                    n->needs_approval && !n->approved
                        ? ", needs a second approval"
                        : "");
        else
            fprintf(f, " by entry %" PRIu64, n->decided_by);
        fputc('\n', f);
    }
}

/* --- reports ----------------------------------------------------------------- */

/* A cell that is a whole number is written as a JSON number. */
static bool is_integer(const char *s)
{
    const char *p = s + (*s == '-');
    if (*p == '\0')
        return false;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

void cli_json_report(json_out *o, const jifen_report *r)
{
    json_out_str(o, "title", r->title);
    json_out *rows = json_out_array(o, "rows");
    for (size_t i = 0; i < r->n_rows; i++) {
        json_out *row = json_out_object(rows, NULL);
        for (size_t j = 0; j < r->n_columns; j++) {
            const char *cell = r->rows[i].cells[j];
            if (is_integer(cell))
                json_out_i64(row, r->columns[j], strtoll(cell, NULL, 10));
            else
                json_out_str(row, r->columns[j], cell);
        }
    }
}

static void print_report_json(FILE *f, const jifen_report *r)
{
    json_out *o = json_out_new();
    cli_json_report(o, r);
    json_out_print(f, &o);
}

static void csv_line(FILE *f, const char (*cells)[JIFEN_REPORT_CELL_MAX + 1],
                     size_t n)
{
    for (size_t j = 0; j < n; j++) {
        if (j)
            fputc(',', f);
        csv_cell(f, cells[j]);
    }
    fputs("\r\n", f);
}

static void print_report_csv(FILE *f, const jifen_report *r)
{
    csv_line(f, r->columns, r->n_columns);
    for (size_t i = 0; i < r->n_rows; i++)
        csv_line(f, r->rows[i].cells, r->n_columns);
}

static void print_report_human(FILE *f, const jifen_report *r)
{
    size_t width[JIFEN_REPORT_COLUMNS_MAX];
    for (size_t j = 0; j < r->n_columns; j++) {
        width[j] = strlen(r->columns[j]);
        for (size_t i = 0; i < r->n_rows; i++)
            if (strlen(r->rows[i].cells[j]) > width[j])
                width[j] = strlen(r->rows[i].cells[j]);
    }
    fprintf(f, "%s\n", r->title);
    for (size_t j = 0; j < r->n_columns; j++)
        fprintf(f, j ? "  %*s" : "%-*s", (int)width[j], r->columns[j]);
    fputc('\n', f);
    for (size_t i = 0; i < r->n_rows; i++) {
        for (size_t j = 0; j < r->n_columns; j++)
            fprintf(f, j ? "  %*s" : "%-*s", (int)width[j],
                    r->rows[i].cells[j]);
        fputc('\n', f);
    }
}

/* --- the service's communities -------------------------------------------- */

static void print_communities_json(FILE *f, const jifen_result *r)
{
    json_out *o = json_out_new();
    json_out *list = json_out_array(o, "communities");
    for (size_t i = 0; i < r->n_communities; i++) {
        const jifen_community *c = &r->communities[i];
        json_out *e = json_out_object(list, NULL);
        json_out_str(e, "code", c->code);
        json_out_str(e, "name", c->name);
        json_out_str(e, "street", c->street);
        json_out_bool(e, "closed", c->closed);
        json_out_u64(e, "created_entry", c->created_entry);
        if (c->closed)
            json_out_u64(e, "closed_entry", c->closed_entry);
        json_out_u64(e, "entries", c->entries);
    }
    json_out_print(f, &o);
}

static void print_communities_csv(FILE *f, const jifen_result *r)
{
    fputs("code,name,street,closed,created_entry,closed_entry,entries\n", f);
    for (size_t i = 0; i < r->n_communities; i++) {
        const jifen_community *c = &r->communities[i];
        csv_cell(f, c->code);
        fputc(',', f);
        csv_cell(f, c->name);
        fputc(',', f);
        csv_cell(f, c->street);
        fprintf(f, ",%s,%" PRIu64 ",", c->closed ? "yes" : "no",
                c->created_entry);
        if (c->closed)
            fprintf(f, "%" PRIu64, c->closed_entry);
        fprintf(f, ",%" PRIu64 "\n", c->entries);
    }
}

static void print_communities_human(FILE *f, const jifen_result *r)
{
    if (r->n_communities == 0) {
        fputs("no communities\n", f);
        return;
    }
    for (size_t i = 0; i < r->n_communities; i++) {
        const jifen_community *c = &r->communities[i];
        fprintf(f, "%-16s ", c->code);
        print_one_line(f, c->name[0] != '\0' ? c->name : "-");
        fprintf(f, "  street %s, %" PRIu64 " entr%s",
                c->street[0] != '\0' ? c->street : "-", c->entries,
                c->entries == 1 ? "y" : "ies");
        if (c->closed)
            fprintf(f, ", closed at service entry %" PRIu64, c->closed_entry);
        fputc('\n', f);
    }
}

/* --- entry points --------------------------------------------------------- */

void cli_print_result(const cli_output *o, const jifen_command *cmd,
                      const char *request_id, const jifen_result *r)
{
    switch (cmd->kind) {
    case JIFEN_CMD_BALANCE:
        if (o->json) {
            json_out *j = json_out_new();
            json_balance(j, &r->balance);
            json_out_print(o->out, &j);
        } else {
            print_balance_human(o->out, &r->balance);
        }
        break;
    case JIFEN_CMD_HOUSEHOLD_SEARCH:
        if (o->json) {
            json_out *j = json_out_new();
            json_out *list = json_out_array(j, "households");
            for (size_t i = 0; i < r->n_households; i++)
                json_balance(json_out_object(list, NULL), &r->households[i]);
            json_out_print(o->out, &j);
        } else if (r->n_households == 0) {
            fputs("no household matches\n", o->out);
        } else {
            for (size_t i = 0; i < r->n_households; i++)
                print_balance_human(o->out, &r->households[i]);
        }
        break;
    case JIFEN_CMD_HISTORY:
        if (o->json)
            print_history_json(o->out, cmd->household, r);
        else
            print_history_human(o->out, cmd->household, r);
        break;
    case JIFEN_CMD_VERIFY:
        print_verify(o, &r->verify);
        break;
    case JIFEN_CMD_STATS:
        print_stats(o, &r->stats);
        break;
    case JIFEN_CMD_CHECKPOINT:
        print_checkpoint(o, &r->checkpoint);
        break;
    case JIFEN_CMD_KEY_LIST:
        print_keys(o, r);
        break;
    case JIFEN_CMD_REPORT:
    case JIFEN_CMD_ROLLUP:
        if (r->report == NULL)
            fputs("no report in the reply\n", o->err);
        else if (o->json)
            print_report_json(o->out, r->report);
        else if (o->csv)
            print_report_csv(o->out, r->report);
        else if (!cli_committee_print_report(o, cmd, r))
            print_report_human(o->out, r->report);
        break;
    case JIFEN_CMD_NOTICES:
        if (o->json)
            print_notices_json(o->out, cmd, r);
        else if (o->csv)
            print_notices_csv(o->out, r);
        else
            print_notices_human(o->out, r);
        break;
    case JIFEN_CMD_COMMUNITY_LIST:
        if (o->json)
            print_communities_json(o->out, r);
        else if (o->csv)
            print_communities_csv(o->out, r);
        else
            print_communities_human(o->out, r);
        break;
    case JIFEN_CMD_POLICY:
        if (o->json)
            print_rule_sets_json(o->out, r);
        else
            print_rule_sets_human(o->out, r);
        break;
    default:
        if (o->json)
            print_write_json(o->out, cmd, request_id, r);
        else if (!cli_committee_print_write(o, cmd, r))
            print_write_human(o->out, cmd, r);
    }
}

void cli_print_refusal(const cli_output *o, jifen_status status,
                       const char *error)
{
    const char *name = jifen_status_name(status);

    fprintf(o->err, "jifen: %s: %s\n", name,
            error[0] != '\0' ? error : "refused by the ledger");
    if (o->json) {
        json_out *j = json_out_new();
        json_out_str(j, "status", name);
        json_out_str(j, "error", error);
        json_out_print(o->out, &j);
    }
}

void cli_print_failure(const cli_output *o, const char *kind,
                       const char *message, const char *request_id)
{
    fprintf(o->err, "jifen: %s\n", message);
    if (o->json) {
        json_out *j = json_out_new();
        json_out_str(j, "status", kind);
        json_out_str(j, "error", message);
        if (request_id != NULL && request_id[0] != '\0')
            json_out_str(j, "request_id", request_id);
        json_out_print(o->out, &j);
    }
}
