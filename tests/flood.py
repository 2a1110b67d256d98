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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--hold", type=float, default=0.0)
    ap.add_argument("--source", default=None)
    ap.add_argument("--send", default=None)
    ap.add_argument("--host", default="127.0.0.1")
    a = ap.parse_args()

    opened = refused = closed = answered = 0
    socks = []
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
        if a.hold > 0:
            socks.append(s)
        else:
            try:
                s.shutdown(socket.SHUT_WR)
                data = s.recv(4096)
                if data:
                    answered += 1
                else:
                    closed += 1
            except OSError:
                closed += 1
            s.close()
    if a.hold > 0:
        time.sleep(a.hold)
        for s in socks:
            try:
                s.settimeout(0.5)
                s.shutdown(socket.SHUT_WR)
                data = s.recv(4096)
                if data:
                    answered += 1
                else:
                    closed += 1
            except OSError:
                closed += 1
            s.close()
    print(f"opened={opened} refused={refused} closed_by_server={closed} "
          f"answered={answered}")


if __name__ == "__main__":
    main()
