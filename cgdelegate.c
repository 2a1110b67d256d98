/*
 * cgdelegate.c: cgroup v2 delegation, superd's own cgroup made able to
 * pass the memory and pids controllers down to its children's cgroups.
 *
 * cgroup v2's "no internal processes" rule: a cgroup other than the root
 * cannot both have processes in it and enable controllers for its
 * sub-cgroups.  Under a systemd service with Delegate=yes superd sits in
 * the service's own cgroup, which it may manage, but it sits there
 * itself.  So, as systemd's delegation documents say, superd moves
 * itself into a leaf of that cgroup, CGDELEG_LEAF, then enables the
 * controllers in the cgroup it left; its children's cgroups
 * (superd.PID/N, cgroup.c) are made beside that leaf.  Children it
 * started before (a reload that first needs the move) go with it.  The move is done
 * once, at the first load whose table needs it, never with -t (which
 * only checks what it can without changing anything), and undone when
 * enabling the controllers fails.
 *
 * A superd that finds itself in CGDELEG_LEAF already (a superd upgraded
 * in place keeps its cgroup; systemd's DelegateSubgroup=supervisor puts
 * a service there) uses the cgroup above it as it is: cgroup.c asks
 * cgdeleg_above.  A superd -t that systemd runs as the unit's
 * ExecReload= is in the unit's ".control" cgroup: the unit's is checked
 * (cgdeleg_control).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

/*
 * Write text to the cgroup file dir/file in one write(2), as the kernel
 * wants a cgroup file written; -1 with errno.  cgroup.c's too.
 */
int
cgdeleg_write(const char *dir, const char *file, const char *text)
{
	char	 path[CG_PATHMAX + 64];
	size_t	 n = strlen(text);
	int	 fd, saved;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	if (write(fd, text, n) != (ssize_t)n) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* Is dir's cgroup.type "domain" (not threaded, which passes no memory)? */
static int
deleg_domain(const char *dir)
{
	char	 path[CG_PATHMAX + 64], buf[64];
	ssize_t	 n;
	int	 fd;

	(void)snprintf(path, sizeof(path), "%s/cgroup.type", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;	/* the root cgroup has no cgroup.type */
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	return strcmp(buf, "domain\n") == 0;
}

/*
 * The directory own (superd's own cgroup) is CGDELEG_LEAF: the length of
 * the cgroup above it, in which superd's children's cgroups go, or 0.
 */
size_t
cgdeleg_above(const char *own)
{
	const char	*slash = strrchr(own, '/');

	if (slash == NULL || slash == own ||
	    strcmp(slash + 1, CGDELEG_LEAF) != 0)
		return 0;
	return (size_t)(slash - own);
}

/*
 * The directory own is systemd's ".control" cgroup of a delegated unit,
 * where it runs the unit's ExecReload= (superd -t) and other control
 * processes: the length of the unit's cgroup above it, which is the one
 * the running superd uses and so the one to check, or 0.
 */
size_t
cgdeleg_control(const char *own)
{
	const char	*slash = strrchr(own, '/');

	if (slash == NULL || slash == own || strcmp(slash + 1, ".control") != 0)
		return 0;
	return (size_t)(slash - own);
}

/*
 * superd -t: could superd enable controllers ctls ("+memory +pids") in
 * its cgroup dir after leaving it for the leaf?  Checked without
 * changing anything: dir is a domain cgroup, and its cgroup.procs and
 * cgroup.subtree_control are writable by superd (what a cgroup that is
 * not delegated lacks for a user other than root).  0, or -1 with why.
 */
int
cgdeleg_check(const char *dir, char *why, size_t len)
{
	char		 path[CG_PATHMAX + 64];
	const char	*files[] = { "cgroup.procs", "cgroup.subtree_control" };
	size_t		 i;

	if (!deleg_domain(dir)) {
		(void)snprintf(why, len, "superd's cgroup %s is threaded: it "
		    "cannot pass the memory controller on", dir);
		return -1;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (access(path, W_OK) == -1) {
			(void)snprintf(why, len, "superd's cgroup %s is not "
			    "delegated to it (Delegate=yes under systemd): "
			    "%s: %s", dir, files[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The parent of process pid, from /proc/PID/stat; -1 when it is gone. */
static pid_t
deleg_parent(pid_t pid)
{
	char	 path[64], buf[1024], *p;
	ssize_t	 n;
	int	 fd, ppid;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %d",
	    &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

/*
 * superd's own children in dir (services started there before a table
 * needed the move) moved into to; their pids into *moved (*nmoved of
 * them, allocated), so that a failure can move them back.  A child is
 * superd's until superd reaps it, which it does not do meanwhile, so its
 * pid names no other process.  Processes that are not superd's children
 * (what a child started and left) stay, and the controllers' enabling
 * then fails with EBUSY.
 */
static void
deleg_children(const char *dir, const char *to, pid_t **moved,
    size_t *nmoved)
{
	char	 path[CG_PATHMAX + 64], num[32];
	pid_t	*pids = NULL, *np, me = getpid();
	size_t	 n = 0, cap = 0, i;
	FILE	*f;
	long	 v;

	*moved = NULL;
	*nmoved = 0;
	(void)snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((f = fopen(path, "re")) == NULL)
		return;
	/* all of the list first: moving while reading it can skip some */
	while (fscanf(f, "%ld", &v) == 1) {
		if (v <= 0 || v == me || deleg_parent((pid_t)v) != me)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((np = reallocarray(pids, cap, sizeof(*pids))) ==
			    NULL)
				break;
			pids = np;
		}
		pids[n++] = (pid_t)v;
	}
	(void)fclose(f);
	for (i = 0; i < n; i++) {
		(void)snprintf(num, sizeof(num), "%d", (int)pids[i]);
		if (cgdeleg_write(to, "cgroup.procs", num) == 0)
			pids[(*nmoved)++] = pids[i];
	}
	*moved = pids;
}

/*
 * At load, once: superd moves itself and its children into
 * dir/CGDELEG_LEAF, then enables ctls in dir's cgroup.subtree_control.
 * 0, or -1 with why, superd and its children back in dir and the leaf
 * removed (EBUSY: other processes still in dir, such as what a child
 * started and left, or processes that are not superd's).
 */
int
cgdeleg_enter(const char *dir, const char *ctls, char *why, size_t len)
{
	char	 leaf[CG_PATHMAX + 32], num[32];
	pid_t	*moved;
	size_t	 nmoved, i;
	int	 saved;

	if (cgdeleg_check(dir, why, len) == -1)
		return -1;
	(void)snprintf(leaf, sizeof(leaf), "%s/%s", dir, CGDELEG_LEAF);
	if (mkdir(leaf, 0755) == -1 && errno != EEXIST) {
		(void)snprintf(why, len, "superd's cgroup %s is not delegated "
		    "to it (Delegate=yes under systemd): mkdir %s: %s", dir,
		    leaf, strerror(errno));
		return -1;
	}
	/* "0": the writer's whole thread group moves */
	if (cgdeleg_write(leaf, "cgroup.procs", "0") == -1) {
		saved = errno;
		(void)rmdir(leaf);
		(void)snprintf(why, len, "superd's cgroup %s is not delegated "
		    "to it (Delegate=yes under systemd): moving superd into "
		    "%s: %s", dir, leaf, strerror(saved));
		return -1;
	}
	deleg_children(dir, leaf, &moved, &nmoved);
	if (cgdeleg_write(dir, "cgroup.subtree_control", ctls) == -1) {
		saved = errno;
		(void)cgdeleg_write(dir, "cgroup.procs", "0");
		for (i = 0; i < nmoved; i++) {
			(void)snprintf(num, sizeof(num), "%d", (int)moved[i]);
			(void)cgdeleg_write(dir, "cgroup.procs", num);
		}
		free(moved);
		(void)rmdir(leaf);
		(void)snprintf(why, len, "superd's cgroup %s cannot pass the "
		    "controllers on: writing \"%s\" to its "
		    "cgroup.subtree_control: %s%s", dir, ctls, strerror(saved),
		    saved == EBUSY ? " (other processes are in it)" : "");
		return -1;
	}
	free(moved);
	log_info("event=cgroup-delegated path=%s leaf=%s controllers=\"%s\" "
	    "children=%zu", log_str(dir), CGDELEG_LEAF, ctls, nmoved);
	return 0;
}
