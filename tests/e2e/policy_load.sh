#!/usr/bin/env bash
# policy_load.sh - a rule set adopted through the admin interface
# (`jifen policy load FILE`), on the real daemon with its test clock: only
# an admin key may load one; a bad file, a rule set taking effect in the
# past and a change to the rule set in force are refused with the reason
# and leave the ledger as it was; an adopted rule set applies from its
# effective date (Asia/Shanghai) and not a minute before, survives a
# restart without its file, is listed and shown like the operator's own,
# and its canonical text is in the journal (export + the Python checker).
source "$(dirname "$0")/lib.sh"

REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
entries() { jfj verify | jq -r .entries; }
newest_policy() { jfj history "$1" --limit 1 | jq -r '.entries[0].policy'; }
# refused WHAT FILE REASON: the admin's load is refused, nothing written.
refused() {
    local before
    before=$(entries)
    run jfj policy load "$2"
    check_rc "$1: refused" 1
    check_eq "$1: status" rule_set_refused "$(jget .status)"
    check_contains "$1: says why" "$3" "$(jget .error)"
    check_eq "$1: no entry written" "$before" "$(entries)"
}

set_time "2026-06-20 09:00"
ARGS=(--test-clock "$CLOCK" --policy "$DEFAULT_POLICY")
start_daemon "$WORK/data" "${ARGS[@]}"
H=3-2-501
json_ok "household add" household add "$H" || die "household add"
json_ok "award in June" award "$H" meeting || die "award"

# Only an admin adopts rules; every other role is refused (exit 4).
BEFORE=$(entries)
for role in committee terminal auditor; do
    run jf_as "$role" policy load "$REVISED"
    check_rc "policy load as $role" 4
done
check_eq "refused roles wrote nothing" "$BEFORE" "$(entries)"

# Bad rule sets: a parse error names the line; the past is refused.
printf 'version = broken\nfen_per_point = 0\n' >"$WORK/broken.conf"
refused "a bad file" "$WORK/broken.conf" "rule set:2:"
sed 's/^effective = 2026-07-01/effective = 2026-06-01/' "$REVISED" >"$WORK/past.conf"
refused "effective in the past" "$WORK/past.conf" "would take effect in the past"
run jf policy load "$WORK/missing.conf"
check_rc "a file that is not there" 2
check_contains "a file that is not there: why" "missing.conf" "$ERR"

# Adopted in June for 1 July.
json_ok "policy load" policy load "$REVISED" &&
    {
        check_eq "adopted: version" 2026-07-revised "$(jget .version)"
        check_eq "adopted: effective" 2026-07-01 "$(jget .effective)"
        check_contains "adopted: resolution" "2026-06-20" "$(jget .resolution)"
        check_eq "adopted: one entry" "$((BEFORE + 1))" "$(jget .entry)"
    }
refused "the same rule set again" "$REVISED" "already in use with exactly these rules"
json_ok "policy list" policy list &&
    check_eq "policy list: both, the default in force" \
        "2026-01-default:true 2026-07-revised:false" \
        "$(jget '[.rule_sets[] | "\(.version):\(.in_force)"] | join(" ")')"
run jf policy show 2026-07-revised
check_rc "policy show of the adopted rule set" 0
printf '%s\n' "$OUT" >"$WORK/shown.conf"
run "$JIFEND" --check-policy --policy "$WORK/shown.conf"
check_rc "what policy show prints loads as a policy file" 0
check_contains "... with its caps" "at most 8 a month" "$OUT"

# It applies from 1 July 00:00 Shanghai, not a minute before.
set_time "2026-06-30 23:59"
json_ok "award on 30 June 23:59" award "$H" meeting
check_eq "30 June 23:59: the default rules" 2026-01-default "$(newest_policy "$H")"
set_time "2026-07-01 00:00"
json_ok "award on 1 July 00:00" award "$H" meeting &&
    check_match "1 July: under the adopted rules' public notice" '^[0-9]+$' "$(jget .notice_ends_ms)"
check_eq "1 July 00:00: the adopted rules" 2026-07-revised "$(newest_policy "$H")"

# A restart keeps it, although no file names it.
stop_daemon
start_daemon "$WORK/data" "${ARGS[@]}"
check_contains "the log says where it came from" \
    "rule set 2026-07-revised, in force from 2026-07-01 (adopted in the ledger)" \
    "$(cat "$DAEMON_LOG")"
json_ok "award after the restart" award "$H" meeting
check_eq "after a restart: the adopted rules" 2026-07-revised "$(newest_policy "$H")"

# In force now: changing it is refused.
sed 's/^points = 2$/points = 3/' "$REVISED" >"$WORK/changed.conf"
refused "a change to the rule set in force" "$WORK/changed.conf" "rule set 2026-07-revised is in force"

# A SIGHUP re-reads the files and keeps the adopted rule set.
kill -HUP "$PID"
wait_for_log "rule sets reloaded" || true
check_contains "SIGHUP re-read the files" "rule sets reloaded: 2" "$(cat "$DAEMON_LOG")"
json_ok "policy list after SIGHUP" policy list &&
    check_eq "SIGHUP kept the adopted rule set" "2026-01-default 2026-07-revised" \
        "$(jget '[.rule_sets[].version] | join(" ")')"
json_ok "verify" verify && check_eq "verify: ok" true "$(jget .ok)"
stop_daemon

# The journal holds the rules themselves: export and the Python checker.
run "$JIFEND" --export "$WORK/data" --to "$WORK/export.jsonl"
check_rc "export" 0
run python3 "$JIFEN_SOURCE_DIR/tools/verify_export.py" "$WORK/export.jsonl"
check_rc "the Python checker accepts a chain with an adoption" 0
ADOPTION=$(jq -c 'select(.command.kind == "policy_load")' "$WORK/export.jsonl")
check_eq "the export shows the adoption" 2026-07-revised "$(jq -r .command.name <<<"$ADOPTION")"
check_contains "... with the rules as adopted" "max_per_month = 8" "$(jq -r .command.text <<<"$ADOPTION")"
# The text is in the hashed bytes themselves, not only in the export.
check_contains "the stored entry holds the text" "[activity meeting]" \
    "$(jq -r .stored <<<"$ADOPTION" | base64 -d | tr -c '[:print:]\n' '.')"

finish
