#!/usr/bin/env bash
# rule_sets.sh - two rule sets (deploy/policy.conf, then
# deploy/policy-2026-07.conf from 1 July 2026) driven through the real daemon
# with its test clock: each entry records the rule set in force at its time
# (Asia/Shanghai), a cap counts the whole month across the change, the month
# and year boundaries reset the caps, and the refusal names the cap.
source "$(dirname "$0")/lib.sh"

REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
CLOCK="$WORK/clock"
# set_time "YYYY-MM-DD HH:MM": Shanghai wall-clock time into the clock file.
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
MEETING_CAP=$(policy_get "$REVISED" "activity meeting" max_per_month)
need_number MEETING_CAP "$MEETING_CAP"

run "$JIFEND" --check-policy --policy "$DEFAULT_POLICY" --policy "$REVISED"
check_rc "--check-policy with two rule sets" 0
check_contains "--check-policy lists the revision and its date" \
    "rule set 2026-07-revised: in force from 2026-07-01" "$OUT"
check_contains "--check-policy shows caps" "at most 8 a month" "$OUT"
run "$JIFEND" --check-policy --policy "$REVISED" --policy "$REVISED"
check_rc "the same rule set twice" 1
check_contains "the same rule set twice: why" "version 2026-07-revised is already used" "$ERR"

set_time "2026-06-30 09:00"
start_daemon "$WORK/data" --test-clock "$CLOCK" --policy "$DEFAULT_POLICY" --policy "$REVISED"
H=3-2-501
json_ok "household add" household add "$H" || die "household add"

# June, default rules (no meeting cap): five meetings, 10 points.
for i in 1 2 3 4 5; do
    json_ok "June meeting $i" award "$H" meeting || die "award"
done
json_ok "history in June" history "$H" --limit 1 &&
    check_eq "June entry made under" 2026-01-default "$(jget '.entries[0].policy')"

# The last minute of June is still the old rules.
set_time "2026-06-30 23:59"
json_ok "meeting at 23:59 on 30 June" award "$H" meeting &&
    check_eq "points" 2 "$(jget .points)"
json_ok "history" history "$H" --limit 1 &&
    check_eq "23:59 entry made under" 2026-01-default "$(jget '.entries[0].policy')"

# 1 July 00:00 Shanghai (30 June 16:00 UTC): the revision is in force.
set_time "2026-07-01 00:00"
n=0
while [ $((n + 2)) -le "$MEETING_CAP" ]; do
    json_ok "July meeting" award "$H" meeting || die "award"
    n=$((n + 2))
done
json_ok "history" history "$H" --limit 1 &&
    check_eq "July entry made under" 2026-07-revised "$(jget '.entries[0].policy')"
run jfj award "$H" meeting
check_rc "meeting past the July cap" 1
check_eq "refused: status" cap_exceeded "$(jget .status)"
check_contains "refused: names the cap" "cap meeting.max_per_month: $MEETING_CAP points per household in 2026-07" "$(jget .error)"
run jf award "$H" meeting
check_contains "refused (human): names the cap" "meeting.max_per_month" "$ERR$OUT"

# Still July at 23:59 on the 31st; August at 00:00 starts a new count.
set_time "2026-07-31 23:59"
run jfj award "$H" meeting
check_eq "31 July 23:59: still capped" cap_exceeded "$(jget .status)"
set_time "2026-08-01 00:00"
json_ok "1 August: the cap starts again" award "$H" meeting

# A restart keeps the counts (they are in the ledger, not in memory).
stop_daemon
start_daemon "$WORK/data" --test-clock "$CLOCK" --policy "$DEFAULT_POLICY" --policy "$REVISED"
for ((i = 2; i + 2 <= MEETING_CAP; i += 2)); do
    json_ok "August meeting" award "$H" meeting || die "award"
done
run jfj award "$H" meeting
check_eq "August cap survives a restart" cap_exceeded "$(jget .status)"

# --- listing through the CLI -----------------------------------------------------
json_ok "policy list" policy list &&
    {
        check_eq "policy list: versions, oldest first" "2026-01-default 2026-07-revised" "$(jget '[.rule_sets[].version] | join(" ")')"
        check_eq "policy list: in force in August" "false true" "$(jget '[.rule_sets[].in_force | tostring] | join(" ")')"
        check_eq "policy list: effective" "2026-07-01" "$(jget '.rule_sets[1].effective')"
        check_contains "policy list: resolution" "2026-06-20" "$(jget '.rule_sets[1].resolution')"
        check_eq "policy list: no text" null "$(jget '.rule_sets[0].text')"
    }
set_time "2026-06-30 23:59"
run jf policy list
check_match "policy list (human) on 30 June: the default is in force" '\* 2026-01-default' "$OUT"
run jf policy show 2026-07-revised
check_rc "policy show" 0
check_contains "policy show: caps" "max_per_month = $MEETING_CAP" "$OUT"
# What `policy show` prints is a policy file jifend loads as it is.
printf '%s\n' "$OUT" >"$WORK/shown.conf"
run "$JIFEND" --check-policy --policy "$WORK/shown.conf"
check_rc "policy show output loads with --check-policy" 0
run jfj policy show 2026-99-nope
check_rc "policy show of an unknown version" 1
check_eq "unknown version: status" unknown_rule_set "$(jget .status)"
run jf policy lst
check_rc "policy with an unknown subcommand" 2

json_ok "verify" verify && check_eq "verify: ok" true "$(jget .ok)"

# --- adopting a rule set without a restart: a directory and SIGHUP ------------------
stop_daemon
RULES="$WORK/rules.d"
mkdir -p "$RULES"
cp "$DEFAULT_POLICY" "$RULES/2026-01-default.conf"
set_time "2026-06-20 09:00"
start_daemon "$WORK/data2" --test-clock "$CLOCK" --policy "$RULES"
count_rule_sets() { jfj policy list | jq -r '.rule_sets | length'; }
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
finish
