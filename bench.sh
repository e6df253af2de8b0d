#!/usr/bin/env bash
# bench.sh - jifen's benchmark in one command (see docs/performance.md).
#
#   ./bench.sh [--households N] [--clients C] [--batch B] [--seconds S]
#              [--no-postgres] [--no-mariadb] [--smoke] --out results.json
#   ./bench.sh --web [--users U] [--households H] [--seconds S] [--out FILE]
#   ./bench.sh --communities [N] [--households H] [--clients C] [--seconds S]
#              [--smoke] [--out FILE]
#   ./bench.sh --desk [--households N] [--out FILE]
#
# --desk runs the property desk's scenario instead (bench/desk_bench.sh): a
# billing run of N households through the CLI and the month's reports.
#
# --web runs the web console's scenario instead (bench/web_bench.sh): U
# concurrent signed-in desk users against a real jifen-web and jifend.
# --communities runs one service of N communities (default 1,000) of H
# households each (default 500) instead (bench/bench_communities.c): its
# start-up, memory, descriptors and disk, the award storm spread over the
# communities and in one, two communities written at once against one,
# and the roll-up; no PostgreSQL or MariaDB.
#
# Installs what is missing (the build packages, PostgreSQL 15 and libpq,
# MariaDB and libmariadb), builds a Release tree in build-bench/, starts a
# throwaway PostgreSQL cluster (synchronous_commit=on, fsync on) and a
# throwaway MariaDB server (InnoDB, innodb_flush_log_at_trx_commit=1, the
# binary log on with sync_binlog=1): each on loopback with its own data
# directory, socket and port in a temporary directory, never the system
# service; both are the same durability as jifen. Runs build-bench's
# jifen_bench against a fresh jifend, raw LMDB and the two servers, and
# removes the servers on any exit, also when interrupted. Every other
# option goes to jifen_bench as it is.
set -euo pipefail
. "$(dirname "$0")/scripts/bootstrap.sh"

if [ "${1:-}" = "--desk" ]; then
    shift
    install_packages
    cmake -S "$JIFEN_ROOT" -B "$JIFEN_ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release \
        -DJIFEN_TESTS=OFF >/dev/null
    cmake --build "$JIFEN_ROOT/build-bench" -j"$(nproc)" \
        --target jifend jifen_cli jifen_bench households >/dev/null
    exec "$JIFEN_ROOT/bench/desk_bench.sh" "$JIFEN_ROOT/build-bench" "$@"
fi

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

if [ "${1:-}" = "--communities" ]; then
    shift
    n=1000
    case "${1:-}" in [0-9]*) n=$1; shift ;; esac
    install_packages
    cmake -S "$JIFEN_ROOT" -B "$JIFEN_ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release \
        -DJIFEN_TESTS=OFF >/dev/null
    cmake --build "$JIFEN_ROOT/build-bench" -j"$(nproc)" --target jifen_bench jifend >/dev/null
    RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jifen-bench-run.XXXXXX")
    [ -n "${JIFEN_BENCH_KEEP:-}" ] || trap 'rm -rf "$RUN_DIR"' EXIT
    echo "machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    # In the foreground: jifen_bench kills its jifend on INT, TERM or HUP.
    rc=0
    TMPDIR="$RUN_DIR" "$JIFEN_ROOT/build-bench/bench/jifen_bench" \
        --jifend "$JIFEN_ROOT/build-bench/daemon/jifend" --communities "$n" \
        "$@" </dev/null || rc=$?
    exit "$rc"
fi

use_pg=1
use_my=1
args=()
for a in "$@"; do
    case "$a" in
    --no-postgres) use_pg=0 ;;
    --no-mariadb) use_my=0 ;;
    --smoke) use_pg=0; use_my=0; args+=("$a") ;;
    *) args+=("$a") ;;
    esac
done

JIFEN_PACKAGES+=(libpq-dev libmariadb-dev)
[ "$use_pg" = 1 ] && JIFEN_PACKAGES+=(postgresql-15)
[ "$use_my" = 1 ] && JIFEN_PACKAGES+=(mariadb-server)
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

MY_DIR=""
# mariadbd refuses to run as root unless told to: as root it runs as the
# mysql user the Debian package creates.
my_user=$(id -un)
[ "$(id -u)" -eq 0 ] && my_user=mysql
stop_my() {
    [ -n "$MY_DIR" ] || return 0
    local pid
    pid=$(cat "$MY_DIR/mariadbd.pid" 2>/dev/null || true)
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$MY_DIR"
    MY_DIR=""
}
BENCH_PID=""
# jifen_bench's own temporary directories (jifend's ledgers), removed with
# it even when it was killed.
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jifen-bench-run.XXXXXX")
cleanup() {
    if [ -n "$BENCH_PID" ]; then
        kill "$BENCH_PID" 2>/dev/null || true
        wait "$BENCH_PID" 2>/dev/null || true
    fi
    stop_pg
    stop_my
    [ -n "${JIFEN_BENCH_KEEP:-}" ] || rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

start_my() {
    MY_DIR=$(mktemp -d "${TMPDIR:-/tmp}/jifen-bench-mariadb.XXXXXX")
    [ "$(id -u)" -eq 0 ] && chown mysql "$MY_DIR"
    mariadb-install-db --no-defaults --user="$my_user" --datadir="$MY_DIR/data" \
        --auth-root-authentication-method=normal --skip-test-db \
        >"$MY_DIR/install.log" 2>&1 || {
        echo "bench.sh: mariadb-install-db failed; see $MY_DIR/install.log" >&2
        exit 1
    }
    local port
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 20000))
        # Its own session, so that a ^C reaches it only through cleanup.
        setsid mariadbd --no-defaults --user="$my_user" \
            --datadir="$MY_DIR/data" --socket="$MY_DIR/sock" \
            --pid-file="$MY_DIR/mariadbd.pid" --log-error="$MY_DIR/error.log" \
            --bind-address=127.0.0.1 --port="$port" --skip-name-resolve \
            --innodb-flush-log-at-trx-commit=1 \
            --log-bin="$MY_DIR/data/binlog" --server-id=1 --sync-binlog=1 \
            --max-connections=200 </dev/null >/dev/null 2>&1 &
        for _ in $(seq 1 150); do
            if mariadb --no-defaults --socket="$MY_DIR/sock" -uroot \
                -e 'SELECT 1' >/dev/null 2>&1; then
                mariadb --no-defaults --socket="$MY_DIR/sock" -uroot -e \
                    "CREATE USER bench@'127.0.0.1';
                     GRANT ALL ON *.* TO bench@'127.0.0.1';
                     CREATE DATABASE bench;"
                MY_SPEC="host=127.0.0.1 port=$port user=bench dbname=bench"
                return 0
            fi
            kill -0 "$!" 2>/dev/null || break # gone: the port was taken
            sleep 0.2
        done
    done
    echo "bench.sh: MariaDB did not start; see $MY_DIR/error.log" >&2
    exit 1
}

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
if [ "$use_my" = 1 ]; then
    if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null
    then
        start_my
        pg_args+=(--mysql "$MY_SPEC")
    else
        echo "bench.sh: MariaDB is not installed (mariadb-server); its" \
            "figures are '-'" >&2
    fi
fi
echo "machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# In the background and waited for, so that a TERM or HUP to this script
# is handled at once (bash runs traps only between foreground commands).
TMPDIR="$RUN_DIR" "$JIFEN_ROOT/build-bench/bench/jifen_bench" \
    --jifend "$JIFEN_ROOT/build-bench/daemon/jifend" "${pg_args[@]}" \
    "${args[@]}" </dev/null &
BENCH_PID=$!
rc=0
wait "$BENCH_PID" || rc=$?
BENCH_PID=""
exit "$rc"
