/*
 * proxyhdr.c: a PROXY protocol header (HAProxy's proxy-protocol.txt,
 * versions 1 and 2) read from the first bytes of a connection.
 *
 * proxy_parse() is a pure function over a buffer: no I/O, no state, no
 * allocation, nothing from any other superd file, so it runs the same in
 * superd, in tests/proxycheck and under libFuzzer (fuzz/proxy_fuzz.c).
 * It answers for exactly the bytes it is given: a whole header and its
 * length; 0 only while those bytes are a proper start of something that
 * can still become a valid header; -1, with a short constant reason, as
 * soon as they cannot, so that a client that is not a balancer is refused
 * on its first bytes rather than at the timeout.  A length it returns is
 * the same for every longer buffer with the same start, and 0 for every
 * shorter one.
 *
 * What the spec leaves to the receiver, decided here:
 *  - v1 is strict: single spaces, addresses that inet_pton(3) takes in
 *    the family named, ports in decimal without leading zeros, CRLF and
 *    no lone CR or LF, 107 bytes at most.  UNKNOWN, with anything after
 *    it on the line (the spec's receiver "must ignore" it), is local.
 *  - v2 LOCAL is local whatever its addresses, and the spec's receiver
 *    "must discard" its block: TLVs in it are read, a CRC32C checked,
 *    but a block that does not parse as TLVs is dropped, not refused.
 *    A PROXY header is local when its family or protocol is UNSPEC, and
 *    also when it speaks of UDP or of a unix socket: the spec's receiver
 *    "falls back to the UNSPEC mode for the valid combinations" it does
 *    not support, and a stream service has no client of those kinds.
 *    Family or protocol values the spec does not define, commands other
 *    than LOCAL and PROXY, and versions other than 2 are refused.  The
 *    address block must be at least as long as its family's addresses;
 *    what follows them is TLVs.
 *  - TLVs are walked with every length checked against what is left of
 *    the block, sub-TLVs against what is left of theirs.  CRC32C, when
 *    present, is checked (a mismatch is malformed); AUTHORITY, UNIQUE_ID
 *    and SSL (with its VERSION and CN sub-TLVs) are read; a repeated one
 *    of these, or a repeated sub-TLV, is malformed; NOOP and every
 *    other type are skipped.
 *  - Their text is hostile: a value with a byte outside printable ASCII
 *    (0x20-0x7e: no NUL, no control byte, no UTF-8) or too long for
 *    PROXY_TEXT is left out (""), the header still accepted.  A unique
 *    id, opaque bytes, is kept as it is when printable, else written in
 *    lowercase hex (a binary id over 127 bytes does not fit: left out).
 *    The certificate's CN is kept only when the SSL TLV says a client
 *    certificate was presented and verified (ph_ssl_verified), so that
 *    a service cannot take an unverified name for an identity.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <string.h>

#include "superd.h"

#define V1_ADDR_MAX	45	/* INET6_ADDRSTRLEN - 1: x:x:x:x:x:x:d.d.d.d */

#define V2_HEAD		16	/* signature, version and command, family,
				   length */
#define V2_LOCAL	0x0
#define V2_PROXY	0x1

#define PP2_TYPE_AUTHORITY	0x02
#define PP2_TYPE_CRC32C		0x03
#define PP2_TYPE_UNIQUE_ID	0x05
#define PP2_TYPE_SSL		0x20
#define PP2_SUBTYPE_SSL_VERSION	0x21
#define PP2_SUBTYPE_SSL_CN	0x22
#define PP2_CLIENT_SSL		0x01
#define PP2_CLIENT_CERT_CONN	0x02
#define PP2_CLIENT_CERT_SESS	0x04
#define PP2_UNIQUE_ID_MAX	128

static const char crc_mismatch[] = "v2 CRC32C mismatch";

static const unsigned char v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* CRC32c (Castagnoli, reflected 0x82f63b78), a byte at a time: the table
   RFC 4960 appendix B prints. */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static ssize_t
proxy_bad(const char **why, const char *what)
{
	if (why != NULL)
		*why = what;
	return -1;
}

static unsigned int
get16(const unsigned char *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t
crc32c_add(uint32_t crc, const unsigned char *p, size_t n)
{
	while (n-- > 0)
		crc = crc >> 8 ^ crc32c_table[(crc ^ *p++) & 0xff];
	return crc;
}

/*
 * The CRC32c of the n bytes of a v2 header with the 4 bytes at off (the
 * CRC32C TLV's value) taken as zeros, as the sender computed it.
 */
static uint32_t
crc32c_header(const unsigned char *p, size_t n, size_t off)
{
	static const unsigned char zero[4];
	uint32_t	 crc = 0xffffffff;

	crc = crc32c_add(crc, p, off);
	crc = crc32c_add(crc, zero, sizeof(zero));
	crc = crc32c_add(crc, p + off + 4, n - off - 4);
	return ~crc;
}

/* A TLV's text into dst, or "" when it is not all printable ASCII or
   would not fit. */
static void
proxy_text(char *dst, const unsigned char *src, size_t n)
{
	size_t	 i;

	dst[0] = '\0';
	if (n >= PROXY_TEXT)
		return;
	for (i = 0; i < n; i++)
		if (src[i] < 0x20 || src[i] > 0x7e)
			return;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A unique id: as it is when printable, else in lowercase hex. */
static void
proxy_unique_id(char *dst, const unsigned char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i;

	proxy_text(dst, src, n);
	if (dst[0] != '\0' || n == 0 || 2 * n >= PROXY_TEXT)
		return;
	for (i = 0; i < n; i++) {
		dst[2 * i] = hex[src[i] >> 4];
		dst[2 * i + 1] = hex[src[i] & 0xf];
	}
	dst[2 * n] = '\0';
}

/*
 * A literal at *pp on a v1 line that ends at end (done: the line is
 * whole, its CR seen): 1 with *pp past it, 0 when the line stops inside
 * it and may go on, -1 when it is not there.
 */
static int
v1_lit(const unsigned char **pp, const unsigned char *end, int done,
    const char *lit)
{
	size_t	 n = strlen(lit), have = end - *pp;

	if (memcmp(*pp, lit, have < n ? have : n) != 0)
		return -1;
	if (have < n)
		return done ? -1 : 0;
	*pp += n;
	return 1;
}

/*
 * The next field of a v1 line, from *pp to a space or the end of the
 * line, in *w and *wn: 1 when it is whole, *pp then past it and its
 * space; 0 when the line stops inside it and may go on; -1 when it is
 * empty (two spaces, a space at the end) or ends where it must not: the
 * last field ends the line, the others a space.
 */
static int
v1_field(const unsigned char **pp, const unsigned char *end, int done,
    int last, const unsigned char **w, size_t *wn, const char **why)
{
	const unsigned char	*q;

	for (q = *pp; q < end && *q != ' '; q++)
		;
	*w = *pp;
	*wn = q - *pp;
	if (q == end && !done)
		return 0;
	if (*wn == 0)
		return proxy_bad(why, "v1 bad spacing");
	if (last && q != end)
		return proxy_bad(why, "v1 too many fields");
	if (!last && q == end)
		return proxy_bad(why, "v1 too few fields");
	*pp = last ? q : q + 1;
	return 1;
}

/*
 * A v1 address field: whole, it is the address inet_pton(3) makes of it
 * in family; a start of one (whole == 0) is only checked to hold the
 * characters and no more than the length such an address can have.
 */
static int
v1_addr(const unsigned char *w, size_t wn, int whole, int family,
    void *dst)
{
	char	 a[V1_ADDR_MAX + 1];
	size_t	 i;

	if (wn > (family == AF_INET ? 15 : V1_ADDR_MAX))
		return -1;
	for (i = 0; i < wn; i++) {
		if ((w[i] >= '0' && w[i] <= '9') || w[i] == '.')
			continue;
		if (family == AF_INET6 && (w[i] == ':' ||
		    (w[i] >= 'a' && w[i] <= 'f') ||
		    (w[i] >= 'A' && w[i] <= 'F')))
			continue;
		return -1;
	}
	if (!whole)
		return 0;
	memcpy(a, w, wn);
	a[wn] = '\0';
	return inet_pton(family, a, dst) == 1 ? 0 : -1;
}

/* A v1 port field, or the start of one: 0-65535 in decimal, no leading
   zero. */
static int
v1_port(const unsigned char *w, size_t wn, int whole, unsigned int *port)
{
	size_t	 i;

	*port = 0;
	if (wn > 5 || (wn > 1 && w[0] == '0'))
		return -1;
	for (i = 0; i < wn; i++) {
		if (w[i] < '0' || w[i] > '9')
			return -1;
		*port = *port * 10 + (w[i] - '0');
	}
	if (*port > 65535 || (whole && wn == 0))
		return -1;
	return 0;
}

/* The four fields of a TCP4 or TCP6 line at p into ph: 1, 0, -1 as
   proxy_parse. */
static int
v1_tcp(const unsigned char *p, const unsigned char *end, int done,
    int family, struct proxyhdr *ph, const char **why)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ph->ph_src;
	struct sockaddr_in	*d4 = (struct sockaddr_in *)&ph->ph_dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ph->ph_src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&ph->ph_dst;
	const unsigned char	*w;
	size_t			 wn;
	unsigned int		 port[2];
	int			 i, r;

	for (i = 0; i < 4; i++) {
		if ((r = v1_field(&p, end, done, i == 3, &w, &wn, why)) == -1)
			return -1;
		if (i < 2 && v1_addr(w, wn, r, family, family == AF_INET ?
		    (void *)(i == 0 ? &s4->sin_addr : &d4->sin_addr) :
		    (void *)(i == 0 ? &s6->sin6_addr : &d6->sin6_addr)) == -1)
			return proxy_bad(why, "v1 bad address");
		if (i >= 2 && v1_port(w, wn, r, &port[i - 2]) == -1)
			return proxy_bad(why, "v1 bad port");
		if (r == 0)
			return 0;
	}
	if (family == AF_INET) {
		s4->sin_family = d4->sin_family = AF_INET;
		s4->sin_port = htons(port[0]);
		d4->sin_port = htons(port[1]);
	} else {
		s6->sin6_family = d6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port[0]);
		d6->sin6_port = htons(port[1]);
	}
	return 1;
}

/*
 * A v1 line: "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY
 * UNKNOWN[anything]\r\n", in its first 107 bytes.  The line is cut at
 * its first CR or LF: an LF first, or a CR followed by anything but LF,
 * is malformed; a CR that is the last byte so far makes the line whole
 * (done) but the header not yet complete.
 */
static ssize_t
proxy_v1(const unsigned char *buf, size_t len, struct proxyhdr *ph,
    const char **why)
{
	const unsigned char	*p = buf, *end;
	size_t			 n, i;
	int			 done, family, r;

	n = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;
	for (i = 0; i < n; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			break;
	done = i < n;
	if (done && (buf[i] == '\n' || (i + 1 < n && buf[i + 1] != '\n')))
		return proxy_bad(why, "v1 bad line end");
	if (i + (done ? 1 : 0) == PROXY_V1_MAX)
		return proxy_bad(why, "v1 line too long");
	end = buf + i;

	if ((r = v1_lit(&p, end, done, "PROXY ")) != 1)
		return r == 0 ? 0 : proxy_bad(why, "bad signature");
	if (p < end && *p == 'U') {
		if ((r = v1_lit(&p, end, done, "UNKNOWN")) != 1)
			return r == 0 ? 0 : proxy_bad(why, "v1 bad protocol");
		ph->ph_local = 1;
	} else {
		if ((r = v1_lit(&p, end, done, "TCP")) != 1)
			return r == 0 ? 0 : proxy_bad(why, "v1 bad protocol");
		if (p == end)
			return done ? proxy_bad(why, "v1 bad protocol") : 0;
		if (*p != '4' && *p != '6')
			return proxy_bad(why, "v1 bad protocol");
		family = *p++ == '4' ? AF_INET : AF_INET6;
		if ((r = v1_lit(&p, end, done, " ")) != 1)
			return r == 0 ? 0 : proxy_bad(why, "v1 bad spacing");
		if ((r = v1_tcp(p, end, done, family, ph, why)) != 1)
			return r;
	}
	if (i + 1 >= len)
		return 0;		/* the line is whole, its LF not here */
	ph->ph_version = 1;
	return i + 2;
}

/*
 * The SSL TLV's value: the client bits, the verify result and sub-TLVs,
 * of which VERSION and CN are read, each at most once (two CNs would
 * leave the service to guess which identity is meant).
 */
static int
v2_ssl(const unsigned char *v, size_t n, struct proxyhdr *ph,
    const char **why)
{
	const unsigned char	*cn = NULL;
	size_t			 off, sn, cnn = 0;
	int			 seen = 0, bit;

	if (n < 5)
		return proxy_bad(why, "v2 SSL TLV too short");
	ph->ph_ssl = v[0] & PP2_CLIENT_SSL ? 1 : 0;
	ph->ph_ssl_verified = (v[0] & (PP2_CLIENT_CERT_CONN |
	    PP2_CLIENT_CERT_SESS)) != 0 && v[1] == 0 && v[2] == 0 &&
	    v[3] == 0 && v[4] == 0;
	for (off = 5; off < n; off += 3 + sn) {
		if (n - off < 3 || (sn = get16(v + off + 1)) > n - off - 3)
			return proxy_bad(why, "v2 SSL sub-TLV truncated");
		bit = v[off] == PP2_SUBTYPE_SSL_VERSION ? 1 :
		    v[off] == PP2_SUBTYPE_SSL_CN ? 2 : 0;
		if (seen & bit)
			return proxy_bad(why, "v2 repeated SSL sub-TLV");
		seen |= bit;
		if (v[off] == PP2_SUBTYPE_SSL_VERSION)
			proxy_text(ph->ph_ssl_version, v + off + 3, sn);
		else if (v[off] == PP2_SUBTYPE_SSL_CN) {
			cn = v + off + 3;
			cnn = sn;
		}
	}
	if (cn != NULL && ph->ph_ssl_verified)
		proxy_text(ph->ph_ssl_cn, cn, cnn);
	return 0;
}

/*
 * The TLVs of a v2 header from off to total, of which avail bytes of
 * the header are here: 1 when all are read (the CRC then checked), 0
 * when the last ones are not all here yet, -1 when one is malformed.
 */
static int
v2_tlvs(const unsigned char *buf, size_t off, size_t total, size_t avail,
    struct proxyhdr *ph, const char **why)
{
	const unsigned char	*v;
	size_t			 n, crcat = 0;
	unsigned int		 seen = 0, bit;

	for (; off < total; off += 3 + n) {
		if (total - off < 3)
			return proxy_bad(why, "v2 TLV truncated");
		if (avail < off + 3)
			return 0;
		if ((n = get16(buf + off + 1)) > total - off - 3)
			return proxy_bad(why, "v2 TLV truncated");
		v = buf + off + 3;
		switch (buf[off]) {
		case PP2_TYPE_AUTHORITY:
		case PP2_TYPE_CRC32C:
		case PP2_TYPE_UNIQUE_ID:
		case PP2_TYPE_SSL:
			bit = 1u << (buf[off] & 0x1f);
			if (seen & bit)
				return proxy_bad(why, "v2 repeated TLV");
			seen |= bit;
			break;
		}
		if (buf[off] == PP2_TYPE_CRC32C && n != 4)
			return proxy_bad(why, "v2 CRC32C TLV not 4 bytes");
		if (buf[off] == PP2_TYPE_UNIQUE_ID && n > PP2_UNIQUE_ID_MAX)
			return proxy_bad(why, "v2 unique id too long");
		if (avail < off + 3 + n)
			return 0;
		switch (buf[off]) {
		case PP2_TYPE_AUTHORITY:
			proxy_text(ph->ph_authority, v, n);
			break;
		case PP2_TYPE_CRC32C:
			crcat = off + 3;
			break;
		case PP2_TYPE_UNIQUE_ID:
			proxy_unique_id(ph->ph_unique_id, v, n);
			break;
		case PP2_TYPE_SSL:
			if (v2_ssl(v, n, ph, why) == -1)
				return -1;
			break;
		}
	}
	if (crcat != 0 && crc32c_header(buf, total, crcat) !=
	    ((uint32_t)get16(buf + crcat) << 16 | get16(buf + crcat + 2)))
		return proxy_bad(why, crc_mismatch);
	return 1;
}

/*
 * The size of the addresses of a v2 family and protocol byte: -1 for a
 * valid pair whose addresses the spec does not lay out (one side
 * UNSPEC), -2 for a value the spec does not define.
 */
static int
v2_addrsize(int fp)
{
	if ((fp >> 4) > 3 || (fp & 0xf) > 2)
		return -2;
	switch (fp) {
	case 0x00:
		return 0;
	case 0x11:
	case 0x12:
		return 12;
	case 0x21:
	case 0x22:
		return 36;
	case 0x31:
	case 0x32:
		return 216;
	}
	return -1;
}

/* The addresses of a PROXY TCP over IPv4 or IPv6 header into ph. */
static void
v2_addrs(const unsigned char *a, int fp, struct proxyhdr *ph)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ph->ph_src;
	struct sockaddr_in	*d4 = (struct sockaddr_in *)&ph->ph_dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ph->ph_src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&ph->ph_dst;

	/* the ports are in network order on the wire as in a sockaddr */
	if (fp == 0x11) {
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&d4->sin_addr, a + 4, 4);
		memcpy(&s4->sin_port, a + 8, 2);
		memcpy(&d4->sin_port, a + 10, 2);
	} else {
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&d6->sin6_addr, a + 16, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
		memcpy(&d6->sin6_port, a + 34, 2);
	}
}

/*
 * A v2 header: the signature (already matched as far as len goes), the
 * version and command, the family and protocol, the length of what
 * follows, then the addresses and the TLVs.  What is here of it is
 * checked as soon as it is here.
 */
/* What TLVs gave, forgotten: a LOCAL header's block that is not TLVs. */
static void
v2_forget(struct proxyhdr *ph)
{
	ph->ph_authority[0] = ph->ph_unique_id[0] = '\0';
	ph->ph_ssl_version[0] = ph->ph_ssl_cn[0] = '\0';
	ph->ph_ssl = -1;
	ph->ph_ssl_verified = 0;
}

static ssize_t
proxy_v2(const unsigned char *buf, size_t len, struct proxyhdr *ph,
    const char **why)
{
	const char	*twhy = NULL;
	size_t		 total, avail;
	int		 cmd, fp, size, r;

	if (len < 13)
		return 0;
	if (buf[12] >> 4 != 2)
		return proxy_bad(why, "v2 bad version");
	cmd = buf[12] & 0xf;
	if (cmd != V2_LOCAL && cmd != V2_PROXY)
		return proxy_bad(why, "v2 bad command");
	if (len < 14)
		return 0;
	fp = buf[13];
	if ((size = v2_addrsize(fp)) == -2)
		return proxy_bad(why, "v2 bad family or protocol");
	if (len < V2_HEAD)
		return 0;
	total = V2_HEAD + get16(buf + 14);
	avail = len < total ? len : total;
	if (cmd == V2_PROXY && size > 0 && (size_t)size > total - V2_HEAD)
		return proxy_bad(why, "v2 address block too short");
	ph->ph_local = !(cmd == V2_PROXY && (fp == 0x11 || fp == 0x21));
	/* a LOCAL header's addresses, all skipped when they are not laid
	   out as its family says */
	if (size >= 0 && (size_t)size <= total - V2_HEAD) {
		r = v2_tlvs(buf, V2_HEAD + size, total, avail, ph, &twhy);
		if (r == -1 && cmd == V2_LOCAL && twhy != crc_mismatch)
			v2_forget(ph);	/* the spec: LOCAL's block discarded */
		else if (r == -1)
			return proxy_bad(why, twhy);
		else if (r == 0)
			return 0;
	}
	if (avail < total)
		return 0;
	if (!ph->ph_local)
		v2_addrs(buf + V2_HEAD, fp, ph);
	ph->ph_version = 2;
	return total;
}

/*
 * The header at the start of the len bytes of buf (see superd.h): v1 by
 * its "PROXY ", v2 by its 12-byte signature, anything else refused.
 */
ssize_t
proxy_parse(const unsigned char *buf, size_t len, struct proxyhdr *ph,
    const char **why)
{
	memset(ph, 0, sizeof(*ph));
	ph->ph_ssl = -1;
	if (why != NULL)
		*why = NULL;
	if (len == 0)
		return 0;
	if (buf[0] == 'P')
		return proxy_v1(buf, len, ph, why);
	if (memcmp(buf, v2sig, len < sizeof(v2sig) ? len : sizeof(v2sig)) != 0)
		return proxy_bad(why, "bad signature");
	return proxy_v2(buf, len, ph, why);
}

/*
 * How many bytes a header starting with these len bytes can take: a v2
 * one 16 until its length field is here, then 16 and that length; any
 * other (v1, or not known yet) PROXY_V1_MAX.
 */
size_t
proxy_want(const unsigned char *buf, size_t len)
{
	if (len == 0 || buf[0] != v2sig[0])
		return PROXY_V1_MAX;
	if (len < V2_HEAD)
		return V2_HEAD;
	return V2_HEAD + get16(buf + 14);
}
