#!/usr/bin/env python3
"""verify_export.py - checks a jifen export (docs/export-format.md) without
jifen: Python's standard library only.

For every line it decodes the stored bytes (base64) and parses the protobuf
`Entry` itself (varints and length-delimited fields; no protobuf library), then
checks that
  - entries are numbered 1, 2, 3, ... and the stored `seq` field says so;
  - the stored `prev_hash` field is the SHA-256 of the previous entry's stored
    bytes (32 zero bytes for entry 1), and the line's prev_hash/hash agree;
  - per asset, the postings' debits equal their credits, and no household's
    points balance goes below zero (replayed from the stored postings).
Optionally `--checkpoint "jifen-cp1 N TIME HASH SIG"` checks that entry N's
hash equals the checkpoint's (and `--checkpoint-key FILE` its Ed25519
signature, with a pure-Python RFC 8032 verifier below).

Usage: verify_export.py EXPORT.jsonl [--checkpoint TEXT [--checkpoint-key PUB]]
Exit status: 0 the chain holds, 1 it does not, 2 usage error.
"""
import base64
import hashlib
import json
import sys


# --- protobuf wire format (https://protobuf.dev/programming-guides/encoding/)

def read_varint(buf, pos):
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated or overlong varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def parse_message(buf):
    """Returns {field number: [values]}; values are ints (varint, fixed) or
    bytes (length-delimited)."""
    fields, pos = {}, 0
    while pos < len(buf):
        tag, pos = read_varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            if pos + length > len(buf):
                raise ValueError("truncated field %d" % number)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == 5:
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError("wire type %d in field %d" % (wire, number))
        fields.setdefault(number, []).append(value)
    return fields


def one(fields, number, default):
    return fields.get(number, [default])[-1]


# Entry: 1 seq, 2 prev_hash, 3 time_ms, 4 request_id, 5 author, 6 command,
# 7 postings (Posting: 1 asset, 2 debit, 3 credit, 4 amount), 8 reverses,
# 9 policy. Asset: 1 POINTS, 2 FEE.
def decode_entry(stored):
    f = parse_message(stored)
    postings = []
    for raw in f.get(7, []):
        p = parse_message(raw)
        postings.append((one(p, 1, 0), one(p, 2, b"").decode(),
                         one(p, 3, b"").decode(), one(p, 4, 0)))
    return {"seq": one(f, 1, 0), "prev_hash": one(f, 2, b""),
            "postings": postings}


# --- Ed25519 verification (RFC 8032, section 5.1.7), slow but small ---------

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    A, B = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    C, Dd = t1 * 2 * D * t2 % P, z1 * 2 * z2 % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and \
        (a[1] * b[2] - b[1] * a[2]) % P == 0


def _decompress(s):
    if len(s) != 32:
        return None
    y = int.from_bytes(s, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if (x & 1) != sign:
        if x == 0:
            return None
        x = P - x
    return (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
G = _decompress(_GY.to_bytes(32, "little"))


def ed25519_verify(public, message, signature):
    if len(signature) != 64:
        return False
    A, R = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if A is None or R is None or s >= L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message)
                       .digest(), "little") % L
    return _equal(_mul(s, G), _add(R, _mul(h, A)))


# --- the checks ---------------------------------------------------------------

def check_export(path):
    """Returns (entries, {seq: hash hex}); raises ValueError on a problem."""
    prev = bytes(32)
    sums = {1: [0, 0], 2: [0, 0]}
    points = {}
    hashes = {}
    n = 0
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            rec = json.loads(line)
            stored = base64.b64decode(rec["stored"], validate=True)
            entry = decode_entry(stored)
            n += 1
            where = "line %d (entry %d)" % (lineno, n)
            if entry["seq"] != n or rec["seq"] != n:
                raise ValueError("%s: stored seq %d, line seq %s" %
                                 (where, entry["seq"], rec["seq"]))
            if entry["prev_hash"] != prev or \
                    bytes.fromhex(rec["prev_hash"]) != prev:
                raise ValueError("%s: prev_hash does not match the hash of "
                                 "entry %d" % (where, n - 1))
            digest = hashlib.sha256(stored).digest()
            if rec["hash"] != digest.hex():
                raise ValueError("%s: hash is not SHA-256 of the stored "
                                 "bytes" % where)
            for asset, debit, credit, amount in entry["postings"]:
                if asset not in sums:
                    raise ValueError("%s: unknown asset %d" % (where, asset))
                sums[asset][0] += amount
                sums[asset][1] += amount
                if asset == 1:
                    for acct, delta in ((debit, -amount), (credit, amount)):
                        if acct.startswith("household/"):
                            points[acct] = points.get(acct, 0) + delta
                            if points[acct] < 0:
                                raise ValueError("%s: %s below zero" %
                                                 (where, acct))
            hashes[n] = digest.hex()
            prev = digest
    return n, hashes


def check_checkpoint(text, hashes, key_path):
    parts = text.split()
    if len(parts) != 5 or parts[0] != "jifen-cp1":
        raise ValueError("not a jifen-cp1 checkpoint")
    entry, signed = int(parts[1]), " ".join(parts[:4]).encode()
    if key_path:
        with open(key_path) as f:
            public = bytes.fromhex(f.read().strip())
        if not ed25519_verify(public, signed, bytes.fromhex(parts[4])):
            raise ValueError("checkpoint signature does not hold")
    if entry not in hashes:
        raise ValueError("the export has no entry %d" % entry)
    if hashes[entry] != parts[3].lower():
        raise ValueError("entry %d differs from the signed checkpoint: "
                         "history was rewritten" % entry)
    return entry


def main(argv):
    args, opts = [], {}
    it = iter(argv[1:])
    for a in it:
        if a in ("--checkpoint", "--checkpoint-key"):
            opts[a] = next(it, None)
        else:
            args.append(a)
    if len(args) != 1 or None in opts.values() or \
            ("--checkpoint-key" in opts and "--checkpoint" not in opts):
        print(__doc__.split("\n\n")[-2], file=sys.stderr)
        return 2
    try:
        n, hashes = check_export(args[0])
        head = hashes.get(n, bytes(32).hex())
        print("ok: %d entries, head %s" % (n, head))
        if "--checkpoint" in opts:
            e = check_checkpoint(opts["--checkpoint"], hashes,
                                 opts.get("--checkpoint-key"))
            print("checkpoint ok: entry %d matches%s" %
                  (e, ", signature holds" if "--checkpoint-key" in opts
                   else " (signature not checked)"))
    except (ValueError, KeyError, json.JSONDecodeError) as err:
        print("FAILED: %s" % err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
