/*
 * log.c: where superd's lines go, in the shape of OpenBSD's daemons.
 *
 * Under -d or -e every line goes to stderr; the lines of one turn of the
 * event loop are written together by log_flush(), with one write(2), so
 * that they never interleave with another writer's and a busy turn costs
 * one system call, not two per connection.  Otherwise lines go to
 * syslog, facility daemon.  log_debug() speaks only under -d.  Lines are key=value;
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
static int	log_held;		/* lines wait for log_flush() */
static char	log_buf[16384];
static size_t	log_len;

void
log_init(int tostderr, int verbose)
{
	log_stderr = tostderr;
	log_verbose = verbose;
	if (!tostderr)
		openlog("superd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	(void)atexit(log_flush);
}

/* From now on stderr lines wait for the end of the loop's turn. */
void
log_hold(void)
{
	log_held = 1;
}

void
log_flush(void)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < log_len) {
		n = write(STDERR_FILENO, log_buf + off, log_len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	log_len = 0;
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
		if (!log_held) {
			(void)write(STDERR_FILENO, buf, n);
			return;
		}
		if (log_len + n > sizeof(log_buf))
			log_flush();
		memcpy(log_buf + log_len, buf, n);
		log_len += n;
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
 * line whatever a table or a peer put in it.  The value is cut at a whole
 * escape when dst is full: never half an escape before the closing quote.
 */
void
log_quote(char *dst, size_t size, const char *src)
{
	char	 one[5];	/* vis(3) writes at most 4 bytes and a NUL */
	size_t	 j, n;

	if (size < 3) {
		if (size > 0)
			dst[0] = '\0';
		return;
	}
	j = 0;
	dst[j++] = '"';
	for (; *src != '\0'; src++) {
		if (*src == '"') {
			one[0] = '\\';
			one[1] = '"';
			n = 2;
		} else
			n = vis(one, (unsigned char)*src, VIS_OCTAL |
			    VIS_CSTYLE | VIS_TAB | VIS_NL,
			    (unsigned char)src[1]) - one;
		if (j + n + 2 > size)
			break;		/* room for the quote and the NUL */
		memcpy(dst + j, one, n);
		j += n;
	}
	dst[j++] = '"';
	dst[j] = '\0';
}
