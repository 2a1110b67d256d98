/*
 * ctl.c: the -S control socket, where superd -S asks for the status.
 *
 * An abstract unix stream socket named "superd/PID" (CTL_NAME, PID being
 * superd's, after daemon(3)), made once at start and kept over reloads:
 * no file to remove or to be swapped, gone with the process.  Anyone in
 * the network namespace can connect to it, so the kernel's SO_PEERCRED
 * says who did: root and superd's own user are answered, anyone else is
 * told no and closed.  Another process that took the name first leaves
 * superd without the socket (logged); superd -S proves the pid of what
 * it reached (ctlask.c), so it is never fooled by such an impostor.
 *
 * The parent never writes an answer itself: a status is a line per
 * service and per child, long with 10,000 children, and a reader that
 * does not read must not stall the loop.  A forked child (memory of its
 * own: a snapshot of the state, taken at once) writes the lines of
 * status.c, then CTL_END, and exits; the parent reaps it through its
 * pidfd, and kills it through that pidfd when it has not finished after
 * CTL_SECS.  At most CTL_CHILDREN run at once; a connection over that,
 * or from another user, gets one line (CTL_REFUSED) sent without waiting
 * and is closed, counted and summed up in the log at most once a second.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/sched.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define CTL_CHILDREN	4	/* answers being written at once, at most */
#define CTL_BACKLOG	64
#define CTL_BATCH	16	/* accepts per wakeup */
#define CTL_PAUSE_SECS	1.0	/* out of descriptors: not polled that long */

/* A child writing one answer, or a free one (ck_pid 0). */
struct ctlkid {
	struct evsrc	 ck_ev;		/* first: epoll's data.ptr */
	pid_t		 ck_pid;
	int		 ck_pidfd;
	struct timer	 ck_timer;	/* its SIGKILL, CTL_SECS on */
};

/* A reason for a refusal, summed up as refuse.c sums its own up. */
enum ctl_refusal {
	CTL_UID,
	CTL_BUSY,
	CTL_FAILED,		/* no child could be made */
	CTL_NREFUSALS,
};

static const char	*ctl_reasons[CTL_NREFUSALS] = { "uid", "busy", "fork" };

static struct evsrc	 ctl_ev = { EV_CONTROL };
static int		 ctl_fd = -1;
static struct ctlkid	 ctl_kids[CTL_CHILDREN];
static int		 ctl_nkids;
static struct timer	 ctl_pause_timer;
static double		 ctl_logged[CTL_NREFUSALS];
static unsigned long	 ctl_unlogged[CTL_NREFUSALS];
static uid_t		 ctl_lastuid[CTL_NREFUSALS];
static struct timer	 ctl_log_timer;

/*
 * The control socket's address for pid: abstract (sun_path[0] is NUL),
 * the name CTL_NAME; its length, which bind(2) and connect(2) take.
 */
socklen_t
ctl_addr(pid_t pid, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	(void)snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, CTL_NAME,
	    (int)pid);
	return offsetof(struct sockaddr_un, sun_path) + 1 +
	    strlen(sun->sun_path + 1);
}

/*
 * At start, once superd has its final pid: bind and listen on the
 * abstract name.  A failure (the name taken: EADDRINUSE) is logged and
 * superd runs on without -S.
 */
void
ctl_open(void)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd, i;

	for (i = 0; i < CTL_CHILDREN; i++) {
		ctl_kids[i].ck_ev.ev_kind = EV_CONTROL;
		ctl_kids[i].ck_pidfd = -1;
	}
	len = ctl_addr(getpid(), &sun);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, len) == -1 ||
	    listen(fd, CTL_BACKLOG) == -1 ||
	    poll_add((fd = fd_high(fd)), EPOLLIN, &ctl_ev) == -1) {
		log_warn("event=control-failed name=@%s", sun.sun_path + 1);
		if (fd != -1)
			(void)close(fd);
		return;
	}
	ctl_fd = fd;
}

/* The refusals counted since their last line, in one line each. */
static void
ctl_log_due(struct timer *t, double now)
{
	int	 r;

	(void)t;
	for (r = 0; r < CTL_NREFUSALS; r++) {
		if (ctl_unlogged[r] == 0)
			continue;
		log_info("event=control-refused reason=%s uid=%u count=%lu",
		    ctl_reasons[r], (unsigned)ctl_lastuid[r],
		    ctl_unlogged[r]);
		ctl_unlogged[r] = 0;
		ctl_logged[r] = now;
	}
}

/*
 * Refuse a connection: one line it can read (a fresh socket's buffer
 * takes it; MSG_DONTWAIT, whatever happens), then closed.  The first
 * refusal is logged at once, those of the next second in one line.
 */
static void
ctl_refuse(int fd, enum ctl_refusal r, uid_t uid, double now)
{
	char	 line[64];
	int	 n;

	n = snprintf(line, sizeof(line), CTL_REFUSED " reason=%s\n",
	    ctl_reasons[r]);
	(void)send(fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)close(fd);
	ctl_lastuid[r] = uid;
	if (ctl_unlogged[r] == 0 && (ctl_logged[r] == 0 ||
	    now >= ctl_logged[r] + 1.0)) {
		log_info("event=control-refused reason=%s uid=%u",
		    ctl_reasons[r], (unsigned)uid);
		ctl_logged[r] = now;
		return;
	}
	ctl_unlogged[r]++;
	if (!timer_pending(&ctl_log_timer)) {
		timer_init(&ctl_log_timer, ctl_log_due, NULL);
		timer_set(&ctl_log_timer, ctl_logged[r] + 1.0);
	}
}

/* The writer status_lines() is given in the child: a line and "\n". */
static void
ctl_put(const char *line, void *arg)
{
	FILE	*fp = arg;

	(void)fputs(line, fp);
	(void)putc('\n', fp);
}

/*
 * The child: nothing of superd's but the connection (fd) is kept, no
 * signal is blocked, an alarm bounds it even when the parent is gone;
 * the status goes out, CTL_END last, and it exits without running what
 * atexit(3) holds for superd.
 */
static void __attribute__((noreturn))
ctl_child(int fd, double now)
{
	static char	 buf[65536];
	sigset_t	 none;
	FILE		*fp;

	if ((fd != 0 && close_range(0, fd - 1, 0) == -1) ||
	    close_range(fd + 1, ~0U, 0) == -1)
		_exit(1);
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)signal(SIGALRM, SIG_DFL);
	(void)alarm(CTL_SECS + 1);
	setproctitle("-S answer");
	if ((fp = fdopen(fd, "w")) == NULL)
		_exit(1);
	(void)setvbuf(fp, buf, _IOFBF, sizeof(buf));
	status_lines(now, ctl_put, fp);
	ctl_put(CTL_END, fp);
	_exit(fclose(fp) == 0 ? 0 : 1);
}

/* A child not done in CTL_SECS: killed through its pidfd, reaped later. */
static void
ctl_kid_due(struct timer *t, double now)
{
	struct ctlkid	*ck = t->tm_arg;

	(void)now;
	if (pidfd_send_signal(ck->ck_pidfd, SIGKILL, NULL, 0) == -1)
		log_warn("event=control-kill-failed pid=%d", (int)ck->ck_pid);
	else
		log_info("event=control-timeout pid=%d", (int)ck->ck_pid);
}

/*
 * A fork with a pidfd and no exit signal, so that the orphan reaper's
 * waitid(P_ALL) never sees it: clone3(2), whose arguments are the same
 * on every architecture (Linux 5.3, which pidfds need anyway).  Where a
 * seccomp filter says clone3 does not exist (the default profile of
 * Docker and others), clone(2), whose parent-tid argument is the third
 * except on s390 (the stack first) and sparc (the pid returned in both).
 */
static pid_t
ctl_clone(int *pidfd)
{
	struct clone_args	 ca;
	pid_t			 pid;

	*pidfd = -1;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = 0;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
#if !defined(__s390__) && !defined(__sparc__)
	if (pid == -1 && errno == ENOSYS)
		pid = (pid_t)syscall(SYS_clone, CLONE_PIDFD, 0, pidfd, 0, 0);
#endif
	return pid;
}

/*
 * Answer fd from a child of its own.  A fork, not spawn.c's clone: the
 * child runs superd's code on a copy of its memory, and this is rare.
 * It is a clone as fork(2) makes it (ctl_clone), with its pidfd and
 * no exit signal (it never execs, so keeps none): reaped with __WALL
 * through the pidfd, never by the orphan reaper's waitid(P_ALL)
 * (reaper.c), which sees only SIGCHLD children.  No
 * atfork handler is missed: superd registers none and has no threads.
 * When epoll cannot take the pidfd, the child is killed and waited for:
 * just forked, it has no work to finish first.
 */
static int
ctl_answer(int fd, double now)
{
	struct ctlkid	*ck = NULL;
	siginfo_t	 si;
	pid_t		 pid;
	int		 i, pidfd;

	for (i = 0; i < CTL_CHILDREN; i++)
		if (ctl_kids[i].ck_pid == 0) {
			ck = &ctl_kids[i];
			break;
		}
	if (ck == NULL)
		return -1;
	if ((pid = ctl_clone(&pidfd)) == -1) {
		log_warn("event=control-fork-failed");
		return -1;
	}
	if (pid == 0)
		ctl_child(fd, now);
	(void)close(fd);
	if (poll_add((pidfd = fd_high(pidfd)), EPOLLIN, ck) == -1) {
		log_warn("event=control-fork-failed pid=%d", (int)pid);
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		while (waitid(P_PIDFD, pidfd, &si, WEXITED | __WALL) == -1 &&
		    errno == EINTR)
			;
		(void)close(pidfd);
		return 0;
	}
	ck->ck_pid = pid;
	ck->ck_pidfd = pidfd;
	timer_init(&ck->ck_timer, ctl_kid_due, ck);
	timer_set(&ck->ck_timer, now + CTL_SECS);
	ctl_nkids++;
	return 0;
}

/* Out of descriptors: the listener rests a second, then polls again. */
static void
ctl_resume(struct timer *t, double now)
{
	(void)t;
	(void)now;
	(void)poll_mod(ctl_fd, EPOLLIN, &ctl_ev);
}

/* Connections waiting on the control socket: each answered or refused. */
static void
ctl_accept(double now)
{
	struct ucred	 uc;
	socklen_t	 len;
	int		 fd, i;

	for (i = 0; i < CTL_BATCH; i++) {
		/* blocking: only the child writes to it */
		if ((fd = accept4(ctl_fd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("event=control-accept-failed");
				(void)poll_mod(ctl_fd, 0, &ctl_ev);
				timer_init(&ctl_pause_timer, ctl_resume, NULL);
				timer_set(&ctl_pause_timer,
				    now + CTL_PAUSE_SECS);
			}
			return;		/* EAGAIN, ECONNABORTED, EINTR */
		}
		len = sizeof(uc);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
			uc.uid = (uid_t)-1;
		if (uc.uid != 0 && uc.uid != geteuid())
			ctl_refuse(fd, CTL_UID, uc.uid, now);
		else if (ctl_nkids >= CTL_CHILDREN)
			ctl_refuse(fd, CTL_BUSY, uc.uid, now);
		else if (ctl_answer(fd, now) == -1)
			ctl_refuse(fd, CTL_FAILED, uc.uid, now);
	}
}

/* A child is done (or killed): reaped, its place free again. */
static void
ctl_reap(struct ctlkid *ck)
{
	siginfo_t	 si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, ck->ck_pidfd, &si, WEXITED | WNOHANG | __WALL) ==
	    -1)
		/* cannot be: a pidfd readable for ever would spin the loop */
		log_warn("event=waitid-failed pid=%d", (int)ck->ck_pid);
	else if (si.si_pid == 0)
		return;
	poll_del(ck->ck_pidfd);
	(void)close(ck->ck_pidfd);
	timer_clear(&ck->ck_timer);
	ck->ck_pid = 0;
	ck->ck_pidfd = -1;
	ctl_nkids--;
}

/* An event of the control socket or of one of its children. */
void
ctl_event(struct evsrc *src, double now)
{
	if (src == &ctl_ev)
		ctl_accept(now);
	else
		ctl_reap((struct ctlkid *)src);
}

/* Is an answer being written?  An upgrade in place waits for it. */
int
ctl_busy(void)
{
	return ctl_nkids > 0;
}

/*
 * Before an upgrade in place, once its wait for the answers is over:
 * each child still writing one is killed through its pidfd and reaped
 * (a process SIGKILL reached exits without running anything more), so
 * that the new binary inherits no child it does not know of; its asker
 * sees an answer cut short.  The control socket goes with the execve.
 */
void
ctl_stop(void)
{
	siginfo_t	 si;
	int		 i;

	for (i = 0; i < CTL_CHILDREN; i++) {
		if (ctl_kids[i].ck_pid == 0)
			continue;
		(void)pidfd_send_signal(ctl_kids[i].ck_pidfd, SIGKILL, NULL, 0);
		(void)waitid(P_PIDFD, ctl_kids[i].ck_pidfd, &si,
		    WEXITED | __WALL);
		poll_del(ctl_kids[i].ck_pidfd);
		(void)close(ctl_kids[i].ck_pidfd);
		timer_clear(&ctl_kids[i].ck_timer);
		ctl_kids[i].ck_pid = 0;
		ctl_kids[i].ck_pidfd = -1;
		ctl_nkids--;
	}
}
