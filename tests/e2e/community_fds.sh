#!/usr/bin/env bash
# community_fds.sh - every community's ledger holds three file descriptors
# (LMDB's data.mdb twice and lock.mdb): a service of 1,000 communities
# needs 3,000 before its first client, past the common soft limit of
# 1,024. jifend raises its soft limit to the hard one before it opens the
# communities. Here, at a soft limit of 64, a service of 30 communities
# (90 descriptors of ledgers) is restarted: it must open them all and
# serve the last one. (It used to raise the limit only after opening
# them, and stopped with "Too many open files".)
source "$(dirname "$0")/lib.sh"

hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
[ "$hard" -ge 512 ] || { echo "SKIP: the hard file descriptor limit ($hard) is too low for this test"; exit 77; }
ulimit -Sn 64

N=30
start_daemon "$WORK/data"
for ((i = 1; i <= N; i++)); do
    jf_as admin community create "c$i" --name "小区 $i" >>"$WORK/create.log" 2>&1 ||
        die "community create c$i: $(tail -n 3 "$WORK/create.log")"
done
pass "$N communities created"
JIFEN_COMMUNITY=c$N jf_as admin key enrol "$KEYS/committee.pub" committee \
    --label c$N-committee >>"$WORK/create.log" 2>&1 || die "enrol in c$N"
stop_daemon
check_eq "jifend stopped cleanly" 0 "$DAEMON_STATUS"

start_daemon "$WORK/data"
check_contains "jifend raised its descriptor limit before opening the communities" \
    "file descriptors: raised the limit from 64 to $hard" "$(cat "$DAEMON_LOG")"
check_contains "... and opened all $((N + 1)) of them" \
    "service in $WORK/data, $((N + 1)) communities" "$(cat "$DAEMON_LOG")"
ledgers=$(find "/proc/$PID/fd" -lname '*lock.mdb' | wc -l)
check_eq "one lock.mdb open per ledger (the service's and each community's)" $((N + 2)) "$ledgers"
JIFEN_COMMUNITY=c$N run jf_as committee --json household add 1-1-101 --name 张三 --area 80
check_rc "the last community is written" 0
stop_daemon
check_eq "jifend stopped cleanly" 0 "$DAEMON_STATUS"
finish
