/*
 * spawnns.c: what a contained child does for itself between clone and
 * execve, inside the namespaces its clone(2) made (contain.c chose the
 * flags at load) or its pool's set (nspool.c), entered here: its user
 * namespace's maps, its host name, its lo, its mounts and its root.
 *
 * This is the CLONE_VM child path (spawn.c): raw system calls only
 * (sys.h), on what the svconf holds, which contain.c made ready at load
 * (the flags, the uid_map text, whether /var/tmp is there) and the
 * parser before it (private-tmp's mount data); no store but
 * this stack.  A step that fails returns its negative errno with the
 * step and its argument for the exit line (spawn.c's child_fail).
 *
 * The order is the one superd.conf(5) documents: the maps first (the
 * rest needs the ids mapped), the host name, lo up, then the mounts:
 * "/" and below made private, so nothing the child mounts reaches the
 * host, read-only in one mount_setattr(2) over every mount, the chroot,
 * then the tmpfs on /tmp and /var/tmp and the fresh /proc inside the new
 * root, mounted after read-only and so left writable (tmpfs) or made
 * read-only themselves (/proc).
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>

#include "superd.h"
#include "sys.h"
#include "spawnint.h"

/* Write len bytes of s to the file at path (a /proc/self file). */
CHILD_FN static long
ns_write(const char *path, const char *s, int len)
{
	long	 fd, r;

	if ((fd = sys4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC,
	    0)) < 0)
		return fd;
	r = sys3(SYS_write, fd, s, len);
	(void)sys3(SYS_close, fd, 0, 0);
	if (r >= 0 && r != len)
		r = -EIO;
	return r < 0 ? r : 0;
}

/*
 * A new network namespace has a lo that is down: up it, with an ifreq on
 * this stack (only its name and flags are read; IFF_LOOPBACK is the
 * device's own, not one a caller sets).
 */
CHILD_FN static long
ns_lo_up(void)
{
	struct ifreq	 ifr;
	long		 s, r;

	if ((s = sys3(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return s;
	ifr.ifr_name[0] = 'l';
	ifr.ifr_name[1] = 'o';
	ifr.ifr_name[2] = '\0';
	ifr.ifr_flags = IFF_UP;
	r = sys3(SYS_ioctl, s, SIOCSIFFLAGS, &ifr);
	(void)sys3(SYS_close, s, 0, 0);
	return r < 0 ? r : 0;
}

#define NS_FAIL(st, a, rv)	do {	\
	*step = (st);			\
	*arg = (a);			\
	return (rv);			\
} while (0)

/*
 * Every namespace step of cf, in order; 0, or a negative errno with
 * *step (STEP_*) and *arg (what it was on) set.  pooled: the clone
 * flags a pool's set stands for (nspool.c), its descriptors in nsfd
 * (net, ipc, uts, mnt; -1: none), entered first, set up already: what
 * the pool did (lo, the host name, the mounts but /proc) is not done
 * again.
 */
CHILD_FN long
spawnns_enter(const struct svconf *cf, int pooled, const int *nsfd,
    int *step, const char **arg)
{
	struct mount_attr	 ma;
	unsigned long		 pflags;
	int			 made = cf->cf_clone & ~pooled;
	long			 r;

	/* the mount namespace last: setns(2) there sets root and cwd */
	if (nsfd[0] >= 0 && (r = sys3(SYS_setns, nsfd[0], CLONE_NEWNET,
	    0)) < 0)
		NS_FAIL(STEP_POOL, "setns net", r);
	if (nsfd[1] >= 0 && (r = sys3(SYS_setns, nsfd[1], CLONE_NEWIPC,
	    0)) < 0)
		NS_FAIL(STEP_POOL, "setns ipc", r);
	if (nsfd[2] >= 0 && (r = sys3(SYS_setns, nsfd[2], CLONE_NEWUTS,
	    0)) < 0)
		NS_FAIL(STEP_POOL, "setns uts", r);
	if (nsfd[3] >= 0 && (r = sys3(SYS_setns, nsfd[3], CLONE_NEWNS,
	    0)) < 0)
		NS_FAIL(STEP_POOL, "setns mnt", r);

	if ((cf->cf_clone & CLONE_NEWUSER) != 0) {
		/* an unprivileged map needs setgroups(2) denied first */
		if ((r = ns_write("/proc/self/setgroups", "deny", 4)) < 0)
			NS_FAIL(STEP_USERNS, "setgroups", r);
		if ((r = ns_write("/proc/self/uid_map", cf->cf_uidmap,
		    cf->cf_uidmaplen)) < 0)
			NS_FAIL(STEP_USERNS, "uid_map", r);
		if ((r = ns_write("/proc/self/gid_map", cf->cf_gidmap,
		    cf->cf_gidmaplen)) < 0)
			NS_FAIL(STEP_USERNS, "gid_map", r);
	}
	if (cf->cf_hostname != NULL && (made & CLONE_NEWUTS) != 0 &&
	    (r = sys3(SYS_sethostname, cf->cf_hostname, cf->cf_hostlen,
	    0)) < 0)
		NS_FAIL(STEP_HOSTNAME, cf->cf_hostname, r);
	if ((made & CLONE_NEWNET) != 0 && (r = ns_lo_up()) < 0)
		NS_FAIL(STEP_LO, "lo", r);
	if ((made & CLONE_NEWNS) != 0) {
		/*
		 * What the child mounts or unmounts stays its own.  The
		 * kernel reads no source or type here ("none": valgrind
		 * reads them anyway).
		 */
		if ((r = sys6(SYS_mount, (long)"none", (long)"/", (long)"none",
		    MS_REC | MS_PRIVATE, 0, 0)) < 0)
			NS_FAIL(STEP_MOUNT, "private /", r);
	}
	if ((cf->cf_ns & NS_RDONLY) != 0 && (made & CLONE_NEWNS) != 0) {
		ma.attr_set = MOUNT_ATTR_RDONLY;
		ma.attr_clr = 0;
		ma.propagation = 0;
		ma.userns_fd = 0;
		if ((r = sys6(SYS_mount_setattr, AT_FDCWD, (long)"/",
		    AT_RECURSIVE, (long)&ma, sizeof(ma), 0)) < 0)
			NS_FAIL(STEP_RDONLY, "/", r);
	}
	if (cf->cf_chroot != NULL) {
		if ((r = sys3(SYS_chroot, cf->cf_chroot, 0, 0)) < 0 ||
		    (r = sys3(SYS_chdir, "/", 0, 0)) < 0)
			NS_FAIL(STEP_CHROOT, cf->cf_chroot, r);
	}
	if ((cf->cf_ns & NS_TMP) != 0 && (made & CLONE_NEWNS) != 0) {
		if ((r = sys6(SYS_mount, (long)"tmpfs", (long)"/tmp",
		    (long)"tmpfs", MS_NOSUID | MS_NODEV, (long)cf->cf_tmpdata,
		    0)) < 0)
			NS_FAIL(STEP_MOUNT, "tmpfs /tmp", r);
		if (cf->cf_vartmp && (r = sys6(SYS_mount, (long)"tmpfs",
		    (long)"/var/tmp", (long)"tmpfs", MS_NOSUID | MS_NODEV,
		    (long)cf->cf_tmpdata, 0)) < 0)
			NS_FAIL(STEP_MOUNT, "tmpfs /var/tmp", r);
	}
	if ((cf->cf_ns & NS_PID) != 0) {
		/* the host's /proc would show the host's processes */
		pflags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
		if ((cf->cf_ns & NS_RDONLY) != 0)
			pflags |= MS_RDONLY;
		if ((r = sys6(SYS_mount, (long)"proc", (long)"/proc",
		    (long)"proc", pflags, 0, 0)) < 0)
			NS_FAIL(STEP_MOUNT, "proc /proc", r);
	}
	return 0;
}
