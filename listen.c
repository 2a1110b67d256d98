/*
 * listen.c: the listening sockets.
 *
 * One code path for IPv4, IPv6 and unix sockets (sockaddr_storage).  Every
 * socket is opened close-on-exec and non-blocking, so nothing leaks into a
 * service and the parent can accept in batches until EAGAIN; one that
 * children get itself is made blocking for them (listen_nonblock).  After a
 * bind the address is read back with getsockname(2), so port 0 is logged
 * with the port the kernel chose, and formatted once for the logs and the
 * children's environment.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

static int	 listen_backlog = SOMAXCONN;	/* listen(2)'s, from -q */
static int	 nopen;				/* listeners open */
static unsigned long nchanges;			/* listeners opened, closed */

/* The backlog of every listener listen_open() opens; set once at start. */
void
listen_init(int backlog)
{
	listen_backlog = backlog;
}

/* How many listeners are open (spawn.c's cost model). */
int
listen_count(void)
{
	return nopen;
}

/*
 * How many times a listener was opened, adopted or closed: what a
 * service's sv_fd and sv_localport say changes only with it, so a set
 * built from them (services.c's UDP ports) is stale when this moved.
 */
unsigned long
listen_changes(void)
{
	return nchanges;
}

/* Read back the bound address: the port of port 0, the strings to log. */
static void
listen_readback(struct service *sv)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	char			 buf[128];

	sv->sv_boundlen = 0;
	if (sv->sv_family == AF_UNIX ||
	    getsockname(sv->sv_fd, (struct sockaddr *)&ss, &len) == -1) {
		memcpy(&ss, &sv->sv_addr, sizeof(ss));
	} else {
		memcpy(&sv->sv_bound, &ss, sizeof(ss));
		sv->sv_boundlen = len;
	}
	addr_format_full((struct sockaddr *)&ss, buf, sizeof(buf));
	free(sv->sv_addrstr);
	if ((sv->sv_addrstr = strdup(buf)) == NULL)
		fatal("strdup");
	addr_format((struct sockaddr *)&ss, sv->sv_localip,
	    sizeof(sv->sv_localip), sv->sv_localport,
	    sizeof(sv->sv_localport));
}

/* sndbuf= and rcvbuf=, at bind and again when a reload changes them. */
void
listen_apply_bufs(struct service *sv)
{
	int	 v;

	if ((v = sv->sv_cf->cf_sndbuf) > 0 &&
	    setsockopt(sv->sv_fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == -1)
		log_warn("event=setsockopt-failed svc=%s line=%d option=sndbuf",
		    log_str(sv->sv_name), sv->sv_cf->cf_line);
	if ((v = sv->sv_cf->cf_rcvbuf) > 0 &&
	    setsockopt(sv->sv_fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) == -1)
		log_warn("event=setsockopt-failed svc=%s line=%d option=rcvbuf",
		    log_str(sv->sv_name), sv->sv_cf->cf_line);
}

/*
 * Unix sockets.  The socket's directory may be writable by other users,
 * who can swap the file at the path for anything between two looks, so
 * superd never changes a file it has looked up by name: a socket is bound
 * in a private directory made beside the path (0700, superd's), given its
 * mode and owner there, set listening, and renamed into place, where it
 * appears whole.  Its device and inode are kept: a later chmod or chown
 * (a reload) or unlink (close) acts only on that file, through a
 * descriptor opened without following a symbolic link.
 */

/* Split an absolute path into its directory (opened) and its last name. */
static int
unix_parent(const char *path, const char **base, char *err, size_t errlen)
{
	char		 dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char	*slash;
	int		 fd;

	if ((slash = strrchr(path, '/')) == NULL || slash[1] == '\0' ||
	    (size_t)(slash - path) >= sizeof(dir)) {
		(void)snprintf(err, errlen, "%s is not a socket path", path);
		errno = EINVAL;
		return -1;
	}
	*base = slash + 1;
	if (slash == path)
		(void)strlcpy(dir, "/", sizeof(dir));
	else {
		memcpy(dir, path, slash - path);
		dir[slash - path] = '\0';
	}
	if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	return fd;
}

/*
 * Whatever is at the path may be replaced only when it is a socket (one
 * left by an earlier run); any other kind of file is an error, never
 * removed.  Also the check at start and with -t (superd.c).
 */
static int
unix_check_stale(int dirfd, const char *base, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;

	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		(void)snprintf(err, errlen, "%s exists and is not a socket",
		    path);
		errno = EEXIST;
		return -1;
	}
	return 1;
}

int
listen_check_path(const struct service *sv, char *err, size_t errlen)
{
	const char	*path = ((const struct sockaddr_un *)&sv->sv_addr)->sun_path;
	struct stat	 st;

	if (sv->sv_family != AF_UNIX || lstat(path, &st) == -1 ||
	    S_ISSOCK(st.st_mode))
		return 0;
	(void)snprintf(err, errlen, "%s exists and is not a socket", path);
	return -1;
}

/* A directory of superd's own beside the socket's path, opened. */
static int
unix_private_dir(int dirfd, char *name, size_t namelen)
{
	struct stat	 st;
	int		 fd, i;

	for (i = 0; i < 8; i++) {
		(void)snprintf(name, namelen, ".superd-%08x%08x",
		    arc4random(), arc4random());
		if (mkdirat(dirfd, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return -1;
	}
	if (i == 8)
		return -1;
	fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* made by us a moment ago, but the parent is not ours: look */
	if (fd != -1 && (fstat(fd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0)) {
		(void)close(fd);
		errno = EPERM;
		return -1;
	}
	if (fd == -1)
		(void)unlinkat(dirfd, name, AT_REMOVEDIR);
	return fd;
}

/* bind(2) to a name relative to a directory: there is no bindat(2). */
static int
unix_bind_in(int fd, int privfd, const char *base)
{
	struct sockaddr_un	 sun;
	int			 cwd, r, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, base, sizeof(sun.sun_path));
	if ((cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if (fchdir(privfd) == -1) {
		saved = errno;
		(void)close(cwd);
		errno = saved;
		return -1;
	}
	r = bind(fd, (struct sockaddr *)&sun, offsetof(struct sockaddr_un,
	    sun_path) + strlen(base) + 1);
	saved = errno;
	if (fchdir(cwd) == -1 && chdir("/") == -1)
		fatal("chdir /");
	(void)close(cwd);
	errno = saved;
	return r;
}

/*
 * Bind, set mode= (default 0666, as inetd) and owner=, listen, and move
 * into place.  Returns 0, or -1 with errno and maybe err set.
 */
static int
unix_open(struct service *sv, int fd, int backlog, char *err, size_t errlen)
{
	struct svconf	*cf = sv->sv_cf;
	const char	*path = ((struct sockaddr_un *)&sv->sv_addr)->sun_path;
	const char	*base;
	char		 priv[32];
	struct stat	 st;
	int		 dirfd, privfd = -1, stale, r = -1, saved;

	if ((dirfd = unix_parent(path, &base, err, errlen)) == -1)
		return -1;
	if (unix_check_stale(dirfd, base, path, err, errlen) == -1 ||
	    (privfd = unix_private_dir(dirfd, priv, sizeof(priv))) == -1)
		goto done;
	if (unix_bind_in(fd, privfd, base) == -1 ||
	    fchmodat(privfd, base, cf->cf_mode >= 0 ? (mode_t)cf->cf_mode :
	    0666, 0) == -1 ||
	    (cf->cf_has_owner && fchownat(privfd, base, cf->cf_owner_uid,
	    cf->cf_owner_gid, AT_SYMLINK_NOFOLLOW) == -1) ||
	    fstatat(privfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    (sv->sv_socktype == SOCK_STREAM && listen(fd, backlog) == -1))
		goto done;
	/* look again at the last moment; rename(2) never follows a link */
	if ((stale = unix_check_stale(dirfd, base, path, err, errlen)) == -1)
		goto done;
	if (renameat2(privfd, base, dirfd, base,
	    stale ? 0 : RENAME_NOREPLACE) == -1) {
		if (errno == EEXIST)
			(void)snprintf(err, errlen, "%s exists and is not a "
			    "socket", path);
		goto done;
	}
	sv->sv_sockdev = st.st_dev;
	sv->sv_sockino = st.st_ino;
	r = 0;
done:
	saved = errno;
	if (privfd != -1) {
		(void)unlinkat(privfd, base, 0);
		(void)close(privfd);
		(void)unlinkat(dirfd, priv, AT_REMOVEDIR);
	}
	(void)close(dirfd);
	errno = saved;
	return r;
}

/*
 * The file at the service's path, opened without following a link, when
 * it is still the socket superd bound; -1 otherwise.
 */
static int
unix_own_file(struct service *sv)
{
	const char	*path = ((struct sockaddr_un *)&sv->sv_addr)->sun_path;
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != sv->sv_sockdev || st.st_ino != sv->sv_sockino) {
		(void)close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* A reload may change mode= and owner=: apply them to the kept socket. */
void
listen_apply_perms(struct service *sv)
{
	struct svconf	*cf = sv->sv_cf;
	char		 proc[64], q[256];
	int		 fd, r;

	if (sv->sv_family != AF_UNIX || sv->sv_adopted || sv->sv_fd == -1)
		return;
	if ((fd = unix_own_file(sv)) == -1) {
		log_quote(q, sizeof(q), errno == EPERM ? "the file at the path "
		    "is no longer superd's socket" : strerror(errno));
		log_warnx("event=chmod-failed svc=%s line=%d error=%s",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, q);
		return;
	}
	/* an O_PATH descriptor: chmod through its /proc link, not a name */
	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	r = chmod(proc, cf->cf_mode >= 0 ? (mode_t)cf->cf_mode : 0666);
	if (r == 0 && cf->cf_has_owner)
		r = fchownat(fd, "", cf->cf_owner_uid, cf->cf_owner_gid,
		    AT_EMPTY_PATH);
	if (r == -1)
		log_warn("event=chmod-failed svc=%s line=%d",
		    log_str(sv->sv_name), sv->sv_cf->cf_line);
	(void)close(fd);
}

/*
 * SO_REUSEADDR, as every inetd sets it, on a stream socket: its port is
 * bound again at once after a restart (connections in TIME_WAIT do not
 * hold it); tcp itself refuses a second listener on it.  A datagram
 * socket takes SO_REUSEPORT instead, for superd's own sharing of its
 * port (dgramconn.c's socket beside the listener, a datagram service
 * bound beside a wildcard one while a reload moves it): Linux lets any
 * user bind a udp port beside a socket with SO_REUSEADDR if his has it
 * too, and gives him its datagrams, but shares an SO_REUSEPORT one only
 * with the same effective uid.  Not for a datagram socket on port 0:
 * the kernel's choice of a free port may then be one another of superd's
 * reuse sockets holds, and two services would share it.
 */
static int
reuse_wanted(const struct service *sv)
{
	in_port_t	 port;

	if (sv->sv_socktype != SOCK_DGRAM)
		return 1;
	if (sv->sv_family == AF_INET)
		port = ((const struct sockaddr_in *)&sv->sv_addr)->sin_port;
	else
		port = ((const struct sockaddr_in6 *)&sv->sv_addr)->sin6_port;
	return port != 0;
}

/*
 * Open, bind and (for streams) listen.  Returns 0, or -1 with errno set
 * and, where errno alone would not say it, a reason in err.
 */
int
listen_open(struct service *sv, char *err, size_t errlen)
{
	int		 fd, on = 1, saved;

	err[0] = '\0';
	fd = socket(sv->sv_family, sv->sv_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	fd = fd_high(fd);
	sv->sv_fd = fd;
	if (sv->sv_family == AF_UNIX) {
		listen_apply_bufs(sv);
		if (unix_open(sv, fd, listen_backlog, err, errlen) == -1)
			goto fail;
		goto done;
	}
	if (reuse_wanted(sv) && setsockopt(fd, SOL_SOCKET,
	    sv->sv_socktype == SOCK_DGRAM ? SO_REUSEPORT : SO_REUSEADDR,
	    &on, sizeof(on)) == -1)
		goto fail;
	/* Two sockets for "tcp" on "*": the IPv6 one must not take IPv4. */
	if (sv->sv_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	listen_apply_bufs(sv);
	tcpopt_apply(sv);
	if (bind(fd, (struct sockaddr *)&sv->sv_addr, sv->sv_addrlen) == -1)
		goto fail;
	/*
	 * dgram udp nowait binds a socket beside this one for each child
	 * (dgramconn.c), which SO_REUSEPORT on both allows: on port 0 it is
	 * set once the kernel has chosen a free port, never before.
	 */
	sv->sv_noconn = 0;
	if (sv->sv_socktype == SOCK_DGRAM && !reuse_wanted(sv) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
		goto fail;
	if (sv->sv_socktype == SOCK_STREAM &&
	    listen(fd, listen_backlog) == -1)
		goto fail;
done:
	listen_readback(sv);
	nopen++;
	nchanges++;
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	sv->sv_fd = -1;
	errno = saved;
	return -1;
}

/*
 * O_NONBLOCK belongs to the socket's open file description, which every
 * child given the socket shares: on while superd accepts on it, off while
 * children get the socket itself (wait mode, dgram), whose blocking
 * accept(2) or read(2) would fail with EAGAIN otherwise.  Everything else
 * superd does on such a socket is MSG_DONTWAIT or a zero-timeout poll.
 */
void
listen_nonblock(struct service *sv, int on)
{
	int	 fl;

	if (sv->sv_fd == -1 || (fl = fcntl(sv->sv_fd, F_GETFL)) == -1 ||
	    ((fl & O_NONBLOCK) != 0) == on)
		return;
	(void)fcntl(sv->sv_fd, F_SETFL, on ? fl | O_NONBLOCK :
	    fl & ~O_NONBLOCK);
}

/* Close a listener; a unix socket's file goes with it, when still ours. */
void
listen_close(struct service *sv)
{
	int	 fd;

	if (sv->sv_fd == -1)
		return;
	(void)close(sv->sv_fd);
	sv->sv_fd = -1;
	nopen--;
	nchanges++;
	if (sv->sv_family == AF_UNIX && !sv->sv_adopted &&
	    (fd = unix_own_file(sv)) != -1) {
		(void)unlink(((struct sockaddr_un *)&sv->sv_addr)->sun_path);
		(void)close(fd);
	}
}

/*
 * Take a socket that a supervisor bound for us (LISTEN_FDS) when its type
 * and address are the service's.  fds[] holds those not yet taken; a taken
 * one is set to -1.  Returns 0 when one was adopted.
 */
int
listen_adopt(struct service *sv, int *fds, int nfds)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 i, type, flags;

	for (i = 0; i < nfds; i++) {
		if (fds[i] == -1)
			continue;
		len = sizeof(type);
		if (getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != sv->sv_socktype)
			continue;
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		if (getsockname(fds[i], (struct sockaddr *)&ss, &len) == -1 ||
		    ss.ss_family != sv->sv_family)
			continue;
		if (sv->sv_family == AF_UNIX) {
			if (strcmp(((struct sockaddr_un *)&ss)->sun_path,
			    ((struct sockaddr_un *)&sv->sv_addr)->sun_path) != 0)
				continue;
		} else if (len != sv->sv_addrlen ||
		    memcmp(&ss, &sv->sv_addr, len) != 0) {
			/* sin6_flowinfo and scope are zero on both sides */
			continue;
		}
		flags = fcntl(fds[i], F_GETFL);
		(void)fcntl(fds[i], F_SETFL, flags | O_NONBLOCK);
		(void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
		sv->sv_fd = fds[i];
		sv->sv_adopted = 1;
		fds[i] = -1;
		nopen++;
		nchanges++;
		listen_readback(sv);
		tcpopt_apply(sv);
		return 0;
	}
	return -1;
}

/*
 * An IPv4 "*" is served by its entry's IPv6 "*" when that one adopted a
 * dual-stack socket (IPV6_V6ONLY off, as systemd binds ListenStream=PORT):
 * binding 0.0.0.0 on that port would fail for good.  The IPv4 service is
 * then marked adopted with no socket of its own.  Returns 0 when so.
 */
int
listen_cover(struct service *sv, const struct svlist *list)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&sv->sv_addr;
	struct sockaddr_in6	*sin6;
	struct service		*o;
	socklen_t		 len;
	int			 v6only;
	char			 buf[64];

	if (sv->sv_family != AF_INET || !sv->sv_wildcard)
		return -1;
	TAILQ_FOREACH(o, list, sv_entry) {
		sin6 = (struct sockaddr_in6 *)&o->sv_addr;
		if (o->sv_family != AF_INET6 || !o->sv_wildcard ||
		    !o->sv_adopted || o->sv_fd == -1 ||
		    o->sv_socktype != sv->sv_socktype ||
		    o->sv_cf->cf_line != sv->sv_cf->cf_line ||
		    sin6->sin6_port != sin->sin_port)
			continue;
		len = sizeof(v6only);
		if (getsockopt(o->sv_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    &len) == -1 || v6only)
			continue;
		sv->sv_adopted = 1;
		addr_format_full((struct sockaddr *)&sv->sv_addr, buf,
		    sizeof(buf));
		free(sv->sv_addrstr);
		if ((sv->sv_addrstr = strdup(buf)) == NULL)
			fatal("strdup");
		return 0;
	}
	return -1;
}

/*
 * A datagram socket an older superd bound with SO_REUSEADDR (before it
 * took SO_REUSEPORT, see reuse_wanted) shares it the new way: SO_REUSEPORT
 * on, so that dgramconn.c's socket binds beside it, and SO_REUSEADDR off,
 * so that another user's socket no longer does.  Linux reads both at the
 * next bind(2) of the port, not at this socket's own.
 */
static void
listen_reuse_fix(struct service *sv)
{
	socklen_t	 len;
	int		 on = 0, off = 0;

	if (sv->sv_socktype != SOCK_DGRAM || sv->sv_family == AF_UNIX)
		return;
	len = sizeof(on);
	if (getsockopt(sv->sv_fd, SOL_SOCKET, SO_REUSEADDR, &on, &len) == -1 ||
	    !on)
		return;
	(void)setsockopt(sv->sv_fd, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on));
	(void)setsockopt(sv->sv_fd, SOL_SOCKET, SO_REUSEADDR, &off,
	    sizeof(off));
}

/*
 * After an upgrade in place: the socket the old binary had for sv's
 * address (upgradeadopt.c matched it), taken as it is: bound,
 * listening, its options set (a datagram one's reuse as this binary
 * sets it).  An unmatched one is closed as a reload closes a removed
 * service's.
 */
void
listen_take(struct service *sv, int fd)
{
	sv->sv_fd = fd;
	sv->sv_adopted = 1;
	sv->sv_upgraded = 1;
	nopen++;
	nchanges++;
	listen_readback(sv);
	tcpopt_apply(sv);
	listen_reuse_fix(sv);
}

/*
 * A socket handed over that no service took: logged and closed, so that
 * no client waits in a backlog nobody reads.
 */
void
listen_drop_unadopted(int *fds, int nfds)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	const char		*proto;
	char			 addr[128];
	int			 i, type;

	for (i = 0; i < nfds; i++) {
		if (fds[i] == -1)
			continue;
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		(void)strlcpy(addr, "-", sizeof(addr));
		if (getsockname(fds[i], (struct sockaddr *)&ss, &len) == 0)
			addr_format_full((struct sockaddr *)&ss, addr,
			    sizeof(addr));
		len = sizeof(type);
		if (getsockopt(fds[i], SOL_SOCKET, SO_TYPE, &type, &len) == -1)
			type = 0;
		if (ss.ss_family == AF_UNIX)
			proto = "unix";
		else if (type == SOCK_STREAM)
			proto = ss.ss_family == AF_INET6 ? "tcp6" : "tcp4";
		else if (type == SOCK_DGRAM)
			proto = ss.ss_family == AF_INET6 ? "udp6" : "udp4";
		else
			proto = "-";
		log_warnx("event=adopt-unused addr=%s proto=%s "
		    "error=\"no service of the table has this address\"",
		    log_str(addr), proto);
		(void)close(fds[i]);
		fds[i] = -1;
	}
}
