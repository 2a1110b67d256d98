/*
 * guard.c: the loop guard of services whose children take their input
 * from the service's own socket (wait mode, dgram nowait), and what it
 * needs to know: whether such a child took the input waiting there.
 *
 * A wait-mode child that exits without accepting its connection (or
 * reading its datagram) leaves the socket readable, and superd would
 * start the next child at once, for ever: /bin/true on a wait line ran
 * thousands of times a second.  So each exit of such a child is looked
 * at: one that exits within LOOP_QUICK_SECS with its input still there
 * has missed it, and LOOP_MISSES misses in a row make a loop.  A looping
 * service is paused (PAUSE_LOOP) for LOOP_BACKOFF_MIN seconds, twice as
 * long at each further miss up to LOOP_BACKOFF_MAX, and comes back by
 * itself; a child that takes its input, or runs longer, ends the loop.
 * It is never shut down for minutes, as inetd does.  While a service
 * loops, its start and exit lines are summed up in event=looping lines.
 *
 * Only a child that exited on its own can miss: one superd killed
 * (ch_killed: epoll could not watch it, spawn-timeout, timeout=) never
 * does.  Whether a stream child accepted anything is backlog.c's to
 * say.  A datagram is known by the kernel's receive time (guard_peek)
 * and by a sum of its source, its length and its first bytes.  Without
 * a receive time two datagrams with the same sum look like one: the
 * guard then counts a miss where there may have been none, and superd
 * never drops such a datagram.
 *
 * Also here: rate= of a wait service, which refuses nothing and pauses
 * the service (PAUSE_RATE) until the bucket has a token again.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "superd.h"

#define SUM_BYTES	64	/* of a datagram, in its sum */

/* FNV-1a, continued from h. */
static uint64_t
sum_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

/*
 * The sum of a datagram: its source (len bytes of ss), its length n
 * and its first blen bytes at b (SUM_BYTES at most count).
 */
uint64_t
guard_sum(const struct sockaddr_storage *ss, socklen_t len, ssize_t n,
    const void *b, size_t blen)
{
	uint64_t	 h;

	h = sum_bytes(1469598103934665603ULL, ss, len);
	h = sum_bytes(h, &n, sizeof(n));
	return sum_bytes(h, b, blen < SUM_BYTES ? blen : SUM_BYTES);
}

/*
 * Is any receive timestamp on for sv's socket?  One its child asked for
 * is left alone: turning SO_TIMESTAMPNS off would clear SO_TIMESTAMP too.
 */
static int
stamps_on(struct service *sv)
{
	socklen_t	 len;
	int		 on;

	len = sizeof(on);
	if (getsockopt(sv->sv_fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, &len) ==
	    -1 || on)
		return 1;
	len = sizeof(on);
	if (getsockopt(sv->sv_fd, SOL_SOCKET, SO_TIMESTAMP, &on, &len) ==
	    -1 || on)
		return 1;
	return 0;
}

/*
 * The datagram at the head of sv's queue, left there: its source in ss
 * and what tells it from the next one in id.  Returns 0 when the queue
 * is empty.
 *
 * Linux stamps a datagram that has no receive time yet when it is first
 * read with SO_TIMESTAMPNS on (__sock_recv_timestamp), and a MSG_PEEK
 * leaves it queued with that stamp: so the option is on only around this
 * peek, every datagram gets a time of its own, and a child is not handed
 * a socket that sends it timestamps it never asked for.
 */
int
guard_peek(struct service *sv, struct sockaddr_storage *ss, struct dgid *id)
{
	char		 cbuf[CMSG_SPACE(sizeof(struct timespec))];
	unsigned char	 b[SUM_BYTES];
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	struct timespec	 ts;
	struct timeval	 tv;
	ssize_t		 n;
	int		 on = 1, off = 0, toggled = 0;

	memset(&msg, 0, sizeof(msg));
	memset(ss, 0, sizeof(*ss));
	memset(id, 0, sizeof(*id));
	iov.iov_base = b;
	iov.iov_len = sizeof(b);
	msg.msg_name = ss;
	msg.msg_namelen = sizeof(*ss);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	if (!stamps_on(sv) && setsockopt(sv->sv_fd, SOL_SOCKET,
	    SO_TIMESTAMPNS, &on, sizeof(on)) == 0)
		toggled = 1;
	/* MSG_TRUNC: the datagram's whole length, not what fitted */
	n = recvmsg(sv->sv_fd, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
	if (toggled)
		(void)setsockopt(sv->sv_fd, SOL_SOCKET, SO_TIMESTAMPNS, &off,
		    sizeof(off));
	if (n == -1)
		return 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			id->di_stamp = (long long)ts.tv_sec * 1000000000LL +
			    ts.tv_nsec;
		} else if (cm->cmsg_type == SCM_TIMESTAMP) {
			/* the child's own SO_TIMESTAMP */
			memcpy(&tv, CMSG_DATA(cm), sizeof(tv));
			id->di_stamp = (long long)tv.tv_sec * 1000000000LL +
			    tv.tv_usec * 1000LL;
		}
	}
	id->di_sum = guard_sum(ss, msg.msg_namelen, n, b,
	    (size_t)n < sizeof(b) ? (size_t)n : sizeof(b));
	return 1;
}

/*
 * Is the datagram handed to a child (was) still at the head of the
 * queue?  GUARD_TAKEN: no, or the queue is empty; GUARD_SAME: yes, by
 * its receive time; GUARD_MAYBE: one that looks the same is there.
 */
int
guard_dgram_left(struct service *sv, const struct dgid *was)
{
	struct sockaddr_storage	 ss;
	struct dgid		 id;

	if (!guard_peek(sv, &ss, &id) || id.di_sum != was->di_sum)
		return GUARD_TAKEN;
	if (id.di_stamp != 0 && was->di_stamp != 0)
		return id.di_stamp == was->di_stamp ? GUARD_SAME : GUARD_TAKEN;
	return GUARD_MAYBE;
}

/* Wait mode, before a child is handed the socket: what it will find. */
void
guard_mark(struct service *sv)
{
	struct sockaddr_storage	 ss;

	if (sv->sv_socktype == SOCK_DGRAM)
		(void)guard_peek(sv, &ss, &sv->sv_dgram_id);
	else
		backlog_mark(sv);
}

/*
 * Did this exited child leave its service's input where it found it?
 * -1 when it had none to take (a connection of its own, or its service
 * is gone); else GUARD_TAKEN, GUARD_MAYBE, GUARD_SAME or GUARD_SUSPECT.
 */
int
guard_left(const struct child *ch)
{
	struct service	*sv = ch->ch_sv;

	if (sv->sv_retired || sv->sv_fd == -1)
		return -1;
	if (ch == sv->sv_dgramchild)
		return guard_dgram_left(sv, &sv->sv_dgram_id);
	if (!ch->ch_wait)
		return -1;
	if (sv->sv_socktype == SOCK_DGRAM)
		return guard_dgram_left(sv, &sv->sv_dgram_id) == GUARD_TAKEN ?
		    GUARD_TAKEN : GUARD_MAYBE;
	return backlog_left(sv);
}

/*
 * A miss: the child exited on its own and soon, its input left
 * (guard_left).  LOOP_MISSED: proven and within LOOP_QUICK_SECS;
 * LOOP_FAST: within LOOP_FAST_SECS, proven or GUARD_SUSPECT.  0: it took
 * its input or ran longer.  LOOP_UNSURE: neither, as when superd killed
 * it (epoll could not watch it, spawn-timeout, timeout=) or it may have
 * taken its input.
 *
 * LOOP_SUSPECTS fast ones in a row make a loop too: /bin/true, where
 * other TCP traffic of the namespace hides the proof (backlog.c).  The
 * price: a good wait daemon there that takes one connection and exits
 * within LOOP_FAST_SECS, LOOP_SUSPECTS times in a row, with connections
 * arriving as fast as it takes them, is paused as well.  No wait daemon
 * that starts a process per connection is asked to run that way.
 */
int
guard_missed(const struct child *ch, int left, double now)
{
	double	 life = now - ch->ch_start;
	int	 m = 0;

	if (left == -1)
		return 0;
	if (ch->ch_killed)
		return life < LOOP_QUICK_SECS ? LOOP_UNSURE : 0;
	if (left == GUARD_TAKEN)
		return 0;
	if (left != GUARD_SUSPECT && life < LOOP_QUICK_SECS)
		m |= LOOP_MISSED;
	if (life < LOOP_FAST_SECS)
		m |= LOOP_FAST;
	if (m == 0 && left == GUARD_SUSPECT)
		m = LOOP_UNSURE;
	return m;
}

/*
 * Count an exit (or, for dgram nowait, a datagram read) of a guarded
 * child: a miss, or a child that took its input and ends any loop.
 */
void
guard_note(struct service *sv, int missed, double now)
{
	int	 begun = 0;

	if (missed == LOOP_UNSURE)
		return;
	if (!missed) {
		sv->sv_loop_misses = 0;
		sv->sv_loop_fast = 0;
		if (sv->sv_loop_backoff == 0)
			return;
		sv->sv_loop_backoff = 0;
		log_info("event=loop-ended svc=%s line=%d starts=%lu",
		    log_str(sv->sv_name), sv->sv_cf->cf_line,
		    sv->sv_loop_starts);
		sv->sv_loop_starts = 0;
		return;
	}
	if (sv->sv_loop_backoff == 0) {
		if (missed & LOOP_MISSED)
			sv->sv_loop_misses++;
		if (missed & LOOP_FAST)
			sv->sv_loop_fast++;
		if (sv->sv_loop_misses < LOOP_MISSES &&
		    sv->sv_loop_fast < LOOP_SUSPECTS)
			return;
		sv->sv_loop_starts = sv->sv_loop_misses >= LOOP_MISSES ?
		    LOOP_MISSES : LOOP_SUSPECTS;
		sv->sv_loop_misses = 0;
		sv->sv_loop_fast = 0;
		sv->sv_loop_backoff = LOOP_BACKOFF_MIN;
		begun = 1;
	} else {
		sv->sv_loop_backoff *= 2;
		if (sv->sv_loop_backoff > LOOP_BACKOFF_MAX)
			sv->sv_loop_backoff = LOOP_BACKOFF_MAX;
	}
	if (begun || now >= sv->sv_loop_logged + LOOP_LOG_SECS) {
		log_warnx("event=looping svc=%s line=%d starts=%lu "
		    "backoff=%.0f", log_str(sv->sv_name), sv->sv_cf->cf_line,
		    sv->sv_loop_starts, sv->sv_loop_backoff);
		sv->sv_loop_logged = now;
		sv->sv_loop_starts = 0;
	}
	poll_pause_until(sv, PAUSE_LOOP, now + sv->sv_loop_backoff);
}

/* The rate pauses of the last second, summed up in one line. */
static void
rate_log_due(struct timer *t, double now)
{
	struct service	*sv = t->tm_arg;

	if (sv->sv_rate_n == 0)
		return;
	log_info("event=paused svc=%s line=%d reason=rate count=%lu",
	    log_str(sv->sv_name), sv->sv_cf->cf_line, sv->sv_rate_n);
	sv->sv_rate_n = 0;
	sv->sv_rate_logged = now;
}

/*
 * rate= of a wait service, before its child starts: 0 with a token
 * taken, or -1 with the service paused until one is due.  Nothing is
 * refused: the input waits in the socket.  Logged like a refusal: the
 * first pause at once, later ones within a second summed up.
 */
int
guard_rate(struct service *sv, double now)
{
	double	 secs;

	if (limits_rate_take(sv, now))
		return 0;
	/* a millisecond more: the bucket then surely holds a whole token */
	secs = limits_rate_wait(sv) + 0.001;
	poll_pause_until(sv, PAUSE_RATE, now + secs);
	if (sv->sv_rate_n == 0 && now >= sv->sv_rate_logged + 1.0) {
		log_info("event=paused svc=%s line=%d reason=rate backoff=%.3f",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, secs);
		sv->sv_rate_logged = now;
	} else {
		sv->sv_rate_n++;
		timer_init(&sv->sv_ratelog_timer, rate_log_due, sv);
		timer_set_by(&sv->sv_ratelog_timer, sv->sv_rate_logged + 1.0);
	}
	return -1;
}
