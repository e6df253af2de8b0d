#!/usr/bin/env bash
# idempotency.sh - a write retried with the same --request-id applies once
# (status "exists", the original entry and figures, nothing changed); the
# same id with other content is refused with id_conflict; both still hold
# after the daemon is stopped and started again on the same data.
source "$(dirname "$0")/lib.sh"

MEETING=$(policy_get "$DEFAULT_POLICY" "activity meeting" points)
RATE=$(policy_get "$DEFAULT_POLICY" "" fen_per_point)
need_number MEETING "$MEETING"
need_number RATE "$RATE"

start_daemon "$WORK/data"
H=5-1-201

# write_once WHAT ARGS...: the first run of a write; must be "ok". Leaves
# its entry in ENTRY.
write_once() {
    local what=$1
    shift
    ENTRY=""
    json_ok "$what" "$@" || return 0
    check_eq "$what: status" ok "$(jget .status)"
    ENTRY=$(jget .entry)
}

# retry_exists WHAT ENTRY ARGS...: the same write again must answer
# "exists" with the same entry and change nothing.
retry_exists() {
    local what=$1 entry=$2 ver0
    shift 2
    ver0=$(verify_state)
    json_ok "$what" "$@" || return 0
    check_eq "$what: status" exists "$(jget .status)"
    check_eq "$what: the original entry" "$entry" "$(jget .entry)"
    check_eq "$what: journal unchanged" "$ver0" "$(verify_state)"
}

# conflict WHAT ARGS...: must exit 1 with id_conflict, changing nothing.
conflict() {
    local what=$1 ver0
    shift
    ver0=$(verify_state)
    run jf "$@"
    check_rc "$what" 1
    check_contains "$what: reason" id_conflict "$ERR"
    check_eq "$what: journal unchanged" "$ver0" "$(verify_state)"
}

# --- registration -------------------------------------------------------------
write_once "household add --request-id reg-1" household add "$H" --name Li --request-id reg-1
REG=$ENTRY
retry_exists "household add retried" "$REG" household add "$H" --name Li --request-id reg-1

# --- award ----------------------------------------------------------------------
write_once "award --request-id aw-1" award "$H" meeting --request-id aw-1
AW=$ENTRY
check_eq "after the award" "$MEETING 0" "$(balance_of "$H")"
retry_exists "award retried" "$AW" award "$H" meeting --request-id aw-1
check_eq "award retried: points" "$MEETING" "$(jget .points)"
check_eq "award retried: balance unchanged" "$MEETING 0" "$(balance_of "$H")"
run jf award "$H" meeting --request-id aw-1
check_rc "award retried (human)" 0
check_contains "award retried, human output" "already recorded" "$OUT"
check_eq "three runs of aw-1: points awarded once" "$MEETING 0" "$(balance_of "$H")"

# --- the same id, other content ---------------------------------------------------
conflict "aw-1 for another activity" award "$H" volunteer --hours 1 --request-id aw-1
conflict "aw-1 with a note added" award "$H" meeting --note changed --request-id aw-1
conflict "aw-1 as a payment" pay "$H" 1 --request-id aw-1
conflict "reg-1 for another household" household add 5-1-202 --request-id reg-1
run jf balance 5-1-202
check_rc "the conflicting registration did not happen" 1
check_eq "conflicts: balance unchanged" "$MEETING 0" "$(balance_of "$H")"

# --- a redemption: the retry repeats the original figures ---------------------------
run jf bill "$H" 100 --period 2026-04 --request-id bill-1
check_rc "bill --request-id bill-1" 0
write_once "redeem 1 --request-id rd-1" redeem "$H" 1 --request-id rd-1
RD=$ENTRY
retry_exists "redeem retried" "$RD" redeem "$H" 1 --request-id rd-1
check_eq "redeem retried: offset_fen" "$RATE" "$(jget .offset_fen)"
AFTER=$(balance_of "$H")
check_eq "redeemed once" "$((MEETING - 1)) $((10000 - RATE))" "$AFTER"

# --- across a restart ---------------------------------------------------------------
VER=$(verify_state)
stop_daemon TERM
check_eq "SIGTERM: exit status" 0 "$DAEMON_STATUS"
start_daemon "$WORK/data"
check_eq "after the restart: the same journal" "$VER" "$(verify_state)"
retry_exists "award retried after a restart" "$AW" award "$H" meeting --request-id aw-1
retry_exists "redeem retried after a restart" "$RD" redeem "$H" 1 --request-id rd-1
retry_exists "registration retried after a restart" "$REG" household add "$H" --name Li --request-id reg-1
conflict "aw-1 with other content after a restart" award "$H" meeting --points 3 --request-id aw-1
check_eq "after the restart: balance unchanged" "$AFTER" "$(balance_of "$H")"

# A fresh id still works, once.
write_once "a new id after the restart" award "$H" meeting --request-id aw-2
retry_exists "the new id retried" "$ENTRY" award "$H" meeting --request-id aw-2
check_eq "aw-2 applied once" "$((MEETING * 2 - 1)) $((10000 - RATE))" "$(balance_of "$H")"

json_ok "verify" verify &&
    {
        check_eq "verify: ok" true "$(jget .ok)"
        check_eq "verify: entries (reg, award, bill, redeem, award)" $((BASE + 5)) "$(jget .entries)"
    }
stop_daemon TERM
finish
