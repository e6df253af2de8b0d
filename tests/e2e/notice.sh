#!/usr/bin/env bash
# notice.sh - the daemon's own timer, through real processes on one test
# clock, with the shipped revision (deploy/policy-2026-07.conf: 7 days of
# notice): jifend posts an award at 00:00 Shanghai after its window by
# itself, with no client writing; after kill -9 and a restart it posts the
# overdue one exactly once; a replica on the same clock follows the release
# entries and runs no timer of its own. Also the CLI's CSV of the notice
# list. What the rules decide (notice, objections, approval, expiry,
# sanctions, a replica's derived state) is tested on the ledger:
# tests/scenario_notice.c, tests/scenario_replica_notice.c.
source "$(dirname "$0")/lib.sh"

REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
POLICIES=(--test-clock "$CLOCK" --policy "$DEFAULT_POLICY" --policy "$REVISED")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PRIMARY="tcp://127.0.0.1:$PORT"
H=3-2-501
start_primary() {
    start_daemon "$WORK/p" --listen "$PRIMARY" "${POLICIES[@]}"
    P_PID=$PID
}
pending_on() { on "$1" --json balance "$H" 2>/dev/null | jq -r '"\(.points) \(.pending_points)"' || true; }
# wait_for WHAT EXPECTED CMD...: polls (no writes) until CMD prints
# EXPECTED, for up to 20 s: the daemon's timer runs within a fraction of a
# second, but a CI machine running four test scripts at once can stall it
# for seconds (a 5 s limit failed once that way).
wait_for() {
    local what=$1 want=$2 got="" i
    shift 2
    for ((i = 0; i < 200; i++)); do
        got=$("$@")
        [ "$got" == "$want" ] && break
        sleep 0.1
    done
    check_eq "$what" "$want" "$got"
}

set_time "2026-07-03 15:00"
start_primary
on "$PRIMARY" household add "$H" --name 张三 >/dev/null || die "household add"
on "$PRIMARY" award "$H" meeting >/dev/null || die "award"
OBJECTED=$(on "$PRIMARY" --json award "$H" meeting | jq -r .entry)
on "$PRIMARY" object "$OBJECTED" --note "counted twice" >/dev/null || die "object"

run on "$PRIMARY" notices --period 2026-07 --csv
check_eq "notices --csv: header" "entry,time_ms,household,name,activity,points,state,ends_ms,needs_approval,approved,decided_by" "$(head -1 <<<"$OUT" | tr -d '\r')"
check_contains "notices --csv: a masked row" ",3-2-5**,张*,meeting,2,voided," "$OUT"

# A replica on the same clock, following before the window ends.
mkdir -m 700 "$WORK/r"
"$JIFEN" keygen --out "$WORK/r/jifend" >/dev/null || die "keygen for the replica"
on "$PRIMARY" key enrol "$WORK/r/jifend.pub" auditor --label "replica r" >/dev/null || die "enrol the replica's key"
start_daemon "$WORK/r" --replica-of "$PRIMARY" --replica-server-key "$WORK/p/jifend.pub" "${POLICIES[@]}"
R_EP=$ENDPOINT
R_LOG=$DAEMON_LOG
wait_for "the replica caught up" "$(entries_of "$PRIMARY")" entries_of "$R_EP"

# 00:00: the primary's timer posts by itself; clients only read.
set_time "2026-07-11 00:00"
wait_for "11 July 00:00: posted by the daemon" "2 0" pending_on "$PRIMARY"
run on "$PRIMARY" --json history "$H" --limit 1
check_eq "the posting is a release" release "$(jget '.entries[0].command')"
check_eq "written by jifend itself" jifend "$(jget '.entries[0].author')"
wait_for "the replica follows the release" "2 0" pending_on "$R_EP"

# kill -9 with an award whose window will have ended at the restart.
LATE=$(on "$PRIMARY" --json award "$H" meeting | jq -r .entry)
PID=$P_PID
stop_daemon KILL
set_time "2026-07-25 09:00"
start_primary
wait_for "after kill -9 and restart: the overdue award posted" "4 0" pending_on "$PRIMARY"
stop_daemon TERM
start_primary
sleep 0.5
run on "$PRIMARY" --json history "$H" --limit 50
check_eq "two awards posted, each exactly once" 2 "$(jget '[.entries[] | select(.command == "release")] | length')"
check_eq "balance unchanged by the second restart" "4 0" "$(pending_on "$PRIMARY")"
run on "$PRIMARY" --json notices --period 2026-07
check_eq "the late award: posted" posted "$(jget ".notices[] | select(.entry == $LATE) | .state")"

wait_for "the replica follows the restarted primary" "$(entries_of "$PRIMARY")" entries_of "$R_EP"
check_eq "the replica: the same balance" "4 0" "$(pending_on "$R_EP")"
check_not_contains "the replica ran no timer of its own" "timer:" "$(cat "$R_LOG")"
finish
