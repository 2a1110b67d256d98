/*
 * log.c: where superd's lines go, in the shape of OpenBSD's daemons.
 *
 * Under -d or -e every line goes to stderr; the lines of one turn of the
 * event loop are written together by log_flush(), with one write(2), so
 * that they never interleave with another writer's and a busy turn costs
 * one system call, not two per connection.  Otherwise lines go to
 * syslog, facility daemon, through superd's own socket to /dev/log: a
 * datagram socket, or, where syslogd listens on a stream socket, a stream
 * one, as syslog(3) falls back to, each message ending in a NUL as
 * syslog(3) ends them there.  Stream messages wait in the same queue as
 * stderr lines, so a partial write keeps the rest for later, and a
 * syslogd that closed or restarted is reconnected; log_check_syslog()
 * says on stderr, before daemon(3), when no syslogd listens at all.
 * log_debug() speaks only under -d.  Lines are key=value.  A value from
 * the table or the command line (svc=, addr=, path=) goes through
 * log_str(): as it is when it is plain, else quoted by log_quote() (both
 * in logtext.c); a message (error=, a table's errors and warnings) is
 * always quoted.  What a peer sends is never logged by superd itself:
 * peer= is an address superd formats itself ("unix" for a unix peer); a
 * service's stderr line (errlog.c), which may repeat it, is always
 * quoted, cut at ERRLOG_LINE bytes, and rate-limited.
 *
 * Invariant: once the loop runs, no log call waits.  A line that cannot
 * be written now (a stderr pipe nobody reads, a syslogd that does not
 * keep up) waits in a bounded buffer or is dropped and counted, and one
 * event=log-dropped line says how many once lines go out again.  So is
 * a line for which no syslog socket can be reached at all.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"

#define LOG_PATH	"/dev/log"
#define LOG_RETRY_MS	100	/* stderr: try again this soon */
#define LOG_RECONNECT_S	1	/* syslog: reconnect at most this often */
#define LOG_EXIT_MS	1000	/* at exit, wait this long for stderr */
#define LOG_LINE_MAX	6144	/* a line, at most: a child's stderr line
				   of ERRLOG_LINE bytes, each escaped \ooo */

static int	log_stderr = 1;
static int	log_verbose;
static int	log_held;		/* lines wait for log_flush() */
static int	log_fd = STDERR_FILENO;	/* where stderr lines go */
static int	log_fdsock;		/* log_fd is a socket: MSG_DONTWAIT */
static char	log_buf[65536];		/* stderr lines not written yet */
static size_t	log_len;
static unsigned long log_dropped;	/* lines lost since the last one out */
static int	log_sock = -1;		/* syslog: our socket to /dev/log */
static int	log_socktype = SOCK_DGRAM; /* syslog: what /dev/log took */
static int	log_partial;		/* stream: log_buf starts mid-message */
static time_t	log_connect_at;		/* syslog: last connect attempt */

static void	log_drain(void);
static void	log_sendq(void);

/*
 * Connect superd's own socket to syslogd: a datagram socket, or a stream
 * one when /dev/log is a stream socket (connect(2) of a datagram socket
 * to it fails with EPROTOTYPE), as syslog(3) does.  Non-blocking, so a
 * syslogd that stops reading costs a dropped line, never a wait; syslog(3)
 * would block in send(2) when the socket's queue is full.  A unix stream
 * connect(2) does not wait either: with the listener's backlog full it
 * fails with EAGAIN, and we try again later.  At most one attempt every
 * LOG_RECONNECT_S seconds.
 */
static int
log_connect(void)
{
	static const int	 types[] = { SOCK_DGRAM, SOCK_STREAM };
	struct sockaddr_un	 sun;
	time_t			 now = time(NULL);
	size_t			 i;
	int			 fd, saved;

	if (log_sock != -1)
		return 0;
	if (now - log_connect_at < LOG_RECONNECT_S && log_connect_at != 0)
		return -1;
	log_connect_at = now;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, LOG_PATH, sizeof(sun.sun_path));
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
		if (fd == -1)
			return -1;
		fd = fd_high(fd);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			log_sock = fd;
			log_socktype = types[i];
			log_partial = 0;
			return 0;
		}
		saved = errno;
		(void)close(fd);
		if (saved != EPROTOTYPE)
			break;
	}
	return -1;
}

/* The connection to syslogd is gone (it closed, or restarted). */
static void
log_disconnect(void)
{
	char	*z;

	if (log_sock != -1)
		(void)close(log_sock);
	log_sock = -1;
	/* the rest of a message half sent would be garbage to a new one */
	if (log_partial) {
		if ((z = memchr(log_buf, '\0', log_len)) != NULL) {
			log_len -= z + 1 - log_buf;
			memmove(log_buf, z + 1, log_len);
		} else
			log_len = 0;
		log_dropped++;
		log_partial = 0;
	}
}

void
log_init(int tostderr, int verbose)
{
	log_stderr = tostderr;
	log_verbose = verbose;
	if (!tostderr)
		(void)log_connect();
	(void)atexit(log_drain);
}

/*
 * Logging to syslog with no syslog listening is logging into the void:
 * say so on stderr while it can still be read (before daemon(3)).  The
 * same sockets as log_connect()'s: datagram, then stream when /dev/log is a
 * stream socket (EPROTOTYPE); non-blocking, so a full backlog (EAGAIN:
 * someone listens) does not wait.
 */
void
log_check_syslog(void)
{
	struct sockaddr_un	 sun;
	int			 fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, _PATH_LOG, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)close(fd);
	if (r == -1 && errno == EPROTOTYPE) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) == -1)
			return;
		r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
		if (r == -1 && errno == EAGAIN)
			r = 0;
		(void)close(fd);
	}
	if (r == -1)
		warn("no syslog at %s, superd's log would go nowhere "
		    "(-e or -d logs to standard error)", _PATH_LOG);
}


/*
 * Give stderr lines a descriptor of their own that can be non-blocking.
 * fd 2 is shared with children whose stderr is inherited, so O_NONBLOCK
 * on its open file description would change theirs too.  On Linux,
 * opening /proc/self/fd/2 gives a pipe, a FIFO or a terminal a new open
 * file description; a socket takes MSG_DONTWAIT per call instead.  A
 * regular file or another device (/dev/null) is written to as it is: it
 * does not wait for a reader.
 */
static void
log_open_stderr(void)
{
	struct stat	 st;
	int		 fd;

	if (fstat(STDERR_FILENO, &st) == -1)
		return;
	if (S_ISSOCK(st.st_mode)) {
		log_fdsock = 1;
		return;
	}
	if (!S_ISFIFO(st.st_mode) && !isatty(STDERR_FILENO))
		return;
	fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd != -1)
		log_fd = fd_high(fd);
}

/*
 * From now on stderr lines wait for the end of the loop's turn.  Called
 * as the loop starts, after daemon(3) has put /dev/null on fd 2.
 */
void
log_hold(void)
{
	log_held = 1;
	if (log_stderr)
		log_open_stderr();
}

/* Lines in the bytes from p on: what is lost when they cannot go out. */
static unsigned long
log_lines(const char *p, size_t len)
{
	unsigned long	 n = 0;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (p[i] == '\n')
			n++;
	return n;
}

/* Write what waits, as far as stderr takes it without waiting. */
static void
log_write(void)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < log_len) {
		if (log_fdsock)
			n = send(log_fd, log_buf + off, log_len - off,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(log_fd, log_buf + off, log_len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* EPIPE, EIO, ENOSPC: what waits is lost */
			log_dropped += log_lines(log_buf + off, log_len - off);
			off = log_len;
			break;
		}
		off += n;
	}
	if (off > 0 && off < log_len)
		memmove(log_buf, log_buf + off, log_len - off);
	log_len -= off;
}

/* Queue one stderr line (with its newline), or count it as dropped. */
static void
log_queue(const char *line, size_t n)
{
	if (log_len + n > sizeof(log_buf)) {
		log_dropped++;
		return;
	}
	memcpy(log_buf + log_len, line, n);
	log_len += n;
}

/*
 * Send what waits for syslogd (stream messages, each ending in a NUL), as
 * far as its socket takes it without waiting.  A partial send(2) keeps
 * the rest at the head of the queue; EPIPE or ECONNRESET (syslogd closed
 * or restarted) drops the message cut in half, counted, and reconnects,
 * at most twice a call.  A syslogd back on a datagram socket gets what
 * waits one datagram per message.
 */
static void
log_sendq(void)
{
	size_t	 off = 0, len;
	ssize_t	 n;
	char	*z;
	int	 tries = 0;

	while (off < log_len) {
		if (log_connect() == -1)
			break;		/* kept: the queue's size bounds it */
		if (log_socktype == SOCK_DGRAM) {
			z = memchr(log_buf + off, '\0', log_len - off);
			len = z != NULL ? (size_t)(z - (log_buf + off)) :
			    log_len - off;
			if (send(log_sock, log_buf + off, len, MSG_DONTWAIT |
			    MSG_NOSIGNAL) == -1) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == ENOBUFS || ++tries > 2)
					break;
				log_disconnect();
				log_connect_at = 0;
				continue;
			}
			off += z != NULL ? len + 1 : len;
			continue;
		}
		n = send(log_sock, log_buf + off, log_len - off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* EPIPE, ECONNRESET, ENOTCONN: syslogd went away */
			if (off > 0) {
				memmove(log_buf, log_buf + off, log_len - off);
				log_len -= off;
				off = 0;
			}
			log_disconnect();
			if (++tries > 2)
				break;
			log_connect_at = 0;
			continue;
		}
		off += n;
		log_partial = log_buf[off - 1] != '\0';
	}
	if (off > 0 && off < log_len)
		memmove(log_buf, log_buf + off, log_len - off);
	log_len -= off;
}

/*
 * Send one syslog message: a datagram now, or, to a stream syslogd (or
 * while messages wait for one), queued for log_sendq(); -1 when it could
 * not go out and is to be counted as dropped.
 */
static int
log_send(int pri, const char *msg)
{
	char		 buf[LOG_LINE_MAX + 128], stamp[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 n, tries;

	/* RFC 3164, as syslog(3) writes it */
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%h %e %T", &tm) == 0)
		stamp[0] = '\0';
	n = snprintf(buf, sizeof(buf), "<%d>%s superd[%d]: %s",
	    LOG_DAEMON | pri, stamp, (int)getpid(), msg);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	/* a stream syslogd: queue it, NUL and all (log_sendq sends it) */
	if ((log_connect() == 0 && log_socktype == SOCK_STREAM) ||
	    (log_sock == -1 && log_len > 0)) {
		if (log_len + n + 1 > sizeof(log_buf))
			return -1;
		memcpy(log_buf + log_len, buf, n);
		log_buf[log_len + n] = '\0';
		log_len += n + 1;
		if (!log_held)
			log_sendq();
		return 0;
	}
	for (tries = 0; tries < 2; tries++) {
		if (log_connect() == -1)
			return -1;
		if (log_socktype == SOCK_STREAM)
			return log_send(pri, msg);
		if (send(log_sock, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) != -1)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ENOBUFS || errno == EINTR)
			return -1;
		/* syslogd restarted: its socket is a new one */
		(void)close(log_sock);
		log_sock = -1;
		log_connect_at = 0;
	}
	return -1;
}

/* Say how many lines were lost, once lines go out again. */
static int
log_say_dropped(void)
{
	char	 note[64];
	int	 n;

	if (log_dropped == 0)
		return 0;
	n = snprintf(note, sizeof(note), "event=log-dropped lines=%lu",
	    log_dropped);
	if (!log_stderr) {
		/* as for stderr: not before half of what waits has gone */
		if (log_len > sizeof(log_buf) / 2 ||
		    log_send(LOG_WARNING, note) == -1)
			return -1;
	} else {
		/* not before the reader has taken half of what waited */
		note[n++] = '\n';
		if (log_len > sizeof(log_buf) / 2)
			return -1;
		memcpy(log_buf + log_len, note, n);
		log_len += n;
	}
	log_dropped = 0;
	return 0;
}

/* Called at the end of each loop turn: write what waits, never wait. */
void
log_flush(void)
{
	if (log_stderr)
		log_write();
	else if (log_len > 0)
		log_sendq();
	if (log_dropped > 0 && log_say_dropped() == 0) {
		if (log_stderr)
			log_write();
		else if (log_len > 0)
			log_sendq();
	}
}

/*
 * How long the loop may sleep before log_flush() should try again:
 * -1 when nothing waits.  Datagram syslog needs no wake-up: a count of
 * lost lines goes out before the next line, and the kernel says nothing
 * when syslogd is back anyway; messages queued for a stream syslogd do.
 */
int
log_retry_ms(void)
{
	if (log_len > 0 || (log_stderr && log_dropped > 0))
		return LOG_RETRY_MS;
	return -1;
}

/*
 * At exit: give stderr, or a stream syslogd, a bounded time to take the
 * last lines.
 */
static void
log_drain(void)
{
	struct pollfd	 pfd;
	int		 i;

	log_flush();
	for (i = 0; i < LOG_EXIT_MS / LOG_RETRY_MS; i++) {
		if (log_stderr ? log_len == 0 && log_dropped == 0 :
		    log_len == 0 || log_sock == -1)
			break;
		pfd.fd = log_stderr ? log_fd : log_sock;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, LOG_RETRY_MS) == -1 && errno != EINTR)
			break;
		log_flush();
	}
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 buf[LOG_LINE_MAX];
	int	 n;

	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (log_stderr) {
		/* lines lost come before this one: say so first */
		if (log_dropped > 0 && log_say_dropped() == -1) {
			log_dropped++;
			return;
		}
		buf[n++] = '\n';
		log_queue(buf, n);
		if (!log_held)
			log_flush();
	} else {
		buf[n] = '\0';
		if ((log_dropped > 0 && log_say_dropped() == -1) ||
		    log_send(pri, buf) == -1)
			log_dropped++;
	}
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
	char	 buf[1024], msg[1200], q[1400];
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	(void)snprintf(msg, sizeof(msg), "%s: %s", buf, strerror(saved));
	log_quote(q, sizeof(q), msg);
	log_warnx("event=fatal error=%s", q);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	 buf[1024], q[1200];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_quote(q, sizeof(q), buf);
	log_warnx("event=fatal error=%s", q);
	exit(1);
}
