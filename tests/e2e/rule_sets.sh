#!/usr/bin/env bash
# rule_sets.sh - rule sets through the real daemon and CLI, for what needs
# processes: `jifend --check-policy` of several files; a rule-set directory
# re-read on SIGHUP (a new rule set taken, a change to one in force refused
# and logged); `jifen policy load` (its --json answer, a file that is not
# there: exit 2), the start-up log naming a rule set adopted in the ledger
# and SIGHUP keeping it; `policy show` printing what --check-policy loads;
# the CLI's own errors; the adoption's text in the export, accepted by
# tools/verify_export.py. What the rules decide (which rule set judges an
# entry, caps across a change, what a load or a reload may change, who may
# load) is tests/scenario_rule_sets.c and tests/scenario_policy_load.c;
# the role matrix over the wire is tests/e2e/security.sh.
source "$(dirname "$0")/lib.sh"

REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
CLOCK="$WORK/clock"
# set_time "YYYY-MM-DD HH:MM": Shanghai wall-clock time into the clock file.
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
count_rule_sets() { jfj policy list | jq -r '.rule_sets | length'; }

# --- --check-policy ------------------------------------------------------------------
run "$JIFEND" --check-policy --policy "$DEFAULT_POLICY" --policy "$REVISED"
check_rc "--check-policy with two rule sets" 0
check_contains "--check-policy lists the revision and its date" \
    "rule set 2026-07-revised: in force from 2026-07-01" "$OUT"
check_contains "--check-policy shows caps" "at most 8 a month" "$OUT"
run "$JIFEND" --check-policy --policy "$REVISED" --policy "$REVISED"
check_rc "the same rule set twice" 1
check_contains "the same rule set twice: why" "version 2026-07-revised is already used" "$ERR"

# --- a rule-set directory and SIGHUP ---------------------------------------------------
RULES="$WORK/rules.d"
mkdir -p "$RULES"
cp "$DEFAULT_POLICY" "$RULES/2026-01-default.conf"
set_time "2026-06-20 09:00"
start_daemon "$WORK/data" --test-clock "$CLOCK" --policy "$RULES"
check_eq "a directory of one rule set" 1 "$(count_rule_sets)"
cp "$REVISED" "$RULES/2026-07-revised.conf"
kill -HUP "$PID"
for ((i = 0; i < 50; i++)); do
    [ "$(count_rule_sets)" = 2 ] && break
    sleep 0.1
done
check_eq "SIGHUP adopted the July rule set" 2 "$(count_rule_sets)"
# Changing a rule set already in force is refused; the old ones stay.
sed -i 's/^fen_per_point = 100/fen_per_point = 50/' "$RULES/2026-01-default.conf"
kill -HUP "$PID"
wait_for_log "rule sets not reloaded" || true
check_contains "changing a rule set in force is refused" "rule set 2026-01-default is in force" "$(cat "$DAEMON_LOG")"
run jf policy show 2026-01-default
check_contains "the rule set in force is unchanged" "fen_per_point = 100" "$OUT"
check_eq "both rule sets still in use" 2 "$(count_rule_sets)"
stop_daemon

# --- policy load through the CLI ---------------------------------------------------------
start_daemon "$WORK/data2" --test-clock "$CLOCK" --policy "$DEFAULT_POLICY"
run jf policy load "$WORK/missing.conf"
check_rc "a file that is not there" 2
check_contains "a file that is not there: why" "missing.conf" "$ERR"
json_ok "policy load" policy load "$REVISED" &&
    {
        check_eq "adopted: status" ok "$(jget .status)"
        check_eq "adopted: version" 2026-07-revised "$(jget .version)"
        check_eq "adopted: effective" 2026-07-01 "$(jget .effective)"
        check_contains "adopted: resolution" "2026-06-20" "$(jget .resolution)"
        check_match "adopted: its entry" '^[0-9]+$' "$(jget .entry)"
    }
# What `policy show` prints is a policy file jifend loads as it is.
run jf policy show 2026-07-revised
check_rc "policy show" 0
printf '%s\n' "$OUT" >"$WORK/shown.conf"
run "$JIFEND" --check-policy --policy "$WORK/shown.conf"
check_rc "policy show output loads with --check-policy" 0
check_contains "... with its caps" "at most 8 a month" "$OUT"
run jfj policy show 2026-99-nope
check_rc "policy show of an unknown version" 1
check_eq "unknown version: status" unknown_rule_set "$(jget .status)"
run jf policy lst
check_rc "policy with an unknown subcommand" 2

# A restart keeps it although no file names it, and says where it is from.
stop_daemon
start_daemon "$WORK/data2" --test-clock "$CLOCK" --policy "$DEFAULT_POLICY"
check_contains "the log says where it came from" \
    "rule set 2026-07-revised, in force from 2026-07-01 (adopted in the ledger)" \
    "$(cat "$DAEMON_LOG")"
kill -HUP "$PID"
wait_for_log "rule sets reloaded" || true
check_contains "SIGHUP re-read the files" "rule sets reloaded: 2" "$(cat "$DAEMON_LOG")"
check_eq "SIGHUP kept the adopted rule set" 2 "$(count_rule_sets)"
json_ok "verify" verify && check_eq "verify: ok" true "$(jget .ok)"
stop_daemon

# The journal holds the rules themselves: export and the Python checker.
run "$JIFEND" --export "$WORK/data2" --to "$WORK/export.jsonl"
check_rc "export" 0
run python3 "$JIFEN_SOURCE_DIR/tools/verify_export.py" "$WORK/export.jsonl"
check_rc "the Python checker accepts a chain with an adoption" 0
ADOPTION=$(jq -c 'select(.command.kind == "policy_load")' "$WORK/export.jsonl")
check_eq "the export shows the adoption" 2026-07-revised "$(jq -r .command.name <<<"$ADOPTION")"
check_contains "... with the rules as adopted" "max_per_month = 8" "$(jq -r .command.text <<<"$ADOPTION")"
check_contains "the stored entry holds the text" "[activity meeting]" \
    "$(jq -r .stored <<<"$ADOPTION" | base64 -d | tr -c '[:print:]\n' '.')"
# The offline enrolment (entry 1) is dated by the test clock like every
# entry after it: no entry is dated before the one it follows.
check_eq "entry 1 (offline enrolment) at the test clock's time" \
    "$(( $(date -u -d "2026-06-20 09:00 +0800" +%s) * 1000 ))" \
    "$(head -n 1 "$WORK/export.jsonl" | jq -r .time_ms)"
check_eq "entry times never go back" true \
    "$(jq -s '[.[].time_ms] | . == sort' "$WORK/export.jsonl")"
finish
