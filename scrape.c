/*
 * scrape.c: the metrics built-in's one HTTP exchange on its connection.
 *
 * It runs in the built-in's forked child (spawn.c, internal.c), a
 * process of its own with its own copy of superd's memory, under the
 * service's user and limits: a scraper that is slow or silent holds this
 * child and one of the service's instances=, never superd's loop.  Every
 * wait has a bound: the request head must come whole within
 * SCRAPE_HEAD_SECS and SCRAPE_HEAD_MAX bytes (else 408 or 431), and the
 * whole exchange ends within SCRAPE_SECS (alarm(2), whose SIGALRM ends
 * the child).  GET and HEAD /metrics are answered with the exposition
 * (metrics.c), anything else with a short error (httpreq.c decides
 * which), then the connection is closed: one request a connection.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "superd.h"

#define SCRAPE_HEAD_MAX		8192	/* bytes of a request head */
#define SCRAPE_HEAD_SECS	10	/* for all of it to come */
#define SCRAPE_SECS		30	/* the whole exchange */
#define SCRAPE_DRAIN_SECS	1	/* what follows the head, read away */
#define SCRAPE_DRAIN_MAX	(64 * 1024)

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * Where stdio's output goes: counted only (fd -1), for Content-Length,
 * or sent.  MSG_NOSIGNAL: the child's SIGPIPE is the default one.
 */
struct sink {
	int		 sk_fd;
	size_t		 sk_n;
};

static ssize_t
sink_write(void *cookie, const char *buf, size_t len)
{
	struct sink	*sk = cookie;
	size_t		 off = 0;
	ssize_t		 n;

	if (sk->sk_fd != -1)
		while (off < len) {
			n = send(sk->sk_fd, buf + off, len - off,
			    MSG_NOSIGNAL);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				return -1;
			off += (size_t)n;
		}
	sk->sk_n += len;
	return (ssize_t)len;
}

static FILE *
sink_open(struct sink *sk, int fd)
{
	cookie_io_functions_t	 io = { NULL, sink_write, NULL, NULL };
	FILE			*f;

	sk->sk_fd = fd;
	sk->sk_n = 0;
	if ((f = fopencookie(sk, "w", io)) == NULL)
		_exit(1);
	(void)setvbuf(f, NULL, _IOFBF, 65536);
	return f;
}

static double
now_secs(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for input until deadline: 1 when there is some, 0 at the bound. */
static int
wait_input(int fd, double deadline)
{
	struct pollfd	 pfd;
	double		 left;
	int		 r;

	for (;;) {
		if ((left = deadline - now_secs()) <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r == -1 && errno == EINTR)
			continue;
		return r != 0;
	}
}

/*
 * Read the request head into buf: its status (httpreq.c's, 408 at the
 * time bound, 431 when SCRAPE_HEAD_MAX bytes hold no whole head), or
 * -1 when the client went away (or sent nothing at all before its EOF).
 */
static int
read_head(int fd, char *buf, struct httpreq *hr)
{
	double		 deadline = now_secs() + SCRAPE_HEAD_SECS;
	size_t		 len = 0;
	ssize_t		 n;

	while (httpreq_parse(buf, len, hr) == HTTP_MORE) {
		if (len == SCRAPE_HEAD_MAX)
			return 431;
		if (!wait_input(fd, deadline))
			return 408;
		n = read(fd, buf + len, SCRAPE_HEAD_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || (n == 0 && len == 0))
			return -1;
		if (n == 0)
			return 400;	/* a head cut short */
		len += (size_t)n;
	}
	return hr->hr_status;
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:	return "OK";
	case 400:	return "Bad Request";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 408:	return "Request Timeout";
	case 431:	return "Request Header Fields Too Large";
	case 505:	return "HTTP Version Not Supported";
	}
	return "Error";
}

/* The status line and the fields every answer has. */
static void
head_out(FILE *f, int status, const char *type, size_t len)
{
	char		 date[64];
	time_t		 t = time(NULL);
	struct tm	 tm;

	(void)fprintf(f, "HTTP/1.1 %d %s\r\n", status, reason(status));
	if (gmtime_r(&t, &tm) != NULL && strftime(date, sizeof(date),
	    "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
		(void)fprintf(f, "Date: %s\r\n", date);
	(void)fprintf(f, "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n", type, len);
	if (status == 405)
		(void)fputs("Allow: GET, HEAD\r\n", f);
	(void)fputs("\r\n", f);
}

/*
 * The answer: the exposition for 200, written twice, first only to be
 * counted (the child's copy of the counters does not change between
 * the two), or a line saying what was wrong.
 */
static void
answer(int fd, int status, int head)
{
	struct sink	 sk;
	FILE		*f;
	char		 body[128];
	size_t		 len;

	if (status == 200) {
		f = sink_open(&sk, -1);
		metrics_write(f);
		(void)fclose(f);
		len = sk.sk_n;
		f = sink_open(&sk, fd);
		head_out(f, 200, CONTENT_TYPE, len);
		if (!head)
			metrics_write(f);
	} else {
		(void)snprintf(body, sizeof(body), "%d %s%s\n", status,
		    reason(status), status == 404 ? ": try /metrics" : "");
		f = sink_open(&sk, fd);
		head_out(f, status, "text/plain; charset=utf-8",
		    strlen(body));
		if (!head)
			(void)fputs(body, f);
	}
	(void)fclose(f);
}

/*
 * What the client sent after the head (or instead of one) is read away,
 * for a while, after the answer: a close with unread input answers with
 * a reset, which may cost the client the answer.
 */
static void
drain(int fd, char *buf)
{
	double		 deadline = now_secs() + SCRAPE_DRAIN_SECS;
	size_t		 total = 0;
	ssize_t		 n;

	(void)shutdown(fd, SHUT_WR);
	while (total < SCRAPE_DRAIN_MAX && wait_input(fd, deadline)) {
		if ((n = read(fd, buf, SCRAPE_HEAD_MAX)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
	}
}

/* The exchange on fd, in the built-in's child; it ends the child. */
void
scrape_serve(int fd)
{
	static char	 buf[SCRAPE_HEAD_MAX];
	struct httpreq	 hr;
	int		 status;

	(void)alarm(SCRAPE_SECS);
	if ((status = read_head(fd, buf, &hr)) != -1) {
		answer(fd, status, hr.hr_head);
		drain(fd, buf);
	}
	_exit(0);
}
