#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A padding relay for e2e_dnssec.sh (standard library only).

  pad_relay.py LISTEN_PORT SERVER SIZE
      Relays DNS over UDP from 127.0.0.1:LISTEN_PORT to SERVER port 53 and the answers back,
      padding each query that has an OPT record to SIZE bytes with an EDNS PADDING option of
      zeros (RFC 7830), as a privacy-minded stub would. Runs until killed.

Why: a veth hands XDP the sender's own small buffer (256 bytes of headroom, next to no
tailroom), so the kernel can make an answer only about 200 bytes longer than its query; a
signed answer is 250 to 550 bytes longer. Padded queries leave the growth within reach.
"""
import selectors
import socket
import struct
import sys


def pad(query, size):
    """The query padded to size bytes: one question, then only an OPT record (else as is)."""
    if len(query) < 12 or struct.unpack("!4H", query[4:12]) != (1, 0, 0, 1):
        return query
    off = 12
    while off < len(query) and query[off]:
        off += 1 + query[off]
    opt = off + 5  # the root label ending the name, type, class
    if query[opt:opt + 3] != b"\0\0\x29" or len(query) < opt + 11:
        return query
    n = max(size - len(query) - 4, 0)
    rdlen = struct.unpack("!H", query[opt + 9:opt + 11])[0] + 4 + n
    return (query[:opt + 9] + struct.pack("!H", rdlen) + query[opt + 11:] +
            struct.pack("!HH", 12, n) + bytes(n))


def main():
    port, server, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    sel = selectors.DefaultSelector()
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", port))
    sel.register(front, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is front:  # a query: from a socket of its own, for its answer
                query, client = front.recvfrom(65535)
                up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                up.connect((server, 53))
                up.send(pad(query, size))
                sel.register(up, selectors.EVENT_READ, client)
            else:
                front.sendto(key.fileobj.recv(65535), key.data)
                sel.unregister(key.fileobj)
                key.fileobj.close()


if __name__ == "__main__":
    main()
