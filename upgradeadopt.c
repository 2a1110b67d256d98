/*
 * upgradeadopt.c: the state an old binary handed over (upgrade.c), taken
 * over by the new one, which this process now is (same pid).
 *
 * First thing at start (upgrade_take, before any descriptor is opened
 * or closed): the memory file UPGRADE_STATE_ENV names is read and
 * decoded (upgradedec.c), each descriptor it names is checked to be what
 * it says (check_fds: the environment is an input like any other, and a
 * superd started by hand with the variable set must not take a file for
 * a listener, nor another's process for its child), and exactly those
 * descriptors are kept (close-on-exec again, high: fd.c); every other
 * one is closed, as closefrom(3) does at a fresh start.  The state's
 * file, and the running table's (UPGRADE_TABLE_ENV), must be memory
 * files sealed as upgradeenc.c seals them.  A state that cannot be read
 * or is not what it says makes this a fresh start: what it named is
 * closed, every socket bound anew (children the old binary started run
 * on, unwatched, as after a restart), and event=upgrade-failed says why
 * once the log is open.
 *
 * Then the table is read as at any start (one with errors, edited since
 * the check, is replaced by the old binary's running table: upgrade_table,
 * as a failed reload keeps it); each new service takes the
 * socket of the old service of its address (upgrade_match: the first
 * unmatched one, as a reload matches), its counters, its rate bucket and
 * its refusal summaries, instead of binding; the pid file's lock is
 * taken over by its descriptor (upgrade_pid).  Once the poll set exists
 * (upgrade_adopt) the children are taken over, under their service (a
 * service the new table lacks is kept retired until its last child, as
 * a reload would), with their timers, pipes and connections, the
 * groups whose SIGKILL is due and the connections lingering after their
 * child; an old socket no new service took is
 * closed as a reload closes a removed one.  upgrade_done logs
 * event=upgrade once superd serves again.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC	0x9fa0	/* linux/magic.h: procfs's f_type */
#endif

/* The seals upgradeenc.c's sealed_memfd puts on the state and the table. */
#define STATE_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
			    F_SEAL_SEAL)

static struct upstate	 st;
static int		 exec_by_upgrade;	/* UPGRADE_STATE_ENV was set */
static int		 good;			/* and its state read */
static char		 take_err[512];
static unsigned int	 next_svc;		/* where upgrade_match looks */
static unsigned char	*table_buf;		/* the old one's running table */
static size_t		 table_len;
static struct conf	*table_bad;		/* the table that failed */

/*
 * The descriptors the state names: each open, each high and
 * close-on-exec (none is named twice: upgradedec.c refuses such a
 * state).  Every other descriptor above stdio is closed.  -1 when the
 * state's descriptors are not what it says.
 */
static int
keep_fds(void)
{
	int		**f, *v;
	size_t		  n, i, k = 0;
	unsigned int	  lo;
	int		  nfd;

	if ((f = upstate_fds(&st, &n)) == NULL || (v = calloc(n + 1,
	    sizeof(*v))) == NULL) {
		free(f);
		(void)strlcpy(take_err, "out of memory", sizeof(take_err));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (*f[i] == -1)
			continue;
		if (fcntl(*f[i], F_GETFD) == -1) {
			(void)snprintf(take_err, sizeof(take_err), "descriptor "
			    "%d it names is not open", *f[i]);
			free(f);
			free(v);
			return -1;
		}
		/* low numbers are for connections (fd.c) */
		if (*f[i] < SPAWN_FDTOP &&
		    (nfd = fcntl(*f[i], F_DUPFD_CLOEXEC, SPAWN_FDTOP)) != -1)
			*f[i] = nfd;
		(void)fcntl(*f[i], F_SETFD, FD_CLOEXEC);
		v[k++] = *f[i];
	}
	qsort(v, k, sizeof(*v), upstate_fd_cmp);
	for (lo = 3, i = 0; i < k; i++) {
		if ((unsigned int)v[i] > lo)
			(void)close_range(lo, (unsigned int)v[i] - 1, 0);
		lo = (unsigned int)v[i] + 1;
	}
	(void)close_range(lo, ~0U, 0);
	free(f);
	free(v);
	return 0;
}

/* A file type's name, for a message ("a socket"). */
static const char *
kind_name(mode_t type)
{
	switch (type & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a pipe";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "an anonymous inode";
	}
}

/*
 * What descriptor fd is, for a message, and its mode into *mp (0 when
 * it is not open).
 */
static const char *
fd_kind(int fd, mode_t *mp)
{
	struct stat	 sb;

	if (fstat(fd, &sb) == -1) {
		*mp = 0;
		return "not open";
	}
	*mp = sb.st_mode;
	return kind_name(sb.st_mode);
}

/*
 * Is fd a file of type (S_IFSOCK, S_IFIFO, S_IFREG)?  0, or -1 with why,
 * what naming it.
 */
static int
check_kind(int fd, mode_t type, const char *what, char *why, size_t size)
{
	const char	*k;
	mode_t		 m;

	k = fd_kind(fd, &m);
	if ((m & S_IFMT) == type)
		return 0;
	(void)snprintf(why, size, "%s, descriptor %d, is %s, not %s", what,
	    fd, k, kind_name(type));
	return -1;
}

/*
 * The memory file fd, which the variable env named, read whole: only
 * one made as upgradeenc.c's sealed_memfd makes it, a regular file
 * sealed against any write, growth, shrinking and further seals (on a
 * file of any other file system F_GET_SEALS fails; any other tmpfs
 * file, one memfd_create did not allow seals on, has F_SEAL_SEAL alone),
 * so that no one can change what is read, nor could since it was
 * sealed.  Anything else (a file, a pipe, a memory file left writable)
 * was not handed over by an upgrade: NULL, with take_err saying what it
 * is.
 */
static unsigned char *
read_state(int fd, const char *env, size_t *lenp)
{
	struct stat	 sb;
	unsigned char	*buf;
	const char	*k;
	size_t		 off;
	ssize_t		 n;
	mode_t		 m;
	int		 seals;

	k = fd_kind(fd, &m);
	if (!S_ISREG(m) || (seals = fcntl(fd, F_GET_SEALS)) == -1 ||
	    (seals & STATE_SEALS) != STATE_SEALS) {
		if (S_ISREG(m))
			(void)snprintf(take_err, sizeof(take_err), "%s=%d is a "
			    "regular file not sealed as an upgrade's state "
			    "is", env, fd);
		else
			(void)snprintf(take_err, sizeof(take_err), "%s=%d is "
			    "%s, not a sealed memory file", env, fd, k);
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		(void)snprintf(take_err, sizeof(take_err), "%s=%d: %s", env,
		    fd, strerror(errno));
		return NULL;
	}
	if (sb.st_size < 0 || sb.st_size > UPSTATE_MAX) {
		(void)snprintf(take_err, sizeof(take_err), "%s=%d: too large",
		    env, fd);
		return NULL;
	}
	if ((buf = malloc(sb.st_size + 1)) == NULL) {
		(void)strlcpy(take_err, "out of memory", sizeof(take_err));
		return NULL;
	}
	for (off = 0; off < (size_t)sb.st_size; off += (size_t)n)
		if ((n = pread(fd, buf + off, sb.st_size - off, off)) <= 0) {
			(void)snprintf(take_err, sizeof(take_err), "%s=%d: %s",
			    env, fd, n == 0 ? "short" : strerror(errno));
			free(buf);
			return NULL;
		}
	*lenp = (size_t)sb.st_size;
	return buf;
}

/*
 * The old binary's running table (upgradeenc.c), read and its file
 * closed.  None named (an older binary's upgrade) leaves table_buf NULL:
 * 0.  One named that is not the sealed memory file the old binary makes
 * refuses the whole state, as the state's own file would: -1, take_err
 * saying why.
 */
static int
take_table(void)
{
	const char	*s, *errstr;
	int		 fd;

	if ((s = getenv(UPGRADE_TABLE_ENV)) == NULL)
		return 0;
	fd = (int)strtonum(s, 3, INT_MAX, &errstr);
	if (errstr != NULL) {
		(void)snprintf(take_err, sizeof(take_err), "%s is %s",
		    UPGRADE_TABLE_ENV, errstr);
		(void)unsetenv(UPGRADE_TABLE_ENV);
		return -1;
	}
	(void)unsetenv(UPGRADE_TABLE_ENV);
	table_buf = read_state(fd, UPGRADE_TABLE_ENV, &table_len);
	(void)close(fd);
	return table_buf != NULL ? 0 : -1;
}

/*
 * The pid the pidfd fd names, from /proc/self/fdinfo/FD's "Pid:" line
 * (-1 there: its process was reaped); -2 when that cannot be read, or fd
 * has no such line (it is no pidfd).  The file is procfs's, proved by
 * fstatfs on what was opened: a kernel file system that no user can
 * write to, rename within or mount over (that needs root), and
 * /proc/self is this process, so no other user can swap what is read.
 */
static long
fdinfo_pid(int fd)
{
	struct statfs	 sfs;
	char		 path[64], buf[2048], *p;
	size_t		 off = 0;
	ssize_t		 n;
	int		 f;

	(void)snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if ((f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -2;
	if (fstatfs(f, &sfs) == -1 || sfs.f_type != PROC_SUPER_MAGIC) {
		(void)close(f);
		return -2;
	}
	while (off < sizeof(buf) - 1 && (n = read(f, buf + off,
	    sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	(void)close(f);
	buf[off] = '\0';
	/* never the first line, which is pos: */
	if ((p = strstr(buf, "\nPid:")) == NULL)
		return -2;
	return strtol(p + 5, NULL, 10);
}

/*
 * Is fd a pidfd of pid, a child of this process?  0, or -1 with why
 * (size bytes) saying what it is instead, what names it first.
 *
 * waitid(2) on the descriptor itself (P_PIDFD; WNOWAIT: nothing is
 * reaped, WNOHANG: nothing is waited for; __WALL: whatever its exit
 * signal) tells a pidfd from any other descriptor (EBADF, EINVAL) and a
 * child of ours from another's process (ECHILD), acting on no path and
 * signalling nothing; a pidfd_send_signal(fd, 0) would say as much of
 * the first but not the second, and superd signals its children's
 * groups, so one not its own must never be adopted.  The pid it names
 * is read from procfs (fdinfo_pid), on no path another user can swap.
 */
static int
check_pidfd(int fd, pid_t pid, const char *what, char *why, size_t size)
{
	siginfo_t	 si;
	mode_t		 m;
	long		 named;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG | WNOWAIT |
	    __WALL) == -1) {
		if (errno == ECHILD)
			(void)snprintf(why, size, "%s: its pidfd, descriptor "
			    "%d, names no child of this process", what, fd);
		else
			(void)snprintf(why, size, "%s: its pidfd, descriptor "
			    "%d, is %s, not a pidfd", what, fd,
			    fd_kind(fd, &m));
		return -1;
	}
	if ((named = fdinfo_pid(fd)) == -2) {
		(void)snprintf(why, size, "%s: its pidfd, descriptor %d: "
		    "/proc/self/fdinfo/%d has no pid", what, fd, fd);
		return -1;
	}
	if (named != pid || (si.si_pid != 0 && si.si_pid != pid)) {
		(void)snprintf(why, size, "%s: its pidfd, descriptor %d, "
		    "names pid %ld", what, fd, named);
		return -1;
	}
	return 0;
}

/*
 * Is us's descriptor the socket of its service: a socket of its type and
 * its family, and, a stream one, listening?  0, or -1 with why.
 */
static int
check_listener(const struct upsvc *us, unsigned int i, char *why,
    size_t size)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 what[128];
	int			 v;

	(void)snprintf(what, sizeof(what), "service %u (%s, line %d): its "
	    "socket", i + 1, us->us_name != NULL ? us->us_name : "-",
	    us->us_line);
	if (check_kind(us->us_fd, S_IFSOCK, what, why, size) == -1)
		return -1;
	len = sizeof(v);
	if (getsockopt(us->us_fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 ||
	    v != us->us_socktype) {
		(void)snprintf(why, size, "%s, descriptor %d, is not of its "
		    "type (%s)", what, us->us_fd, us->us_socktype ==
		    SOCK_STREAM ? "stream" : "dgram");
		return -1;
	}
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(us->us_fd, (struct sockaddr *)&ss, &len) == -1 ||
	    ss.ss_family != us->us_family) {
		(void)snprintf(why, size, "%s, descriptor %d, is not of its "
		    "address family (%d)", what, us->us_fd, us->us_family);
		return -1;
	}
	len = sizeof(v);
	if (us->us_socktype == SOCK_STREAM && (getsockopt(us->us_fd,
	    SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1 || v != 1)) {
		(void)snprintf(why, size, "%s, descriptor %d, is not "
		    "listening", what, us->us_fd);
		return -1;
	}
	return 0;
}

/*
 * Is fd the read end of a pipe (what stderr=log reads)?  0, or -1 with
 * why, what naming it.
 */
static int
check_pipe(int fd, const char *what, char *why, size_t size)
{
	int	 fl;

	if (check_kind(fd, S_IFIFO, what, why, size) == -1)
		return -1;
	if ((fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_ACCMODE) == O_WRONLY) {
		(void)snprintf(why, size, "%s, descriptor %d, is a pipe's "
		    "write end, not its read end", what, fd);
		return -1;
	}
	return 0;
}

/*
 * Each descriptor the state names is what the state says it is, before
 * any is used: a service's, a socket of its type and family (listening,
 * a stream one); a child's pidfd, a pidfd of that pid, a child of this
 * process; its connection, a socket; its stderr pipe, a pipe's read end;
 * a group kill's, a pidfd of its leader (pid = the group), a child; a
 * lingering connection, a socket; the pid file, a regular file.  Any
 * other refuses the whole state (a superd started by hand, or by
 * something confused, with UPGRADE_STATE_ENV set): -1, take_err naming
 * the field.
 */
static int
check_fds(void)
{
	const struct upchild	*uc;
	const struct upgk	*ug;
	char			 what[128], why[sizeof(take_err)];
	unsigned int		 i;

	why[0] = '\0';
	if (st.st_pidfd != -1 && check_kind(st.st_pidfd, S_IFREG,
	    "the pid file", why, sizeof(why)) == -1)
		goto bad;
	for (i = 0; i < st.st_nsvc; i++)
		if (st.st_svc[i].us_fd != -1 &&
		    check_listener(&st.st_svc[i], i, why, sizeof(why)) == -1)
			goto bad;
	for (i = 0; i < st.st_nchild; i++) {
		uc = &st.st_child[i];
		(void)snprintf(what, sizeof(what), "child pid %d", uc->uc_pid);
		if (check_pidfd(uc->uc_pidfd, uc->uc_pid, what, why,
		    sizeof(why)) == -1)
			goto bad;
		(void)snprintf(what, sizeof(what), "child pid %d: its "
		    "connection", uc->uc_pid);
		if (uc->uc_conn != -1 && check_kind(uc->uc_conn, S_IFSOCK, what,
		    why, sizeof(why)) == -1)
			goto bad;
		(void)snprintf(what, sizeof(what), "child pid %d: its stderr "
		    "pipe", uc->uc_pid);
		if (uc->uc_errfd != -1 && check_pipe(uc->uc_errfd, what, why,
		    sizeof(why)) == -1)
			goto bad;
	}
	for (i = 0; i < st.st_ngk; i++) {
		ug = &st.st_gk[i];
		(void)snprintf(what, sizeof(what), "group kill %d",
		    ug->ug_pgid);
		if (check_pidfd(ug->ug_pidfd, ug->ug_pgid, what, why,
		    sizeof(why)) == -1)
			goto bad;
	}
	for (i = 0; i < st.st_nlinger; i++) {
		(void)snprintf(what, sizeof(what), "lingering connection %u",
		    i + 1);
		if (check_kind(st.st_linger[i].ul_fd, S_IFSOCK, what, why,
		    sizeof(why)) == -1)
			goto bad;
	}
	return 0;
bad:
	(void)strlcpy(take_err, why, sizeof(take_err));
	return -1;
}

/*
 * The table just read, c, has errors: on an upgrade's start the old
 * binary's running table is served instead, as a failed reload keeps
 * the running table (the check passed on a table that was edited since,
 * say), and c is kept to be logged (upgrade_done).  Otherwise, or when
 * there is none, c itself.  path names the table in messages.
 */
struct conf *
upgrade_table(struct conf *c, const char *path)
{
	struct conf	*k;
	FILE		*fp;

	if (c->c_nerrors == 0 || table_buf == NULL)
		return c;
	if ((fp = fmemopen(table_buf, table_len, "r")) == NULL)
		return c;
	k = conf_load_as(path, fp, path);
	fclose(fp);
	if (k->c_nerrors > 0) {
		conf_free(k);
		return c;
	}
	table_bad = c;
	return k;
}

/*
 * At start, first: this process an upgrade's new binary?  Its state
 * taken and every other descriptor closed: 1.  Not one, or a state that
 * could not be had (then everything is closed as at a fresh start by
 * the caller, and a restart it is): 0.
 */
int
upgrade_take(void)
{
	const char	*s, *errstr, *dir;
	unsigned char	*buf;
	char		 why[256];
	size_t		 len;
	int		 fd;

	if ((s = getenv(UPGRADE_STATE_ENV)) == NULL)
		return 0;
	exec_by_upgrade = 1;
	/* the old binary's command line, relative to where it started */
	if ((dir = getenv(UPGRADE_CWD_ENV)) != NULL) {
		if (chdir(dir) == -1)
			warn("upgrade: chdir %s", dir);
		(void)unsetenv(UPGRADE_CWD_ENV);
	}
	fd = (int)strtonum(s, 3, INT_MAX, &errstr);
	(void)unsetenv(UPGRADE_STATE_ENV);
	if (take_table() == -1)
		return 0;
	if (errstr != NULL) {
		(void)snprintf(take_err, sizeof(take_err), "%s is %s",
		    UPGRADE_STATE_ENV, errstr);
		return 0;
	}
	buf = read_state(fd, UPGRADE_STATE_ENV, &len);
	(void)close(fd);
	if (buf == NULL)
		return 0;
	if (upstate_decode(buf, len, &st, why, sizeof(why)) == -1) {
		free(buf);
		upstate_free(&st);
		(void)strlcpy(take_err, why, sizeof(take_err));
		return 0;
	}
	free(buf);
	if (check_fds() == -1 || keep_fds() == -1) {
		upstate_free(&st);
		return 0;
	}
	good = 1;
	return 1;
}

/* Was this process started by an upgrade (its state good or not)? */
int
upgrade_active(void)
{
	return exec_by_upgrade;
}

/*
 * The pid file, path: the old binary's lock taken over (1), or none was
 * handed over (0: the caller opens it as at any start).
 */
int
upgrade_pid(const char *path)
{
	int	 fd = st.st_pidfd;

	if (!good || fd == -1)
		return 0;
	st.st_pidfd = -1;
	if (path == NULL) {
		(void)close(fd);
		return 0;
	}
	return pid_take(path, fd) == 0;
}

/* An old service's counters, summaries and bucket, into sv. */
static void
take_counters(struct service *sv, const struct upsvc *us)
{
	sv->sv_started = us->us_started;
	memcpy(sv->sv_refused, us->us_refused, sizeof(sv->sv_refused));
	sv->sv_mx = us->us_mx;
	sv->sv_tokens = us->us_tokens;
	sv->sv_tokens_at = us->us_tokens_at;
	sv->sv_errlines = us->us_errlines;
	sv->sv_errdropped = us->us_errdropped;
	sv->sv_errnopipe = us->us_errnopipe;
	if (us->us_reflog && sv->sv_reflog == NULL &&
	    (sv->sv_reflog = calloc(1, sizeof(*sv->sv_reflog))) != NULL) {
		memcpy(sv->sv_reflog->rl_at, us->us_rl_at,
		    sizeof(us->us_rl_at));
		memcpy(sv->sv_reflog->rl_n, us->us_rl_n, sizeof(us->us_rl_n));
		memcpy(sv->sv_reflog->rl_peer, us->us_rl_peer,
		    sizeof(us->us_rl_peer));
		refuse_adopt(sv);
	}
}

/* The same identity: socket type, family, configured address. */
static int
same_addr(const struct upsvc *us, const struct service *sv)
{
	return us->us_socktype == sv->sv_socktype &&
	    us->us_family == sv->sv_family && us->us_proto == (int)sv->sv_proto &&
	    us->us_addrlen == sv->sv_addrlen &&
	    memcmp(&us->us_addr, &sv->sv_addr, sv->sv_addrlen) == 0;
}

/*
 * A service of the new table: the old one of its address (the first not
 * taken yet: equal addresses, which only port 0 allows, in table order)
 * hands over its socket and its counters.  The tables are usually the
 * same, so the search starts after the last match.
 */
void
upgrade_match(struct service *sv)
{
	struct upsvc	*us;
	unsigned int	 i, k;

	if (!good)
		return;
	for (k = 0; k < st.st_nsvc; k++) {
		i = (next_svc + k) % st.st_nsvc;
		us = &st.st_svc[i];
		if (us->us_sv != NULL || us->us_retired || !same_addr(us, sv))
			continue;
		us->us_sv = sv;
		next_svc = i + 1;
		if (us->us_fd != -1) {
			listen_take(sv, us->us_fd);
			us->us_fd = -1;
			sv->sv_sockdev = (dev_t)us->us_dev;
			sv->sv_sockino = (ino_t)us->us_ino;
		}
		take_counters(sv, us);
		return;
	}
}

/*
 * An old service the new table lacks, whose children still run: kept
 * retired under its name and line until the last is reaped, as a
 * reload keeps a removed one.
 */
static struct service *
retired_service(struct upsvc *us)
{
	struct service	*sv;

	if ((sv = calloc(1, sizeof(*sv))) == NULL ||
	    (sv->sv_cf = calloc(1, sizeof(*sv->sv_cf))) == NULL ||
	    (sv->sv_name = strdup(us->us_name != NULL ? us->us_name : "-")) ==
	    NULL) {
		if (sv != NULL)
			free(sv->sv_cf);
		free(sv);
		return NULL;
	}
	sv->sv_ev.ev_kind = EV_LISTENER;
	sv->sv_fd = -1;
	sv->sv_socktype = us->us_socktype;
	sv->sv_family = us->us_family;
	sv->sv_proto = (enum sv_proto)us->us_proto;
	memcpy(&sv->sv_addr, &us->us_addr, sizeof(sv->sv_addr));
	sv->sv_addrlen = us->us_addrlen;
	sv->sv_cf->cf_line = us->us_line;
	sv->sv_cf->cf_instances = INT_MAX;
	sv->sv_cf->cf_builtin = BI_NONE;
	sv->sv_cf->cf_netns = -1;
	LIST_INIT(&sv->sv_pxwait);
	TAILQ_INIT(&sv->sv_pxready);
	if ((sv->sv_addrstr = strdup("-")) == NULL) {
		service_free(sv);
		return NULL;
	}
	take_counters(sv, us);
	services_keep_retired(sv);
	us->us_sv = sv;
	return sv;
}

/*
 * With the poll set made: the old binary's children and its groups
 * whose SIGKILL is due, taken over; its sockets no service took, closed.
 */
void
upgrade_adopt(double now)
{
	struct upchild	*uc;
	struct upsvc	*us;
	struct service	*sv;
	unsigned int	 i;

	(void)now;
	if (!good)
		return;
	metrics_adopt(&st);
	for (i = 0; i < st.st_nsvc; i++) {
		us = &st.st_svc[i];
		if (us->us_fd == -1)
			continue;
		log_info("event=upgrade-closed svc=%s line=%d error=\"the new "
		    "table has no service of this address\"",
		    log_str(us->us_name != NULL ? us->us_name : "-"),
		    us->us_line);
		(void)close(us->us_fd);
		us->us_fd = -1;
	}
	for (i = 0; i < st.st_nchild; i++) {
		uc = &st.st_child[i];
		us = &st.st_svc[uc->uc_svc];
		if ((sv = us->us_sv) == NULL && (sv = retired_service(us)) ==
		    NULL) {
			fd_close_set(&uc->uc_pidfd, 1);
			fd_close_set(&uc->uc_conn, 1);
			fd_close_set(&uc->uc_errfd, 1);
			continue;
		}
		if (child_adopt(sv, uc, errlog_adopt(sv, uc->uc_errfd)) ==
		    -1) {
			fd_close_set(&uc->uc_pidfd, 1);
			fd_close_set(&uc->uc_conn, 1);
		}
	}
	for (i = 0; i < st.st_ngk; i++)
		child_groupkill_adopt(&st.st_gk[i]);
	for (i = 0; i < st.st_nlinger; i++)
		linger_adopt(st.st_linger[i].ul_svc == UPL_NOSVC ? NULL :
		    st.st_svc[st.st_linger[i].ul_svc].us_sv, &st.st_linger[i]);
}

/*
 * superd serves again: the upgrade's line, with the pause (from the old
 * binary's last turn to now, the monotonic clock being one for both), or
 * the line of a state that could not be taken.
 */
void
upgrade_done(double now)
{
	char	 q[600];
	size_t	 i;

	if (!exec_by_upgrade)
		return;
	if (table_bad != NULL) {
		for (i = 0; i < table_bad->c_nerrors; i++) {
			log_quote(q, sizeof(q), table_bad->c_errors[i]);
			log_warnx("event=reload-failed error=%s upgrade=1", q);
		}
		log_warnx("event=reload-failed error=\"the table read after "
		    "the upgrade has errors: the running table is kept\" "
		    "upgrade=1");
		metrics_reload(0);
		conf_free(table_bad);
		table_bad = NULL;
	}
	free(table_buf);
	table_buf = NULL;
	if (!good) {
		log_quote(q, sizeof(q), take_err);
		log_warnx("event=upgrade-failed error=%s restart=1", q);
		metrics_upgrade(0, take_err);
		return;
	}
	metrics_upgrade(1, NULL);
	log_info("event=upgrade from=%s to=%s services=%d children=%d "
	    "pause_ms=%.1f", log_str(st.st_from), log_str(upstate_binary()),
	    services_count(), child_count(), (now - st.st_paused) * 1000);
	upstate_free(&st);
}
