/*
 * conferr.c: the table reader's error and warning lists, and the
 * allocations that cannot fail.
 *
 * Every message about a table goes through here: perr() and pwarn() as
 * "FILE:LINE: message", conf_file_error() as "FILE: message" for a table
 * that cannot be read at all.  Nothing is logged: the messages wait in the
 * struct conf for the caller, in the order they were found, and a message
 * that cannot be allocated is dropped rather than reported half.
 * xcalloc() and xstrdup() end superd with fatal() when memory runs out,
 * as the parser has no half-built table to return.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

static void
conf_add(char ***list, size_t *n, char *msg)
{
	char	**nl;

	nl = reallocarray(*list, *n + 1, sizeof(**list));
	if (nl == NULL) {
		free(msg);
		return;
	}
	nl[(*n)++] = msg;
	*list = nl;
}

/* Append "FILE:LINE: message" to a list of errors or warnings. */
static void
padd(struct parser *p, char ***list, size_t *n, int line, const char *fmt,
    va_list ap)
{
	char	*msg, *full;

	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	if (asprintf(&full, "%s:%d: %s", p->p_file, line, msg) == -1)
		full = NULL;
	free(msg);
	if (full != NULL)
		conf_add(list, n, full);
}

/* Record an error of the table; the table will not be used. */
void
perr(struct parser *p, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	padd(p, &p->p_conf->c_errors, &p->p_conf->c_nerrors, line, fmt, ap);
	va_end(ap);
	if (line == p->p_line)
		p->p_nerr_line++;
}

/* Record a warning: printed with -t and logged at load; the table is used. */
void
pwarn(struct parser *p, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	padd(p, &p->p_conf->c_warnings, &p->p_conf->c_nwarnings, line, fmt,
	    ap);
	va_end(ap);
}

void *
xcalloc(size_t n, size_t size)
{
	void	*v;

	if ((v = calloc(n, size)) == NULL)
		fatal("calloc");
	return v;
}

char *
xstrdup(const char *s)
{
	char	*d;

	if ((d = strdup(s)) == NULL)
		fatal("strdup");
	return d;
}

/* Record an error about the table as a whole: "FILE: message". */
void
conf_file_error(struct conf *c, const char *path, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *full;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	if (asprintf(&full, "%s: %s", path, msg) != -1)
		conf_add(&c->c_errors, &c->c_nerrors, full);
	free(msg);
}
