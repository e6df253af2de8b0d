#!/usr/bin/env bash
# replica.sh - a read-only replica following a primary: it catches up in
# batches, serves the same answers (balances, history, verify, checkpoints),
# refuses writes, catches up after it was stopped and after the primary was
# killed and restarted, and stops following - while still serving what it
# has - when the primary's history was rewritten behind its back.
# Keys: the replica logs in to the primary with its own key pair (made here
# with `jifen keygen` as DATA/jifend.key/.pub, enrolled on the primary as an
# auditor) and the primary's public key; its clients are the primary's
# enrolled keys, which the replica learns from the replicated enrolments.
source "$(dirname "$0")/lib.sh"
: "${BURST:?BURST must name the burst test tool}"
: "${TAMPER:?TAMPER must name the tamper test tool}"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PRIMARY="tcp://127.0.0.1:$PORT"
CONF="$WORK/primary.conf"
printf 'checkpoint_entries = 100\n' >"$CONF"
start_primary() {
    start_daemon "$WORK/p" --config "$CONF" --listen "$PRIMARY"
    P_PID=$PID
    P_LOG=$DAEMON_LOG
}
start_replica() {
    start_daemon "$WORK/r" --replica-of "$PRIMARY" --replica-server-key "$WORK/p/jifend.pub"
    R_PID=$PID
    R_EP=$ENDPOINT
    R_LOG=$DAEMON_LOG
}
# pburst ARGS...: the burst writer against the primary, as the committee.
pburst() {
    JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$WORK/p/jifend.pub" "$BURST" "$PRIMARY" "$@"
}
# wait_caught_up: until the replica has as many entries as the primary
wait_caught_up() {
    local want have i end=$((SECONDS + 10))
    want=$(entries_of "$PRIMARY")
    # At most 200 tries and 10 s: a replica that refuses the key costs a
    # client timeout per try.
    for ((i = 0; i < 200 && SECONDS < end; i++)); do
        have=$(ON_TIMEOUT=500 entries_of "$R_EP")
        [ "$have" = "$want" ] && { pass "replica caught up: $have entries"; return 0; }
        sleep 0.05
    done
    fail "replica has $have entries, primary $want (10 s)"
}
same_answers() { # WHAT: balances, history, verify head equal on both
    local q
    for q in "balance h0" "balance h1" "history h0 --limit 1000" "history h1 --limit 1000" "verify" "checkpoint" "key list" "proof $(seqs 5)"; do
        # shellcheck disable=SC2086
        # shellcheck disable=SC2086
        check_eq "$1: '$q' same on both (sha256 of the JSON answer)" \
            "$(on "$PRIMARY" --json $q | sha256sum | cut -c1-16)" "$(on "$R_EP" --json $q | sha256sum | cut -c1-16)"
    done
}

start_primary
for h in h0 h1; do on "$PRIMARY" household add "$h" >/dev/null || die "household add $h"; done
pburst h0 a 200 3 0 3000 >/dev/null || die "burst h0"
pburst h1 b 200 3 0 3000 >/dev/null || die "burst h1"
on "$PRIMARY" bill h1 88.80 --period 2026-11 >/dev/null
# An award (entry 5 counted before the BASE enrolments), the committee's.
ON_KEY=$(key_of committee) on "$PRIMARY" reverse "$(seqs 5)" --note "entered twice" >/dev/null || die "reverse"
# The replica's key pair, where jifend looks for its own (DATA/jifend.key),
# enrolled on the primary as an auditor: the replica reads the feed with it.
mkdir -m 700 "$WORK/r"
"$JIFEN" keygen --out "$WORK/r/jifend" >/dev/null || die "keygen for the replica"
on "$PRIMARY" key enrol "$WORK/r/jifend.pub" auditor --label "replica r" >/dev/null || die "enrol the replica's key"

start_replica
wait_caught_up # BASE + 1,205 entries: several feed batches of 500
same_answers "first catch-up"
run on "$R_EP" award h0 volunteer --hours 1
# Status forbidden (docs/operations.md), which the CLI reports as exit 4
# since roles exist (docs/security.md).
check_rc "a write to the replica is refused" 4
check_contains "with a clear reason" "read-only replica" "$ERR"
run on "$R_EP" verify --checkpoint "$(on "$PRIMARY" checkpoint)" --checkpoint-key "$WORK/p/checkpoint.pub"
check_rc "the replica matches the primary's signed checkpoint" 0
[ ! -e "$WORK/r/checkpoint.key" ] && pass "a replica has no signing key" || fail "replica made a key"
# The replica's Merkle tree is the primary's (the same merkle_append on the
# same bytes; it also checks each replicated tree head's root): its proofs
# hold against the primary's signed tree heads.
STH=$(on "$PRIMARY" checkpoint)
run on "$R_EP" proof "$(seqs 5)" --checkpoint "$STH" --checkpoint-key "$WORK/p/checkpoint.pub"
check_rc "a proof from the replica holds against the primary's tree head" 0
run on "$R_EP" checkpoint consistency "$(on "$PRIMARY" checkpoint --entry 1)" "$STH" --checkpoint-key "$WORK/p/checkpoint.pub"
check_rc "and so does a consistency proof" 0
check_not_contains "no root mismatch logged" "another Merkle root" "$(cat "$R_LOG")"

# Stopped replica: catches up on restart.
stop_daemon
pburst h0 c 50 2 0 3000 >/dev/null || die "burst c"
start_replica
wait_caught_up
same_answers "after the replica was stopped"

# Primary killed: the replica serves reads; primary back: it follows again.
kill -KILL "$P_PID"
wait "$P_PID" 2>/dev/null || true
run on "$R_EP" balance h0
check_rc "reads from the replica while the primary is down" 0
for ((i = 0; i < 60; i++)); do grep -q "does not answer" "$R_LOG" && break; sleep 0.05; done
check_contains "the replica logs the lost primary" "does not answer" "$(cat "$R_LOG")"
start_primary
pburst h1 d 50 2 0 3000 >/dev/null || die "burst d"
wait_caught_up
same_answers "after the primary came back"
run on "$R_EP" --json stats
check_eq "replica lag is 0 when caught up" 0 "$(jget .replica_lag)"

# Keys enrolled and revoked on the primary while the replica follows: the
# replica admits and refuses them as the primary does (TABLE_KEYS is
# rebuilt from the replicated key entries, the ZAP snapshot reloaded).
"$JIFEN" keygen --out "$KEYS/late" >/dev/null || die "keygen late"
run on "$PRIMARY" key enrol "$KEYS/late.pub" auditor --label "late auditor"
check_rc "an auditor key enrolled on the primary" 0
wait_caught_up
ON_KEY="$KEYS/late.key" run on "$R_EP" --json balance h0
check_rc "the replica answers the newly enrolled auditor key" 0
check_eq "with the primary's answer" "$(on "$PRIMARY" --json balance h0)" "$OUT"
same_answers "after a key enrolment"
run on "$PRIMARY" key revoke "$KEYS/late.pub"
check_rc "the auditor key revoked on the primary" 0
wait_caught_up
ON_KEY="$KEYS/late.key" ON_TIMEOUT=1000 run on "$R_EP" --json balance h0
check_rc "the replica refuses the revoked key (no handshake, no reply)" 3
same_answers "after a key revocation"

# Rewritten history: stop the primary, rewrite an award (entry 7 before the
# BASE enrolments) with a recomputed chain, restart, write. The replica
# refuses what does not follow its chain.
PID=$P_PID; stop_daemon
run "$TAMPER" "$WORK/p" "$(seqs 7)" 999
check_rc "history rewritten on the primary" 0
start_primary
pburst h0 e 5 1 0 3000 >/dev/null || die "burst e"
for ((i = 0; i < 100; i++)); do grep -q "replication stopped" "$R_LOG" && break; sleep 0.05; done
check_contains "the replica notices the rewrite" "previous hash differs" "$(cat "$R_LOG")"
check_contains "and stops following" "replication stopped" "$(cat "$R_LOG")"
run on "$R_EP" verify
check_rc "the replica still verifies (its genuine copy)" 0
check_eq "and keeps serving it" "$(( $(entries_of "$PRIMARY") - 5 ))" "$(entries_of "$R_EP")"
finish
