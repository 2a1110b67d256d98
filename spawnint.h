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

/* A child's envp: the service's constant part, then its connection's. */
struct spawn_env {
	char		**se_envp;
	size_t		 se_envcap;
	char		 se_var[NENVVARS][ENVVARLEN];
};

/* The containment step a child failed at (spawn_failure). */
#define STEP_NICE	1
#define STEP_RLIMIT	2
#define STEP_NNP	3

/*
 * A failed step, left by the child for the exit line: in memory shared
 * even with a forked child (MAP_SHARED), one per slot and the sync
 * slot's last.  f_pid is written last and cleared when the parent has
 * read it; a slot with a record unread is not reused.
 */
struct spawn_fail {
	pid_t		 f_pid;
	int		 f_step;	/* STEP_* */
	int		 f_res;		/* STEP_RLIMIT: the resource */
	int		 f_errno;
	long long	 f_arg;		/* the value it set */
};

#define SPAWN_SLOTS	64		/* children between clone and execve */

/* spawnfail.c */
struct spawn_fail *spawnfail_init(void);

/* spawnback.c */
int		 back_open(void);
void		 child_back(int);

/* spawnenv.c */
int		 spawnenv_fill(const struct service *, struct spawn_env *, int,
		    const struct sockaddr *, int);

#endif /* SUPERD_SPAWNINT_H */
