#!/usr/bin/env bash
# backup_load.sh - a backup taken while writers keep writing: the copy
# verifies on its own, contains every request acknowledged before the
# backup started, and restores: a jifend started on it serves the same
# balances for those requests and takes new writes.
source "$(dirname "$0")/lib.sh"
: "${BURST:?BURST must name the burst test tool}"

DATA="$WORK/data"
start_daemon "$DATA"
for w in 0 1 2; do
    run jf household add "h$w"
    [ "$RC" -eq 0 ] || die "household add h$w: $ERR"
done
for w in 0 1 2; do
    JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$SERVER_KEY" "$BURST" "$ENDPOINT" "h$w" "w$w" 1000000 5 50 3000 >"$WORK/w$w" 2>/dev/null &
    eval "W$w=\$!"
done
# Until the writers have 50 acknowledgements between them (a loaded or
# sanitized build takes longer than the usual half second; at most 60 s).
for _ in $(seq 600); do
    [ "$(cat "$WORK"/w? | awk '$1 == "ack"' | wc -l)" -ge 50 ] && break
    sleep 0.1
done
# What was acknowledged before the backup started must be in it.
cat "$WORK"/w? | awk '$1 == "ack" { print $2 }' | LC_ALL=C sort >"$WORK/acked_before"
run "$JIFEND" --backup "$DATA" --to "$WORK/backup"
check_rc "backup under load (it verifies the copy itself)" 0
check_contains "backup verified" "ok, " "$OUT"
sleep 0.2
kill "$W0" "$W1" "$W2" 2>/dev/null || true
wait "$W0" "$W1" "$W2" 2>/dev/null || true
check_le "writes were going on" 50 "$(wc -l <"$WORK/acked_before")"

"$JIFEND" --export "$WORK/backup" --to "$WORK/backup.jsonl" 2>/dev/null
grep -o '"request_id":"w[^"]*"' "$WORK/backup.jsonl" | cut -d'"' -f4 | LC_ALL=C sort -u >"$WORK/in_backup"
MISSING=$(LC_ALL=C comm -23 "$WORK/acked_before" "$WORK/in_backup" | head -3)
check_eq "every request acknowledged before the backup is in it" "" "$MISSING"
run python3 "$JIFEN_SOURCE_DIR/tools/verify_export.py" "$WORK/backup.jsonl"
check_rc "the independent checker accepts the backup" 0
[ "$(stat -c %s "$WORK/backup/communities/default/data.mdb")" -le "$(stat -c %s "$DATA/communities/default/data.mdb")" ] &&
    pass "the copy is compacted (no larger than the live file)" || fail "the copy is larger"

# Restore: a daemon on the copy (with the checkpoint keys copied along).
stop_daemon
cp "$DATA"/checkpoint.key "$DATA"/checkpoint.pub "$WORK/backup/"
ENTRIES=$(wc -l <"$WORK/backup.jsonl")
start_daemon "$WORK/backup"
run jfj verify
check_rc "the restored ledger verifies" 0
check_eq "restored entries" "$ENTRIES" "$(jget .entries)"
run jf award h0 volunteer --hours 1
check_rc "the restored ledger takes writes" 0
stop_daemon
run "$JIFEND" --backup "$DATA" --to "$WORK/backup"
check_rc "a backup never overwrites an existing destination" 1
finish
