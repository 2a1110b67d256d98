/*
 * spawnback.c: a connection given back by a child over RLIMIT_NPROC.
 *
 * A child whose execve fails with EAGAIN (its user is over RLIMIT_NPROC,
 * which setuid lets through) sends its connection back to the parent on
 * a socket pair (SCM_RIGHTS) before it exits (child_back, on the child
 * path: raw system calls only); the parent claims it when it reaps that
 * child (spawn_returned) and tries it again.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "sys.h"
#include "spawnint.h"

/*
 * A socket pair on which a child whose execve failed with EAGAIN gives
 * its connection back (SCM_RIGHTS), so superd can try that connection
 * again instead of losing it.  Whose it is the kernel says (SO_PASSCRED:
 * the sender's pid as superd's PID namespace numbers it), not the child,
 * which under private-pid is 1 to itself.
 */
#define BACK_MAX	64
static int		 back_parent = -1;
static struct {
	pid_t		 bk_pid;
	int		 bk_fd;
}			 backs[BACK_MAX];
static int		 nback;

/*
 * The socket pair: its children's end (returned) low, right above
 * spawn.c's eventfd; ours with superd's other long-lived descriptors.
 * The lower number of the pair is the children's: were it ours, it
 * would be left free when ours moves up, and the connection that took
 * it, below the children's end, could only be spawned the slow way.
 */
int
back_open(void)
{
	int	 sp[2], on = 1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
	    sp) == -1)
		return -1;
	if (setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1) {
		(void)close(sp[0]);
		(void)close(sp[1]);
		return -1;
	}
	back_parent = fd_high(sp[1]);
	return sp[0];
}

/*
 * Connections children gave back (child_back) and not yet claimed at
 * their reap (spawn_returned): read from the socket as they come.
 */
static void
back_drain(void)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(int)) +
				    CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr	 align;
	}			 cbuf;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	struct ucred		 uc;
	pid_t			 pid;
	char			 b;
	int			 fd;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = &b;
		iov.iov_len = sizeof(b);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		if (recvmsg(back_parent, &msg, MSG_DONTWAIT |
		    MSG_CMSG_CLOEXEC) == -1)
			return;
		fd = -1;
		pid = 0;
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_SOCKET)
				continue;
			if (cm->cmsg_type == SCM_RIGHTS && fd == -1)
				memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
			else if (cm->cmsg_type == SCM_CREDENTIALS) {
				memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
				pid = uc.pid;
			}
		}
		if (fd == -1)
			continue;
		if (pid <= 0 || nback == BACK_MAX) {
			(void)close(fd);	/* as if the child had kept it */
			continue;
		}
		backs[nback].bk_pid = pid;
		backs[nback++].bk_fd = fd;
	}
}

/*
 * The connection child pid gave back before it exited, because execve
 * failed with EAGAIN (RLIMIT_NPROC of its user); -1 when it gave none.
 * The caller owns it and may start another child for it.
 */
int
spawn_returned(pid_t pid)
{
	int	 i, fd;

	back_drain();
	for (i = 0; i < nback; i++)
		if (backs[i].bk_pid == pid) {
			fd = backs[i].bk_fd;
			backs[i] = backs[--nback];
			return fd;
		}
	return -1;
}

/*
 * Over RLIMIT_NPROC the kernel lets setuid(2) through and fails execve(2)
 * with EAGAIN: give the connection back to superd, which the kernel
 * tells this child's pid and which claims it when it reaps this child.
 * Built on this stack only.
 */
CHILD_FN void
child_back(int sock)
{
	union {
		char		 buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	 align;
	}			 cb;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	char			 b = 0;

	iov.iov_base = &b;
	iov.iov_len = sizeof(b);
	msg.msg_name = NULL;
	msg.msg_namelen = 0;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cb.buf;
	msg.msg_controllen = sizeof(cb.buf);
	msg.msg_flags = 0;
	cm = (struct cmsghdr *)cb.buf;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	*(int *)CMSG_DATA(cm) = STDIN_FILENO;
	(void)sys3(SYS_sendmsg, sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}
