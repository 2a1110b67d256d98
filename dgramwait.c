/*
 * dgramwait.c: dgram nowait, one child per datagram, and whether that
 * child has read its datagram yet.
 *
 * The child reads the datagram itself, so until it has, the same one is
 * still at the head of the socket's queue: the service is paused
 * (PAUSE_DGRAM) and the queue's head looked at again (guard.c) at
 * intervals doubling from 1 ms to 64 ms, so that one datagram never
 * starts two children.  The pause ends once that datagram no longer
 * heads the queue, or when the child exits (child.c).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include "superd.h"

static void	 dgram_check(struct timer *, double);

/* dgram nowait: one child per datagram, which reads it itself. */
void
dgram_nowait(struct service *sv, double now)
{
	struct sockaddr_storage	 ss;
	struct srcent		*src;
	struct dgid		 id;
	char			 b;

	if (!guard_peek(sv, &ss, &id))
		return;
	addr_unmap(&ss);
	if (admit(sv, (struct sockaddr *)&ss, now, &src) == -1) {
		/* refused: the datagram is dropped, not left to spin on */
		(void)recv(sv->sv_fd, &b, 1, MSG_DONTWAIT);
		sv->sv_mx.mx_conns++;
		return;
	}
	dgram_shared(sv, (struct sockaddr *)&ss, &id, src, now);
}

/*
 * A child for the admitted datagram id, from peer, at the head of sv's
 * queue, given the service's socket itself; the service paused until it
 * has read the datagram.
 */
void
dgram_shared(struct service *sv, const struct sockaddr *peer,
    const struct dgid *id, struct srcent *src, double now)
{
	struct child	*ch;

	/* one a spawn failed for stays, and is counted when it goes */
	if ((ch = child_start(sv, -1, peer, src, NULL, now)) == NULL)
		return;
	sv->sv_mx.mx_conns++;
	/* No fork storm: wait until this child has read its datagram. */
	sv->sv_dgramchild = ch;
	sv->sv_dgram_id = *id;
	sv->sv_dgram_step = 0.001;
	poll_pause(sv, PAUSE_DGRAM);
	timer_init(&sv->sv_dgram_timer, dgram_check, sv);
	timer_set(&sv->sv_dgram_timer, now + sv->sv_dgram_step);
}

/*
 * dgram nowait: has the child read its datagram yet?  Without receive
 * times a datagram that looks the same keeps the service paused until
 * the child exits: slower, never a second child for one datagram.  Once
 * the child has exited (child.c resumes the service) there is nothing
 * left to look at.
 */
static void
dgram_check(struct timer *t, double now)
{
	struct service	*sv = t->tm_arg;

	if (!(sv->sv_pause & PAUSE_DGRAM))
		return;
	if (guard_dgram_left(sv, &sv->sv_dgram_id) == GUARD_TAKEN) {
		sv->sv_dgramchild = NULL;
		guard_note(sv, 0, now);
		poll_resume(sv, PAUSE_DGRAM);
		return;
	}
	if (sv->sv_dgram_step < 0.064)
		sv->sv_dgram_step *= 2;
	timer_set(t, now + sv->sv_dgram_step);
}
