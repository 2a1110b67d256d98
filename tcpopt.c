/*
 * tcpopt.c: the TCP options of a service's listener that every
 * connection accepted from it inherits: keepalive= (SO_KEEPALIVE,
 * TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT), user-timeout=
 * (TCP_USER_TIMEOUT) and nodelay (TCP_NODELAY).
 *
 * Linux copies all six from the listener into each socket accept(2)
 * returns (the new socket is a clone of the listening one), whether
 * superd accepts it (nowait) or the child does (wait): so they are set
 * once on the listener, at bind or adoption and again when a reload
 * changes the entry, and a connection costs no system call for them.
 * What a reload takes away is put back: off, or the kernel's value
 * (net.ipv4.tcp_keepalive_*) for a keepalive value no longer given.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

/* What superd set on a listener: a bit of sv_tcpset each. */
#define TCPSET_KEEPALIVE	0x01
#define TCPSET_KEEPIDLE		0x02
#define TCPSET_KEEPINTVL	0x04
#define TCPSET_KEEPCNT		0x08
#define TCPSET_USERTIMEOUT	0x10
#define TCPSET_NODELAY		0x20

/* The kernel's default of a keepalive value, from /proc; -1 if unread. */
static int
sysctl_int(const char *path)
{
	char		 buf[32];
	const char	*errstr;
	ssize_t		 n;
	int		 fd, v;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	v = (int)strtonum(buf, 1, 32767, &errstr);
	return errstr == NULL ? v : -1;
}

/*
 * One option: set to want when the entry gives it (bit in given), or put
 * back to the kernel's (dpath's value, or off) when superd had set it before
 * and the entry no longer does; nothing otherwise, so a service without
 * these options costs nothing, and an adopted socket keeps what its
 * supervisor set.
 */
static void
tcpopt_one(struct service *sv, int level, int opt, int bit, int given,
    int want, const char *dpath, const char *name)
{
	int	 v;

	if (!given && !(sv->sv_tcpset & bit))
		return;
	v = want;
	if (!given && dpath != NULL && (v = sysctl_int(dpath)) == -1)
		return;
	if (!given && dpath == NULL)
		v = 0;
	if (setsockopt(sv->sv_fd, level, opt, &v, sizeof(v)) == -1) {
		log_warn("event=setsockopt-failed svc=%s line=%d option=%s",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, name);
		return;
	}
	if (given)
		sv->sv_tcpset |= bit;
	else
		sv->sv_tcpset &= ~bit;
}

/*
 * Set the entry's TCP options on a TCP listener, at bind, adoption and
 * each reload that changes the entry.
 */
void
tcpopt_apply(struct service *sv)
{
	const struct svconf	*cf = sv->sv_cf;

	if (sv->sv_proto != PROTO_TCP || sv->sv_socktype != SOCK_STREAM ||
	    sv->sv_fd == -1)
		return;
	tcpopt_one(sv, SOL_SOCKET, SO_KEEPALIVE, TCPSET_KEEPALIVE,
	    cf->cf_keepalive, 1, NULL, "keepalive");
	tcpopt_one(sv, IPPROTO_TCP, TCP_KEEPIDLE, TCPSET_KEEPIDLE,
	    cf->cf_keepidle != 0, cf->cf_keepidle,
	    "/proc/sys/net/ipv4/tcp_keepalive_time", "keepidle");
	tcpopt_one(sv, IPPROTO_TCP, TCP_KEEPINTVL, TCPSET_KEEPINTVL,
	    cf->cf_keepintvl != 0, cf->cf_keepintvl,
	    "/proc/sys/net/ipv4/tcp_keepalive_intvl", "keepintvl");
	tcpopt_one(sv, IPPROTO_TCP, TCP_KEEPCNT, TCPSET_KEEPCNT,
	    cf->cf_keepcnt != 0, cf->cf_keepcnt,
	    "/proc/sys/net/ipv4/tcp_keepalive_probes", "keepcnt");
	tcpopt_one(sv, IPPROTO_TCP, TCP_USER_TIMEOUT, TCPSET_USERTIMEOUT,
	    cf->cf_usertimeout != 0, cf->cf_usertimeout, NULL,
	    "user-timeout");
	tcpopt_one(sv, IPPROTO_TCP, TCP_NODELAY, TCPSET_NODELAY,
	    cf->cf_nodelay, 1, NULL, "nodelay");
}
