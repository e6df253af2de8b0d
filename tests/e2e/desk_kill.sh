#!/usr/bin/env bash
# desk_kill.sh - a billing run killed halfway (the client, then the daemon,
# with kill -9) and started again completes exactly once: every (household,
# item, month) billed once, whatever the request ids of the two runs
# (docs/desk.md). A community of 20,000 households (tests/households.c;
# one in 1,000 has no floor area) billed 物业费 by area and 垃圾处理费 per
# month, in requests of 200 bills so that the run is long enough to be
# killed in the middle.
source "$(dirname "$0")/lib.sh"
: "${HOUSEHOLDS:?HOUSEHOLDS must name the households test tool}"

N=${DESK_KILL_HOUSEHOLDS:-20000}
NO_AREA=$((N / 1000))
WANT=$((N - NO_AREA + N)) # wuye for those with an area, laji for all
POLICIES=(--policy "$JIFEN_SOURCE_DIR/deploy/policy-desk.conf")
start_daemon "$WORK/data" "${POLICIES[@]}"
JIFEN_KEY=$(key_of committee) JIFEN_SERVER_KEY=$SERVER_KEY "$HOUSEHOLDS" "$ENDPOINT" "$N" ||
    die "registering $N households"
entries_now() { jf --json verify | jq -r .entries; }

# The amounts a run of this community bills, from its dry run (the same
# pricing as the bills themselves) of a month nobody billed.
json_ok "dry run" billing run --period 2026-12 --dry-run || die "dry run"
check_eq "the dry run: what a month bills" "$WANT" "$(jget .bills)"
WANT_FEN=$(jget .amount_fen)
check_eq "households without an area or a parking space listed" $((NO_AREA + N)) "$(jget .cannot_bill_count)"

# kill_halfway PERIOD WHAT: starts a run of PERIOD, waits until some but not
# all of it is committed, then kill -9s WHAT (client or daemon).
kill_halfway() {
    local period=$1 what=$2 base i now
    base=$(entries_now)
    jf billing run --period "$period" --batch 200 >"$WORK/run.out" 2>&1 &
    local cli=$!
    for ((i = 0; i < 3000; i++)); do
        now=$(entries_now)
        if [ "$now" -gt $((base + 1000)) ]; then
            break
        fi
        sleep 0.02
    done
    if [ "$now" -ge $((base + WANT)) ]; then
        fail "$period: the run ended before it could be killed ($now entries)"
    else
        if [ "$what" = client ]; then
            kill -KILL "$cli"
        else
            kill -KILL "$PID"
            wait "$PID" 2>/dev/null || true
            # The next daemon listens on another port: the client's
            # resends would go nowhere.
            kill -KILL "$cli" 2>/dev/null || true
        fi
        pass "$period: $what killed with $((now - base)) of $WANT bills committed"
    fi
    wait "$cli" 2>/dev/null || true
}

billed_in() { # PERIOD: "bills fen" of the month, from its ageing's totals
    jf --json report arrears --period "$1" >"$WORK/arrears.json" || return 1
    jq -r "[.rows[] | select(.period == \"$1\") | .billed_fen] | \"\(length) \(add)\"" "$WORK/arrears.json"
}

# --- the client killed --------------------------------------------------------
kill_halfway 2027-01 client
json_ok "the run started again" billing run --period 2027-01 &&
    {
        check_eq "the rest billed now, what was billed not again" "$WANT" "$(( $(jget .bills) + $(jget .already_billed) ))"
        check_match "both runs billed part" '^[1-9][0-9]* [1-9][0-9]*$' "$(jget '"\(.bills) \(.already_billed)"')"
    }
json_ok "a third run" billing run --period 2027-01 --dry-run &&
    check_eq "nothing left to bill" "0 $WANT" "$(jget '"\(.bills) \(.already_billed)"')"
check_eq "billed exactly once: count and amount" "$WANT $WANT_FEN" "$(billed_in 2027-01)"

# --- the daemon killed --------------------------------------------------------
kill_halfway 2027-02 daemon
start_daemon "$WORK/data" "${POLICIES[@]}"
json_ok "after the restart, the run again" billing run --period 2027-02 &&
    {
        check_eq "completes it" "$WANT" "$(( $(jget .bills) + $(jget .already_billed) ))"
        # What was committed before the kill survived it (durable) and
        # is not billed again.
        check_match "what the killed daemon committed is kept" '^[1-9][0-9]* [1-9][0-9]*$' "$(jget '"\(.bills) \(.already_billed)"')"
    }
check_eq "billed exactly once after kill -9" "$WANT $WANT_FEN" "$(billed_in 2027-02)"
json_ok "verify" verify && check_eq "the chain and every balance" true "$(jget .ok)"
finish
