/*
 * fuzz_request - libFuzzer target: one input is one request frame as a
 * client would send it, driven through what jifend does with it: decode
 * and validate (codec), authorize (as an enrolled admin key, which walks
 * the role matrix and the reversal lookups), then apply (writes, in a
 * write transaction that is committed) or answer (queries), and encode the
 * reply. Writes are applied as the enrolled key whose role may send the
 * first command (so the checks inside the write transaction run too), or
 * as the local operator when no role may. The same bytes also go through
 * the client's reply decoder and the journal entry decoder, which read
 * untrusted bytes too.
 *
 * The ledger lives in a temporary directory made on the first input and
 * removed at exit. Every 4096 inputs the whole ledger is verified (hash
 * chain, balances replayed, invariants of the accounting model): a failure
 * aborts, so the fuzzer reports the input that broke an invariant. Every
 * 65536 inputs it starts over with a fresh ledger, so that verification
 * stays cheap and the map never reaches its limit.
 *
 * Built with clang and -fsanitize=fuzzer,address,undefined (JIFEN_FUZZ=ON)
 * it is the fuzzer; built with replay_main.c it replays a corpus, which
 * ctest does on every build.
 */
#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "keyfile.h"
#include "keys.h"
#include "ledger.h"
#include "policy.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ledger *led;
static char *dir;
static ledger_caller callers[JIFEN_ROLE_ADMIN + 1]; /* by role */
static unsigned long runs;
static const ledger_caller LOCAL = {.author = "fuzz"};

static void check_invariants(void);

/* One last verification, then the ledger goes. */
static void cleanup(void)
{
    if (led == NULL)
        return;
    check_invariants();
    ledger_close(&led);
    testutil_rmtree(&dir);
}

/* One write request through the group-commit path, growing the map like
 * the server does when it is full. */
static void apply_write(const jifen_request *req, const ledger_caller *who,
                        jifen_reply *reply)
{
    uint8_t digest[JIFEN_HASH_LEN];
    hash_request_digest(req, digest);
    for (int attempt = 0; attempt < 4; attempt++) {
        ledger_error le = ledger_write_begin(led);
        if (le == LEDGER_OK)
            le = ledger_apply(led, req, digest, who, 1700000000000, reply);
        if (le == LEDGER_OK)
            le = ledger_write_commit(led);
        else
            ledger_write_abort(led);
        if (le == LEDGER_OK)
            return;
        codec_reply_clear(reply);
        if (le != LEDGER_FULL || ledger_grow(led) != LEDGER_OK)
            break;
    }
    fprintf(stderr, "fuzz: write failed: %s\n", ledger_strerror(led));
    abort();
}

/* One key per role, enrolled by the local operator. */
static void enrol_keys(void)
{
    for (int role = JIFEN_ROLE_COMMITTEE; role <= JIFEN_ROLE_ADMIN; role++) {
        uint8_t pub[KEYFILE_KEY_LEN], sec[KEYFILE_KEY_LEN];
        jifen_command cmd = {.kind = JIFEN_CMD_KEY_ENROL,
                             .role = (jifen_role)role};
        jifen_request req = {.n_commands = 1, .commands = &cmd};
        jifen_reply reply;
        ledger_caller *c = &callers[role];
        if (keyfile_keypair(pub, sec) != 0)
            abort();
        keyfile_z85_encode(pub, c->key);
        c->role = (jifen_role)role;
        snprintf(c->author, sizeof c->author, "fuzz %s",
                 jifen_role_name(c->role));
        memcpy(cmd.key, c->key, sizeof cmd.key);
        snprintf(cmd.name, sizeof cmd.name, "%s", c->author);
        snprintf(req.request_id, sizeof req.request_id, "fuzz-enrol-%d", role);
        apply_write(&req, &LOCAL, &reply);
        codec_reply_clear(&reply);
    }
}

/* The key whose role may send the request's first command. */
static const ledger_caller *caller_for(const jifen_request *req)
{
    for (int role = JIFEN_ROLE_COMMITTEE; role <= JIFEN_ROLE_ADMIN; role++)
        if (keys_role_may((jifen_role)role, req->commands[0].kind))
            return &callers[role];
    return &LOCAL;
}

static void setup(void)
{
    char err[512];
    static policy pol;
    ledger_options lo = {.map_size = 1u << 20, .map_max = 1u << 30};
    if (hash_init() != 0 || policy_load_default(&pol, err, sizeof err) != 0)
        abort();
    dir = testutil_tmpdir();
    if (dir == NULL || ledger_open(&led, dir, &pol, &lo, err, sizeof err) !=
                           LEDGER_OK) {
        fprintf(stderr, "fuzz: cannot open a ledger: %s\n", err);
        abort();
    }
    static bool registered;
    if (!registered)
        atexit(cleanup);
    registered = true;
    enrol_keys();
}

static void check_invariants(void)
{
    jifen_verify_report v;
    if (ledger_verify(led, &v) != LEDGER_OK || !v.ok) {
        fprintf(stderr, "fuzz: the ledger fails verification at entry %llu: "
                        "%s\n",
                (unsigned long long)v.bad_entry, v.problem);
        abort();
    }
}

/* The server's path for a decoded request. */
static void serve(const jifen_request *req)
{
    char err[JIFEN_ERROR_MAX + 1];
    ledger_caller caller;
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    const ledger_caller *who = caller_for(req);
    jifen_status st =
        ledger_authorize(led, who->key, req, &caller, err, sizeof err);
    if (who->key[0] != '\0' && st != JIFEN_STATUS_OK &&
        st != JIFEN_STATUS_FORBIDDEN)
        abort(); /* nothing here may fail inside the ledger */
    if (jifen_command_is_write(req->commands[0].kind))
        apply_write(req, who, &reply);
    else if (ledger_query(led, req, &reply) != LEDGER_OK)
        abort();
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (codec_reply_encode(&reply, &bytes, &len) != 0)
        abort();
    free(bytes);
    codec_reply_clear(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[JIFEN_ERROR_MAX + 1];
    jifen_request req;
    jifen_reply reply;
    static jifen_entry entry;

    if (led == NULL)
        setup();
    if (codec_request_decode(data, size, &req, err, sizeof err) ==
        JIFEN_STATUS_OK) {
        serve(&req);
        codec_request_clear(&req);
    }
    if (codec_reply_decode(data, size, &reply, err, sizeof err) ==
        JIFEN_STATUS_OK)
        codec_reply_clear(&reply);
    codec_entry_decode(data, size, &entry, err, sizeof err);
    if (++runs % 65536 == 0)
        cleanup(); /* verifies; the next input starts a fresh ledger */
    else if (runs % 4096 == 0)
        check_invariants();
    return 0;
}
