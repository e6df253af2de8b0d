#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts jifend on its
# embedded default (ledger in ./jifen-data, endpoint tcp://127.0.0.1:7400,
# default policy) and runs a short session against it with the jifen CLI.
# jifend only answers enrolled CURVE keys, so the demo makes one key per
# role in ./jifen-keys, enrols the admin on the server side (jifend
# --enrol-admin) and the others through the admin, as docs/security.md
# describes. The request ids are fixed, so running it again changes
# nothing: the ledger answers "exists" for each write it has already applied.
# Then it starts the web console (jifen-web) on http://127.0.0.1:8080 with
# one demo user per role, and prints the address and the demo sign-ins.
set -euo pipefail
. "$(dirname "$0")/scripts/bootstrap.sh"
install_packages
build build

cd "$JIFEN_ROOT"
JIFEND=build/daemon/jifend
JIFEN=build/client/jifen
DATA=jifen-data
KEYS=jifen-keys
SERVER_KEY=$DATA/jifend.pub
started=""

# One key pair per role; secret keys stay in a directory only we can read.
mkdir -p -m 700 "$KEYS"
for role in admin committee terminal auditor; do
  [ -f "$KEYS/$role.key" ] || $JIFEN keygen --out "$KEYS/$role" >/dev/null
done
# as ROLE ARGS...: the CLI with that role's key.
as() {
  local role=$1
  shift
  $JIFEN --key "$KEYS/$role.key" --server-key "$SERVER_KEY" "$@"
}

if [ -f "$SERVER_KEY" ] &&
  { as auditor --timeout 1000 --retries 0 balance demo-probe >/dev/null 2>&1 || [ $? -ne 3 ]; }; then
  echo "== jifend already answers on the default endpoint; using it"
else
  # The first admin is enrolled on the server machine, without the network
  # (a second run finds it enrolled already).
  $JIFEND --data "$DATA" --enrol-admin "$KEYS/admin.pub" --label "demo admin" 2>/dev/null ||
    echo "== the demo admin key is enrolled already"
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

# run ROLE ARGS...: shows and runs one CLI command with ROLE's key.
run() {
  local role=$1
  shift
  echo
  printf '$ jifen --key %s --server-key %s' "$KEYS/$role.key" "$SERVER_KEY"
  printf ' %q' "$@"; echo
  as "$role" "$@" || echo "(exit $?)"
}

for role in committee terminal auditor; do
  run admin key enrol "$KEYS/$role.pub" "$role" --label "demo $role" --request-id "demo-key-$role"
done
run admin key list
run committee household add 3-2-501 --name "Zhang Wei" --area 85.5 --request-id demo-1
run committee award 3-2-501 meeting --note "Deliberation meeting on the bike shed" --request-id demo-2
run committee award 3-2-501 volunteer --hours 2 --note "Stairwell cleaning" --request-id demo-3
run terminal bill 3-2-501 128.25 --period 2026-11 --request-id demo-4
run terminal redeem 3-2-501 3 --request-id demo-5
run auditor balance 3-2-501
run auditor history 3-2-501
run auditor verify
run auditor --json balance 3-2-501
echo
echo "== a terminal may not award points (exit 4, nothing changed):"
run terminal award 3-2-501 meeting --request-id demo-6

# --- the web console, next to jifend on loopback ---------------------------
# One demo user per role, each with a CURVE key of its own enrolled on
# jifend under the user's name (so the journal names who did what), and
# jifen-web's own key for the residents' pages. Demo passwords only.
WEB=build/web/jifen-web
WEB_DATA=jifen-web-data
WEB_URL=http://127.0.0.1:8080
DEMO_PASSWORD=jifen-demo-2026
web() { $WEB --data "$WEB_DATA" --server-key "$SERVER_KEY" "$@"; }
echo
echo "== the web console (jifen-web): users in ./$WEB_DATA"
web init --admin-key "$KEYS/admin.key" | sed 's/^/   /'
for u in desk:terminal committee:committee street:auditor; do
  name=${u%%:*}
  if web user list --json | jq -e --arg n "$name" 'any(.[]; .name == $n)' >/dev/null; then
    echo "   user $name is there already"
  else
    echo "$DEMO_PASSWORD" | web user add "$name" --role "${u##*:}" --password-stdin \
      --admin-key "$KEYS/admin.key" | sed 's/^/   /'
  fi
done
web_started=""
if curl -sf -o /dev/null "$WEB_URL/api/i18n"; then
  echo "== jifen-web already answers on $WEB_URL; using it"
else
  # Detached like jifend, so the demo can end while it runs.
  $WEB --data "$WEB_DATA" --server-key "$SERVER_KEY" --listen 127.0.0.1:8080 \
    </dev/null >>jifen-web.log 2>&1 &
  web_started=$!
  for _ in $(seq 50); do
    curl -sf -o /dev/null "$WEB_URL/api/i18n" && break
    sleep 0.1
  done
  kill -0 "$web_started" 2>/dev/null || { tail -n 5 jifen-web.log; exit 1; }
fi

echo
if [ -n "$started" ]; then
  echo "== jifend keeps running (pid $started, log ./jifend.log). Try:"
  echo "   $JIFEN help"
  echo "   $JIFEN --key $KEYS/auditor.key --server-key $SERVER_KEY balance 3-2-501"
  echo "   stop it with: kill $started"
fi
echo "== the web console: $WEB_URL  (log ./jifen-web.log${web_started:+, pid $web_started})"
echo "   sign in as desk (front desk), committee (residents' committee) or"
echo "   street (street office / auditor), password $DEMO_PASSWORD"
echo "   notice board: $WEB_URL/board"
echo "   3-2-501's own statement: $(web --public-url "$WEB_URL" link 3-2-501)"
[ -n "$web_started" ] && echo "   stop it with: kill $web_started"
true
