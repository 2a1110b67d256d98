#!/usr/bin/env python3
"""A service that says which TCP options its connection has: the socket
on fd 0 (nowait), or with --accept the first connection it accepts from
the listener on fd 0 (wait mode).  One line back to the client:

    nodelay=1 keepalive=1 idle=5 intvl=6 cnt=7 user-timeout=9000"""
import socket
import sys

s = socket.socket(fileno=0)
if len(sys.argv) > 1 and sys.argv[1] == "--accept":
    s, _ = s.accept()
T = socket.IPPROTO_TCP
opts = [("nodelay", T, socket.TCP_NODELAY),
        ("keepalive", socket.SOL_SOCKET, socket.SO_KEEPALIVE),
        ("idle", T, socket.TCP_KEEPIDLE),
        ("intvl", T, socket.TCP_KEEPINTVL),
        ("cnt", T, socket.TCP_KEEPCNT),
        ("user-timeout", T, socket.TCP_USER_TIMEOUT)]
s.sendall((" ".join("%s=%d" % (n, s.getsockopt(l, o)) for n, l, o in opts)
           + "\n").encode())
s.close()
