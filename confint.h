/*
 * confint.h: what the files of the table parser share and nothing else
 * needs: the parser's state, its message lists and its field parsers.
 * Included after superd.h; the rest of superd sees a table only as the
 * struct conf that conf_load() returns.
 *
 * Included by conf.c, confinc.c, confread.c, hosts.c, confopt.c, confconn.c,
 * confproxy.c, confpty.c, confuser.c, conflict.c, svconf.c, conferr.c and
 * fuzz/text_fuzz.c.  Who calls whom, downward only: conf.c (conf_load, the
 * entry parser) calls confinc.c (.include, which reads each file through
 * confread.c and hands its entries back through the conf_entry_fn it was
 * given), confread.c, hosts.c, confopt.c, confconn.c (conn_check),
 * confproxy.c (proxy_check), confpty.c (pty_check), confuser.c,
 * conflict.c, svconf.c and conferr.c; of those, confopt.c calls
 * confconn.c, confproxy.c, confpty.c and confcontain.c (their options'
 * handlers) and confuser.c (owner=), conflict.c calls svconf.c
 * (service_free), all call conferr.c, and none calls anything else of the
 * parser (confread.c hands each entry back through the conf_entry_fn it was
 * given); conferr.c calls none of them.  Outside the parser they call only
 * the leaves log.c (fatal), addr.c and builtin.c.
 */

#ifndef CONFINT_H
#define CONFINT_H

struct stat;

#define CONF_MAXLINE	65536		/* bytes in a line of a table */
#define CONF_MAXLINE_STR "65536"
#define DEFAULT_INSTANCES 256		/* instances= when none is given */
#define METRICS_TIMEOUT_DEFAULT 35	/* a metrics line's timeout= when none */

/* The parser's state, one per table load (conf_load). */
struct usercache {
	char		*uc_name;	/* the last user looked up */
	uid_t		 uc_uid;
	gid_t		 uc_gid;
	char		*uc_home;
	char		*uc_shell;
	int		 uc_found;
};

/* A file being read, for a loop of .include lines to be seen. */
struct fileid {
	dev_t		 fi_dev;
	ino_t		 fi_ino;
};

/*
 * One per file read: the named table's, and a fresh one (copied, then
 * its cache and count given back) for each file it includes.
 */
struct parser {
	const char	*p_file;	/* in messages */
	const char	*p_open;	/* opened as: relative .include's base */
	struct conf	*p_conf;
	char		*p_defhosts;
	int		 p_line;
	int		 p_nerr_line;	/* errors reported for p_line */
	int		 p_xinetd;	/* the first xinetd-looking line; 0 */
	int		 p_incl;	/* an included file: errors drop entries */
	int		 p_depth;	/* 0: the named table */
	struct fileid	 p_chain[CONF_MAXDEPTH + 1]; /* files being read */
	int		 p_seq;		/* entries so far, every file */
	struct fileid	*p_seen;	/* files read so far, every file */
	size_t		 p_nseen;
	size_t		 p_nopen;	/* files opened for .include so far */
	uid_t		 p_euid;
	struct usercache p_uc;
};

/* The entry being read: its lines joined, with a blank between them. */
struct entry {
	char	*e_text;	/* logical line: continuations joined */
	size_t	 e_len;
	size_t	 e_cap;
	int	 e_line;	/* its first line; 0 when none is open */
	int	 e_bad;		/* a line of it was refused: not parsed */
};

/* The protocol field's names (conf.c's protodefs[]). */
struct protodef {
	const char	*pd_name;
	enum sv_proto	 pd_proto;
	int		 pd_v4;
	int		 pd_v6;
	int		 pd_socktype;
};

/* Everything an entry says, before it becomes one service per address. */
struct proto_entry {
	const struct protodef *pe_pd;
	int		 pe_socktype;
	char		*pe_hosts;
	char		*pe_service;
	int		 pe_port;
	struct svconf	*pe_cf;
};

typedef void	 conf_entry_fn(struct parser *, struct entry *);

/* hosts.c */
struct service	*service_new(struct parser *, struct proto_entry *, int,
		    const void *);
int		 expand_hosts(struct parser *, struct proto_entry *,
		    struct service ***, size_t *);

/* confinc.c */
void		 conf_include(struct parser *, char **, int, conf_entry_fn *);
char		*conf_abspath(const char *);

/* conflict.c */
void		 check_conflicts(struct parser *);

/* svconf.c */
struct svconf	*svconf_copy(const struct svconf *);

/* conferr.c */
void		 perr(struct parser *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 pwarn(struct parser *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 conf_file_error(struct conf *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 conf_entry_error(struct conf *, const char *, int,
		    const char *, ...)
		    __attribute__((format(printf, 4, 5)));
void		 conf_list_add(char ***, size_t *, char *);
void		*xcalloc(size_t, size_t);
char		*xstrdup(const char *);

/* confread.c */
FILE		*conf_open(const char *, int, struct stat *, char *, size_t);
char		*conf_slurp(FILE *, size_t *, char *, size_t);
void		 conf_read(struct parser *, char *, size_t, conf_entry_fn *);

/* confval.c */
int		 parse_num(const char *, long long, long long, long long *);
int		 parse_size(const char *, int *);
int		 parse_mode(const char *, int *);
int		 parse_rsize(const char *, uint64_t *);
int		 acl_parse(const char *, struct acl *);

/*
 * The options after wait|nowait, one handler each.  A handler returns
 * OPT_OK, OPT_BADVAL for a value that is not what the option's od_expect
 * says (parse_options() reports it, with the value as written), or
 * OPT_FAILED when it has reported the error itself.
 */
#define OPT_OK		0
#define OPT_BADVAL	-1
#define OPT_FAILED	-2

/* What an option's handler works on: the entry's parser and svconf. */
struct optctx {
	struct parser	*oc_p;
	struct svconf	*oc_cf;
	int		 oc_isunix;	/* the entry is a unix socket's */
};

typedef int	 opt_fn(const struct optctx *, char *);

/* confcontain.c */
opt_fn		 opt_rlimit_cpu;
opt_fn		 opt_rlimit_as;
opt_fn		 opt_rlimit_data;
opt_fn		 opt_rlimit_stack;
opt_fn		 opt_rlimit_fsize;
opt_fn		 opt_rlimit_core;
opt_fn		 opt_rlimit_nofile;
opt_fn		 opt_rlimit_nproc;
opt_fn		 opt_nice;
opt_fn		 opt_umask;
opt_fn		 opt_nnp;
opt_fn		 opt_chroot;
opt_fn		 opt_hostname;
opt_fn		 opt_private_network;
opt_fn		 opt_private_pid;
opt_fn		 opt_private_ipc;
opt_fn		 opt_private_tmp;
opt_fn		 opt_read_only;
void		 contain_builtin(struct parser *, const struct svconf *);
opt_fn		 opt_memory;
opt_fn		 opt_tasks;

/* confconn.c */
#define REFUSE_MSG_MAX	512	/* bytes of a refuse-message=, at most */
opt_fn		 opt_keepalive;
opt_fn		 opt_user_timeout;
opt_fn		 opt_nodelay;
opt_fn		 opt_refuse_message;
opt_fn		 opt_linger;
opt_fn		 opt_idle;
#define LINGER_DEFAULT	2	/* linger= of a stream nowait service */
int		 conn_check(struct parser *, struct svconf *,
		    const struct protodef *, int);

/* confproxy.c */
#define PROXY_TIMEOUT_DEFAULT	3	/* proxy-timeout= when none is given */
opt_fn		 opt_proxy;
opt_fn		 opt_proxy_timeout;
int		 proxy_check(struct parser *, struct svconf *,
		    const struct protodef *, int);

/* confpty.c */
opt_fn		 opt_pty;
opt_fn		 opt_pty_echo;
opt_fn		 opt_pty_raw;
opt_fn		 opt_pty_size;
int		 pty_check(struct parser *, struct svconf *, int);

/* confopt.c */
int		 parse_wait(struct parser *, struct svconf *, char *, int);

/* confuser.c */
int		 parse_user(struct parser *, struct svconf *, const char *);
int		 parse_owner(struct parser *, struct svconf *, const char *);

/* A blank as the table's grammar has them: space or tab, not newline. */
static inline int
isblankc(int c)
{
	return c == ' ' || c == '\t';
}

#endif /* CONFINT_H */
