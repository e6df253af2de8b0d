#!/usr/bin/env bash
# web_communities.sh - jifen-web in a service of many communities
# (docs/communities.md) and residents' proofs (docs/proofs.md): the real
# jifend, the real jifen-web, headless Chromium (web_communities.py).
#
# 1. Old files: a data directory and jifen-web.conf written by the release
#    before communities (tests/fixtures/web-942f58f) serve a one-community
#    service unchanged: its user signs in and works, its printed resident's
#    link opens; once the service has several communities, the one line
#    `community = default` keeps them working.
# 2. Users enrolled where they belong: a community's users as keys of
#    their community, a street office's as a key of the service with the
#    street's scope.
# 3. In the browser (web_communities.py): a user of community east cannot
#    see or write west, crafted requests included (403/409, west's ledger
#    unchanged); the street office's roll-up, its TOTAL equal to the sum of
#    each community's own reports, CSV and Excel, a click through to one
#    community; the resident's page checks every entry's inclusion proof
#    and the tree head's signature in the browser, says "not verified" for
#    a tampered proof and a forged head, and the same proofs pass the
#    CLI's and the Python checker; a link of east does not open west's
#    household of the same door number; the board names its community.
#
# SCREENSHOTS=DIR also saves the new pages in both languages.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/web_lib.sh"
need_browser

CLOCK="$WORK/clock"
set_time() { echo $(( $(date -u -d "$1 +0800" +%s) * 1000 )) >"$CLOCK"; }
set_time "2026-11-10 10:00"
# Signed tree heads every 4 entries, so that the residents' entries are
# covered by one soon.
printf 'checkpoint_entries = 4\n' >"$WORK/jifend.conf"
DATA="$WORK/data"
start_daemon "$DATA" --test-clock "$CLOCK" --config "$WORK/jifend.conf"
at() {
    local c=$1 role=$2
    shift 2
    JIFEN_COMMUNITY=$c jf_as "$role" "$@"
}

# curl as a browser would: JSON bodies, the session's cookie jar, Origin.
JAR="$WORK/cookies"
api() { # METHOD URL [JSON [CSRF]]
    local args=(-sS -o "$WORK/.body" -w '%{http_code}' -b "$JAR" -c "$JAR" -X "$1")
    [ -n "${3:-}" ] && args+=(-H 'Content-Type: application/json' --data "$3")
    [ -n "${4:-}" ] && args+=(-H "X-CSRF-Token: $4")
    CODE=$(curl "${args[@]}" "$2")
    BODY=$(cat "$WORK/.body")
}

# --- 1. the files of the release before communities -------------------------
FIX="$JIFEN_SOURCE_DIR/tests/fixtures/web-942f58f"
OLD="$WORK/old-web"
cp -r "$FIX/data" "$OLD"
chmod 700 "$OLD" "$OLD/keys"
find "$OLD" -type f -exec chmod 600 {} +
USERS_SUM=$(sha256sum <"$OLD/users.json")
run jf_as admin key enrol "$OLD/keys/u-olddesk.pub" terminal --label olddesk
check_rc "the old user's key enrolled (one community, as before)" 0
run jf_as admin key enrol "$OLD/keys/public.pub" auditor --label 'jifen-web public pages'
check_rc "the old public pages' key enrolled" 0
run jf household add 3-2-501 --name 张伟 --area 80
run jf bill 3-2-501 100.00 --period 2026-11
check_rc "a household billed in the one community" 0
run "$JIFEN_WEB" --check-config "$FIX/jifen-web.conf"
check_rc "the old jifen-web.conf still checks" 0
start_web old --config "$FIX/jifen-web.conf" --data "$OLD" --server "$ENDPOINT" --server-key "$SERVER_KEY"
OLD_PID=$WEB_PID
OLD_URL=$WEB_URL
old_desk_works() { # WHAT AMOUNT
    rm -f "$JAR"
    api POST "$OLD_URL/api/session" '{"user":"olddesk","password":"old-pass-1234"}'
    check_eq "$1: the old user signs in" 200 "$CODE"
    local csrf rid
    csrf=$(jq -r .csrf <<<"$BODY")
    api GET "$OLD_URL/api/household?h=3-2-501"
    check_eq "$1: ... and looks up a household" 200 "$CODE"
    api GET "$OLD_URL/api/request-id"
    rid=$(jq -r .request_id <<<"$BODY")
    api POST "$OLD_URL/api/desk/pay" "{\"household\":\"3-2-501\",\"amount\":\"$2\",\"request_id\":\"$rid\"}" "$csrf"
    check_eq "$1: ... and takes a payment" 200 "$CODE"
    TOKEN=$(sed 's|.*/||' "$FIX/link.txt")
    api GET "$OLD_URL/api/public/statement?h=3-2-501&t=$TOKEN"
    check_eq "$1: the resident's link printed by the old release opens" 200 "$CODE"
}
old_desk_works "old files, one community" 10.00
check_eq "users.json is not rewritten by serving" "$USERS_SUM" "$(sha256sum <"$OLD/users.json")"
run jf --json history 3-2-501
check_eq "the payment names the old user" olddesk "$(jget '[.entries[] | select(.command == "pay") | .author] | join(" ")')"

# The service grows: east and west on street jiefang, far on another.
run jf_as admin community create east --name 东区 --street jiefang
check_rc "community create east" 0
run jf_as admin community create west --name 西区 --street jiefang
run jf_as admin community create far --name 远区 --street other
check_rc "community create far" 0
rm -f "$JAR"
api POST "$OLD_URL/api/session" '{"user":"olddesk","password":"old-pass-1234"}'
api GET "$OLD_URL/api/household?h=3-2-501"
check_eq "several communities and no default configured: refused, not guessed" 422 "$CODE"
check_contains "... saying a community must be named" unknown_community "$BODY"
stop_web "$OLD_PID"
printf 'community = default\n' >"$WORK/old-community.conf"
cat "$FIX/jifen-web.conf" "$WORK/old-community.conf" >"$WORK/old-plus.conf"
start_web old2 --config "$WORK/old-plus.conf" --data "$OLD" --server "$ENDPOINT" --server-key "$SERVER_KEY"
OLD_PID=$WEB_PID
OLD_URL=$WEB_URL
old_desk_works "old files, community = default" 5.00
check_eq "users.json still as the old release wrote it" "$USERS_SUM" "$(sha256sum <"$OLD/users.json")"
stop_web "$OLD_PID"

# --- 2. users where they belong -----------------------------------------------
WEB="$WORK/web"
web() { "$JIFEN_WEB" --data "$WEB" --server "$ENDPOINT" --server-key "$SERVER_KEY" "$@"; }
run web init --all-communities --admin-key "$KEYS/admin.key"
check_rc "init: the public pages' key as a key of the service, every community" 0
PASSWORD=correct-horse-7
add() { # NAME ROLE WHERE...
    local name=$1 role=$2
    shift 2
    run web user add "$name" --role "$role" "$@" --password-stdin --admin-key "$KEYS/admin.key" <<<"$PASSWORD"
    check_rc "user add $name $role $*" 0
}
add desk-east terminal --community east
add comm-east committee --community east
add desk-west terminal --community west
add street auditor --street jiefang
run web user add bad --role terminal --community east --street jiefang --password-stdin <<<"$PASSWORD"
check_rc "a community and a scope at once: refused" 2
run web user list --json
check_eq "user list: community or scope" "comm-east:east: desk-east:east: desk-west:west: street::street jiefang" \
    "$(jget 'sort_by(.name) | map("\(.name):\(.community):\(.scope // "")") | join(" ")')"
run at east admin --json key list
check_contains "desk-east is a key of community east" '"label":"desk-east"' "$OUT"
run at west admin --json key list
check_not_contains "... not of west" '"label":"desk-east"' "$OUT"
run jf_as admin --json key list
check_contains "the street office's key is the service's, scope street jiefang" '"street":"jiefang"' "$OUT"

# Each community's own CLI keys (KEYS/C-ROLE), for the data and the checks.
for c in east west far; do
    for r in committee terminal auditor; do
        "$JIFEN" keygen --out "$KEYS/$c-$r" >/dev/null || die "keygen $c-$r"
        run at "$c" admin key enrol "$KEYS/$c-$r.pub" "$r" --label "cli-$c-$r"
        [ "$RC" -eq 0 ] || die "enrol $c-$r: $ERR"
    done
done
in_c() { # COMMUNITY ROLE ARGS...
    local c=$1 r=$2
    shift 2
    at "$c" "$c-$r" "$@" >/dev/null || die "$c $r $*"
}
# Each community's households: the same door number in east and west.
in_c east committee household add 1-1-101 --name 王芳 --area 90
in_c west committee household add 1-1-101 --name 李娜 --area 90
in_c east terminal bill 1-1-101 200.00 --period 2026-10
in_c west terminal bill 1-1-101 150.00 --period 2026-10
in_c east committee household add 1-1-102 --name 赵强 --area 70
in_c east terminal bill 1-1-102 90.00 --period 2026-11
in_c east terminal pay 1-1-101 80.00
in_c west terminal pay 1-1-101 150.00
for i in 1 2 3; do
    in_c east committee award 1-1-101 volunteer --hours 1 --note "楼道 $i"
done
in_c far committee household add 9-9-909 --name 远方
in_c far terminal bill 9-9-909 999.00 --period 2026-10
LINK_EAST=$(web link 1-1-101 --community east)
LINK_WEST=$(web link 1-1-101 --community west)
check_match "a link names its community" '/r/east/1-1-101/[0-9a-f]{32}$' "$LINK_EAST"

start_web new --data "$WEB" --server "$ENDPOINT" --server-key "$SERVER_KEY"
URL=$WEB_URL
WEB_PID_NEW=$WEB_PID
# A head covering everything so far (checkpoint_entries = 4): a few more
# entries in east.
for i in 4 5 6 7; do
    in_c east committee award 1-1-102 volunteer --hours 1 --note "绿化 $i"
done

export URL PASSWORD CLOCK CHROMIUM LINK_EAST LINK_WEST ENDPOINT SERVER_KEY KEYS JIFEN
export CHECKPOINT_PUB="$DATA/checkpoint.pub" CHECKER="$JIFEN_SOURCE_DIR/tools/verify_export.py"
set +e
"$PY" "$(dirname "$0")/web_communities.py"
rc=$?
set -e
[ "$rc" -eq 0 ] && pass "the browser session (web_communities.py)" || fail "the browser session (web_communities.py exit $rc)"

run at west west-auditor --json history 1-1-101
check_eq "west's 1-1-101: no entry by a user of east" 0 \
    "$(jget '[.entries[].author | select(test("east"))] | length')"
for c in east west far; do
    run at "$c" "$c-auditor" verify
    check_rc "$c's chain verifies" 0
done
stop_web "$WEB_PID_NEW"
finish
