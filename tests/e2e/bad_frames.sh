#!/usr/bin/env bash
# bad_frames.sh - malformed input over a raw ZeroMQ socket (tests/rawsend):
# garbage, an empty frame, frames at and over the 4 MiB request limit, a
# multipart message, a missing envelope, a truncated protobuf, an unknown
# field, a mixed write/query batch, a write without an id, an out-of-range
# value. Each gets an error reply (bad_request or too_large) and the daemon
# carries on serving the CLI with the ledger unchanged. A 20 MiB frame
# (over ZMQ_MAXMSGSIZE) gets no reply, as libzmq drops that connection, and
# the daemon still serves everybody else. rawsend authenticates with the
# auditor's key (JIFEN_KEY): malformed input from an enrolled client; what
# strangers get is in security.sh.
source "$(dirname "$0")/lib.sh"
: "${RAWSEND:?RAWSEND must name the rawsend helper}"

LIMIT=$((4 * 1024 * 1024)) # jifend's request limit (daemon/main.c)

start_daemon "$WORK/data"
export JIFEN_KEY="$(key_of auditor)" JIFEN_SERVER_KEY="$SERVER_KEY"
H=2-2-202
run jf household add "$H"
[ "$RC" -eq 0 ] || die "household add: $ERR"
run jf award "$H" meeting
[ "$RC" -eq 0 ] || die "award: $ERR"
BAL=$(balance_of "$H")
VER=$(verify_state)

# still_serving WHAT: the daemon is alive and answers the CLI as before.
still_serving() {
    if kill -0 "$PID" 2>/dev/null; then
        pass "$1: jifend still running"
    else
        fail "$1: jifend is gone"
    fi
    check_eq "$1: the CLI is served, balance as before" "$BAL" "$(balance_of "$H")"
}

# raw WHAT EXPECTED-STATUS REASON RAWSEND-ARGS...: one frame, one error
# reply whose text has REASON (what was wrong, not some other problem).
raw() {
    local what=$1 want=$2 reason=$3
    shift 3
    run "$RAWSEND" --timeout 5000 "$@"
    check_rc "$what: a reply came" 0
    check_match "$what: reply status" "^status=$want results=0 " "$OUT"
    check_contains "$what: the reason" "$reason" "$OUT"
    still_serving "$what"
}

# The control: rawsend itself can get a good answer.
run "$RAWSEND" "$ENDPOINT" verify
check_rc "control: a valid verify query" 0
check_match "control: status ok, one result" "^status=ok results=1 " "$OUT"

raw "garbage" bad_request "not a valid" "$ENDPOINT" garbage
raw "an empty frame" bad_request "commands" "$ENDPOINT" empty
raw "a multipart message" bad_request "single frame" "$ENDPOINT" multipart
raw "no REQ envelope (DEALER without the empty frame)" bad_request "delimiter" --dealer "$ENDPOINT" verify
raw "a truncated protobuf" bad_request "not a valid" "$ENDPOINT" truncated
raw "an unknown field" bad_request "unknown field 15" "$ENDPOINT" unknown-field
raw "a batch mixing a write and a query" bad_request "writes" "$ENDPOINT" mixed
raw "a write without a request id" bad_request "request_id" "$ENDPOINT" no-id
raw "hours out of range" bad_request "hours" "$ENDPOINT" bad-value
raw "an unknown command (oneof field 14)" bad_request "unknown field 14" "$ENDPOINT" hex 12027200
raw "exactly 4 MiB of zeros (decoded, refused)" bad_request "not a valid" "$ENDPOINT" zeros "$LIMIT"
raw "4 MiB + 1 byte" too_large "too large" "$ENDPOINT" zeros $((LIMIT + 1))
raw "4.5 MiB" too_large "too large" "$ENDPOINT" zeros $((LIMIT + 512 * 1024))
# Past the frame limit (the request limit + 1 MiB): libzmq drops the
# connection before the frame is held whole.
run "$RAWSEND" --timeout 3000 "$ENDPOINT" zeros $((LIMIT + 1024 * 1024 + 1))
check_rc "5 MiB + 1 byte: no reply (the connection is dropped)" 3

# A stream of bad frames on one connection: every one answered.
run "$RAWSEND" --timeout 5000 --count 200 "$ENDPOINT" garbage
check_rc "200 garbage frames in a row" 0
check_eq "200 garbage frames: 200 bad_request replies" 200 "$(grep -c '^status=bad_request ' <<<"$OUT")"
still_serving "after 200 garbage frames"

# Over ZMQ_MAXMSGSIZE: libzmq drops the connection, so no reply at all.
run "$RAWSEND" --timeout 3000 "$ENDPOINT" zeros $((20 * 1024 * 1024))
check_rc "20 MiB: no reply (the connection is dropped)" 3
check_eq "20 MiB: output" "no reply" "$OUT"
still_serving "after a 20 MiB frame"
# ... and while that peer is being dropped, others are served.
"$RAWSEND" --timeout 3000 "$ENDPOINT" zeros $((20 * 1024 * 1024)) >"$WORK/big.out" 2>&1 &
BIG=$!
run "$RAWSEND" --timeout 5000 "$ENDPOINT" verify
check_match "a valid query next to a 20 MiB sender" "^status=ok " "$OUT"
BIG_RC=0
wait "$BIG" || BIG_RC=$?
check_eq "the other 20 MiB sender: no reply either" "3 no reply" "$BIG_RC $(cat "$WORK/big.out")"

# Endless multipart: one peer sends 2000 messages of 50 frames each while
# another asks; ZeroMQ queues each peer fairly, so the other is answered
# in time, and every flooded message gets its error reply.
"$RAWSEND" --timeout 5000 --count 2000 "$ENDPOINT" parts 50 >"$WORK/flood.out" 2>&1 &
FLOOD=$!
for i in 1 2 3 4 5; do
    run "$RAWSEND" --timeout 2000 "$ENDPOINT" verify
    check_match "query $i during a multipart flood: answered" "^status=ok " "$OUT"
done
FLOOD_RC=0
wait "$FLOOD" || FLOOD_RC=$?
check_eq "the flood: every message refused as multipart" "0 2000" \
    "$FLOOD_RC $(grep -c 'single frame' "$WORK/flood.out")"
still_serving "after a multipart flood"

# Nothing any of that did reached the ledger; writes still work.
check_eq "the journal is unchanged (ok, entries, head)" "$VER" "$(verify_state)"
json_ok "a write after all that" award "$H" meeting &&
    check_eq "the write is applied" ok "$(jget .status)"
json_ok "verify" verify && check_eq "verify: ok" true "$(jget .ok)"
if grep -qiE 'assert|segv|abort|fatal|sanitizer' "$DAEMON_LOG"; then
    fail "the daemon log has alarming lines: $(grep -iE 'assert|segv|abort|fatal|sanitizer' "$DAEMON_LOG" | head -n 3)"
else
    pass "the daemon log has no fatal lines"
fi
stop_daemon TERM
check_eq "SIGTERM: exit status" 0 "$DAEMON_STATUS"
finish
