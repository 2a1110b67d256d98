#!/usr/bin/env python3
"""Send a burst of datagrams from one socket and count the answers.

    udpburst.py HOST PORT [--count N] [--size BYTES] [--sport PORT]
                [--wait S] [--raw-sport PORT]

Prints "replies=R bytes=B maxlen=M" once no answer has come for --wait
seconds (default 1).  --raw-sport sends one datagram from that source
port (0, or one that a socket holds, as a spoofer would) through a raw
socket (root only), and counts the UDP packets sent back to it, as that
raw socket sees them.
"""
import argparse
import socket
import struct
import time

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("--count", type=int, default=1)
ap.add_argument("--size", type=int, default=1)
ap.add_argument("--sport", type=int, default=0)
ap.add_argument("--wait", type=float, default=1.0)
ap.add_argument("--raw-sport", type=int, default=-1)
a = ap.parse_args()
payload = b"x" * a.size
replies = nbytes = maxlen = 0

if a.raw_sport >= 0:
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    hdr = struct.pack("!HHHH", a.raw_sport, a.port, 8 + len(payload), 0)
    r.sendto(hdr + payload, (a.host, 0))
    own = a.raw_sport == a.port
    end = time.monotonic() + a.wait
    while time.monotonic() < end:
        r.settimeout(max(end - time.monotonic(), 0.01))
        try:
            pkt = r.recv(70000)
        except socket.timeout:
            break
        ihl = (pkt[0] & 15) * 4
        sp, dp = struct.unpack("!HH", pkt[ihl:ihl + 4])
        if sp == a.port and dp == a.raw_sport:
            if own:
                own = False     # our own datagram, seen on its way in
                continue
            replies += 1
            n = len(pkt) - ihl - 8
            nbytes += n
            maxlen = max(maxlen, n)
else:
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("::1" if fam == socket.AF_INET6 else "127.0.0.1", a.sport))
    for i in range(a.count):
        s.sendto(payload, (a.host, a.port))
    s.settimeout(a.wait)
    while True:
        try:
            data, _ = s.recvfrom(70000)
        except socket.timeout:
            break
        replies += 1
        nbytes += len(data)
        maxlen = max(maxlen, len(data))
print("replies=%d bytes=%d maxlen=%d" % (replies, nbytes, maxlen))
