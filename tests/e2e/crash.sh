#!/usr/bin/env bash
# crash.sh - kill -9 of the daemon in the middle of a burst of concurrent
# writes, several times, restarting on the same data each time. Then:
#   - every write that was acknowledged (the CLI exited 0) is there: its
#     retry answers "exists" with the entry first reported;
#   - every write that was attempted, acknowledged or not, can be retried
#     until it is ok/exists;
#   - and then each household has exactly one award per distinct request id
#     sent for it (nothing lost, nothing applied twice), and the chain
#     verifies with entries = registrations + ids.
# Bounded: about 5 x 2 s of bursts plus the retries.
source "$(dirname "$0")/lib.sh"

N_CLIENTS=${CRASH_CLIENTS:-8}
ROUNDS=${CRASH_ROUNDS:-5}
MAX_IDS_PER_ROUND=150 # per client: bounds the retry work at the end
# Short client timeouts so that a dead daemon is noticed fast; one resend
# exercises the Lazy Pirate path under load as well.
BURST_TIMEOUT=400
BURST_RETRIES=1

# One award = points_per_hour x 1 hour of the per-hour activity.
VPH=$(policy_get "$DEFAULT_POLICY" "activity volunteer" points_per_hour)
need_number VPH "$VPH"
AWARD=(volunteer --hours 1)
echo "each write: award volunteer --hours 1 = $VPH point(s); $N_CLIENTS clients, $ROUNDS kill -9 rounds"

DATA="$WORK/data"
C="$WORK/clients"
mkdir -p "$C"
start_daemon "$DATA"

for ((c = 0; c < N_CLIENTS; c++)); do
    run jf household add "h$c" --request-id "reg-$c"
    [ "$RC" -eq 0 ] || die "household add h$c: exit $RC: $ERR"
    : >"$C/attempted.$c"
    : >"$C/acked.$c"
    : >"$C/odd.$c"
done

# client_loop C ENDPOINT: awards to household hC with fresh ids cC-K until
# the stop file appears. An id is written down as attempted before it is
# sent, and as acknowledged ("id status entry") only when the CLI exited 0.
client_loop() {
    local c=$1 ep=$2 n=0 k id rc out
    k=$(wc -l <"$C/attempted.$c")
    while [ ! -e "$C/stop" ] && ((n < MAX_IDS_PER_ROUND)); do
        id="c$c-$k"
        k=$((k + 1))
        n=$((n + 1))
        echo "$id" >>"$C/attempted.$c"
        rc=0
        out=$("$JIFEN" --server "$ep" --key "$(key_of committee)" --server-key "$SERVER_KEY" \
            --timeout "$BURST_TIMEOUT" --retries "$BURST_RETRIES" \
            --json award "h$c" "${AWARD[@]}" --request-id "$id" 2>/dev/null) || rc=$?
        if [ "$rc" -eq 0 ] && [[ "$out" =~ \"status\":\"(ok|exists)\",\"entry\":([0-9]+) ]]; then
            echo "$id ${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" >>"$C/acked.$c"
        elif [ "$rc" -ne 3 ]; then
            # Neither acknowledged nor unreachable: a refusal or garbage.
            echo "$id exit $rc: $out" >>"$C/odd.$c"
        fi
    done
}

# wait_pids SECONDS PID...: waits for background jobs, killing them after
# the limit (and saying so).
wait_pids() {
    local limit=$1 p i
    shift
    for ((i = 0; i < limit * 20; i++)); do
        local alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" -eq 0 ] && break
        sleep 0.05
    done
    for p in "$@"; do
        if kill -0 "$p" 2>/dev/null; then
            fail "background job $p still running after ${limit}s; killed"
            kill "$p" 2>/dev/null || true
        fi
        wait "$p" 2>/dev/null || true
    done
}

# --- the bursts -----------------------------------------------------------------
for ((r = 1; r <= ROUNDS; r++)); do
    rm -f "$C/stop"
    pids=()
    for ((c = 0; c < N_CLIENTS; c++)); do
        client_loop "$c" "$ENDPOINT" &
        pids+=($!)
    done
    # Somewhere between 1.0 and 2.0 s into the burst.
    sleep "1.$((RANDOM % 10))"
    kill -KILL "$PID"
    st=0
    wait "$PID" 2>/dev/null || st=$?
    PID=""
    check_eq "round $r: jifend died of SIGKILL (status)" 137 "$st"
    touch "$C/stop"
    wait_pids 15 "${pids[@]}"
    att=$(cat "$C"/attempted.* | wc -l)
    ack=$(cat "$C"/acked.* | wc -l)
    echo "round $r: $att ids attempted, $ack acknowledged so far"
    start_daemon "$DATA"
    check_contains "round $r: restarted on the same data" "serving" "$(cat "$DAEMON_LOG")"
done

TOTAL_ATT=$(cat "$C"/attempted.* | wc -l)
TOTAL_ACK=$(cat "$C"/acked.* | wc -l)
ODD=$(cat "$C"/odd.*)
check_eq "no write was refused or garbled during the bursts" "" "$ODD"
if [ "$TOTAL_ACK" -gt 0 ]; then
    pass "$TOTAL_ACK of $TOTAL_ATT writes were acknowledged before the kills"
else
    fail "no write was acknowledged: the bursts did not test anything"
fi
if [ "$TOTAL_ACK" -lt "$TOTAL_ATT" ]; then
    pass "$((TOTAL_ATT - TOTAL_ACK)) writes were cut off by a kill (their fate is settled below)"
else
    echo "note: every write was acknowledged; no kill landed on a write in flight"
fi

# --- every acknowledged write is there ------------------------------------------------
# check_acked C: retries each acknowledged id of client C; writes problems
# to $C/bad-acked.C.
check_acked() {
    local c=$1 id entry rc out
    : >"$C/bad-acked.$c"
    while read -r id _ entry; do
        rc=0
        out=$(JF_TIMEOUT=5000 JF_RETRIES=2 jf_as committee --json \
            award "h$c" "${AWARD[@]}" --request-id "$id" 2>&1) || rc=$?
        if [ "$rc" -ne 0 ] || [[ ! "$out" =~ \"status\":\"exists\",\"entry\":$entry, ]]; then
            echo "$id (acknowledged as entry $entry): retry gave exit $rc: $out" >>"$C/bad-acked.$c"
        fi
    done <"$C/acked.$c"
}
pids=()
for ((c = 0; c < N_CLIENTS; c++)); do
    check_acked "$c" &
    pids+=($!)
done
wait_pids 120 "${pids[@]}"
for ((c = 0; c < N_CLIENTS; c++)); do
    n=$(wc -l <"$C/acked.$c")
    bad=$(head -n 5 "$C/bad-acked.$c")
    if [ -z "$bad" ]; then
        pass "h$c: all $n acknowledged writes exist, each with the entry it was acknowledged with"
    else
        fail "h$c: acknowledged writes missing or changed ($(wc -l <"$C/bad-acked.$c") of $n), e.g.: $bad"
    fi
done

# --- every attempted write can be completed --------------------------------------------
# settle C: retries each unacknowledged id of client C (up to 5 times)
# until it is ok or exists.
settle() {
    local c=$1 id try rc out
    : >"$C/unsettled.$c"
    : >"$C/settled-ok.$c"
    cut -d' ' -f1 "$C/acked.$c" | sort >"$C/acked-ids.$c"
    sort "$C/attempted.$c" | comm -23 - "$C/acked-ids.$c" >"$C/unacked.$c"
    while read -r id; do
        for ((try = 0; try < 5; try++)); do
            rc=0
            out=$(JF_TIMEOUT=5000 JF_RETRIES=2 jf_as committee --json \
                award "h$c" "${AWARD[@]}" --request-id "$id" 2>&1) || rc=$?
            [ "$rc" -eq 0 ] && break
        done
        if [ "$rc" -ne 0 ] || [[ ! "$out" =~ \"status\":\"(ok|exists)\" ]]; then
            echo "$id: exit $rc: $out" >>"$C/unsettled.$c"
        else
            echo "$id ${BASH_REMATCH[1]}" >>"$C/settled-ok.$c"
        fi
    done <"$C/unacked.$c"
}
pids=()
for ((c = 0; c < N_CLIENTS; c++)); do
    settle "$c" &
    pids+=($!)
done
wait_pids 120 "${pids[@]}"
for ((c = 0; c < N_CLIENTS; c++)); do
    bad=$(head -n 5 "$C/unsettled.$c")
    n_ok=$(grep -c ' ok$' "$C/settled-ok.$c" || true)
    n_ex=$(grep -c ' exists$' "$C/settled-ok.$c" || true)
    if [ -z "$bad" ]; then
        pass "h$c: all $(wc -l <"$C/unacked.$c") unacknowledged writes settled ($n_ex had been applied, $n_ok were applied now)"
    else
        fail "h$c: unacknowledged writes that could not be settled, e.g.: $bad"
    fi
done

# --- nothing lost, nothing twice ---------------------------------------------------------
for ((c = 0; c < N_CLIENTS; c++)); do
    ids=$(sort -u "$C/attempted.$c" | wc -l)
    check_eq "h$c: points = $VPH x $ids distinct ids sent" "$((VPH * ids))" \
        "$(balance_of "h$c" | cut -d' ' -f1)"
done
json_ok "verify" verify &&
    {
        check_eq "verify: ok" true "$(jget .ok)"
        check_eq "verify: entries = $N_CLIENTS registrations + $TOTAL_ATT writes" \
            $((BASE + N_CLIENTS + TOTAL_ATT)) "$(jget .entries)"
    }

stop_daemon TERM
check_eq "SIGTERM after all that: exit status" 0 "$DAEMON_STATUS"
check_le "total time (s)" "$SECONDS" 90
finish
