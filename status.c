/*
 * status.c: the SIGUSR1 status dump.
 *
 * One event=status line for the daemon, one per service (the removed
 * ones still waiting for their last child included) with its state and
 * counters, then one event=child line per running child.  It only reads:
 * nothing here changes a service or a child.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include "superd.h"

static const char *
state_of(const struct service *sv)
{
	if (sv->sv_retired)
		return "removed";
	if (sv->sv_pause & PAUSE_UNBOUND)
		return "unbound";
	if (sv->sv_pause & PAUSE_WAIT)
		return "wait";
	if (sv->sv_pause & PAUSE_INSTANCES)
		return "full";
	if (sv->sv_pause & PAUSE_BACKOFF)
		return "backoff";
	if (sv->sv_pause & PAUSE_LOOP)
		return "looping";
	if (sv->sv_pause & PAUSE_RATE)
		return "rate";
	if (sv->sv_pause & PAUSE_SLOTS)
		return "spawn-wait";
	return "listening";
}

static void
status_service(const struct service *sv)
{
	log_info("event=status svc=%s line=%d addr=%s proto=%s state=%s "
	    "children=%d started=%lu refused_deny=%lu refused_per_source=%lu "
	    "refused_rate=%lu refused_fork=%lu refused_epoll=%lu "
	    "linger_full=%lu",
	    log_str(sv->sv_name), sv->sv_cf->cf_line, log_str(sv->sv_addrstr),
	    proto_label(sv), state_of(sv), sv->sv_children, sv->sv_started,
	    sv->sv_refused[REFUSE_DENY], sv->sv_refused[REFUSE_PER_SOURCE],
	    sv->sv_refused[REFUSE_RATE], sv->sv_refused[REFUSE_SPAWN],
	    sv->sv_refused[REFUSE_EPOLL], sv->sv_refused[REFUSE_LINGER]);
}

/* SIGUSR1: a line per service, then a line per running child. */
void
serve_status(double now)
{
	struct service	*sv;
	struct child	*ch;
	char		 peer[128];

	log_info("event=status services=%d children=%d", services_count(),
	    child_count());
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		status_service(sv);
	TAILQ_FOREACH(sv, services_retired(), sv_entry)
		status_service(sv);
	LIST_FOREACH(ch, child_list(), ch_entry) {
		peer_format((struct sockaddr *)&ch->ch_peer, peer,
		    sizeof(peer));
		log_info("event=child svc=%s line=%d pid=%d peer=%s age=%.3f",
		    log_str(ch->ch_sv->sv_name), ch->ch_sv->sv_cf->cf_line,
		    (int)ch->ch_pid, peer, now - ch->ch_start);
	}
}
