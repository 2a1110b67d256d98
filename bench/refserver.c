/*
 * refserver: the benchmark's featureless reference server, the cost of
 * the mechanism alone.  One listener on 127.0.0.1:PORT in an epoll loop;
 * each connection accepted with accept4(2) (until EAGAIN) and given to
 * PROG as its standard input and output by vfork(2) and execve(2); its
 * children reaped through a signalfd(2) for SIGCHLD, with waitpid(2)
 * until none is left.  Nothing else: no limits, no logging, no accounting,
 * no lingering close, no stderr pipe.  Whatever superd does beyond this is
 * what its features cost.
 *
 *	refserver [-b backlog] port prog [arg ...]
 */

#define _GNU_SOURCE	/* accept4(2) */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char	**environ;

static void __attribute__((noreturn))
die(const char *what)
{
	perror(what);
	exit(1);
}

/* The listener: non-blocking, close-on-exec, on 127.0.0.1:port. */
static int
listener(int port, int backlog)
{
	struct sockaddr_in	 sin;
	int			 fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		die("socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	if (listen(fd, backlog) == -1)
		die("listen");
	return fd;
}

/*
 * Start argv on the connection fd: the child, which shares the parent's
 * memory until its execve, restores the signal mask and puts the
 * connection on 0 and 1 (dup2 clears close-on-exec on the copies; the
 * accepted descriptor itself goes at the execve).
 */
static void
spawn(int fd, char **argv, const sigset_t *old)
{
	pid_t	 pid;

	pid = vfork();
	if (pid == 0) {
		(void)sigprocmask(SIG_SETMASK, old, NULL);
		if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1)
			_exit(126);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	(void)close(fd);
}

/*
 * Accept until the backlog is empty; an error other than EAGAIN is
 * transient (ECONNABORTED, EMFILE, ...): the next wakeup tries again.
 */
static void
accept_all(int lfd, char **argv, const sigset_t *old)
{
	int	 fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		spawn(fd, argv, old);
	}
}

/* SIGCHLD coalesces: read it, then reap every child that has exited. */
static void
reap(int sfd)
{
	struct signalfd_siginfo	 si;
	int			 st;

	while (read(sfd, &si, sizeof(si)) == sizeof(si))
		;
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 ev, evs[64];
	sigset_t		 mask, old;
	int			 ch, backlog = 1024, port, lfd, sfd, efd, i, n;

	while ((ch = getopt(argc, argv, "b:")) != -1) {
		switch (ch) {
		case 'b':
			backlog = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || (port = atoi(argv[0])) <= 0 || port > 65535 ||
	    argv[1][0] != '/') {
usage:
		fprintf(stderr, "usage: refserver [-b backlog] port /prog "
		    "[arg ...]\n");
		return 2;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &old) == -1)
		die("sigprocmask");
	if ((sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		die("signalfd");
	lfd = listener(port, backlog);
	if ((efd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &ev) == -1)
		die("epoll_ctl");
	ev.data.fd = sfd;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev) == -1)
		die("epoll_ctl");
	for (;;) {
		if ((n = epoll_wait(efd, evs, 64, -1)) == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd)
				accept_all(lfd, argv + 1, &old);
			else
				reap(sfd);
		}
	}
}
