#!/usr/bin/env python3
"""A fork loop for the containment tests (cgroup.bats): forks children
that sleep, without end, and goes on when a fork fails; says once, on
its standard output, how many it had when the first fork failed."""

import os
import time

n = 0
said = False
while True:
    try:
        pid = os.fork()
    except OSError as e:
        if not said:
            print("refused after %d: %s" % (n, e.strerror), flush=True)
            said = True
        time.sleep(0.01)
        continue
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    n += 1
