#!/usr/bin/env python3
"""Act as a supervisor handing sockets over (sd_listen_fds(3)), as systemd
does: bind the sockets asked for, fork, and in the child put them at fds
3, 4, ..., set LISTEN_PID and LISTEN_FDS and exec the command.  The parent
keeps its copies open (so a socket the command closes still takes
connections nobody serves, and its port stays taken) and waits for the
child, exiting with its status.

    listenfds.py PORTSFILE SPEC... -- COMMAND [ARG...]

SPEC is tcp4 (127.0.0.1, a free port) or dual (a dual-stack [::] socket,
IPV6_V6ONLY off, a free port).  One line per socket, "INDEX PORT INODE",
goes to PORTSFILE, and the child's pid to PORTSFILE.pid, before the exec.
"""
import os
import socket
import sys

args = sys.argv[1:]
sep = args.index("--")
portsfile, specs, cmd = args[0], args[1:sep], args[sep + 1:]
socks = []
for spec in specs:
    kind, _, port = spec.partition(":")
    port = int(port or 0)
    if kind == "dual":
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port))
    elif kind == "tcp4":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    else:
        sys.exit("unknown spec " + spec)
    s.listen(16)
    socks.append(s)
with open(portsfile, "w") as f:
    for i, s in enumerate(socks):
        f.write("%d %d %d\n" % (i, s.getsockname()[1],
                                os.fstat(s.fileno()).st_ino))
child = os.fork()
if child != 0:
    with open(portsfile + ".pid", "w") as f:
        f.write("%d\n" % child)
    _, st = os.waitpid(child, 0)
    sys.exit(os.waitstatus_to_exitcode(st))
# the sockets move to 3, 4, ... (above them first, so none is overwritten)
high = [os.dup(s.fileno()) for s in socks]
base = max(high) + 1
moved = []
for i, fd in enumerate(high):
    os.dup2(fd, base + i)
    moved.append(base + i)
for s in socks:
    s.close()
for fd in high:
    os.close(fd)
for i, fd in enumerate(moved):
    os.dup2(fd, 3 + i, inheritable=True)
for fd in moved:
    if fd >= 3 + len(moved):
        os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = str(len(socks))
os.execv(cmd[0], cmd)
