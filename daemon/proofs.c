#include "proofs.h"

#include "journal.h"
#include "notary.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void proofs_begin(proofs_context *pc, storage_txn *txn)
{
    pc->txn = txn;
    pc->bytes = 0;
    merkle_store_reader_init(&pc->tree, txn);
}

bool proofs_handles(jifen_command_kind kind)
{
    return kind == JIFEN_CMD_INCLUSION || kind == JIFEN_CMD_CONSISTENCY ||
           kind == JIFEN_CMD_TREE_HEAD;
}

static void refuse(jifen_result *r, jifen_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(jifen_result *r, jifen_status status, const char *fmt, ...)
{
    r->status = status; /* proofs_answer drops the proof */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

static void unreadable(jifen_result *r, storage_error e)
{
    refuse(r, JIFEN_STATUS_INTERNAL, "the Merkle tree cannot be read: %s",
           storage_strerror(e));
}

/* The tree size a query is for: its own, or the latest signed tree head's
 * (0). Refuses, and returns false, when the tree does not reach it. */
static bool resolve_size(proofs_context *pc, uint64_t asked, uint64_t *size,
                         jifen_result *r)
{
    uint64_t have = 0;
    storage_error e = merkle_store_size(pc->txn, &have);
    if (e != STORAGE_OK) {
        unreadable(r, e);
        return false;
    }
    *size = asked;
    if (asked == 0) {
        checkpoint cp;
        e = notary_find_tree_head(pc->txn, 0, &cp);
        if (e == STORAGE_NOT_FOUND) {
            refuse(r, JIFEN_STATUS_NO_TREE_HEAD,
                   "no signed tree head yet: ask with a tree size, or after "
                   "the next checkpoint");
            return false;
        }
        if (e != STORAGE_OK) {
            refuse(r, JIFEN_STATUS_INTERNAL, "checkpoints unreadable");
            return false;
        }
        *size = cp.entry;
    }
    if (*size > have && have == 0)
        refuse(r, JIFEN_STATUS_NO_TREE,
               "this ledger keeps no Merkle tree (merkle_tree = 0)");
    else if (*size > have)
        refuse(r, JIFEN_STATUS_NO_TREE,
               "the Merkle tree here has %" PRIu64 " entries, not %" PRIu64,
               have, *size);
    return *size <= have;
}

static bool root_of(proofs_context *pc, uint64_t size, jifen_tree_proof *p,
                    jifen_result *r)
{
    storage_error e = merkle_store_root(&pc->tree, size, p->root);
    if (e != STORAGE_OK) {
        unreadable(r, e);
        return false;
    }
    p->has_root = true;
    return true;
}

/* resolve_size, and the tree must hold `need` entries (an asked-for size
 * is checked by the codec; the latest head's may be smaller). */
static bool covering(proofs_context *pc, uint64_t asked, uint64_t need,
                     const char *what, uint64_t *size, jifen_result *r)
{
    if (!resolve_size(pc, asked, size, r))
        return false;
    if (need > *size)
        refuse(r, JIFEN_STATUS_NO_TREE_HEAD,
               "%s %" PRIu64 " is not covered by a signed tree head yet (the "
               "latest covers entries 1-%" PRIu64 ")",
               what, need, *size);
    return need <= *size;
}

static void inclusion(proofs_context *pc, const jifen_command *cmd,
                      jifen_tree_proof *p, jifen_result *r)
{
    uint64_t size = 0;
    if (!covering(pc, cmd->tree_size, cmd->entry, "entry", &size, r))
        return;
    storage_val v;
    storage_error e = journal_get(pc->txn, cmd->entry, &v);
    if (e != STORAGE_OK) {
        refuse(r, JIFEN_STATUS_INTERNAL, "entry %" PRIu64 " cannot be read",
               cmd->entry);
        return;
    }
    if (pc->bytes + v.len > PROOFS_BYTES_MAX) {
        refuse(r, JIFEN_STATUS_TOO_LARGE,
               "the entries of this reply pass %u bytes: ask for fewer "
               "proofs at a time",
               PROOFS_BYTES_MAX);
        return;
    }
    p->stored = malloc(v.len ? v.len : 1);
    if (!p->stored) {
        refuse(r, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    memcpy(p->stored, v.data, v.len);
    p->stored_len = v.len;
    pc->bytes += v.len;
    p->tree_size = size;
    p->entry = cmd->entry;
    e = merkle_store_inclusion(&pc->tree, cmd->entry, size, p->path,
                               &p->n_path);
    if (e != STORAGE_OK) {
        unreadable(r, e);
        return;
    }
    if (root_of(pc, size, p, r))
        r->status = JIFEN_STATUS_OK;
}

static void consistency(proofs_context *pc, const jifen_command *cmd,
                        jifen_tree_proof *p, jifen_result *r)
{
    uint64_t size = 0;
    if (!covering(pc, cmd->tree_size, cmd->old_size, "old size", &size, r))
        return;
    p->tree_size = size;
    p->old_size = cmd->old_size;
    storage_error e = merkle_store_consistency(&pc->tree, cmd->old_size, size,
                                               p->path, &p->n_path);
    if (e != STORAGE_OK) {
        unreadable(r, e);
        return;
    }
    if (root_of(pc, size, p, r))
        r->status = JIFEN_STATUS_OK;
}

/* The signed tree head, and the tree as it is now (unsigned). */
static void tree_head(proofs_context *pc, const jifen_command *cmd,
                      jifen_tree_proof *p, jifen_result *r)
{
    uint64_t size = 0;
    storage_error e = merkle_store_size(pc->txn, &size);
    if (e != STORAGE_OK) {
        unreadable(r, e);
        return;
    }
    checkpoint cp;
    e = notary_find_tree_head(pc->txn, cmd->entry, &cp);
    if (e == STORAGE_OK)
        memcpy(p->tree_head, cp.text, strlen(cp.text) + 1);
    else if (e != STORAGE_NOT_FOUND) {
        refuse(r, JIFEN_STATUS_INTERNAL, "checkpoints unreadable");
        return;
    }
    p->tree_size = size;
    p->entry = cmd->entry;
    if (root_of(pc, size, p, r))
        r->status = JIFEN_STATUS_OK;
}

void proofs_answer(proofs_context *pc, const jifen_command *cmd,
                   jifen_result *r)
{
    r->proof = calloc(1, sizeof *r->proof);
    if (!r->proof) {
        refuse(r, JIFEN_STATUS_INTERNAL, "out of memory");
        return;
    }
    switch (cmd->kind) {
    case JIFEN_CMD_INCLUSION:
        inclusion(pc, cmd, r->proof, r);
        break;
    case JIFEN_CMD_CONSISTENCY:
        consistency(pc, cmd, r->proof, r);
        break;
    case JIFEN_CMD_TREE_HEAD:
        tree_head(pc, cmd, r->proof, r);
        break;
    default:
        refuse(r, JIFEN_STATUS_BAD_REQUEST, "not a Merkle query");
    }
    /* A refusal carries no half-made proof. */
    if (r->status != JIFEN_STATUS_OK && r->proof) {
        free(r->proof->stored);
        free(r->proof);
        r->proof = NULL;
    }
}
