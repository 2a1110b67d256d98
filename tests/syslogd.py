#!/usr/bin/env python3
"""A syslogd that does not keep up, for the tests: binds a datagram
socket at PATH, reads nothing until the file GO exists (at most 60 s),
then writes every message it gets to OUT, one a line, and stops after
5 s without one.

    syslogd.py PATH GO OUT
"""

import os
import socket
import sys
import time


def main():
    path, go, out = sys.argv[1:4]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    deadline = time.time() + 60
    while not os.path.exists(go) and time.time() < deadline:
        time.sleep(0.05)
    s.settimeout(5)
    with open(out, "w") as f:
        try:
            while True:
                f.write(s.recv(8192).decode(errors="replace") + "\n")
                f.flush()
        except socket.timeout:
            pass


if __name__ == "__main__":
    main()
