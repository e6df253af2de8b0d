#!/usr/bin/env bash
# web_screenshots.sh - pictures of every jifen-web page in Chinese and in
# English, into docs/screenshots/ (or DIR): the browser tests' work
# (tests/e2e/web.sh: a month of one community; tests/e2e/web_communities.sh:
# the community selector, the street office's roll-up, residents' proofs
# verified and tampered) with SCREENSHOTS set, so the pictures show real
# data made through the pages. Needs a build (cmake --build build).
#
#   tools/web_screenshots.sh [DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(cd "$ROOT" && mkdir -p "${1:-docs/screenshots}" && cd "${1:-docs/screenshots}" && pwd)
BUILD=${BUILD:-$ROOT/build}
export JIFEND=$BUILD/daemon/jifend JIFEN=$BUILD/client/jifen \
    JIFEN_WEB=$BUILD/web/jifen-web JIFEN_SOURCE_DIR=$ROOT SCREENSHOTS=$OUT
for t in web web_communities; do
    bash "$ROOT/tests/e2e/$t.sh"
done
ls "$OUT"
