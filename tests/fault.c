/*
 * fault.c: a library the hostile tests preload into superd
 * (LD_PRELOAD) to make the kernel refuse what a test on a shared machine
 * cannot make it refuse for real.
 *
 *   FAULT_EPOLL_FILE=PATH	while PATH exists, epoll_ctl(EPOLL_CTL_ADD)
 *				fails with ENOSPC, as past
 *				fs.epoll.max_user_watches
 *   FAULT_NO_TIMESTAMPS=1	setsockopt(SO_TIMESTAMPNS) fails with
 *				ENOPROTOOPT, as where the kernel has none
 *   FAULT_PIPE_FILE=PATH	while PATH exists, pipe2(2) fails with
 *				EMFILE, as out of descriptors
 *
 * Only these calls are wrapped, and errno is left as the real call left
 * it.  superd's children run with a clean environment, without it.
 */

#define _GNU_SOURCE
#include <sys/epoll.h>
#include <sys/socket.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	static int	(*real)(int, int, int, struct epoll_event *);
	const char	*path = getenv("FAULT_EPOLL_FILE");
	int		 saved = errno, full;

	if (real == NULL)
		real = (int (*)(int, int, int, struct epoll_event *))
		    dlsym(RTLD_NEXT, "epoll_ctl");
	full = op == EPOLL_CTL_ADD && path != NULL && access(path, F_OK) == 0;
	errno = saved;
	if (full) {
		errno = ENOSPC;
		return -1;
	}
	return real(epfd, op, fd, ev);
}

int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int	(*real)(int, int, int, const void *, socklen_t);
	const char	*no = getenv("FAULT_NO_TIMESTAMPS");

	if (real == NULL)
		real = (int (*)(int, int, int, const void *, socklen_t))
		    dlsym(RTLD_NEXT, "setsockopt");
	/* 35 and 64: SO_TIMESTAMPNS_OLD and _NEW */
	if (no != NULL && level == SOL_SOCKET && (name == SO_TIMESTAMPNS ||
	    name == 35 || name == 64)) {
		errno = ENOPROTOOPT;
		return -1;
	}
	return real(fd, level, name, val, len);
}

int
pipe2(int fds[2], int flags)
{
	static int	(*real)(int *, int);
	const char	*path = getenv("FAULT_PIPE_FILE");
	int		 saved = errno, out;

	if (real == NULL)
		real = (int (*)(int *, int))dlsym(RTLD_NEXT, "pipe2");
	out = path != NULL && access(path, F_OK) == 0;
	errno = saved;
	if (out) {
		errno = EMFILE;
		return -1;
	}
	return real(fds, flags);
}
