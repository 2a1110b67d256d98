/*
 * confval.c: the small value parsers of a table's fields and options:
 * decimal numbers, sizes (socket buffers, resource limits), octal
 * modes, and addresses with a prefix length (allow=, deny=, proxy=).
 * Each returns 0 with the value, or -1; the caller says what is wrong,
 * as FILE:LINE: message.  Calls nothing of superd's.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

/*
 * A size with an optional k or m suffix, for sndbuf= and rcvbuf=: decimal
 * digits only, checked as they are read and against the suffix, up to
 * INT_MAX, the int that setsockopt(2) takes.  Not expand_number(3):
 * libbsd's takes "-1" for 2^64 - 1, "010" for 8 and "0x10" for 16.
 */
int
parse_size(const char *s, int *out)
{
	const char	*d;
	long long	 v = 0, mult = 1;

	for (d = s; *d >= '0' && *d <= '9'; d++) {
		v = v * 10 + (*d - '0');
		if (v > INT_MAX)
			return -1;
	}
	if (d == s)
		return -1;
	if (*d == 'k' || *d == 'K') {
		mult = 1024;
		d++;
	} else if (*d == 'm' || *d == 'M') {
		mult = 1024 * 1024;
		d++;
	}
	if (*d != '\0' || v == 0 || v > INT_MAX / mult)
		return -1;
	*out = (int)(v * mult);
	return 0;
}

/* An octal file mode, 0 to 07777, octal digits only. */
int
parse_mode(const char *s, int *out)
{
	const char	*d;
	int		 m = 0;

	for (d = s; *d >= '0' && *d <= '7'; d++) {
		m = m * 8 + (*d - '0');
		if (m > 07777)
			return -1;
	}
	if (d == s || *d != '\0')
		return -1;
	*out = m;
	return 0;
}

/* A decimal number from min to max, as strtonum(3) reads one. */
int
parse_num(const char *s, long long min, long long max, long long *out)
{
	const char	*errstr;

	*out = strtonum(s, min, max, &errstr);
	return errstr == NULL ? 0 : -1;
}
/*
 * A resource limit's size for rlimit-as= and the like: decimal digits,
 * an optional k, m or g suffix (1024 based), or "unlimited"; 0 is a
 * size here (rlimit-core=0).
 */
int
parse_rsize(const char *s, uint64_t *out)
{
	const char	*d;
	uint64_t	 v = 0, mult = 1;

	if (strcmp(s, "unlimited") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	for (d = s; *d >= '0' && *d <= '9'; d++) {
		v = v * 10 + (uint64_t)(*d - '0');
		if (v > ((uint64_t)1 << 50))
			return -1;
	}
	if (d == s)
		return -1;
	if (*d == 'k' || *d == 'K')
		mult = 1024;
	else if (*d == 'm' || *d == 'M')
		mult = 1024 * 1024;
	else if (*d == 'g' || *d == 'G')
		mult = 1024 * 1024 * 1024;
	if (mult != 1)
		d++;
	if (*d != '\0' || v > ((uint64_t)1 << 50) / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/*
 * ADDR or ADDR/BITS, IPv4 or IPv6 (brackets allowed); an IPv4-mapped IPv6
 * address is kept as the IPv4 address it is, as peers are matched, its
 * BITS IPv6's (96 to 128: ::ffff:10.0.0.0/104 is 10.0.0.0/8), so that
 * ::ffff:127.0.0.2/8 is an error, not 127.0.0.0/8.
 */
int
acl_parse(const char *s, struct acl *acl)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *a;
	const char	*errstr;
	size_t		 len;
	int		 max, mapped = 0;

	memset(acl, 0, sizeof(*acl));
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	a = buf;
	if ((slash = strchr(a, '/')) != NULL)
		*slash++ = '\0';
	if (a[0] == '[') {
		len = strlen(a);
		if (len < 3 || a[len - 1] != ']')
			return -1;
		a[len - 1] = '\0';
		a++;
	}
	if (inet_pton(AF_INET, a, acl->ac_addr) == 1) {
		acl->ac_family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, a, acl->ac_addr) == 1) {
		acl->ac_family = AF_INET6;
		max = 128;
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)acl->ac_addr)) {
			memmove(acl->ac_addr, acl->ac_addr + 12, 4);
			acl->ac_family = AF_INET;
			mapped = 1;
		}
	} else
		return -1;
	acl->ac_bits = max;
	if (slash != NULL) {
		acl->ac_bits = strtonum(slash, mapped ? 96 : 0, max, &errstr);
		if (errstr != NULL)
			return -1;
	}
	if (mapped)
		acl->ac_bits -= 96;
	return 0;
}
