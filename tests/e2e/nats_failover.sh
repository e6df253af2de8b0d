#!/usr/bin/env bash
# nats_failover.sh - replication on NATS JetStream, durability replicated
# (docs/operations.md, "Replication on NATS"), against a real three-node
# nats-server cluster on loopback:
#
#  1. a primary and a replica of its streams; concurrent acknowledged
#     writes; the primary is killed (-9) and its data directory deleted
#     (a copy is kept, as the disk of a machine that comes back later);
#  2. the replica is promoted (jifend --promote); the clients retry what
#     they never heard back about, with the same request ids: every
#     acknowledged write is there exactly once, none twice, and the chain
#     verifies;
#  3. one NATS node (the stream's leader) is killed during writes: the
#     writes go on;
#  4. a second node is stopped: writes are refused with not_replicated;
#     the primary is killed with those entries only on its disk, the nodes
#     come back: every acknowledged write is in the stream; restarted, the
#     primary publishes the rest, and stream and ledger are the same;
#  5. the old primary comes back on its old disk: it is fenced, says why,
#     and appends nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nats_lib.sh"
: "${BURST:?BURST must name the burst test tool}"

# Longer than a stream leader's election (5 s measured on loopback), so
# that writes wait through one rather than fail.
NATS_ACK_MS=15000
start_cluster
pass "three NATS nodes with JetStream: $NATS_URLS"

nats_conf "$WORK/p.conf" replicated "checkpoint_entries = 40"
start_daemon "$WORK/p" --config "$WORK/p.conf"
P_PID=$PID P_EP=$ENDPOINT P_LOG=$DAEMON_LOG
PRIMARY=$P_EP
for h in h0 h1 h2; do jf household add "$h" >/dev/null || die "household add $h"; done

# The replica has the primary's keys: clients keep the server key they
# have, and once promoted it signs checkpoints with the service's key.
mkdir -m 700 "$WORK/r"
cp -p "$WORK/p/jifend.key" "$WORK/p/jifend.pub" "$WORK/p/checkpoint.key" \
    "$WORK/p/checkpoint.pub" "$WORK/r/"
nats_conf "$WORK/r.conf" replicated "nats_name = replica-r" "checkpoint_entries = 40"
start_daemon "$WORK/r" --config "$WORK/r.conf" --nats-replica
R_PID=$PID R_EP=$ENDPOINT
SERVER_KEY=$WORK/r/jifend.pub # the same key, and it stays

# PHASE=NAME writers EP PREFIX N TIMEOUT_MS WHO...: one burst writer per
# household h<WHO> in the background, N awards with ids PREFIX<WHO>-0,
# PREFIX<WHO>-1, ..., each logging to $WORK/NAME.<WHO>.
BURSTS=()
writers() {
    local ep=$1 prefix=$2 n=$3 timeout=$4 k
    shift 4
    for k in "$@"; do
        JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$SERVER_KEY" \
            "$BURST" "$ep" "h$k" "$prefix$k" "$n" 1 0 "$timeout" >"$WORK/$PHASE.$k" 2>&1 &
        BURSTS+=("$!")
    done
}

# caught_up EP WANT: until EP has WANT entries in community default (20 s).
caught_up() {
    local i have=""
    for ((i = 0; i < 200; i++)); do
        have=$(ON_TIMEOUT=1000 entries_of "$1")
        [ "$have" = "$2" ] && return 0
        sleep 0.1
    done
    echo "has '$have' entries, not $2"
    return 1
}
caught_up "$R_EP" "$(entries_of "$P_EP")" && pass "the replica follows the streams" ||
    fail "the replica did not catch up"
run on "$R_EP" award h0 volunteer --hours 1
check_rc "a write to the stream replica is refused" 4
check_contains "as read-only" "read-only replica" "$ERR"

# --- 1. concurrent writes; the primary dies with its disk -----------------------
# acked LOG...: the ids acknowledged in burst logs.
acked() { cat "$@" 2>/dev/null | awk '$1 == "ack" {print $2}' | sort -u; }
tried() { cat "$@" 2>/dev/null | awk '$1 == "try" {print $2}' | sort -u; }
PHASE=b1 writers "$P_EP" w 400 20000 0 1 2
for ((i = 0; i < 300; i++)); do
    [ "$(acked "$WORK"/b1.* | wc -l)" -ge 60 ] && break
    sleep 0.05
done
kill -KILL "$P_PID"
wait "$P_PID" 2>/dev/null || true
cp -a "$WORK/p" "$WORK/p-old-disk"
rm -rf "$WORK/p"
# wait_bursts: the burst writers started since the last wait.
wait_bursts() {
    local j
    for j in "${BURSTS[@]}"; do wait "$j" 2>/dev/null || true; done
    BURSTS=()
}
wait_bursts
N1=$(acked "$WORK"/b1.* | wc -l)
check_le "writes acknowledged before the primary died" 60 "$N1"

# --- 2. promotion ------------------------------------------------------------------
kill -TERM "$R_PID"
wait "$R_PID" 2>/dev/null || true
start_daemon "$WORK/r" --config "$WORK/r.conf" --promote
N_PID=$PID N_EP=$ENDPOINT N_LOG=$DAEMON_LOG
grep -q "PROMOTED" "$N_LOG" && pass "promoted: the log says so" || fail "no PROMOTED line in the log"
# The clients retry every request they never heard back about, on the new
# primary, with its id.
for k in 0 1 2; do
    comm -23 <(tried "$WORK/b1.$k") <(acked "$WORK/b1.$k") | while read -r id; do
        JIFEN_KEY="$(key_of committee)" JIFEN_SERVER_KEY="$SERVER_KEY" \
            "$BURST" "$N_EP" "h$k" "w$k" 1 1 0 20000 "${id#w"$k"-}"
    done >"$WORK/b2.$k" 2>&1
done
retried=$(cat "$WORK"/b2.* | grep -c '^try' || true)
check_eq "every retry was acknowledged" "$retried" "$(acked "$WORK"/b2.* | wc -l)"
# export_ids: request id of every entry of community default, one a line.
export_ids() {
    "$JIFEND" --export "$WORK/r" --community default --to - 2>/dev/null | jq -r '.request_id // "-"'
}
export_ids >"$WORK/ids"
dupes=$(grep -v '^-$' "$WORK/ids" | sort | uniq -d | wc -l)
check_eq "no request applied twice" 0 "$dupes"
missing=0
for id in $(acked "$WORK"/b1.* "$WORK"/b2.*); do
    grep -qxF "$id" "$WORK/ids" || { missing=$((missing + 1)); echo "missing: $id"; }
done
check_eq "every acknowledged write is in the new primary's ledger" 0 "$missing"
check_match "the chain verifies on the new primary" '^true ' "$(verify_state)"

# --- 3. one NATS node killed during writes: they go on -----------------------------
leader_node() { # the node that leads stream t_default, by its log
    local i
    for i in 2 1 0; do
        [ "${NATS_PIDS[$i]}" != 0 ] || continue
        { grep "new stream leader for '\$G > t_default'" "$WORK/nats/n$i.log" || true; } |
            tail -n 1 | sed "s/^/$i /"
    done | sort -k3,4 | tail -n 1 | cut -d' ' -f1
}
L=$(leader_node)
[ -n "$L" ] || L=0
PHASE=b3 writers "$N_EP" x 40 30000 0 1 2
for ((i = 0; i < 200; i++)); do
    [ "$(acked "$WORK"/b3.* | wc -l)" -ge 15 ] && break
    sleep 0.05
done
node_kill "$L"
wait_bursts
check_eq "every write tried with one node down was acknowledged (the stream leader, node $L, was killed)" \
    "$(tried "$WORK"/b3.* | wc -l)" "$(acked "$WORK"/b3.* | wc -l)"

# --- 4. two nodes down: refused, nothing acknowledged that the stream lacks ----------
S=$(((L + 1) % 3))
node_kill "$S" TERM
PHASE=b4 writers "$N_EP" y 1 60000 0 1
wait_bursts
check_eq "with two nodes down every write is refused as not_replicated" \
    "refused y0-0 not_replicated refused y1-0 not_replicated" \
    "$(cat "$WORK"/b4.0 "$WORK"/b4.1 | grep '^refused' | tr '\n' ' ' | sed 's/ $//')"
# The primary dies with the refused entries on its disk only.
kill -KILL "$N_PID"
wait "$N_PID" 2>/dev/null || true
node_start "$L"
node_start "$S"
wait_cluster || die "the cluster did not come back"
for ((i = 0; i < 100; i++)); do stream_dump t_default >"$WORK/stream.1" 2>/dev/null && break; sleep 0.2; done
check_eq "the stream's chain is whole (sequence = entry, previous hashes)" "" "$(grep BROKEN "$WORK/stream.1" || true)"
awk '{print $3}' "$WORK/stream.1" >"$WORK/stream.ids"
missing=0
for id in $(acked "$WORK"/b1.* "$WORK"/b2.* "$WORK"/b3.* "$WORK"/b4.*); do
    grep -qxF "$id" "$WORK/stream.ids" || { missing=$((missing + 1)); echo "not in the stream: $id"; }
done
check_eq "every acknowledged write is in the stream" 0 "$missing"
check_eq "no request twice in the stream" 0 "$(grep -v '^-$' "$WORK/stream.ids" | sort | uniq -d | wc -l)"
# Restarted (as the primary it now is: nats_replica = 0), it publishes
# what the stream lacks.
nats_conf "$WORK/n.conf" replicated "checkpoint_entries = 40"
start_daemon "$WORK/r" --config "$WORK/n.conf"
N_PID=$PID N_EP=$ENDPOINT
HEAD=$("$JIFEND" --export "$WORK/r" --community default --to - | tail -n 1 | jq -r .seq)
for ((i = 0; i < 100; i++)); do
    stream_dump t_default >"$WORK/stream.2" 2>/dev/null
    [ "$(tail -n 1 "$WORK/stream.2" | cut -d' ' -f1)" = "$HEAD" ] && break
    sleep 0.2
done
check_eq "the ledger and the stream are the same, entry for entry" \
    "$("$JIFEND" --export "$WORK/r" --community default --to - | jq -r '"\(.seq) \(.hash) \(.request_id // "-")"')" \
    "$(cat "$WORK/stream.2")"
grep -qE '^[0-9]+ [0-9a-f]+ y0-0$' "$WORK/stream.2" && pass "the refused write reached the stream later" ||
    fail "the refused write y0-0 is not in the stream"

# --- 5. the old primary on its old disk: fenced ----------------------------------------
BEFORE=$(tail -n 1 "$WORK/stream.2" | cut -d' ' -f1)
start_daemon "$WORK/p-old-disk" --config "$WORK/p.conf"
O_EP=$ENDPOINT O_LOG=$DAEMON_LOG
ON_TIMEOUT=30000 run on "$O_EP" award h0 volunteer --hours 1
[ "$RC" -ne 0 ] && pass "the old primary refuses the write (exit $RC)" || fail "the old primary took a write"
check_contains "with the status fenced" "fenced" "$ERR"
check_contains "saying why" "no longer the primary" "$ERR"
grep -q "FENCED" "$O_LOG" && pass "its log says FENCED" || fail "no FENCED in the old primary's log"
stream_dump t_default >"$WORK/stream.3"
check_eq "the old primary appended nothing" "$BEFORE" "$(tail -n 1 "$WORK/stream.3" | cut -d' ' -f1)"
check_eq "the stream is unchanged" "$(cat "$WORK/stream.2")" "$(cat "$WORK/stream.3")"
finish
