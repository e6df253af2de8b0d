#!/usr/bin/env bash
# desk_large.sh - the reports of a 100,000-household community answer
# (issue 14): ageing, arrears and the trial balance come page by page and
# are whole, in --json, CSV and .xlsx; asked whole over the protocol the
# ageing is refused with report_too_large naming the limit (before: the
# 20,000-row cap answered "internal"); jifend's memory besides the map
# stays bounded while they are read. Figures only, no timings (the
# benchmark times them: ./bench.sh --desk).
source "$(dirname "$0")/lib.sh"
: "${HOUSEHOLDS:?HOUSEHOLDS must name the households test tool}"
: "${HEAVY:?HEAVY must name the heavy test tool}"

N=${DESK_LARGE_HOUSEHOLDS:-100000}
NO_AREA=$((N / 1000))
start_daemon "$WORK/data" --policy "$JIFEN_SOURCE_DIR/deploy/policy-desk.conf"
JIFEN_KEY=$(key_of committee) JIFEN_SERVER_KEY=$SERVER_KEY "$HOUSEHOLDS" "$ENDPOINT" "$N" ||
    die "registering $N households"
JF_TIMEOUT=120000
json_ok "bill 物业费 to every household" billing run --period 2026-12 --item wuye || die "billing run"
BILLS=$(jget .bills)
FEN=$(jget .amount_fen)
check_eq "one bill each, but those without an area" $((N - NO_AREA)) "$BILLS"
# RssAnon of jifend: its heap, not the map (a file mapping).
anon() { awk '/^RssAnon:/ {print $2}' "/proc/$PID/status"; }
base=$(anon)
peak=$base
sample() { local a; a=$(anon); [ "$a" -gt "$peak" ] && peak=$a; true; }

json_ok "ageing" report ageing --period 2026-12 &&
    {
        check_eq "a row per household that owes, and the total" $((BILLS + 1)) "$(jget '.rows | length')"
        check_eq "the total is every bill" "$FEN" "$(jget '.rows[] | select(.household == "TOTAL") | .total_fen')"
        check_contains "the collection rate over all of it" "collection rate 0.0% (billed $FEN, outstanding $FEN)" "$(jget .title)"
    }
sample
json_ok "trial balance" report trial-balance &&
    {
        check_contains "balanced" "debits equal credits" "$(jget .title)"
        check_eq "the households' fee accounts and the community's" $((BILLS + 3)) "$(jget '.rows | length')"
    }
sample
run jf report arrears --period 2026-12 --csv
check_rc "arrears as CSV" 0
check_eq "a line per bill and the heading" $((BILLS + 1)) "$(wc -l <<<"$OUT" | tr -d ' ')"
sample
run jf report ageing --period 2026-12 --xlsx "$WORK/ageing.xlsx"
check_rc "ageing as .xlsx" 0
sample
run /usr/bin/python3 -c '
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
print(sum(1 for _ in ws.iter_rows()))' "$WORK/ageing.xlsx"
check_eq "the workbook holds every row (title, blank, headings, rows, total, rate)" $((BILLS + 5)) "$OUT"
check_memory "jifend's memory besides the map rose by at most 100 MB (KB)" $((peak - base)) $((100 * 1024))

# Asked whole (a client that does not page): refused, saying the limit.
run env JIFEN_KEY="$(key_of auditor)" JIFEN_SERVER_KEY="$SERVER_KEY" "$HEAVY" "$ENDPOINT" ageing 1
check_contains "the ageing asked whole" "first=report_too_large" "$OUT"
check_contains "names the limit" "more than 19998 rows" "$OUT"
json_ok "verify" verify && check_eq "verify" true "$(jget .ok)"
finish
