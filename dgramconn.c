/*
 * dgramconn.c: dgram udp nowait, each child on a socket of its own,
 * connected to the client whose datagram started it, so that the child
 * answers by writing to its standard output (tr a-z A-Z, with no
 * sendto(2) of its own) and its further reads get that client's
 * datagrams only.
 *
 * A datagram cannot be moved from one socket to another, and the first
 * one must still be there for the child to read: so the socket that
 * holds it, the listener, becomes the child's, as busybox inetd does it.
 * superd binds a new socket to the listener's address in its place
 * (SO_REUSEPORT, which listen.c set on the listener too: it shares the
 * port with sockets of superd's uid only, where SO_REUSEADDR would let
 * any user's socket in and give it the datagrams), connects the
 * old one to the client and hands it over; the new one takes the old
 * one's descriptor number, so nothing else in superd sees a change.
 * From the connect(2) on the kernel gives that client's datagrams to the
 * child's socket (a connected socket matches them better than the
 * listener does: a reuseport group with a connected socket in it is
 * scored, not hashed) and every other client's to the new listener,
 * the group's only unconnected socket (its hash picks among those).
 * Between the bind(2) and the connect(2) the group has two, and the
 * hash may give a datagram to either: the new one's are the new
 * listener's, the old one's from another client are found by the
 * second look below.
 *
 * What was queued behind the first datagram before the connect stays on
 * the old socket, and the child would read it: so the queue is looked at
 * first, before the new socket is made and again after the connect, with
 * SO_PEEK_OFF (a MSG_PEEK then starts past the datagrams peeked already).
 * When a datagram from another client is there (or more than DGRAM_WALK
 * of this one's), the datagram is served as dgram nowait always served
 * it (dgramwait.c): the listener shared with the child, which reads the
 * datagram itself and must answer with sendto(2).  So does an empty
 * datagram (a peek offset cannot step over it), and every datagram of a
 * socket beside which no other can be bound (one a supervisor bound
 * without SO_REUSEPORT: sv_noconn, said once).
 *
 * What the client sends while its child runs goes to the child's socket;
 * what the child leaves unread when it exits gets a child of its own on
 * that socket (child.c keeps a copy of it, ch_conn), unless the datagram
 * first there is the very one the child was started for (ch_dgsum): a
 * child that never reads is not started again for ever.
 *
 * The cost, in the parent, per datagram: a peek, an SO_PEEK_OFF set and
 * a peek, socket(2), SO_REUSEPORT (and IPV6_V6ONLY), bind(2), connect(2),
 * a peek and SO_PEEK_OFF cleared, epoll's EPOLL_CTL_DEL and ADD, a
 * duplicate for the child, dup3(2) and close(2): 14 system calls (15
 * over IPv6); one more F_DUPFD at the spawn for superd's copy, and a
 * peek and its close(2) at the reap.  The shared socket took 5 for the
 * peek (guard.c), 5 more at each look, 1 ms, 2 ms, 4 ms... later, until
 * the child had read, and 2 epoll_ctl(2) for the pause between.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define DGRAM_WALK	8	/* datagrams looked at behind the first */

/*
 * Is a datagram that is not from peer queued on fd, past the peek offset
 * (SO_PEEK_OFF, on)?  Each peek moves the offset past the datagram it
 * saw (MSG_TRUNC: its whole length), so a second call looks only at what
 * came since the first.  1 also past DGRAM_WALK of peer's own.
 */
static int
dgram_foreign(int fd, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	ssize_t			 n;
	int			 i;
	char			 b;

	for (i = 0; i < DGRAM_WALK; i++) {
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		n = recvfrom(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC,
		    (struct sockaddr *)&ss, &len);
		if (n == -1)
			return 0;	/* EAGAIN: nothing more */
		if (n == 0 || len != plen || memcmp(&ss, peer, len) != 0)
			return 1;
	}
	return 1;
}

/* The peek offset off again: the socket is as the kernel made it. */
static void
peekoff_clear(int fd)
{
	int	 off = -1;

	(void)setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
}

/*
 * A socket bound where sv's listener is, as it is (IPV6_V6ONLY, as
 * listen.c binds every IPv6 socket): the listener to be.  Blocking, as
 * the listener of a dgram service is (listen_nonblock): a child may get
 * it.  -1 when it cannot be bound there (EADDRINUSE: the listener has no
 * SO_REUSEPORT, or another uid's), with sv_noconn set then.
 */
static int
dgram_rebind(struct service *sv)
{
	int	 fd, on = 1, saved;

	if ((fd = socket(sv->sv_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    (sv->sv_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, (struct sockaddr *)&sv->sv_bound, sv->sv_boundlen) == -1) {
		saved = errno;
		(void)close(fd);
		if (saved == EADDRINUSE && !sv->sv_noconn) {
			sv->sv_noconn = 1;
			log_warnx("event=dgram-shared svc=%s line=%d reason="
			    "\"no second socket binds beside it (no "
			    "SO_REUSEPORT): children share the socket\"",
			    log_str(sv->sv_name), sv->sv_cf->cf_line);
		}
		return -1;
	}
	return fd;
}

/*
 * The listener whole again after a connect(2) to a client: AF_UNSPEC
 * ends the connection, and with it the binding of a socket bound to
 * port 0, which is bound again where it was (SO_REUSEPORT lets it, the
 * new socket still beside it).  The new socket goes, with what it took
 * meanwhile: datagrams lost, as UDP may lose them, in a race of a few
 * microseconds.
 */
static void
dgram_undo(struct service *sv, int nfd)
{
	struct sockaddr_storage	 none;

	memset(&none, 0, sizeof(none));
	none.ss_family = AF_UNSPEC;
	(void)connect(sv->sv_fd, (struct sockaddr *)&none,
	    sizeof(none.ss_family));
	(void)bind(sv->sv_fd, (struct sockaddr *)&sv->sv_bound,
	    sv->sv_boundlen);
	(void)close(nfd);
}

/*
 * The datagram at the head of sv's queue, admitted, given the shared
 * socket after all (dgramwait.c): the peek offset cleared first, so that
 * guard.c's peek sees the head again.
 */
static void
dgram_fallback(struct service *sv, const struct sockaddr *peer,
    struct srcent *src, double now)
{
	struct sockaddr_storage	 ss;
	struct dgid		 id;

	peekoff_clear(sv->sv_fd);
	if (!guard_peek(sv, &ss, &id)) {
		limits_source_put(src);
		return;
	}
	dgram_shared(sv, peer, &id, src, now);
}

/*
 * sv's listener is readable: its first datagram admitted (or dropped, as
 * dgramwait.c drops a refused one), then served on a socket of its own,
 * or on the shared socket where that cannot be.
 */
void
dgram_connect(struct service *sv, double now)
{
	struct sockaddr_storage	 peer, from;
	struct srcent		*src;
	struct child		*ch;
	unsigned char		 head[64];
	socklen_t		 plen;
	ssize_t			 n;
	int			 nfd, cfd, off;
	char			 b;

	/* a socket another superd bound (an upgrade) is looked up once */
	if (sv->sv_boundlen == 0 && sv->sv_proto == PROTO_UDP) {
		plen = sizeof(sv->sv_bound);
		if (getsockname(sv->sv_fd, (struct sockaddr *)&sv->sv_bound,
		    &plen) == 0)
			sv->sv_boundlen = plen;
	}
	if (sv->sv_proto != PROTO_UDP || sv->sv_noconn ||
	    sv->sv_boundlen == 0) {
		dgram_nowait(sv, now);
		return;
	}
	plen = sizeof(peer);
	memset(&peer, 0, sizeof(peer));
	n = recvfrom(sv->sv_fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT |
	    MSG_TRUNC, (struct sockaddr *)&peer, &plen);
	if (n == -1)
		return;
	memcpy(&from, &peer, sizeof(from));
	addr_unmap(&from);
	if (admit(sv, (struct sockaddr *)&from, now, &src) == -1) {
		/* refused: the datagram is dropped, not left to spin on */
		(void)recv(sv->sv_fd, &b, 1, MSG_DONTWAIT);
		sv->sv_mx.mx_conns++;
		return;
	}
	off = (int)n;
	if (n == 0 || setsockopt(sv->sv_fd, SOL_SOCKET, SO_PEEK_OFF, &off,
	    sizeof(off)) == -1 || dgram_foreign(sv->sv_fd, &peer, plen) ||
	    (nfd = dgram_rebind(sv)) == -1) {
		dgram_fallback(sv, (struct sockaddr *)&from, src, now);
		return;
	}
	/* from here on only peer's datagrams join the queue */
	if (connect(sv->sv_fd, (struct sockaddr *)&peer, plen) == -1 ||
	    dgram_foreign(sv->sv_fd, &peer, plen)) {
		/* one came from another client between the two looks */
		dgram_undo(sv, nfd);
		dgram_fallback(sv, (struct sockaddr *)&from, src, now);
		return;
	}
	peekoff_clear(sv->sv_fd);
	/* the connected socket, low as a connection; the new one in its place */
	poll_forget(sv);
	if ((cfd = fcntl(sv->sv_fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    dup3(nfd, sv->sv_fd, O_CLOEXEC) == -1) {
		if (cfd != -1)
			(void)close(cfd);
		dgram_undo(sv, nfd);
		poll_resume(sv, 0);
		limits_source_put(src);
		backoff(sv, now, 0.1, "dup");
		return;
	}
	(void)close(nfd);
	listen_apply_bufs(sv);
	poll_resume(sv, 0);
	sv->sv_mx.mx_conns++;
	if ((ch = child_start(sv, cfd, (struct sockaddr *)&from, src, NULL,
	    now)) != NULL)
		ch->ch_dgsum = guard_sum(&peer, plen, n, head, (size_t)n);
}
