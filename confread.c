/*
 * confread.c: reading a table's text: opening it, reading it whole, and
 * cutting it into lines and entries.
 *
 * Only a regular file (or standard input, "-") is read, never more than
 * CONF_MAXSIZE bytes, and a read error is an error, never the table's end;
 * a table that cannot be read whole is one "FILE: message" error.  Lines
 * are checked (NUL, a CR other than a CRLF ending, CONF_MAXLINE), and
 * joined into entries by inetd's rules (a trailing backslash, a leading
 * blank); the caller's function gets each complete entry in the table's
 * order, and never one with a refused line.  Nothing here knows the
 * grammar of an entry; supertab groups lines with conf_line_kind() too.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "confint.h"

/*
 * How a line of a table reads, given whether an entry is open before it
 * and whether the line before ended in a backslash.  An entry goes on on
 * the next line when its own line ends in a backslash, or when the next
 * line starts with a blank (inetd's rule).  Blank lines and lines whose
 * first non-blank is '#' are skipped and end an entry, except after a
 * backslash, which makes any line the entry's next; a '#' inside an
 * entry is an ordinary character.  supertab groups lines with this too.
 */
enum conf_line
conf_line_kind(const char *line, int open, int backslash)
{
	const char	*s;

	for (s = line; isblankc((unsigned char)*s); s++)
		;
	if (backslash)
		return CONF_LINE_MORE;
	if (*s == '\0')
		return CONF_LINE_BLANK;
	if (*s == '#')
		return CONF_LINE_COMMENT;
	if (open && isblankc((unsigned char)line[0]))
		return CONF_LINE_MORE;
	return CONF_LINE_ENTRY;
}

/* Does the line end in a backslash that joins the next one to it? */
int
conf_line_joins(const char *line)
{
	size_t	 len = strlen(line);

	return len > 0 && line[len - 1] == '\\';
}

/*
 * Open a table by its path.  Only a regular file is a table: open(2) of
 * a FIFO waits for a writer, a read of a terminal or a device may wait for
 * ever (inside a reload, that is the whole loop) and /dev/null reads as an
 * empty table; standard input is read, once, with "-".  The open itself
 * must not wait either: O_NONBLOCK for open(2) only, cleared once fstat(2)
 * has shown a regular file, and O_NOCTTY, so that a terminal named as the
 * table never becomes a detached superd's controlling terminal.  With
 * nofollow (an included file), a symbolic link as the last component is
 * refused (O_NOFOLLOW).  *st is what fstat(2) said of the descriptor that
 * is read; NULL and why (the message, without the path) on a failure.
 */
FILE *
conf_open(const char *path, int nofollow, struct stat *st, char *why,
    size_t whylen)
{
	FILE		*fp;
	int		 fd, flags;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
	    (nofollow ? O_NOFOLLOW : 0))) == -1) {
		if (nofollow && errno == ELOOP)
			(void)snprintf(why, whylen, "is a symbolic link: "
			    "name its target");
		else
			(void)snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, st) == -1) {
		(void)snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st->st_mode)) {
		/* /etc/xinetd.d, as often as not */
		(void)snprintf(why, whylen, "is a directory; to convert xinetd "
		    "files: supertab import-xinetd %s", path);
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st->st_mode)) {
		(void)snprintf(why, whylen, "not a regular file; use - to read "
		    "a table from standard input");
		close(fd);
		return NULL;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ||
	    (fp = fdopen(fd, "r")) == NULL) {
		(void)snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return NULL;
	}
	return fp;
}

/*
 * Read a whole table into memory, NUL-terminated.  A read error is an
 * error of the table, never its end (getline(3) and fread(3) return the
 * same for both: ferror(3) tells them apart), and no more than
 * CONF_MAXSIZE bytes are read, so /dev/zero or a runaway file is refused
 * in bounded memory and time.  Returns NULL with the error in why.
 */
char *
conf_slurp(FILE *fp, size_t *lenp, char *why, size_t whylen)
{
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0, r;
	int	 saved;

	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > CONF_MAXSIZE + 1)
				cap = CONF_MAXSIZE + 1;
			if ((nb = realloc(buf, cap + 1)) == NULL)
				fatal("realloc");
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len, fp);
		len += r;
		if (len > CONF_MAXSIZE) {
			(void)snprintf(why, whylen, "larger than %d MiB, not "
			    "read", CONF_MAXSIZE / (1024 * 1024));
			free(buf);
			return NULL;
		}
		if (r > 0)
			continue;
		if (ferror(fp)) {
			saved = errno != 0 ? errno : EIO;
			(void)snprintf(why, whylen, "%s", strerror(saved));
			free(buf);
			return NULL;
		}
		break;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Append n bytes to the open entry; doubling keeps joining linear. */
static void
entry_append(struct entry *e, const char *s, size_t n)
{
	char	*t;
	size_t	 cap;

	if (e->e_text == NULL || e->e_len + n + 1 > e->e_cap) {
		cap = e->e_cap != 0 ? e->e_cap : 256;
		while (cap < e->e_len + n + 1)
			cap *= 2;
		if ((t = realloc(e->e_text, cap)) == NULL)
			fatal("realloc");
		e->e_text = t;
		e->e_cap = cap;
	}
	memcpy(e->e_text + e->e_len, s, n);
	e->e_len += n;
	e->e_text[e->e_len] = '\0';
}

/* The open entry is complete: parse it, unless a line of it was refused. */
static void
entry_end(struct parser *p, struct entry *e, conf_entry_fn *fn)
{
	if (e->e_line != 0 && !e->e_bad)
		fn(p, e);
	e->e_line = 0;
	e->e_len = 0;
	e->e_bad = 0;
}

/*
 * What makes a line of a table unreadable, or NULL.  A CR just before
 * the newline (a CRLF ending, as Windows editors write) has been taken
 * off already and is accepted, and only there: a CR that ends the file
 * without an LF after it is not a line ending.  Any other CR is refused,
 * as is a NUL: either would be read differently by the eye and by the
 * parser.
 */
static const char *
line_fault(const char *line, size_t len)
{
	if (memchr(line, '\0', len) != NULL)
		return "NUL byte in the line: a table is text";
	if (memchr(line, '\r', len) != NULL)
		return "carriage return (CR) inside the line: only a CRLF "
		    "line ending is accepted";
	if (len > CONF_MAXLINE)
		return "line longer than " CONF_MAXLINE_STR " bytes";
	return NULL;
}

/*
 * Split the table into lines and entries, continuations joined, and
 * hand each entry to fn as it ends, so that errors come in the table's
 * order.  A refused line is reported by its number and its entry is not
 * handed on.
 */
void
conf_read(struct parser *p, char *buf, size_t len, conf_entry_fn *fn)
{
	struct entry	 e;
	enum conf_line	 kind;
	const char	*why;
	char		*line, *nl, *s;
	size_t		 n;
	int		 lineno = 0, backslash = 0;

	memset(&e, 0, sizeof(e));
	for (line = buf; line < buf + len; line = nl + 1) {
		if ((nl = memchr(line, '\n', buf + len - line)) == NULL)
			nl = buf + len;
		lineno++;
		n = nl - line;
		/* a CRLF ending needs its LF: a CR last in the file is bare */
		if (n > 0 && line[n - 1] == '\r' && nl < buf + len)
			n--;
		why = line_fault(line, n);
		line[n] = '\0';
		if (why != NULL)
			n = strlen(line);
		kind = conf_line_kind(line, e.e_line != 0, backslash);
		if (kind == CONF_LINE_BLANK || kind == CONF_LINE_COMMENT) {
			entry_end(p, &e, fn);
			if (why != NULL)
				perr(p, lineno, "%s", why);
			continue;
		}
		if ((backslash = conf_line_joins(line)))
			line[--n] = '\0';
		for (s = line; isblankc((unsigned char)*s); s++)
			;
		if (kind == CONF_LINE_ENTRY) {
			entry_end(p, &e, fn);
			e.e_line = lineno;
		} else
			entry_append(&e, " ", 1);
		entry_append(&e, s, n - (s - line));
		if (why != NULL) {
			perr(p, lineno, "%s", why);
			e.e_bad = 1;
		}
	}
	entry_end(p, &e, fn);
	free(e.e_text);
}
