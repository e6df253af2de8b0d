#!/usr/bin/env bash
# Runs jifen's test suite: installs what is missing, builds, runs ctest.
# Unit tests use real LMDB environments in temporary directories; end-to-end
# tests start the real jifend and drive it with the real jifen CLI.
set -euo pipefail
. "$(dirname "$0")/scripts/bootstrap.sh"
install_packages
build "${BUILD_DIR:-build}"
ctest --test-dir "$JIFEN_ROOT/${BUILD_DIR:-build}" --output-on-failure -j2 "$@"
