#!/usr/bin/env bash
# stale_readers.sh - readers killed with kill -9 while holding a read
# transaction leave their slots in LMDB's lock file (pinning old pages, so
# the file grows). jifend clears them at start (mdb_reader_check): the log
# says so, and mdb_stat -r shows the table clean afterwards. A reader killed
# while jifend runs is cleared too, within seconds (the loop looks every
# 5 s), so the file stops growing without a restart.
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

# --- a reader killed while jifend runs ---------------------------------------
"$HOLDREAD" "$DATA" >"$WORK/hold.live" &
LIVE=$!
wait_holding "$WORK/hold.live"
kill -KILL "$LIVE"
wait "$LIVE" 2>/dev/null || true
pass "a reader killed with kill -9 while jifend serves"
reclaimed=0
for ((t = 0; t < 600; t++)); do   # at most 60 s; the check runs every 5 s
    if grep -q "stale reader slot(s) of processes that died" "$DAEMON_LOG"; then
        reclaimed=1
        break
    fi
    sleep 0.1
done
if [ "$reclaimed" = 1 ]; then
    pass "jifend reclaimed it while serving, without a restart"
else
    fail "jifend did not reclaim the dead reader's slot within 60 s"
fi
if command -v mdb_stat >/dev/null; then
    run mdb_stat -r "$DATA"
    check_not_contains "mdb_stat -r: the dead reader is gone" " $LIVE " "$OUT"
fi
# With its slot gone, pages freed by commits are reused: writes go on
# without growing the file by the pages a pinned snapshot would keep.
size_before=$(stat -c %s "$DATA/communities/default/data.mdb")
for i in $(seq 1 60); do
    jf award h1 volunteer --hours 1 --note "after the dead reader $i" >/dev/null || die "award $i"
done
size_after=$(stat -c %s "$DATA/communities/default/data.mdb")
check_le "data.mdb grew by at most 256 KiB over 60 commits" $((size_after - size_before)) $((256 * 1024))
stop_daemon
finish
