/*
 * tabmodel.c: a table as supertab holds it in memory.
 *
 * The file's bytes are split into lines (struct tline), kept byte for
 * byte, and the lines are grouped into entries (struct tentry), enabled
 * and disabled, by conf.c's own rules (conf_line_kind, conf_line_joins),
 * so that supertab and superd never disagree on where an entry starts or
 * ends.  A change edits the lines of one entry (add groups them again,
 * to see what its line reads as), and the table is written back by
 * joining its lines (table_render).  Nothing here reads or writes a
 * file.
 */

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "tab.h"

#define OFF_MARKER	"#<off># "

/*
 * A disabled line starts with "#<off>#"; the one blank after it that
 * disable puts there is part of the marker, and strip_marker takes it.
 */
static int
is_disabled(const char *line)
{
	return strncmp(line, "#<off>#", 7) == 0;
}

static const char *
strip_marker(const char *line)
{
	line += 7;
	return *line == ' ' ? line + 1 : line;
}

/* A copy of the line without a trailing CR, for the grammar. */
char *
bare(const char *line)
{
	char	*s;
	size_t	 len;

	if ((s = strdup(line)) == NULL)
		err(1, "strdup");
	len = strlen(s);
	if (len > 0 && s[len - 1] == '\r')
		s[len - 1] = '\0';
	return s;
}

/*
 * A new entry that starts at line first (text, marker stripped): its
 * first field, and whether that is a "hosts:" line rather than a service.
 */
static void
add_entry(struct table *t, size_t first, int disabled, const char *text)
{
	struct tentry	*te;
	size_t		 n;

	/* Doubling: one reallocation per entry is quadratic in copies. */
	if (t->t_nentries == t->t_entcap) {
		n = t->t_entcap == 0 ? 16 : t->t_entcap * 2;
		te = reallocarray(t->t_entries, n, sizeof(*te));
		if (te == NULL)
			err(1, "reallocarray");
		t->t_entries = te;
		t->t_entcap = n;
	}
	te = &t->t_entries[t->t_nentries];
	te->te_first = te->te_last = first;
	te->te_disabled = disabled;
	while (*text == ' ' || *text == '\t')
		text++;
	n = strcspn(text, " \t");
	if ((te->te_field0 = strndup(text, n)) == NULL)
		err(1, "strndup");
	te->te_hosts = n > 0 && text[n - 1] == ':' &&
	    text[n + strspn(text + n, " \t\r")] == '\0';
	t->t_nentries++;
}

/* The grouping state of one grammar: an entry open, a backslash pending. */
struct group {
	int	 g_open;
	int	 g_bs;
};

/* Read one line (marker already stripped) into the entries of g. */
static void
group_line(struct table *t, size_t i, struct group *g, int disabled,
    const char *text)
{
	enum conf_line	 k;
	char		*b;

	b = bare(text);
	k = conf_line_kind(b, g->g_open, g->g_bs);
	if (k == CONF_LINE_ENTRY)
		add_entry(t, i, disabled, b);
	/* MORE comes only with an entry open (the count tells scan-build) */
	if ((k == CONF_LINE_ENTRY || k == CONF_LINE_MORE) &&
	    t->t_nentries > 0) {
		t->t_lines[i].tl_entry = t->t_nentries - 1;
		t->t_entries[t->t_nentries - 1].te_last = i;
		g->g_open = 1;
		g->g_bs = conf_line_joins(b);
	} else
		g->g_open = g->g_bs = 0;
	free(b);
}

/*
 * Group the lines into entries, enabled and disabled, with conf.c's own
 * rules: a disabled entry is read as if its marker were not there, and
 * is a comment to the enabled entries around it.
 */
static void
table_index(struct table *t)
{
	struct group	 en = { 0, 0 }, dis = { 0, 0 };
	size_t		 i;

	for (i = 0; i < t->t_nlines; i++) {
		const char	*text = t->t_lines[i].tl_text;

		t->t_lines[i].tl_entry = -1;
		if (is_disabled(text) && !en.g_bs) {
			en.g_open = 0;
			group_line(t, i, &dis, 1, strip_marker(text));
		} else {
			dis.g_open = dis.g_bs = 0;
			group_line(t, i, &en, 0, text);
		}
	}
}

/* Group the lines again, after a change to them. */
void
table_reindex(struct table *t)
{
	size_t	 i;

	for (i = 0; i < t->t_nentries; i++)
		free(t->t_entries[i].te_field0);
	free(t->t_entries);
	t->t_entries = NULL;
	t->t_nentries = 0;
	t->t_entcap = 0;
	table_index(t);
}

/* Split raw bytes into lines; the table keeps the raw bytes too. */
void
table_parse(struct table *t, char *raw, size_t len)
{
	size_t	 i, start = 0, n = 1;

	memset(t, 0, sizeof(*t));
	t->t_raw = raw;
	t->t_rawlen = len;
	t->t_final_nl = 1;
	for (i = 0; i < len; i++)
		n += raw[i] == '\n';
	if ((t->t_lines = calloc(n, sizeof(*t->t_lines))) == NULL)
		err(1, "calloc");
	for (i = 0; i <= len; i++) {
		if (i < len && raw[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if ((t->t_lines[t->t_nlines].tl_text = strndup(raw + start,
		    i - start)) == NULL)
			err(1, "strndup");
		t->t_nlines++;
		if (i == len)
			t->t_final_nl = 0;
		start = i + 1;
	}
	table_index(t);
}

void
table_free(struct table *t)
{
	size_t	 i;

	for (i = 0; i < t->t_nlines; i++)
		free(t->t_lines[i].tl_text);
	free(t->t_lines);
	for (i = 0; i < t->t_nentries; i++)
		free(t->t_entries[i].te_field0);
	free(t->t_entries);
	free(t->t_raw);
}

/* The table as it would be written: lines joined with newlines. */
char *
table_render(const struct table *t, size_t *lenp)
{
	char	*out, *p;
	size_t	 len = 0, i;

	for (i = 0; i < t->t_nlines; i++)
		len += strlen(t->t_lines[i].tl_text) + 1;
	if ((out = malloc(len + 1)) == NULL)
		err(1, "malloc");
	p = out;
	for (i = 0; i < t->t_nlines; i++) {
		size_t	 n = strlen(t->t_lines[i].tl_text);

		memcpy(p, t->t_lines[i].tl_text, n);
		p += n;
		if (i + 1 < t->t_nlines || t->t_final_nl)
			*p++ = '\n';
	}
	*p = '\0';
	*lenp = p - out;
	return out;
}

/* The entry's lines joined, without markers and continuation marks. */
char *
entry_text(const struct table *t, const struct tentry *te)
{
	char	*out = NULL, *b, *s, *j;
	size_t	 i;

	for (i = te->te_first; i <= te->te_last; i++) {
		const char *l = t->t_lines[i].tl_text;

		b = bare(te->te_disabled ? strip_marker(l) : l);
		if (conf_line_joins(b)) {
			size_t	 n = strlen(b) - 1;

			while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\t'))
				n--;
			b[n] = '\0';
		}
		for (s = b; *s == ' ' || *s == '\t'; s++)
			;
		if (out == NULL)
			j = strdup(s);
		else if (asprintf(&j, "%s %s", out, s) == -1)
			j = NULL;
		if (j == NULL)
			err(1, "asprintf");
		free(out);
		free(b);
		out = j;
	}
	return out;
}

/* The service part of a first field: "7001" of "127.0.0.1:7001". */
const char *
service_part(const char *field0)
{
	const char	*colon;

	if (field0[0] == '/')
		return field0;
	colon = conf_hosts_colon(field0);
	return colon != NULL ? colon + 1 : field0;
}

/*
 * The entries in state want (0 enabled, 1 disabled, -1 either) that NAME
 * names: by first field exactly, or else by service part.  Returns how
 * many; the first is stored in *first.
 */
size_t
match_entries(struct table *t, const char *name, int want,
    struct tentry **first)
{
	struct tentry	*te;
	size_t		 i, n = 0, pass;

	*first = NULL;
	for (pass = 0; pass < 2 && n == 0; pass++)
		for (i = 0; i < t->t_nentries; i++) {
			te = &t->t_entries[i];
			if (te->te_hosts ||
			    (want != -1 && te->te_disabled != want))
				continue;
			if (strcmp(pass == 0 ? te->te_field0 :
			    service_part(te->te_field0), name) != 0)
				continue;
			if (n++ == 0)
				*first = te;
		}
	return n;
}

static void
replace_line(struct table *t, size_t i, char *text)
{
	free(t->t_lines[i].tl_text);
	t->t_lines[i].tl_text = text;
}

/*
 * Add text as the table's last line, the table then ending in a newline,
 * and group the lines again.  Returns the entry the line reads as part
 * of, or NULL when it reads as none.
 */
struct tentry *
table_append(struct table *t, const char *text)
{
	struct tline	*tl;

	t->t_final_nl = 1;
	if ((tl = reallocarray(t->t_lines, t->t_nlines + 1,
	    sizeof(*tl))) == NULL)
		err(1, "add");
	t->t_lines = tl;
	if ((tl[t->t_nlines].tl_text = strdup(text)) == NULL)
		err(1, "add");
	t->t_nlines++;
	table_reindex(t);
	if (tl[t->t_nlines - 1].tl_entry < 0 || t->t_entries == NULL)
		return NULL;
	return &t->t_entries[tl[t->t_nlines - 1].tl_entry];
}

/*
 * Change the lines of te, an entry of t: take them out, take the marker
 * off them, or put it on.  The entries no longer match the lines after:
 * a changed table is only rendered (table_render) and freed.
 */
void
table_remove(struct table *t, const struct tentry *te)
{
	size_t	 i, first = te->te_first, last = te->te_last;

	for (i = first; i <= last; i++)
		free(t->t_lines[i].tl_text);
	memmove(&t->t_lines[first], &t->t_lines[last + 1],
	    (t->t_nlines - last - 1) * sizeof(*t->t_lines));
	t->t_nlines -= last - first + 1;
}

void
table_enable(struct table *t, const struct tentry *te)
{
	size_t	 i;
	char	*s;

	for (i = te->te_first; i <= te->te_last; i++) {
		if ((s = strdup(strip_marker(t->t_lines[i].tl_text))) == NULL)
			err(1, "strdup");
		replace_line(t, i, s);
	}
}

void
table_disable(struct table *t, const struct tentry *te)
{
	size_t	 i;
	char	*s;

	for (i = te->te_first; i <= te->te_last; i++) {
		if (asprintf(&s, "%s%s", OFF_MARKER, t->t_lines[i].tl_text) ==
		    -1)
			err(1, "asprintf");
		replace_line(t, i, s);
	}
}
