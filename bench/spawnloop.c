/*
 * spawnloop: the bare limit, no network.  Starts PROG with C children in
 * flight until N have been reaped, with fork, vfork or posix_spawn, each
 * child's stdout on /dev/null, and prints spawns per second.
 *
 *	spawnloop -m fork|vfork|posix_spawn [-c conc] [-n count] prog
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char	**environ;

/* static: vfork's child shares this frame's variables with the parent */
static const char	*mode = "vfork";
static long		 count = 1000, started, done;
static int		 conc = 1;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static char	*args[2];
	double		 t0, el;
	pid_t		 pid;
	int		 ch, devnull, st;

	while ((ch = getopt(argc, argv, "c:m:n:")) != -1) {
		switch (ch) {
		case 'c': conc = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'n': count = atol(optarg); break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || conc <= 0)
		return 2;
	args[0] = argv[optind];
	args[1] = NULL;
	devnull = open("/dev/null", O_WRONLY);
	t0 = now();
	while (done < count) {
		while (started < count && started - done < conc) {
			if (strcmp(mode, "posix_spawn") == 0) {
				posix_spawn_file_actions_t fa;

				posix_spawn_file_actions_init(&fa);
				posix_spawn_file_actions_adddup2(&fa, devnull, 1);
				if (posix_spawn(&pid, args[0], &fa, NULL, args,
				    environ) != 0)
					return 1;
				posix_spawn_file_actions_destroy(&fa);
			} else {
				pid = strcmp(mode, "fork") == 0 ? fork() : vfork();
				if (pid == -1)
					return 1;
				if (pid == 0) {
					dup2(devnull, 1);
					execve(args[0], args, environ);
					_exit(127);
				}
			}
			started++;
		}
		if (wait(&st) > 0)
			done++;
	}
	el = now() - t0;
	printf("mode=%s completed=%ld secs=%.3f spawn_per_s=%.1f\n", mode,
	    done, el, done / el);
	return 0;
}
