/*
 * test_service - one service, many communities: where a request goes
 * (service_route) and who may send it (service_authorize), on a real
 * service in a temporary directory (LMDB environments of its own ledger
 * and three communities).
 *
 * The matrix of tests/test_keys.c holds per scope: every command kind,
 * sent by a key of every role and every scope to every community, is
 * allowed exactly when the key's scope takes the community in and its role
 * may send the kind; a key of community east is refused on west for every
 * kind, whatever its role.
 */
#include "codec.h"
#include "hash.h"
#include "keyfile.h"
#include "keys.h"
#include "policy.h"
#include "ruleset.h"
#include "service.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW_MS 1796000000000LL /* 2026-11-30, Asia/Shanghai */

/* The scopes a key is tested with, and where each may act. */
typedef enum {
    SCOPE_EAST, /* a key of community east, in east's own journal */
    SCOPE_ALL,  /* a key of the service for every community */
    SCOPE_STREET_S1, /* ... for those of street s1 (north) */
    SCOPE_LIST_WEST, /* ... for the list "west" */
    SCOPES
} test_scope;

static const char *const SCOPE_NAME[SCOPES] = {"east's own", "all",
                                               "street s1", "list west"};
static const char *const COMMUNITY[] = {"east", "west", "north"};
#define N_COMMUNITIES (sizeof COMMUNITY / sizeof *COMMUNITY)
/* covers[scope][community] */
static const bool COVERS[SCOPES][N_COMMUNITIES] = {
    [SCOPE_EAST] = {true, false, false},
    [SCOPE_ALL] = {true, true, true},
    [SCOPE_STREET_S1] = {false, false, true}, /* east is of no street */
    [SCOPE_LIST_WEST] = {false, true, false},
};

typedef struct {
    char *dir;
    policy pol;
    ruleset *files;
    service *svc;
    /* key[scope][role] as Z85 */
    char key[SCOPES][JIFEN_ROLE_ADMIN + 1][JIFEN_KEY_Z85_LEN + 1];
    int next_id;
    uint64_t award_entry[3]; /* an award in each community, to reverse */
} fixture;

/* A fresh key's Z85 (any 32 bytes are a public key to the key tables). */
static void new_key(char *z85)
{
    static uint8_t counter;
    uint8_t pub[KEYFILE_KEY_LEN];
    memset(pub, 0x5a, sizeof pub);
    pub[0] = ++counter;
    keyfile_z85_encode(pub, z85);
}

static ledger_caller local_operator(void)
{
    ledger_caller who = {.role = JIFEN_ROLE_NONE};
    snprintf(who.author, sizeof who.author, "local-operator");
    return who;
}

/* One write as the local operator; the result must be ok. Its entry. */
static uint64_t write_ok(fixture *f, ledger *led, jifen_command *cmd)
{
    char id[32];
    snprintf(id, sizeof id, "t-%d", f->next_id++);
    jifen_result r;
    ledger_caller who = local_operator();
    assert_int_equal(testutil_write_as(led, NOW_MS, &who, id, cmd, &r), 0);
    if (r.status != JIFEN_STATUS_OK)
        fail_msg("%s: %s", codec_command_name(cmd->kind), r.error);
    uint64_t entry = r.entry;
    codec_result_clear(&r);
    return entry;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char err[512];
    f->dir = testutil_tmpdir();
    assert_int_equal(policy_load_default(&f->pol, err, sizeof err), 0);
    assert_int_equal(ruleset_from_policy(&f->files, &f->pol, err, sizeof err),
                     0);
    service_options so = {
        .data_dir = f->dir,
        .ledger = {.map_size = 1 << 20, .map_max = 256 << 20},
        .pol = &f->pol,
        .files = f->files,
        .first_community = "east",
    };
    if (service_open(&f->svc, &so, err, sizeof err) != 0)
        fail_msg("service_open: %s", err);
    ledger *own = service_ledger(f->svc);

    /* east is the first community (of no street); west (street s2) and
     * north (s1) are created by the service's journal. */
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_COMMUNITY_CREATE;
    snprintf(c.community, sizeof c.community, "west");
    snprintf(c.name, sizeof c.name, "西区");
    snprintf(c.street, sizeof c.street, "s2");
    write_ok(f, own, &c);
    snprintf(c.community, sizeof c.community, "north");
    snprintf(c.name, sizeof c.name, "北区");
    snprintf(c.street, sizeof c.street, "s1");
    write_ok(f, own, &c);
    assert_int_equal(service_after_commit(f->svc), 0);
    assert_int_equal(service_count(f->svc), 3);

    for (int s = 0; s < SCOPES; s++) {
        for (int r = JIFEN_ROLE_COMMITTEE; r <= JIFEN_ROLE_ADMIN; r++) {
            new_key(f->key[s][r]);
            memset(&c, 0, sizeof c);
            c.kind = JIFEN_CMD_KEY_ENROL;
            snprintf(c.key, sizeof c.key, "%s", f->key[s][r]);
            c.role = (jifen_role)r;
            snprintf(c.name, sizeof c.name, "%s %s", SCOPE_NAME[s],
                     jifen_role_name((jifen_role)r));
            ledger *into = own;
            if (s == SCOPE_EAST)
                into = service_community(f->svc, "east", NULL);
            else if (s == SCOPE_ALL)
                c.all_communities = true;
            else if (s == SCOPE_STREET_S1)
                snprintf(c.street, sizeof c.street, "s1");
            else
                c.text = "west";
            write_ok(f, into, &c);
        }
    }
    for (size_t i = 0; i < 3; i++) {
        ledger *led = service_community(f->svc, COMMUNITY[i], NULL);
        memset(&c, 0, sizeof c);
        c.kind = JIFEN_CMD_HOUSEHOLD_ADD;
        snprintf(c.household, sizeof c.household, "1-1-101");
        write_ok(f, led, &c);
        c.kind = JIFEN_CMD_AWARD;
        snprintf(c.code, sizeof c.code, "meeting");
        f->award_entry[i] = write_ok(f, led, &c);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    service_close(&f->svc);
    ruleset_destroy(&f->files);
    testutil_rmtree(&f->dir);
    free(f);
    return 0;
}

/* Whether the key may send one command of `kind` to `community`
 * (NULL: the service's own address). */
static jifen_status ask(fixture *f, const char *z85, jifen_command_kind kind,
                        const char *community, char *err, size_t errlen)
{
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    for (size_t i = 0; community && i < 3; i++)
        if (strcmp(community, COMMUNITY[i]) == 0)
            c.entry = f->award_entry[i]; /* a reversal: of an award */
    jifen_request req = {.n_commands = 1, .commands = &c};
    snprintf(req.community, sizeof req.community, "%s",
             community ? community : JIFEN_SERVICE_ADDRESS);
    ledger *target = NULL;
    const community_record *rec = NULL;
    jifen_status st =
        service_route(f->svc, &req, &target, &rec, err, errlen);
    if (st != JIFEN_STATUS_OK)
        return st;
    ledger_caller who;
    return service_authorize(f->svc, z85, target, rec, &req, &who, err,
                             errlen);
}

static bool community_kind(jifen_command_kind k)
{
    return !jifen_command_is_service(k);
}

/* Every community kind x role x scope x community. */
static void test_scope_matrix(void **state)
{
    fixture *f = *state;
    size_t cells = 0;
    for (int k = JIFEN_CMD_NONE + 1; k < JIFEN_CMD_KINDS; k++) {
        if (!community_kind((jifen_command_kind)k))
            continue;
        bool write = jifen_command_is_write((jifen_command_kind)k);
        for (int s = 0; s < SCOPES; s++)
            for (int r = JIFEN_ROLE_COMMITTEE; r <= JIFEN_ROLE_ADMIN; r++)
                for (size_t ci = 0; ci < N_COMMUNITIES; ci++) {
                    char err[JIFEN_ERROR_MAX + 1] = "";
                    bool covers = COVERS[s][ci];
                    bool may = keys_role_may((jifen_role)r,
                                             (jifen_command_kind)k);
                    if (k == JIFEN_CMD_REVERSE)
                        may = keys_role_may_reverse((jifen_role)r,
                                                    JIFEN_CMD_AWARD);
                    jifen_status st = ask(f, f->key[s][r],
                                          (jifen_command_kind)k,
                                          COMMUNITY[ci], err, sizeof err);
                    jifen_status want = covers && may
                                            ? JIFEN_STATUS_OK
                                            : JIFEN_STATUS_FORBIDDEN;
                    if (st != want)
                        fail_msg("%s by %s %s on %s (%s): %s, expected %s: "
                                 "%s",
                                 codec_command_name((jifen_command_kind)k),
                                 SCOPE_NAME[s],
                                 jifen_role_name((jifen_role)r),
                                 COMMUNITY[ci], write ? "write" : "read",
                                 jifen_status_name(st),
                                 jifen_status_name(want), err);
                    cells++;
                }
    }
    print_message("%zu cells of kind x role x scope x community\n", cells);
    assert_true(cells > 1000);
}

/* The service's own commands: only keys of the service, by role, and
 * creating or closing a community only by an admin of all of them. */
static void test_service_commands(void **state)
{
    fixture *f = *state;
    char err[JIFEN_ERROR_MAX + 1];
    static const jifen_command_kind kinds[] = {
        JIFEN_CMD_COMMUNITY_CREATE, JIFEN_CMD_COMMUNITY_CLOSE,
        JIFEN_CMD_COMMUNITY_LIST, JIFEN_CMD_ROLLUP};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        for (int s = 0; s < SCOPES; s++)
            for (int r = JIFEN_ROLE_COMMITTEE; r <= JIFEN_ROLE_ADMIN; r++) {
                bool may = s != SCOPE_EAST &&
                           keys_role_may((jifen_role)r, kinds[i]);
                if (jifen_command_is_write(kinds[i]) && s != SCOPE_ALL)
                    may = false;
                jifen_status st =
                    ask(f, f->key[s][r], kinds[i], "", err, sizeof err);
                if (st != (may ? JIFEN_STATUS_OK : JIFEN_STATUS_FORBIDDEN))
                    fail_msg("%s by %s %s: %s (%s)",
                             codec_command_name(kinds[i]), SCOPE_NAME[s],
                             jifen_role_name((jifen_role)r),
                             jifen_status_name(st), err);
            }
    /* Naming a community with a service command is a bad request. */
    assert_int_equal(ask(f, f->key[SCOPE_ALL][JIFEN_ROLE_ADMIN],
                         JIFEN_CMD_COMMUNITY_LIST, "east", err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_non_null(strstr(err, "name no community"));
}

/* Routing: unknown communities, none named with several, mixed requests,
 * writes to the service's address, a closed community. */
static void test_routing(void **state)
{
    fixture *f = *state;
    char err[JIFEN_ERROR_MAX + 1];
    const char *admin = f->key[SCOPE_ALL][JIFEN_ROLE_ADMIN];
    assert_int_equal(ask(f, admin, JIFEN_CMD_BALANCE, "south", err,
                         sizeof err),
                     JIFEN_STATUS_UNKNOWN_COMMUNITY);
    assert_non_null(strstr(err, "south"));
    assert_int_equal(ask(f, admin, JIFEN_CMD_BALANCE, "", err, sizeof err),
                     JIFEN_STATUS_UNKNOWN_COMMUNITY);
    assert_int_equal(ask(f, admin, JIFEN_CMD_AWARD, NULL, err, sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);

    jifen_command two[2];
    memset(two, 0, sizeof two);
    two[0].kind = JIFEN_CMD_COMMUNITY_LIST;
    two[1].kind = JIFEN_CMD_BALANCE;
    jifen_request req = {.n_commands = 2, .commands = two};
    ledger *target;
    const community_record *rec;
    assert_int_equal(service_route(f->svc, &req, &target, &rec, err,
                                   sizeof err),
                     JIFEN_STATUS_BAD_REQUEST);
    assert_non_null(strstr(err, "mixes"));

    /* Closed: read, never written. */
    jifen_command c;
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_COMMUNITY_CLOSE;
    snprintf(c.community, sizeof c.community, "north");
    snprintf(c.note, sizeof c.note, "merged into east");
    write_ok(f, service_ledger(f->svc), &c);
    assert_int_equal(service_after_commit(f->svc), 0);
    assert_int_equal(ask(f, admin, JIFEN_CMD_AWARD, "north", err, sizeof err),
                     JIFEN_STATUS_COMMUNITY_CLOSED);
    assert_int_equal(ask(f, admin, JIFEN_CMD_BALANCE, "north", err,
                         sizeof err),
                     JIFEN_STATUS_OK);
    /* And its code is never given again. */
    memset(&c, 0, sizeof c);
    c.kind = JIFEN_CMD_COMMUNITY_CREATE;
    snprintf(c.community, sizeof c.community, "north");
    snprintf(c.name, sizeof c.name, "新北区");
    jifen_result r;
    ledger_caller who = local_operator();
    assert_int_equal(testutil_write_as(service_ledger(f->svc), NOW_MS, &who,
                                       "north-again", &c, &r),
                     0);
    assert_int_equal(r.status, JIFEN_STATUS_COMMUNITY_EXISTS);
    codec_result_clear(&r);
}

/* Keys the ZAP handler lets in: any community's or the service's. */
static void test_admitted(void **state)
{
    fixture *f = *state;
    for (int s = 0; s < SCOPES; s++)
        assert_true(service_key_admitted(f->svc, f->key[s][JIFEN_ROLE_AUDITOR]));
    char stranger[JIFEN_KEY_Z85_LEN + 1];
    new_key(stranger);
    assert_false(service_key_admitted(f->svc, stranger));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scope_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_commands, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admitted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
