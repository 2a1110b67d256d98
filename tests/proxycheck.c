/*
 * proxycheck.c: proxyhdr.c from the outside, for tests/proxyhdr.bats.
 *
 *	proxycheck <header-and-more
 *
 * Reads its standard input (at most PROXY_V2_MAX and a little more),
 * gives all of it to proxy_parse() and prints what came out, one
 * key=value a line:
 *	header=LEN version=1|2 local=0|1 src=ADDR sport=N dst=ADDR dport=N
 *	authority= unique_id= ssl=-1|0|1 ssl_version= ssl_cn= ssl_verified=
 *	rest=N (the bytes after the header)       exit 0
 *	more want=N (a proper start of a header)  exit 2
 *	error why=TEXT                            exit 1
 * and, for an input of at most 4096 bytes, at=N: the fewest of its first
 * bytes for which the answer was already the final one (a refusal as
 * soon as the bytes show it, a header only once it is whole).  Each
 * start of the input is parsed on its own, so a start that answers
 * differently from the whole (a header cut short taken as one, a
 * refusal that a longer start takes back) fails: "inconsistent at=N",
 * exit 3.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../superd.h"

static void
show_addr(const char *name, const char *pname,
    const struct sockaddr_storage *ss)
{
	char	 a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		printf("%s=%s\n%s=%u\n", name, a, pname, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		printf("%s=%s\n%s=%u\n", name, a, pname,
		    ntohs(sin6->sin6_port));
	}
}

int
main(void)
{
	static unsigned char	 buf[PROXY_V2_MAX + 4096];
	struct proxyhdr		 ph, ph2;
	const char		*why;
	size_t			 len = 0, n, at;
	ssize_t			 r, r2;

	while (len < sizeof(buf) && (r = read(0, buf + len,
	    sizeof(buf) - len)) > 0)
		len += r;
	r = proxy_parse(buf, len, &ph, &why);
	if (len <= 4096) {
		at = len;
		for (n = 0; n <= len; n++) {
			r2 = proxy_parse(buf, n, &ph2, NULL);
			if (r2 == r && r != 0 && at == len)
				at = n;
			if ((r > 0 && n < (size_t)r && r2 != 0) ||
			    (r > 0 && n >= (size_t)r && r2 != r) ||
			    (r == 0 && r2 != 0) ||
			    (at < n && r2 != r)) {
				printf("inconsistent at=%zu\n", n);
				return 3;
			}
		}
		printf("at=%zu\n", at);
	}
	if (r == -1) {
		printf("error why=%s\n", why);
		return 1;
	}
	if (r == 0) {
		printf("more want=%zu\n", proxy_want(buf, len));
		return 2;
	}
	printf("header=%zd\nversion=%d\nlocal=%d\n", r, ph.ph_version,
	    ph.ph_local);
	show_addr("src", "sport", &ph.ph_src);
	show_addr("dst", "dport", &ph.ph_dst);
	printf("authority=%s\nunique_id=%s\nssl=%d\nssl_version=%s\n"
	    "ssl_cn=%s\nssl_verified=%d\nrest=%zu\n", ph.ph_authority,
	    ph.ph_unique_id, ph.ph_ssl, ph.ph_ssl_version, ph.ph_ssl_cn,
	    ph.ph_ssl_verified, len - r);
	return 0;
}
