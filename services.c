/*
 * services.c: the running table, and the services a reload retired.
 *
 * The running table is every service superd serves, in the order of the
 * table file: superd.c fills it from the first table, reload.c rebuilds
 * it from each new one.  A service a reload removed moves to the retired
 * list while children of its still run (each struct child points at its
 * service), and is freed when the last of them has been reaped.  Only
 * this file changes either list: the others walk them through
 * services_list() and services_retired(), whose heads they cannot change.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include "superd.h"

static struct svlist	 running = TAILQ_HEAD_INITIALIZER(running);
static struct svlist	 retired = TAILQ_HEAD_INITIALIZER(retired);
static int		 nrunning;

/* The running table, in the table's order. */
const struct svlist *
services_list(void)
{
	return &running;
}

/* The retired services, in the order they were retired. */
const struct svlist *
services_retired(void)
{
	return &retired;
}

/* How many services the running table has. */
int
services_count(void)
{
	return nrunning;
}

/* list's services go to the end of the running table, list left empty. */
void
services_append(struct svlist *list)
{
	struct service	*sv;

	TAILQ_FOREACH(sv, list, sv_entry)
		nrunning++;
	TAILQ_CONCAT(&running, list, sv_entry);
}

/* sv leaves the running table, for reload.c to append it in a new place. */
void
services_remove(struct service *sv)
{
	TAILQ_REMOVE(&running, sv, sv_entry);
	nrunning--;
}

/*
 * sv leaves the running table for good: freed now when no child of its
 * runs, retired until services_release() otherwise.
 */
void
services_retire(struct service *sv)
{
	services_remove(sv);
	sv->sv_retired = 1;
	TAILQ_INSERT_TAIL(&retired, sv, sv_entry);
	if (sv->sv_children == 0)
		services_release(sv);
}

/*
 * A retired service's last child has been reaped: what its summaries
 * still count is logged and their timers go (refuse.c), then it is freed.
 */
void
services_release(struct service *sv)
{
	TAILQ_REMOVE(&retired, sv, sv_entry);
	refuse_forget(sv, timer_now());
	service_free(sv);
}
