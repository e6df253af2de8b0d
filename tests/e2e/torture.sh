#!/usr/bin/env bash
# torture.sh - kill -9 of jifend during concurrent writes, CYCLES times:
# start, let WRITERS burst writers write for a few tens of ms, kill -9,
# and check after every kill, on the files the dead daemon left:
#   - the chain, the balances and the invariants verify (jifend --verify);
#   - every acknowledged request is in the journal, with all its commands;
#   - no request id is in the journal twice, and none that was never sent.
# CI size: 200 cycles. Full size: FAULT_SCALE=full (2000 cycles), or
# TORTURE_CYCLES=N.
source "$(dirname "$0")/lib.sh"
: "${BURST:?BURST must name the burst test tool}"
export LC_ALL=C # sort and comm must agree on the order

if [ "${FAULT_SCALE:-ci}" = full ]; then CYCLES=${TORTURE_CYCLES:-2000}; else CYCLES=${TORTURE_CYCLES:-200}; fi
WRITERS=4
BATCH=3 # commands per request: a request is acknowledged whole or not at all
DATA="$WORK/data"
L="$WORK/log"
mkdir -p "$L"

start_daemon "$DATA"
for ((w = 0; w < WRITERS; w++)); do
    run jf household add "h$w"
    [ "$RC" -eq 0 ] || die "household add h$w: $ERR"
done
stop_daemon KILL

# check_cycle N: the state after kill N, checked incrementally so that a
# cycle costs the same at the end as at the start: the entries added since
# the last check are exported (--from) and merged into the set of request
# ids seen so far.
SEEN_ENTRIES=0
: >"$WORK/present"
: >"$WORK/acked"
check_cycle() {
    run "$JIFEND" --verify "$DATA"
    if [ "$RC" -ne 0 ]; then fail "cycle $1: verify: $OUT $ERR"; return 1; fi
    "$JIFEND" --export "$DATA" --to - --from $((SEEN_ENTRIES + 1)) >"$WORK/export" 2>/dev/null ||
        { fail "cycle $1: export"; return 1; }
    SEEN_ENTRIES=$((SEEN_ENTRIES + $(wc -l <"$WORK/export")))
    # Request ids of the new awards, one per command: BATCH per request.
    grep -o '"request_id":"w[^"]*"' "$WORK/export" | cut -d'"' -f4 | sort | uniq -c >"$WORK/new"
    awk -v b=$BATCH '$1 != b { print "count " $1 " of " $2 }' "$WORK/new" >"$WORK/bad"
    if [ -s "$WORK/bad" ]; then
        fail "cycle $1: a request applied partly or twice: $(head -3 "$WORK/bad")"
        return 1
    fi
    awk '{ print $2 }' "$WORK/new" >"$WORK/new_ids"
    local twice
    twice=$(comm -12 "$WORK/present" "$WORK/new_ids" | head -3)
    if [ -n "$twice" ]; then fail "cycle $1: applied again after a restart: $twice"; return 1; fi
    sort -m "$WORK/present" "$WORK/new_ids" -o "$WORK/present"
    cat "$L"/w*.cycle | awk '$1 == "ack" { print $2 }' | sort | sort -m - "$WORK/acked" -o "$WORK/acked"
    cat "$L"/w*.cycle | awk '$1 == "try" { print $2 }' | sort >"$WORK/tried"
    local lost invented
    lost=$(comm -23 "$WORK/acked" "$WORK/present" | head -3)
    # New ids must be among those tried in this cycle (ids never repeat).
    invented=$(comm -23 "$WORK/new_ids" "$WORK/tried" | head -3)
    if [ -n "$lost" ]; then fail "cycle $1: acknowledged but missing: $lost"; return 1; fi
    if [ -n "$invented" ]; then fail "cycle $1: in the journal but not sent this cycle: $invented"; return 1; fi
    cat "$L"/w*.cycle >>"$L/all"
    return 0
}

declare -a NEXT # next request number per writer
for ((w = 0; w < WRITERS; w++)); do NEXT[w]=0; done
BAD=0
for ((cycle = 1; cycle <= CYCLES; cycle++)); do
    start_daemon "$DATA"
    pids=()
    for ((w = 0; w < WRITERS; w++)); do
        # Each writer continues its own numbering, so ids never repeat.
        JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$SERVER_KEY" \
            "$BURST" "$ENDPOINT" "h$w" "w$w" 1000000 "$BATCH" 0 100 "${NEXT[w]}" >"$L/w$w.cycle" 2>/dev/null &
        pids+=($!)
    done
    # The first acknowledgement (however loaded the machine: a cycle
    # without one would test nothing), then tens of ms of writing, varied
    # so the kill lands at every phase: while applying, during the fsync,
    # between commits, while replying.
    for ((i = 0; i < 400; i++)); do
        grep -qs '^ack' "$L"/w*.cycle && break
        sleep 0.025
    done
    sleep "0.0$((RANDOM % 6 + 2))"
    kill -KILL "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for ((w = 0; w < WRITERS; w++)); do
        last=$(awk '$1 == "try" { n = $2 } END { print n }' "$L/w$w.cycle")
        [ -n "$last" ] && NEXT[w]=$((${last##*-} + 1))
    done
    check_cycle "$cycle" || { BAD=$((BAD + 1)); [ "$BAD" -ge 3 ] && break; }
    # Keep the daemon logs from piling up.
    : >"$DAEMON_LOG"
done
N_ACK=$(grep -c '^ack' "$L/all" || true)
N_TRY=$(grep -c '^try' "$L/all" || true)
[ "$BAD" -eq 0 ] && pass "$((cycle - 1)) kill -9 cycles: every acknowledged request present once, chain and invariants hold"
check_le "at least $CYCLES kills" "$CYCLES" "$((cycle - 1))"
echo "requests tried $N_TRY, acknowledged $N_ACK, journal entries $SEEN_ENTRIES"
check_le "writes were acknowledged across kills" "$CYCLES" "$N_ACK"
finish
