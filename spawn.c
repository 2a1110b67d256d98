/*
 * spawn.c: starting a service's child: the spawn slots, clone(2), and
 * the child's path from clone to execve.
 *
 * Everything the child needs is prepared in the parent: argv at load,
 * the constant part of the environment once per service and the
 * connection variables just before each spawn (spawnenv.c), what it
 * must not inherit from superd at start-up (here).
 *
 * The child is started with clone(2) and CLONE_VM: it borrows the
 * parent's memory until it calls execve, so a spawn copies no page table
 * and its cost does not grow with the parent's size as fork's does.  It
 * is not CLONE_VFORK: the parent goes on accepting while the child runs
 * up to its execve on the other CPU.  Each child in flight has a slot of
 * its own (a stack, its environment, a pinned svconf) that the kernel
 * marks free when the child execs or exits (CLONE_CHILD_CLEARTID).
 *
 * The parent never waits for a child.  When every slot is in use the
 * caller stops accepting until one is free (spawn_ready), and a child
 * that has not reached execve SPAWN_DEADLINE seconds after its clone (a
 * process of the service's uid can SIGSTOP it after its setuid) is
 * killed through its pidfd to take its slot back (spawn_reclaim).
 *
 * A child whose execve fails with EAGAIN (its user is over RLIMIT_NPROC,
 * which setuid lets through) sends its connection back to the parent
 * before it exits, and the parent tries it again (spawnback.c).
 *
 * The descriptor table: a short one (a few listeners and children) is
 * copied by clone, and the parent closes its copy of the socket at once.
 * A long one (10,000 listeners, or a pidfd per running child) is shared
 * (CLONE_FILES) instead, and the child first takes a private table of
 * only the descriptors up to its socket's, which is a low one: superd
 * keeps its long-lived descriptors at SPAWN_FDTOP and above (fd.c), so
 * the low ones are connections (a copy the parent keeps for linger= or
 * idle= is moved up there too).  The parent then keeps its copy of the
 * socket until the child says, in its slot, that it has its table; when
 * the parent would sleep first, the child wakes it with an eventfd.  The
 * eventfd and the children's end of the way back are made first, below
 * every connection's descriptor, and so are in the child's table too.
 *
 * Between clone and execve the child runs beside the parent in the same
 * memory.  It makes only raw system calls (sys.h; a libc wrapper would
 * set the parent's errno), reads only what its slot names and what
 * start-up prepared here, and writes only its slot's state, its failure
 * record (spawnfail.c) and its own
 * stack.  It ends in execve or _exit: 127 when the program is not there,
 * 126 for any other failure.  Built-in stream services, and every child
 * under valgrind or on a CPU sys.h has no system calls for, run in a
 * forked child (no CLONE_VM) instead.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <linux/close_range.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"
#include "sys.h"
#include "spawnint.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>	/* RUNNING_ON_VALGRIND: no-op natively */
#else
#define RUNNING_ON_VALGRIND	0
#endif

/* A slot's state, the parent's and the child's handshake. */
#define SLOT_CLONED	0	/* the child may still use the shared table */
#define SLOT_UNSHARED	1	/* the child has its own: close ours */
#define SLOT_WAKE	2	/* the parent sleeps: child, write the eventfd */

/* What one child reads between clone and execve. */
struct spawn_slot {
	pid_t		 sl_tid;	/* nonzero until exec or exit */
	int		 sl_state;	/* SLOT_* */
	int		 sl_sock;	/* the child's socket */
	int		 sl_fd;		/* the parent's copy; -1 once closed */
	int		 sl_errw;	/* stderr=log: the pipe's write end, the
					   child's fd 2; -1, or ERRFD_NULL */
	int		 sl_errlow;	/* the parent's low read end, closed
					   with sl_fd; -1: none */
	pid_t		 sl_pid;
	int		 sl_pidfd;	/* open while sl_tid is nonzero */
	int		 sl_killed;	/* SIGKILL sent: past its deadline */
	double		 sl_start;	/* when it was cloned */
	struct service	*sl_sv;		/* outlives an unreaped child */
	struct svconf	*sl_cf;		/* pinned until the slot is reused */
	char		*sl_stack;
	struct spawn_env sl_env;	/* its envp */
	struct spawn_fail *sl_fail;	/* in fails[] */
	unsigned int	 sl_gen;	/* its record's f_gen at the clone */
	struct cgjoin	 sl_cg;		/* the cgroup it joins (cgroup.c) */
	int		 sl_nsfd[NSPOOL_NS]; /* its pool's set (nspool.c), -1
					   each: none; kept until reuse */
	int		 sl_pooled;	/* the clone flags the set stands for */
	int		 sl_nsheld;	/* the parent's copies still open */
	long		 sl_nfds;	/* metrics: superd's descriptors, */
	long		 sl_maxfds;	/* and their limit; -1: unknown */
};

#define SPAWN_DEADLINE	1.0		/* seconds from clone to execve */
#define SPAWN_SHARE_AT	128		/* share a table this long, or longer */
#define SLOT_STACK	(16 * 1024)	/* raw system calls need little */
#define SYNC_STACK	(256 * 1024)	/* a built-in runs on it for good */

static struct spawn_slot	 slots[SPAWN_SLOTS];
static int			 nslots;	/* with a stack */
static int			 npending;	/* sl_fd still open */
static struct spawn_slot	 sync_slot;	/* a forked child's */
static unsigned long		 nreclaimed;	/* children killed for a slot */
static int			 sync_only;	/* under valgrind */
static unsigned int		 spawn_gen;	/* the last clone's f_gen */

static struct evsrc	 spawn_ev = { EV_SPAWN };
static int		 spawn_evfd = -1;	/* a child wakes the parent */

/* The children's end of the way back (spawnback.c), low with the eventfd. */
static int		 back_child = -1;

/*
 * pty's relay, superd-pty (ptyrelay.c), opened at start-up beside the
 * eventfd, below every connection, so that it is in every child's
 * short table and a pty child can execveat(2) it whatever its chroot=
 * or mounts hide; -1: not found.  The master goes to descriptor 3.
 */
static int		 relay_fd = -1;
#define RELAY_NAME	"superd-pty"
#define RELAY_MASTER	3

/* What a child must not inherit from superd, prepared at start-up. */
static uint64_t		 sig_ignored;	/* bit n-1: signal n is SIG_IGN */
static struct {
	uint64_t	 rl_cur, rl_max;	/* the kernel's rlimit64 */
}			 nofile;
static int		 nofile_reset;	/* superd raised its own */

/*
 * The relay superd-pty, opened O_PATH: beside superd's own executable
 * (a build directory, or an install of both), else in SUPERD_LIBEXEC.
 * Only a regular, executable file that its owner (root or superd's
 * user) alone may write: a child execs it as the service's user.
 */
static int
relay_open(void)
{
	char		 self[PATH_MAX], path[PATH_MAX + sizeof(RELAY_NAME)];
	const char	*cand[2];
	struct stat	 st;
	ssize_t		 n;
	char		*slash;
	int		 fd, i, nc = 0;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			(void)snprintf(path, sizeof(path), "%s/%s", self,
			    RELAY_NAME);
			cand[nc++] = path;
		}
	}
	cand[nc++] = SUPERD_LIBEXEC "/" RELAY_NAME;
	for (i = 0; i < nc; i++) {
		if ((fd = open(cand[i], O_PATH | O_CLOEXEC)) == -1)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111) != 0 && (st.st_mode & 022) == 0 &&
		    (st.st_uid == 0 || st.st_uid == geteuid()))
			return fd;
		(void)close(fd);
	}
	return -1;
}

/*
 * The eventfd, the way back (spawnback.c) and the sync slot's stack.
 * Called before superd opens anything else, so the eventfd and the
 * children's end of the way back are the lowest descriptors above stdio
 * (3 and 4) and every connection lands above them: they are the two
 * long-lived descriptors fd.c leaves below SPAWN_FDTOP.
 */
int
spawn_init(void)
{
	struct spawn_fail	*fails;
	int			 i;

	if ((fails = spawnfail_init()) == NULL)
		return -1;
	for (i = 0; i < SPAWN_SLOTS; i++) {
		slots[i].sl_fd = -1;
		slots[i].sl_nsfd[0] = slots[i].sl_nsfd[1] = -1;
		slots[i].sl_nsfd[2] = slots[i].sl_nsfd[3] = -1;
		slots[i].sl_errw = -1;
		slots[i].sl_errlow = -1;
		slots[i].sl_fail = &fails[i];
	}
	sync_slot.sl_fd = -1;
	sync_slot.sl_nsfd[0] = sync_slot.sl_nsfd[1] = -1;
	sync_slot.sl_nsfd[2] = sync_slot.sl_nsfd[3] = -1;
	sync_slot.sl_errw = -1;
	sync_slot.sl_errlow = -1;
	sync_slot.sl_fail = &fails[SPAWN_SLOTS];
	/*
	 * valgrind(1) runs a clone(2) with CLONE_VM only as a thread or as
	 * vfork(2): under it every spawn forks (no CLONE_VM).
	 */
	sync_only = RUNNING_ON_VALGRIND != 0;
	if ((sync_slot.sl_stack = malloc(SYNC_STACK)) == NULL)
		return -1;
	spawn_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (spawn_evfd == -1)
		return -1;
	if ((back_child = back_open()) == -1)
		return -1;
	relay_fd = relay_open();
	/* descriptor 3 is the master's in a pty child: none of these */
	if (relay_fd == RELAY_MASTER || back_child == RELAY_MASTER) {
		if (relay_fd != -1)
			(void)close(relay_fd);
		relay_fd = -1;
	}
	return 0;
}

/*
 * A pty service needs the relay: an error of its line at load when
 * superd found none at start-up.
 */
int
spawn_pty_check(const struct svconf *cf, char *why, size_t len)
{
	if (!(cf->cf_pty & PTY_ON) || relay_fd != -1)
		return 0;
	(void)snprintf(why, len, "pty: no relay %s beside superd's own "
	    "executable nor in %s (make install puts it there), owned by "
	    "root or superd's user and writable by no one else",
	    RELAY_NAME, SUPERD_LIBEXEC);
	return -1;
}

/*
 * The signals superd ignores (SIGPIPE; start-up reset the rest): each
 * child sets them back to the default, as exec(2) keeps SIG_IGN.  Called
 * once the parent's dispositions are final.
 */
void
spawn_signals(void)
{
	struct sigaction	 sa;
	int			 sig;

	sig_ignored = 0;
	for (sig = 1; sig <= 64 && sig < NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sig_ignored |= (uint64_t)1 << (sig - 1);
}

/* The RLIMIT_NOFILE superd started with: its children get it back. */
void
spawn_nofile(const struct rlimit *rl)
{
	nofile.rl_cur = rl->rlim_cur;
	nofile.rl_max = rl->rlim_max;
	nofile_reset = 1;
}

CHILD_FN static void __attribute__((noreturn))
child_exit(int status)
{
	for (;;)
		(void)sys3(SYS_exit_group, status, 0, 0);
}

/*
 * A containment step failed with -r: say which in the slot's record for
 * the exit line (text: what it was on, copied, cut to fit), then exit
 * 126 before exec.
 */
CHILD_FN static void __attribute__((noreturn))
child_fail(struct spawn_slot *slot, int step, int i, long r, const char *text)
{
	const struct svconf	*cf = slot->sl_cf;
	struct spawn_fail	*f = slot->sl_fail;
	int			 n = 0;

	f->f_cgen = slot->sl_gen;
	/* a loop with an exit on the data: never made a libc call */
	if (text != NULL)
		for (; n < STEP_TEXTLEN - 1 && text[n] != '\0'; n++)
			f->f_text[n] = text[n];
	f->f_text[n] = '\0';
	f->f_errno = (int)-r;
	f->f_res = 0;
	f->f_arg = 0;
	if (step == STEP_NICE)
		f->f_arg = cf->cf_nice;
	else if (step == STEP_RLIMIT) {
		f->f_res = cf->cf_rlim[i].cr_res;
		f->f_arg = (long long)cf->cf_rlim[i].cr_lim[0];
	} else if (step == STEP_SETGROUPS)
		f->f_arg = cf->cf_ngroups;
	else if (step == STEP_SETGID)
		f->f_arg = cf->cf_gid;
	else if (step == STEP_SETUID)
		f->f_arg = cf->cf_uid;
	/* last: the parent stored the pid; getpid() may say 1 here */
	__atomic_store_n(&f->f_step, step, __ATOMIC_RELEASE);
	child_exit(126);
}

/*
 * The metrics built-in's child, first thing: how many descriptors superd
 * holds and their limit, for superd_open_fds and superd_max_fds.  Its
 * table is still the copy of superd's its fork made, its limit still
 * superd's.  poll(2) with no events says POLLNVAL of each number that is
 * not open, up to the table's size (FDSize in /proc/self/status), or
 * else the limit.  Not a listing of /proc/self/fd: each of its entries
 * is a dentry that the parent's waitid(2) would have to evict at the
 * reap (a millisecond a thousand descriptors).  -1 for what it cannot
 * tell.
 */
#define COUNT_CHUNK	256

CHILD_FN static void
child_count_fds(struct spawn_slot *slot)
{
	struct pollfd	 pfd[COUNT_CHUNK];
	struct timespec	 zero = { 0, 0 };
	char		 buf[4096];
	uint64_t	 lim[2] = { RLIM_INFINITY, RLIM_INFINITY };
	long		 n, size = -1, count = 0, at, i, k;
	int		 sfd;

	slot->sl_nfds = slot->sl_maxfds = -1;
	if (sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, lim) >= 0 &&
	    lim[0] != RLIM_INFINITY)
		slot->sl_maxfds = (long)lim[0];
	sfd = (int)sys4(SYS_openat, AT_FDCWD, "/proc/self/status",
	    O_RDONLY | O_CLOEXEC, 0);
	if (sfd >= 0) {
#ifdef __clang_analyzer__
		/* scan-build cannot see the raw read(2) fill it */
		__builtin_memset(buf, 0, sizeof(buf));
#endif
		n = sys3(SYS_read, sfd, buf, sizeof(buf) - 1);
		(void)sys3(SYS_close, sfd, 0, 0);
		for (i = 0; i + 7 < n; i++) {
			if ((i > 0 && buf[i - 1] != '\n') ||
			    buf[i] != 'F' || buf[i + 1] != 'D' ||
			    buf[i + 2] != 'S' || buf[i + 5] != 'e' ||
			    buf[i + 6] != ':')
				continue;
			for (i += 7, size = 0; i < n && (buf[i] == ' ' ||
			    buf[i] == '\t'); i++)
				;
			for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
				size = size * 10 + buf[i] - '0';
			break;
		}
	}
	if (size <= 0)
		size = slot->sl_maxfds;
	if (size <= 0)
		return;
	for (at = 0; at < size; at += k) {
		k = size - at < COUNT_CHUNK ? size - at : COUNT_CHUNK;
		for (i = 0; i < k; i++) {
			pfd[i].fd = (int)(at + i);
			pfd[i].events = 0;
			pfd[i].revents = 0;
		}
		/* ppoll, not poll: every CPU has it; no wait, no mask */
		if (sys4(SYS_ppoll, pfd, k, &zero, NULL) < 0)
			return;
		for (i = 0; i < k; i++)
			if (!(pfd[i].revents & POLLNVAL))
				count++;
	}
	slot->sl_nfds = count;
}

/*
 * A pty child's descriptors for its relay: the master on RELAY_MASTER
 * (3), not close-on-exec, 0 to 2 as for any program, and until execveat
 * the way back and the relay itself (both close-on-exec, above 3, made
 * at start-up: spawn_init); nothing else.
 */
CHILD_FN static void
child_pty_fds(int ptm)
{
	int	 lo, hi;

	if (relay_fd < 0)	/* the table's check said so at load */
		child_exit(127);
	if (ptm != RELAY_MASTER) {
		if (sys3(SYS_dup3, ptm, RELAY_MASTER, 0) < 0)
			child_exit(126);
	} else if (sys3(SYS_fcntl, ptm, F_SETFD, 0) < 0)
		child_exit(126);
	lo = back_child < relay_fd ? back_child : relay_fd;
	hi = back_child < relay_fd ? relay_fd : back_child;
	if ((lo > RELAY_MASTER + 1 &&
	    sys3(SYS_close_range, RELAY_MASTER + 1, lo - 1, 0) < 0) ||
	    (hi > lo + 1 && sys3(SYS_close_range, lo + 1, hi - 1, 0) < 0) ||
	    sys3(SYS_close_range, hi + 1, ~0U, 0) < 0)
		child_exit(126);
}

/*
 * The child, from clone to execve, beside the parent in its memory: raw
 * system calls on what the slot names and what start-up prepared (the
 * signals to reset, the descriptor limit, the eventfd, the way back), no
 * libc, no stores but the slot's state, its failure record and this
 * stack.  A built-in, in a
 * forked child with memory of its own, goes on in internal_stream.
 */
CHILD_FN static int
child_main(void *arg)
{
	struct spawn_slot	*slot = arg;
	const struct svconf	*cf = slot->sl_cf;
	int			 fd = slot->sl_sock, null = -1, ptm = -1;
	int			 errw = slot->sl_errw;
	struct ksigaction	 dfl;
	unsigned long		 nomask = 0;
	uint64_t		 one = 1;
	const char		*what;
	long			 r;
	int			 i, sig, step, cfd, top, nsfd[NSPOOL_NS];

	/* a built-in is always forked: this stores in its own memory */
	if (cf->cf_builtin == BI_METRICS)
		child_count_fds(slot);
	/*
	 * private-network=shared: into the service's network namespace,
	 * by its descriptor (a high one, not in the table cut below)
	 */
	if (cf->cf_netns > 0 && (r = sys3(SYS_setns, cf->cf_netns,
	    CLONE_NEWNET, 0)) < 0)
		child_fail(slot, STEP_NETNS, 0, r, "setns");
	/*
	 * A table shared with the parent (CLONE_FILES) becomes a private
	 * one first, holding only the descriptors up to the socket's (or
	 * the stderr pipe's, or its pool set's: all low ones); a copied
	 * one is cut there.
	 */
	top = errw > fd ? errw : fd;
	for (i = 0; i < NSPOOL_NS; i++)
		if ((nsfd[i] = slot->sl_nsfd[i]) > top)
			top = nsfd[i];
	if (sys3(SYS_close_range, top + 1, ~0U, CLOSE_RANGE_UNSHARE) < 0)
		child_exit(126);
	/* The parent may close its copy now; wake it if it sleeps. */
	if (__atomic_exchange_n(&slot->sl_state, SLOT_UNSHARED,
	    __ATOMIC_SEQ_CST) == SLOT_WAKE)
		(void)sys3(SYS_write, spawn_evfd, &one, sizeof(one));
	/*
	 * superd installs no handler and reset every disposition at
	 * start-up, so what it ignores (sig_ignored: SIGPIPE) is all that
	 * differs from the default here.
	 */
	dfl.ks_handler = SIG_DFL;
	dfl.ks_flags = 0;
	dfl.ks_restorer = NULL;
	dfl.ks_mask = 0;
	for (sig = 1; sig <= 64; sig++)
		if ((sig_ignored & ((uint64_t)1 << (sig - 1))) != 0 &&
		    sys4(SYS_rt_sigaction, sig, &dfl, NULL,
		    sizeof(nomask)) < 0)
			child_exit(126);
	if (sys3(SYS_setsid, 0, 0, 0) < 0)
		child_exit(126);
	/* superd raised its own descriptor limit for its listeners */
	if (nofile_reset && sys4(SYS_prlimit64, 0, RLIMIT_NOFILE, &nofile,
	    NULL) < 0)
		child_exit(126);
	/*
	 * memory= and tasks=: into the cgroup the parent made, by writing
	 * 0 (the writer) to its cgroup.procs, before anything it limits
	 */
	for (i = 0; i < slot->sl_cg.cj_n; i++) {
		cfd = (int)sys4(SYS_openat, AT_FDCWD, slot->sl_cg.cj_procs[i],
		    O_WRONLY | O_CLOEXEC, 0);
		if (cfd < 0)
			child_fail(slot, STEP_CGROUP, i, cfd,
			    slot->sl_cg.cj_procs[i]);
		r = sys3(SYS_write, cfd, "0", 1);
		(void)sys3(SYS_close, cfd, 0, 0);
		if (r < 0)
			child_fail(slot, STEP_CGROUP, i, r,
			    slot->sl_cg.cj_procs[i]);
	}
	/*
	 * opened before a chroot, which need not have a /dev; also for
	 * stderr=log when superd could make no pipe (ERRFD_NULL)
	 */
	if ((cf->cf_stderr == STDERR_NULL || errw == ERRFD_NULL) &&
	    (null = (int)sys4(SYS_openat,
	    AT_FDCWD, "/dev/null", O_WRONLY | O_CLOEXEC, 0)) < 0)
		child_fail(slot, STEP_DEVNULL, 0, null, "/dev/null");
	/* pty: the master of a new terminal, before a chroot too */
	if ((cf->cf_pty & PTY_ON) && (ptm = (int)sys4(SYS_openat, AT_FDCWD,
	    "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0)) < 0)
		child_fail(slot, STEP_PTY, 0, ptm, "/dev/ptmx");
	/* the namespaces the clone made, their mounts, chroot= */
	if (cf->cf_clone != 0 || cf->cf_chroot != NULL) {
		step = 0;
		what = NULL;
		if ((r = spawnns_enter(cf, slot->sl_pooled, nsfd, &step,
		    &what)) < 0)
			child_fail(slot, step, 0, r, what);
	}
	/* the table's containment: nice, the rlimits, the umask */
	if (cf->cf_has_nice && (r = sys3(SYS_setpriority, PRIO_PROCESS, 0,
	    cf->cf_nice)) < 0)
		child_fail(slot, STEP_NICE, 0, r, NULL);
	for (i = 0; i < cf->cf_nrlim; i++)
		if ((r = sys4(SYS_prlimit64, 0, cf->cf_rlim[i].cr_res,
		    cf->cf_rlim[i].cr_lim, NULL)) < 0)
			child_fail(slot, STEP_RLIMIT, i, r, NULL);
	if (cf->cf_umask != -1)
		(void)sys3(SYS_umask, cf->cf_umask, 0, 0);
	if (sys3(SYS_dup3, fd, STDIN_FILENO, 0) < 0 ||
	    sys3(SYS_dup3, fd, STDOUT_FILENO, 0) < 0)
		child_exit(126);
	if (cf->cf_stderr == STDERR_SOCKET) {
		if (sys3(SYS_dup3, fd, STDERR_FILENO, 0) < 0)
			child_exit(126);
	} else if (null != -1) {
		if (sys3(SYS_dup3, null, STDERR_FILENO, 0) < 0)
			child_exit(126);
	} else if (errw >= 0) {
		/*
		 * stderr=log: the pipe's write end, made O_NONBLOCK with its
		 * read end by pipe2(2), blocks again as a pipe a program
		 * writes to should (its own open file, not superd's end)
		 */
		if (sys3(SYS_fcntl, errw, F_SETFL, 0) < 0 ||
		    sys3(SYS_dup3, errw, STDERR_FILENO, 0) < 0)
			child_exit(126);
	}
	if (cf->cf_setuser) {
		if ((r = sys3(SYS_setgroups, cf->cf_ngroups, cf->cf_groups,
		    0)) < 0)
			child_fail(slot, STEP_SETGROUPS, 0, r, NULL);
		if ((r = sys3(SYS_setgid, cf->cf_gid, 0, 0)) < 0)
			child_fail(slot, STEP_SETGID, 0, r, NULL);
		if ((r = sys3(SYS_setuid, cf->cf_uid, 0, 0)) < 0)
			child_fail(slot, STEP_SETUID, 0, r, NULL);
	}
	if (sys4(SYS_rt_sigprocmask, SIG_SETMASK, &nomask, NULL,
	    sizeof(nomask)) < 0)
		child_exit(126);
	/* nothing but 0, 1 and 2, whatever close-on-exec says... */
	if (cf->cf_builtin != BI_NONE) {
		if (sys3(SYS_close_range, 3, ~0U, 0) < 0)
			child_exit(126);
		if (cf->cf_builtin == BI_METRICS)
			metrics_fds(slot->sl_nfds, slot->sl_maxfds);
		internal_stream(cf->cf_builtin, STDIN_FILENO);
	}
	/* ...and the way back until execve, which closes it */
	if (ptm >= 0)
		child_pty_fds(ptm);
	else if ((back_child > 3 &&
	    sys3(SYS_close_range, 3, back_child - 1, 0) < 0) ||
	    sys3(SYS_close_range, back_child + 1, ~0U, 0) < 0)
		child_exit(126);
	/* after the uid change, the last step before execve */
	if (cf->cf_nnp && (r = sys6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0,
	    0, 0)) < 0)
		child_fail(slot, STEP_NNP, 0, r, NULL);
	/* pty: the relay, by its descriptor, runs the program (ptyrelay.c) */
	if (ptm >= 0)
		r = sys6(SYS_execveat, relay_fd, (long)"", (long)cf->cf_ptyargv,
		    (long)slot->sl_env.se_envp, AT_EMPTY_PATH, 0);
	else
		r = sys3(SYS_execve, cf->cf_program, cf->cf_argv,
		    slot->sl_env.se_envp);
	if (r == -EAGAIN)
		child_back(back_child);
	child_exit(r == -ENOENT ? 127 : 126);
}

/*
 * The parent's copy of a slot's socket goes, and of its stderr pipe's
 * write end and low read end: the child has its own.
 */
static void
slot_close(struct spawn_slot *slot)
{
	int	 fds[3];

	if (slot->sl_nsheld) {
		/* sl_nsfd stays as the child may still read it */
		fd_close_set(slot->sl_nsfd, NSPOOL_NS);
		slot->sl_nsheld = 0;
	}

	fds[0] = slot->sl_fd;
	fds[1] = slot->sl_errw;
	fds[2] = slot->sl_errlow;
	fd_close_set(fds, 3);
	slot->sl_fd = -1;
	slot->sl_errw = -1;
	slot->sl_errlow = -1;
	npending--;
}

/*
 * After the clone of a child with a table of its own: the parent's
 * copies of its socket and of its stderr pipe's ends go, and the pidfd
 * moves up (fd.c) with the low number it took closed along with them,
 * in one close_range(2) when the four are consecutive, as they are when
 * each took the lowest free number (spawn_child).
 */
static void
spawn_closefds(int fd, const int *errfd, int *pidfd)
{
	int	 fds[4], high;

	fds[0] = fd;
	fds[1] = errfd != NULL ? errfd[0] : -1;
	fds[2] = errfd != NULL && errfd[1] >= 0 ? errfd[1] : -1;
	fds[3] = -1;
	if (*pidfd >= 0 && *pidfd < SPAWN_FDTOP &&
	    (high = fcntl(*pidfd, F_DUPFD_CLOEXEC, SPAWN_FDTOP)) != -1) {
		fds[3] = *pidfd;
		*pidfd = high;
	}
	fd_close_set(fds, 4);
}

/* Close the copies of every child that has its own table by now. */
static void
spawn_collect(void)
{
	int	 i;

	for (i = 0; i < nslots && npending > 0; i++)
		if (slots[i].sl_fd != -1 && __atomic_load_n(&slots[i].sl_state,
		    __ATOMIC_ACQUIRE) == SLOT_UNSHARED)
			slot_close(&slots[i]);
}

/*
 * Before the event loop sleeps: a child that has not taken its table yet
 * is told to write the eventfd when it has.
 */
void
spawn_flush(void)
{
	int	 i;

	for (i = 0; i < nslots && npending > 0; i++)
		if (slots[i].sl_fd != -1 && __atomic_exchange_n(
		    &slots[i].sl_state, SLOT_WAKE, __ATOMIC_SEQ_CST) ==
		    SLOT_UNSHARED)
			slot_close(&slots[i]);
}

/* The eventfd into the loop's poll set, once there is one. */
int
spawn_watch(void)
{
	return poll_add(spawn_evfd, EPOLLIN, &spawn_ev);
}

/* The eventfd is readable: a child has its table. */
void
spawn_event(void)
{
	uint64_t	 n;

	(void)read(spawn_evfd, &n, sizeof(n));
	spawn_collect();
}

/*
 * Child pid is gone: if it died before taking its table, close ours.
 * Returns 1 when spawn_reclaim killed it (its slot was kept for this).
 */
int
spawn_forget(pid_t pid)
{
	int	 i, killed = 0;

	for (i = 0; i < nslots; i++) {
		if (slots[i].sl_pid != pid)
			continue;
		if (slots[i].sl_fd != -1)
			slot_close(&slots[i]);
		if (slots[i].sl_killed) {
			slots[i].sl_killed = 0;
			killed = 1;
		}
	}
	return killed;
}

/* Has the slot's child called execve or exited, its socket closed? */
static int
slot_free(struct spawn_slot *slot)
{
	/* a killed child's slot waits for its reaping (spawn_forget) */
	return slot->sl_fd == -1 && !slot->sl_killed &&
	    __atomic_load_n(&slot->sl_tid, __ATOMIC_ACQUIRE) == 0 &&
	    __atomic_load_n(&slot->sl_fail->f_step, __ATOMIC_ACQUIRE) == 0;
}

/*
 * Would spawn_child find a slot now?  When not, the caller leaves its
 * connections in the backlog and asks again later.
 */
int
spawn_ready(void)
{
	int	 i;

	if (!SPAWN_ASYNC || sync_only)
		return 1;
	if (npending > 0)
		spawn_collect();
	if (nslots < SPAWN_SLOTS)
		return 1;
	for (i = 0; i < nslots; i++)
		if (slot_free(&slots[i]))
			return 1;
	return 0;
}

/*
 * Is a child between its clone and its execve?  An upgrade in place
 * waits until none is: such a child runs in superd's memory, and its
 * failure record and slot must be read by the process that reaps it.
 */
int
spawn_busy(void)
{
	int	 i;

	if (npending > 0)
		spawn_collect();
	for (i = 0; i < nslots; i++)
		if (slots[i].sl_fd != -1 ||
		    __atomic_load_n(&slots[i].sl_tid, __ATOMIC_ACQUIRE) != 0)
			return 1;
	return 0;
}

/*
 * Every slot is in use: kill each child that has not reached execve
 * SPAWN_DEADLINE seconds after its clone.  Its pidfd proves it is ours;
 * the slot is free once the kernel has taken it down.
 */
void
spawn_reclaim(double now)
{
	struct spawn_slot	*slot;
	int			 i;

	for (i = 0; i < nslots; i++) {
		slot = &slots[i];
		if (slot->sl_killed || now - slot->sl_start < SPAWN_DEADLINE ||
		    __atomic_load_n(&slot->sl_tid, __ATOMIC_ACQUIRE) == 0)
			continue;
		if (pidfd_send_signal(slot->sl_pidfd, SIGKILL, NULL, 0) == -1) {
			log_warn("event=spawn-kill-failed svc=%s line=%d pid=%d",
			    log_str(slot->sl_sv->sv_name),
			    slot->sl_sv->sv_cf->cf_line, (int)slot->sl_pid);
			continue;
		}
		slot->sl_killed = 1;
		nreclaimed++;
		log_warnx("event=spawn-timeout svc=%s line=%d pid=%d "
		    "age=%.3f killed=%lu", log_str(slot->sl_sv->sv_name),
		    slot->sl_sv->sv_cf->cf_line, (int)slot->sl_pid,
		    now - slot->sl_start, nreclaimed);
	}
}

/*
 * A slot whose child has called execve or exited and whose socket the
 * parent has closed, with its svconf unpinned; NULL when all are in use
 * or a new one's stack cannot be mapped.
 */
static struct spawn_slot *
slot_get(void)
{
	struct spawn_slot	*slot;
	long			 page;
	char			*m;
	int			 i;

	for (i = 0; i < nslots; i++) {
		slot = &slots[i];
		if (!slot_free(slot))
			continue;
		if (slot->sl_cf != NULL) {
			svconf_unpin(slot->sl_cf);
			slot->sl_cf = NULL;
		}
		return slot;
	}
	if (nslots == SPAWN_SLOTS)
		return NULL;
	/* a stack with a guard page below it */
	page = sysconf(_SC_PAGESIZE);
	m = mmap(NULL, SLOT_STACK + page, PROT_READ | PROT_WRITE,
	    /* cppcheck-suppress invalidFunctionArg ; anonymous: fd is -1 */
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m, page, PROT_NONE) == -1) {
		(void)munmap(m, SLOT_STACK + page);
		return NULL;
	}
	slot = &slots[nslots++];
	slot->sl_stack = m + page;
	return slot;
}

/*
 * A new generation for the slot's record, before its clone: the record
 * counts only with the child's copy of it (spawnint.h).
 */
static void
slot_gen(struct spawn_slot *slot)
{
	if (++spawn_gen == 0)
		spawn_gen = 1;
	slot->sl_gen = spawn_gen;
	slot->sl_fail->f_gen = spawn_gen;
}

/*
 * Start a child of sv on fd (a connection, or a duplicate of the service's
 * own socket), which this takes over when it succeeds: it is closed in the
 * parent once the child has its own copy.  peer is its client, px what its
 * PROXY header said (NULL for a direct one), for its variables.  nhigh is
 * how many long-lived descriptors superd holds above SPAWN_FDTOP (listeners,
 * pidfds, kept, lingering and proxy-waiting connections): what copying its
 * table would cost.  cg is where the child's cgroup is kept (memory=,
 * tasks=: cgroup.c makes it, the child joins it), for its reap.  keep, when
 * not NULL, is where the parent's own copy of the connection goes, kept
 * after the child's start (linger=, idle=): a duplicate at SPAWN_FDTOP or
 * above, made after the clone, so that no later child's private table (every
 * descriptor below its socket) holds it and this child's copied one does
 * not, then the low one closed when it would be without keep; -1 when it
 * could not be made.  errfd, when not NULL, is stderr=log's pipe (errlog.c):
 * errfd[1] its write end, the child's fd 2 (or ERRFD_NULL: /dev/null, no
 * pipe), errfd[0] a low descriptor of its read end (-1: none), both closed
 * with the parent's copy of fd.  Returns the child's pid and stores its
 * pidfd, or -1 with errno set (EAGAIN, ENOMEM, EMFILE: the caller backs
 * off), fd and errfd still the caller's and no cgroup made.  Never waits for
 * the child.
 */
pid_t
spawn_child(struct service *sv, int fd, const struct sockaddr *peer,
    const struct proxied *px, int connnum, int nhigh, int *pidfd,
    struct cgref *cg, int *keep, const int *errfd)
{
	struct svconf		*cf = sv->sv_cf;
	struct spawn_slot	*slot = NULL;
	int			 flags, saved = errno, share, e;
	int			 errw = errfd != NULL ? errfd[1] : -1;
	pid_t			 pid;

	*pidfd = -1;
	if (cf->cf_builtin != BI_NONE || !SPAWN_ASYNC || fd <= back_child ||
	    sync_only) {
		/*
		 * A built-in runs superd's own code for as long as the
		 * connection lasts, a socket below the eventfd and the way
		 * back would not have them in a child's short table, and
		 * valgrind(1) runs CLONE_VM only as a thread or vfork: these
		 * children get their own copy of memory and of the
		 * descriptor table, as after fork(2), and the parent waits
		 * for none of them.
		 */
		slot = &sync_slot;
		if (cf->cf_builtin == BI_NONE && spawnenv_fill(sv,
		    &slot->sl_env, fd, peer, px, connnum) == -1) {
			errno = ENOMEM;
			return -1;
		}
		if (cgroup_make(cf, cg, &slot->sl_cg) == -1)
			return -1;
		/* its namespaces made ahead, or by the clone (nspool.c) */
		slot->sl_pooled = nspool_take(cf, slot->sl_nsfd);
		slot->sl_cf = cf;
		slot->sl_sock = fd;
		slot->sl_errw = errw;
		slot->sl_state = SLOT_CLONED;
		slot_gen(slot);
		pid = clone(child_main, slot->sl_stack + SYNC_STACK,
		    CLONE_PIDFD | SIGCHLD | (cf->cf_clone & ~slot->sl_pooled),
		    slot, pidfd);
		fd_close_set(slot->sl_nsfd, NSPOOL_NS);	/* the child's own */
		if (pid == -1) {
			e = errno;
			cgroup_remove(cg);
			errno = e;
			return -1;
		}
		slot->sl_fail->f_pid = pid;
		if (keep != NULL)
			*keep = fcntl(fd, F_DUPFD_CLOEXEC, SPAWN_FDTOP);
		spawn_closefds(fd, errfd, pidfd);
		goto out;
	}
	if (npending > 0)
		spawn_collect();
	if ((slot = slot_get()) == NULL) {
		/* the caller asks spawn_ready first: this is mmap failing */
		errno = nslots == SPAWN_SLOTS ? EAGAIN : ENOMEM;
		return -1;
	}
	if (spawnenv_fill(sv, &slot->sl_env, fd, peer, px, connnum) == -1) {
		errno = ENOMEM;
		return -1;
	}
	if (cgroup_make(cf, cg, &slot->sl_cg) == -1)
		return -1;
	slot->sl_pooled = nspool_take(cf, slot->sl_nsfd);
	slot->sl_nsheld = 0;
	slot->sl_cf = cf;
	slot->sl_sv = sv;
	slot->sl_sock = fd;
	slot->sl_errw = errw;
	slot->sl_state = SLOT_CLONED;
	slot->sl_killed = 0;
	slot->sl_start = timer_now();
	/*
	 * The namespaces come with the clone, one call: CLONE_NEW* goes with
	 * CLONE_VM (not with CLONE_FS, which is not set); those of a pool's
	 * set the child enters by setns(2) instead (spawnns.c).
	 */
	flags = CLONE_VM | CLONE_PIDFD | CLONE_CHILD_CLEARTID | SIGCHLD |
	    (cf->cf_clone & ~slot->sl_pooled);
	/*
	 * A short descriptor table is cheaper to copy than to share: the
	 * parent then closes its copy of the socket at once.  It is as long
	 * as the highest descriptor: SPAWN_FDTOP, then the listeners and
	 * the pidfds (nhigh), and superd's few others (fd.c), a handful,
	 * not counted.
	 */
	share = SPAWN_FDTOP + nhigh >= SPAWN_SHARE_AT;
	if (share)
		flags |= CLONE_FILES;
	slot_gen(slot);
	__atomic_store_n(&slot->sl_tid, 1, __ATOMIC_RELEASE);
	pid = clone(child_main, slot->sl_stack + SLOT_STACK, flags, slot, pidfd,
	    NULL, &slot->sl_tid);
	if (pid == -1) {
		e = errno;
		slot->sl_tid = 0;
		slot->sl_cf = NULL;
		slot->sl_errw = -1;
		fd_close_set(slot->sl_nsfd, NSPOOL_NS);
		cgroup_remove(cg);
		errno = e;
		return -1;
	}
	slot->sl_pid = pid;
	slot->sl_fail->f_pid = pid;
	svconf_pin(cf);
	if (keep != NULL)
		*keep = fcntl(fd, F_DUPFD_CLOEXEC, SPAWN_FDTOP);
	if (share) {
		/* ours go when the child has its own table */
		slot->sl_fd = fd;
		slot->sl_errlow = errfd != NULL ? errfd[0] : -1;
		slot->sl_nsheld = 1;
		npending++;
	} else {
		/* the slot is the child's: sl_errw stays as it reads it */
		spawn_closefds(fd, errfd, pidfd);
		fd_close_set(slot->sl_nsfd, NSPOOL_NS);
	}
out:
	errno = saved;
	*pidfd = fd_high(*pidfd);
	if (slot != &sync_slot)
		slot->sl_pidfd = *pidfd;
	return pid;
}
