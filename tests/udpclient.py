#!/usr/bin/env python3
"""Send one datagram and print the reply (raw bytes), or nothing when no
reply comes within the timeout.

    udpclient.py HOST PORT TEXT [--sport PORT] [--timeout S] [--hex]
"""
import argparse
import socket
import sys

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("text")
ap.add_argument("--sport", type=int, default=0)
ap.add_argument("--timeout", type=float, default=2.0)
ap.add_argument("--hex", action="store_true")
a = ap.parse_args()
fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1" if fam == socket.AF_INET6 else "127.0.0.1", a.sport))
s.settimeout(a.timeout)
s.sendto(a.text.encode(), (a.host, a.port))
try:
    data, _ = s.recvfrom(65536)
except socket.timeout:
    sys.exit(3)
if a.hex:
    print(data.hex())
else:
    sys.stdout.buffer.write(data)
