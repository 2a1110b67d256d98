/*
 * addr.c: socket addresses as text, for the logs, the children's
 * environment and the table's error messages, and services compared by
 * their address.
 *
 * Pure functions of a sockaddr: no socket, no lookup, no allocation.
 * Callers rely on the text being the same wherever an address is shown
 * (127.0.0.1:7007, [::1]:7007, or a unix socket's path), and on an
 * IPv4-mapped IPv6 peer being shown as the IPv4 address it is.
 * service_cmp_addr() orders services by their identity (socket type,
 * family, address), the order reload.c matches old and new tables in.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "superd.h"

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes plain IPv4. */
void
addr_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	 sin;

	if (ss->ss_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6->sin6_port;
	memcpy(&sin.sin_addr, &sin6->sin6_addr.s6_addr[12], 4);
	memcpy(ss, &sin, sizeof(sin));
}

/*
 * n in decimal at p, no NUL: how many digits (5 at most: n is a port or
 * an octet).  Every connection has its addresses written a few times
 * (its variables, its start line; a balancer's twice more): by hand,
 * not with snprintf(3) and inet_ntop(3), which goes through sprintf for
 * IPv4, each a vfprintf costing more than the rest of the work.
 */
static size_t
addr_digits(char *p, unsigned int n)
{
	char	 d[5];
	size_t	 k = 0, i;

	do
		d[k++] = (char)('0' + n % 10);
	while ((n /= 10) != 0 && k < sizeof(d));
	for (i = 0; i < k; i++)
		p[i] = d[k - 1 - i];
	return k;
}

/* The number as text in buf (len bytes), cut to fit as snprintf would. */
static void
addr_port(char *buf, size_t len, unsigned int n)
{
	char	 t[6];

	t[addr_digits(t, n)] = '\0';
	(void)strlcpy(buf, t, len);
}

/* An IPv4 address, dotted, cut to fit as inet_ntop's result would be. */
static void
addr_ipv4(const struct in_addr *in, char *buf, size_t len)
{
	const unsigned char	*b = (const unsigned char *)&in->s_addr;
	char			 t[INET_ADDRSTRLEN];
	size_t			 k = 0;
	int			 i;

	for (i = 0; i < 4; i++) {
		if (i > 0)
			t[k++] = '.';
		k += addr_digits(t + k, b[i]);
	}
	t[k] = '\0';
	(void)strlcpy(buf, t, len);
}

/* The address alone and the port alone, as the environment wants them. */
void
addr_format(const struct sockaddr *sa, char *ip, size_t iplen, char *port,
    size_t portlen)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	switch (sa->sa_family) {
	case AF_INET:
		addr_ipv4(&sin->sin_addr, ip, iplen);
		addr_port(port, portlen, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		(void)inet_ntop(AF_INET6, &sin6->sin6_addr, ip, iplen);
		addr_port(port, portlen, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		(void)strlcpy(ip, ((const struct sockaddr_un *)sa)->sun_path,
		    iplen);
		if (portlen > 0)
			port[0] = '\0';
		break;
	default:
		(void)strlcpy(ip, "?", iplen);
		if (portlen > 0)
			port[0] = '\0';
	}
}

/* 127.0.0.1:7007, [::1]:7007, or the path of a unix socket. */
void
addr_format_full(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 ip[INET6_ADDRSTRLEN + 108], port[8];

	addr_format(sa, ip, sizeof(ip), port, sizeof(port));
	if (sa->sa_family == AF_INET6) {
		(void)strlcpy(buf, "[", len);
		(void)strlcat(buf, ip, len);
		(void)strlcat(buf, "]:", len);
		(void)strlcat(buf, port, len);
	} else if (sa->sa_family == AF_INET) {
		(void)strlcpy(buf, ip, len);
		(void)strlcat(buf, ":", len);
		(void)strlcat(buf, port, len);
	} else
		(void)strlcpy(buf, ip, len);
}

/* A peer as logged: its address, "unix" for a unix peer, "-" for none. */
void
peer_format(const struct sockaddr *peer, char *buf, size_t len)
{
	if (peer == NULL || peer->sa_family == AF_UNSPEC)
		(void)strlcpy(buf, "-", len);
	else if (peer->sa_family == AF_UNIX)
		(void)strlcpy(buf, "unix", len);
	else
		addr_format_full(peer, buf, len);
}

/* A service's protocol as the logs name it: tcp4, tcp6, udp4, udp6, unix. */
const char *
proto_label(const struct service *sv)
{
	switch (sv->sv_proto) {
	case PROTO_TCP:
		return sv->sv_family == AF_INET ? "tcp4" : "tcp6";
	case PROTO_UDP:
		return sv->sv_family == AF_INET ? "udp4" : "udp6";
	default:
		return "unix";
	}
}

/*
 * The order of services by address: socket type, family, then the
 * sockaddr's bytes (the port before the address, for IP); 0 for the same.
 */
int
service_cmp_addr(const struct service *a, const struct service *b)
{
	if (a->sv_socktype != b->sv_socktype)
		return a->sv_socktype < b->sv_socktype ? -1 : 1;
	if (a->sv_family != b->sv_family)
		return a->sv_family < b->sv_family ? -1 : 1;
	if (a->sv_addrlen != b->sv_addrlen)
		return a->sv_addrlen < b->sv_addrlen ? -1 : 1;
	return memcmp(&a->sv_addr, &b->sv_addr, a->sv_addrlen);
}

/* The same address: a reload keeps the service, a conflict is checked. */
int
service_same_addr(const struct service *a, const struct service *b)
{
	return service_cmp_addr(a, b) == 0;
}
