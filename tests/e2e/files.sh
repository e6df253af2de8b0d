#!/usr/bin/env bash
# files.sh - the files jifend writes besides the live ledger, under the
# common umask 022: a backup's data.mdb and an export are private (0600)
# like the ledger; neither is ever written over an existing file or
# through a symlink; a checkpoint.key that group or others may read stops
# jifend as a readable jifend.key does. A data.mdb cut short (an
# interrupted copy, a full disk) is refused with a message by jifend,
# --verify and --export, where LMDB alone dies of SIGBUS; a backup killed
# mid-copy leaves nothing named like the backup.
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
check_eq "the backup's data.mdb: mode (the live one is 600)" 600 "$(stat -c %a "$WORK/backup/communities/default/data.mdb")"
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
for i in $(seq 1 40); do
    jf award 3-2-501 volunteer --hours 1 --note "$(printf 'stairwell %.0s' $(seq 1 18))" >/dev/null ||
        die "award $i"
done
stop_daemon

# --- a backup killed mid-copy -------------------------------------------------
# RLIMIT_FSIZE kills the copy with SIGXFSZ after 16 KiB, as a full disk or
# kill -9 would stop it half-way.
run bash -c 'ulimit -f 16; exec "$0" --backup "$1" --to "$2"' "$JIFEND" "$DATA" "$WORK/killed"
check_eq "the backup was killed mid-copy (SIGXFSZ)" 153 "$RC"
if [ -e "$WORK/killed" ]; then
    fail "a backup killed mid-copy left $WORK/killed, which looks like a backup"
else
    pass "a backup killed mid-copy leaves no $WORK/killed"
fi
left=$(ls -d "$WORK"/killed.incomplete-* 2>/dev/null | head -n 1 || true)
check_match "what it left is named incomplete" 'killed\.incomplete-[0-9]+$' "$left"
run "$JIFEND" --backup "$DATA" --to "$WORK/killed"
check_rc "the backup again, to the same name" 0
run "$JIFEND" --verify "$WORK/killed"
check_rc "... verifies" 0

# --- a data.mdb cut short -------------------------------------------------------
cp -a "$DATA" "$WORK/cut"
size=$(stat -c %s "$WORK/cut/communities/default/data.mdb")
truncate -s $((size / 2)) "$WORK/cut/communities/default/data.mdb"
for tool in verify export; do
    if [ "$tool" = export ]; then
        run "$JIFEND" --export "$WORK/cut" --to -
    else
        run "$JIFEND" --verify "$WORK/cut"
    fi
    check_rc "--$tool of a truncated data.mdb: refused, not killed by SIGBUS" 1
    check_contains "... says what is wrong" "data.mdb is cut short" "$ERR"
    check_contains "... and what to do" "Restore the latest backup that verifies" "$ERR"
done
run timeout 20 "$JIFEND" --data "$WORK/cut" --listen 'tcp://127.0.0.1:*'
check_rc "jifend on a truncated data.mdb: refused at start" 1
check_contains "... says what is wrong" "data.mdb is cut short" "$ERR"
check_eq "... and leaves the file as it was" $((size / 2)) "$(stat -c %s "$WORK/cut/communities/default/data.mdb")"
: >"$WORK/cut/communities/default/data.mdb"
run timeout 20 "$JIFEND" --data "$WORK/cut" --listen 'tcp://127.0.0.1:*'
check_rc "jifend on an empty data.mdb: refused, not started afresh" 1
check_contains "... says so" "is empty" "$ERR"
run "$JIFEND" --verify "$left"
check_rc "--verify of what the killed backup left: refused" 1
finish
