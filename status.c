/*
 * status.c: the status dump, for SIGUSR1's log lines and superd -S.
 *
 * One event=status line for the daemon, one per service (the removed
 * ones still waiting for their last child included) with its state and
 * counters, then one event=child line per running child.  status_lines()
 * makes the lines and hands each to a writer: log_info() for SIGUSR1
 * (serve_status), the control socket's child for -S (ctl.c), so both say
 * exactly the same.  It only reads: nothing here changes a service or a
 * child.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "superd.h"

/* What status_lines() writes with, and the line being made. */
struct status_out {
	void		(*so_put)(const char *, void *);
	void		*so_arg;
	char		 so_line[STATUS_LINE_MAX];
};

static void	 status_put(struct status_out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

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

/* One line, formatted (cut at STATUS_LINE_MAX) and handed over. */
static void
status_put(struct status_out *so, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(so->so_line, sizeof(so->so_line), fmt, ap);
	va_end(ap);
	so->so_put(so->so_line, so->so_arg);
}

static void
status_service(struct status_out *so, const struct service *sv)
{
	const struct svconf	*cf = sv->sv_cf;
	char			 pool[64] = "";

	/* its namespace pool's sets, and the connections that found none */
	if (cf->cf_poolflags != 0)
		(void)snprintf(pool, sizeof(pool), " nspool_taken=%lu "
		    "nspool_empty=%lu", cf->cf_pooltaken, cf->cf_poolempty);
	status_put(so, "event=status svc=%s line=%d addr=%s proto=%s "
	    "state=%s children=%d started=%lu refused_deny=%lu "
	    "refused_per_source=%lu refused_rate=%lu refused_fork=%lu "
	    "refused_epoll=%lu linger_full=%lu refused_proxy=%lu "
	    "refused_proxy_full=%lu proxy_waiting=%d%s%s%s",
	    log_str(sv->sv_name), sv->sv_cf->cf_line, log_str(sv->sv_addrstr),
	    proto_label(sv), state_of(sv), sv->sv_children, sv->sv_started,
	    sv->sv_refused[REFUSE_DENY], sv->sv_refused[REFUSE_PER_SOURCE],
	    sv->sv_refused[REFUSE_RATE], sv->sv_refused[REFUSE_SPAWN],
	    sv->sv_refused[REFUSE_EPOLL], sv->sv_refused[REFUSE_LINGER],
	    sv->sv_refused[REFUSE_PROXY], sv->sv_refused[REFUSE_PROXY_FULL],
	    sv->sv_pxcount, pool, sv->sv_cf->cf_file != NULL ? " file=" : "",
	    sv->sv_cf->cf_file != NULL ? log_str(sv->sv_cf->cf_file) : "");
}

/*
 * The status, a line at a time (without its newline) to put(line, arg):
 * the daemon's line, a line per service, then a line per running child.
 */
void
status_lines(double now, void (*put)(const char *, void *), void *arg)
{
	struct status_out	 so;
	struct service		*sv;
	struct child		*ch;
	char			 peer[128], px[136], orphans[32] = "";
	char			 ups_s[400] = "", uperr[300] = "";
	const char		*err;
	unsigned long		 ups, upfails;
	long long		 n;

	so.so_put = put;
	so.so_arg = arg;
	if ((n = reaper_orphans()) != -1)
		(void)snprintf(orphans, sizeof(orphans), " orphans=%lld", n);
	/* superd -u waits for these to move (upgradeask.c) */
	metrics_upgrades(&ups, &upfails, &err);
	if (*err != '\0') {
		(void)strlcpy(uperr, " upgrade_error=", sizeof(uperr));
		log_quote(uperr + 15, sizeof(uperr) - 15, err);
	}
	if (ups + upfails > 0)
		(void)snprintf(ups_s, sizeof(ups_s), " upgrades=%lu "
		    "upgrade_failures=%lu%s", ups, upfails, uperr);
	status_put(&so, "event=status services=%d children=%d%s%s",
	    services_count(), child_count(), orphans, ups_s);
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		status_service(&so, sv);
	TAILQ_FOREACH(sv, services_retired(), sv_entry)
		status_service(&so, sv);
	LIST_FOREACH(ch, child_list(), ch_entry) {
		peer_format((struct sockaddr *)&ch->ch_peer, peer,
		    sizeof(peer));
		/* a balancer's connection: the balancer, as at its start */
		px[0] = '\0';
		if (ch->ch_px != NULL) {
			(void)strlcpy(px, " proxy=", sizeof(px));
			peer_format((struct sockaddr *)&ch->ch_px->px_balancer,
			    px + 7, sizeof(px) - 7);
		}
		status_put(&so, "event=child svc=%s line=%d pid=%d peer=%s%s "
		    "age=%.3f", log_str(ch->ch_sv->sv_name),
		    ch->ch_sv->sv_cf->cf_line, (int)ch->ch_pid, peer, px,
		    now - ch->ch_start);
	}
}

static void
status_log(const char *line, void *arg)
{
	(void)arg;
	log_info("%s", line);
}

/* SIGUSR1: the status into the log. */
void
serve_status(double now)
{
	status_lines(now, status_log, NULL);
}
