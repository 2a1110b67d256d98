/*
 * proxywait.c: connections waiting for their PROXY header.
 *
 * A connection accepted from a proxy= source (a balancer) starts with a
 * PROXY v1 or v2 header naming the client (proxyhdr.c parses it); it is
 * not admitted until that header is in.  Its bytes are peeked at
 * (MSG_PEEK), never read, until a whole header is there; then exactly
 * the header's length is read, so the child reads exactly what follows,
 * however the header was split.  Most headers arrive with the
 * connection and are read at its accept (proxy_wait); one that does not
 * (a balancer writes it just after its connect(2) returns: superd may
 * have accepted by then) waits here: in epoll edge-triggered (a peeked
 * byte stays readable, and a level-triggered watch would report it at
 * every turn of the loop), with a timer of proxy-timeout= seconds.  A
 * v2 header's length is known from its 16th byte on: its socket's
 * SO_RCVLOWAT is set to it, so the kernel wakes superd once, when all of
 * it is there, and a sender of one byte a segment costs one peek, not
 * one per byte (a v1 header is 107 bytes at most).  The loop never
 * waits: every call here says MSG_DONTWAIT.  The first PROXY_LOW waiting
 * keep their low descriptor, as a connection does from its accept to
 * its child: most wait a moment only, and moving one high and back
 * costs four system calls.  Beyond them it is moved high (fd.c), so that
 * a flood of silent connections does not lengthen every child's short
 * table.
 *
 * A header that is malformed, too long, not complete within the timeout,
 * or cut off by the peer's end closes its connection, logged and summed
 * up as a refusal, reason=proxy (refuse.c), with the balancer as peer.
 * A peer can make superd hold a descriptor this way for proxy-timeout=
 * seconds, so at most proxy_max() connections wait, a quarter of the
 * descriptor limit, and a service may have no more than are still free
 * for all others: over that a new connection is refused (proxy-full) and
 * those already waiting keep their chance, as a backlog would keep them.
 * A connection whose header is in may still wait, out of epoll, while
 * its service is paused (instances=, a back-off), on sv_pxready, not yet
 * admitted (admit.c admits it just before its child starts): counted in
 * the same bound.
 *
 * The record (struct proxied) is then the connection's facts: the
 * balancer's address and the header, which its spawn (the variables),
 * a held try and its child's log lines go by; child.c and held.c give it
 * back (proxy_free).  The records come from a free list.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define PROXY_MIN_MAX	16	/* proxy_max() is never below */
#define PROXY_CAP	16384	/* nor above: a record is 1.5 KiB */
#define PROXY_LOW	16	/* waiting with their low descriptor */

static struct proxied	*freelist;
static int		 npx;		/* reading or ready: the bound's */
static int		 maxpx;
static unsigned char	 hbuf[PROXY_V2_MAX];

/* A quarter of the descriptor limit, once superd has raised its own. */
static int
proxy_max(void)
{
	if (maxpx == 0)
		maxpx = fd_share(4, PROXY_MIN_MAX, PROXY_CAP);
	return maxpx;
}

/* How many connections wait, reading or ready (descriptors superd holds). */
int
proxy_count(void)
{
	return npx;
}

/* A zeroed record, from the free list or malloc; NULL: out of memory. */
static struct proxied *
proxy_alloc(void)
{
	struct proxied	*px;

	if ((px = freelist) != NULL)
		freelist = px->px_next;
	else if ((px = malloc(sizeof(*px))) == NULL)
		return NULL;
	memset(px, 0, sizeof(*px));
	px->px_ev.ev_kind = EV_PROXY;
	px->px_fd = -1;
	return px;
}

/*
 * After an upgrade in place: a carried child's facts, as its header left
 * them (the balancer, the header's length), taken out of the wait set;
 * its header's variables went with its spawn.  NULL: out of memory.
 */
struct proxied *
proxy_carried(const struct sockaddr_storage *balancer, size_t len)
{
	struct proxied	*px;

	if ((px = proxy_alloc()) == NULL)
		return NULL;
	memcpy(&px->px_balancer, balancer, sizeof(px->px_balancer));
	px->px_hdr.ph_len = len;
	px->px_state = PX_TAKEN;
	return px;
}

/* The record back on the free list; NULL is nothing. */
void
proxy_free(struct proxied *px)
{
	if (px == NULL)
		return;
	px->px_next = freelist;
	freelist = px;
}

/*
 * Who the connection is from for every feature: the client the header
 * names, or the balancer itself for a v2 LOCAL or v1 UNKNOWN header.
 */
const struct sockaddr *
proxy_peer(const struct proxied *px)
{
	if (px->px_hdr.ph_local)
		return (const struct sockaddr *)&px->px_balancer;
	return (const struct sockaddr *)&px->px_hdr.ph_src;
}

/* Out of the set of waiting connections; its descriptor stays open. */
static void
proxy_leave(struct proxied *px)
{
	struct service	*sv = px->px_sv;

	if (px->px_state == PX_READING) {
		timer_clear(&px->px_timer);
		if (px->px_inpoll)
			poll_del(px->px_fd);
		px->px_inpoll = 0;
		LIST_REMOVE(px, px_wentry);
	} else if (px->px_state == PX_READY)
		TAILQ_REMOVE(&sv->sv_pxready, px, px_rentry);
	else
		return;
	px->px_state = PX_TAKEN;
	npx--;
	sv->sv_pxcount--;
}

/* Its header failed (why): closed, refused, the record freed. */
static void
proxy_fail(struct proxied *px, const char *why, double now)
{
	struct service	*sv = px->px_sv;

	proxy_leave(px);
	(void)close(px->px_fd);
	px->px_fd = -1;
	refuse_why(sv, REFUSE_PROXY, (struct sockaddr *)&px->px_balancer,
	    now, why);
	proxy_free(px);
}

static void
proxy_due(struct timer *t, double now)
{
	proxy_fail(t->tm_arg, "timeout", now);
}

/*
 * Peek at what has come, and read the header once it is whole.  Returns
 * 1 when it has been read (px_hdr filled), 0 while more must come, -1
 * when the connection failed (closed, refused, px freed).
 */
static int
proxy_read(struct proxied *px, double now)
{
	const char	*why = "malformed";
	size_t		 want = PROXY_V1_MAX, w;
	ssize_t		 n, len;
	int		 one = 1, lowat;

	for (;;) {
		n = recv(px->px_fd, hbuf, want, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0) {
			proxy_fail(px, "closed", now);
			return -1;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			proxy_fail(px, "recv", now);
			return -1;
		}
		len = proxy_parse(hbuf, (size_t)n, &px->px_hdr, &why);
		if (len > 0)
			break;
		if (len < 0) {
			proxy_fail(px, why, now);
			return -1;
		}
		if ((w = proxy_want(hbuf, (size_t)n)) > sizeof(hbuf))
			w = sizeof(hbuf);
		if ((size_t)n < want || w <= (size_t)n) {
			/*
			 * All there is for now.  A v2 header (16 bytes in)
			 * says its length: the kernel wakes superd when
			 * that much is there, not for each segment.
			 */
			if (w > (size_t)n && (size_t)n >= 16 &&
			    !px->px_lowat) {
				lowat = (int)w;
				if (setsockopt(px->px_fd, SOL_SOCKET,
				    SO_RCVLOWAT, &lowat, sizeof(lowat)) == 0)
					px->px_lowat = 1;
			}
			return 0;
		}
		want = w;
	}
	/* exactly the header: the child reads what follows */
	if (recv(px->px_fd, hbuf, (size_t)len, MSG_DONTWAIT) != len) {
		proxy_fail(px, "recv", now);
		return -1;
	}
	if (px->px_lowat) {
		(void)setsockopt(px->px_fd, SOL_SOCKET, SO_RCVLOWAT, &one,
		    sizeof(one));
		px->px_lowat = 0;
	}
	px->px_hdr.ph_len = (size_t)len;
	addr_unmap(&px->px_hdr.ph_src);
	addr_unmap(&px->px_hdr.ph_dst);
	return 1;
}

/*
 * fd was accepted from peer, a proxy= source of sv: its header is read
 * now if it is all there (then the record is returned, for admission),
 * else the connection waits for it (NULL).  Over the bound, or when the
 * wait cannot be set up, it is closed and refused (NULL).  fd is this
 * file's from now on.
 */
struct proxied *
proxy_wait(struct service *sv, int fd, const struct sockaddr *peer,
    double now)
{
	struct proxied	*px;
	int		 r;

	if (npx >= proxy_max() || sv->sv_pxcount >= proxy_max() - npx) {
		(void)close(fd);
		refuse(sv, REFUSE_PROXY_FULL, peer, now);
		return NULL;
	}
	if ((px = proxy_alloc()) == NULL) {
		(void)close(fd);
		refuse_why(sv, REFUSE_PROXY, peer, now, "malloc");
		return NULL;
	}
	px->px_sv = sv;
	px->px_fd = fd;
	memcpy(&px->px_balancer, peer, peer->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	/* counted from here: a failure uncounts it */
	px->px_state = PX_READING;
	LIST_INSERT_HEAD(&sv->sv_pxwait, px, px_wentry);
	npx++;
	sv->sv_pxcount++;
	timer_init(&px->px_timer, proxy_due, px);
	if ((r = proxy_read(px, now)) == -1)
		return NULL;
	if (r == 1) {
		proxy_leave(px);
		return px;
	}
	if (npx > PROXY_LOW)
		px->px_fd = fd_high(fd);
	if (poll_add(px->px_fd, EPOLLIN | EPOLLRDHUP | EPOLLET, px) == -1) {
		proxy_fail(px, "epoll", now);
		return NULL;
	}
	px->px_inpoll = 1;
	timer_set(&px->px_timer, now + sv->sv_cf->cf_proxy_timeout);
	return NULL;
}

/*
 * A waiting connection is readable, or its peer's end came (events has
 * EPOLLRDHUP: a peek still returns the bytes before the end, never the
 * end itself): its header is read when whole, and the record returned
 * for admission, out of the wait; NULL while it waits on, or when it
 * failed, cut off before its header was whole.
 */
struct proxied *
proxy_event(struct evsrc *src, uint32_t events, double now)
{
	struct proxied	*px = (struct proxied *)src;
	int		 r;

	if (px->px_state != PX_READING || (r = proxy_read(px, now)) == -1)
		return NULL;
	if (r == 0) {
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			proxy_fail(px, "closed", now);
		return NULL;
	}
	proxy_leave(px);
	return px;
}

/*
 * Its header is in, but its service is paused: it waits on sv_pxready,
 * in the bound, for admit.c to admit it and start its child
 * (proxy_next_ready, proxy_take).
 */
void
proxy_ready(struct proxied *px)
{
	struct service	*sv = px->px_sv;

	if (sv->sv_pxready.tqh_last == NULL)
		TAILQ_INIT(&sv->sv_pxready);
	TAILQ_INSERT_TAIL(&sv->sv_pxready, px, px_rentry);
	px->px_state = PX_READY;
	npx++;
	sv->sv_pxcount++;
}

/* The first of sv's connections whose header is in, waiting; NULL: none. */
struct proxied *
proxy_next_ready(struct service *sv)
{
	if (sv->sv_pxready.tqh_last == NULL)
		return NULL;
	return TAILQ_FIRST(&sv->sv_pxready);
}

/*
 * The connection's descriptor, the caller's from now on, low again (a
 * child's socket), and the record out of the wait: the caller owns it.
 */
int
proxy_take(struct proxied *px)
{
	int	 fd = px->px_fd, nfd;

	proxy_leave(px);
	px->px_fd = -1;
	/* the lowest free number, as accept(2) would have given it, when
	   it waited high */
	if (fd >= SPAWN_FDTOP && (nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) != -1) {
		(void)close(fd);
		fd = nfd;
	}
	return fd;
}

/*
 * sv is being removed (a reload, superd ending under -k): the
 * connections still waiting for their header or their start are closed,
 * refused.
 */
void
proxy_forget(struct service *sv, double now)
{
	struct proxied	*px;

	while ((px = LIST_FIRST(&sv->sv_pxwait)) != NULL)
		proxy_fail(px, "removed", now);
	while ((px = proxy_next_ready(sv)) != NULL)
		proxy_fail(px, "removed", now);
}
