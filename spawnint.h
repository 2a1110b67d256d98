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

/* spawnback.c */
int		 back_open(void);
void		 child_back(int);

/* spawnenv.c */
int		 spawnenv_fill(const struct service *, struct spawn_env *, int,
		    const struct sockaddr *, int);

#endif /* SUPERD_SPAWNINT_H */
