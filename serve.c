/*
 * serve.c: a service's events: its socket opened (bind retried every
 * 10 s until it works), its removal by a reload, its listener ready.
 *
 * A ready listener is dispatched by kind: stream nowait is accepted and
 * admitted (admit.c), dgram nowait gets a child per datagram
 * (dgramwait.c), a wait service hands its socket to one child, and a
 * datagram built-in's datagrams are read and admitted in the parent
 * (admit.c) and answered there (internal.c).  A service
 * a reload removed is retired: out of the poll set and closed at once,
 * freed when its last child has been reaped (services.c).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "superd.h"

static int	 bound_late;	/* a retry bound a listener */

/*
 * Has a retry bound a listener since the last call?  superd.c then writes
 * the ports file again.
 */
int
serve_bound_late(void)
{
	int	 late = bound_late;

	bound_late = 0;
	return late;
}

/* A bind failed BIND_RETRY_SECS ago: try again, unless it is bound. */
static void
bind_due(struct timer *t, double now)
{
	struct service	*sv = t->tm_arg;

	(void)now;
	if (!(sv->sv_pause & PAUSE_UNBOUND))
		return;
	if (serve_open(sv, NULL, 0) == 0)
		bound_late = 1;
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
		if (!sv->sv_bindfailed)
			log_warnx("event=bind-failed svc=%s line=%d proto=%s "
			    "retry=%.0f error=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, proto_label(sv),
			    BIND_RETRY_SECS, q);
		else
			log_debug("event=bind-failed svc=%s line=%d proto=%s "
			    "error=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, proto_label(sv), q);
		sv->sv_bindfailed = 1;
		timer_init(&sv->sv_bind_timer, bind_due, sv);
		timer_set(&sv->sv_bind_timer, timer_now() + BIND_RETRY_SECS);
		return -1;
	}
	sv->sv_bindfailed = 0;
	log_info("event=listen svc=%s line=%d addr=%s proto=%s%s%s",
	    log_str(sv->sv_name), sv->sv_cf->cf_line, log_str(sv->sv_addrstr),
	    proto_label(sv), sv->sv_cf->cf_file != NULL ? " file=" : "",
	    sv->sv_cf->cf_file != NULL ? log_str(sv->sv_cf->cf_file) : "");
	poll_resume(sv, PAUSE_UNBOUND);
	return 0;
}

/*
 * A reload removed sv: close its socket at once; it leaves the running
 * table, freed now or when its last child has been reaped (services.c).
 */
void
serve_remove(struct service *sv)
{
	/* out of the set first: a child may still hold the socket's file */
	if (sv->sv_inpoll && sv->sv_fd != -1)
		poll_del(sv->sv_fd);
	listen_close(sv);
	/* nothing is due for a closed socket; its summaries stay (refuse.c) */
	timer_clear(&sv->sv_bind_timer);
	timer_clear(&sv->sv_poll_timer);
	held_drop(sv, timer_now());
	timer_clear(&sv->sv_held_timer);
	proxy_forget(sv, timer_now());
	timer_clear(&sv->sv_pxtimer);
	timer_clear(&sv->sv_dgram_timer);
	timer_clear(&sv->sv_ratelog_timer);
	slots_forget(sv);
	linger_forget(sv);
	sv->sv_inpoll = 0;
	services_retire(sv);
}

/* A listener is ready: accept, answer, or hand the socket over. */
void
serve_listener(struct service *sv, double now)
{
	struct child	*ch;

	/*
	 * Every connection a spawn failed for (held.c, below admit.c) comes
	 * from a child started here: name the function of their retries.
	 */
	timer_init(&sv->sv_held_timer, held_due, sv);
	if (sv->sv_pause != 0 || slots_wait(sv, now))
		return;
	if (sv->sv_cf->cf_builtin != BI_NONE && sv->sv_socktype == SOCK_DGRAM)
		admit_builtin_dgram(sv, now);
	else if (sv->sv_cf->cf_wait && sv->sv_cf->cf_builtin == BI_NONE) {
		if (guard_rate(sv, now) == -1)
			return;
		guard_mark(sv);
		listen_nonblock(sv, 0);
		if ((ch = child_start(sv, -1, NULL, NULL, NULL, now)) != NULL) {
			ch->ch_wait = 1;
			poll_pause(sv, PAUSE_WAIT);
		}
	} else if (sv->sv_socktype == SOCK_DGRAM) {
		listen_nonblock(sv, 0);
		dgram_connect(sv, now);
	} else {
		listen_nonblock(sv, 1);
		accept_batch(sv, now);
	}
}
