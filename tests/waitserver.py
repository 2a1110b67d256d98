#!/usr/bin/env python3
"""A stream wait service: superd hands it the listening socket on fd 0.
It accepts connections itself, answers each with "served N by PID", and
exits after IDLE seconds without a connection."""
import os
import socket
import sys

idle = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
s = socket.socket(fileno=0)
s.settimeout(idle)
n = 0
try:
    while True:
        c, _ = s.accept()
        n += 1
        c.sendall(f"served {n} by {os.getpid()}\n".encode())
        c.close()
except socket.timeout:
    pass
