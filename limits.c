/*
 * limits.c: what decides whether a connection gets a child.  No I/O here.
 *
 * allow=/deny= and proxy= matching, the rate= token bucket and the
 * per-source counts (a hash on service and remote address, also the source
 * of TCPCONNNUM). IPv4-mapped IPv6 addresses are counted and matched as
 * IPv4.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"

#define SRC_BUCKETS	4096

static struct srcent	*src_table[SRC_BUCKETS];
static struct srcent	*src_free;

/* The address bytes of a peer, IPv4-mapped IPv6 taken as IPv4. */
static int
peer_bytes(const struct sockaddr *sa, unsigned char *out)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 =
	    (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		memcpy(out, &sin->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(out, &sin6->sin6_addr.s6_addr[12], 4);
			return AF_INET;
		}
		memcpy(out, &sin6->sin6_addr, 16);
		return AF_INET6;
	}
	return AF_UNSPEC;
}

static int
acl_match(const struct acl *acl, int family, const unsigned char *a)
{
	int	 full, rest;

	if (acl->ac_family != family)
		return 0;
	full = acl->ac_bits / 8;
	rest = acl->ac_bits % 8;
	if (memcmp(acl->ac_addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((acl->ac_addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

/*
 * deny= wins over allow=; when any allow= is given, only matching peers
 * are served.  Unix sockets have no address to match and are allowed.
 */
int
limits_acl_allows(const struct svconf *cf, const struct sockaddr *peer)
{
	unsigned char	 a[16];
	int		 family, allowed;
	size_t		 i;

	if (cf->cf_nacl == 0)
		return 1;
	if ((family = peer_bytes(peer, a)) == AF_UNSPEC)
		return 1;
	allowed = cf->cf_nallow == 0;
	for (i = 0; i < cf->cf_nacl; i++) {
		if (!acl_match(&cf->cf_acl[i], family, a))
			continue;
		if (cf->cf_acl[i].ac_deny)
			return 0;
		allowed = 1;
	}
	return allowed;
}

/*
 * Is peer one of the proxy= balancers, whose connections start with a
 * PROXY header?  One whose address family has none listed is not.
 */
int
limits_proxy_from(const struct svconf *cf, const struct sockaddr *peer)
{
	unsigned char	 a[16];
	int		 family;
	size_t		 i;

	/* a unix socket's peer has no address: proxy=* alone takes it */
	if ((family = peer_bytes(peer, a)) == AF_UNSPEC)
		return cf->cf_proxy_all && peer->sa_family == AF_UNIX;
	for (i = 0; i < cf->cf_nproxy; i++)
		if (acl_match(&cf->cf_proxy[i], family, a))
			return 1;
	return 0;
}

/*
 * rate=N/S: a token bucket of N tokens refilled at N per S seconds.
 * Returns 1 and takes a token, or 0 when the bucket is empty.  Datagram
 * built-ins, which answer whoever a datagram claims to be from, have a
 * bucket even without rate=.
 */
int
limits_rate_take(struct service *sv, double now)
{
	const struct svconf	*cf = sv->sv_cf;
	double			 cap, secs;

	cap = cf->cf_rate_n;
	secs = cf->cf_rate_s;
	if (cf->cf_rate_n == 0) {
		if (cf->cf_builtin == BI_NONE || sv->sv_socktype != SOCK_DGRAM)
			return 1;
		cap = BUILTIN_DGRAM_RATE_N;
		secs = BUILTIN_DGRAM_RATE_S;
	}
	if (sv->sv_tokens_at == 0)
		sv->sv_tokens = cap;
	else
		sv->sv_tokens += (now - sv->sv_tokens_at) * cap / secs;
	if (sv->sv_tokens > cap)
		sv->sv_tokens = cap;
	sv->sv_tokens_at = now;
	if (sv->sv_tokens < 1.0)
		return 0;
	sv->sv_tokens -= 1.0;
	return 1;
}

/*
 * After limits_rate_take() found the bucket empty: the seconds until it
 * holds a token again.
 */
double
limits_rate_wait(const struct service *sv)
{
	const struct svconf	*cf = sv->sv_cf;

	if (cf->cf_rate_n == 0 || sv->sv_tokens >= 1.0)
		return 0;
	return (1.0 - sv->sv_tokens) * cf->cf_rate_s / cf->cf_rate_n;
}

static unsigned
src_hash(const struct service *sv, int family, const unsigned char *a)
{
	uint64_t	 h = 1469598103934665603ULL;
	uintptr_t	 p = (uintptr_t)sv;
	size_t		 i, n = family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 1099511628211ULL;
	h ^= p >> 4;
	h *= 1099511628211ULL;
	return (unsigned)(h ^ (h >> 29)) % SRC_BUCKETS;
}

/*
 * Count one more child of sv from this peer; returns the entry, whose
 * se_count includes the new child.  NULL for peers without an address.
 */
struct srcent *
limits_source_get(struct service *sv, const struct sockaddr *peer)
{
	unsigned char	 a[16];
	struct srcent	*se;
	unsigned	 h;
	int		 family;

	memset(a, 0, sizeof(a));
	if ((family = peer_bytes(peer, a)) == AF_UNSPEC)
		return NULL;
	h = src_hash(sv, family, a);
	for (se = src_table[h]; se != NULL; se = se->se_next)
		if (se->se_sv == sv && se->se_family == family &&
		    memcmp(se->se_addr, a, 16) == 0)
			break;
	if (se == NULL) {
		if ((se = src_free) != NULL)
			src_free = se->se_next;
		else if ((se = calloc(1, sizeof(*se))) == NULL)
			return NULL;
		se->se_sv = sv;
		se->se_family = family;
		memcpy(se->se_addr, a, 16);
		se->se_count = 0;
		se->se_next = src_table[h];
		src_table[h] = se;
	}
	se->se_count++;
	return se;
}

/* One child fewer; the entry goes back to the free list at zero. */
void
limits_source_put(struct srcent *se)
{
	struct srcent	**pp;
	unsigned	  h;

	if (se == NULL || --se->se_count > 0)
		return;
	h = src_hash(se->se_sv, se->se_family, se->se_addr);
	for (pp = &src_table[h]; *pp != NULL; pp = &(*pp)->se_next)
		if (*pp == se) {
			*pp = se->se_next;
			break;
		}
	se->se_next = src_free;
	src_free = se;
}
