#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts jifend on its
# embedded default (ledger in ./jifen-data, endpoint tcp://127.0.0.1:7400,
# default policy) and runs a short session against it with the jifen CLI.
# The request ids are fixed, so running it again changes nothing: the ledger
# answers "exists" for each write it has already applied.
set -euo pipefail
. "$(dirname "$0")/scripts/bootstrap.sh"
install_packages
build build

cd "$JIFEN_ROOT"
JIFEND=build/daemon/jifend
JIFEN=build/client/jifen
started=""

if $JIFEN balance demo-probe >/dev/null 2>&1 || [ $? -ne 3 ]; then
  echo "== jifend already answers on the default endpoint; using it"
else
  echo "== starting jifend (ledger ./jifen-data, endpoint tcp://127.0.0.1:7400)"
  # Detached from this terminal's pipes so the demo can end while it runs.
  $JIFEND </dev/null >>jifend.log 2>&1 &
  started=$!
  for _ in $(seq 50); do
    grep -q " serving " jifend.log 2>/dev/null && break
    sleep 0.1
  done
  kill -0 "$started" 2>/dev/null || { cat jifend.log; exit 1; }
fi

run() {
  echo
  printf '$ jifen'; printf ' %q' "$@"; echo
  $JIFEN "$@" || echo "(exit $?)"
}

run household add 3-2-501 --name "Zhang Wei" --area 85.5 --request-id demo-1
run award 3-2-501 meeting --note "Deliberation meeting on the bike shed" --request-id demo-2
run award 3-2-501 volunteer --hours 2 --note "Stairwell cleaning" --request-id demo-3
run bill 3-2-501 128.25 --period 2026-11 --request-id demo-4
run redeem 3-2-501 3 --request-id demo-5
run balance 3-2-501
run history 3-2-501
run verify
run --json balance 3-2-501

echo
if [ -n "$started" ]; then
  echo "== jifend keeps running (pid $started, log ./jifend.log). Try:"
  echo "   $JIFEN help"
  echo "   stop it with: kill $started"
fi
