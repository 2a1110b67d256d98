/*
 * spawnenv.c: a child's environment, built in the parent.
 *
 * The constant part once per service at load (spawn_prepare): the clean
 * environment (or superd's own under -E), the service's user, PROTO,
 * SUPERD_SERVICE and env=, and line-buffered's LD_PRELOAD.  The
 * connection variables (TCPREMOTEIP and the like), with that part, into
 * a struct spawn_env just before each spawn (spawnenv_fill).
 * Nothing here runs in the child.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "spawnint.h"

extern char	**environ;

/* The names of the connection variables, by kind of service. */
static int
envvar_names(const struct service *sv, const char **names)
{
	static const char *tcp[] = { "TCPLOCALIP", "TCPLOCALPORT",
	    "TCPREMOTEIP", "TCPREMOTEPORT", "REMOTE_ADDR", "REMOTE_PORT",
	    "TCPCONNNUM" };
	static const char *udp[] = { "UDPLOCALIP", "UDPLOCALPORT",
	    "UDPREMOTEIP", "UDPREMOTEPORT", "REMOTE_ADDR", "REMOTE_PORT" };
	static const char *unx[] = { "UNIXREMOTEUID", "UNIXREMOTEGID",
	    "UNIXREMOTEPID" };
	const char	**src;
	int		  n, i;

	switch (sv->sv_proto) {
	case PROTO_UNIX:
		/* behind a balancer (proxy=*): the TCP client it names */
		if (sv->sv_cf->cf_proxy_all) {
			src = tcp;
			n = 7;
		} else {
			src = unx;
			n = 3;
		}
		break;
	case PROTO_TCP:
		src = tcp;
		n = 7;
		break;
	case PROTO_UDP:
		src = udp;
		n = 6;
		break;
	default:
		src = unx;
		n = 3;
		break;
	}
	/* A wait child gets the socket, not a peer: only the local side. */
	if (sv->sv_cf->cf_wait)
		n = sv->sv_proto == PROTO_UNIX ? 0 : 2;
	for (i = 0; i < n; i++)
		names[i] = src[i];
	return n;
}

static char *
env_pair(const char *name, const char *value)
{
	char	*s;

	if (asprintf(&s, "%s=%s", name, value) == -1)
		fatal("asprintf");
	return s;
}

/* Does envp already hold NAME (from a later, winning source)? */
static int
env_has(char **envp, int n, const char *pair)
{
	size_t	 len = strcspn(pair, "=");
	int	 i;

	for (i = 0; i < n; i++)
		if (strncmp(envp[i], pair, len) == 0 && envp[i][len] == '=')
			return 1;
	return 0;
}

/*
 * line-buffered, as stdbuf -oL does it: STDBUF_LIB first in LD_PRELOAD,
 * before what the entry's env= (or superd's own, under -E) preloads
 * already, and _STDBUF_O=L unless env= set it.  envp has room for two
 * more; returns its new count.
 */
static int
stdbuf_vars(char **envp, int n)
{
	char	*old;
	int	 k;

	for (k = 0; k < n; k++)
		if (strncmp(envp[k], "LD_PRELOAD=", 11) == 0)
			break;
	if (k == n)
		envp[n++] = env_pair("LD_PRELOAD", STDBUF_LIB);
	else {
		old = envp[k];
		if (asprintf(&envp[k], "LD_PRELOAD=%s%s%s", STDBUF_LIB,
		    old[11] != '\0' ? ":" : "", old + 11) == -1)
			fatal("asprintf");
		free(old);
	}
	if (!env_has(envp, n, "_STDBUF_O="))
		envp[n++] = env_pair("_STDBUF_O", "L");
	return n;
}

/*
 * Build the service's constant environment: the clean one (or superd's
 * own under -E), then the service's user, PROTO and SUPERD_SERVICE, then
 * env=.  A later source wins over an earlier one.  cf_envvars says which
 * connection variables follow (those env= did not set).
 */
int
spawn_prepare(struct service *sv, int keepenv)
{
	struct svconf	*cf = sv->sv_cf;
	const char	*names[NENVVARS];
	char		**envp, *fixed[16];
	const char	*proto;
	char		 *p;
	size_t		  nenviron = 0, cap, i, len;
	int		  n = 0, nf = 0, nvar, k;

	proto = sv->sv_proto == PROTO_TCP ? "TCP" : sv->sv_proto ==
	    PROTO_UDP ? "UDP" : "UNIX";
	if (keepenv)
		for (nenviron = 0; environ[nenviron] != NULL; nenviron++)
			;
	nvar = envvar_names(sv, names);
	cap = nenviron + 16 + cf->cf_nenv + 1;
	if ((envp = calloc(cap, sizeof(char *))) == NULL)
		return -1;

	fixed[nf++] = env_pair("PATH", SUPERD_PATH);
	fixed[nf++] = env_pair("USER", cf->cf_user);
	fixed[nf++] = env_pair("LOGNAME", cf->cf_user);
	fixed[nf++] = env_pair("HOME", cf->cf_home);
	fixed[nf++] = env_pair("SHELL", cf->cf_shell);
	fixed[nf++] = env_pair("PROTO", proto);
	fixed[nf++] = env_pair("SUPERD_SERVICE", sv->sv_name);

	/* Later wins: env= over the fixed ones over superd's own. */
	for (i = cf->cf_nenv; i-- > 0; )
		if (!env_has(envp, n, cf->cf_env[i]))
			envp[n++] = strdup(cf->cf_env[i]);
	for (k = nf; k-- > 0; ) {
		if (!env_has(envp, n, fixed[k]) && !(keepenv &&
		    strcmp(fixed[k], "PATH=" SUPERD_PATH) == 0 &&
		    getenv("PATH") != NULL))
			envp[n++] = fixed[k];
		else
			free(fixed[k]);
	}
	for (i = 0; i < nenviron; i++) {
		const char *e = environ[i];

		if (strncmp(e, "LISTEN_", 7) == 0 ||
		    strncmp(e, "NOTIFY_SOCKET=", 14) == 0)
			continue;
		if (!env_has(envp, n, e))
			envp[n++] = strdup(e);
	}
	if (cf->cf_linebuf)
		n = stdbuf_vars(envp, n);
	/* the constant strings in one block: a table may have 10,000 */
	for (k = 0, len = 0; k < n; k++) {
		if (envp[k] == NULL)
			fatal("strdup");
		len += strlen(envp[k]) + 1;
	}
	if ((cf->cf_envbuf = malloc(len)) == NULL)
		fatal("malloc");
	for (k = 0, p = cf->cf_envbuf; k < n; k++) {
		size_t	 l = strlen(envp[k]) + 1;

		memcpy(p, envp[k], l);
		free(envp[k]);
		envp[k] = p;
		p += l;
	}
	envp[n] = NULL;
	/* a connection variable env= set stays env='s */
	cf->cf_envvars = 0;
	for (k = 0; k < nvar; k++)
		if (!env_has(envp, n, names[k]))
			cf->cf_envvars |= 1U << k;
	cf->cf_nenvconst = n;
	cf->cf_envp = envp;
	return 0;
}

/* One "NAME=value", cut at ENVVARLEN. */
static void
envvar_set(struct spawn_env *se, int i, const char *name, const char *value)
{
	size_t	 len;

	len = strlcpy(se->se_var[i], name, ENVVARLEN);
	if (len + 1 < ENVVARLEN) {
		se->se_var[i][len] = '=';
		(void)strlcpy(se->se_var[i] + len + 1, value,
		    ENVVARLEN - len - 1);
	}
}

/*
 * A connection from a balancer: its variables after the connection's,
 * from envp[n] on; those env= set (or -E's environment) stay theirs.
 * The balancer's address always; for a header that names a client, the
 * TLVs it had (their text is printable ASCII: proxyhdr.c).  Returns the
 * new count.
 */
static int
proxy_vars(const struct svconf *cf, struct spawn_env *se, int n,
    const struct proxied *px)
{
	const struct proxyhdr	*ph = &px->px_hdr;
	const char		*val[NPROXYVARS];
	static const char	*names[NPROXYVARS] = { "PROXYREMOTEIP=",
	    "PROXYREMOTEPORT=", "PROXY_AUTHORITY=", "PROXY_UNIQUE_ID=",
	    "PROXY_SSL=", "PROXY_SSL_VERSION=", "PROXY_SSL_CN=" };
	char			 ip[INET6_ADDRSTRLEN], port[8];
	size_t			 len;
	int			 k;

	addr_format((const struct sockaddr *)&px->px_balancer, ip,
	    sizeof(ip), port, sizeof(port));
	memset(val, 0, sizeof(val));
	val[0] = ip;
	val[1] = port;
	if (!ph->ph_local) {
		val[2] = ph->ph_authority;
		val[3] = ph->ph_unique_id;
		val[4] = ph->ph_ssl == -1 ? "" : ph->ph_ssl ? "1" : "0";
		val[5] = ph->ph_ssl_version;
		val[6] = ph->ph_ssl_cn;
	}
	for (k = 0; k < NPROXYVARS; k++) {
		if (val[k] == NULL || val[k][0] == '\0')
			continue;
		if (env_has(cf->cf_envp, cf->cf_nenvconst, names[k]))
			continue;
		len = strlcpy(se->se_pvar[k], names[k], PROXYVARLEN);
		(void)strlcpy(se->se_pvar[k] + len, val[k], PROXYVARLEN - len);
		se->se_envp[n++] = se->se_pvar[k];
	}
	return n;
}

/*
 * Fill se's connection variables for this connection, in the order
 * envvar_names() gives them, and its envp: the service's constant part,
 * then those variables, then a balancer's (px: proxywait.c), for which
 * the local address is the one the header says the client reached and
 * peer the client it names.  -1 when the envp cannot grow.
 */
int
spawnenv_fill(const struct service *sv, struct spawn_env *se, int fd,
    const struct sockaddr *peer, const struct proxied *px, int connnum)
{
	const struct svconf	*cf = sv->sv_cf;
	const char		*names[NENVVARS];
	char			 lip[INET6_ADDRSTRLEN], lport[8];
	char			 rip[INET6_ADDRSTRLEN + 108], rport[8];
	char			 num[16], **envp;
	struct sockaddr_storage	 st;
	socklen_t		 len;
	struct ucred		 cred;
	size_t			 need;
	int			 n, k;

	need = cf->cf_nenvconst + NENVVARS + NPROXYVARS + 1;
	if (se->se_envcap < need) {
		if ((envp = reallocarray(se->se_envp, need,
		    sizeof(char *))) == NULL)
			return -1;
		se->se_envp = envp;
		se->se_envcap = need;
	}
	memcpy(se->se_envp, cf->cf_envp, cf->cf_nenvconst * sizeof(char *));
	n = cf->cf_nenvconst;
	for (k = 0; k < NENVVARS; k++)
		if (cf->cf_envvars & (1U << k))
			se->se_envp[n++] = se->se_var[k];
	if (px != NULL)
		n = proxy_vars(cf, se, n, px);
	se->se_envp[n] = NULL;

	n = envvar_names(sv, names);
	if (n == 0)
		return 0;
	if (sv->sv_proto == PROTO_UNIX && !cf->cf_proxy_all) {
		len = sizeof(cred);
		memset(&cred, 0, sizeof(cred));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
		    &len) == -1) {
			cred.uid = (uid_t)-1;
			cred.gid = (gid_t)-1;
		}
		(void)snprintf(num, sizeof(num), "%d", (int)cred.uid);
		envvar_set(se, 0, names[0], num);
		(void)snprintf(num, sizeof(num), "%d", (int)cred.gid);
		envvar_set(se, 1, names[1], num);
		(void)snprintf(num, sizeof(num), "%d", (int)cred.pid);
		envvar_set(se, 2, names[2], num);
		return 0;
	}
	if (sv->sv_proto == PROTO_UNIX &&
	    (px == NULL || px->px_hdr.ph_local)) {
		/* a balancer's health check on a unix socket: no addresses */
		for (k = 0; k < n; k++)
			envvar_set(se, k, names[k], k == 6 ? "1" : "");
		return 0;
	}
	if (px != NULL && !px->px_hdr.ph_local) {
		/* where the client connected to, as the header says */
		addr_format((const struct sockaddr *)&px->px_hdr.ph_dst, lip,
		    sizeof(lip), lport, sizeof(lport));
	} else if (sv->sv_wildcard && !cf->cf_wait) {
		/* only a wildcard listener needs the kernel to say */
		len = sizeof(st);
		if (getsockname(fd, (struct sockaddr *)&st, &len) == 0) {
			addr_unmap(&st);
			addr_format((struct sockaddr *)&st, lip, sizeof(lip),
			    lport, sizeof(lport));
		} else {
			(void)strlcpy(lip, sv->sv_localip, sizeof(lip));
			(void)strlcpy(lport, sv->sv_localport, sizeof(lport));
		}
	} else {
		(void)strlcpy(lip, sv->sv_localip, sizeof(lip));
		(void)strlcpy(lport, sv->sv_localport, sizeof(lport));
	}
	envvar_set(se, 0, names[0], lip);
	envvar_set(se, 1, names[1], lport);
	if (n == 2)
		return 0;
	addr_format(peer, rip, sizeof(rip), rport, sizeof(rport));
	envvar_set(se, 2, names[2], rip);
	envvar_set(se, 3, names[3], rport);
	envvar_set(se, 4, names[4], rip);
	envvar_set(se, 5, names[5], rport);
	if (n > 6) {
		(void)snprintf(num, sizeof(num), "%d", connnum);
		envvar_set(se, 6, names[6], num);
	}
	return 0;
}
