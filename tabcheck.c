/*
 * tabcheck.c: supertab's check of a changed table against the table as
 * it was.
 *
 * A change is refused only for the errors it adds, so that a table that
 * already has errors can be mended one change at a time.  An error is
 * known by what it says about which line, the line taken by its text
 * rather than its number (a change above it moves it): its key is the
 * text of the line it is reported on and its message with each "line N"
 * replaced by the text of line N.  Errors of the new table whose keys the
 * old table has as often are old ones.  The files the table includes are
 * read as superd reads them, relative to the table's real path, and
 * their errors count: an entry that takes an included entry's address
 * is refused.  A table that is itself an included file is checked with
 * what it includes, not with the table that includes it.
 */

#include <sys/types.h>

#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "tab.h"

/* A table's lines, for the text of the line an error names. */
struct lines {
	char	**ln_v;
	size_t	  ln_n;
};

/* One error of a table, by its key. */
struct errkey {
	char	*ek_key;
	size_t	 ek_idx;	/* position in the table's error list */
	int	 ek_old;	/* found in the old table */
};

/* The lines of text, without newlines or a CR before them. */
static void
lines_split(struct lines *l, const char *text, size_t len)
{
	size_t	 i, start = 0, n = 1;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	if ((l->ln_v = calloc(n, sizeof(*l->ln_v))) == NULL)
		err(1, "calloc");
	l->ln_n = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && text[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		n = i - start;
		if (n > 0 && text[start + n - 1] == '\r')
			n--;
		if ((l->ln_v[l->ln_n++] = strndup(text + start, n)) == NULL)
			err(1, "strndup");
		start = i + 1;
	}
}

static void
lines_free(struct lines *l)
{
	size_t	 i;

	for (i = 0; i < l->ln_n; i++)
		free(l->ln_v[i]);
	free(l->ln_v);
}

/* Line n (from 1) of l; "" for a number the table does not have. */
static const char *
line_text(const struct lines *l, unsigned long n)
{
	return n >= 1 && n <= l->ln_n ? l->ln_v[n - 1] : "";
}

/* Append s (n bytes) to the growing string *bufp. */
static void
append(char **bufp, size_t *lenp, const char *s, size_t n)
{
	char	*b;

	if ((b = realloc(*bufp, *lenp + n + 1)) == NULL)
		err(1, "realloc");
	memcpy(b + *lenp, s, n);
	*lenp += n;
	b[*lenp] = '\0';
	*bufp = b;
}

/*
 * The key of one error "PATH:LINE: message" (or "PATH: message") of a
 * table whose lines are l.  An included file's error ("FILE:LINE: ...")
 * is its own key, but for the table's lines it names ("PATH:N", as a
 * conflict with one of the table's entries says).
 */
static char *
error_key(const char *path, const char *e, const struct lines *l)
{
	const char	*p, *q, *m, *ref;
	char		*key = NULL, *end;
	size_t		 len = 0, plen = strlen(path), rlen;
	unsigned long	 n;

	p = e;
	if (strncmp(e, path, plen) == 0 && e[plen] == ':')
		p = e + plen + 1;
	else {
		append(&key, &len, "", 0);
		/* the path may also start another, /etc/superd.conf.d/a.conf */
		q = p;
		while ((m = strstr(q, path)) != NULL) {
			if (m[plen] != ':' ||
			    !isdigit((unsigned char)m[plen + 1])) {
				q = m + 1;	/* not a line of ours: on */
				continue;
			}
			append(&key, &len, p, m - p);
			n = strtoul(m + plen + 1, &end, 10);
			append(&key, &len, "[", 1);
			append(&key, &len, line_text(l, n),
			    strlen(line_text(l, n)));
			append(&key, &len, "]", 1);
			p = q = end;
		}
		append(&key, &len, p, strlen(p));
		return key;
	}
	if (isdigit((unsigned char)*p)) {
		n = strtoul(p, &end, 10);
		if (*end == ':') {
			append(&key, &len, "[", 1);
			append(&key, &len, line_text(l, n),
			    strlen(line_text(l, n)));
			append(&key, &len, "]", 1);
			p = end + 1;
		}
	}
	append(&key, &len, "", 0);
	ref = "line ";
	rlen = 5;
	while ((m = strstr(p, ref)) != NULL &&
	    isdigit((unsigned char)m[rlen])) {
		append(&key, &len, p, m + rlen - p);
		n = strtoul(m + rlen, &end, 10);
		append(&key, &len, "[", 1);
		append(&key, &len, line_text(l, n), strlen(line_text(l, n)));
		append(&key, &len, "]", 1);
		p = end;
	}
	append(&key, &len, p, strlen(p));
	return key;
}

static int
errkey_cmp(const void *va, const void *vb)
{
	const struct errkey *a = va, *b = vb;

	return strcmp(a->ek_key, b->ek_key);
}

/*
 * The errors of a would-be table, from superd's own parser: the text
 * named as given, its .include lines read beside the table's real path;
 * the errors of the files it includes are counted as its own.
 */
static struct conf *
load_text(const struct tabpath *tp, const char *text, size_t len)
{
	struct conf	*c;
	FILE		*fp;
	size_t		 i;

	/* fmemopen(3) refuses size 0: an empty table reads as one newline. */
	if ((fp = fmemopen((void *)(len == 0 ? "\n" : text), len == 0 ? 1 :
	    len, "r")) == NULL)
		err(1, "fmemopen");
	c = conf_load_as(tp->tp_path, fp, tp->tp_real != NULL ? tp->tp_real :
	    tp->tp_path);
	fclose(fp);
	for (i = 0; i < c->c_nincerrors; i++) {
		if ((c->c_errors = reallocarray(c->c_errors, c->c_nerrors + 1,
		    sizeof(*c->c_errors))) == NULL)
			err(1, "reallocarray");
		c->c_errors[c->c_nerrors++] = c->c_incerrors[i];
	}
	c->c_nincerrors = 0;
	return c;
}

/*
 * The keys of c's errors, c being what text loads as, sorted; each keeps
 * its error's place in c's list.
 */
static struct errkey *
keys_of(const char *path, struct conf *c, const char *text, size_t len)
{
	struct lines	 l;
	struct errkey	*k;
	size_t		 i;

	lines_split(&l, text, len);
	if ((k = calloc(c->c_nerrors + 1, sizeof(*k))) == NULL)
		err(1, "calloc");
	for (i = 0; i < c->c_nerrors; i++) {
		k[i].ek_key = error_key(path, c->c_errors[i], &l);
		k[i].ek_idx = i;
	}
	lines_free(&l);
	qsort(k, c->c_nerrors, sizeof(*k), errkey_cmp);
	return k;
}

/*
 * Mark the keys of nk (the new table's n of them) that ok (the old
 * table's on) has as often.  Both are sorted: a merge pairs each old
 * error with one new one.
 */
static void
keys_mark_old(struct errkey *nk, size_t n, const struct errkey *ok,
    size_t on)
{
	size_t	 i = 0, j = 0;
	int	 c;

	while (i < n && j < on) {
		c = strcmp(nk[i].ek_key, ok[j].ek_key);
		if (c == 0) {
			nk[i++].ek_old = 1;
			j++;
		} else if (c < 0)
			i++;
		else
			j++;
	}
}

static void
keys_free(struct errkey *k, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(k[i].ek_key);
	free(k);
}

/*
 * Check text, the table as a change would write it, against old, the
 * table as it is (NULL: every error counts).  Prints every error the
 * change adds as FILE:LINE: message, says how many it leaves as they
 * were, and returns the number it adds.
 */
size_t
tab_check(const struct tabpath *tp, const char *text, size_t len,
    const char *old, size_t oldlen)
{
	const char	*path = tp->tp_path;
	struct conf	*nc, *oc = NULL;
	struct errkey	*nk, *ok = NULL;
	size_t		 i, added = 0, kept = 0;
	int		*isold;

	nc = load_text(tp, text, len);
	if (nc->c_nerrors == 0) {
		conf_free(nc);
		return 0;
	}
	nk = keys_of(path, nc, text, len);
	if (old != NULL) {
		oc = load_text(tp, old, oldlen);
		ok = keys_of(path, oc, old, oldlen);
		keys_mark_old(nk, nc->c_nerrors, ok, oc->c_nerrors);
	}
	if ((isold = calloc(nc->c_nerrors, sizeof(*isold))) == NULL)
		err(1, "calloc");
	for (i = 0; i < nc->c_nerrors; i++)
		isold[nk[i].ek_idx] = nk[i].ek_old;
	for (i = 0; i < nc->c_nerrors; i++) {
		if (isold[i])
			kept++;
		else {
			log_vis(stderr, nc->c_errors[i]);
			fputc('\n', stderr);
			added++;
		}
	}
	if (kept > 0)
		fprintf(stderr, "supertab: %zu error%s already in %s, left as "
		    "%s (supertab check lists them)\n", kept, kept == 1 ?
		    "" : "s", path, kept == 1 ? "it was" : "they were");
	keys_free(nk, nc->c_nerrors);
	if (oc != NULL) {
		keys_free(ok, oc->c_nerrors);
		conf_free(oc);
	}
	free(isold);
	conf_free(nc);
	return added;
}
