/*
 * supertab: edit a superd service table the way crontab(1) and visudo(8)
 * edit theirs.  This file is usage, main() and the commands list, add,
 * remove, enable, disable and check; edit is tabedit.c's, import-xinetd
 * tabxinetd.c's.
 *
 * Every change is checked by superd's own parser (conf.c) on the whole
 * table as it would be written, and refused for any error it adds (not
 * for those the table already had: tabcheck.c), so supertab never makes a
 * table worse than superd would accept.  A change holds an exclusive lock
 * on the table and replaces it whole by a rename (tabio.c): a reader sees
 * the old table or the new one, never half of one.  Comments, blank
 * lines, odd spacing and order are kept byte for byte; only the lines of
 * the entry named change (tabmodel.c).  A disabled entry is commented out
 * with "#<off># ", the marker of Debian's update-inetd.  With -p the
 * running superd is told to reread the table (tabsignal.c).
 *
 * Exit status: 0 done (or nothing to do), 1 refused (the table is
 * untouched, byte for byte), 2 usage.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "tab.h"

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
	    "       supertab import-xinetd file|dir ...\n"
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

/* list: every entry, enabled or not, by its first line, on stdout. */
static int
cmd_list(const struct tabpath *tp)
{
	struct table	 t;
	struct stat	 st;
	size_t		 len, i;
	char		*raw, *text;
	int		 fd;

	fd = table_lock(tp, 0, &st);
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

/*
 * What add takes: one entry on one line, its first field at the start of
 * the line, as the table would hold it.
 */
static int
add_is_one_line(const char *line)
{
	char	*b;
	int	 ok;

	b = bare(line);
	ok = strchr(line, '\n') == NULL && line[0] != ' ' && line[0] != '\t' &&
	    conf_line_kind(b, 0, 0) == CONF_LINE_ENTRY && !conf_line_joins(b);
	free(b);
	return ok;
}

/*
 * add: LINE as the table's last line, refused when it would not read as
 * an entry of its own or would add an error.
 */
static int
cmd_add(const struct tabpath *tp, const char *line)
{
	struct table	 t;
	struct tentry	*te;
	struct stat	 st;
	size_t		 len;
	char		*raw;
	int		 fd;

	if (!add_is_one_line(line)) {
		fprintf(stderr, "supertab: add takes one entry on one line, "
		    "its first field at the start of the line\n");
		return 1;
	}
	fd = table_lock(tp, 1, &st);
	raw = read_all(fd, tp->tp_path, &len);
	table_parse(&t, raw, len);
	/* The line must read as an entry of its own, as superd reads it. */
	if ((te = table_append(&t, line)) == NULL)
		errx(1, "add: the line reads as no entry");
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
	table_commit(tp, &t, &st, "add");
	printf("added line %zu: ", t.t_nlines);
	log_vis(stdout, line);
	putchar('\n');
	table_free(&t);
	close(fd);
	tab_tell(tp);
	return 0;
}

/*
 * remove, enable, disable: the one entry NAME names (by first field, or
 * else by service part) taken out, or its marker taken off or put on.
 */
static int
cmd_change(const struct tabpath *tp, const char *cmd, const char *name)
{
	struct table	 t;
	struct tentry	*te;
	struct stat	 st;
	size_t		 len, first, n;
	char		*raw, *what;
	int		 fd, want;

	want = strcmp(cmd, "enable") == 0 ? 1 : strcmp(cmd, "disable") == 0 ?
	    0 : -1;
	fd = table_lock(tp, 0, &st);
	raw = read_all(fd, tp->tp_path, &len);
	table_parse(&t, raw, len);
	if ((n = match_entries(&t, name, want, &te)) != 1) {
		/* enabling an enabled entry (or the reverse): nothing to do */
		if (n == 0 && want != -1 &&
		    match_entries(&t, name, !want, &te) == 1) {
			log_vis(stdout, name);
			printf(" is already %sd\n", cmd);
			table_free(&t);
			close(fd);
			return 0;
		}
		no_single_match(tp, &t, name, want, n);
	}
	first = te->te_first;
	what = entry_text(&t, te);
	if (strcmp(cmd, "remove") == 0)
		table_remove(&t, te);
	else if (want == 1)
		table_enable(&t, te);
	else
		table_disable(&t, te);
	table_commit(tp, &t, &st, cmd);
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

/* check: the table's errors on stderr, as superd -t says them; 1 if any. */
static int
cmd_check(const struct tabpath *tp)
{
	struct conf	*c;
	size_t		 i, n;

	c = conf_load(tp->tp_path, NULL);
	for (i = 0; i < c->c_nincerrors; i++) {
		log_vis(stderr, c->c_incerrors[i]);
		fputc('\n', stderr);
	}
	for (i = 0; i < c->c_nerrors; i++) {
		log_vis(stderr, c->c_errors[i]);
		fputc('\n', stderr);
	}
	n = c->c_nerrors + c->c_nincerrors;
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
	if (strcmp(argv[0], "import-xinetd") == 0 && argc >= 2)
		return cmd_import_xinetd(argv + 1, argc - 1);
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
