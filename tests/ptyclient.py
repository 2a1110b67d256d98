#!/usr/bin/env python3
"""A client for tests/pty.bats, whose cases nc cannot say.

  ptyclient.py ask PORT TEXT WANT [SECS]
      send TEXT (\\n escapes), then wait up to SECS (3) for WANT to
      arrive, the connection left open: prints "got" and exits 0, or
      prints what came and exits 1.
  ptyclient.py quiet PORT TEXT [SECS]
      send TEXT, and check that nothing arrives for SECS (1) while the
      connection stays open: prints "quiet" and exits 0, else 1.
  ptyclient.py slow PORT MB LOG
      send MB megabytes of base64 lines and read them back slowly,
      while sampling the VmRSS of the relay (the pid of LOG's last
      event=start line): prints "ok bytes=N maxrss_kb=K" when all
      came back intact, exits 1 otherwise.
  ptyclient.py abort PORT WANT
      wait for WANT, then close with a reset (SO_LINGER 0).
"""

import base64
import hashlib
import os
import re
import socket
import struct
import sys
import threading
import time


def connect(port):
    return socket.create_connection(("127.0.0.1", int(port)), timeout=10)


def unescape(text):
    return text.replace("\\n", "\n").replace("\\r", "\r").encode()


def ask(port, text, want, secs=3.0):
    s = connect(port)
    s.sendall(unescape(text))
    got, end = b"", time.monotonic() + float(secs)
    while want.encode() not in got and time.monotonic() < end:
        s.settimeout(max(end - time.monotonic(), 0.01))
        try:
            b = s.recv(4096)
        except socket.timeout:
            break
        if not b:
            break
        got += b
    if want.encode() in got:
        print("got")
        return 0
    print("no answer: %r" % got)
    return 1


def quiet(port, text, secs=1.0):
    s = connect(port)
    s.sendall(unescape(text))
    s.settimeout(float(secs))
    try:
        b = s.recv(4096)
    except socket.timeout:
        print("quiet")
        return 0
    print("answered: %r" % b)
    return 1


def relay_pid(log):
    pid = None
    with open(log) as f:
        for line in f:
            m = re.match(r"event=start .* pid=(\d+)", line)
            if m:
                pid = int(m.group(1))
    return pid


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def slow(port, mb, log):
    raw = os.urandom(int(mb) * 1024 * 1024 * 3 // 4)
    data = base64.encodebytes(raw)  # 76 columns and a newline
    s = connect(port)
    s.settimeout(30)
    sender = threading.Thread(target=lambda: (s.sendall(data),
        s.shutdown(socket.SHUT_WR)))
    sender.start()
    pid, maxrss, n = None, 0, 0
    h = hashlib.sha256()
    while True:
        if pid is None:
            pid = relay_pid(log)
        b = s.recv(16384)
        if not b:
            break
        h.update(b)
        n += len(b)
        if pid is not None:
            maxrss = max(maxrss, rss_kb(pid))
        time.sleep(0.004)       # a slow reader: 4 MB/s at most
    sender.join()
    if h.digest() != hashlib.sha256(data).digest():
        print("corrupt: %d bytes of %d" % (n, len(data)))
        return 1
    print("ok bytes=%d maxrss_kb=%d" % (n, maxrss))
    return 0


def abort(port, want):
    s = connect(port)
    got = b""
    while want.encode() not in got:
        b = s.recv(4096)
        if not b:
            return 1
        got += b
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
        struct.pack("ii", 1, 0))
    s.close()
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({"ask": ask, "quiet": quiet, "slow": slow,
        "abort": abort}[cmd](*args))
