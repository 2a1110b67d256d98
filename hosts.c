/*
 * hosts.c: an entry's hosts list made into services, one struct service
 * per address.
 *
 * "*" gives the wildcard of each family the protocol allows, an address
 * literal gives itself, a name gives every address getaddrinfo(3) returns
 * for it in those families (once, at load).  Each service made is on the
 * table's list and in *made; a host that is wrong is one error of the
 * entry and the others are still made, so that they go with the table
 * the errors keep from being used.  Nothing is bound here.
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

/* One service per address that the hosts list names. */
int
expand_hosts(struct parser *p, struct proto_entry *pe,
    struct service ***made, size_t *nmade)
{
	const struct protodef *pd = pe->pe_pd;
	char		*hosts, *h, *rest;
	unsigned char	 a[16];
	struct addrinfo	 hints, *res, *ai;
	struct service	*sv, **m;
	size_t		 len;
	int		 e, bad = 0;

	hosts = xstrdup(pe->pe_hosts);
	rest = hosts;
	while ((h = strsep(&rest, ",")) != NULL) {
		struct service	*made1[2] = { NULL, NULL };
		int		 k = 0;

		if (strcmp(h, "*") == 0) {
			if (pd->pd_v4)
				made1[k++] = service_new(p, pe, AF_INET, NULL);
			if (pd->pd_v6)
				made1[k++] = service_new(p, pe, AF_INET6,
				    NULL);
		} else if (h[0] == '[') {
			len = strlen(h);
			if (len < 3 || h[len - 1] != ']') {
				perr(p, p->p_line, "bad IPv6 address \"%s\"",
				    h);
				bad = 1;
				continue;
			}
			h[len - 1] = '\0';
			if (inet_pton(AF_INET6, h + 1, a) != 1) {
				perr(p, p->p_line, "bad IPv6 address "
				    "\"%s\"", h + 1);
				bad = 1;
				continue;
			}
			if (!pd->pd_v6) {
				perr(p, p->p_line, "address [%s] is IPv6 "
				    "but the protocol is %s", h + 1,
				    pd->pd_name);
				bad = 1;
				continue;
			}
			made1[k++] = service_new(p, pe, AF_INET6, a);
		} else if (inet_pton(AF_INET, h, a) == 1) {
			if (!pd->pd_v4) {
				perr(p, p->p_line, "address %s is IPv4 but "
				    "the protocol is %s", h, pd->pd_name);
				bad = 1;
				continue;
			}
			made1[k++] = service_new(p, pe, AF_INET, a);
		} else if (*h == '\0') {
			perr(p, p->p_line, "empty host in \"%s\"",
			    pe->pe_hosts);
			bad = 1;
			continue;
		} else {
			memset(&hints, 0, sizeof(hints));
			hints.ai_family = pd->pd_v4 && pd->pd_v6 ? AF_UNSPEC :
			    pd->pd_v4 ? AF_INET : AF_INET6;
			hints.ai_socktype = pe->pe_socktype;
			if ((e = getaddrinfo(h, NULL, &hints, &res)) != 0) {
				perr(p, p->p_line, "cannot resolve host "
				    "\"%s\": %s", h, gai_strerror(e));
				bad = 1;
				continue;
			}
			for (ai = res; ai != NULL; ai = ai->ai_next) {
				const void *ap;

				if (ai->ai_family == AF_INET)
					ap = &((struct sockaddr_in *)
					    ai->ai_addr)->sin_addr;
				else if (ai->ai_family == AF_INET6)
					ap = &((struct sockaddr_in6 *)
					    ai->ai_addr)->sin6_addr;
				else
					continue;
				sv = service_new(p, pe, ai->ai_family, ap);
				m = reallocarray(*made, *nmade + 1,
				    sizeof(**made));
				if (m == NULL)
					fatal("reallocarray");
				*made = m;
				m[(*nmade)++] = sv;
			}
			freeaddrinfo(res);
		}
		m = reallocarray(*made, *nmade + k, sizeof(**made));
		if (m == NULL)
			fatal("reallocarray");
		*made = m;
		while (k-- > 0)
			m[(*nmade)++] = made1[k];
	}
	free(hosts);
	return bad ? -1 : 0;
}
