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
	tab_tell(tp);
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
	tab_tell(tp);
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
	tab_tell(tp);
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
