/*
 * timer.c: the clock superd's deadlines are told in.
 *
 * Times are seconds of CLOCK_MONOTONIC (timer_now), which a change of
 * the wall clock does not move.
 */

#include <time.h>

#include "superd.h"

/* The monotonic clock, in seconds. */
double
timer_now(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
