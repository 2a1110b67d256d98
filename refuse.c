/*
 * refuse.c: refusals, instances= reached and resource back-offs, summed
 * up in the log.
 *
 * The first line of a burst is logged at once; those within the next
 * second are counted and logged as one line with count= when that
 * second is over (a timer of the service's, rl_timer and sv_full_timer;
 * a removed service's when it is freed, if that comes first), so that a
 * flood of refusals stays a trickle of lines and no service's hide
 * another's.
 * Every refusal is counted in sv_refused[] for the status dump whether
 * or not it is logged.  REFUSE_LINGER is summed up the same way but is
 * no refusal (the client was served, its socket could not be held after
 * the child): event=linger-full.  REFUSE_PROXY is a connection from a
 * balancer whose PROXY header was bad, late or cut off (proxywait.c),
 * (and one closed, error=removed, when a reload or -k removed its service
 * while it waited for its header or, after it, for the service),
 * REFUSE_PROXY_FULL one refused because too many headers were waited
 * for already: reason=proxy and reason=proxy-full.  A back-off also
 * pauses the service (PAUSE_BACKOFF) for a moment (poll.c ends it).
 * stderr lines dropped over stderr=log's rate (errlog.c) are summed up
 * the same way, one event=stderr-dropped count=N line a second at most,
 * never one a line.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>

#include "superd.h"

static const char *refusal_names[REFUSE_MAX] = {
	"deny", "per-source", "rate", "fork", "epoll", "linger", "proxy",
	"proxy-full",
};

static void	 refuse_flush(struct service *, double, int);
static void	 full_flush(struct service *, double, int);

static void
refuse_due(struct timer *t, double now)
{
	refuse_flush(t->tm_arg, now, 0);
}

static void
full_due(struct timer *t, double now)
{
	full_flush(t->tm_arg, now, 0);
}

/*
 * Log a refusal: the first of a burst at once, the rest summarised with a
 * count at most once a second per service and reason.
 */
void
refuse(struct service *sv, enum refusal r, const struct sockaddr *peer,
    double now)
{
	refuse_why(sv, r, peer, now, NULL);
}

/*
 * The same, with why (a short constant text: a PROXY header's fault) in
 * the line logged at once as error="..."; a summed-up line has none.
 */
void
refuse_why(struct service *sv, enum refusal r, const struct sockaddr *peer,
    double now, const char *why)
{
	struct reflog	*rl;
	char		 q[128];
	int		 i;

	sv->sv_refused[r]++;
	if ((rl = sv->sv_reflog) == NULL) {
		if ((rl = calloc(1, sizeof(*rl))) == NULL)
			return;
		for (i = 0; i < REFUSE_MAX; i++)
			rl->rl_at[i] = -1.0;
		sv->sv_reflog = rl;
	}
	peer_format(peer, rl->rl_peer[r], sizeof(rl->rl_peer[r]));
	if (rl->rl_n[r] == 0 && now >= rl->rl_at[r] + 1.0) {
		if (r == REFUSE_LINGER)
			log_info("event=linger-full svc=%s line=%d peer=%s",
			    log_str(sv->sv_name), sv->sv_cf->cf_line,
			    rl->rl_peer[r]);
		else if (why != NULL) {
			log_quote(q, sizeof(q), why);
			log_info("event=refused svc=%s line=%d reason=%s "
			    "peer=%s error=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, refusal_names[r],
			    rl->rl_peer[r], q);
		} else
			log_info("event=refused svc=%s line=%d reason=%s "
			    "peer=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, refusal_names[r],
			    rl->rl_peer[r]);
		rl->rl_at[r] = now;
		return;
	}
	rl->rl_n[r]++;
	timer_init(&rl->rl_timer, refuse_due, sv);
	timer_set_by(&rl->rl_timer, rl->rl_at[r] + 1.0);
}

/* The summed-up lines that are due (all of them when forced). */
static void
refuse_flush(struct service *sv, double now, int force)
{
	struct reflog	*rl = sv->sv_reflog;
	int		 r;

	for (r = 0; rl != NULL && r < REFUSE_MAX; r++) {
		if (rl->rl_n[r] == 0)
			continue;
		if (!force && now < rl->rl_at[r] + 1.0) {
			timer_set_by(&rl->rl_timer, rl->rl_at[r] + 1.0);
			continue;
		}
		if (r == REFUSE_LINGER)
			log_info("event=linger-full svc=%s line=%d count=%lu "
			    "peer=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, rl->rl_n[r], rl->rl_peer[r]);
		else
			log_info("event=refused svc=%s line=%d reason=%s "
			    "count=%lu peer=%s", log_str(sv->sv_name),
			    sv->sv_cf->cf_line, refusal_names[r], rl->rl_n[r],
			    rl->rl_peer[r]);
		rl->rl_n[r] = 0;
		rl->rl_at[r] = now;
	}
}

/*
 * Out of descriptors or processes: stop polling sv for a moment.  Its
 * held connections (held.c) are tried again as soon as that is over:
 * their timer, which admit.c named, is due then too, and ends the
 * back-off itself should it run before poll.c's.
 */
void
backoff(struct service *sv, double now, double secs, const char *what)
{
	/*
	 * One line a second per service at most; those in between are
	 * counted into the next (a flood of failures stays a trickle of
	 * lines, and no service's failures hide another's).
	 */
	if (now >= sv->sv_backoff_logged + 1.0) {
		if (sv->sv_backoff_n > 0)
			log_warn("event=%s-failed svc=%s line=%d backoff=%.2f "
			    "count=%lu", what, log_str(sv->sv_name),
			    sv->sv_cf->cf_line, secs, sv->sv_backoff_n + 1);
		else
			log_warn("event=%s-failed svc=%s line=%d backoff=%.2f",
			    what, log_str(sv->sv_name), sv->sv_cf->cf_line,
			    secs);
		sv->sv_backoff_logged = now;
		sv->sv_backoff_n = 0;
	} else
		sv->sv_backoff_n++;
	poll_pause_until(sv, PAUSE_BACKOFF, now + secs);
	if (sv->sv_held > 0)
		timer_set(&sv->sv_held_timer, now + secs);
}

/*
 * instances= reached: logged like a refusal, the first time at once and
 * further times within a second summed up (sv_full_timer flushes them).
 */
void
full_note(struct service *sv, double now)
{
	if (sv->sv_full_n == 0 && now >= sv->sv_full_logged + 1.0) {
		log_info("event=full svc=%s line=%d instances=%d",
		    log_str(sv->sv_name), sv->sv_cf->cf_line,
		    sv->sv_cf->cf_instances);
		sv->sv_full_logged = now;
		return;
	}
	sv->sv_full_n++;
	timer_init(&sv->sv_full_timer, full_due, sv);
	timer_set_by(&sv->sv_full_timer, sv->sv_full_logged + 1.0);
}

static void
full_flush(struct service *sv, double now, int force)
{
	if (sv->sv_full_n == 0)
		return;
	if (!force && now < sv->sv_full_logged + 1.0) {
		timer_set_by(&sv->sv_full_timer, sv->sv_full_logged + 1.0);
		return;
	}
	log_info("event=full svc=%s line=%d instances=%d count=%lu",
	    log_str(sv->sv_name), sv->sv_cf->cf_line,
	    sv->sv_cf->cf_instances, sv->sv_full_n);
	sv->sv_full_n = 0;
	sv->sv_full_logged = now;
}

static void
errdrop_log(struct service *sv, double now)
{
	if (sv->sv_errdrop_n == 0)
		return;
	log_info("event=stderr-dropped svc=%s line=%d count=%lu",
	    log_str(sv->sv_name), sv->sv_cf->cf_line, sv->sv_errdrop_n);
	sv->sv_errdrop_n = 0;
	sv->sv_errdrop_logged = now;
}

static void
errdrop_due(struct timer *t, double now)
{
	errdrop_log(t->tm_arg, now);
}

/*
 * A stderr line of sv was dropped over the rate: counted into the next
 * count= line, due a second after the last one, or at the end of this
 * turn of the loop after a quiet second (so a burst read at once is one
 * line).
 */
void
errdrop_note(struct service *sv, double now)
{
	double	 at = sv->sv_errdrop_logged + 1.0;

	if (sv->sv_errdrop_n++ > 0 && timer_pending(&sv->sv_errdrop_timer))
		return;
	timer_init(&sv->sv_errdrop_timer, errdrop_due, sv);
	timer_set_by(&sv->sv_errdrop_timer, at > now ? at : now);
}

/* The dropped lines not summed up yet, now (superd ends, sv goes). */
void
errdrop_flush(struct service *sv, double now)
{
	errdrop_log(sv, now);
	timer_clear(&sv->sv_errdrop_timer);
}

/*
 * A removed service is about to be freed: what its summaries still count
 * is logged now, and their timers go.
 */
void
refuse_forget(struct service *sv, double now)
{
	refuse_flush(sv, now, 1);
	full_flush(sv, now, 1);
	errdrop_flush(sv, now);
	if (sv->sv_reflog != NULL)
		timer_clear(&sv->sv_reflog->rl_timer);
	timer_clear(&sv->sv_full_timer);
}

/*
 * After an upgrade in place: sv's summaries, taken over from the old
 * binary (sv_reflog), have their count= lines due when they were.
 */
void
refuse_adopt(struct service *sv)
{
	struct reflog	*rl = sv->sv_reflog;
	int		 r;

	for (r = 0; rl != NULL && r < REFUSE_MAX; r++) {
		if (rl->rl_n[r] == 0)
			continue;
		timer_init(&rl->rl_timer, refuse_due, sv);
		timer_set_by(&rl->rl_timer, rl->rl_at[r] + 1.0);
	}
}
