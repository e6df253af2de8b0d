#!/usr/bin/env bash
# reports.sh - every report with exact figures, through the real daemon on
# its test clock (default policy: 100 fen a point, points pay at most 50%),
# at month boundaries: an entry at 23:59 on the last day belongs to that
# month, one at 00:00 on the 1st to the next. Also settle, and --csv.
source "$(dirname "$0")/lib.sh"

CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
# item NAME: the value of one row of an item/value report in OUT.
item() { jget ".rows[] | select(.item == \"$1\") | .value"; }

set_time "2026-01-05 10:00"
start_daemon "$WORK/data" --test-clock "$CLOCK"
A=3-2-501
B=3-2-502
json_ok "add A" household add "$A" --name 张三 || die add
json_ok "add B" household add "$B" || die add
json_ok "bill A January" bill "$A" 100 --period 2026-01
json_ok "bill B January" bill "$B" 80 --period 2026-01
json_ok "award A 20" award "$A" honour --points 20

set_time "2026-02-28 23:59"    # still February
json_ok "award A meeting" award "$A" meeting
set_time "2026-03-01 00:00"    # March
json_ok "bill A March" bill "$A" 100 --period 2026-03
json_ok "redeem A 20" redeem "$A" 20
json_ok "pay A 50" pay "$A" 50
json_ok "deduct A" deduct "$A" littering --note "bags left in the stairwell"
run jfj settle 30
check_eq "settle more than owed" cap_exceeded "$(jget .status)"
json_ok "settle 10" settle 10 --note "street office transfer 2026-03"
set_time "2026-03-31 23:59"
json_ok "bill B 10 at 23:59 on 31 March" bill "$B" 10 --period 2026-03
json_ok "pay B 30" pay "$B" 30
set_time "2026-04-01 00:00"
json_ok "pay A 10 in April" pay "$A" 10

# --- statement ------------------------------------------------------------------
json_ok "statement A February" report statement "$A" --period 2026-02 &&
    {
        check_eq "Feb: opening" 20 "$(item points_opening)"
        check_eq "Feb: earned (23:59 on the 28th)" 2 "$(item points_earned)"
        check_eq "Feb: closing" 22 "$(item points_closing)"
        check_eq "Feb: fee opening" 10000 "$(item fee_opening_fen)"
        check_eq "Feb: billed" 0 "$(item fee_billed_fen)"
    }
json_ok "statement A March" report statement "$A" --period 2026-03 &&
    {
        check_eq "Mar: opening" 22 "$(item points_opening)"
        check_eq "Mar: earned" 0 "$(item points_earned)"
        check_eq "Mar: redeemed" 20 "$(item points_redeemed)"
        check_eq "Mar: deducted" 1 "$(item points_deducted)"
        check_eq "Mar: closing" 1 "$(item points_closing)"
        check_eq "Mar: fee opening" 10000 "$(item fee_opening_fen)"
        check_eq "Mar: billed" 10000 "$(item fee_billed_fen)"
        check_eq "Mar: paid (not April's)" 5000 "$(item fee_paid_fen)"
        check_eq "Mar: offset by points" 2000 "$(item fee_offset_fen)"
        check_eq "Mar: outstanding" 13000 "$(item fee_outstanding_fen)"
    }
run jf report statement "$A" --period 2026-03 --csv
# For Excel: a UTF-8 byte-order mark, Chinese headings and labels, yuan.
check_eq "statement --csv: header" $'\xef\xbb\xbf项目,数值' "$(head -1 <<<"$OUT" | tr -d '\r')"
check_contains "statement --csv: a row" "期末欠费（元）,130.00" "$OUT"
run jf report statement "$A" --period 2026-03 --csv --lang en
check_contains "statement --csv --lang en" "Owed at the end (yuan),130.00" "$OUT"
run jf report statement
check_rc "statement without a household" 2

# --- funder liability -------------------------------------------------------------
json_ok "liability March" report liability --period 2026-03 &&
    {
        check_eq "Mar: offset" 2000 "$(item offset_this_month_fen)"
        check_eq "Mar: settled" 1000 "$(item settled_this_month_fen)"
        check_eq "Mar: owed at end" 1000 "$(item owed_at_end_fen)"
        check_eq "Mar: points outstanding" 1 "$(item points_outstanding)"
        check_eq "Mar: their value" 100 "$(item points_value_fen)"
    }
json_ok "liability February" report liability --period 2026-02 &&
    {
        check_eq "Feb: nothing offset" 0 "$(item offset_this_month_fen)"
        check_eq "Feb: points outstanding" 22 "$(item points_outstanding)"
    }

# --- arrears ageing ---------------------------------------------------------------
# As of the end of March (1 April 00:00): A owes 130 = March's 100 (billed
# 1 March 00:00: 31 days) + 30 of January's (86 days); B owes 60 = the 10
# billed at 23:59 on 31 March (0 days) + 50 of January's 80.
json_ok "ageing March" report ageing --period 2026-03 &&
    {
        check_eq "A by age" "0 13000 0 0 13000" "$(jget ".rows[] | select(.household == \"$A\") | \"\(.days_0_30) \(.days_31_90) \(.days_91_180) \(.days_over_180) \(.total_fen)\"")"
        check_eq "B by age" "1000 5000 0 0 6000" "$(jget ".rows[] | select(.household == \"$B\") | \"\(.days_0_30) \(.days_31_90) \(.days_91_180) \(.days_over_180) \(.total_fen)\"")"
        check_eq "total" 19000 "$(jget '.rows[] | select(.household == "TOTAL") | .total_fen')"
        # billed 290, outstanding 190: 34.4% collected (rounded down)
        check_contains "collection rate" "collection rate 34.4%" "$(jget .title)"
    }
# As of the end of August (1 September) the same bills are older: B's
# 31 March bill is 154 days old, January's 239; A's March bill 184.
ages() { jget ".rows[] | select(.household == \"$1\") | \"\(.days_0_30) \(.days_31_90) \(.days_91_180) \(.days_over_180) \(.total_fen)\""; }
json_ok "ageing August" report ageing --period 2026-08 &&
    {
        check_eq "B in August" "0 0 1000 5000 6000" "$(ages "$B")"
        check_eq "A in August (April's 10 paid)" "0 0 0 12000 12000" "$(ages "$A")"
    }

# --- trial balance ---------------------------------------------------------------
json_ok "trial balance" report trial-balance &&
    {
        check_contains "balanced" "debits equal credits" "$(jget .title)"
        check_eq "points totals" "43 43" "$(jget '.rows[] | select(.account == "TOTAL points") | "\(.debits) \(.credits)"')"
        check_eq "fee totals" "41000 41000" "$(jget '.rows[] | select(.account == "TOTAL fee") | "\(.debits) \(.credits)"')"
        check_eq "cash" "10000" "$(jget '.rows[] | select(.account == "community/cash") | .balance')"
    }
json_ok "verify" verify && check_eq "verify: ok" true "$(jget .ok)"

# The offline enrolment (entry 1) is dated by the test clock like every
# entry after it: no entry is dated before the one it follows.
stop_daemon
run "$JIFEND" --export "$WORK/data" --to -
check_rc "export" 0
check_eq "entry 1 (offline enrolment) at the test clock's time" \
    "$(( $(date -u -d "2026-01-05 10:00 +0800" +%s) * 1000 ))" \
    "$(head -n 1 <<<"$OUT" | jq -r .time_ms)"
check_eq "entry times never go back" true \
    "$(jq -s '[.[].time_ms] | . == sort' <<<"$OUT")"
finish
