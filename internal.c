/*
 * internal.c: the built-in services of RFC 862, 863, 864, 867 and 868.
 *
 * Stream built-ins run in a forked child, on fd 0, under the service's
 * user and limits like any other child, and end in _exit.  Datagram
 * built-ins answer in the parent without forking, and never answer a
 * source that could be another such service or a crowd: a privileged
 * source port (below 1024, which holds every built-in's own port), or a
 * broadcast or multicast address.  So two hosts cannot be made to bounce
 * datagrams between their built-ins, nor superd to amplify a spoofed one.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"

#define CHARGEN_LINE	72
#define RFC868_OFFSET	2208988800UL	/* 1900-01-01 to 1970-01-01 */
#define DGRAM_BATCH	64		/* datagrams per wakeup */

static const char *builtin_names[] = {
	"echo", "discard", "chargen", "daytime", "time",
};

enum builtin
internal_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
		if (strcmp(name, builtin_names[i]) == 0)
			return (enum builtin)i;
	return BI_NONE;
}

const char *
internal_name(enum builtin bi)
{
	if (bi == BI_NONE)
		return "internal";
	return builtin_names[bi];
}

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
	default:
		break;
	}
	_exit(0);
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
		if (ntohs(sin->sin_port) < 1024 || a == INADDR_BROADCAST ||
		    a == INADDR_ANY || IN_MULTICAST(a))
			return 0;
		return 1;
	}
	if (ss->ss_family == AF_INET6) {
		if (ntohs(sin6->sin6_port) < 1024 ||
		    IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
			return 0;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(&a, &sin6->sin6_addr.s6_addr[12], 4);
			a = ntohl(a);
			if (a == INADDR_BROADCAST || IN_MULTICAST(a))
				return 0;
		}
		return 1;
	}
	return 0;
}

/*
 * Answer the datagrams waiting on a datagram built-in, in the parent, at
 * most DGRAM_BATCH per wakeup so that other services are not starved.
 */
void
internal_dgram(struct service *sv, double now)
{
	char			 buf[1024];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	ssize_t			 n;
	size_t			 len;
	int			 i, k;

	ring_init();
	for (i = 0; i < DGRAM_BATCH; i++) {
		sslen = sizeof(ss);
		n = recvfrom(sv->sv_fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&ss, &sslen);
		if (n == -1)
			return;
		if (!dgram_source_ok(&ss)) {
			sv->sv_refused[REFUSE_DENY]++;
			continue;
		}
		if (!limits_acl_allows(sv->sv_cf, (struct sockaddr *)&ss)) {
			sv->sv_refused[REFUSE_DENY]++;
			continue;
		}
		if (!limits_rate_take(sv, now)) {
			sv->sv_refused[REFUSE_RATE]++;
			continue;
		}
		sv->sv_started++;
		switch (sv->sv_cf->cf_builtin) {
		case BI_ECHO:
			len = (size_t)n;
			break;
		case BI_CHARGEN:
			/* RFC 864: a random number (0 to 512) of characters */
			len = arc4random_uniform(513);
			for (k = 0; (size_t)k < len; k++)
				buf[k] = ring[k % 95];
			break;
		case BI_DAYTIME:
			len = daytime_text(buf, sizeof(buf));
			break;
		case BI_TIME:
			time_bytes((unsigned char *)buf);
			len = 4;
			break;
		default:
			continue;
		}
		(void)sendto(sv->sv_fd, buf, len, 0, (struct sockaddr *)&ss,
		    sslen);
	}
}
