#!/usr/bin/env bash
# files.sh - the files jifend writes besides the live ledger, under the
# common umask 022: a backup's data.mdb and an export are private (0600)
# like the ledger; neither is ever written over an existing file or
# through a symlink; a checkpoint.key that group or others may read stops
# jifend as a readable jifend.key does.
source "$(dirname "$0")/lib.sh"
umask 022

DATA="$WORK/data"
start_daemon "$DATA"
json_ok "add a household" household add 3-2-501 --name 张三 || die add
json_ok "a note with a name in it" award 3-2-501 meeting --note "张三 came"

# --- backups and exports are private -------------------------------------------
run "$JIFEND" --backup "$DATA" --to "$WORK/backup"
check_rc "backup" 0
check_eq "the backup directory: mode" 700 "$(stat -c %a "$WORK/backup")"
check_eq "the backup's data.mdb: mode (the live one is 600)" 600 "$(stat -c %a "$WORK/backup/data.mdb")"
run "$JIFEND" --export "$DATA" --to "$WORK/ledger.jsonl"
check_rc "export" 0
check_eq "the export: mode (it holds names and notes)" 600 "$(stat -c %a "$WORK/ledger.jsonl")"

# --- never over a file, never through a symlink ---------------------------------
sum=$(sha256sum <"$WORK/ledger.jsonl")
json_ok "one more entry" award 3-2-501 meeting
run "$JIFEND" --export "$DATA" --to "$WORK/ledger.jsonl"
check_rc "export over an existing file: refused" 1
check_contains "... and says so" "never overwritten" "$ERR"
check_eq "... the file is untouched" "$sum" "$(sha256sum <"$WORK/ledger.jsonl")"
echo "precious" >"$WORK/victim"
chmod 644 "$WORK/victim"
ln -s "$WORK/victim" "$WORK/link.jsonl"
run "$JIFEND" --export "$DATA" --to "$WORK/link.jsonl"
check_rc "export to a symlink: refused" 1
check_eq "... the file it points to is untouched" precious "$(cat "$WORK/victim")"
ln -s "$WORK/victim" "$WORK/link-backup"
run "$JIFEND" --backup "$DATA" --to "$WORK/link-backup"
check_rc "backup to a symlink: refused" 1
check_eq "... the file it points to is untouched" precious "$(cat "$WORK/victim")"
run "$JIFEND" --export "$DATA" --to -
check_rc "export to stdout still works" 0
check_contains "... with the entries" '"seq":1,' "$OUT"
stop_daemon

# --- a readable signing key is refused like a readable server key ---------------
chmod 640 "$DATA/checkpoint.key"
run timeout 20 "$JIFEND" --data "$DATA" --listen 'tcp://127.0.0.1:*'
check_rc "jifend with a group-readable checkpoint.key: refused" 1
check_contains "... the reason" "checkpoint.key" "$ERR"
check_contains "... and the fix" "chmod 600" "$ERR"
chmod 600 "$DATA/checkpoint.key"
start_daemon "$DATA"
pass "with checkpoint.key at 0600 it serves again"
stop_daemon
finish
