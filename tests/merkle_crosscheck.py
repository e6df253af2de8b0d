#!/usr/bin/env python3
"""merkle_crosscheck.py MERKLE_VECTORS VERIFY_EXPORT_PY - the C tree code
(common/merkle.c, through tests/merkle_vectors) against the Python one of
tools/verify_export.py, on trees of every size from 1 to 1000: the same
roots, the same inclusion and consistency proofs (every one up to 64 leaves,
16 of each above), each accepted by Python's verifier, and a damaged one
refused. Leaf data as merkle_vectors.c's leaf_data()."""
import importlib.util
import json
import subprocess
import sys


def leaf_data(i):
    return bytes((i * 31 + k * 17) % 256 for k in range(1 + i % 13))


def main(vectors, checker):
    spec = importlib.util.spec_from_file_location("verify_export", checker)
    ve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ve)
    out = subprocess.run([vectors], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    tree = ve.Tree([ve.leaf_hash(leaf_data(i)) for i in range(1000)])
    failures, sizes, proofs = [], 0, 0
    for line in out:
        rec = json.loads(line)
        if "c_verifier_failures" in rec:
            if rec["c_verifier_failures"]:
                failures.append("the C verifier refused %d of its own proofs"
                                % rec["c_verifier_failures"])
            continue
        n = rec["size"]
        sizes += 1
        root = tree.root(n)
        if rec["root"] != root.hex():
            failures.append("size %d: roots differ" % n)
        for i, path in rec["inclusion"]:
            proofs += 1
            hashes = [bytes.fromhex(h) for h in path]
            if [h.hex() for h in tree.inclusion(i, n)] != path:
                failures.append("size %d leaf %d: paths differ" % (n, i))
            if ve.root_from_inclusion(i, n, tree.leaves[i], hashes) != root:
                failures.append("size %d leaf %d: Python refuses C's path" %
                                (n, i))
            if hashes and ve.root_from_inclusion(
                    i, n, tree.leaves[i], hashes[:-1]) == root:
                failures.append("size %d leaf %d: a short path holds" % (n, i))
        for m, path in rec["consistency"]:
            proofs += 1
            hashes = [bytes.fromhex(h) for h in path]
            if [h.hex() for h in tree.consistency(m, n)] != path:
                failures.append("size %d from %d: proofs differ" % (n, m))
            if not ve.verify_consistency(m, n, tree.root(m), root, hashes):
                failures.append("size %d from %d: Python refuses C's proof" %
                                (n, m))
            if m < n and ve.verify_consistency(m, n, root, root, hashes):
                failures.append("size %d from %d: a wrong root holds" %
                                (n, m))
    for f in failures[:20]:
        print("FAIL: " + f)
    if sizes != 1000:
        failures.append("expected 1000 tree sizes, got %d" % sizes)
        print("FAIL: " + failures[-1])
    print("%d tree sizes, %d proofs compared" % (sizes, proofs))
    print("%d passed, %d failed" % (1 if not failures else 0,
                                     1 if failures else 0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
