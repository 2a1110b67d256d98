/*
 * inherit.c: what whoever started superd left to it, put right at start:
 * signals ignored or blocked (exec keeps both, and every service would
 * inherit them) and fds 0-2 closed (an accepted socket would land there),
 * before anything else runs; a descriptor limit too low for a big table,
 * once the table is read (the children keep the limit superd started
 * with).
 *
 * Called from main() at start only, before daemon(3) and the loop: an
 * error is err(3)'s.
 */

#include <sys/resource.h>
#include <sys/syscall.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

/* fds 0-2 must exist, so an accepted socket never lands on them. */
void
inherit_open_stdio(void)
{
	int	 fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", O_RDWR) == -1)
			err(1, "/dev/null");
}

/*
 * A table of 10,000 ports needs more descriptors than a shell gives.  The
 * children get the limit superd started with (a select(2) loop in a
 * service may not cope with 20,000).
 */
void
inherit_raise_nofile(void)
{
	struct rlimit	 rl, orig;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		orig = rl;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			spawn_nofile(&orig);
	}
}

/*
 * Whoever started superd may have left signals ignored (nohup(1), "cmd &"
 * from a non-interactive sh(1)) or blocked: exec keeps both, and they
 * would reach every service.  Start from the defaults.  glibc refuses
 * sigaction(2) on the two signals it keeps for itself (32 and 33), which
 * GNU make's recipes get ignored: superd has no threads, and resets them
 * with the system call (an all-zero kernel sigaction is SIG_DFL).
 * After an upgrade in place (keep) the signals superd reads from its
 * signalfd stay blocked: one that came during the execve is pending,
 * and is read, not acted on by its default (SIGTERM's would end superd).
 */
void
inherit_reset_signals(int keep)
{
	struct sigaction	 sa;
	sigset_t		 none;
	int			 sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		unsigned long	 ksa[8] = { 0 };

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &sa, NULL) == -1 && errno == EINVAL)
			(void)syscall(SYS_rt_sigaction, sig, ksa, NULL,
			    (size_t)(NSIG / 8));
	}
	(void)sigemptyset(&none);
	if (keep) {
		(void)sigaddset(&none, SIGHUP);
		(void)sigaddset(&none, SIGTERM);
		(void)sigaddset(&none, SIGINT);
		(void)sigaddset(&none, SIGUSR1);
		(void)sigaddset(&none, SIGUSR2);
		(void)sigaddset(&none, SIGCHLD);
	}
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

