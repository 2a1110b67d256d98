#!/usr/bin/env python3
"""Hold a pseudo-terminal open, for tests that name its slave as a file.

    ptyhold.py FILE [SECONDS]

Opens a pty, writes the slave's path to FILE (renamed into place, so a
reader never sees half of it), and keeps the master open, with nothing
ever written to it, until SECONDS (default 30) have passed or it is
signalled.  A read of the slave then waits for ever.
"""
import os
import sys
import time

master, slave = os.openpty()
name = os.ttyname(slave)
os.close(slave)
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    f.write(name + "\n")
os.rename(tmp, sys.argv[1])
end = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 30)
while time.monotonic() < end:
    time.sleep(0.2)
