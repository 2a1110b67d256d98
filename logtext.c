/*
 * logtext.c: text made fit for one log line or root's terminal, and a
 * signal's name as the logs spell it.  log_quote() writes a value as a
 * double-quoted string with every byte that could end a line or fake a key
 * escaped (log_quote_mem() the same of bytes that may hold a NUL); log_str()
 * leaves a plain table value as it is and quotes any other; log_vis() prints
 * table text for superd -t and supertab with every control byte escaped;
 * log_signame() names a signal.
 *
 * A leaf below log.c (fatal() quotes its message here): no state but
 * log_str()'s and log_signame()'s static buffers, no I/O but log_vis()'s
 * stdio, and nothing from any other superd file.
 */

#include <signal.h>
#include <stdio.h>
#include <string.h>
#define LIBBSD_OPENBSD_VIS	/* strnvis(dst, src, size, flags) */
#include <vis.h>

#include "superd.h"

#define LOG_STR_BUFS	4	/* log_str() values alive at once */

/*
 * Write src as a double-quoted value: quotes and backslashes escaped,
 * control and non-ASCII bytes in vis(3) octal, so one log line stays one
 * line whatever a table or a peer put in it.  The value is cut at a whole
 * escape when dst is full: never half an escape before the closing quote.
 */
void
log_quote(char *dst, size_t size, const char *src)
{
	log_quote_mem(dst, size, src, strlen(src));
}

/*
 * log_quote() of len bytes that may hold any byte, NUL too (a child's
 * stderr line): a NUL is written \0 as the other control bytes are.
 */
void
log_quote_mem(char *dst, size_t size, const char *src, size_t len)
{
	char	 one[5];	/* vis(3) writes at most 4 bytes and a NUL */
	size_t	 i, j, n;

	if (size < 3) {
		if (size > 0)
			dst[0] = '\0';
		return;
	}
	j = 0;
	dst[j++] = '"';
	for (i = 0; i < len; i++) {
		if (src[i] == '"') {
			one[0] = '\\';
			one[1] = '"';
			n = 2;
		} else
			n = vis(one, (unsigned char)src[i], VIS_OCTAL |
			    VIS_CSTYLE | VIS_TAB | VIS_NL, i + 1 < len ?
			    (unsigned char)src[i + 1] : '\0') - one;
		if (j + n + 2 > size)
			break;		/* room for the quote and the NUL */
		memcpy(dst + j, one, n);
		j += n;
	}
	dst[j++] = '"';
	dst[j] = '\0';
}

/*
 * Print s on fp for a terminal: control bytes, DEL, non-ASCII bytes and
 * backslashes as vis(3) escapes (\033, \r, \\), tabs and everything else
 * as they are, so that no table (an ESC sequence in an argument or a
 * comment) can move root's cursor, retitle the terminal or hide a line.
 * Used wherever superd -t or supertab prints table text or errors.
 */
void
log_vis(FILE *fp, const char *s)
{
	char	 one[5];	/* vis(3) writes at most 4 bytes and a NUL */

	for (; *s != '\0'; s++) {
		(void)vis(one, (unsigned char)*s, VIS_OCTAL | VIS_CSTYLE |
		    VIS_NL, (unsigned char)s[1]);
		(void)fputs(one, fp);
	}
}

/*
 * A table's text (a service name, an address, a path) as a log value:
 * as it is when it is plain (printable ASCII without blanks, quotes,
 * backslashes or '='), else through log_quote(), so that no table can
 * end a line early or make a value look like another key.  A NULL is "-".
 * The result lives until LOG_STR_BUFS more calls: enough for one line.
 */
const char *
log_str(const char *s)
{
	static char		 buf[LOG_STR_BUFS][1024];
	static unsigned int	 next;
	const unsigned char	*p;
	char			*q;

	if (s == NULL)
		return "-";
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\\' ||
		    *p == '=')
			break;
	if (*p == '\0' && p != (const unsigned char *)s)
		return s;
	q = buf[next++ % LOG_STR_BUFS];
	log_quote(q, sizeof(buf[0]), s);
	return q;
}

/*
 * A signal as logs spell it: its name without "SIG" (TERM, KILL, XCPU),
 * RTMIN+N for a real-time one, the number only if it has no name.
 */
const char *
log_signame(int sig)
{
	static char	 buf[16];
	const char	*s;

	if ((s = sigabbrev_np(sig)) != NULL)
		return s;
	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		(void)snprintf(buf, sizeof(buf), "RTMIN+%d", sig - SIGRTMIN);
	else
		(void)snprintf(buf, sizeof(buf), "%d", sig);
	return buf;
}
