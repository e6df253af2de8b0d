#!/usr/bin/env bash
# web_bench.sh - jifen-web under desk load (./bench.sh --web runs it; see
# docs/performance.md, "The web console"): a fresh jifend and jifen-web on
# loopback, H households, U desk users (terminal role, a key each), and
# bench/web_load driving U concurrent signed-in users through search,
# household, request id, pay, slip and the desk page for S seconds.
#
#   bench/web_bench.sh BUILD_DIR [--users U] [--households H] [--seconds S]
#                      [--threads T] [--out FILE]
set -euo pipefail
BUILD=$(cd "${1:?build directory}" && pwd)
shift
USERS=50 HOUSEHOLDS=1000 SECONDS_=20 THREADS=8 OUT=""
while [ $# -gt 0 ]; do
    case $1 in
    --users) USERS=$2; shift 2 ;;
    --households) HOUSEHOLDS=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "web_bench.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
JIFEND=$BUILD/daemon/jifend JIFEN=$BUILD/client/jifen WEB=$BUILD/web/jifen-web
LOAD=$BUILD/bench/web_load
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jifen-web-bench.XXXXXX")
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"$JIFEN" keygen --out "$WORK/admin" >/dev/null
"$JIFEN" keygen --out "$WORK/committee" >/dev/null
"$JIFEND" --data "$WORK/data" --enrol-admin "$WORK/admin.pub" --label bench-admin >/dev/null 2>&1
"$JIFEND" --data "$WORK/data" --listen 'tcp://127.0.0.1:*' 2>"$WORK/jifend.log" &
PIDS+=($!)
EP=""
for _ in $(seq 100); do
    EP=$(sed -n 's/.* serving \(tcp:[^ ]*\).*/\1/p' "$WORK/jifend.log" | head -n 1)
    [ -n "$EP" ] && break
    sleep 0.1
done
[ -n "$EP" ] || { cat "$WORK/jifend.log"; exit 1; }
SK=$WORK/data/jifend.pub
jf() { "$JIFEN" --server "$EP" --server-key "$SK" --key "$WORK/$1.key" "${@:2}"; }
jf admin key enrol "$WORK/committee.pub" committee --label bench-committee >/dev/null
echo "web bench: $HOUSEHOLDS households, $USERS desk users, $SECONDS_ s, jifen-web threads $THREADS" >&2
seq -f 'h%05g' 1 "$HOUSEHOLDS" | xargs -P 4 -I{} \
    "$JIFEN" --server "$EP" --server-key "$SK" --key "$WORK/committee.key" \
    household add {} --name "Resident {}" --request-id "bench-add-{}" >/dev/null
web() { "$WEB" --data "$WORK/web" --server "$EP" --server-key "$SK" "$@"; }
web init --admin-key "$WORK/admin.key" >/dev/null
seq 1 "$USERS" | xargs -P 2 -I{} sh -c \
    'echo load-password-1 | "$0" --data "$1/web" --server "$2" --server-key "$3" user add load{} --role terminal --password-stdin --admin-key "$1/admin.key" >/dev/null' \
    "$WEB" "$WORK" "$EP" "$SK"
"$WEB" --data "$WORK/web" --server "$EP" --server-key "$SK" --listen 127.0.0.1:0 \
    --threads "$THREADS" 2>"$WORK/web.log" &
WPID=$!
PIDS+=($WPID)
PORT=""
for _ in $(seq 100); do
    PORT=$(sed -n 's/.* serving http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/web.log" | head -n 1)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { cat "$WORK/web.log"; exit 1; }
result=$("$LOAD" --port "$PORT" --users "$USERS" --households "$HOUSEHOLDS" \
    --seconds "$SECONDS_" --pid "$WPID")
echo "$result"
[ -z "$OUT" ] || echo "$result" >"$OUT"
# Every payment the load made is in the ledger, once, and the chain holds.
jf admin verify >&2
