/*
 * errlog.c: a child's stderr, read into log lines (stderr=log, the
 * default).
 *
 * Each child of a stderr=log service gets the write end of a pipe of its
 * own as descriptor 2; superd keeps the read end, high (fd.c),
 * O_NONBLOCK, close-on-exec, in epoll, and logs every line that comes as
 *
 *	event=stderr svc=S line=L pid=P msg="..."
 *
 * P being the pid of the child's event=start line, also for what the
 * child's own children write to the descriptor they inherited.  The
 * text is escaped as any peer-controlled text (logtext.c); a line is
 * ERRLOG_LINE bytes at most: a longer one is logged cut there with
 * truncated=1 and the rest of it, up to its newline, is dropped.  The
 * last line, if it has no newline, is logged when the pipe ends.
 *
 * Never blocking, never holding much: one read(2) of ERRLOG_READ bytes
 * per wake-up and pipe, ERRLOG_HUPREADS once no writer is left (the
 * watch is one-shot and armed again after it, so one flooding child
 * cannot starve the loop, and a child waits for superd no longer than a
 * turn of the loop), every line read is logged
 * or dropped at once, and only a line cut by the end of a read is kept:
 * ERRLOG_LINE bytes a pipe at most, allocated when a read ends in the
 * middle of one (most children never need it; the records come from a
 * free list).  A service logs ERRLOG_RATE lines a second at most (a
 * token bucket in struct service); the lines over it are read, dropped,
 * counted (sv_errdropped, with sv_errlines for those logged) and summed
 * up at most once a second as event=stderr-dropped count=N (refuse.c).
 *
 * A pipe outlives its child while something the child started holds the
 * write end (sh -c 'daemon >&2 &'): it is read until its end, under the same
 * service and pid.  Such orphans are at most orphan_max(), an eighth of the
 * descriptor limit, and a quarter of that for one service (orphan_quota);
 * past the quota the service's own oldest is closed, past the limit the
 * oldest of the service that holds the most, event=stderr-closed, and
 * counted: one service's children never close another's pipes while it keeps
 * within its share.  A service with pipes open is not freed when a reload
 * removes it (services.c): it waits, retired, as for a child, so its pipes
 * keep their name.  A child superd could make no pipe for (EMFILE, ENFILE)
 * gets /dev/null as stderr=null does, counted in sv_errnopipe and logged
 * once a second at most: it is served, not refused.  At exit every pipe is
 * read one last time and closed.
 *
 * System calls a connection: pipe2(2) and the read end's move up
 * (F_DUPFD_CLOEXEC) before the clone; the low ends are closed in the
 * close_range(2) that closes the connection (spawn.c: no more calls
 * than before when they are consecutive); epoll_ctl(2) ADD; at the
 * end, a pipe that reports EPOLLHUP without EPOLLIN (nothing was
 * written) is closed without a read, one-shot leaving no watch behind.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define ERRLOG_READ	65536	/* bytes read a wake-up and pipe, at most */
#define ERRLOG_HUPREADS	4	/* reads of a pipe with no writer left */
#define ORPHAN_MIN_MAX	16	/* orphan_max() is never below */
#define NOPIPE_LOG_SECS	1.0	/* event=stderr-nopipe at most this often */

struct errpipe {
	struct evsrc	 ep_ev;		/* first: epoll's data.ptr */
	int		 ep_fd;		/* the read end; -1 once closed */
	pid_t		 ep_pid;
	struct service	*ep_sv;		/* holds it, retired or not */
	char		*ep_part;	/* a line cut by a read, or NULL */
	size_t		 ep_partlen;
	int		 ep_skip;	/* past ERRLOG_LINE: to its newline */
	int		 ep_reaped;	/* its child is reaped */
	int		 ep_armed;	/* the one-shot watch may still fire */
	TAILQ_ENTRY(errpipe) ep_entry;	/* open: live, or orphans */
	struct errpipe	*ep_next;	/* on the free list */
};
TAILQ_HEAD(eplist, errpipe);

static struct eplist	 live = TAILQ_HEAD_INITIALIZER(live);
static struct eplist	 orphans = TAILQ_HEAD_INITIALIZER(orphans);
static struct errpipe	*freelist;
static int		 nopen;		/* read ends open */
static int		 norphans;
static int		 maxorphans;
static unsigned long	 nclosed;	/* orphans closed over the limit */
static struct timer	 orphan_timer;
static double		 nopipe_logged = -NOPIPE_LOG_SECS;

/* How many read ends superd holds, all high: spawn_child's nhigh. */
int
errlog_held(void)
{
	return nopen;
}

/* An eighth of the descriptor limit, once superd has raised its own. */
static int
orphan_max(void)
{
	if (maxorphans == 0)
		maxorphans = fd_share(8, ORPHAN_MIN_MAX, 1048576);
	return maxorphans;
}

/*
 * A stderr=log child of sv is about to be started: its pipe.  fds[1]
 * is the write end for the child's descriptor 2, fds[0] the low read
 * end to close with the connection (spawn_child closes both); the
 * record keeps the read end moved up.  No pipe, NULL: fds[1] is -1 when
 * sv wants none (another stderr=, a built-in), ERRFD_NULL when it could
 * not be made (the child gets /dev/null).
 */
struct errpipe *
errlog_open(struct service *sv, int *fds)
{
	struct errpipe	*ep;
	int		 p[2], high;

	fds[0] = fds[1] = -1;
	if (sv->sv_cf->cf_stderr != STDERR_LOG ||
	    sv->sv_cf->cf_builtin != BI_NONE)
		return NULL;
	if ((ep = freelist) != NULL)
		freelist = ep->ep_next;
	else if ((ep = malloc(sizeof(*ep))) == NULL)
		goto nopipe;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == -1)
		goto nofree;
	/*
	 * The read end lives as long as the child, so it goes high (low
	 * descriptors are for connections); when it cannot, no pipe.  The
	 * low one stays until the clone: closed with the socket.
	 */
	if ((high = fcntl(p[0], F_DUPFD_CLOEXEC, SPAWN_FDTOP)) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		goto nofree;
	}
	memset(ep, 0, sizeof(*ep));
	ep->ep_ev.ev_kind = EV_ERRPIPE;
	ep->ep_sv = sv;
	ep->ep_fd = high;
	fds[0] = p[0];
	fds[1] = p[1];
	sv->sv_errpipes++;
	nopen++;
	TAILQ_INSERT_TAIL(&live, ep, ep_entry);
	return ep;
nofree:
	ep->ep_next = freelist;
	freelist = ep;
nopipe:
	sv->sv_errnopipe++;
	if (timer_now() >= nopipe_logged + NOPIPE_LOG_SECS) {
		log_warn("event=stderr-nopipe svc=%s line=%d count=%lu",
		    log_str(sv->sv_name), sv->sv_cf->cf_line,
		    sv->sv_errnopipe);
		nopipe_logged = timer_now();
	}
	fds[1] = ERRFD_NULL;
	return NULL;
}

/*
 * The record goes; its service, when retired, may go with it (not when
 * release is 0: the caller still uses it).
 */
static void
record_free(struct errpipe *ep, int release)
{
	struct service	*sv = ep->ep_sv;

	free(ep->ep_part);
	ep->ep_part = NULL;
	ep->ep_next = freelist;
	freelist = ep;
	sv->sv_errpipes--;
	if (release && sv->sv_retired)
		services_release(sv);
}

/*
 * The child was started as pid: its pipe into the poll set.  Returns -1
 * when epoll cannot take it (the caller refuses the connection, as for
 * its pidfd), or when asked not to (unwatched: its pidfd was not
 * taken): the read end is closed then.
 */
int
errlog_start(struct errpipe *ep, pid_t pid, int unwatched)
{
	if (ep == NULL)
		return 0;
	ep->ep_pid = pid;
	if (!unwatched &&
	    poll_add(ep->ep_fd, EPOLLIN | EPOLLONESHOT, ep) == 0) {
		ep->ep_armed = 1;
		return 0;
	}
	(void)close(ep->ep_fd);
	ep->ep_fd = -1;
	nopen--;
	TAILQ_REMOVE(&live, ep, ep_entry);
	return -1;
}

/* The spawn failed: the pipe goes, both ends, unused. */
void
errlog_cancel(struct errpipe *ep, int *fds)
{
	if (fds[0] >= 0)
		(void)close(fds[0]);
	if (fds[1] >= 0)
		(void)close(fds[1]);
	fds[0] = fds[1] = -1;
	if (ep == NULL)
		return;
	(void)close(ep->ep_fd);
	nopen--;
	TAILQ_REMOVE(&live, ep, ep_entry);
	record_free(ep, 0);
}

/* Take a line's token from sv's bucket: ERRLOG_RATE a second, as many. */
static int
rate_take(struct service *sv, double now)
{
	sv->sv_errtokens += (now - sv->sv_errtokens_at) * ERRLOG_RATE;
	if (sv->sv_errtokens > ERRLOG_RATE)
		sv->sv_errtokens = ERRLOG_RATE;
	sv->sv_errtokens_at = now;
	if (sv->sv_errtokens < 1.0)
		return 0;
	sv->sv_errtokens -= 1.0;
	return 1;
}

/* One line, len bytes (no newline), logged or dropped over the rate. */
static void
line_out(struct errpipe *ep, const char *s, size_t len, int cut, double now)
{
	struct service	*sv = ep->ep_sv;
	char		 q[ERRLOG_LINE * 4 + 3];	/* \ooo a byte */

	if (!rate_take(sv, now)) {
		sv->sv_errdropped++;
		errdrop_note(sv, now);
		return;
	}
	sv->sv_errlines++;
	log_quote_mem(q, sizeof(q), s, len);
	log_info("event=stderr svc=%s line=%d pid=%d msg=%s%s",
	    log_str(sv->sv_name), sv->sv_cf->cf_line, (int)ep->ep_pid, q,
	    cut ? " truncated=1" : "");
}

/*
 * The kept part of a line and seg, len bytes of its rest, out as one;
 * the kept part is emptied.
 */
static void
part_out(struct errpipe *ep, const char *seg, size_t len, int cut,
    double now)
{
	char	 line[ERRLOG_LINE];

	if (ep->ep_partlen == 0) {
		line_out(ep, seg, len, cut, now);
		return;
	}
	memcpy(line, ep->ep_part, ep->ep_partlen);
	memcpy(line + ep->ep_partlen, seg, len);
	line_out(ep, line, ep->ep_partlen + len, cut, now);
	ep->ep_partlen = 0;
}

/*
 * What a read brought, n bytes: each whole line out, one longer than
 * ERRLOG_LINE cut there and its rest dropped to its newline, and the
 * last, cut by the read, kept (allocated the first time one is).
 */
static void
text_in(struct errpipe *ep, const char *buf, size_t n, double now)
{
	const char	*p = buf, *end = buf + n, *nl;
	size_t		 len, room;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (ep->ep_skip) {
			if (nl == NULL)
				return;
			ep->ep_skip = 0;
			p = nl + 1;
			continue;
		}
		len = (size_t)((nl != NULL ? nl : end) - p);
		room = ERRLOG_LINE - ep->ep_partlen;
		if (len > room) {
			/* too long: its first ERRLOG_LINE bytes only */
			part_out(ep, p, room, 1, now);
			if (nl == NULL) {
				ep->ep_skip = 1;
				return;
			}
			p = nl + 1;
		} else if (nl != NULL) {
			part_out(ep, p, len, 0, now);
			p = nl + 1;
		} else {
			if (ep->ep_part == NULL &&
			    (ep->ep_part = malloc(ERRLOG_LINE)) == NULL) {
				/* no memory: what there is goes out now */
				line_out(ep, p, len, 0, now);
				return;
			}
			memcpy(ep->ep_part + ep->ep_partlen, p, len);
			ep->ep_partlen += len;
			return;
		}
	}
}

/*
 * The pipe is done with (its end, an error, superd's limit or exit):
 * the kept part of a last line out, the read end closed.  The record
 * goes once its child has been reaped too.
 */
static void
pipe_end(struct errpipe *ep, double now)
{
	if (ep->ep_partlen > 0)
		part_out(ep, "", 0, 0, now);
	free(ep->ep_part);
	ep->ep_part = NULL;
	ep->ep_skip = 0;
	/* a watch that may still fire goes first: another may hold it */
	if (ep->ep_armed)
		poll_del(ep->ep_fd);
	(void)close(ep->ep_fd);
	ep->ep_fd = -1;
	ep->ep_armed = 0;
	nopen--;
	if (ep->ep_reaped) {
		TAILQ_REMOVE(&orphans, ep, ep_entry);
		norphans--;
		ep->ep_sv->sv_errorphans--;
		record_free(ep, 1);
	} else
		TAILQ_REMOVE(&live, ep, ep_entry);
}

/*
 * One read, ERRLOG_READ bytes at most, and its lines out.  Returns 1
 * when the pipe has ended (or failed), 0 while more may come.
 */
static int
pipe_read(struct errpipe *ep, double now)
{
	static char	 buf[ERRLOG_READ];
	ssize_t		 n;

	n = read(ep->ep_fd, buf, sizeof(buf));
	if (n > 0) {
		text_in(ep, buf, (size_t)n, now);
		return 0;
	}
	return n == 0 || (errno != EAGAIN && errno != EINTR);
}

/*
 * The pipe's event: nothing to read at its end (EPOLLHUP alone: the
 * child and all it started have closed it, having written nothing
 * since), else one read, and the watch armed again while it lasts.
 * With EPOLLHUP what is left is what the writers, all gone, left in it:
 * read on to its end, ERRLOG_HUPREADS reads at most, saving a wake-up.
 */
void
errlog_event(struct evsrc *src, uint32_t events, double now)
{
	struct errpipe	*ep = (struct errpipe *)src;
	int		 i, done = 0;

	ep->ep_armed = 0;
	if ((events & EPOLLIN) != 0) {
		done = pipe_read(ep, now);
		for (i = 1; !done && (events & EPOLLHUP) != 0 &&
		    i < ERRLOG_HUPREADS; i++)
			done = pipe_read(ep, now);
	} else
		done = 1;
	if (!done) {
		if (poll_mod(ep->ep_fd, EPOLLIN | EPOLLONESHOT, ep) == 0) {
			ep->ep_armed = 1;
			return;
		}
		log_warn("event=epoll-failed svc=%s line=%d pid=%d",
		    log_str(ep->ep_sv->sv_name), ep->ep_sv->sv_cf->cf_line,
		    (int)ep->ep_pid);
	}
	pipe_end(ep, now);
}

/* A service's share of the orphans: a quarter of them, 16 at least. */
static int
orphan_quota(void)
{
	int	 q = orphan_max() / 4;

	return q < ORPHAN_MIN_MAX ? ORPHAN_MIN_MAX : q;
}

static void
orphan_close(struct errpipe *ep, double now)
{
	nclosed++;
	log_warnx("event=stderr-closed svc=%s line=%d pid=%d "
	    "reason=orphans orphans=%d service-orphans=%d count=%lu",
	    log_str(ep->ep_sv->sv_name), ep->ep_sv->sv_cf->cf_line,
	    (int)ep->ep_pid, norphans, ep->ep_sv->sv_errorphans, nclosed);
	pipe_end(ep, now);
}

/*
 * Over a limit, after the batch: a service over its quota loses its own
 * oldest orphans, so that no service's children can close another's;
 * then, while all of them are still over orphan_max(), the service that
 * holds the most loses its oldest.  Runs only when a limit was passed.
 */
static void
orphans_due(struct timer *t, double now)
{
	struct errpipe	*ep, *next;
	struct service	*most;

	(void)t;
	for (ep = TAILQ_FIRST(&orphans); ep != NULL; ep = next) {
		next = TAILQ_NEXT(ep, ep_entry);
		if (ep->ep_sv->sv_errorphans > orphan_quota())
			orphan_close(ep, now);
	}
	while (norphans > orphan_max()) {
		most = NULL;
		TAILQ_FOREACH(ep, &orphans, ep_entry)
			if (most == NULL ||
			    ep->ep_sv->sv_errorphans > most->sv_errorphans)
				most = ep->ep_sv;
		if (most == NULL)	/* norphans counts the list: never */
			break;
		TAILQ_FOREACH(ep, &orphans, ep_entry)
			if (ep->ep_sv == most)
				break;
		if (ep == NULL)
			break;
		orphan_close(ep, now);
	}
}

/*
 * The child has been reaped.  Its pipe, still open, is an orphan now,
 * read until its end; past orphan_max() the oldest are closed, by a
 * timer due at once (an event of this batch may name the record).
 */
void
errlog_reaped(struct errpipe *ep, double now)
{
	if (ep == NULL)
		return;
	ep->ep_reaped = 1;
	if (ep->ep_fd == -1) {
		record_free(ep, 1);
		return;
	}
	TAILQ_REMOVE(&live, ep, ep_entry);
	TAILQ_INSERT_TAIL(&orphans, ep, ep_entry);
	norphans++;
	if (++ep->ep_sv->sv_errorphans > orphan_quota() ||
	    norphans > orphan_max()) {
		timer_init(&orphan_timer, orphans_due, NULL);
		timer_set_by(&orphan_timer, now);
	}
}

/* Every pipe of the list read one last time and closed. */
static void
list_stop(struct eplist *list, double now)
{
	struct errpipe	*ep;

	while ((ep = TAILQ_FIRST(list)) != NULL) {
		(void)pipe_read(ep, now);
		pipe_end(ep, now);
	}
}

/*
 * superd is exiting: every pipe is read one last time and closed (a
 * child still running gets SIGPIPE when it writes to its stderr again),
 * and the dropped lines not summed up yet are.
 */
void
errlog_stop(double now)
{
	struct service	*sv;

	timer_clear(&orphan_timer);
	list_stop(&orphans, now);
	list_stop(&live, now);
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		errdrop_flush(sv, now);
	TAILQ_FOREACH(sv, services_retired(), sv_entry)
		errdrop_flush(sv, now);
}

/* An upgrade's state: the read end of a child's pipe (-1: none). */
int
errlog_fd(const struct errpipe *ep)
{
	return ep != NULL ? ep->ep_fd : -1;
}

/*
 * After an upgrade in place: the read end fd of a running child's pipe,
 * kept by the old binary, as errlog_open would have made it; the
 * child's errlog_start puts it in the poll set.  NULL for fd -1, or
 * when no record could be had (the pipe is closed then: the child's
 * next write to its stderr fails).  A line the old binary had begun to
 * read is lost.
 */
struct errpipe *
errlog_adopt(struct service *sv, int fd)
{
	struct errpipe	*ep;

	if (fd == -1)
		return NULL;
	if ((ep = freelist) != NULL)
		freelist = ep->ep_next;
	else if ((ep = malloc(sizeof(*ep))) == NULL) {
		(void)close(fd);
		return NULL;
	}
	memset(ep, 0, sizeof(*ep));
	ep->ep_ev.ev_kind = EV_ERRPIPE;
	ep->ep_sv = sv;
	ep->ep_fd = fd;
	sv->sv_errpipes++;
	nopen++;
	TAILQ_INSERT_TAIL(&live, ep, ep_entry);
	return ep;
}

/*
 * Before an upgrade in place: the pipes whose child is gone (what it
 * started still holds them) are read one last time and closed, as at
 * exit; the running children's go to the new binary.
 */
void
errlog_orphans_stop(double now)
{
	timer_clear(&orphan_timer);
	list_stop(&orphans, now);
}
