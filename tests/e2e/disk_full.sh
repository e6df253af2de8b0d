#!/usr/bin/env bash
# disk_full.sh - the ledger on a small filesystem this test mounts itself
# (tmpfs, 3 MiB) with a 1.5 MiB ballast file on it: writes fill the disk,
# the client gets a clear refusal, nothing acknowledged is lost, the daemon
# stays up; when the ballast is deleted (space returns) writes resume
# without a restart. Needs mount (root or CAP_SYS_ADMIN); skipped (exit 77)
# with a message when mounting is impossible here.
source "$(dirname "$0")/lib.sh"
: "${BURST:?BURST must name the burst test tool}"

MNT="$WORK/mnt"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=3m,mode=0700 jifen-disk-full "$MNT" 2>"$WORK/mount.err"; then
    echo "SKIP: cannot mount a small filesystem here ($(cat "$WORK/mount.err")); run as root to test a full disk"
    exit 77
fi
trap 'rc=$?; set +e; stop_daemon KILL >/dev/null 2>&1; umount -l "$MNT"; (exit $rc); _cleanup' EXIT
dd if=/dev/zero of="$MNT/ballast" bs=64k count=24 status=none
DATA="$MNT/data"

# The map may grow far beyond the disk: the disk is what fills.
start_daemon "$DATA" --map-size 1 --map-max 64
run jf household add h1
[ "$RC" -eq 0 ] || die "household add: $ERR"
run burst "$ENDPOINT" h1 fill 400 20 200 3000
FILL_RC=$RC
ACKED=$(grep -c '^ack' <<<"$OUT" || true)
check_le "requests were acknowledged before the disk filled" 1 "$ACKED"
# Two outcomes are right, depending on where the disk ran out:
#  - the write returned ENOSPC: the request is refused as ledger_full and
#    the daemon carries on;
#  - the write was short, which LMDB reports as EIO: the daemon stops
#    (exit 3: after EIO nothing is retried) and says the disk looks full.
if kill -0 "$PID" 2>/dev/null; then
    echo "outcome: ENOSPC, the daemon carried on"
    check_eq "the writer was refused" 1 "$FILL_RC"
    check_match "refused as ledger_full" 'refused fill-[0-9]+ ledger_full' "$OUT"
    check_contains "the log names the cause" "No space left on device" "$(cat "$DAEMON_LOG")"
    # Full for a 20-command request need not be full for the CLI's single
    # award: LMDB reuses the pages earlier commits freed, and how many a
    # write needs depends on the ledger's layout. So the award is either
    # refused with the clear message (nothing applied) or committed.
    run jf award h1 volunteer --hours 1 --note "$(printf 'x%.0s' {1..200})" --request-id after-full
    if [ "$RC" -eq 0 ]; then
        echo "the CLI's single award still fitted in freed pages"
        AFTER_FULL=1
    else
        check_rc "the CLI reports it" 1
        check_contains "clear message" "nothing of this request was committed" "$ERR"
        AFTER_FULL=0
    fi
    check_eq "balance: every acknowledged award, nothing refused" "$((ACKED * 20 + AFTER_FULL)) 0" "$(balance_of h1)"
    run jf verify
    check_rc "verify on a full disk" 0
    rm -f "$MNT/ballast" # space returns: same daemon, no restart
else
    echo "outcome: short write (EIO), the daemon stopped"
    stop_daemon
    check_eq "the daemon stopped with the I/O-error status" 3 "$DAEMON_STATUS"
    check_contains "the log says the disk looks full" "short write on a full disk" "$(cat "$DAEMON_LOG")"
    run "$JIFEND" --verify "$DATA"
    check_rc "the files verify after the stop" 0
    rm -f "$MNT/ballast"
    start_daemon "$DATA" --map-size 1 --map-max 64
    check_eq "balance after restart: every acknowledged award" "$((ACKED * 20)) 0" "$(balance_of h1)"
fi
run jf award h1 volunteer --hours 1 --note "$(printf 'x%.0s' {1..200})" --request-id after-full
check_rc "a write succeeds once there is space" 0
# The acknowledged requests again (answered as retries) and a few new ones;
# what fits in the space that came back.
N=$((ACKED + 5))
run burst "$ENDPOINT" h1 fill "$N" 20 200 3000
check_rc "every request acknowledged now" 0
# Unacknowledged requests of the first round may or may not have been
# committed; now each is in exactly once.
check_eq "balance: each request once" "$((N * 20 + 1)) 0" "$(balance_of h1)"
stop_daemon
check_eq "clean stop" 0 "$DAEMON_STATUS"
run "$JIFEND" --verify "$DATA"
check_rc "offline verify after recovery" 0
finish
