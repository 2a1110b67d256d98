/*
 * refuse.c: refusals, instances= reached and resource back-offs, summed
 * up in the log.
 *
 * The first line of a burst is logged at once; those within the next
 * second are counted and logged as one line with count= (the timers'
 * walk flushes them; a removed service's at the next walk, due or not),
 * so that a flood of refusals stays a trickle of lines and no service's
 * hide another's.
 * Every refusal is counted in sv_refused[] for the status dump whether
 * or not it is logged.  A back-off also pauses the service
 * (PAUSE_BACKOFF) until its sv_backoff_timer is due.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>

#include "superd.h"

static const char *refusal_names[REFUSE_MAX] = {
	"deny", "per-source", "rate", "fork", "epoll",
};

/*
 * Log a refusal: the first of a burst at once, the rest summarised with a
 * count at most once a second per service and reason.
 */
void
refuse(struct service *sv, enum refusal r, const struct sockaddr *peer,
    double now)
{
	struct reflog	*rl;
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
		log_info("event=refused svc=%s line=%d reason=%s peer=%s",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, refusal_names[r],
		    rl->rl_peer[r]);
		rl->rl_at[r] = now;
		return;
	}
	rl->rl_n[r]++;
	walk_at(rl->rl_at[r] + 1.0);
}

void
refuse_flush(struct service *sv, double now, int force)
{
	struct reflog	*rl = sv->sv_reflog;
	int		 r;

	for (r = 0; rl != NULL && r < REFUSE_MAX; r++) {
		if (rl->rl_n[r] == 0)
			continue;
		if (!force && now < rl->rl_at[r] + 1.0) {
			walk_at(rl->rl_at[r] + 1.0);
			continue;
		}
		log_info("event=refused svc=%s line=%d reason=%s count=%lu "
		    "peer=%s", log_str(sv->sv_name), sv->sv_cf->cf_line,
		    refusal_names[r], rl->rl_n[r], rl->rl_peer[r]);
		rl->rl_n[r] = 0;
		rl->rl_at[r] = now;
	}
}

static void
backoff_due(struct timer *t, double now)
{
	(void)now;
	poll_resume(t->tm_arg, PAUSE_BACKOFF);
}

/*
 * Out of descriptors or processes: stop polling sv for a moment.  Its
 * held connections (held.c) are tried again as soon as that is over:
 * their timer, which admit.c named, is due then too, and set after this
 * one, so it runs after it.
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
	poll_pause(sv, PAUSE_BACKOFF);
	timer_init(&sv->sv_backoff_timer, backoff_due, sv);
	timer_set(&sv->sv_backoff_timer, now + secs);
	if (sv->sv_held > 0)
		timer_set(&sv->sv_held_timer, now + secs);
}

/*
 * instances= reached: logged like a refusal, the first time at once and
 * further times within a second summed up (serve_timers flushes them).
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
	walk_at(sv->sv_full_logged + 1.0);
}

void
full_flush(struct service *sv, double now, int force)
{
	if (sv->sv_full_n == 0)
		return;
	if (!force && now < sv->sv_full_logged + 1.0) {
		walk_at(sv->sv_full_logged + 1.0);
		return;
	}
	log_info("event=full svc=%s line=%d instances=%d count=%lu",
	    log_str(sv->sv_name), sv->sv_cf->cf_line,
	    sv->sv_cf->cf_instances, sv->sv_full_n);
	sv->sv_full_n = 0;
	sv->sv_full_logged = now;
}
