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

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "superd.h"

/*
 * tcpi_state's values, Linux's (include/net/tcp_states.h), which only
 * glibc's <netinet/tcp.h> names for user space, and it cannot come with
 * <linux/tcp.h>.
 */
#define ST_FIN_WAIT2	5
#define ST_TIME_WAIT	6
#define ST_CLOSE	7
#define ST_CLOSE_WAIT	8
#define ST_LAST_ACK	9
#define ST_CLOSING	11

/*
 * The bytes received from the peer and acknowledged by it, and the
 * milliseconds since data last went each way.  Returns -1 when fd is not
 * a TCP socket (or no longer anything the kernel can say of).
 *
 * The kernel counts a FIN as a byte of its sequence space: the peer's in
 * tcpi_bytes_received once received in order, superd's (the child's
 * shutdown) in tcpi_bytes_acked once acked.  Both are taken out:
 *  - out: the payload superd's side sent, new bytes only, is
 *    tcpi_bytes_sent less tcpi_bytes_retrans (Linux 4.19); what was acked
 *    beyond it is the FIN.  Exact in every state, a reset's included.
 *  - in: the peer's FIN has been counted in CLOSE_WAIT, LAST_ACK,
 *    CLOSING and TIME_WAIT, and in CLOSE when the connection got there
 *    by both FINs: a socket still held never shows TIME_WAIT, the kernel
 *    hands that to a new socket and leaves the held one in CLOSE; both
 *    FINs happened when superd's own FIN was acked.  A CLOSE reached by a
 *    reset is taken as without the peer's FIN: in= is one high after a
 *    FIN then a reset from CLOSE_WAIT, one low after a reset in
 *    FIN_WAIT2.
 * An older kernel (no tcpi_bytes_sent) falls back on the states for out.
 */
int
tcpinfo_get(int fd, struct tcpcount *tc)
{
	struct tcp_info	 ti;
	socklen_t	 len = sizeof(ti);
	uint64_t	 sent;
	int		 finacked, finrcvd;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return -1;
	if (len >= offsetof(struct tcp_info, tcpi_bytes_retrans) +
	    sizeof(ti.tcpi_bytes_retrans)) {
		sent = ti.tcpi_bytes_sent - ti.tcpi_bytes_retrans;
		finacked = ti.tcpi_bytes_acked > sent;
	} else
		finacked = ti.tcpi_bytes_acked > 0 &&
		    (ti.tcpi_state == ST_FIN_WAIT2 ||
		    ti.tcpi_state == ST_TIME_WAIT ||
		    ti.tcpi_state == ST_CLOSE);
	finrcvd = ti.tcpi_state == ST_CLOSE_WAIT ||
	    ti.tcpi_state == ST_LAST_ACK || ti.tcpi_state == ST_CLOSING ||
	    ti.tcpi_state == ST_TIME_WAIT ||
	    (ti.tcpi_state == ST_CLOSE && finacked);
	tc->tc_in = ti.tcpi_bytes_received;
	if (tc->tc_in > 0 && finrcvd)
		tc->tc_in--;
	tc->tc_out = ti.tcpi_bytes_acked;
	if (tc->tc_out > 0 && finacked)
		tc->tc_out--;
	tc->tc_quiet_ms = ti.tcpi_last_data_recv < ti.tcpi_last_data_sent ?
	    ti.tcpi_last_data_recv : ti.tcpi_last_data_sent;
	return 0;
}
