/*
 * spawnint.h: what the spawn*.c files share and no other file sees.
 */

#ifndef SUPERD_SPAWNINT_H
#define SUPERD_SPAWNINT_H

/* spawnback.c */
int		 back_open(void);
void		 child_back(int);

#endif /* SUPERD_SPAWNINT_H */
