# web_lib.sh - what the jifen-web e2e scripts share (sourced after lib.sh):
# the browser they need, and jifen-web started on a free loopback port.

# need_browser: CHROMIUM and PY (Debian's python3, which has selenium), or
# a skip (77) when no Chromium is installed at all.
need_browser() {
    : "${JIFEN_WEB:?JIFEN_WEB must name the jifen-web binary}"
    CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$CHROMIUM" ]; then
        echo "SKIP: no chromium (apt-get install chromium chromium-driver python3-selenium)"
        exit 77
    fi
    PY=/usr/bin/python3
    [ -x /usr/bin/chromedriver ] || die "chromium is here but chromedriver is not (apt-get install chromium-driver)"
    "$PY" -c 'import selenium' 2>/dev/null || die "python3-selenium is missing (apt-get install python3-selenium)"
}

# start_web NAME ARGS...: jifen-web with ARGS on 127.0.0.1, a free port,
# logging to $WORK/web-NAME.log; waits (at most 10 s) for its "serving"
# line. Sets WEB_URL and WEB_PID (jifen-web itself, killed on exit).
start_web() {
    local name=$1 log="$WORK/web-$1.log" i
    shift
    : >"$log"
    "$JIFEN_WEB" "$@" --listen 127.0.0.1:0 2>"$log" &
    WEB_PID=$!
    DAEMON_PIDS+=("$WEB_PID")
    DAEMON_LOGS+=("$log")
    WEB_URL=""
    for ((i = 0; i < 200; i++)); do
        WEB_URL=$(sed -n 's/.* serving \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$log" | head -n 1)
        [ -n "$WEB_URL" ] && return 0
        kill -0 "$WEB_PID" 2>/dev/null || die "jifen-web $name exited: $(cat "$log")"
        sleep 0.05
    done
    die "jifen-web $name did not report 'serving' within 10 s"
}

# stop_web PID: SIGTERM, and a clean exit 0 (under ASan: no leak report).
stop_web() {
    kill -TERM "$1"
    local st=0
    wait "$1" || st=$?
    check_eq "jifen-web stops cleanly on SIGTERM" 0 "$st"
}
