/*
 * tab.h: what the files of supertab share and nothing else needs: the
 * table as supertab holds it (its lines, and the entries they group
 * into), the paths a run works on, and the prototypes of supertab's own
 * files.  Included after superd.h, whose parser (conf_load,
 * conf_line_kind) supertab uses.
 *
 * Who calls whom, downward only: supertab.c (main and the commands)
 * calls tabedit.c, tabio.c, tabmodel.c and tabsignal.c; tabedit.c calls
 * tabio.c, tabcheck.c and tabsignal.c; tabio.c calls tabmodel.c (to
 * render a changed table) and tabcheck.c (to check it); tabmodel.c,
 * tabcheck.c and tabsignal.c call none of supertab's files.
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
size_t		 tab_check(const char *, const char *, size_t, const char *,
		    size_t);

/* tabsignal.c */
void		 tab_tell(const struct tabpath *);

#endif /* TAB_H */
