#!/usr/bin/env python3
"""A dgram service: reads the datagram waiting on fd 0 and answers it
upper-cased, with the sender superd saw in UDPREMOTEPORT."""
import os
import socket

s = socket.socket(fileno=0)
data, addr = s.recvfrom(65536)
reply = data.upper() + b" " + os.environ.get("UDPREMOTEPORT", "?").encode()
s.sendto(reply, addr)
