/*
 * households - registers a community of N households for the desk's tests
 * and benchmark (households ENDPOINT COUNT [PREFIX]): door numbers
 * PREFIX-000001 ...,
 * floor areas from 50.00 to 149.99 m2 (a pattern of the number, so a test
 * can compute what a billing run bills), in requests of 4,096 commands with
 * request ids made from the numbers (running it again changes nothing).
 * One household in 1,000 has no area (the billing run's dry run lists it).
 *
 *   households ENDPOINT COUNT [PREFIX]
 *
 * With HOUSEHOLDS_PAY=FEN in the environment it pays FEN in cash from each
 * of them instead (a month of payments at the desk, for the shift report),
 * with a terminal key.
 *
 * Like the jifen CLI it takes JIFEN_KEY (a committee key; a terminal key
 * to pay) and JIFEN_SERVER_KEY from the environment. Exit status 0, 1
 * refused, 2 usage, 3 no reply.
 */
#include "jifen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 4096

/* The area of household i, in 0.01 m2 (0: none). */
static uint32_t area_of(long i)
{
    return i % 1000 == 999 ? 0 : (uint32_t)(5000 + (i * 7919) % 10000);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: households ENDPOINT COUNT [PREFIX]\n");
        return 2;
    }
    long n = atol(argv[2]);
    const char *prefix = argc > 3 ? argv[3] : "H";
    const char *key = getenv("JIFEN_KEY"), *server_key = getenv("JIFEN_SERVER_KEY");
    if (n < 1 || !key || !*key || !server_key || !*server_key) {
        fprintf(stderr, "households: COUNT >= 1, and JIFEN_KEY and "
                        "JIFEN_SERVER_KEY must be set\n");
        return 2;
    }
    jifen_command *cmds = calloc(BATCH, sizeof *cmds);
    jifen_client *c = jifen_client_new(argv[1]);
    char err[256];
    if (!cmds || !c ||
        jifen_client_set_curve(c, key, server_key, err, sizeof err) != 0) {
        fprintf(stderr, "households: %s\n", c ? err : "out of memory");
        jifen_client_destroy(&c);
        free(cmds);
        return 2;
    }
    jifen_client_set_timeout(c, 60000, 3);
    const char *pay = getenv("HOUSEHOLDS_PAY");
    uint64_t pay_fen = pay && *pay ? strtoull(pay, NULL, 10) : 0;
    int rc = 0;
    for (long from = 0; from < n && rc == 0; from += BATCH) {
        size_t k = 0;
        for (long i = from; i < n && k < BATCH; i++, k++) {
            memset(&cmds[k], 0, sizeof cmds[k]);
            cmds[k].kind = pay_fen ? JIFEN_CMD_PAY : JIFEN_CMD_HOUSEHOLD_ADD;
            snprintf(cmds[k].household, sizeof cmds[k].household, "%s-%06ld",
                     prefix, i + 1);
            if (pay_fen)
                cmds[k].amount = pay_fen;
            else
                cmds[k].area_centi_m2 = area_of(i);
        }
        jifen_request req = {.n_commands = k, .commands = cmds};
        snprintf(req.request_id, sizeof req.request_id, "households-%s%s-%ld",
                 pay_fen ? "pay-" : "", prefix, from);
        jifen_reply reply;
        jifen_call_status st = jifen_client_call(c, &req, &reply, err, sizeof err);
        if (st != JIFEN_CALL_OK) {
            fprintf(stderr, "households: %s\n", err);
            rc = st == JIFEN_CALL_UNREACHABLE ? 3 : 1;
            break;
        }
        for (size_t i = 0; i < reply.n_results && rc == 0; i++)
            if (reply.results[i].status != JIFEN_STATUS_OK &&
                reply.results[i].status != JIFEN_STATUS_EXISTS &&
                reply.results[i].status != JIFEN_STATUS_HOUSEHOLD_EXISTS) {
                fprintf(stderr, "households: %s: %s\n", cmds[i].household,
                        reply.results[i].error);
                rc = 1;
            }
        if (reply.status != JIFEN_STATUS_OK) {
            fprintf(stderr, "households: %s\n", reply.error);
            rc = 1;
        }
        jifen_reply_clear(&reply);
    }
    jifen_client_destroy(&c);
    free(cmds);
    return rc;
}
