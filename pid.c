/*
 * pid.c: the pid file of -p.
 *
 * It is locked with flock(2) for as long as superd runs, as pidfile(3)
 * does, so a second superd (and supertab -p) can tell a running one from a
 * stale file.  libbsd's pidfile_open(3) follows a symbolic link and
 * truncates what it finds, which lets a user who can write the file's
 * directory have root empty any file: here the file is opened without
 * following a link and used only when it is a regular file of superd's
 * user with one link.  It is removed at every exit of the process that
 * wrote it (atexit(3): fatal() and err(3) too), when it is still that
 * file.  superd -S reads it (pid_running): the pid in it counts only
 * while the lock is held.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"

#define PID_LOCK_TRIES	10	/* 10 ms apart: a superd -S's shared lock */

static const char	*pid_path;
static int		 pid_fd = -1;
static dev_t		 pid_dev;
static ino_t		 pid_ino;
static pid_t		 pid_owner;	/* the process that removes it */

/* The pid that another superd holding the lock wrote, or 0. */
static long long
pid_other(int fd)
{
	char		 buf[32];
	const char	*errstr;
	ssize_t		 n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	n = strtonum(buf, 1, INT_MAX, &errstr);
	return errstr == NULL ? n : 0;
}

/*
 * Open and lock path before anything is bound; exit 1 when it cannot be
 * had: a link, not a regular file, someone else's, or locked by a
 * running superd.
 */
void
pid_open(const char *path)
{
	struct timespec	 pause = { 0, 10 * 1000 * 1000 };
	struct stat	 st;
	long long	 other;
	int		 fd, tries, locked;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	if (fd == -1 && errno == ELOOP)
		errx(1, "pid file %s is a symbolic link", path);
	if (fd == -1)
		err(1, "pid file %s", path);
	fd = fd_high(fd);
	if (fstat(fd, &st) == -1)
		err(1, "pid file %s", path);
	if (!S_ISREG(st.st_mode))
		errx(1, "pid file %s is not a regular file", path);
	if (st.st_nlink != 1)
		errx(1, "pid file %s has %ju links", path,
		    (uintmax_t)st.st_nlink);
	if (st.st_uid != geteuid())
		errx(1, "pid file %s belongs to uid %u", path,
		    (unsigned)st.st_uid);
	/*
	 * superd -S looks at the lock with a shared one for a moment:
	 * held that briefly, it is tried again, 10 times 10 ms, before
	 * another superd is taken to run (start-up: no loop to block yet).
	 */
	for (tries = 0; (locked = flock(fd, LOCK_EX | LOCK_NB)) == -1 &&
	    errno == EWOULDBLOCK && tries < PID_LOCK_TRIES; tries++)
		(void)nanosleep(&pause, NULL);
	if (locked == -1) {
		if (errno != EWOULDBLOCK)
			err(1, "pid file %s", path);
		if ((other = pid_other(fd)) != 0)
			errx(1, "already running with pid file %s, pid %lld",
			    path, other);
		errx(1, "already running with pid file %s", path);
	}
	pid_path = path;
	pid_fd = fd;
	pid_dev = st.st_dev;
	pid_ino = st.st_ino;
	pid_owner = getpid();
	if (atexit(pid_remove) != 0)
		err(1, "atexit");
}

/* After daemon(3): the pid that runs from now on, and removes the file. */
void
pid_write(void)
{
	char	 buf[32];
	int	 n;

	if (pid_fd == -1)
		return;
	pid_owner = getpid();
	n = snprintf(buf, sizeof(buf), "%d\n", (int)pid_owner);
	if (ftruncate(pid_fd, 0) == -1 || pwrite(pid_fd, buf, n, 0) != n)
		log_warn("event=pid-file-failed path=%s", log_str(pid_path));
}

/* At exit: unlink the file, when it is still the one locked. */
void
pid_remove(void)
{
	struct stat	 st;

	if (pid_fd == -1 || getpid() != pid_owner)
		return;
	if (lstat(pid_path, &st) == 0 && st.st_dev == pid_dev &&
	    st.st_ino == pid_ino)
		(void)unlink(pid_path);
	(void)close(pid_fd);
	pid_fd = -1;
}

/*
 * superd -S: the pid in path when a running superd holds its lock, and
 * the file's owner (superd's user) in *uid; -1 with why set otherwise.
 * The file is anyone's to write: opened without following a link,
 * without waiting (a FIFO), a regular file only, a bounded read, a
 * positive number only.  Testing the lock takes a shared one for a
 * moment, which a superd starting then would see as running.
 */
long long
pid_running(const char *path, uid_t *uid, char *why, size_t size)
{
	struct stat	 st;
	long long	 pid = -1;
	int		 fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		(void)snprintf(why, size, "%s: %s%s", path, strerror(errno),
		    errno == ENOENT ? ": superd is not running" : "");
		return -1;
	}
	if (fstat(fd, &st) == -1)
		(void)snprintf(why, size, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		(void)snprintf(why, size, "%s: not a regular file", path);
	else if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		(void)snprintf(why, size, "%s: no superd holds its lock: "
		    "superd is not running", path);
	else if (errno != EWOULDBLOCK)
		(void)snprintf(why, size, "%s: %s", path, strerror(errno));
	else if ((pid = pid_other(fd)) == 0) {
		(void)snprintf(why, size, "%s: locked, but it holds no pid "
		    "(superd is starting?)", path);
		pid = -1;
	} else
		*uid = st.st_uid;
	(void)close(fd);
	return pid;
}

/* The locked pid file's descriptor, which an upgrade hands over; -1. */
int
pid_held(void)
{
	return pid_fd;
}

/*
 * After an upgrade in place: the pid file the old binary locked, by the
 * descriptor it handed over (the lock is the open file's, and stays):
 * it names this very pid already, so it is not written again.  Returns
 * -1, the descriptor closed, when it is not that file any more.
 */
int
pid_take(const char *path, int fd)
{
	struct stat	 st, pst;

	if (fstat(fd, &st) == -1 || lstat(path, &pst) == -1 ||
	    st.st_dev != pst.st_dev || st.st_ino != pst.st_ino) {
		(void)close(fd);
		return -1;
	}
	pid_path = path;
	pid_fd = fd;
	pid_dev = st.st_dev;
	pid_ino = st.st_ino;
	pid_owner = getpid();
	if (atexit(pid_remove) != 0)
		err(1, "atexit");
	return 0;
}
