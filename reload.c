/*
 * reload.c: merging a freshly read table into the running one.
 *
 * The new table has been read whole and found free of errors before this
 * runs.  Services are matched by their address (socket type, family,
 * address and port, or path; equal addresses, which only port 0 allows,
 * in table order).  A matched service keeps its struct, its socket (never
 * closed and bound again: its backlog is not lost), its children and its
 * counters, and takes the new entry's svconf for its next connection.  A
 * service that the new table lacks is closed; one that is new is bound.
 * Running children are never signalled.  The list ends in the new table's
 * order.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "superd.h"

/*
 * A service of a table as it sorts by address: the old and the new table
 * are each sorted into an array of these, and walked side by side.
 */
struct byaddr {
	struct service	*ba_sv;
	size_t		 ba_pos;	/* position in its table */
	size_t		 ba_ord;	/* among equal addresses */
	struct service	*ba_match;	/* old table: the new service */
};

/* By address, then table order (so equal addresses keep their order). */
static int
byaddr_cmp(const void *va, const void *vb)
{
	const struct byaddr *a = va, *b = vb;
	int	 c;

	if ((c = service_cmp_addr(a->ba_sv, b->ba_sv)) != 0)
		return c;
	return a->ba_pos < b->ba_pos ? -1 : a->ba_pos > b->ba_pos;
}

/* A table's services sorted by address, each numbered among its equals. */
static struct byaddr *
byaddr_sort(const struct svlist *list, size_t *np)
{
	struct service	*sv;
	struct byaddr	*s;
	size_t		 n = 0, i;

	TAILQ_FOREACH(sv, list, sv_entry)
		n++;
	if ((s = calloc(n + 1, sizeof(*s))) == NULL)
		fatal("calloc");
	i = 0;
	TAILQ_FOREACH(sv, list, sv_entry) {
		s[i].ba_sv = sv;
		s[i].ba_pos = i;
		i++;
	}
	qsort(s, n, sizeof(*s), byaddr_cmp);
	for (i = 1; i < n; i++)
		if (service_same_addr(s[i - 1].ba_sv, s[i].ba_sv))
			s[i].ba_ord = s[i - 1].ba_ord + 1;
	*np = n;
	return s;
}

/* The key a reload matches on: address, then rank among equal ones. */
static int
byaddr_key_cmp(const struct byaddr *a, const struct byaddr *b)
{
	int	 c;

	if ((c = service_cmp_addr(a->ba_sv, b->ba_sv)) != 0)
		return c;
	return a->ba_ord < b->ba_ord ? -1 : a->ba_ord > b->ba_ord;
}

/* Give old the new entry's configuration; tell whether it changed. */
static int
take_conf(struct service *old, struct service *nw, int keepenv)
{
	struct svconf	*cf = old->sv_cf;
	char		*name = old->sv_name;
	int		 changed;

	changed = cf->cf_hash != nw->sv_cf->cf_hash ||
	    strcmp(name, nw->sv_name) != 0;
	old->sv_cf = nw->sv_cf;
	old->sv_name = nw->sv_name;
	nw->sv_cf = cf;
	nw->sv_name = name;
	if (spawn_prepare(old, keepenv) == -1)
		fatal("spawn_prepare");
	if (changed && old->sv_fd != -1) {
		listen_apply_bufs(old);
		tcpopt_apply(old);
		listen_apply_perms(old);
		poll_instances_changed(old);
	}
	return changed;
}

/*
 * Merge c's services into the running table; c is left empty and freed.
 * keepenv is -E, for the children's environment.  Logs the one
 * event=reload line.
 */
void
reload_merge(struct conf *c, int keepenv)
{
	struct svlist	 keep = TAILQ_HEAD_INITIALIZER(keep);
	struct byaddr	*os, *ns;
	struct service	*sv;
	size_t		 on, nn, i, j, total = 0;
	int		 added = 0, removed = 0, changed = 0, kept = 0, k;

	os = byaddr_sort(services_list(), &on);
	ns = byaddr_sort(&c->c_services, &nn);
	for (i = 0, j = 0; i < on && j < nn; ) {
		k = byaddr_key_cmp(&os[i], &ns[j]);
		if (k == 0) {
			os[i].ba_match = ns[j].ba_sv;
			ns[j].ba_sv->sv_match = os[i].ba_sv;
			i++;
			j++;
		} else if (k < 0)
			i++;
		else
			j++;
	}

	/* Removed: close now, free once their children are reaped. */
	for (i = 0; i < on; i++) {
		if (os[i].ba_match != NULL)
			continue;
		sv = os[i].ba_sv;
		log_info("event=remove svc=%s line=%d addr=%s proto=%s%s%s",
		    log_str(sv->sv_name), sv->sv_cf->cf_line,
		    log_str(sv->sv_addrstr), proto_label(sv),
		    sv->sv_cf->cf_file != NULL ? " file=" : "",
		    sv->sv_cf->cf_file != NULL ? log_str(sv->sv_cf->cf_file) :
		    "");
		serve_remove(sv);
		removed++;
	}

	/* In the new table's order: kept ones move, new ones are bound. */
	while ((sv = TAILQ_FIRST(&c->c_services)) != NULL) {
		struct service	*old = NULL;

		TAILQ_REMOVE(&c->c_services, sv, sv_entry);
		total++;
		old = sv->sv_match;
		if (old != NULL) {
			services_remove(old);
			if (take_conf(old, sv, keepenv))
				changed++;
			else
				kept++;
			service_free(sv);
			TAILQ_INSERT_TAIL(&keep, old, sv_entry);
		} else {
			if (spawn_prepare(sv, keepenv) == -1)
				fatal("spawn_prepare");
			TAILQ_INSERT_TAIL(&keep, sv, sv_entry);
			(void)serve_open(sv, NULL, 0);
			added++;
		}
	}
	services_append(&keep);
	/* an IPv4 "*" whose dual-stack twin was removed binds for itself */
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		if (sv->sv_adopted && sv->sv_fd == -1 &&
		    listen_cover(sv, services_list()) == -1) {
			sv->sv_adopted = 0;
			sv->sv_pause |= PAUSE_UNBOUND;
			(void)serve_open(sv, NULL, 0);
		}
	free(os);
	free(ns);
	conf_free(c);
	log_info("event=reload services=%zu added=%d removed=%d changed=%d "
	    "kept=%d", total, added, removed, changed, kept);
}
