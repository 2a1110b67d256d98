/*
 * poll.c: the epoll descriptor, and a listener's place in its set.
 *
 * The descriptor is this file's alone: the loop waits on it through
 * poll_wait(), and every watch (the signalfd, the spawn eventfd, each
 * listener, each child's pidfd) goes in and out through poll_add(),
 * poll_mod() and poll_del().
 *
 * A listener is in the epoll set with EPOLLIN while its service may start
 * children, and in the set with no events while it is paused (sv_pause
 * holds why): at its instances= limit, while a wait-mode child holds its
 * socket, while a dgram nowait child has not read its datagram yet, after
 * running out of descriptors or processes, while its loop guard or the
 * rate= of a wait service holds it back (guard.c), while every spawn slot
 * is taken, and until it could be bound.  poll_pause() and poll_resume()
 * set and clear one reason each; the listener polls again once none is
 * left.  A back-off, a loop pause and a rate pause end by themselves
 * (poll_pause_until), through one timer a service (sv_poll_timer), which
 * also tries again a listener epoll could not take: out of the set until
 * then.  Connections wait in the kernel's backlog meanwhile; none is
 * refused.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <string.h>

#include "superd.h"

#define POLL_RETRY_SECS	1.0

static int		 epfd = -1;

static void		 poll_update(struct service *);

/*
 * The epoll descriptor, close-on-exec, with superd's other long-lived
 * ones (fd.c); -1 with errno set when it fails.
 */
int
poll_init(void)
{
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	epfd = fd_high(epfd);
	return 0;
}

/*
 * Watch fd for events, with ptr as the event's data.ptr (what it points
 * at starts with a struct evsrc); poll_mod changes a watch.  -1 with
 * errno set when epoll_ctl(2) fails (ENOMEM, ENOSPC past
 * fs.epoll.max_user_watches).
 */
static int
poll_ctl(int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = ptr;
	return epoll_ctl(epfd, op, fd, &ev);
}

int
poll_add(int fd, uint32_t events, void *ptr)
{
	return poll_ctl(EPOLL_CTL_ADD, fd, events, ptr);
}

int
poll_mod(int fd, uint32_t events, void *ptr)
{
	return poll_ctl(EPOLL_CTL_MOD, fd, events, ptr);
}

/* Stop watching fd; a failure means it was not watched: nothing to undo. */
void
poll_del(int fd)
{
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* epoll_wait(2) on the one descriptor: the loop's only sleep. */
int
poll_wait(struct epoll_event *events, int max, int timeout)
{
	return epoll_wait(epfd, events, max, timeout);
}

/*
 * The pauses that end by themselves, each at its sv_until[] (the same
 * index here): a back-off, a loop guard's pause, a wait service's rate=.
 */
static const int	 timed[POLL_TIMED] = {
	PAUSE_BACKOFF, PAUSE_LOOP, PAUSE_RATE,
};

static void		 poll_due(struct timer *, double);

/*
 * One timer a service for what poll.c waits for: the end of each timed
 * pause, and the next try of a registration epoll refused.
 */
static void
poll_arm(struct service *sv)
{
	double	 at = sv->sv_poll_retry;
	int	 i;

	for (i = 0; i < POLL_TIMED; i++)
		if ((sv->sv_pause & timed[i]) && (at == 0 ||
		    sv->sv_until[i] < at))
			at = sv->sv_until[i];
	if (at == 0) {
		timer_clear(&sv->sv_poll_timer);
		return;
	}
	if (timer_pending(&sv->sv_poll_timer) &&
	    timer_at(&sv->sv_poll_timer) == at)
		return;
	timer_init(&sv->sv_poll_timer, poll_due, sv);
	timer_set(&sv->sv_poll_timer, at);
}

/* The timed pauses of sv that are over by now end; 1 when one did. */
static int
pauses_end(struct service *sv, double now)
{
	int	 i, ended = 0;

	for (i = 0; i < POLL_TIMED; i++)
		if ((sv->sv_pause & timed[i]) && sv->sv_until[i] <= now) {
			sv->sv_pause &= ~timed[i];
			ended = 1;
		}
	return ended;
}

/*
 * The timed pauses of sv that are over by now end, whichever timer finds
 * them so first: a held connection's retry (admit.c) may run before
 * sv_poll_timer when both are due at once.
 */
void
poll_expire(struct service *sv, double now)
{
	if (pauses_end(sv, now)) {
		poll_update(sv);
		poll_arm(sv);
	}
}

/* The pauses that are over end; a refused registration is tried again. */
static void
poll_due(struct timer *t, double now)
{
	struct service	*sv = t->tm_arg;

	(void)pauses_end(sv, now);
	poll_update(sv);
	poll_arm(sv);
}

/*
 * Ask epoll for what the service needs now: EPOLLIN, or nothing.  When
 * the kernel cannot take one more watch (ENOMEM; ENOSPC past
 * fs.epoll.max_user_watches), the socket is left out of the set, its
 * connections wait in the backlog, and the registration is tried again a
 * second later (sv_poll_timer).  EPOLL_CTL_DEL allocates nothing: a
 * failed change leaves the socket out, never polled against its pause.
 */
static void
poll_update(struct service *sv)
{
	struct epoll_event	 ev;
	int			 want = sv->sv_pause == 0;

	if (sv->sv_fd == -1 || epfd == -1)
		return;
	if (sv->sv_inpoll && sv->sv_polled == want)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want ? EPOLLIN : 0;
	ev.data.ptr = sv;
	if (epoll_ctl(epfd, sv->sv_inpoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
	    sv->sv_fd, &ev) == -1) {
		if (sv->sv_poll_retry == 0)
			log_warn("event=epoll-failed svc=%s line=%d retry=%.0f",
			    log_str(sv->sv_name), sv->sv_cf->cf_line,
			    POLL_RETRY_SECS);
		if (sv->sv_inpoll)
			(void)epoll_ctl(epfd, EPOLL_CTL_DEL, sv->sv_fd, NULL);
		sv->sv_inpoll = 0;
		sv->sv_poll_retry = timer_now() + POLL_RETRY_SECS;
		poll_arm(sv);
		return;
	}
	if (sv->sv_poll_retry != 0) {
		sv->sv_poll_retry = 0;
		poll_arm(sv);
	}
	sv->sv_inpoll = 1;
	sv->sv_polled = want;
}

/*
 * sv's socket out of the set before its descriptor's number is given to
 * another socket (dgramconn.c): epoll watches the open file, which lives
 * on elsewhere, not the number.  poll_resume(sv, 0) puts the new one in.
 */
void
poll_forget(struct service *sv)
{
	if (sv->sv_inpoll && sv->sv_fd != -1)
		poll_del(sv->sv_fd);
	sv->sv_inpoll = 0;
}

void
poll_pause(struct service *sv, int why)
{
	sv->sv_pause |= why;
	poll_update(sv);
}

/*
 * A pause that ends by itself at until (one of timed[]); set again, the
 * end is the new one.
 */
void
poll_pause_until(struct service *sv, int why, double until)
{
	int	 i;

	for (i = 0; i < POLL_TIMED; i++)
		if (timed[i] == why)
			sv->sv_until[i] = until;
	sv->sv_pause |= why;
	poll_arm(sv);
	poll_update(sv);
}

void
poll_resume(struct service *sv, int why)
{
	sv->sv_pause &= ~why;
	poll_update(sv);
}

/* instances= may have changed on a reload: pause or resume to match. */
void
poll_instances_changed(struct service *sv)
{
	if (sv->sv_children >= sv->sv_cf->cf_instances)
		poll_pause(sv, PAUSE_INSTANCES);
	else
		poll_resume(sv, PAUSE_INSTANCES);
}
