#!/usr/bin/env bash
# session.sh - the quick-start flow through the real CLI: register, award
# (hours capped by the policy), bill, pay, redeem, balance, history, verify;
# exact JSON numbers, readable human output, and the CLI's exit codes for
# usage errors (2), ledger refusals (1) and an unreachable server (3).
source "$(dirname "$0")/lib.sh"

P=$DEFAULT_POLICY
RATE=$(policy_get "$P" "" fen_per_point)
PCT=$(policy_get "$P" "" max_offset_percent)
MEETING=$(policy_get "$P" "activity meeting" points)
VPH=$(policy_get "$P" "activity volunteer" points_per_hour)
VMAX=$(policy_get "$P" "activity volunteer" max_hours)
for v in RATE PCT MEETING VPH VMAX; do need_number "$v" "${!v}"; done
echo "policy: $RATE fen/point, cap $PCT%, meeting $MEETING, volunteer $VPH/h up to $VMAX h"

start_daemon "$WORK/data"
H=3-2-501

# --- register -------------------------------------------------------------
json_ok "household add (name, area)" household add "$H" --name "Wang Fang" --area 75.5 &&
    {
        check_eq "household add: status" ok "$(jget .status)"
        check_eq "household add: first entry after the key enrolments" $((BASE + 1)) "$(jget .entry)"
        check_eq "household add: name" "Wang Fang" "$(jget .balance.name)"
        check_eq "household add: area in 0.01 m2" 7550 "$(jget .balance.area_centi_m2)"
    }
run jf household add 3-2-502
check_rc "household add (human)" 0
check_contains "household add human output" "registered household 3-2-502" "$OUT"
run jf household add "$H"
check_rc "registering a household twice" 1
check_contains "registering twice: reason" "household_exists" "$ERR"

# --- award ----------------------------------------------------------------
json_ok "award meeting" award "$H" meeting --note "June 议事会" &&
    {
        check_eq "award meeting: points from the policy" "$MEETING" "$(jget .points)"
        check_eq "award meeting: balance" "$MEETING" "$(jget .balance.points)"
    }
HOURS=$((VMAX + 3))
json_ok "award volunteer --hours $HOURS" award "$H" volunteer --hours "$HOURS" &&
    check_eq "award volunteer: hours beyond max_hours not counted ($VPH x $VMAX)" \
        $((VPH * VMAX)) "$(jget .points)"
run jf award "$H" volunteer --hours 1
check_rc "award volunteer (human)" 0
check_match "award human output" "^entry [0-9]+: awarded $VPH points? to $H \(volunteer\)" "$OUT"
POINTS=$((MEETING + VPH * VMAX + VPH))

# --- bill, pay --------------------------------------------------------------
BILL_FEN=20000
json_ok "bill 200.00 --period 2026-01" bill "$H" 200.00 --period 2026-01 &&
    check_eq "bill: fee due" "$BILL_FEN" "$(jget .balance.fee_due_fen)"
run jf pay "$H" 50.5
check_rc "pay 50.5 (human)" 0
check_contains "pay human output" "received 50.50 yuan from $H" "$OUT"
DUE=$((BILL_FEN - 5050))

# --- redeem -----------------------------------------------------------------
MOST=$(max_redeemable "$DUE" "$RATE" "$PCT")
R=$((POINTS < MOST ? POINTS : MOST))
[ "$R" -ge 1 ] || die "the policy allows no redemption in this session"
json_ok "redeem $R" redeem "$H" "$R" &&
    {
        check_eq "redeem: points" "$R" "$(jget .points)"
        check_eq "redeem: offset_fen = points x fen_per_point" $((R * RATE)) "$(jget .offset_fen)"
    }
POINTS=$((POINTS - R))
DUE=$((DUE - R * RATE))
N_ENTRIES=$((BASE + 8)) # the key enrolments; 2 registrations, 3 awards, bill, pay, redeem

# --- balance ----------------------------------------------------------------
json_ok "balance" balance "$H" &&
    {
        check_eq "balance: household" "$H" "$(jget .household)"
        check_eq "balance: points" "$POINTS" "$(jget .points)"
        check_eq "balance: fee_due_fen" "$DUE" "$(jget .fee_due_fen)"
        check_eq "balance: numbers are JSON integers" "number number" \
            "$(jget '"\(.points|type) \(.fee_due_fen|type)"')"
    }
run jf balance "$H"
check_rc "balance (human)" 0
check_contains "balance human: points" "$POINTS points" "$OUT"
check_contains "balance human: fee due in yuan" "fee due $(yuan "$DUE") yuan" "$OUT"
run env JIFEN_SERVER="$ENDPOINT" JIFEN_KEY="$(key_of auditor)" JIFEN_SERVER_KEY="$SERVER_KEY" "$JIFEN" --json balance "$H"
check_rc "JIFEN_SERVER instead of --server" 0
check_eq "JIFEN_SERVER: same balance" "$POINTS" "$(jget .points)"

# --- history ----------------------------------------------------------------
json_ok "history" history "$H" &&
    {
        check_eq "history: entries of $H, newest first" "$(seqs 8 7 6 5 4 3 1)" \
            "$(jget '[.entries[].entry] | map(tostring) | join(" ")')"
        check_eq "history: commands, newest first" \
            "redeem pay bill award award award household_add" \
            "$(jget '[.entries[].command] | join(" ")')"
        check_eq "history: the note is kept" "June 议事会" "$(jget '.entries[5].note')"
    }
json_ok "history --limit 2" history "$H" --limit 2 &&
    check_eq "history --limit 2" "$(seqs 8 7)" "$(jget '[.entries[].entry] | map(tostring) | join(" ")')"
run jf history "$H"
check_rc "history (human)" 0
check_eq "history human: one line per entry" 7 "$(grep -c . <<<"$OUT")"
check_match "history human: newest first" "^$((BASE + 8)) .*redeem" "$(head -n 1 <<<"$OUT")"
# People read Asia/Shanghai time whatever the machine's zone is.
for zone in UTC America/New_York; do
    run env TZ="$zone" "$JIFEN" --server "$ENDPOINT" --key "$(key_of auditor)" \
        --server-key "$SERVER_KEY" history "$H" --limit 1
    check_match "history human under TZ=$zone: Shanghai time" \
        "^$((BASE + 8))  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+08:00  redeem" "$OUT"
done

# --- verify -----------------------------------------------------------------
json_ok "verify" verify &&
    {
        check_eq "verify: ok" true "$(jget .ok)"
        check_eq "verify: entries" "$N_ENTRIES" "$(jget .entries)"
        check_match "verify: head is a SHA-256 in hex" '^[0-9a-f]{64}$' "$(jget .head)"
    }
run jf verify
check_rc "verify (human)" 0
check_match "verify human" "^ok: $N_ENTRIES entries, head [0-9a-f]{64}" "$OUT"
BEFORE=$(verify_state)

# --- a report as CSV (the figures: tests/scenario_reports.c) ---------------
run jf report statement "$H" --csv
check_rc "report statement --csv" 0
# For Excel (issue 14): a UTF-8 byte-order mark, Chinese headings, yuan.
check_eq "report --csv: the header" $'\xef\xbb\xbf项目,数值' "$(head -1 <<<"$OUT" | tr -d '\r')"
check_contains "report --csv: a row (what is due at the month's end)" "期末欠费（元）,$(yuan "$DUE")" "$OUT"

# --- help ----------------------------------------------------------------------
run "$JIFEN" help
check_rc "help" 0
USAGE=$(sed -n '1,/COMMAND/p' <<<"$OUT")
for opt in "--server ENDPOINT" "--key FILE" "--server-key KEY" "--json" "--timeout MS" "--retries N"; do
    check_contains "help's usage line names $opt" "[$opt]" "$USAGE"
done

# --- usage errors: exit 2, nothing sent ---------------------------------------
# --json is valid JSON (strict UTF-8) also for what the user typed: an
# option that is not UTF-8, a file prefix with a quote in it.
is_json() { python3 -c 'import sys, json; json.loads(sys.stdin.buffer.read().decode("utf-8"))'; }
run "$JIFEN" --json $'--b\xffd'
check_rc "an option that is not UTF-8" 2
is_json <<<"$OUT" && pass "... still gives valid JSON" || fail "invalid JSON: $OUT"
run "$JIFEN" --json keygen --out "$WORK/a\"b"
check_rc "keygen --out with a quote" 0
is_json <<<"$OUT" && pass "keygen --json with a quote in the file name is valid JSON" || fail "invalid JSON: $OUT"
for amount in 1e3 -5 12.345 abc "" 0x10 1,5; do
    run jf bill "$H" "$amount" --period 2026-02
    check_rc "bill with amount '$amount' is a usage error" 2
    run jf pay "$H" "$amount"
    check_rc "pay with amount '$amount' is a usage error" 2
done
run jf bill "$H" 100
check_rc "bill without --period" 2
check_contains "bill without --period: says what is missing" "--period" "$ERR"
run jf frobnicate "$H"
check_rc "unknown command" 2
check_contains "unknown command: named" "frobnicate" "$ERR"
run jf award "$H"
check_rc "award without an activity" 2
run jf redeem "$H" -3
check_rc "redeem -3" 2
run jf report statement
check_rc "a statement without a household" 2
run jf --json pay "$H" 1e3
check_rc "pay 1e3 with --json" 2
check_eq "usage error with --json: one object" usage "$(jget .status)"
check_eq "usage errors changed nothing" "$BEFORE" "$(verify_state)"

# --- refusals: exit 1, reason on stderr -------------------------------------
run jf award 9-9-999 meeting
check_rc "award to an unknown household" 1
check_contains "unknown household: reason on stderr" "unknown_household" "$ERR"
check_contains "unknown household: named" "9-9-999" "$ERR"
run jfj award 9-9-999 meeting
check_rc "a refusal with --json" 1
check_eq "a refusal with --json: one object with the status" unknown_household "$(jget .status)"
check_contains "a refusal with --json: and the reason" "9-9-999" "$(jget .error)"
run jf balance 9-9-999
check_rc "balance of an unknown household" 1
run jf award "$H" no-such-activity
check_rc "award for an unknown activity" 1
check_contains "unknown activity: reason" "unknown_activity" "$ERR"
check_eq "refusals changed nothing" "$BEFORE" "$(verify_state)"

# --- a retry with the same request id: exit 0, "exists" -----------------------
# (what the ledger does with it: tests/scenario_idempotency.c)
run jf award "$H" meeting --request-id session-retry
check_rc "a write with a request id" 0
run jf award "$H" meeting --request-id session-retry
check_rc "the same write retried" 0
check_contains "retried, human output" "already recorded; this retry changed nothing" "$OUT"
run jfj award "$H" meeting --request-id session-retry
check_eq "retried with --json: status" exists "$(jget .status)"

# --- unreachable: exit 3 ----------------------------------------------------
T0=$SECONDS
run "$JIFEN" --server tcp://127.0.0.1:1 --timeout 200 --retries 1 verify
check_rc "nothing listening" 3
check_le "unreachable is reported quickly (s)" $((SECONDS - T0)) 5

# --- clean stop ---------------------------------------------------------------
stop_daemon TERM
check_eq "SIGTERM: exit status" 0 "$DAEMON_STATUS"
check_contains "SIGTERM: logged" "stopped" "$(cat "$DAEMON_LOG")"

finish
