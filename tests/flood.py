#!/usr/bin/env python3
"""A misbehaving client for the tests: opens N connections to a loopback
port, optionally holds them open for a while, and reports what happened.

    flood.py PORT COUNT [--hold SECONDS] [--source ADDR] [--send TEXT]

Prints "opened=N refused=N closed_by_server=N answered=N" on one line.
Every connection has a timeout; the whole run is bounded by COUNT and
by --hold, so it always stops by itself.
"""

import argparse
import socket
import time


def finish(s):
    """Shut our side, read the answer; 'answered' or 'closed'."""
    try:
        s.settimeout(5)
        s.shutdown(socket.SHUT_WR)
        return "answered" if s.recv(4096) else "closed"
    except OSError:
        return "closed"
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--hold", type=float, default=0.0)
    ap.add_argument("--source", default=None)
    ap.add_argument("--send", default=None)
    ap.add_argument("--host", default="127.0.0.1")
    a = ap.parse_args()

    opened = refused = 0
    socks, results = [], []
    for _ in range(a.count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        if a.source:
            s.bind((a.source, 0))
        try:
            s.connect((a.host, a.port))
        except OSError:
            refused += 1
            s.close()
            continue
        opened += 1
        if a.send is not None:
            try:
                s.sendall(a.send.encode())
            except OSError:
                pass
        socks.append(s)
        if a.hold == 0:
            results.append(finish(socks.pop()))
    time.sleep(a.hold)
    results.extend(finish(s) for s in socks)
    answered = results.count("answered")
    closed = results.count("closed")
    print(f"opened={opened} refused={refused} closed_by_server={closed} "
          f"answered={answered}")


if __name__ == "__main__":
    main()
