#!/usr/bin/env bash
# text.sh - text that reads differently from what it holds, end to end:
# bidi overrides and zero-width characters in notes, names and labels are
# refused on input (the codec's text rule, in the CLI before sending and in
# the daemon); cells a spreadsheet would run as formulas (a household code
# such as -A1, a name such as =HYPERLINK(...)) are neutralised in --csv.
source "$(dirname "$0")/lib.sh"

CLOCK="$WORK/clock"
echo $(( $(date -u -d "2026-03-05 10:00 +0800" +%s) * 1000 )) >"$CLOCK"
start_daemon "$WORK/data" --test-clock "$CLOCK"
json_ok "add 3-2-501" household add 3-2-501 --name 张三 || die add
before=$(verify_state)

RLO=$'\u202e' ZWSP=$'\u200b' LRI=$'\u2066'
run jf award 3-2-501 meeting --note "paid 12${RLO}0 yuan"
check_rc "a note with a right-to-left override" 2
check_contains "... the error names it" "U+202E" "$ERR"
check_contains "... and says why" "read differently" "$ERR"
run jf household add 3-2-502 --name "张${ZWSP}三"
check_rc "a name with a zero-width space" 2
check_contains "... the error names it" "U+200B" "$ERR"
"$JIFEN" keygen --out "$WORK/desk2" >/dev/null
run jf_as admin key enrol "$WORK/desk2.pub" auditor --label "desk ${LRI}2"
check_rc "a key label with a bidi isolate" 2
check_eq "nothing was written" "$before" "$(verify_state)"
json_ok "ordinary punctuation and Chinese are text" \
    award 3-2-501 meeting --note "议事会——“自行车棚”（第2次）"

# A household code that starts with '-' is a code like any other ...
json_ok "add -A1" household add --name '=HYPERLINK("http://x.example","y")' -- -A1 ||
    die "add -A1"
json_ok "bill -A1" bill --period 2026-03 -- -A1 100
json_ok "bill 3-2-501" bill 3-2-501 80 --period 2026-03
# ... but not a formula in a spreadsheet.
run jf report ageing --period 2026-03 --csv
check_rc "ageing --csv" 0
check_contains "the code -A1 is neutralised" $'\n'"'-A1," "$OUT"
check_contains "the other code is as it was" $'\n'"3-2-501," "$OUT"
check_not_contains "no cell starts with -A1" $'\n'"-A1," "$OUT"
run jf report statement --period 2026-03 --csv -- -A1
check_rc "statement of -A1 --csv" 0
check_contains "numbers stay numbers" "期末欠费（元）,100.00" "$OUT"
stop_daemon
finish
