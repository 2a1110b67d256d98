/*
 * spawnloop: the bare limit, no network.  Starts PROG with C children in
 * flight until N have been reaped, with fork, vfork or posix_spawn, each
 * child's stdout on /dev/null, and prints spawns per second.
 *
 * clonevm is what superd does: clone(CLONE_VM) without CLONE_VFORK, a
 * stack per child in flight, freed when the kernel clears the child's tid
 * at execve (CLONE_CHILD_CLEARTID): the parent does not wait for the exec.
 * With -u, clonevm also makes the namespaces named (a comma list of net,
 * pid, ipc, uts, mnt) for each child, with the flags on the clone, made
 * by the parent, as superd does: what the kernel alone costs for making
 * and tearing them down, with nothing set up inside them.  -x names the
 * ones the child makes itself with unshare(2), on the other core (not
 * pid: unshare's pid namespace is its children's); -s the ones made once
 * at start and entered by each child with setns(2) (not pid either).
 * A child that does not exit 0 is counted as failed; PROG must be an
 * absolute path (setns into a mount namespace moves the root and cwd).
 *
 *	spawnloop -m fork|vfork|posix_spawn|clonevm [-c conc] [-n count]
 *	    [-u NS,...] [-x NS,...] [-s NS,...] prog
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
static long		 count = 1000, started, done, failed;
static int		 conc = 1;
static int		 nsclone;	/* -u: CLONE_NEW* on clonevm's clone */
static int		 nsunshare;	/* -x: unshared by the child */
static int		 nssetns;	/* -s: made once, entered by setns */
static int		 nsfd[4], nnsfd;	/* -s: their descriptors */

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
	int	 i;

	(void)arg;
	if (nsunshare != 0 && unshare(nsunshare) == -1)
		_exit(126);
	for (i = 0; i < nnsfd; i++)
		if (setns(nsfd[i], 0) == -1)
			_exit(126);
	dup2(devnull, 1);
	execve(args[0], args, environ);
	_exit(127);
}

/*
 * -s: a process that makes the namespaces and waits;
 * their descriptors, kept here, keep them after it is killed.
 */
static int
ns_once(void)
{
	static const char	*names[] = { "net", "ipc", "uts", "mnt" };
	static const int	 flags[] = { CLONE_NEWNET, CLONE_NEWIPC,
				    CLONE_NEWUTS, CLONE_NEWNS };
	char			 path[64];
	int			 p[2], i;
	pid_t			 pid;
	char			 c;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (unshare(nssetns) == -1)
			_exit(1);
		(void)write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((nssetns & flags[i]) == 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid,
		    names[i]);
		if ((nsfd[nnsfd++] = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return -1;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(p[0]);
	return 0;
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
	    CLONE_CHILD_CLEARTID | SIGCHLD | nsclone, NULL, NULL, NULL,
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

	while ((ch = getopt(argc, argv, "c:m:n:s:u:x:")) != -1) {
		switch (ch) {
		case 'c': conc = atoi(optarg); break;
		case 'm': mode = optarg; break;
		case 'n': count = atol(optarg); break;
		case 's': nssetns = ns_flags(optarg); break;
		case 'u': nsclone = ns_flags(optarg); break;
		case 'x': nsunshare = ns_flags(optarg); break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || conc <= 0 || nsclone == -1 ||
	    nsunshare == -1 || nssetns == -1 ||
	    ((nsunshare | nssetns) & CLONE_NEWPID) != 0)
		return 2;
	if (nssetns != 0 && ns_once() == -1) {
		perror("spawnloop: setns");
		return 1;
	}
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
		if (wait(&st) > 0) {
			done++;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
		}
	}
	el = now() - t0;
	printf("mode=%s completed=%ld failed=%ld secs=%.3f spawn_per_s=%.1f\n",
	    mode, done, failed, el, done / el);
	return failed != 0;
}
