# nats_lib.sh - a three-node NATS JetStream cluster for the replication
# tests (sourced after lib.sh, not run).
#
# start_cluster starts three real nats-server processes on loopback, on
# free ports, with file storage in $WORK/nats/nI; NATS_URLS is then the
# comma-separated list jifend's nats_servers takes. Every node is killed on
# exit (lib.sh's trap kills the daemons; this one adds the nodes). A
# machine without nats-server skips the test (exit 77) and says so.
# STREAM_TOOL is the example consumer (examples/stream_bridge.c), which the
# tests use to read the streams as a bridge would.

if ! command -v nats-server >/dev/null; then
    echo "SKIP: nats-server is not installed (apt-get install nats-server): the NATS replication tests need a real cluster"
    trap - EXIT
    rm -rf "$WORK"
    exit 77
fi
: "${STREAM_TOOL:?STREAM_TOOL must name the example stream consumer}"

NATS_PORTS=()
NATS_ROUTES=()
NATS_PIDS=(0 0 0)
NATS_URLS=""

_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

_nats_cleanup() {
    local p
    for p in "${NATS_PIDS[@]}"; do
        [ "$p" != 0 ] && kill -KILL "$p" 2>/dev/null
    done
    return 0
}

# node_start I: starts node I (0-2) with its configuration (made once).
node_start() {
    local i=$1 d="$WORK/nats"
    if [ ! -e "$d/n$i.conf" ]; then
        cat >"$d/n$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:${NATS_PORTS[$i]}
jetstream { store_dir: "$d/n$i" }
cluster {
  name: jifen-test
  listen: 127.0.0.1:${NATS_ROUTES[$i]}
  routes: [nats-route://127.0.0.1:${NATS_ROUTES[0]}, nats-route://127.0.0.1:${NATS_ROUTES[1]}, nats-route://127.0.0.1:${NATS_ROUTES[2]}]
}
EOF
    fi
    nats-server -c "$d/n$i.conf" >>"$d/n$i.log" 2>&1 &
    NATS_PIDS[$i]=$!
    DAEMON_PIDS+=("$!") # lib.sh's trap kills it on any exit
}

# node_kill I [SIGNAL]: stops node I (KILL by default) and waits for it.
node_kill() {
    local i=$1 sig=${2:-KILL}
    [ "${NATS_PIDS[$i]}" != 0 ] || return 0
    kill -"$sig" "${NATS_PIDS[$i]}" 2>/dev/null || true
    wait "${NATS_PIDS[$i]}" 2>/dev/null || true
    NATS_PIDS[$i]=0
}

# start_cluster: three nodes, and waits (at most 30 s) until JetStream has
# a meta leader (a stream can be made).
start_cluster() {
    mkdir -p "$WORK/nats"
    local i
    for i in 0 1 2; do
        NATS_PORTS+=("$(_free_port)")
        NATS_ROUTES+=("$(_free_port)")
    done
    NATS_URLS="nats://127.0.0.1:${NATS_PORTS[0]},nats://127.0.0.1:${NATS_PORTS[1]},nats://127.0.0.1:${NATS_PORTS[2]}"
    for i in 0 1 2; do node_start "$i"; done
    wait_cluster || die "the NATS cluster did not elect a JetStream leader in 30 s"
}

# wait_cluster: until the cluster answers JetStream requests (30 s).
wait_cluster() {
    local i
    for ((i = 0; i < 300; i++)); do
        timeout 5 "$STREAM_TOOL" --servers "$NATS_URLS" --ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# stream_dump STREAM: the stream's messages, one line each:
# "SEQ ENTRY HASH REQUEST_ID" (the tool checks the chain as it reads). At
# most 60 s: a cluster electing a leader again must not hang the test (the
# callers retry).
stream_dump() {
    timeout 60 "$STREAM_TOOL" --servers "$NATS_URLS" --dump "$1"
}

# nats_conf FILE DURABILITY [MORE LINES]: a jifend configuration for the
# cluster.
nats_conf() {
    local f=$1 d=$2
    shift 2
    {
        echo "nats_servers = $NATS_URLS"
        echo "nats_durability = $d"
        echo "nats_prefix = t"
        echo "nats_ack_timeout_ms = ${NATS_ACK_MS:-5000}"
        local l
        for l in "$@"; do echo "$l"; done
    } >"$f"
}
