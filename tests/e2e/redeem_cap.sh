#!/usr/bin/env bash
# redeem_cap.sh - the points-to-fen rate and the cap on the share of the fee
# due that points may pay, as the policy file sets them. A refused
# redemption (over the cap, not enough points, nothing due) exits 1 with the
# reason and changes nothing: same balance, same journal length and head.
source "$(dirname "$0")/lib.sh"

P=$DEFAULT_POLICY
RATE=$(policy_get "$P" "" fen_per_point)
PCT=$(policy_get "$P" "" max_offset_percent)
MEETING=$(policy_get "$P" "activity meeting" points)
for v in RATE PCT MEETING; do need_number "$v" "${!v}"; done
echo "policy: $RATE fen/point, points pay at most $PCT% of the fee due"

start_daemon "$WORK/data"

# award_meetings H N: N meeting awards.
award_meetings() {
    local i
    for ((i = 0; i < $2; i++)); do
        run jf award "$1" meeting
        [ "$RC" -eq 0 ] || die "award $1 meeting: exit $RC: $ERR"
    done
}

# expect_refused WHAT STATUS H POINTS: redeem must exit 1 with STATUS on
# stderr and leave the ledger exactly as it was.
expect_refused() {
    local what=$1 status=$2 h=$3 n=$4 bal0 ver0
    bal0=$(balance_of "$h")
    ver0=$(verify_state)
    run jf redeem "$h" "$n"
    check_rc "$what: redeem $n" 1
    check_contains "$what: reason on stderr" "$status" "$ERR"
    run jfj redeem "$h" "$n"
    check_eq "$what: --json status" "$status" "$(jget .status)"
    check_eq "$what: balance unchanged" "$bal0" "$(balance_of "$h")"
    check_eq "$what: journal unchanged (ok, entries, head)" "$ver0" "$(verify_state)"
}

# --- A: enough points, the cap decides --------------------------------------
A=1-1-101
run jf household add "$A"
[ "$RC" -eq 0 ] || die "household add $A: $ERR"

# A bill whose cap is exactly K points: ceil(K * rate * 100 / percent) fen.
K=3
DUE=$(((K * RATE * 100 + PCT - 1) / PCT))
check_eq "the cap of a $(yuan "$DUE") yuan bill (computed from the policy)" "$K" \
    "$(max_redeemable "$DUE" "$RATE" "$PCT")"
# More points than the cap lets through.
N_MEET=$(((K + 2 + MEETING - 1) / MEETING))
award_meetings "$A" "$N_MEET"
PTS=$((N_MEET * MEETING))

expect_refused "nothing due yet" cap_exceeded "$A" 1

run jf bill "$A" "$(yuan "$DUE")" --period 2026-03
check_rc "bill $(yuan "$DUE") yuan" 0
check_eq "points and fee due before redeeming" "$PTS $DUE" "$(balance_of "$A")"

expect_refused "one point over the cap" cap_exceeded "$A" $((K + 1))
expect_refused "far over the cap" cap_exceeded "$A" "$PTS"

json_ok "redeem exactly the cap ($K points)" redeem "$A" "$K" &&
    {
        check_eq "at the cap: status" ok "$(jget .status)"
        check_eq "at the cap: points" "$K" "$(jget .points)"
        check_eq "at the cap: offset_fen = $K x $RATE" $((K * RATE)) "$(jget .offset_fen)"
        check_eq "at the cap: postings (asset debit credit amount)" \
            "points household/$A/points community/points-redeemed $K;fee community/points-offset household/$A/fee $((K * RATE))" \
            "$(jget '[.postings[] | "\(.asset) \(.debit) \(.credit) \(.amount)"] | join(";")')"
    }
PTS=$((PTS - K))
DUE=$((DUE - K * RATE))
check_eq "after redeeming: points and fee due" "$PTS $DUE" "$(balance_of "$A")"

# The cap follows the fee still due.
MOST=$(max_redeemable "$DUE" "$RATE" "$PCT")
if [ "$MOST" -lt "$PTS" ]; then
    expect_refused "over the cap of what is still due" cap_exceeded "$A" $((MOST + 1))
fi

# Paying the rest (and one fen ahead) leaves nothing for points to pay.
run jf pay "$A" "$(yuan $((DUE + 1)))"
check_rc "pay the rest and 0.01 ahead" 0
check_eq "prepaid: fee due is negative" "$PTS -1" "$(balance_of "$A")"
expect_refused "prepaid, nothing due" cap_exceeded "$A" 1

# --- B: the cap would allow it, the points do not -----------------------------
B=1-1-102
run jf household add "$B"
[ "$RC" -eq 0 ] || die "household add $B: $ERR"
award_meetings "$B" 1
run jf bill "$B" 1000 --period 2026-03
check_rc "bill $B 1000 yuan" 0
check_le "the cap is not what stops B" $((MEETING + 1)) "$(max_redeemable 100000 "$RATE" "$PCT")"
expect_refused "one point more than the household has" insufficient_points "$B" $((MEETING + 1))
json_ok "redeem all $MEETING points of $B" redeem "$B" "$MEETING" &&
    check_eq "redeem all: offset_fen" $((MEETING * RATE)) "$(jget .offset_fen)"
expect_refused "no points left" insufficient_points "$B" 1
check_eq "$B: no points, fee reduced by the offset" "0 $((100000 - MEETING * RATE))" "$(balance_of "$B")"

# --- an unknown household -----------------------------------------------------
run jf redeem 9-9-999 1
check_rc "redeem for an unknown household" 1
check_contains "unknown household: reason" unknown_household "$ERR"

json_ok "verify at the end" verify &&
    check_eq "verify: ok" true "$(jget .ok)"

stop_daemon TERM
check_eq "SIGTERM: exit status" 0 "$DAEMON_STATUS"
finish
