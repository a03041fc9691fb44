#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""DNS clients for e2e_node.sh (standard library only): plain UDP queries without EDNS, as a
stub resolver sends them, each answer compared with the upstream's for the same question.

  node_dns.py ref SERVER NAMESFILE OUT
      Asks SERVER (the upstream) every "NAME TYPE" line of NAMESFILE and writes to OUT what a
      correct answer holds: rcode, question and answer records (owner, type, class, data),
      without the ID, the flags and the TTLs (a cache sets its own: RA, no AA, aged TTLs).

  node_dns.py ask SERVER REF [ROUNDS]
      Asks SERVER every question of REF, ROUNDS times (1), and prints
      "answered A unanswered U wrong W": wrong is an answer that differs from REF (or whose ID
      or question does not echo the query), each printed to stderr.

  node_dns.py load SERVER REF SECONDS STOPFILE
      The same in a loop, about 100 queries a second, until SECONDS pass or STOPFILE exists;
      2 s timeout per query (a loaded machine), no retry. Prints the same line at the end.
"""
import json
import os
import random
import socket
import struct
import sys
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "TXT": 16, "AAAA": 28}


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(msg, off):
    """The name at off (compression followed), lowercased, and the offset after it."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ValueError("compression loop")
            continue
        if n == 0:
            return ".".join(labels).lower() + ".", end if end is not None else off + 1
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n


def query(qid, name, qtype):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire_name(name) + struct.pack(
        "!HH", qtype, 1)


def canon(msg, qid, name, qtype):
    """What must match: rcode, question, answer records; or None if the answer is not one to
    this query (ID, QR, question)."""
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    if rid != qid or not flags & 0x8000 or qd != 1:
        return None
    qname, off = read_name(msg, 12)
    rtype, rclass = struct.unpack("!HH", msg[off:off + 4])
    if qname != name.lower().rstrip(".") + "." or rtype != qtype or rclass != 1:
        return None
    off += 4
    records = []
    for _ in range(an):
        owner, off = read_name(msg, off)
        t, c, _ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        rdata = msg[off + 10:off + 10 + rdlen]
        if t in (2, 5):  # NS, CNAME: a name, compressed or not
            rdata = read_name(msg, off + 10)[0].encode()
        records.append([owner, t, c, rdata.hex()])
        off += 10 + rdlen
    # the order of an RRset's records is not the upstream's to keep (RFC 2181 5)
    return {"rcode": flags & 0xF, "q": [qname, qtype], "answer": sorted(records)}


def ask_one(sock, server, name, qtype, timeout=2.0):
    qid = random.randrange(65536)
    sock.sendto(query(qid, name, qtype), (server, 53))
    deadline = time.monotonic() + timeout
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            msg, _ = sock.recvfrom(4096)
        except socket.timeout:
            return None, False
        try:
            c = canon(msg, qid, name, qtype)
        except (ValueError, IndexError, struct.error):
            return msg, True
        if c is not None:
            return c, True
        if time.monotonic() > deadline:
            return None, False


def open_socket(server):
    return socket.socket(socket.AF_INET6 if ":" in server else socket.AF_INET, socket.SOCK_DGRAM)


def cmd_ref(server, namesfile, out):
    ref = []
    with open_socket(server) as s:
        for line in open(namesfile):
            if not line.strip():
                continue
            name, t = line.split()
            got, ok = ask_one(s, server, name, TYPES[t])
            if not ok or not isinstance(got, dict) or not got["answer"]:
                sys.exit("upstream %s gave no answer to %s %s" % (server, name, t))
            ref.append(got)
    with open(out, "w") as f:
        json.dump(ref, f)


def run(server, ref, rounds=None, until=None, stopfile=None):
    answered = unanswered = wrong = 0
    with open_socket(server) as s:
        n = 0
        while True:
            if rounds is not None and n >= rounds * len(ref):
                break
            if until is not None and (time.monotonic() > until or os.path.exists(stopfile)):
                break
            want = ref[n % len(ref)]
            n += 1
            got, ok = ask_one(s, server, want["q"][0], want["q"][1])
            if not ok:
                unanswered += 1
            elif got != want:
                wrong += 1
                print("wrong answer from %s: %r, want %r" % (server, got, want), file=sys.stderr)
            else:
                answered += 1
            if until is not None:
                time.sleep(0.01)
    print("answered %d unanswered %d wrong %d" % (answered, unanswered, wrong))


def main():
    cmd = sys.argv[1]
    if cmd == "ref":
        cmd_ref(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    ref = json.load(open(sys.argv[3]))
    if cmd == "ask":
        run(sys.argv[2], ref, rounds=int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    elif cmd == "load":
        run(sys.argv[2], ref, until=time.monotonic() + float(sys.argv[4]), stopfile=sys.argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
