/*
 * httpreq.c: an HTTP/1.x request head, read for the metrics built-in
 * (scrape.c): a pure function over a buffer, which reads nothing past
 * the length it is given and keeps nothing.  Fuzzed by fuzz/http_fuzz.c.
 *
 * RFC 9112's form, strictly: empty lines before the request line are
 * skipped (section 2.2); the request line is a method, one space, a
 * target, one space, HTTP/DIGIT.DIGIT; each field line a token, a colon
 * and a value of visible characters, spaces and tabs (no line folding,
 * no bare CR, no control character); a line ends with LF, CR LF being
 * one.  An HTTP/1.1 request has exactly one Host field (section 3.2).
 * The answer is decided as soon as it can be: a request line that asks
 * for something else is answered without waiting for the rest.
 */

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "superd.h"

/* RFC 9110's tchar: what a method or a field name is made of. */
static int
is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The next line from p (before end): its length without CR LF, or -1. */
static ptrdiff_t
line_len(const char *p, const char *end, const char **next)
{
	const char	*lf;
	ptrdiff_t	 n;

	if ((lf = memchr(p, '\n', (size_t)(end - p))) == NULL)
		return -1;
	*next = lf + 1;
	n = lf - p;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/*
 * The request line, n bytes at p: 0 when the head may go on to 200,
 * else the status that answers it.
 */
static int
request_line(const char *p, size_t n, struct httpreq *hr, int *minor)
{
	const char	*sp1, *sp2, *t, *path, *end;
	size_t		 mlen, tlen, plen, i;

	if ((sp1 = memchr(p, ' ', n)) == NULL || sp1 == p)
		return 400;
	mlen = (size_t)(sp1 - p);
	for (i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return 400;
	t = sp1 + 1;
	if ((sp2 = memchr(t, ' ', n - mlen - 1)) == NULL || sp2 == t)
		return 400;
	tlen = (size_t)(sp2 - t);
	for (i = 0; i < tlen; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 400;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, and nothing after it */
	end = p + n;
	if (end - (sp2 + 1) != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    sp2[6] < '0' || sp2[6] > '9' || sp2[7] != '.' ||
	    sp2[8] < '0' || sp2[8] > '9')
		return 400;
	if (sp2[6] != '1')
		return 505;
	*minor = sp2[8] - '0';
	if (mlen == 4 && memcmp(p, "HEAD", 4) == 0)
		hr->hr_head = 1;
	else if (mlen != 3 || memcmp(p, "GET", 3) != 0)
		return 405;
	/* origin-form "/path?query", or absolute-form "http://host/path" */
	path = t;
	plen = tlen;
	if (tlen >= 7 && (strncasecmp(t, "http://", 7) == 0 ||
	    (tlen >= 8 && strncasecmp(t, "https://", 8) == 0))) {
		i = t[4] == ':' ? 7 : 8;
		while (i < tlen && t[i] != '/' && t[i] != '?')
			i++;
		path = t + i;
		plen = tlen - i;
	} else if (t[0] != '/')
		return 400;
	for (i = 0; i < plen && path[i] != '?'; i++)
		;
	if (i != 8 || memcmp(path, "/metrics", 8) != 0)
		return 404;
	return 0;
}

/*
 * A field line, n bytes at p (not empty): 0 when well formed, counting
 * Host fields in *hosts, else 400.
 */
static int
field_line(const char *p, size_t n, int *hosts)
{
	size_t	 i, name;

	for (name = 0; name < n && p[name] != ':'; name++)
		if (!is_tchar((unsigned char)p[name]))
			return 400;	/* a space before the colon, a fold */
	if (name == 0 || name == n)
		return 400;
	for (i = name + 1; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    (unsigned char)p[i] == 0x7f)
			return 400;
	if (name == 4 && strncasecmp(p, "host", 4) == 0)
		(*hosts)++;
	return 0;
}

/*
 * The len bytes at buf, a request head or the start of one.  Sets and
 * returns hr->hr_status: HTTP_MORE while no answer can be decided yet
 * (read on), 200 for a whole head asking GET or HEAD /metrics (a query
 * string ignored), 400 for a malformed one, 404 for another target, 405
 * for another method, 505 for another major version.  hr_len is how
 * many bytes decided it (the whole head, for 200), hr_head whether the
 * method was HEAD.
 */
int
httpreq_parse(const char *buf, size_t len, struct httpreq *hr)
{
	const char	*p = buf, *end = buf + len, *next;
	ptrdiff_t	 n;
	int		 st, minor = 0, hosts = 0;

	memset(hr, 0, sizeof(*hr));
	/* empty lines before the request line are skipped */
	while ((n = line_len(p, end, &next)) == 0)
		p = next;
	if (n == -1)
		return hr->hr_status = HTTP_MORE;
	if ((st = request_line(p, (size_t)n, hr, &minor)) != 0) {
		hr->hr_len = (size_t)(next - buf);
		return hr->hr_status = st;
	}
	for (p = next; (n = line_len(p, end, &next)) > 0; p = next)
		if (field_line(p, (size_t)n, &hosts) != 0) {
			hr->hr_len = (size_t)(next - buf);
			return hr->hr_status = 400;
		}
	if (n == -1)
		return hr->hr_status = HTTP_MORE;
	hr->hr_len = (size_t)(next - buf);
	if (hosts > 1 || (minor >= 1 && hosts == 0))
		return hr->hr_status = 400;
	return hr->hr_status = 200;
}
