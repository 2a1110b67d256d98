/*
 * supertab: edit a superd service table the way crontab(1) and visudo(8)
 * edit theirs.
 *
 * Every change is checked by superd's own parser (conf.c) on the whole
 * table as it would be written, and refused for any error it adds (not
 * for those the table already had: tabcheck.c), so supertab never makes a
 * table worse than superd would accept.  A change holds an exclusive
 * flock(2) on the table (waiting up to 10 s), writes a temporary file
 * beside it with the table's mode and owner, and renames it over the
 * table: a reader sees the old table or the new one, never half of one,
 * and nothing is left beside it.  A table that is a symbolic link is
 * resolved once, at start, and its target is what is locked, read and
 * replaced (the link stays a link); from then on the last component is
 * opened with O_NOFOLLOW, and a link to nothing is an error, never a new
 * file.  Only a regular file of at most CONF_MAXSIZE bytes is a table.
 * Comments, blank lines, odd spacing and order are kept byte for byte;
 * only the lines of the entry named change.  A disabled entry is commented
 * out with "#<off># ", the marker of Debian's update-inetd.
 *
 * Exit status: 0 done (or nothing to do), 1 refused (the table is
 * untouched, byte for byte), 2 usage.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "tab.h"

#define OFF_MARKER	"#<off># "
#define LOCK_TRIES	100	/* of 100 ms: 10 s */
#define MAX_CANDIDATES	10	/* entries listed when a name is not one */

static void __attribute__((noreturn))
usage(int help)
{
	fprintf(help ? stdout : stderr,
	    "usage: supertab [-f table] [-p pidfile] list\n"
	    "       supertab [-f table] [-p pidfile] add 'LINE'\n"
	    "       supertab [-f table] [-p pidfile] remove|enable|disable "
	    "SERVICE\n"
	    "       supertab [-f table] [-p pidfile] edit\n"
	    "       supertab [-f table] check\n"
	    "       supertab -h\n");
	exit(help ? 0 : EXIT_USAGE);
}

/*
 * The file a change works on: the table's path with every symbolic link
 * resolved, so that the link stays a link and its target is edited.  A
 * table that does not exist yet (add creates it) is named by its
 * resolved folder; a link that leads nowhere is an error.
 */
static void
table_resolve(struct tabpath *tp)
{
	struct stat	 st;
	char		*d, *b, *dir;

	if (lstat(tp->tp_path, &st) == 0) {
		if ((tp->tp_real = realpath(tp->tp_path, NULL)) == NULL) {
			if (S_ISLNK(st.st_mode) && errno == ENOENT)
				errx(1, "%s: symbolic link to nothing; "
				    "create its target first", tp->tp_path);
			err(1, "%s", tp->tp_path);
		}
		return;
	}
	if (errno != ENOENT)
		err(1, "%s", tp->tp_path);
	if ((d = strdup(tp->tp_path)) == NULL || (b = strdup(tp->tp_path)) ==
	    NULL)
		err(1, "strdup");
	if ((dir = realpath(dirname(d), NULL)) == NULL)
		err(1, "%s", tp->tp_path);
	if (asprintf(&tp->tp_real, "%s/%s", dir, basename(b)) == -1)
		err(1, "asprintf");
	free(dir);
	free(d);
	free(b);
}

static int
is_disabled(const char *line)
{
	return strncmp(line, "#<off>#", 7) == 0;
}

static const char *
strip_marker(const char *line)
{
	line += 7;
	return *line == ' ' ? line + 1 : line;
}

/* A copy of the line without a trailing CR, for the grammar. */
static char *
bare(const char *line)
{
	char	*s;
	size_t	 len;

	if ((s = strdup(line)) == NULL)
		err(1, "strdup");
	len = strlen(s);
	if (len > 0 && s[len - 1] == '\r')
		s[len - 1] = '\0';
	return s;
}

static void
add_entry(struct table *t, size_t first, int disabled, const char *text)
{
	struct tentry	*te;
	size_t		 n;

	/* Doubling: one reallocation per entry is quadratic in copies. */
	if (t->t_nentries == t->t_entcap) {
		n = t->t_entcap == 0 ? 16 : t->t_entcap * 2;
		te = reallocarray(t->t_entries, n, sizeof(*te));
		if (te == NULL)
			err(1, "reallocarray");
		t->t_entries = te;
		t->t_entcap = n;
	}
	te = &t->t_entries[t->t_nentries];
	te->te_first = te->te_last = first;
	te->te_disabled = disabled;
	while (*text == ' ' || *text == '\t')
		text++;
	n = strcspn(text, " \t");
	if ((te->te_field0 = strndup(text, n)) == NULL)
		err(1, "strndup");
	te->te_hosts = n > 0 && text[n - 1] == ':' &&
	    text[n + strspn(text + n, " \t\r")] == '\0';
	t->t_nentries++;
}

/* The grouping state of one grammar: an entry open, a backslash pending. */
struct group {
	int	 g_open;
	int	 g_bs;
};

/* Read one line (marker already stripped) into the entries of g. */
static void
group_line(struct table *t, size_t i, struct group *g, int disabled,
    const char *text)
{
	enum conf_line	 k;
	char		*b;

	b = bare(text);
	k = conf_line_kind(b, g->g_open, g->g_bs);
	if (k == CONF_LINE_ENTRY)
		add_entry(t, i, disabled, b);
	/* MORE comes only with an entry open: the count says so to scan-build */
	if ((k == CONF_LINE_ENTRY || k == CONF_LINE_MORE) &&
	    t->t_nentries > 0) {
		t->t_lines[i].tl_entry = t->t_nentries - 1;
		t->t_entries[t->t_nentries - 1].te_last = i;
		g->g_open = 1;
		g->g_bs = conf_line_joins(b);
	} else
		g->g_open = g->g_bs = 0;
	free(b);
}

/*
 * Group the lines into entries, enabled and disabled, with conf.c's own
 * rules: a disabled entry is read as if its marker were not there, and
 * is a comment to the enabled entries around it.
 */
static void
table_index(struct table *t)
{
	struct group	 en = { 0, 0 }, dis = { 0, 0 };
	size_t		 i;

	for (i = 0; i < t->t_nlines; i++) {
		const char	*text = t->t_lines[i].tl_text;

		t->t_lines[i].tl_entry = -1;
		if (is_disabled(text) && !en.g_bs) {
			en.g_open = 0;
			group_line(t, i, &dis, 1, strip_marker(text));
		} else {
			dis.g_open = dis.g_bs = 0;
			group_line(t, i, &en, 0, text);
		}
	}
}

/* Group the lines again, after a change to them. */
static void
table_reindex(struct table *t)
{
	size_t	 i;

	for (i = 0; i < t->t_nentries; i++)
		free(t->t_entries[i].te_field0);
	free(t->t_entries);
	t->t_entries = NULL;
	t->t_nentries = 0;
	t->t_entcap = 0;
	table_index(t);
}

/* Split raw bytes into lines; the table keeps the raw bytes too. */
static void
table_parse(struct table *t, char *raw, size_t len)
{
	size_t	 i, start = 0, n = 1;

	memset(t, 0, sizeof(*t));
	t->t_raw = raw;
	t->t_rawlen = len;
	t->t_final_nl = 1;
	for (i = 0; i < len; i++)
		n += raw[i] == '\n';
	if ((t->t_lines = calloc(n, sizeof(*t->t_lines))) == NULL)
		err(1, "calloc");
	for (i = 0; i <= len; i++) {
		if (i < len && raw[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if ((t->t_lines[t->t_nlines].tl_text = strndup(raw + start,
		    i - start)) == NULL)
			err(1, "strndup");
		t->t_nlines++;
		if (i == len)
			t->t_final_nl = 0;
		start = i + 1;
	}
	table_index(t);
}

static void
table_free(struct table *t)
{
	size_t	 i;

	for (i = 0; i < t->t_nlines; i++)
		free(t->t_lines[i].tl_text);
	free(t->t_lines);
	for (i = 0; i < t->t_nentries; i++)
		free(t->t_entries[i].te_field0);
	free(t->t_entries);
	free(t->t_raw);
}

/*
 * Read a whole table (or edit's copy, named path) from fd.  A read error
 * is an error, never the end of the table, and so is more than
 * CONF_MAXSIZE bytes: supertab never takes a table it could not read
 * whole for an empty one.
 */
static char *
read_all(int fd, const char *path, size_t *lenp)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;

	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				err(1, "realloc");
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "%s: read", path);
		}
		if (n == 0)
			break;
		len += n;
		if (len > CONF_MAXSIZE)
			errx(1, "%s: larger than %d MiB, not read", path,
			    CONF_MAXSIZE / (1024 * 1024));
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* The table as it would be written: lines joined with newlines. */
static char *
table_render(const struct table *t, size_t *lenp)
{
	char	*out, *p;
	size_t	 len = 0, i;

	for (i = 0; i < t->t_nlines; i++)
		len += strlen(t->t_lines[i].tl_text) + 1;
	if ((out = malloc(len + 1)) == NULL)
		err(1, "malloc");
	p = out;
	for (i = 0; i < t->t_nlines; i++) {
		size_t	 n = strlen(t->t_lines[i].tl_text);

		memcpy(p, t->t_lines[i].tl_text, n);
		p += n;
		if (i + 1 < t->t_nlines || t->t_final_nl)
			*p++ = '\n';
	}
	*p = '\0';
	*lenp = p - out;
	return out;
}

/*
 * Take the exclusive lock, waiting up to 10 s.  The table may be renamed
 * over while we wait: the lock counts only on the file the path names.
 * O_NONBLOCK: open(2) of a FIFO would wait for a writer; only a regular
 * file is a table.
 */
static int
lock_table(const struct tabpath *tp, int create, struct stat *st)
{
	struct stat	 cur;
	int		 fd, i;

	for (i = 0; i < LOCK_TRIES; i++) {
		fd = open(tp->tp_real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK | (create ? O_CREAT : 0), 0644);
		if (fd == -1)
			err(1, "%s", tp->tp_path);
		if (fstat(fd, st) == -1)
			err(1, "%s", tp->tp_path);
		if (!S_ISREG(st->st_mode))
			errx(1, "%s: not a regular file", tp->tp_path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (fstat(fd, st) == 0 && lstat(tp->tp_real, &cur) ==
			    0 && st->st_ino == cur.st_ino &&
			    st->st_dev == cur.st_dev)
				return fd;
			close(fd);
			continue;
		}
		if (errno != EWOULDBLOCK)
			err(1, "flock %s", tp->tp_path);
		close(fd);
		usleep(100000);
	}
	errx(1, "%s is locked by another edit; gave up after 10 s",
	    tp->tp_path);
}

/*
 * Replace the table by text: a temporary file beside it, with its mode
 * and owner, renamed over it.
 */
static void
write_table(const struct tabpath *tp, const char *text, size_t len,
    const struct stat *st)
{
	char	*dir, *base, *tmp, *d, *b;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if ((d = strdup(tp->tp_real)) == NULL || (b = strdup(tp->tp_real)) ==
	    NULL)
		err(1, "strdup");
	dir = dirname(d);
	base = basename(b);
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) == -1)
		err(1, "asprintf");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		err(1, "%s", tmp);
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += n;
	}
	if (fchmod(fd, st->st_mode & 07777) == -1)
		goto fail;
	if ((st->st_uid != geteuid() || st->st_gid != getegid()) &&
	    fchown(fd, st->st_uid, st->st_gid) == -1)
		goto fail;
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, tp->tp_real) == -1) {
		fd = -1;
		goto fail;
	}
	free(tmp);
	free(d);
	free(b);
	return;
fail:
	warn("writing %s", tp->tp_path);
	if (fd != -1)
		close(fd);
	unlink(tmp);
	exit(1);
}

/* -p: tell the running superd, proved to hold its pid file, to reread. */
static void
tell_superd(const struct tabpath *tp)
{
	if (tp->tp_pidfile != NULL)
		(void)tab_signal(tp->tp_pidfile);
}

/* The entry's lines joined, without markers and continuation marks. */
static char *
entry_text(const struct table *t, const struct tentry *te)
{
	char	*out = NULL, *b, *s, *j;
	size_t	 i;

	for (i = te->te_first; i <= te->te_last; i++) {
		const char *l = t->t_lines[i].tl_text;

		b = bare(te->te_disabled ? strip_marker(l) : l);
		if (conf_line_joins(b)) {
			size_t	 n = strlen(b) - 1;

			while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t'))
				n--;
			b[n] = '\0';
		}
		for (s = b; *s == ' ' || *s == '\t'; s++)
			;
		if (out == NULL)
			j = strdup(s);
		else if (asprintf(&j, "%s %s", out, s) == -1)
			j = NULL;
		if (j == NULL)
			err(1, "asprintf");
		free(out);
		free(b);
		out = j;
	}
	return out;
}

/* The service part of a first field: "7001" of "127.0.0.1:7001". */
static const char *
service_part(const char *field0)
{
	const char	*colon;

	if (field0[0] == '/')
		return field0;
	colon = conf_hosts_colon(field0);
	return colon != NULL ? colon + 1 : field0;
}

/*
 * The entries in state want (0 enabled, 1 disabled, -1 either) that NAME
 * names: by first field exactly, or else by service part.  Returns how
 * many; the first is stored in *first.
 */
static size_t
match_entries(struct table *t, const char *name, int want,
    struct tentry **first)
{
	struct tentry	*te;
	size_t		 i, n = 0, pass;

	*first = NULL;
	for (pass = 0; pass < 2 && n == 0; pass++)
		for (i = 0; i < t->t_nentries; i++) {
			te = &t->t_entries[i];
			if (te->te_hosts ||
			    (want != -1 && te->te_disabled != want))
				continue;
			if (strcmp(pass == 0 ? te->te_field0 :
			    service_part(te->te_field0), name) != 0)
				continue;
			if (n++ == 0)
				*first = te;
		}
	return n;
}

/*
 * NAME matched n entries, not one: say so, with the candidates, the
 * first MAX_CANDIDATES of them (a name that matches nothing in a table of
 * 60,000 entries would list them all) and how many more there are.
 */
static void __attribute__((noreturn))
no_single_match(const struct tabpath *tp, struct table *t, const char *name,
    int want, size_t n)
{
	struct tentry	*te;
	size_t		 i, shown = 0, more = 0;
	char		*text;

	fprintf(stderr, "supertab: %s has %s%s entry named \"", tp->tp_path,
	    n == 0 ? "no" : "more than one",
	    want == 0 ? " enabled" : want == 1 ? " disabled" : "");
	log_vis(stderr, name);
	fprintf(stderr, "\"; candidates:\n");
	for (i = 0; i < t->t_nentries; i++) {
		te = &t->t_entries[i];
		if (te->te_hosts || (want != -1 && te->te_disabled != want))
			continue;
		if (n > 0 && strcmp(te->te_field0, name) != 0 &&
		    strcmp(service_part(te->te_field0), name) != 0)
			continue;
		if (shown == MAX_CANDIDATES) {
			more++;
			continue;
		}
		text = entry_text(t, te);
		fprintf(stderr, "  %zu %s ", te->te_first + 1,
		    te->te_disabled ? "disabled" : "enabled");
		log_vis(stderr, text);
		fputc('\n', stderr);
		free(text);
		shown++;
	}
	if (more > 0)
		fprintf(stderr, "  and %zu more\n", more);
	exit(1);
}

static void
replace_line(struct table *t, size_t i, char *text)
{
	free(t->t_lines[i].tl_text);
	t->t_lines[i].tl_text = text;
}

/* Check the changed table against the old one, then install it. */
static void
commit(const struct tabpath *tp, struct table *t, const struct stat *st,
    const char *what)
{
	char	*text;
	size_t	 len;

	text = table_render(t, &len);
	if (tab_check(tp->tp_path, text, len, t->t_raw, t->t_rawlen) > 0) {
		fprintf(stderr, "supertab: %s refused; %s is unchanged\n",
		    what, tp->tp_path);
		exit(1);
	}
	write_table(tp, text, len, st);
	free(text);
}

static int
cmd_list(const struct tabpath *tp)
{
	struct table	 t;
	struct stat	 st;
	size_t		 len, i;
	char		*raw, *text;
	int		 fd;

	fd = lock_table(tp, 0, &st);
	raw = read_all(fd, tp->tp_path, &len);
	close(fd);
	table_parse(&t, raw, len);
	for (i = 0; i < t.t_nentries; i++) {
		if (t.t_entries[i].te_hosts)
			continue;
		text = entry_text(&t, &t.t_entries[i]);
		printf("%zu %s ", t.t_entries[i].te_first + 1,
		    t.t_entries[i].te_disabled ? "disabled" : "enabled");
		log_vis(stdout, text);
		putchar('\n');
		free(text);
	}
	table_free(&t);
	return 0;
}

static int
cmd_add(const struct tabpath *tp, const char *line)
{
	struct table	 t;
	struct tentry	*te;
	struct stat	 st;
	size_t		 len;
	char		*raw, *b;
	int		 fd;

	b = bare(line);
	if (strchr(line, '\n') != NULL || line[0] == ' ' || line[0] == '\t' ||
	    conf_line_kind(b, 0, 0) != CONF_LINE_ENTRY ||
	    conf_line_joins(b)) {
		fprintf(stderr, "supertab: add takes one entry on one line, "
		    "its first field at the start of the line\n");
		free(b);
		return 1;
	}
	free(b);
	fd = lock_table(tp, 1, &st);
	raw = read_all(fd, tp->tp_path, &len);
	table_parse(&t, raw, len);
	t.t_final_nl = 1;
	t.t_lines = reallocarray(t.t_lines, t.t_nlines + 1,
	    sizeof(*t.t_lines));
	if (t.t_lines == NULL || (t.t_lines[t.t_nlines].tl_text =
	    strdup(line)) == NULL)
		err(1, "add");
	t.t_nlines++;
	/* The line must read as an entry of its own, as superd will read it. */
	table_reindex(&t);
	if (t.t_lines[t.t_nlines - 1].tl_entry < 0 || t.t_entries == NULL)
		errx(1, "add: the line reads as no entry");
	te = &t.t_entries[t.t_lines[t.t_nlines - 1].tl_entry];
	if (te->te_first != t.t_nlines - 1) {
		fprintf(stderr, "supertab: add refused; line %zu ends in a "
		    "backslash, so the line would become part of the entry "
		    "at line %zu; %s is unchanged\n", t.t_nlines - 1,
		    te->te_first + 1, tp->tp_path);
		table_free(&t);
		close(fd);
		return 1;
	}
	if (te->te_hosts) {
		fprintf(stderr, "supertab: add refused; \"");
		log_vis(stderr, te->te_field0);
		fprintf(stderr, "\" sets the default hosts of the lines "
		    "after it, it is not an entry; %s is unchanged\n",
		    tp->tp_path);
		table_free(&t);
		close(fd);
		return 1;
	}
	commit(tp, &t, &st, "add");
	printf("added line %zu: ", t.t_nlines);
	log_vis(stdout, line);
	putchar('\n');
	table_free(&t);
	close(fd);
	tell_superd(tp);
	return 0;
}

static int
cmd_change(const struct tabpath *tp, const char *cmd, const char *name)
{
	struct table	 t;
	struct tentry	*te;
	struct stat	 st;
	size_t		 len, i, first, last, n;
	char		*raw, *s, *what;
	int		 fd, want;

	want = strcmp(cmd, "enable") == 0 ? 1 : strcmp(cmd, "disable") == 0 ?
	    0 : -1;
	fd = lock_table(tp, 0, &st);
	raw = read_all(fd, tp->tp_path, &len);
	table_parse(&t, raw, len);
	if ((n = match_entries(&t, name, want, &te)) != 1) {
		/* enabling an enabled entry (or the reverse) changes nothing */
		if (n == 0 && want != -1 &&
		    match_entries(&t, name, !want, &te) == 1) {
			log_vis(stdout, name);
			printf(" is already %sd\n", cmd);
			close(fd);
			return 0;
		}
		no_single_match(tp, &t, name, want, n);
	}
	first = te->te_first;
	last = te->te_last;
	what = entry_text(&t, te);
	if (strcmp(cmd, "remove") == 0) {
		for (i = first; i <= last; i++)
			free(t.t_lines[i].tl_text);
		memmove(&t.t_lines[first], &t.t_lines[last + 1],
		    (t.t_nlines - last - 1) * sizeof(*t.t_lines));
		t.t_nlines -= last - first + 1;
	} else if (want == 1) {
		for (i = first; i <= last; i++)
			replace_line(&t, i, strdup(strip_marker(
			    t.t_lines[i].tl_text)));
	} else {
		for (i = first; i <= last; i++) {
			if (asprintf(&s, "%s%s", OFF_MARKER,
			    t.t_lines[i].tl_text) == -1)
				err(1, "asprintf");
			replace_line(&t, i, s);
		}
	}
	for (i = 0; i < t.t_nlines; i++)
		if (t.t_lines[i].tl_text == NULL)
			err(1, "strdup");
	commit(tp, &t, &st, cmd);
	printf("%sd line %zu: ", strcmp(cmd, "remove") == 0 ? "remove" :
	    cmd, first + 1);
	log_vis(stdout, what);
	putchar('\n');
	free(what);
	table_free(&t);
	close(fd);
	tell_superd(tp);
	return 0;
}

/* $SUPERTAB_EDITOR on path, through sh so that it may hold arguments. */
static int
run_editor(const char *path)
{
	pid_t		 pid;
	int		 st;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $SUPERTAB_EDITOR \"$1\"",
		    "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			err(1, "waitpid");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int
ask_again(void)
{
	char	 buf[16];
	FILE	*tty;

	if (!isatty(STDIN_FILENO) || (tty = fopen("/dev/tty", "r+e")) == NULL)
		return 0;
	fprintf(tty, "Edit again? [y/N] ");
	fflush(tty);
	if (fgets(buf, sizeof(buf), tty) == NULL)
		buf[0] = '\0';
	fclose(tty);
	return buf[0] == 'y' || buf[0] == 'Y';
}

/*
 * edit: the editor works on a copy, with no lock held.  A valid copy is
 * installed unless the table changed meanwhile; then, or when the copy
 * is not valid and there is no terminal to ask on, the copy is kept and
 * its path printed, so no one's change is lost.
 */
static int
cmd_edit(const struct tabpath *tp)
{
	struct stat	 st;
	char		*before, *after, *now, *tmp;
	const char	*editor, *tmpdir;
	size_t		 blen, alen, nlen, off;
	ssize_t		 n;
	int		 fd, cfd;

	fd = lock_table(tp, 0, &st);
	before = read_all(fd, tp->tp_path, &blen);
	close(fd);
	/* the copy, mode 0600 (mkostemp), in $TMPDIR when that is a path */
	if ((tmpdir = getenv("TMPDIR")) == NULL || tmpdir[0] != '/')
		tmpdir = "/tmp";
	if (asprintf(&tmp, "%s/supertab.XXXXXX", tmpdir) == -1)
		err(1, "asprintf");
	if ((cfd = mkostemp(tmp, O_CLOEXEC)) == -1)
		err(1, "%s", tmp);
	for (off = 0; off < blen; off += n)
		if ((n = write(cfd, before + off, blen - off)) == -1 &&
		    errno != EINTR)
			err(1, "%s", tmp);
		else if (n == -1)
			n = 0;
	if (close(cfd) == -1)
		err(1, "%s", tmp);
	if ((editor = getenv("VISUAL")) == NULL || *editor == '\0')
		if ((editor = getenv("EDITOR")) == NULL || *editor == '\0')
			editor = "vi";
	setenv("SUPERTAB_EDITOR", editor, 1);
	for (;;) {
		if (run_editor(tmp) == -1) {
			fprintf(stderr, "supertab: the editor failed; %s is "
			    "unchanged, the copy is kept at %s\n", tp->tp_path,
			    tmp);
			free(before);
			free(tmp);
			return 1;
		}
		if ((cfd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK)) == -1)
			err(1, "%s", tmp);
		after = read_all(cfd, tmp, &alen);
		close(cfd);
		if (alen == blen && memcmp(before, after, blen) == 0) {
			printf("no changes\n");
			unlink(tmp);
			free(before);
			free(after);
			free(tmp);
			return 0;
		}
		if (tab_check(tp->tp_path, after, alen, before, blen) == 0)
			break;
		free(after);
		if (!ask_again()) {
			fprintf(stderr, "supertab: edit abandoned; %s is "
			    "unchanged, the copy is kept at %s\n", tp->tp_path,
			    tmp);
			free(before);
			free(tmp);
			return 1;
		}
	}
	fd = lock_table(tp, 0, &st);
	now = read_all(fd, tp->tp_path, &nlen);
	if (nlen != blen || memcmp(now, before, blen) != 0) {
		fprintf(stderr, "supertab: %s changed while you edited; your "
		    "edit was not installed and is kept at %s\n", tp->tp_path,
		    tmp);
		free(before);
		free(after);
		free(now);
		free(tmp);
		close(fd);
		return 1;
	}
	write_table(tp, after, alen, &st);
	close(fd);
	unlink(tmp);
	free(before);
	free(after);
	free(now);
	free(tmp);
	printf("installed the edited table\n");
	tell_superd(tp);
	return 0;
}

static int
cmd_check(const struct tabpath *tp)
{
	struct conf	*c;
	size_t		 i, n;

	c = conf_load(tp->tp_path, NULL);
	for (i = 0; i < c->c_nerrors; i++) {
		log_vis(stderr, c->c_errors[i]);
		fputc('\n', stderr);
	}
	n = c->c_nerrors;
	conf_free(c);
	return n > 0 ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	struct tabpath	 tp = { SUPERD_CONF, NULL, NULL };
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "f:p:h")) != -1) {
		switch (ch) {
		case 'f':
			tp.tp_path = optarg;
			break;
		case 'p':
			tp.tp_pidfile = optarg;
			break;
		case 'h':
			usage(1);
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(0);
	if (strcmp(argv[0], "check") == 0 && argc == 1)
		return cmd_check(&tp);
	if (strcmp(argv[0], "list") == 0 && argc == 1) {
		table_resolve(&tp);
		rc = cmd_list(&tp);
	} else if (strcmp(argv[0], "edit") == 0 && argc == 1) {
		table_resolve(&tp);
		rc = cmd_edit(&tp);
	} else if (strcmp(argv[0], "add") == 0 && argc == 2) {
		table_resolve(&tp);
		rc = cmd_add(&tp, argv[1]);
	} else if ((strcmp(argv[0], "remove") == 0 ||
	    strcmp(argv[0], "enable") == 0 ||
	    strcmp(argv[0], "disable") == 0) && argc == 2) {
		table_resolve(&tp);
		rc = cmd_change(&tp, argv[0], argv[1]);
	} else
		usage(0);
	free(tp.tp_real);
	return rc;
}
