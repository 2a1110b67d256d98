/*
 * adopt.c: the sockets a supervisor handed over (LISTEN_FDS and
 * LISTEN_PID, sd_listen_fds(3)), from the start until each has a service.
 *
 * They start at fd 3.  adopt_take() makes them close-on-exec and takes
 * them aside before anything else opens a descriptor; adopt_raise() moves
 * them up with superd's other long-lived descriptors (fd.c); each service
 * whose address one has takes it (adopt_match, listen.c's listen_adopt);
 * adopt_drop() closes those no service took, so that no client waits in
 * a backlog nobody reads.
 */

#include <sys/types.h>

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "superd.h"

static int	*adopt_fds;	/* -1: taken by a service */
static int	 nadopt;

/*
 * The sockets handed over, made close-on-exec and kept aside; the
 * variables go, so no service sees them.  Returns how many there are:
 * fds 3 to 3 + n - 1.
 */
int
adopt_take(void)
{
	const char	*s, *errstr;
	long long	 pid, n;
	int		 i;

	if ((s = getenv("LISTEN_PID")) == NULL)
		return 0;
	pid = strtonum(s, 1, INT_MAX, &errstr);
	if (errstr != NULL || pid != getpid())
		return 0;
	if ((s = getenv("LISTEN_FDS")) == NULL)
		return 0;
	/* no more than a process can have open (fs.nr_open's default) */
	n = strtonum(s, 0, 1 << 20, &errstr);
	if (errstr != NULL) {
		warnx("LISTEN_FDS=%s is %s: no socket adopted", s, errstr);
		return 0;
	}
	if (n > 0 && (adopt_fds = calloc(n, sizeof(*adopt_fds))) == NULL)
		err(1, "LISTEN_FDS");
	for (i = 0; i < n; i++)
		adopt_fds[i] = fcntl(3 + i, F_SETFD, FD_CLOEXEC) == -1 ?
		    -1 : 3 + i;
	nadopt = (int)n;
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	return nadopt;
}

/*
 * The sockets handed over move up with superd's other long-lived
 * descriptors: the low ones are for connections (fd.c).
 */
void
adopt_raise(void)
{
	int	 i;

	for (i = 0; i < nadopt; i++)
		adopt_fds[i] = fd_high(adopt_fds[i]);
}

/* sv takes the socket handed over for its address, if there is one. */
void
adopt_match(struct service *sv)
{
	(void)listen_adopt(sv, adopt_fds, nadopt);
}

/* The sockets no service took are logged and closed; none is kept. */
void
adopt_drop(void)
{
	listen_drop_unadopted(adopt_fds, nadopt);
	free(adopt_fds);
	adopt_fds = NULL;
	nadopt = 0;
}
