/*
 * cgsweep.c: at start, the cgroups a superd that is gone left behind.
 *
 * A superd that exits while children run in their cgroups (without -k),
 * or is killed with SIGKILL, leaves its superd.PID directory and the
 * children's directories in it.  At the next start, in each hierarchy
 * where cgroup.c makes superd.PID (superd's own cgroup), each
 * superd.PID whose PID is no running process (kill(2) with signal 0
 * says ESRCH: nothing is ever signalled) has its child directories
 * removed where they are empty, then itself.  A cgroup's directory with
 * a process in it cannot be removed (EBUSY): one still busy, whose
 * processes still run, is left alone, as is the superd.PID holding it.
 *
 * Only directories are removed, by rmdir(2) relative to descriptors
 * opened with O_NOFOLLOW, never a path followed anew; one line is
 * logged per superd.PID found: what was removed, what was left.
 */

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

/* The pid a superd.PID name gives, or 0 when it names none. */
static pid_t
sweep_pid(const char *name)
{
	const char	*e;
	long long	 v;

	if (strncmp(name, "superd.", 7) != 0)
		return 0;
	v = strtonum(name + 7, 1, INT_MAX, &e);
	return e == NULL ? (pid_t)v : 0;
}

/*
 * The directories of a superd.PID opened as fd removed, where they are
 * empty; closes fd.  How many were removed and left go to *rm and *left.
 */
static void
sweep_children(int fd, int *rm, int *left)
{
	struct dirent	*de;
	DIR		*d;

	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return;
	}
	/* cppcheck-suppress readdirCalled ; one thread, readdir_r deprecated */
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == 0)
			(*rm)++;
		else
			(*left)++;
	}
	(void)closedir(d);
}

/*
 * In the hierarchy directory own (superd's own cgroup there): every
 * superd.PID of a superd no longer running, emptied and removed where
 * nothing runs in it.
 */
void
cgsweep_run(const char *own)
{
	struct dirent	*de;
	DIR		*d;
	pid_t		 pid;
	int		 dfd, fd, rm, left;

	if ((dfd = open(own, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(dfd)) == NULL) {
		(void)close(dfd);
		return;
	}
	/* cppcheck-suppress readdirCalled ; one thread, readdir_r deprecated */
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || (pid = sweep_pid(de->d_name)) == 0)
			continue;
		if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;	/* running: its superd's, or unknown */
		if ((fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			continue;
		rm = left = 0;
		sweep_children(fd, &rm, &left);
		if (left == 0 && unlinkat(dirfd(d), de->d_name,
		    AT_REMOVEDIR) == 0)
			log_info("event=cgroup-swept path=%s/%s removed=%d "
			    "left=0", log_str(own), log_str(de->d_name), rm);
		else
			log_warnx("event=cgroup-swept path=%s/%s removed=%d "
			    "left=%d busy=1", log_str(own), log_str(de->d_name),
			    rm, left);
	}
	(void)closedir(d);
}
