/*
 * spawnint.h: what the spawn*.c files share and no other file sees.
 */

#ifndef SUPERD_SPAWNINT_H
#define SUPERD_SPAWNINT_H

/* The per-connection variables: "NAME=value", filled before each spawn. */
#define NSLOTS		8
#define SLOTLEN		128

/* A slot's state, the parent's and the child's handshake. */
#define SLOT_CLONED	0	/* the child may still use the shared table */
#define SLOT_UNSHARED	1	/* the child has its own: close ours */
#define SLOT_WAKE	2	/* the parent sleeps: child, write the eventfd */

/* What one child reads between clone and execve. */
struct spawn_slot {
	pid_t		 ss_tid;	/* nonzero until exec or exit */
	int		 ss_state;	/* SLOT_* */
	int		 ss_sock;	/* the child's socket */
	int		 ss_fd;		/* the parent's copy; -1 once closed */
	int		 ss_async;	/* the parent did not wait */
	pid_t		 ss_pid;
	int		 ss_pidfd;	/* open while ss_tid is nonzero */
	int		 ss_killed;	/* SIGKILL sent: past its deadline */
	double		 ss_start;	/* when it was cloned */
	struct service	*ss_sv;		/* outlives an unreaped child */
	struct svconf	*ss_cf;		/* pinned until the slot is reused */
	char		*ss_stack;
	char		**ss_envp;
	size_t		 ss_envcap;
	char		 ss_env[NSLOTS][SLOTLEN];
};

/* spawnback.c */
int		 back_open(void);
void		 child_back(int);

/* spawnenv.c */
int		 fill_slots(const struct service *, struct spawn_slot *, int,
		    const struct sockaddr *, int);

#endif /* SUPERD_SPAWNINT_H */
