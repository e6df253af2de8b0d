/*
 * make_corpus - writes the seed corpus of fuzz_request into a directory:
 * valid requests of every command kind (alone and in batches, in an order
 * that makes later ones meaningful: register, award, bill, redeem,
 * reverse), and invalid ones the codec or the ledger must refuse. Run it
 * and commit the files: tests/fuzz/corpus is what ctest replays.
 *
 *     make_corpus DIR
 */
#include "codec.h"
#include "keyfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *out_dir;
static int n_files;

static void write_bytes(const char *name, const uint8_t *b, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%02d-%s", out_dir, n_files++, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void write_request(const char *name, const char *id,
                          jifen_command *cmds, size_t n)
{
    jifen_request req = {.n_commands = n, .commands = cmds};
    uint8_t *b = NULL;
    size_t len = 0;
    snprintf(req.request_id, sizeof req.request_id, "%s", id);
    if (codec_request_encode(&req, &b, &len) != 0)
        exit(1);
    write_bytes(name, b, len);
    free(b);
}

static jifen_command cmd(jifen_command_kind kind, const char *h)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.household, sizeof c.household, "%s", h);
    return c;
}

static jifen_command with_code(jifen_command c, const char *code, uint32_t pts)
{
    snprintf(c.code, sizeof c.code, "%s", code);
    c.points = pts;
    snprintf(c.note, sizeof c.note, "%s", "seed");
    return c;
}

static jifen_command with_amount(jifen_command c, uint64_t amount)
{
    c.amount = amount;
    snprintf(c.period, sizeof c.period, "%s", "2026-11");
    return c;
}

static jifen_command key_cmd(jifen_command_kind kind, jifen_role role)
{
    jifen_command c = cmd(kind, "");
    uint8_t pub[KEYFILE_KEY_LEN], sec[KEYFILE_KEY_LEN];
    c.household[0] = '\0';
    /* A fixed key, so the corpus does not change when regenerated. */
    memset(sec, 7, sizeof sec);
    keyfile_public_of(sec, pub);
    keyfile_z85_encode(pub, c.key);
    c.role = role;
    snprintf(c.name, sizeof c.name, "%s", "seed key");
    return c;
}

static void valid_requests(void)
{
    jifen_command c[4];
    c[0] = cmd(JIFEN_CMD_HOUSEHOLD_ADD, "1-1-101");
    snprintf(c[0].name, sizeof c[0].name, "%s", "张伟");
    c[0].area_centi_m2 = 8550;
    write_request("household-add", "s-add", c, 1);
    c[0] = with_code(cmd(JIFEN_CMD_AWARD, "1-1-101"), "meeting", 0);
    write_request("award", "s-award", c, 1);
    c[0] = with_code(cmd(JIFEN_CMD_AWARD, "1-1-101"), "volunteer", 0);
    c[0].hours = 2;
    write_request("award-hours", "s-award-h", c, 1);
    c[0] = with_code(cmd(JIFEN_CMD_AWARD, "1-1-101"), "honour", 50);
    write_request("award-honour", "s-award-50", c, 1);
    c[0] = with_code(cmd(JIFEN_CMD_DEDUCT, "1-1-101"), "littering", 0);
    write_request("deduct", "s-deduct", c, 1);
    c[0] = with_amount(cmd(JIFEN_CMD_BILL, "1-1-101"), 12825);
    write_request("bill", "s-bill", c, 1);
    c[0] = with_amount(cmd(JIFEN_CMD_PAY, "1-1-101"), 500);
    write_request("pay", "s-pay", c, 1);
    c[0] = cmd(JIFEN_CMD_REDEEM, "1-1-101");
    c[0].amount = 3;
    write_request("redeem", "s-redeem", c, 1);
    c[0] = cmd(JIFEN_CMD_REVERSE, "");
    c[0].entry = 3;
    snprintf(c[0].note, sizeof c[0].note, "%s", "objection");
    write_request("reverse", "s-reverse", c, 1);
    c[0].entry = 3;
    write_request("reverse-again", "s-reverse-2", c, 1);
    c[0].entry = 2;
    write_request("reverse-registration", "s-reverse-3", c, 1);
    c[0] = cmd(JIFEN_CMD_BALANCE, "1-1-101");
    c[1] = cmd(JIFEN_CMD_HISTORY, "1-1-101");
    c[2] = cmd(JIFEN_CMD_VERIFY, "");
    c[3] = cmd(JIFEN_CMD_KEY_LIST, "");
    c[2].household[0] = c[3].household[0] = '\0';
    write_request("queries", "", c, 4);
    c[0] = key_cmd(JIFEN_CMD_KEY_ENROL, JIFEN_ROLE_TERMINAL);
    write_request("key-enrol", "s-enrol", c, 1);
    write_request("key-enrol-again", "s-enrol-2", c, 1);
    c[0] = key_cmd(JIFEN_CMD_KEY_REVOKE, JIFEN_ROLE_NONE);
    write_request("key-revoke", "s-revoke", c, 1);
    write_request("key-revoke-again", "s-revoke-2", c, 1);
    c[0] = cmd(JIFEN_CMD_HOUSEHOLD_ADD, "1-1-102");
    c[1] = with_code(cmd(JIFEN_CMD_AWARD, "1-1-102"), "meeting", 0);
    c[2] = with_code(cmd(JIFEN_CMD_AWARD, "nobody"), "meeting", 0);
    c[3] = with_code(cmd(JIFEN_CMD_DEDUCT, "1-1-102"), "free-riding", 99);
    write_request("batch", "s-batch", c, 4);
    c[0] = with_code(cmd(JIFEN_CMD_AWARD, "1-1-102"), "volunteer", 0);
    write_request("batch-id-conflict", "s-batch", c, 1);
    c[0] = cmd(JIFEN_CMD_REDEEM, "1-1-102");
    c[0].amount = 1000000;
    write_request("redeem-too-much", "s-redeem-big", c, 1);
}

static void invalid_requests(void)
{
    jifen_command c[2];
    c[0] = with_code(cmd(JIFEN_CMD_AWARD, "bad household!"), "meeting", 0);
    write_request("bad-household", "i-1", c, 1);
    c[0] = with_code(cmd(JIFEN_CMD_AWARD, "1-1-101"), "meeting", 0);
    c[0].hours = 99;
    write_request("bad-hours", "i-2", c, 1);
    c[0] = with_code(cmd(JIFEN_CMD_AWARD, "1-1-101"), "meeting", 0);
    write_request("no-id", "", c, 1);
    c[1] = cmd(JIFEN_CMD_BALANCE, "1-1-101");
    write_request("mixed", "i-3", c, 2);
    c[0] = with_amount(cmd(JIFEN_CMD_BILL, "1-1-101"), 1);
    snprintf(c[0].period, sizeof c[0].period, "%s", "2026-13");
    write_request("bad-period", "i-4", c, 1);
    c[0] = key_cmd(JIFEN_CMD_KEY_ENROL, JIFEN_ROLE_NONE);
    write_request("key-no-role", "i-5", c, 1);
    c[0] = key_cmd(JIFEN_CMD_KEY_ENROL, JIFEN_ROLE_AUDITOR);
    memcpy(c[0].key, "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%", 40);
    write_request("key-not-z85", "i-6", c, 1);
    c[0] = cmd(JIFEN_CMD_REVERSE, "");
    c[0].entry = 999999;
    snprintf(c[0].note, sizeof c[0].note, "%s", "nothing");
    write_request("reverse-unknown", "i-7", c, 1);
    static const uint8_t raw[][8] = {
        {0x12, 0x02, 0x72, 0x00},             /* unknown command 14 */
        {0x7a, 0x01, 0x00},                   /* unknown field 15 */
        {0x0a, 0x05, 'a', 'b'},               /* truncated */
        {0x12, 0x00},                         /* empty command */
        {0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}, /* a huge tag */
    };
    static const size_t raw_len[] = {4, 3, 4, 2, 6};
    for (size_t i = 0; i < sizeof raw_len / sizeof raw_len[0]; i++)
        write_bytes("raw", raw[i], raw_len[i]);
    write_bytes("empty", (const uint8_t *)"", 0);
}

/* Adopting a rule set: one that parses (a future date, so it is taken),
 * one that does not, and one that would take effect in the past. Last, so
 * the earlier seeds keep their names. */
static void policy_requests(void)
{
    static const char *const texts[] = {
        "version = seed-2099\neffective = 2099-01-01\n"
        "resolution = seed minutes\nfen_per_point = 100\n"
        "max_offset_percent = 50\nnotice_days = 7\napproval_above = 20\n"
        "expiry = end-of-following-year\n"
        "[activity meeting]\npoints = 2\nmax_per_month = 8\n"
        "[activity volunteer]\npoints_per_hour = 1\nmax_hours = 2\n"
        "[rule littering]\npoints = 1\nmax_points = 5\nsuspend_months = 1\n",
        "version = seed-bad\nfen_per_point = 0\n[activity x]\n",
        "version = seed-past\neffective = 2001-01-01\nfen_per_point = 1\n"
        "max_offset_percent = 1\n[activity meeting]\npoints = 2\n",
    };
    static const char *const names[] = {"policy-load", "policy-load-bad",
                                        "policy-load-past"};
    for (size_t i = 0; i < 3; i++) {
        jifen_command c = cmd(JIFEN_CMD_POLICY_LOAD, "");
        c.text = (char *)texts[i];
        char id[16];
        snprintf(id, sizeof id, "p-%zu", i);
        write_request(names[i], id, &c, 1);
    }
}

/* The household search (issue 17): a code prefix, a name, the bound. After
 * the others, so the earlier seeds keep their names. */
static void search_requests(void)
{
    jifen_command c = cmd(JIFEN_CMD_HOUSEHOLD_SEARCH, "");
    snprintf(c.name, sizeof c.name, "%s", "1-1");
    c.limit = 5;
    write_request("household-search", "", &c, 1);
    snprintf(c.name, sizeof c.name, "%s", "Resident");
    c.limit = JIFEN_SEARCH_MAX;
    write_request("household-search-name", "", &c, 1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: make_corpus DIR\n", stderr);
        return 2;
    }
    out_dir = argv[1];
    valid_requests();
    invalid_requests();
    policy_requests();
    search_requests();
    printf("%d files in %s\n", n_files, out_dir);
    return 0;
}
