/*
 * contain.c: chroot= and the namespace options of a loaded table, checked
 * against the machine and made ready for the child (spawnns.c), at load
 * and with -t, after the parse (which never probes the machine).
 *
 * What it checks: that DIR is a directory and the program an executable
 * regular file inside it, found as the chroot will find it (openat2(2)
 * with RESOLVE_IN_ROOT on DIR: a symbolic link in DIR cannot lead out);
 * that private-tmp has a /tmp and private-pid a /proc to mount on, in
 * DIR or on the host; and that the kernel makes the namespaces at all,
 * by a clone(2) with the very flags a connection's child will get, once
 * per set of flags and load.  What it makes ready: those flags (a mount
 * namespace for private-pid, private-tmp and read-only; a user namespace
 * when superd is not root, its uid and gid mapped to themselves, the
 * maps' text here) and whether /var/tmp is there for private-tmp.
 *
 * Also line-buffered's library (STDBUF_LIB), on the host or inside DIR.
 *
 * A check that fails is an error of the entry's line, FILE:LINE: as the
 * parser's are (table.c adds it): a table that cannot be contained is
 * refused whole, at start, with -t and on a reload, never a child that
 * fails at every connection.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <net/if.h>
#include <linux/openat2.h>
#include <linux/sched.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

/* The sets of clone flags probed during this load, and what they gave. */
#define PROBES_MAX	64
static struct {
	int	 pr_flags;
	int	 pr_errno;	/* 0: the kernel made them */
}		 probes[PROBES_MAX];
static int	 nprobes;

/* A new load: the kernel's answers are asked again (a sysctl changed). */
void
contain_reset(void)
{
	nprobes = 0;
	nspool_reset();
}

/*
 * Can a child of superd get these namespaces?  A child cloned with them,
 * fork-like, exits at once; 0 or the clone's errno.
 */
static int
probe(int flags)
{
	struct clone_args	 ca;
	pid_t			 pid;
	int			 i, st, e;

	for (i = 0; i < nprobes; i++)
		if (probes[i].pr_flags == flags)
			return probes[i].pr_errno;
	/*
	 * The raw call: no CLONE_VM, so the child has memory of its own.
	 * clone3(2), the same on every architecture; clone(2) where a
	 * seccomp filter says clone3 does not exist (Docker's default
	 * profile), except on s390 (the stack first) and sparc (the pid
	 * returned in both), whose argument order differs.
	 */
	memset(&ca, 0, sizeof(ca));
	ca.flags = (uint64_t)(unsigned int)flags;
	ca.exit_signal = SIGCHLD;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
#if !defined(__s390__) && !defined(__sparc__)
	if (pid == -1 && errno == ENOSYS)
		pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD,
		    0, 0, 0, 0);
#endif
	if (pid == 0)
		_exit(0);
	e = pid == -1 ? errno : 0;
	while (pid > 0 && waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (nprobes < PROBES_MAX) {
		probes[nprobes].pr_flags = flags;
		probes[nprobes++].pr_errno = e;
	}
	return e;
}

/*
 * path as the chroot at dfd sees it; an O_PATH descriptor or -1.  Where
 * there is no openat2(2) (Linux before 5.6, valgrind), a plain openat
 * below dfd: an absolute symbolic link inside would then be followed on
 * the host, which misleads this check only, never the chroot itself.
 */
static int
open_in(int dfd, const char *path, int dir)
{
	struct open_how	 how;
	int		 fd;

	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC | (dir ? O_DIRECTORY : 0);
	how.resolve = RESOLVE_IN_ROOT;
	fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	if (fd == -1 && errno == ENOSYS)
		fd = openat(dfd, path + strspn(path, "/"), (int)how.flags);
	return fd;
}

/*
 * private-network=shared: a network namespace with lo up, for all of a
 * service's connections.  A forked child unshares it, ups lo and waits;
 * superd keeps the namespace by a descriptor of the child's
 * /proc/PID/ns/net (its own network never changes), then lets the child
 * go.  The descriptor, or -1 with errno set.
 */
static int
netns_make(void)
{
	struct ifreq	 ifr;
	char		 path[64], c = 0;
	int		 sp[2], fd = -1, e = 0, s, st;
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		e = errno;
		(void)close(sp[0]);
		(void)close(sp[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		(void)close(sp[0]);
		memset(&ifr, 0, sizeof(ifr));
		(void)strlcpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name));
		ifr.ifr_flags = IFF_UP;
		if (unshare(CLONE_NEWNET) == -1 ||
		    (s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
		    ioctl(s, SIOCSIFFLAGS, &ifr) == -1)
			c = (char)errno;
		(void)write(sp[1], &c, 1);
		/* until the parent has its descriptor: end of file */
		(void)read(sp[1], &c, 1);
		_exit(0);
	}
	(void)close(sp[1]);
	if (read(sp[0], &c, 1) != 1)
		e = EIO;
	else if (c != 0)
		e = (unsigned char)c;
	else {
		(void)snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			e = errno;
	}
	(void)close(sp[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (fd == -1) {
		errno = e;
		return -1;
	}
	return fd_high(fd);
}

/*
 * chroot=DIR as sshd's ChrootDirectory: DIR and each directory above it
 * owned by root (or by superd's own user, when superd is not root) and
 * writable by no group or other.  The child chroots by the path at each
 * connection (a descriptor of superd's would, in a child with a mount
 * namespace of its own, be a root on the host's mounts, not the
 * child's): so no one but root
 * may be able to rename a component and put a symbolic link in its
 * place.  Walked from / one component at a time with O_PATH|O_NOFOLLOW
 * descriptors, each fstat'ed; a symbolic link on the way is an error.
 * 0, or -1 with why set (a component that is not there: as check_paths
 * says it).
 */
static int
check_owner(const char *dir, char *why, size_t len)
{
	return contain_owned(dir, "chroot", NULL, why, len);
}

/*
 * check_owner's walk for any path, label naming it in why ("chroot=DIR:
 * ...").  With fdp (an upgrade's binary, upgrade.c) a directory both
 * sticky and writable by others (/tmp) is passed, as none but root and
 * its owner can rename what is in it, the next component being checked
 * in turn, and the O_PATH descriptor of the last component is left in
 * *fdp: what was checked, to be used instead of the path.
 */
int
contain_owned(const char *dir, const char *label, int *fdp, char *why,
    size_t len)
{
	char		 path[PATH_MAX], name[PATH_MAX];
	const char	*p = dir;
	struct stat	 st;
	size_t		 n, at = 1;
	uid_t		 me = geteuid();
	int		 fd, nfd;

	path[0] = '/';
	path[1] = '\0';
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto fail;
	for (;;) {
		if (fstat(fd, &st) == -1)
			goto fail;
		if (S_ISLNK(st.st_mode)) {
			(void)snprintf(why, len, "%s=%s: %s is a symbolic "
			    "link", label, dir, path);
			goto out;
		}
		if (st.st_uid != 0 && st.st_uid != me) {
			(void)snprintf(why, len, "%s=%s: %s is owned by "
			    "uid %u", label, dir, path, (unsigned)st.st_uid);
			goto out;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (fdp == NULL ||
		    !S_ISDIR(st.st_mode) || (st.st_mode & S_ISVTX) == 0)) {
			(void)snprintf(why, len, "%s=%s: %s is writable by "
			    "group or others", label, dir, path);
			goto out;
		}
		p += strspn(p, "/");
		if (*p == '\0')
			break;
		n = strcspn(p, "/");
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		if (at > 1)
			path[at++] = '/';
		memcpy(path + at, name, n + 1);
		at += n;
		nfd = openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		(void)close(fd);
		if ((fd = nfd) == -1)
			goto fail;
	}
	if (fdp != NULL) {
		*fdp = fd;
		return 0;
	}
	(void)close(fd);
	return 0;
fail:
	/* as check_paths says it: DIR is not there, or not for superd */
	(void)snprintf(why, len, "%s %s: %s", label, dir, strerror(errno));
out:
	if (fd != -1)
		(void)close(fd);
	return -1;
}

/* The first containment option of cf that needs a namespace or root. */
static const char *
first_option(const struct svconf *cf)
{
	if (cf->cf_ns & NS_NETWORK)
		return "private-network";
	if (cf->cf_ns & NS_PID)
		return "private-pid";
	if (cf->cf_ns & NS_IPC)
		return "private-ipc";
	if (cf->cf_hostname != NULL)
		return "hostname=";
	if (cf->cf_ns & NS_TMP)
		return "private-tmp";
	if (cf->cf_ns & NS_RDONLY)
		return "read-only";
	return "chroot=";
}

/*
 * The program under chroot=DIR: an executable regular file inside DIR.
 * Then a /tmp for private-tmp (and whether a /var/tmp is there too) and
 * a /proc for private-pid, in DIR or on the host.  -1 with why set.
 */
static int
check_paths(struct svconf *cf, char *why, size_t len)
{
	const char	*root = cf->cf_chroot != NULL ? cf->cf_chroot : "/";
	const char	*in = cf->cf_chroot != NULL ? cf->cf_chroot : "";
	struct stat	 st;
	int		 dfd, fd, ret = -1;

	if ((dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		(void)snprintf(why, len, "chroot %s: %s", root,
		    strerror(errno));
		return -1;
	}
	if (cf->cf_chroot != NULL) {
		if ((fd = open_in(dfd, cf->cf_program, 0)) == -1) {
			(void)snprintf(why, len, "program %s in chroot %s: %s",
			    cf->cf_program, root, strerror(errno));
			goto out;
		}
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			(void)snprintf(why, len, "program %s in chroot %s is "
			    "not a regular file", cf->cf_program, root);
			(void)close(fd);
			goto out;
		}
		if (faccessat(fd, "", X_OK, AT_EMPTY_PATH | AT_EACCESS) == -1) {
			(void)snprintf(why, len, "program %s in chroot %s is "
			    "not executable", cf->cf_program, root);
			(void)close(fd);
			goto out;
		}
		(void)close(fd);
	}
	if (cf->cf_ns & NS_TMP) {
		if ((fd = open_in(dfd, "tmp", 1)) == -1) {
			(void)snprintf(why, len, "private-tmp needs a directory "
			    "%s/tmp: %s", in, strerror(errno));
			goto out;
		}
		(void)close(fd);
		if ((fd = open_in(dfd, "var/tmp", 1)) != -1) {
			cf->cf_vartmp = 1;
			(void)close(fd);
		}
	}
	if (cf->cf_ns & NS_PID) {
		if ((fd = open_in(dfd, "proc", 1)) == -1) {
			(void)snprintf(why, len, "private-pid needs a directory "
			    "%s/proc: %s", in, strerror(errno));
			goto out;
		}
		(void)close(fd);
	}
	ret = 0;
out:
	(void)close(dfd);
	return ret;
}

/*
 * line-buffered: coreutils' STDBUF_LIB must be a regular file where the
 * child's dynamic loader will look for it, inside chroot= when there is
 * one (found as the chroot finds it), or every child would start with a
 * loader error.  -1 with why set.
 */
static int
check_stdbuf(const struct svconf *cf, char *why, size_t len)
{
	struct stat	 st;
	int		 dfd, fd;

	if (!cf->cf_linebuf || cf->cf_builtin != BI_NONE)
		return 0;
	if (cf->cf_chroot == NULL)
		fd = open(STDBUF_LIB, O_PATH | O_CLOEXEC);
	else if ((dfd = open(cf->cf_chroot, O_PATH | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		fd = -1;
	else {
		fd = open_in(dfd, STDBUF_LIB, 0);
		(void)close(dfd);
	}
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)snprintf(why, len, "line-buffered needs %s%s%s "
		    "(coreutils' library for stdbuf): %s", STDBUF_LIB,
		    cf->cf_chroot != NULL ? " inside chroot " : "",
		    cf->cf_chroot != NULL ? cf->cf_chroot : "",
		    fd == -1 ? strerror(errno) : "not a regular file");
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	(void)close(fd);
	return 0;
}

/*
 * Check cf's chroot= and namespaces against the machine and make them
 * ready for its children (cf_clone, the maps, cf_vartmp); and that
 * line-buffered's library is there.  0, or -1 with why set to the line's
 * error.
 */
int
contain_prepare(struct svconf *cf, char *why, size_t len)
{
	int	 flags = 0, e;

	cf->cf_clone = 0;
	cf->cf_vartmp = 0;
	if (check_stdbuf(cf, why, len) == -1)
		return -1;
	if (cf->cf_chroot == NULL && cf->cf_ns == 0 && cf->cf_hostname == NULL)
		return 0;
	if (cf->cf_builtin != BI_NONE || cf->cf_program == NULL)
		return 0;	/* the parser refused it */
	if (cf->cf_chroot != NULL && check_owner(cf->cf_chroot, why,
	    len) == -1)
		return -1;
	if (check_paths(cf, why, len) == -1)
		return -1;
	if ((cf->cf_ns & NS_NETSHARED) && cf->cf_netns == 0) {
		if (geteuid() != 0) {
			(void)snprintf(why, len, "private-network=shared needs "
			    "root (private-network, one per connection, does "
			    "not)");
			return -1;
		}
		if ((e = netns_make()) == -1) {
			(void)snprintf(why, len, "private-network=shared: %s",
			    strerror(errno));
			return -1;
		}
		cf->cf_netns = e;
	}
	if ((cf->cf_ns & (NS_NETWORK | NS_NETSHARED)) == NS_NETWORK)
		flags |= CLONE_NEWNET;
	if (cf->cf_ns & NS_PID)
		flags |= CLONE_NEWPID;
	if (cf->cf_ns & NS_IPC)
		flags |= CLONE_NEWIPC;
	if (cf->cf_hostname != NULL)
		flags |= CLONE_NEWUTS;
	if (cf->cf_ns & (NS_PID | NS_TMP | NS_RDONLY))
		flags |= CLONE_NEWNS;
	/* not root: in a user namespace of its own, its ids mapped to them */
	if (geteuid() != 0) {
		flags |= CLONE_NEWUSER;
		cf->cf_uidmaplen = snprintf(cf->cf_uidmap,
		    sizeof(cf->cf_uidmap), "%u %u 1\n", (unsigned)geteuid(),
		    (unsigned)geteuid());
		cf->cf_gidmaplen = snprintf(cf->cf_gidmap,
		    sizeof(cf->cf_gidmap), "%u %u 1\n", (unsigned)getegid(),
		    (unsigned)getegid());
	}
	if (flags != 0 && (e = probe(flags)) != 0) {
		if (flags & CLONE_NEWUSER)
			(void)snprintf(why, len, "%s needs root or unprivileged "
			    "user namespaces: %s", first_option(cf),
			    strerror(e));
		else
			(void)snprintf(why, len, "%s: the kernel makes no such "
			    "namespace here: %s", first_option(cf),
			    strerror(e));
		return -1;
	}
	cf->cf_clone = flags;
	return 0;
}
