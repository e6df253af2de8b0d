#!/usr/bin/env bash
# query_load.sh - one key's heaviest queries do not take the daemon down
# or hold up another key (docs/security.md, "What one key can make jifend
# do"). The requests over the limits are refused whole with
# request_too_costly, naming the limit, at once; the heaviest allowed ones,
# sent back to back by two keys on six connections, are answered, while a
# third key's queries are answered all along; jifend's memory stays below
# the documented bound. How long the third key waited is printed, not
# asserted (the benchmark measures it: scenario query-under-load).
source "$(dirname "$0")/lib.sh"
: "${HEAVY:?HEAVY must name the heavy test tool}"
: "${BURST:?BURST must name the burst test tool}"

start_daemon "$WORK/data"
json_ok "add h1" household add h1 || die add
burst "$ENDPOINT" h1 w 60 100 >/dev/null || die "burst"
ENTRIES=$(jfj verify | jq .entries)
check_le "a ledger of some size" 6000 "$ENTRIES"

heavy_as() {
    local role=$1
    shift
    JIFEN_KEY="$(key_of "$role")" JIFEN_SERVER_KEY="$SERVER_KEY" "$HEAVY" "$ENDPOINT" "$@"
}
echo 5 >"/proc/$PID/clear_refs" # VmHWM from here on

# --- the worst requests: refused whole, with the limit named ------------------
run heavy_as auditor history 8192
check_rc "8,192 histories: answered" 0
check_contains "... refused as too costly" "status=request_too_costly results=0" "$OUT"
check_contains "... naming the reply limit" "the limit is 8 MiB a reply" "$OUT"
run heavy_as auditor history 2000
check_contains "2,000 histories: refused as too costly" "status=request_too_costly results=0" "$OUT"
run heavy_as auditor verify 30
check_contains "30 verifications: refused as too costly" "status=request_too_costly" "$OUT"
check_contains "... naming the work limit" "one pass, plus 20000" "$OUT"
run heavy_as auditor verify 8192
check_contains "8,192 verifications: refused" "status=request_too_costly" "$OUT"
run heavy_as terminal ageing 200
check_contains "200 ageing reports: refused" "status=request_too_costly" "$OUT"

# --- the heaviest allowed, back to back; another key is answered --------------
# Three keys load the query threads (a verify at a time on four connections;
# 4,000 history entries a request, near the most a reply may hold at ~2 KB
# an entry; a verify
# with 8,191 balances, the most work and results a request may have).
PIDS=()
for i in 1 2 3 4; do
    heavy_as auditor verify 1 10 >"$WORK/verify.$i" 2>&1 &
    PIDS+=($!)
done
heavy_as terminal history 200 10 >"$WORK/history.1" 2>&1 &
PIDS+=($!)
heavy_as admin mixed 8192 10 >"$WORK/mixed.1" 2>&1 &
PIDS+=($!)
sleep 1
run env HEAVY_TIMEOUT_MS=20000 JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$SERVER_KEY" \
    "$HEAVY" "$ENDPOINT" balance 1 6
check_rc "a third key, meanwhile: every query answered" 0
check_match "... all of them ok" 'sent=([0-9]+) ok=\1 ' "$OUT"
echo "note: the third key under load: $OUT"
for p in "${PIDS[@]}"; do wait "$p" || true; done
for f in verify.1 verify.2 verify.3 verify.4 history.1 mixed.1; do
    last=$(tail -n 1 "$WORK/$f")
    check_contains "the heavy load ($f): every request answered" "noreply=0" "$last"
    check_contains "... all within the limits" " too_costly=0 " "$last"
    check_match "... all of them ok" 'sent=([0-9]+) ok=\1 ' "$last"
done

# Documented bound: 4 query threads x 64 MB, the queues' 64 MiB, the rest.
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
echo "note: jifend's peak memory under this load: $((HWM / 1024)) MB"
check_memory "jifend's peak memory (KB) within the documented 400 MB" "$HWM" $((400 * 1024))
stop_daemon
finish
