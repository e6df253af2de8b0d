#!/usr/bin/env bash
# security.sh - who may do what, with the real jifend and the real CLI.
#
# 1. The whole role x command matrix (docs/security.md): every command kind
#    sent with the key of every role; allowed cells succeed, refused cells
#    exit 4 (forbidden) and leave the ledger exactly as it was (verify:
#    entries and head equal before and after).
# 2. Keys that are not let in: no key at all (plain ZeroMQ), the wrong
#    server key, a key nobody enrolled, a revoked key. For every command:
#    no reply (exit 3) and the ledger unchanged.
# 3. The daemon refuses a data directory or a secret key open to others,
#    an offline enrolment while it runs, and never logs its secret key.
source "$(dirname "$0")/lib.sh"

QUICK=(--timeout 300 --retries 0)
RULE=free-riding
DATA="$WORK/data"
start_daemon "$DATA"
H=9-9-909

# --- setup: a household with points and fees to spare ---------------------
run jf household add "$H"
[ "$RC" -eq 0 ] || die "household add: $ERR"
for i in 1 2 3 4 5 6; do
    run jf award "$H" honour --points 50 --request-id "setup-award-$i"
    [ "$RC" -eq 0 ] || die "award: $ERR"
done
run jf bill "$H" 10000 --period 2026-11 --request-id setup-bill
[ "$RC" -eq 0 ] || die "bill: $ERR"

# entry_of ROLE ARGS...: runs a write as ROLE and prints its journal entry.
entry_of() {
    local role=$1 out
    shift
    out=$(jf_as "$role" --json "$@") || die "setup write $*: $out"
    jq -r .entry <<<"$out"
}

N=0
# args_for CMD ROLE: fresh arguments for one attempt of CMD, preparing
# whatever it needs (an entry to reverse, a key to enrol or revoke).
args_for() {
    local cmd=$1 role=$2
    N=$((N + 1))
    case "$cmd" in
    household-add) ARGS=(household add "m-$role-$N") ;;
    award) ARGS=(award "$H" meeting) ;;
    deduct) ARGS=(deduct "$H" "$RULE" --note "matrix $N") ;;
    bill) ARGS=(bill "$H" 1 --period 2026-12) ;;
    pay) ARGS=(pay "$H" 1) ;;
    redeem) ARGS=(redeem "$H" 1) ;;
    reverse-award) ARGS=(reverse "$(entry_of committee award "$H" meeting)" --note "matrix $N") ;;
    reverse-bill) ARGS=(reverse "$(entry_of terminal bill "$H" 1 --period 2026-12)" --note "matrix $N") ;;
    balance) ARGS=(balance "$H") ;;
    history) ARGS=(history "$H" --limit 3) ;;
    household-search) ARGS=(household search "$H" --limit 5) ;;
    verify) ARGS=(verify) ;;
    key-enrol)
        "$JIFEN" keygen --out "$WORK/new-$N" >/dev/null || die keygen
        ARGS=(key enrol "$WORK/new-$N.pub" auditor --label "new $N") ;;
    key-revoke)
        "$JIFEN" keygen --out "$WORK/old-$N" >/dev/null || die keygen
        jf_as admin key enrol "$WORK/old-$N.pub" auditor --label "old $N" >/dev/null || die "enrol old-$N"
        ARGS=(key revoke "$WORK/old-$N.pub") ;;
    key-list) ARGS=(key list) ;;
    proof) ARGS=(proof 1) ;; # entry 1 is under the first signed tree head
    consistency) ARGS=(checkpoint consistency "$(jf_as auditor checkpoint --entry 1)" latest) ;;
    policy-load) # a new version for a new year each time: never a repeat
        sed -e "s/^version = .*/version = matrix-$N/" \
            -e "s/^effective = .*/effective = $((2040 + N))-01-01/" \
            "$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf" >"$WORK/rules-$N.conf"
        ARGS=(policy load "$WORK/rules-$N.conf") ;;
    esac
}

# The matrix of docs/security.md: for each command, the roles allowed.
declare -A MATRIX=(
    [household-add]=committee [award]=committee [deduct]=committee
    [bill]=terminal [pay]=terminal [redeem]=terminal
    [reverse-award]=committee [reverse-bill]=terminal
    [balance]="committee terminal auditor admin"
    [history]="committee terminal auditor admin"
    [household-search]="committee terminal auditor admin"
    [verify]="auditor admin"
    [key-enrol]=admin [key-revoke]=admin [key-list]="auditor admin"
    [policy-load]=admin
    [proof]="committee terminal auditor admin"
    [consistency]="committee terminal auditor admin"
)
COMMANDS=(household-add award deduct bill pay redeem reverse-award reverse-bill
    balance history household-search verify key-enrol key-revoke key-list policy-load proof
    consistency)

# --- 1. the role x command matrix ------------------------------------------
for cmd in "${COMMANDS[@]}"; do
    for role in "${ROLES[@]}"; do
        args_for "$cmd" "$role"
        before=$(verify_state)
        run jf_as "$role" "${ARGS[@]}"
        if [[ " ${MATRIX[$cmd]} " == *" $role "* ]]; then
            check_rc "$cmd as $role: allowed" 0
        else
            check_rc "$cmd as $role: forbidden" 4
            check_contains "$cmd as $role: the reason" forbidden "$ERR"
            check_eq "$cmd as $role: ledger unchanged" "$before" "$(verify_state)"
        fi
    done
done

# A forbidden write keeps its request id unused: the right key may use it.
run jf_as terminal award "$H" meeting --request-id shared-id
check_rc "award as terminal with an id" 4
run jf_as committee award "$H" meeting --request-id shared-id
check_rc "the same id, then, from the committee: applied" 0

# History shows who wrote each entry: the key's label.
json_ok "history" history "$H" --limit 50 &&
    check_eq "history: authors are key labels" "test-committee test-terminal" \
        "$(jget '[.entries[].author] | unique | join(" ")')"

# --- 2. keys that are not let in -------------------------------------------
"$JIFEN" keygen --out "$WORK/stranger" >/dev/null
"$JIFEN" keygen --out "$WORK/revoked" >/dev/null
"$JIFEN" keygen --out "$WORK/other-server" >/dev/null
jf_as admin key enrol "$WORK/revoked.pub" committee --label "soon revoked" >/dev/null
run jf_as admin key revoke "$WORK/revoked.pub"
check_rc "revoke a committee key" 0

# outsider KIND ARGS...: the CLI as somebody jifend does not admit.
outsider() {
    local kind=$1
    shift
    case "$kind" in
    plain) "$JIFEN" --server "$ENDPOINT" "${QUICK[@]}" "$@" ;;
    wrong-server-key) "$JIFEN" --server "$ENDPOINT" --key "$(key_of committee)" \
        --server-key "$WORK/other-server.pub" "${QUICK[@]}" "$@" ;;
    unknown-key) "$JIFEN" --server "$ENDPOINT" --key "$WORK/stranger.key" \
        --server-key "$SERVER_KEY" "${QUICK[@]}" "$@" ;;
    revoked-key) "$JIFEN" --server "$ENDPOINT" --key "$WORK/revoked.key" \
        --server-key "$SERVER_KEY" "${QUICK[@]}" "$@" ;;
    esac
}
before=$(verify_state)
for kind in plain wrong-server-key unknown-key revoked-key; do
    for cmd in "${COMMANDS[@]}"; do
        case "$cmd" in
        reverse-*) ARGS=(reverse 2 --note x) ;; # no setup writes here
        key-*) ARGS=(key list) ;;
        *) args_for "$cmd" committee ;;
        esac
        run outsider "$kind" "${ARGS[@]}"
        check_rc "$kind: $cmd gets no reply" 3
    done
    check_eq "$kind: ledger unchanged" "$before" "$(verify_state)"
done
if grep -q "refused .*stranger\|handshake refused" "$DAEMON_LOG"; then
    pass "the daemon logs refused handshakes"
else
    fail "no refused handshake in the log"
fi

# A secret key where a public key belongs: refused before anything is sent
# (it would sit in the journal, every export and every replica for ever).
run jf_as admin key enrol "$WORK/stranger.key" committee --label "by mistake"
check_rc "key enrol of a secret key file: usage error" 2
check_contains "... names the public key to give" "stranger.pub" "$ERR"
check_eq "... and the ledger is unchanged" "$before" "$(verify_state)"

# --- 3. files and processes ---------------------------------------------------
run "$JIFEND" --data "$DATA" --enrol-admin "$WORK/stranger.pub" --label sneaky
check_rc "offline enrolment while jifend runs" 1
check_contains "offline enrolment: the reason" "in use" "$ERR"
check_eq "... and the ledger is unchanged" "$before" "$(verify_state)"

SECRET=$(cat "$DATA/jifend.key")
stop_daemon TERM
check_eq "SIGTERM: exit status" 0 "$DAEMON_STATUS"
if grep -qF "$SECRET" "$WORK"/*.log "$WORK"/jifend.*.log 2>/dev/null; then
    fail "the daemon's secret key appears in a log"
else
    pass "the daemon's secret key is in no log"
fi
check_eq "jifend.key: mode" 600 "$(stat -c %a "$DATA/jifend.key")"

chmod 755 "$DATA"
run "$JIFEND" --data "$DATA" --listen 'tcp://127.0.0.1:*'
check_rc "a data dir open to others: refused" 1
check_contains "open data dir: the reason" "chmod 700" "$ERR"
chmod 700 "$DATA"
chmod 644 "$DATA/jifend.key"
run "$JIFEND" --data "$DATA" --listen 'tcp://127.0.0.1:*'
check_rc "a secret key readable by others: refused" 1
check_contains "readable key: the reason" "group or others" "$ERR"
check_not_contains "readable key: the message has no key" "$SECRET" "$ERR"
chmod 600 "$DATA/jifend.key"
run "$JIFEND" --data "$DATA" --enrol "$WORK/stranger.key" --role committee --label "by mistake"
check_rc "jifend --enrol of a secret key file: refused" 2
check_contains "... names the public key to give" "stranger.pub" "$ERR"
run "$JIFEND" --data "$DATA" --enrol "$DATA/jifend.key" --role admin --label "by mistake"
check_rc "jifend --enrol of its own secret key: refused" 2
check_contains "... names jifend.pub" "jifend.pub (it belongs to this secret key)" "$ERR"
check_not_contains "... and shows no key" "$SECRET" "$ERR"
PUB=$(cat "$DATA/jifend.pub")
rm "$DATA/jifend.pub"
start_daemon "$DATA"
check_eq "restarted: the same ledger" "$before" "$(verify_state)"
check_eq "a lost jifend.pub is made again from the secret key" "$PUB" "$(cat "$DATA/jifend.pub")"
stop_daemon TERM
finish
