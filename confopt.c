/*
 * confopt.c: the fields of a table entry after its address: the wait
 * field with inetd's ".max" and superd's options, and the user field.
 * Users and groups are resolved here, once, at load, so that no child
 * ever looks one up.  Errors go to the parser's list as FILE:LINE:
 * message; nothing is logged.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "confint.h"

/*
 * A size with an optional k or m suffix, for sndbuf= and rcvbuf=: decimal
 * digits only, checked as they are read and against the suffix, up to
 * INT_MAX, the int that setsockopt(2) takes.  Not expand_number(3):
 * libbsd's takes "-1" for 2^64 - 1, "010" for 8 and "0x10" for 16.
 */
int
parse_size(const char *s, int *out)
{
	const char	*d;
	long long	 v = 0, mult = 1;

	for (d = s; *d >= '0' && *d <= '9'; d++) {
		v = v * 10 + (*d - '0');
		if (v > INT_MAX)
			return -1;
	}
	if (d == s)
		return -1;
	if (*d == 'k' || *d == 'K') {
		mult = 1024;
		d++;
	} else if (*d == 'm' || *d == 'M') {
		mult = 1024 * 1024;
		d++;
	}
	if (*d != '\0' || v == 0 || v > INT_MAX / mult)
		return -1;
	*out = (int)(v * mult);
	return 0;
}

/* An octal file mode, 0 to 07777, octal digits only. */
static int
parse_mode(const char *s, int *out)
{
	const char	*d;
	int		 m = 0;

	for (d = s; *d >= '0' && *d <= '7'; d++) {
		m = m * 8 + (*d - '0');
		if (m > 07777)
			return -1;
	}
	if (d == s || *d != '\0')
		return -1;
	*out = m;
	return 0;
}

/* The options of the wait field, for a typo's nearest name: keep it in
 * step with parse_options(). */
static const char *const optnames[] = {
	"instances", "per-source", "rate", "timeout", "allow", "deny", "env",
	"stderr", "mode", "owner", NULL
};

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

/*
 * The known name nearest to a mistyped one, two edits at most and fewer
 * than the word's own length (so "x" suggests nothing); NULL when none.
 */
static const char *
nearest_name(const char *word, const char *const *names)
{
	const char	*best = NULL;
	int		 bd = 3, dist;

	for (; *names != NULL; names++) {
		dist = edit_distance(word, *names);
		if (dist < bd && dist < (int)strlen(word)) {
			bd = dist;
			best = *names;
		}
	}
	return best;
}

static int
known_option(const char *name)
{
	const char *const *n;

	for (n = optnames; *n != NULL; n++)
		if (strcmp(name, *n) == 0)
			return 1;
	return 0;
}

/* "unknown option "timout"; did you mean timeout?" */
static void
unknown_option(struct parser *p, const char *opt)
{
	const char	*near = nearest_name(opt, optnames);

	if (near != NULL)
		perr(p, p->p_line, "unknown option \"%s\": did you mean %s?",
		    opt, near);
	else
		perr(p, p->p_line, "unknown option \"%s\"", opt);
}

int
parse_num(const char *s, long long min, long long max, long long *out)
{
	const char	*errstr;

	*out = strtonum(s, min, max, &errstr);
	return errstr == NULL ? 0 : -1;
}

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

static int
lookup_user(struct parser *p, const char *name)
{
	struct usercache *uc = &p->p_uc;
	struct passwd	 *pw;
	long long	  id;

	if (uc->uc_name != NULL && strcmp(uc->uc_name, name) == 0)
		return uc->uc_found;
	free(uc->uc_name);
	free(uc->uc_home);
	free(uc->uc_shell);
	memset(uc, 0, sizeof(*uc));
	uc->uc_name = xstrdup(name);
	pw = getpwnam(name);
	if (pw == NULL && parse_num(name, 0, UINT_MAX - 1, &id) == 0)
		pw = getpwuid((uid_t)id);
	if (pw == NULL)
		return 0;
	uc->uc_found = 1;
	uc->uc_uid = pw->pw_uid;
	uc->uc_gid = pw->pw_gid;
	uc->uc_home = xstrdup(pw->pw_dir);
	uc->uc_shell = xstrdup(pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	return 1;
}

static int
lookup_group(const char *name, gid_t *gid)
{
	struct group	*gr;
	long long	 id;

	if ((gr = getgrnam(name)) != NULL) {
		*gid = gr->gr_gid;
		return 1;
	}
	if (parse_num(name, 0, UINT_MAX - 1, &id) == 0) {
		*gid = (gid_t)id;
		return 1;
	}
	return 0;
}

/*
 * user, user:group or user.group (a user whose name holds a dot is tried
 * whole first).  Resolves uid, gid and the supplementary groups now, so
 * the child never looks anything up.
 */
int
parse_user(struct parser *p, struct svconf *cf, const char *field)
{
	char	*user, *group = NULL, *dot;
	gid_t	 gid;
	int	 ng, ok = 1;

	user = xstrdup(field);
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	else if (!lookup_user(p, user) && (dot = strchr(user, '.')) != NULL) {
		*dot = '\0';
		group = dot + 1;
	}
	if (*user == '\0' || (group != NULL && *group == '\0')) {
		perr(p, p->p_line, "bad user field \"%s\"", field);
		free(user);
		return -1;
	}
	if (!lookup_user(p, user)) {
		perr(p, p->p_line, "unknown user \"%s\"", user);
		ok = 0;
	}
	gid = p->p_uc.uc_gid;
	if (group != NULL && !lookup_group(group, &gid)) {
		perr(p, p->p_line, "unknown group \"%s\"", group);
		ok = 0;
	}
	if (!ok) {
		free(user);
		return -1;
	}
	cf->cf_user = xstrdup(user);
	cf->cf_uid = p->p_uc.uc_uid;
	cf->cf_gid = gid;
	cf->cf_home = xstrdup(p->p_uc.uc_home);
	cf->cf_shell = xstrdup(p->p_uc.uc_shell);
	if (p->p_euid == 0) {
		cf->cf_setuser = 1;
		ng = 32;
		for (;;) {
			cf->cf_groups = reallocarray(cf->cf_groups, ng,
			    sizeof(gid_t));
			if (cf->cf_groups == NULL)
				fatal("reallocarray");
			if (getgrouplist(user, gid, cf->cf_groups, &ng) != -1)
				break;
			ng *= 2;
		}
		cf->cf_groups = reallocarray(cf->cf_groups, ng, sizeof(gid_t));
		if (cf->cf_groups == NULL)
			fatal("reallocarray");
		cf->cf_ngroups = ng;
	} else if (cf->cf_uid != p->p_euid || (group != NULL &&
	    gid != getegid()))
		pwarn(p, p->p_line, "user \"%s\" is not applied: superd "
		    "is not running as root", field);
	free(user);
	return 0;
}

/* ADDR or ADDR/BITS, IPv4 or IPv6 (brackets allowed). */
int
acl_parse(const char *s, struct acl *acl)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *a;
	const char	*errstr;
	size_t		 len;
	int		 max;

	memset(acl, 0, sizeof(*acl));
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	a = buf;
	if ((slash = strchr(a, '/')) != NULL)
		*slash++ = '\0';
	if (a[0] == '[') {
		len = strlen(a);
		if (len < 3 || a[len - 1] != ']')
			return -1;
		a[len - 1] = '\0';
		a++;
	}
	if (inet_pton(AF_INET, a, acl->ac_addr) == 1) {
		acl->ac_family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, a, acl->ac_addr) == 1) {
		acl->ac_family = AF_INET6;
		max = 128;
		if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)acl->ac_addr)) {
			memmove(acl->ac_addr, acl->ac_addr + 12, 4);
			acl->ac_family = AF_INET;
			max = 32;
		}
	} else
		return -1;
	acl->ac_bits = max;
	if (slash != NULL) {
		acl->ac_bits = strtonum(slash, 0, max, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return 0;
}

/* owner=user[:group] for a unix socket file. */
static int
parse_owner(struct parser *p, struct svconf *cf, const char *val)
{
	char	*user, *group;
	int	 ok = 1;

	user = xstrdup(val);
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	if (!lookup_user(p, user)) {
		perr(p, p->p_line, "unknown user \"%s\" in owner=", user);
		ok = 0;
	} else {
		cf->cf_owner_uid = p->p_uc.uc_uid;
		cf->cf_owner_gid = p->p_uc.uc_gid;
	}
	if (ok && group != NULL &&
	    !lookup_group(group, &cf->cf_owner_gid)) {
		perr(p, p->p_line, "unknown group \"%s\" in owner=", group);
		ok = 0;
	}
	free(user);
	cf->cf_has_owner = ok;
	return ok ? 0 : -1;
}

/* The options after wait|nowait: instances=4,timeout=10,... */
static int
parse_options(struct parser *p, struct svconf *cf, char *opts, int isunix)
{
	char		*opt, *val, *slash;
	const char	*expect = NULL;
	long long	 n, s;
	int		 bad = 0, seen_rate = cf->cf_rate_n != 0;
	struct acl	*acl;

	while ((opt = strsep(&opts, ",")) != NULL) {
		if (*opt == '\0') {
			perr(p, p->p_line, "empty option in wait field");
			bad = 1;
			continue;
		}
		if ((val = strchr(opt, '=')) == NULL) {
			if (known_option(opt))
				perr(p, p->p_line, "option \"%s\" needs a "
				    "value (%s=value)", opt, opt);
			else
				unknown_option(p, opt);
			bad = 1;
			continue;
		}
		*val++ = '\0';
		if (strcmp(opt, "instances") == 0) {
			expect = "a number from 1 to 1000000";
			if (parse_num(val, 1, 1000000, &n) == -1)
				goto badval;
			cf->cf_instances = (int)n;
		} else if (strcmp(opt, "per-source") == 0) {
			expect = "a number from 1 to 1000000";
			if (parse_num(val, 1, 1000000, &n) == -1)
				goto badval;
			cf->cf_per_source = (int)n;
		} else if (strcmp(opt, "rate") == 0) {
			if (seen_rate) {
				perr(p, p->p_line, "rate given twice (rate= "
				    "and .max, or rate= twice)");
				bad = 1;
				continue;
			}
			expect = "N/S: N starts (1 to 1000000) per S "
			    "seconds (1 to 86400)";
			if ((slash = strchr(val, '/')) == NULL)
				goto badval;
			*slash++ = '\0';
			if (parse_num(val, 1, 1000000, &n) == -1 ||
			    parse_num(slash, 1, 86400, &s) == -1) {
				slash[-1] = '/';
				goto badval;
			}
			cf->cf_rate_n = (int)n;
			cf->cf_rate_s = (double)s;
			seen_rate = 1;
		} else if (strcmp(opt, "timeout") == 0) {
			expect = "a number of seconds from 1 to 2678400 (31 "
			    "days)";
			if (parse_num(val, 1, 31 * 86400, &n) == -1)
				goto badval;
			cf->cf_timeout = (int)n;
		} else if (strcmp(opt, "allow") == 0 ||
		    strcmp(opt, "deny") == 0) {
			acl = reallocarray(cf->cf_acl, cf->cf_nacl + 1,
			    sizeof(*acl));
			if (acl == NULL)
				fatal("reallocarray");
			cf->cf_acl = acl;
			expect = "an IPv4 or IPv6 address, optionally "
			    "with /BITS";
			if (acl_parse(val, &acl[cf->cf_nacl]) == -1)
				goto badval;
			acl[cf->cf_nacl].ac_deny = opt[0] == 'd';
			if (opt[0] == 'a')
				cf->cf_nallow++;
			cf->cf_nacl++;
		} else if (strcmp(opt, "env") == 0) {
			char	*eq = strchr(val, '=');

			if (eq == NULL || !valid_envname(val, eq - val)) {
				perr(p, p->p_line, "bad env=\"%s\": expected "
				    "env=NAME=VALUE", val);
				bad = 1;
				continue;
			}
			cf->cf_env = reallocarray(cf->cf_env, cf->cf_nenv + 1,
			    sizeof(char *));
			if (cf->cf_env == NULL)
				fatal("reallocarray");
			cf->cf_env[cf->cf_nenv++] = xstrdup(val);
		} else if (strcmp(opt, "stderr") == 0) {
			expect = "inherit, socket or null";
			if (strcmp(val, "inherit") == 0)
				cf->cf_stderr = STDERR_INHERIT;
			else if (strcmp(val, "socket") == 0)
				cf->cf_stderr = STDERR_SOCKET;
			else if (strcmp(val, "null") == 0)
				cf->cf_stderr = STDERR_NULL;
			else
				goto badval;
		} else if (strcmp(opt, "mode") == 0) {
			if (!isunix) {
				perr(p, p->p_line, "mode= is for unix "
				    "sockets only");
				bad = 1;
				continue;
			}
			expect = "an octal mode from 0 to 7777";
			if (parse_mode(val, &cf->cf_mode) == -1)
				goto badval;
		} else if (strcmp(opt, "owner") == 0) {
			if (!isunix) {
				perr(p, p->p_line, "owner= is for unix "
				    "sockets only");
				bad = 1;
				continue;
			}
			if (parse_owner(p, cf, val) == -1)
				bad = 1;
		} else {
			unknown_option(p, opt);
			bad = 1;
		}
		continue;
badval:
		perr(p, p->p_line, "bad value \"%s\" for option %s: expected "
		    "%s", val, opt, expect);
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

