/*
 * log.c: where superd's lines go, in the shape of OpenBSD's daemons.
 *
 * Under -d or -e every line goes to stderr, written with one write(2) so
 * that lines from the parent never interleave; otherwise to syslog,
 * facility daemon.  log_debug() speaks only under -d.  Lines are key=value;
 * any value that a peer or a table controls goes through log_quote().
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#define LIBBSD_OPENBSD_VIS	/* strnvis(dst, src, size, flags) */
#include <vis.h>

#include "superd.h"

static int	log_stderr = 1;
static int	log_verbose;

void
log_init(int tostderr, int verbose)
{
	log_stderr = tostderr;
	log_verbose = verbose;
	if (!tostderr)
		openlog("superd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 buf[2048];
	int	 n;

	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (log_stderr) {
		buf[n++] = '\n';
		(void)write(STDERR_FILENO, buf, n);
	} else
		syslog(pri, "%s", buf);
}

/* Like log_warnx(), with ": strerror(errno)" appended. */
void
log_warn(const char *fmt, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s error=\"%s\"", buf, strerror(saved));
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char	 buf[1024];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("event=fatal error=\"%s: %s\"", buf, strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * Write src as a double-quoted value: quotes and backslashes escaped,
 * control and non-ASCII bytes in vis(3) octal, so one log line stays one
 * line whatever a table or a peer put in it.
 */
void
log_quote(char *dst, size_t size, const char *src)
{
	char	 tmp[1024];
	size_t	 i, j;

	(void)strnvis(tmp, src, sizeof(tmp), VIS_OCTAL | VIS_CSTYLE |
	    VIS_TAB | VIS_NL);
	if (size < 3) {
		if (size > 0)
			dst[0] = '\0';
		return;
	}
	j = 0;
	dst[j++] = '"';
	for (i = 0; tmp[i] != '\0' && j + 3 < size; i++) {
		if (tmp[i] == '"')
			dst[j++] = '\\';
		dst[j++] = tmp[i];
	}
	dst[j++] = '"';
	dst[j] = '\0';
}
