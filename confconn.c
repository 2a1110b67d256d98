/*
 * confconn.c: the wait field's options about a connection's ends:
 * keepalive[=IDLE[/INTERVAL[/COUNT]]], user-timeout=S and nodelay, which
 * superd sets on a TCP listener for every connection accepted from it to
 * inherit (tcpopt.c), refuse-message=TEXT, written to a client that
 * admission refuses (admit.c), linger=S, how superd closes its copy of a
 * connection after the child (linger.c), and idle=S, how long a
 * connection may carry nothing (child.c).  Each a handler of confopt.c's option
 * table; conn_check() then says, as FILE:LINE: message, when an entry's
 * protocol or kind cannot have them.
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
 * keepalive, or keepalive=IDLE[/INTERVAL[/COUNT]]: SO_KEEPALIVE, and the
 * values given of TCP_KEEPIDLE and TCP_KEEPINTVL (seconds, 1 to 32767,
 * the kernel's bounds) and TCP_KEEPCNT (probes, 1 to 127); those not
 * given stay the kernel's (net.ipv4.tcp_keepalive_time, _intvl, _probes).
 */
int
opt_keepalive(const struct optctx *o, char *val)
{
	struct svconf	*cf = o->oc_cf;
	static const long long max[3] = { 32767, 32767, 127 };
	char		 buf[32], *part, *s = buf;
	long long	 n;
	int		 v[3] = { 0, 0, 0 }, i = 0;

	if (val != NULL) {
		/* a copy: the message shows the value as written */
		if (strlcpy(buf, val, sizeof(buf)) >= sizeof(buf))
			return OPT_BADVAL;
		while ((part = strsep(&s, "/")) != NULL) {
			if (i == 3 || parse_num(part, 1, max[i], &n) == -1)
				return OPT_BADVAL;
			v[i++] = (int)n;
		}
	}
	cf->cf_keepalive = 1;
	cf->cf_keepidle = v[0];
	cf->cf_keepintvl = v[1];
	cf->cf_keepcnt = v[2];
	return OPT_OK;
}

/* user-timeout=S: TCP_USER_TIMEOUT, unacknowledged data for S s at most. */
int
opt_user_timeout(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 86400, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_usertimeout = (int)n * 1000;
	return OPT_OK;
}

/* nodelay: TCP_NODELAY, no Nagle delay for small writes. */
int
opt_nodelay(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_nodelay = 1;
	return OPT_OK;
}

/*
 * refuse-message=TEXT: its text runs to the end of the wait field, commas
 * included (confopt.c gives it the rest), with \r, \n, \t and \\ as
 * escapes and any other backslash an error; REFUSE_MSG_MAX bytes at most
 * once read, so it always fits a fresh connection's send buffer and goes
 * out with one send.
 */
int
opt_refuse_message(const struct optctx *o, char *val)
{
	struct svconf	*cf = o->oc_cf;
	char		 buf[REFUSE_MSG_MAX], *s;
	size_t		 n = 0;
	int		 c;

	for (s = val; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '\\') {
			switch (*++s) {
			case 'r':
				c = '\r';
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\\':
				c = '\\';
				break;
			default:
				return OPT_BADVAL;
			}
		}
		if (n == sizeof(buf))
			return OPT_BADVAL;
		buf[n++] = (char)c;
	}
	if (n == 0)
		return OPT_BADVAL;
	free(cf->cf_refmsg);
	cf->cf_refmsg = xcalloc(1, n);
	memcpy(cf->cf_refmsg, buf, n);
	cf->cf_refmsglen = n;
	return OPT_OK;
}

/*
 * linger=S: superd keeps its copy of each connection until the child
 * exits, then shuts down its sending side and discards what the client
 * still sends, for S s at most (linger.c); 0 closes it at once.
 */
int
opt_linger(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 0, 60, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_linger = (int)n;
	return OPT_OK;
}

/* idle=S: no byte either way for S s ends the child (child.c). */
int
opt_idle(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 2678400, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_idle = (int)n;
	return OPT_OK;
}

/*
 * The options an entry's kind cannot have: the TCP ones (idle= too) on
 * anything but tcp, refuse-message=, linger= and idle= on anything but a
 * stream nowait service (superd accepts no other's connections).  pd is
 * the entry's protocol, NULL when it was unknown (already an error).
 * linger= not given becomes its default here: LINGER_DEFAULT for stream
 * nowait, 0 for the rest.  Returns -1 when reported.
 */
int
conn_check(struct parser *p, struct svconf *cf,
    const struct protodef *pd, int socktype)
{
	const char	*tcp = NULL;
	int		 bad = 0;

	if (cf->cf_linger == -1)
		cf->cf_linger = socktype == SOCK_STREAM && !cf->cf_wait ?
		    LINGER_DEFAULT : 0;
	else if (cf->cf_linger > 0 && (socktype != SOCK_STREAM ||
	    cf->cf_wait)) {
		perr(p, p->p_line, "linger= is for stream nowait services "
		    "only: superd holds no other's connections");
		bad = 1;
	}
	if (cf->cf_idle != 0 && (socktype != SOCK_STREAM || cf->cf_wait)) {
		perr(p, p->p_line, "idle= is for stream nowait services "
		    "only: superd holds no other's connections");
		bad = 1;
	}
	if (pd == NULL)
		return bad ? -1 : 0;
	if (cf->cf_keepalive)
		tcp = "keepalive";
	else if (cf->cf_usertimeout != 0)
		tcp = "user-timeout=";
	else if (cf->cf_nodelay)
		tcp = "nodelay";
	else if (cf->cf_idle != 0)
		tcp = "idle=";
	if (tcp != NULL && pd->pd_proto != PROTO_TCP) {
		perr(p, p->p_line, "%s is for tcp services only, not %s", tcp,
		    pd->pd_name);
		bad = 1;
	}
	if (cf->cf_refmsg != NULL && (socktype != SOCK_STREAM ||
	    cf->cf_wait)) {
		perr(p, p->p_line, "refuse-message= is for stream nowait "
		    "services only: superd accepts no other's connections");
		bad = 1;
	}
	return bad ? -1 : 0;
}
