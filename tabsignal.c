/*
 * tabsignal.c: supertab -p, telling a running superd to reread its table.
 *
 * A pid file is only a number, and a number can name any process: a
 * superd that is gone left it behind, its pid reused since, or someone
 * wrote it.  So SIGHUP goes only to a process proved to be the superd
 * that holds the file: the file (not a symbolic link) is locked, and the
 * process whose pid it holds has that very file open with the lock on it
 * (its /proc/PID/fdinfo says so).  The process is pinned by a pidfd
 * before the proof and signalled through it, so a pid reused in between
 * gets nothing.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "tab.h"

/* Does /proc/PID/fdinfo/NAME show a lock held through that descriptor? */
static int
fdinfo_has_lock(long long pid, const char *name)
{
	char	 path[320], line[256];
	FILE	*fp;
	int	 found = 0;

	(void)snprintf(path, sizeof(path), "/proc/%lld/fdinfo/%s", pid, name);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "lock:", 5) == 0) {
			found = 1;
			break;
		}
	fclose(fp);
	return found;
}

/*
 * Has process pid the file st open, with a lock on it?  flock(2) locks
 * are shown under every descriptor that shares the locked open file, so
 * a superd that detached (daemon(3) forks after the lock) still shows it.
 */
static int
holds_lock(long long pid, const struct stat *st)
{
	char		 dir[64], path[320];
	struct dirent	*de;
	struct stat	 fst;
	DIR		*d;
	int		 found = 0;

	(void)snprintf(dir, sizeof(dir), "/proc/%lld/fd", pid);
	if ((d = opendir(dir)) == NULL)
		return 0;
	/* cppcheck-suppress readdirCalled ; one thread, readdir_r deprecated */
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		/* stat(2) of /proc/PID/fd/N is the open file itself */
		if (stat(path, &fst) == -1 || fst.st_dev != st->st_dev ||
		    fst.st_ino != st->st_ino)
			continue;
		found = fdinfo_has_lock(pid, de->d_name);
	}
	closedir(d);
	return found;
}

/*
 * The pid that pidpath holds, and the file itself in *st, when the file
 * is a regular file (not a symbolic link) that someone holds locked; -1,
 * with a warning saying why, when it is not.
 */
static long long
pidfile_locked_pid(const char *pidpath, struct stat *st)
{
	char		 buf[32];
	const char	*errstr;
	long long	 pid;
	ssize_t		 n;
	int		 fd;

	fd = open(pidpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd == -1) {
		warn("table changed, but superd was not told: %s", pidpath);
		return -1;
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		warnx("table changed, but superd was not told: %s is not a "
		    "regular file", pidpath);
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf) - 1)) == -1 && errno == EINTR)
		;
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	pid = strtonum(buf, 2, INT32_MAX, &errstr);
	if (errstr != NULL) {
		warnx("table changed, but superd was not told: bad pid in %s",
		    pidpath);
		close(fd);
		return -1;
	}
	/* A lock we can take is one nobody holds: no superd runs on it. */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		warnx("table changed, but superd was not told: %s is not "
		    "locked, so no superd holds it", pidpath);
		close(fd);
		return -1;
	}
	close(fd);
	return pid;
}

/*
 * Send SIGHUP to the superd that holds pidpath.  Returns 0 when it was
 * sent, -1 (with a warning saying why) when no superd could be proved to
 * hold the file: the table has changed, so that is a warning, not a
 * failure of the change.
 */
static int
tab_signal(const char *pidpath)
{
	struct stat	 st;
	long long	 pid;
	int		 pidfd;

	if ((pid = pidfile_locked_pid(pidpath, &st)) == -1)
		return -1;
	if ((pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0)) == -1) {
		warn("table changed, but superd (pid %lld) was not told", pid);
		return -1;
	}
	if (!holds_lock(pid, &st)) {
		warnx("table changed, but superd was not told: pid %lld does "
		    "not hold the lock on %s", pid, pidpath);
		close(pidfd);
		return -1;
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGHUP, NULL, 0) == -1) {
		warn("table changed, but superd (pid %lld) was not told", pid);
		close(pidfd);
		return -1;
	}
	close(pidfd);
	printf("superd (pid %lld) told to reread the table\n", pid);
	return 0;
}

/* -p: tell the running superd, proved to hold its pid file, to reread. */
void
tab_tell(const struct tabpath *tp)
{
	if (tp->tp_pidfile != NULL)
		(void)tab_signal(tp->tp_pidfile);
}
