/*
 * loadgen: a closed-loop load generator for the benchmark.
 *
 * Keeps C connections in flight against one loopback address (epoll,
 * non-blocking connect).  Each connection: connect, optionally send bytes
 * and shut down the write side, read to EOF, close.  Stops by itself at a
 * count or a time bound, then prints one key=value line: completed,
 * errors by kind, conn/s and the latency percentiles in microseconds.
 * With -e, a connection that did not read exactly that many bytes before
 * EOF is an error (err_short), not a completion: a jail that fails to
 * start its program closes the connection as fast as one that runs it.
 * With -P, each connection starts as a balancer's would: a PROXY v2
 * header (TCP over IPv4, client 192.0.2.1, its port the connection's
 * number) in the same write as the bytes of -s, for a superd service
 * with proxy=127.0.0.1.
 *
 *	loadgen -p port [-h 127.0.0.1] [-c conc] [-n count] [-t secs]
 *	    [-s bytes] [-w warmup] [-e bytes] [-P]
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int	 fd;
	int	 sent;
	long	 got;
	double	 start;
};

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct sockaddr_in	 addr;
static int			 epfd, sendlen;
static long			 expect = -1;
static char			 sendbuf[65536];
static long			 err_connect, err_reset, err_other, err_timeout;
static long			 err_short;
static int			 proxyv2;	/* -P */

/* A PROXY v2 header for a client 192.0.2.1:port, to 127.0.0.1:80. */
static size_t
proxy_header(unsigned char *b, unsigned short port)
{
	static const unsigned char sig[12] = { 0x0d, 0x0a, 0x0d, 0x0a, 0x00,
	    0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a };

	memcpy(b, sig, 12);
	b[12] = 0x21;			/* version 2, PROXY */
	b[13] = 0x11;			/* TCP over IPv4 */
	b[14] = 0;
	b[15] = 12;			/* the addresses' length */
	b[16] = 192; b[17] = 0; b[18] = 2; b[19] = 1;
	b[20] = 127; b[21] = 0; b[22] = 0; b[23] = 1;
	b[24] = port >> 8; b[25] = port & 0xff;
	b[26] = 0; b[27] = 80;
	return 28;
}

static int
conn_open(struct conn *c)
{
	struct epoll_event	 ev;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return -1;
	c->sent = 0;
	c->got = 0;
	c->start = now();
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) == -1 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		err_connect++;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 events[1024];
	struct conn		*conns;
	double			*lat, t0, tend, secs = 30, warm = 0;
	long			 count = 1000, done = 0, started = 0, nlat = 0;
	long			 closed = 0;
	const char		*host = "127.0.0.1";
	char			 buf[65536];
	int			 conc = 1, port = 0, ch, i, n;

	while ((ch = getopt(argc, argv, "c:e:h:n:p:Ps:t:w:")) != -1) {
		switch (ch) {
		case 'c': conc = atoi(optarg); break;
		case 'e': expect = atol(optarg); break;
		case 'h': host = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'P': proxyv2 = 1; break;
		case 's': sendlen = atoi(optarg); break;
		case 't': secs = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		default:
			fprintf(stderr, "usage: loadgen -p port [-h host] "
			    "[-c conc] [-n count] [-t secs] [-s bytes] "
			    "[-e bytes] [-P]\n");
			return 2;
		}
	}
	if (port <= 0 || conc <= 0 || count <= 0 || sendlen < 0 ||
	    sendlen > (int)sizeof(sendbuf))
		return 2;
	memset(sendbuf, 'x', sizeof(sendbuf));
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return 2;
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return 1;
	conns = calloc(conc, sizeof(*conns));
	lat = calloc(count, sizeof(*lat));
	if (conns == NULL || lat == NULL)
		return 1;

	/* an optional warm-up: the same load, not counted */
	t0 = now();
	tend = t0 + secs + warm;
	for (i = 0; i < conc && started < count; i++) {
		conns[i].fd = -1;
		if (conn_open(&conns[i]) == 0)
			started++;
	}
	/* until done, out of time, or nothing left in flight */
	while (done < count && started > closed && now() < tend) {
		n = epoll_wait(epfd, events, 1024, 100);
		for (i = 0; i < n; i++) {
			struct conn	*c = events[i].data.ptr;
			ssize_t		 r;
			int		 finished = 0, failed = 0;

			if ((events[i].events & EPOLLOUT) && !c->sent) {
				int	 soerr = 0;
				socklen_t l = sizeof(soerr);

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr,
				    &l);
				if (soerr != 0) {
					err_connect++;
					failed = 1;
				} else {
					struct epoll_event ev;

					if (proxyv2) {
						unsigned char	 b[28 + 65536];
						size_t		 n;

						n = proxy_header(b, (unsigned
						    short)(started & 0xffff));
						memcpy(b + n, sendbuf, sendlen);
						(void)write(c->fd, b, n +
						    sendlen);
						if (sendlen > 0)
							shutdown(c->fd,
							    SHUT_WR);
					} else if (sendlen > 0) {
						(void)write(c->fd, sendbuf,
						    sendlen);
						shutdown(c->fd, SHUT_WR);
					}
					c->sent = 1;
					memset(&ev, 0, sizeof(ev));
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.ptr = c;
					epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd,
					    &ev);
				}
			}
			if (!failed && (events[i].events &
			    (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
				for (;;) {
					r = read(c->fd, buf, sizeof(buf));
					if (r > 0) {
						c->got += r;
						continue;
					}
					if (r == 0 && expect >= 0 &&
					    c->got != expect) {
						err_short++;
						failed = 1;
					} else if (r == 0)
						finished = 1;
					else if (errno == EAGAIN)
						break;
					else {
						if (errno == ECONNRESET)
							err_reset++;
						else if (errno == ECONNREFUSED)
							err_connect++;
						else
							err_other++;
						failed = 1;
					}
					break;
				}
			}
			if (!finished && !failed)
				continue;
			close(c->fd);
			c->fd = -1;
			closed++;
			if (finished) {
				double	 t = now();

				if (t - t0 >= warm)
					lat[nlat++] = (t - c->start) * 1e6;
				done++;
			}
			if (started < count && conn_open(c) == 0)
				started++;
		}
	}
	for (i = 0; i < conc; i++)
		if (conns[i].fd != -1) {
			close(conns[i].fd);
			err_timeout++;
		}
	{
		double	 el = now() - t0 - warm;
		double	 p50 = 0, p90 = 0, p99 = 0, max = 0;

		if (nlat > 0) {
			qsort(lat, nlat, sizeof(*lat), cmp_double);
			p50 = lat[nlat * 50 / 100];
			p90 = lat[nlat * 90 / 100];
			p99 = lat[nlat * 99 / 100];
			max = lat[nlat - 1];
		}
		printf("completed=%ld err_connect=%ld err_reset=%ld "
		    "err_other=%ld err_timeout=%ld err_short=%ld secs=%.3f "
		    "conn_per_s=%.1f "
		    "p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f\n", done,
		    err_connect, err_reset, err_other, err_timeout, err_short,
		    el,
		    el > 0 ? nlat / el : 0, p50, p90, p99, max);
	}
	return done == count ? 0 : 1;
}
