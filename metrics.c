/*
 * metrics.c: what superd's counters mean, and their exposition in
 * Prometheus's text format, version 0.0.4, for the metrics built-in.
 *
 * A service's counters are increments in its struct service (sv_mx,
 * with sv_started, sv_refused[] and sv_children), made where each thing
 * happens: admit.c and dgramwait.c count what they take, child.c what
 * it starts and, through metrics_exit, what it reaps.  None costs a
 * system call.  They live as long as the struct, so a reload that keeps
 * a service keeps them.  superd's own (reloads, its start) are here.
 *
 * The exposition (metrics_write) runs in the built-in's child, a fork
 * with a copy of all of it (scrape.c): it shows superd as it was at that
 * fork, and writing it twice writes the same text twice.  superd's
 * descriptors are counted by that child too, first thing, in the copy
 * of superd's table its fork made (spawn.c, metrics_fds), before it is
 * cut down to the connection.
 *
 * Every service of the running table is shown, and the removed ones
 * still waiting for a child, labelled service= (the table's service
 * field), addr= (the bound address, as logged) and proto= (tcp4, udp6,
 * unix...); a label's value is escaped as the format says (\\, \", \n)
 * and made valid UTF-8.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "superd.h"

/* The duration histogram's upper bounds, in seconds (le=). */
static const double buckets[MX_NBUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
	300,
};

/*
 * refuse.c's reasons, as its event=refused lines name them; linger-full
 * is no refusal and has a counter of its own.
 */
static const char *refusal_labels[REFUSE_MAX] = {
	[REFUSE_DENY] = "deny",
	[REFUSE_PER_SOURCE] = "per-source",
	[REFUSE_RATE] = "rate",
	[REFUSE_SPAWN] = "fork",
	[REFUSE_EPOLL] = "epoll",
	[REFUSE_PROXY] = "proxy",
	[REFUSE_PROXY_FULL] = "proxy-full",
};

static const char *outcome_labels[OUTCOME_MAX] = {
	"exit-zero", "exit-nonzero", "signal", "never-ran",
};

/* superd's own. */
static double		 start_time;	/* since the epoch */
static double		 reload_time;	/* the last good load */
static unsigned long	 nreloads;
static unsigned long	 nreloadfails;
static unsigned long	 nupgrades;	/* upgrades in place taken */
static unsigned long	 nupgradefails;	/* tried, the old one kept */
static char		 upgrade_err[256]; /* the last failure's reason */
static long		 open_fds = -1;	/* at the last snap; -1: unknown */
static long		 max_fds = -1;

static double
wall_now(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* superd has started: its table is loaded. */
void
metrics_start(void)
{
	start_time = reload_time = wall_now();
}

/* A SIGHUP was acted on: the table reloaded (ok) or kept. */
void
metrics_reload(int ok)
{
	if (!ok) {
		nreloadfails++;
		return;
	}
	nreloads++;
	reload_time = wall_now();
}

/*
 * An upgrade in place (upgrade.c) was taken (ok), or failed for err and
 * the running superd was kept.
 */
void
metrics_upgrade(int ok, const char *err)
{
	if (ok) {
		nupgrades++;
		return;
	}
	nupgradefails++;
	(void)strlcpy(upgrade_err, err, sizeof(upgrade_err));
}

/* The upgrades so far, for the status line (superd -u reads it). */
void
metrics_upgrades(unsigned long *ok, unsigned long *failed, const char **err)
{
	*ok = nupgrades;
	*failed = nupgradefails;
	*err = upgrade_err;
}

/* superd's own counters, into the state an upgrade hands over. */
void
metrics_carry(struct upstate *st)
{
	st->st_start = start_time;
	st->st_reload = reload_time;
	st->st_reloads = nreloads;
	st->st_reloadfails = nreloadfails;
	st->st_upgrades = nupgrades;
	st->st_upgradefails = nupgradefails;
}

/* And back, in the new binary: the counters go on from there. */
void
metrics_adopt(const struct upstate *st)
{
	start_time = st->st_start;
	reload_time = st->st_reload;
	nreloads = st->st_reloads;
	nreloadfails = st->st_reloadfails;
	nupgrades = st->st_upgrades;
	nupgradefails = st->st_upgradefails;
}

/*
 * In a metrics child (spawn.c): superd's descriptors as its fork copied
 * them, and their limit; -1 for what it could not tell.
 */
void
metrics_fds(long nfds, long maxfds)
{
	open_fds = nfds;
	max_fds = maxfds;
}

/*
 * A child of sv is reaped (child.c): how it ended, how long it ran, its
 * CPU seconds and, when superd kept a copy of its TCP connection, the
 * bytes that went each way (tc; NULL when not counted).
 */
void
metrics_exit(struct service *sv, enum outcome how, double secs, double cpu,
    const struct tcpcount *tc)
{
	struct svmetrics	*mx = &sv->sv_mx;
	int			 i;

	mx->mx_exits[how]++;
	for (i = 0; i < MX_NBUCKETS && secs > buckets[i]; i++)
		;
	mx->mx_dur[i]++;
	mx->mx_dursum += secs;
	mx->mx_cpu += cpu;
	if (tc != NULL) {
		mx->mx_in += tc->tc_in;
		mx->mx_out += tc->tc_out;
	}
}

/* Does superd take sv's connections (or datagrams) itself? */
static int
takes_own(const struct service *sv)
{
	return !sv->sv_cf->cf_wait || sv->sv_cf->cf_builtin != BI_NONE;
}

/*
 * Does superd count the bytes of sv's connections (child.c)?  Only where
 * it keeps a copy of each (linger= or idle=, stream nowait only): for
 * the others a 0 would claim traffic that flowed was none, so their
 * series are left out.
 */
static int
counts_bytes(const struct service *sv)
{
	return sv->sv_proto == PROTO_TCP && sv->sv_socktype == SOCK_STREAM &&
	    (sv->sv_cf->cf_linger > 0 || sv->sv_cf->cf_idle != 0);
}

/*
 * A label's value: \, " and newline escaped, and bytes that are not
 * UTF-8 written as U+FFFD (Prometheus takes only UTF-8).
 */
static void
put_value(FILE *f, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 n, i;

	while (*p != '\0') {
		if (*p == '\\' || *p == '"') {
			(void)fputc('\\', f);
			(void)fputc(*p++, f);
			continue;
		}
		if (*p == '\n') {
			(void)fputs("\\n", f);
			p++;
			continue;
		}
		if (*p < 0x80) {
			(void)fputc(*p++, f);
			continue;
		}
		/* a sequence: its length by its first byte, then its rest */
		n = *p >= 0xc2 && *p <= 0xdf ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
		    *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		for (i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				break;
		if (n == 0 || i < n ||
		    (n == 3 && p[0] == 0xe0 && p[1] < 0xa0) ||
		    (n == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
		    (n == 4 && p[0] == 0xf0 && p[1] < 0x90) ||
		    (n == 4 && p[0] == 0xf4 && p[1] >= 0x90)) {
			(void)fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		(void)fwrite(p, 1, (size_t)n, f);
		p += n;
	}
}

/* name{service="...",addr="...",proto="..."[,key="val"]} and a space */
static void
put_series(FILE *f, const char *name, const struct service *sv,
    const char *key, const char *val)
{
	(void)fprintf(f, "%s{service=\"", name);
	put_value(f, sv->sv_name);
	(void)fputs("\",addr=\"", f);
	put_value(f, sv->sv_addrstr != NULL ? sv->sv_addrstr : "");
	(void)fprintf(f, "\",proto=\"%s\"", proto_label(sv));
	if (key != NULL)
		(void)fprintf(f, ",%s=\"%s\"", key, val);
	(void)fputs("} ", f);
}

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	(void)fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* The services shown: the running table, then the removed ones. */
static const struct service **
all_services(size_t *np)
{
	const struct service	**all;
	struct service		 *sv;
	size_t			  n = 0;

	TAILQ_FOREACH(sv, services_list(), sv_entry)
		n++;
	TAILQ_FOREACH(sv, services_retired(), sv_entry)
		n++;
	if ((all = calloc(n + 1, sizeof(*all))) == NULL)
		return NULL;
	n = 0;
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		all[n++] = sv;
	TAILQ_FOREACH(sv, services_retired(), sv_entry)
		all[n++] = sv;
	*np = n;
	return all;
}

/* The duration histogram of one service, its buckets cumulative. */
static void
put_histogram(FILE *f, const struct service *sv)
{
	const struct svmetrics	*mx = &sv->sv_mx;
	unsigned long		 sum = 0;
	char			 le[32];
	int			 i;

	for (i = 0; i <= MX_NBUCKETS; i++) {
		sum += mx->mx_dur[i];
		if (i < MX_NBUCKETS)
			(void)snprintf(le, sizeof(le), "%g", buckets[i]);
		else
			(void)strlcpy(le, "+Inf", sizeof(le));
		put_series(f, "superd_connection_duration_seconds_bucket", sv,
		    "le", le);
		(void)fprintf(f, "%lu\n", sum);
	}
	put_series(f, "superd_connection_duration_seconds_sum", sv, NULL,
	    NULL);
	(void)fprintf(f, "%.6f\n", mx->mx_dursum);
	put_series(f, "superd_connection_duration_seconds_count", sv, NULL,
	    NULL);
	(void)fprintf(f, "%lu\n", sum);
}

/* A service's superd_refused_total, a series for each reason. */
static void
put_refused(FILE *f, const struct service *sv)
{
	int	 r;

	for (r = 0; r < REFUSE_MAX; r++) {
		if (refusal_labels[r] == NULL)
			continue;
		put_series(f, "superd_refused_total", sv, "reason",
		    refusal_labels[r]);
		(void)fprintf(f, "%lu\n", sv->sv_refused[r]);
	}
}

/* A service's superd_exits_total, a series for each outcome. */
static void
put_exits(FILE *f, const struct service *sv)
{
	int	 r;

	for (r = 0; r < OUTCOME_MAX; r++) {
		put_series(f, "superd_exits_total", sv, "outcome",
		    outcome_labels[r]);
		(void)fprintf(f, "%lu\n", sv->sv_mx.mx_exits[r]);
	}
}

/*
 * The families of each service, in the order they are written: one
 * series a service, the field at mf_off of struct service as mf_kind
 * says, or the series mf_put writes (MF_PUT); only for the services
 * mf_shown says (NULL: every one).
 */
enum mfkind { MF_ULONG, MF_INT, MF_U64, MF_SECS, MF_PUT };

struct mfamily {
	const char	*mf_name;
	const char	*mf_type;
	const char	*mf_help;
	int		(*mf_shown)(const struct service *);
	enum mfkind	 mf_kind;
	size_t		 mf_off;
	void		(*mf_put)(FILE *, const struct service *);
};

#define SVOFF(field)	offsetof(struct service, field)

static const struct mfamily mfamilies[] = {
	{ "superd_connections_total", "counter", "Connections accepted, or "
	    "datagrams taken, by superd for the service (not for wait "
	    "services, whose children take their own).", takes_own,
	    MF_ULONG, SVOFF(sv_mx.mx_conns), NULL },
	{ "superd_children_started_total", "counter", "Children started "
	    "(datagrams answered, for a datagram built-in).", NULL,
	    MF_ULONG, SVOFF(sv_started), NULL },
	{ "superd_refused_total", "counter", "Connections or datagrams "
	    "refused, by reason (as event=refused says it): closed without a "
	    "child, but for epoll, whose child superd could not watch and "
	    "killed at once; for a datagram built-in, deny also counts "
	    "sources it never answers (broadcast, a port below 1024 or of a "
	    "service that answers anything), deny= or not.", NULL,
	    MF_PUT, 0, put_refused },
	{ "superd_linger_full_total", "counter", "Connections served but "
	    "closed at once after their child: too many lingering "
	    "(event=linger-full).", NULL,
	    MF_ULONG, SVOFF(sv_refused[REFUSE_LINGER]), NULL },
	{ "superd_children_running", "gauge", "Children running now.", NULL,
	    MF_INT, SVOFF(sv_children), NULL },
	{ "superd_exits_total", "counter", "Children reaped, by how they "
	    "ended: exit-zero, exit-nonzero, signal, or never-ran (exit 126 "
	    "or 127: a step before execve failed, or no program).", NULL,
	    MF_PUT, 0, put_exits },
	{ "superd_spawn_failures_total", "counter", "Children that could not "
	    "be started (fork, namespace, memory).", NULL,
	    MF_ULONG, SVOFF(sv_mx.mx_spawnfail), NULL },
	{ "superd_connection_duration_seconds", "histogram", "How long each "
	    "child ran, from its start to its reap: a connection's life for "
	    "a nowait service, not for a wait one, whose child may serve "
	    "many.", NULL,
	    MF_PUT, 0, put_histogram },
	{ "superd_child_cpu_seconds_total", "counter", "CPU seconds, user "
	    "and system, of the children reaped and what they waited for.",
	    NULL, MF_SECS, SVOFF(sv_mx.mx_cpu), NULL },
	{ "superd_stderr_lines_logged_total", "counter", "Lines the children "
	    "wrote to stderr, logged as event=stderr (stderr=log).", NULL,
	    MF_ULONG, SVOFF(sv_errlines), NULL },
	{ "superd_stderr_lines_dropped_total", "counter", "stderr lines "
	    "dropped over the rate of 100 a second (event=stderr-dropped).",
	    NULL, MF_ULONG, SVOFF(sv_errdropped), NULL },
	{ "superd_stderr_pipe_failures_total", "counter", "Children given "
	    "/dev/null as stderr: no pipe could be made (event=stderr-nopipe).",
	    NULL, MF_ULONG, SVOFF(sv_errnopipe), NULL },
	{ "superd_received_bytes_total", "counter", "Bytes received from the "
	    "clients of the children reaped (TCP stream nowait services that "
	    "linger= or idle= gives superd a copy of).", counts_bytes,
	    MF_U64, SVOFF(sv_mx.mx_in), NULL },
	{ "superd_sent_bytes_total", "counter", "Bytes sent to the clients of "
	    "the children reaped and acknowledged by them (as "
	    "superd_received_bytes_total; none for the other services).",
	    counts_bytes, MF_U64, SVOFF(sv_mx.mx_out), NULL },
};

/*
 * One service's series of a family of one series a service: its field,
 * copied out (memcpy: no cast of a struct's bytes to another type).
 */
static void
put_field(FILE *f, const struct mfamily *mf, const struct service *sv)
{
	const char	*p = (const char *)sv + mf->mf_off;
	unsigned long	 ul;
	uint64_t	 u64;
	double		 d;
	int		 i;

	put_series(f, mf->mf_name, sv, NULL, NULL);
	switch (mf->mf_kind) {
	case MF_ULONG:
		memcpy(&ul, p, sizeof(ul));
		(void)fprintf(f, "%lu\n", ul);
		break;
	case MF_INT:
		memcpy(&i, p, sizeof(i));
		(void)fprintf(f, "%d\n", i);
		break;
	case MF_U64:
		memcpy(&u64, p, sizeof(u64));
		(void)fprintf(f, "%llu\n", (unsigned long long)u64);
		break;
	case MF_SECS:
		memcpy(&d, p, sizeof(d));
		(void)fprintf(f, "%.6f\n", d);
		break;
	case MF_PUT:
		break;
	}
}

/* Each service's counters and gauges, a family at a time. */
static void
write_services(FILE *f, const struct service **all, size_t n)
{
	const struct mfamily	*mf;
	size_t			 i;

	for (mf = mfamilies;
	    mf < mfamilies + sizeof(mfamilies) / sizeof(mfamilies[0]); mf++) {
		family(f, mf->mf_name, mf->mf_type, mf->mf_help);
		for (i = 0; i < n; i++) {
			if (mf->mf_shown != NULL && !mf->mf_shown(all[i]))
				continue;
			if (mf->mf_kind == MF_PUT)
				mf->mf_put(f, all[i]);
			else
				put_field(f, mf, all[i]);
		}
	}
}

/* superd's own. */
static void
write_superd(FILE *f)
{
	family(f, "superd_build_info", "gauge", "superd's version, as a "
	    "label; always 1.");
	(void)fprintf(f, "superd_build_info{version=\"%s\"} 1\n",
	    SUPERD_VERSION);
	family(f, "superd_start_time_seconds", "gauge", "When superd started, "
	    "in seconds since the epoch.");
	(void)fprintf(f, "superd_start_time_seconds %.3f\n", start_time);
	family(f, "superd_reloads_total", "counter", "Reloads (SIGHUP, or a "
	    "change superd -w saw) that took a new table.");
	(void)fprintf(f, "superd_reloads_total %lu\n", nreloads);
	family(f, "superd_reload_failures_total", "counter", "Reloads (SIGHUP "
	    "or superd -w) that kept the running table "
	    "(event=reload-failed).");
	(void)fprintf(f, "superd_reload_failures_total %lu\n", nreloadfails);
	family(f, "superd_last_reload_success_timestamp_seconds", "gauge",
	    "When the running table was loaded, in seconds since the epoch.");
	(void)fprintf(f, "superd_last_reload_success_timestamp_seconds %.3f\n",
	    reload_time);
	family(f, "superd_upgrades_total", "counter", "Upgrades in place "
	    "(SIGUSR2, superd -u) that a new binary took over.");
	(void)fprintf(f, "superd_upgrades_total %lu\n", nupgrades);
	family(f, "superd_upgrade_failures_total", "counter", "Upgrades in "
	    "place that kept the running superd (event=upgrade-failed).");
	(void)fprintf(f, "superd_upgrade_failures_total %lu\n",
	    nupgradefails);
	family(f, "superd_services", "gauge", "Services in the running table "
	    "(one per listening socket).");
	(void)fprintf(f, "superd_services %d\n", services_count());
	if (open_fds != -1) {
		family(f, "superd_open_fds", "gauge", "Descriptors superd "
		    "holds open.");
		(void)fprintf(f, "superd_open_fds %ld\n", open_fds);
	}
	if (max_fds != -1) {
		family(f, "superd_max_fds", "gauge", "superd's descriptor "
		    "limit (RLIMIT_NOFILE).");
		(void)fprintf(f, "superd_max_fds %ld\n", max_fds);
	}
}

/* The exposition, whole, to f. */
void
metrics_write(FILE *f)
{
	const struct service	**all;
	size_t			  n;

	write_superd(f);
	if ((all = all_services(&n)) != NULL) {
		write_services(f, all, n);
		free(all);
	}
}
