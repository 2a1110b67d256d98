/*
 * xiconv.c: one xinetd service made into one superd table line.
 *
 * The service's attributes, over those of the defaults blocks (set
 * attributes such as only_from add up: "=" in a service replaces what the
 * defaults gave, "+=" and "-=" change it), become the fields and options
 * of xinetd.conf(5)'s meaning in superd.conf(5): socket_type, protocol
 * and flags IPv4/IPv6 the type and proto fields (xinetd listens on IPv4
 * only unless told IPv6, which is a dual-stack socket: tcp4, or tcp),
 * bind the host, port or the service's name the service field,
 * only_from and no_access allow= and deny=, instances, per_source, cps,
 * env, umask, nice and rlimit_* the options of the same meaning,
 * banner_fail refuse-message=, flags NODELAY and KEEPALIVE nodelay and
 * keepalive, server and server_args the program and its argv.  What has
 * no equal is named in a note, which the caller prints as a comment
 * above the line: nothing is dropped without a word.  A service that
 * cannot be served at all (raw sockets, RPC, TCPMUX, a redirect, no
 * port) gets no line, and a note saying why.  Pure but for the two
 * hooks (a port's number, a banner file's text).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <err.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "tab.h"

#define XI_REFMSG_MAX	512	/* refuse-message='s longest text */

/* A string that grows. */
struct xistr {
	char	*xs_s;
	size_t	 xs_len;
	size_t	 xs_cap;
};

/* A list of values, as a set attribute ends up. */
struct xilist {
	const char	**xv_v;
	size_t		  xv_n;
};

/* What one conversion works with. */
struct xicx {
	const struct xiblock *const *cx_defs;
	size_t		 cx_ndefs;
	const struct xiblock *cx_svc;
	const struct xihooks *cx_hooks;
	struct xiline	*cx_out;
	struct xistr	 cx_opts;	/* ",opt,opt..." after wait|nowait */
	int		 cx_none;	/* no line can be made */
};

static void __attribute__((format(printf, 2, 3)))
str_add(struct xistr *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n == -1 || p == NULL)
		err(1, "vasprintf");
	if (s->xs_s == NULL || s->xs_len + n + 1 > s->xs_cap) {
		s->xs_cap = (s->xs_len + n + 1) * 2;
		if ((s->xs_s = realloc(s->xs_s, s->xs_cap)) == NULL)
			err(1, "realloc");
	}
	memcpy(s->xs_s + s->xs_len, p, n + 1);
	s->xs_len += n;
	free(p);
}

/* A note, "prefix" and then the message. */
static void
vnote(struct xicx *cx, const char *prefix, const char *fmt, va_list ap)
{
	struct xiline	*xl = cx->cx_out;
	char		*msg, *p;

	if (vasprintf(&msg, fmt, ap) == -1 ||
	    asprintf(&p, "%s%s", prefix, msg) == -1)
		err(1, "vasprintf");
	free(msg);
	if ((xl->xl_note = reallocarray(xl->xl_note, xl->xl_nnote + 1,
	    sizeof(char *))) == NULL)
		err(1, "reallocarray");
	xl->xl_note[xl->xl_nnote++] = p;
}

static void __attribute__((format(printf, 2, 3)))
note(struct xicx *cx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vnote(cx, "", fmt, ap);
	va_end(ap);
}

/* A note on why the service has no line. */
static void __attribute__((format(printf, 2, 3)))
unserved(struct xicx *cx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vnote(cx, "not served: ", fmt, ap);
	va_end(ap);
	cx->cx_none = 1;
}

/* The last attribute called name in block b, or NULL. */
static const struct xiattr *
attr_in(const struct xiblock *b, const char *name)
{
	size_t	 i;

	for (i = b->xb_nattr; i-- > 0;)
		if (strcmp(b->xb_attr[i].xa_name, name) == 0)
			return &b->xb_attr[i];
	return NULL;
}

/* A single-valued attribute: the service's, else the defaults'. */
static const struct xiattr *
attr(const struct xicx *cx, const char *name)
{
	const struct xiattr	*a;
	size_t			 i;

	if ((a = attr_in(cx->cx_svc, name)) != NULL)
		return a;
	for (i = cx->cx_ndefs; i-- > 0;)
		if ((a = attr_in(cx->cx_defs[i], name)) != NULL)
			return a;
	return NULL;
}

/* Its first value, or NULL (an attribute given no value has none). */
static const char *
value(const struct xicx *cx, const char *name)
{
	const struct xiattr	*a = attr(cx, name);

	return a != NULL && a->xa_nval > 0 ? a->xa_val[0] : NULL;
}

static void
list_apply(struct xilist *l, const struct xiattr *a, int replace)
{
	size_t	 i, j, k;

	if (replace)
		l->xv_n = 0;
	for (i = 0; i < a->xa_nval; i++) {
		if (a->xa_op == XI_DEL) {
			for (j = k = 0; j < l->xv_n; j++)
				if (strcmp(l->xv_v[j], a->xa_val[i]) != 0)
					l->xv_v[k++] = l->xv_v[j];
			l->xv_n = k;
			continue;
		}
		if ((l->xv_v = reallocarray(l->xv_v, l->xv_n + 1,
		    sizeof(char *))) == NULL)
			err(1, "reallocarray");
		l->xv_v[l->xv_n++] = a->xa_val[i];
	}
}

/*
 * A set attribute (only_from, no_access, env, passenv, log_on_*): the
 * defaults' values, every one of them adding up, then the service's:
 * its first "=" replaces them.  Returns whether the attribute was given
 * at all (only_from with no value means nobody).
 */
static int
list(const struct xicx *cx, const char *name, struct xilist *l)
{
	const struct xiblock	*b;
	size_t			 i, j;
	int			 given = 0, replaced = 0;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < cx->cx_ndefs; i++) {
		b = cx->cx_defs[i];
		for (j = 0; j < b->xb_nattr; j++)
			if (strcmp(b->xb_attr[j].xa_name, name) == 0) {
				list_apply(l, &b->xb_attr[j], 0);
				given = 1;
			}
	}
	b = cx->cx_svc;
	for (j = 0; j < b->xb_nattr; j++) {
		if (strcmp(b->xb_attr[j].xa_name, name) != 0)
			continue;
		list_apply(l, &b->xb_attr[j],
		    b->xb_attr[j].xa_op == XI_SET && !replaced);
		if (b->xb_attr[j].xa_op == XI_SET)
			replaced = 1;
		given = 1;
	}
	return given;
}

static int
has_word(const struct xicx *cx, const char *name, const char *word)
{
	struct xilist	 l;
	size_t		 i;
	int		 found = 0;

	(void)list(cx, name, &l);
	for (i = 0; i < l.xv_n; i++)
		if (strcasecmp(l.xv_v[i], word) == 0)
			found = 1;
	free(l.xv_v);
	return found;
}

/*
 * Printable, no blank, none of the table's quotes, no backslash (which
 * would continue a line it ended): safe as it stands in a field.
 */
static int
plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isgraph((unsigned char)*s) || *s == '"' || *s == '\'' ||
		    *s == '\\')
			return 0;
	return 1;
}

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isprint((unsigned char)*s) && *s != '\t')
			return 0;
	return 1;
}

/* A word in double quotes, \" and \\ escaped, as conf.c splits fields. */
static void
str_quoted(struct xistr *s, const char *w)
{
	str_add(s, "\"");
	for (; *w != '\0'; w++)
		str_add(s, "%s%c", *w == '"' || *w == '\\' ? "\\" : "", *w);
	str_add(s, "\"");
}

static void
str_word(struct xistr *s, const char *w)
{
	if (*w != '\0' && plain(w))
		str_add(s, "%s", w);
	else
		str_quoted(s, w);
}

/* A number in [lo, hi], all digits (a sign allowed when lo < 0). */
static int
number(const char *s, long lo, long hi, long *out)
{
	const char	*errstr;

	*out = (long)strtonum(s, lo, hi, &errstr);
	return errstr == NULL;
}

/*
 * Dotted decimal parts, 1 to 4 of them, each 0 to 255, as xinetd writes
 * an IPv4 address or the start of one; how many, or 0.
 */
static int
dotted(const char *s, unsigned int *part)
{
	char	*q;
	int	 n;

	for (n = 0; n < 4; n++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		part[n] = (unsigned int)strtoul(s, &q, 10);
		if (q - s > 3 || part[n] > 255)
			return 0;
		s = q;
		if (*s == '\0')
			return n + 1;
		if (*s++ != '.')
			return 0;
	}
	return 0;
}

/*
 * only_from and no_access addresses: a.b.c.d (its rightmost 0 parts
 * wildcards, 0.0.0.0 every address), a.b.{c,d} (one each, the parts
 * not written wildcards), ADDR/BITS and IPv6 addresses, each checked
 * and written anew (nothing of the value is passed on as it stands); a
 * host or network name, which superd does not look up, is noted.
 * Returns whether all of v was carried.
 */
static int
acl_one(struct xicx *cx, const char *opt, const char *attrname,
    const char *v, int depth)
{
	unsigned char	 a6[16];
	unsigned int	 part[4];
	char		 buf[INET6_ADDRSTRLEN + 8], *brace, *p, *q;
	const char	*slash;
	long		 bits;
	int		 n, i, six, ok;

	if ((brace = strchr(v, '{')) != NULL && depth == 0) {
		if (brace == v || brace[-1] != '.' || brace - v > 12 ||
		    (q = strchr(brace, '}')) == NULL || q[1] != '\0')
			goto bad;
		for (ok = 1, p = brace + 1; p < q;) {
			n = (int)strcspn(p, ",}");
			(void)snprintf(buf, sizeof(buf), "%.*s%.*s",
			    (int)(brace - v), v, n > 3 ? 4 : n, p);
			ok &= acl_one(cx, opt, attrname, buf, 1);
			p += n + (p[n] == ',');
		}
		return ok;
	}
	if ((slash = strchr(v, '/')) != NULL || strchr(v, ':') != NULL) {
		n = slash != NULL ? (int)(slash - v) : (int)strlen(v);
		if (n >= INET6_ADDRSTRLEN)
			goto bad;
		(void)snprintf(buf, sizeof(buf), "%.*s", n, v);
		six = strchr(buf, ':') != NULL;
		if (inet_pton(six ? AF_INET6 : AF_INET, buf, a6) != 1)
			goto bad;
		bits = six ? 128 : 32;
		if (slash != NULL && !number(slash + 1, 0, bits, &bits))
			goto bad;
		if (inet_ntop(six ? AF_INET6 : AF_INET, a6, buf,
		    INET6_ADDRSTRLEN) == NULL)
			goto bad;
		str_add(&cx->cx_opts, ",%s=%s/%ld", opt, buf, bits);
		return 1;
	}
	if ((n = dotted(v, part)) == 0 || (n < 4 && depth == 0))
		goto bad;
	for (i = n; i < 4; i++)
		part[i] = 0;
	/* 128.138.12.0 is 128.138.12.0/24; a.b.{c} is a.b.c.0/24 */
	bits = 8 * n;
	if (n == 4)
		for (i = 3; i >= 0 && part[i] == 0; i--)
			bits -= 8;
	if (bits == 0) {
		str_add(&cx->cx_opts, ",%s=0.0.0.0/0,%s=::/0", opt, opt);
		return 1;
	}
	str_add(&cx->cx_opts, ",%s=%u.%u.%u.%u/%ld", opt, part[0], part[1],
	    part[2], part[3], bits);
	return 1;
bad:
	if (depth == 0 && dotted(v, part) == 0 && strchr(v, ':') == NULL &&
	    strchr(v, '/') == NULL && strchr(v, '{') == NULL)
		note(cx, "%s %s: a name, which superd does not look up; "
		    "give its addresses", attrname, v);
	else
		note(cx, "%s %s: not an address superd can match", attrname,
		    v);
	return 0;
}

static void
conv_acl(struct xicx *cx)
{
	struct xilist	 from, noacc;
	size_t		 i, mark;
	int		 gfrom, gno;

	gfrom = list(cx, "only_from", &from);
	gno = list(cx, "no_access", &noacc);
	mark = cx->cx_opts.xs_len;
	for (i = 0; i < from.xv_n; i++)
		acl_one(cx, "allow", "only_from", from.xv_v[i], 0);
	/*
	 * "without a value makes the service available to nobody"; so does
	 * an only_from none of whose values superd can match (localhost,
	 * say): never a service open to all where xinetd's was not
	 */
	if (gfrom && cx->cx_opts.xs_len == mark) {
		str_add(&cx->cx_opts, ",deny=0.0.0.0/0,deny=::/0");
		if (from.xv_n > 0)
			note(cx, "only_from: none of its values is an address: "
			    "denied to all until allow= is given");
	}
	for (i = 0; i < noacc.xv_n; i++)
		if (!acl_one(cx, "deny", "no_access", noacc.xv_v[i], 0)) {
			note(cx, "no_access %s: not carried, and the line "
			    "would serve it: commented out until it is "
			    "given as an address", noacc.xv_v[i]);
			cx->cx_out->xl_held = 1;
		}
	if (gno && noacc.xv_n > 0 && from.xv_n > 0)
		note(cx, "only_from with no_access: xinetd lets the more "
		    "specific match decide, superd's deny= always wins");
	free(from.xv_v);
	free(noacc.xv_v);
}

/* instances, per_source, cps: the limits. */
static void
conv_limits(struct xicx *cx)
{
	const struct xiattr	*a;
	const char		*v;
	long			 n, w;

	if ((v = value(cx, "instances")) != NULL) {
		if (strcasecmp(v, "UNLIMITED") == 0)
			str_add(&cx->cx_opts, ",instances=1000000");
		else if (number(v, 1, 1000000, &n))
			str_add(&cx->cx_opts, ",instances=%ld", n);
		else
			note(cx, "instances %s: not a number from 1 to "
			    "1000000", v);
	}
	if ((v = value(cx, "per_source")) != NULL &&
	    strcasecmp(v, "UNLIMITED") != 0) {
		if (number(v, 1, 1000000, &n))
			str_add(&cx->cx_opts, ",per-source=%ld", n);
		else
			note(cx, "per_source %s: not a number", v);
	}
	if ((a = attr(cx, "cps")) != NULL) {
		if (a->xa_nval >= 1 && number(a->xa_val[0], 1, 1000000, &n)) {
			str_add(&cx->cx_opts, ",rate=%ld/1", n);
			w = 10;
			if (a->xa_nval >= 2 && !number(a->xa_val[1], 0,
			    1000000, &w))
				w = -1;
			note(cx, "cps: over %ld a second xinetd stops the "
			    "service for %ld s; superd's rate=%ld/1 takes "
			    "%ld a second and keeps the rest waiting", n, w,
			    n, n);
		} else
			note(cx, "cps: not a number of connections a second");
	}
}

/* A size of xinetd's (N, NK, NM, UNLIMITED) as superd writes one. */
static int
size_text(const char *v, char *buf, size_t len)
{
	size_t	 n = strspn(v, "0123456789");

	if (strcasecmp(v, "UNLIMITED") == 0)
		return snprintf(buf, len, "unlimited") < (int)len;
	if (n == 0 || n > 12 || (v[n] != '\0' && (v[n + 1] != '\0' ||
	    strchr("kKmM", v[n]) == NULL)))
		return 0;
	(void)snprintf(buf, len, "%.*s%c", (int)n, v,
	    v[n] == '\0' ? '\0' : tolower((unsigned char)v[n]));
	return 1;
}

/* umask, nice, rlimit_*: the containment options of the same meaning. */
static void
conv_contain(struct xicx *cx)
{
	static const char *const sizes[][2] = {
		{ "rlimit_as", "rlimit-as" },
		{ "rlimit_data", "rlimit-data" },
		{ "rlimit_stack", "rlimit-stack" },
	};
	const char	*v;
	char		 buf[32];
	size_t		 i;
	long		 n;

	if ((v = value(cx, "umask")) != NULL) {
		if (strlen(v) <= 4 && strspn(v, "01234567") == strlen(v))
			str_add(&cx->cx_opts, ",umask=%03lo",
			    strtoul(v, NULL, 8) & 0777);
		else
			note(cx, "umask %s: not an octal mode", v);
	}
	if ((v = value(cx, "nice")) != NULL) {
		if (number(v, -20, 19, &n))
			str_add(&cx->cx_opts, ",nice=%ld", n);
		else
			note(cx, "nice %s: not a number from -20 to 19", v);
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if ((v = value(cx, sizes[i][0])) == NULL)
			continue;
		if (size_text(v, buf, sizeof(buf)))
			str_add(&cx->cx_opts, ",%s=%s", sizes[i][1], buf);
		else
			note(cx, "%s %s: not a size", sizes[i][0], v);
	}
	if ((v = value(cx, "rlimit_cpu")) != NULL &&
	    strcasecmp(v, "UNLIMITED") != 0) {
		if (number(v, 1, 2678400, &n))
			str_add(&cx->cx_opts, ",rlimit-cpu=%ld", n);
		else
			note(cx, "rlimit_cpu %s: not a number of seconds", v);
	}
	if ((v = value(cx, "rlimit_files")) != NULL &&
	    strcasecmp(v, "UNLIMITED") != 0) {
		if (number(v, 0, 1073741824, &n))
			str_add(&cx->cx_opts, ",rlimit-nofile=%ld", n);
		else
			note(cx, "rlimit_files %s: not a number", v);
	}
	if (attr(cx, "rlimit_rss") != NULL)
		note(cx, "rlimit_rss: Linux does not enforce it; memory= "
		    "(a cgroup) is superd's limit on memory");
}

/* NAME=VALUE, NAME a C identifier, VALUE text without a comma. */
static int
env_ok(const char *s)
{
	const char	*eq = strchr(s, '=');
	const char	*p;

	if (eq == NULL || eq == s || isdigit((unsigned char)*s))
		return 0;
	for (p = s; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	return strchr(eq, ',') == NULL && printable(eq);
}

/* env NAME=VALUE...; passenv, which superd has no equal of. */
static void
conv_env(struct xicx *cx)
{
	struct xilist	 l;
	size_t		 i;

	(void)list(cx, "env", &l);
	for (i = 0; i < l.xv_n; i++) {
		if (!env_ok(l.xv_v[i])) {
			note(cx, "env %s: not NAME=VALUE without a comma",
			    l.xv_v[i]);
			continue;
		}
		str_add(&cx->cx_opts, ",env=");
		str_word(&cx->cx_opts, l.xv_v[i]);
	}
	free(l.xv_v);
	(void)list(cx, "passenv", &l);
	for (i = 0; i < l.xv_n; i++)
		note(cx, "passenv %s: superd passes none of its own "
		    "environment; give it with env=", l.xv_v[i]);
	free(l.xv_v);
}

/*
 * banner_fail FILE: its text, read now, as refuse-message=, which
 * superd writes to a client that deny=, per-source= or rate= refuses.
 * It must be the last option: its text runs to the end of the field.
 */
static void
conv_banner(struct xicx *cx, struct xistr *msg, int stream, int wait)
{
	const char	*v;
	char		*text;
	size_t		 len, i;

	if ((v = value(cx, "banner_fail")) == NULL)
		return;
	if (!stream || wait) {
		note(cx, "banner_fail: superd's refuse-message= is for "
		    "stream nowait services");
		return;
	}
	if (cx->cx_hooks->xh_banner == NULL ||
	    (text = cx->cx_hooks->xh_banner(v, &len)) == NULL) {
		note(cx, "banner_fail %s: not read (only a regular file "
		    "anyone may read, of root or the importer, is)", v);
		return;
	}
	if (len == 0 || len > XI_REFMSG_MAX) {
		note(cx, "banner_fail %s: %zu bytes, refuse-message= takes 1 "
		    "to %d", v, len, XI_REFMSG_MAX);
		free(text);
		return;
	}
	for (i = 0; i < len; i++)
		if (!isprint((unsigned char)text[i]) && text[i] != '\r' &&
		    text[i] != '\n' && text[i] != '\t') {
			note(cx, "banner_fail %s: holds bytes other than "
			    "text, tabs and line ends", v);
			free(text);
			return;
		}
	/* refuse-message='s escapes, then the double quotes' own */
	str_add(msg, ",refuse-message=\"");
	for (i = 0; i < len; i++) {
		if (text[i] == '\r')
			str_add(msg, "\\\\r");
		else if (text[i] == '\n')
			str_add(msg, "\\\\n");
		else if (text[i] == '\t')
			str_add(msg, "\\\\t");
		else if (text[i] == '\\')
			str_add(msg, "\\\\\\\\");
		else if (text[i] == '"')
			str_add(msg, "\\\"");
		else
			str_add(msg, "%c", text[i]);
	}
	str_add(msg, "\"");
	free(text);
}

/*
 * flags: NODELAY and KEEPALIVE are options, IPv4 and IPv6 the proto
 * field (conv_addr), NAMEINARGS the argv (conv_program); the rest noted.
 */
static void
conv_flags(struct xicx *cx, int stream)
{
	struct xilist	 l;
	size_t		 i;
	const char	*f;

	(void)list(cx, "flags", &l);
	for (i = 0; i < l.xv_n; i++) {
		f = l.xv_v[i];
		if ((strcasecmp(f, "NODELAY") == 0 ||
		    strcasecmp(f, "KEEPALIVE") == 0) && !stream)
			continue;	/* "no effect" but on tcp, in xinetd */
		if (strcasecmp(f, "NODELAY") == 0)
			str_add(&cx->cx_opts, ",nodelay");
		else if (strcasecmp(f, "KEEPALIVE") == 0)
			str_add(&cx->cx_opts, ",keepalive");
		else if (strcasecmp(f, "IPv4") == 0 ||
		    strcasecmp(f, "IPv6") == 0 ||
		    strcasecmp(f, "NAMEINARGS") == 0 ||
		    strcasecmp(f, "REUSE") == 0 ||
		    strcasecmp(f, "NOLIBWRAP") == 0 ||
		    strcasecmp(f, "DISABLE") == 0)
			continue;	/* carried, or what superd does anyway */
		else if (strcasecmp(f, "SENSOR") == 0)
			unserved(cx, "flags SENSOR: superd has no sensor "
			    "services");
		else
			note(cx, "flags %s: superd has no equal", f);
	}
	free(l.xv_v);
}

/*
 * The attributes of block b superd has nothing for, each named in a note
 * (once each); for a defaults block, also those a service would carry
 * but a defaults block cannot give (xinetd.conf(5) lists which it can).
 */
static void
conv_rest(struct xicx *cx, const struct xiblock *b)
{
	static const char *const known[] = {
		"id", "type", "flags", "disable", "socket_type", "protocol",
		"wait", "user", "group", "instances", "nice", "server",
		"server_args", "only_from", "no_access", "env", "passenv",
		"port", "bind", "interface", "banner_fail", "per_source",
		"cps", "umask", "rlimit_as", "rlimit_files", "rlimit_cpu",
		"rlimit_data", "rlimit_rss", "rlimit_stack", "redirect",
		"rpc_version", "rpc_number", "groups", "enabled", "disabled",
	};
	static const char *const why[][2] = {
		{ "log_type", "superd logs to its own log (superd(8) LOGS)" },
		{ "log_on_success", "superd logs every start and exit with "
		    "its pid, peer, duration and status" },
		{ "log_on_failure", "superd logs every refusal with its peer "
		    "and reason" },
		{ "access_times", "superd serves at all times" },
		{ "banner", "superd writes no banner" },
		{ "banner_success", "superd writes no banner" },
		{ "max_load", "superd does not watch the load average" },
		{ "deny_time", "superd has no sensor services" },
		{ "libwrap", "superd does not read hosts.allow; run tcpd as "
		    "the program for that" },
		{ "mdns", "superd registers nothing with mDNS" },
	};
	size_t			 i, j;
	int			 seen;

	for (i = 0; i < b->xb_nattr; i++) {
		seen = 0;
		for (j = 0; j < i; j++)
			if (strcmp(b->xb_attr[j].xa_name,
			    b->xb_attr[i].xa_name) == 0)
				seen = 1;
		for (j = 0; j < sizeof(known) / sizeof(known[0]); j++)
			if (strcmp(b->xb_attr[i].xa_name, known[j]) == 0)
				seen = 1;
		if (seen)
			continue;
		for (j = 0; j < sizeof(why) / sizeof(why[0]); j++)
			if (strcmp(b->xb_attr[i].xa_name, why[j][0]) == 0)
				break;
		if (j < sizeof(why) / sizeof(why[0]))
			note(cx, "%s: %s", why[j][0], why[j][1]);
		else if (strlen(b->xb_attr[i].xa_name) <= 64)
			note(cx, "%s: not an attribute superd knows",
			    b->xb_attr[i].xa_name);
	}
	if (b == cx->cx_svc && value(cx, "groups") != NULL &&
	    strcasecmp(value(cx, "groups"), "no") == 0)
		note(cx, "groups = no: superd gives the user its "
		    "supplementary groups");
}

/*
 * The notes of a defaults block: what of it no service line carries.
 * Its other attributes are carried by every service it applies to.
 */
void
xi_defaults_notes(const struct xiblock *b, struct xiline *xl)
{
	struct xicx	 cx;

	memset(&cx, 0, sizeof(cx));
	cx.cx_svc = b;
	cx.cx_out = xl;
	conv_rest(&cx, b);
}

/* An IPv4 or IPv6 address, or a host name of letters, digits, - and . */
static int
host_ok(const char *h)
{
	unsigned char	 a[16];
	const char	*p;

	if (strchr(h, ':') != NULL)
		return inet_pton(AF_INET6, h, a) == 1;
	if (inet_pton(AF_INET, h, a) == 1)
		return 1;
	if (*h == '\0' || *h == '.' || *h == '-' || strlen(h) > 253)
		return 0;
	for (p = h; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' &&
		    !(*p == '.' && p[1] != '.' && p[1] != '\0'))
			return 0;
	return 1;
}

/*
 * The host, service, type and proto fields.  The service field is the
 * service's name when /etc/services gives it the port, else the port.
 */
static void
conv_addr(struct xicx *cx, struct xistr *line, int *stream)
{
	const char	*st, *proto, *bind, *port, *name = cx->cx_svc->xb_name;
	long		 n = 0;
	int		 six, known;

	st = value(cx, "socket_type");
	if (st == NULL) {
		unserved(cx, "no socket_type");
		return;
	}
	if (strcmp(st, "stream") != 0 && strcmp(st, "dgram") != 0) {
		unserved(cx, "socket_type %s: superd serves stream and dgram "
		    "sockets", st);
		return;
	}
	*stream = strcmp(st, "stream") == 0;
	proto = value(cx, "protocol");
	if (proto == NULL)
		proto = *stream ? "tcp" : "udp";
	if (strcmp(proto, *stream ? "tcp" : "udp") != 0) {
		unserved(cx, "protocol %s with socket_type %s", proto, st);
		return;
	}
	if ((bind = value(cx, "bind")) == NULL)
		bind = value(cx, "interface");
	six = has_word(cx, "flags", "IPv6") ||
	    (bind != NULL && strchr(bind, ':') != NULL);
	if (bind != NULL && !host_ok(bind)) {
		unserved(cx, "bind %s: not an address or a host name", bind);
		return;
	}
	port = value(cx, "port");
	known = cx->cx_hooks->xh_port != NULL &&
	    cx->cx_hooks->xh_port(name, proto) != -1;
	if (port != NULL && !number(port, 1, 65535, &n)) {
		unserved(cx, "port %s: not a port number", port);
		return;
	}
	if (port == NULL && (!known || has_word(cx, "type", "UNLISTED"))) {
		unserved(cx, "no port, and %s is not in /etc/services", name);
		return;
	}
	if (bind != NULL && strchr(bind, ':') != NULL)
		str_add(line, "[%s]:", bind);
	else if (bind != NULL)
		str_add(line, "%s:", bind);
	if (port != NULL && !(known && cx->cx_hooks->xh_port(name, proto) ==
	    (int)n))
		str_add(line, "%ld", n);
	else if (plain(name))
		str_add(line, "%s", name);
	else {
		unserved(cx, "service name %s: not a name", name);
		return;
	}
	/* xinetd binds IPv4 unless IPv6 is asked, then both */
	str_add(line, " %s %s%s", st, proto, bind != NULL ?
	    (strchr(bind, ':') != NULL ? "6" : "4") : six ? "" : "4");
}

/* The user field: user, or user:group; root for a built-in. */
static void
conv_user(struct xicx *cx, struct xistr *line, int internal)
{
	const char	*user = value(cx, "user"), *group = value(cx, "group");

	if (user == NULL && !internal) {
		unserved(cx, "no user");
		return;
	}
	if (user == NULL)
		user = "root";
	if (!plain(user) || (group != NULL && !plain(group)) ||
	    strpbrk(user, ".:") != NULL ||
	    (group != NULL && strpbrk(group, ".:") != NULL)) {
		unserved(cx, "user or group: not a name superd's user field "
		    "can hold");
		return;
	}
	str_add(line, " %s%s%s", user, group != NULL ? ":" : "",
	    group != NULL ? group : "");
}

/*
 * The program and its argv: internal NAME for a built-in, else server,
 * argv[0] its base name then server_args (with NAMEINARGS, server_args
 * whole, as inetd writes them).
 */
static void
conv_program(struct xicx *cx, struct xistr *line, int internal)
{
	static const char *const builtins[] = {
		"echo", "discard", "chargen", "daytime", "time",
	};
	const struct xiattr	*args = attr(cx, "server_args");
	const char		*server = value(cx, "server"), *base;
	size_t			 i;

	if (internal) {
		for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
			if (strcmp(cx->cx_svc->xb_name, builtins[i]) == 0)
				break;
		if (i == sizeof(builtins) / sizeof(builtins[0])) {
			unserved(cx, "type INTERNAL: superd has no built-in "
			    "of this name");
			return;
		}
		str_add(line, " internal %s", builtins[i]);
		return;
	}
	if (server == NULL) {
		if (value(cx, "redirect") != NULL)
			unserved(cx, "redirect: superd does not relay; a "
			    "program such as socat can");
		else
			unserved(cx, "no server");
		return;
	}
	if (server[0] != '/' || !plain(server)) {
		unserved(cx, "server %s: not an absolute path", server);
		return;
	}
	str_add(line, " %s", server);
	if (has_word(cx, "flags", "NAMEINARGS")) {
		if (args == NULL || args->xa_nval == 0) {
			unserved(cx, "flags NAMEINARGS without server_args");
			return;
		}
	} else {
		base = strrchr(server, '/') + 1;
		str_add(line, " ");
		str_word(line, *base != '\0' ? base : server);
	}
	for (i = 0; args != NULL && i < args->xa_nval; i++) {
		if (!printable(args->xa_val[i])) {
			unserved(cx, "server_args: not text");
			return;
		}
		str_add(line, " ");
		str_word(line, args->xa_val[i]);
	}
}

/* Is id in a defaults block's list called name (enabled, disabled)? */
static int
in_defaults(const struct xicx *cx, const char *name, const char *id,
    int *given)
{
	const struct xiattr	*a;
	size_t			 i, j, k;
	int			 found = 0;

	for (i = 0; i < cx->cx_ndefs; i++)
		for (j = 0; j < cx->cx_defs[i]->xb_nattr; j++) {
			a = &cx->cx_defs[i]->xb_attr[j];
			if (strcmp(a->xa_name, name) != 0)
				continue;
			*given = 1;
			for (k = 0; k < a->xa_nval; k++)
				if (strcmp(a->xa_val[k], id) == 0)
					found = 1;
		}
	return found;
}

/*
 * Whether the service is off: disable = yes, flags DISABLE, its id in
 * the defaults' disabled list, or missing from their enabled list.
 */
static int
disabled(const struct xicx *cx)
{
	const char	*v = value(cx, "disable"), *id = value(cx, "id");
	int		 off, enabled, given = 0;

	if (id == NULL)
		id = cx->cx_svc->xb_name;
	off = (v != NULL && strcasecmp(v, "yes") == 0) ||
	    has_word(cx, "flags", "DISABLE") ||
	    in_defaults(cx, "disabled", id, &given);
	given = 0;
	enabled = in_defaults(cx, "enabled", id, &given);
	return off || (given && !enabled);
}

/*
 * Convert service svc, over the defaults blocks defs[0..ndefs), into
 * xl (zeroed by the caller, freed with xi_line_free).
 */
void
xi_convert(const struct xiblock *const *defs, size_t ndefs,
    const struct xiblock *svc, const struct xihooks *hooks,
    struct xiline *xl)
{
	struct xicx	 cx;
	struct xistr	 line, msg;
	const char	*w;
	int		 stream = 1, internal;

	memset(&cx, 0, sizeof(cx));
	memset(&line, 0, sizeof(line));
	memset(&msg, 0, sizeof(msg));
	cx.cx_defs = defs;
	cx.cx_ndefs = ndefs;
	cx.cx_svc = svc;
	cx.cx_hooks = hooks;
	cx.cx_out = xl;
	str_add(&cx.cx_opts, "%s", "");
	xl->xl_disabled = disabled(&cx);
	if (has_word(&cx, "type", "RPC"))
		unserved(&cx, "type RPC: superd serves no RPC services");
	if (has_word(&cx, "type", "TCPMUX") ||
	    has_word(&cx, "type", "TCPMUXPLUS"))
		unserved(&cx, "type TCPMUX: superd has no tcpmux");
	internal = has_word(&cx, "type", "INTERNAL");
	conv_addr(&cx, &line, &stream);
	if ((w = value(&cx, "wait")) == NULL)
		unserved(&cx, "no wait");
	else if (strcasecmp(w, "yes") != 0 && strcasecmp(w, "no") != 0)
		unserved(&cx, "wait %s: yes or no", w);
	conv_limits(&cx);
	conv_acl(&cx);
	conv_env(&cx);
	conv_contain(&cx);
	conv_flags(&cx, stream);
	conv_banner(&cx, &msg, stream, w != NULL &&
	    strcasecmp(w, "yes") == 0);
	conv_rest(&cx, svc);
	if (!cx.cx_none && w != NULL) {
		str_add(&line, " %s%s%s", strcasecmp(w, "yes") == 0 ?
		    "wait" : "nowait", cx.cx_opts.xs_s,
		    msg.xs_s != NULL ? msg.xs_s : "");
		conv_user(&cx, &line, internal);
		conv_program(&cx, &line, internal);
	}
	if (!cx.cx_none)
		xl->xl_line = line.xs_s;
	else
		free(line.xs_s);
	free(cx.cx_opts.xs_s);
	free(msg.xs_s);
}

void
xi_line_free(struct xiline *xl)
{
	size_t	 i;

	for (i = 0; i < xl->xl_nnote; i++)
		free(xl->xl_note[i]);
	free(xl->xl_note);
	free(xl->xl_line);
	memset(xl, 0, sizeof(*xl));
}
