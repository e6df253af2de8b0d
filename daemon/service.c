/*
 * service - see service.h.
 */
#include "service.h"

#include "clock.h"
#include "codec.h"
#include "hash.h"
#include "journal.h"
#include "keys.h"
#include "log.h"
#include "reports.h"
#include "storage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_CAP 4096

typedef struct {
    community_record rec;
    ledger *led;
} community;

struct service {
    service_options opts;
    char data_dir[PATH_CAP];
    ledger *own; /* the service's ledger */
    /* The communities in code order. The ZAP handler's thread walks them
     * too (service_key_admitted): the lock guards the array, never the
     * ledgers, which live until service_close. */
    pthread_rwlock_t lock;
    community *items;
    size_t n, cap;
};

/* --- paths and files ---------------------------------------------------------- */

static int path_of(char *out, const char *dir, const char *a, const char *b)
{
    int n = b ? snprintf(out, PATH_CAP, "%s/%s/%s", dir, a, b)
              : snprintf(out, PATH_CAP, "%s/%s", dir, a);
    return n < 0 || n >= PATH_CAP ? -1 : 0;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return -1;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the service's own writes ------------------------------------------------- */

/* One command by jifend itself into the service's ledger, committed. */
static int own_write(service *self, const jifen_command *cmd, char *err,
                     size_t errlen)
{
    jifen_request req = {.n_commands = 1, .commands = (jifen_command *)cmd};
    snprintf(req.request_id, sizeof req.request_id, "service-%s-%s",
             codec_command_name(cmd->kind), cmd->community);
    uint8_t digest[JIFEN_HASH_LEN];
    hash_request_digest(&req, digest);
    static const ledger_caller jifend = {.author = LEDGER_DAEMON_AUTHOR};
    jifen_reply reply;
    memset(&reply, 0, sizeof reply);
    ledger_error le = ledger_write_begin(self->own);
    if (le == LEDGER_OK)
        le = ledger_apply(self->own, &req, digest, &jifend, wall_ms(), &reply);
    if (le == LEDGER_OK)
        le = ledger_write_commit(self->own);
    else
        ledger_write_abort(self->own);
    int rc = 0;
    if (le != LEDGER_OK) {
        snprintf(err, errlen, "%s", ledger_strerror(self->own));
        rc = -1;
    } else if (reply.n_results != 1 ||
               (reply.results[0].status != JIFEN_STATUS_OK &&
                reply.results[0].status != JIFEN_STATUS_EXISTS)) {
        snprintf(err, errlen, "%s: %s",
                 reply.n_results ? jifen_status_name(reply.results[0].status)
                                 : jifen_status_name(reply.status),
                 reply.n_results ? reply.results[0].error : reply.error);
        rc = -1;
    }
    codec_reply_clear(&reply);
    return rc;
}

/* --- an earlier release's data directory ---------------------------------------- */

/*
 * DATA/data.mdb is a one-community ledger of an earlier release: it moves,
 * unchanged, to DATA/communities/<code>/, and the service's journal says it
 * was adopted. The rename is one atomic step on one filesystem; the
 * service's entry is written after it, and a crash in between finds the
 * moved file and no entry: the entry is written then (adopt_orphans).
 */
static int take_over(service *self, char *err, size_t errlen)
{
    char old[PATH_CAP], dir[PATH_CAP], moved[PATH_CAP], lock[PATH_CAP];
    if (path_of(old, self->data_dir, "data.mdb", NULL) != 0 || !exists(old))
        return 0;
    const char *code = self->opts.first_community;
    if (path_of(dir, self->data_dir, "communities", code) != 0 ||
        path_of(moved, dir, "data.mdb", NULL) != 0 ||
        path_of(lock, self->data_dir, "lock.mdb", NULL) != 0) {
        snprintf(err, errlen, "the data directory's path is too long");
        return -1;
    }
    if (exists(moved)) {
        snprintf(err, errlen,
                 "%s and %s both exist: move one aside (which is the "
                 "community's ledger?)",
                 old, moved);
        return -1;
    }
    if (make_dir(dir, err, errlen) != 0)
        return -1;
    if (rename(old, moved) != 0 || sync_dir(dir) != 0 ||
        sync_dir(self->data_dir) != 0) {
        snprintf(err, errlen, "cannot move %s to %s: %s", old, moved,
                 strerror(errno));
        return -1;
    }
    unlink(lock); /* its reader table: no process has the old path open */
    log_info("the one-community ledger %s is now community %s of the "
             "service (%s); journal, chain and head unchanged",
             old, code, moved);
    return 0;
}

/* A service with no community yet makes its first (first_community): at
 * the first start on an empty data directory, and after taking over an
 * earlier release's ledger (take_over moved it into place; a crash before
 * this entry finds it there). Its rule sets are the operator's files, as
 * in a one-community service. */
static int has_any(void *ctx, const community_record *r)
{
    (void)r;
    *(bool *)ctx = true;
    return 1;
}

static int ensure_first_community(service *self, char *err, size_t errlen)
{
    storage_txn txn;
    bool any = false;
    storage_error e = storage_txn_begin(ledger_storage(self->own), &txn,
                                        false);
    if (e == STORAGE_OK)
        e = community_each(&txn, has_any, &any);
    storage_txn_abort(&txn);
    if (e != STORAGE_OK) {
        snprintf(err, errlen, "the service's ledger: %s", storage_strerror(e));
        return -1;
    }
    if (any)
        return 0;
    jifen_command c = {.kind = JIFEN_CMD_COMMUNITY_CREATE, .file_rules = true};
    snprintf(c.community, sizeof c.community, "%s",
             self->opts.first_community);
    snprintf(c.name, sizeof c.name, "%s", self->opts.first_community);
    return own_write(self, &c, err, errlen);
}

/* --- opening communities --------------------------------------------------------- */

static int compare_code(const void *a, const void *b)
{
    return strcmp(((const community *)a)->rec.code,
                  ((const community *)b)->rec.code);
}

static community *find(service *self, const char *code)
{
    if (self->n == 0)
        return NULL; /* (bsearch of no array at all) */
    community key;
    snprintf(key.rec.code, sizeof key.rec.code, "%s", code);
    return bsearch(&key, self->items, self->n, sizeof *self->items,
                   compare_code);
}

/* The founding rule set a community was created with: the text of its
 * CommunityCreate entry (malloc'd into *text). */
static int founding_text(service *self, uint64_t entry, char **text,
                         char *err, size_t errlen)
{
    storage_txn txn;
    jifen_entry *e = malloc(sizeof *e);
    storage_error se = e ? storage_txn_begin(ledger_storage(self->own), &txn,
                                             false)
                         : STORAGE_FAILED;
    if (se == STORAGE_OK) {
        se = journal_read(&txn, entry, e, true);
        storage_txn_abort(&txn);
    }
    int rc = se == STORAGE_OK && e->command.text ? 0 : -1;
    if (rc == 0)
        *text = e->command.text;
    else if (e)
        free(e->command.text);
    if (rc != 0)
        snprintf(err, errlen, "the founding rule set (service entry %" PRIu64
                 ") cannot be read", entry);
    free(e);
    return rc;
}

static int open_community(service *self, const community_record *rec,
                          char *err, size_t errlen)
{
    char dir[PATH_CAP];
    if (path_of(dir, self->data_dir, "communities", rec->code) != 0 ||
        make_dir(dir, err, errlen) != 0)
        return -1;
    ruleset *none = NULL;
    ledger_options lo = self->opts.ledger;
    lo.service = false;
    if (!rec->file_rules) {
        if (ruleset_empty(&none, err, errlen) != 0)
            return -1;
        lo.rules = none;
    } else {
        lo.rules = self->opts.files;
    }
    ledger *led = NULL;
    char why[600];
    ledger_error le = ledger_open(&led, dir, self->opts.pol, &lo, why,
                                  sizeof why);
    ruleset_destroy(&none);
    if (le != LEDGER_OK) {
        snprintf(err, errlen, "community %s: %s", rec->code, why);
        return -1;
    }
    if (rec->file_rules && self->opts.files &&
        ledger_use_rules(led, self->opts.files, why, sizeof why) != 0) {
        snprintf(err, errlen, "community %s: the rule sets do not fit "
                 "together: %s", rec->code, why);
        ledger_close(&led);
        return -1;
    }
    /* Created, not founded yet (new, or a crash came between the
     * service's entry and the community's first): found it now. */
    if (!rec->file_rules && !self->opts.replica && ledger_entries(led) == 0) {
        char *text = NULL;
        int rc = founding_text(self, rec->created_entry, &text, err, errlen);
        if (rc == 0 && ledger_found(led, text, wall_ms(), why,
                                    sizeof why) != 0) {
            snprintf(err, errlen, "founding community %s: %s", rec->code,
                     why);
            rc = -1;
        }
        free(text);
        if (rc != 0) {
            ledger_close(&led);
            return -1;
        }
        log_info("community %s (%s) founded", rec->code, rec->name);
    }
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        community *p = realloc(self->items, cap * sizeof *p);
        if (!p) {
            ledger_close(&led);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        pthread_rwlock_wrlock(&self->lock);
        self->items = p;
        pthread_rwlock_unlock(&self->lock);
        self->cap = cap;
    }
    if (self->opts.on_open)
        self->opts.on_open(self->opts.on_open_ctx, led, rec->code);
    pthread_rwlock_wrlock(&self->lock);
    self->items[self->n].rec = *rec;
    self->items[self->n].led = led;
    self->n++;
    qsort(self->items, self->n, sizeof *self->items, compare_code);
    pthread_rwlock_unlock(&self->lock);
    return 0;
}

typedef struct {
    service *self;
    community_record *recs;
    size_t n, cap;
} gathering;

static int gather(void *ctx, const community_record *r)
{
    gathering *g = ctx;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        community_record *p = realloc(g->recs, cap * sizeof *p);
        if (!p)
            return -1;
        g->recs = p;
        g->cap = cap;
    }
    g->recs[g->n++] = *r;
    return 0;
}

/* Opens every community the service's ledger records and this service has
 * not opened yet; updates the records of those it has (closed since). */
static int open_all(service *self, char *err, size_t errlen)
{
    gathering g = {self, NULL, 0, 0};
    storage_txn txn;
    storage_error e = storage_txn_begin(ledger_storage(self->own), &txn,
                                        false);
    if (e == STORAGE_OK)
        e = community_each(&txn, gather, &g);
    storage_txn_abort(&txn);
    if (e != STORAGE_OK) {
        free(g.recs);
        snprintf(err, errlen, "the service's communities cannot be read: %s",
                 storage_strerror(e));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < g.n && rc == 0; i++) {
        community *c = find(self, g.recs[i].code);
        if (c) {
            pthread_rwlock_wrlock(&self->lock);
            c->rec = g.recs[i];
            pthread_rwlock_unlock(&self->lock);
        } else {
            rc = open_community(self, &g.recs[i], err, errlen);
        }
    }
    free(g.recs);
    return rc;
}

int service_open(service **out, const service_options *opts, char *err,
                 size_t errlen)
{
    *out = NULL;
    service *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    self->opts = *opts;
    pthread_rwlock_init(&self->lock, NULL);
    snprintf(self->data_dir, sizeof self->data_dir, "%s", opts->data_dir);
    char own[PATH_CAP], communities[PATH_CAP];
    int rc = path_of(own, self->data_dir, "service", NULL) == 0 &&
                     path_of(communities, self->data_dir, "communities",
                             NULL) == 0
                 ? 0
                 : -1;
    if (rc != 0)
        snprintf(err, errlen, "the data directory's path is too long");
    if (rc == 0)
        rc = make_dir(communities, err, errlen);
    if (rc == 0)
        rc = take_over(self, err, errlen);
    if (rc == 0)
        rc = make_dir(own, err, errlen);
    ruleset *rules = NULL;
    if (rc == 0)
        rc = ruleset_from_policy(&rules, opts->pol, err, errlen);
    if (rc == 0) {
        ledger_options lo = opts->ledger;
        lo.service = true;
        lo.rules = rules;
        char why[600];
        if (ledger_open(&self->own, own, opts->pol, &lo, why, sizeof why) !=
            LEDGER_OK) {
            snprintf(err, errlen, "the service's ledger: %s", why);
            rc = -1;
        }
    }
    ruleset_destroy(&rules);
    if (rc == 0 && opts->on_open)
        opts->on_open(opts->on_open_ctx, self->own, NULL);
    if (rc == 0 && !opts->replica)
        rc = ensure_first_community(self, err, errlen);
    if (rc == 0)
        rc = open_all(self, err, errlen);
    if (rc != 0) {
        service_close(&self);
        return -1;
    }
    *out = self;
    return 0;
}

void service_close(service **self_p)
{
    service *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        ledger_close(&self->items[i].led);
    free(self->items);
    ledger_close(&self->own);
    pthread_rwlock_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}

void service_set_replica(service *self, bool replica)
{
    self->opts.replica = replica;
}

ledger *service_ledger(service *self)
{
    return self->own;
}

size_t service_count(const service *self)
{
    return self->n;
}

ledger *service_at(service *self, size_t i, const community_record **rec)
{
    if (i >= self->n)
        return NULL;
    if (rec)
        *rec = &self->items[i].rec;
    return self->items[i].led;
}

ledger *service_community(service *self, const char *code,
                          const community_record **rec)
{
    community *c = find(self, code);
    if (rec)
        *rec = c ? &c->rec : NULL;
    return c ? c->led : NULL;
}

int service_after_commit(service *self)
{
    char err[700];
    if (open_all(self, err, sizeof err) != 0) {
        log_error("%s (tried again after the next commit)", err);
        return -1;
    }
    return 0;
}

/* --- routing and authorization ----------------------------------------------------- */

/* Whether a key command is for the service: a scope given, or (with no
 * community named) a key the service holds or a service of several
 * communities. */
static bool key_command_for_service(service *self, const jifen_command *c)
{
    if (c->kind == JIFEN_CMD_KEY_ENROL)
        return c->all_communities || c->street[0] || c->text ||
               self->n != 1;
    if (c->kind == JIFEN_CMD_KEY_REVOKE) {
        storage_txn txn;
        keys_record rec;
        storage_error e = storage_txn_begin(ledger_storage(self->own), &txn,
                                            false);
        if (e == STORAGE_OK)
            e = keys_get(&txn, c->key, &rec);
        storage_txn_abort(&txn);
        return e == STORAGE_OK || self->n != 1;
    }
    return self->n != 1; /* key list */
}

static bool is_key_command(jifen_command_kind k)
{
    return k == JIFEN_CMD_KEY_ENROL || k == JIFEN_CMD_KEY_REVOKE ||
           k == JIFEN_CMD_KEY_LIST;
}

jifen_status service_route(service *self, const jifen_request *req,
                           ledger **target, const community_record **rec,
                           char *err, size_t errlen)
{
    *target = NULL;
    *rec = NULL;
    size_t of_service = 0;
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *c = &req->commands[i];
        if (jifen_command_is_service(c->kind) ||
            (!req->community[0] && is_key_command(c->kind) &&
             key_command_for_service(self, c)))
            of_service++;
    }
    if (of_service && of_service != req->n_commands) {
        snprintf(err, errlen, "a request is for the service or for one "
                 "community: it mixes the service's commands with a "
                 "community's");
        return JIFEN_STATUS_BAD_REQUEST;
    }
    /* The service's own ledger by its address: a replica's feed of the
     * service's journal, its key list, verify, stats. */
    if (strcmp(req->community, JIFEN_SERVICE_ADDRESS) == 0) {
        if (jifen_command_is_write(req->commands[0].kind)) {
            snprintf(err, errlen, "the service's ledger is written by its own "
                     "commands only: name no community");
            return JIFEN_STATUS_BAD_REQUEST;
        }
        *target = self->own;
        return JIFEN_STATUS_OK;
    }
    if (of_service) {
        if (req->community[0] &&
            jifen_command_is_service(req->commands[0].kind)) {
            snprintf(err, errlen, "%s is a command of the service: name no "
                     "community",
                     codec_command_name(req->commands[0].kind));
            return JIFEN_STATUS_BAD_REQUEST;
        }
        *target = self->own;
        return JIFEN_STATUS_OK;
    }
    const community *c = NULL;
    if (req->community[0]) {
        c = find(self, req->community);
        if (!c) {
            snprintf(err, errlen, "the service has no community %s",
                     req->community);
            return JIFEN_STATUS_UNKNOWN_COMMUNITY;
        }
    } else if (self->n == 1) {
        c = &self->items[0];
    } else {
        snprintf(err, errlen,
                 "the service has %zu communities: name one (jifen "
                 "--community CODE, or JIFEN_COMMUNITY)",
                 self->n);
        return JIFEN_STATUS_UNKNOWN_COMMUNITY;
    }
    if (c->rec.closed_entry &&
        jifen_command_is_write(req->commands[0].kind)) {
        snprintf(err, errlen,
                 "community %s was closed (service entry %" PRIu64
                 "): it is read, never written",
                 c->rec.code, c->rec.closed_entry);
        return JIFEN_STATUS_COMMUNITY_CLOSED;
    }
    *target = c->led;
    *rec = &c->rec;
    return JIFEN_STATUS_OK;
}

/* The service's record of a key, read in a fresh read transaction:
 * STORAGE_OK, NOT_FOUND, or an error. */
static storage_error service_key(service *self, const char *z85,
                                 keys_record *rec)
{
    storage_txn txn;
    storage_error e = storage_txn_begin(ledger_storage(self->own), &txn,
                                        false);
    if (e == STORAGE_OK)
        e = keys_get(&txn, z85, rec);
    storage_txn_abort(&txn);
    return e;
}

/* The service's admin commands need an admin of every community. */
static bool needs_whole_service(const jifen_request *req)
{
    for (size_t i = 0; i < req->n_commands; i++) {
        jifen_command_kind k = req->commands[i].kind;
        if (k == JIFEN_CMD_COMMUNITY_CREATE || k == JIFEN_CMD_COMMUNITY_CLOSE ||
            k == JIFEN_CMD_KEY_ENROL || k == JIFEN_CMD_KEY_REVOKE)
            return true;
    }
    return false;
}

static bool feed_only(const jifen_request *req)
{
    for (size_t i = 0; i < req->n_commands; i++)
        if (req->commands[i].kind != JIFEN_CMD_FEED)
            return false;
    return true;
}

/*
 * A replica follows the service's journal as well as its community's, with
 * the auditor key its primary's community enrolled for it: the feed of the
 * service's journal (communities created and closed, the service's keys:
 * public keys, roles, labels, scopes) is open to a community's auditor or
 * admin key, nothing else of the service.
 */
static jifen_status community_reader(service *self, const char *z85,
                                     const jifen_request *req,
                                     ledger_caller *caller, char *err,
                                     size_t errlen, jifen_status refused)
{
    pthread_rwlock_rdlock(&self->lock);
    jifen_status st = refused;
    for (size_t i = 0; i < self->n && st != JIFEN_STATUS_OK; i++) {
        char why[JIFEN_ERROR_MAX + 1];
        ledger_caller who;
        if (ledger_authorize(self->items[i].led, z85, req, &who, why,
                             sizeof why) == JIFEN_STATUS_OK) {
            *caller = who;
            caller->of_service = true;
            st = JIFEN_STATUS_OK;
        }
    }
    pthread_rwlock_unlock(&self->lock);
    if (st != JIFEN_STATUS_OK)
        snprintf(err, errlen, "this key may not read the service's journal");
    return st;
}

jifen_status service_authorize(service *self, const char *z85, ledger *target,
                               const community_record *rec,
                               const jifen_request *req,
                               ledger_caller *caller, char *err,
                               size_t errlen)
{
    if (target == self->own) {
        jifen_status st =
            ledger_authorize(self->own, z85, req, caller, err, errlen);
        if (st == JIFEN_STATUS_FORBIDDEN && feed_only(req))
            return community_reader(self, z85, req, caller, err, errlen, st);
        if (st != JIFEN_STATUS_OK)
            return st;
        keys_record k;
        if (service_key(self, z85, &k) != STORAGE_OK) {
            snprintf(err, errlen, "the service's key table cannot be read");
            return JIFEN_STATUS_INTERNAL;
        }
        if (needs_whole_service(req) && k.scope != KEYS_SCOPE_ALL) {
            snprintf(err, errlen, "only an admin of every community of the "
                     "service creates or closes communities and enrols or "
                     "revokes the service's keys");
            return JIFEN_STATUS_FORBIDDEN;
        }
        caller->of_service = true;
        return JIFEN_STATUS_OK;
    }
    /* The community's own key first. */
    jifen_status st = ledger_authorize(target, z85, req, caller, err, errlen);
    if (st != JIFEN_STATUS_FORBIDDEN)
        return st;
    keys_record k;
    storage_error e = service_key(self, z85, &k);
    if (e == STORAGE_NOT_FOUND || (e == STORAGE_OK && k.revoked))
        return st; /* the community's refusal stands */
    if (e != STORAGE_OK) {
        snprintf(err, errlen, "the service's key table cannot be read");
        return JIFEN_STATUS_INTERNAL;
    }
    if (!keys_scope_covers(&k, rec->code, rec->street)) {
        snprintf(err, errlen,
                 "this key of the service is not for community %s",
                 rec->code);
        return JIFEN_STATUS_FORBIDDEN;
    }
    return ledger_authorize_as(target, z85, k.role, k.label, req, caller, err,
                               errlen);
}

bool service_key_admitted(service *self, const char *z85)
{
    if (ledger_key_admitted(self->own, z85))
        return true;
    bool found = false;
    pthread_rwlock_rdlock(&self->lock);
    for (size_t i = 0; i < self->n && !found; i++)
        found = ledger_key_admitted(self->items[i].led, z85);
    pthread_rwlock_unlock(&self->lock);
    return found;
}

/* --- the service's queries ------------------------------------------------------ */

/* Whether the caller (a key of the service) may see community c. */
/* --- the service's queries: the communities a caller sees ----------------------- */

/* The communities of a caller's scope as they are at one moment: what the
 * service's own queries are answered from, on the server thread or on a
 * query thread (the ledgers stay open while the service serves; only the
 * array of communities changes, on the server thread). */
struct service_view {
    community *items; /* copies of the records, with their ledgers */
    size_t n;
    const policy *pol; /* the service's default rule set */
};

service_view *service_view_of(service *self, const ledger_caller *caller)
{
    service_view *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->pol = self->opts.pol;
    /* The key's scope is read once, not per community. */
    keys_record k;
    bool everything = !caller->key[0]; /* the local operator */
    bool known = everything || (service_key(self, caller->key, &k) ==
                                    STORAGE_OK &&
                                !k.revoked);
    pthread_rwlock_rdlock(&self->lock);
    v->items = calloc(self->n ? self->n : 1, sizeof *v->items);
    for (size_t i = 0; v->items && known && i < self->n; i++) {
        const community *c = &self->items[i];
        if (everything || keys_scope_covers(&k, c->rec.code, c->rec.street))
            v->items[v->n++] = *c;
    }
    pthread_rwlock_unlock(&self->lock);
    if (!v->items) {
        free(v);
        return NULL;
    }
    return v;
}

void service_view_free(void *view)
{
    service_view *v = view;
    if (v)
        free(v->items);
    free(v);
}

static void list_communities(const service_view *v, jifen_result *r)
{
    r->communities = calloc(v->n ? v->n : 1, sizeof *r->communities);
    if (!r->communities) {
        r->status = JIFEN_STATUS_INTERNAL;
        snprintf(r->error, sizeof r->error, "out of memory");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const community *c = &v->items[i];
        jifen_community *o = &r->communities[r->n_communities++];
        snprintf(o->code, sizeof o->code, "%s", c->rec.code);
        snprintf(o->name, sizeof o->name, "%s", c->rec.name);
        snprintf(o->street, sizeof o->street, "%s", c->rec.street);
        o->closed = c->rec.closed_entry != 0;
        o->created_entry = c->rec.created_entry;
        o->closed_entry = c->rec.closed_entry;
        o->entries = ledger_entries(c->led);
    }
    r->status = JIFEN_STATUS_OK;
}

/* --- the roll-up ------------------------------------------------------------- */

static const char *const ROLLUP_COLUMNS[] = {
    "community",          "name",           "street",
    "households",         "points_issued",  "points_redeemed",
    "points_outstanding", "points_pending", "funder_owed_fen",
    "funder_overpaid_fen", "billed_fen",    "collected_fen",
    "collection_rate",    "days_0_30",      "days_31_90",
    "days_91_180",        "days_over_180",
};
#define ROLLUP_N (sizeof ROLLUP_COLUMNS / sizeof *ROLLUP_COLUMNS)
_Static_assert(ROLLUP_N <= JIFEN_REPORT_COLUMNS_MAX, "roll-up columns");

/* "93.5%" of billed collected; "-" when nothing was billed. */
static void rate_cell(int64_t billed, int64_t collected, char *out, size_t cap)
{
    if (billed <= 0) {
        snprintf(out, cap, "-");
        return;
    }
    __int128 permille = (__int128)collected * 1000 / billed;
    snprintf(out, cap, "%d.%d%%", (int)(permille / 10), (int)(permille % 10));
}

static bool add_to(int64_t *sum, int64_t v)
{
    return !__builtin_add_overflow(*sum, v, sum);
}

/* One row: the community's figures, or the totals. */
static bool rollup_row(jifen_report *rep, const char *code, const char *name,
                       const char *street, const reports_totals *t)
{
    if (rep->n_rows == JIFEN_REPORT_ROWS_MAX)
        return false;
    jifen_report_row *row = &rep->rows[rep->n_rows++];
    memset(row, 0, sizeof *row);
    int64_t collected = t->billed_fen - t->outstanding_fen;
    int64_t v[] = {(int64_t)t->households, t->points_issued,
                   t->points_redeemed,     t->points_outstanding,
                   t->points_pending,      t->funder_owed_fen,
                   t->funder_overpaid_fen, t->billed_fen,
                   collected};
    const size_t rate = 3 + sizeof v / sizeof *v; /* the column after them */
    snprintf(row->cells[0], sizeof row->cells[0], "%s", code);
    snprintf(row->cells[1], sizeof row->cells[1], "%s", name);
    snprintf(row->cells[2], sizeof row->cells[2], "%s", street);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        snprintf(row->cells[3 + i], sizeof row->cells[3 + i], "%" PRId64,
                 v[i]);
    rate_cell(t->billed_fen, collected, row->cells[rate],
              sizeof row->cells[rate]);
    for (size_t i = 0; i < 4; i++)
        snprintf(row->cells[rate + 1 + i], sizeof row->cells[rate + 1 + i],
                 "%" PRIu64, t->ageing_fen[i]);
    return true;
}

/* Per community the caller may see (of the street asked for), its month
 * computed by the functions of its own reports (reports_summary), one
 * community at a time: memory holds one community's walk, never all of
 * them. */
static void service_rollup(const service_view *v, const jifen_command *cmd,
                           jifen_result *r)
{
    int64_t from = clock_month_start_ms(clock_now_ms());
    if (cmd->period[0] && clock_parse_period(cmd->period, &from) != 0) {
        r->status = JIFEN_STATUS_BAD_REQUEST;
        snprintf(r->error, sizeof r->error, "period: not YYYY-MM");
        return;
    }
    int64_t to = clock_next_month_start_ms(from);
    char period[CLOCK_PERIOD_LEN + 1];
    clock_period_of(from, period);
    jifen_report *rep = calloc(1, sizeof *rep);
    size_t n = v->n + 1;
    if (rep)
        rep->rows = calloc(n < JIFEN_REPORT_ROWS_MAX ? n
                                                     : JIFEN_REPORT_ROWS_MAX,
                           sizeof *rep->rows);
    if (!rep || !rep->rows) {
        if (rep)
            free(rep);
        r->status = JIFEN_STATUS_INTERNAL;
        snprintf(r->error, sizeof r->error, "out of memory");
        return;
    }
    r->report = rep;
    rep->n_columns = ROLLUP_N;
    for (size_t i = 0; i < ROLLUP_N; i++)
        snprintf(rep->columns[i], sizeof rep->columns[i], "%s",
                 ROLLUP_COLUMNS[i]);
    reports_totals all;
    memset(&all, 0, sizeof all);
    size_t shown = 0;
    bool ok = true;
    for (size_t i = 0; i < v->n && ok; i++) {
        const community *c = &v->items[i];
        if (cmd->street[0] && strcmp(cmd->street, c->rec.street) != 0)
            continue;
        reports_totals t;
        storage_txn txn;
        storage_error e = storage_txn_begin(ledger_storage(c->led), &txn,
                                            false);
        const policy *pol = ruleset_at(ledger_rules(c->led), to - 1);
        if (!pol)
            pol = v->pol;
        if (e == STORAGE_OK)
            e = reports_summary(&txn, pol, from, to, &t);
        storage_txn_abort(&txn);
        if (e != STORAGE_OK || t.overflow) {
            r->status = t.overflow ? JIFEN_STATUS_OVERFLOW
                                   : JIFEN_STATUS_INTERNAL;
            snprintf(r->error, sizeof r->error, "community %s: %s",
                     c->rec.code,
                     t.overflow ? "a total does not fit 64 bits"
                                : storage_strerror(e));
            return;
        }
        ok = rollup_row(rep, c->rec.code, c->rec.name, c->rec.street, &t);
        all.households += t.households;
        int64_t *sums[] = {&all.points_issued,   &all.points_redeemed,
                           &all.points_outstanding, &all.points_pending,
                           &all.funder_owed_fen,  &all.funder_overpaid_fen,
                           &all.billed_fen,
                           &all.outstanding_fen};
        int64_t vals[] = {t.points_issued,      t.points_redeemed,
                          t.points_outstanding, t.points_pending,
                          t.funder_owed_fen,    t.funder_overpaid_fen,
                          t.billed_fen,
                          t.outstanding_fen};
        for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
            ok = ok && add_to(sums[k], vals[k]);
        for (int k = 0; k < 4; k++)
            ok = ok && !__builtin_add_overflow(all.ageing_fen[k],
                                               t.ageing_fen[k],
                                               &all.ageing_fen[k]);
        if (!ok) {
            r->status = JIFEN_STATUS_OVERFLOW;
            snprintf(r->error, sizeof r->error,
                     "the roll-up's totals do not fit 64 bits");
            return;
        }
        shown++;
    }
    rollup_row(rep, "TOTAL", "", cmd->street, &all);
    snprintf(rep->title, sizeof rep->title,
             "roll-up of %zu communit%s for %s%s%s (as of the end of the "
             "month; fen and points)",
             shown, shown == 1 ? "y" : "ies", period,
             cmd->street[0] ? ", street " : "", cmd->street);
    r->status = JIFEN_STATUS_OK;
}

bool service_view_answers(const jifen_request *req)
{
    for (size_t i = 0; i < req->n_commands; i++)
        if (req->commands[i].kind != JIFEN_CMD_COMMUNITY_LIST &&
            req->commands[i].kind != JIFEN_CMD_ROLLUP)
            return false;
    return req->n_commands > 0;
}

void service_view_query(void *view, const jifen_request *req,
                        jifen_reply *reply)
{
    const service_view *v = view;
    memset(reply, 0, sizeof *reply);
    snprintf(reply->request_id, sizeof reply->request_id, "%s",
             req->request_id);
    reply->results = calloc(req->n_commands, sizeof *reply->results);
    if (!reply->results) {
        reply->status = JIFEN_STATUS_INTERNAL;
        snprintf(reply->error, sizeof reply->error, "out of memory");
        return;
    }
    reply->status = JIFEN_STATUS_OK;
    reply->n_results = req->n_commands;
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *c = &req->commands[i];
        jifen_result *r = &reply->results[i];
        if (c->kind == JIFEN_CMD_COMMUNITY_LIST)
            list_communities(v, r);
        else if (c->kind == JIFEN_CMD_ROLLUP)
            service_rollup(v, c, r);
        else {
            r->status = JIFEN_STATUS_BAD_REQUEST;
            snprintf(r->error, sizeof r->error, "command %zu is not a query "
                     "of the service", i + 1);
        }
    }
}

int service_query(service *self, const ledger_caller *caller,
                  const jifen_request *req, jifen_reply *reply)
{
    /* The service ledger's own queries (its keys, verify, ...), then the
     * service's: the community list and the roll-up. */
    if (ledger_query(self->own, req, reply) != LEDGER_OK)
        return -1;
    service_view *v = NULL;
    for (size_t i = 0; i < req->n_commands; i++) {
        const jifen_command *c = &req->commands[i];
        jifen_result *r = &reply->results[i];
        if (c->kind != JIFEN_CMD_COMMUNITY_LIST && c->kind != JIFEN_CMD_ROLLUP)
            continue;
        if (!v && !(v = service_view_of(self, caller)))
            return -1;
        codec_result_clear(r);
        memset(r, 0, sizeof *r);
        if (c->kind == JIFEN_CMD_COMMUNITY_LIST)
            list_communities(v, r);
        else
            service_rollup(v, c, r);
    }
    service_view_free(v);
    return 0;
}
