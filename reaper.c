/*
 * reaper.c: orphans reparented to superd, reaped (-r, or superd as PID 1).
 *
 * A process whose parent dies is given to the nearest ancestor marked a
 * child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER), or else to the init
 * of its PID namespace.  As PID 1 of a container, or told -r, superd is
 * that ancestor for everything its services leave behind (the sleep of
 * `sh -c 'sleep 1 &'`), and must wait for each, or it stays a zombie.
 *
 * SIGCHLD comes through superd's signalfd (added to its set only in this
 * mode); signals coalesce, so a SIGCHLD makes a sweep due 0.2 s later
 * (one sweep for every exit meanwhile), which reaps until no zombie is
 * left, REAPER_BATCH at a time, the rest at once on the next turn of the
 * loop.  waitid(P_ALL, WNOWAIT) names the first zombie without reaping
 * it.  superd's own children are reaped through their pidfds (child.c),
 * and one of them may be that zombie (its pidfd not read yet):
 * child_reap_pid looks the pid up in child.c's trees, kept only in this
 * mode, and reaps it there and then, so the same zombie never comes
 * back and every turn reaps one.  A leader kept as a zombie for its
 * group's SIGKILL (timeout=, -k) keeps its 2 seconds: while waitid names
 * it, the other zombies are found by pid (reap_listed).  Any other pid
 * is an orphan's, reaped by its pid, which stays its own until then.  Children of superd's own that run superd's code and
 * never exec (ctl.c's) have no exit signal, and waitid without __WALL
 * does not see them; every exec makes SIGCHLD a process's exit signal.
 *
 * Reaped orphans are counted, and logged as a count (event=reaped), at
 * most once every REAPER_LOG_SECS and at exit; the total is in the
 * daemon's status line (status.c).
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define REAPER_BATCH	256	/* orphans reaped per turn of the loop */
#define REAPER_LOG_SECS	60.0	/* event=reaped at most this often */
#define REAPER_SWEEP_SECS 0.2	/* a SIGCHLD's sweep, this much later */
#define REAPER_KIDS	16384	/* bytes of the children listing a turn */

static int		 reaping;	/* -r, or PID 1 */
static long long	 reaped;	/* orphans reaped since start */
static long long	 unlogged;	/* of which not logged yet */
static double		 logged_at = -REAPER_LOG_SECS;
static struct timer	 sweep_timer;	/* the next sweep for zombies */
static struct timer	 log_timer;	/* the next event=reaped */

static void		 log_due(struct timer *, double);
static void		 sweep(double);
static void		 sweep_due(struct timer *, double);

/*
 * At start, after daemon(3) (the attribute is not inherited by fork):
 * -r makes superd a subreaper; PID 1 is one by nature.  Returns 1 when
 * superd reaps orphans, and SIGCHLD must then reach its signalfd.
 */
int
reaper_start(int want)
{
	if (getpid() != 1 && !want)
		return 0;
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1)
		err(1, "prctl PR_SET_CHILD_SUBREAPER");
	reaping = 1;
	child_track();
	timer_init(&sweep_timer, sweep_due, NULL);
	timer_init(&log_timer, log_due, NULL);
	return 1;
}

/* The orphans reaped since start; -1 when superd does not reap them. */
long long
reaper_orphans(void)
{
	return reaping ? reaped : -1;
}

static void
log_due(struct timer *t, double now)
{
	(void)t;
	if (unlogged == 0)
		return;
	log_info("event=reaped orphans=%lld total=%lld", unlogged, reaped);
	unlogged = 0;
	logged_at = now;
}

static void
sweep_due(struct timer *t, double now)
{
	(void)t;
	sweep(now);
}

/*
 * A leader kept as a zombie for its group's SIGKILL is the zombie
 * waitid(P_ALL) names first, and would name again and again: the other
 * zombies are found by pid instead, among superd's children as
 * /proc/thread-self/children lists them, and each that is not superd's
 * own is reaped by its pid (one that still runs answers nothing).  The
 * listing is read REAPER_KIDS bytes at a time, at most budget waitids a
 * turn, from where the last turn stopped.  This costs a system call per
 * child only while a kept leader exists, for 2 seconds.  Returns 1 when
 * the listing was not read to its end.
 */
static int
reap_listed(int budget)
{
	static char	 buf[REAPER_KIDS];
	static off_t	 off;
	static int	 warned;
	siginfo_t	 si;
	char		*p, *end, *q;
	ssize_t		 len;
	pid_t		 pid;
	long		 v;
	int		 fd, n = 0;

	if ((fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC)) ==
	    -1) {
		if (!warned++)
			log_warn("event=reaper-failed what=children");
		return 0;
	}
	len = pread(fd, buf, sizeof(buf) - 1, off);
	(void)close(fd);
	if (len <= 0) {
		off = 0;
		return 0;
	}
	buf[len] = '\0';
	end = buf + len;
	/* a pid cut at the end of a full buffer is read again next turn */
	if ((size_t)len == sizeof(buf) - 1)
		while (end > buf && end[-1] != ' ')
			end--;
	for (p = buf; p < end && n < budget; p = q) {
		while (p < end && (*p == ' ' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		v = strtol(p, &q, 10);
		if (q == p || v <= 0)
			break;
		pid = (pid_t)v;
		if (pid == getpid() || child_owns(pid))
			continue;
		n++;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG) == -1) {
			/* gone, or ctl.c's clone (no exit signal) */
			if (errno != ECHILD)
				log_warn("event=waitid-failed what=orphans "
				    "pid=%d", (int)pid);
			continue;
		}
		if (si.si_pid == 0)
			continue;	/* runs on */
		reaped++;
		unlogged++;
	}
	if (p < end || (size_t)len == sizeof(buf) - 1) {
		off += p - buf;
		return 1;
	}
	off = 0;
	return 0;
}

/*
 * SIGCHLD: the sweep is due REAPER_SWEEP_SECS from now, unless it is
 * already.  Each waitid(P_ALL) walks all of superd's children in the
 * kernel, under its tasklist lock (58 us at 2,000 children): once per
 * child's exit that would be a cost per connection, once per
 * REAPER_SWEEP_SECS it is not.  superd's own children are still reaped
 * at once through their pidfds, so the sweep mostly meets orphans.
 */
void
reaper_reap(double now)
{
	if (reaping && !timer_pending(&sweep_timer))
		timer_set(&sweep_timer, now + REAPER_SWEEP_SECS);
}

/*
 * Every orphan that has exited is reaped, REAPER_BATCH of them now;
 * when there may be more, the loop comes back at once (a timer due
 * now), so a flood of them never holds the loop for long.
 */
static void
sweep(double now)
{
	siginfo_t	 si;
	pid_t		 pid;
	int		 n, more = 0, r;

	for (n = 0; n < REAPER_BATCH; n++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
			if (errno != ECHILD)
				log_warn("event=waitid-failed what=orphans");
			break;
		}
		if (si.si_pid == 0)
			break;
		if ((r = child_reap_pid(si.si_pid, now)) == 1)
			continue;
		if (r == 2) {
			/* a kept leader: its timer ends it, the rest by pid */
			more = reap_listed(REAPER_BATCH - n);
			break;
		}
		pid = si.si_pid;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, pid, &si, WEXITED | WNOHANG) == -1 ||
		    si.si_pid == 0) {
			log_warn("event=waitid-failed what=orphans pid=%d",
			    (int)pid);
			break;
		}
		reaped++;
		unlogged++;
	}
	if (n == REAPER_BATCH || more)
		timer_set(&sweep_timer, now);
	if (unlogged > 0 && !timer_pending(&log_timer))
		timer_set(&log_timer, now >= logged_at + REAPER_LOG_SECS ?
		    now : logged_at + REAPER_LOG_SECS);
}

/* superd ends: what was reaped and not logged yet is logged now. */
void
reaper_end(void)
{
	if (!reaping)
		return;
	timer_clear(&sweep_timer);
	sweep(timer_now());
	timer_clear(&sweep_timer);
	timer_clear(&log_timer);
	log_due(&log_timer, timer_now());
}
