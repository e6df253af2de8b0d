#!/usr/bin/env bash
# audit.sh - what an auditor or a resident can check without trusting the
# daemon: offline verification of a copy, the export and the independent
# Python checker, signed checkpoints; and that a history rewritten with a
# recomputed chain passes the plain verification but fails against a
# checkpoint signed before the rewrite.
source "$(dirname "$0")/lib.sh"
: "${TAMPER:?TAMPER must name the tamper test tool}"
CHECKER="$JIFEN_SOURCE_DIR/tools/verify_export.py"

DATA="$WORK/data"
CONF="$WORK/jifend.conf"
printf 'checkpoint_entries = 5\n' >"$CONF"
start_daemon "$DATA" --config "$CONF"
for h in a b c; do
    run jf household add "$h"
    [ "$RC" -eq 0 ] || die "household add $h: $ERR"
done
for i in 1 2 3 4 5 6 7 8 9; do
    run jf award a volunteer --hours 1 --note "note \"$i\" with quotes"
    [ "$RC" -eq 0 ] || die "award: $ERR"
done
run jf bill b 120.50 --period 2026-11
run jf pay b 20
run jf verify
check_rc "online verify" 0
# Entry numbers below are counted from the ledger's first entry, which now
# holds the BASE key enrolments of lib.sh: ENTRIES=14 before keys existed.
# Checkpoints fall at every multiple of 5 (and at the first online commit,
# an enrolment); CP is the last one.
ENTRIES=$(seqs 14)
CP=$((ENTRIES / 5 * 5))
TAMPERED=$(seqs 4)   # the first award

# Offline, next to the running daemon.
run "$JIFEND" --verify "$DATA"
check_rc "offline verify next to the daemon" 0
check_contains "offline verify counts entries" "ok, $ENTRIES entries" "$OUT"
run "$JIFEND" --show-checkpoint "$DATA"
check_rc "a checkpoint exists" 0
# A signed tree head (docs/proofs.md): size, time, root, head, signature.
B64='[A-Za-z0-9+/]'
check_match "checkpoint line format" "^jifen-sth1 $CP "'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z '"$B64{43}= $B64{43}= $B64{86}==\$" "$OUT"
CP10="$OUT"
E3=$(seqs 3)
run "$JIFEND" --show-checkpoint "$DATA" --entry "$E3"
check_match "first checkpoint covering entry $E3" "^jifen-sth1 $(((E3 + 4) / 5 * 5)) " "$OUT"

# The same over the wire: checkpoint and stats queries, online verification.
run jf checkpoint
check_eq "jifen checkpoint = the stored one" "$CP10" "$OUT"
E12=$ENTRIES # the last entry: after the last checkpoint
[ "$E12" -gt "$CP" ] || die "entry $E12 should come after the last checkpoint $CP"
json_ok "checkpoint --entry $E12" checkpoint --entry "$E12"
check_eq "no checkpoint covers entry $E12 yet" "" "$(jget .checkpoint)"
check_match "but the ledger's hash of entry $E12 is given" '^[0-9a-f]{64}$' "$(jget .entry_hash)"
run jf verify --checkpoint "$CP10" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "online verify against the checkpoint" 0
check_contains "online verdict" "entry $CP matches" "$OUT"
json_ok "stats" stats
check_eq "stats: entries" "$ENTRIES" "$(jget .entries)"
check_eq "stats: one commit per write here" "$(jget .write_requests)" "$(jget .commits)"
check_le "stats: p50 <= p99" "$(jget .commit_p50_us)" "$(jget .commit_p99_us)"
check_le "stats: p99 <= max" "$(jget .commit_p99_us)" "$(jget .commit_max_us)"
check_le "stats: map use <= map size" "$(jget .map_used_bytes)" "$(jget .map_bytes)"
stop_daemon

run "$JIFEND" --export "$DATA" --to "$WORK/export.jsonl"
check_rc "export" 0
check_eq "one line per entry" "$ENTRIES" "$(wc -l <"$WORK/export.jsonl")"
check_eq "decoded fields present" "award" "$(sed -n "${TAMPERED}p" "$WORK/export.jsonl" | jq -r .command.kind)"
check_eq "notes survive JSON escaping" 'note "1" with quotes' "$(sed -n "${TAMPERED}p" "$WORK/export.jsonl" | jq -r .command.note)"
run python3 "$CHECKER" "$WORK/export.jsonl" --checkpoint "$CP10" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "independent checker accepts the export and the checkpoint" 0
check_contains "checker recomputed the head" "ok: $ENTRIES entries" "$OUT"

# A damaged export is caught by the checker: one byte of one stored entry
# (the fourth award, entry 7 before the enrolments).
E7=$(seqs 7)
python3 - "$WORK/export.jsonl" "$WORK/bad.jsonl" "$E7" <<'PY'
import base64, json, sys
lines = open(sys.argv[1]).read().splitlines()
i = int(sys.argv[3]) - 1
rec = json.loads(lines[i])
b = bytearray(base64.b64decode(rec["stored"]))
b[-3] ^= 1
rec["stored"] = base64.b64encode(bytes(b)).decode()
lines[i] = json.dumps(rec)
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
run python3 "$CHECKER" "$WORK/bad.jsonl"
check_rc "checker refuses a damaged export" 1
check_contains "checker says where" "entry $E7" "$OUT"

# A forged signature is refused by both verifiers: one base64 digit of the
# signature changed (not the padding).
POS=$((${#CP10} - 4))
C=${CP10:POS:1}
[ "$C" = A ] && C=B || C=A
FORGED="${CP10:0:POS}$C${CP10:POS+1}"
run "$JIFEND" --verify "$DATA" --checkpoint "$FORGED" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "jifend refuses a forged checkpoint" 1
check_contains "forgery named" "not genuine" "$OUT"
run python3 "$CHECKER" "$WORK/export.jsonl" --checkpoint "$FORGED" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "checker refuses a forged checkpoint" 1

# The attack: rewrite the first award (an award of 1 point) to 500 points, recompute
# the chain after it and the balances, so that plain verification passes.
cp -r "$DATA" "$WORK/genuine"
run "$TAMPER" "$DATA" "$TAMPERED" 500
check_rc "tamper rewrote history" 0
run "$JIFEND" --verify "$DATA"
check_rc "plain verification is fooled by a recomputed chain" 0
run "$JIFEND" --verify "$DATA" --checkpoint "$CP10" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "checkpoint verification catches the rewrite" 1
check_contains "rewrite named" "history was rewritten" "$OUT"
run "$JIFEND" --export "$DATA" --to "$WORK/tampered.jsonl"
run python3 "$CHECKER" "$WORK/tampered.jsonl"
check_rc "the tampered export has a consistent chain" 0
run python3 "$CHECKER" "$WORK/tampered.jsonl" --checkpoint "$CP10" --checkpoint-key "$WORK/genuine/checkpoint.pub"
check_rc "the independent checker catches it too" 1
start_daemon "$DATA"
run jf verify
check_rc "online plain verify is fooled too" 0
run jf verify --checkpoint "$CP10" --checkpoint-key "$WORK/genuine/checkpoint.pub"
check_rc "online checkpoint verification catches it" 1
check_contains "online: rewrite named" "history was rewritten" "$OUT"
stop_daemon
run "$JIFEND" --verify "$WORK/genuine" --checkpoint "$CP10" --checkpoint-key "$WORK/genuine/checkpoint.pub" --json
check_rc "the genuine copy matches the checkpoint" 0
check_eq "json verdict" "true true" "$(jq -r '"\(.ok) \(.checkpoint_ok)"' <<<"$OUT")"
finish
