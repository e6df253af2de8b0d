/*
 * cli_proof - the jifen commands a resident checks their own entries with
 * (docs/proofs.md): proofs asked from jifend and checked here, against a
 * signed tree head, with the Merkle code of common/merkle.c and the
 * community's public key; nothing the daemon says about the outcome is
 * taken on trust.
 *
 *   jifen proof ENTRY [--checkpoint LINE] [--checkpoint-key PUB]
 *   jifen checkpoint consistency OLD NEW|latest [--checkpoint-key PUB]
 *   jifen report statement H --proof [--period P] [--checkpoint LINE] ...
 *   jifen checkpoint [--entry N] --qr | --svg FILE | --png FILE
 *
 * With --json each prints one document of docs/proofs.md, which another
 * program (tools/verify_export.py) can check again on its own.
 */
#ifndef JIFEN_CLI_PROOF_H
#define JIFEN_CLI_PROOF_H

#include "cli_output.h"
#include "jifen.h"

/* Sends a request; 0 with *reply filled (the caller clears it), or the
 * CLI's exit code of a failure, already reported. */
typedef int (*cli_call_fn)(void *ctx, const jifen_request *req,
                           jifen_reply *reply);

/* Sends req through call; 0 with a reply that holds a result per command
 * (the caller clears it), or the exit code of a failure: reported here,
 * the whole request's refusal too (4 when forbidden, else 1). */
int cli_request(const cli_output *out, cli_call_fn call, void *ctx,
                const jifen_request *req, jifen_reply *reply);

typedef struct {
    const cli_output *out;
    cli_call_fn call;
    void *ctx;
    const char *checkpoint;     /* --checkpoint LINE, or NULL */
    const char *checkpoint_key; /* --checkpoint-key PUB, or NULL */
} cli_proof_env;

/* Each returns the CLI's exit code: 0 the proof holds, 1 it does not (or
 * the ledger refused), 2 usage, 3 unreachable. */
int cli_proof_entry(const cli_proof_env *env, uint64_t entry);
int cli_proof_consistency(const cli_proof_env *env, const char *old_line,
                          const char *new_line);
int cli_proof_statement(const cli_proof_env *env, const jifen_command *report);
int cli_checkpoint_picture(const cli_proof_env *env, uint64_t entry,
                           bool terminal, const char *svg, const char *png);

#endif
