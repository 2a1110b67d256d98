/*
 * ptyrelay.c: superd-pty, the relay of a pty service: a program of its
 * own (static, so that it runs inside a chroot= without its libraries),
 * which superd's child execs by descriptor in place of the service once
 * every containment step and the user switch are done.  It holds
 * nothing the service does not: it is the service's uid, in its
 * namespaces, cgroup and limits, with the connection on 0 and 1,
 * stderr as stderr= made it on 2, and on 3 the master side of a new
 * pseudo-terminal that superd's child opened (/dev/ptmx, before a
 * chroot, which need not have one).
 *
 *	superd-pty [-ers] -w COLS -h ROWS PROGRAM ARGV0 [ARG ...]
 *
 * It opens the slave side from the master (TIOCGPTPEER: no /dev/pts
 * path to find), sets its modes (echo off unless -e, raw with -r, the
 * output as written: no ONLCR) and its window size, and forks PROGRAM
 * onto it as its controlling terminal (setsid, TIOCSCTTY): stdin,
 * stdout, and stderr with -s (stderr=socket).  Then it moves bytes
 * between the connection and the master, both ways, through two
 * buffers of RELAY_BUF bytes: a side is read only while the other's
 * buffer has room, so a slow client stops the program's writes (the
 * terminal's own buffer fills) and a program that does not read stops
 * the client's, and the relay's memory stays what it was at start.
 *
 * The ends: the client's EOF becomes the terminal's end-of-file (VEOF;
 * two when a partial line is pending in canonical mode, since the first
 * only ends that line), said again every EOF_AGAIN seconds while the
 * program lives: a VEOF that canonical mode queued as an end-of-file
 * reads as a NUL once the program has left it (readline does between
 * lines), so only a later one is an EOF to it; the program's exit ends the connection once the
 * master reads EIO (the slave closed by all) and all it wrote is sent;
 * a client that goes away (a reset, a write that fails) closes the
 * master, which hangs the terminal up: the program gets SIGHUP, and
 * SIGKILL to its group RELAY_GRACE seconds later if it is still there.
 * The signals superd sends the relay's group (timeout=, -k) go on to the
 * program's (it leads a session of its own); should the relay be
 * killed, the program is too (PR_SET_PDEATHSIG).  The relay exits with
 * the program's status, or by its signal, so that superd's exit line,
 * timeout=, instances= and -k see one pid, the program's outcome.
 *
 * Exit status of its own: 126 when it fails before the program starts
 * (the program's 127 when it is not there).
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define RELAY_BUF	16384	/* bytes each way, at most */
#define RELAY_GRACE	2.0	/* s: after a hang-up, or after the exit */
#define EOF_AGAIN	0.2	/* s: the client's EOF said again, this often */
#define MASTER_FD	3	/* superd's child leaves the master here */

/* One direction's bytes: those from off to len are still to write. */
struct relaybuf {
	char		 rb_data[RELAY_BUF];
	size_t		 rb_off;
	size_t		 rb_len;
};

static struct relaybuf	 toprog;	/* client -> master */
static struct relaybuf	 toclient;	/* master -> client */
static int		 quiet;		/* stderr is the connection */
static pid_t		 prog = -1;	/* until reaped */
static int		 status;	/* its wait status, once reaped */

/* The signals superd may send the relay's group, passed on. */
static const int	 passed[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
			    SIGUSR1, SIGUSR2, SIGALRM, SIGCONT };

static void __attribute__((noreturn))
fail(const char *what)
{
	if (!quiet)
		dprintf(STDERR_FILENO, "superd-pty: %s: %s\n", what,
		    strerror(errno));
	_exit(126);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The slave's modes: echo off unless asked for, output as the program
 * writes it (a client is not a terminal that needs \r\n), or raw.
 */
static void
modes_set(int s, int echo, int raw)
{
	struct termios	 t;

	if (tcgetattr(s, &t) == -1)
		fail("tcgetattr");
	if (raw)
		cfmakeraw(&t);
	else
		t.c_oflag &= ~ONLCR;
	t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOKE);
	if (echo)
		t.c_lflag |= ECHO | (raw ? 0 : ECHOE | ECHOK | ECHOCTL |
		    ECHOKE);
	if (tcsetattr(s, TCSANOW, &t) == -1)
		fail("tcsetattr");
}

/*
 * The program, in the child of the fork: leader of a session of its
 * own with the slave as its controlling terminal, then execve.
 */
static void __attribute__((noreturn))
prog_run(int s, int errtoo, pid_t relay, char **argv, const sigset_t *old)
{
	if (setsid() == -1 || ioctl(s, TIOCSCTTY, 0) == -1)
		_exit(126);
	if (dup2(s, STDIN_FILENO) == -1 || dup2(s, STDOUT_FILENO) == -1 ||
	    (errtoo && dup2(s, STDERR_FILENO) == -1))
		_exit(126);
	/* the relay killed: so is the program */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != relay)
		_exit(126);
	if (sigprocmask(SIG_SETMASK, old, NULL) == -1)
		_exit(126);
	/* every other descriptor here is close-on-exec */
	execv(argv[0], argv + 1);
	_exit(errno == ENOENT ? 127 : 126);
}

/* Reap the program if it has exited; 1 once it has. */
static int
prog_reap(void)
{
	int	 st;

	if (prog == -1)
		return 1;
	if (waitpid(prog, &st, WNOHANG) != prog)
		return 0;
	status = st;
	prog = -1;
	return 1;
}

/*
 * A signal read from the signalfd: SIGCHLD reaps, the rest go on to
 * the program's group while its pid (a zombie holds it) is its own.
 */
static void
signal_take(int sfd)
{
	struct signalfd_siginfo	 si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			(void)prog_reap();
		else if (prog != -1)
			(void)kill(-prog, (int)si.ssi_signo);
	}
}

/*
 * The relay's own end, with the program's outcome: its exit status, or
 * its signal raised again (no core of the relay's own).
 */
static void __attribute__((noreturn))
relay_exit(void)
{
	struct rlimit	 no = { 0, 0 };
	sigset_t	 all;
	int		 sig;

	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	sig = WTERMSIG(status);
	(void)setrlimit(RLIMIT_CORE, &no);
	(void)signal(sig, SIG_DFL);
	sigfillset(&all);
	(void)sigprocmask(SIG_UNBLOCK, &all, NULL);
	(void)raise(sig);
	_exit(128 + sig);
}

/*
 * The client has sent all it will: the terminal's end-of-file, once
 * what it sent is written.  In canonical mode VEOF ends a pending
 * partial line, and only a VEOF at a line's start is the end-of-file:
 * two then.  Returns how many VEOF bytes to write, in *c the byte.
 */
static int
eof_bytes(int m, char last, char *c)
{
	struct termios	 t;
	int		 partial;

	*c = 4;			/* ^D, the default */
	if (tcgetattr(m, &t) == -1)
		return 1;
	if (t.c_cc[VEOF] != _POSIX_VDISABLE)
		*c = (char)t.c_cc[VEOF];
	if (!(t.c_lflag & ICANON))
		return 1;
	partial = last != '\n' && last != '\r' && last != *c &&
	    (t.c_cc[VEOL] == _POSIX_VDISABLE || last != (char)t.c_cc[VEOL]);
	return partial ? 2 : 1;
}

/*
 * The relay proper, until the master is done (EIO: the slave closed by
 * all, or RELAY_GRACE after the program's exit while something else
 * holds it) and what it wrote has been sent, or the client is gone.
 * Returns 1 when the client went away.
 */
static int
relay(int m, int sfd)
{
	struct pollfd	 pfd[3];
	ssize_t		 n;
	double		 exited = 0, again = 0, t;
	int		 ceof = 0, mdone = 0, neof = -1, timeout;
	char		 last = '\n', veof = 4;

	for (;;) {
		if (prog == -1 && exited == 0)
			exited = now();
		if (!mdone && exited != 0 && now() - exited >= RELAY_GRACE)
			mdone = 1;
		if (mdone && toclient.rb_len == 0)
			return 0;
		/* the client's EOF, once its bytes are in; and again */
		if (ceof && neof == -1 && toprog.rb_len == 0)
			neof = eof_bytes(m, last, &veof);
		if (neof == 0 && again == 0)
			again = now() + EOF_AGAIN;
		if (neof == 0 && !mdone && prog != -1 && now() >= again) {
			neof = eof_bytes(m, last, &veof);
			again = 0;
		}
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = (!ceof && toprog.rb_len < RELAY_BUF ?
		    POLLIN : 0) | (toclient.rb_len > 0 ? POLLOUT : 0);
		pfd[1].fd = m;
		pfd[1].events = mdone ? 0 : (toclient.rb_len < RELAY_BUF ?
		    POLLIN : 0) | (toprog.rb_len > 0 || neof > 0 ?
		    POLLOUT : 0);
		/* a closed slave is POLLHUP whatever is asked: ask or skip */
		if (pfd[1].events == 0)
			pfd[1].fd = -1;
		pfd[2].fd = sfd;
		pfd[2].events = POLLIN;
		timeout = -1;
		if (!mdone && exited != 0) {
			t = RELAY_GRACE - (now() - exited);
			timeout = t > 0 ? (int)(t * 1000) + 1 : 0;
		} else if (!mdone && neof == 0 && again != 0) {
			t = again - now();
			timeout = t > 0 ? (int)(t * 1000) + 1 : 0;
		}
		if (poll(pfd, 3, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fail("poll");
		}
		if (pfd[2].revents & POLLIN)
			signal_take(sfd);
		/* a reset, or both ways shut: the client is gone */
		if (pfd[0].revents & (POLLERR | POLLHUP) &&
		    !(pfd[0].revents & POLLIN))
			return 1;
		if (pfd[0].revents & POLLIN) {
			n = recv(STDIN_FILENO, toprog.rb_data + toprog.rb_len,
			    RELAY_BUF - toprog.rb_len, MSG_DONTWAIT);
			if (n > 0)
				toprog.rb_len += n;
			else if (n == 0)
				ceof = 1;
			else if (errno != EAGAIN && errno != EINTR)
				return 1;
		}
		if (pfd[0].revents & POLLOUT) {
			n = send(STDOUT_FILENO, toclient.rb_data +
			    toclient.rb_off, toclient.rb_len - toclient.rb_off,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				toclient.rb_off += n;
				if (toclient.rb_off == toclient.rb_len)
					toclient.rb_off = toclient.rb_len = 0;
			} else if (n == -1 && errno != EAGAIN &&
			    errno != EINTR)
				return 1;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR) &&
		    (pfd[1].events & POLLIN)) {
			/* compacted first: the room is at the end */
			if (toclient.rb_off > 0) {
				memmove(toclient.rb_data, toclient.rb_data +
				    toclient.rb_off, toclient.rb_len -
				    toclient.rb_off);
				toclient.rb_len -= toclient.rb_off;
				toclient.rb_off = 0;
			}
			n = read(m, toclient.rb_data + toclient.rb_len,
			    RELAY_BUF - toclient.rb_len);
			if (n > 0)
				toclient.rb_len += n;
			else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR))
				mdone = 1;	/* EIO: no slave is open */
		}
		if (!mdone && pfd[1].revents & POLLOUT) {
			if (toprog.rb_len > 0) {
				n = write(m, toprog.rb_data + toprog.rb_off,
				    toprog.rb_len - toprog.rb_off);
				if (n > 0) {
					toprog.rb_off += n;
					last = toprog.rb_data[toprog.rb_off - 1];
					if (toprog.rb_off == toprog.rb_len)
						toprog.rb_off =
						    toprog.rb_len = 0;
				} else if (n == -1 && errno != EAGAIN &&
				    errno != EINTR)
					toprog.rb_off = toprog.rb_len = 0;
			} else if (neof > 0 && write(m, &veof, 1) == 1) {
				neof--;
				last = veof;
			}
		}
		/* the program is gone: what the client sends goes nowhere */
		if (mdone)
			toprog.rb_off = toprog.rb_len = 0;
	}
}

/*
 * After the relay: the connection closed, then the program waited for,
 * with the signals passed on, and the master closed (a hang-up for
 * whatever still holds the slave).  After a client's going away the
 * master is closed first, the hang-up for the program, and SIGKILL goes
 * to its group RELAY_GRACE seconds on; else only once it is reaped: a
 * program that closed its terminal and has not yet exited would die of
 * the hang-up (SIGHUP) instead of its own exit.
 */
static void
prog_wait(int m, int sfd, int gone)
{
	struct pollfd	 pfd;
	double		 start = now(), t;

	if (gone)
		(void)close(m);
	(void)close(STDIN_FILENO);
	(void)close(STDOUT_FILENO);
	if (quiet)
		(void)close(STDERR_FILENO);
	while (!prog_reap()) {
		pfd.fd = sfd;
		pfd.events = POLLIN;
		t = RELAY_GRACE - (now() - start);
		if (gone && t <= 0) {
			(void)kill(-prog, SIGKILL);
			gone = 0;
		}
		if (poll(&pfd, 1, gone ? (int)(t * 1000) + 1 : -1) > 0)
			signal_take(sfd);
	}
	if (!gone)
		(void)close(m);
}

int
main(int argc, char *argv[])
{
	struct winsize	 ws;
	sigset_t	 set, old;
	pid_t		 self = getpid();
	long		 cols = 80, rows = 24;
	int		 c, echo = 0, raw = 0, zero = 0, m = MASTER_FD, s, sfd;
	size_t		 i;
	char		*end;

	while ((c = getopt(argc, argv, "+ersw:h:")) != -1) {
		switch (c) {
		case 'e':
			echo = 1;
			break;
		case 'r':
			raw = 1;
			break;
		case 's':
			quiet = 1;
			break;
		case 'w':
		case 'h':
			errno = 0;
			*(c == 'w' ? &cols : &rows) = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind < 2 || cols < 1 || cols > 65535 || rows < 1 ||
	    rows > 65535) {
usage:
		errno = EINVAL;
		fail("usage: superd-pty [-ers] -w COLS -h ROWS PROGRAM "
		    "ARGV0 [ARG ...]");
	}
	if (fcntl(m, F_SETFD, FD_CLOEXEC) == -1)
		fail("the master (descriptor 3)");
	if (ioctl(m, TIOCSPTLCK, &zero) == -1)
		fail("unlockpt");
	if ((s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		fail("the slave (TIOCGPTPEER)");
	modes_set(s, echo, raw);
	memset(&ws, 0, sizeof(ws));
	ws.ws_col = (unsigned short)cols;
	ws.ws_row = (unsigned short)rows;
	if (ioctl(m, TIOCSWINSZ, &ws) == -1)
		fail("TIOCSWINSZ");
	if (fcntl(m, F_SETFL, O_NONBLOCK) == -1)
		fail("O_NONBLOCK");
	/* the signals as a descriptor, so the loop waits on one poll */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		sigaddset(&set, passed[i]);
	if (sigprocmask(SIG_BLOCK, &set, &old) == -1 ||
	    (sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fail("signalfd");
	if ((prog = fork()) == -1)
		fail("fork");
	if (prog == 0)
		prog_run(s, quiet, self, argv + optind, &old);
	(void)close(s);
	prog_wait(m, sfd, relay(m, sfd));
	relay_exit();
}
