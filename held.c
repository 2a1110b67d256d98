/*
 * held.c: the connections a spawn failed for, kept to be tried again.
 *
 * A spawn that fails for lack of resources (processes, descriptors,
 * memory) does not cost its connection: child_start() (child.c) keeps it
 * here, the service backs off, and held_retry() (admit.c), when the
 * service's sv_held_timer is due, takes it out again for its next try.
 * At most HELD_MAX are held in all and each is tried HELD_TRIES times;
 * past either, the connection is closed and counted as a refusal.  A
 * held connection keeps its per-source entry, and what its PROXY header
 * said (proxywait.c).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

/*
 * Connections a spawn failed for, kept to be tried again (held_keep);
 * superd holds at most HELD_MAX of them, refusing the rest.
 */
#define HELD_MAX	64
struct held {
	struct service	*h_sv;		/* NULL: free */
	int		 h_fd;
	int		 h_tries;
	struct srcent	*h_src;
	struct proxied	*h_px;		/* its PROXY header's facts, or NULL */
	struct sockaddr_storage h_peer;
};
static struct held	 helds[HELD_MAX];

/*
 * A spawn for connection fd failed for lack of resources (processes,
 * descriptors, memory): keep the connection rather than close it, stop
 * accepting, and try it again after a back-off that doubles with each
 * try (held_retry).  After HELD_TRIES tries it is closed and counted as
 * a refusal.  Returns 1 when the connection is kept (or closed after its
 * last try), and the caller no longer owns fd, src and px (what its
 * PROXY header said, kept with it: peer may point into it); 0 for any
 * other failure.
 */
int
held_keep(struct service *sv, int fd, const struct sockaddr *peer,
    struct srcent *src, struct proxied *px, double now, const char *what,
    int tries)
{
	struct held	*h = NULL;
	double		 secs;
	int		 i;

	switch (errno) {
	case EAGAIN:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ENOSPC:
		break;
	default:
		return 0;
	}
	for (i = 0; i < HELD_MAX && h == NULL; i++)
		if (helds[i].h_sv == NULL)
			h = &helds[i];
	if (++tries > HELD_TRIES || h == NULL || sv->sv_retired) {
		(void)close(fd);
		refuse(sv, REFUSE_SPAWN, peer, now);
		limits_source_put(src);
		proxy_free(px);
		if (!sv->sv_retired)
			backoff(sv, now, 0.25, what);
		return 1;
	}
	h->h_sv = sv;
	h->h_fd = fd;
	h->h_src = src;
	h->h_px = px;
	h->h_tries = tries;
	memcpy(&h->h_peer, peer, peer->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : peer->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_storage));
	sv->sv_held++;
	secs = 0.02 * (1 << (tries - 1));
	backoff(sv, now, secs < 1.0 ? secs : 1.0, what);
	return 1;
}

/* A reload removed the service: its held connections go, refused. */
void
held_drop(struct service *sv, double now)
{
	int	 i;

	for (i = 0; i < HELD_MAX && sv->sv_held > 0; i++) {
		if (helds[i].h_sv != sv)
			continue;
		helds[i].h_sv = NULL;
		sv->sv_held--;
		(void)close(helds[i].h_fd);
		refuse(sv, REFUSE_SPAWN, (struct sockaddr *)&helds[i].h_peer,
		    now);
		limits_source_put(helds[i].h_src);
		proxy_free(helds[i].h_px);
	}
}

/* The first slot at or after i holding a connection of sv; -1: none. */
int
held_next(struct service *sv, int i)
{
	for (; i < HELD_MAX && sv->sv_held > 0; i++)
		if (helds[i].h_sv == sv)
			return i;
	return -1;
}

/*
 * Take the connection of sv in slot i (held_next) out for its next try:
 * its descriptor, with its peer, per-source entry, PROXY header's facts
 * and tries so far, which the caller owns from then on.
 */
int
held_take(struct service *sv, int i, struct sockaddr_storage *peer,
    struct srcent **src, struct proxied **px, int *tries)
{
	struct held	 h;

	h = helds[i];
	helds[i].h_sv = NULL;
	sv->sv_held--;
	memcpy(peer, &h.h_peer, sizeof(*peer));
	*src = h.h_src;
	*px = h.h_px;
	*tries = h.h_tries;
	return h.h_fd;
}
