/*
 * spawnint.h: what the spawn*.c files share and no other file sees.
 */

#ifndef SUPERD_SPAWNINT_H
#define SUPERD_SPAWNINT_H

/*
 * The connection variables (TCPREMOTEIP and the like): "NAME=value" each,
 * filled before each spawn.
 */
#define NENVVARS	8
#define ENVVARLEN	128

/*
 * What a connection from a proxy= balancer adds (spawnenv.c): the
 * balancer's address, PROXYREMOTEIP and PROXYREMOTEPORT, then its
 * header's TLVs, PROXY_AUTHORITY, PROXY_UNIQUE_ID, PROXY_SSL,
 * PROXY_SSL_VERSION and PROXY_SSL_CN: a name and a TLV's text each.
 */
#define NPROXYVARS	7
#define PROXYVARLEN	(24 + PROXY_TEXT)

/* A child's envp: the service's constant part, then its connection's. */
struct spawn_env {
	char		**se_envp;
	size_t		 se_envcap;
	char		 se_var[NENVVARS][ENVVARLEN];
	char		 se_pvar[NPROXYVARS][PROXYVARLEN];
};

/* The containment step a child failed at (spawn_failure). */
#define STEP_NICE	1
#define STEP_RLIMIT	2
#define STEP_NNP	3
#define STEP_USERNS	4	/* the user namespace's maps */
#define STEP_HOSTNAME	5
#define STEP_LO		6	/* private-network's lo up */
#define STEP_MOUNT	7	/* f_text: what on what */
#define STEP_RDONLY	8
#define STEP_CHROOT	9
#define STEP_DEVNULL	10	/* stderr=null's /dev/null */
#define STEP_SETGROUPS	11	/* user='s: f_arg the count */
#define STEP_SETGID	12	/* f_arg the gid */
#define STEP_SETUID	13	/* f_arg the uid */
#define STEP_CGROUP	14	/* f_text: the cgroup.procs path */
#define STEP_NETNS	15	/* private-network=shared's setns */
#define STEP_POOL	16	/* a pool set's setns (nspool.c) */
#define STEP_PTY	17	/* pty's /dev/ptmx: f_text the path */
#define STEP_TEXTLEN	128	/* of f_text, its NUL included */

/*
 * A failed step, left by the child for the exit line: in memory shared
 * even with a forked child (MAP_SHARED), one per slot and the sync
 * slot's last.  The parent writes f_gen before the clone and f_pid
 * after it (the child cannot: in a PID namespace of its own, getpid(2)
 * says 1); the child writes the rest, f_step last, and f_cgen, the
 * f_gen it was cloned with.  A record counts when f_step is nonzero
 * and f_cgen is f_gen: a forked child that fails after a newer one took
 * the sync slot's record leaves nothing rather than a step credited to
 * the newer one.  The parent clears f_step when it has read it; a slot
 * with a record unread is not reused.
 */
struct spawn_fail {
	pid_t		 f_pid;		/* the parent's, after the clone */
	unsigned int	 f_gen;		/* the parent's, before it */
	unsigned int	 f_cgen;	/* the child's copy of f_gen */
	int		 f_step;	/* STEP_*, stored last; 0: none */
	int		 f_res;		/* STEP_RLIMIT: the resource */
	int		 f_errno;
	long long	 f_arg;		/* the value it set */
	char		 f_text[STEP_TEXTLEN];	/* or what it was on */
};

#define SPAWN_SLOTS	64		/* children between clone and execve */

/* spawnns.c */
long		 spawnns_enter(const struct svconf *, int, const int *, int *,
		    const char **);

/* spawnfail.c */
struct spawn_fail *spawnfail_init(void);

/* spawnback.c */
int		 back_open(void);
void		 child_back(int);

/* spawnenv.c */
int		 spawnenv_fill(const struct service *, struct spawn_env *, int,
		    const struct sockaddr *, const struct proxied *, int);

#endif /* SUPERD_SPAWNINT_H */
