/*
 * upgrade.c: SIGUSR2, an upgrade in place: the new binary checked, then
 * executed in this very process (same pid: a supervisor's MAINPID and
 * the pid file stay true) with everything a restart would lose.
 *
 * Which binary: the path superd was started from, made absolute at
 * start (nginx's way: a package upgrade replaces that file), found on
 * PATH when it was started by a bare name; opened once at the signal
 * (bin_open: resolved, owned by root all the way down, as chroot= is)
 * and checked and executed by that descriptor.  The check runs first, while
 * superd serves on: that binary with -t on the running table and
 * UPGRADE_CHECK_ENV set, which makes a binary that can take an upgrade
 * say on its standard output, after a table that passed, which state
 * versions it reads (UPGRADE_HELLO version=V states=N,...).  Its output
 * comes through a pipe and its end through its pidfd, both in epoll,
 * within UPGRADE_CHECK_SECS (then it is killed).  Only a check that
 * exits 0 and names a version from UPSTATE_OLDEST to UPSTATE_VERSION
 * lets the upgrade go on, the state then written in the newest of those
 * it names (a binary of the release before reads the older); anything
 * else (no binary, a table it refuses, no or another answer, no end in
 * time) is one event=upgrade-failed line, the running superd unchanged.
 * A SIGUSR2 while a check runs is refused the same way (the check goes
 * on): two upgrades never overlap.
 *
 * Then, at the end of the loop's turn (nothing of the batch half done),
 * once no child is between its clone and its execve (spawn.c) and no
 * answer to superd -S is being written (ctl.c; after 1 s such a one is
 * killed and reaped, so that no child is left unknown): the state
 * into a sealed memory file (upgradeenc.c), the close-on-exec flag
 * cleared on exactly the descriptors it names and on the file, what is
 * not carried closed as superd's exit would close it (connections held
 * for another spawn, PROXY headers still awaited, orphaned stderr
 * pipes, answers to -S cut short), and execve of the command line
 * superd was started with, UPGRADE_STATE_ENV naming the file and
 * UPGRADE_CWD_ENV the directory it was started in (its relative paths
 * are relative to it).  Should
 * the execve itself fail, superd is still this process: the flags go
 * back, it serves on, event=upgrade-failed.  The new binary takes it
 * over (upgradeadopt.c).  superd killed before the execve loses nothing
 * a restart would not: nothing was changed on disk.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define CHECK_OUT	4096	/* the check's output kept: its tail */
#define BUSY_SECS	1.0	/* children in their clone: waited for */
#define BUSY_STEP	0.002

extern char	**environ;

static char		 *binpath;	/* absolute, from the start */
static char		 *startdir;	/* where superd was started */
static char		**args;		/* argv as superd was given it */
static struct evsrc	  pid_ev = { EV_UPGRADE };
static struct evsrc	  pipe_ev = { EV_UPGRADE };
static pid_t		  check_pid = -1;
static int		  check_pidfd = -1;
static int		  check_pipe = -1;
static int		  check_killed;	/* over its bound */
static char		  check_out[CHECK_OUT];
static size_t		  check_len;
static struct timer	  check_timer;
static int		  due;		/* checked: execve at the turn's end */
static int		  due_version;	/* the state's format, both read it */
static double		  due_since;
static struct timer	  busy_timer;
static int		  bin_fd = -1;	/* the binary checked: executed */
static char		  bin_proc[64];	/* its name for the check */

static void	 bin_close(void);

/* The path superd was started as, absolute; NULL when none is found. */
static char *
find_self(const char *argv0)
{
	char		 buf[PATH_MAX], *path, *dir, *p, *r;
	struct stat	 self, sb;
	ssize_t		 n;
	int		 known;

	if (argv0 != NULL && argv0[0] == '/')
		return strdup(argv0);
	if (argv0 != NULL && strchr(argv0, '/') != NULL) {
		if (startdir == NULL ||
		    asprintf(&r, "%s/%s", startdir, argv0) == -1)
			return NULL;
		return r;
	}
	/* PATH's first match that is the file running (another user's
	   directory early on PATH may hold another of the name) */
	known = stat("/proc/self/exe", &self) == 0;
	if (argv0 != NULL && (p = getenv("PATH")) != NULL &&
	    (path = strdup(p)) != NULL) {
		for (p = path; (dir = strsep(&p, ":")) != NULL;) {
			if (*dir != '/' || snprintf(buf, sizeof(buf), "%s/%s",
			    dir, argv0) >= (int)sizeof(buf) ||
			    access(buf, X_OK) == -1 || stat(buf, &sb) == -1 ||
			    (known && (sb.st_dev != self.st_dev ||
			    sb.st_ino != self.st_ino)))
				continue;
			free(path);
			return strdup(buf);
		}
		free(path);
	}
	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/*
 * At start, before anything changes argv (setproctitle): the command
 * line to execute again, where it was given (an upgrade's new binary
 * is told the old one's), and the binary's path.
 */
void
upgrade_init(int argc, char *argv[])
{
	const char	*dir;
	size_t		 len = 0, n;
	char		**a, *p;
	int		 i;

	if ((dir = getenv(UPGRADE_CWD_ENV)) != NULL && dir[0] == '/')
		startdir = strdup(dir);
	else
		startdir = getcwd(NULL, 0);
	/* one block: the array, then the strings */
	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (argc < 0 || (a = malloc((argc + 1) * sizeof(*a) + len)) == NULL)
		return;
	p = (char *)(a + argc + 1);
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]) + 1;
		memcpy(p, argv[i], n);
		a[i] = p;
		p += n;
	}
	a[argc] = NULL;
	args = a;
	binpath = find_self(argc > 0 ? argv[0] : NULL);
}

/* One event=upgrade-failed line, counted; the running superd goes on. */
static void
fail(const char *why)
{
	char	 q[1024];

	log_quote(q, sizeof(q), why);
	log_warnx("event=upgrade-failed error=%s", q);
	metrics_upgrade(0, why);
}

/*
 * superd's environment with name=value in place of any name= in it;
 * NULL with no memory.
 */
static char **
env_with(const char *const *add, int nadd)
{
	char	**env;
	size_t	  n = 0, i, k = 0, len;
	int	  j, skip;

	while (environ[n] != NULL)
		n++;
	if ((env = calloc(n + nadd + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		for (skip = 0, j = 0; j < nadd && !skip; j++) {
			len = strcspn(add[j], "=") + 1;
			skip = strncmp(environ[i], add[j], len) == 0;
		}
		if (!skip)
			env[k++] = environ[i];
	}
	for (j = 0; j < nadd; j++)
		env[k++] = (char *)add[j];
	return env;
}

/* The check's output, its tail kept (its last lines say why). */
static int
check_read(void)
{
	char	 buf[4096];
	ssize_t	 n;

	while ((n = read(check_pipe, buf, sizeof(buf))) > 0) {
		if (check_len + n > sizeof(check_out) - 1) {
			size_t	 drop = check_len + n - (sizeof(check_out) - 1);

			if (drop >= check_len) {
				check_len = 0;
				if ((size_t)n > sizeof(check_out) - 1) {
					memcpy(check_out, buf + n -
					    (sizeof(check_out) - 1),
					    sizeof(check_out) - 1);
					check_len = sizeof(check_out) - 1;
					continue;
				}
			} else {
				memmove(check_out, check_out + drop,
				    check_len - drop);
				check_len -= drop;
			}
		}
		memcpy(check_out + check_len, buf, n);
		check_len += n;
	}
	check_out[check_len] = '\0';
	return n == 0;
}

/* The check ran over its bound: killed, by its pidfd (it is ours). */
static void
check_due(struct timer *t, double now)
{
	(void)t;
	(void)now;
	check_killed = 1;
	(void)syscall(SYS_pidfd_send_signal, check_pidfd, SIGKILL, NULL, 0);
}

/* The last non-empty line of the check's output, for the log. */
static void
last_line(char *dst, size_t size)
{
	char	*end, *start;

	dst[0] = '\0';
	end = check_out + check_len;
	while (end > check_out && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (start = end; start > check_out && start[-1] != '\n'; start--)
		;
	(void)snprintf(dst, size, "%.*s", (int)(end - start), start);
}

/*
 * The answer of a binary that can take an upgrade: does it read a state
 * version this one writes?  1 yes (the newest such in *version), 0 it
 * reads others, -1 it did not answer.
 */
static int
check_hello(char *states, size_t size, int *version)
{
	const char	*p = check_out, *s, *e;
	char		 list[256], *v, *l, *end;
	size_t		 len;
	long		 n;

	*version = 0;
	for (;;) {
		if (strncmp(p, UPGRADE_HELLO " ", strlen(UPGRADE_HELLO) + 1)
		    == 0)
			break;
		if ((p = strchr(p, '\n')) == NULL)
			return -1;
		p++;
	}
	e = p + strcspn(p, "\n");
	if ((s = strstr(p, " states=")) == NULL || s > e)
		return -1;
	s += strlen(" states=");
	/* a list cut short could name a version it did not */
	if ((len = strcspn(s, " \r\n")) == 0 || len >= sizeof(list))
		return -1;
	(void)snprintf(list, sizeof(list), "%.*s", (int)len, s);
	(void)strlcpy(states, list, size);
	for (l = list; (v = strsep(&l, ",")) != NULL;) {
		if (*v < '0' || *v > '9')
			continue;	/* strtol would take "+2" or " 2" */
		n = strtol(v, &end, 10);
		if (*end == '\0' && n >= UPSTATE_OLDEST &&
		    n <= UPSTATE_VERSION && n > *version)
			*version = (int)n;
	}
	return *version != 0;
}

/* The check is over: its pidfd, its pipe and its timer go. */
static void
check_close(void)
{
	poll_del(check_pidfd);
	(void)close(check_pidfd);
	if (check_pipe != -1) {
		poll_del(check_pipe);
		(void)close(check_pipe);
	}
	check_pidfd = check_pipe = -1;
	check_pid = -1;
	timer_clear(&check_timer);
}

/*
 * The check has exited: reaped (under -r the orphan reaper may have
 * been first: its answer then says it all), and judged.
 */
static void
check_end(double now)
{
	siginfo_t	 si;
	char		 why[1024], line[512], states[256];
	int		 reaped, hello;

	memset(&si, 0, sizeof(si));
	reaped = waitid(P_PIDFD, check_pidfd, &si, WEXITED | WNOHANG) == 0;
	if (reaped && si.si_pid == 0)
		return;		/* not gone after all */
	if (check_pipe != -1)
		(void)check_read();
	check_close();
	last_line(line, sizeof(line));
	hello = check_hello(states, sizeof(states), &due_version);
	if (check_killed)
		(void)snprintf(why, sizeof(why), "%s -t gave no answer in %d "
		    "s: killed", binpath, UPGRADE_CHECK_SECS);
	else if (reaped && si.si_code != CLD_EXITED)
		(void)snprintf(why, sizeof(why), "%s -t was killed by SIG%s",
		    binpath, log_signame(si.si_status));
	else if (reaped && si.si_status != 0)
		(void)snprintf(why, sizeof(why), "%s -t exited %d%s%s", binpath,
		    si.si_status, line[0] != '\0' ? ": " : "", line);
	else if (hello == -1)
		(void)snprintf(why, sizeof(why), "%s does not say which state "
		    "versions it reads: not a superd that upgrades in place",
		    binpath);
	else if (hello == 0)
		(void)snprintf(why, sizeof(why), "%s reads state versions %s, "
		    "not %d to %d", binpath, states, UPSTATE_OLDEST,
		    UPSTATE_VERSION);
	else {
		due = 1;
		due_since = now;
		return;
	}
	bin_close();
	fail(why);
}

/* The check's pipe or its pidfd is ready. */
void
upgrade_event(struct evsrc *src, double now)
{
	if (src == &pipe_ev && check_pipe != -1) {
		if (check_read()) {
			poll_del(check_pipe);
			(void)close(check_pipe);
			check_pipe = -1;
		}
		return;
	}
	if (src == &pid_ev && check_pidfd != -1)
		check_end(now);
}

/* The binary's descriptor, closed: no upgrade is under way. */
static void
bin_close(void)
{
	if (bin_fd != -1)
		(void)close(bin_fd);
	bin_fd = -1;
}

/*
 * The binary to upgrade to, opened once: its path resolved (a package's
 * /usr/sbin/superd may be a symbolic link), then walked from / as
 * chroot= is (contain.c): the file and every directory above it owned
 * by root or superd's own user and writable by no one else, or another
 * user could make root run their program.  Both the check and the
 * execve use this descriptor, never the path again: a file renamed over
 * it meanwhile is not the one executed.  -1 when refused (logged).
 */
static int
bin_open(void)
{
	char		 real[PATH_MAX], why[PATH_MAX + 128];
	struct stat	 st;

	bin_close();
	if (realpath(binpath, real) == NULL) {
		(void)snprintf(why, sizeof(why), "%s: %s", binpath,
		    strerror(errno));
		fail(why);
		return -1;
	}
	if (contain_owned(real, "binary", &bin_fd, why, sizeof(why)) == -1) {
		bin_fd = -1;
		fail(why);
		return -1;
	}
	bin_fd = fd_high(bin_fd);
	if (fstat(bin_fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)snprintf(why, sizeof(why), "%s is not a regular file",
		    real);
		bin_close();
		fail(why);
		return -1;
	}
	/* the parent's descriptor, which the check's child (a script's
	   interpreter too) opens by this name while superd holds it */
	(void)snprintf(bin_proc, sizeof(bin_proc), "/proc/%d/fd/%d",
	    (int)getpid(), bin_fd);
	return 0;
}

/*
 * SIGUSR2: the new binary's check started, table being the running
 * table's absolute path; the loop goes on meanwhile.  Refused while
 * superd is ending (-k).
 */
void
upgrade_signal(const char *table, int ending, double now)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 none, all;
	const char			*add[1] = { UPGRADE_CHECK_ENV "=1" };
	char				*argv[4], **env, why[PATH_MAX + 64];
	int				 p[2], rc;

	if (ending) {
		fail("superd is ending");
		return;
	}
	if (check_pid != -1 || due) {
		fail("an upgrade is in progress already: this one is refused");
		return;
	}
	if (binpath == NULL || args == NULL) {
		fail("superd does not know the path it was started from");
		return;
	}
	if (strcmp(table, "-") == 0) {
		fail("the table was read from standard input: the new binary "
		    "could not read it");
		return;
	}
	if (bin_open() == -1)
		return;
	if ((env = env_with(add, 1)) == NULL) {
		fail(strerror(errno));
		bin_close();
		return;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		fail(strerror(errno));
		free(env);
		bin_close();
		return;
	}
	(void)sigemptyset(&none);
	(void)sigfillset(&all);
	(void)posix_spawn_file_actions_init(&fa);
	(void)posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
	    0);
	(void)posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	(void)posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	(void)posix_spawnattr_init(&attr);
	(void)posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	(void)posix_spawnattr_setsigmask(&attr, &none);
	(void)posix_spawnattr_setsigdefault(&attr, &all);
	argv[0] = binpath;
	argv[1] = "-t";
	argv[2] = (char *)table;
	argv[3] = NULL;
	/* the very file checked, by superd's descriptor of it */
	rc = posix_spawn(&check_pid, bin_proc, &fa, &attr, argv, env);
	(void)posix_spawn_file_actions_destroy(&fa);
	(void)posix_spawnattr_destroy(&attr);
	free(env);
	(void)close(p[1]);
	if (rc != 0) {
		(void)close(p[0]);
		bin_close();
		check_pid = -1;
		(void)snprintf(why, sizeof(why), "%s: %s", binpath,
		    strerror(rc));
		fail(why);
		return;
	}
	check_pipe = fd_high(p[0]);
	(void)fcntl(check_pipe, F_SETFL, O_NONBLOCK);
	/* not reaped yet: the pid is still this child's */
	if ((check_pidfd = (int)syscall(SYS_pidfd_open, check_pid, 0)) == -1) {
		(void)kill(check_pid, SIGKILL);
		(void)waitpid(check_pid, NULL, 0);
		(void)close(check_pipe);
		check_pipe = -1;
		check_pid = -1;
		bin_close();
		fail("pidfd_open: the check could not be watched");
		return;
	}
	check_pidfd = fd_high(check_pidfd);
	check_len = 0;
	check_killed = 0;
	if (poll_add(check_pidfd, EPOLLIN, &pid_ev) == -1 ||
	    poll_add(check_pipe, EPOLLIN, &pipe_ev) == -1) {
		(void)syscall(SYS_pidfd_send_signal, check_pidfd, SIGKILL,
		    NULL, 0);
		(void)waitid(P_PIDFD, check_pidfd, NULL, WEXITED);
		check_close();
		bin_close();
		fail("epoll: the check could not be watched");
		return;
	}
	timer_init(&check_timer, check_due, NULL);
	timer_set(&check_timer, now + UPGRADE_CHECK_SECS);
	log_info("event=upgrade-check binary=%s pid=%d", log_str(binpath),
	    (int)check_pid);
}

/*
 * superd is ending (SIGTERM, SIGINT): a check still running is killed by
 * its pidfd and reaped (SIGKILL ends it but for a process stuck in the
 * kernel: 1 s at most is waited), and an execve due is not.
 */
void
upgrade_cancel(void)
{
	siginfo_t	 si;
	int		 i;

	due = 0;
	timer_clear(&busy_timer);
	bin_close();
	if (check_pidfd == -1)
		return;
	(void)syscall(SYS_pidfd_send_signal, check_pidfd, SIGKILL, NULL, 0);
	for (i = 0; i < 500; i++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PIDFD, check_pidfd, &si, WEXITED | WNOHANG) ==
		    -1 || si.si_pid != 0)
			break;
		(void)usleep(2000);
	}
	check_close();
	fail("superd is ending: the check was killed");
}

/* Has the check passed, the execve due at the end of this turn? */
int
upgrade_due(void)
{
	return due;
}

/* Close-on-exec on (on) or off for each of fds; -1 when one failed. */
static int
set_cloexec(const int *fds, int n, int on)
{
	int	 i, rc = 0;

	for (i = 0; i < n; i++)
		if (fcntl(fds[i], F_SETFD, on ? FD_CLOEXEC : 0) == -1)
			rc = -1;
	return rc;
}

static void
busy_due(struct timer *t, double now)
{
	(void)t;
	(void)now;
}

/* What is not carried goes as at exit: closed, its lines written. */
static void
close_uncarried(double now)
{
	struct service	*sv;

	ctl_stop();
	TAILQ_FOREACH(sv, services_list(), sv_entry) {
		held_drop(sv, now);
		proxy_forget(sv, now);
	}
	errlog_orphans_stop(now);
}

/*
 * The check passed: the state written, and this process becomes the
 * new binary.  Returns only when it did not (the old one serves on).
 */
void
upgrade_exec(double now)
{
	char		 sfd[64], tfd[64], nfy[128], msg[64];
	char		 why[PATH_MAX + 64];
	char		*cwd = NULL;
	const char	*add[4];
	char		**env;
	int		*fds = NULL, nfds = 0, fd, tab, nadd = 0, saved;

	if (spawn_busy() || ctl_busy()) {
		if (now - due_since < BUSY_SECS) {
			timer_init(&busy_timer, busy_due, NULL);
			timer_set(&busy_timer, now + BUSY_STEP);
			return;
		}
		if (spawn_busy()) {
			due = 0;
			bin_close();
			fail("children still between their clone and execve "
			    "after 1 s");
			return;
		}
	}
	due = 0;
	if ((fd = upgrade_write(now, due_version, &fds, &nfds)) == -1) {
		(void)snprintf(why, sizeof(why), "the state: %s",
		    strerror(errno));
		bin_close();
		fail(why);
		return;
	}
	/* what the new binary serves should its table fail to load */
	if ((tab = upgrade_write_table()) == -1) {
		(void)snprintf(why, sizeof(why), "the running table: %s",
		    strerror(errno));
		(void)close(fd);
		free(fds);
		bin_close();
		fail(why);
		return;
	}
	(void)snprintf(sfd, sizeof(sfd), UPGRADE_STATE_ENV "=%d", fd);
	add[nadd++] = sfd;
	(void)snprintf(tfd, sizeof(tfd), UPGRADE_TABLE_ENV "=%d", tab);
	add[nadd++] = tfd;
	/* the command line's relative paths are relative to it */
	if (startdir != NULL && asprintf(&cwd, UPGRADE_CWD_ENV "=%s",
	    startdir) != -1)
		add[nadd++] = cwd;
	if (notify_socket() != NULL) {
		(void)snprintf(nfy, sizeof(nfy), "NOTIFY_SOCKET=%s",
		    notify_socket());
		add[nadd++] = nfy;
	}
	if ((env = env_with(add, nadd)) == NULL ||
	    set_cloexec(fds, nfds, 0) == -1 || set_cloexec(&fd, 1, 0) == -1 ||
	    set_cloexec(&tab, 1, 0) == -1 ||
	    set_cloexec(&bin_fd, 1, 0) == -1) {
		saved = errno;
		(void)set_cloexec(fds, nfds, 1);
		(void)close(fd);
		(void)close(tab);
		free(fds);
		free(env);
		free(cwd);
		(void)snprintf(why, sizeof(why), "the descriptors: %s",
		    strerror(saved));
		bin_close();
		fail(why);
		return;
	}
	(void)snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)(timer_now() * 1e6));
	notify_send(msg);
	close_uncarried(now);
	log_info("event=upgrade-exec binary=%s services=%d children=%d",
	    log_str(binpath), services_count(), child_count());
	log_flush();
	/*
	 * The file checked, by its descriptor (a script's interpreter is
	 * given /dev/fd/N, hence not close-on-exec; the new binary closes
	 * what its state does not name).
	 */
	(void)syscall(SYS_execveat, bin_fd, "", args, env, AT_EMPTY_PATH);
	saved = errno;
	bin_close();
	(void)set_cloexec(fds, nfds, 1);
	(void)close(fd);
	(void)close(tab);
	free(fds);
	free(env);
	free(cwd);
	(void)snprintf(why, sizeof(why), "execve %s: %s", binpath,
	    strerror(saved));
	fail(why);
	notify_send("READY=1");
}
