#!/usr/bin/env bash
# bad_policy.sh - a bad policy file stops jifend at start-up, quickly, with
# exit 1 and "jifend: bad policy: FILE:LINE: problem" on stderr, and it
# never serves; `--check-policy` says the same. A good custom policy is
# really the one applied: redemptions follow its rate and its cap.
source "$(dirname "$0")/lib.sh"

# A small valid policy; the bad ones below change one line of it, so the
# line each error must name is known.
write_good() {
    cat >"$1" <<'EOF'
version = e2e-custom-1
fen_per_point = 25
max_offset_percent = 10
[activity meeting]
points = 2
[activity big]
description = a large award, so a test has points to spend
points = 50
[activity volunteer]
points_per_hour = 1
max_hours = 2
[rule free-riding]
points = 5
EOF
}
GOOD="$WORK/good.conf"
write_good "$GOOD"

# bad NAME SED-SCRIPT: $WORK/NAME.conf, the good policy with one change.
bad() {
    local f="$WORK/$1.conf"
    sed "$2" "$GOOD" >"$f"
    if cmp -s "$f" "$GOOD"; then die "the $1 case changed nothing in the file"; fi
}

# expect_refused NAME FILE LOCATION WORD: jifend must exit 1 within 5 s,
# name FILE:LOCATION and WORD on stderr, and never serve.
expect_refused() {
    local name=$1 f=$2 loc=$3 word=$4 data="$WORK/data-$1" t0 st=0
    t0=$(date +%s%N)
    timeout 10 "$JIFEND" --data "$data" --listen 'tcp://127.0.0.1:*' --policy "$f" \
        >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" || st=$?
    local ms=$((($(date +%s%N) - t0) / 1000000)) err
    err=$(cat "$WORK/$name.stderr")
    check_eq "$name: jifend exit status" 1 "$st"
    check_le "$name: refused quickly (ms)" "$ms" 5000
    check_contains "$name: the message names the file and where" "jifend: bad policy: $f$loc" "$err"
    check_contains "$name: and the problem" "$word" "$err"
    check_not_contains "$name: never served" "serving" "$err"
    if [ -e "$data/data.mdb" ] || [ -e "$data/service/data.mdb" ]; then
        fail "$name: a ledger was created in $data"
    else
        pass "$name: no ledger was opened"
    fi
    st=0
    run "$JIFEND" --check-policy --policy "$f"
    check_rc "$name: --check-policy" 1
    check_contains "$name: --check-policy names the file and where" "$f$loc" "$ERR"
}

bad unknown-key '3s/.*/max_offset_pct = 10/'
expect_refused unknown-key "$WORK/unknown-key.conf" ":3:" "max_offset_pct"
bad unknown-section-key '5s/.*/pionts = 2/'
expect_refused unknown-section-key "$WORK/unknown-section-key.conf" ":5:" "pionts"
bad rate-zero '2s/.*/fen_per_point = 0/'
expect_refused rate-zero "$WORK/rate-zero.conf" ":2:" "fen_per_point"
bad percent-101 '3s/.*/max_offset_percent = 101/'
expect_refused percent-101 "$WORK/percent-101.conf" ":3:" "max_offset_percent"
bad hours-25 '11s/.*/max_hours = 25/'
expect_refused hours-25 "$WORK/hours-25.conf" ":11:" "max_hours"
bad negative '5s/.*/points = -2/'
expect_refused negative "$WORK/negative.conf" ":5:" "points"
bad not-a-number '8s/.*/points = 5O/'
expect_refused not-a-number "$WORK/not-a-number.conf" ":8:" "points"
# An activity without points: the section header is where it is missing.
bad missing-section-key '5d'
expect_refused missing-section-key "$WORK/missing-section-key.conf" ":4:" "points"
bad duplicate-key '2a\fen_per_point = 30'
expect_refused duplicate-key "$WORK/duplicate-key.conf" ":3:" "fen_per_point"
bad no-equals '5s/.*/points 2/'
expect_refused no-equals "$WORK/no-equals.conf" ":5:" "points 2"
bad open-section '4s/.*/[activity meeting/'
expect_refused open-section "$WORK/open-section.conf" ":4:" "]"
bad unknown-section-type '4s/.*/[reward meeting]/'
expect_refused unknown-section-type "$WORK/unknown-section-type.conf" ":4:" "reward"
bad bad-code '4s/.*/[activity Meeting!]/'
expect_refused bad-code "$WORK/bad-code.conf" ":4:" "Meeting!"
# A required top-level key missing: no line holds it, so the message names
# the file and the key.
bad missing-top-key '2d'
expect_refused missing-top-key "$WORK/missing-top-key.conf" ":" "fen_per_point"
expect_refused no-such-file "$WORK/does-not-exist.conf" ":" "cannot open"

# --- the shipped default and the custom policy are valid ----------------------------
run "$JIFEND" --check-policy --policy "$DEFAULT_POLICY"
check_rc "deploy/policy.conf passes --check-policy" 0
run "$JIFEND" --check-policy --policy "$GOOD"
check_rc "the custom policy passes --check-policy" 0
check_contains "--check-policy prints the rate and the cap" "25 fen per point" "$OUT"
check_contains "--check-policy prints the cap" "10%" "$OUT"

# --- a good custom policy is the one applied ------------------------------------------
# 25 fen a point, at most 10% of the fee due: a 100.00 yuan bill lets 40
# points (10.00 yuan) be redeemed. Under the default policy the same
# redemptions would give other answers, so this fails if the file is ignored.
start_daemon "$WORK/data" --policy "$GOOD"
check_contains "the log names the policy version" "e2e-custom-1" "$(cat "$DAEMON_LOG")"
H=9-1-101
run jf household add "$H"
check_rc "household add" 0
json_ok "award big (a custom activity)" award "$H" big &&
    check_eq "award big: points from the custom file" 50 "$(jget .points)"
json_ok "award meeting" award "$H" meeting &&
    check_eq "award meeting: points" 2 "$(jget .points)"
run jf bill "$H" 100 --period 2026-07
check_rc "bill 100 yuan" 0
check_eq "the cap under the custom policy" 40 "$(max_redeemable 10000 25 10)"
run jf redeem "$H" 41
check_rc "redeem 41 points: over the custom cap" 1
check_contains "redeem 41: reason" cap_exceeded "$ERR"
json_ok "redeem 40 points: exactly the custom cap" redeem "$H" 40 &&
    check_eq "redeem 40: offset at 25 fen a point" 1000 "$(jget .offset_fen)"
check_eq "balance after redeeming" "12 9000" "$(balance_of "$H")"
run jf award "$H" honour
check_rc "an activity of the default policy only" 1
check_contains "not in the custom catalogue" unknown_activity "$ERR"
stop_daemon TERM
check_eq "SIGTERM: exit status" 0 "$DAEMON_STATUS"

finish
