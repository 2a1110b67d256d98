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
 * Telling input apart: TCP says how many connections wait in a
 * listener's accept queue (TCP_INFO); a unix listener, only whether any
 * does.  A datagram is known by the kernel's receive time (SO_TIMESTAMPNS,
 * set on dgram nowait sockets) and by a sum of its source, its length
 * and its first bytes.  Without a receive time two datagrams with the
 * same sum look like one: the guard then counts a miss where there may
 * have been none, and superd never drops such a datagram.
 *
 * Also here: rate= of a wait service, which refuses nothing and pauses
 * the service (PAUSE_RATE) until the bucket has a token again.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <poll.h>
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
 * The datagram at the head of sv's queue, left there: its source in ss
 * and what tells it from the next one in id.  Returns 0 when the queue
 * is empty.
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
	ssize_t		 n;

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
	/* MSG_TRUNC: the datagram's whole length, not what fitted */
	if ((n = recvmsg(sv->sv_fd, &msg, MSG_PEEK | MSG_DONTWAIT |
	    MSG_TRUNC)) == -1)
		return 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			id->di_stamp = (long long)ts.tv_sec * 1000000000LL +
			    ts.tv_nsec;
		}
	id->di_sum = sum_bytes(1469598103934665603ULL, ss, msg.msg_namelen);
	id->di_sum = sum_bytes(id->di_sum, &n, sizeof(n));
	id->di_sum = sum_bytes(id->di_sum, b,
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

/* Connections waiting to be accepted on a stream listener. */
static long long
stream_queued(struct service *sv)
{
	struct tcp_info	 ti;
	struct pollfd	 pfd;
	socklen_t	 len = sizeof(ti);

	/* on a listener, tcpi_unacked is the accept queue's length */
	if (sv->sv_proto == PROTO_TCP && getsockopt(sv->sv_fd, IPPROTO_TCP,
	    TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN)
		return ti.tcpi_unacked;
	pfd.fd = sv->sv_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* Wait mode, before a child is handed the socket: what it will find. */
void
guard_mark(struct service *sv)
{
	struct sockaddr_storage	 ss;

	if (sv->sv_socktype == SOCK_DGRAM)
		(void)guard_peek(sv, &ss, &sv->sv_dgram_id);
	else
		sv->sv_input = stream_queued(sv);
}

/*
 * Did this exited child leave its service's input where it found it?
 * -1 when it had none to take (a connection of its own, or its service
 * is gone); else GUARD_TAKEN, GUARD_MAYBE or GUARD_SAME.
 */
int
guard_left(const struct child *ch)
{
	struct service	*sv = ch->ch_sv;
	long long	 q;

	if (sv->sv_retired || sv->sv_fd == -1)
		return -1;
	if (ch == sv->sv_dgramchild)
		return guard_dgram_left(sv, &sv->sv_dgram_id);
	if (!ch->ch_wait)
		return -1;
	if (sv->sv_socktype == SOCK_DGRAM)
		return guard_dgram_left(sv, &sv->sv_dgram_id) == GUARD_TAKEN ?
		    GUARD_TAKEN : GUARD_MAYBE;
	q = stream_queued(sv);
	return q > 0 && q >= sv->sv_input ? GUARD_MAYBE : GUARD_TAKEN;
}

/* A miss: the child exited soon, its input left (guard_left). */
int
guard_missed(const struct child *ch, int left, double now)
{
	return left > 0 && now - ch->ch_start < LOOP_QUICK_SECS;
}

/*
 * Count an exit (or, for dgram nowait, a datagram read) of a guarded
 * child: a miss, or a child that took its input and ends any loop.
 */
void
guard_note(struct service *sv, int missed, double now)
{
	int	 begun = 0;

	if (!missed) {
		sv->sv_loop_misses = 0;
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
		if (++sv->sv_loop_misses < LOOP_MISSES)
			return;
		sv->sv_loop_misses = 0;
		sv->sv_loop_backoff = LOOP_BACKOFF_MIN;
		sv->sv_loop_starts = LOOP_MISSES;
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
	sv->sv_loop_at = now + sv->sv_loop_backoff;
	serve_pause(sv, PAUSE_LOOP);
	serve_wake_at(sv->sv_loop_at);
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
	sv->sv_rate_at = now + secs;
	serve_pause(sv, PAUSE_RATE);
	serve_wake_at(sv->sv_rate_at);
	if (sv->sv_rate_n == 0 && now >= sv->sv_rate_logged + 1.0) {
		log_info("event=paused svc=%s line=%d reason=rate backoff=%.3f",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, secs);
		sv->sv_rate_logged = now;
	} else {
		sv->sv_rate_n++;
		serve_wake_at(sv->sv_rate_logged + 1.0);
	}
	return -1;
}

/* The guard's timers: pauses that are over, summed-up lines that are due. */
void
guard_timers(struct service *sv, double now)
{
	if (sv->sv_pause & PAUSE_LOOP) {
		if (now >= sv->sv_loop_at)
			serve_resume(sv, PAUSE_LOOP);
		else
			serve_wake_at(sv->sv_loop_at);
	}
	if (sv->sv_pause & PAUSE_RATE) {
		if (now >= sv->sv_rate_at)
			serve_resume(sv, PAUSE_RATE);
		else
			serve_wake_at(sv->sv_rate_at);
	}
	if (sv->sv_rate_n > 0) {
		if (now >= sv->sv_rate_logged + 1.0) {
			log_info("event=paused svc=%s line=%d reason=rate "
			    "count=%lu", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, sv->sv_rate_n);
			sv->sv_rate_n = 0;
			sv->sv_rate_logged = now;
		} else
			serve_wake_at(sv->sv_rate_logged + 1.0);
	}
}
