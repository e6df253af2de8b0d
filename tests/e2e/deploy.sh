#!/usr/bin/env bash
# deploy.sh - the service side: the configuration file (check, errors naming
# file/line/value, command line over file), systemd readiness (READY=1 on
# NOTIFY_SOCKET), and deploy/install.sh (dry run, staged install, rerun).
source "$(dirname "$0")/lib.sh"

SAMPLE="$JIFEN_SOURCE_DIR/deploy/jifend.conf"
run "$JIFEND" --check-config "$SAMPLE"
check_rc "the shipped sample checks" 0
check_contains "every option is printed" "checkpoint_seconds = 86400" "$OUT"
# Every option of the table is documented in the sample.
for key in $(sed -n 's/^\([a-z_]*\) = .*/\1/p' <<<"$OUT"); do
    if grep -q "^$key =" "$SAMPLE"; then pass "sample documents $key"; else fail "sample lacks $key"; fi
done

CONF="$WORK/j.conf"
bad_config() { # WHAT LINE-TEXT EXPECTED-MESSAGE
    printf '# a comment\n\nlisten = tcp://127.0.0.1:7400\n%s\n' "$2" >"$CONF"
    run "$JIFEND" --check-config "$CONF"
    check_rc "$1 is refused" 1
    check_contains "$1: file, line and value named" "$CONF:4: $3" "$ERR"
}
bad_config "an unknown key" "colour = blue" "unknown option 'colour'"
bad_config "a zero map size" "map_size_mib = 0" "map_size_mib: '0' is not a whole number"
bad_config "a negative number" "checkpoint_entries = -5" "checkpoint_entries: '-5'"
bad_config "a number with junk" "checkpoint_seconds = 60s" "checkpoint_seconds: '60s'"
bad_config "a too-short interval" "checkpoint_seconds = 59" "checkpoint_seconds: '59' is not a whole number from 60 to 86400"
bad_config "a bad log level" "log_level = loud" "log_level: 'loud' is not one of"
bad_config "a line without =" "data /var/lib/jifen" "'data /var/lib/jifen' is not 'key = value'"
printf 'map_size_mib = 128\nmap_max_mib = 64\n' >"$CONF"
run "$JIFEND" --check-config "$CONF"
check_rc "map_size above map_max is refused" 1
check_contains "cross-option check" "larger than map_max_mib" "$ERR"
run "$JIFEND" --check-config "$WORK/missing.conf"
check_rc "a missing file is refused" 1

# The command line overrides the file, and goes through the same checks.
printf 'data = %s/from-file\nlog_level = warn\ncheckpoint_entries = 7\n' "$WORK" >"$CONF"
run "$JIFEND" --check-config "$CONF" --data "$WORK/from-cli"
check_rc "file plus override checks" 0
check_contains "the command line wins" "data = $WORK/from-cli" "$OUT"
check_contains "the file's other values stay" "checkpoint_entries = 7" "$OUT"
run "$JIFEND" --check-config "$CONF" --map-size 0
check_rc "a bad override is a usage error" 2
check_contains "bad override named" "map_size_mib: '0'" "$ERR"
printf 'map_size_mib = 99999999\n' >"$CONF"
run "$JIFEND" --config "$CONF" --data "$WORK/never"
check_rc "a bad file stops start-up" 1
[ ! -e "$WORK/never" ] && pass "nothing created on a bad config" || fail "data dir made despite a bad config"

# Readiness: a datagram socket of our own as NOTIFY_SOCKET, as systemd does.
SOCK="$WORK/notify.sock"
python3 - "$SOCK" >"$WORK/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
for _ in range(2):
    try:
        print(s.recv(4096).decode(), flush=True)
    except socket.timeout:
        break
PY
LISTENER=$!
for ((i = 0; i < 100; i++)); do [ -S "$SOCK" ] && break; sleep 0.05; done
printf 'data = %s/data\nlog_level = info\n' "$WORK" >"$CONF"
NOTIFY_SOCKET="$SOCK" start_daemon "$WORK/data" --config "$CONF"
for ((i = 0; i < 100; i++)); do grep -q READY "$WORK/notify.out" && break; sleep 0.05; done
check_contains "READY=1 after serving" "READY=1" "$(cat "$WORK/notify.out")"
run jf household add n1
check_rc "the notified daemon serves" 0
stop_daemon
wait "$LISTENER" 2>/dev/null || true
check_contains "STOPPING=1 on stop" "STOPPING=1" "$(cat "$WORK/notify.out")"
check_eq "clean stop" 0 "$DAEMON_STATUS"

# install.sh: a dry run changes nothing; a staged install twice is the same.
BUILD_DIR=$(dirname "$(dirname "$JIFEND")")
INSTALL="$JIFEN_SOURCE_DIR/deploy/install.sh"
run env DESTDIR="$WORK/stage" "$INSTALL" --build "$BUILD_DIR" --dry-run
check_rc "install --dry-run" 0
[ ! -e "$WORK/stage" ] && pass "dry run wrote nothing" || fail "dry run wrote files"
check_contains "dry run shows the unit" "jifend.service" "$OUT"
run env DESTDIR="$WORK/stage" "$INSTALL" --build "$BUILD_DIR" --prefix /opt/jifen
check_rc "staged install" 0
[ -x "$WORK/stage/opt/jifen/sbin/jifend" ] && pass "jifend installed" || fail "no jifend in the stage"
check_contains "unit follows --prefix" "ExecStart=/opt/jifen/sbin/jifend --config /etc/jifen/jifend.conf" \
    "$(cat "$WORK/stage/etc/systemd/system/jifend.service")"
echo "# edited" >>"$WORK/stage/etc/jifen/jifend.conf"
run env DESTDIR="$WORK/stage" "$INSTALL" --build "$BUILD_DIR" --prefix /opt/jifen
check_rc "second install (idempotent)" 0
check_contains "an edited config is kept" "# edited" "$(cat "$WORK/stage/etc/jifen/jifend.conf")"
[ -e "$WORK/stage/etc/jifen/jifend.conf.sample" ] && pass "new sample next to it" || fail "no .sample"
if command -v systemd-analyze >/dev/null; then
    run systemd-analyze verify --root="$WORK/stage" /etc/systemd/system/jifend.service
    check_not_contains "systemd-analyze finds no unknown setting" "Unknown" "$OUT $ERR"
fi
finish
