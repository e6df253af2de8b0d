#!/usr/bin/env bash
# install.sh - installs jifend as a systemd service. Idempotent: running it
# again updates the binaries and the unit, and never overwrites an edited
# /etc/jifen/jifend.conf or the ledger.
#
#   deploy/install.sh [--prefix /usr/local] [--build DIR] [--dry-run]
#                     [--no-systemd]
#
# --build DIR   where jifend and jifen were built (default: ./build)
# --dry-run     print what would be done, change nothing
# --no-systemd  skip the user, the unit and systemctl (packaging, containers)
set -euo pipefail

PREFIX=/usr/local
BUILD=build
DRY=0
SYSTEMD=1
SRC=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --no-systemd) SYSTEMD=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
DESTDIR=${DESTDIR:-}
ETC=$DESTDIR/etc/jifen
UNIT_DIR=$DESTDIR/etc/systemd/system

# do CMD...: runs it, or only shows it with --dry-run.
do_() {
    echo "+ $*"
    [ "$DRY" = 1 ] || "$@"
}

for bin in "$BUILD/daemon/jifend" "$BUILD/client/jifen"; do
    [ -x "$bin" ] || [ "$DRY" = 1 ] || {
        echo "install.sh: $bin not found; build first (cmake --build $BUILD)" >&2
        exit 1
    }
done

# A staged install (DESTDIR) never touches this machine's users.
if [ "$SYSTEMD" = 1 ] && [ -z "$DESTDIR" ] && ! getent passwd jifen >/dev/null; then
    do_ useradd --system --user-group --home-dir /var/lib/jifen \
        --no-create-home --shell /usr/sbin/nologin jifen
fi

do_ install -d -m 0755 "$DESTDIR$PREFIX/sbin" "$DESTDIR$PREFIX/bin" \
    "$DESTDIR$PREFIX/share/doc/jifen"
do_ install -m 0755 "$BUILD/daemon/jifend" "$DESTDIR$PREFIX/sbin/jifend"
do_ install -m 0755 "$BUILD/client/jifen" "$DESTDIR$PREFIX/bin/jifen"
do_ install -m 0755 "$SRC/tools/verify_export.py" "$DESTDIR$PREFIX/bin/jifen-verify-export"
do_ install -m 0644 "$SRC/docs/operations.md" "$SRC/docs/export-format.md" \
    "$DESTDIR$PREFIX/share/doc/jifen/"

do_ install -d -m 0755 "$ETC"
# An edited configuration is the operator's: install the sample next to it.
if [ -e "$ETC/jifend.conf" ]; then
    do_ install -m 0644 "$SRC/deploy/jifend.conf" "$ETC/jifend.conf.sample"
else
    do_ install -m 0644 "$SRC/deploy/jifend.conf" "$ETC/jifend.conf"
fi
[ -e "$ETC/policy.conf" ] || do_ install -m 0644 "$SRC/deploy/policy.conf" "$ETC/policy.conf"

if [ "$SYSTEMD" = 1 ]; then
    do_ install -d -m 0755 "$UNIT_DIR"
    # The unit names /usr/local; follow --prefix.
    if [ "$DRY" = 1 ]; then
        echo "+ sed s|/usr/local|$PREFIX|g deploy/jifend.service > $UNIT_DIR/jifend.service"
    else
        sed "s|/usr/local|$PREFIX|g" "$SRC/deploy/jifend.service" >"$UNIT_DIR/jifend.service"
        chmod 0644 "$UNIT_DIR/jifend.service"
    fi
    if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        do_ systemctl daemon-reload
        do_ systemctl enable jifend.service
        echo "installed; start with: systemctl start jifend"
    else
        echo "installed; systemd not running here: run 'systemctl daemon-reload && systemctl enable --now jifend' on the target"
    fi
fi
if [ "$DRY" = 0 ] && ! "$DESTDIR$PREFIX/sbin/jifend" --check-config "$ETC/jifend.conf" >/dev/null; then
    echo "install.sh: $ETC/jifend.conf does not check" >&2
    exit 1
fi
