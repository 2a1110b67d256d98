/*
 * tabxinetd.c: supertab import-xinetd FILE|DIR..., superd table lines
 * for xinetd's files on standard output.
 *
 * A file is read as xinetd reads /etc/xinetd.conf (xiparse.c), its
 * include and includedir lines followed where they stand, at most
 * XI_DEPTH deep and each file once; a directory is read as includedir
 * reads one: its files in the C locale's order, those whose names hold a
 * dot or end in a tilde skipped.  The defaults blocks of everything read
 * apply to every service, which xiconv.c makes into a line.  Each line
 * comes after a comment naming its service by FILE:LINE and a comment
 * for each attribute it could not carry over; a disabled service's line
 * is disabled the way supertab disable writes it, so supertab enable
 * turns it on.  Every line is checked by superd's own parser (with the
 * lines before it, so that two services on one port are seen): one that
 * does not pass is printed commented out, under superd's reason.  Exit
 * status: 0, or 1 when a file could not be read or parsed or a line did
 * not pass; whatever could be converted is printed either way.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "tab.h"

#define XI_DEPTH	8	/* include within include, at most */
#define XI_BANNER_MAX	4096	/* a banner_fail file, read at most */
#define OFF_MARKER	"#<off># "

/* Everything read: the files, and which (device, inode) were. */
struct xiset {
	struct xifile	*xs_files;
	size_t		 xs_nfiles;
	dev_t		*xs_dev;
	ino_t		*xs_ino;
	size_t		 xs_nseen;
	int		 xs_failed;
};

static void	read_path(struct xiset *, const char *, int, int);

/* /etc/services' port for name over proto, or -1. */
static int
hook_port(const char *name, const char *proto)
{
	struct servent	*se;

	if ((se = getservbyname(name, proto)) == NULL)
		return -1;
	return ntohs((in_port_t)se->s_port);
}

/* A banner_fail file's text, from a regular file, or NULL. */
static char *
hook_banner(const char *path, size_t *lenp)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
	    O_NOFOLLOW)) == -1)
		return NULL;
	/*
	 * Only a file anyone may read, owned by root or the importer: its
	 * text goes to every refused client, and the importer is often
	 * root, who could read any file an xinetd file names.
	 */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & S_IROTH) == 0 ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (buf = malloc(XI_BANNER_MAX + 1)) == NULL) {
		(void)close(fd);
		return NULL;
	}
	n = read(fd, buf, XI_BANNER_MAX + 1);
	(void)close(fd);
	if (n == -1) {
		free(buf);
		return NULL;
	}
	*lenp = (size_t)n;
	return buf;
}

/* Has this file been read already?  If not, it is now. */
static int
seen(struct xiset *xs, const struct stat *st)
{
	size_t	 i;

	for (i = 0; i < xs->xs_nseen; i++)
		if (xs->xs_dev[i] == st->st_dev && xs->xs_ino[i] == st->st_ino)
			return 1;
	if ((xs->xs_dev = reallocarray(xs->xs_dev, xs->xs_nseen + 1,
	    sizeof(dev_t))) == NULL ||
	    (xs->xs_ino = reallocarray(xs->xs_ino, xs->xs_nseen + 1,
	    sizeof(ino_t))) == NULL)
		err(1, "reallocarray");
	xs->xs_dev[xs->xs_nseen] = st->st_dev;
	xs->xs_ino[xs->xs_nseen++] = st->st_ino;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* includedir: the directory's files, in order, skipping *.* and *~. */
static void
read_dir(struct xiset *xs, const char *path, int depth)
{
	struct dirent	*de;
	DIR		*d;
	char		**names = NULL, *p;
	size_t		 n = 0, i, len;

	if ((d = opendir(path)) == NULL) {
		warn("%s", path);
		xs->xs_failed = 1;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strchr(de->d_name, '.') != NULL || len == 0 ||
		    de->d_name[len - 1] == '~')
			continue;
		if ((names = reallocarray(names, n + 1, sizeof(char *))) ==
		    NULL || (names[n++] = strdup(de->d_name)) == NULL)
			err(1, "strdup");
	}
	(void)closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(char *), name_cmp);
	for (i = 0; i < n; i++) {
		if (asprintf(&p, "%s/%s", path, names[i]) == -1)
			err(1, "asprintf");
		read_path(xs, p, depth, 0);
		free(p);
		free(names[i]);
	}
	free(names);
}

/* A file, or with dir_ok a directory, and what it includes. */
static void
read_path(struct xiset *xs, const char *path, int depth, int dir_ok)
{
	struct xifile	*f;
	struct stat	 st;
	size_t		 len, i, n;
	char		*text;
	int		 fd;

	if (depth > XI_DEPTH) {
		warnx("%s: included more than %d deep, not read", path,
		    XI_DEPTH);
		xs->xs_failed = 1;
		return;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1 ||
	    fstat(fd, &st) == -1) {
		warn("%s", path);
		xs->xs_failed = 1;
		if (fd != -1)
			(void)close(fd);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		(void)close(fd);
		if (!dir_ok) {
			/* xinetd skips what is not a file in includedir */
			return;
		}
		if (!seen(xs, &st))
			read_dir(xs, path, depth + 1);
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		warnx("%s: not a regular file", path);
		xs->xs_failed = 1;
		return;
	}
	if (seen(xs, &st)) {
		(void)close(fd);
		return;
	}
	text = read_all(fd, path, &len);
	(void)close(fd);
	if ((xs->xs_files = reallocarray(xs->xs_files, xs->xs_nfiles + 1,
	    sizeof(*f))) == NULL)
		err(1, "reallocarray");
	f = &xs->xs_files[xs->xs_nfiles];
	memset(f, 0, sizeof(*f));
	if (xi_parse(f, path, text, len) > 0) {
		for (i = 0; i < f->xf_nerr; i++) {
			fputs("supertab: ", stderr);
			log_vis(stderr, f->xf_err[i]);
			fputc('\n', stderr);
		}
		xs->xs_failed = 1;
	}
	free(text);
	n = ++xs->xs_nfiles - 1;
	/* follow includes where they stand: f may move as files are added */
	for (i = 0; i < xs->xs_files[n].xf_nblk; i++) {
		const struct xiblock *b = &xs->xs_files[n].xf_blk[i];

		if (b->xb_kind == XI_INCLUDE)
			read_path(xs, b->xb_name, depth + 1, 0);
		else if (b->xb_kind == XI_INCLUDEDIR)
			read_path(xs, b->xb_name, depth + 1, 1);
	}
}

/* The service's id = attribute, when it is not its name. */
static const char *
xi_id(const struct xiblock *b)
{
	size_t	 i;

	for (i = 0; i < b->xb_nattr; i++)
		if (strcmp(b->xb_attr[i].xa_name, "id") == 0 &&
		    b->xb_attr[i].xa_nval > 0 &&
		    strcmp(b->xb_attr[i].xa_val[0], b->xb_name) != 0)
			return b->xb_attr[i].xa_val[0];
	return NULL;
}

/* Print each note of xl as a comment line. */
static void
print_notes(const struct xiline *xl)
{
	size_t	 i;

	for (i = 0; i < xl->xl_nnote; i++) {
		fputs("#   ", stdout);
		log_vis(stdout, xl->xl_note[i]);
		fputc('\n', stdout);
	}
}

/*
 * superd's parser on the accepted lines and this one: its first error
 * about this line (the last, line n), or NULL when it passes.
 */
static char *
check_line(const char *accepted, size_t alen, const char *line, size_t n)
{
	struct conf	*c;
	FILE		*fp;
	char		*text, *msg = NULL, key[32];
	size_t		 len, i;

	len = alen + strlen(line) + 1;
	if ((text = malloc(len + 1)) == NULL)
		err(1, "malloc");
	if (alen > 0)
		memcpy(text, accepted, alen);
	(void)snprintf(text + alen, len + 1 - alen, "%s\n", line);
	if ((fp = fmemopen(text, len, "r")) == NULL)
		err(1, "fmemopen");
	c = conf_load("import", fp);
	(void)fclose(fp);
	(void)snprintf(key, sizeof(key), "import:%zu: ", n);
	for (i = 0; c != NULL && i < c->c_nerrors && msg == NULL; i++)
		if (strncmp(c->c_errors[i], key, strlen(key)) == 0 &&
		    (msg = strdup(c->c_errors[i] + strlen(key))) == NULL)
			err(1, "strdup");
	if (c == NULL && (msg = strdup("the table could not be read")) ==
	    NULL)
		err(1, "strdup");
	if (c != NULL)
		conf_free(c);
	free(text);
	return msg;
}

/*
 * superd's "line N" in a message is the Nth accepted line: say whose it
 * is instead, the service's FILE:LINE in from[N - 1].
 */
static char *
name_lines(char *msg, char **from, size_t nfrom)
{
	char	*p, *q, *out;
	long	 n;

	if ((p = strstr(msg, "line ")) == NULL ||
	    (n = strtol(p + 5, &q, 10)) < 1 || (size_t)n > nfrom || q == p + 5)
		return msg;
	if (asprintf(&out, "%.*s%s%s", (int)(p - msg), msg, from[n - 1],
	    q) == -1)
		err(1, "asprintf");
	free(msg);
	return out;
}

int
cmd_import_xinetd(char **paths, int npaths)
{
	static const struct xihooks hooks = { hook_port, hook_banner };
	struct xiset		 xs;
	struct xiline		 xl;
	const struct xiblock	**defs = NULL, *b;
	char			*accepted = NULL, *why, *text, **from = NULL;
	const char		*id;
	size_t			 ndefs = 0, alen = 0, nlines = 0, i, j;
	int			 k;

	memset(&xs, 0, sizeof(xs));
	for (k = 0; k < npaths; k++)
		read_path(&xs, paths[k], 0, 1);
	for (i = 0; i < xs.xs_nfiles; i++)
		for (j = 0; j < xs.xs_files[i].xf_nblk; j++)
			if (xs.xs_files[i].xf_blk[j].xb_kind == XI_DEFAULTS) {
				if ((defs = reallocarray(defs, ndefs + 1,
				    sizeof(*defs))) == NULL)
					err(1, "reallocarray");
				defs[ndefs++] = &xs.xs_files[i].xf_blk[j];
			}
	printf("# superd table lines made by supertab import-xinetd from "
	    "xinetd's files.\n"
	    "# superd does not read /etc/hosts.allow and /etc/hosts.deny "
	    "as xinetd's\n# libwrap does: run tcpd as a service's program to "
	    "keep them.\n");
	for (i = 0; i < ndefs; i++) {
		memset(&xl, 0, sizeof(xl));
		xi_defaults_notes(defs[i], &xl);
		if (xl.xl_nnote > 0) {
			fputs("\n# ", stdout);
			log_vis(stdout, defs[i]->xb_file);
			printf(":%d: defaults\n", defs[i]->xb_line);
			print_notes(&xl);
		}
		xi_line_free(&xl);
	}
	for (i = 0; i < xs.xs_nfiles; i++)
		for (j = 0; j < xs.xs_files[i].xf_nblk; j++) {
			b = &xs.xs_files[i].xf_blk[j];
			if (b->xb_kind != XI_SERVICE)
				continue;
			memset(&xl, 0, sizeof(xl));
			xi_convert(defs, ndefs, b, &hooks, &xl);
			fputs("\n# ", stdout);
			log_vis(stdout, b->xb_file);
			printf(":%d: service ", b->xb_line);
			log_vis(stdout, b->xb_name);
			if ((id = xi_id(b)) != NULL) {
				fputs(" (id ", stdout);
				log_vis(stdout, id);
				fputc(')', stdout);
			}
			if (xl.xl_disabled)
				fputs(", disabled", stdout);
			fputc('\n', stdout);
			print_notes(&xl);
			if (xl.xl_line == NULL) {
				xi_line_free(&xl);
				continue;
			}
			/* a disabled line is checked alone */
			why = xl.xl_disabled ? check_line("", 0, xl.xl_line,
			    1) : check_line(accepted, alen, xl.xl_line,
			    nlines + 1);
			if (why == NULL && xl.xl_held) {
				printf("# %s\n", xl.xl_line);
				xs.xs_failed = 1;
			} else if (why != NULL) {
				why = name_lines(why, from, nlines);
				fputs("#   superd -t: ", stdout);
				log_vis(stdout, why);
				printf("\n# %s\n", xl.xl_line);
				xs.xs_failed = 1;
				free(why);
			} else if (xl.xl_disabled)
				printf("%s%s\n", OFF_MARKER, xl.xl_line);
			else {
				printf("%s\n", xl.xl_line);
				if (asprintf(&text, "%s%s\n", accepted != NULL ?
				    accepted : "", xl.xl_line) == -1)
					err(1, "asprintf");
				free(accepted);
				accepted = text;
				alen = strlen(text);
				if ((from = reallocarray(from, nlines + 1,
				    sizeof(char *))) == NULL ||
				    asprintf(&from[nlines], "the line of %s:%d",
				    b->xb_file, b->xb_line) == -1)
					err(1, "asprintf");
				nlines++;
			}
			xi_line_free(&xl);
		}
	for (i = 0; i < nlines; i++)
		free(from[i]);
	free(from);
	free(accepted);
	free(defs);
	for (i = 0; i < xs.xs_nfiles; i++)
		xi_free(&xs.xs_files[i]);
	free(xs.xs_files);
	free(xs.xs_dev);
	free(xs.xs_ino);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return xs.xs_failed ? 1 : 0;
}
