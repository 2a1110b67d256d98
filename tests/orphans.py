#!/usr/bin/env python3
# orphans.py N SECS: start N sleep(1)s of SECS seconds, reap none of
# them, say so and exit: each becomes an orphan, reparented to the
# nearest subreaper (superd -r) or init (superd as PID 1).
import os
import sys

n, secs = int(sys.argv[1]), sys.argv[2]
null = os.open("/dev/null", os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, k) for k in (0, 1, 2)]
for i in range(n):
    os.posix_spawn("/bin/sleep", ["sleep", secs], {}, file_actions=acts)
print("spawned", n, flush=True)
