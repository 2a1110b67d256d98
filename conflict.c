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

/* For conflicts: same socket type, family and port; then wildcard first. */
static int
conflict_cmp(const void *va, const void *vb)
{
	const struct service *a = *(struct service *const *)va;
	const struct service *b = *(struct service *const *)vb;
	int	pa, pb;

	if (a->sv_socktype != b->sv_socktype)
		return a->sv_socktype < b->sv_socktype ? -1 : 1;
	if (a->sv_family != b->sv_family)
		return a->sv_family < b->sv_family ? -1 : 1;
	if (a->sv_family == AF_UNIX)
		return strcmp(((struct sockaddr_un *)&a->sv_addr)->sun_path,
		    ((struct sockaddr_un *)&b->sv_addr)->sun_path);
	pa = port_of(a);
	pb = port_of(b);
	if (pa != pb)
		return pa < pb ? -1 : 1;
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

/*
 * Two entries that would bind the same socket conflict: same socket type,
 * family and port (or path), and the same address or one of them "*".
 * Port 0 never conflicts.  The half of a dual "tcp" or "udp" entry on "*"
 * yields to an entry that names that family itself ("ftp tcp" next to
 * "ftp tcp6", as inetd tables write it): that half is dropped.
 */
void
check_conflicts(struct parser *p)
{
	struct conf	 *c = p->p_conf;
	struct service	**v, *sv, *a, *b;
	size_t		  n = 0, i, j, k;

	if (c->c_nservices < 2)
		return;
	v = xcalloc(c->c_nservices, sizeof(*v));
	TAILQ_FOREACH(sv, &c->c_services, sv_entry)
		v[n++] = sv;
	qsort(v, n, sizeof(*v), conflict_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && same_port_or_path(v[i], v[j]); j++)
			;
		if (j - i < 2 || port_of(v[i]) == 0)
			continue;
		/* v[i..j) share type, family and port. */
		for (k = i; k < j; k++) {
			a = v[k];
			if (a == NULL || !is_implicit_half(a) ||
			    a->sv_family != AF_INET6)
				continue;
			/* an explicit entry in this family wins */
			TAILQ_REMOVE(&c->c_services, a, sv_entry);
			c->c_nservices--;
			service_free(a);
			v[k] = NULL;
		}
		for (k = i; k < j; k++) {
			size_t	 m;

			if ((b = v[k]) == NULL)
				continue;
			for (m = i; m < k; m++) {
				if ((a = v[m]) == NULL)
					continue;
				if (a->sv_wildcard || b->sv_wildcard ||
				    service_same_addr(a, b))
					break;
			}
			if (m < k) {
				char	 addr[128];

				addr_format_full((struct sockaddr *)
				    &b->sv_addr, addr, sizeof(addr));
				perr(p, b->sv_cf->cf_line, "address %s (%s) "
				    "is already used by line %d", addr,
				    proto_label(b), a->sv_cf->cf_line);
			}
		}
	}
	free(v);
}
