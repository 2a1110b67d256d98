/*
 * fd.c: where superd's long-lived descriptors live.
 *
 * accept(2) and every call that makes a descriptor take the lowest free
 * number, so the low numbers go to connections, and a child's private
 * descriptor table, which spawn.c cuts at its socket's number, stays
 * short.  Everything superd holds for good therefore sits at SPAWN_FDTOP
 * or above, moved there by fd_high() where it is made: the listeners
 * (adopted ones too), the pidfds, the signalfd, the epoll descriptor,
 * the pid file, the -S control socket (ctl.c) and the pidfds of its
 * children, the syslog socket or stderr's own descriptor, the
 * sock_diag socket and /proc/net/snmp, and the parent's end of the way
 * back (spawnback.c).
 *
 * Below SPAWN_FDTOP, above stdio, are only:
 *   - spawn.c's eventfd and the children's end of the way back, made
 *     first (3 and 4), which a child needs in its short table, and
 *     pty's relay (superd-pty, O_PATH), made next, which a pty child
 *     execs by descriptor;
 *   - connections, a held one too (its next spawn makes it a child's
 *     socket), and a wait service's duplicate of its socket, for the
 *     same reason;
 *   - what is open only within one call: the table being read, a unix
 *     socket's directory, the ports file, a notify or syslog probe.
 */

#include <sys/resource.h>

#include <fcntl.h>
#include <unistd.h>

#include "superd.h"

/*
 * fd moved to SPAWN_FDTOP or above, close-on-exec; fd itself when it is
 * there already or cannot move (RLIMIT_NOFILE at SPAWN_FDTOP or below),
 * where it stays what it was made: every caller made it close-on-exec.
 */
int
fd_high(int fd)
{
	int	 nfd;

	if (fd < 0 || fd >= SPAWN_FDTOP)
		return fd;
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, SPAWN_FDTOP)) == -1)
		return fd;
	(void)close(fd);
	return nfd;
}

/*
 * Close the descriptors of fds (n of them, -1 for none) with as few
 * system calls as they allow: one close_range(2) when they are a run of
 * consecutive numbers, as a connection, its stderr pipe and the low
 * pidfd of its child's clone usually are (each took the lowest free
 * number, one after the other); one close(2) each otherwise.
 */
void
fd_close_set(const int *fds, int n)
{
	int	 i, k = 0, lo = -1, hi = -1;

	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (k++ == 0 || fds[i] < lo)
			lo = fds[i];
		if (fds[i] > hi)
			hi = fds[i];
	}
	if (k == 0)
		return;
	/* k distinct open descriptors from lo to hi: all of that run */
	if (hi - lo + 1 == k && close_range((unsigned int)lo,
	    (unsigned int)hi, 0) == 0)
		return;
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
}

/*
 * A share of the descriptor limit for one kind of thing a peer can make
 * superd hold (lingering connections, pending PROXY headers, orphan
 * stderr pipes): RLIMIT_NOFILE's soft limit over div, at least min, at
 * most cap.  Asked once superd has raised its own limit (the callers
 * keep the answer); an unlimited or unreadable limit counts as cap * div.
 */
int
fd_share(int div, int min, int cap)
{
	struct rlimit	 rl;
	rlim_t		 n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY)
		n = (rlim_t)cap;
	else
		n = rl.rlim_cur / (rlim_t)div;
	if (n > (rlim_t)cap)
		n = (rlim_t)cap;
	return n < (rlim_t)min ? min : (int)n;
}
