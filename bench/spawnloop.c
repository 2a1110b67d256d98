/*
 * spawnloop: the bare limit, no network.  Starts PROG with C children in
 * flight until N have been reaped, with fork, vfork or posix_spawn, each
 * child's stdout on /dev/null, and prints spawns per second.
 *
 * clonevm is what superd does: clone(CLONE_VM) without CLONE_VFORK, a
 * stack per child in flight, freed when the kernel clears the child's tid
 * at execve (CLONE_CHILD_CLEARTID): the parent does not wait for the exec.
 * With -u, clonevm also makes the namespaces named (a comma list of net,
 * pid, ipc, uts, mnt) for each child: what the kernel alone costs for
 * making and tearing them down, with nothing set up inside them.
 *
 *	spawnloop -m fork|vfork|posix_spawn|clonevm [-c conc] [-n count]
 *	    [-u net,pid,ipc,uts,mnt] prog
 */

#define _GNU_SOURCE	/* clone(2) */

#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <sched.h>
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
static int		 nsflags;	/* -u: CLONE_NEW* for clonevm */

/* clonevm: a stack per child between clone and execve */
#define NSTACK		256
#define STACKSZ		(64 * 1024)
static char		*stacks[NSTACK];
static int		 tids[NSTACK];
static char		*args[2];
static int		 devnull;

static int
clonevm_child(void *arg)
{
	(void)arg;
	dup2(devnull, 1);
	execve(args[0], args, environ);
	_exit(127);
}

static pid_t
clonevm_spawn(void)
{
	int	 i;

	for (;;) {
		for (i = 0; i < NSTACK; i++)
			if (__atomic_load_n(&tids[i], __ATOMIC_ACQUIRE) == 0)
				break;
		if (i < NSTACK)
			break;
		sched_yield();
	}
	if (stacks[i] == NULL && (stacks[i] = malloc(STACKSZ)) == NULL)
		return -1;
	tids[i] = 1;
	return clone(clonevm_child, stacks[i] + STACKSZ, CLONE_VM |
	    CLONE_CHILD_CLEARTID | nsflags | SIGCHLD, NULL, NULL, NULL,
	    &tids[i]);
}

/* -u net,pid,...: the CLONE_NEW* flags; -1 on a name it does not know */
static int
ns_flags(char *list)
{
	static const struct {
		const char	*name;
		int		 flag;
	} ns[] = {
		{ "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID },
		{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
		{ "mnt", CLONE_NEWNS },
	};
	char	*w;
	size_t	 i;
	int	 f = 0;

	while ((w = strsep(&list, ",")) != NULL) {
		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
			if (strcmp(w, ns[i].name) == 0)
				break;
		if (i == sizeof(ns) / sizeof(ns[0]))
			return -1;
		f |= ns[i].flag;
	}
	return f;
}

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
	double		 t0, el;
	pid_t		 pid;
	int		 ch, st;

	while ((ch = getopt(argc, argv, "c:m:n:u:")) != -1) {
		switch (ch) {
		case 'c': conc = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'u':
			if ((nsflags = ns_flags(optarg)) == -1)
				return 2;
			break;
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
			} else if (strcmp(mode, "clonevm") == 0) {
				if ((pid = clonevm_spawn()) == -1)
					return 1;
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
