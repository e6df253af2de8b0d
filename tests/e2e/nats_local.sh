#!/usr/bin/env bash
# nats_local.sh - replication on NATS JetStream, durability local
# (docs/operations.md, "Replication on NATS"): the whole cluster is stopped
# for a while; writes go on (answered after the LMDB commit, as without
# NATS), the daemon is even restarted meanwhile; once the cluster is back
# the stream holds every entry exactly once, in order, and is the ledger
# entry for entry. With no NATS configured at all, nothing is published.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_lib.sh"
: "${BURST:?BURST must name the burst test tool}"

# The shipped cluster configuration is one nats-server accepts.
for f in "$JIFEN_SOURCE_DIR"/deploy/nats/nats-*.conf; do
    run nats-server -c "$f" -t
    check_rc "deploy/nats/$(basename "$f") is a valid nats-server configuration" 0
done
run "$JIFEND" --check-config "$JIFEN_SOURCE_DIR/deploy/nats/jifend-nats.conf"
check_rc "deploy/nats/jifend-nats.conf is a valid jifend configuration" 0

start_cluster
nats_conf "$WORK/p.conf" local
start_daemon "$WORK/p" --config "$WORK/p.conf"
for h in h0 h1; do jf household add "$h" >/dev/null || die "household add $h"; done
burst "$ENDPOINT" h0 a 30 1 0 5000 >"$WORK/b1" || fail "writes with the cluster up: $(tail -n 2 "$WORK/b1")"

# head_of: the ledger's last entry (community default), read offline.
head_of() { "$JIFEND" --export "$WORK/p" --community default --to - | tail -n 1 | jq -r .seq; }
# wait_stream N [STREAM [FILE]]: until the stream's (t_default's) last
# entry is N (60 s: after the whole cluster restarted, each stream waits
# for a leader of its own); leaves the dump in FILE ($WORK/stream).
wait_stream() {
    local i s=${2:-t_default} f=${3:-$WORK/stream}
    for ((i = 0; i < 300; i++)); do
        stream_dump "$s" >"$f" 2>/dev/null || true
        [ "$(tail -n 1 "$f" | cut -d' ' -f1)" = "$1" ] && return 0
        sleep 0.2
    done
    return 1
}
wait_stream "$(head_of)" && pass "with the cluster up, the stream follows the ledger" ||
    fail "the stream did not reach entry $(head_of)"

# The whole cluster stops.
for i in 0 1 2; do node_kill "$i" TERM; done
run burst "$ENDPOINT" h1 b 40 1 0 5000
check_rc "writes go on with the cluster down (local durability)" 0
check_eq "each of them acknowledged" 40 "$(grep -c '^ack' <<<"$OUT")"
# ... and jifend restarts meanwhile: the outbox is its journal, on disk.
stop_daemon
start_daemon "$WORK/p" --config "$WORK/p.conf"
run burst "$ENDPOINT" h0 c 20 1 0 5000
check_rc "writes after a restart, the cluster still down" 0
wait_for_log "published once it answers" && pass "the log says the stream does not answer, entries are kept" ||
    fail "no word in the log of the stream not answering"

for i in 0 1 2; do node_start "$i"; done
wait_cluster || die "the cluster did not come back"
HEAD=$(head_of)
wait_stream "$HEAD" && pass "after the outage the stream reached entry $HEAD" ||
    fail "the stream stopped at $(tail -n 1 "$WORK/stream" | cut -d' ' -f1) of $HEAD"
check_eq "the stream's chain is whole (sequence = entry, previous hashes)" "" "$(grep BROKEN "$WORK/stream" || true)"
check_eq "every entry once, in order: the stream is the ledger" \
    "$("$JIFEND" --export "$WORK/p" --community default --to - | jq -r '"\(.seq) \(.hash) \(.request_id // "-")"')" \
    "$(cat "$WORK/stream")"
check_eq "no request twice" 0 "$(awk '$3 != "-" {print $3}' "$WORK/stream" | sort | uniq -d | wc -l)"
# The service's own journal has its stream too.
SERVICE_HEAD=$("$JIFEND" --export "$WORK/p/service" --to - | tail -n 1 | jq -r .seq)
wait_stream "$SERVICE_HEAD" t__service "$WORK/service" ||
    fail "the service's stream stopped at $(tail -n 1 "$WORK/service" | cut -d' ' -f1) of $SERVICE_HEAD"
check_eq "the service's journal is in its stream" \
    "$("$JIFEND" --export "$WORK/p/service" --to - | jq -r '"\(.seq) \(.hash) \(.request_id // "-")"')" \
    "$(cat "$WORK/service")"

# The example bridge reads the stream as a consumer would, and tells
# what a resident would be told.
run timeout 60 "$STREAM_TOOL" --servers "$NATS_URLS" --prefix t --community default --once
check_rc "the example bridge follows the stream" 0
check_contains "and tells a household its points" "default h1: +1 points (volunteer" "$OUT"
check_eq "one line per award" 90 "$(grep -c ': +' <<<"$OUT")"

# A clean stop publishes first: writes, then at once a stop; the stream
# read afterwards (the daemon gone) ends at the ledger's head.
burst "$ENDPOINT" h1 d 20 1 0 5000 >"$WORK/b4" || fail "writes before the stop: $(tail -n 2 "$WORK/b4")"
HEAD=$(head_of)
stop_daemon
stream_dump t_default >"$WORK/stream" || fail "the stream does not check after the stop"
check_eq "a clean stop leaves nothing unpublished" "$HEAD" "$(tail -n 1 "$WORK/stream" | cut -d' ' -f1)"

# --- a promotion beside a primary that still runs (a network split) ------
# The stream fences whichever of the two appends second: the expected last
# sequence of the old primary's next entry no longer holds.
start_daemon "$WORK/p" --config "$WORK/p.conf"
P_PID=$PID P_EP=$ENDPOINT P_LOG=$DAEMON_LOG
PRIMARY=$P_EP # for lib.sh's on
mkdir -m 700 "$WORK/r"
cp -p "$WORK/p/jifend.key" "$WORK/p/jifend.pub" "$WORK/p/checkpoint.key" \
    "$WORK/p/checkpoint.pub" "$WORK/r/"
nats_conf "$WORK/r.conf" local "nats_name = replica-r"
start_daemon "$WORK/r" --config "$WORK/r.conf" --nats-replica
R_EP=$ENDPOINT
for ((i = 0; i < 60; i++)); do
    [ "$(ON_TIMEOUT=1000 entries_of "$R_EP")" = "$HEAD" ] && break
    sleep 0.2
done
check_eq "a replica of the streams caught up with the primary" "$HEAD" "$(entries_of "$R_EP")"
stop_daemon
start_daemon "$WORK/r" --config "$WORK/r.conf" --promote
N_EP=$ENDPOINT N_PID=$PID
grep -q "PROMOTED" "$DAEMON_LOG" && pass "the replica is promoted while the old primary runs" ||
    fail "no PROMOTED line in the promoted replica's log"
run burst "$N_EP" h0 n 3 1 0 5000
check_rc "the new primary takes writes" 0
# The old primary commits its next write (local durability answers after
# the LMDB commit: that entry is a fork, on its disk only), and its
# publish is refused by the stream: it is fenced.
run burst "$P_EP" h0 o 1 1 0 5000
for ((i = 0; i < 200; i++)); do
    grep -q "FENCED" "$P_LOG" && break
    sleep 0.1
done
grep -q "FENCED" "$P_LOG" && pass "the old primary's publish was refused: its log says FENCED" ||
    fail "the old primary was not fenced by the stream"
run burst "$P_EP" h0 o 1 1 0 5000 1
check_contains "then the old primary refuses writes as fenced" "refused o-1 fenced" "$OUT"
run burst "$N_EP" h0 n 2 1 0 5000 3
check_rc "the new primary still takes writes" 0
N_HEAD=$(ON_TIMEOUT=3000 entries_of "$N_EP")
for ((i = 0; i < 100; i++)); do
    stream_dump t_default >"$WORK/stream" 2>/dev/null || true
    [ "$(tail -n 1 "$WORK/stream" | cut -d' ' -f1)" = "$N_HEAD" ] && break
    sleep 0.2
done
check_eq "the stream ends at the new primary's head" "$N_HEAD" "$(tail -n 1 "$WORK/stream" | cut -d' ' -f1)"
check_eq "and holds its writes, none of the old primary's" "n-0 n-1 n-2 n-3 n-4" \
    "$(awk '$3 ~ /^[no]-/ {print $3}' "$WORK/stream" | tr '\n' ' ' | sed 's/ $//')"
stop_daemon
kill -TERM "$P_PID" 2>/dev/null || true
wait "$P_PID" 2>/dev/null || true

# A stream of fewer replicas than configured (made by a jifend with
# nats_replicas = 1) is not published to, and the log says how to raise it.
nats_conf "$WORK/u1.conf" local "nats_prefix = u" "nats_replicas = 1"
start_daemon "$WORK/u" --config "$WORK/u1.conf"
burst "$ENDPOINT" h0 u 1 1 0 5000 >/dev/null 2>&1 || true
stop_daemon
nats_conf "$WORK/u3.conf" local "nats_prefix = u"
start_daemon "$WORK/u" --config "$WORK/u3.conf"
for ((i = 0; i < 100; i++)); do
    grep -q "fewer than the 3 of nats_replicas" "$DAEMON_LOG" && break
    sleep 0.1
done
check_contains "a stream of one replica is refused when three are configured" \
    "stream u_default has 1 replica(s), fewer than the 3 of nats_replicas" "$(cat "$DAEMON_LOG")"
stop_daemon

# No NATS configured: nothing is published (and nothing else changes:
# the rest of the suite runs that way).
start_daemon "$WORK/q"
jf household add h9 >/dev/null || fail "a service without NATS serves"
grep -q "NATS" "$DAEMON_LOG" && fail "a jifend without nats_servers talks of NATS" ||
    pass "without nats_servers jifend does not touch NATS"
finish
