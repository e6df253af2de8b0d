#!/usr/bin/env bash
# frames_memory.sh - what one connection can make jifend hold in libzmq
# (docs/security.md, "What one key can make jifend do"). A client floods
# frames of 4.5 MiB (over the request limit, under the frame limit: each
# answered too_large), pipelined, without waiting:
#   1. while another key sends the heaviest query it can: jifend keeps
#      taking frames (the query is refused or runs on a query thread);
#   2. while jifend takes no request at all (--test-hold-reads, as when a
#      full write group waits for the committer): libzmq queues at most
#      8 messages and one being received for the connection, then stops
#      reading it, and TCP pushes back on the sender.
# In both, jifend's memory besides the map stays within the bound, and
# every frame is answered in the end.
source "$(dirname "$0")/lib.sh"
: "${RAWSEND:?RAWSEND must name the rawsend test tool}"
: "${HEAVY:?HEAVY must name the heavy test tool}"
: "${BURST:?BURST must name the burst test tool}"

HOLD="$WORK/hold-reads"
start_daemon "$WORK/data" --test-hold-reads "$HOLD"
json_ok "add h1" household add h1 || die add
burst "$ENDPOINT" h1 w 60 100 >/dev/null || die "burst"
FRAME=$((4 * 1024 * 1024 + 512 * 1024))
N=60
anon() { awk '/RssAnon/ {print $2}' "/proc/$PID/status"; }
flood() {
    JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$SERVER_KEY" \
        "$RAWSEND" --timeout 60000 --count "$N" --pipeline "$ENDPOINT" zeros "$FRAME"
}
# peak_while PID: the highest RssAnon (KB) of jifend while PID runs (at
# most 120 s).
peak_while() {
    local peak=0 now t
    for ((t = 0; t < 1200; t++)); do
        now=$(anon)
        [ "$now" -gt "$peak" ] && peak=$now
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    echo "$peak"
}

# --- 1. beside the heaviest query -------------------------------------------
base=$(anon)
JIFEN_KEY="$(key_of auditor)" JIFEN_SERVER_KEY="$SERVER_KEY" "$HEAVY" "$ENDPOINT" history 8192 \
    >"$WORK/heavy.out" 2>&1 &
HEAVY_PID=$!
flood >"$WORK/flood1.out" 2>"$WORK/flood1.err" &
FLOOD=$!
peak=$(peak_while "$FLOOD")
wait "$FLOOD" && rc=0 || rc=$?
wait "$HEAVY_PID" || true
check_eq "flood beside a heavy query: every frame answered" 0 "$rc"
check_eq "... each too_large" "$N" "$(grep -c '^status=too_large' "$WORK/flood1.out" || true)"
echo "note: jifend's memory besides the map rose by $(((peak - base) / 1024)) MB (base $((base / 1024)) MB)"
check_memory "... it rose by at most 64 MB (KB)" $((peak - base)) $((64 * 1024))

# --- 2. while jifend takes no request ---------------------------------------
touch "$HOLD"
sleep 0.5 # a turn of the loop (at most 200 ms) sees it
base=$(anon)
flood >"$WORK/flood2.out" 2>"$WORK/flood2.err" &
FLOOD=$!
# Until the sender stops getting frames out (it is pushed back), at most 30 s.
last=-1
for ((t = 0; t < 60; t++)); do
    sleep 0.5
    sent=$(grep -c '^sent' "$WORK/flood2.err" || true)
    [ "$sent" = "$last" ] && [ "$t" -ge 4 ] && break
    last=$sent
done
held=$(anon)
check_le "while jifend takes nothing, the sender is pushed back (frames out of $N)" "$sent" $((N - 10))
echo "note: held: $sent of $N frames sent, jifend's memory besides the map +$(((held - base) / 1024)) MB"
check_memory "... and jifend holds at most 9 frames for it: +48 MB (KB)" $((held - base)) $((48 * 1024))
rm -f "$HOLD"
wait "$FLOOD" && rc=0 || rc=$?
check_eq "once jifend reads again, every frame is answered" 0 "$rc"
check_eq "... each too_large" "$N" "$(grep -c '^status=too_large' "$WORK/flood2.out" || true)"
run jfj balance h1
check_rc "and the daemon serves on" 0
stop_daemon
finish
