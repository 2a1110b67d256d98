#!/usr/bin/env python3
# lineask.py HOST PORT LINE...: send each LINE over TCP and wait (1.5 s at
# most) for an answer before sending the next, as a person at a prompt
# does; print each answer, or "-" where none came before the client's
# EOF; then close the sending side and print what comes after EOF, as
# "eof: TEXT".  A filter that buffers its whole output answers nothing
# before EOF.
import socket
import sys

host, port, lines = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
s = socket.create_connection((host, port), timeout=10)
for line in lines:
    s.sendall(line.encode() + b"\n")
    s.settimeout(1.5)
    try:
        got = s.recv(65536)
        print(got.decode().rstrip("\n") if got else "-")
    except socket.timeout:
        print("-")
s.settimeout(10)
s.shutdown(socket.SHUT_WR)
rest = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    rest += b
print("eof: " + rest.decode().replace("\n", " ").strip())
