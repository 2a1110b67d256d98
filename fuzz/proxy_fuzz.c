/*
 * proxy_fuzz.c: libFuzzer harness for proxyhdr.c, the PROXY header
 * parser, over the bytes a peer sends first.
 *
 * Besides not crashing, each input checks what superd's accept path
 * relies on; a broken property aborts, which libFuzzer reports as a crash:
 *  - a length returned is within the input, at most PROXY_V1_MAX for v1,
 *    and for v2 exactly proxy_want() (16 and the length field), never
 *    more than PROXY_V2_MAX; 0 ("need more") only while the input is
 *    shorter than proxy_want(); -1 always with a reason;
 *  - every ph_* text is NUL-terminated inside PROXY_TEXT and printable
 *    ASCII; a non-local header has two addresses of one family, AF_INET
 *    or AF_INET6; a local one none;
 *  - the answer over the first n bytes is the same length with the same
 *    fields from the header's end on, 0 before it; once -1, -1 for every
 *    longer start: the caller may parse at every read.
 * A v2 input is then parsed again with its length field made to cover
 * the input and its CRC32C TLV, if any, set right by a CRC of the
 * harness's own (bit by bit, to check proxyhdr.c's table): libFuzzer
 * cannot find those by itself, and a header with a right checksum must
 * never be refused for it.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../superd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_text(const char *s)
{
	size_t	 i, n;

	if ((n = strnlen(s, PROXY_TEXT)) == PROXY_TEXT)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

static void
check_fields(const struct proxyhdr *ph)
{
	int	 f = ph->ph_src.ss_family;

	check_text(ph->ph_authority);
	check_text(ph->ph_unique_id);
	check_text(ph->ph_ssl_version);
	check_text(ph->ph_ssl_cn);
	if (ph->ph_version != 1 && ph->ph_version != 2)
		abort();
	if (ph->ph_local) {
		if (f != AF_UNSPEC || ph->ph_dst.ss_family != AF_UNSPEC)
			abort();
	} else if ((f != AF_INET && f != AF_INET6) ||
	    ph->ph_dst.ss_family != f)
		abort();
	if (ph->ph_ssl < -1 || ph->ph_ssl > 1)
		abort();
	if (ph->ph_ssl == -1 && (ph->ph_ssl_version[0] != '\0' ||
	    ph->ph_ssl_cn[0] != '\0' || ph->ph_ssl_verified))
		abort();
	if (ph->ph_ssl_cn[0] != '\0' && !ph->ph_ssl_verified)
		abort();
	if (ph->ph_version == 1 && (ph->ph_authority[0] != '\0' ||
	    ph->ph_unique_id[0] != '\0' || ph->ph_ssl != -1))
		abort();
}

/* The answer over buf[0..len), checked alone. */
static ssize_t
check_one(const uint8_t *buf, size_t len, struct proxyhdr *ph)
{
	const char	*why;
	ssize_t		 r;
	size_t		 want;

	r = proxy_parse(buf, len, ph, &why);
	want = proxy_want(buf, len);
	if (want > PROXY_V2_MAX || want < 16)
		abort();
	if (r < -1 || (r > 0 && (size_t)r > len))
		abort();
	if (r == -1 && (why == NULL || why[0] == '\0'))
		abort();
	if (r != -1 && why != NULL)
		abort();
	if (r == 0 && len >= want)
		abort();
	if (r > 0) {
		check_fields(ph);
		if (ph->ph_version == 1 && r > PROXY_V1_MAX)
			abort();
		if (ph->ph_version == 2 && ((size_t)r != want ||
		    r > PROXY_V2_MAX))
			abort();
	}
	return r;
}

/* The answers over the starts of buf agree with the answer r over all
   of it (ph). */
static void
check_starts(const uint8_t *buf, size_t len, ssize_t r,
    const struct proxyhdr *ph)
{
	struct proxyhdr	 ph2;
	size_t		 n, step, end;
	ssize_t		 r2;
	int		 refused = 0;

	end = r > 0 ? (size_t)r : len;
	step = end > 128 ? (end - 128) / 16 + 1 : 1;
	for (n = 0; n < end; n += n < 128 ? 1 : step) {
		r2 = check_one(buf, n, &ph2);
		if (r > 0 && r2 != 0)
			abort();	/* a start of a header is not yet one */
		if (r == 0 && r2 != 0)
			abort();
		if (r2 == -1)
			refused = 1;
		else if (refused)
			abort();	/* refused, then not */
	}
	if (r > 0) {
		for (n = r; n <= len && n < (size_t)r + 3; n++) {
			if (check_one(buf, n, &ph2) != r)
				abort();
			if (memcmp(ph, &ph2, sizeof(ph2)) != 0)
				abort();
		}
	}
}

static uint32_t
crc32c_bits(const uint8_t *p, size_t n)
{
	uint32_t	 crc = 0xffffffff;
	int		 k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? crc >> 1 ^ 0x82f63b78 : crc >> 1;
	}
	return ~crc;
}

/*
 * buf as a v2 header whose length covers it all and whose first CRC32C
 * TLV of 4 bytes, if any, holds the right checksum: 1 when one was set.
 */
static int
fix_v2(uint8_t *buf, size_t len)
{
	size_t	 total, off, n, size;
	uint32_t crc;

	total = len > PROXY_V2_MAX ? PROXY_V2_MAX : len;
	buf[14] = (total - 16) >> 8;
	buf[15] = (total - 16) & 0xff;
	switch (buf[13]) {
	case 0x00: size = 0; break;
	case 0x11: case 0x12: size = 12; break;
	case 0x21: case 0x22: size = 36; break;
	case 0x31: case 0x32: size = 216; break;
	default: return 0;
	}
	for (off = 16 + size; off + 3 <= total; off += 3 + n) {
		n = buf[off + 1] << 8 | buf[off + 2];
		if (n > total - off - 3)
			return 0;
		if (buf[off] == 0x03 && n == 4) {
			memset(buf + off + 3, 0, 4);
			crc = crc32c_bits(buf, total);
			buf[off + 3] = crc >> 24;
			buf[off + 4] = crc >> 16;
			buf[off + 5] = crc >> 8;
			buf[off + 6] = crc;
			return 1;
		}
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sig[12] = "\r\n\r\n\0\r\nQUIT\n";
	struct proxyhdr	 ph;
	const char	*why;
	uint8_t		*copy;
	ssize_t		 r;
	int		 fixed;

	r = check_one(data, size, &ph);
	check_starts(data, size, r, &ph);
	if (size < 16 || memcmp(data, sig, sizeof(sig)) != 0)
		return 0;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	fixed = fix_v2(copy, size);
	r = check_one(copy, size, &ph);
	check_starts(copy, size, r, &ph);
	if (fixed && r == -1) {
		(void)proxy_parse(copy, size, &ph, &why);
		if (strcmp(why, "v2 CRC32C mismatch") == 0)
			abort();
	}
	free(copy);
	return 0;
}
