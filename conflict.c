/*
 * conflict.c: the check, once a table is read whole, that no two of its
 * entries would bind the same socket.
 *
 * Services are sorted by socket type, family and port (or path), the
 * wildcard first, then by line; within one such group, the same address
 * or a wildcard on either side is an error at the line of the one that
 * sorts after, "address A (P) is already used by line N", and the
 * implicit IPv6 half of a dual "tcp" or "udp" entry on "*" is dropped in
 * favour of an entry that names that family.  Port 0 never conflicts.
 * The table's service list is the only thing changed: halves are removed
 * from it and freed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

/* A service's port; -1 for a unix socket. */
static int
port_of(const struct service *sv)
{
	if (sv->sv_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sv->sv_addr)->sin_port);
	if (sv->sv_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&sv->sv_addr)->sin6_port);
	return -1;
}

/*
 * For conflicts: same socket type, family and port (or path); then the
 * named table's services before included ones, and of those the wildcard
 * first, then by line; included ones in the order they were read.
 */
static int
conflict_cmp(const void *va, const void *vb)
{
	const struct service *a = *(struct service *const *)va;
	const struct service *b = *(struct service *const *)vb;
	int	pa, pb, ia, ib;

	if (a->sv_socktype != b->sv_socktype)
		return a->sv_socktype < b->sv_socktype ? -1 : 1;
	if (a->sv_family != b->sv_family)
		return a->sv_family < b->sv_family ? -1 : 1;
	if (a->sv_family == AF_UNIX) {
		if ((pa = strcmp(((struct sockaddr_un *)&a->sv_addr)->sun_path,
		    ((struct sockaddr_un *)&b->sv_addr)->sun_path)) != 0)
			return pa;
	} else {
		pa = port_of(a);
		pb = port_of(b);
		if (pa != pb)
			return pa < pb ? -1 : 1;
	}
	ia = a->sv_cf->cf_file != NULL;
	ib = b->sv_cf->cf_file != NULL;
	if (ia != ib)
		return ia - ib;
	if (ia)
		return a->sv_cf->cf_seq < b->sv_cf->cf_seq ? -1 :
		    a->sv_cf->cf_seq > b->sv_cf->cf_seq;
	if (a->sv_wildcard != b->sv_wildcard)
		return a->sv_wildcard ? -1 : 1;
	return a->sv_cf->cf_line < b->sv_cf->cf_line ? -1 :
	    a->sv_cf->cf_line > b->sv_cf->cf_line;
}

/* Same socket type, family and port (or path): candidates to conflict. */
static int
same_port_or_path(const struct service *a, const struct service *b)
{
	if (a->sv_socktype != b->sv_socktype || a->sv_family != b->sv_family)
		return 0;
	if (a->sv_family == AF_UNIX)
		return strcmp(((struct sockaddr_un *)&a->sv_addr)->sun_path,
		    ((struct sockaddr_un *)&b->sv_addr)->sun_path) == 0;
	return port_of(a) == port_of(b);
}

/* A tcp or udp entry on "*" makes an IPv6 half that inetd never had. */
static int
is_implicit_half(const struct service *sv)
{
	const char	*pn = sv->sv_cf->cf_protoname;

	return sv->sv_wildcard && (strcmp(pn, "tcp") == 0 ||
	    strcmp(pn, "udp") == 0);
}

/* Do a and b, of one group (same type, family, port), take one socket? */
static int
clash(const struct service *a, const struct service *b)
{
	return a->sv_wildcard || b->sv_wildcard || service_same_addr(a, b);
}

/* The named table's: two of its entries on one socket, an error each. */
static void
named_conflicts(struct parser *p, struct service **v, size_t i, size_t j)
{
	struct service	*a, *b;
	char		 addr[128];
	size_t		 k, m;

	for (k = i; k < j; k++) {
		if ((b = v[k]) == NULL || b->sv_cf->cf_file != NULL)
			continue;
		a = NULL;
		for (m = i; m < k && a == NULL; m++)
			if (v[m] != NULL && clash(v[m], b))
				a = v[m];
		if (a == NULL)
			continue;
		addr_format_full((struct sockaddr *)&b->sv_addr, addr,
		    sizeof(addr));
		perr(p, b->sv_cf->cf_line, "address %s (%s) is already used "
		    "by line %d", addr, proto_label(b), a->sv_cf->cf_line);
	}
}

/* Where a service sorted at pos is, and how the greedy pass left it. */
#define CS_PENDING	0
#define CS_SERVED	1	/* the named table's, or an accepted entry's */
#define CS_TRYING	2	/* of the entry being tried */
#define CS_LEFT_OUT	3
#define CS_HALF		4	/* an accepted included entry's IPv6 half */

/* A service as sorted, and where it is on the table's list. */
struct slot {
	struct service	*sl_sv;
	size_t		 sl_li;
};

static int
slot_cmp(const void *va, const void *vb)
{
	const struct slot *a = va, *b = vb;

	return conflict_cmp(&a->sl_sv, &b->sl_sv);
}

/*
 * An included entry (its services bylist[a..b)) is served unless one of
 * its addresses is taken by a service already served (the named table's,
 * its implicit IPv6 halves too, or an entry read before it) or by another
 * of its own; else it is left out, with the error of its line.  Its own
 * implicit IPv6 half is not tried here: it is CS_HALF, settled once every
 * entry is (half_settle).
 */
static void
try_entry(struct parser *p, struct service **bylist, size_t a, size_t b,
    struct service **v, const size_t *inv, const size_t *gs,
    const size_t *ge, int *st)
{
	struct service	*sv = NULL, *o = NULL;
	const char	*ofile;
	char		 addr[128], by[PATH_MAX + 32];
	size_t		 k, m, pos;

	for (k = a; k < b && o == NULL; k++) {
		if ((sv = bylist[k]) == NULL || port_of(sv) == 0 ||
		    (is_implicit_half(sv) && sv->sv_family == AF_INET6))
			continue;
		pos = inv[k];
		for (m = gs[pos]; m < ge[pos]; m++)
			if (m != pos && v[m] != NULL && (st[m] == CS_SERVED ||
			    st[m] == CS_TRYING) && clash(v[m], sv)) {
				o = v[m];
				break;
			}
		st[pos] = CS_TRYING;
	}
	for (k = a; k < b; k++)
		if (bylist[k] != NULL)
			st[inv[k]] = o != NULL ? CS_LEFT_OUT :
			    is_implicit_half(bylist[k]) &&
			    bylist[k]->sv_family == AF_INET6 ? CS_HALF :
			    CS_SERVED;
	if (o == NULL)
		return;
	ofile = o->sv_cf->cf_file != NULL ? o->sv_cf->cf_file : p->p_file;
	if (strcmp(ofile, sv->sv_cf->cf_file) == 0)
		(void)snprintf(by, sizeof(by), "line %d", o->sv_cf->cf_line);
	else
		(void)snprintf(by, sizeof(by), "%s:%d", ofile,
		    o->sv_cf->cf_line);
	addr_format_full((struct sockaddr *)&sv->sv_addr, addr, sizeof(addr));
	conf_entry_error(p->p_conf, sv->sv_cf->cf_file, sv->sv_cf->cf_line,
	    "address %s (%s) is already used by %s: left out", addr,
	    proto_label(sv), by);
}

/*
 * The implicit IPv6 half of an accepted included entry, at pos: dropped,
 * with no error, if a service that survives takes its socket (an explicit
 * entry of that family, read before or after it); else served.
 */
static void
half_settle(struct service **v, const size_t *gs, const size_t *ge, int *st,
    size_t pos)
{
	size_t	m;

	for (m = gs[pos]; m < ge[pos]; m++)
		if (m != pos && v[m] != NULL && st[m] == CS_SERVED &&
		    clash(v[m], v[pos])) {
			st[pos] = CS_LEFT_OUT;
			return;
		}
	st[pos] = CS_SERVED;
}

/*
 * Two entries that would bind the same socket conflict: same socket type,
 * family and port (or path), and the same address or one of them "*".
 * Port 0 never conflicts.  The half of a dual "tcp" or "udp" entry on "*"
 * yields to an entry that names that family itself ("ftp tcp" next to
 * "ftp tcp6", as inetd tables write it): that half is dropped.  Between
 * two entries of the named table it is an error of the table, at the
 * one that sorts after; an included file's entry yields to the named
 * table's (its halves too) and to those read before it: it is left out,
 * with its error.  A half yields only to an entry that survives, and
 * only to one of its own table: a named entry's half to a named entry,
 * an included entry's half to any entry served.
 */
void
check_conflicts(struct parser *p)
{
	struct conf	 *c = p->p_conf;
	struct service	**v, **bylist, *sv, *a;
	struct slot	 *sl;
	size_t		  n = 0, i, j, k, *inv, *gs, *ge;
	int		 *st, seq, named;

	if (c->c_nservices < 2)
		return;
	sl = xcalloc(c->c_nservices, sizeof(*sl));
	bylist = xcalloc(c->c_nservices, sizeof(*bylist));
	TAILQ_FOREACH(sv, &c->c_services, sv_entry) {
		sl[n].sl_sv = bylist[n] = sv;
		sl[n].sl_li = n;
		n++;
	}
	qsort(sl, n, sizeof(*sl), slot_cmp);
	v = xcalloc(n, sizeof(*v));
	inv = xcalloc(n, sizeof(*inv));
	gs = xcalloc(n, sizeof(*gs));
	ge = xcalloc(n, sizeof(*ge));
	st = xcalloc(n, sizeof(*st));
	for (i = 0; i < n; i++) {
		v[i] = sl[i].sl_sv;
		inv[sl[i].sl_li] = i;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && same_port_or_path(v[i], v[j]); j++)
			;
		for (k = i; k < j; k++) {
			gs[k] = i;
			ge[k] = j;
			if (v[k]->sv_cf->cf_file == NULL)
				st[k] = CS_SERVED;
		}
		if (j - i < 2 || port_of(v[i]) == 0)
			continue;
		/* v[i..j) share type, family and port. */
		for (k = i, named = 0; k < j; k++)
			named += v[k]->sv_cf->cf_file == NULL;
		for (k = i; k < j && named > 1; k++) {
			a = v[k];
			if (!is_implicit_half(a) || a->sv_family != AF_INET6 ||
			    a->sv_cf->cf_file != NULL)
				continue;
			/* another named entry in this family wins */
			TAILQ_REMOVE(&c->c_services, a, sv_entry);
			c->c_nservices--;
			bylist[sl[k].sl_li] = NULL;
			service_free(a);
			v[k] = NULL;
			st[k] = CS_LEFT_OUT;
		}
		named_conflicts(p, v, i, j);
	}
	/* included entries, greedily in the order they were read */
	for (i = 0; i < n; i = j) {
		if (bylist[i] == NULL) {
			j = i + 1;
			continue;
		}
		seq = bylist[i]->sv_cf->cf_seq;
		for (j = i + 1; j < n && (bylist[j] == NULL ||
		    bylist[j]->sv_cf->cf_seq == seq); j++)
			;
		if (bylist[i]->sv_cf->cf_file != NULL)
			try_entry(p, bylist, i, j, v, inv, gs, ge, st);
	}
	for (i = 0; i < n; i++)
		if (st[i] == CS_HALF)
			half_settle(v, gs, ge, st, i);
	for (i = 0; i < n; i++)
		if (bylist[i] != NULL && st[inv[i]] == CS_LEFT_OUT) {
			TAILQ_REMOVE(&c->c_services, bylist[i], sv_entry);
			c->c_nservices--;
			service_free(bylist[i]);
		}
	free(sl);
	free(v);
	free(bylist);
	free(inv);
	free(gs);
	free(ge);
	free(st);
}
