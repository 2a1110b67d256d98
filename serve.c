/*
 * serve.c: from a ready listener to a running child and back.
 *
 * A listener is in the epoll set with EPOLLIN while its service may start
 * children, and in the set with no events while it is paused (sv_pause
 * holds why): at its instances= limit, while a wait-mode child holds its
 * socket, while a dgram nowait child has not read its datagram yet, after
 * running out of descriptors or processes, while its loop guard or the
 * rate= of a wait service holds it back (guard.c), and until it could be
 * bound.  Connections wait in the kernel's backlog meanwhile; none is
 * refused.  A listener epoll could not take is out of the set, retried.
 *
 * Every child is watched through its pidfd, whose epoll event points at
 * the struct child: reaping costs the same with 10 or 10,000 children
 * (one epoll could not take is polled instead).  A child is always
 * reaped and logged under the service it started from, even when a
 * reload removed that service (which then waits, retired, for its last
 * child).
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

struct svlist		 services = TAILQ_HEAD_INITIALIZER(services);
struct svlist		 retired = TAILQ_HEAD_INITIALIZER(retired);
struct childlist	 children = LIST_HEAD_INITIALIZER(children);
int			 nchildren;

/* When serve_timers() must next walk the services (retries, logs...). */
double		 serve_next_walk;
int		 serve_bound_late;

#define SLOTS_POLL_SECS	0.01	/* every spawn slot taken: look again */
#define HELD_POLL_SECS	0.05	/* a held connection waits for a resume */

static void		 held_drop(struct service *, double);

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
static int		 slots_wait(struct service *, double);

void
walk_at(double t)
{
	if (serve_next_walk == 0 || t < serve_next_walk)
		serve_next_walk = t;
}

/* serve_timers() must walk the services by t (for guard.c). */
void
serve_wake_at(double t)
{
	walk_at(t);
}

/*
 * Bind (or adopt) the service's socket and put it in the poll set.  A
 * failure is logged and retried every 10 s while the rest runs; why it
 * failed is also left in why, unless that is NULL.
 */
int
serve_open(struct service *sv, char *why, size_t whylen)
{
	char	 err[256], q[512];
	int	 saved;

	if (listen_open(sv, err, sizeof(err)) == -1) {
		saved = errno;
		if (err[0] == '\0')
			(void)strlcpy(err, strerror(saved), sizeof(err));
		if (why != NULL)
			(void)strlcpy(why, err, whylen);
		log_quote(q, sizeof(q), err);
		if (sv->sv_retry_at == 0)
			log_warnx("event=bind-failed svc=%s line=%d proto=%s "
			    "retry=%.0f error=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, proto_label(sv),
			    BIND_RETRY_SECS, q);
		else
			log_debug("event=bind-failed svc=%s line=%d proto=%s "
			    "error=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, proto_label(sv), q);
		sv->sv_retry_at = timer_now() + BIND_RETRY_SECS;
		walk_at(sv->sv_retry_at);
		return -1;
	}
	sv->sv_retry_at = 0;
	log_info("event=listen svc=%s line=%d addr=%s proto=%s",
	    log_str(sv->sv_name), sv->sv_cf->cf_line, log_str(sv->sv_addrstr),
	    proto_label(sv));
	serve_resume(sv, PAUSE_UNBOUND);
	return 0;
}

/* Bind again every service whose retry time has come. */
static void
serve_retry_binds(double now)
{
	struct service	*sv;

	TAILQ_FOREACH(sv, &services, sv_entry) {
		if (!(sv->sv_pause & PAUSE_UNBOUND))
			continue;
		if (sv->sv_retry_at <= now) {
			if (serve_open(sv, NULL, 0) == 0)
				serve_bound_late = 1;
		} else
			walk_at(sv->sv_retry_at);
	}
}

void
service_release(struct service *sv)
{
	TAILQ_REMOVE(&retired, sv, sv_entry);
	service_free(sv);
}

/*
 * A reload removed sv (already off the services list): close its socket
 * at once; free it now, or when its last child has been reaped.
 */
void
serve_remove(struct service *sv)
{
	/* out of the set first: a child may still hold the socket's file */
	if (sv->sv_inpoll && sv->sv_fd != -1)
		(void)epoll_ctl(epfd, EPOLL_CTL_DEL, sv->sv_fd, NULL);
	listen_close(sv);
	held_drop(sv, timer_now());
	sv->sv_inpoll = 0;
	sv->sv_retired = 1;
	TAILQ_INSERT_TAIL(&retired, sv, sv_entry);
	if (sv->sv_children == 0)
		service_release(sv);
}

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
static void
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
static void
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
static int
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
 * The same admission and refusal log for an answer given in the parent
 * (datagram built-ins), which holds nothing once it is sent.
 */
int
serve_admit(struct service *sv, const struct sockaddr *peer, double now)
{
	struct srcent	*src;

	if (admit(sv, peer, now, &src) == -1)
		return -1;
	limits_source_put(src);
	return 0;
}

void
serve_refuse(struct service *sv, enum refusal r, const struct sockaddr *peer,
    double now)
{
	refuse(sv, r, peer, now);
}

/*
 * Every spawn slot is taken by a child that has not reached execve yet
 * (spawn.c): connections and datagrams wait in the kernel meanwhile.
 */
static int	 slots_starved;

static int
slots_wait(struct service *sv, double now)
{
	if (sv->sv_cf->cf_builtin != BI_NONE || spawn_ready())
		return 0;
	serve_pause(sv, PAUSE_SLOTS);
	slots_starved = 1;
	walk_at(now + SLOTS_POLL_SECS);
	return 1;
}

/*
 * Resume when a slot is free; on the timers' walk, also take slots back
 * from children stuck before execve, and look again soon.
 */
static void
slots_check(double now, int walking)
{
	struct service	*sv;

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
			serve_resume(sv, PAUSE_SLOTS);
}

/* stream nowait: accept in a batch until EAGAIN or a pause. */
static void
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

/* dgram nowait: one child per datagram, which reads it itself. */
static void
dgram_nowait(struct service *sv, double now)
{
	struct sockaddr_storage	 ss;
	struct srcent		*src;
	struct child		*ch;
	struct dgid		 id;
	char			 b;

	if (!guard_peek(sv, &ss, &id))
		return;
	addr_unmap(&ss);
	if (admit(sv, (struct sockaddr *)&ss, now, &src) == -1) {
		/* refused: the datagram is dropped, not left to spin on */
		(void)recv(sv->sv_fd, &b, 1, MSG_DONTWAIT);
		return;
	}
	if ((ch = start_child(sv, -1, (struct sockaddr *)&ss, src,
	    now)) == NULL) {
		limits_source_put(src);
		return;
	}
	/* No fork storm: wait until this child has read its datagram. */
	sv->sv_dgramchild = ch;
	sv->sv_dgram_id = id;
	sv->sv_dgram_step = 0.001;
	sv->sv_dgram_check = now + sv->sv_dgram_step;
	serve_pause(sv, PAUSE_DGRAM);
	walk_at(sv->sv_dgram_check);
}

/*
 * dgram nowait: has the child read its datagram yet?  Without receive
 * times a datagram that looks the same keeps the service paused until
 * the child exits: slower, never a second child for one datagram.
 */
static void
dgram_check(struct service *sv, double now)
{
	if (!(sv->sv_pause & PAUSE_DGRAM))
		return;
	if (now < sv->sv_dgram_check) {
		walk_at(sv->sv_dgram_check);
		return;
	}
	if (guard_dgram_left(sv, &sv->sv_dgram_id) == GUARD_TAKEN) {
		sv->sv_dgramchild = NULL;
		guard_note(sv, 0, now);
		serve_resume(sv, PAUSE_DGRAM);
		return;
	}
	if (sv->sv_dgram_step < 0.064)
		sv->sv_dgram_step *= 2;
	sv->sv_dgram_check = now + sv->sv_dgram_step;
	walk_at(sv->sv_dgram_check);
}

/* A listener is ready: accept, answer, or hand the socket over. */
void
serve_listener(struct service *sv, double now)
{
	struct child	*ch;

	if (sv->sv_pause != 0 || slots_wait(sv, now))
		return;
	if (sv->sv_cf->cf_builtin != BI_NONE && sv->sv_socktype == SOCK_DGRAM)
		internal_dgram(sv, now);
	else if (sv->sv_cf->cf_wait && sv->sv_cf->cf_builtin == BI_NONE) {
		if (guard_rate(sv, now) == -1)
			return;
		guard_mark(sv);
		listen_nonblock(sv, 0);
		if ((ch = start_child(sv, -1, NULL, NULL, now)) != NULL) {
			ch->ch_wait = 1;
			sv->sv_waitchild = ch;
			serve_pause(sv, PAUSE_WAIT);
		}
	} else if (sv->sv_socktype == SOCK_DGRAM) {
		listen_nonblock(sv, 0);
		dgram_nowait(sv, now);
	} else {
		listen_nonblock(sv, 1);
		accept_batch(sv, now);
	}
}

/* Everything due by now: timeouts, retries, backoffs, log summaries. */
void
serve_timers(double now)
{
	struct service	*sv;

	timeouts_run(now);
	if (slots_starved)
		slots_check(now, 0);
	if (serve_next_walk == 0 || now < serve_next_walk)
		return;
	serve_next_walk = 0;
	if (slots_starved)
		slots_check(now, 1);
	unwatched_poll(now);
	TAILQ_FOREACH(sv, &services, sv_entry) {
		if (sv->sv_poll_retry != 0) {
			if (now >= sv->sv_poll_retry)
				poll_update(sv);
			else
				walk_at(sv->sv_poll_retry);
		}
		if (sv->sv_pause & PAUSE_BACKOFF) {
			if (now >= sv->sv_resume_at)
				serve_resume(sv, PAUSE_BACKOFF);
			else
				walk_at(sv->sv_resume_at);
		}
		if (sv->sv_held > 0)
			held_retry(sv, now);
		dgram_check(sv, now);
		guard_timers(sv, now);
		refuse_flush(sv, now, 0);
		full_flush(sv, now, 0);
	}
	TAILQ_FOREACH(sv, &retired, sv_entry) {
		refuse_flush(sv, now, 1);
		full_flush(sv, now, 1);
	}
	serve_retry_binds(now);
}

/* The earliest time serve_timers() has something to do; 0: none. */
double
serve_next_deadline(void)
{
	return child_next_deadline(serve_next_walk);
}
