#!/usr/bin/env bash
# desk.sh - a month (and a half-year) at the property desk through the real
# daemon on its test clock, with the worked rule sets of deploy/
# (policy-desk.conf: 物业费 1.20 元/㎡/月, 垃圾处理费 10 元/月, 车位费 150
# 元/个/月, 5 points for a month paid in full by the 15th; from July
# policy-desk-2026-07.conf: 物业费 1.50): billing runs from the fee
# schedule (dry run, billed once, the rate change), payments by channel
# with references (a duplicate refused), oldest bills settled first and the
# arrears per month, receipts with 人民币大写, refunds, shift closes equal
# to the day's payments per channel, the shift report, on-time points
# posted once across kill -9 and never skipped while jifend was down, and
# taken back with the payment; CSV with a BOM, an .xlsx read back with
# openpyxl; every derived table rebuilt the same, a replica answering the
# same (docs/desk.md).
source "$(dirname "$0")/lib.sh"
# Chinese is the default: whatever the locale of whoever runs the suite
# (an en_US one would choose English), the checks below without --lang
# read what a desk with no language set gets.
# (bash warns of locales that are not installed: not needed, only read)
{ unset JIFEN_LANG LC_MESSAGES LANG; export LC_ALL=C.UTF-8; } 2>/dev/null

CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
P1="$JIFEN_SOURCE_DIR/deploy/policy-desk.conf"
P7="$JIFEN_SOURCE_DIR/deploy/policy-desk-2026-07.conf"
POLICIES=(--policy "$P1" --policy "$P7")
A=3-2-501 # 85.50 m2, one parking space
B=3-2-502 # 100.00 m2
C=3-2-503 # no area recorded
# arrears FIELD HOUSEHOLD ITEM PERIOD: one cell of `report arrears --json` in OUT
arrears() { jget "[.rows[] | select(.household == \"$2\" and .item == \"$3\" and .period == \"$4\") | .$1] | add // 0"; }
entries() { jf --json verify | jq -r .entries; }
points_of() { jf --json balance "$1" | jq -r .points; }
# wait_points H N: the timer posts on its own; wait (at most 20 s) for it.
wait_points() {
    local i have
    for ((i = 0; i < 200; i++)); do
        have=$(points_of "$1")
        [ "$have" = "$2" ] && { pass "$1 has $2 points"; return 0; }
        sleep 0.1
    done
    fail "$1 has $have points, expected $2 (20 s)"
}

set_time "2026-01-02 09:00"
start_daemon "$WORK/data" --test-clock "$CLOCK" "${POLICIES[@]}"
json_ok "add A" household add "$A" --name 张伟 --area 85.5 || die add
json_ok "add B" household add "$B" --name 李娜 --area 100 || die add
json_ok "add C" household add "$C" --name 王五 || die add
json_ok "A's parking space" household set "$A" --item chewei --units 1 || die units

# --- the billing run -------------------------------------------------------------
BEFORE=$(entries)
json_ok "dry run of January" billing run --period 2026-01 --dry-run &&
    {
        check_eq "dry run: 物业费 by area, 2 households" "2 22260" "$(jget '.items[] | select(.item == "wuye") | "\(.bills) \(.amount_fen)"')"
        check_eq "dry run: 垃圾处理费 fixed, 3 households" "3 3000" "$(jget '.items[] | select(.item == "laji") | "\(.bills) \(.amount_fen)"')"
        check_eq "dry run: 车位费 per unit, 1 household" "1 15000" "$(jget '.items[] | select(.item == "chewei") | "\(.bills) \(.amount_fen)"')"
        check_eq "dry run: C cannot be billed by area" no_area "$(jget ".cannot_bill[] | select(.household == \"$C\" and .item == \"wuye\") | .problem")"
        check_eq "dry run: who has no parking space" "3" "$(jget .cannot_bill_count)"
    }
check_eq "the dry run wrote nothing" "$BEFORE" "$(entries)"
run jf billing run --period 2026-01 --dry-run
check_contains "the dry run in Chinese" "物业费：2 户，222.60 元" "$OUT"
check_contains "and who cannot be billed" "$C（wuye：未登记建筑面积）" "$OUT"
json_ok "billing run January" billing run --period 2026-01 &&
    check_eq "January: 6 bills, 402.60 yuan" "6 40260 0" "$(jget '"\(.bills) \(.amount_fen) \(.already_billed)"')"
json_ok "the same run again" billing run --period 2026-01 &&
    check_eq "bills nobody again, says what was billed" "0 6" "$(jget '"\(.bills) \(.already_billed)"')"
run jf billing run --period 2026-01 --lang en
check_contains "in English on request" "Billed before: 6 (not billed again)" "$OUT"
json_ok "February, 物业费 only" billing run --period 2026-02 --item wuye &&
    check_eq "only wuye" "2 22260" "$(jget '"\(.bills) \(.amount_fen)"')"
json_ok "February, the rest" billing run --period 2026-02 &&
    check_eq "the other items, wuye billed before" "4 18000 2" "$(jget '"\(.bills) \(.amount_fen) \(.already_billed)"')"
run jfj bill "$C" --period 2026-01 0.01
check_rc "a bill of an amount still works" 0

# --- payments ------------------------------------------------------------------
set_time "2026-02-10 10:00"
json_ok "B pays January and February in cash" pay "$B" 260 &&
    check_eq "receipt number 1" 1 "$(jget .receipt)"
json_ok "A pays by WeChat" pay "$A" 200 --channel wechat --ref 4200001111 &&
    check_eq "receipt number 2" 2 "$(jget .receipt)"
A_PAY=$(jget .entry)
run jfj pay "$B" 50 --channel wechat --ref 4200001111
check_rc "the same WeChat payment entered twice" 1
check_eq "is refused with its own status" duplicate_reference "$(jget .status)"
check_contains "naming the entry" "entry $A_PAY" "$(jget .error)"
check_eq "B's fee unchanged" 0 "$(jf --json balance "$B" | jq -r .fee_due_fen)"
run jf pay "$B" 50 --channel wechat
check_rc "a WeChat payment needs its reference" 2
run jf pay "$B" 50 --ref X1
check_rc "cash has none" 2
json_ok "A pays 128.50 by Alipay" pay "$A" 128.50 --channel alipay --ref 2026021022001 || die pay
A_PAY2=$(jget .entry)
json_ok "B pays 20 ahead" pay "$B" 20
run jfj refund "$B" 30 --channel cash --note "moving out"
check_eq "a refund beyond the prepayment" not_prepaid "$(jget .status)"
json_ok "refund B's 20 in cash" refund "$B" 20 --channel cash --note "paid twice by mistake" || die refund

# Oldest bills first: A's 200 paid January's 物业费 102.60, 垃圾处理费 10.00
# and 87.40 of 车位费; the 128.50 the rest of January's 车位费 (62.60) and
# 65.90 of February's 物业费.
json_ok "receipt of A's WeChat payment" receipt "$A_PAY" &&
    {
        check_eq "what it paid, oldest first" "wuye 2026-01 10260,laji 2026-01 1000,chewei 2026-01 8740" "$(jget '[.lines[] | "\(.item) \(.period) \(.fen)"] | join(",")')"
        check_eq "in capitals" 贰佰元整 "$(jget .capitals)"
    }
json_ok "receipt of A's Alipay payment" receipt "$A_PAY2" &&
    {
        check_eq "the rest of January first" "chewei 2026-01 6260,wuye 2026-02 6590" "$(jget '[.lines[] | "\(.item) \(.period) \(.fen)"] | join(",")')"
        check_eq "128.50 in capitals" 壹佰贰拾捌元伍角整 "$(jget .capitals)"
        check_eq "fee due after it" 19670 "$(jget .fee_due_after_fen)"
        check_eq "the receipt number" 3 "$(jget .receipt)"
        check_eq "the chain hash of the entry" 64 "$(jget '.entry_hash | length')"
    }
run jf receipt "$A_PAY2"
check_contains "a receipt for people: the capitals" "人民币（大写）：壹佰贰拾捌元伍角整" "$OUT"
check_contains "the household and name" "户名：张伟" "$OUT"
check_contains "the items" "物业费            2026-02              65.90" "$OUT"
check_contains "the channel and reference" "交易单号：2026021022001" "$OUT"
check_contains "the clerk's key label" "收款人：test-terminal" "$OUT"
check_contains "Shanghai time" "收款时间：2026-02-10T10:00:00+08:00" "$OUT"
check_contains "the entry number" "账本条目：$A_PAY2" "$OUT"
run jf receipt "$A_PAY2" --lang en
check_contains "in English on request" "In Chinese capitals: 壹佰贰拾捌元伍角整" "$OUT"
{ LC_ALL=en_US.UTF-8 run jf receipt "$A_PAY2"; } 2>/dev/null
check_contains "or by the locale" "In Chinese capitals: 壹佰贰拾捌元伍角整" "$OUT"
{ JIFEN_LANG=en LC_ALL=zh_CN.UTF-8 run jf receipt "$A_PAY2"; } 2>/dev/null
check_contains "JIFEN_LANG before the locale" "In Chinese capitals: 壹佰贰拾捌元伍角整" "$OUT"
json_ok "arrears per item and month" report arrears --period 2026-02 &&
    {
        check_eq "January of A all paid" 0 "$(arrears open_fen "$A" chewei 2026-01)"
        check_eq "February's 物业费 of A partly" 3670 "$(arrears open_fen "$A" wuye 2026-02)"
        check_eq "February's 车位费 of A open" 15000 "$(arrears open_fen "$A" chewei 2026-02)"
        check_eq "C's January 垃圾处理费 open" 1000 "$(arrears open_fen "$C" laji 2026-01)"
        check_eq "C's bill of an amount: no item" 1 "$(arrears open_fen "$C" "" 2026-01)"
    }
json_ok "ageing of February" report ageing --period 2026-02 &&
    check_eq "A: February's 196.70, billed on 2 January: 31-90 days" "0 19670 19670" "$(jget ".rows[] | select(.household == \"$A\") | \"\(.days_0_30) \(.days_31_90) \(.total_fen)\"")"

# --- the shift close -------------------------------------------------------------
set_time "2026-02-10 17:30"
json_ok "close the shift" shift close --note "晚班交接" &&
    {
        check_eq "cash: 2 payments 280.00, 1 refund 20.00" "2 28000 1 2000 26000" "$(jget '.totals[] | select(.channel == "cash") | "\(.payments) \(.paid_fen) \(.refunds) \(.refunded_fen) \(.net_fen)"')"
        check_eq "wechat: 1 payment 200.00" "1 20000" "$(jget '.totals[] | select(.channel == "wechat") | "\(.payments) \(.paid_fen)"')"
        check_eq "alipay: 1 payment 128.50" "1 12850" "$(jget '.totals[] | select(.channel == "alipay") | "\(.payments) \(.paid_fen)"')"
        check_eq "the cash in the drawer" 26000 "$(jget .cash_expected_fen)"
    }
CLOSE=$(jget .entry)
json_ok "a payment after the close" pay "$C" 10
C_PAY=$(jget .entry)
json_ok "a correction: reverse A's Alipay payment" reverse "$A_PAY2" --note "paid for the wrong month"
json_ok "the shift report of the day" report shifts --date 2026-02-10 &&
    {
        check_eq "the close, per channel" "cash,wechat,alipay" "$(jget "[.rows[] | select(.state == \"closed\" and .entry == $CLOSE) | .channel] | join(\",\")")"
        check_eq "not closed yet: C's payment" "1 1000" "$(jget '.rows[] | select(.state == "open" and .channel == "cash") | "\(.payments) \(.paid_fen)"')"
        check_eq "and the reversal, -128.50" "1 -12850" "$(jget '.rows[] | select(.state == "open" and .channel == "alipay") | "\(.reversals) \(.reversed_fen)"')"
    }
run jf report shifts --date 2026-02-10
check_contains "the shift report in Chinese" "已交班" "$OUT"
json_ok "the next close" shift close &&
    check_eq "counts only what came after the first" "1000 -12850" "$(jget '[(.totals[] | select(.channel == "cash") | .net_fen), (.totals[] | select(.channel == "alipay") | .net_fen)] | join(" ")')"
json_ok "a reversed payment keeps its receipt number" pay "$A" 128.50 --channel alipay --ref 2026021022001 &&
    check_eq "the next number, never reused" 6 "$(jget .receipt)"

# --- on-time points ----------------------------------------------------------------
# B paid January late (10 February, after the 15 January deadline) and
# February in full by the 15th: 5 points for February, none for January.
set_time "2026-02-16 09:00"
wait_points "$B" 5
check_eq "A still owed February: no points" 0 "$(points_of "$A")"
stop_daemon KILL
start_daemon "$WORK/data" --test-clock "$CLOCK" "${POLICIES[@]}"
sleep 1
check_eq "after kill -9 and a restart, still 5" 5 "$(points_of "$B")"
check_eq "one on-time award of February" 1 "$(jf --json history "$B" | jq '[.entries[] | select(.command == "ontime_award")] | length')"
# March: B pays in full on the 5th; jifend is down over the 15th.
set_time "2026-03-02 09:00"
json_ok "bill March" billing run --period 2026-03
set_time "2026-03-05 09:00"
json_ok "B pays March" pay "$B" 130
B_MARCH=$(jget .entry)
stop_daemon KILL
set_time "2026-03-20 09:00"
start_daemon "$WORK/data" --test-clock "$CLOCK" "${POLICIES[@]}"
wait_points "$B" 10
check_eq "March posted after the restart, not skipped" 2 "$(jf --json history "$B" | jq '[.entries[] | select(.command == "ontime_award")] | length')"
json_ok "reverse B's March payment" reverse "$B_MARCH" --note "the transfer bounced" &&
    check_eq "it takes the March points back" "household/$B/points community/points-issued 5" "$(jget '.postings[] | select(.asset == "points") | "\(.debit) \(.credit) \(.amount)"')"
check_eq "B has February's 5 left" 5 "$(points_of "$B")"

# --- a rate change mid-year ---------------------------------------------------------
set_time "2026-06-28 09:00"
json_ok "June" billing run --period 2026-06
json_ok "July billed in June, at July's rate" billing run --period 2026-07 --item wuye
json_ok "the arrears of July" report arrears --period 2026-07 &&
    {
        check_eq "A's 物业费 in June: 85.50 x 1.20" 10260 "$(arrears billed_fen "$A" wuye 2026-06)"
        check_eq "A's 物业费 in July: 85.50 x 1.50" 12825 "$(arrears billed_fen "$A" wuye 2026-07)"
        check_eq "B's in July: 100 x 1.50" 15000 "$(arrears billed_fen "$B" wuye 2026-07)"
    }
# The ageing per month after half a year, oldest bills settled first. A
# paid 328.50 net (200 + 128.50; the first 128.50 reversed): January's
# 262.60 and 65.90 of February; open are the rest of February (billed 2
# January, 210 days by 31 July), March (billed 2 March, 151 days), June and
# July (billed 28 June, 33 days). C paid 10.00: January's 垃圾处理费, not
# the 0.01 billed after it; February's 10.00 is over 180 days old.
json_ok "the ageing of July" report ageing --period 2026-07 &&
    {
        age() { jget ".rows[] | select(.household == \"$1\") | \"\(.days_0_30) \(.days_31_90) \(.days_91_180) \(.days_over_180) \(.total_fen)\""; }
        check_eq "A: June and July, March, the rest of February" "0 39085 26260 19670 85015" "$(age "$A")"
        check_eq "C: June, March, February and the 0.01" "0 1000 1000 1001 3001" "$(age "$C")"
    }

# --- files for Excel --------------------------------------------------------------
run jf report ageing --period 2026-07 --csv
check_eq "CSV opens in Excel's encoding: a UTF-8 BOM" "efbbbf" "$(head -c 3 <<<"$OUT" | od -An -tx1 | tr -d ' \n')"
check_contains "Chinese headings" "门牌号,0-30天,31-90天,91-180天,180天以上,合计" "$OUT"
check_contains "yuan with two decimals" "$A," "$OUT"
run jf report arrears --period 2026-07 --xlsx "$WORK/arrears.xlsx"
check_rc "--xlsx" 0
PY=/usr/bin/python3 # Debian's, which has python3-openpyxl (scripts/bootstrap.sh)
run "$PY" - "$WORK/arrears.xlsx" "$A" <<'EOF'
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
rows = list(ws.iter_rows(values_only=True))
head = next(r for r in rows if r and r[0] == "门牌号")
print("|".join(str(c) for c in head))
cell = next(c for row in ws.iter_rows() for c in row
            if row[0].value == sys.argv[2] and row[1].value == "wuye"
            and row[3].value == "2026-07" and c.column == 5)
print(cell.value, cell.number_format)
EOF
check_rc "openpyxl reads the workbook" 0
check_contains "Chinese headings in the workbook" "门牌号|项目|收费项目|所属月份|应收（元）|未收（元）|账龄（天）" "$OUT"
check_contains "yuan as numbers with two decimals" "128.25 #,##0.00" "$OUT"

# --- one derivation ----------------------------------------------------------------
# Receipts, shifts and arrears answered by a replica that applied the same
# entries; then every derived table (billed index, references, receipts,
# shifts, on-time awards) rebuilt from the journal the same.
mkdir -m 700 "$WORK/r"
"$JIFEN" keygen --out "$WORK/r/jifend" >/dev/null || die "keygen for the replica"
json_ok "enrol the replica's key" key enrol "$WORK/r/jifend.pub" auditor --label "replica" || die enrol
P_EP=$ENDPOINT P_SK=$SERVER_KEY
start_daemon "$WORK/r" --replica-of "$P_EP" --replica-server-key "$WORK/data/jifend.pub" "${POLICIES[@]}"
R_EP=$ENDPOINT
want=$(ENDPOINT=$P_EP SERVER_KEY=$P_SK entries)
for ((i = 0; i < 200; i++)); do
    [ "$(entries 2>/dev/null || true)" = "$want" ] && break
    sleep 0.05
done
check_eq "the replica caught up" "$want" "$(entries)"
for q in "receipt $A_PAY" "report shifts --date 2026-02-10" "report arrears --period 2026-07" "balance $B"; do
    # shellcheck disable=SC2086
    check_eq "replica: '$q' as on the primary" \
        "$(ENDPOINT=$P_EP SERVER_KEY=$P_SK jf --json $q | sha256sum)" "$(jf --json $q | sha256sum)"
done
stop_daemon
ENDPOINT=$P_EP SERVER_KEY=$P_SK
PID=${DAEMON_PIDS[-2]}
stop_daemon
run "$JIFEND" --rebuild "$WORK/data" "${POLICIES[@]}" --json
check_rc "rebuild" 0
# (one answer per ledger: the service's and the community's)
check_eq "every derived table rebuilt the same" true "$(jq -rs 'map(.same) | all' <<<"$OUT")"
finish
