/*
 * tab.h: what the files of supertab share and nothing else needs: the
 * table as supertab holds it (its lines, and the entries they group
 * into), the paths a run works on, and the prototypes of supertab's own
 * files.  Included after superd.h, whose parser (conf_load,
 * conf_line_kind) supertab uses.
 *
 * Who calls whom, downward only: supertab.c (main and the commands)
 * calls tabedit.c, tabio.c, tabmodel.c, tabsignal.c and tabxinetd.c;
 * tabedit.c calls tabio.c, tabcheck.c and tabsignal.c; tabio.c calls
 * tabmodel.c (to render a changed table) and tabcheck.c (to check it);
 * tabxinetd.c (import-xinetd) calls tabio.c, xiparse.c (xinetd's syntax)
 * and xiconv.c (a service made a line); tabmodel.c, tabcheck.c,
 * tabsignal.c, xiparse.c and xiconv.c call none of supertab's files.
 */

#ifndef TAB_H
#define TAB_H

struct stat;

/*
 * The table a command works on, and the superd to tell of a change: one
 * per run, made by main() and passed down.
 */
struct tabpath {
	const char	*tp_path;	/* as given (-f), for messages */
	char		*tp_real;	/* the file itself: links resolved */
	const char	*tp_pidfile;	/* -p, or NULL */
};

/* One line of the table, as it is in the file. */
struct tline {
	char	*tl_text;	/* without its newline */
	int	 tl_entry;	/* index into entries, or -1 */
};

/* The lines of one entry, enabled or disabled, grouped as conf.c would. */
struct tentry {
	size_t	 te_first;	/* its first and last line: indexes */
	size_t	 te_last;	/* into t_lines */
	int	 te_disabled;	/* its lines start with the marker */
	int	 te_hosts;	/* a "hosts:" line, not a service */
	char	*te_field0;	/* its first field, that commands match */
};

/* A table file: its bytes as read, its lines, and their entries. */
struct table {
	char		*t_raw;		/* the file as read */
	size_t		 t_rawlen;
	struct tline	*t_lines;
	size_t		 t_nlines;
	int		 t_final_nl;	/* the last line ended in a newline */
	struct tentry	*t_entries;
	size_t		 t_nentries;
	size_t		 t_entcap;	/* t_entries has room for */
};

/* An xinetd attribute as written: NAME OP VALUE... (xiparse.c). */
#define XI_SET		0	/* = */
#define XI_ADD		1	/* += */
#define XI_DEL		2	/* -= */
struct xiattr {
	char		*xa_name;
	int		 xa_op;
	char		**xa_val;	/* NULL-terminated */
	size_t		 xa_nval;
	int		 xa_line;
};

/* A top-level item of an xinetd file. */
enum xikind {
	XI_DEFAULTS,
	XI_SERVICE,
	XI_INCLUDE,		/* include FILE: xb_name */
	XI_INCLUDEDIR,		/* includedir DIR: xb_name */
};
struct xiblock {
	enum xikind	 xb_kind;
	char		*xb_name;	/* the service's, or the path */
	const char	*xb_file;	/* its file's xf_path */
	int		 xb_line;
	struct xiattr	*xb_attr;
	size_t		 xb_nattr;
};

/* An xinetd file, parsed: its items in order, its errors. */
struct xifile {
	char		*xf_path;
	struct xiblock	*xf_blk;
	size_t		 xf_nblk;
	char		**xf_err;	/* "FILE:LINE: message" */
	size_t		 xf_nerr;
};

/*
 * What xiconv.c makes of one service: its table line (NULL when none can
 * be made), whether it is disabled or held back (printed commented out:
 * it would serve more than xinetd did), and a note for each attribute
 * that could not be carried over, or why there is no line.
 */
struct xiline {
	char		*xl_line;
	int		 xl_disabled;
	int		 xl_held;	/* printed commented out: see notes */
	char		**xl_note;
	size_t		 xl_nnote;
};

/* What the conversion asks of the machine (a fuzzer answers itself). */
struct xihooks {
	int		(*xh_port)(const char *, const char *); /* -1: none */
	char		*(*xh_banner)(const char *, size_t *); /* malloc'd */
};

/* xiparse.c */
size_t		 xi_parse(struct xifile *, const char *, const char *, size_t);
void		 xi_free(struct xifile *);

/* xiconv.c */
void		 xi_convert(const struct xiblock *const *, size_t,
		    const struct xiblock *, const struct xihooks *,
		    struct xiline *);
void		 xi_defaults_notes(const struct xiblock *, struct xiline *);
void		 xi_line_free(struct xiline *);

/* tabxinetd.c */
int		 cmd_import_xinetd(char **, int);

/* tabedit.c */
int		 cmd_edit(const struct tabpath *);

/* tabio.c */
void		 table_resolve(struct tabpath *);
char		*read_all(int, const char *, size_t *);
int		 table_lock(const struct tabpath *, int, struct stat *);
void		 table_write(const struct tabpath *, const char *, size_t,
		    const struct stat *);
void		 table_commit(const struct tabpath *, struct table *,
		    const struct stat *, const char *);

/* tabmodel.c */
void		 table_parse(struct table *, char *, size_t);
void		 table_reindex(struct table *);
void		 table_free(struct table *);
char		*table_render(const struct table *, size_t *);
char		*bare(const char *);
char		*entry_text(const struct table *, const struct tentry *);
const char	*service_part(const char *);
size_t		 match_entries(struct table *, const char *, int,
		    struct tentry **);
struct tentry	*table_append(struct table *, const char *);
void		 table_remove(struct table *, const struct tentry *);
void		 table_enable(struct table *, const struct tentry *);
void		 table_disable(struct table *, const struct tentry *);

/* tabcheck.c */
size_t		 tab_check(const struct tabpath *, const char *, size_t,
		    const char *, size_t);

/* tabsignal.c */
void		 tab_tell(const struct tabpath *);

#endif /* TAB_H */
