#!/usr/bin/env bash
# interop_python.sh - the wire contract from another language: Debian's stock
# protoc generates Python code from proto/jifen/v1/jifen.proto, and a Python
# client with pyzmq (over CURVE, with the test keys) registers, awards (a batch, then its retry), bills,
# redeems and recomputes the hash chain. The jifen CLI then sees the same
# balance and the ledger verifies.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3 # Debian's python, where python3-zmq/-protobuf live
if ! "$PY" -c 'import zmq, google.protobuf' 2>/dev/null; then
    fail "python3-zmq and python3-protobuf are needed (scripts/bootstrap.sh installs them)"
    finish
fi
GEN="$WORK/gen"
mkdir -p "$GEN"
protoc --proto_path="$JIFEN_SOURCE_DIR/proto" --python_out="$GEN" \
    "$JIFEN_SOURCE_DIR/proto/jifen/v1/jifen.proto"

start_daemon "$WORK/data"
OUT=$(PYTHONPATH="$GEN" "$PY" "$JIFEN_SOURCE_DIR/tests/interop/jifen_client.py" \
    "$ENDPOINT" "$SERVER_KEY" "$KEYS" py-1 2>&1) || true
echo "$OUT"
N=$(grep -c '^PASS:' <<<"$OUT" || true)
check_eq "python client checks that passed" 7 "$N"

PY_BAL=$(sed -n 's/^balance points=\([0-9-]*\) fee_due_fen=\([0-9-]*\)$/\1 \2/p' <<<"$OUT")
run jf --json balance py-1
check_eq "the CLI sees the balance python saw" "$PY_BAL" \
    "$(jq -r '"\(.points) \(.fee_due_fen)"' <<<"$OUT")"
run jf --json verify
check_eq "the ledger verifies after the python session" true \
    "$(jq -r .ok <<<"$OUT")"
finish
