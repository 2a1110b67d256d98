/*
 * confopt.c: the wait field of a table entry, with inetd's ".max" and
 * superd's options after it (the containment ones are confcontain.c's,
 * the connection ones confconn.c's, the PROXY protocol's confproxy.c's),
 * and allow= and deny=; the values' parsers are confval.c's.
 * Errors go to the parser's list as FILE:LINE: message; nothing is
 * logged.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

/*
 * The edit distance between a and b, counting a swap of two neighbours as
 * one edit (optimal string alignment); names longer than 31 bytes are
 * never near anything.
 */
static int
edit_distance(const char *a, const char *b)
{
	int	 d[32][32], i, j, la, lb, v;

	la = strlen(a);
	lb = strlen(b);
	if (la > 31 || lb > 31)
		return INT_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* An environment variable's name: letters, digits and _, no digit first. */
static int
valid_envname(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* instances=N: children of the service at once. */
static int
opt_instances(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 1000000, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_instances = (int)n;
	return OPT_OK;
}

/* per-source=N: children for one remote address at once. */
static int
opt_per_source(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 1000000, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_per_source = (int)n;
	return OPT_OK;
}

/*
 * rate=N/S: N starts per S seconds.  Once only, and not beside inetd's
 * ".max", which sets the same limit (a rate already set is one of them:
 * both take at least one start).
 */
static int
opt_rate(const struct optctx *o, char *val)
{
	struct svconf	*cf = o->oc_cf;
	struct parser	*p = o->oc_p;
	char		*slash;
	long long	 n, s;

	if (cf->cf_rate_n != 0) {
		perr(p, p->p_line, "rate given twice (rate= and .max, or rate= "
		    "twice)");
		return OPT_FAILED;
	}
	if ((slash = strchr(val, '/')) == NULL)
		return OPT_BADVAL;
	*slash++ = '\0';
	if (parse_num(val, 1, 1000000, &n) == -1 ||
	    parse_num(slash, 1, 86400, &s) == -1) {
		slash[-1] = '/';	/* the message shows the value whole */
		return OPT_BADVAL;
	}
	cf->cf_rate_n = (int)n;
	cf->cf_rate_s = (double)s;
	return OPT_OK;
}

/* timeout=S: a child still running after S seconds is ended. */
static int
opt_timeout(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 31 * 86400, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_timeout = (int)n;
	return OPT_OK;
}

/* allow= and deny=: one more entry of the service's address list. */
static int
opt_acl(struct svconf *cf, char *val, int deny)
{
	struct acl	*acl;

	acl = reallocarray(cf->cf_acl, cf->cf_nacl + 1, sizeof(*acl));
	if (acl == NULL)
		fatal("reallocarray");
	cf->cf_acl = acl;
	if (acl_parse(val, &acl[cf->cf_nacl]) == -1)
		return OPT_BADVAL;
	acl[cf->cf_nacl].ac_deny = deny;
	if (!deny)
		cf->cf_nallow++;
	cf->cf_nacl++;
	return OPT_OK;
}

static int
opt_allow(const struct optctx *o, char *val)
{
	return opt_acl(o->oc_cf, val, 0);
}

static int
opt_deny(const struct optctx *o, char *val)
{
	return opt_acl(o->oc_cf, val, 1);
}

/* env=NAME=VALUE: a variable for the service's environment. */
static int
opt_env(const struct optctx *o, char *val)
{
	struct svconf	*cf = o->oc_cf;
	struct parser	*p = o->oc_p;
	char		*eq = strchr(val, '=');

	if (eq == NULL || !valid_envname(val, eq - val)) {
		perr(p, p->p_line, "bad env=\"%s\": expected env=NAME=VALUE",
		    val);
		return OPT_FAILED;
	}
	cf->cf_env = reallocarray(cf->cf_env, cf->cf_nenv + 1, sizeof(char *));
	if (cf->cf_env == NULL)
		fatal("reallocarray");
	cf->cf_env[cf->cf_nenv++] = xstrdup(val);
	return OPT_OK;
}

/*
 * stderr=log|inherit|socket|null: where a child's standard error goes
 * (log, a pipe superd reads into its log, is the default: conf.c).
 */
static int
opt_stderr(const struct optctx *o, char *val)
{
	if (strcmp(val, "log") == 0)
		o->oc_cf->cf_stderr = STDERR_LOG;
	else if (strcmp(val, "inherit") == 0)
		o->oc_cf->cf_stderr = STDERR_INHERIT;
	else if (strcmp(val, "socket") == 0)
		o->oc_cf->cf_stderr = STDERR_SOCKET;
	else if (strcmp(val, "null") == 0)
		o->oc_cf->cf_stderr = STDERR_NULL;
	else
		return OPT_BADVAL;
	return OPT_OK;
}

/* mode=OCTAL: a unix socket file's mode. */
static int
opt_mode(const struct optctx *o, char *val)
{
	if (!o->oc_isunix) {
		perr(o->oc_p, o->oc_p->p_line, "mode= is for unix sockets "
		    "only");
		return OPT_FAILED;
	}
	if (parse_mode(val, &o->oc_cf->cf_mode) == -1)
		return OPT_BADVAL;
	return OPT_OK;
}

/* owner=user[:group]: a unix socket file's owner. */
static int
opt_owner(const struct optctx *o, char *val)
{
	if (!o->oc_isunix) {
		perr(o->oc_p, o->oc_p->p_line, "owner= is for unix sockets "
		    "only");
		return OPT_FAILED;
	}
	if (parse_owner(o->oc_p, o->oc_cf, val) == -1)
		return OPT_FAILED;
	return OPT_OK;
}

/*
 * Every option of the wait field.  The order is the one a typo's nearest
 * name is chosen in when two are as near (nearest_option()).
 */
#define OD_VALUE	0	/* option=value */
#define OD_FLAG		1	/* option alone: takes no value */
#define OD_MAYBE	2	/* option, or option=value */
#define RSIZE_EXPECT	"a size in bytes, with k, m or g, or unlimited"
#define RCOUNT_EXPECT	"a number from 0 to 1073741824"

static opt_fn	 opt_line_buffered;

static const struct optdef {
	const char	*od_name;
	opt_fn		*od_parse;
	const char	*od_expect;	/* what OPT_BADVAL says was expected */
	int		 od_flag;	/* OD_VALUE, OD_FLAG or OD_MAYBE */
} optdefs[] = {
	{ "instances",	opt_instances,	"a number from 1 to 1000000", 0 },
	{ "per-source",	opt_per_source,	"a number from 1 to 1000000", 0 },
	{ "rate",	opt_rate,	"N/S: N starts (1 to 1000000) per S "
					"seconds (1 to 86400)", 0 },
	{ "timeout",	opt_timeout,	"a number of seconds from 1 to 2678400 "
					"(31 days)", 0 },
	{ "allow",	opt_allow,	"an IPv4 or IPv6 address, optionally "
					"with /BITS", 0 },
	{ "deny",	opt_deny,	"an IPv4 or IPv6 address, optionally "
					"with /BITS", 0 },
	{ "env",	opt_env,	NULL, 0 },
	{ "stderr",	opt_stderr,	"log, inherit, socket or null", 0 },
	{ "mode",	opt_mode,	"an octal mode from 0 to 7777", 0 },
	{ "owner",	opt_owner,	NULL, 0 },
	{ "rlimit-cpu",	opt_rlimit_cpu,	"a number of seconds from 1 to 2678400",
					0 },
	{ "rlimit-as",	opt_rlimit_as,	RSIZE_EXPECT, 0 },
	{ "rlimit-data", opt_rlimit_data, RSIZE_EXPECT, 0 },
	{ "rlimit-stack", opt_rlimit_stack, RSIZE_EXPECT, 0 },
	{ "rlimit-fsize", opt_rlimit_fsize, RSIZE_EXPECT, 0 },
	{ "rlimit-core", opt_rlimit_core, RSIZE_EXPECT, 0 },
	{ "rlimit-nofile", opt_rlimit_nofile, RCOUNT_EXPECT, 0 },
	{ "rlimit-nproc", opt_rlimit_nproc, RCOUNT_EXPECT, 0 },
	{ "nice",	opt_nice,	"a number from -20 to 19", 0 },
	{ "umask",	opt_umask,	"an octal mask from 0 to 777", 0 },
	{ "no-new-privs", opt_nnp,	NULL,	1 },
	{ "chroot",	opt_chroot,	"an absolute path", 0 },
	{ "private-network", opt_private_network, "nothing, or shared",
					OD_MAYBE },
	{ "private-pid", opt_private_pid, NULL, 1 },
	{ "private-ipc", opt_private_ipc, NULL, 1 },
	{ "hostname",	opt_hostname,	"1 to 64 letters, digits, '-' or '.'",
					0 },
	{ "private-tmp", opt_private_tmp, "a size from 64k, with k, m or g",
					OD_MAYBE },
	{ "read-only",	opt_read_only,	NULL,	1 },
	{ "keepalive",	opt_keepalive,	"IDLE[/INTERVAL[/COUNT]]: seconds (1 to "
					"32767), seconds (1 to 32767), probes "
					"(1 to 127)", OD_MAYBE },
	{ "user-timeout", opt_user_timeout, "a number of seconds from 1 to "
					"86400", 0 },
	{ "nodelay",	opt_nodelay,	NULL,	OD_FLAG },
	{ "line-buffered", opt_line_buffered, NULL, OD_FLAG },
	{ "refuse-message", opt_refuse_message, "text of 1 to 512 bytes, with "
					"\\r, \\n, \\t and \\\\ the only "
					"escapes", 0 },
	{ "linger",	opt_linger,	"a number of seconds from 0 to 60", 0 },
	{ "idle",	opt_idle,	"a number of seconds from 1 to 2678400 "
					"(31 days)", 0 },
	{ "proxy",	opt_proxy,	"an IPv4 or IPv6 address, optionally "
					"with /BITS", 0 },
	{ "proxy-timeout", opt_proxy_timeout, "a number of seconds from 1 to "
					"3600", 0 },
	{ "memory",	opt_memory,	"a size from 1m, with k, m or g", 0 },
	{ "tasks",	opt_tasks,	"a number from 1 to 4194304", 0 },
	{ "pty",	opt_pty,	NULL,	OD_FLAG },
	{ "pty-echo",	opt_pty_echo,	NULL,	OD_FLAG },
	{ "pty-raw",	opt_pty_raw,	NULL,	OD_FLAG },
	{ "pty-size",	opt_pty_size,	"COLSxROWS, each from 1 to 1000", 0 },
};
#define NOPTDEFS	(sizeof(optdefs) / sizeof(optdefs[0]))

/*
 * line-buffered: the child's C stdio writes its stdout a line at a time,
 * as stdbuf -oL makes it (spawnenv.c); whether the library is there is
 * the load's to check (contain.c), never the parser's.
 */
static int
opt_line_buffered(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_linebuf = 1;
	return OPT_OK;
}

static const struct optdef *
option_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NOPTDEFS; i++)
		if (strcmp(name, optdefs[i].od_name) == 0)
			return &optdefs[i];
	return NULL;
}

/*
 * The option name nearest to a mistyped one, two edits at most and fewer
 * than the word's own length (so "x" suggests nothing); NULL when none.
 */
static const char *
nearest_option(const char *word)
{
	const char	*best = NULL;
	int		 bd = 3, dist;
	size_t		 i;

	for (i = 0; i < NOPTDEFS; i++) {
		dist = edit_distance(word, optdefs[i].od_name);
		if (dist < bd && dist < (int)strlen(word)) {
			bd = dist;
			best = optdefs[i].od_name;
		}
	}
	return best;
}

/* "unknown option "timout"; did you mean timeout?" */
static void
unknown_option(struct parser *p, const char *opt)
{
	const char	*near = nearest_option(opt);

	if (near != NULL)
		perr(p, p->p_line, "unknown option \"%s\": did you mean %s?",
		    opt, near);
	else
		perr(p, p->p_line, "unknown option \"%s\"", opt);
}

/*
 * refuse-message='s text is the rest of the wait field, commas and all
 * (val, cut by strsep at the first): the field is made whole again from
 * val on, and *opts says nothing follows.  A known option's name after
 * one of its commas is an error, not text: the option was not last.
 */
static int
rest_of_field(struct parser *p, char *val, char **opts)
{
	char	*c, *end, save;

	if (*opts == NULL)
		return 0;
	(*opts)[-1] = ',';
	*opts = NULL;
	for (c = strchr(val, ','); c != NULL; c = strchr(c + 1, ',')) {
		end = c + 1 + strcspn(c + 1, ",=");
		save = *end;
		*end = '\0';
		if (option_find(c + 1) != NULL) {
			perr(p, p->p_line, "refuse-message= must be the last "
			    "option: its text runs to the end of the field, "
			    "and \"%s\" would be part of it", c + 1);
			*end = save;
			return -1;
		}
		*end = save;
	}
	return 0;
}

/* The options after wait|nowait: instances=4,timeout=10,... */
static int
parse_options(struct parser *p, struct svconf *cf, char *opts, int isunix)
{
	const struct optdef	*od;
	struct optctx		 ctx = { p, cf, isunix };
	char			*opt, *val;
	int			 bad = 0, r;

	while ((opt = strsep(&opts, ",")) != NULL) {
		if (*opt == '\0') {
			perr(p, p->p_line, "empty option in wait field");
			bad = 1;
			continue;
		}
		if ((val = strchr(opt, '=')) != NULL)
			*val++ = '\0';
		if ((od = option_find(opt)) == NULL) {
			unknown_option(p, opt);
			bad = 1;
			continue;
		}
		if (od->od_flag == OD_FLAG && val != NULL) {
			perr(p, p->p_line, "option \"%s\" takes no value",
			    opt);
			bad = 1;
			continue;
		}
		if (val == NULL && od->od_flag == OD_VALUE) {
			perr(p, p->p_line, "option \"%s\" needs a value "
			    "(%s=value)", opt, opt);
			bad = 1;
			continue;
		}
		if (od->od_parse == opt_refuse_message && val != NULL &&
		    rest_of_field(p, val, &opts) == -1) {
			bad = 1;
			continue;
		}
		r = od->od_parse(&ctx, val);
		if (r == OPT_BADVAL)
			perr(p, p->p_line, "bad value \"%s\" for option %s: "
			    "expected %s", val, opt, od->od_expect);
		if (r != OPT_OK)
			bad = 1;
	}
	return bad ? -1 : 0;
}

/*
 * The wait field: wait or nowait, inetd's ".max" (starts per minute),
 * then superd's options after commas.
 */
int
parse_wait(struct parser *p, struct svconf *cf, char *field, int isunix)
{
	char		*opts, *dot;
	long long	 n;
	int		 bad = 0;

	if ((opts = strchr(field, ',')) != NULL)
		*opts++ = '\0';
	if ((dot = strchr(field, '.')) != NULL) {
		*dot++ = '\0';
		if (parse_num(dot, 1, 1000000, &n) == -1) {
			perr(p, p->p_line, "bad rate \".%s\" after %s: "
			    "expected a number of starts per minute, 1 to "
			    "1000000", dot, field);
			bad = 1;
		} else {
			cf->cf_rate_n = (int)n;
			cf->cf_rate_s = 60;
		}
	}
	if (strcmp(field, "wait") == 0)
		cf->cf_wait = 1;
	else if (strcmp(field, "nowait") == 0)
		cf->cf_wait = 0;
	else {
		perr(p, p->p_line, "wait field \"%s\" is neither wait nor "
		    "nowait", field);
		bad = 1;
	}
	if (opts != NULL && parse_options(p, cf, opts, isunix) == -1)
		bad = 1;
	return bad ? -1 : 0;
}

