#!/usr/bin/env python3
# udpask.py HOST PORT [NAME:TEXT...]: UDP clients, one socket (so one
# source port) per NAME, each datagram TEXT sent from its NAME's socket in
# the order given, and the answer to it (2 s at most) printed as
# "NAME: ANSWER", or "NAME: -" when none came.  Over IPv6 when HOST has a
# colon.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
socks = {}
for arg in sys.argv[3:]:
    name, text = arg.split(":", 1)
    if name not in socks:
        socks[name] = socket.socket(fam, socket.SOCK_DGRAM)
        socks[name].settimeout(2)
    s = socks[name]
    s.sendto(text.encode() + b"\n", (host, port))
    try:
        got, src = s.recvfrom(65536)
        print("%s: %s" % (name, got.decode().rstrip("\n")))
    except socket.timeout:
        print("%s: -" % name)
