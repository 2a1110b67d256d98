#!/usr/bin/env python3
"""proxysend.py: a client that speaks like a load balancer: a PROXY
protocol header (HAProxy's proxy-protocol.txt, v1 or v2), then a payload,
to a superd service; or the header alone on stdout (--stdout) for
tests/proxycheck and the fuzz corpus.

  proxysend.py [options] PORT       connect to 127.0.0.1:PORT (-6: [::1])
  proxysend.py [options] --stdout   write header and payload to stdout
  proxysend.py --list-bad           the malformed kinds --bad takes
  proxysend.py --capture FILE [--reply TEXT]
                                    a balancer's backend: listen on
                                    127.0.0.1 (-6: ::1), port 0, print the
                                    port, take one connection, save what
                                    it sends to FILE until its end, answer
                                    --reply; exits after --timeout

The header (v2 unless -1):
  -1, -2                 version 1 (text) or 2 (binary, the default)
  --src ADDR:PORT        the client it speaks for   (192.0.2.1:4000;
  --dst ADDR:PORT        the address it reached      198.51.100.1:80)
                         [v6]:port or v6 alone (port 0) for IPv6
  --local                v2 LOCAL (a health check), v1 UNKNOWN
  --unspec               v2 PROXY with family UNSPEC
  --fam HEX              v2 family-protocol byte as given (12: UDP4, 31:
                         unix stream ...), addresses zero-filled to size
  --authority TEXT       TLV AUTHORITY (SNI)
  --unique-id TEXT       TLV UNIQUE_ID; --unique-id-hex HEX for bytes
  --ssl                  TLV SSL with the client connected over TLS
  --no-tls               TLV SSL saying no TLS
  --ssl-version TEXT     its VERSION sub-TLV (implies --ssl)
  --ssl-cn TEXT          its CN sub-TLV, a verified client certificate
                         (implies --ssl); --ssl-verify N: verify result N
  --tlv TYPE:HEX         any other TLV (e.g. 04:0000 a NOOP), repeatable
  --crc, --bad-crc       a CRC32C TLV, right or wrong (last TLV)
  --bad KIND             a malformed header of that kind (--list-bad)
  --no-header            no header at all: a direct client
  --raw HEX              these bytes as the header instead

Sending:
  --payload TEXT         sent after the header (\\n and \\r escapes work)
  --payload-hex HEX      the same as bytes
  --together             header and payload in one send (the default
                         sends the payload as a send of its own)
  --split N,M,...        cut the header at these byte offsets, one send
                         each, TCP_NODELAY and --pause between them
  --split-every          cut it at every byte
  --pause S              the pause between sends (0.05)
  --only N               send only the first N bytes of the header, then
                         wait (a stalled balancer; --only 0: a silent one)
  --keep                 do not shut down the write side after sending
  --bind ADDR            the client's own address (127.0.0.2: a source
                         a proxy= rule matches)
  -6                     connect to ::1
  --timeout S            give up reading after S seconds (5): exit 124
  --elapsed              say on stderr how long the connection lasted

It prints what the service sends back, until the service closes (exit
0), the connection is reset (exit 0, "proxysend: reset" on stderr) or the
timeout (exit 124); exit 1 when it cannot connect.  --stdout writes the header, then the payload.
Examples:
  proxysend.py --src 127.0.0.9:5555 --payload 'hello\\n' 4000
  proxysend.py -1 --src '[2001:db8::1]:1' --split-every 4000
  proxysend.py --authority example.com --crc --stdout | tests/proxycheck
"""

import argparse
import socket
import struct
import sys
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"
PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_CRC32C = 0x03
PP2_TYPE_NOOP = 0x04
PP2_TYPE_UNIQUE_ID = 0x05
PP2_TYPE_SSL = 0x20
PP2_SUBTYPE_SSL_VERSION = 0x21
PP2_SUBTYPE_SSL_CN = 0x22

# --bad KIND: what it breaks (proxycheck's why= for it: tests/proxyhdr.bats)
BAD = {
    "signature": "not a header: an HTTP request",
    "v2-signature": "a v2 signature with one byte wrong",
    "v1-too-long": "a v1 line with no CRLF in 107 bytes",
    "v1-lf": "a v1 line ended by LF alone",
    "v1-cr": "a v1 line ended by CR and a space",
    "v1-protocol": "a v1 line naming TCP5",
    "v1-spacing": "a v1 line with two spaces",
    "v1-missing": "a v1 line with no destination port",
    "v1-extra": "a v1 line with a fifth field",
    "v1-address": "a v1 line with the address 256.1.2.3",
    "v1-family": "a TCP4 line with IPv6 addresses",
    "v1-zero": "a v1 line with an address with a leading zero",
    "v1-port": "a v1 line with the port 65536",
    "v1-port-zero": "a v1 line with the port 080",
    "v2-version": "a v2 header of version 3",
    "v2-command": "a v2 header with the command 2",
    "v2-family": "a v2 header with the family 4",
    "v2-short": "a v2 TCP4 header with an 8-byte address block",
    "v2-tlv": "a v2 TLV longer than its block",
    "v2-tlv-head": "a v2 block ending inside a TLV's type and length",
    "v2-ssl-short": "a v2 SSL TLV of 3 bytes",
    "v2-ssl-sub": "a v2 SSL sub-TLV longer than its TLV",
    "v2-unique-id": "a v2 unique id of 129 bytes",
    "v2-crc-length": "a v2 CRC32C TLV of 2 bytes",
    "v2-crc": "a v2 CRC32C TLV with a wrong checksum",
    "v2-repeated": "two AUTHORITY TLVs",
}


def crc32c(data):
    """CRC32c (Castagnoli), as RFC 4960 appendix B computes it."""
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82f63b78 if crc & 1 else crc >> 1
    return crc ^ 0xffffffff


def hostport(s):
    """ADDR:PORT, [V6]:PORT or a bare V6 into (family, addr, port)."""
    if s.startswith("["):
        addr, _, port = s[1:].partition("]:")
        return socket.AF_INET6, addr, int(port or 0)
    if s.count(":") > 1:
        return socket.AF_INET6, s, 0
    addr, _, port = s.partition(":")
    return socket.AF_INET, addr, int(port or 0)


def unescape(s):
    return s.replace("\\n", "\n").replace("\\r", "\r").encode()


def tlv(t, value):
    return struct.pack("!BH", t, len(value)) + value


def ssl_tlv(a):
    client = 0 if a.no_tls else 0x01
    if a.ssl_cn is not None:
        client |= 0x02 | 0x04
    v = struct.pack("!BI", client, a.ssl_verify)
    if a.ssl_version is not None:
        v += tlv(PP2_SUBTYPE_SSL_VERSION, a.ssl_version.encode())
    if a.ssl_cn is not None:
        v += tlv(PP2_SUBTYPE_SSL_CN, a.ssl_cn.encode())
    return tlv(PP2_TYPE_SSL, v)


def v1(a):
    """The text header."""
    if a.local:
        return b"PROXY UNKNOWN\r\n"
    sf, sa, sp = hostport(a.src)
    df, da, dp = hostport(a.dst)
    if sf != df:
        sys.exit("proxysend: --src and --dst of two families")
    proto = "TCP4" if sf == socket.AF_INET else "TCP6"
    return ("PROXY %s %s %s %d %d\r\n" % (proto, sa, da, sp, dp)).encode()


def v2(a, extra=b"", crc=None):
    """The binary header; crc: None, "right" or "wrong"."""
    cmd = 0x20 if a.local else 0x21
    if a.local or a.unspec:
        fam, addrs = 0x00, b""
    elif a.fam is not None:
        fam = int(a.fam, 16)
        size = {1: 12, 2: 36, 3: 216}.get(fam >> 4, 0)
        addrs = bytes(size)
    else:
        sf, sa, sp = hostport(a.src)
        df, da, dp = hostport(a.dst)
        if sf != df:
            sys.exit("proxysend: --src and --dst of two families")
        fam = 0x11 if sf == socket.AF_INET else 0x21
        addrs = (socket.inet_pton(sf, sa) + socket.inet_pton(df, da) +
                 struct.pack("!HH", sp, dp))
    tlvs = b""
    if a.authority is not None:
        tlvs += tlv(PP2_TYPE_AUTHORITY, a.authority.encode())
    if a.unique_id is not None:
        tlvs += tlv(PP2_TYPE_UNIQUE_ID, a.unique_id.encode())
    if a.unique_id_hex is not None:
        tlvs += tlv(PP2_TYPE_UNIQUE_ID, bytes.fromhex(a.unique_id_hex))
    if a.ssl or a.no_tls or a.ssl_version is not None or \
            a.ssl_cn is not None:
        tlvs += ssl_tlv(a)
    for t in a.tlv:
        ty, _, hx = t.partition(":")
        tlvs += tlv(int(ty, 16), bytes.fromhex(hx))
    tlvs += extra
    if crc is not None:
        tlvs += tlv(PP2_TYPE_CRC32C, bytes(4))
    body = addrs + tlvs
    h = SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body
    if crc is not None:
        c = crc32c(h)
        if crc == "wrong":
            c ^= 1
        h = h[:-4] + struct.pack("!I", c)
    return h


def bad(a, kind):
    """A malformed header of that kind."""
    t4 = "PROXY TCP4 192.0.2.1 198.51.100.1 4000 80"
    if kind == "signature":
        return b"GET / HTTP/1.0\r\n\r\n"
    if kind == "v2-signature":
        return v2(a)[:7] + b"R" + v2(a)[8:]
    if kind == "v1-too-long":
        return b"PROXY UNKNOWN " + b"x" * 100 + b"\r\n"
    if kind == "v1-lf":
        return (t4 + "\n").encode()
    if kind == "v1-cr":
        return (t4 + "\r \n").encode()
    if kind == "v1-protocol":
        return b"PROXY TCP5 192.0.2.1 198.51.100.1 4000 80\r\n"
    if kind == "v1-spacing":
        return b"PROXY TCP4 192.0.2.1  198.51.100.1 4000 80\r\n"
    if kind == "v1-missing":
        return b"PROXY TCP4 192.0.2.1 198.51.100.1 4000\r\n"
    if kind == "v1-extra":
        return (t4 + " 1\r\n").encode()
    if kind == "v1-address":
        return b"PROXY TCP4 256.1.2.3 198.51.100.1 4000 80\r\n"
    if kind == "v1-family":
        return b"PROXY TCP4 2001:db8::1 2001:db8::2 4000 80\r\n"
    if kind == "v1-zero":
        return b"PROXY TCP4 192.0.2.01 198.51.100.1 4000 80\r\n"
    if kind == "v1-port":
        return b"PROXY TCP4 192.0.2.1 198.51.100.1 65536 80\r\n"
    if kind == "v1-port-zero":
        return b"PROXY TCP4 192.0.2.1 198.51.100.1 4000 080\r\n"
    h = bytearray(v2(a))
    if kind == "v2-version":
        h[12] = 0x31
        return bytes(h)
    if kind == "v2-command":
        h[12] = 0x22
        return bytes(h)
    if kind == "v2-family":
        h[13] = 0x41
        return bytes(h)
    if kind == "v2-short":
        return SIG + b"\x21\x11\x00\x08" + bytes(8)
    if kind == "v2-tlv":
        return v2(a, struct.pack("!BH", PP2_TYPE_NOOP, 10) + bytes(4))
    if kind == "v2-tlv-head":
        return v2(a, b"\x04\x00")
    if kind == "v2-ssl-short":
        return v2(a, tlv(PP2_TYPE_SSL, b"\x01\x00\x00"))
    if kind == "v2-ssl-sub":
        return v2(a, tlv(PP2_TYPE_SSL, b"\x01" + bytes(4) +
                         struct.pack("!BH", PP2_SUBTYPE_SSL_VERSION, 9) +
                         b"TLSv1.3"))
    if kind == "v2-unique-id":
        return v2(a, tlv(PP2_TYPE_UNIQUE_ID, b"u" * 129))
    if kind == "v2-crc-length":
        return v2(a, tlv(PP2_TYPE_CRC32C, b"\x00\x00"))
    if kind == "v2-crc":
        return v2(a, crc="wrong")
    if kind == "v2-repeated":
        return v2(a, tlv(PP2_TYPE_AUTHORITY, b"a.example") +
                  tlv(PP2_TYPE_AUTHORITY, b"b.example"))
    sys.exit("proxysend: no malformed kind %r (see --list-bad)" % kind)


def header(a):
    if a.no_header:
        return b""
    if a.raw is not None:
        return bytes.fromhex(a.raw)
    if a.bad is not None:
        return bad(a, a.bad)
    if a.version == 1:
        return v1(a)
    crc = "right" if a.crc else "wrong" if a.bad_crc else None
    return v2(a, crc=crc)


def pieces(h, a):
    """The header cut where --split or --split-every says."""
    if a.only is not None:
        h = h[:a.only]
    if a.split_every:
        cuts = list(range(1, len(h)))
    elif a.split:
        cuts = sorted({int(x) for x in a.split.split(",")
                       if 0 < int(x) < len(h)})
    else:
        cuts = []
    out, prev = [], 0
    for c in cuts + [len(h)]:
        out.append(h[prev:c])
        prev = c
    return [p for p in out if p]


def converse(a, h, payload):
    family = socket.AF_INET6 if a.ipv6 else socket.AF_INET
    host = "::1" if a.ipv6 else "127.0.0.1"
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(a.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        if a.bind:
            s.bind((a.bind, 0))
        s.connect((host, a.port))
    except OSError as e:
        print("proxysend: %s port %d: %s" % (host, a.port, e.strerror),
              file=sys.stderr)
        return 1
    sends = pieces(h, a)
    if a.together and sends:
        sends[-1] += payload
    elif payload and a.only is None:
        sends.append(payload)
    try:
        for i, p in enumerate(sends):
            if i > 0:
                time.sleep(a.pause)
            s.sendall(p)
        if not a.keep and a.only is None:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = sys.stdout.buffer
    start = time.monotonic()
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out.write(b)
            out.flush()
    except socket.timeout:
        print("proxysend: no end after %gs" % a.timeout, file=sys.stderr)
        return 124
    except ConnectionResetError:
        print("proxysend: reset", file=sys.stderr)
    if a.elapsed:
        print("proxysend: closed after %.2fs" % (time.monotonic() - start),
              file=sys.stderr)
    return 0


def capture(a):
    """--capture: one connection's bytes into a file."""
    family = socket.AF_INET6 if a.ipv6 else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind(("::1" if a.ipv6 else "127.0.0.1", 0))
    s.listen(1)
    s.settimeout(a.timeout)
    print(s.getsockname()[1], flush=True)
    try:
        c, _ = s.accept()
        c.settimeout(a.timeout)
        with open(a.capture, "wb") as f:
            if a.reply:
                c.sendall(unescape(a.reply))
            while True:
                b = c.recv(65536)
                if not b:
                    break
                f.write(b)
                f.flush()
        c.close()
    except socket.timeout:
        print("proxysend: no end after %gs" % a.timeout, file=sys.stderr)
        return 124
    return 0


def main():
    p = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1])
    p.add_argument("port", type=int, nargs="?")
    p.add_argument("-1", dest="version", action="store_const", const=1,
                   default=2)
    p.add_argument("-2", dest="version", action="store_const", const=2)
    p.add_argument("-6", dest="ipv6", action="store_true")
    p.add_argument("--src", default="192.0.2.1:4000")
    p.add_argument("--dst", default="198.51.100.1:80")
    p.add_argument("--local", action="store_true")
    p.add_argument("--unspec", action="store_true")
    p.add_argument("--fam")
    p.add_argument("--authority")
    p.add_argument("--unique-id")
    p.add_argument("--unique-id-hex")
    p.add_argument("--ssl", action="store_true")
    p.add_argument("--no-tls", action="store_true")
    p.add_argument("--ssl-version")
    p.add_argument("--ssl-cn")
    p.add_argument("--ssl-verify", type=int, default=0)
    p.add_argument("--tlv", action="append", default=[])
    p.add_argument("--crc", action="store_true")
    p.add_argument("--bad-crc", action="store_true")
    p.add_argument("--bad")
    p.add_argument("--list-bad", action="store_true")
    p.add_argument("--no-header", action="store_true")
    p.add_argument("--raw")
    p.add_argument("--payload", default="")
    p.add_argument("--payload-hex")
    p.add_argument("--together", action="store_true")
    p.add_argument("--split")
    p.add_argument("--split-every", action="store_true")
    p.add_argument("--pause", type=float, default=0.05)
    p.add_argument("--only", type=int)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--bind")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--elapsed", action="store_true")
    p.add_argument("--stdout", action="store_true")
    p.add_argument("--capture")
    p.add_argument("--reply")
    a = p.parse_args()
    if a.list_bad:
        for k, v in BAD.items():
            print("%s\t%s" % (k, v))
        return 0
    if a.capture:
        return capture(a)
    h = header(a)
    payload = bytes.fromhex(a.payload_hex) if a.payload_hex else \
        unescape(a.payload)
    if a.stdout:
        sys.stdout.buffer.write(b"".join(pieces(h, a)) + payload)
        return 0
    if a.port is None:
        p.error("a PORT or --stdout")
    return converse(a, h, payload)


if __name__ == "__main__":
    sys.exit(main())
