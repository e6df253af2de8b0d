#!/usr/bin/env bash
# Installs what jifen needs to build and test (Debian 12 packages) when it is
# missing, then configures and builds into ${BUILD_DIR:-build}.
# Sourced or run by demo.sh, test.sh and .ci/run.
set -euo pipefail

JIFEN_PACKAGES=(
  build-essential cmake pkg-config
  liblmdb-dev lmdb-utils libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
  protobuf-compiler libsodium-dev nettle-dev libcmocka-dev jq
  libjansson-dev libsystemd-dev libqrencode-dev libpng-dev
  python3-zmq python3-protobuf
  libmicrohttpd-dev libxlsxwriter-dev curl
  chromium chromium-driver python3-selenium fonts-noto-cjk
  python3-openpyxl
)

missing_packages() {
  local p
  for p in "${JIFEN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
      printf '%s\n' "$p"
  done
}

install_packages() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  echo "bootstrap: installing: $(echo $missing)" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}

build() {
  local dir=${1:-build}; shift || true
  cmake -S "$JIFEN_ROOT" -B "$JIFEN_ROOT/$dir" -DJIFEN_WERROR=ON "$@" >/dev/null
  cmake --build "$JIFEN_ROOT/$dir" -j"$(nproc)"
}

JIFEN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  install_packages
  build "${BUILD_DIR:-build}"
fi
