#!/usr/bin/env bash
# web.sh - jifen-web in a real browser: the real jifend (on its test clock,
# with the shipped rule sets) and the real jifen-web on loopback, headless
# Chromium driven by Selenium (tests/e2e/web_browser.py) through a month's
# work as the desk, the committee, the street office and a resident; the
# results are checked with the real jifen CLI. Skips (77) only when no
# Chromium is installed at all.
#
# SCREENSHOTS=DIR also saves a picture of every page in both languages
# (tools/web_screenshots.sh).
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/web_lib.sh"
need_browser

REVISED="$JIFEN_SOURCE_DIR/deploy/policy-2026-07.conf"
# The default rules with the fee schedule of deploy/policy-desk.conf and a
# payee, for the desk's billing run and receipts (issue 14).
RULES="$WORK/policy.conf"
sed '/^version = /a payee = 幸福里物业服务有限公司' "$DEFAULT_POLICY" >"$RULES"
sed -n '/^\[fee /,$p' "$JIFEN_SOURCE_DIR/deploy/policy-desk.conf" >>"$RULES"
CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
set_time "2026-06-10 10:00"
start_daemon "$WORK/data" --test-clock "$CLOCK" --policy "$RULES" --policy "$REVISED"

WEB_DATA="$WORK/web"
web() {
    "$JIFEN_WEB" --data "$WEB_DATA" --server "$ENDPOINT" --server-key "$SERVER_KEY" "$@"
}
web init --admin-key "$KEYS/admin.key" >"$WORK/web-setup.log" 2>&1 || die "jifen-web init: $(cat "$WORK/web-setup.log")"
PASSWORD=correct-horse-7
for u in desk1:terminal comm1:committee comm2:committee audit1:auditor lockme:terminal; do
    echo "$PASSWORD" | web user add "${u%%:*}" --role "${u##*:}" --password-stdin \
        --admin-key "$KEYS/admin.key" >>"$WORK/web-setup.log" 2>&1 ||
        die "user add $u: $(tail -n 3 "$WORK/web-setup.log")"
done
check_eq "user list" "audit1 auditor comm1 committee comm2 committee desk1 terminal lockme terminal" \
    "$(web user list --json | jq -r 'sort_by(.name) | map("\(.name) \(.role)") | join(" ")')"
# The users' files are private whatever the umask.
check_eq "users.json mode" 600 "$(stat -c %a "$WEB_DATA/users.json")"
check_eq "data directory mode" 700 "$(stat -c %a "$WEB_DATA")"
check_eq "a user's secret key mode" 600 "$(stat -c %a "$WEB_DATA/keys/u-desk1.key")"
run jf_as admin --json key list
check_contains "every web user's key is enrolled under the user's name" '"label":"desk1"' "$OUT"
run "$JIFEN_WEB" --check-config "$JIFEN_SOURCE_DIR/deploy/jifen-web.conf"
check_rc "the shipped deploy/jifen-web.conf checks" 0
printf 'listen = 0.0.0.0:8080\n' >"$WORK/open.conf"
run "$JIFEN_WEB" --check-config "$WORK/open.conf"
check_rc "plain HTTP beyond loopback is refused" 1
check_contains "... saying HTTPS is needed" "needs HTTPS" "$ERR"
run "$JIFEN_WEB" --help
check_contains "--help names the user commands" "user add NAME --role ROLE" "$OUT"

start_web main --data "$WEB_DATA" --server "$ENDPOINT" --server-key "$SERVER_KEY" --signin-failures 3
URL=$WEB_URL

export URL PASSWORD CLOCK CHROMIUM
export JF_AUDITOR="$JIFEN --server $ENDPOINT --server-key $SERVER_KEY --key $KEYS/auditor.key"
export JF_COMMITTEE="$JIFEN --server $ENDPOINT --server-key $SERVER_KEY --key $KEYS/committee.key"
export WEB_DATA JIFEN_WEB ENDPOINT SERVER_KEY
set +e
"$PY" "$(dirname "$0")/web_browser.py"
rc=$?
set -e
[ "$rc" -eq 0 ] && pass "the browser session (web_browser.py)" || fail "the browser session (web_browser.py exit $rc)"

# --- after the browser: the ledger as the CLI sees it ----------------------
json_ok "history of 3-2-501" history 3-2-501 --limit 100
check_eq "one payment of 50.00 although pay was double-clicked" 1 \
    "$(jget '[.entries[] | select(.command == "pay")] | length')"
# ... and jifend, which posted the sign-in sheet's award after its notice.
check_eq "entries name the web users who made them" "comm1 desk1 jifend" \
    "$(jget '[.entries[].author] | unique | join(" ")')"
json_ok "the desk's shift close, as the CLI reads it" report shifts
check_eq "closed by desk1: cash 50.00 and WeChat 20.00" "cash 5000,wechat 2000" \
    "$(jget '[.rows[] | select(.state == "closed") | "\(.channel) \(.net_fen)"] | join(",")')"
run jf verify
check_rc "the chain verifies after the browser's month" 0
check_contains "jifen-web logged every sign-in" "result=ok user=desk1" "$(cat "$WEB_DATA/signin.log")"
check_contains "and the refused ones" "result=user_locked user=lockme" "$(cat "$WEB_DATA/signin.log")"

stop_web "$WEB_PID"
finish
