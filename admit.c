/*
 * admit.c: from a ready listener to a connection allowed a child.
 *
 * Accepting in batches (ACCEPT_BATCH a wakeup, for fairness); admission
 * of each peer: allow=/deny=, then per-source=, then rate= (limits.c),
 * so that a denied peer spends no token, with every refusal logged
 * (refuse.c); the connections a spawn failed for, held and tried again
 * after a back-off; and the wait while every spawn slot is taken.  A
 * connection admitted here is handed to start_child() (child.c) with its
 * per-source entry, and is the child's from then on.  The datagrams of a
 * datagram built-in are read and admitted here the same way, one
 * admission path for every kind of service, and answered with what
 * internal.c writes.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define SLOTS_POLL_SECS	0.01	/* every spawn slot taken: look again */
#define HELD_POLL_SECS	0.05	/* a held connection waits for a resume */
#define DGRAM_BATCH	64	/* datagrams per wakeup, built-ins */

/*
 * Connections a spawn failed for, kept to be tried again (held_keep);
 * superd holds at most HELD_MAX of them, refusing the rest.
 */
#define HELD_MAX	64
struct held {
	struct service	*h_sv;		/* NULL: free */
	int		 h_fd;
	int		 h_tries;
	struct srcent	*h_src;
	struct sockaddr_storage h_peer;
};
static struct held	 helds[HELD_MAX];

/*
 * A spawn for connection fd failed for lack of resources (processes,
 * descriptors, memory): keep the connection rather than close it, stop
 * accepting, and try it again after a back-off that doubles with each
 * try (held_retry).  After HELD_TRIES tries it is closed and counted as
 * a refusal.  Returns 1 when the connection is kept (or closed after its
 * last try), and the caller no longer owns fd and src; 0 for any other
 * failure.
 */
int
held_keep(struct service *sv, int fd, const struct sockaddr *peer,
    struct srcent *src, double now, const char *what, int tries)
{
	struct held	*h = NULL;
	double		 secs;
	int		 i;

	switch (errno) {
	case EAGAIN:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ENOSPC:
		break;
	default:
		return 0;
	}
	for (i = 0; i < HELD_MAX && h == NULL; i++)
		if (helds[i].h_sv == NULL)
			h = &helds[i];
	if (++tries > HELD_TRIES || h == NULL || sv->sv_retired) {
		(void)close(fd);
		refuse(sv, REFUSE_SPAWN, peer, now);
		limits_source_put(src);
		if (!sv->sv_retired)
			backoff(sv, now, 0.25, what);
		return 1;
	}
	h->h_sv = sv;
	h->h_fd = fd;
	h->h_src = src;
	h->h_tries = tries;
	memcpy(&h->h_peer, peer, peer->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : peer->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_storage));
	sv->sv_held++;
	secs = 0.02 * (1 << (tries - 1));
	backoff(sv, now, secs < 1.0 ? secs : 1.0, what);
	return 1;
}

/*
 * The held connections' next tries, once nothing else pauses the service;
 * a failure pauses it again.
 */
void
held_retry(struct service *sv, double now)
{
	struct held	 h;
	int		 i;

	for (i = 0; i < HELD_MAX && sv->sv_held > 0; i++) {
		if (helds[i].h_sv != sv)
			continue;
		if (sv->sv_pause != 0 || slots_wait(sv, now)) {
			walk_at(now + HELD_POLL_SECS);
			return;
		}
		h = helds[i];
		helds[i].h_sv = NULL;
		sv->sv_held--;
		sv->sv_retrytries = h.h_tries;
		(void)start_child(sv, h.h_fd, (struct sockaddr *)&h.h_peer,
		    h.h_src, now);
		sv->sv_retrytries = 0;
	}
}

/* A reload removed the service: its held connections go, refused. */
void
held_drop(struct service *sv, double now)
{
	int	 i;

	for (i = 0; i < HELD_MAX && sv->sv_held > 0; i++) {
		if (helds[i].h_sv != sv)
			continue;
		helds[i].h_sv = NULL;
		sv->sv_held--;
		(void)close(helds[i].h_fd);
		refuse(sv, REFUSE_SPAWN, (struct sockaddr *)&helds[i].h_peer,
		    now);
		limits_source_put(helds[i].h_src);
	}
}

/*
 * Admission of a connection or datagram from peer: allow/deny, then
 * per-source, then rate (so a denied peer spends no token).  Returns the
 * per-source entry through srcp, or -1 with the refusal logged.
 */
int
admit(struct service *sv, const struct sockaddr *peer, double now,
    struct srcent **srcp)
{
	const struct svconf	*cf = sv->sv_cf;
	struct srcent		*src;

	*srcp = NULL;
	if (!limits_acl_allows(cf, peer)) {
		refuse(sv, REFUSE_DENY, peer, now);
		return -1;
	}
	src = limits_source_get(sv, peer);
	if (cf->cf_per_source > 0 && src != NULL &&
	    src->se_count > cf->cf_per_source) {
		limits_source_put(src);
		refuse(sv, REFUSE_PER_SOURCE, peer, now);
		return -1;
	}
	if (!limits_rate_take(sv, now)) {
		limits_source_put(src);
		refuse(sv, REFUSE_RATE, peer, now);
		return -1;
	}
	*srcp = src;
	return 0;
}

/*
 * Every spawn slot is taken by a child that has not reached execve yet
 * (spawn.c): connections and datagrams wait in the kernel meanwhile.
 */
static int	 slots_starved;

int
slots_wait(struct service *sv, double now)
{
	if (sv->sv_cf->cf_builtin != BI_NONE || spawn_ready())
		return 0;
	poll_pause(sv, PAUSE_SLOTS);
	slots_starved = 1;
	walk_at(now + SLOTS_POLL_SECS);
	return 1;
}

/*
 * Resume when a slot is free; on the timers' walk, also take slots back
 * from children stuck before execve, and look again soon.
 */
void
slots_check(double now, int walking)
{
	struct service	*sv;

	if (!slots_starved)
		return;
	if (walking)
		spawn_reclaim(now);
	if (!spawn_ready()) {
		if (walking)
			walk_at(now + SLOTS_POLL_SECS);
		return;
	}
	slots_starved = 0;
	TAILQ_FOREACH(sv, &services, sv_entry)
		if (sv->sv_pause & PAUSE_SLOTS)
			poll_resume(sv, PAUSE_SLOTS);
}

/* stream nowait: accept in a batch until EAGAIN or a pause. */
void
accept_batch(struct service *sv, double now)
{
	struct sockaddr_storage	 ss;
	struct srcent		*src;
	socklen_t		 len;
	int			 i, fd;

	/* connections kept from a failed spawn go first */
	if (sv->sv_held > 0) {
		held_retry(sv, now);
		if (sv->sv_held > 0 || sv->sv_pause != 0)
			return;
	}
	for (i = 0; i < ACCEPT_BATCH && sv->sv_pause == 0; i++) {
		if (i > 0 && slots_wait(sv, now))
			return;
		len = sizeof(ss);
		fd = accept4(sv->sv_fd, (struct sockaddr *)&ss, &len,
		    SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/*
				 * The connection stays in the backlog and
				 * epoll would report it again at once: stop
				 * polling for a moment instead of spinning.
				 */
				backoff(sv, now, 0.1, "accept");
				return;
			case EAGAIN:
				return;
			default:
				log_warn("event=accept-failed svc=%s line=%d",
				    log_str(sv->sv_name), sv->sv_cf->cf_line);
				return;
			}
		}
		addr_unmap(&ss);
		if (admit(sv, (struct sockaddr *)&ss, now, &src) == -1) {
			(void)close(fd);
			continue;
		}
		if (start_child(sv, fd, (struct sockaddr *)&ss, src,
		    now) == NULL)
			limits_source_put(src);
	}
}

/*
 * Answer the datagrams waiting on a datagram built-in, in the parent, at
 * most DGRAM_BATCH per wakeup so that other services are not starved,
 * each admitted as a connection is (internal.c writes the answer).  The
 * buffer holds the largest UDP payload (65,507 bytes over IPv4, 65,527
 * over IPv6), so echo returns every datagram whole (RFC 862).  The
 * socket may be blocking (children get it so): every call here says
 * MSG_DONTWAIT.
 */
void
admit_builtin_dgram(struct service *sv, double now)
{
	static char		 buf[65536];
	struct sockaddr_storage	 ss;
	struct srcent		*src;
	socklen_t		 sslen;
	ssize_t			 n, len;
	int			 i;

	for (i = 0; i < DGRAM_BATCH; i++) {
		sslen = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		n = recvfrom(sv->sv_fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&ss, &sslen);
		if (n == -1)
			return;
		switch (internal_dgram_ask(sv->sv_cf->cf_builtin, &ss,
		    (size_t)n)) {
		case -1:
			refuse(sv, REFUSE_DENY, (struct sockaddr *)&ss, now);
			continue;
		case 0:
			continue;
		}
		if (admit(sv, (struct sockaddr *)&ss, now, &src) == -1)
			continue;
		limits_source_put(src);
		sv->sv_started++;
		if ((len = internal_dgram_answer(sv->sv_cf->cf_builtin, buf,
		    (size_t)n, sizeof(buf))) == -1)
			continue;
		(void)sendto(sv->sv_fd, buf, (size_t)len, MSG_DONTWAIT,
		    (struct sockaddr *)&ss, sslen);
	}
}
