/*
 * cg2prog.c: the services tests/cgroup2.sh runs in its virtual machine,
 * linked statically (the machine has busybox and superd, no python).
 *
 *   cg2prog hog MIB	touch MIB mebibytes, then print "survived"
 *   cg2prog fork N	fork up to N children that wait, print "forked K"
 *			(K < N when the pids controller refused), end them
 *   cg2prog show S	print its own cgroup (/proc/self/cgroup's "0::"
 *			line) and that cgroup's memory.max, wait S seconds
 *   cg2prog talk PORT	the client: connect to 127.0.0.1:PORT, send
 *			nothing, print what comes back, 20 s at most
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Connect to 127.0.0.1:port, shut our side, copy the answer out. */
static int
talk(int port)
{
	struct sockaddr_in	 sin;
	char			 buf[4096];
	ssize_t			 r;
	int			 s;

	(void)alarm(20);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("connect");
		return 1;
	}
	(void)shutdown(s, SHUT_WR);
	while ((r = read(s, buf, sizeof(buf))) > 0)
		(void)write(1, buf, (size_t)r);
	return 0;
}

int
main(int argc, char *argv[])
{
	pid_t	 pids[1024];
	char	*p;
	long	 n, k;

	if (argc != 3)
		return 2;
	n = strtol(argv[2], NULL, 10);
	if (strcmp(argv[1], "talk") == 0)
		return talk((int)n);
	if (strcmp(argv[1], "show") == 0) {
		FILE	*f = fopen("/proc/self/cgroup", "r");
		char	 line[512], path[600];

		while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "0::", 3) != 0)
				continue;
			line[strcspn(line, "\n")] = '\0';
			printf("%s\n", line + 3);
			(void)snprintf(path, sizeof(path),
			    "/sys/fs/cgroup%s/memory.max", line + 3);
			if ((f = fopen(path, "r")) == NULL ||
			    fgets(line, sizeof(line), f) == NULL)
				return 1;
			printf("%s", line);
			break;
		}
		(void)sleep((unsigned)n);
		return 0;
	}
	if (strcmp(argv[1], "hog") == 0) {
		volatile char	*v;
		size_t		 i;

		/* through a volatile pointer: the compiler elides a memset */
		if ((p = malloc((size_t)n << 20)) == NULL)
			return 1;
		v = p;
		for (i = 0; i < (size_t)n << 20; i += 4096)
			v[i] = 'x';
		printf("survived%s\n", v[0] == 'x' ? "" : "?");
		return 0;
	}
	if (n > 1024)
		n = 1024;
	for (k = 0; k < n; k++) {
		if ((pids[k] = fork()) == -1)
			break;
		if (pids[k] == 0) {
			(void)pause();
			_exit(0);
		}
	}
	printf("forked %ld\n", k);
	(void)fflush(stdout);
	while (k-- > 0) {
		(void)kill(pids[k], SIGKILL);
		(void)waitpid(pids[k], NULL, 0);
	}
	return 0;
}
