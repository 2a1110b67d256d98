/*
 * table.c: a table the daemon loaded, past what conf.c's parse checks,
 * and where its errors and warnings go.  A unix path that holds anything
 * but a socket is an error of its line (listen.c tells), at start and
 * with -t; at start and with -t every error and warning is printed on
 * stderr, escaped for the terminal; on a reload the warnings are logged,
 * quoted.
 *
 * conf.c opens no socket and logs nothing: this is the file above it and
 * listen.c that does both for the daemon (supertab does not link it).
 */

#include <err.h>
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

/*
 * A unix path that holds anything but a socket (a file, a symbolic link)
 * is an error of its line at start and with -t: superd never replaces it,
 * and would only retry the bind.
 */
void
table_check_paths(struct conf *c, const char *file)
{
	struct service	*sv;
	char		 why[256], *msg, **nl;

	TAILQ_FOREACH(sv, &c->c_services, sv_entry) {
		if (listen_check_path(sv, why, sizeof(why)) == 0)
			continue;
		if (asprintf(&msg, "%s:%d: %s", file, sv->sv_cf->cf_line,
		    why) == -1)
			err(1, "asprintf");
		if ((nl = reallocarray(c->c_errors, c->c_nerrors + 1,
		    sizeof(*nl))) == NULL)
			err(1, "reallocarray");
		c->c_errors = nl;
		c->c_errors[c->c_nerrors++] = msg;
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

