#!/usr/bin/env python3
"""verify_export.py - checks a jifen export (docs/export-format.md), signed
tree heads and Merkle proofs (docs/proofs.md) without jifen: Python's
standard library only.

For every line it decodes the stored bytes (base64) and parses the protobuf
`Entry` itself (varints and length-delimited fields; no protobuf library), then
checks that
  - entries are numbered 1, 2, 3, ... and the stored `seq` field says so;
  - the stored `prev_hash` field is the SHA-256 of the previous entry's stored
    bytes (32 zero bytes for entry 1), and the line's prev_hash/hash agree;
  - per asset, the postings' debits equal their credits, and no household's
    points balance goes below zero (replayed from the stored postings).
Optionally `--checkpoint LINE` checks the export against a signed tree head
("jifen-sth1 N TIME ROOT HEAD SIG": entry N's hash is HEAD and the Merkle
tree of entries 1..N has root ROOT) or an older checkpoint ("jifen-cp1 N
TIME HASH SIG": entry N's hash is HASH), and `--checkpoint-key FILE` its
Ed25519 signature, with a pure-Python RFC 8032 verifier below.

`--proof FILE` checks a proof document of `jifen proof`, `jifen checkpoint
consistency` or `jifen report statement --proof` (with --json): the leaf
hashes from the entries' stored bytes, the audit paths to the tree head's
root (RFC 9162 2.1.3.2), consistency (2.1.4.2), and with --checkpoint-key
the heads' signatures. The Merkle tree: leaf SHA-256(0x00 || stored bytes),
node SHA-256(0x01 || left || right).

Usage: verify_export.py EXPORT.jsonl [--checkpoint TEXT [--checkpoint-key PUB]]
       verify_export.py --proof FILE [--checkpoint-key PUB]
Exit status: 0 everything holds, 1 something does not, 2 usage error.
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


# --- the Merkle tree (RFC 9162, section 2.1) ---------------------------------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n):
    """The largest power of two below n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    """A tree over a list of leaf hashes; subtree hashes are remembered, so
    that many proofs of one tree cost little."""

    def __init__(self, leaves):
        self.leaves = leaves
        self.memo = {}

    def mth(self, lo, hi):
        if hi - lo == 1:
            return self.leaves[lo]
        key = (lo, hi)
        if key not in self.memo:
            k = _split(hi - lo)
            self.memo[key] = node_hash(self.mth(lo, lo + k),
                                       self.mth(lo + k, hi))
        return self.memo[key]

    def root(self, n):
        return hashlib.sha256(b"").digest() if n == 0 else self.mth(0, n)

    def inclusion(self, m, n, lo=0):
        """PATH(m, D[lo:lo+n]) of RFC 9162 2.1.3.1, leaf level first."""
        if n == 1:
            return []
        k = _split(n)
        if m < lo + k:
            return self.inclusion(m, k, lo) + [self.mth(lo + k, lo + n)]
        return self.inclusion(m, n - k, lo + k) + [self.mth(lo, lo + k)]

    def consistency(self, m, n, lo=0, whole=True):
        """SUBPROOF(m, D[lo:lo+n], whole) of RFC 9162 2.1.4.1."""
        if m == n:
            return [] if whole else [self.mth(lo, lo + n)]
        k = _split(n)
        if m <= k:
            return self.consistency(m, k, lo, whole) + \
                [self.mth(lo + k, lo + n)]
        return self.consistency(m - k, n - k, lo + k, False) + \
            [self.mth(lo, lo + k)]


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162 2.1.3.2; None when the path does not fit."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_consistency(m, n, old_root, new_root, path):
    """RFC 9162 2.1.4.2 (sizes from 1)."""
    if m < 1 or m > n:
        return False
    if m == n:
        return not path and old_root == new_root
    if not path:
        return False
    if m & (m - 1) == 0:
        path = [old_root] + list(path)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


# --- signed tree heads and checkpoints -------------------------------------

def parse_checkpoint(text):
    """{version, size, time, root (None for cp1), head, signature, signed}."""
    parts = text.strip().split(" ")
    try:
        if len(parts) == 6 and parts[0] == "jifen-sth1":
            root, head, sig = (base64.b64decode(p, validate=True)
                               for p in parts[3:6])
            version = 2
        elif len(parts) == 5 and parts[0] == "jifen-cp1":
            root, head, sig = (None, bytes.fromhex(parts[3]),
                               bytes.fromhex(parts[4]))
            version = 1
        else:
            raise ValueError
        size = int(parts[1])
    except (ValueError, TypeError):
        raise ValueError("not a jifen-sth1 or jifen-cp1 line: %r" % text)
    if size < 1 or len(head) != 32 or len(sig) != 64 or \
            (root is not None and len(root) != 32):
        raise ValueError("malformed signed line: %r" % text)
    return {"version": version, "size": size, "time": parts[2], "root": root,
            "head": head, "signature": sig,
            "signed": " ".join(parts[:-1]).encode()}


def check_signature(cp, key_path):
    with open(key_path) as f:
        public = bytes.fromhex(f.read().strip())
    if not ed25519_verify(public, cp["signed"], cp["signature"]):
        raise ValueError("the signature of %s does not hold: not genuine" %
                         cp["signed"].decode()[:40])


# --- the checks ---------------------------------------------------------------

def check_export(path):
    """Returns (entries, {seq: hash hex}); raises ValueError on a problem."""
    prev = bytes(32)
    sums = {1: [0, 0], 2: [0, 0]}
    points = {}
    hashes = {}
    leaves = []
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
            leaves.append(leaf_hash(stored))
            prev = digest
    return n, hashes, leaves


def check_checkpoint(text, hashes, leaves, key_path):
    cp = parse_checkpoint(text)
    if key_path:
        check_signature(cp, key_path)
    entry = cp["size"]
    if entry not in hashes:
        raise ValueError("the export has no entry %d" % entry)
    if hashes[entry] != cp["head"].hex():
        raise ValueError("entry %d differs from the signed checkpoint: "
                         "history was rewritten" % entry)
    if cp["root"] is not None and \
            Tree(leaves).root(entry) != cp["root"]:
        raise ValueError("the Merkle tree of entries 1-%d differs from the "
                         "signed tree head: history was rewritten" % entry)
    return entry


def check_inclusion(cp, item):
    """One entry of a proof document against the tree head cp."""
    entry = item["entry"]
    stored = base64.b64decode(item["stored"], validate=True)
    if decode_entry(stored)["seq"] != entry:
        raise ValueError("entry %d: the stored bytes are of entry %d" %
                         (entry, decode_entry(stored)["seq"]))
    path = [bytes.fromhex(h) for h in item["path"]]
    got = root_from_inclusion(entry - 1, cp["size"], leaf_hash(stored), path)
    if got != cp["root"]:
        raise ValueError("entry %d is not in the tree the head of %s signed "
                         "(%d entries): history was rewritten" %
                         (entry, cp["time"], cp["size"]))


def check_proof(path, key_path):
    """Checks a proof document; returns a line saying what held."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    kind = doc.get("kind")
    signed = ", signatures hold" if key_path else \
        " (signatures not checked)"
    if kind == "consistency":
        old, new = parse_checkpoint(doc["old"]), parse_checkpoint(doc["new"])
        for cp in (old, new):
            if cp["root"] is None:
                raise ValueError("a jifen-cp1 line has no Merkle root")
            if key_path:
                check_signature(cp, key_path)
        proof = [bytes.fromhex(h) for h in doc["path"]]
        if not verify_consistency(old["size"], new["size"], old["root"],
                                  new["root"], proof):
            raise ValueError("the tree head of %s (%d entries) does not "
                             "extend the one of %s (%d entries): history "
                             "was rewritten" % (new["time"], new["size"],
                                                old["time"], old["size"]))
        return "consistency ok: %d entries extend %d%s" % (
            new["size"], old["size"], signed)
    cp = parse_checkpoint(doc["tree_head"])
    if cp["root"] is None:
        raise ValueError("a jifen-cp1 line has no Merkle root")
    if key_path:
        check_signature(cp, key_path)
    if kind == "inclusion":
        check_inclusion(cp, doc)
        return "inclusion ok: entry %d in %d entries%s" % (
            doc["entry"], cp["size"], signed)
    if kind == "statement":
        for item in doc["entries"]:
            check_inclusion(cp, item)
        return "statement ok: %d entries of %s in %d entries%s" % (
            len(doc["entries"]), doc["household"], cp["size"], signed)
    raise ValueError("unknown proof kind %r" % kind)


def main(argv):
    args, opts = [], {}
    it = iter(argv[1:])
    for a in it:
        if a in ("--checkpoint", "--checkpoint-key", "--proof"):
            opts[a] = next(it, None)
        else:
            args.append(a)
    proof = "--proof" in opts
    if None in opts.values() or len(args) != (0 if proof else 1) or \
            (proof and "--checkpoint" in opts) or \
            ("--checkpoint-key" in opts and "--checkpoint" not in opts and
             not proof):
        print(__doc__.split("\n\n")[-2], file=sys.stderr)
        return 2
    try:
        if proof:
            print(check_proof(opts["--proof"], opts.get("--checkpoint-key")))
            return 0
        n, hashes, leaves = check_export(args[0])
        head = hashes.get(n, bytes(32).hex())
        print("ok: %d entries, head %s, Merkle root %s" %
              (n, head, Tree(leaves).root(n).hex()))
        if "--checkpoint" in opts:
            e = check_checkpoint(opts["--checkpoint"], hashes, leaves,
                                 opts.get("--checkpoint-key"))
            print("checkpoint ok: entry %d matches%s" %
                  (e, ", signature holds" if "--checkpoint-key" in opts
                   else " (signature not checked)"))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError,
            OSError) as err:
        print("FAILED: %s" % err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
