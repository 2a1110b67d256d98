/*
 * table.c: a table the daemon loaded, past what conf.c's parse checks,
 * and where its errors and warnings go.  A unix path that holds anything
 * but a socket is an error of its line (listen.c tells), at start and
 * with -t, and so is containment the machine cannot give (contain.c
 * and cgroup.c tell), on a reload too; at start and with -t every error
 * and warning is printed on stderr, escaped for the terminal; on a
 * reload the warnings are logged, quoted.
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
 * table text escaped for the terminal (log_vis).
 */
void
table_report(const struct conf *c)
{
	size_t	 i;

	for (i = 0; i < c->c_nwarnings; i++) {
		log_vis(stderr, c->c_warnings[i]);
		fputs(" (warning)\n", stderr);
	}
	for (i = 0; i < c->c_nerrors; i++) {
		log_vis(stderr, c->c_errors[i]);
		fputc('\n', stderr);
	}
}

/* One more error of the table, FILE:LINE: why, as the parser's are. */
static void
table_error(struct conf *c, const char *file, int line, const char *why)
{
	char	*msg, **nl;

	if (asprintf(&msg, "%s:%d: %s", file, line, why) == -1)
		err(1, "asprintf");
	if ((nl = reallocarray(c->c_errors, c->c_nerrors + 1,
	    sizeof(*nl))) == NULL)
		err(1, "reallocarray");
	c->c_errors = nl;
	c->c_errors[c->c_nerrors++] = msg;
}

/*
 * A unix path that holds anything but a socket (a file, a symbolic link)
 * is an error of its line at start and with -t: superd never replaces it,
 * and would only retry the bind.
 */
void
table_check_paths(struct conf *c, const char *file)
{
	struct service	*sv;
	char		 why[256];

	TAILQ_FOREACH(sv, &c->c_services, sv_entry)
		if (listen_check_path(sv, why, sizeof(why)) == -1)
			table_error(c, file, sv->sv_cf->cf_line, why);
}

/*
 * chroot= and the namespaces, checked against the machine and made
 * ready for each service's children (contain.c): at start, with -t and
 * on a reload, whose table is refused whole if one fails.  An entry's
 * services (one per address) share its line: its error is said once.
 */
void
table_check_contain(struct conf *c, const char *file)
{
	struct service	*sv;
	char		 why[PATH_MAX + 256];
	int		 last = 0;

	contain_reset();
	TAILQ_FOREACH(sv, &c->c_services, sv_entry)
		if (contain_prepare(sv->sv_cf, why, sizeof(why)) == -1 &&
		    sv->sv_cf->cf_line != last) {
			table_error(c, file, sv->sv_cf->cf_line, why);
			last = sv->sv_cf->cf_line;
		}
}

/*
 * memory= and tasks= that cannot work here (no such cgroup controller,
 * no right to make cgroups) are errors of their lines, at start, with
 * -t and on a reload: never a failure of each connection.  One error a
 * line, whatever its number of addresses.
 */
void
table_check_cgroups(struct conf *c, const char *file)
{
	struct service	*sv;
	char		 why[1024];
	int		 last = 0;

	cgroup_find();
	TAILQ_FOREACH(sv, &c->c_services, sv_entry)
		if (sv->sv_cf->cf_line != last &&
		    cgroup_check(sv->sv_cf, why, sizeof(why)) == -1) {
			table_error(c, file, sv->sv_cf->cf_line, why);
			last = sv->sv_cf->cf_line;
		}
}

/* On a reload: the new table's warnings, each logged, quoted. */
void
table_log_warnings(const struct conf *c)
{
	char	 q[1024];
	size_t	 i;

	for (i = 0; i < c->c_nwarnings; i++) {
		log_quote(q, sizeof(q), c->c_warnings[i]);
		log_warnx("event=warning error=%s", q);
	}
}

