#!/usr/bin/env bash
# bench.sh - jifen's benchmark in one command (see docs/performance.md).
#
#   ./bench.sh [--households N] [--clients C] [--batch B] [--seconds S]
#              [--no-postgres] [--smoke] --out results.json
#   ./bench.sh --web [--users U] [--households H] [--seconds S] [--out FILE]
#
# --web runs the web console's scenario instead (bench/web_bench.sh): U
# concurrent signed-in desk users against a real jifen-web and jifend.
#
# Installs what is missing (the build packages, PostgreSQL 15 and libpq),
# builds a Release tree in build-bench/, starts a throwaway PostgreSQL
# cluster on loopback in a temporary directory (synchronous_commit=on,
# fsync on: the same durability as jifen), runs build-bench's jifen_bench
# against a fresh jifend, raw LMDB and that cluster, and removes the
# cluster. Every other option goes to jifen_bench as it is.
set -euo pipefail
. "$(dirname "$0")/scripts/bootstrap.sh"

if [ "${1:-}" = "--web" ]; then
    shift
    install_packages
    cmake -S "$JIFEN_ROOT" -B "$JIFEN_ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release \
        -DJIFEN_TESTS=OFF >/dev/null
    cmake --build "$JIFEN_ROOT/build-bench" -j"$(nproc)" \
        --target jifend jifen_cli jifen_web web_load >/dev/null
    echo "machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
    exec "$JIFEN_ROOT/bench/web_bench.sh" "$JIFEN_ROOT/build-bench" "$@"
fi

use_pg=1
args=()
for a in "$@"; do
    case "$a" in
    --no-postgres) use_pg=0 ;;
    --smoke) use_pg=0; args+=("$a") ;;
    *) args+=("$a") ;;
    esac
done

JIFEN_PACKAGES+=(libpq-dev)
[ "$use_pg" = 1 ] && JIFEN_PACKAGES+=(postgresql-15)
install_packages
cmake -S "$JIFEN_ROOT" -B "$JIFEN_ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release \
    -DJIFEN_TESTS=OFF >/dev/null
cmake --build "$JIFEN_ROOT/build-bench" -j"$(nproc)" --target jifen_bench jifend >/dev/null

PG_DIR=""
PG_BIN=/usr/lib/postgresql/15/bin
# initdb refuses to run as root: the cluster then belongs to the postgres
# user the Debian package creates.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
stop_pg() {
    [ -n "$PG_DIR" ] || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_pg EXIT

start_pg() {
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jifen-bench-pg.XXXXXX")
    [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
    local port
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 20000))
        if as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -o \
            "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR \
             -c synchronous_commit=on -c fsync=on -c max_connections=200" \
            start >/dev/null; then
            PG_CONNINFO="host=127.0.0.1 port=$port user=postgres dbname=postgres"
            return 0
        fi
    done
    echo "bench.sh: PostgreSQL did not start; see $PG_DIR/log" >&2
    exit 1
}

pg_args=()
if [ "$use_pg" = 1 ]; then
    start_pg
    pg_args=(--pg "$PG_CONNINFO")
fi
echo "machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JIFEN_ROOT/build-bench/bench/jifen_bench" \
    --jifend "$JIFEN_ROOT/build-bench/daemon/jifend" "${pg_args[@]}" "${args[@]}"
