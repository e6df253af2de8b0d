#!/usr/bin/env bash
# reverse.sh - reversing an entry posts its mirror image and restores the
# balances; it works once (already_reversed after), never for an entry
# without postings (a registration, a reversal: not_reversible), and not
# for an entry that does not exist (unknown_entry).
source "$(dirname "$0")/lib.sh"

MEETING=$(policy_get "$DEFAULT_POLICY" "activity meeting" points)
need_number MEETING "$MEETING"

start_daemon "$WORK/data"
H=7-3-301

# postings_of: the postings of the JSON in OUT, one "asset debit credit
# amount" per posting, joined by ';'.
postings_of() { jget '[.postings[] | "\(.asset) \(.debit) \(.credit) \(.amount)"] | join(";")'; }
# mirrored "asset debit credit amount;..." -> the same with debit and credit swapped.
mirrored() { tr ';' '\n' <<<"$1" | awk '{print $1, $3, $2, $4}' | paste -sd';'; }

json_ok "household add" household add "$H" || die "household add"
REG=$(jget .entry)
json_ok "award meeting" award "$H" meeting || die "award"
AWARD=$(jget .entry)
AWARD_POSTINGS=$(postings_of)
json_ok "bill 88.80" bill "$H" 88.80 --period 2026-05 || die "bill"
BILL=$(jget .entry)
BILL_POSTINGS=$(postings_of)
check_eq "before reversing" "$MEETING 8880" "$(balance_of "$H")"

# --- reverse the award ----------------------------------------------------------
json_ok "reverse the award" reverse "$AWARD" --note "objection upheld" --request-id rev-1 &&
    {
        check_eq "reverse: status" ok "$(jget .status)"
        REV=$(jget .entry)
        check_eq "reverse: postings are the award's, mirrored" "$(mirrored "$AWARD_POSTINGS")" "$(postings_of)"
    }
check_eq "reverse: points back to zero, the bill untouched" "0 8880" "$(balance_of "$H")"
json_ok "history" history "$H" --limit 1 &&
    {
        check_eq "history: the reversal is the newest entry" "$REV" "$(jget '.entries[0].entry')"
        check_eq "history: it says which entry it reverses" "$AWARD" "$(jget '.entries[0].reverses')"
        check_eq "history: with its note" "objection upheld" "$(jget '.entries[0].note')"
    }
VER=$(verify_state)

# --- only once ---------------------------------------------------------------------
run jf reverse "$AWARD" --note again
check_rc "reversing the award again" 1
check_contains "again: reason" already_reversed "$ERR"
check_contains "again: names the reversal" "entry $REV" "$ERR"
json_ok "the same reversal retried with its request id" reverse "$AWARD" --note "objection upheld" --request-id rev-1 &&
    {
        check_eq "retry: status" exists "$(jget .status)"
        check_eq "retry: the same entry" "$REV" "$(jget .entry)"
    }
check_eq "neither changed anything" "$VER" "$(verify_state)"
check_eq "balance still restored" "0 8880" "$(balance_of "$H")"

# --- entries that cannot be reversed -------------------------------------------------
run jf reverse "$REV" --note "undo the undo"
check_rc "reversing a reversal" 1
check_contains "reversing a reversal: reason" not_reversible "$ERR"
run jf reverse "$REG" --note "unregister"
check_rc "reversing a registration" 1
check_contains "reversing a registration: reason" not_reversible "$ERR"
run jf reverse 999999 --note nothing
check_rc "reversing an unknown entry" 1
check_contains "unknown entry: reason" unknown_entry "$ERR"
run jf reverse "$BILL"
check_rc "reverse without --note" 2
run jf reverse 0 --note zero
check_rc "reverse entry 0" 2
check_eq "refusals changed nothing" "$VER" "$(verify_state)"

# --- a fee entry: the bill ------------------------------------------------------------
json_ok "reverse the bill" reverse "$BILL" --note "billed twice" &&
    check_eq "reverse bill: mirrored postings" "$(mirrored "$BILL_POSTINGS")" "$(postings_of)"
check_eq "reverse bill: nothing due" "0 0" "$(balance_of "$H")"

# --- an award whose points were spent: the household would go below zero ---------
json_ok "award meeting again" award "$H" meeting || die "award"
AWARD2=$(jget .entry)
run jf bill "$H" 1000 --period 2026-06
check_rc "bill 1000" 0
json_ok "redeem every point" redeem "$H" "$MEETING" || die "redeem"
REDEEM=$(jget .entry)
REDEEM_POSTINGS=$(postings_of)
BEFORE=$(balance_of "$H")
VER=$(verify_state)
run jf reverse "$AWARD2" --note "late objection"
check_rc "reversing an award whose points are spent" 1
check_contains "spent points: reason" insufficient_points "$ERR"
check_eq "spent points: balance unchanged" "$BEFORE" "$(balance_of "$H")"
check_eq "spent points: journal unchanged" "$VER" "$(verify_state)"

# --- a redemption: both legs (points and fee) come back together ------------------
json_ok "reverse the redemption" reverse "$REDEEM" --note "paid in cash instead" &&
    check_eq "reverse redeem: both postings mirrored" "$(mirrored "$REDEEM_POSTINGS")" "$(postings_of)"
check_eq "reverse redeem: points and fee due back" "$MEETING 100000" "$(balance_of "$H")"
json_ok "now the award can be reversed" reverse "$AWARD2" --note "late objection" &&
    check_eq "reverse award 2: status" ok "$(jget .status)"
check_eq "all awards and the redemption undone" "0 100000" "$(balance_of "$H")"

json_ok "verify" verify &&
    {
        check_eq "verify: ok" true "$(jget .ok)"
        # reg, award, bill, reverse, reverse bill, award, bill, redeem,
        # reverse redeem, reverse award
        check_eq "verify: entries" $((BASE + 10)) "$(jget .entries)"
    }
stop_daemon TERM
check_eq "SIGTERM: exit status" 0 "$DAEMON_STATUS"
finish
