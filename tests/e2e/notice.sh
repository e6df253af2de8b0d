#!/usr/bin/env bash
# notice.sh - public notice (公示) through the real daemon on its test clock,
# with the shipped revision (deploy/policy-2026-07.conf: 7 days, second
# approval above 20 points): awards wait in pending, the daemon posts them
# by itself at 00:00 Shanghai after the window (no client involved), an
# objection voids one, the notice list masks names and doors, and a restart
# (also kill -9) neither skips nor repeats a posting.
source "$(dirname "$0")/lib.sh"

REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
ms_of() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )); }
start() { start_daemon "$WORK/data" --test-clock "$CLOCK" --policy "$DEFAULT_POLICY" --policy "$REVISED"; }
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
pending_of() { jfj balance "$1" | jq -r '"\(.points) \(.pending_points)"'; }

set_time "2026-07-03 15:00"
start
H=3-2-501
json_ok "household add" household add "$H" --name 张三 || die "household add"
json_ok "household add 2" household add 3-2-502 --name 李四 || die "household add"

json_ok "award meeting" award "$H" meeting &&
    {
        AWARD=$(jget .entry)
        check_eq "award: notice ends 11 July 00:00 Shanghai" "$(ms_of '2026-07-11 00:00')" "$(jget .notice_ends_ms)"
        check_eq "award: credited to pending" "household/$H/pending" "$(jget '.postings[0].credit')"
    }
run jf award "$H" meeting
check_contains "award (human) says it is under notice" "under public notice until" "$OUT"
OBJECTED=$(jfj history "$H" --limit 1 | jq -r '.entries[0].entry')
check_eq "balance: nothing spendable, 4 pending" "0 4" "$(pending_of "$H")"
json_ok "bill" bill "$H" 100 --period 2026-07
run jfj redeem "$H" 1
check_eq "pending points cannot be redeemed" insufficient_points "$(jget .status)"

json_ok "award honour 30 (above 20: needs approval)" award 3-2-502 honour --points 30 &&
    {
        BIG=$(jget .entry)
        check_eq "honour: needs approval" true "$(jget .needs_approval)"
    }
run jfj approve "$BIG"
check_eq "the recorder cannot approve their own award" forbidden "$(jget .status)"

json_ok "object to the second meeting award" object "$OBJECTED" --note "counted twice" &&
    check_eq "object: pending back to issuance" "household/$H/pending community/points-issued" "$(jget '"\(.postings[0].debit) \(.postings[0].credit)"')"
run jfj object "$OBJECTED" --note again
check_eq "object twice" notice_closed "$(jget .status)"
run jf object "$AWARD"
check_rc "object without --note" 2

json_ok "notices" notices --period 2026-07 &&
    {
        check_eq "notices: three awards" 3 "$(jget '.notices | length')"
        check_eq "notices: door masked" "3-2-5**" "$(jget '.notices[0].household')"
        check_eq "notices: name masked" "张*" "$(jget '.notices[0].name')"
        check_eq "notices: states" "pending voided pending" "$(jget '[.notices[].state] | join(" ")')"
        check_not_contains "notices: no full name" "张三" "$OUT"
        check_not_contains "notices: no full door" "3-2-501" "$OUT"
    }
run jf notices
check_contains "notices (human), this month by default" "李*" "$OUT"
run jf notices --period 2026-07 --csv
check_eq "notices --csv: header" "entry,time_ms,household,name,activity,points,state,ends_ms,needs_approval,approved,decided_by" "$(head -1 <<<"$OUT" | tr -d '\r')"
check_contains "notices --csv: a masked row" ",3-2-5**,张*,meeting,2,voided," "$OUT"

# The last minute of the window: still pending, whatever the daemon does.
set_time "2026-07-10 23:59"
sleep 0.5
check_eq "10 July 23:59: still pending" "0 2" "$(pending_of "$H")"
# 00:00: the daemon posts by itself; the client only reads.
set_time "2026-07-11 00:00"
wait_for "11 July 00:00: posted by the daemon" "2 0" pending_of "$H"
json_ok "history" history "$H" --limit 1 &&
    {
        check_eq "the posting is a release" release "$(jget '.entries[0].command')"
        check_eq "written by jifend itself" jifend "$(jget '.entries[0].author')"
    }
json_ok "redeem now" redeem "$H" 2
check_eq "the unapproved honour still waits" "0 30" "$(pending_of 3-2-502)"

# A second key labelled like the recorder plus a space is not a second
# person: refused (the journal would read "approved by test-committee").
"$JIFEN" keygen --out "$KEYS/lookalike" >/dev/null
run jf_as admin key enrol "$KEYS/lookalike.pub" committee --label "test-committee "
check_rc "enrol a key labelled like the recorder" 0
run jf_as lookalike --json approve "$BIG"
check_eq "a key labelled like the recorder cannot approve" forbidden "$(jget .status)"
check_contains "... and is told why" "recorded by test-committee" "$(jget .error)"
check_eq "... and nothing moved" "0 30" "$(pending_of 3-2-502)"

# A second committee member, with a key and label of their own, approves
# it; its window is over, so the daemon posts it right away.
"$JIFEN" keygen --out "$KEYS/committee2" >/dev/null
run jf_as admin key enrol "$KEYS/committee2.pub" committee --label "second committee member"
check_rc "enrol a second committee key" 0
run jf_as committee2 --json approve "$BIG"
check_eq "another committee member may approve" ok "$(jget .status)"
wait_for "approved after the window: posted by the daemon" "30 0" pending_of 3-2-502

# kill -9 with an award whose window will have ended at the restart.
json_ok "award meeting 12 July" award "$H" meeting
LATE=$(jget .entry)
stop_daemon KILL
set_time "2026-07-25 09:00"
start
wait_for "after kill -9 and restart: the overdue award posted" "2 0" pending_of "$H"
stop_daemon TERM
start
sleep 0.5
json_ok "history after another restart" history "$H" --limit 50 &&
    check_eq "two awards posted, each exactly once" 2 "$(jget '[.entries[] | select(.command == "release")] | length')"
check_eq "balance unchanged by the second restart" "2 0" "$(pending_of "$H")"
json_ok "notices" notices --period 2026-07 &&
    check_eq "the late award: posted" posted "$(jget ".notices[] | select(.entry == $LATE) | .state")"

# Expiry of the revision: points earned in 2026 expire on 1 January 2028
# 00:00 Shanghai, posted by the daemon with no client writing.
json_ok "award meeting in September" award "$H" meeting
set_time "2026-09-20 00:00"
wait_for "September award posted" "4 0" pending_of "$H"
json_ok "redeem 1 (the oldest point goes first)" redeem "$H" 1
set_time "2027-12-31 23:59"
sleep 0.5
check_eq "31 Dec 2027 23:59: nothing expired yet" "3 0" "$(pending_of "$H")"
set_time "2028-01-01 00:00"
wait_for "1 Jan 2028 00:00: 2026 points expired" "0 0" pending_of "$H"
json_ok "history" history "$H" --limit 1 &&
    {
        check_eq "an expire entry" expire "$(jget '.entries[0].command')"
        check_eq "to points-expired" "household/$H/points community/points-expired 3" "$(jget '.entries[0].postings[0] | "\(.debit) \(.credit) \(.amount)"')"
        check_eq "by jifend" jifend "$(jget '.entries[0].author')"
    }

# A sanction of the revision: free riding suspends redemption for the rest
# of the month and two more; the fee is untouched; an appeal upheld lifts it.
S=5-1-101
json_ok "household add $S" household add "$S" || die "household add"
json_ok "bill $S" bill "$S" 50 --period 2028-01
json_ok "award $S" award "$S" meeting
json_ok "award $S again" award "$S" meeting
set_time "2028-01-10 09:00"
wait_for "$S: awards posted" "4 0" pending_of "$S"
json_ok "deduct free-riding" deduct "$S" free-riding --points 1 --note "refused the stairwell cleaning share" &&
    {
        SANCTION=$(jget .entry)
        check_eq "suspended until 1 April 00:00 Shanghai" "$(ms_of '2028-04-01 00:00')" "$(jget .suspended_until_ms)"
        check_eq "the fee is untouched" 5000 "$(jget .balance.fee_due_fen)"
    }
run jfj redeem "$S" 1
check_eq "redeem while suspended" redemption_suspended "$(jget .status)"
json_ok "pay while suspended" pay "$S" 10
json_ok "appeal upheld" appeal "$SANCTION" --note "the share was paid in cash to the building head" &&
    check_eq "appeal: the point comes back" 4 "$(jget .balance.points)"
json_ok "redeem after the appeal" redeem "$S" 1

json_ok "verify" verify && check_eq "verify: ok" true "$(jget .ok)"
finish
