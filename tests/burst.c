/*
 * burst - a writer for the fault tests: sends award requests of BATCH
 * commands each, with ids PREFIX-0, PREFIX-1, ..., one after another, until
 * N requests were sent or the daemon stops answering. For each request it
 * prints, flushed before and after sending:
 *
 *     try ID                    before the request goes out
 *     ack ID FIRST_ENTRY        every command of it is committed (ok/exists)
 *     refused ID STATUS         the ledger refused it (e.g. ledger_full)
 *
 * so that a test that kills the daemon at any moment knows exactly which
 * requests were attempted and which were acknowledged.
 *
 *   burst ENDPOINT HOUSEHOLD PREFIX N BATCH [NOTE_BYTES] [TIMEOUT_MS] [FROM]
 *
 * jifend answers only enrolled CURVE keys: like the jifen CLI, burst takes
 * its secret key file from JIFEN_KEY and the daemon's public key (file or
 * Z85) from JIFEN_SERVER_KEY; both are required. The key must be enrolled
 * with a role that may award (committee).
 *
 * Exit status: 0 all sent, 1 some refused, 2 usage or keys unusable, 3 the
 * daemon stopped answering.
 */
#include "jifen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int send_one(jifen_client *c, jifen_request *req)
{
    jifen_reply reply;
    char err[256];
    printf("try %s\n", req->request_id);
    fflush(stdout);
    jifen_call_status st = jifen_client_call(c, req, &reply, err, sizeof err);
    if (st == JIFEN_CALL_UNREACHABLE)
        return 3;
    if (st != JIFEN_CALL_OK) {
        fprintf(stderr, "burst: %s\n", err);
        return 1;
    }
    int rc = 0;
    jifen_status worst = reply.status;
    for (size_t i = 0; worst == JIFEN_STATUS_OK && i < reply.n_results; i++)
        if (reply.results[i].status != JIFEN_STATUS_OK &&
            reply.results[i].status != JIFEN_STATUS_EXISTS)
            worst = reply.results[i].status;
    if (worst == JIFEN_STATUS_OK && reply.n_results == req->n_commands) {
        printf("ack %s %llu\n", req->request_id,
               (unsigned long long)reply.results[0].entry);
    } else {
        printf("refused %s %s\n", req->request_id, jifen_status_name(worst));
        rc = 1;
    }
    fflush(stdout);
    jifen_reply_clear(&reply);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: burst ENDPOINT HOUSEHOLD PREFIX N BATCH "
                        "[NOTE_BYTES] [TIMEOUT_MS] [FROM]\n");
        return 2;
    }
    long n = atol(argv[4]), batch = atol(argv[5]);
    size_t note = argc > 6 ? (size_t)atol(argv[6]) : 0;
    int timeout = argc > 7 ? atoi(argv[7]) : 1000;
    long from = argc > 8 ? atol(argv[8]) : 0;
    if (batch < 1 || batch > JIFEN_BATCH_MAX || note > JIFEN_NOTE_MAX)
        return 2;
    const char *key = getenv("JIFEN_KEY"), *server_key = getenv("JIFEN_SERVER_KEY");
    if (!key || !*key || !server_key || !*server_key) {
        fprintf(stderr, "burst: JIFEN_KEY and JIFEN_SERVER_KEY must be set\n");
        return 2;
    }
    jifen_command *cmds = calloc((size_t)batch, sizeof *cmds);
    jifen_client *c = jifen_client_new(argv[1]);
    if (!cmds || !c)
        return 1;
    char err[256];
    if (jifen_client_set_curve(c, key, server_key, err, sizeof err) != 0) {
        fprintf(stderr, "burst: %s\n", err);
        jifen_client_destroy(&c);
        free(cmds);
        return 2;
    }
    /* No resend: a lost reply must show as unacknowledged, not be hidden. */
    jifen_client_set_timeout(c, timeout, 0);
    for (long i = 0; i < batch; i++) {
        cmds[i].kind = JIFEN_CMD_AWARD;
        snprintf(cmds[i].household, sizeof cmds[i].household, "%s", argv[2]);
        snprintf(cmds[i].code, sizeof cmds[i].code, "volunteer");
        cmds[i].hours = 1;
        memset(cmds[i].note, 'n', note);
    }
    jifen_request req = {.n_commands = (size_t)batch, .commands = cmds};
    int rc = 0;
    for (long k = from; k < from + n && rc != 3; k++) {
        snprintf(req.request_id, sizeof req.request_id, "%s-%ld", argv[3], k);
        int r = send_one(c, &req);
        if (r)
            rc = r;
    }
    jifen_client_destroy(&c);
    free(cmds);
    return rc;
}
