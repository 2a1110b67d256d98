#!/usr/bin/env python3
"""A service for the stderr tests: writes COUNT lines to its stderr, one
write(2) each, as fast as it can; halfway it asks another service of the
same superd (on 127.0.0.1:PORT) for its answer, so that superd is seen
to answer while the flood runs.  Then it tells its client on stdout:

    answer=TEXT elapsed=SECONDS

elapsed being how long its writes took, the ask included.

    errflood.py COUNT PORT
"""

import os
import socket
import sys
import time


def ask(port):
    """The other service's first line, or what went wrong."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.shutdown(socket.SHUT_WR)
            return s.recv(100).decode(errors="replace").strip() or "none"
    except OSError as e:
        return "error:" + type(e).__name__


def main():
    count, port = int(sys.argv[1]), int(sys.argv[2])
    answer = "none"
    start = time.monotonic()
    for i in range(count):
        os.write(2, b"flood line %d\n" % i)
        if i == count // 2:
            answer = ask(port)
    elapsed = time.monotonic() - start
    print("answer=%s elapsed=%.3f" % (answer, elapsed), flush=True)


main()
