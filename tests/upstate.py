#!/usr/bin/env python3
"""upstate.py: execute superd as an upgrade in place executes its new
binary, with a state the test describes (upgrade.bats, hostile.bats).

usage: upstate.py [options] ITEM... -- COMMAND [ARG...]

The state, in the format upgradedec.c reads, goes into a memory file
sealed as upgradeenc.c's sealed_memfd seals it, SUPERD_UPGRADE_STATE
names it, and COMMAND is executed in this process: the same pid, so the
children forked here are COMMAND's children, as an old binary's are the
new one's.

options:
  --raw FILE        the state is FILE's bytes as they are (no ITEM)
  --plain           the state in a regular file instead (deleted)
  --unsealed        in a memory file sealed against all but writes
  --table FILE      FILE in a sealed memory file, SUPERD_UPGRADE_TABLE
  --table-plain FILE  FILE in a regular file, SUPERD_UPGRADE_TABLE
  --env VALUE       SUPERD_UPGRADE_STATE=VALUE, no state made
  --pids FILE       the pids forked here, one a line

items (each is a descriptor, DESC, handed over):
  svc=DESC[,dgram]  service 1: table line 1, 127.0.0.1:0 tcp (udp)
  child=DESC[,pid=P][,conn=DESC][,err=DESC]
                    a child of service 1, DESC its pidfd; P its pid
                    (a fork's own by default, else a sleeper's forked
                    for it: never a process the test did not make)
  gk=DESC[,pgid=P]  a group whose SIGKILL is due, DESC its leader's pidfd
  linger=DESC       a connection lingering (draining) after its child
  pidfile=DESC      the locked pid file

DESC: N (descriptor N, inherited), listen (a tcp socket listening on
127.0.0.1:0), tcp (a tcp socket, not listening), udp (a udp socket on
127.0.0.1:0), sock (one end of a socketpair), piper, pipew (a pipe's
read end, its write end), file (a regular file), null (/dev/null), fork
(the pidfd of a sleeper forked here), pid:P (the pidfd of process P);
KIND@N: that one, moved to descriptor N.

The sleepers forked here die with COMMAND (PR_SET_PDEATHSIG), after 60
seconds at the latest.
"""

import ctypes
import fcntl
import os
import socket
import struct
import sys
import tempfile
import time

REFUSE_MAX, OUTCOME_MAX, MX_BUCKETS = 8, 4, 16
SEALS = (fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE |
         fcntl.F_SEAL_SEAL)
PR_SET_PDEATHSIG = 1
keep = []       # objects whose descriptors must stay open
forked = []


def sleeper():
    """A child that sleeps until COMMAND ends (60 s at most)."""
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, 9)
        os.execv("/bin/sleep", ["sleep", "60"])
    forked.append(pid)
    return pid


def inheritable(fd):
    os.set_inheritable(fd, True)
    return fd


def desc(spec):
    """The descriptor spec names, made here; its pid too for fork.
    KIND@N: made, then moved to descriptor N."""
    if "@" in spec:
        spec, _, n = spec.partition("@")
        fd, pid = desc(spec)
        os.dup2(fd, int(n), inheritable=True)
        return int(n), pid
    if spec.isdigit():
        return int(spec), None
    if spec == "fork":
        pid = sleeper()
        return inheritable(os.pidfd_open(pid)), pid
    if spec.startswith("pid:"):
        return inheritable(os.pidfd_open(int(spec[4:]))), None
    if spec in ("listen", "tcp", "udp"):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if spec == "udp"
                          else socket.SOCK_STREAM)
        if spec != "tcp":
            s.bind(("127.0.0.1", 0))
        if spec == "listen":
            s.listen(16)
        keep.append(s)
        return inheritable(s.fileno()), None
    if spec == "sock":
        a, b = socket.socketpair()
        keep.extend((a, b))
        return inheritable(a.fileno()), None
    if spec in ("piper", "pipew"):
        r, w = os.pipe()
        return inheritable(r if spec == "piper" else w), None
    if spec == "file":
        f = tempfile.TemporaryFile()
        keep.append(f)
        return inheritable(f.fileno()), None
    if spec == "null":
        return inheritable(os.open("/dev/null", os.O_RDONLY)), None
    sys.exit("upstate.py: no such descriptor: " + spec)


class State:
    def __init__(self):
        self.b = bytearray()

    def i32(self, v):
        self.b += struct.pack("=i", v)

    def u32(self, v):
        self.b += struct.pack("=I", v)

    def u64(self, v):
        self.b += struct.pack("=Q", v)

    def f64(self, v):
        self.b += struct.pack("=d", v)

    def str(self, s):
        s = s.encode()
        self.u32(len(s))
        self.b += s


def sin(port=0):
    return (struct.pack("=H", socket.AF_INET) + struct.pack(">H", port) +
            socket.inet_aton("127.0.0.1") + bytes(8))


def encode(items):
    svcs, kids, gks, lingers, pidfd = [], [], [], [], -1
    for name, spec, opts in items:
        if name == "svc":
            svcs.append((spec, "dgram" in opts))
        elif name == "child":
            kids.append((spec, opts))
        elif name == "gk":
            gks.append((spec, opts))
        elif name == "linger":
            lingers.append(spec)
        elif name == "pidfile":
            pidfd = spec
        else:
            sys.exit("upstate.py: no such item: " + name)
    now = time.monotonic()
    w = State()
    # superd's own
    w.str("upstate.py")
    w.f64(now)
    w.f64(time.time())
    w.f64(time.time())
    for _ in range(4):
        w.u64(0)
    w.i32(pidfd)
    w.u32(REFUSE_MAX)
    w.u32(OUTCOME_MAX)
    w.u32(MX_BUCKETS)
    for fd, dgram in svcs:
        w.i32(fd)
        w.i32(socket.SOCK_DGRAM if dgram else socket.SOCK_STREAM)
        w.i32(socket.AF_INET)
        w.i32(1 if dgram else 0)        # PROTO_UDP, PROTO_TCP
        w.i32(0)                        # retired
        a = sin()
        w.u32(len(a))
        w.b += a
        w.u64(0)
        w.u64(0)
        w.str("echo")
        w.i32(1)                        # its line
        w.u64(0)                        # started
        for _ in range(REFUSE_MAX + 2 + OUTCOME_MAX + MX_BUCKETS):
            w.u64(0)
        w.f64(0)                        # dursum
        w.f64(0)                        # cpu
        w.u64(0)
        w.u64(0)
        w.f64(0)                        # tokens
        w.f64(now)
        for _ in range(3):
            w.u64(0)
        w.i32(0)                        # no refusal summaries
    for (fd, pid), opts in kids:
        w.i32(int(opts.get("pid", pid or 0)))
        w.i32(fd)
        w.u32(0)                        # service 1
        w.u32(2)                        # no peer: AF_UNSPEC
        w.b += bytes(2)
        w.f64(now)
        w.f64(-1)                       # no timeout= due
        w.f64(-1)                       # nor idle=
        for _ in range(3):              # termed, killed, reason
            w.i32(0)
        w.i32(opts.get("conn", (-1,))[0])
        w.i32(opts.get("err", (-1,))[0])
        for _ in range(4):              # wait, dgram, tries, quiet
            w.i32(0)
        w.u64(0)
        w.i32(0)
        w.u64(0)
    for (fd, pid), opts in gks:
        w.i32(int(opts.get("pgid", pid or 0)))
        w.i32(fd)
        w.f64(now + 1)
        w.i32(1)
        w.i32(0)
        w.str("echo")
    for fd in lingers:
        w.i32(fd)
        w.u32(0)
        w.i32(20)                       # linger=20
        w.i32(0)
        w.i32(1)                        # draining
        w.u64(1 << 20)
        w.f64(0.05)
        w.f64(now + 20)
    body = bytes(w.b)
    h = 0xcbf29ce484222325
    for c in body:
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    return (b"SUPERDST" + struct.pack("=IIQIIIIQ", 1, 48, 48 + len(body),
            len(svcs), len(kids), len(gks), len(lingers), h) + body)


def memfile(data, how):
    """data in a file of the kind how names, its descriptor inheritable."""
    if how == "plain":
        f = tempfile.TemporaryFile()
        keep.append(f)
        f.write(data)
        f.flush()
        return inheritable(f.fileno())
    fd = os.memfd_create("superd-state", os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS if how == "sealed" else
                SEALS & ~fcntl.F_SEAL_WRITE)
    return inheritable(fd)


def main(argv):
    how, raw, table, env, pids = "sealed", None, None, None, None
    args = []
    i = 0
    while argv[i] != "--":
        a = argv[i]
        if a in ("--raw", "--table", "--table-plain", "--env", "--pids"):
            i += 1
            if a == "--raw":
                raw = open(argv[i], "rb").read()
            elif a == "--env":
                env = argv[i]
            elif a == "--pids":
                pids = argv[i]
            else:
                table = (open(argv[i], "rb").read(),
                         "plain" if a == "--table-plain" else "sealed")
        elif a == "--plain":
            how = "plain"
        elif a == "--unsealed":
            how = "unsealed"
        else:
            args.append(a)
        i += 1
    cmd = argv[i + 1:]
    # the forks first, so that no sleeper holds what is made after
    items = []
    for a in args:
        name, _, rest = a.partition("=")
        parts = rest.split(",")
        opts = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            opts[k] = v if k in ("pid", "pgid") else (None if not v else v)
        if name in ("child", "gk") and "pid" not in opts and \
                "pgid" not in opts and parts[0] != "fork":
            opts["pid" if name == "child" else "pgid"] = str(sleeper())
        items.append((name, parts[0], opts))
    made = []
    for name, spec, opts in items:
        fd = desc(spec)
        for k in ("conn", "err"):
            if k in opts:
                opts[k] = desc(opts[k])
        made.append((name, fd if name in ("child", "gk") else fd[0], opts))
    e = dict(os.environ)
    if env is not None:
        e["SUPERD_UPGRADE_STATE"] = env
    else:
        e["SUPERD_UPGRADE_STATE"] = str(memfile(raw if raw is not None else
                                                encode(made), how))
    if table is not None:
        e["SUPERD_UPGRADE_TABLE"] = str(memfile(table[0], table[1]))
    if pids is not None:
        with open(pids, "w") as f:
            f.write("".join("%d\n" % p for p in forked))
    os.execve(cmd[0], cmd, e)


main(sys.argv[1:])
