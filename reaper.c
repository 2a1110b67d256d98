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
 * mode); signals coalesce, so each SIGCHLD reaps until no zombie is
 * left, REAPER_BATCH at a time, the rest at once on the next turn of the
 * loop.  waitid(P_ALL, WNOWAIT) names the first zombie without reaping
 * it.  superd's own children are reaped through their pidfds (child.c),
 * and one of them may be that zombie (its pidfd not read yet, or a
 * leader kept for its group's SIGKILL): child_reap_pid looks the pid up
 * in child.c's trees, kept only in this mode, and deals with it there
 * and then, so the same zombie never comes back and every turn reaps
 * one.  Any other pid is an orphan's, reaped by its pid, which stays its
 * own until then.  Children of superd's own that run superd's code and
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
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define REAPER_BATCH	256	/* orphans reaped per turn of the loop */
#define REAPER_LOG_SECS	60.0	/* event=reaped at most this often */

static int		 reaping;	/* -r, or PID 1 */
static long long	 reaped;	/* orphans reaped since start */
static long long	 unlogged;	/* of which not logged yet */
static double		 logged_at = -REAPER_LOG_SECS;
static struct timer	 more_timer;	/* a batch was not the last */
static struct timer	 log_timer;	/* the next event=reaped */

static void		 log_due(struct timer *, double);
static void		 more_due(struct timer *, double);

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
	timer_init(&more_timer, more_due, NULL);
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
more_due(struct timer *t, double now)
{
	(void)t;
	reaper_reap(now);
}

/*
 * SIGCHLD: every orphan that has exited is reaped, REAPER_BATCH of them
 * now; when there may be more, the loop comes back at once (a timer due
 * now), so a flood of them never holds the loop for long.
 */
void
reaper_reap(double now)
{
	siginfo_t	 si;
	pid_t		 pid;
	int		 n;

	if (!reaping)
		return;
	for (n = 0; n < REAPER_BATCH; n++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
			if (errno != ECHILD)
				log_warn("event=waitid-failed what=orphans");
			break;
		}
		if (si.si_pid == 0)
			break;
		if (child_reap_pid(si.si_pid, now))
			continue;
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
	if (n == REAPER_BATCH)
		timer_set(&more_timer, now);
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
	reaper_reap(timer_now());
	timer_clear(&more_timer);
	timer_clear(&log_timer);
	log_due(&log_timer, timer_now());
}
