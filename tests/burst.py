#!/usr/bin/env python3
"""A burst of concurrent clients for the tests: opens COUNT connections to
a loopback port at once, reads each to EOF, and checks that each answer
is the client's own port number (what a service that prints
$TCPREMOTEPORT says), so a child given another connection's environment
is seen.

    burst.py PORT COUNT

Prints "ok=N wrong=N failed=N" on one line.  Every socket has a timeout
and the run is bounded by COUNT and 30 seconds, so it stops by itself.
"""

import selectors
import socket
import sys
import time


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    sel = selectors.DefaultSelector()
    answers = {}
    ok = wrong = failed = 0
    for _ in range(count):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        answers[s] = b""
        sel.register(s, selectors.EVENT_READ)
    deadline = time.time() + 30
    while answers and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = None
            if data:
                answers[s] += data
                continue
            if data is None:
                failed += 1
            elif answers[s].strip() == str(s.getsockname()[1]).encode():
                ok += 1
            else:
                wrong += 1
            sel.unregister(s)
            s.close()
            del answers[s]
    failed += len(answers)
    print(f"ok={ok} wrong={wrong} failed={failed}")


if __name__ == "__main__":
    main()
