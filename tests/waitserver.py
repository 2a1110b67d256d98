#!/usr/bin/env python3
"""A stream wait service: superd hands it the listening socket on fd 0.
It accepts connections itself, answers each with "served N by PID", and
exits after IDLE seconds without a connection, or after MAX connections.

    waitserver.py [IDLE [MAX]]"""
import os
import socket
import sys

idle = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
most = int(sys.argv[2]) if len(sys.argv) > 2 else 0
s = socket.socket(fileno=0)
s.settimeout(idle)
n = 0
try:
    while True:
        c, _ = s.accept()
        n += 1
        c.sendall(f"served {n} by {os.getpid()}\n".encode())
        c.close()
        if n == most:
            break
except socket.timeout:
    pass
