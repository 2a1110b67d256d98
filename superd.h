/*
 * superd.h: the structures every file of superd shares, its constants and
 * exit codes, and the prototypes grouped by the file that defines them.
 *
 * A table entry is parsed (conf.c) into one struct service per listening
 * socket: "tcp" on "*" gives two (IPv4 and IPv6), a host list gives one per
 * address.  What was written in the table lives in struct svconf, which a
 * reload swaps as a whole; what the running daemon learnt (the socket, the
 * counters, the children) lives in struct service itself and survives a
 * reload of an unchanged address.
 *
 * The files, and which may call which: a file calls only files listed
 * after it, never one before it (make layers checks this on the objects,
 * and that no two files call each other, directly or round a circle).
 *
 *   the daemon's life
 *     superd.c     options, start, signals, the loop, reload, exit
 *     upgradeask.c superd -u: a running superd upgraded, its outcome
 *     upgrade.c    SIGUSR2: the new binary checked, then executed in
 *                  place with the state (upgrade in place)
 *     upgradeenc.c the state a new binary takes over, written
 *     upgradeadopt.c  the state an old binary left, taken over
 *     table.c      a loaded table's checks and reports
 *     inherit.c    what superd inherited, put right at start
 *     adopt.c      the sockets a supervisor handed over (LISTEN_FDS)
 *     notify.c     sd_notify(3) to a supervisor
 *     ports.c      the -P ports file
 *     ctlask.c     superd -S: a running superd's status asked
 *     ctl.c        the -S control socket, answered by a child
 *     status.c     the status lines, for SIGUSR1 and -S
 *     reaper.c     orphans reparented to superd, reaped (-r, PID 1)
 *     reload.c     a freshly read table merged into the running one
 *     watch.c      -w: the table's directories watched (inotify), the
 *                  reload due once they are quiet
 *   a service's events
 *     serve.c      a service opened, removed, its bind retried, ready
 *     dgramconn.c  dgram udp nowait: the child's own socket, connected
 *                  to its client, the listener bound again beside it
 *     dgramwait.c  dgram nowait: has the child read its datagram yet
 *     admit.c      accept, admission, the built-ins' datagrams
 *     child.c      a child's life in the parent: start, timeout, reap,
 *                  exit line, group kill
 *     linger.c     a connection after its child: shut down, drained,
 *                  closed
 *     errlog.c     a child's stderr, read into log lines (stderr=log)
 *     held.c       connections a failed spawn keeps for another try
 *     proxywait.c  connections waiting for their PROXY header
 *     guard.c      the loop guard: children that leave their input
 *     backlog.c    what waits in a stream wait listener (sock_diag)
 *     limits.c     allow/deny, per-source counts, rate tokens (no I/O)
 *   starting a process
 *     contain.c    chroot= and the namespaces, checked against the
 *                  machine at load and made ready for the child
 *     spawn.c      spawn slots, clone(2), the child's path to execve
 *                  (raw system calls only: sys.h; spawnint.h)
 *     spawnns.c    the child's own namespaces, mounts and chroot
 *     nspool.c     namespaces made ahead of connections, by a pool
 *                  process a service, a set taken per connection
 *     spawnenv.c   a child's environment, built in the parent
 *     spawnfail.c  the containment step a child failed at
 *     spawnback.c  a connection a child gives back over RLIMIT_NPROC
 *     cgroup.c     memory= and tasks=: a cgroup per child, made before
 *                  its clone, read and removed at its reap
 *     cgsweep.c    at start, the cgroups a superd that is gone left
 *     cgdelegate.c cgroup v2 under systemd's Delegate=yes: superd moved
 *                  into a leaf of its cgroup, the controllers passed on
 *     internal.c   the built-in services' answers
 *     scrape.c     the metrics built-in's one HTTP exchange, bounded
 *     metrics.c    the counters' meaning, and their exposition in
 *                  Prometheus's text format
 *   the running set and its sockets
 *     services.c   the running table, the retired services, their ports
 *     refuse.c     refusals and back-offs, summed up in the log
 *     listen.c     listening sockets: open, bind, permissions, close
 *     tcpopt.c     a TCP listener's options, which its connections inherit
 *     poll.c       the epoll descriptor, a listener's pauses
 *   the table parser (its private types: confint.h)
 *     conf.c       a table's entries made into services
 *     confinc.c    .include PATH: the files a table includes
 *     confread.c   a table's text: opening, lines, continuations
 *     confopt.c    the wait field and its options
 *     confcontain.c  its containment options (rlimit-*=, nice=, ...)
 *     confconn.c   its connection options (keepalive, refuse-message=)
 *     confproxy.c  its PROXY protocol options (proxy=, proxy-timeout=)
 *     confpty.c    its terminal options (pty, pty-echo, pty-raw,
 *                  pty-size=) and the relay's argv
 *     confuser.c   the user field and owner=
 *     hosts.c      an entry's hosts, one service each
 *     conflict.c   no two services on one address
 *     svconf.c     a configuration's life: copied, pinned, freed
 *     conferr.c    FILE:LINE errors and warnings
 *     confval.c    numbers, sizes and modes in a field
 *     builtin.c    the built-ins' names
 *   leaves
 *     pid.c        the -p pid file
 *     timer.c      every deadline, in one ordered tree, and the clock
 *     log.c        where lines go (stderr, syslog), never blocking
 *     logtext.c    text made fit for a log line
 *     addr.c       addresses as text, a service's identity
 *     proxyhdr.c   a PROXY v1 or v2 header read from a buffer (pure)
 *     upgradedec.c an upgrade's state read from a buffer (pure)
 *     tcpinfo.c    TCP_INFO: a connection's bytes and quiet time
 *     httpreq.c    an HTTP request head, parsed (a pure function)
 *     fd.c         long-lived descriptors at SPAWN_FDTOP and above
 *
 * supertab, the table editor, shares the parser (and log.c's text): its
 * own files are supertab.c, tabedit.c, tabio.c, tabcheck.c, tabmodel.c,
 * tabsignal.c, and for import-xinetd tabxinetd.c, xiconv.c and
 * xiparse.c, its types in tab.h.
 *
 * superd-pty, the relay a pty service's child execs in place of its
 * program (spawn.c opens it at start-up), is a program of its own:
 * ptyrelay.c, which uses no other file.
 */

#ifndef SUPERD_H
#define SUPERD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#define SUPERD_VERSION		"0.1.0"
#define SUPERD_CONF		"/etc/superd.conf"

#define EXIT_CONF		1	/* table errors, at start or with -t */
#define EXIT_USAGE		2

#define BIND_RETRY_SECS		10.0
#define KILL_GRACE_SECS		2.0
#define ACCEPT_BATCH		64	/* accepts per wakeup, for fairness */
#define HELD_TRIES		8	/* spawns tried for one connection */
#define BUILTIN_DGRAM_RATE_N	100	/* datagram built-ins answer at most */
#define BUILTIN_DGRAM_RATE_S	1.0	/* this many per second without rate= */
#define SUPERD_PATH		"/usr/local/bin:/usr/bin:/bin"
/* line-buffered: coreutils' library for stdbuf(1), where Debian puts it */
#define STDBUF_LIB		"/usr/libexec/coreutils/libstdbuf.so"

/* What an epoll event's data.ptr points at starts with one of these. */
enum ev_kind {
	EV_SIGNAL,
	EV_LISTENER,
	EV_CHILD,
	EV_SPAWN,
	EV_LINGER,
	EV_PROXY,		/* a connection waiting for its PROXY header */
	EV_CONTROL,		/* the -S control socket, its children */
	EV_ERRPIPE,		/* a child's stderr (errlog.c) */
	EV_WATCH,		/* -w: the table's directories (watch.c) */
	EV_UPGRADE,		/* SIGUSR2: the new binary's check */
};

struct evsrc {
	enum ev_kind	 ev_kind;
};

enum sv_proto {
	PROTO_TCP,
	PROTO_UDP,
	PROTO_UNIX,
};

enum sv_stderr {
	STDERR_LOG,		/* the default: a pipe, read into log lines */
	STDERR_INHERIT,
	STDERR_SOCKET,
	STDERR_NULL,
};

/* Why a connection was closed without a child; indexes sv_refused[]. */
enum refusal {
	REFUSE_DENY,
	REFUSE_PER_SOURCE,
	REFUSE_RATE,
	REFUSE_SPAWN,
	REFUSE_EPOLL,		/* the kernel could not watch the child */
	REFUSE_LINGER,		/* served, but too many lingering: closed at
				   once (event=linger-full, not a refusal) */
	REFUSE_PROXY,		/* its PROXY header: bad, late, missing */
	REFUSE_PROXY_FULL,	/* too many headers waited for already */
	REFUSE_MAX,
};

/* Why a listener is out of the poll set; a bit set in sv_pause. */
#define PAUSE_UNBOUND	0x01	/* not bound yet: retried every 10 s */
#define PAUSE_INSTANCES	0x02	/* instances= reached */
#define PAUSE_WAIT	0x04	/* a wait-mode child holds the socket */
#define PAUSE_BACKOFF	0x08	/* out of descriptors or processes */
#define PAUSE_DGRAM	0x10	/* dgram nowait: child has not read yet */
#define PAUSE_LOOP	0x20	/* children exit without their input */
#define PAUSE_RATE	0x40	/* wait mode: rate= until a token is due */
#define PAUSE_SLOTS	0x80	/* every spawn slot in use (spawn.c) */
#define POLL_TIMED	3	/* BACKOFF, LOOP and RATE end by themselves */

/* The loop guard (guard.c). */
#define LOOP_QUICK_SECS	1.0	/* an exit sooner than this is quick */
#define LOOP_MISSES	5	/* quick exits in a row, input left: a loop */
#define LOOP_BACKOFF_MIN 1.0	/* the first pause of a looping service */
#define LOOP_BACKOFF_MAX 60.0	/* doubling at each further miss, up to */
#define LOOP_LOG_SECS	60.0	/* event=looping at most this often */
#define GUARD_TAKEN	0	/* the child took its input */
#define GUARD_MAYBE	1	/* input that looks the same is still there */
#define GUARD_SAME	2	/* the very same datagram is still there */
#define GUARD_SUSPECT	3	/* TCP: the queue did not shrink, unproven */
#define LOOP_FAST_SECS	0.02	/* an exit sooner than this is fast */
#define LOOP_SUSPECTS	100	/* fast exits in a row, input left: a loop */
#define LOOP_MISSED	0x01	/* guard_missed: a proven quick miss */
#define LOOP_FAST	0x02	/* guard_missed: a fast one, maybe a miss */
#define LOOP_UNSURE	0x04	/* guard_missed: neither a miss nor a take */

/* What tells one datagram from the next (guard_peek). */
struct dgid {
	long long	 di_stamp;	/* receive time, ns; 0: none */
	uint64_t	 di_sum;	/* of its source, length, first bytes */
};

/* What waited in a stream wait service's listener: backlog.c's own. */
struct backlog;

/* An allow= or deny= entry. */
struct acl {
	int		 ac_family;	/* AF_INET or AF_INET6 */
	unsigned char	 ac_addr[16];
	int		 ac_bits;
	int		 ac_deny;
};

/* The built-in services of internal.c. */
enum builtin {
	BI_NONE = -1,
	BI_ECHO,
	BI_DISCARD,
	BI_CHARGEN,
	BI_DAYTIME,
	BI_TIME,
	BI_METRICS,		/* HTTP: stream only (scrape.c) */
};

/*
 * How a child ended, for the metrics (metrics_exit): exit 126 and 127
 * are what the child path exits with when a step before execve fails
 * or the program is not there (spawn.c).
 */
enum outcome {
	OUTCOME_EXIT0,
	OUTCOME_EXITN,		/* exited, not 0 (nor 126, 127) */
	OUTCOME_SIGNAL,
	OUTCOME_NEVERRAN,	/* exited 126 or 127: never ran */
	OUTCOME_MAX,
};

/*
 * A service's counters for the metrics built-in (metrics.c), besides
 * sv_started, sv_refused[] and sv_children: a few increments where a
 * connection is taken and where a child is reaped, never a system call.
 */
#define MX_NBUCKETS	15	/* the duration histogram's, +Inf aside */
struct svmetrics {
	unsigned long	 mx_conns;	/* accepted, or datagrams taken */
	unsigned long	 mx_spawnfail;	/* starts that failed */
	unsigned long	 mx_exits[OUTCOME_MAX];
	unsigned long	 mx_dur[MX_NBUCKETS + 1]; /* each bucket's own */
	double		 mx_dursum;	/* seconds */
	double		 mx_cpu;	/* user and system seconds */
	uint64_t	 mx_in;		/* bytes, where superd kept a copy */
	uint64_t	 mx_out;
};

/*
 * One rlimit-*= option, as the child sets it with prlimit64(2): the
 * resource, then the kernel's struct rlimit64 (soft, hard).
 */
#define CF_NRLIMITS	8
struct cf_rlimit {
	int		 cr_res;
	uint64_t	 cr_lim[2];
};

/* The namespace options of an entry (cf_ns); hostname= is cf_hostname. */
#define NS_NETWORK	0x01	/* private-network */
#define NS_PID		0x02	/* private-pid */
#define NS_IPC		0x04	/* private-ipc */
#define NS_TMP		0x08	/* private-tmp */
#define NS_RDONLY	0x10	/* read-only */
#define NS_NETSHARED	0x20	/* private-network=shared (with NS_NETWORK) */
#define NSPOOL_NS	4	/* a pool's set: net, ipc, uts, mnt (nspool.c) */
#define CF_MAPLEN	48	/* "U U 1\n" for uid_map, as text */
#define TMP_SIZE	(16 * 1024 * 1024)	/* private-tmp's, by default */
#define CF_TMPDATA	80	/* "mode=1777,size=N,nr_inodes=N" */

/*
 * A child's cgroup of memory= and tasks= (cgroup.c): superd.PID/N in
 * each hierarchy it needs (bits of cg_hmask), N being cg_id.
 */
#define CG_NHIER	2	/* memory's and pids', or one for both */
#define CG_PATHMAX	256	/* superd.PID's path, and room for N */
struct cgref {
	unsigned long	 cg_id;		/* 0: none */
	int		 cg_hmask;
	uint64_t	 cg_memory;	/* memory=, for the exit line */
};

/* How the child joins it: "0" into each path (spawn.c's slot). */
struct cgjoin {
	int		 cj_n;
	char		 cj_procs[CG_NHIER][CG_PATHMAX + 32];
};

/*
 * What one table entry says about one socket: everything a reload may
 * change without closing the socket.  Owned by exactly one service.
 */
/* An entry's terminal options (cf_pty; confpty.c). */
#define PTY_ON		0x01	/* pty: the relay execs the program */
#define PTY_ECHO	0x02
#define PTY_RAW		0x04

struct svconf {
	uint64_t	 cf_hash;	/* of the entry as written */
	char		*cf_text;	/* the entry as written, after the
					   hosts: line in force ("H:\nE\n"),
					   which an upgrade carries */
	int		 cf_line;
	char		*cf_file;	/* an included file's name; NULL: the
					   named table's entry */
	int		 cf_seq;	/* the entry's place in the load */
	char		*cf_protoname;	/* as written: tcp, udp6, unix */
	int		 cf_wait;
	enum builtin	 cf_builtin;
	char		*cf_program;
	char		**cf_argv;
	char		**cf_envp;	/* built once by spawn_prepare() */
	char		*cf_envbuf;	/* cf_envp's constant strings */
	int		 cf_nenvconst;	/* entries in cf_envp */
	unsigned int	 cf_envvars;	/* connection variables wanted */
	int		 cf_pins;	/* children not yet past execve */
	int		 cf_dead;	/* freed while pinned: free at unpin */
	char		*cf_user;
	char		*cf_home;
	char		*cf_shell;
	int		 cf_setuser;	/* superd is root: apply uid/gid */
	uid_t		 cf_uid;
	gid_t		 cf_gid;
	gid_t		*cf_groups;
	int		 cf_ngroups;
	int		 cf_instances;
	int		 cf_per_source;	/* 0: unlimited */
	int		 cf_rate_n;	/* 0: no rate limit */
	double		 cf_rate_s;
	int		 cf_timeout;	/* 0: none */
	struct acl	*cf_acl;
	size_t		 cf_nacl;
	int		 cf_nallow;
	char		**cf_env;	/* env=NAME=VALUE */
	size_t		 cf_nenv;
	enum sv_stderr	 cf_stderr;
	int		 cf_sndbuf;
	int		 cf_rcvbuf;
	int		 cf_mode;	/* unix socket file mode, -1: 0666 */
	int		 cf_has_owner;
	uid_t		 cf_owner_uid;
	gid_t		 cf_owner_gid;
	struct cf_rlimit cf_rlim[CF_NRLIMITS];	/* rlimit-*= */
	int		 cf_nrlim;
	int		 cf_nice;	/* nice=N */
	int		 cf_has_nice;
	int		 cf_umask;	/* umask=OOO, -1: superd's */
	int		 cf_nnp;	/* no-new-privs */
	int		 cf_linebuf;	/* line-buffered: STDBUF_LIB preloaded */
	char		*cf_chroot;	/* chroot=DIR */
	char		*cf_hostname;	/* hostname=NAME */
	int		 cf_hostlen;
	int		 cf_ns;		/* NS_* */
	char		 cf_tmpdata[CF_TMPDATA]; /* private-tmp's mount data */
	/* made ready at load (contain.c) for the child */
	int		 cf_clone;	/* CLONE_NEW* flags of each clone */
	int		 cf_vartmp;	/* private-tmp: on /var/tmp too */
	int		 cf_netns;	/* private-network=shared: its netns; 0: none */
	int		 cf_poolfd;	/* its namespace pool (nspool.c); 0: none */
	int		 cf_poolflags;	/* the CLONE_NEW* flags a pool's set is */
	int		 cf_poolowed;	/* sets taken, not yet credited back */
	unsigned long	 cf_pooltaken;	/* connections served a pool's set */
	unsigned long	 cf_poolempty;	/* ...and served the clone flags */
	char		 cf_uidmap[CF_MAPLEN]; /* superd not root: own ids */
	char		 cf_gidmap[CF_MAPLEN];
	int		 cf_uidmaplen;
	int		 cf_gidmaplen;
	int		 cf_keepalive;	/* keepalive: SO_KEEPALIVE */
	int		 cf_keepidle;	/* its TCP_KEEPIDLE, s; 0: the kernel's */
	int		 cf_keepintvl;	/* TCP_KEEPINTVL, s; 0: the kernel's */
	int		 cf_keepcnt;	/* TCP_KEEPCNT; 0: the kernel's */
	int		 cf_usertimeout; /* user-timeout=, in ms; 0: none */
	int		 cf_nodelay;	/* nodelay: TCP_NODELAY */
	char		*cf_refmsg;	/* refuse-message=, not a string */
	size_t		 cf_refmsglen;
	uint64_t	 cf_memory;	/* memory=SIZE, bytes; 0: none */
	int		 cf_tasks;	/* tasks=N; 0: none */
	int		 cf_linger;	/* linger=S; -1 while parsing: default */
	int		 cf_idle;	/* idle=S; 0: none */
	struct acl	*cf_proxy;	/* proxy=: balancers (ac_deny unused) */
	size_t		 cf_nproxy;
	int		 cf_proxy_all;	/* proxy=*: every peer, a unix one too */
	int		 cf_proxy_timeout; /* proxy-timeout=S */
	int		 cf_pty;		/* PTY_*: pty, pty-echo, pty-raw */
	int		 cf_pty_cols;	/* pty-size=COLSxROWS; 0: 80x24 */
	int		 cf_pty_rows;
	char		**cf_ptyargv;	/* pty: superd-pty's argv (confpty.c) */
};

/*
 * A deadline (timer.c), inside what it times: tm_fn(t, now) runs once
 * tm_at has come.  All zero: not pending, no function yet.
 */
struct timer {
	RB_ENTRY(timer)	 tm_entry;
	double		 tm_at;
	uint64_t	 tm_seq;	/* order of setting; 0: not pending */
	void		(*tm_fn)(struct timer *, double);
	void		*tm_arg;	/* what the function is for */
};

struct child;
struct proxied;
TAILQ_HEAD(pxlist, proxied);
LIST_HEAD(pxwait, proxied);
struct errpipe;

/* How refusals of one service are being summed up in the log. */
struct reflog {
	double		 rl_at[REFUSE_MAX];	/* last line logged */
	unsigned long	 rl_n[REFUSE_MAX];	/* refusals since */
	char		 rl_peer[REFUSE_MAX][64]; /* the last one's peer */
	struct timer	 rl_timer;		/* the next count= line */
};

/*
 * One listening (or datagram) socket and its service.  The address fields
 * are the service's identity: a reload keeps a service whose identity is
 * unchanged, socket and counters included.
 */
struct service {
	struct evsrc	 sv_ev;		/* first: epoll's data.ptr */
	TAILQ_ENTRY(service) sv_entry;
	TAILQ_ENTRY(service) sv_slotentry; /* PAUSE_SLOTS: waiting (admit.c) */
	struct svconf	*sv_cf;
	char		*sv_name;	/* service field as written */
	int		 sv_socktype;	/* SOCK_STREAM or SOCK_DGRAM */
	int		 sv_family;	/* AF_INET, AF_INET6, AF_UNIX */
	enum sv_proto	 sv_proto;
	int		 sv_wildcard;	/* bound to * */
	struct sockaddr_storage sv_addr; /* configured; port may be 0 */
	socklen_t	 sv_addrlen;

	int		 sv_fd;
	struct sockaddr_storage sv_bound; /* where sv_fd is bound */
	socklen_t	 sv_boundlen;	/* 0: unknown */
	int		 sv_noconn;	/* dgramconn.c cannot bind beside it */
	int		 sv_adopted;	/* from LISTEN_FDS */
	int		 sv_upgraded;	/* from the binary before (upgrade) */
	int		 sv_bindfailed;	/* the last bind failed: retried */
	dev_t		 sv_sockdev;	/* unix: the file superd bound */
	ino_t		 sv_sockino;
	int		 sv_pause;	/* PAUSE_* bits */
	int		 sv_tcpset;	/* TCP options set (tcpopt.c) */
	int		 sv_inpoll;	/* registered with epoll */
	int		 sv_polled;	/* EPOLLIN currently asked for */
	int		 sv_retired;	/* removed by a reload, children left */
	char		*sv_addrstr;	/* bound address as logged */
	char		 sv_localip[INET6_ADDRSTRLEN];
	char		 sv_localport[8];
	int		 sv_children;
	int		 sv_lingering;	/* its sockets held by linger.c */
	unsigned long	 sv_started;
	unsigned long	 sv_refused[REFUSE_MAX];
	double		 sv_tokens;
	double		 sv_tokens_at;
	struct timer	 sv_bind_timer;	/* the bind's next try */
	double		 sv_poll_retry;	/* epoll_ctl failed: try again then */
	double		 sv_until[POLL_TIMED]; /* when timed pauses end */
	struct timer	 sv_poll_timer;	/* that try, or the first end */
	int		 sv_held;	/* connections a spawn failed for */
	int		 sv_retrytries;	/* of the connection being started */
	struct timer	 sv_held_timer;	/* their next try (admit.c) */
	struct reflog	*sv_reflog;	/* from the first refusal on */
	struct child	*sv_dgramchild;	/* dgram nowait: has not read yet */
	struct service	*sv_match;	/* during a reload: the old service */
	struct timer	 sv_dgram_timer; /* dgram nowait: next peek */
	double		 sv_dgram_step;	/* and how long after the last */
	struct dgid	 sv_dgram_id;	/* the datagram a child was handed */
	struct backlog	*sv_backlog;	/* stream wait: from the first start */
	int		 sv_loop_misses; /* quick exits, input left, in a row */
	int		 sv_loop_fast;	/* fast exits, input maybe left */
	double		 sv_loop_backoff; /* 0: not looping */
	double		 sv_loop_logged;
	unsigned long	 sv_loop_starts; /* not logged one by one */
	double		 sv_rate_logged;
	struct timer	 sv_ratelog_timer; /* the next line of rate pauses */
	unsigned long	 sv_rate_n;	/* rate pauses not logged yet */
	double		 sv_full_logged;
	unsigned long	 sv_full_n;	/* instances= reached, not logged yet */
	struct timer	 sv_full_timer;	/* the next count= line */
	double		 sv_backoff_logged; /* last fork/accept/exec-failed line */
	unsigned long	 sv_backoff_n;	/* back-offs since, not logged */
	struct pxwait	 sv_pxwait;	/* proxy=: reading their headers */
	struct pxlist	 sv_pxready;	/* header in, waiting for the service */
	int		 sv_pxcount;	/* on either, counted in the bound */
	struct timer	 sv_pxtimer;	/* sv_pxready's next try (admit.c) */
	int		 sv_errpipes;	/* stderr=log pipes open or unreaped */
	int		 sv_errorphans;	/* of them, open past their child */
	unsigned long	 sv_errlines;	/* stderr lines logged */
	unsigned long	 sv_errdropped;	/* stderr lines over the rate */
	unsigned long	 sv_errnopipe;	/* children given /dev/null instead */
	double		 sv_errtokens;	/* the stderr rate's bucket */
	double		 sv_errtokens_at;
	unsigned long	 sv_errdrop_n;	/* dropped, not summed up yet */
	double		 sv_errdrop_logged;
	struct timer	 sv_errdrop_timer; /* the next count= line */
	struct svmetrics sv_mx;		/* for the metrics built-in */
};
TAILQ_HEAD(svlist, service);

/* A per-source count: children of one service from one remote address. */
struct srcent {
	struct srcent	*se_next;
	struct service	*se_sv;
	unsigned char	 se_addr[16];
	int		 se_family;
	int		 se_count;
};

/* A running child, found from its pidfd's epoll event in O(1). */
struct child {
	struct evsrc	 ch_ev;		/* first: epoll's data.ptr */
	LIST_ENTRY(child) ch_entry;
	LIST_ENTRY(child) ch_uentry;	/* not in epoll: polled (child.c) */
	pid_t		 ch_pid;
	int		 ch_pidfd;
	struct service	*ch_sv;
	struct srcent	*ch_src;
	struct sockaddr_storage ch_peer;
	double		 ch_start;
	struct timer	 ch_timer;	/* timeout=: its SIGTERM, its SIGKILL */
	struct timer	 ch_idle;	/* idle=: the next look at the socket */
	int		 ch_conn;	/* superd's copy of the connection */
	uint64_t	 ch_dgsum;	/* dgram udp nowait on a socket of its
					   own: its first datagram's sum */
	const char	*ch_reason;	/* timeout line's reason=, or NULL */
	int		 ch_termed;	/* SIGTERM sent, SIGKILL due */
	int		 ch_wait;	/* holds the service's socket */
	int		 ch_tries;	/* spawns its connection took before */
	int		 ch_unwatched;	/* on the polled list */
	int		 ch_quiet;	/* started looping: lines summed up */
	int		 ch_killed;	/* superd killed it: never a miss */
	struct cgref	 ch_cg;		/* memory=, tasks=: its cgroup */
	struct proxied	*ch_px;		/* proxy=: what its header said */
	struct errpipe	*ch_err;	/* stderr=log: its pipe, or NULL */
	RB_ENTRY(child)	 ch_pentry;	/* -r: by pid (child.c) */
};
LIST_HEAD(childlist, child);


/*
 * upgradedec.c: the state an upgrade hands over (SIGUSR2), as read back
 * from its memory file.  Native byte order: written and read on one
 * machine.  What each record carries is the old superd's own.
 */
#define UPSTATE_MAGIC	"SUPERDST"
#define UPSTATE_VERSION	2	/* the newest format this binary writes */
#define UPSTATE_OLDEST	1	/* and the oldest it reads and writes */
#define UPSTATE_HEAD	48	/* the header's bytes */
#define UPSTATE_MAX	(1024 * 1024 * 1024)	/* a state, at most */
#define UPSTATE_NAMEMAX	4096	/* a service field, at most */
struct upsvc {
	int		 us_fd;		/* -1: none (covered, unbound) */
	int		 us_socktype;
	int		 us_family;
	int		 us_proto;
	int		 us_retired;	/* removed, waiting for its children */
	struct sockaddr_storage us_addr; /* as configured */
	socklen_t	 us_addrlen;
	uint64_t	 us_dev;	/* unix: the file superd bound */
	uint64_t	 us_ino;
	char		*us_name;
	int		 us_line;
	unsigned long	 us_started;
	unsigned long	 us_refused[REFUSE_MAX];
	struct svmetrics us_mx;
	double		 us_tokens;
	double		 us_tokens_at;
	unsigned long	 us_errlines;
	unsigned long	 us_errdropped;
	unsigned long	 us_errnopipe;
	int		 us_reflog;	/* the summaries below are there */
	double		 us_rl_at[REFUSE_MAX];
	unsigned long	 us_rl_n[REFUSE_MAX];
	char		 us_rl_peer[REFUSE_MAX][64];
	struct service	*us_sv;		/* the new table's, once matched */
};
#define UPR_NONE	0	/* ch_reason: timeout= */
#define UPR_IDLE	1
#define UPR_SHUTDOWN	2
struct upchild {
	pid_t		 uc_pid;
	int		 uc_pidfd;
	unsigned int	 uc_svc;	/* index into the services */
	struct sockaddr_storage uc_peer; /* AF_UNSPEC: none */
	double		 uc_start;	/* CLOCK_MONOTONIC, as timer_now */
	double		 uc_timer_at;	/* timeout=: due then; -1: none */
	double		 uc_idle_at;	/* idle=: next look then; -1: none */
	int		 uc_termed;
	int		 uc_killed;
	int		 uc_reason;	/* UPR_* */
	int		 uc_conn;	/* superd's copy; -1: none */
	int		 uc_errfd;	/* stderr=log's read end; -1: none */
	int		 uc_wait;	/* holds its service's socket */
	int		 uc_dgram;	/* dgram nowait: has not read yet */
	int		 uc_tries;
	int		 uc_quiet;
	struct cgref	 uc_cg;
	struct sockaddr_storage uc_balancer; /* proxy=: AF_UNSPEC none */
	uint64_t	 uc_pxlen;	/* its PROXY header's bytes */
};
struct upgk {
	pid_t		 ug_pgid;
	int		 ug_pidfd;	/* the zombie leader's */
	double		 ug_at;		/* its group's SIGKILL */
	int		 ug_line;
	int		 ug_reason;	/* UPR_* */
	char		*ug_name;
};
struct uplinger {
	int		 ul_fd;
	unsigned int	 ul_svc;	/* whose share; UPL_NOSVC: none */
	int		 ul_secs;	/* linger=S */
	pid_t		 ul_pgid;	/* the group it waits for */
	int		 ul_draining;	/* S seconds running, else waiting */
	uint64_t	 ul_budget;	/* bytes it may still discard */
	double		 ul_step;	/* between two looks at the group */
	double		 ul_at;		/* its timer's deadline */
};
#define UPL_NOSVC	0xffffffffU
struct upstate {
	int		 st_version;
	char		 st_from[64];	/* the old binary's version */
	double		 st_paused;	/* when the old one stopped serving */
	double		 st_start;	/* metrics: superd's start, wall */
	double		 st_reload;	/* the last good load, wall */
	unsigned long	 st_reloads;
	unsigned long	 st_reloadfails;
	unsigned long	 st_upgrades;
	unsigned long	 st_upgradefails;
	int		 st_pidfd;	/* the locked pid file; -1: none */
	unsigned int	 st_nsvc;
	struct upsvc	*st_svc;
	unsigned int	 st_nchild;
	struct upchild	*st_child;
	unsigned int	 st_ngk;
	struct upgk	*st_gk;
	unsigned int	 st_nlinger;
	struct uplinger	*st_linger;
};
int		 upstate_decode(const unsigned char *, size_t,
		    struct upstate *, char *, size_t);
void		 upstate_free(struct upstate *);
int		**upstate_fds(struct upstate *, size_t *);
int		 upstate_fd_cmp(const void *, const void *);
uint64_t	 upstate_sum(const unsigned char *, size_t);
const char	*upstate_binary(void);
#define UPGRADE_CHECK_ENV "SUPERD_UPGRADE_CHECK" /* -t says what it reads */
#define UPGRADE_STATE_ENV "SUPERD_UPGRADE_STATE" /* the memory file's fd */
#define UPGRADE_CWD_ENV	"SUPERD_UPGRADE_CWD"	/* where superd started */
#define UPGRADE_TABLE_ENV "SUPERD_UPGRADE_TABLE" /* the running table */
#define UPGRADE_HELLO	"superd-upgrade"	/* the check's answer */
#define UPGRADE_CHECK_SECS 10			/* the check's bound */

/* upgrade.c */
void		 upgrade_init(int, char *[]);
void		 upgrade_signal(const char *, int, double);
void		 upgrade_event(struct evsrc *, double);
int		 upgrade_due(void);
void		 upgrade_cancel(void);
void		 upgrade_exec(double);

/* upgradeenc.c */
int		 upgrade_write(double, int, int **, int *);
int		 upgrade_write_table(void);

/* upgradeadopt.c */
int		 upgrade_take(void);
int		 upgrade_active(void);
struct conf	*upgrade_table(struct conf *, const char *);
int		 upgrade_pid(const char *);
void		 upgrade_match(struct service *);
void		 upgrade_adopt(double);
void		 upgrade_done(double);

/* upgradeask.c */
void		 upgrade_ask(const char *) __attribute__((noreturn));

/* tcpinfo.c */
struct tcpcount {
	uint64_t	 tc_in;		/* bytes received from the peer */
	uint64_t	 tc_out;	/* bytes the peer acknowledged */
	uint32_t	 tc_quiet_ms;	/* since data last went either way */
};
int		 tcpinfo_get(int, struct tcpcount *);

/* fd.c */
#define SPAWN_FDTOP	64	/* long-lived descriptors are at or above */
int		 fd_high(int);
int		 fd_share(int, int, int);
void		 fd_close_set(const int *, int);

/* adopt.c */
int		 adopt_take(void);
void		 adopt_raise(void);
void		 adopt_match(struct service *);
void		 adopt_drop(void);

/* notify.c */
void		 notify_init(void);
void		 notify_send(const char *);
const char	*notify_socket(void);

/* ports.c */
void		 ports_init(const char *);
void		 ports_write(void);

/* inherit.c */
void		 inherit_reset_signals(int);
void		 inherit_open_stdio(void);
void		 inherit_raise_nofile(void);

/* pid.c */
void		 pid_open(const char *);
void		 pid_write(void);
void		 pid_remove(void);
int		 pid_held(void);
int		 pid_take(const char *, int);
long long	 pid_running(const char *, uid_t *, char *, size_t);

/* reaper.c */
int		 reaper_start(int);
void		 reaper_reap(double);
long long	 reaper_orphans(void);
void		 reaper_end(void);

/* ctl.c, and ctlask.c, its client */
#define CTL_NAME	"superd/%d"	/* abstract unix name; %d: the pid */
#define CTL_END		"event=status-end"	/* an answer's last line */
#define CTL_REFUSED	"event=status-refused"	/* a refusal's one line */
#define CTL_SECS	10	/* an answer's time, both ends */
struct sockaddr_un;
socklen_t	 ctl_addr(pid_t, struct sockaddr_un *);
void		 ctl_open(void);
void		 ctl_event(struct evsrc *, double);
int		 ctl_busy(void);
void		 ctl_stop(void);
/* ctlask.c */
void		 ctl_ask(const char *) __attribute__((noreturn));

/* conf.c */
struct conf {
	struct svlist	 c_services;
	int		 c_nservices;
	char		**c_errors;
	size_t		 c_nerrors;
	char		**c_warnings;
	size_t		 c_nwarnings;
	char		**c_incerrors;	/* of included files' entries, which
					   are left out: the rest is served */
	size_t		 c_nincerrors;
	char		**c_files;	/* every file and glob directory read,
					   absolute: the named table first
					   (unless read from "-") */
	size_t		 c_nfiles;
};
#define CONF_MAXSIZE	(16 * 1024 * 1024)	/* bytes in a table, at most */
const char	*conf_hosts_colon(const char *);
struct conf	*conf_load(const char *, FILE *);
struct conf	*conf_load_as(const char *, FILE *, const char *);
void		 conf_free(struct conf *);
void		 conf_drop_entry(struct conf *, struct service *, const char *);

/* confinc.c */
#define CONF_MAXDEPTH	8	/* .include nested at most this deep */
void		 conf_include_confine(const char *);

/* confread.c */
enum conf_line {
	CONF_LINE_BLANK,
	CONF_LINE_COMMENT,
	CONF_LINE_ENTRY,	/* starts an entry */
	CONF_LINE_MORE,		/* continues the open entry */
};
enum conf_line	 conf_line_kind(const char *, int, int);
int		 conf_line_joins(const char *);

/* table.c */
void		 table_check_paths(struct conf *, const char *);
void		 table_check_contain(struct conf *, const char *);
void		 table_check_cgroups(struct conf *, const char *, int);
void		 table_start_pools(struct conf *);
void		 table_report(const struct conf *, int);
void		 table_log_errors(const struct conf *);
void		 table_log_warnings(const struct conf *);

/* services.c */
const struct svlist *services_list(void);
const struct svlist *services_retired(void);
int		 services_count(void);
void		 services_append(struct svlist *);
void		 services_remove(struct service *);
void		 services_retire(struct service *);
void		 services_release(struct service *);
void		 services_keep_retired(struct service *);
int		 services_udp_port(in_port_t);

/* svconf.c */
void		 service_free(struct service *);
void		 svconf_free(struct svconf *);
void		 svconf_pin(struct svconf *);
void		 svconf_unpin(struct svconf *);

/* addr.c */
void		 addr_format(const struct sockaddr *, char *, size_t,
		    char *, size_t);
void		 addr_format_full(const struct sockaddr *, char *, size_t);
void		 peer_format(const struct sockaddr *, char *, size_t);
void		 addr_unmap(struct sockaddr_storage *);
const char	*proto_label(const struct service *);
int		 service_same_addr(const struct service *,
		    const struct service *);
int		 service_cmp_addr(const struct service *,
		    const struct service *);

/* listen.c */
void		 listen_init(int);
int		 listen_count(void);
unsigned long	 listen_changes(void);
int		 listen_open(struct service *, char *, size_t);
void		 listen_close(struct service *);
void		 listen_nonblock(struct service *, int);
void		 listen_apply_bufs(struct service *);
void		 listen_apply_perms(struct service *);
int		 listen_check_path(const struct service *, char *, size_t);
int		 listen_cover(struct service *, const struct svlist *);
void		 listen_drop_unadopted(int *, int);
int		 listen_adopt(struct service *, int *, int);
void		 listen_take(struct service *, int);

/* contain.c */
void		 contain_reset(void);
int		 contain_prepare(struct svconf *, char *, size_t);
int		 contain_owned(const char *, const char *, int *, char *,
		    size_t);
/* nspool.c */
void		 nspool_allow(int);
void		 nspool_reset(void);
void		 nspool_start(struct svconf *);
int		 nspool_take(struct svconf *, int *);

/* tcpopt.c */
void		 tcpopt_apply(struct service *);

/* spawn.c */
struct rlimit;
int		 spawn_init(void);
int		 spawn_pty_check(const struct svconf *, char *, size_t);
void		 spawn_signals(void);
void		 spawn_nofile(const struct rlimit *);
#define ERRFD_NULL	(-2)	/* no pipe: stderr=null's /dev/null */
pid_t		 spawn_child(struct service *, int, const struct sockaddr *,
		    const struct proxied *, int, int, int *, struct cgref *,
		    int *, const int *);
void		 spawn_flush(void);
int		 spawn_watch(void);
void		 spawn_event(void);
int		 spawn_forget(pid_t);
int		 spawn_ready(void);
int		 spawn_busy(void);
void		 spawn_reclaim(double);

/* spawnfail.c */
int		 spawn_failure(pid_t, char *, size_t);

/* cgroup.c */
void		 cgroup_find(void);
int		 cgroup_check(const struct svconf *, int, char *, size_t);
int		 cgroup_make(const struct svconf *, struct cgref *,
		    struct cgjoin *);
int		 cgroup_oom(const struct cgref *);
void		 cgroup_remove(struct cgref *);
void		 cgroup_end(void);
void		 cgroup_size(uint64_t, char *, size_t);
void		 cgroup_sweep(void);

/* cgdelegate.c */
#define CGDELEG_LEAF	"supervisor"	/* superd's own leaf (systemd's name) */
size_t		 cgdeleg_above(const char *);
size_t		 cgdeleg_control(const char *);
int		 cgdeleg_check(const char *, char *, size_t);
int		 cgdeleg_enter(const char *, const char *, char *, size_t);
int		 cgdeleg_write(const char *, const char *, const char *);

/* cgsweep.c */
void		 cgsweep_run(const char *);

/* spawnenv.c */
int		 spawn_prepare(struct service *, int);

/* spawnback.c */
int		 spawn_returned(pid_t);

/* limits.c */
int		 limits_acl_allows(const struct svconf *,
		    const struct sockaddr *);
int		 limits_rate_take(struct service *, double);
double		 limits_rate_wait(const struct service *);
struct srcent	*limits_source_get(struct service *, const struct sockaddr *);
void		 limits_source_put(struct srcent *);
int		 limits_proxy_from(const struct svconf *,
		    const struct sockaddr *);

/* builtin.c */
enum builtin	 internal_lookup(const char *);
const char	*internal_name(enum builtin);

/* metrics.c */
struct upstate;
void		 metrics_start(void);
void		 metrics_reload(int);
void		 metrics_fds(long, long);
void		 metrics_exit(struct service *, enum outcome, double, double,
		    const struct tcpcount *);
void		 metrics_write(FILE *);
void		 metrics_upgrade(int, const char *);
void		 metrics_upgrades(unsigned long *, unsigned long *,
		    const char **);
void		 metrics_carry(struct upstate *);
void		 metrics_adopt(const struct upstate *);

/* scrape.c */
void		 scrape_serve(int) __attribute__((noreturn));

/* httpreq.c */
#define HTTP_MORE	0	/* no whole head yet: read on */
struct httpreq {
	int		 hr_status;	/* 200, 400, 404, 405, 505; HTTP_MORE */
	int		 hr_head;	/* HEAD: the answer has no body */
	size_t		 hr_len;	/* bytes read to decide */
};
int		 httpreq_parse(const char *, size_t, struct httpreq *);

/* internal.c */
void		 internal_stream(enum builtin, int) __attribute__((noreturn));
int		 internal_dgram_ask(enum builtin,
		    const struct sockaddr_storage *, size_t);
ssize_t		 internal_dgram_answer(enum builtin, char *, size_t, size_t);

/* log.c */
void		 log_init(int, int);
void		 log_check_syslog(void);
void		 log_hold(void);
void		 log_flush(void);
int		 log_retry_ms(void);
void		 log_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
void		 fatalx(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* proxyhdr.c */
#define PROXY_MIN	15		/* "PROXY UNKNOWN\r\n", the shortest */
#define PROXY_V1_MAX	107		/* "PROXY ...\r\n", the longest */
#define PROXY_V2_MAX	(16 + 65535)	/* signature, head, addresses, TLVs */
#define PROXY_TEXT	256		/* a TLV's text, NUL included */

/* What a PROXY header says; its text fields only printable ASCII. */
struct proxyhdr {
	int		 ph_version;	/* 1 or 2 */
	int		 ph_local;	/* v2 LOCAL, v1 UNKNOWN, v2 UNSPEC: no
					   client: the balancer itself */
	struct sockaddr_storage ph_src;	/* the client (AF_INET, AF_INET6) */
	struct sockaddr_storage ph_dst;	/* the address the client reached */
	char		 ph_authority[PROXY_TEXT];	/* "" when none */
	char		 ph_unique_id[PROXY_TEXT];	/* "" when none */
	int		 ph_ssl;	/* -1 no SSL TLV, 0 no TLS, 1 TLS */
	char		 ph_ssl_version[PROXY_TEXT];
	char		 ph_ssl_cn[PROXY_TEXT];	/* only when verified */
	int		 ph_ssl_verified; /* 1: a client certificate was
					   presented and verified */
	size_t		 ph_len;	/* the header's bytes, read by superd */
};

/*
 * The header at the start of the len bytes of buf: its length (> 0)
 * with *ph filled; 0 when buf is a proper start of a header that needs
 * more bytes (the caller reads more, never past PROXY_V1_MAX or the v2
 * length the first 16 bytes give); -1 when it is not a header or is
 * malformed, *why then a short constant text for the log
 * ("bad signature", "v1 line too long", "bad address", ...).
 */
ssize_t		 proxy_parse(const unsigned char *, size_t, struct proxyhdr *,
		    const char **);
/* How many bytes of a header starting with these len bytes to peek for:
   v1: PROXY_V1_MAX; v2 once 16 bytes are known: 16 + its length field. */
size_t		 proxy_want(const unsigned char *, size_t);

/*
 * A connection from a proxy= source (proxywait.c), from its accept to
 * its child's reap: while its header is read, then what the header said,
 * which its admission, its spawn (the variables), a held try and its
 * child's lines go by.
 */
struct proxied {
	struct evsrc	 px_ev;		/* first: epoll's data.ptr */
	struct timer	 px_timer;	/* proxy-timeout= */
	LIST_ENTRY(proxied) px_wentry;	/* on sv_pxwait */
	TAILQ_ENTRY(proxied) px_rentry;	/* on sv_pxready */
	struct proxied	*px_next;	/* on the free list */
	struct service	*px_sv;
	int		 px_fd;
	int		 px_state;	/* PX_* */
	int		 px_lowat;	/* SO_RCVLOWAT raised for a v2 */
	int		 px_inpoll;	/* in the epoll set */
	struct sockaddr_storage px_balancer;
	struct proxyhdr	 px_hdr;
};
#define PX_READING	1	/* in epoll, its timer running */
#define PX_READY	2	/* header in, its service paused: sv_pxready */
#define PX_TAKEN	3	/* out of the wait set: the connection's facts */

/* logtext.c */
const char	*log_str(const char *);
const char	*log_signame(int);
void		 log_quote(char *, size_t, const char *);
void		 log_quote_mem(char *, size_t, const char *, size_t);
void		 log_vis(FILE *, const char *);

/* serve.c */
int		 serve_open(struct service *, char *, size_t);
void		 serve_remove(struct service *);
void		 serve_listener(struct service *, double);
int		 serve_bound_late(void);

/* admit.c */
int		 admit(struct service *, const struct sockaddr *, double,
		    struct srcent **);
void		 accept_batch(struct service *, double);
void		 admit_builtin_dgram(struct service *, double);
void		 held_due(struct timer *, double);
void		 admit_proxied(struct evsrc *, uint32_t, double);
int		 slots_wait(struct service *, double);
void		 slots_check(double);
void		 slots_forget(struct service *);

/* dgramconn.c */
void		 dgram_connect(struct service *, double);

/* dgramwait.c */
void		 dgram_nowait(struct service *, double);
void		 dgram_shared(struct service *, const struct sockaddr *,
		    const struct dgid *, struct srcent *, double);

/* held.c */
int		 held_keep(struct service *, int, const struct sockaddr *,
		    struct srcent *, struct proxied *, double, const char *, int);
void		 held_drop(struct service *, double);
int		 held_next(struct service *, int);
int		 held_take(struct service *, int, struct sockaddr_storage *,
		    struct srcent **, struct proxied **, int *);

/* proxywait.c */
struct proxied	*proxy_wait(struct service *, int, const struct sockaddr *,
		    double);
struct proxied	*proxy_event(struct evsrc *, uint32_t, double);
const struct sockaddr *proxy_peer(const struct proxied *);
void		 proxy_ready(struct proxied *);
struct proxied	*proxy_next_ready(struct service *);
int		 proxy_take(struct proxied *);
void		 proxy_free(struct proxied *);
struct proxied	*proxy_carried(const struct sockaddr_storage *, size_t);
void		 proxy_forget(struct service *, double);
int		 proxy_count(void);

/* child.c */
const struct childlist *child_list(void);
int		 child_count(void);
struct child	*child_new(void);
void		 child_free(struct child *);
struct child	*child_start(struct service *, int, const struct sockaddr *,
		    struct srcent *, struct proxied *, double);
void		 child_reap(struct child *, double);
void		 child_track(void);
int		 child_reap_pid(pid_t, double);
int		 child_owns(pid_t);
void		 child_end_all(double);
int		 child_pending(void);
struct upchild;
struct upgk;
int		 child_reason_code(const char *);
void		 child_groupkills(void (*)(const struct upgk *, void *), void *);
int		 child_adopt(struct service *, const struct upchild *,
		    struct errpipe *);
void		 child_groupkill_adopt(const struct upgk *);

/* linger.c */
void		 linger_start(struct service *, int, pid_t, int,
		    const struct sockaddr *, double);
void		 linger_event(struct evsrc *, double);
int		 linger_count(void);
int		 linger_held(void);
void		 linger_stop(void);
void		 linger_forget(struct service *);
struct uplinger;
void		 linger_each(void (*)(const struct uplinger *,
		    const struct service *, void *), void *);
void		 linger_adopt(struct service *, const struct uplinger *);

/* errlog.c */
#define ERRLOG_LINE	1024	/* a stderr line's bytes logged, at most */
#define ERRLOG_RATE	100	/* stderr lines a second per service */
struct errpipe	*errlog_open(struct service *, int *);
int		 errlog_start(struct errpipe *, pid_t, int);
void		 errlog_cancel(struct errpipe *, int *);
void		 errlog_reaped(struct errpipe *, double);
void		 errlog_event(struct evsrc *, uint32_t, double);
int		 errlog_held(void);
int		 errlog_fd(const struct errpipe *);
struct errpipe	*errlog_adopt(struct service *, int);
void		 errlog_orphans_stop(double);
void		 errlog_stop(double);

/* refuse.c */
void		 refuse(struct service *, enum refusal, const struct sockaddr *,
		    double);
void		 refuse_why(struct service *, enum refusal,
		    const struct sockaddr *, double, const char *);
void		 backoff(struct service *, double, double, const char *);
void		 full_note(struct service *, double);
void		 refuse_forget(struct service *, double);
void		 refuse_adopt(struct service *);
void		 errdrop_note(struct service *, double);
void		 errdrop_flush(struct service *, double);

/* poll.c */
struct epoll_event;
int		 poll_init(void);
int		 poll_add(int, uint32_t, void *);
int		 poll_mod(int, uint32_t, void *);
void		 poll_del(int);
void		 poll_forget(struct service *);
int		 poll_wait(struct epoll_event *, int, int);
void		 poll_pause(struct service *, int);
void		 poll_pause_until(struct service *, int, double);
void		 poll_expire(struct service *, double);
void		 poll_resume(struct service *, int);
void		 poll_instances_changed(struct service *);

/* watch.c */
void		 watch_init(void);
void		 watch_start(void);
void		 watch_set(const char *const *, size_t);
void		 watch_event(double);
int		 watch_due(void);

/* status.c */
#define STATUS_LINE_MAX	4096	/* a status line is cut at this length */
void		 status_lines(double, void (*)(const char *, void *), void *);
void		 serve_status(double);

/* backlog.c */
void		 backlog_mark(struct service *);
int		 backlog_left(struct service *);

/* guard.c */
int		 guard_peek(struct service *, struct sockaddr_storage *,
		    struct dgid *);
int		 guard_dgram_left(struct service *, const struct dgid *);
uint64_t	 guard_sum(const struct sockaddr_storage *, socklen_t, ssize_t,
		    const void *, size_t);
void		 guard_mark(struct service *);
int		 guard_left(const struct child *);
int		 guard_missed(const struct child *, int, double);
void		 guard_note(struct service *, int, double);
int		 guard_rate(struct service *, double);

/* reload.c */
void		 reload_merge(struct conf *, int);

/* timer.c */
double		 timer_now(void);
void		 timer_init(struct timer *, void (*)(struct timer *, double),
		    void *);
int		 timer_pending(const struct timer *);
double		 timer_at(const struct timer *);
void		 timer_set(struct timer *, double);
void		 timer_set_by(struct timer *, double);
void		 timer_clear(struct timer *);
double		 timer_next(void);
void		 timer_run(double);

#endif /* SUPERD_H */
