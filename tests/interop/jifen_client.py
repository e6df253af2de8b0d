#!/usr/bin/python3
"""A jifen client in Python with nothing but stock protobuf and ZeroMQ.

It proves the wire contract (proto/jifen/v1/jifen.proto) is usable from
another language: it generates nothing itself; the caller runs
`protoc --python_out=DIR` and puts DIR on PYTHONPATH.

It also does what an auditor with another toolchain would do: re-encodes
every entry of a household's history, hashes it with SHA-256, and checks
that each entry's prev_hash is the hash of the entry before it.

Every connection uses CURVE, as jifend requires: KEYS holds the test keys
(ROLE.key, Z85 text, one per role) and SERVER_PUB is jifend's public key.

Usage: jifen_client.py ENDPOINT SERVER_PUB KEYS HOUSEHOLD  (PASS/FAIL lines)
"""
import hashlib
import sys
import uuid

import zmq
from jifen.v1 import jifen_pb2 as pb

TIMEOUT_MS = 5000


KEYS = {}


def read_key(path):
    with open(path, "rb") as f:
        return f.read().strip()


def call(endpoint, commands, request_id="", role="auditor"):
    ctx = zmq.Context.instance()
    sock = ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    secret = KEYS[role]
    sock.curve_secretkey = secret
    sock.curve_publickey = zmq.curve_public(secret)
    sock.curve_serverkey = KEYS["server"]
    sock.connect(endpoint)
    req = pb.Request(request_id=request_id, commands=commands)
    sock.send(req.SerializeToString())
    if not sock.poll(TIMEOUT_MS):
        raise SystemExit("FAIL: no reply from %s" % endpoint)
    reply = pb.Reply()
    reply.ParseFromString(sock.recv())
    sock.close()
    return reply


failures = 0


def check(what, ok, detail=""):
    global failures
    print("%s: %s%s" % ("PASS" if ok else "FAIL", what,
                        "" if ok or not detail else " (%s)" % detail))
    if not ok:
        failures += 1


def main():
    endpoint, server_pub, keys, household = sys.argv[1:5]
    KEYS["server"] = read_key(server_pub)
    for role in ("committee", "terminal", "auditor"):
        KEYS[role] = read_key("%s/%s.key" % (keys, role))
    ok = pb.STATUS_OK

    reply = call(endpoint, [pb.Command(household_add=pb.HouseholdAdd(
        household=household, name="李四", area_centi_m2=6420))],
        uuid.uuid4().hex, "committee")
    check("household add from python", reply.status == ok and
          reply.results[0].status == ok, str(reply))

    award = [pb.Command(award=pb.Award(household=household,
                                       activity="meeting", note="议事会")),
             pb.Command(award=pb.Award(household=household,
                                       activity="volunteer", hours=1))]
    rid = uuid.uuid4().hex
    first = call(endpoint, award, rid, "committee")
    check("a batch of two awards, a result each",
          first.status == ok and len(first.results) == 2 and
          all(r.status == ok for r in first.results), str(first))
    again = call(endpoint, award, rid, "committee")
    check("the retry of the same id is STATUS_EXISTS with the same entries",
          [r.status for r in again.results] == [pb.STATUS_EXISTS] * 2 and
          [r.entry for r in again.results] == [r.entry for r in first.results],
          str(again))

    bill = pb.Command(bill=pb.Bill(household=household, amount_fen=10000,
                                   period="2026-11"))
    call(endpoint, [bill], uuid.uuid4().hex, "terminal")
    redeem = call(endpoint, [pb.Command(redeem=pb.Redeem(
        household=household, points=2))], uuid.uuid4().hex, "terminal")
    res = redeem.results[0]
    check("redeem posts two legs", res.status == ok and
          len(res.postings) == 2 and res.postings[1].asset == pb.ASSET_FEE,
          str(redeem))

    bal = call(endpoint, [pb.Command(balance=pb.BalanceQuery(
        household=household))]).results[0].balance
    print("balance points=%d fee_due_fen=%d" % (bal.points, bal.fee_due_fen))

    hist = call(endpoint, [pb.Command(history=pb.HistoryQuery(
        household=household, limit=100))]).results[0].history
    entries = sorted(hist, key=lambda e: e.seq)
    check("history holds the five entries", len(entries) == 5,
          "%d entries" % len(entries))
    # This household's entries are consecutive (nothing else was written
    # meanwhile), so each one's prev_hash must be the SHA-256 of the bytes of
    # the one before, re-encoded here by Python's own protobuf runtime.
    chained = all(
        entries[i + 1].seq == entries[i].seq + 1 and
        entries[i + 1].prev_hash ==
        hashlib.sha256(entries[i].SerializeToString()).digest()
        for i in range(len(entries) - 1))
    check("python recomputes the hash chain from the entries", chained)

    bogus = call(endpoint, [pb.Command()], uuid.uuid4().hex, "committee")
    check("an empty command is refused as STATUS_BAD_REQUEST",
          bogus.status == pb.STATUS_BAD_REQUEST, str(bogus))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
