#!/usr/bin/env python3
"""A syslogd on a stream socket, for the tests: listens at PATH
(SOCK_STREAM, as some syslogds bind /dev/log), and writes every message
to OUT, one a line, messages being ended by a NUL as syslog(3) ends them
over a stream.  After the first CUT messages (0: never) it closes that
connection, as a syslogd that restarts does, and takes the next one.
Lines "#conn N" mark each connection; "#partial ..." what a closed
connection left without its NUL.  Stops after 10 s without a message.

    syslogstream.py PATH OUT [CUT]
"""

import socket
import sys


def main():
    path, out = sys.argv[1:3]
    cut = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(4)
    ls.settimeout(10)
    nconn = nmsg = 0
    with open(out, "w") as f:
        try:
            while True:
                c, _ = ls.accept()
                c.settimeout(10)
                nconn += 1
                f.write("#conn %d\n" % nconn)
                f.flush()
                buf = b""
                while True:
                    data = c.recv(65536)
                    if not data:
                        break
                    buf += data
                    while b"\0" in buf:
                        msg, buf = buf.split(b"\0", 1)
                        f.write(msg.decode(errors="replace") + "\n")
                        f.flush()
                        nmsg += 1
                        if nmsg == cut:
                            break
                    if nmsg == cut:
                        break
                if buf and nmsg != cut:
                    f.write("#partial " + buf.decode(errors="replace") + "\n")
                c.close()
        except socket.timeout:
            pass


if __name__ == "__main__":
    main()
