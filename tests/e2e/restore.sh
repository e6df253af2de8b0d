#!/usr/bin/env bash
# restore.sh - the restore of docs/operations.md (section 4), step by step,
# with a client that existed before: it keeps the jifend.pub it was given,
# and after the restore it is answered, sees its history, writes, and
# verifies the ledger against a checkpoint printed before the loss. The
# backup carries the server's key pair (jifend.key at 0600); the
# checkpoint signing key comes from where it was put aside once.
source "$(dirname "$0")/lib.sh"

DATA="$WORK/var-lib-jifen"
CONF="$WORK/jifend.conf"
printf 'checkpoint_entries = 5\n' >"$CONF"
start_daemon "$DATA" --config "$CONF"
# What the client holds: its own key and the server's public key.
cp "$DATA/jifend.pub" "$WORK/client-server-key.pub"
# Put aside once, as section 4 says (the community's signing key).
mkdir -m 700 "$WORK/safe"
cp -p "$DATA/checkpoint.key" "$DATA/checkpoint.pub" "$WORK/safe/"
json_ok "add a household" household add 3-2-501 --name 张三 || die add
for i in 1 2 3 4 5 6; do
    json_ok "award $i" award 3-2-501 meeting --note "meeting $i" || die award
done
run jf checkpoint
check_rc "a checkpoint to print on the notice board" 0
PRINTED=$OUT
run "$JIFEND" --backup "$DATA" --to "$WORK/backup"
check_rc "backup while serving" 0
check_eq "the backup has the server key, private" 600 "$(stat -c %a "$WORK/backup/jifend.key" 2>/dev/null || echo none)"
check_eq "... the same key" "$(cat "$DATA/jifend.key")" "$(cat "$WORK/backup/jifend.key" 2>/dev/null || true)"
check_eq "... and its public half" "$(cat "$DATA/jifend.pub")" "$(cat "$WORK/backup/jifend.pub" 2>/dev/null || true)"
if [ -e "$WORK/backup/checkpoint.key" ]; then
    fail "the backup holds the checkpoint signing key, which is kept apart"
else
    pass "the checkpoint signing key is not in the backup (kept apart)"
fi
run jf history 3-2-501 --json
BEFORE_HISTORY=$(jget '[.entries[].entry] | join(" ")')
before=$(verify_state)
stop_daemon

# The disk is lost.
rm -rf "$DATA"

# The documented restore.
cp -a "$WORK/backup" "$DATA"
cp -p "$WORK/safe/checkpoint.key" "$WORK/safe/checkpoint.pub" "$DATA/"
chmod 700 "$DATA"
start_daemon "$DATA" --config "$CONF"
check_contains "jifend uses the restored server key" "using the server key" "$(cat "$DAEMON_LOG")"

# The client as it was: its own key, the server key it always had.
SERVER_KEY="$WORK/client-server-key.pub"
check_eq "the existing client is answered: the same ledger" "$before" "$(verify_state)"
run jf history 3-2-501 --json
check_eq "... its history" "$BEFORE_HISTORY" "$(jget '[.entries[].entry] | join(" ")')"
json_ok "... it writes" award 3-2-501 meeting --note "after the restore"
run jf verify --checkpoint "$PRINTED" --checkpoint-key "$WORK/safe/checkpoint.pub"
check_rc "... and the ledger matches the checkpoint printed before the loss" 0
run jf checkpoint
check_rc "checkpoints are still signed with the community's key" 0
run jf verify --checkpoint "$OUT" --checkpoint-key "$WORK/safe/checkpoint.pub"
check_rc "... a new one checks with the old public key" 0
stop_daemon
finish
