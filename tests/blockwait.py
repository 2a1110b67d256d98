#!/usr/bin/env python3
"""A classic wait-mode daemon for the tests: superd hands it the listening
socket on fd 0 and it accepts for itself with a blocking accept(2), no
timeout, as inetd's wait services do.  It answers each connection with
"served N by PID nonblock=F" (F: the socket's O_NONBLOCK bit as it got
it) and exits after COUNT connections.  A socket handed over non-blocking
makes its second accept fail with EAGAIN, and it dies."""
import fcntl
import os
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 2
nonblock = 1 if fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK else 0
s = socket.socket(fileno=0)
for n in range(1, count + 1):
    c, _ = s.accept()
    c.sendall(f"served {n} by {os.getpid()} nonblock={nonblock}\n".encode())
    c.close()
