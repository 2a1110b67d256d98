/*
 * hosts.c: an entry's hosts list made into services, one struct service
 * per address.
 *
 * "*" gives the wildcard of each family the protocol allows, an address
 * literal gives itself, a name gives every address getaddrinfo(3) returns
 * for it in those families (once, at load).  Each service made is on the
 * table's list and in *made.  A host that is wrong is an error of the
 * entry, and the other hosts' services are still made: the error keeps
 * the whole table from being used, and they are freed with it.  Nothing
 * is bound here.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

/*
 * A new service for one address of an entry (addr NULL: the wildcard;
 * AF_UNIX: the entry's path), appended to the table being read.
 */
struct service *
service_new(struct parser *p, struct proto_entry *pe, int family,
    const void *addr)
{
	struct service		*sv;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	struct sockaddr_un	*sun;

	sv = xcalloc(1, sizeof(*sv));
	sv->sv_ev.ev_kind = EV_LISTENER;
	sv->sv_fd = -1;
	sv->sv_name = xstrdup(pe->pe_service);
	sv->sv_socktype = pe->pe_socktype;
	sv->sv_family = family;
	sv->sv_proto = pe->pe_pd->pd_proto;
	sv->sv_pause = PAUSE_UNBOUND;
	switch (family) {
	case AF_INET:
		sin = (struct sockaddr_in *)&sv->sv_addr;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(pe->pe_port);
		if (addr == NULL) {
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
			sv->sv_wildcard = 1;
		} else
			memcpy(&sin->sin_addr, addr, 4);
		sv->sv_addrlen = sizeof(*sin);
		break;
	case AF_INET6:
		sin6 = (struct sockaddr_in6 *)&sv->sv_addr;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(pe->pe_port);
		if (addr == NULL) {
			sin6->sin6_addr = in6addr_any;
			sv->sv_wildcard = 1;
		} else
			memcpy(&sin6->sin6_addr, addr, 16);
		sv->sv_addrlen = sizeof(*sin6);
		break;
	case AF_UNIX:
		sun = (struct sockaddr_un *)&sv->sv_addr;
		sun->sun_family = AF_UNIX;
		(void)strlcpy(sun->sun_path, pe->pe_service,
		    sizeof(sun->sun_path));
		sv->sv_addrlen = sizeof(*sun);
		break;
	}
	TAILQ_INSERT_TAIL(&p->p_conf->c_services, sv, sv_entry);
	p->p_conf->c_nservices++;
	return sv;
}

/* Append sv to the services an entry has made. */
static void
made_add(struct service ***made, size_t *nmade, struct service *sv)
{
	struct service	**m;

	if ((m = reallocarray(*made, *nmade + 1, sizeof(*m))) == NULL)
		fatal("reallocarray");
	m[(*nmade)++] = sv;
	*made = m;
}

/*
 * "[ADDR]": an IPv6 literal into a, for a protocol that has IPv6.  The
 * brackets make the colons of the address no separator of the field.
 */
static int
host_ipv6(struct parser *p, const struct protodef *pd, char *h,
    unsigned char *a)
{
	size_t	 len = strlen(h);

	if (len < 3 || h[len - 1] != ']') {
		perr(p, p->p_line, "bad IPv6 address \"%s\"", h);
		return -1;
	}
	h[len - 1] = '\0';
	if (inet_pton(AF_INET6, h + 1, a) != 1) {
		perr(p, p->p_line, "bad IPv6 address \"%s\"", h + 1);
		return -1;
	}
	if (!pd->pd_v6) {
		perr(p, p->p_line, "address [%s] is IPv6 but the protocol is "
		    "%s", h + 1, pd->pd_name);
		return -1;
	}
	return 0;
}

/*
 * A host name: a service for every address getaddrinfo(3) gives for it
 * in the families the protocol allows, in the order it gives them.
 */
static int
host_resolve(struct parser *p, struct proto_entry *pe, const char *h,
    struct service ***made, size_t *nmade)
{
	const struct protodef *pd = pe->pe_pd;
	struct addrinfo	 hints, *res, *ai;
	const void	*ap;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = pd->pd_v4 && pd->pd_v6 ? AF_UNSPEC :
	    pd->pd_v4 ? AF_INET : AF_INET6;
	hints.ai_socktype = pe->pe_socktype;
	if ((e = getaddrinfo(h, NULL, &hints, &res)) != 0) {
		perr(p, p->p_line, "cannot resolve host \"%s\": %s", h,
		    gai_strerror(e));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			ap = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			ap = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		made_add(made, nmade, service_new(p, pe, ai->ai_family, ap));
	}
	freeaddrinfo(res);
	return 0;
}

/* One host of the list: "*", [IPv6], IPv4 or a name. */
static int
host_expand(struct parser *p, struct proto_entry *pe, char *h,
    struct service ***made, size_t *nmade)
{
	const struct protodef *pd = pe->pe_pd;
	unsigned char	 a[16];

	if (strcmp(h, "*") == 0) {
		if (pd->pd_v4)
			made_add(made, nmade, service_new(p, pe, AF_INET,
			    NULL));
		if (pd->pd_v6)
			made_add(made, nmade, service_new(p, pe, AF_INET6,
			    NULL));
		return 0;
	}
	if (h[0] == '[') {
		if (host_ipv6(p, pd, h, a) == -1)
			return -1;
		made_add(made, nmade, service_new(p, pe, AF_INET6, a));
		return 0;
	}
	if (inet_pton(AF_INET, h, a) == 1) {
		if (!pd->pd_v4) {
			perr(p, p->p_line, "address %s is IPv4 but the "
			    "protocol is %s", h, pd->pd_name);
			return -1;
		}
		made_add(made, nmade, service_new(p, pe, AF_INET, a));
		return 0;
	}
	if (*h == '\0') {
		perr(p, p->p_line, "empty host in \"%s\"", pe->pe_hosts);
		return -1;
	}
	return host_resolve(p, pe, h, made, nmade);
}

/*
 * One service per address that the hosts list names, appended to *made
 * (*nmade of them) in the list's order; -1 when a host was wrong.
 */
int
expand_hosts(struct parser *p, struct proto_entry *pe,
    struct service ***made, size_t *nmade)
{
	char	*hosts, *h, *rest;
	int	 bad = 0;

	hosts = xstrdup(pe->pe_hosts);
	rest = hosts;
	while ((h = strsep(&rest, ",")) != NULL)
		if (host_expand(p, pe, h, made, nmade) == -1)
			bad = 1;
	free(hosts);
	return bad ? -1 : 0;
}
