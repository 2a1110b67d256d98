/*
 * internal.c: the built-in services of RFC 862, 863, 864, 867 and 868,
 * and the door to the metrics built-in.
 *
 * Stream built-ins run in a forked child, on fd 0, under the service's
 * user and limits like any other child, and end in _exit; metrics, an
 * HTTP exchange, is scrape.c's.  Datagram
 * built-ins answer in the parent without forking (admit.c reads and
 * admits each datagram; this file says whether its source may have an
 * answer, and writes the answer), and any source address can be forged,
 * so what they send is bounded, not nil.  Every answer passes the
 * admission a child does (allow=/deny=, then rate=, by default
 * BUILTIN_DGRAM_RATE_N per BUILTIN_DGRAM_RATE_S seconds per service),
 * refusals counted and logged the same way.  Echo sends back
 * exactly what it got and chargen no more (nothing to an empty datagram);
 * daytime (26 bytes) and time (4) answer the same whatever they got, so
 * an empty datagram gets more back from them.  No answer goes to a
 * broadcast, multicast or unspecified address, to a port below 1024, to
 * the port of a UDP service known to answer anything (reflect_ports), or
 * to the port of any UDP socket of this superd (dgram_source_ok): a
 * built-in never answers another service of this superd, nor, on two
 * hosts running one table, the other host's.  A UDP service of another
 * host on some other port may be answered: a spoofed datagram then
 * bounces between it and a built-in for as long as the built-in's rate
 * lets it, which is for ever when the round trip is slower than the rate.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"

#define CHARGEN_LINE	72
#define CHARGEN_DGRAM	512		/* RFC 864 */
#define RFC868_OFFSET	2208988800UL	/* 1900-01-01 to 1970-01-01 */

/* The 95 printable characters, as a ring chargen walks through. */
static char	ring[95];

static void
ring_init(void)
{
	int	 i;

	for (i = 0; i < 95; i++)
		ring[i] = (char)(' ' + i);
}

/* One chargen line: 72 characters from offset, then CR LF. */
static void
chargen_line(char *line, int offset)
{
	int	 i;

	for (i = 0; i < CHARGEN_LINE; i++)
		line[i] = ring[(offset + i) % 95];
	line[CHARGEN_LINE] = '\r';
	line[CHARGEN_LINE + 1] = '\n';
}

/* "Mon Nov 23 19:37:30 2026\r\n", the usual daytime format. */
static size_t
daytime_text(char *buf, size_t len)
{
	time_t		 t = time(NULL);
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return strftime(buf, len, "%a %b %e %H:%M:%S %Y\r\n", &tm);
}

static void
time_bytes(unsigned char *b)
{
	uint32_t	 t = (uint32_t)((unsigned long)time(NULL) + RFC868_OFFSET);

	b[0] = t >> 24;
	b[1] = t >> 16;
	b[2] = t >> 8;
	b[3] = t;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* A stream built-in, in its own forked child. */
void
internal_stream(enum builtin bi, int fd)
{
	char		 buf[8192];
	unsigned char	 tb[4];
	ssize_t		 n;
	size_t		 len;
	int		 off = 0;

	switch (bi) {
	case BI_ECHO:
		while ((n = read(fd, buf, sizeof(buf))) > 0 ||
		    (n == -1 && errno == EINTR))
			if (n > 0 && write_all(fd, buf, n) == -1)
				break;
		break;
	case BI_DISCARD:
		while ((n = read(fd, buf, sizeof(buf))) > 0 ||
		    (n == -1 && errno == EINTR))
			;
		break;
	case BI_CHARGEN:
		ring_init();
		for (;;) {
			chargen_line(buf, off);
			off = (off + 1) % 95;
			if (write_all(fd, buf, CHARGEN_LINE + 2) == -1)
				break;
		}
		break;
	case BI_DAYTIME:
		if ((len = daytime_text(buf, sizeof(buf))) > 0)
			(void)write_all(fd, buf, len);
		break;
	case BI_TIME:
		time_bytes(tb);
		(void)write_all(fd, tb, sizeof(tb));
		break;
	case BI_METRICS:
		scrape_serve(fd);
	default:
		break;
	}
	_exit(0);
}

/*
 * Ports above 1024 of UDP services known to answer whatever they are
 * sent (discovery and cache protocols): a datagram "from" one of them is
 * a reflection attempt.  Below 1024 every port is refused anyway.
 */
static const in_port_t reflect_ports[] = {
	1900,	/* SSDP */
	3283,	/* Apple Remote Desktop */
	3702,	/* WS-Discovery */
	5353,	/* mDNS */
	5683,	/* CoAP */
	10001,	/* Ubiquiti discovery */
	11211,	/* memcached */
	26000,	/* Quake */
	27015,	/* Steam */
	27960,	/* Quake III */
};

/*
 * Is port that of a service that may answer our answer?  A privileged
 * port (0, and every built-in's well-known port: echo 7, daytime 13,
 * chargen 19, time 37, with DNS, NTP, SNMP...), a reflecting service
 * above, or the port of any UDP socket of ours: the same table on two
 * hosts would otherwise make a loop between them, and a spoofed source
 * of our own address and port, one within ourselves.
 */
static int
reflecting_port(in_port_t port)
{
	size_t		 i;

	if (port < 1024)
		return 1;
	for (i = 0; i < sizeof(reflect_ports) / sizeof(reflect_ports[0]); i++)
		if (port == reflect_ports[i])
			return 1;
	return services_udp_port(port);
}

/* May a datagram from this source be answered? */
static int
dgram_source_ok(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 =
	    (const struct sockaddr_in6 *)ss;
	uint32_t			 a;

	if (ss->ss_family == AF_INET) {
		a = ntohl(sin->sin_addr.s_addr);
		if (reflecting_port(ntohs(sin->sin_port)) ||
		    a == INADDR_BROADCAST || a == INADDR_ANY || IN_MULTICAST(a))
			return 0;
		return 1;
	}
	if (ss->ss_family == AF_INET6) {
		if (reflecting_port(ntohs(sin6->sin6_port)) ||
		    IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return 0;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(&a, &sin6->sin6_addr.s6_addr[12], 4);
			a = ntohl(a);
			if (a == INADDR_BROADCAST || a == INADDR_ANY ||
			    IN_MULTICAST(a))
				return 0;
		}
		return 1;
	}
	return 0;
}

/*
 * Whether a datagram of n bytes from ss is to have an answer, asked
 * before its admission (admit.c): -1, never to that source, refused as
 * deny= refuses (see dgram_source_ok); 0, no answer but no refusal
 * either (chargen to an empty datagram: nothing asked, nothing sent, no
 * empty ping-pong); 1, an answer once admitted.
 */
int
internal_dgram_ask(enum builtin bi, const struct sockaddr_storage *ss,
    size_t n)
{
	if (!dgram_source_ok(ss))
		return -1;
	if (bi == BI_CHARGEN && n == 0)
		return 0;
	return 1;
}

/*
 * The answer of datagram built-in bi to the n bytes in buf, written over
 * them in buf (size bytes); its length, or -1 for none.
 */
ssize_t
internal_dgram_answer(enum builtin bi, char *buf, size_t n, size_t size)
{
	size_t	 len, k;

	switch (bi) {
	case BI_ECHO:
		len = n;
		break;
	case BI_CHARGEN:
		/*
		 * RFC 864: "a random number (between 0 and 512) of
		 * characters"; no more than the request held, so a spoofed
		 * request is not amplified.
		 */
		ring_init();
		len = n < CHARGEN_DGRAM ? n : CHARGEN_DGRAM;
		for (k = 0; k < len; k++)
			buf[k] = ring[k % 95];
		break;
	case BI_DAYTIME:
		len = daytime_text(buf, size);
		break;
	case BI_TIME:
		time_bytes((unsigned char *)buf);
		len = 4;
		break;
	default:
		return -1;
	}
	return (ssize_t)len;
}
