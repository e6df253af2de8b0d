#!/usr/bin/env bash
# map_full.sh - a ledger whose map cannot grow (--map-size 1 --map-max 1):
# writes fill it, the client gets a clear "ledger full" refusal, nothing of
# a refused request is applied, the daemon stays up and keeps answering
# queries; restarted with a larger --map-max, writes resume and nothing
# acknowledged before is lost.
source "$(dirname "$0")/lib.sh"
: "${BURST:?BURST must name the burst test tool}"

DATA="$WORK/data"
start_daemon "$DATA" --map-size 1 --map-max 1
run jf household add h1
[ "$RC" -eq 0 ] || die "household add: $ERR"
# 50 awards with 200-byte notes per request: about 40 KiB each, so the
# 1 MiB map fills within a few dozen requests.
run burst "$ENDPOINT" h1 fill 200 50 200 5000
check_rc "the writer saw a refusal" 1
check_match "refused as ledger_full" 'refused fill-[0-9]+ ledger_full' "$OUT"
ACKED=$(grep -c '^ack' <<<"$OUT" || true)
check_le "some requests fit before the map filled" 1 "$ACKED"
# Then single awards fill what is left, down to the last page.
run burst "$ENDPOINT" h1 single 2000 1 0 5000
check_rc "single awards fill the rest" 1
ACKED1=$(grep -c '^ack' <<<"$OUT" || true)
check_contains "the daemon logged why" "the ledger reached its largest size" "$(cat "$DAEMON_LOG")"

run jf award h1 volunteer --hours 1 --request-id one-more
check_rc "the CLI reports a full ledger" 1
check_contains "clear message to the client" "ledger_full" "$ERR"
check_contains "and says nothing was committed" "nothing of this request was committed" "$ERR"
kill -0 "$PID" && pass "the daemon is still running" || fail "the daemon died on a full map"
run jf balance h1
check_rc "queries still answered" 0
check_eq "balance = every acknowledged award, no refused one" "$((ACKED * 50 + ACKED1)) 0" "$(balance_of h1)"
run jf verify
check_rc "the full ledger verifies" 0
stop_daemon
check_eq "clean stop" 0 "$DAEMON_STATUS"

# Grow: restart with room, and the same requests go through.
start_daemon "$DATA" --map-size 1 --map-max 64
run jf award h1 volunteer --hours 1 --request-id one-more
check_rc "the refused request succeeds after the map may grow" 0
run burst "$ENDPOINT" h1 fill 200 50 200 5000
check_rc "all 200 requests now acknowledged (the first ones as retries)" 0
check_eq "balance: every request once" "$((200 * 50 + ACKED1 + 1)) 0" "$(balance_of h1)"
check_contains "the map grew" "ledger map grown to" "$(cat "$DAEMON_LOG")"
run jf verify
check_rc "verify after growth" 0
stop_daemon
finish
