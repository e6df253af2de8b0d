#!/usr/bin/env bash
# stale_readers.sh - readers killed with kill -9 while holding a read
# transaction leave their slots in LMDB's lock file (pinning old pages, so
# the file grows). jifend clears them at start (mdb_reader_check): the log
# says so, and mdb_stat -r shows the table clean afterwards.
source "$(dirname "$0")/lib.sh"
: "${HOLDREAD:?HOLDREAD must name the holdread test tool}"

DATA="$WORK/data"
start_daemon "$DATA"
run jf household add h1
stop_daemon

# One reader stays alive throughout, as a long export might: so no process
# ever opens the lock file alone (which would reset the reader table) and
# only mdb_reader_check can clear the dead ones.
"$HOLDREAD" "$DATA" >"$WORK/hold.alive" &
ALIVE=$!
wait_holding() {
    local t
    for ((t = 0; t < 100; t++)); do grep -q holding "$1" && return 0; sleep 0.05; done
    die "holdread did not start ($1)"
}
wait_holding "$WORK/hold.alive"
DEAD=()
for i in 1 2 3; do
    "$HOLDREAD" "$DATA" >"$WORK/hold.$i" &
    DEAD+=($!)
    wait_holding "$WORK/hold.$i"
done
for p in "${DEAD[@]}"; do
    kill -KILL "$p"
    wait "$p" 2>/dev/null || true
done
pass "3 readers killed with kill -9 while holding read transactions"
if command -v mdb_stat >/dev/null; then
    run mdb_stat -r "$DATA/communities/default"
    check_contains "mdb_stat -r shows the dead readers' slots" " ${DEAD[2]} " "$OUT"
fi

start_daemon "$DATA"
check_contains "jifend reclaimed them at start" "reclaimed 3 stale reader slot(s)" "$(cat "$DAEMON_LOG")"
run jf award h1 volunteer --hours 1
check_rc "writes go on" 0
if command -v mdb_stat >/dev/null; then
    run mdb_stat -r "$DATA/communities/default"
    check_not_contains "mdb_stat -r: the dead readers are gone" " ${DEAD[2]} " "$OUT"
    check_contains "mdb_stat -r: the live reader stays" " $ALIVE " "$OUT"
fi
kill "$ALIVE"
run "$JIFEND" --verify "$DATA"
check_rc "offline verify beside the daemon" 0
stop_daemon
finish
