/*
 * timer.c: every deadline superd has, in one ordered structure, and the
 * clock they are told in.
 *
 * A struct timer lives inside what it times (a service, a child, a group
 * kill) and names the function that runs when it is due, with an
 * argument (timer_init).  The pending ones are kept in a red-black tree
 * (<sys/tree.h>) in the order of their deadlines, and of their setting
 * among equal deadlines: the loop sleeps until the first (timer_next)
 * and runs what is due (timer_run), touching nothing that is not.
 * Setting, moving and clearing a timer cost O(log n) and allocate
 * nothing, so they never fail: a binary heap would keep its timers in an
 * array that must grow, and a failed realloc there, on the way of a
 * connection, would lose a deadline where superd otherwise refuses the
 * connection and goes on.
 *
 * Invariants callers rely on: a zeroed struct timer is a valid timer,
 * not pending; a callback runs with its timer no longer pending, and may
 * set or clear any timer, itself included, and free what holds a timer
 * it has cleared; one set while timer_run runs is run by a later call,
 * never by that one, so a run always ends.
 *
 * Times are seconds of CLOCK_MONOTONIC (timer_now), which a change of
 * the wall clock does not move.
 */

#include <sys/types.h>
#include <sys/tree.h>

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "superd.h"

RB_HEAD(timertree, timer);

static struct timertree	 timers = RB_INITIALIZER(&timers);
static uint64_t		 timer_seq;	/* the last tm_seq given */

/* Deadline first, then the order of setting: no two timers are equal. */
static int
timer_cmp(struct timer *a, struct timer *b)
{
	if (a->tm_at != b->tm_at)
		return a->tm_at < b->tm_at ? -1 : 1;
	if (a->tm_seq != b->tm_seq)
		return a->tm_seq < b->tm_seq ? -1 : 1;
	return 0;
}

/* RB_GENERATE_STATIC's __unused is not defined on Linux (a struct member) */
RB_GENERATE_INTERNAL(timertree, timer, tm_entry, timer_cmp,
    __attribute__((__unused__)) static)

/* The monotonic clock, in seconds. */
double
timer_now(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * What t runs when it is due, and with what.  Said again at any time, a
 * pending t stays pending: an owner may name them just before each set.
 */
void
timer_init(struct timer *t, void (*fn)(struct timer *, double), void *arg)
{
	t->tm_fn = fn;
	t->tm_arg = arg;
}

/* When a pending timer is due. */
double
timer_at(const struct timer *t)
{
	return t->tm_at;
}

int
timer_pending(const struct timer *t)
{
	return t->tm_seq != 0;
}

/* Make t due at at, whether it was pending or not. */
void
timer_set(struct timer *t, double at)
{
	if (t->tm_fn == NULL)
		abort();	/* never initialised: a bug */
	if (t->tm_seq != 0)
		RB_REMOVE(timertree, &timers, t);
	t->tm_at = at;
	t->tm_seq = ++timer_seq;
	(void)RB_INSERT(timertree, &timers, t);
}

/*
 * Make t due by at: set as timer_set does, unless it is pending at at
 * or sooner already.  For "look again by then" with many askers: a
 * stream of them does not push the time back.
 */
void
timer_set_by(struct timer *t, double at)
{
	if (t->tm_seq == 0 || at < t->tm_at)
		timer_set(t, at);
}

/* t is no longer pending (it may not have been). */
void
timer_clear(struct timer *t)
{
	if (t->tm_seq == 0)
		return;
	RB_REMOVE(timertree, &timers, t);
	t->tm_seq = 0;
}

/* The earliest deadline pending, or -1 when none is. */
double
timer_next(void)
{
	struct timer	*t;

	if ((t = RB_MIN(timertree, &timers)) == NULL)
		return -1;
	return t->tm_at;
}

/*
 * Run every timer due by now, earliest first, each taken off before its
 * function runs.  Those set by a function of this run are passed over:
 * they are the next run's, even when already due.  After each function
 * the walk starts again from the first timer, the tree having changed.
 */
void
timer_run(double now)
{
	struct timer	*t;
	uint64_t	 last = timer_seq;

	t = RB_MIN(timertree, &timers);
	while (t != NULL && t->tm_at <= now) {
		if (t->tm_seq > last) {
			t = RB_NEXT(timertree, &timers, t);
			continue;
		}
		RB_REMOVE(timertree, &timers, t);
		t->tm_seq = 0;
		t->tm_fn(t, now);
		t = RB_MIN(timertree, &timers);
	}
}
