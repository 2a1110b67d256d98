/*
 * admit.c: from a ready listener to a connection allowed a child.
 *
 * Accepting in batches (ACCEPT_BATCH a wakeup, for fairness); admission
 * of each peer: allow=/deny=, then per-source=, then rate= (limits.c),
 * so that a denied peer spends no token, with every refusal logged
 * (refuse.c) and refuse-message='s text written to the refused client
 * before the close; the next tries of the connections a spawn failed
 * for, held (held.c) after a back-off; and the wait while every spawn
 * slot is taken.  A connection admitted here is handed to child_start()
 * (child.c) with its per-source entry, and is the child's from then on.
 * A connection from a proxy= balancer is admitted under the client's
 * address once its PROXY header is in (proxywait.c reads it) and its
 * service may start a child: while the service is paused it waits, not
 * yet admitted, as a held one does.
 * The datagrams of a datagram built-in are read and admitted here the
 * same way, one admission path for every kind of service, and answered
 * with what internal.c writes.
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
 * The held connections' next tries, once nothing else pauses the service;
 * a failure pauses it again.  While it is paused, they are looked at
 * again every HELD_POLL_SECS (sv_held_timer), and as soon as a back-off
 * is over (refuse.c sets the timer then; a pause over by now ends here
 * first, should the held timer run before poll.c's).
 */
static void
held_retry(struct service *sv, double now)
{
	struct sockaddr_storage	 peer;
	struct srcent		*src;
	struct proxied		*px;
	int			 i, fd, tries;

	poll_expire(sv, now);
	for (i = 0; (i = held_next(sv, i)) != -1; i++) {
		if (sv->sv_pause != 0 || slots_wait(sv, now)) {
			timer_set_by(&sv->sv_held_timer, now + HELD_POLL_SECS);
			return;
		}
		fd = held_take(sv, i, &peer, &src, &px, &tries);
		sv->sv_retrytries = tries;
		(void)child_start(sv, fd, (struct sockaddr *)&peer, src, px,
		    now);
		sv->sv_retrytries = 0;
	}
}

void
held_due(struct timer *t, double now)
{
	held_retry(t->tm_arg, now);
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
 * The kernel says nothing when a slot frees (its child's execve clears
 * a word of memory), so slots_check asks at every turn of the loop, and
 * slots_timer every SLOTS_POLL_SECS, when it also takes slots back from
 * children stuck before execve (spawn_reclaim).  The services paused
 * for a slot (PAUSE_SLOTS) are on slots_waiting, and only they are
 * resumed.
 */
static struct svlist	 slots_waiting = TAILQ_HEAD_INITIALIZER(slots_waiting);
static struct timer	 slots_timer;

static void
slots_due(struct timer *t, double now)
{
	spawn_reclaim(now);
	slots_check(now);
	if (!TAILQ_EMPTY(&slots_waiting))
		timer_set_by(t, now + SLOTS_POLL_SECS);
}

int
slots_wait(struct service *sv, double now)
{
	if (sv->sv_cf->cf_builtin != BI_NONE || spawn_ready())
		return 0;
	if (!(sv->sv_pause & PAUSE_SLOTS))
		TAILQ_INSERT_TAIL(&slots_waiting, sv, sv_slotentry);
	poll_pause(sv, PAUSE_SLOTS);
	timer_init(&slots_timer, slots_due, NULL);
	timer_set_by(&slots_timer, now + SLOTS_POLL_SECS);
	return 1;
}

/* Each turn of the loop: once a slot is free, resume who waited for it. */
void
slots_check(double now)
{
	struct service	*sv;

	(void)now;
	if (TAILQ_EMPTY(&slots_waiting) || !spawn_ready())
		return;
	timer_clear(&slots_timer);
	while ((sv = TAILQ_FIRST(&slots_waiting)) != NULL) {
		TAILQ_REMOVE(&slots_waiting, sv, sv_slotentry);
		poll_resume(sv, PAUSE_SLOTS);
	}
}

/* A reload removed sv: it waits for a slot no more. */
void
slots_forget(struct service *sv)
{
	if (!(sv->sv_pause & PAUSE_SLOTS))
		return;
	TAILQ_REMOVE(&slots_waiting, sv, sv_slotentry);
	sv->sv_pause &= ~PAUSE_SLOTS;
}

/*
 * refuse-message=: the text, to a connection admission refused, just
 * before it is closed.  What the client already sent (up to a buffer's
 * worth) is read away first, since a close(2) with unread input answers
 * with a reset, and a reset may cost the client the text.  One send,
 * MSG_DONTWAIT: the text is at most 512 bytes, which a fresh socket's
 * send buffer always takes, and is never waited for or tried again;
 * MSG_NOSIGNAL, though superd ignores SIGPIPE anyway.
 */
static void
refuse_say(const struct service *sv, int fd)
{
	static char		 junk[16384];
	const struct svconf	*cf = sv->sv_cf;

	if (cf->cf_refmsg == NULL)
		return;
	(void)recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
	(void)send(fd, cf->cf_refmsg, cf->cf_refmsglen,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * A connection from a balancer whose header is in, when its service may
 * start a child: admitted now, as a direct connection from the client
 * the header names is at its accept (allow=/deny=, per-source=, rate=),
 * just before its child starts, then started; refused, closed and its
 * record freed otherwise.
 */
static void
admit_px_start(struct service *sv, struct proxied *px, double now)
{
	struct srcent	*src;
	int		 fd;

	fd = proxy_take(px);
	if (admit(sv, proxy_peer(px), now, &src) == -1) {
		refuse_say(sv, fd);
		(void)close(fd);
		proxy_free(px);
		return;
	}
	(void)child_start(sv, fd, proxy_peer(px), src, px, now);
}

/*
 * The connections from balancers whose header came while their service
 * was paused (instances=, a back-off, no spawn slot), oldest first, once
 * nothing pauses it and no held connection is before them; looked at
 * again every HELD_POLL_SECS meanwhile, as held ones are.  They are not
 * admitted yet: a direct connection waits in the backlog unadmitted.
 */
static void
admit_px_retry(struct service *sv, double now)
{
	struct proxied	*px;

	poll_expire(sv, now);
	while ((px = proxy_next_ready(sv)) != NULL) {
		if (sv->sv_held > 0 || sv->sv_pause != 0 ||
		    slots_wait(sv, now)) {
			timer_set_by(&sv->sv_pxtimer, now + HELD_POLL_SECS);
			return;
		}
		admit_px_start(sv, px, now);
	}
}

static void
admit_px_due(struct timer *t, double now)
{
	admit_px_retry(t->tm_arg, now);
}

/*
 * A connection from a balancer whose PROXY header is in: started (and
 * admitted then), or, while its service is paused, kept unadmitted
 * until it may start, behind those before it.
 */
static void
admit_px(struct service *sv, struct proxied *px, double now)
{
	if (sv->sv_held > 0 || proxy_next_ready(sv) != NULL ||
	    sv->sv_pause != 0 || slots_wait(sv, now)) {
		proxy_ready(px);
		timer_init(&sv->sv_pxtimer, admit_px_due, sv);
		timer_set_by(&sv->sv_pxtimer, now + HELD_POLL_SECS);
		return;
	}
	admit_px_start(sv, px, now);
}

/*
 * A connection waiting for its PROXY header is readable, or its peer's
 * end has come (events, epoll's: superd.c).
 */
void
admit_proxied(struct evsrc *src, uint32_t events, double now)
{
	struct proxied	*px;

	if ((px = proxy_event(src, events, now)) != NULL)
		admit_px(px->px_sv, px, now);
}

/*
 * stream nowait: accept in a batch until EAGAIN or a pause.  A
 * connection from a proxy= source waits for its PROXY header first
 * (proxywait.c), unless the header came with it.
 */
void
accept_batch(struct service *sv, double now)
{
	struct sockaddr_storage	 ss;
	struct srcent		*src;
	struct proxied		*px;
	socklen_t		 len;
	int			 i, fd;

	/* connections kept from a failed spawn go first, then the admitted */
	if (sv->sv_held > 0) {
		held_retry(sv, now);
		if (sv->sv_held > 0 || sv->sv_pause != 0)
			return;
	}
	if (proxy_next_ready(sv) != NULL) {
		admit_px_retry(sv, now);
		if (proxy_next_ready(sv) != NULL || sv->sv_pause != 0)
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
		sv->sv_mx.mx_conns++;
		addr_unmap(&ss);
		if (sv->sv_cf->cf_nproxy > 0 &&
		    limits_proxy_from(sv->sv_cf, (struct sockaddr *)&ss)) {
			if ((px = proxy_wait(sv, fd, (struct sockaddr *)&ss,
			    now)) != NULL)
				admit_px(sv, px, now);
			continue;
		}
		if (admit(sv, (struct sockaddr *)&ss, now, &src) == -1) {
			refuse_say(sv, fd);
			(void)close(fd);
			continue;
		}
		(void)child_start(sv, fd, (struct sockaddr *)&ss, src, NULL,
		    now);
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
		sv->sv_mx.mx_conns++;
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
