/*
 * quiet.c: the watches whose events may wait a little, in an epoll set of
 * their own that never wakes the loop while it is busy.
 *
 * Some events need no prompt answer: a child's stderr pipe reporting its
 * end (the child's exit says as much, a moment later, through its pidfd)
 * and a lingering connection's client closing (linger.c: superd only
 * closes its copy then).  Each would cost the loop a wake-up of its own,
 * the costliest thing it does (a sleep in epoll_wait(2) and the switch
 * back), and at one connection at a time they come just apart from the
 * events that wake it anyway: the pipe's end a few microseconds before
 * the pidfd's, the client's close just before its next connection.
 *
 * So these watches go in a second epoll set, which poll_wait (poll.c)
 * reads without waiting after each wait on the main one, its events
 * ahead of the main set's (a child's last stderr lines come before its
 * exit line).  While the quiet set holds a watch, the main wait sleeps
 * QUIET_MS at most; a wait that ends with nothing in either set arms the
 * quiet set's own descriptor in the main set (EPOLLONESHOT), so an idle
 * superd sleeps on until one of them has something, which wakes it at
 * once, as any watch would: an event waits QUIET_MS at most, and only
 * while superd is busy is it collected without a wake-up of its own.
 *
 * nquiet counts the watches, never below their number: a watch whose
 * descriptor is closed without quiet_del (a one-shot that fired: closing
 * the last descriptor of a file ends its watches) is forgotten by
 * quiet_closed.  A count too high costs a read of an empty set now and
 * then; one too low would leave events unread, so every path that
 * forgets a watch is one of those two calls.
 */

#include <sys/types.h>
#include <sys/epoll.h>

#include <string.h>

#include "superd.h"

#define QUIET_MS	20	/* the longest a quiet event waits, busy */

static int		 mainfd = -1;	/* poll.c's set */
static int		 quietfd = -1;
static int		 nquiet;	/* watches in the quiet set */
static int		 armed;		/* quietfd watched in the main set */
static struct evsrc	 quiet_ev = { EV_QUIET };

/*
 * epoll_ctl(2) on set, the watch's event made of events and ptr: the
 * quiet set's and the main one's (poll.c) alike.
 */
int
quiet_ctl(int set, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = ptr;
	return epoll_ctl(set, op, fd, &ev);
}

/*
 * The quiet set, close-on-exec and high (fd.c), in main (poll.c's set)
 * with no events until armed; -1 with errno set when it fails.
 */
int
quiet_init(int main)
{
	mainfd = main;
	if ((quietfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	quietfd = fd_high(quietfd);
	return quiet_ctl(mainfd, EPOLL_CTL_ADD, quietfd, 0, &quiet_ev);
}

/* As poll_add and poll_mod, in the quiet set. */
int
quiet_add(int fd, uint32_t events, void *ptr)
{
	if (quiet_ctl(quietfd, EPOLL_CTL_ADD, fd, events, ptr) == -1)
		return -1;
	nquiet++;
	return 0;
}

int
quiet_mod(int fd, uint32_t events, void *ptr)
{
	return quiet_ctl(quietfd, EPOLL_CTL_MOD, fd, events, ptr);
}

/* A watch out of the quiet set (it was in it). */
void
quiet_del(int fd)
{
	(void)epoll_ctl(quietfd, EPOLL_CTL_DEL, fd, NULL);
	quiet_closed();
}

/* A watch's descriptor was closed without quiet_del: one less. */
void
quiet_closed(void)
{
	if (nquiet > 0)
		nquiet--;
}

/*
 * The main wait's timeout, given the loop's (-1: for ever): QUIET_MS at
 * most while the quiet set holds a watch and is not armed.  *bounded
 * says whether it was cut short so.
 */
int
quiet_timeout(int timeout, int *bounded)
{
	*bounded = 0;
	if (nquiet == 0 || armed || (timeout != -1 && timeout <= QUIET_MS))
		return timeout;
	*bounded = 1;
	return QUIET_MS;
}

/*
 * After the main wait: its events in main[0..n) (the quiet set's own
 * among them when it fired), the quiet set's ready ones read into
 * events[] (max of them at most) and the main set's put after them,
 * without the quiet set's own.  A wait cut short by QUIET_MS that found
 * nothing arms the quiet set: superd is idle.  Returns how many events
 * there are.
 */
int
quiet_collect(struct epoll_event *events, int max,
    const struct epoll_event *main, int n, int bounded)
{
	int	 m = 0, i, fired = 0;

	for (i = 0; i < n; i++)
		if (main[i].data.ptr == &quiet_ev)
			fired = 1;
	if (fired)
		armed = 0;	/* one-shot: disabled by its firing */
	if ((nquiet > 0 || fired) && max - n > 0 &&
	    (m = epoll_wait(quietfd, events, max - n, 0)) == -1)
		m = 0;
	if (n == 0 && m == 0 && bounded && !armed) {
		if (quiet_ctl(mainfd, EPOLL_CTL_MOD, quietfd,
		    EPOLLIN | EPOLLONESHOT, &quiet_ev) == 0)
			armed = 1;
	}
	for (i = 0; i < n; i++)
		if (main[i].data.ptr != &quiet_ev)
			events[m++] = main[i];
	return m;
}
