/*
 * xiparse.c: xinetd's configuration syntax, read into blocks, for
 * supertab import-xinetd.
 *
 * A file is a list of top-level items: "defaults" and "service NAME"
 * blocks, whose attributes sit between a "{" and a "}" line, and the
 * "include FILE" and "includedir DIR" lines, kept in order for the
 * caller to follow.  An attribute line is NAME, an operator ("=", "+="
 * or "-="), and its values, separated by blanks; a "#" at the start of a
 * line or of a word starts a comment, as the files of CTF images write
 * "per_source = 10 # per address".  Everything is kept as written:
 * what the attributes mean is xiconv.c's.  Pure: no file is opened here,
 * and the text may be anything (fuzz/xinetd_fuzz.c).  Every error is
 * "FILE:LINE: message", and a block with one is left out whole, so that
 * nothing half read is converted.
 */

#include <sys/types.h>

#include <ctype.h>
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "tab.h"

#define XI_MAXERR	100	/* errors kept per file; then one "more" */

/* Where the parser is in a file. */
struct xistate {
	struct xifile	*xs_f;
	struct xiblock	*xs_open;	/* the block being read, or NULL */
	int		 xs_brace;	/* its "{" has been seen */
	int		 xs_bad;	/* it had an error: dropped at "}" */
	int		 xs_line;
};

static void *
xi_realloc(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n, size)) == NULL)
		err(1, "reallocarray");
	return p;
}

static char *
xi_strndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		err(1, "strndup");
	return p;
}

static void __attribute__((format(printf, 3, 4)))
xi_err(struct xistate *xs, int line, const char *fmt, ...)
{
	struct xifile	*f = xs->xs_f;
	va_list		 ap;
	char		 msg[256];

	if (xs->xs_open != NULL)
		xs->xs_bad = 1;
	if (f->xf_nerr > XI_MAXERR)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->xf_err = xi_realloc(f->xf_err, f->xf_nerr + 1, sizeof(char *));
	if (f->xf_nerr == XI_MAXERR) {
		if (asprintf(&f->xf_err[f->xf_nerr++], "%s:%d: more errors "
		    "not shown", f->xf_path, line) == -1)
			err(1, "asprintf");
		return;
	}
	if (asprintf(&f->xf_err[f->xf_nerr++], "%s:%d: %s", f->xf_path,
	    line, msg) == -1)
		err(1, "asprintf");
}

/*
 * The words of a line, up to a word that starts with "#"; each word in
 * words[] points into line, which is cut at the blanks.  Returns how
 * many there are (words has room for the line's length, halved and one).
 */
static size_t
xi_words(char *line, char **words)
{
	size_t	 n = 0;
	char	*p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0' || *p == '#')
			return n;
		words[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
}

static void
xi_newblock(struct xistate *xs, enum xikind kind, const char *name)
{
	struct xifile	*f = xs->xs_f;
	struct xiblock	*b;

	f->xf_blk = xi_realloc(f->xf_blk, f->xf_nblk + 1, sizeof(*b));
	b = &f->xf_blk[f->xf_nblk++];
	memset(b, 0, sizeof(*b));
	b->xb_kind = kind;
	b->xb_name = name != NULL ? xi_strndup(name, strlen(name)) : NULL;
	b->xb_file = f->xf_path;
	b->xb_line = xs->xs_line;
	if (kind == XI_DEFAULTS || kind == XI_SERVICE) {
		xs->xs_open = b;
		xs->xs_brace = 0;
		xs->xs_bad = 0;
	}
}

static void
xi_freeblock(struct xiblock *b)
{
	size_t	 i, j;

	for (i = 0; i < b->xb_nattr; i++) {
		for (j = 0; j < b->xb_attr[i].xa_nval; j++)
			free(b->xb_attr[i].xa_val[j]);
		free(b->xb_attr[i].xa_val);
		free(b->xb_attr[i].xa_name);
	}
	free(b->xb_attr);
	free(b->xb_name);
}

/* "}": the open block ends; one that had an error is left out. */
static void
xi_close(struct xistate *xs)
{
	struct xifile	*f = xs->xs_f;

	if (xs->xs_bad) {
		xi_freeblock(&f->xf_blk[f->xf_nblk - 1]);
		f->xf_nblk--;
	}
	xs->xs_open = NULL;
}

/* A top-level line: a block's head, or include and includedir. */
static void
xi_top(struct xistate *xs, char **w, size_t n)
{
	int	 brace = n > 0 && strcmp(w[n - 1], "{") == 0;

	if (brace)
		n--;
	if (n == 1 && strcmp(w[0], "defaults") == 0)
		xi_newblock(xs, XI_DEFAULTS, NULL);
	else if (n == 2 && strcmp(w[0], "service") == 0)
		xi_newblock(xs, XI_SERVICE, w[1]);
	else if (n == 2 && !brace && strcmp(w[0], "include") == 0)
		xi_newblock(xs, XI_INCLUDE, w[1]);
	else if (n == 2 && !brace && strcmp(w[0], "includedir") == 0)
		xi_newblock(xs, XI_INCLUDEDIR, w[1]);
	else if (n >= 1 && (strcmp(w[0], "service") == 0 ||
	    strcmp(w[0], "include") == 0 || strcmp(w[0], "includedir") == 0))
		xi_err(xs, xs->xs_line, "%s takes one name", w[0]);
	else if (n >= 1 && strcmp(w[0], "defaults") == 0)
		xi_err(xs, xs->xs_line, "defaults takes no name");
	else {
		xi_err(xs, xs->xs_line, "expected service, defaults, include "
		    "or includedir");
		return;
	}
	if (brace && xs->xs_open != NULL)
		xs->xs_brace = 1;
}

/* The name of an attribute: letters, digits and "_". */
static size_t
xi_namelen(const char *s)
{
	size_t	 n = 0;

	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/*
 * An attribute line inside a block: "name = v...", "name += v...",
 * "name -= v...", with or without blanks around the operator.
 */
static void
xi_attr(struct xistate *xs, char *line, char **w)
{
	struct xiblock	*b = xs->xs_open;
	struct xiattr	*a;
	size_t		 n, len, i;
	char		*p = line;
	int		 op;

	while (*p == ' ' || *p == '\t')
		p++;
	if ((len = xi_namelen(p)) == 0) {
		xi_err(xs, xs->xs_line, "expected an attribute name");
		return;
	}
	for (i = len; p[i] == ' ' || p[i] == '\t'; i++)
		;
	if (p[i] == '=')
		op = XI_SET, i += 1;
	else if (p[i] == '+' && p[i + 1] == '=')
		op = XI_ADD, i += 2;
	else if (p[i] == '-' && p[i + 1] == '=')
		op = XI_DEL, i += 2;
	else {
		xi_err(xs, xs->xs_line, "expected =, += or -= after %.*s",
		    (int)(len > 64 ? 64 : len), p);
		return;
	}
	b->xb_attr = xi_realloc(b->xb_attr, b->xb_nattr + 1, sizeof(*a));
	a = &b->xb_attr[b->xb_nattr++];
	a->xa_name = xi_strndup(p, len);
	a->xa_op = op;
	a->xa_line = xs->xs_line;
	n = xi_words(p + i, w);
	a->xa_val = xi_realloc(NULL, n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		a->xa_val[i] = xi_strndup(w[i], strlen(w[i]));
	a->xa_val[n] = NULL;
	a->xa_nval = n;
}

/* One line of the file, without its newline. */
static void
xi_line(struct xistate *xs, char *line, char **w)
{
	char	*copy;
	size_t	 n;

	copy = xi_strndup(line, strlen(line));
	n = xi_words(copy, w);
	if (n == 0) {
		free(copy);
		return;
	}
	if (xs->xs_open == NULL)
		xi_top(xs, w, n);
	else if (!xs->xs_brace) {
		if (n == 1 && strcmp(w[0], "{") == 0)
			xs->xs_brace = 1;
		else {
			xi_err(xs, xs->xs_line, "expected { after %s",
			    xs->xs_open->xb_kind == XI_SERVICE ? "service" :
			    "defaults");
			xi_close(xs);
		}
	} else if (n == 1 && strcmp(w[0], "}") == 0)
		xi_close(xs);
	else if (strcmp(w[0], "{") == 0 || strcmp(w[0], "service") == 0)
		xi_err(xs, xs->xs_line, "a block inside a block: a } is "
		    "missing");
	else
		xi_attr(xs, line, w);
	free(copy);
}

/*
 * Parse len bytes of text, the file path, into f (zeroed by the caller,
 * freed with xi_free).  Returns the number of errors.
 */
size_t
xi_parse(struct xifile *f, const char *path, const char *text, size_t len)
{
	struct xistate	 xs;
	char		*line, **w;
	size_t		 i, start = 0, n;

	memset(&xs, 0, sizeof(xs));
	xs.xs_f = f;
	f->xf_path = xi_strndup(path, strlen(path));
	line = xi_realloc(NULL, len + 1, 1);
	w = xi_realloc(NULL, len / 2 + 2, sizeof(char *));
	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		xs.xs_line++;
		n = i - start;
		if (n > 0 && text[start + n - 1] == '\r')
			n--;
		memcpy(line, text + start, n);
		line[n] = '\0';
		start = i + 1;
		if (memchr(line, '\0', n) != NULL) {
			xi_err(&xs, xs.xs_line, "a NUL byte");
			continue;
		}
		xi_line(&xs, line, w);
	}
	if (xs.xs_open != NULL) {
		xi_err(&xs, xs.xs_open->xb_line, "%s has no closing }",
		    xs.xs_open->xb_kind == XI_SERVICE ? "service" : "defaults");
		xi_close(&xs);
	}
	free(w);
	free(line);
	return f->xf_nerr;
}

void
xi_free(struct xifile *f)
{
	size_t	 i;

	for (i = 0; i < f->xf_nblk; i++)
		xi_freeblock(&f->xf_blk[i]);
	for (i = 0; i < f->xf_nerr; i++)
		free(f->xf_err[i]);
	free(f->xf_blk);
	free(f->xf_err);
	free(f->xf_path);
	memset(f, 0, sizeof(*f));
}
