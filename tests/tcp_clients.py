#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP clients that try to crash or exhaust xdpdnsd, and the upstream they need, for
e2e_tcp.sh (standard library only). SERVER is an address the daemon listens on, port 53. Every
command is bounded in count and time, and exits 1 when the daemon did not do what it must.

  tcp_clients.py upstream ADDR DELAY
      A fake upstream on ADDR port 53, UDP and TCP, until killed. NAME A: 192.0.2.99, TTL 300,
      at once, or after DELAY seconds for names under slow.test; big.test TXT: about 1 KB;
      NAME TXT under huge.slow.test: truncated over UDP (after DELAY), about 50 KB over TCP;
      max.test TXT: truncated over UDP, 65535 bytes (no OPT) over TCP.
      Any other question: NOERROR, no records.
  tcp_clients.py reset SERVER KIND COUNT
      COUNT connections one after another, each sending one query and then reset (SO_LINGER 0)
      without reading (one in four waits 2 ms first, so that the daemon reads the query before
      the reset). KIND notify: a NOTIFY (answered NOTIMP at once); cached: fast.test A; burst:
      64 NOTIFYs at once; slow: a new name under slow.test each time (answered after the client
      left). Fails when fewer than half could connect and send: the daemon is gone.
  tcp_clients.py pipeline SERVER COUNT MODE
      One connection, COUNT queries in one write (in turn: NOTIFY, fast.test A, a new name
      under slow.test, a header without question), then reads: every ID must come back once,
      with NOTIMP, NOERROR and an answer, NOERROR and an answer, FORMERR respectively. MODE
      halfclose shuts the writing side after the queries (then the daemon must close after the
      last answer); open does not.
  tcp_clients.py partial SERVER MODE COUNT LIMIT
      COUNT connections that each send part of a message and wait (MODE lenbyte: one byte of
      the length; half: the length and half the message; drip: one byte a second, never the
      last). The daemon must close each within LIMIT seconds.
  tcp_clients.py slowread SERVER MODE LIMIT
      A client with a small receive buffer that never reads. MODE small: big.test TXT asked
      again and again; huge: 8 names under huge.slow.test asked at once. The daemon must reset
      it within LIMIT seconds.
  tcp_clients.py hold SERVER COUNT MODE SECONDS SOURCE...
      COUNT connections from each address SOURCE in turn (0.2 s apart), idle (MODE idle) or
      with one byte of a message sent (MODE partial), kept for SECONDS. Half a second after the
      last is open, prints "SOURCE held N refused M" for each: M were closed by the daemon by
      then.
"""
import heapq
import os
import select
import socket
import struct
import sys
import time

PORT = 53
TXT_STRING = b"\xff" + b"x" * 255  # one character-string of 255 bytes


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def message(qid, name=None, qtype=1, opcode=0):
    """A query with RD; without a name, a header with no question."""
    flags = opcode << 11 | 0x0100
    if name is None:
        return struct.pack("!HHHHHH", qid, flags, 0, 0, 0, 0)
    return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + wire_name(name) + \
        struct.pack("!HH", qtype, 1)


def frame(msg):
    return struct.pack("!H", len(msg)) + msg


def connect(server, source=None, rcvbuf=0):
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    if rcvbuf:  # before connect: the window is agreed then
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source:
        s.bind((source, 0))
    s.settimeout(3)
    s.connect((server, PORT))
    return s


def closed_by_peer(s):
    """Whether the daemon closed s (EOF or reset), without waiting and without reading
    anything but an EOF."""
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLERR | select.POLLHUP)
    if not p.poll(0):
        return False
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def read_frames(s, count, seconds):
    """Up to count messages from s within seconds."""
    s.settimeout(0.2)
    deadline, buf, out = time.monotonic() + seconds, b"", []
    while len(out) < count and time.monotonic() < deadline:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not data:
            break
        buf += data
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            n = struct.unpack("!H", buf[:2])[0]
            out.append(buf[2:2 + n])
            buf = buf[2 + n:]
    return out


# ---- the upstream ----

def question_end(msg):
    """(lowercased name, qtype, offset after the question) of msg's first question."""
    off, labels = 12, []
    while msg[off]:
        labels.append(msg[off + 1:off + 1 + msg[off]].decode("ascii", "replace").lower())
        off += 1 + msg[off]
    qtype = struct.unpack("!H", msg[off + 1:off + 3])[0]
    return ".".join(labels), qtype, off + 5


def upstream_answer(msg, tcp):
    """(response, slow) for the query msg."""
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if qdcount != 1:
        return None, False
    name, qtype, end = question_end(msg)
    slow = name.endswith("slow.test")
    rr = b""
    rflags = 0x8080 | (flags & 0x0100)  # QR, RA, RD as asked
    if qtype == 16 and name.endswith("huge.slow.test"):
        if tcp:
            rr = struct.pack("!HHHIH", 0xc00c, 16, 1, 300, 200 * len(TXT_STRING)) + \
                TXT_STRING * 200
            slow = False  # the delay was the UDP attempt's
        else:
            rflags |= 0x0200  # TC: ask again over TCP
    elif qtype == 16 and name == "max.test":  # 65535 bytes: an OPT more is too long for TCP
        if tcp:
            rdata = TXT_STRING * 255 + b"\xd8" + b"x" * 216
            rr = struct.pack("!HHHIH", 0xc00c, 16, 1, 300, len(rdata)) + rdata
        else:
            rflags |= 0x0200
    elif qtype == 16 and name == "big.test":
        rr = struct.pack("!HHHIH", 0xc00c, 16, 1, 300, 4 * len(TXT_STRING)) + TXT_STRING * 4
    elif qtype == 1:
        rr = struct.pack("!HHHIH", 0xc00c, 1, 1, 300, 4) + socket.inet_aton("192.0.2.99")
    head = struct.pack("!HHHHHH", qid, rflags, 1, 1 if rr else 0, 0, 0)
    return head + msg[12:end] + rr, slow


def cmd_upstream(addr, delay):
    delay = float(delay)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, PORT))
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((addr, PORT))
    lst.listen(128)
    conns = {}  # socket -> bytes received and not yet a whole message
    later = []  # heap of (when, seq, socket, peer or None, response)
    seq = 0
    while True:
        timeout = max(0, later[0][0] - time.monotonic()) if later else None
        ready, _, _ = select.select([udp, lst] + list(conns), [], [], timeout)
        now = time.monotonic()
        while later and later[0][0] <= now:
            _, _, sock, peer, resp = heapq.heappop(later)
            try:
                if peer:
                    sock.sendto(resp, peer)
                elif sock in conns:
                    sock.sendall(frame(resp))
            except OSError:
                pass
        for r in ready:
            if r is lst:
                c, _ = lst.accept()
                conns[c] = b""
                continue
            peer = None
            if r is udp:
                data, peer = udp.recvfrom(65535)
                msgs = [data]
            else:
                data = r.recv(65535)
                if not data:
                    del conns[r]
                    r.close()
                    continue
                conns[r] += data
                msgs, buf = [], conns[r]
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    msgs.append(buf[2:2 + n])
                    buf = buf[2 + n:]
                conns[r] = buf
            for m in msgs:
                if len(m) < 12:
                    continue
                resp, slow = upstream_answer(m, r is not udp)
                if resp is None:
                    continue
                seq += 1
                heapq.heappush(later, (now + (delay if slow else 0), seq, r, peer, resp))


# ---- the clients ----

def cmd_reset(server, kind, count):
    count, done, pid = int(count), 0, os.getpid()
    deadline = time.monotonic() + 30
    linger = struct.pack("ii", 1, 0)
    for i in range(count):
        if time.monotonic() > deadline:
            break
        if kind == "notify":
            out = frame(message(i & 0xffff, "fast.test", 6, opcode=4))
        elif kind == "cached":
            out = frame(message(i & 0xffff, "fast.test"))
        elif kind == "burst":
            out = b"".join(frame(message(k, "fast.test", 6, opcode=4)) for k in range(64))
        else:
            out = frame(message(i & 0xffff, "r%d-%d.slow.test" % (pid, i)))
        try:
            s = connect(server)
            s.sendall(out)
            if i % 4 == 0:  # one in four is read before the reset comes
                time.sleep(0.002)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.close()
            done += 1
        except OSError:
            pass
    print("reset %s: %d of %d connections sent a query and reset" % (kind, done, count))
    return 0 if done * 2 >= count else 1


def cmd_pipeline(server, count, mode):
    count, pid = int(count), os.getpid()
    want, out = {}, b""
    for i in range(count):
        qid = 1000 + i
        kind = i % 4
        if kind == 0:
            out += frame(message(qid, "fast.test", 6, opcode=4))
            want[qid] = (4, False)
        elif kind == 1:
            out += frame(message(qid, "fast.test"))
            want[qid] = (0, True)
        elif kind == 2:
            out += frame(message(qid, "p%d-%d.slow.test" % (pid, i)))
            want[qid] = (0, True)
        else:
            out += frame(message(qid))
            want[qid] = (1, False)
    s = connect(server)
    s.sendall(out)
    if mode == "halfclose":
        s.shutdown(socket.SHUT_WR)
    answers = read_frames(s, count, 20)
    # half-closed: the daemon closes once all is answered
    closed = mode != "halfclose" or read_frames(s, 1, 5) == []
    s.close()
    seen, bad = {}, []
    for a in answers:
        qid, flags, _, ancount = struct.unpack("!HHHH", a[:8])
        seen[qid] = seen.get(qid, 0) + 1
        rcode, records = want.get(qid, (None, None))
        if (flags & 0xf) != rcode or (records and not ancount):
            bad.append("%d: rcode %d, %d answers" % (qid, flags & 0xf, ancount))
    missing = [q for q in want if q not in seen]
    twice = [q for q, n in seen.items() if n > 1 or q not in want]
    print("pipeline %s: %d queries, %d answers; missing %s, twice or unknown %s, wrong %s%s" %
          (mode, count, len(answers), missing[:10], twice[:10], bad[:10],
           "" if closed else "; not closed after them"))
    return 0 if not missing and not twice and not bad and closed else 1


def cmd_partial(server, mode, count, limit):
    count, limit = int(count), float(limit)
    msg = frame(message(7, "fast.test"))
    socks, start = [], time.monotonic()
    for _ in range(count):
        s = connect(server)
        s.send(msg[:1] if mode in ("lenbyte", "drip") else msg[:len(msg) // 2])
        socks.append(s)
    closed, sent = {}, 1
    while len(closed) < count and time.monotonic() - start < limit:
        for s in socks:
            if s not in closed and closed_by_peer(s):
                closed[s] = time.monotonic() - start
        # drip: one more byte a second to every connection still open, never the last
        if mode == "drip" and time.monotonic() - start >= sent and sent < len(msg) - 1:
            for s in socks:
                if s not in closed:
                    try:
                        s.send(msg[sent:sent + 1])
                    except OSError:
                        pass
            sent += 1
        time.sleep(0.05)
    for s in socks:
        s.close()
    print("partial %s: %d of %d closed by the daemon, the last after %.1f s (limit %.1f s)" %
          (mode, len(closed), count, max(closed.values(), default=0), limit))
    return 0 if len(closed) == count else 1


def cmd_slowread(server, mode, limit):
    limit, pid = float(limit), os.getpid()
    s = connect(server, rcvbuf=4096)
    s.setblocking(False)
    start, asked = time.monotonic(), 0
    p = select.poll()
    p.register(s, select.POLLOUT | select.POLLERR | select.POLLHUP)
    reset = False
    if mode == "huge":
        s.send(b"".join(frame(message(i, "h%d-%d.huge.slow.test" % (pid, i), 16))
                        for i in range(8)))
        asked = 8
    while not reset and time.monotonic() - start < limit:
        events = p.poll(100)
        if any(ev & (select.POLLERR | select.POLLHUP) for _, ev in events):
            reset = True
        elif mode == "small" and events:
            try:
                s.send(frame(message(asked & 0xffff, "big.test", 16)))
                asked += 1
            except BlockingIOError:
                pass
            except OSError:
                reset = True
    s.close()
    print("slowread %s: %d queries, %s after %.1f s (limit %.1f s)" %
          (mode, asked, "reset" if reset else "still open", time.monotonic() - start, limit))
    return 0 if reset else 1


def cmd_hold(server, count, mode, seconds, *sources):
    count, seconds = int(count), float(seconds)
    start, socks = time.monotonic(), []
    for source in sources:
        for _ in range(count):
            s = connect(server, source)
            if mode == "partial":
                s.send(b"\0")
            socks.append((source, s))
        time.sleep(0.2)  # the daemon reads what they sent before the next source comes
    time.sleep(0.3)
    for source in sources:
        refused = sum(closed_by_peer(s) for src, s in socks if src == source)
        print("%s held %d refused %d" % (source, count - refused, refused))
    sys.stdout.flush()
    time.sleep(max(0, seconds - (time.monotonic() - start)))
    for _, s in socks:
        s.close()
    return 0


COMMANDS = {  # name: (function, arguments, whether more may follow)
    "upstream": (cmd_upstream, 2, False), "reset": (cmd_reset, 3, False),
    "pipeline": (cmd_pipeline, 3, False), "partial": (cmd_partial, 4, False),
    "slowread": (cmd_slowread, 3, False), "hold": (cmd_hold, 5, True),
}

if __name__ == "__main__":
    cmd = COMMANDS.get(sys.argv[1]) if len(sys.argv) > 1 else None
    nargs = len(sys.argv) - 2
    if not cmd or nargs < cmd[1] or (nargs > cmd[1] and not cmd[2]):
        sys.exit(__doc__)
    sys.exit(cmd[0](*sys.argv[2:]))
