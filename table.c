/*
 * table.c: a table the daemon loaded, past what conf.c's parse checks,
 * and where its errors and warnings go.  A unix path that holds anything
 * but a socket is an error of its line (listen.c tells), at start and
 * with -t, and so is containment the machine cannot give (contain.c
 * and cgroup.c tell), on a reload too; at start and with -t every error
 * and warning is printed on stderr, escaped for the terminal; on a
 * reload the warnings are logged, quoted.  An included file's entry that
 * fails a check is left out, its error with the parser's (c_incerrors),
 * which are logged at start and on a reload, event=table-error, and
 * printed with -t.
 *
 * conf.c opens no socket and logs nothing: this is the file above it and
 * listen.c that does both for the daemon (supertab does not link it).
 */

#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "superd.h"

/*
 * Print every error (and warning) of a table, as FILE:LINE: message,
 * table text escaped for the terminal (log_vis); with incl (superd -t)
 * the errors of included files' entries too, which are left out.
 */
void
table_report(const struct conf *c, int incl)
{
	size_t	 i;

	for (i = 0; incl && i < c->c_nincerrors; i++) {
		log_vis(stderr, c->c_incerrors[i]);
		fputc('\n', stderr);
	}
	for (i = 0; i < c->c_nwarnings; i++) {
		log_vis(stderr, c->c_warnings[i]);
		fputs(" (warning)\n", stderr);
	}
	for (i = 0; i < c->c_nerrors; i++) {
		log_vis(stderr, c->c_errors[i]);
		fputc('\n', stderr);
	}
}

/*
 * One more error of the table, FILE:LINE: why, as the parser's are, for
 * sv's entry: the named table's refuses it, an included file's leaves
 * out that entry (every address of it), which may be the service after
 * sv too: returns the service to look at next.
 */
static struct service *
table_error(struct conf *c, const char *file, struct service *sv,
    const char *why)
{
	struct service	*next = TAILQ_NEXT(sv, sv_entry);
	char		*msg, **nl;
	int		 line = sv->sv_cf->cf_line;

	if (sv->sv_cf->cf_file != NULL) {
		while (next != NULL && next->sv_cf->cf_seq == sv->sv_cf->cf_seq)
			next = TAILQ_NEXT(next, sv_entry);
		conf_drop_entry(c, sv, why);
		return next;
	}
	if (asprintf(&msg, "%s:%d: %s", file, line, why) == -1)
		err(1, "asprintf");
	if ((nl = reallocarray(c->c_errors, c->c_nerrors + 1,
	    sizeof(*nl))) == NULL)
		err(1, "reallocarray");
	c->c_errors = nl;
	c->c_errors[c->c_nerrors++] = msg;
	return next;
}

/*
 * A unix path that holds anything but a socket (a file, a symbolic link)
 * is an error of its line at start and with -t: superd never replaces it,
 * and would only retry the bind.
 */
void
table_check_paths(struct conf *c, const char *file)
{
	struct service	*sv, *next;
	char		 why[256];

	for (sv = TAILQ_FIRST(&c->c_services); sv != NULL; sv = next) {
		next = TAILQ_NEXT(sv, sv_entry);
		if (listen_check_path(sv, why, sizeof(why)) == -1)
			next = table_error(c, file, sv, why);
	}
}

/*
 * chroot= and the namespaces, checked against the machine and made
 * ready for each service's children (contain.c), and pty's relay found
 * (spawn.c): at start, with -t and on a reload, whose table is refused
 * whole if one fails.  An entry's
 * services (one per address) share its line: its error is said once.
 */
void
table_check_contain(struct conf *c, const char *file)
{
	struct service	*sv, *next;
	char		 why[PATH_MAX + 256];
	int		 last = 0;

	contain_reset();
	for (sv = TAILQ_FIRST(&c->c_services); sv != NULL; sv = next) {
		next = TAILQ_NEXT(sv, sv_entry);
		if ((contain_prepare(sv->sv_cf, why, sizeof(why)) == -1 ||
		    spawn_pty_check(sv->sv_cf, why, sizeof(why)) == -1) &&
		    sv->sv_cf->cf_seq != last) {
			last = sv->sv_cf->cf_seq;
			next = table_error(c, file, sv, why);
		}
	}
}

/*
 * memory= and tasks= that cannot work here (no such cgroup controller,
 * no right to make cgroups) are errors of their lines, at start, with
 * -t and on a reload: never a failure of each connection.  One error a
 * line, whatever its number of addresses.  dry (-t): the machine is
 * checked, not changed (superd is not moved to a leaf of its cgroup).
 */
void
table_check_cgroups(struct conf *c, const char *file, int dry)
{
	struct service	*sv, *next;
	char		 why[1024];
	int		 last = 0;

	cgroup_find();
	for (sv = TAILQ_FIRST(&c->c_services); sv != NULL; sv = next) {
		next = TAILQ_NEXT(sv, sv_entry);
		if (sv->sv_cf->cf_seq != last &&
		    cgroup_check(sv->sv_cf, dry, why, sizeof(why)) == -1) {
			last = sv->sv_cf->cf_seq;
			next = table_error(c, file, sv, why);
		}
	}
}

/*
 * After both checks, for a table that passed them: a root superd's
 * namespace pools (nspool.c), one an entry.  Not before the cgroup
 * check: under Delegate=yes that moves superd and its children to a
 * leaf, and a pool, double-forked, left in superd's cgroup would make
 * enabling memory and pids there fail (EBUSY).
 */
void
table_start_pools(struct conf *c)
{
	struct service	*sv;

	TAILQ_FOREACH(sv, &c->c_services, sv_entry)
		if (sv->sv_cf->cf_clone != 0)
			nspool_start(sv->sv_cf);
}

/* Each message of a list logged as a line of its own, quoted. */
static void
log_list(const char *event, char *const *list, size_t n)
{
	char	 q[1024];
	size_t	 i;

	for (i = 0; i < n; i++) {
		log_quote(q, sizeof(q), list[i]);
		log_warnx("event=%s error=%s", event, q);
	}
}

/*
 * At start and on a reload: each error of an included file's entry, left
 * out while the rest is served.
 */
void
table_log_errors(const struct conf *c)
{
	log_list("table-error", c->c_incerrors, c->c_nincerrors);
}

/* On a reload: the new table's warnings. */
void
table_log_warnings(const struct conf *c)
{
	log_list("warning", c->c_warnings, c->c_nwarnings);
}

