/*
 * upgradeask.c: superd -u, a running superd upgraded in place, and the
 * outcome awaited: exit 0 once the new binary serves, 1 with the reason
 * when the old one was kept (or there is no such superd).
 *
 * Its argument is superd's pid file or pid, as for -S.  The pid is held
 * by a pidfd first, then proved to be that superd by asking its status
 * (ctlask.c: SO_PEERCRED on its control socket); SIGUSR2 goes through
 * the pidfd, so it reaches that process or none, and only when that
 * process blocks it (reads it from its signalfd): a superd older than
 * upgrades in place would be ended by it.  The outcome is in the
 * status line, whose upgrades= and upgrade_failures= counters (carried
 * across an upgrade) move when it is known: they are asked every
 * ASK_STEP seconds, by a child that runs -S (a superd between its
 * execve and its new control socket does not answer for a moment:
 * that ask is tried again), within the check's bound and ASK_SLACK more.
 */

#include <sys/types.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"

#define ASK_STEP_MS	50	/* between two asks */
#define ASK_SLACK	20	/* seconds beyond the check's bound */

struct counts {
	unsigned long	 c_ok;
	unsigned long	 c_failed;
	char		 c_err[512];
};

/*
 * The first status line of superd arg, by a child running -S; 0, or -1
 * when it gave none (not answering, or not that superd).
 */
static int
ask_once(const char *arg, struct counts *c)
{
	char	 buf[8192], *s, *e;
	size_t	 len = 0;
	ssize_t	 n;
	pid_t	 pid;
	int	 p[2], st, fd;

	if (pipe2(p, O_CLOEXEC) == -1)
		err(1, "pipe");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		(void)dup2(p[1], 1);
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(fd, 2);
		ctl_ask(arg);
	}
	(void)close(p[1]);
	while (len < sizeof(buf) - 1 &&
	    (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += n;
	}
	(void)close(p[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	buf[len] = '\0';
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    strncmp(buf, "event=status ", 13) != 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	memset(c, 0, sizeof(*c));
	if ((s = strstr(buf, " upgrades=")) != NULL)
		c->c_ok = strtoul(s + 10, NULL, 10);
	if ((s = strstr(buf, " upgrade_failures=")) != NULL)
		c->c_failed = strtoul(s + 18, NULL, 10);
	if ((s = strstr(buf, " upgrade_error=")) != NULL) {
		s += 15;
		if (*s == '"')
			s++;
		if ((e = strrchr(s, '"')) != NULL)
			*e = '\0';
		(void)strlcpy(c->c_err, s, sizeof(c->c_err));
	}
	return 0;
}

/*
 * Does pid read SIGUSR2 (blocked, for its signalfd)?  A superd older than
 * upgrades in place does not, and SIGUSR2's default would end it.
 */
static int
takes_usr2(pid_t pid)
{
	char			 path[64], line[256];
	unsigned long long	 mask;
	FILE			*f;
	int			 yes = 0;

	(void)snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "SigBlk:", 7) == 0) {
			mask = strtoull(line + 7, NULL, 16);
			yes = (mask >> (SIGUSR2 - 1)) & 1;
			break;
		}
	(void)fclose(f);
	return yes;
}

/* The pid arg names: a number, or the pid in a pid file a superd locks. */
static pid_t
ask_pid(const char *arg)
{
	const char	*errstr;
	char		 why[PATH_MAX + 64];
	uid_t		 uid = (uid_t)-1;
	long long	 pid;

	if (arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg)) {
		pid = strtonum(arg, 1, INT_MAX, &errstr);
		if (errstr != NULL)
			errx(1, "pid %s is %s", arg, errstr);
	} else if ((pid = pid_running(arg, &uid, why, sizeof(why))) == -1)
		errx(1, "%s", why);
	return (pid_t)pid;
}

/*
 * -u: superd arg asked to upgrade in place, its outcome awaited; exit 0
 * when it did, 1 when it did not.
 */
void
upgrade_ask(const char *arg)
{
	struct timespec	 step = { 0, ASK_STEP_MS * 1000000L };
	struct counts	 before, now;
	struct pollfd	 pfd;
	pid_t		 pid;
	int		 pidfd, tries;

	pid = ask_pid(arg);
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		err(1, "superd pid %d", (int)pid);
	/* the proof: that pid answers as superd on its control socket */
	if (ask_once(arg, &before) == -1)
		errx(1, "superd pid %d does not answer its status (superd -S "
		    "%s says why): not upgraded", (int)pid, arg);
	if (!takes_usr2(pid))
		errx(1, "superd pid %d does not take SIGUSR2 (a superd older "
		    "than upgrades in place): not upgraded", (int)pid);
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGUSR2, NULL, 0) == -1)
		err(1, "superd pid %d: SIGUSR2", (int)pid);
	for (tries = 0; tries < (UPGRADE_CHECK_SECS + ASK_SLACK) * 1000 /
	    ASK_STEP_MS; tries++) {
		(void)nanosleep(&step, NULL);
		pfd.fd = pidfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1)
			errx(1, "superd pid %d exited during its upgrade",
			    (int)pid);
		if (ask_once(arg, &now) == -1)
			continue;
		if (now.c_ok > before.c_ok) {
			printf("superd pid %d upgraded in place\n", (int)pid);
			exit(0);
		}
		if (now.c_failed > before.c_failed)
			errx(1, "superd pid %d kept its binary: %s", (int)pid,
			    now.c_err);
	}
	errx(1, "superd pid %d: no outcome in %d s", (int)pid,
	    UPGRADE_CHECK_SECS + ASK_SLACK);
}
