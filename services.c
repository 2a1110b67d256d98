/*
 * services.c: the running table, and the services a reload retired.
 *
 * The running table is every service superd serves, in the order of the
 * table file: superd.c fills it from the first table, reload.c rebuilds
 * it from each new one.  A service a reload removed moves to the retired
 * list while children of its still run (each struct child points at its
 * service) or their stderr pipes are open (errlog.c), and is freed when
 * the last of them has been reaped and the last pipe closed.  Only
 * this file changes either list: the others walk them through
 * services_list() and services_retired(), whose heads they cannot change.
 *
 * The UDP ports the running table uses are kept as a set, one bit a port,
 * for the UDP built-ins' source check (services_udp_port): rebuilt on the
 * first look after the table changed here or a listener was opened or
 * closed (listen_changes), so a datagram costs one look, not a walk over
 * every service; the walk is paid once a change.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"

static struct svlist	 running = TAILQ_HEAD_INITIALIZER(running);
static struct svlist	 retired = TAILQ_HEAD_INITIALIZER(retired);
static int		 nrunning;

static uint8_t		 udp_ports[65536 / 8];	/* a bit a port */
static int		 udp_dirty = 1;		/* the table changed */
static unsigned long	 udp_listens;		/* listen_changes() then */

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
	udp_dirty = 1;
}

/* sv leaves the running table, for reload.c to append it in a new place. */
void
services_remove(struct service *sv)
{
	TAILQ_REMOVE(&running, sv, sv_entry);
	nrunning--;
	udp_dirty = 1;
}

/*
 * sv leaves the running table for good: freed now when no child of its
 * runs and no stderr pipe of theirs is open (errlog.c), retired until
 * services_release() otherwise.
 */
void
services_retire(struct service *sv)
{
	services_remove(sv);
	sv->sv_retired = 1;
	TAILQ_INSERT_TAIL(&retired, sv, sv_entry);
	services_release(sv);
}

/*
 * After an upgrade in place: a service the new table lacks, made for the
 * old binary's children that still run, joins the retired ones.
 */
void
services_keep_retired(struct service *sv)
{
	sv->sv_retired = 1;
	TAILQ_INSERT_TAIL(&retired, sv, sv_entry);
}

/*
 * A retired service's last child has been reaped, or its last stderr
 * pipe closed: once both are, what its summaries still count is logged
 * and their timers go (refuse.c), then it is freed.
 */
void
services_release(struct service *sv)
{
	if (sv->sv_children > 0 || sv->sv_errpipes > 0)
		return;
	TAILQ_REMOVE(&retired, sv, sv_entry);
	refuse_forget(sv, timer_now());
	service_free(sv);
}

/*
 * The ports of the running table's UDP services, into udp_ports: the
 * port its socket is bound to while it has one (read back after bind, so
 * port 0 is the kernel's choice), and the port its entry asks for when
 * that is not 0 (bound or still waiting to be).
 */
static void
udp_ports_build(void)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	struct service			*sv;
	const char			*errstr;
	in_port_t			 p;

	memset(udp_ports, 0, sizeof(udp_ports));
	TAILQ_FOREACH(sv, &running, sv_entry) {
		if (sv->sv_proto != PROTO_UDP)
			continue;
		if (sv->sv_fd != -1) {
			/* 0 when sv_localport is not a port, as before */
			p = (in_port_t)strtonum(sv->sv_localport, 1, 65535,
			    &errstr);
			udp_ports[p / 8] |= 1 << (p % 8);
		}
		if (sv->sv_family == AF_INET) {
			sin = (const struct sockaddr_in *)&sv->sv_addr;
			p = ntohs(sin->sin_port);
		} else {
			sin6 = (const struct sockaddr_in6 *)&sv->sv_addr;
			p = ntohs(sin6->sin6_port);
		}
		if (p != 0)
			udp_ports[p / 8] |= 1 << (p % 8);
	}
	udp_dirty = 0;
	udp_listens = listen_changes();
}

/*
 * Is port one that this superd's own UDP sockets use?  Any of them may
 * answer what a built-in sends it: another built-in, or a dgram program
 * that replies (udpupper, a DNS forwarder), so a datagram spoofed "from"
 * one of them would start a loop between two services of this superd,
 * which the rate ends only if the loop outruns it.  Every UDP service of
 * the running table counts, on any address (udp_ports_build); the set is
 * rebuilt after a reload and after any listener was opened or closed.
 */
int
services_udp_port(in_port_t port)
{
	if (udp_dirty || udp_listens != listen_changes())
		udp_ports_build();
	return (udp_ports[port / 8] & (1 << (port % 8))) != 0;
}
