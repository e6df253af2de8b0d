#!/usr/bin/env bash
# proofs.sh - residents check their own entries (docs/proofs.md): signed
# tree heads, inclusion proofs of one entry and of a month's statement,
# consistency proofs between two heads, each checked by the CLI and again
# by the independent Python checker; the QR code of the notice-board line;
# bad input refused; and a history rewritten by an operator who also holds
# the signing key (recomputed chain, tree and signatures) caught from the
# resident's side: the consistency proof against the published head fails,
# and the old statement's rewritten entry fails its inclusion proof.
source "$(dirname "$0")/lib.sh"
: "${TAMPER:?TAMPER must name the tamper test tool}"
CHECKER="$JIFEN_SOURCE_DIR/tools/verify_export.py"
DATA="$WORK/data"
PUB="$DATA/checkpoint.pub"
printf 'checkpoint_entries = 5\n' >"$WORK/jifend.conf"
# This month in Asia/Shanghai (UTC+8, no tzdata needed).
PERIOD=$(date -u -d "@$(($(date +%s) + 8 * 3600))" +%Y-%m)

start_daemon "$DATA" --config "$WORK/jifend.conf"
for h in 3-2-501 3-2-502; do
    run jf household add "$h"
    [ "$RC" -eq 0 ] || die "household add $h: $ERR"
done
for i in 1 2 3 4 5 6; do
    run jf award 3-2-501 volunteer --hours 1 --note "stairs $i"
    [ "$RC" -eq 0 ] || die "award: $ERR"
done
run jf bill 3-2-501 85.50 --period "$PERIOD"
run jf award 3-2-502 meeting
AWARD=$(seqs 3) # the first award of 3-2-501 (entry 3 before the enrolments)

# --- the signed tree head on the notice board ------------------------------
run jf checkpoint
check_rc "the latest signed tree head" 0
check_match "it is a jifen-sth1 line" '^jifen-sth1 [0-9]+ ' "$OUT"
PUBLISHED="$OUT"
SIZE=$(cut -d' ' -f2 <<<"$PUBLISHED")
check_le "of at most 231 characters (the notice board)" "${#PUBLISHED}" 231
run jf checkpoint --qr
check_rc "as a QR code in the terminal" 0
check_contains "the line above the code" "$PUBLISHED" "$OUT"
check_contains "made of half blocks" "▀" "$OUT"
run jf checkpoint --svg "$WORK/sth.svg" --png "$WORK/sth.png"
check_rc "as SVG and PNG files" 0
check_contains "an SVG" "<svg" "$(cat "$WORK/sth.svg")"
check_eq "a PNG" "89504e47" "$(head -c 4 "$WORK/sth.png" | od -An -tx1 | tr -d ' \n')"
run env PUB="$PUB" python3 -c '
import os, sys
sys.path.insert(0, os.environ["JIFEN_SOURCE_DIR"] + "/tools")
import verify_export as ve
ve.check_signature(ve.parse_checkpoint(sys.argv[1]), os.environ["PUB"])
print("signature holds")' "$PUBLISHED"
check_rc "the Python checker accepts the head's signature" 0

# --- one entry -----------------------------------------------------------------
run jf proof "$AWARD" --checkpoint-key "$PUB"
check_rc "proof of entry $AWARD against the latest head" 0
check_contains "says it holds" "ok: entry $AWARD is in the ledger" "$OUT"
check_contains "shows the entry" "stairs 1" "$OUT"
check_contains "signature checked" "signature holds" "$OUT"
run jf --json proof "$AWARD" --checkpoint "$PUBLISHED" --checkpoint-key "$PUB"
check_rc "the same as JSON" 0
printf '%s\n' "$OUT" >"$WORK/proof.json"
check_eq "kind" inclusion "$(jget .kind)"
check_eq "tree size" "$SIZE" "$(jget .tree_size)"
run python3 "$CHECKER" --proof "$WORK/proof.json" --checkpoint-key "$PUB"
check_rc "the independent checker accepts the proof" 0
check_contains "and says so" "inclusion ok: entry $AWARD" "$OUT"
# The same document with one hash of the path changed, or another entry's
# bytes: refused.
jq '.path[0] |= ((if startswith("0") then "1" else "0" end) + .[1:])' "$WORK/proof.json" >"$WORK/bad-path.json"
run python3 "$CHECKER" --proof "$WORK/bad-path.json"
check_rc "a changed audit path is refused" 1
run jf proof "$AWARD" 2>/dev/null
check_contains "without a key: warned that the signature was not checked" "not checked" "$OUT $ERR"

# --- a resident's statement with a proof per entry --------------------------
run jf --json report statement 3-2-501 --proof --period "$PERIOD" --checkpoint "$PUBLISHED" --checkpoint-key "$PUB"
check_rc "statement with proofs" 0
printf '%s\n' "$OUT" >"$WORK/statement.json"
check_eq "every entry of the month the head covers has a proof" "true" "$(jget '[.entries[].ok] | all')"
check_le "at least the registration and the awards" 5 "$(jget '.entries | length')"
check_eq "the report comes with it" "points_earned" "$(jget '.report.rows[1].item')"
run python3 "$CHECKER" --proof "$WORK/statement.json" --checkpoint-key "$PUB"
check_rc "the independent checker accepts the statement" 0
run jf report statement 3-2-501 --proof --checkpoint-key "$PUB"
check_rc "the statement as a table" 0
check_contains "each entry marked" "  ok      " "$OUT"

# --- consistency: last month's line, this month's -------------------------
for i in 1 2 3 4 5; do run jf award 3-2-502 meeting; done
run jf checkpoint
LATER="$OUT"
[ "$LATER" != "$PUBLISHED" ] || die "no newer tree head was signed"
run jf checkpoint consistency "$PUBLISHED" "$LATER" --checkpoint-key "$PUB"
check_rc "the newer head extends the published one" 0
check_contains "in words" "are unchanged" "$OUT"
run jf --json checkpoint consistency "$PUBLISHED" latest --checkpoint-key "$PUB"
check_rc "against the latest" 0
printf '%s\n' "$OUT" >"$WORK/consistency.json"
run python3 "$CHECKER" --proof "$WORK/consistency.json" --checkpoint-key "$PUB"
check_rc "the independent checker accepts the consistency proof" 0

# --- bad input: refused, nothing changes ------------------------------------
BEFORE=$(verify_state)
run jf proof 0
check_rc "entry 0" 2
run jf proof "$AWARD" --checkpoint "jifen-cp1 5 2026-01-01T00:00:00Z $(printf '0%.0s' {1..64}) $(printf '0%.0s' {1..128})"
check_rc "a cp1 line has no root" 2
check_contains "and says so" "no Merkle root" "$ERR"
run jf checkpoint consistency "$LATER" "$PUBLISHED"
check_rc "old and new swapped" 2
POS=$((${#PUBLISHED} - 4))
C=${PUBLISHED:POS:1}; [ "$C" = A ] && C=B || C=A
run jf proof "$AWARD" --checkpoint "${PUBLISHED:0:POS}$C${PUBLISHED:POS+1}" --checkpoint-key "$PUB"
check_rc "a forged head" 1
check_contains "named" "not genuine" "$ERR"
run jf proof 999999
check_rc "an entry past every head" 1
check_contains "why" "not covered" "$ERR"
check_eq "nothing changed" "$BEFORE" "$(verify_state)"

# --- the rewrite, by an operator who holds the signing key ----------------
stop_daemon
run "$TAMPER" "$DATA" "$AWARD" 500 --resign
check_rc "history rewritten: chain, tree and a new signed head" 0
run "$JIFEND" --verify "$DATA"
check_rc "plain verification is fooled (chain and tree recomputed)" 0
start_daemon "$DATA" --config "$WORK/jifend.conf"
run jf checkpoint
FORGED_HEAD="$OUT"
run jf proof "$AWARD" --checkpoint-key "$PUB"
check_rc "against the re-signed head, the rewritten entry has a valid proof" 0
check_contains "(500 points)" "500" "$OUT"
run jf checkpoint consistency "$PUBLISHED" "$FORGED_HEAD" --checkpoint-key "$PUB"
check_rc "but the re-signed head fails the consistency proof against the published one" 1
check_contains "named" "was rewritten" "$OUT"
run jf --json checkpoint consistency "$PUBLISHED" latest --checkpoint-key "$PUB"
printf '%s\n' "$OUT" >"$WORK/tampered-consistency.json"
run python3 "$CHECKER" --proof "$WORK/tampered-consistency.json" --checkpoint-key "$PUB"
check_rc "the independent checker refuses it too" 1
# The resident's old statement, checked again against the head it was
# printed with: the rewritten entry fails its inclusion proof.
run jf report statement 3-2-501 --proof --period "$PERIOD" --checkpoint "$PUBLISHED" --checkpoint-key "$PUB"
check_rc "the old statement's head: the statement fails" 1
check_contains "at the rewritten entry" "FAILED  entry $AWARD" "$OUT"
run jf --json report statement 3-2-501 --proof --period "$PERIOD" --checkpoint "$PUBLISHED" --checkpoint-key "$PUB"
printf '%s\n' "$OUT" >"$WORK/tampered-statement.json"
# The rewritten entry fails, and so do the later ones (re-chained, so their
# bytes changed too) and those whose audit paths pass through them.
check_contains "the rewritten entry among the failures" ",$AWARD," ",$(jget '[.entries[] | select(.ok | not) | .entry | tostring] | join(",")'),"
run python3 "$CHECKER" --proof "$WORK/tampered-statement.json"
check_rc "the independent checker refuses the rewritten entry" 1
check_contains "and says why" "history was rewritten" "$OUT"
run jf proof "$AWARD" --checkpoint "$PUBLISHED" --checkpoint-key "$PUB"
check_rc "one entry against the published head" 1
check_contains "history was rewritten" "history was rewritten" "$OUT"
# The statement the resident kept from before is still good against the
# published head: their copy is the evidence.
run python3 "$CHECKER" --proof "$WORK/statement.json" --checkpoint-key "$PUB"
check_rc "the statement kept from before still holds against the published head" 0
stop_daemon
finish
