/*
 * tcpinfo.c: what the kernel counts of a TCP connection (TCP_INFO), read
 * on superd's own copy of it: the bytes it carried each way, for the exit
 * line's in= and out=, and how long it has carried none, for idle=.
 *
 * <linux/tcp.h>'s struct tcp_info, not glibc's <netinet/tcp.h>, whose
 * copy stops before tcpi_bytes_acked.  A kernel older than a field
 * (tcpi_bytes_received came with Linux 4.1) returns a shorter struct:
 * what it did not fill reads as 0, the buffer being zeroed first.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/tcp.h>

#include <string.h>

#include "superd.h"

/*
 * tcpi_state's values, Linux's (include/net/tcp_states.h), which only
 * glibc's <netinet/tcp.h> names for user space, and it cannot come with
 * <linux/tcp.h>.
 */
#define ST_FIN_WAIT2	5
#define ST_TIME_WAIT	6
#define ST_CLOSE_WAIT	8
#define ST_LAST_ACK	9
#define ST_CLOSING	11

/*
 * The bytes received from the peer and acknowledged by it, and the
 * milliseconds since data last went each way.  Returns -1 when fd is not
 * a TCP socket (or no longer anything the kernel can say of).
 */
int
tcpinfo_get(int fd, struct tcpcount *tc)
{
	struct tcp_info	 ti;
	socklen_t	 len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return -1;
	/*
	 * The kernel counts a FIN as a byte of its sequence space: the
	 * peer's once received, superd's (the child's shutdown) once acked.
	 */
	tc->tc_in = ti.tcpi_bytes_received;
	if (tc->tc_in > 0 && (ti.tcpi_state == ST_CLOSE_WAIT ||
	    ti.tcpi_state == ST_LAST_ACK || ti.tcpi_state == ST_CLOSING ||
	    ti.tcpi_state == ST_TIME_WAIT))
		tc->tc_in--;
	tc->tc_out = ti.tcpi_bytes_acked;
	if (tc->tc_out > 0 && (ti.tcpi_state == ST_FIN_WAIT2 ||
	    ti.tcpi_state == ST_TIME_WAIT))
		tc->tc_out--;
	tc->tc_quiet_ms = ti.tcpi_last_data_recv < ti.tcpi_last_data_sent ?
	    ti.tcpi_last_data_recv : ti.tcpi_last_data_sent;
	return 0;
}
