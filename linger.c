/*
 * linger.c: a connection after its child has exited, when superd kept a
 * copy of it (linger=S, on by default for stream nowait services).
 *
 * A program that exits without reading all its input (head -c 20, a
 * script that ignores a request body) makes the kernel answer the
 * unread bytes with a reset when the last descriptor of its socket
 * closes, and a reset may reach the client before the reply it was
 * sent, which the client then never reads.  superd holds the last
 * descriptor instead: it shuts down its sending side (the client reads
 * the whole reply, then the end), discards what the client still sends
 * until the client closes or S seconds have passed, and closes.
 *
 * Never while something the service started may still use the socket: while
 * the child's process group has a member left (a process its shell left
 * running in the background), superd keeps its copy as it is and looks
 * again, GROUP_FIRST seconds later, then twice as long each time up to
 * GROUP_MAX; once the group is gone it lingers.  (So such a client sees the
 * end when the last of the group exits.  A daemon that left the group with
 * setsid(2) is not seen: such a service wants linger=0.)  Never blocking:
 * reads with MSG_DONTWAIT, LINGER_READS of them per wake-up, LINGER_BUDGET
 * bytes in all: a client that sends more is read no more and waits for the
 * timer.  A client can make superd hold a socket this way for S seconds, so
 * at most linger_max() are held at once, a quarter of the descriptor limit,
 * and a service may hold no more than are still free for all others (half of
 * what they leave): one service's clients cannot take the others' share.
 *  Beyond it one is closed at once, logged and counted as event=linger-full
 * (refuse.c sums them up; the client was served, this is no refusal).  A
 * lingering socket belongs to no service: removing one or reloading waits
 * for none; superd ending under -k waits for those draining, S seconds at
 * most, and within -k's own bound: when that runs out (or a second signal
 * comes) every socket still held is closed (linger_stop), and for none that
 * waits for a group.  The records come from a free list: a connection
 * allocates nothing.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define LINGER_READS	16		/* recv(2) calls per wake-up */
#define LINGER_BUDGET	(1 << 20)	/* bytes discarded, then no more read */
#define LINGER_RCVBUF	4096		/* SO_RCVBUF once the budget is spent */
#define LINGER_MIN_MAX	16		/* linger_max() is never below */
#define GROUP_FIRST	0.05		/* the first look at a group left */
#define GROUP_MAX	1.0		/* and the longest between two */

struct lingering {
	struct evsrc	 lg_ev;		/* first: epoll's data.ptr */
	struct timer	 lg_timer;	/* S seconds over, or the next look */
	int		 lg_fd;
	int		 lg_secs;	/* linger=S */
	struct service	*lg_sv;		/* whose share it counts in, or NULL */
	pid_t		 lg_pgid;	/* the group it waits for */
	int		 lg_draining;	/* S seconds running */
	int		 lg_inpoll;	/* in the poll set: read, discarded */
	size_t		 lg_budget;	/* bytes it may still discard */
	double		 lg_step;	/* until the next look at it */
	struct lingering *lg_next;	/* on the free list */
	LIST_ENTRY(lingering) lg_entry;	/* on the held list */
};

static LIST_HEAD(, lingering) held = LIST_HEAD_INITIALIZER(held);
static struct lingering	*freelist;
static int		 stopped;	/* linger_stop(): no more lingering */
static int		 nlingering;	/* held: waiting or draining */
static int		 ndraining;
static int		 maxlingering;

/* How many sockets are draining: superd ending waits for them (-k). */
int
linger_count(void)
{
	return ndraining;
}

/* How many descriptors of connections it holds: waiting or draining. */
int
linger_held(void)
{
	return nlingering;
}

/* A quarter of the descriptor limit, once superd has raised its own. */
static int
linger_max(void)
{
	if (maxlingering == 0)
		maxlingering = fd_share(4, LINGER_MIN_MAX, 1048576);
	return maxlingering;
}

/*
 * Discard what the client sent, LINGER_READS reads at most, and no more
 * than *budget bytes (less what it read).  Returns 1 when the socket is
 * done with (the client's end, or an error), 0 while more may come.
 */
static int
drain(int fd, size_t *budget)
{
	static char	 buf[16384];
	ssize_t		 n;
	int		 i;

	for (i = 0; i < LINGER_READS && *budget > 0; i++) {
		n = recv(fd, buf, *budget < sizeof(buf) ? *budget :
		    sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return 1;
		if (n == -1)
			return errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR;
		*budget -= (size_t)n;
	}
	return 0;
}

/*
 * A client that has sent LINGER_BUDGET bytes since its child's exit is
 * read no more: superd stops watching it and waits for the timer, with
 * a small receive buffer, so that the client's window closes and it
 * costs superd nothing more (its end, if it comes, is not seen: the
 * close at S seconds is a reset then, its reply long delivered).
 */
static void
budget_spent(struct lingering *lg)
{
	int	 sz = LINGER_RCVBUF;

	if (lg->lg_inpoll) {
		poll_del(lg->lg_fd);
		lg->lg_inpoll = 0;
	}
	(void)setsockopt(lg->lg_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/* The socket goes: out of the poll set first, another may hold it. */
static void
linger_end(struct lingering *lg)
{
	timer_clear(&lg->lg_timer);
	if (lg->lg_inpoll)
		poll_del(lg->lg_fd);
	if (lg->lg_draining)
		ndraining--;
	(void)close(lg->lg_fd);
	lg->lg_fd = -1;
	nlingering--;
	if (lg->lg_sv != NULL)
		lg->lg_sv->sv_lingering--;
	LIST_REMOVE(lg, lg_entry);
	lg->lg_next = freelist;
	freelist = lg;
}

static void
linger_due(struct timer *t, double now)
{
	(void)now;
	linger_end(t->tm_arg);
}

/*
 * Is something of the reaped child's group pgid still alive?  Its leader
 * is reaped: kill(2) finds the group only while another member is alive
 * (or a kept zombie, a SIGKILL due to it), and no new process can take
 * the number meanwhile.
 */
static int
group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno != ESRCH;
}

/*
 * The group is gone: shut down superd's sending side and discard what
 * comes for S seconds.  Returns -1 when the socket is done with at once:
 * a client whose end has come already, everything before it read (by
 * drain, or by the caller: drained), is closed without a shutdown, as
 * no reset can follow (it sends nothing after its FIN).
 */
static int
drain_start(struct lingering *lg, int drained, double now)
{
	if ((!drained && drain(lg->lg_fd, &lg->lg_budget)) ||
	    shutdown(lg->lg_fd, SHUT_WR) == -1 ||
	    poll_add(lg->lg_fd, EPOLLIN | EPOLLRDHUP, lg) == -1)
		return -1;
	lg->lg_inpoll = 1;
	lg->lg_draining = 1;
	ndraining++;
	timer_init(&lg->lg_timer, linger_due, lg);
	timer_set(&lg->lg_timer, now + lg->lg_secs);
	return 0;
}

/* A look at the group that was left: gone now, or a longer wait. */
static void
group_due(struct timer *t, double now)
{
	struct lingering	*lg = t->tm_arg;

	if (group_alive(lg->lg_pgid)) {
		if ((lg->lg_step *= 2) > GROUP_MAX)
			lg->lg_step = GROUP_MAX;
		timer_set(t, now + lg->lg_step);
		return;
	}
	if (drain_start(lg, 0, now) == -1)
		linger_end(lg);
}

/* The socket is readable: more to discard, or the client's end. */
void
linger_event(struct evsrc *src, double now)
{
	struct lingering	*lg = (struct lingering *)src;

	(void)now;
	if (drain(lg->lg_fd, &lg->lg_budget))
		linger_end(lg);
	else if (lg->lg_budget == 0)
		budget_spent(lg);
}

/*
 * The child that served fd has been reaped, its group pgid (its pid):
 * close fd, lingering first when sv's linger= asks for it, after the
 * child's group when something of it is left.  A timed-out child's group
 * (killed, kept = 1) is not waited for.  peer names the client in a
 * refusal's line.
 */
void
linger_start(struct service *sv, int fd, pid_t pgid, int killed,
    const struct sockaddr *peer, double now)
{
	struct lingering	*lg;
	int			 secs = sv->sv_cf->cf_linger, left;
	size_t			 budget = LINGER_BUDGET;

	if (stopped || secs <= 0 || ((left = group_alive(pgid)) && killed))
		goto close;
	/* most clients have closed by now: nothing to hold, no record */
	if (!left && drain(fd, &budget))
		goto close;
	/*
	 * A service's share: it may hold no more than are still free for
	 * all the others, so half of what they leave at most, and one
	 * service's clients cannot take every other's.
	 */
	if (nlingering >= linger_max() ||
	    sv->sv_lingering >= linger_max() - nlingering) {
		refuse(sv, REFUSE_LINGER, peer, now);
		goto close;
	}
	if ((lg = freelist) != NULL)
		freelist = lg->lg_next;
	else if ((lg = malloc(sizeof(*lg))) == NULL)
		goto close;
	memset(lg, 0, sizeof(*lg));
	lg->lg_ev.ev_kind = EV_LINGER;
	lg->lg_fd = fd;
	lg->lg_secs = secs;
	lg->lg_budget = budget;
	nlingering++;
	LIST_INSERT_HEAD(&held, lg, lg_entry);
	if (!sv->sv_retired) {
		lg->lg_sv = sv;
		sv->sv_lingering++;
	}
	if (left) {
		/* what the child left may still write: look again later */
		lg->lg_pgid = pgid;
		lg->lg_step = GROUP_FIRST;
		timer_init(&lg->lg_timer, group_due, lg);
		timer_set(&lg->lg_timer, now + lg->lg_step);
		return;
	}
	if (drain_start(lg, 1, now) == -1)
		linger_end(lg);
	return;
close:
	(void)close(fd);
}

/*
 * superd is ending (-k) and its wait is over, S seconds or a second
 * signal: every socket held is closed now, draining or waiting for a
 * group (a reset, when the client sent more; its reply had -k's S
 * seconds to be read), and those of children reaped from now on are
 * closed at once.
 */
void
linger_stop(void)
{
	stopped = 1;
	while (!LIST_EMPTY(&held))
		linger_end(LIST_FIRST(&held));
}

/*
 * sv is being removed: the sockets it holds belong to no service from
 * now on, still counted in the whole (a retired service is freed once
 * its last child is reaped, lingering sockets or not).
 */
void
linger_forget(struct service *sv)
{
	struct lingering	*lg;

	LIST_FOREACH(lg, &held, lg_entry)
		if (lg->lg_sv == sv)
			lg->lg_sv = NULL;
	sv->sv_lingering = 0;
}

/*
 * An upgrade's state (upgradeenc.c): each socket held, to fn, with the
 * service whose share it counts in (NULL: none).
 */
void
linger_each(void (*fn)(const struct uplinger *, const struct service *,
    void *), void *arg)
{
	struct lingering	*lg;
	struct uplinger		 ul;

	LIST_FOREACH(lg, &held, lg_entry) {
		memset(&ul, 0, sizeof(ul));
		ul.ul_fd = lg->lg_fd;
		ul.ul_secs = lg->lg_secs;
		ul.ul_pgid = lg->lg_pgid;
		ul.ul_draining = lg->lg_draining;
		ul.ul_budget = lg->lg_budget;
		ul.ul_step = lg->lg_step;
		ul.ul_at = timer_at(&lg->lg_timer);
		fn(&ul, lg->lg_sv, arg);
	}
}

/*
 * After an upgrade in place: a socket the old binary held, taken over
 * as it was, draining (in the poll set while it may still discard) or
 * waiting for its child's group, its timer due when it was; sv is the
 * service whose share it counts in, or NULL.
 */
void
linger_adopt(struct service *sv, const struct uplinger *ul)
{
	struct lingering	*lg;

	if ((lg = freelist) != NULL)
		freelist = lg->lg_next;
	else if ((lg = malloc(sizeof(*lg))) == NULL) {
		(void)close(ul->ul_fd);
		return;
	}
	memset(lg, 0, sizeof(*lg));
	lg->lg_ev.ev_kind = EV_LINGER;
	lg->lg_fd = ul->ul_fd;
	lg->lg_secs = ul->ul_secs;
	lg->lg_pgid = ul->ul_pgid;
	lg->lg_budget = ul->ul_budget;
	lg->lg_step = ul->ul_step;
	nlingering++;
	LIST_INSERT_HEAD(&held, lg, lg_entry);
	if (sv != NULL && !sv->sv_retired) {
		lg->lg_sv = sv;
		sv->sv_lingering++;
	}
	if (!ul->ul_draining) {
		timer_init(&lg->lg_timer, group_due, lg);
		timer_set(&lg->lg_timer, ul->ul_at);
		return;
	}
	lg->lg_draining = 1;
	ndraining++;
	timer_init(&lg->lg_timer, linger_due, lg);
	timer_set(&lg->lg_timer, ul->ul_at);
	if (lg->lg_budget > 0 &&
	    poll_add(lg->lg_fd, EPOLLIN | EPOLLRDHUP, lg) == 0)
		lg->lg_inpoll = 1;
}
