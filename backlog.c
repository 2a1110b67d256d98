/*
 * backlog.c: what waits in a stream wait service's listener, told by
 * the kernel, for the loop guard (guard.c): did the child that held the
 * socket accept anything?  A child that accepted even one connection is
 * never said to have left its input (GUARD_TAKEN); GUARD_MAYBE is said
 * only when the kernel proves that it took none.
 *
 * Both kinds of listener keep their accept queue in arrival order and
 * accept(2) takes its head, so a child took none exactly when every
 * connection queued before it started is still queued when it exits.
 * sock_diag names them: a unix listener's UNIX_DIAG_ICONS lists its
 * queue (by the inodes of the clients' sockets); a TCP connection still
 * queued is an established socket on the listener's port that no file
 * holds yet (inode 0), known by its cookie.
 *
 * When TCP's diag cannot say (no netlink, a queue of more than
 * BACKLOG_IDS), lengths are used: taken = start + arrivals - end, and
 * the arrivals are at most the growth of the namespace's TcpPassiveOpens,
 * so end - start >= that growth proves that nothing was taken.  Other
 * TCP traffic hides that proof; a queue that did not shrink is then only
 * GUARD_SUSPECT, for guard_missed's second rule.  Each answer costs a
 * few system calls, made only for wait services, at a child's start and
 * exit; none of them blocks (the kernel answers netlink within send(2)
 * and recv(2)).
 *
 * What was marked is kept in a struct backlog of the service's own,
 * allocated at its first mark (only stream wait services have one) and
 * freed with the service.  Where that allocation fails nothing is
 * marked, and the exit proves nothing (GUARD_TAKEN), as when sock_diag
 * cannot answer.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define DIAG_RECVS	256	/* answers read for one dump, at most */
#define BACKLOG_IDS	64	/* queued TCP connections told apart */

/* What waited in a stream wait service's listener at a child's start. */
struct backlog {
	long long	 bl_queued;	/* TCP: the accept queue's length */
	long long	 bl_opens;	/* TCP: TcpPassiveOpens */
	int		 bl_ids;	/* TCP: cookies in bl_id; -1: unknown */
	uint64_t	 bl_id[BACKLOG_IDS];
	long long	 bl_head;	/* unix: the queue's head, by inode */
};

static int		 diag_fd = -1;
static uint32_t		 diag_seq;
static union {
	struct nlmsghdr	 nh;
	char		 b[32768];
}			 diag_buf;

/* The sock_diag socket, opened once; -1 when there is none. */
static int
diag_open(void)
{
	if (diag_fd == -1)
		diag_fd = fd_high(socket(AF_NETLINK, SOCK_DGRAM |
		    SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG));
	return diag_fd;
}

/* Ask sock_diag, after reading away what an earlier question left. */
static int
diag_ask(void *req, size_t len)
{
	struct nlmsghdr	*nh = req;

	if (diag_open() == -1)
		return -1;
	while (recv(diag_fd, diag_buf.b, sizeof(diag_buf.b),
	    MSG_DONTWAIT) > 0)
		;
	nh->nlmsg_len = len;
	nh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nh->nlmsg_seq = ++diag_seq;
	return send(diag_fd, req, len, MSG_DONTWAIT) == -1 ? -1 : 0;
}

/*
 * The first connection in a unix listener's accept queue, by the inode
 * of its client's socket (UNIX_DIAG_ICONS lists them in queue order):
 * 0 when the queue is empty, -1 when unknown.
 */
static long long
unix_head(struct service *sv)
{
	struct {
		struct nlmsghdr		nh;
		struct unix_diag_req	r;
	}			 req;
	struct unix_diag_msg	*m;
	struct rtattr		*rta;
	struct stat		 st;
	ssize_t			 n;
	size_t			 left;
	uint32_t		 ino;

	if (fstat(sv->sv_fd, &st) == -1)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_ino = st.st_ino;
	req.r.udiag_show = UDIAG_SHOW_ICONS;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (diag_ask(&req, sizeof(req)) == -1 ||
	    (n = recv(diag_fd, diag_buf.b, sizeof(diag_buf.b),
	    MSG_DONTWAIT)) < (ssize_t)NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m))) ||
	    diag_buf.nh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    diag_buf.nh.nlmsg_seq != diag_seq)
		return -1;
	m = NLMSG_DATA(&diag_buf.nh);
	if (m->udiag_ino != st.st_ino)
		return -1;
	/* a long queue may not fit: only its head is needed */
	rta = (struct rtattr *)((char *)m + NLMSG_ALIGN(sizeof(*m)));
	left = (size_t)n - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(*m)));
	while (left >= sizeof(*rta) && rta->rta_len >= sizeof(*rta)) {
		if (rta->rta_type == UNIX_DIAG_ICONS) {
			if (RTA_PAYLOAD(rta) < sizeof(ino))
				return 0;
			if (left < RTA_LENGTH(sizeof(ino)))
				return -1;
			memcpy(&ino, RTA_DATA(rta), sizeof(ino));
			return ino;
		}
		if (RTA_ALIGN(rta->rta_len) >= left)
			break;
		left -= RTA_ALIGN(rta->rta_len);
		rta = (struct rtattr *)((char *)rta + RTA_ALIGN(rta->rta_len));
	}
	return -1;
}

/*
 * The TCP connections queued on sv's listener, by cookie: an established
 * (or, its client gone, close-wait) socket on the listener's port that
 * no file holds.  With was NULL they are stored in bl (bl_ids -1 when
 * there are more than BACKLOG_IDS); else the count of was's that are
 * still queued is returned.  -1: unknown.
 */
static int
tcp_diag(struct service *sv, struct backlog *bl, const struct backlog *was)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	r;
	}			 req;
	struct sockaddr_storage	 ss;
	struct inet_diag_msg	*m;
	struct nlmsghdr		*nh;
	socklen_t		 sslen = sizeof(ss);
	uint64_t		 ck;
	ssize_t			 n;
	int			 i, k, found = 0;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(sv->sv_fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = ss.ss_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1 << TCP_ESTABLISHED | 1 << TCP_CLOSE_WAIT;
	/* the same place in sockaddr_in and sockaddr_in6 */
	req.r.id.idiag_sport = ((struct sockaddr_in *)&ss)->sin_port;
	if (bl != NULL)
		bl->bl_ids = 0;
	if (diag_ask(&req, sizeof(req)) == -1)
		return -1;
	for (k = 0; k < DIAG_RECVS; k++) {
		if ((n = recv(diag_fd, diag_buf.b, sizeof(diag_buf.b),
		    MSG_DONTWAIT)) <= 0)
			break;
		for (nh = &diag_buf.nh; NLMSG_OK(nh, n);
		    nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != diag_seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE)
				return found;
			if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				goto fail;
			m = NLMSG_DATA(nh);
			if (m->idiag_inode != 0)
				continue;	/* accepted: a file holds it */
			ck = m->id.idiag_cookie[0] |
			    (uint64_t)m->id.idiag_cookie[1] << 32;
			if (was != NULL) {
				for (i = 0; i < was->bl_ids; i++)
					if (was->bl_id[i] == ck)
						found++;
			} else if (bl->bl_ids >= 0 &&
			    bl->bl_ids < BACKLOG_IDS)
				bl->bl_id[bl->bl_ids++] = ck;
			else
				bl->bl_ids = -1;
		}
	}
fail:
	if (bl != NULL)
		bl->bl_ids = -1;
	return -1;
}

/* Connections waiting in a TCP listener's accept queue; -1: unknown. */
static long long
tcp_queued(struct service *sv)
{
	struct tcp_info	 ti;
	socklen_t	 len = sizeof(ti);

	/* on a listener, tcpi_unacked is the accept queue's length */
	if (getsockopt(sv->sv_fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_state == TCP_LISTEN)
		return ti.tcpi_unacked;
	return -1;
}

/*
 * TcpPassiveOpens of /proc/net/snmp: connections that reached some
 * accept queue of this network namespace (tcp_create_openreq_child
 * counts each, IPv4 and IPv6 alike); -1: unknown.
 */
static long long
passive_opens(void)
{
	static int	 fd = -1;
	char		 buf[8192], *hdr, *val, *h, *v, *hs, *vs;
	ssize_t		 n;

	if (fd == -1 && (fd = fd_high(open("/proc/net/snmp", O_RDONLY |
	    O_CLOEXEC))) == -1)
		return -1;
	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return -1;
	buf[n] = '\0';
	/* "Tcp: RtoAlgorithm ... PassiveOpens ...\nTcp: 1 ... 12 ...\n" */
	if ((hdr = strstr(buf, "\nTcp: ")) == NULL ||
	    (val = strstr(hdr + 1, "\nTcp: ")) == NULL)
		return -1;
	*val++ = '\0';
	if ((v = strchr(val, '\n')) != NULL)
		*v = '\0';
	h = strtok_r(hdr + 1, " ", &hs);
	v = strtok_r(val, " ", &vs);
	while (h != NULL && v != NULL) {
		if (strcmp(h, "PassiveOpens") == 0)
			return strtoll(v, NULL, 10);
		h = strtok_r(NULL, " ", &hs);
		v = strtok_r(NULL, " ", &vs);
	}
	return -1;
}

/*
 * Before a wait child is handed sv's listener: what waits there.  The
 * count of opens is read before the queue, and after it at the exit, so
 * that it covers every arrival the queue can show.
 */
void
backlog_mark(struct service *sv)
{
	struct backlog	*bl;

	if (sv->sv_backlog == NULL &&
	    (sv->sv_backlog = calloc(1, sizeof(*sv->sv_backlog))) == NULL)
		return;		/* nothing marked: the exit proves nothing */
	bl = sv->sv_backlog;
	if (sv->sv_proto != PROTO_TCP) {
		bl->bl_head = unix_head(sv);
		return;
	}
	bl->bl_opens = passive_opens();
	bl->bl_queued = tcp_queued(sv);
	(void)tcp_diag(sv, bl, NULL);
}

/*
 * The child that held sv's listener has exited: GUARD_MAYBE when it
 * surely accepted nothing and something waits, GUARD_SUSPECT when it
 * may have, GUARD_TAKEN when it surely did or nothing waits.
 */
int
backlog_left(struct service *sv)
{
	const struct backlog *bl = sv->sv_backlog;
	long long	 q, opens;
	int		 found;

	if (bl == NULL)
		return GUARD_TAKEN;
	if (sv->sv_proto != PROTO_TCP) {
		/* unknown (-1) is never a miss */
		q = unix_head(sv);
		return q > 0 && q == bl->bl_head ? GUARD_MAYBE : GUARD_TAKEN;
	}
	q = tcp_queued(sv);
	if (q <= 0)
		return GUARD_TAKEN;
	if (bl->bl_ids > 0 && (found = tcp_diag(sv, NULL, bl)) >= 0)
		return found == bl->bl_ids ? GUARD_MAYBE : GUARD_TAKEN;
	opens = passive_opens();
	if (bl->bl_queued < 0 || q < bl->bl_queued)
		return GUARD_TAKEN;
	if (opens >= 0 && bl->bl_opens >= 0 &&
	    q - bl->bl_queued >= opens - bl->bl_opens)
		return GUARD_MAYBE;
	return GUARD_SUSPECT;
}
