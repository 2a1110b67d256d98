/*
 * confinc.c: ".include PATH", the files a table includes, NetBSD inetd's
 * spelling: a file, or a glob(3) pattern such as "/etc/superd.d/" "*.conf"
 * (one word in a table), read where the line stands as part of the table.
 *
 * A relative PATH is taken from the directory of the file that includes
 * it.  A pattern's matches are read in the C locale's order (strcmp, not
 * strcoll), and a pattern that matches nothing, or whose directory does
 * not exist, is no error: an empty drop-in directory is normal.  A plain
 * path that cannot be read or is refused is an error of the .include
 * line; such a match of a pattern is an error of that file alone, which
 * is not read: it never refuses the named table.  Each file read gets a
 * parser of its own: its "hosts:" lines start at "*" and end
 * with it, and its errors leave out only the entry they are about
 * (perr, conferr.c); an .include line's own errors are the including
 * file's, so in the named table they refuse the table whole.
 *
 * superd runs as root and an included entry runs a program as any user:
 * an included file, and the directory a pattern searches, must belong to
 * root or to superd's own user and be writable by nobody else, as sshd
 * and sudo demand.  A file is opened without following a symbolic link
 * as its last component (O_NOFOLLOW) and checked with fstat(2) on the
 * descriptor that is read, so what is checked is what is read; it is
 * read as the named table is (conf_open, conf_slurp: a regular file, at
 * most CONF_MAXSIZE bytes).  Nesting stops at CONF_MAXDEPTH, and a file
 * that includes itself, through any chain, is an error at the line that
 * closes the loop.  Work is bounded in total too: a file (dev, inode)
 * already read in this load is not read again (a second .include of it
 * says nothing), at most INC_MAXFILES files are opened for one load
 * (past it one error, and nothing more is read), and at most INC_MAXMATCH
 * of one pattern's matches are read (past it an error).  Every file and pattern directory read is listed in
 * c_files, absolute, for superd -w to watch.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "confint.h"

#define INC_MAXFILES	1024	/* files opened for .include, one load */
#define INC_MAXMATCH	1024	/* files read of one pattern's matches */

static const char *inc_confined; /* only a name, read from there */
static int	 inc_globerr;	/* the errno glob(3) stopped at */

/*
 * The fuzz harness's: from now on an .include names a file (no '/') in
 * dir, an empty one, so that parsing text from memory never reads the
 * machine's files.
 */
void
conf_include_confine(const char *dir)
{
	inc_confined = dir;
}

/* A path made absolute from the current directory, for c_files. */
char *
conf_abspath(const char *path)
{
	char	 cwd[PATH_MAX], *abs;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return xstrdup(path);
	if (asprintf(&abs, "%s/%s", cwd, path) == -1)
		fatal("asprintf");
	return abs;
}

/* path, or else the directory part of from joined with it. */
static char *
include_path(const char *from, const char *path)
{
	const char	*slash;
	char		*full;

	if (path[0] == '/' || (slash = strrchr(from, '/')) == NULL)
		return xstrdup(path);
	if (asprintf(&full, "%.*s/%s", (int)(slash - from), from, path) ==
	    -1)
		fatal("asprintf");
	return full;
}

/*
 * Whom st (an included file's or a searched directory's) lets write:
 * NULL when only root or superd's own user can, else why it is refused.
 */
static const char *
include_unsafe(const struct parser *p, const struct stat *st, char *why,
    size_t whylen)
{
	if (st->st_uid != 0 && st->st_uid != p->p_euid) {
		(void)snprintf(why, whylen, "owned by uid %u, not by root or "
		    "superd's user: refused", (unsigned)st->st_uid);
		return why;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		(void)snprintf(why, whylen, "writable by its group or others "
		    "(mode %04o): refused; chmod go-w it",
		    (unsigned)(st->st_mode & 07777));
		return why;
	}
	return NULL;
}

/* Has the chain of files being read (p's and its includers') got st? */
static int
include_loops(const struct parser *p, const struct stat *st)
{
	int	 i;

	for (i = 0; i <= p->p_depth; i++)
		if (p->p_chain[i].fi_dev == st->st_dev &&
		    p->p_chain[i].fi_ino == st->st_ino)
			return 1;
	return 0;
}

/*
 * Was st read already in this load?  If not, it is now listed as read:
 * each file is read once a load, however many lines include it.
 */
static int
include_seen(struct parser *p, const struct stat *st)
{
	struct fileid	*v;
	size_t		 i;

	for (i = 0; i < p->p_nseen; i++)
		if (p->p_seen[i].fi_dev == st->st_dev &&
		    p->p_seen[i].fi_ino == st->st_ino)
			return 1;
	if ((v = reallocarray(p->p_seen, p->p_nseen + 1, sizeof(*v))) ==
	    NULL)
		fatal("reallocarray");
	v[p->p_nseen].fi_dev = st->st_dev;
	v[p->p_nseen].fi_ino = st->st_ino;
	p->p_seen = v;
	p->p_nseen++;
	return 0;
}

/*
 * An error of p's .include line about the file path: for an explicit
 * .include FILE, one of p's line (perr: in the named table it refuses the
 * table); for one match of a pattern, one of that file alone (logged as
 * an included file's error: that file is not read, the table is kept).
 */
static void
include_refuse(struct parser *p, int glob, const char *path, const char *why)
{
	if (glob)
		conf_entry_error(p->p_conf, p->p_file, p->p_line,
		    ".include %s: %s", path, why);
	else
		perr(p, p->p_line, ".include %s: %s", path, why);
}

/*
 * Read the file path (its name in messages too) as part of the table,
 * with a parser of its own, entries handed to fn; any failure to read it
 * is an error of p's .include line (include_refuse: glob, a pattern's
 * match, refuses that file alone).
 */
static void
include_file(struct parser *p, const char *path, conf_entry_fn *fn, int glob)
{
	struct parser	 q;
	struct stat	 st;
	char		 why[PATH_MAX + 128], *buf;
	size_t		 len;
	FILE		*fp;

	if (p->p_nopen >= INC_MAXFILES) {
		/* one error says it; what is past it is not read either */
		(void)snprintf(why, sizeof(why), "more than %d files opened "
		    "for .include in one table: it and the rest not read",
		    INC_MAXFILES);
		if (p->p_nopen++ == INC_MAXFILES)
			include_refuse(p, glob, path, why);
		return;
	}
	p->p_nopen++;
	if ((fp = conf_open(path, 1, &st, why, sizeof(why))) == NULL) {
		include_refuse(p, glob, path, why);
		return;
	}
	if (include_unsafe(p, &st, why, sizeof(why)) != NULL) {
		include_refuse(p, glob, path, why);
		fclose(fp);
		return;
	}
	if (include_loops(p, &st)) {
		include_refuse(p, glob, path,
		    "a loop: it is being read already");
		fclose(fp);
		return;
	}
	if (include_seen(p, &st)) {
		fclose(fp);	/* read already: once is enough */
		return;
	}
	buf = conf_slurp(fp, &len, why, sizeof(why));
	fclose(fp);
	if (buf == NULL) {
		include_refuse(p, glob, path, why);
		return;
	}
	conf_list_add(&p->p_conf->c_files, &p->p_conf->c_nfiles,
	    conf_abspath(path));
	q = *p;
	q.p_file = path;
	q.p_open = path;
	q.p_defhosts = xstrdup("*");
	q.p_line = 0;
	q.p_nerr_line = 0;
	q.p_xinetd = 0;
	q.p_incl = 1;
	q.p_depth = p->p_depth + 1;
	q.p_chain[q.p_depth].fi_dev = st.st_dev;
	q.p_chain[q.p_depth].fi_ino = st.st_ino;
	conf_read(&q, buf, len, fn);
	free(buf);
	free(q.p_defhosts);
	/* what the included file's parse cached and counted is p's again */
	p->p_uc = q.p_uc;
	p->p_seq = q.p_seq;
	p->p_seen = q.p_seen;
	p->p_nseen = q.p_nseen;
	p->p_nopen = q.p_nopen;
}

/*
 * A directory a pattern searches: listed in c_files (unless it is the
 * one listed last), and checked as an included file is.  -1 when it is
 * refused (an error of p's line); 0 when it is fine or does not exist.
 */
static int
include_dir(struct parser *p, const char *dir)
{
	struct conf	*c = p->p_conf;
	struct stat	 st;
	char		 why[128], *abs;
	int		 fd;

	abs = conf_abspath(dir);
	if (c->c_nfiles > 0 && strcmp(c->c_files[c->c_nfiles - 1], abs) == 0)
		free(abs);
	else
		conf_list_add(&c->c_files, &c->c_nfiles, abs);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if (fstat(fd, &st) == -1)
		(void)snprintf(why, sizeof(why), "%s", strerror(errno));
	else if (include_unsafe(p, &st, why, sizeof(why)) == NULL) {
		close(fd);
		return 0;
	}
	perr(p, p->p_line, ".include: directory %s: %s", dir, why);
	close(fd);
	return -1;
}

/* glob(3)'s word on a directory it could not read: a missing one is none. */
static int
include_globerr(const char *path, int e)
{
	(void)path;
	if (e == ENOENT || e == ENOTDIR)
		return 0;
	inc_globerr = e;
	return 1;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory part of path ("." for none), allocated. */
static char *
dir_of(const char *path)
{
	const char	*slash = strrchr(path, '/');
	char		*d;

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	if ((d = strndup(path, slash - path)) == NULL)
		fatal("strndup");
	return d;
}

/*
 * A pattern: each match read in C-locale order, each directory searched
 * checked first (a refused one: its matches are not read).
 */
static void
include_glob(struct parser *p, const char *pattern, conf_entry_fn *fn)
{
	glob_t		 g;
	char		*dir, *last = NULL;
	size_t		 i;
	int		 rc, bad = 0;

	dir = dir_of(pattern);
	if (strpbrk(dir, "*?[") == NULL && include_dir(p, dir) == -1) {
		free(dir);
		return;
	}
	last = dir;
	inc_globerr = 0;
	memset(&g, 0, sizeof(g));
	rc = glob(pattern, GLOB_NOSORT, include_globerr, &g);
	if (rc == GLOB_NOSPACE)
		fatal("glob");
	if (rc == GLOB_ABORTED) {
		perr(p, p->p_line, ".include %s: %s", pattern,
		    strerror(inc_globerr != 0 ? inc_globerr : EIO));
		globfree(&g);
		free(last);
		return;
	}
	if (rc == 0)
		qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), path_cmp);
	if (rc == 0 && g.gl_pathc > INC_MAXMATCH)
		conf_entry_error(p->p_conf, p->p_file, p->p_line,
		    ".include %s: %zu matches: only the first %d read",
		    pattern, g.gl_pathc, INC_MAXMATCH);
	for (i = 0; rc == 0 && i < g.gl_pathc && i < INC_MAXMATCH &&
	    p->p_nopen < INC_MAXFILES + 1; i++) {
		dir = dir_of(g.gl_pathv[i]);
		if (strcmp(dir, last) != 0) {
			free(last);
			last = dir;
			bad = include_dir(p, dir) == -1;
		} else
			free(dir);
		if (!bad)
			include_file(p, g.gl_pathv[i], fn, 1);
	}
	free(last);
	globfree(&g);
}

/*
 * An ".include PATH" line (its fields f, nf of them) in the file p is
 * reading: the file or the pattern's matches read here, their entries
 * handed to fn as the table's own.
 */
void
conf_include(struct parser *p, char **f, int nf, conf_entry_fn *fn)
{
	char	*path;

	if (nf != 2 || f[1][0] == '\0') {
		perr(p, p->p_line, "expected \".include PATH\": one file or "
		    "pattern (quote a path with blanks)");
		return;
	}
	if (p->p_depth >= CONF_MAXDEPTH) {
		perr(p, p->p_line, ".include %s: nested deeper than %d "
		    "levels", f[1], CONF_MAXDEPTH);
		return;
	}
	if (inc_confined != NULL && strchr(f[1], '/') != NULL) {
		perr(p, p->p_line, ".include %s: only a name is read here",
		    f[1]);
		return;
	}
	if (inc_confined != NULL) {
		if (asprintf(&path, "%s/%s", inc_confined, f[1]) == -1)
			fatal("asprintf");
	} else
		path = include_path(p->p_open, f[1]);
	if (strpbrk(path, "*?[") != NULL)
		include_glob(p, path, fn);
	else
		include_file(p, path, fn, 0);
	free(path);
}
