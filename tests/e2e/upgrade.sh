#!/usr/bin/env bash
# upgrade.sh - a ledger written by a jifend without the Merkle tree (the
# fixture tests/fixtures/ledger-b928220, made by main at b928220) opened by
# this one: the tree is built at open and is the
# journal's (offline verify recomputes it, the Python checker too), the old
# jifen-cp1 line still verifies, it names no root so proofs need a signed
# tree head, and once one is signed the old entries have proofs.
source "$(dirname "$0")/lib.sh"
CHECKER="$JIFEN_SOURCE_DIR/tools/verify_export.py"
FIXTURE="$JIFEN_SOURCE_DIR/tests/fixtures/ledger-b928220"
DATA="$WORK/data"
mkdir -m 700 "$DATA"
cp "$FIXTURE"/{data.mdb,jifend.key,jifend.pub,checkpoint.key,checkpoint.pub} "$DATA/"
mkdir -m 700 "$KEYS"
cp "$FIXTURE"/keys/* "$KEYS/"
chmod 600 "$DATA"/*.key "$DATA/data.mdb" "$KEYS"/*.key # git keeps no modes
CP1=$(cat "$FIXTURE/cp1.txt")
printf 'checkpoint_entries = 5\n' >"$WORK/jifend.conf"

run "$JIFEND" --verify "$DATA"
check_rc "the old ledger verifies as it is (no tree yet: nothing to compare)" 0
start_daemon "$DATA" --config "$WORK/jifend.conf"
# A format-2 ledger is migrated by a rebuild through the apply path, which
# builds the tree as it goes (a format-3 ledger without one gets it by
# merkle_store_catch_up instead: test_merkle).
check_contains "migrated at open" "rebuilding its derived state" "$(cat "$DAEMON_LOG")"
run "$JIFEND" --verify "$DATA"
check_rc "offline verify recomputes the tree and finds it the journal's" 0
run jf verify --checkpoint "$CP1" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "the old jifen-cp1 line still verifies" 0
run jf proof 7 --checkpoint "$CP1"
check_rc "a cp1 line names no root: no proof against it" 2
check_contains "said so" "no Merkle root" "$ERR"
run jf proof 7
check_rc "no signed tree head yet" 1
check_contains "said so" "no_tree_head" "$ERR"
for i in 1 2 3 4; do run jf award 3-2-502 meeting; done
run jf checkpoint
STH="$OUT"
check_match "the next checkpoint is a signed tree head" '^jifen-sth1 20 ' "$STH"
run jf proof 7 --checkpoint-key "$DATA/checkpoint.pub"
check_rc "an old entry has a proof now" 0
check_contains "and it is the old entry" "stairs 1" "$OUT"
run jf report statement 3-2-501 --proof --period 2026-12 --checkpoint-key "$DATA/checkpoint.pub"
check_rc "the old household's statement with proofs" 0
check_contains "of its old entries" "stairs 7" "$OUT"
stop_daemon
run "$JIFEND" --export "$DATA" --to "$WORK/export.jsonl"
run python3 "$CHECKER" "$WORK/export.jsonl" --checkpoint "$STH" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "the Python checker recomputes the root the head signed" 0
run python3 "$CHECKER" "$WORK/export.jsonl" --checkpoint "$CP1" --checkpoint-key "$DATA/checkpoint.pub"
check_rc "and accepts the old line too" 0
finish
