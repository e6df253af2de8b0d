#!/usr/bin/env bash
# replica_notice.sh - a replica keeps the policy's derived state (public
# notices, cap counters, expiry lots, sanctions) as its primary does, rebuilt
# from the replicated entries: with the shipped revision (7 days of notice)
# the notice list, balances with pending points, the resident statement and
# verify (whose "pending accounts hold exactly the open notices" check reads
# the notices) agree between primary and replica, before and after the
# primary's timer posts an award. Both daemons read one test clock file; the
# replica runs no timer of its own.
source "$(dirname "$0")/lib.sh"

REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
POLICIES=(--test-clock "$CLOCK" --policy "$DEFAULT_POLICY" --policy "$REVISED")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PRIMARY="tcp://127.0.0.1:$PORT"
H=3-2-501
S=5-1-101

# on EP CMD...: the CLI against that daemon with the key of the role the
# command needs (as in replica.sh).
on() {
    local ep=$1 sk=$WORK/r/jifend.pub
    shift
    [ "$ep" = "$PRIMARY" ] && sk=$WORK/p/jifend.pub
    "$JIFEN" --server "$ep" --key "$(key_of "$(role_for "$@")")" --server-key "$sk" \
        --timeout 3000 --retries 1 "$@"
}
entries_of() { on "$1" --json verify 2>/dev/null | jq -r .entries || true; }
wait_caught_up() { # WHAT
    local want have i
    want=$(entries_of "$PRIMARY")
    for ((i = 0; i < 100; i++)); do
        have=$(entries_of "$R_EP")
        [ "$have" = "$want" ] && { pass "$1: replica caught up ($have entries)"; return 0; }
        sleep 0.1
    done
    fail "$1: replica has $have entries, primary $want"
}
# same_answers WHAT: the policy's read side, byte for byte on both.
same_answers() {
    local q
    for q in "notices --period 2026-07" "balance $H" "balance $S" "history $H" \
        "report statement $H --period 2026-07" "report statement $S --period 2026-07" "verify"; do
        # shellcheck disable=SC2086
        check_eq "$1: '$q' same on both" \
            "$(on "$PRIMARY" --json $q | jq -S .)" "$(on "$R_EP" --json $q | jq -S .)"
    done
    check_eq "$1: the replica verifies" true "$(on "$R_EP" --json verify | jq -r .ok)"
}
pending_on() { on "$1" --json balance "$2" | jq -r '"\(.points) \(.pending_points)"'; }

set_time "2026-07-03 15:00"
start_daemon "$WORK/p" --listen "$PRIMARY" "${POLICIES[@]}"
on "$PRIMARY" household add "$H" --name 张三 >/dev/null || die "household add"
on "$PRIMARY" household add "$S" --name 李四 >/dev/null || die "household add"
mkdir -m 700 "$WORK/r"
"$JIFEN" keygen --out "$WORK/r/jifend" >/dev/null || die "keygen for the replica"
on "$PRIMARY" key enrol "$WORK/r/jifend.pub" auditor --label "replica r" >/dev/null || die "enrol the replica's key"

# Under notice: two awards for H, one objected to; one for S.
on "$PRIMARY" award "$H" meeting >/dev/null || die "award"
OBJECTED=$(on "$PRIMARY" --json award "$H" meeting | jq -r .entry)
on "$PRIMARY" object "$OBJECTED" --note "counted twice" >/dev/null || die "object"
on "$PRIMARY" award "$S" meeting >/dev/null || die "award S"
on "$PRIMARY" bill "$S" 50 --period 2026-07 >/dev/null || die "bill"

start_daemon "$WORK/r" --replica-of "$PRIMARY" --replica-server-key "$WORK/p/jifend.pub" "${POLICIES[@]}"
R_EP=$ENDPOINT
R_LOG=$DAEMON_LOG
wait_caught_up "under notice"
check_eq "replica: H has 2 points pending" "0 2" "$(pending_on "$R_EP" "$H")"
check_eq "replica: the notice list" "pending voided pending" \
    "$(on "$R_EP" --json notices --period 2026-07 | jq -r '[.notices[].state] | join(" ")')"
same_answers "under notice"

# The window ends: the primary's timer posts both awards; the replica
# follows from the Release entries (it posts nothing itself).
set_time "2026-07-11 00:00"
for ((i = 0; i < 50; i++)); do
    [ "$(pending_on "$PRIMARY" "$H")" = "2 0" ] && break
    sleep 0.1
done
check_eq "primary: H's award posted by its timer" "2 0" "$(pending_on "$PRIMARY" "$H")"
wait_caught_up "after the release"
check_eq "replica: H's award posted" "2 0" "$(pending_on "$R_EP" "$H")"
check_eq "replica: the notice list says posted" "posted voided posted" \
    "$(on "$R_EP" --json notices --period 2026-07 | jq -r '[.notices[].state] | join(" ")')"
same_answers "after the release"

# A sanction and its appeal, a redemption: still the same on both.
SANCTION=$(on "$PRIMARY" --json deduct "$S" free-riding --points 1 --note "stairwell share" | jq -r .entry)
on "$PRIMARY" appeal "$SANCTION" --note "paid in cash" >/dev/null || die "appeal"
on "$PRIMARY" redeem "$S" 1 >/dev/null || die "redeem after the appeal"
wait_caught_up "after a sanction"
same_answers "after a sanction"

# A rule set adopted over the wire on the primary reaches the replica in
# its entry (the replica was given no file for it), and applies there from
# its date too.
sed -e 's/^version = .*/version = 2026-09-wire/' -e 's/^effective = .*/effective = 2026-09-01/' \
    -e 's/^points = 2$/points = 3/' "$REVISED" >"$WORK/wire.conf"
on "$PRIMARY" policy load "$WORK/wire.conf" >/dev/null || die "policy load on the primary"
wait_caught_up "after a rule set's adoption"
check_eq "replica: the adopted rule set is listed" \
    "$(on "$PRIMARY" --json policy list | jq -S .)" "$(on "$R_EP" --json policy list | jq -S .)"
check_eq "replica: the adopted rule set's text" \
    "$(on "$PRIMARY" policy show 2026-09-wire)" "$(on "$R_EP" policy show 2026-09-wire)"
set_time "2026-09-01 00:00"
on "$PRIMARY" award "$S" meeting >/dev/null || die "award under the adopted rules"
wait_caught_up "after an award under the adopted rules"
check_eq "replica: the award was made under the adopted rules" 2026-09-wire \
    "$(on "$R_EP" --json history "$S" --limit 1 | jq -r '.entries[0].policy')"
check_not_contains "the replica ran no timer of its own" "timer:" "$(cat "$R_LOG")"
finish
