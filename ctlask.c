/*
 * ctlask.c: superd -S, the status of a running superd on stdout.
 *
 * Its argument is superd's pid file (-p), or its pid as a number.  A pid
 * file must be one a running superd holds the lock of (pid.c); the pid
 * it names is then asked on its control socket (ctl.c), and what
 * answers must be that very process, by the kernel's word (SO_PEERCRED
 * on the connection: the pid and uid of the process that listens), of
 * the pid file's owner: anyone can bind an abstract name first, nobody
 * can fake those.  The answer is read whole, within CTL_SECS, and is
 * printed only when it is complete (it ends in CTL_END, which is not
 * printed): the lines superd logs on SIGUSR1.  Exit 0, or 1 with one
 * line on stderr when there is no such superd or no complete answer.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"

#define ASK_MAXLEN	(256 * 1024 * 1024)	/* an answer, at most */

/* Milliseconds from now until deadline (CLOCK_MONOTONIC), 0 if past. */
static int
ask_left(const struct timespec *deadline)
{
	struct timespec	 now;
	long long	 ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/*
 * Connect to the control socket of pid, nonblocking (a full backlog
 * fails at once with EAGAIN instead of waiting), and prove what
 * listens is pid, of uid when uid is not -1 (else of root or the asker).
 */
static int
ask_connect(const char *what, pid_t pid, uid_t uid)
{
	struct timespec		 deadline, refused, pause = { 0, 50 * 1000 * 1000 };
	struct sockaddr_un	 sun;
	struct ucred		 uc;
	socklen_t		 len;
	int			 fd, rc;

	len = ctl_addr(pid, &sun);
	/*
	 * A full backlog (others asking, or flooding it) is tried again
	 * every 50 ms within CTL_SECS, not given up at once; so is no
	 * socket at all for 1 s (an upgrade in place closes it in the
	 * old binary and opens it in the new one, same pid).
	 */
	(void)clock_gettime(CLOCK_MONOTONIC, &deadline);
	refused = deadline;
	deadline.tv_sec += CTL_SECS;
	/* no socket while a live pid upgrades in place: for 1 s at most */
	refused.tv_sec += 1;
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			err(1, "socket");
		if ((rc = connect(fd, (struct sockaddr *)&sun, len)) == 0 ||
		    (errno != EAGAIN && (errno != ECONNREFUSED ||
		    kill(pid, 0) == -1 || ask_left(&refused) == 0)) ||
		    ask_left(&deadline) == 0)
			break;
		(void)close(fd);
		(void)nanosleep(&pause, NULL);
	}
	if (rc == -1) {
		if (errno == ECONNREFUSED)
			errx(1, "%s does not answer: no control socket @%s",
			    what, sun.sun_path + 1);
		err(1, "%s: connect @%s", what, sun.sun_path + 1);
	}
	len = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		err(1, "%s: SO_PEERCRED", what);
	/*
	 * Given a pid file, its owner's; given a number, root's or the
	 * asker's own: another user's process that has that pid and bound
	 * the name first must not get its bytes onto the asker's terminal.
	 */
	if (uc.pid != pid || (uid != (uid_t)-1 && uc.uid != uid) ||
	    (uid == (uid_t)-1 && uc.uid != 0 && uc.uid != geteuid()))
		errx(1, "%s: @%s is held by pid %d uid %u, not by that "
		    "superd: refused", what, sun.sun_path + 1, (int)uc.pid,
		    (unsigned)uc.uid);
	return fd;
}

/*
 * The whole answer on fd, within CTL_SECS; its length in *lenp.  NULL for
 * a connection reset before any byte came: an upgrade in place closed the
 * old binary's socket with this connection still in its backlog.
 */
static char *
ask_read(const char *what, int fd, size_t *lenp)
{
	struct timespec	 deadline;
	struct pollfd	 pfd;
	char		*buf = NULL, *nbuf;
	size_t		 len = 0, size = 0;
	ssize_t		 n;
	int		 ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CTL_SECS;
	for (;;) {
		if (len == size) {
			if (size >= ASK_MAXLEN)
				errx(1, "%s: the answer is over %d MiB", what,
				    ASK_MAXLEN >> 20);
			size = size == 0 ? 65536 : size * 2;
			if ((nbuf = realloc(buf, size)) == NULL)
				err(1, "realloc");
			buf = nbuf;
		}
		n = read(fd, buf + len, size - len);
		if (n > 0) {
			len += n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET && len == 0) {
			free(buf);
			return NULL;
		}
		if (errno != EAGAIN)
			err(1, "%s: read", what);
		if ((ms = ask_left(&deadline)) == 0)
			errx(1, "%s: no whole answer in %d s", what,
			    CTL_SECS);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
			err(1, "poll");
	}
	*lenp = len;
	return buf;
}

/* What a refusal's reason= says, for a person. */
static const char *
ask_reason(const char *buf, size_t len)
{
	static const struct {
		const char	*r_line;
		const char	*r_why;
	} reasons[] = {
		{ CTL_REFUSED " reason=uid\n",
		    "only root and superd's own user may ask" },
		{ CTL_REFUSED " reason=busy\n",
		    "busy with other answers, try again" },
		{ CTL_REFUSED " reason=fork\n",
		    "it could not start a process for the answer" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (len == strlen(reasons[i].r_line) &&
		    memcmp(buf, reasons[i].r_line, len) == 0)
			return reasons[i].r_why;
	return "for a reason this superd -S does not know";
}

/*
 * -S: the pid of a running superd (from its pid file, or the number
 * given), asked for its status, which goes to stdout; exit 0 or 1.
 */
void
ctl_ask(const char *arg)
{
	const char	*errstr;
	uid_t		 uid = (uid_t)-1;
	char		 why[PATH_MAX + 64], who[PATH_MAX + 64], *buf;
	size_t		 len, endlen = strlen(CTL_END "\n"), i;
	struct timespec	 pause = { 0, 50 * 1000 * 1000 };
	long long	 pid;
	int		 fd, tries;

	if (arg[0] != '\0' && strspn(arg, "0123456789") == strlen(arg)) {
		pid = strtonum(arg, 1, INT_MAX, &errstr);
		if (errstr != NULL)
			errx(1, "pid %s is %s", arg, errstr);
	} else if ((pid = pid_running(arg, &uid, why, sizeof(why))) == -1)
		errx(1, "%s", why);
	/* a pid file anyone could have written names anyone's process */
	if (uid != (uid_t)-1 && uid != 0 && uid != geteuid())
		errx(1, "%s belongs to uid %u, neither root nor you: refused",
		    arg, (unsigned)uid);
	if (uid == (uid_t)-1)
		(void)snprintf(who, sizeof(who), "superd pid %lld", pid);
	else
		(void)snprintf(who, sizeof(who), "%s: superd pid %lld", arg,
		    pid);
	/* a reset while the pid lives is an upgrade's: asked again, 1 s */
	for (tries = 0;; tries++) {
		fd = ask_connect(who, (pid_t)pid, uid);
		buf = ask_read(who, fd, &len);
		(void)close(fd);
		if (buf != NULL)
			break;
		if (tries == 20 || kill((pid_t)pid, 0) == -1) {
			errno = ECONNRESET;
			err(1, "%s: read", who);
		}
		(void)nanosleep(&pause, NULL);
	}
	if (len > strlen(CTL_REFUSED) && memcmp(buf, CTL_REFUSED " ",
	    strlen(CTL_REFUSED " ")) == 0)
		errx(1, "%s refused to answer: %s", who, ask_reason(buf, len));
	if (len < endlen || memcmp(buf + len - endlen, CTL_END "\n",
	    endlen) != 0 || (len > endlen && buf[len - endlen - 1] != '\n'))
		errx(1, "%s ended its answer early", who);
	/* superd's lines are escaped text: anything else is not its */
	for (i = 0; i < len - endlen; i++)
		if (!isprint((unsigned char)buf[i]) && buf[i] != '\n')
			errx(1, "%s answered bytes that are not text: refused",
			    who);
	if (fwrite(buf, 1, len - endlen, stdout) != len - endlen ||
	    fflush(stdout) == EOF)
		err(1, "stdout");
	exit(0);
}
