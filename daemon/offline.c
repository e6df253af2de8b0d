#define _GNU_SOURCE /* renameat2 */
#include "offline.h"

#include "codec.h"
#include "entry_codec.h"
#include "hash.h"
#include "identity.h"
#include "json_out.h"
#include "merkle_store.h"
#include "notary.h"
#include "privfile.h"
#include "progress.h"
#include "rebuild.h"
#include "storage.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

const char *offline_usage(void)
{
    return "      --backup DIR --to DEST   compacting copy of the ledger in "
           "DIR, with the server\n"
           "                               key pair, into the new directory "
           "DEST, verified\n"
           "      --verify DIR             check the chain, balances and "
           "invariants\n"
           "        [--checkpoint TEXT --checkpoint-key PUBFILE]  ... and "
           "that the ledger\n"
           "                               matches a signed checkpoint "
           "[--json]\n"
           "      --export DIR --to FILE   every entry as JSON lines (FILE "
           "- is stdout)\n"
           "        [--from N]             ... from entry N on (incremental "
           "exports)\n"
           "      --show-checkpoint DIR [--entry N]  the latest checkpoint "
           "(or the first\n"
           "                               covering entry N)\n"
           "      --rebuild DIR            re-derive every table from the "
           "journal and\n"
           "                               compare it with DIR's; with --to "
           "DEST, keep the\n"
           "                               rebuilt ledger there (recovery of "
           "a damaged index)\n"
           "                               [--policy FILE]... [--json]\n";
}

int offline_option(offline_request *req, const char *name, const char *arg)
{
    static const struct {
        const char *name;
        offline_mode mode;
    } modes[] = {{"backup", OFFLINE_BACKUP},
                 {"verify", OFFLINE_VERIFY},
                 {"export", OFFLINE_EXPORT},
                 {"show-checkpoint", OFFLINE_SHOW_CHECKPOINT},
                 {"rebuild", OFFLINE_REBUILD}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        if (strcmp(name, modes[i].name) != 0)
            continue;
        if (req->mode != OFFLINE_NONE) {
            fprintf(stderr, "jifend: one offline tool at a time\n");
            return 2;
        }
        req->mode = modes[i].mode;
        req->dir = arg;
        return 0;
    }
    if (strcmp(name, "to") == 0)
        req->to = arg;
    else if (strcmp(name, "checkpoint") == 0)
        req->checkpoint = arg;
    else if (strcmp(name, "checkpoint-key") == 0)
        req->checkpoint_key = arg;
    else if (strcmp(name, "entry") == 0)
        req->entry = arg;
    else if (strcmp(name, "from") == 0)
        req->from = arg;
    else if (strcmp(name, "json") == 0)
        req->json = true;
    return 0;
}

static storage *open_ro(const char *dir)
{
    storage *st = NULL;
    char err[512];
    if (storage_open_readonly(&st, dir, err, sizeof err) != STORAGE_OK) {
        fprintf(stderr, "jifend: cannot open the ledger: %s\n", err);
        return NULL;
    }
    return st;
}

/* Full verification of an open ledger, in one read transaction. */
static int verify_storage(storage *st, jifen_verify_report *r)
{
    storage_txn txn;
    memset(r, 0, sizeof *r);
    if (storage_txn_begin(st, &txn, false) != STORAGE_OK) {
        snprintf(r->problem, sizeof r->problem, "cannot read: %s",
                 storage_txn_strerror(&txn));
        return -1;
    }
    verify_ledger(&txn, r);
    storage_txn_abort(&txn);
    return r->ok ? 0 : -1;
}

static void print_report(const char *what, const jifen_verify_report *r)
{
    char hex[65];
    hash_hex(r->head, sizeof r->head, hex, sizeof hex);
    if (r->ok)
        printf("%s: ok, %" PRIu64 " entries, head %s\n", what, r->entries,
               hex);
    else
        printf("%s: FAILED at entry %" PRIu64 ": %s\n", what, r->bad_entry,
               r->problem);
}

/* --- a service's data directory --------------------------------------------------
 *
 * A service keeps its ledger in DIR/service and one per community in
 * DIR/communities/CODE (service.h). A tool meant for one ledger (export,
 * show-checkpoint, verify against a checkpoint) works on the community
 * named with --community, or on the only one; verify, backup and rebuild
 * work on every ledger of the service unless one community is named. A
 * directory that is itself a ledger (a backup of one community, an
 * earlier release's data directory) is that ledger.
 */

#define PATH_CAP 4096

typedef struct {
    char path[PATH_CAP];
    char name[JIFEN_COMMUNITY_MAX + 16]; /* "service", "community CODE" */
    char sub[JIFEN_COMMUNITY_MAX + 16];  /* "service", "communities/CODE" */
} target;

static bool is_service_dir(const char *dir)
{
    char path[PATH_CAP];
    struct stat st;
    return snprintf(path, sizeof path, "%s/service/data.mdb", dir) <
               (int)sizeof path &&
           stat(path, &st) == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const target *)a)->sub, ((const target *)b)->sub);
}

/* The communities' directories of a service (codes in order). */
static int community_dirs(const char *dir, target **out, size_t *n)
{
    char path[PATH_CAP];
    snprintf(path, sizeof path, "%s/communities", dir);
    DIR *d = opendir(path);
    *out = NULL;
    *n = 0;
    if (!d)
        return 0;
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strlen(de->d_name) > JIFEN_COMMUNITY_MAX)
            continue;
        char ledger[PATH_CAP];
        struct stat st;
        if (strlen(de->d_name) > JIFEN_COMMUNITY_MAX)
            continue; /* no community's code */
        if (snprintf(ledger, sizeof ledger, "%s/%s/data.mdb", path,
                     de->d_name) >= (int)sizeof ledger ||
            stat(ledger, &st) != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            target *t = realloc(*out, cap * sizeof *t);
            if (!t) {
                rc = -1;
                break;
            }
            *out = t;
        }
        target *t = &(*out)[(*n)++];
        /* path/NAME fits: the data.mdb under it did. */
        if (snprintf(t->path, sizeof t->path, "%s/%s", path, de->d_name) >=
            (int)sizeof t->path)
            (*n)--;
        /* codes are at most JIFEN_COMMUNITY_MAX (longer names were
         * skipped above) */
        snprintf(t->name, sizeof t->name, "community %.*s",
                 JIFEN_COMMUNITY_MAX, de->d_name);
        snprintf(t->sub, sizeof t->sub, "communities/%.*s",
                 JIFEN_COMMUNITY_MAX, de->d_name);
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof **out, by_name);
    return rc;
}

int offline_ledger_dir(const char *dir, const char *community, char *out,
                       size_t cap, char *err, size_t errlen)
{
    if (!is_service_dir(dir)) {
        if (community) {
            snprintf(err, errlen, "%s is not a service's data directory "
                     "(no service/): --community does not apply", dir);
            return -1;
        }
        snprintf(out, cap, "%s", dir);
        return 0;
    }
    if (community) {
        char path[PATH_CAP];
        struct stat st;
        snprintf(out, cap, "%s/communities/%s", dir, community);
        snprintf(path, sizeof path, "%s/data.mdb", out);
        if (strchr(community, '/') || community[0] == '.' ||
            stat(path, &st) != 0) {
            snprintf(err, errlen, "the service in %s has no community %s",
                     dir, community);
            return -1;
        }
        return 0;
    }
    target *t = NULL;
    size_t n = 0;
    if (community_dirs(dir, &t, &n) != 0 || n != 1) {
        snprintf(err, errlen, "the service in %s has %zu communities: name "
                 "one with --community CODE", dir, n);
        free(t);
        return -1;
    }
    snprintf(out, cap, "%s", t[0].path);
    free(t);
    return 0;
}

/* Every ledger the tool works on: one (a ledger directory, a community
 * named, or the only one where `one`), or all of a service's. */
static int targets_of(const offline_request *req, bool one, target **out,
                      size_t *n)
{
    *out = NULL;
    *n = 0;
    char err[PATH_CAP + 200];
    if (!is_service_dir(req->dir) || req->community || one) {
        target *t = calloc(1, sizeof *t);
        if (!t)
            return -1;
        if (offline_ledger_dir(req->dir, req->community, t->path,
                               sizeof t->path, err, sizeof err) != 0) {
            fprintf(stderr, "jifend: %s\n", err);
            free(t);
            return -1;
        }
        snprintf(t->name, sizeof t->name, "%s",
                 req->community ? req->community : "");
        *out = t;
        *n = 1;
        return 0;
    }
    target *c = NULL;
    size_t nc = 0;
    if (community_dirs(req->dir, &c, &nc) != 0) {
        fprintf(stderr, "jifend: out of memory\n");
        return -1;
    }
    target *all = realloc(c, (nc + 1) * sizeof *all);
    if (!all) {
        free(c);
        return -1;
    }
    memmove(all + 1, all, nc * sizeof *all);
    snprintf(all[0].path, sizeof all[0].path, "%s/service", req->dir);
    snprintf(all[0].name, sizeof all[0].name, "service");
    snprintf(all[0].sub, sizeof all[0].sub, "service");
    *out = all;
    *n = nc + 1;
    return 0;
}

/* Runs fn on each target with req->dir set to it; the worst exit status. */
static int for_each_target(const offline_request *req, bool one,
                           int (*fn)(const offline_request *req,
                                     const target *t))
{
    target *t = NULL;
    size_t n = 0;
    if (targets_of(req, one, &t, &n) != 0)
        return 2;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        offline_request each = *req;
        each.dir = t[i].path;
        int r = fn(&each, &t[i]);
        if (r > rc)
            rc = r;
    }
    free(t);
    return rc;
}

/* --- backup --------------------------------------------------------------- */

/* Removes what a failed backup left in its temporary directory: the
 * directory this backup made, and only what backups write into it. */
static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_partial(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* fsync of a directory: its entries (a new file, a rename) on disk. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The directory that holds `path` (".", for a bare name), in out. */
static void parent_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

/* The server's identity goes with the ledger: restored without it, jifend
 * would make a new key pair and every client, holding the old jifend.pub,
 * would get no reply. jifend.key stays 0600 in the backup (which is as
 * secret as the data directory: it holds residents' names too). The
 * checkpoint signing key is not copied: it is kept apart, once, so that a
 * stolen backup cannot sign checkpoints (docs/operations.md, section 4).
 * 0, or -1 (reported). */
static int copy_identity(const char *dir, const char *tmp)
{
    static const struct {
        const char *name;
        bool secret;
    } files[] = {{IDENTITY_SECRET_FILE, true}, {IDENTITY_PUBLIC_FILE, false}};
    char from[4300], to[4300], err[9000];
    snprintf(from, sizeof from, "%s/%s", dir, IDENTITY_SECRET_FILE);
    if (access(from, F_OK) != 0 && errno == ENOENT) {
        fprintf(stderr, "jifend: note: %s has no %s (it never served): the "
                        "backup holds the ledger only\n",
                dir, IDENTITY_SECRET_FILE);
        return 0;
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(from, sizeof from, "%s/%s", dir, files[i].name);
        snprintf(to, sizeof to, "%s/%s", tmp, files[i].name);
        if (privfile_copy(from, to, files[i].secret, err, sizeof err) != 0) {
            fprintf(stderr, "jifend: backup of the server key failed: %s\n",
                    err);
            return -1;
        }
    }
    return 0;
}

/* tmp becomes dest, never over anything that is there by then. */
static int publish(const char *tmp, const char *dest)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A filesystem without RENAME_NOREPLACE: rename would replace an empty
     * directory that appeared meanwhile, so look first. */
    struct stat st;
    if (lstat(dest, &st) == 0) {
        errno = EEXIST;
        return -1;
    }
    return rename(tmp, dest);
}

/* One ledger copied into the new directory dest (made here), then
 * verified there as a restore would open it. 0, or 1 (reported). */
static int backup_ledger(const char *src, const char *dest, const char *name)
{
    if (mkdir(dest, 0700) != 0) {
        fprintf(stderr, "jifend: cannot create %s: %s\n", dest,
                strerror(errno));
        return 1;
    }
    storage *st = open_ro(src);
    if (!st)
        return 1;
    char err[8400];
    storage_error e = storage_copy(st, dest, err, sizeof err);
    storage_close(&st);
    if (e != STORAGE_OK) {
        fprintf(stderr, "jifend: backup failed: %s\n", err);
        return 1;
    }
    /* The restore check: the copy must verify on its own. */
    st = open_ro(dest);
    if (!st)
        return 1;
    jifen_verify_report r;
    int rc = verify_storage(st, &r);
    storage_close(&st);
    char what[4300];
    snprintf(what, sizeof what, "backup %s", name);
    print_report(what, &r);
    return rc == 0 ? 0 : 1;
}

/* The ledgers of the backup, each into its place under tmp: one ledger
 * (a community, or a ledger directory) as tmp itself, or a whole service
 * as tmp/service and tmp/communities/CODE. */
static int backup_ledgers(const offline_request *req, const char *tmp,
                          size_t *n_ledgers)
{
    *n_ledgers = 1;
    if (!is_service_dir(req->dir) || req->community) {
        char dir[PATH_CAP], err[PATH_CAP + 200];
        if (offline_ledger_dir(req->dir, req->community, dir, sizeof dir, err,
                               sizeof err) != 0) {
            fprintf(stderr, "jifend: %s\n", err);
            return 2;
        }
        rmdir(tmp); /* backup_ledger makes it */
        return backup_ledger(dir, tmp, req->to);
    }
    target *t = NULL;
    size_t n = 0;
    if (targets_of(req, false, &t, &n) != 0)
        return 2;
    char sub[4300];
    snprintf(sub, sizeof sub, "%s/communities", tmp);
    int rc = 0;
    if (mkdir(sub, 0700) != 0) {
        fprintf(stderr, "jifend: cannot create %s: %s\n", sub,
                strerror(errno));
        rc = 1;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char dest[4400], name[4400];
        snprintf(dest, sizeof dest, "%s/%s", tmp, t[i].sub);
        snprintf(name, sizeof name, "%s/%s", req->to, t[i].sub);
        rc = backup_ledger(t[i].path, dest, name);
    }
    free(t);
    *n_ledgers = n;
    return rc;
}

/*
 * Nothing that looks like a good backup until it is one: the copy is made
 * in DEST.incomplete-PID next to DEST, synced, verified as a restore would
 * use it, and only then renamed to DEST (and the rename synced). A backup
 * killed on the way (a full disk, kill -9, a power cut) leaves at most a
 * directory named incomplete, never a DEST. A whole service's backup is
 * its directory: every ledger and the server's key pair, so that DEST is a
 * data directory to restore from.
 */
static int run_backup(const offline_request *req)
{
    if (!req->to) {
        fprintf(stderr, "jifend: --backup needs --to DEST\n");
        return 2;
    }
    struct stat sb;
    if (lstat(req->to, &sb) == 0) {
        fprintf(stderr, "jifend: %s exists (DEST must be new; a backup is "
                        "never written over anything)\n", req->to);
        return 1;
    }
    char tmp[4200], parent[4200];
    snprintf(tmp, sizeof tmp, "%s.incomplete-%ld", req->to, (long)getpid());
    if (mkdir(tmp, 0700) != 0) {
        fprintf(stderr, "jifend: cannot create %s: %s\n", tmp,
                strerror(errno));
        return 1;
    }
    size_t n = 0;
    int rc = backup_ledgers(req, tmp, &n);
    if (rc == 0 && copy_identity(req->dir, tmp) != 0)
        rc = 1;
    if (rc == 0 && (sync_dir(tmp) != 0 || publish(tmp, req->to) != 0)) {
        fprintf(stderr, "jifend: cannot rename %s to %s: %s\n", tmp,
                req->to, strerror(errno));
        rc = 1;
    }
    parent_of(req->to, parent, sizeof parent);
    if (rc == 0 && sync_dir(parent) != 0) {
        fprintf(stderr, "jifend: cannot sync %s: %s\n", parent,
                strerror(errno));
        rc = 1;
    }
    if (rc != 0 && lstat(tmp, &sb) == 0)
        remove_partial(tmp);
    if (rc == 0 && n > 1)
        printf("backup %s: the service's %zu ledger(s) and its keys\n",
               req->to, n);
    return rc;
}

/* --- verify --------------------------------------------------------------- */

/* Compares entry cp->entry of the ledger with a signed checkpoint. */
static int check_checkpoint(storage *st, const offline_request *req,
                            char *why, size_t whylen)
{
    checkpoint cp;
    uint8_t pub[CHECKPOINT_PUBLIC_LEN], have[32];
    if (!req->checkpoint_key) {
        snprintf(why, whylen, "--checkpoint needs --checkpoint-key PUBFILE");
        return -1;
    }
    if (checkpoint_parse(&cp, req->checkpoint, why, whylen) != 0 ||
        checkpoint_read_public_key(req->checkpoint_key, pub, why, whylen) !=
            0)
        return -1;
    if (checkpoint_check_signature(&cp, pub) != 0) {
        snprintf(why, whylen, "the checkpoint's signature does not hold for "
                              "this public key: it is not genuine");
        return -1;
    }
    storage_txn txn;
    merkle_hash root;
    uint64_t tree = 0;
    storage_error e = storage_txn_begin(st, &txn, false);
    if (e == STORAGE_OK)
        e = notary_entry_hash(&txn, cp.entry, have);
    /* A signed tree head also names the Merkle root: the tree here must
     * give it (it is what residents' proofs are checked against). */
    bool root_ok = true;
    if (e == STORAGE_OK && cp.has_root) {
        merkle_store_reader mr;
        merkle_store_reader_init(&mr, &txn);
        root_ok = merkle_store_size(&txn, &tree) == STORAGE_OK &&
                  tree >= cp.entry &&
                  merkle_store_root(&mr, cp.entry, root) == STORAGE_OK &&
                  sodium_memcmp(root, cp.root, 32) == 0;
    }
    storage_txn_abort(&txn);
    if (e == STORAGE_NOT_FOUND) {
        snprintf(why, whylen, "the ledger has no entry %" PRIu64
                              " (it was cut short)", cp.entry);
        return -1;
    }
    if (e != STORAGE_OK) {
        snprintf(why, whylen, "cannot read entry %" PRIu64, cp.entry);
        return -1;
    }
    if (sodium_memcmp(have, cp.hash, 32) != 0) {
        snprintf(why, whylen, "entry %" PRIu64 " differs from the signed "
                 "checkpoint: history was rewritten", cp.entry);
        return -1;
    }
    if (!root_ok) {
        snprintf(why, whylen, "the Merkle tree of the first %" PRIu64
                 " entries differs from the signed tree head (it needs "
                 "rebuilding: start jifend once on a copy)", cp.entry);
        return -1;
    }
    /* The signing time, as the line has it: the third field. */
    const char *when = strchr(cp.text, ' ');
    when = when ? strchr(when + 1, ' ') : NULL;
    snprintf(why, whylen, "entry %" PRIu64 " matches the %s signed at %.20s",
             cp.entry, cp.has_root ? "signed tree head" : "checkpoint",
             when ? when + 1 : "?");
    return 0;
}

/* One ledger verified (and against the checkpoint, when given): its
 * verdict printed as a line labelled `label`, or added to the JSON object
 * j. 0 when it holds, 1 when not. */
static int verify_one(const offline_request *req, const char *label,
                      json_out *j)
{
    storage *st = open_ro(req->dir);
    if (!st) {
        if (j) {
            json_out_bool(j, "ok", false);
            json_out_str(j, "problem", "the ledger cannot be opened");
        }
        return 1;
    }
    jifen_verify_report r;
    int rc = verify_storage(st, &r);
    char why[300] = "";
    int cprc = 0;
    if (req->checkpoint)
        cprc = check_checkpoint(st, req, why, sizeof why);
    storage_close(&st);
    char hex[65];
    hash_hex(r.head, sizeof r.head, hex, sizeof hex);
    if (j) {
        json_out_bool(j, "ok", rc == 0 && cprc == 0);
        json_out_bool(j, "chain_ok", rc == 0);
        json_out_u64(j, "entries", r.entries);
        json_out_str(j, "head", hex);
        json_out_u64(j, "bad_entry", r.bad_entry);
        json_out_str(j, "problem", r.problem);
        if (req->checkpoint) {
            json_out_bool(j, "checkpoint_ok", cprc == 0);
            json_out_str(j, "checkpoint", why);
        }
    } else {
        print_report(label, &r);
        if (req->checkpoint)
            printf("checkpoint: %s%s\n", cprc == 0 ? "ok, " : "FAILED: ",
                   why);
    }
    return rc == 0 && cprc == 0 ? 0 : 1;
}

/* A checkpoint belongs to one ledger; otherwise every ledger of a service
 * is verified, each on its line (--json: {"ok", "ledgers": [...]}). */
static int run_verify(const offline_request *req)
{
    target *t = NULL;
    size_t n = 0;
    if (targets_of(req, req->checkpoint != NULL, &t, &n) != 0)
        return 2;
    int rc = 0;
    json_out *doc = req->json ? json_out_new() : NULL;
    json_out *list = n > 1 && doc ? json_out_array(doc, "ledgers") : NULL;
    for (size_t i = 0; i < n; i++) {
        offline_request each = *req;
        each.dir = t[i].path;
        json_out *j = list ? json_out_object(list, NULL) : doc;
        if (list)
            json_out_str(j, "ledger", t[i].sub);
        if (verify_one(&each, n > 1 ? t[i].path : req->dir, j) != 0)
            rc = 1;
    }
    if (list)
        json_out_bool(doc, "ok", rc == 0);
    if (doc)
        json_out_print(stdout, &doc);
    free(t);
    return rc;
}

/* --- show-checkpoint ------------------------------------------------------ */

/* An optional entry number option; 0 when absent. 0, or -1 (reported). */
static int entry_option(const char *name, const char *text, uint64_t *out)
{
    *out = 0;
    if (!text)
        return 0;
    char *end = NULL;
    errno = 0;
    *out = strtoull(text, &end, 10);
    if (errno || !*text || *end || text[0] < '0' || text[0] > '9') {
        fprintf(stderr, "jifend: %s: not an entry number: %s\n", name, text);
        return -1;
    }
    return 0;
}

static int show_checkpoint_one(const offline_request *req, const target *t)
{
    (void)t;
    uint64_t entry = 0;
    if (entry_option("--entry", req->entry, &entry) != 0)
        return 2;
    storage *st = open_ro(req->dir);
    if (!st)
        return 1;
    storage_txn txn;
    checkpoint cp;
    storage_error e = storage_txn_begin(st, &txn, false);
    if (e == STORAGE_OK)
        e = notary_find(&txn, entry, &cp);
    storage_txn_abort(&txn);
    storage_close(&st);
    if (e != STORAGE_OK) {
        fprintf(stderr, "jifend: no checkpoint%s\n",
                e == STORAGE_NOT_FOUND ? " yet" : ": unreadable");
        return 1;
    }
    printf("%s\n", cp.text);
    return 0;
}

/* --- export --------------------------------------------------------------- */

/* A field of the export, left out when empty or zero (docs/export-format.md). */
static void opt_str(json_out *o, const char *key, const char *value)
{
    if (value && *value)
        json_out_str(o, key, value);
}

static void opt_u64(json_out *o, const char *key, uint64_t value)
{
    if (value)
        json_out_u64(o, key, value);
}

static void export_command(json_out *o, const jifen_command *c)
{
    json_out_str(o, "kind", codec_command_name(c->kind));
    opt_str(o, "household", c->household);
    opt_str(o, "code", c->code);
    opt_str(o, "name", c->name);
    opt_str(o, "note", c->note);
    opt_str(o, "period", c->period);
    opt_str(o, "effective", c->effective);
    opt_str(o, "text", c->text); /* a rule set's adoption: the rules */
    opt_u64(o, "amount", c->amount);
    opt_u64(o, "points", c->points);
    opt_u64(o, "hours", c->hours);
    opt_u64(o, "area_centi_m2", c->area_centi_m2);
    opt_u64(o, "entry", c->entry);
}

/* One line of the export. 0, or -1 when it could not be written. */
static int export_entry(FILE *f, const storage_val *v, const jifen_entry *e,
                        const uint8_t hash[32], char *b64, size_t b64cap)
{
    char prev[65], hex[65];
    sodium_bin2base64(b64, b64cap, v->data, v->len,
                      sodium_base64_VARIANT_ORIGINAL);
    json_out *o = json_out_new();
    json_out_u64(o, "seq", e->seq);
    json_out_str(o, "stored", b64);
    json_out_str(o, "prev_hash", hash_hex(e->prev_hash, 32, prev, sizeof prev));
    json_out_str(o, "hash", hash_hex(hash, 32, hex, sizeof hex));
    json_out_i64(o, "time_ms", e->time_ms);
    opt_str(o, "request_id", e->request_id);
    opt_str(o, "author", e->author);
    opt_str(o, "policy", e->policy);
    export_command(json_out_object(o, "command"), &e->command);
    json_out_postings(o, e->postings, e->n_postings);
    opt_u64(o, "reverses", e->reverses);
    return json_out_write(f, &o);
}

/* Writes every entry; a stored entry that does not decode stops the export
 * (verify says why). */
static int export_journal(storage_txn *txn, FILE *f, uint64_t from,
                          uint64_t *count)
{
    static jifen_entry e; /* large; single-threaded tool */
    size_t b64cap = sodium_base64_ENCODED_LEN(codec_entry_max_size(),
                                              sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64cap);
    storage_cursor *c = NULL;
    storage_val k, v;
    char why[160];
    uint8_t hash[32], key[8];
    storage_be64_put(key, from);
    storage_error se = b64 ? storage_cursor_open(txn, TABLE_JOURNAL, &c)
                           : STORAGE_FAILED;
    if (se == STORAGE_OK)
        se = storage_cursor_seek(c, key, sizeof key, &k, &v);
    while (se == STORAGE_OK) {
        if (v.len > codec_entry_max_size() ||
            codec_entry_decode_text(v.data, v.len, &e, why, sizeof why) !=
                JIFEN_STATUS_OK) {
            fprintf(stderr, "jifend: entry %" PRIu64 " does not decode\n",
                    storage_be64_get(k.data));
            break;
        }
        hash_sha256(v.data, v.len, hash);
        int written = export_entry(f, &v, &e, hash, b64, b64cap);
        free(e.command.text);
        e.command.text = NULL;
        if (written != 0) {
            fprintf(stderr, "jifend: entry %" PRIu64 " could not be written\n",
                    storage_be64_get(k.data));
            break;
        }
        (*count)++;
        se = storage_cursor_next(c, &k, &v);
    }
    storage_cursor_close(&c);
    free(b64);
    return se == STORAGE_NOT_FOUND ? 0 : -1;
}

static int export_one(const offline_request *req, const target *t)
{
    (void)t;
    uint64_t from = 0;
    if (!req->to) {
        fprintf(stderr, "jifend: --export needs --to FILE (- for stdout)\n");
        return 2;
    }
    if (entry_option("--from", req->from, &from) != 0)
        return 2;
    storage *st = open_ro(req->dir);
    if (!st)
        return 1;
    /* The export holds residents' names and notes: a private file, new
     * (never over an existing one or through a symlink: as root that would
     * overwrite anything). */
    bool to_stdout = strcmp(req->to, "-") == 0;
    char err[1200];
    int fd = to_stdout ? -1 : privfile_create(req->to, 0600, err, sizeof err);
    FILE *f = to_stdout ? stdout : fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0) {
            close(fd);
            snprintf(err, sizeof err, "%s: %s", req->to, strerror(errno));
        }
        fprintf(stderr, "jifend: %s\n", err);
        storage_close(&st);
        return 1;
    }
    storage_txn txn;
    uint64_t count = 0;
    int rc = storage_txn_begin(st, &txn, false) == STORAGE_OK
                 ? export_journal(&txn, f, from, &count)
                 : -1;
    storage_txn_abort(&txn);
    storage_close(&st);
    if (fflush(f) != 0 || ferror(f))
        rc = -1;
    if (!to_stdout) {
        if (fsync(fileno(f)) != 0)
            rc = -1;
        if (fclose(f) != 0)
            rc = -1;
    }
    if (rc != 0) {
        /* No half export left behind to be taken for a whole one. */
        if (!to_stdout)
            unlink(req->to);
        fprintf(stderr, "jifend: export to %s failed\n", req->to);
        return 1;
    }
    fprintf(stderr, "exported %" PRIu64 " entries to %s\n", count, req->to);
    return 0;
}

/* --- rebuild --------------------------------------------------------------- */

static int rebuild_one(const offline_request *req, const target *t)
{
    (void)t;
    char tmp[] = "/tmp/jifen-rebuild.XXXXXX";
    const char *dest = req->to;
    if (dest && mkdir(dest, 0700) != 0) {
        fprintf(stderr, "jifend: cannot create %s: %s (DEST must be new)\n",
                dest, strerror(errno));
        return 2;
    }
    if (!dest) {
        const char *base = getenv("TMPDIR");
        char *made = NULL;
        static char path[512];
        if (base && snprintf(path, sizeof path, "%s/jifen-rebuild.XXXXXX",
                             base) < (int)sizeof path)
            made = mkdtemp(path);
        if (!made)
            made = mkdtemp(tmp);
        if (!made) {
            fprintf(stderr, "jifend: cannot make a scratch directory: %s\n",
                    strerror(errno));
            return 1;
        }
        dest = made;
    }
    rebuild_options ro = {.pol = req->pol,
                          .rules = req->rules,
                          .compare = true,
                          .progress = req->json ? NULL : progress_on_tty,
                          .progress_ctx = (void *)"rebuilding"};
    rebuild_report r;
    char err[600];
    int rc = rebuild_ledger(req->dir, dest, &ro, &r, err, sizeof err);
    if (!req->to) { /* the scratch copy goes */
        char path[600];
        snprintf(path, sizeof path, "%s/data.mdb", dest);
        unlink(path);
        snprintf(path, sizeof path, "%s/lock.mdb", dest);
        unlink(path);
        rmdir(dest);
    }
    if (rc != 0) {
        fprintf(stderr, "jifend: cannot rebuild %s: %s\n", req->dir, err);
        return 1;
    }
    if (req->json) {
        json_out *j = json_out_new();
        json_out_u64(j, "entries", r.entries);
        json_out_bool(j, "compared", r.compared);
        json_out_bool(j, "same", r.same);
        json_out_str(j, "source_format", r.source_format);
        json_out_str(j, "difference", r.difference);
        if (req->to)
            json_out_str(j, "to", req->to);
        json_out_print(stdout, &j);
    } else if (!r.compared) {
        printf("%s: %" PRIu64 " entries rebuilt; not compared: the ledger is "
               "of format %s, an earlier release's (this jifend migrates it "
               "when it opens it)%s%s\n",
               req->dir, r.entries, r.source_format[0] ? r.source_format : "?",
               req->to ? "; the rebuilt ledger is in " : "",
               req->to ? req->to : "");
    } else if (r.same) {
        printf("%s: %" PRIu64 " entries rebuilt; every derived table is the "
               "same%s%s\n",
               req->dir, r.entries, req->to ? "; rebuilt ledger in " : "",
               req->to ? req->to : "");
    } else {
        printf("%s: %" PRIu64 " entries rebuilt; DIFFERS: %s%s%s\n",
               req->dir, r.entries, r.difference,
               req->to ? "; the rebuilt ledger is in " : "",
               req->to ? req->to : "");
    }
    return r.same || !r.compared ? 0 : 1;
}

bool offline_needs_rules(const offline_request *req)
{
    return req->mode == OFFLINE_REBUILD;
}

int offline_run(const offline_request *req)
{
    switch (req->mode) {
    case OFFLINE_BACKUP:
        return run_backup(req);
    case OFFLINE_VERIFY:
        return run_verify(req);
    case OFFLINE_EXPORT:
        return for_each_target(req, true, export_one);
    case OFFLINE_SHOW_CHECKPOINT:
        return for_each_target(req, true, show_checkpoint_one);
    case OFFLINE_REBUILD:
        /* --to keeps one rebuilt ledger: a community named, or the only
         * one. */
        return for_each_target(req, req->to != NULL, rebuild_one);
    case OFFLINE_NONE:
        break;
    }
    return 2;
}
