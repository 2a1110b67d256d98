/*
 * nspool.c: a service's namespaces made ahead of its connections, by a
 * process of their own, and taken by spawn.c one set per connection.
 *
 * A network namespace costs the kernel 250 to 350 us to make; made by
 * the clone(2) of each child, that is time of superd's own loop, one
 * connection after another.  For a root superd, a service whose
 * children get a network, IPC, UTS or mount namespace has a pool
 * process instead (forked at load, twice, so that init or superd's
 * reaper reaps it; it is not superd's child): it unshares a fresh set
 * of those namespaces, sets each up as the child would (lo up, the host
 * name, "/" made private, read-only, the tmpfs on /tmp and /var/tmp),
 * and sends their descriptors over a unix socket (SCM_RIGHTS), at most
 * NSPOOL_SETS ahead; then it goes back to the host's namespaces, so
 * that it holds nothing of a set it gave away.  Each set is made for
 * one connection and never reused: the child enters it with setns(2)
 * (spawnns.c), the parent closes its descriptors after the clone, and
 * the kernel takes it down with the child.
 *
 * superd never waits for the pool: a set is taken with a recvmsg(2)
 * that does not block, and a pool that is empty (or gone) leaves that
 * connection to the clone flags as before (counted: nspool_empty).
 * What is bounded: the sets ahead (NSPOOL_SETS, or fewer under a low
 * descriptor limit: fd_share), by credits superd writes back, a byte a
 * few sets; the pools of one load (NSPOOL_MAX; a service past them uses
 * the clone flags); the pool's life (superd's end of the socket is
 * close-on-exec and goes with the svconf: the pool reads end of file
 * and exits).  A set the pool could not make is retried after
 * NSPOOL_RETRY_MS, the connections meanwhile served by the clone flags.
 * A user namespace is made per child (superd not root): no pool then.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <net/if.h>
#include <linux/mount.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define NSPOOL_SETS	16	/* sets made ahead, at most */
#define NSPOOL_MAX	32	/* pools of one load */
#define NSPOOL_CREDIT	4	/* sets taken before a credit is written */
#define NSPOOL_RETRY_MS	100	/* after a set the kernel would not make */

/* The namespaces a pool makes, in the order of a set's descriptors. */
static const struct {
	int		 nk_flag;
	const char	*nk_name;	/* in /proc/thread-self/ns */
} kinds[NSPOOL_NS] = {
	{ CLONE_NEWNET, "net" },
	{ CLONE_NEWIPC, "ipc" },
	{ CLONE_NEWUTS, "uts" },
	{ CLONE_NEWNS, "mnt" },
};

static int	 npools;	/* started during this load */
static int	 allowed = 1;	/* not under -t */

/* -t: a table is checked, never served: no pool is started. */
void
nspool_allow(int on)
{
	allowed = on;
}

/* A new load: its own NSPOOL_MAX. */
void
nspool_reset(void)
{
	npools = 0;
}

/* lo, down in a new network namespace, up. */
static int
pool_lo_up(void)
{
	struct ifreq	 ifr;
	int		 s, r;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	(void)strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
	ifr.ifr_flags = IFF_UP;
	r = ioctl(s, SIOCSIFFLAGS, &ifr);
	(void)close(s);
	return r;
}

/*
 * One fresh set, set up as spawnns.c would in the child, its
 * descriptors in fds (flags' kinds, in kinds[] order); their number,
 * or -1.  Made from the pool's own namespaces (pool_home): a mount
 * namespace is copied from the host's, never from the set made before,
 * whose tmpfs it would share.  private-tmp's tmpfs are mounted after a
 * chroot(2) to chroot=, as the child's are, so that a symbolic link in
 * DIR resolves inside DIR, never on the host; the descriptors are
 * opened before it (/proc is the host's), and pool_home's setns(2) of
 * the mount namespace takes the pool back to the host's root.
 */
static int
pool_make(const struct svconf *cf, int flags, int *fds)
{
	struct mount_attr	 ma;
	char			 path[64];
	int			 i, n = 0, err;

	if (unshare(flags) == -1)
		return -1;
	if ((flags & CLONE_NEWNET) && pool_lo_up() == -1)
		return -1;
	if ((flags & CLONE_NEWUTS) && cf->cf_hostname != NULL &&
	    sethostname(cf->cf_hostname, (size_t)cf->cf_hostlen) == -1)
		return -1;
	if (flags & CLONE_NEWNS) {
		if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
			return -1;
		if (cf->cf_ns & NS_RDONLY) {
			memset(&ma, 0, sizeof(ma));
			ma.attr_set = MOUNT_ATTR_RDONLY;
			if (syscall(SYS_mount_setattr, AT_FDCWD, "/",
			    AT_RECURSIVE, &ma, sizeof(ma)) == -1)
				return -1;
		}
	}
	for (i = 0; i < NSPOOL_NS; i++) {
		if (!(flags & kinds[i].nk_flag))
			continue;
		(void)snprintf(path, sizeof(path), "/proc/thread-self/ns/%s",
		    kinds[i].nk_name);
		if ((fds[n] = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			goto fail;
		n++;
	}
	if ((flags & CLONE_NEWNS) && (cf->cf_ns & NS_TMP)) {
		if (cf->cf_chroot != NULL && chroot(cf->cf_chroot) == -1)
			goto fail;
		if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
		    cf->cf_tmpdata) == -1)
			goto fail;
		if (cf->cf_vartmp && mount("tmpfs", "/var/tmp", "tmpfs",
		    MS_NOSUID | MS_NODEV, cf->cf_tmpdata) == -1)
			goto fail;
	}
	return n;
fail:
	err = errno;
	while (n > 0)
		(void)close(fds[--n]);
	errno = err;
	return -1;
}

/* Back to the pool's own namespaces: it keeps nothing of a set. */
static void
pool_home(int flags, const int *home)
{
	int	 i;

	for (i = 0; i < NSPOOL_NS; i++)
		if ((flags & kinds[i].nk_flag) &&
		    setns(home[i], kinds[i].nk_flag) == -1)
			_exit(1);
}

/* Send a set of n descriptors: one byte, the descriptors beside it. */
static int
pool_send(int sock, const int *fds, int n)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		char		 buf[CMSG_SPACE(NSPOOL_NS * sizeof(int))];
		struct cmsghdr	 align;
	}		 u;
	char		 b = (char)n;

	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	iov.iov_base = &b;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)n * sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/*
 * The pool could not make a set: a message of its own, a zero byte and
 * the errno, with no descriptors, so that superd says why, once.
 */
static void
pool_fail(int sock, int err)
{
	unsigned char	 b[1 + sizeof(int)];

	b[0] = 0;
	memcpy(b + 1, &err, sizeof(err));
	(void)send(sock, b, sizeof(b), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * NSPOOL_RETRY_MS before the next try, on the socket, not asleep:
 * credits that come meanwhile are counted, and superd's end going
 * (end of file, POLLHUP) ends the pool even while it cannot make a set.
 */
static void
pool_wait(int sock, int *credits)
{
	struct pollfd	 pfd;
	unsigned char	 cr[64];
	ssize_t		 r;
	int		 i;

	pfd.fd = sock;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, NSPOOL_RETRY_MS) <= 0)
		return;
	if (pfd.revents & POLLIN) {
		if ((r = read(sock, cr, sizeof(cr))) == 0)
			_exit(0);
		if (r == -1 && errno != EINTR && errno != EAGAIN)
			_exit(0);
		for (i = 0; i < r; i++)
			*credits += cr[i];
	} else if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
		_exit(0);
}

/*
 * The pool process: sets made while it has credits, credits read while
 * it has none; end of file (superd let go of the service) ends it.
 */
static void __attribute__((noreturn))
pool_main(const struct svconf *cf, int flags, int sock, int size)
{
	unsigned char	 cr[64];
	char		 path[64];
	sigset_t	 none;
	ssize_t		 r;
	int		 home[NSPOOL_NS], fds[NSPOOL_NS], credits = size;
	int		 i, n, null, err, said = 0;

	/* nothing of superd's but the socket: stdio on /dev/null */
	if (sock > 3)
		(void)close_range(3, (unsigned int)sock - 1, 0);
	(void)close_range((unsigned int)sock + 1, ~0U, 0);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		for (i = 0; i < 3; i++)
			if (null != i)
				(void)dup2(null, i);
		if (null > 2)
			(void)close(null);
	}
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_NAME, "superd-nspool", 0, 0, 0);
	if (chdir("/") == -1)
		_exit(1);
	for (i = 0; i < NSPOOL_NS; i++) {
		(void)snprintf(path, sizeof(path), "/proc/thread-self/ns/%s",
		    kinds[i].nk_name);
		if ((home[i] = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			_exit(1);
	}
	for (;;) {
		while (credits == 0) {
			if ((r = read(sock, cr, sizeof(cr))) == 0)
				_exit(0);
			if (r == -1 && errno != EINTR)
				_exit(0);
			for (i = 0; i < r; i++)
				credits += cr[i];
		}
		n = pool_make(cf, flags, fds);
		err = errno;
		pool_home(flags, home);
		if (n == -1) {
			/* the kernel would not: said once, tried again later */
			if (!said) {
				pool_fail(sock, err);
				said = 1;
			}
			pool_wait(sock, &credits);
			continue;
		}
		r = pool_send(sock, fds, n);
		while (n > 0)
			(void)close(fds[--n]);
		if (r == -1)
			_exit(0);
		credits--;
	}
}

/*
 * At load, for a root superd: cf's pool, if its children get any of the
 * namespaces a pool makes (contain.c chose cf_clone).  Forked twice: the
 * pool is no child of superd's (init, or superd's reaper, reaps it).
 * Without a pool (past NSPOOL_MAX, -t, a fork that failed) the children
 * get the clone flags.
 */
void
nspool_start(struct svconf *cf)
{
	int	 flags, sp[2], size, st;
	pid_t	 pid;

	if (cf->cf_poolfd > 0)
		return;		/* it has its pool */
	flags = cf->cf_clone & (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
	    CLONE_NEWNS);
	if (!allowed || flags == 0 || geteuid() != 0 ||
	    (cf->cf_clone & CLONE_NEWUSER) || npools >= NSPOOL_MAX)
		return;
	size = fd_share(64, 2, NSPOOL_SETS);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("event=nspool-failed line=%d", cf->cf_line);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("event=nspool-failed line=%d", cf->cf_line);
		(void)close(sp[0]);
		(void)close(sp[1]);
		return;
	}
	if (pid == 0) {
		(void)close(sp[0]);
		if (fork() == 0)
			pool_main(cf, flags, sp[1], size);
		_exit(0);
	}
	(void)close(sp[1]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	/* its credits are written without waiting: never more than size */
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) == -1) {
		(void)close(sp[0]);
		return;
	}
	cf->cf_poolfd = fd_high(sp[0]);
	cf->cf_poolflags = flags;
	npools++;
}

/*
 * A set for one connection of cf: its descriptors in fds (kinds[]
 * order, -1 where the pool makes none), close-on-exec, and the clone
 * flags it stands for; 0, fds all -1, when the pool has none ready or
 * is gone (counted: the child gets the clone flags).
 */
int
nspool_take(struct svconf *cf, int *fds)
{
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	union {
		char		 buf[CMSG_SPACE(NSPOOL_NS * sizeof(int))];
		struct cmsghdr	 align;
	}		 u;
	unsigned char	 b[1 + sizeof(int)], owed;
	int		 got[NSPOOL_NS], i, k, n = 0;
	ssize_t		 r;

	for (i = 0; i < NSPOOL_NS; i++)
		fds[i] = -1;
	if (cf->cf_poolfd <= 0)
		return 0;
	memset(&msg, 0, sizeof(msg));
	memset(b, 0, sizeof(b));	/* filled by recvmsg: cppcheck cannot see it */
	iov.iov_base = b;
	iov.iov_len = sizeof(b);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	r = recvmsg(cf->cf_poolfd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (r == (ssize_t)sizeof(b) && b[0] == 0 && msg.msg_controllen == 0) {
		/* the pool says once why it has no set (pool_fail) */
		memcpy(&i, b + 1, sizeof(i));
		log_warnx("event=nspool-failed line=%d error=\"%s\"",
		    cf->cf_line, strerror(i));
		r = -1;
		errno = EAGAIN;
	}
	/* under MSG_CTRUNC too: what the kernel installed is closed below */
	if (r == 1)
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			if (k > NSPOOL_NS - n)
				k = NSPOOL_NS - n;
			memcpy(got + n, CMSG_DATA(cm), (size_t)k * sizeof(int));
			n += k;
		}
	if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
		/* the pool is gone: the clone flags from now on */
		log_warnx("event=nspool-gone line=%d error=\"%s\"",
		    cf->cf_line, r == 0 ? "end of file" : strerror(errno));
		(void)close(cf->cf_poolfd);
		cf->cf_poolfd = 0;
	}
	if (r == 1 && !(msg.msg_flags & MSG_CTRUNC) &&
	    n == __builtin_popcount((unsigned int)cf->cf_poolflags)) {
		for (i = 0, k = 0; i < NSPOOL_NS; i++)
			if (cf->cf_poolflags & kinds[i].nk_flag)
				fds[i] = got[k++];
		cf->cf_pooltaken++;
		cf->cf_poolowed++;
	} else {
		/* a set that is not whole is no set: never half a pool's */
		for (i = 0; i < n; i++)
			(void)close(got[i]);
		cf->cf_poolempty++;
		n = 0;
	}
	/* credits: a byte a few sets, or at once when it came up empty */
	if (cf->cf_poolfd > 0 && cf->cf_poolowed > 0 &&
	    (cf->cf_poolowed >= NSPOOL_CREDIT || n == 0)) {
		/* a byte carries 255 at most: the rest in the next */
		owed = (unsigned char)(cf->cf_poolowed > 255 ? 255 :
		    cf->cf_poolowed);
		if (write(cf->cf_poolfd, &owed, 1) == 1)
			cf->cf_poolowed -= owed;
	}
	return n > 0 ? cf->cf_poolflags : 0;
}
