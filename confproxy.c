/*
 * confproxy.c: the wait field's PROXY protocol options: proxy=ADDR[/BITS],
 * repeatable, the balancers whose connections start with a PROXY header
 * (proxywait.c reads it), and proxy-timeout=S, how long superd waits for
 * that header.  Each a handler of confopt.c's option table; proxy_check()
 * then says, as FILE:LINE: message, when an entry cannot have them.
 * Pure: nothing here looks at the machine.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

/*
 * proxy=ADDR or proxy=ADDR/BITS, IPv4 or IPv6, as allow= reads them: one
 * more source whose connections must start with a PROXY header; proxy=*
 * every source.
 */
int
opt_proxy(const struct optctx *o, char *val)
{
	struct svconf	*cf = o->oc_cf;
	struct acl	*a;

	char		 any4[] = "0.0.0.0/0", any6[] = "::/0";

	a = reallocarray(cf->cf_proxy, cf->cf_nproxy + 2, sizeof(*a));
	if (a == NULL)
		fatal("reallocarray");
	cf->cf_proxy = a;
	/* "*": every peer, the only form a unix socket's peers can match */
	if (strcmp(val, "*") == 0) {
		if (acl_parse(any4, &a[cf->cf_nproxy]) == -1 ||
		    acl_parse(any6, &a[cf->cf_nproxy + 1]) == -1)
			return OPT_BADVAL;
		cf->cf_nproxy += 2;
		cf->cf_proxy_all = 1;
		return OPT_OK;
	}
	if (acl_parse(val, &a[cf->cf_nproxy]) == -1)
		return OPT_BADVAL;
	cf->cf_nproxy++;
	return OPT_OK;
}

/* proxy-timeout=S: the time a PROXY header may take to arrive whole. */
int
opt_proxy_timeout(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 3600, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_proxy_timeout = (int)n;
	return OPT_OK;
}

/*
 * proxy= is for stream nowait services over tcp and unix: superd reads
 * no datagram's header (PROXY v2 over UDP is not supported), a unix
 * socket's peers have no address to match (proxy=* is its only form:
 * every connection is a balancer's), and a wait service's connections
 * are its child's, never seen by superd.  proxy-timeout= without proxy= says
 * nothing.  pd is NULL when the protocol was unknown (already an error).
 * Returns -1 when reported.
 */
int
proxy_check(struct parser *p, struct svconf *cf,
    const struct protodef *pd, int socktype)
{
	if (cf->cf_nproxy == 0) {
		if (cf->cf_proxy_timeout != 0) {
			perr(p, p->p_line, "proxy-timeout= without proxy=: "
			    "no connection waits for a PROXY header");
			return -1;
		}
		return 0;
	}
	if (cf->cf_proxy_timeout == 0)
		cf->cf_proxy_timeout = PROXY_TIMEOUT_DEFAULT;
	if (pd == NULL)
		return 0;
	if (pd->pd_proto == PROTO_UNIX) {
		if (!cf->cf_proxy_all || cf->cf_nproxy != 2) {
			perr(p, p->p_line, "proxy= on a unix socket is proxy=*: "
			    "its peers have no address to match, so every "
			    "connection is a balancer's");
			return -1;
		}
	} else if (pd->pd_proto != PROTO_TCP || socktype != SOCK_STREAM) {
		perr(p, p->p_line, "proxy= is for tcp stream services only, "
		    "not %s %s", socktype == SOCK_STREAM ? "stream" : "dgram",
		    pd->pd_name);
		return -1;
	}
	if (cf->cf_wait) {
		perr(p, p->p_line, "proxy= is for nowait services only: a "
		    "wait service's connections are its child's, superd reads "
		    "no header of theirs");
		return -1;
	}
	return 0;
}
