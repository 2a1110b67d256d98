/*
 * conferr.c: the table reader's error and warning lists, and the
 * allocations that cannot fail.
 *
 * Every message about a table goes through here: perr() and pwarn() as
 * "FILE:LINE: message", conf_file_error() as "FILE: message" for a table
 * that cannot be read at all, conf_entry_error() for an included file's
 * entry that a check after the parse leaves out.  The named table's errors
 * (c_errors) refuse it whole; an included file's (c_incerrors) leave out the
 * entry they are about.  Nothing is logged: the messages wait in the struct
 * conf for the caller, in the order they were found, and a message that
 * cannot be allocated is dropped rather than reported half. xcalloc() and
 * xstrdup() end superd with fatal() when memory runs out, as the parser has
 * no half-built table to return.
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

/* Append msg (allocated; the list owns it) to a list of messages. */
void
conf_list_add(char ***list, size_t *n, char *msg)
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

/*
 * A newline in a message (a value quoted from a field, where "\n" made
 * one) written as the two characters \n: a message is one line.
 */
static void
one_line(char **msgp)
{
	char	*msg = *msgp, *t, *d;
	size_t	 nl = 0;
	const char *s;

	for (s = msg; *s != '\0'; s++)
		nl += *s == '\n';
	if (nl == 0)
		return;
	if ((t = malloc(strlen(msg) + nl + 1)) == NULL)
		fatal("malloc");
	for (s = msg, d = t; *s != '\0'; s++) {
		if (*s == '\n') {
			*d++ = '\\';
			*d++ = 'n';
		} else
			*d++ = *s;
	}
	*d = '\0';
	free(msg);
	*msgp = t;
}

/*
 * Append "FILE:LINE: message" to a list of errors or warnings, or
 * "FILE: message" when line is 0 (the table as a whole).
 */
static void
vadd(char ***list, size_t *n, const char *file, int line, const char *fmt,
    va_list ap)
{
	char	*msg, *full;
	int	 r;

	if (vasprintf(&msg, fmt, ap) == -1)
		return;
	one_line(&msg);
	if (line > 0)
		r = asprintf(&full, "%s:%d: %s", file, line, msg);
	else
		r = asprintf(&full, "%s: %s", file, msg);
	free(msg);
	if (r != -1)
		conf_list_add(list, n, full);
}

/*
 * Record an error of the table: the named table's is one of the table,
 * which will not be used; an included file's is one of its entry, which
 * is left out (c_incerrors).
 */
void
perr(struct parser *p, int line, const char *fmt, ...)
{
	struct conf	*c = p->p_conf;
	va_list		 ap;

	va_start(ap, fmt);
	if (p->p_incl)
		vadd(&c->c_incerrors, &c->c_nincerrors, p->p_file, line, fmt,
		    ap);
	else
		vadd(&c->c_errors, &c->c_nerrors, p->p_file, line, fmt, ap);
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
	vadd(&p->p_conf->c_warnings, &p->p_conf->c_nwarnings, p->p_file,
	    line, fmt, ap);
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

	va_start(ap, fmt);
	vadd(&c->c_errors, &c->c_nerrors, path, 0, fmt, ap);
	va_end(ap);
}

/*
 * Record an error of an included file's entry, FILE:LINE: message, found
 * once the table was read (a conflict, a check against the machine): the
 * entry is left out, the rest served.
 */
void
conf_entry_error(struct conf *c, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vadd(&c->c_incerrors, &c->c_nincerrors, file, line, fmt, ap);
	va_end(ap);
}
