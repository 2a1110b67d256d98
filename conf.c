/*
 * conf.c: reading a service table into a fresh list of services, and the
 * entry parser: the fields of an entry up to its wait field, the program
 * and argv.
 *
 * The grammar is inetd.conf(5)'s, as OpenBSD and Debian define it, plus
 * superd's options after the wait field.  conf_load() either returns a
 * complete list, with users, groups, programs and addresses resolved, or
 * a list of errors, one "FILE:LINE: message" per problem, all of them: the
 * caller never sees a half-read table.  A table that cannot be read to
 * its end (a read error, a directory, more than CONF_MAXSIZE bytes) is
 * one error, "FILE: message", never an empty table, and so is one that
 * is not a regular file (a device, a terminal, a FIFO).  It opens no socket
 * and logs nothing.
 *
 * The parser's other files, each called from here and calling only
 * downward (confint.h): confread.c reads the text and cuts it into
 * entries, hosts.c makes a service per address, confopt.c parses the wait
 * field and its options, confuser.c the user field, conflict.c finds
 * entries that would bind the same socket, svconf.c copies and frees what
 * an entry says, conferr.c keeps the messages.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "confint.h"

#define MAXFIELDS	1024	/* an entry has fewer fields than this */

/*
 * Split on blanks, in place.  Quotes group words, a superd extension for
 * shell one-liners (inetd has none): '...' is taken as it stands, "..."
 * with \n (newline), \t (tab), \\ and \" as escapes, so that a line can
 * carry a program of several lines (python3 -c).  Any other backslash in
 * "..." is kept as it stands with the character after it, as sh(1) keeps
 * it, so a regular expression's \d or refuse-message='s \r reads as it
 * always did.  Returns the number of fields; -1 for an unterminated
 * quote, -2 for a backslash that ends the entry inside "...".
 */
static int
split_fields(char *s, char **f, int max)
{
	char	*d, q;
	int	 n = 0;

	for (;;) {
		while (isblankc((unsigned char)*s))
			s++;
		if (*s == '\0' || n == max)
			break;
		f[n++] = d = s;
		while (*s != '\0' && !isblankc((unsigned char)*s)) {
			if (*s != '"' && *s != '\'') {
				*d++ = *s++;
				continue;
			}
			q = *s++;
			while (*s != '\0' && *s != q) {
				if (q != '"' || *s != '\\') {
					*d++ = *s++;
					continue;
				}
				switch (s[1]) {
				case '\0':
					return -2;
				case 'n':
					*d++ = '\n';
					s += 2;
					continue;
				case 't':
					*d++ = '\t';
					s += 2;
					continue;
				case '"':
				case '\\':
					s++;
					break;
				}
				*d++ = *s++;
			}
			if (*s != q)
				return -1;
			s++;
		}
		if (*s != '\0')
			s++;
		*d = '\0';
	}
	return n;
}

/*
 * The protocol field's names: the families each binds ("tcp" and "udp"
 * both) and the socket type it goes with (unix: stream, checked apart).
 */
static const struct protodef protodefs[] = {
	{ "tcp",	PROTO_TCP,	1, 1, SOCK_STREAM },
	{ "tcp4",	PROTO_TCP,	1, 0, SOCK_STREAM },
	{ "tcp6",	PROTO_TCP,	0, 1, SOCK_STREAM },
	{ "udp",	PROTO_UDP,	1, 1, SOCK_DGRAM },
	{ "udp4",	PROTO_UDP,	1, 0, SOCK_DGRAM },
	{ "udp6",	PROTO_UDP,	0, 1, SOCK_DGRAM },
	{ "unix",	PROTO_UNIX,	0, 0, 0 },
};

/* argv[0] defaults to the program's base name, as in inetd. */
static char **
make_argv(const char *program, char **f, int nf)
{
	char		**argv;
	const char	*base;
	int		  i;

	argv = xcalloc(nf + 2, sizeof(char *));
	if (nf == 0) {
		base = strrchr(program, '/');
		argv[0] = xstrdup(base != NULL ? base + 1 : program);
		return argv;
	}
	for (i = 0; i < nf; i++)
		argv[i] = xstrdup(f[i]);
	return argv;
}

/*
 * The program must be an absolute path to a regular file superd may
 * execute; checked at load, so that a typo is a table error, not a
 * child that exits 127 at each connection.  One inside a chroot= (inroot)
 * is looked for there, at load, by contain.c.
 */
static void
check_program(struct parser *p, const char *program, int inroot)
{
	struct stat	 st;

	if (program[0] != '/') {
		perr(p, p->p_line, "program \"%s\" is not an absolute path",
		    program);
		return;
	}
	if (inroot)
		return;
	if (stat(program, &st) == -1) {
		perr(p, p->p_line, "program %s: %s", program,
		    strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		perr(p, p->p_line, "program %s is not a regular file",
		    program);
	else if (access(program, X_OK) == -1)
		perr(p, p->p_line, "program %s is not executable", program);
}

/*
 * The colon that ends the hosts part of a first field: the last one
 * outside brackets; NULL when there is no hosts part.  supertab finds an
 * entry's service part with it too.
 */
const char *
conf_hosts_colon(const char *f0)
{
	const char	*s, *colon = NULL;
	int		 depth = 0;

	for (s = f0; *s != '\0'; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']')
			depth--;
		else if (*s == ':' && depth == 0)
			colon = s;
	}
	return colon;
}

/*
 * Split the first field into hosts and service: "[::1]:comsat",
 * "127.0.0.1,10.0.0.1:7001", "7001".  The last colon outside brackets
 * separates them.
 */
static void
split_hostsvc(char *f0, char **hosts, char **service)
{
	char	*colon = (char *)conf_hosts_colon(f0);

	if (colon == NULL) {
		*hosts = NULL;
		*service = f0;
	} else {
		*colon = '\0';
		*hosts = f0;
		*service = colon + 1;
	}
}

/* FNV-1a: an entry's text, for a reload to tell a changed one. */
static uint64_t
text_hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The protocol field's name, without its options; NULL when unknown. */
static const struct protodef *
protodef_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(protodefs) / sizeof(protodefs[0]); i++)
		if (strcmp(name, protodefs[i].pd_name) == 0)
			return &protodefs[i];
	return NULL;
}

/* The protocol field's options after it: sndbuf=N and rcvbuf=N. */
static int
parse_protoopts(struct parser *p, struct svconf *cf, char *opts)
{
	char	*o;
	int	*dst, bad = 0;

	while ((o = strsep(&opts, ",")) != NULL) {
		dst = NULL;
		if (strncmp(o, "sndbuf=", 7) == 0)
			dst = &cf->cf_sndbuf;
		else if (strncmp(o, "rcvbuf=", 7) == 0)
			dst = &cf->cf_rcvbuf;
		if (dst == NULL) {
			perr(p, p->p_line, "unknown protocol option \"%s\" "
			    "(sndbuf= or rcvbuf=)", o);
			bad = 1;
		} else if (parse_size(o + 7, dst) == -1) {
			perr(p, p->p_line, "bad size \"%s\" for %.6s: "
			    "expected a number of bytes (k or m after it for "
			    "KiB or MiB), from 1 to "
			    "2147483647", o + 7, o);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/*
 * The socket type field, and whether it goes with the protocol (pd, NULL
 * when that was unknown).  *socktype stays 0 when the type is not one.
 */
static int
parse_socktype(struct parser *p, const char *field,
    const struct protodef *pd, int *socktype)
{
	int	 bad = 0;

	if (strcmp(field, "stream") == 0)
		*socktype = SOCK_STREAM;
	else if (strcmp(field, "dgram") == 0)
		*socktype = SOCK_DGRAM;
	else if (strcmp(field, "raw") == 0 || strcmp(field, "rdm") == 0 ||
	    strcmp(field, "seqpacket") == 0) {
		perr(p, p->p_line, "socket type %s is not supported", field);
		bad = 1;
	} else {
		perr(p, p->p_line, "unknown socket type \"%s\" (stream or "
		    "dgram)", field);
		bad = 1;
	}
	if (pd == NULL || *socktype == 0)
		return bad ? -1 : 0;
	if (pd->pd_proto == PROTO_UNIX && *socktype != SOCK_STREAM) {
		perr(p, p->p_line, "unix sockets are served as stream only");
		bad = 1;
	} else if (pd->pd_proto != PROTO_UNIX &&
	    pd->pd_socktype != *socktype) {
		perr(p, p->p_line, "socket type %s does not go with protocol "
		    "%s", field, pd->pd_name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* The service field of a unix entry: the socket's absolute path. */
static int
parse_unixpath(struct parser *p, struct proto_entry *pe, char *f0)
{
	pe->pe_hosts = NULL;
	pe->pe_service = f0;
	if (f0[0] != '/') {
		perr(p, p->p_line, "unix socket path \"%s\" is not absolute",
		    f0);
		return -1;
	}
	if (strlen(f0) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		perr(p, p->p_line, "unix socket path is too long");
		return -1;
	}
	return 0;
}

/*
 * The service field of a tcp or udp entry, [hosts:]service: the hosts
 * (the table's "hosts:" default when none are written) and the port, a
 * number or a name in /etc/services (looked up only when the protocol,
 * pd, is known).  The hosts themselves are read by expand_hosts().
 */
static int
parse_hostsvc(struct parser *p, struct proto_entry *pe, char *f0,
    const struct protodef *pd)
{
	struct servent	*se;
	const char	*pn;
	char		*service;
	long long	 port;

	split_hostsvc(f0, &pe->pe_hosts, &service);
	pe->pe_service = service;
	if (pe->pe_hosts == NULL)
		pe->pe_hosts = p->p_defhosts;
	if (*service == '\0') {
		perr(p, p->p_line, "no service or port in \"%s\"", f0);
		return -1;
	}
	if (isdigit((unsigned char)*service)) {
		if (parse_num(service, 0, 65535, &port) == -1) {
			perr(p, p->p_line, "port %s is out of range (0-65535) "
			    "or not a number", service);
			return -1;
		}
		pe->pe_port = (int)port;
		return 0;
	}
	if (pd == NULL)
		return 0;
	pn = pd->pd_proto == PROTO_UDP ? "udp" : "tcp";
	if ((se = getservbyname(service, pn)) == NULL) {
		perr(p, p->p_line, "unknown service \"%s\" for %s (not in "
		    "/etc/services)", service, pn);
		return -1;
	}
	pe->pe_port = ntohs(se->s_port);
	return 0;
}

/*
 * "internal" in the program field: the built-in named after it, or else
 * the one the service field names (by name, or by a port number's name
 * in /etc/services, as inetd does).
 */
static int
parse_builtin(struct parser *p, struct svconf *cf,
    const struct proto_entry *pe, char **args, int nargs, int isunix)
{
	const char	*bname = nargs > 0 ? args[0] : pe->pe_service;
	struct servent	*se;
	int		 bad = 0;

	if (nargs <= 0 && pe->pe_port != 0 && !isunix &&
	    isdigit((unsigned char)*pe->pe_service) &&
	    (se = getservbyport(htons(pe->pe_port), NULL)) != NULL)
		bname = se->s_name;
	cf->cf_builtin = internal_lookup(bname);
	if (cf->cf_builtin == BI_NONE) {
		perr(p, p->p_line, "no built-in service \"%s\" (echo, discard, "
		    "chargen, daytime, time, metrics)", bname);
		bad = 1;
	} else if (isunix) {
		perr(p, p->p_line, "built-in services run over tcp and udp "
		    "only");
		bad = 1;
	} else if (cf->cf_builtin == BI_METRICS &&
	    pe->pe_socktype != SOCK_STREAM) {
		perr(p, p->p_line, "the metrics built-in is a stream service "
		    "(HTTP over tcp)");
		bad = 1;
	}
	/*
	 * A scrape's child ends itself within 30 s (scrape.c's alarm), but
	 * a process of its uid can SIGSTOP it: the parent bounds it too.
	 */
	if (cf->cf_builtin == BI_METRICS && cf->cf_timeout == 0)
		cf->cf_timeout = METRICS_TIMEOUT_DEFAULT;
	cf->cf_argv = make_argv(internal_name(cf->cf_builtin), NULL, 0);
	return bad ? -1 : 0;
}

/*
 * A fresh svconf for the entry at line, with the defaults of every
 * option; an included file's entry is told apart by its file's name.
 */
static struct svconf *
svconf_new(struct parser *p, int line, uint64_t hash)
{
	struct svconf	*cf;

	cf = xcalloc(1, sizeof(*cf));
	cf->cf_line = line;
	cf->cf_file = p->p_incl ? xstrdup(p->p_file) : NULL;
	cf->cf_seq = ++p->p_seq;
	cf->cf_instances = DEFAULT_INSTANCES;
	cf->cf_mode = -1;
	cf->cf_stderr = STDERR_LOG;
	cf->cf_umask = -1;
	cf->cf_linger = -1;
	cf->cf_builtin = BI_NONE;
	cf->cf_hash = hash;	/* a reload compares it */
	return cf;
}

/*
 * The services of an entry that parsed without an error, one per
 * address, on the table's list; each owns its copy of cf.  A host that
 * is wrong in an included file leaves the whole entry out (in the named
 * table the error refuses the table, and they are freed with it).
 */
static void
entry_services(struct parser *p, struct proto_entry *pe)
{
	struct service	**made = NULL;
	size_t		  nmade = 0, i;
	int		  bad;

	if (pe->pe_pd->pd_proto == PROTO_UNIX) {
		service_new(p, pe, AF_UNIX, NULL)->sv_cf = pe->pe_cf;
		return;
	}
	bad = expand_hosts(p, pe, &made, &nmade) == -1 && p->p_incl;
	for (i = 0; i < nmade; i++) {
		made[i]->sv_cf = i == 0 ? pe->pe_cf : svconf_copy(pe->pe_cf);
		if (bad) {
			TAILQ_REMOVE(&p->p_conf->c_services, made[i],
			    sv_entry);
			p->p_conf->c_nservices--;
			service_free(made[i]);
		}
	}
	if (nmade == 0)
		svconf_free(pe->pe_cf);
	free(made);
}

/*
 * Leave out the entry sv is a service of, every address of it, with why
 * as the error of its line in c_incerrors: an included file's entry that
 * a check after the parse found wrong (table.c).  The services are taken
 * off c's list and freed; sv is gone after this.
 */
void
conf_drop_entry(struct conf *c, struct service *sv, const char *why)
{
	struct service	*s, *next;
	int		 seq = sv->sv_cf->cf_seq;

	conf_entry_error(c, sv->sv_cf->cf_file, sv->sv_cf->cf_line, "%s",
	    why);
	for (s = TAILQ_FIRST(&c->c_services); s != NULL; s = next) {
		next = TAILQ_NEXT(s, sv_entry);
		if (s->sv_cf->cf_seq != seq)
			continue;
		TAILQ_REMOVE(&c->c_services, s, sv_entry);
		c->c_nservices--;
		service_free(s);
	}
}

/*
 * Does an entry read as xinetd's, not as a table line?  "service NAME",
 * "defaults", "include(dir) PATH", a brace, or "attribute = value": the
 * lines of /etc/xinetd.conf and /etc/xinetd.d (a block's indented
 * attributes join its "{" line as continuations).
 */
static int
xinetd_like(char **f, int nf)
{
	if (strcmp(f[0], "{") == 0 || strcmp(f[0], "}") == 0)
		return 1;
	if (nf == 1 && strcmp(f[0], "defaults") == 0)
		return 1;
	if (nf == 2 && (strcmp(f[0], "service") == 0 ||
	    strcmp(f[0], "includedir") == 0 || strcmp(f[0], "include") == 0))
		return 1;
	return nf >= 2 && (strcmp(f[1], "=") == 0 ||
	    strcmp(f[1], "+=") == 0 || strcmp(f[1], "-=") == 0);
}

static void	 parse_entry(struct parser *, struct entry *);

/*
 * Cut an entry's text into its fields, in place.  Returns how many, at
 * least 6, or -1 when the entry ends here: an error (reported), a
 * "hosts:" line alone, which sets the hosts of the entries after it in
 * this file, or an ".include PATH" line, whose files are read here, in
 * the table's order (confinc.c).
 */
static int
entry_fields(struct parser *p, char *text, char **f)
{
	size_t	 len;
	int	 nf;

	nf = split_fields(text, f, MAXFIELDS);
	if (nf == -1) {
		perr(p, p->p_line, "unterminated quote");
		return -1;
	}
	if (nf == -2) {
		perr(p, p->p_line, "a backslash ends the entry inside \"...\": "
		    "a backslash is written twice there");
		return -1;
	}
	if (nf == MAXFIELDS) {
		perr(p, p->p_line, "too many fields (at most %d)",
		    MAXFIELDS - 1);
		return -1;
	}
	if (nf >= 1 && strcmp(f[0], ".include") == 0) {
		conf_include(p, f, nf, parse_entry);
		return -1;
	}
	if (nf == 1 && (len = strlen(f[0])) > 1 && f[0][len - 1] == ':') {
		f[0][len - 1] = '\0';
		free(p->p_defhosts);
		p->p_defhosts = xstrdup(f[0]);
		return -1;
	}
	/* an xinetd file is said to be one, once, not a field count each */
	if (nf >= 1 && xinetd_like(f, nf)) {
		if (p->p_xinetd == 0) {
			p->p_xinetd = p->p_line;
			perr(p, p->p_line, "xinetd syntax, not a table line; to "
			    "convert xinetd files: supertab import-xinetd %s",
			    p->p_file);
		} else
			perr(p, p->p_line, "xinetd syntax (see line %d)",
			    p->p_xinetd);
		return -1;
	}
	if (nf < 6) {
		perr(p, p->p_line, "%d field%s, expected at least 6: service "
		    "type protocol wait user program [argv]", nf,
		    nf == 1 ? "" : "s");
		return -1;
	}
	return nf;
}

/*
 * Parse one entry; its services are appended to the table.  The fields
 * are read in the order that lets each be checked against the ones it
 * depends on (the protocol decides how the socket type and the service
 * field read), and every error of the entry is reported, not only the
 * first; an entry with any error makes no service.
 */
static void
parse_entry(struct parser *p, struct entry *e)
{
	char			*f[MAXFIELDS], *popts, *text;
	struct proto_entry	 pe;
	struct svconf		*cf;
	const struct protodef	*pd;
	uint64_t		 hash;
	int			 nf, bad = 0, isunix;

	p->p_line = e->e_line;
	p->p_nerr_line = 0;
	hash = text_hash(e->e_text);	/* entry_fields() cuts the text */
	/* as written, for an upgrade's new binary (upgradeenc.c) */
	if (asprintf(&text, "%s:\n%s\n", p->p_defhosts, e->e_text) == -1)
		fatal("asprintf");
	if ((nf = entry_fields(p, e->e_text, f)) == -1) {
		free(text);
		return;
	}

	memset(&pe, 0, sizeof(pe));
	cf = svconf_new(p, e->e_line, hash);
	cf->cf_text = text;

	/* Field 3: protocol[,sndbuf=N][,rcvbuf=N] */
	if ((popts = strchr(f[2], ',')) != NULL)
		*popts++ = '\0';
	cf->cf_protoname = xstrdup(f[2]);
	if (strncmp(f[2], "rpc/", 4) == 0) {
		perr(p, p->p_line, "RPC services are not supported (%s)",
		    f[2]);
		svconf_free(cf);
		return;
	}
	if ((pd = protodef_find(f[2])) == NULL) {
		perr(p, p->p_line, "unknown protocol \"%s\"", f[2]);
		bad = 1;
	}
	if (popts != NULL && parse_protoopts(p, cf, popts) == -1)
		bad = 1;
	isunix = pd != NULL && pd->pd_proto == PROTO_UNIX;

	/* Field 2: socket type */
	if (parse_socktype(p, f[1], pd, &pe.pe_socktype) == -1)
		bad = 1;

	/* Field 1: [hosts:]service, or a unix socket's path */
	if (isunix) {
		if (parse_unixpath(p, &pe, f[0]) == -1)
			bad = 1;
	} else if (parse_hostsvc(p, &pe, f[0], pd) == -1)
		bad = 1;

	/* Field 4: wait|nowait[.max][,options] */
	if (parse_wait(p, cf, f[3], isunix) == -1)
		bad = 1;

	if (conn_check(p, cf, pd, pe.pe_socktype) == -1)
		bad = 1;
	if (proxy_check(p, cf, pd, pe.pe_socktype) == -1)
		bad = 1;

	/* Field 5: user[:group] */
	if (parse_user(p, cf, f[4]) == -1)
		bad = 1;

	/* Field 6: program or internal, then argv */
	if (strcmp(f[5], "internal") == 0) {
		if (parse_builtin(p, cf, &pe, f + 6, nf - 6, isunix) == -1)
			bad = 1;
		contain_builtin(p, cf);
	} else {
		/* under chroot= the program is inside DIR: contain.c's */
		check_program(p, f[5], cf->cf_chroot != NULL);
		cf->cf_program = xstrdup(f[5]);
		cf->cf_argv = make_argv(f[5], f + 6, nf - 6);
	}
	if (pty_check(p, cf, pe.pe_socktype) == -1)
		bad = 1;
	if (p->p_nerr_line > 0)
		bad = 1;
	if (bad) {
		svconf_free(cf);
		return;
	}
	pe.pe_pd = pd;
	pe.pe_cf = cf;
	entry_services(p, &pe);
}

/*
 * Read a table from path (or from fp when it is given, with path used in
 * messages).  Always returns a struct conf; c_nerrors > 0 means the table
 * must not be used, and c_services is then empty.  A table that cannot
 * be read whole is one error, "FILE: message".  Entries of included
 * files that have an error are left out, their errors in c_incerrors.
 */
struct conf *
conf_load(const char *path, FILE *fp)
{
	return conf_load_as(path, fp, path);
}

/*
 * conf_load() of a table named name in messages whose file is file: its
 * relative .include lines are read from file's directory, and it is the
 * first of the chain a loop of .include lines is told by.  supertab
 * checks a change this way: the text from memory, named as given, the
 * includes found beside the table's real path.
 */
struct conf *
conf_load_as(const char *name, FILE *fp, const char *file)
{
	struct parser	 p;
	struct conf	*c;
	struct service	*sv;
	struct stat	 st;
	char		*buf, why[256];
	size_t		 len;
	FILE		*own = NULL;

	c = xcalloc(1, sizeof(*c));
	TAILQ_INIT(&c->c_services);
	memset(&p, 0, sizeof(p));
	if (strcmp(file, "-") != 0)
		conf_list_add(&c->c_files, &c->c_nfiles, conf_abspath(file));
	if (fp == NULL) {
		if ((own = conf_open(name, 0, &st, why, sizeof(why))) ==
		    NULL) {
			conf_file_error(c, name, "%s", why);
			return c;
		}
		fp = own;
		p.p_chain[0].fi_dev = st.st_dev;
		p.p_chain[0].fi_ino = st.st_ino;
	} else if (strcmp(file, "-") != 0 && stat(file, &st) == 0) {
		p.p_chain[0].fi_dev = st.st_dev;
		p.p_chain[0].fi_ino = st.st_ino;
	}
	buf = conf_slurp(fp, &len, why, sizeof(why));
	if (own != NULL)
		fclose(own);
	if (buf == NULL) {
		conf_file_error(c, name, "%s", why);
		return c;
	}
	p.p_file = name;
	p.p_open = file;
	p.p_conf = c;
	p.p_defhosts = xstrdup("*");
	p.p_euid = geteuid();
	conf_read(&p, buf, len, parse_entry);
	free(buf);
	check_conflicts(&p);
	free(p.p_defhosts);
	free(p.p_seen);
	free(p.p_uc.uc_name);
	free(p.p_uc.uc_home);
	free(p.p_uc.uc_shell);
	if (c->c_nerrors > 0) {
		while ((sv = TAILQ_FIRST(&c->c_services)) != NULL) {
			TAILQ_REMOVE(&c->c_services, sv, sv_entry);
			service_free(sv);
		}
		c->c_nservices = 0;
	}
	return c;
}

/* Free a conf and whatever services are still on its list. */
void
conf_free(struct conf *c)
{
	struct service	*sv;
	size_t		 i;

	if (c == NULL)
		return;
	while ((sv = TAILQ_FIRST(&c->c_services)) != NULL) {
		TAILQ_REMOVE(&c->c_services, sv, sv_entry);
		service_free(sv);
	}
	for (i = 0; i < c->c_nerrors; i++)
		free(c->c_errors[i]);
	free(c->c_errors);
	for (i = 0; i < c->c_nwarnings; i++)
		free(c->c_warnings[i]);
	free(c->c_warnings);
	for (i = 0; i < c->c_nincerrors; i++)
		free(c->c_incerrors[i]);
	free(c->c_incerrors);
	for (i = 0; i < c->c_nfiles; i++)
		free(c->c_files[i]);
	free(c->c_files);
	free(c);
}
