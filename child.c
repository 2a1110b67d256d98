/*
 * child.c: a child's life in the parent, from its start to its exit line.
 *
 * Every child is watched through its pidfd, whose epoll event points at
 * the struct child: reaping costs the same with 10 or 10,000 children
 * (one epoll could not take is polled instead).  A child is always
 * reaped and logged under the service it started from, even when a
 * reload removed that service (which then waits, retired, for its last
 * child).  A timeout= child gets SIGTERM to its process group, SIGKILL
 * 2 s later; a leader that exits in between is kept a zombie so that its
 * pid, and the group's, cannot be another's when the SIGKILL comes.
 * superd ending under -k gives the same treatment to every child still
 * running once its wait is over, and exits when none is left to see to.
 * idle= gives it to a child whose connection has carried nothing for
 * that long, by the kernel's counters on superd's own copy of the
 * connection (ch_conn, high, kept from the start for linger= and idle=),
 * one timer a child that runs only every S seconds.  At the reap that
 * copy gives the exit line in= and out= and goes to linger.c.
 * struct child comes from a free list: a connection allocates nothing.
 * Under -r, or as PID 1, every child and every kept zombie leader is
 * also in a tree by pid, for the orphan reaper (reaper.c), which must
 * tell superd's own zombies from orphans (child_reap_pid); without it
 * the trees stay empty.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

/*
 * Children whose pidfd epoll could not take (ENOMEM, ENOSPC): each is
 * asked with waitid(WNOHANG) every UNWATCHED_SECS instead.
 */
#define UNWATCHED_SECS	0.1

/*
 * A process group whose leader died after SIGTERM: SIGKILL still due
 * (gk_timer, first: the timers hold the allocation by it).  The leader
 * is left a zombie until then (gk_pidfd): see child_reap().
 */
struct groupkill {
	struct timer	 gk_timer;
	RB_ENTRY(groupkill) gk_pentry;	/* by pid, when tracking */
	LIST_ENTRY(groupkill) gk_entry;	/* all of them, for an upgrade */
	pid_t		 gk_pgid;
	int		 gk_pidfd;
	int		 gk_line;
	const char	*gk_reason;	/* reason= of its line, or NULL */
	char		*gk_name;
};

static struct childlist	 children = LIST_HEAD_INITIALIZER(children);
static int		 nchildren;
static struct childlist	 unwatched = LIST_HEAD_INITIALIZER(unwatched);
static struct timer	 unwatched_timer;	/* their next look */
static void		 unwatched_poll(struct timer *, double);
static void		 dgram_left(struct child *, double);
static struct child	*child_freelist;
static int		 ngroupkills;	/* SIGKILLs still due to groups */
static LIST_HEAD(, groupkill) groupkills = LIST_HEAD_INITIALIZER(groupkills);
static int		 nkept;		/* children with ch_conn open */
static int		 tracking;	/* -r: the trees by pid are kept */

static int
child_cmp(struct child *a, struct child *b)
{
	return a->ch_pid < b->ch_pid ? -1 : a->ch_pid > b->ch_pid;
}

static int
gk_cmp(struct groupkill *a, struct groupkill *b)
{
	return a->gk_pgid < b->gk_pgid ? -1 : a->gk_pgid > b->gk_pgid;
}

RB_HEAD(chpids, child);
RB_HEAD(gkpids, groupkill);
static struct chpids	 chpids = RB_INITIALIZER(&chpids);
static struct gkpids	 gkpids = RB_INITIALIZER(&gkpids);
/* RB_GENERATE_STATIC's __unused is not defined on Linux (timer.c) */
RB_GENERATE_INTERNAL(chpids, child, ch_pentry, child_cmp,
    __attribute__((__unused__)) static)
RB_GENERATE_INTERNAL(gkpids, groupkill, gk_pentry, gk_cmp,
    __attribute__((__unused__)) static)

/* Every running child, the newest first (for the status dump). */
const struct childlist *
child_list(void)
{
	return &children;
}

/* How many children are running. */
int
child_count(void)
{
	return nchildren;
}

/* A zeroed child, from the free list when it has one. */
struct child *
child_new(void)
{
	struct child	*ch;

	if ((ch = child_freelist) != NULL)
		child_freelist = LIST_NEXT(ch, ch_entry);
	else if ((ch = malloc(sizeof(*ch))) == NULL)
		return NULL;
	memset(ch, 0, sizeof(*ch));
	ch->ch_ev.ev_kind = EV_CHILD;
	ch->ch_pidfd = -1;
	ch->ch_conn = -1;
	return ch;
}

/* Back on the free list: never returned to malloc. */
void
child_free(struct child *ch)
{
	LIST_NEXT(ch, ch_entry) = child_freelist;
	child_freelist = ch;
}

/*
 * Watch a child's pidfd, one-shot: a closed pidfd stays registered while
 * another process still holds the file (a vfork child between its
 * parent's wakeup and its close-on-exec), and must not report the child
 * twice.  When epoll cannot take it (ENOMEM, ENOSPC), the child goes on
 * the polled list and -1 is returned.
 */
static int
watch_child(struct child *ch, int op)
{
	if ((op == EPOLL_CTL_ADD ? poll_add : poll_mod)(ch->ch_pidfd,
	    EPOLLIN | EPOLLONESHOT, ch) == -1) {
		if (!ch->ch_unwatched) {
			ch->ch_unwatched = 1;
			LIST_INSERT_HEAD(&unwatched, ch, ch_uentry);
		}
		timer_init(&unwatched_timer, unwatched_poll, NULL);
		timer_set_by(&unwatched_timer, timer_now() + UNWATCHED_SECS);
		return -1;
	}
	return 0;
}

/*
 * timeout=: SIGTERM to the child's group when it is due, SIGKILL
 * KILL_GRACE_SECS later (ch_termed between the two).  The child has not
 * been reaped yet, so its pid is still its own (child_reap).
 */
static void
timeout_due(struct timer *t, double now)
{
	struct child	*ch = t->tm_arg;
	const char	*why = ch->ch_reason != NULL ? ch->ch_reason : "";

	if (!ch->ch_termed) {
		log_info("event=timeout svc=%s line=%d pid=%d signal=TERM%s%s",
		    log_str(ch->ch_sv->sv_name), ch->ch_sv->sv_cf->cf_line,
		    (int)ch->ch_pid, *why != '\0' ? " reason=" : "", why);
		(void)kill(-ch->ch_pid, SIGTERM);
		ch->ch_termed = 1;
		ch->ch_killed = 1;
		timer_set(t, now + KILL_GRACE_SECS);
		return;
	}
	ch->ch_termed = 0;
	log_info("event=timeout svc=%s line=%d pid=%d signal=KILL%s%s",
	    log_str(ch->ch_sv->sv_name), ch->ch_sv->sv_cf->cf_line,
	    (int)ch->ch_pid, *why != '\0' ? " reason=" : "", why);
	(void)kill(-ch->ch_pid, SIGKILL);
}

/*
 * idle=: the connection's own counters (TCP_INFO on superd's copy) say
 * how long it has carried no byte either way.  That long, or longer: the
 * timeout= treatment, reason=idle; else a look again when it would be.
 * A child whose SIGTERM is already on its way is left to it.
 */
static void
idle_due(struct timer *t, double now)
{
	struct child	*ch = t->tm_arg;
	struct tcpcount	 tc;
	int		 secs = ch->ch_sv->sv_cf->cf_idle;
	double		 quiet;

	if (secs == 0 || ch->ch_termed || ch->ch_killed || ch->ch_conn == -1 ||
	    tcpinfo_get(ch->ch_conn, &tc) == -1)
		return;
	quiet = tc.tc_quiet_ms / 1000.0;
	if (quiet < secs) {
		timer_set(t, now + secs - quiet);
		return;
	}
	ch->ch_reason = "idle";
	timer_init(&ch->ch_timer, timeout_due, ch);
	timeout_due(&ch->ch_timer, now);
}

static void
timeout_arm(struct child *ch, double now)
{
	int	 secs = ch->ch_sv->sv_cf->cf_timeout;

	if (ch->ch_conn != -1 && ch->ch_sv->sv_cf->cf_idle != 0) {
		timer_init(&ch->ch_idle, idle_due, ch);
		timer_set(&ch->ch_idle, now + ch->ch_sv->sv_cf->cf_idle);
	}
	if (secs == 0)
		return;
	timer_init(&ch->ch_timer, timeout_due, ch);
	timer_set(&ch->ch_timer, now + secs);
}

/*
 * superd is ending (-k) and its wait is over: every child still running
 * gets timeout='s treatment now, SIGTERM to its group and SIGKILL
 * KILL_GRACE_SECS later, logged with reason=shutdown.  One whose
 * SIGKILL is already due keeps that.
 */
void
child_end_all(double now)
{
	struct child	*ch;

	LIST_FOREACH(ch, &children, ch_entry) {
		if (ch->ch_termed || ch->ch_killed)
			continue;
		ch->ch_reason = "shutdown";
		timer_init(&ch->ch_timer, timeout_due, ch);
		timeout_due(&ch->ch_timer, now);
	}
}

/*
 * What superd must still see to before it may exit under -k: its
 * children, and the SIGKILLs due to the groups of those already reaped
 * (and the sockets still lingering: linger.c's).
 */
int
child_pending(void)
{
	return nchildren + ngroupkills;
}

/*
 * Start a child for sv on fd, a connection, which is closed in the parent
 * whatever happens; -1 for the service's own socket (wait mode, dgram
 * nowait), of which the child gets a duplicate, low-numbered as a
 * connection's.  peer is the remote address, src its per-source entry,
 * px what its PROXY header said (proxywait.c; NULL for a direct one):
 * all three are the child's from now on, given back at its reap, or
 * kept with the connection for another try (held.c), or given back now
 * when the spawn failed.  Returns the child, or NULL when the spawn
 * failed.
 */
struct child *
child_start(struct service *sv, int fd, const struct sockaddr *peer,
    struct srcent *src, struct proxied *px, double now)
{
	struct child		*ch;
	const char		*what;
	char			 pbuf[128], xbuf[128];
	int			 pidfd, fd_own = fd == -1, saved, *keep = NULL;
	int			 errfd[2], nowatch;
	pid_t			 pid;

	if (fd == -1 && (fd = fcntl(sv->sv_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		sv->sv_mx.mx_spawnfail++;
		backoff(sv, now, 0.1, "dup");
		return NULL;
	}
	if ((ch = child_new()) == NULL) {
		sv->sv_mx.mx_spawnfail++;
		if (!fd_own && held_keep(sv, fd, peer, src, px, now, "malloc",
		    sv->sv_retrytries))
			return NULL;
		(void)close(fd);
		backoff(sv, now, 0.25, "malloc");
		limits_source_put(src);
		proxy_free(px);
		return NULL;
	}
	/*
	 * linger= and idle= want superd's own copy of a connection, which
	 * it keeps until the reap, high (spawn.c): one more descriptor a
	 * child, which a copied descriptor table would have to copy too.
	 */
	if (!fd_own && sv->sv_socktype == SOCK_STREAM &&
	    (sv->sv_cf->cf_linger > 0 || sv->sv_cf->cf_idle != 0))
		keep = &ch->ch_conn;
	/* a datagram child's own socket: what it leaves, the next child's */
	if (!fd_own && sv->sv_socktype == SOCK_DGRAM)
		keep = &ch->ch_conn;
	/* stderr=log: its pipe, made last, just above the connection */
	ch->ch_err = errlog_open(sv, errfd);
	pid = spawn_child(sv, fd, peer, px, src != NULL ? src->se_count : 1,
	    listen_count() + nchildren + ngroupkills + nkept + linger_held() +
	    proxy_count() + errlog_held(), &pidfd, &ch->ch_cg, keep, errfd);
	if (pid == -1) {
		/*
		 * A clone with namespaces says so: its EPERM, EINVAL or
		 * ENOSPC (a max_*_namespaces sysctl) is about them.
		 */
		what = sv->sv_cf->cf_clone != 0 ? "namespace" : "fork";
		saved = errno;
		errlog_cancel(ch->ch_err, errfd);
		sv->sv_mx.mx_spawnfail++;
		child_free(ch);
		errno = saved;
		if (!fd_own && held_keep(sv, fd, peer, src, px, now, what,
		    sv->sv_retrytries))
			return NULL;
		(void)close(fd);
		refuse(sv, REFUSE_SPAWN, peer, now);
		backoff(sv, now, 0.25, what);
		limits_source_put(src);
		proxy_free(px);		/* peer may be in it: last */
		return NULL;
	}
	if (ch->ch_conn != -1)
		nkept++;
	ch->ch_tries = sv->sv_retrytries;
	ch->ch_pid = pid;
	ch->ch_pidfd = pidfd;
	ch->ch_sv = sv;
	ch->ch_src = src;
	ch->ch_px = px;
	ch->ch_start = now;
	if (peer != NULL)
		memcpy(&ch->ch_peer, peer, peer->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : peer->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(sa_family_t));
	else
		ch->ch_peer.ss_family = AF_UNSPEC;
	nowatch = watch_child(ch, EPOLL_CTL_ADD) == -1;
	if (errlog_start(ch->ch_err, pid, nowatch) == -1 || nowatch) {
		/*
		 * superd could not watch it, or its stderr: the connection
		 * is refused rather than served by a child nobody waits for
		 * (or whose writes to stderr would fail).  The pidfd names
		 * this child and no other; it is reaped by polling when
		 * epoll did not take it.
		 */
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		ch->ch_killed = 1;
		refuse(sv, REFUSE_EPOLL, peer, now);
	}
	LIST_INSERT_HEAD(&children, ch, ch_entry);
	if (tracking)
		RB_INSERT(chpids, &chpids, ch);
	nchildren++;
	sv->sv_children++;
	sv->sv_started++;
	timeout_arm(ch, now);
	/* a looping service's starts are summed up (guard.c) */
	if (fd_own && sv->sv_loop_backoff != 0) {
		ch->ch_quiet = 1;
		sv->sv_loop_starts++;
	} else if (peer == NULL)
		log_info("event=start svc=%s line=%d pid=%d",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, (int)pid);
	else if (px == NULL) {
		peer_format(peer, pbuf, sizeof(pbuf));
		log_info("event=start svc=%s line=%d pid=%d peer=%s",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, (int)pid, pbuf);
	} else {
		peer_format(peer, pbuf, sizeof(pbuf));
		peer_format((struct sockaddr *)&px->px_balancer, xbuf,
		    sizeof(xbuf));
		log_info("event=start svc=%s line=%d pid=%d peer=%s proxy=%s",
		    log_str(sv->sv_name), sv->sv_cf->cf_line, (int)pid, pbuf,
		    xbuf);
	}
	if (sv->sv_children >= sv->sv_cf->cf_instances) {
		poll_pause(sv, PAUSE_INSTANCES);
		full_note(sv, now);
	}
	return ch;
}

/*
 * The child is gone: release what it held.  left (guard_left) says
 * whether it left its service's input behind, missed whether that makes
 * a miss for the loop guard.
 */
static void
child_done(struct child *ch, int left, int missed, double now)
{
	struct service	*sv = ch->ch_sv;

	LIST_REMOVE(ch, ch_entry);
	if (tracking)
		RB_REMOVE(chpids, &chpids, ch);
	timer_clear(&ch->ch_timer);
	timer_clear(&ch->ch_idle);
	limits_source_put(ch->ch_src);
	proxy_free(ch->ch_px);
	ch->ch_px = NULL;
	nchildren--;
	sv->sv_children--;
	if (!sv->sv_retired) {
		if (left != -1)
			guard_note(sv, missed, now);
		if (ch->ch_wait)
			poll_resume(sv, PAUSE_WAIT);
		if (ch == sv->sv_dgramchild) {
			char	 b;

			/*
			 * One that exits without reading must not spin: its
			 * datagram is dropped, when it surely is that one.
			 */
			if (left == GUARD_SAME)
				(void)recv(sv->sv_fd, &b, 1, MSG_DONTWAIT);
			sv->sv_dgramchild = NULL;
			poll_resume(sv, PAUSE_DGRAM);
		}
		if (sv->sv_children < sv->sv_cf->cf_instances)
			poll_resume(sv, PAUSE_INSTANCES);
	} else if (sv->sv_children == 0)
		services_release(sv);
	child_free(ch);
}

/* The group's SIGKILL is due: its zombie leader may go then. */
static void
groupkill_due(struct timer *t, double now)
{
	struct groupkill	*gk = t->tm_arg;
	siginfo_t		 si;

	(void)now;
	log_info("event=timeout svc=%s line=%d pid=%d signal=KILL%s%s",
	    log_str(gk->gk_name), gk->gk_line, (int)gk->gk_pgid,
	    gk->gk_reason != NULL ? " reason=" : "",
	    gk->gk_reason != NULL ? gk->gk_reason : "");
	(void)kill(-gk->gk_pgid, SIGKILL);
	ngroupkills--;
	LIST_REMOVE(gk, gk_entry);
	if (tracking)
		RB_REMOVE(gkpids, &gkpids, gk);
	/* the zombie leader may go now, and its pid with it */
	(void)waitid(P_PIDFD, gk->gk_pidfd, &si, WEXITED | WNOHANG);
	(void)close(gk->gk_pidfd);
	free(gk->gk_name);
	free(gk);
}

/*
 * A timed-out leader has exited but what it started may not have: keep
 * its zombie while the group's SIGKILL is due.  The kernel frees a pid
 * only when its process has been reaped, so until then no new process
 * can have that number, nor lead a process group of that number: the
 * kill(-pgid) 2 s later reaches only what is left of this child's own
 * group (whose members, in the session the child made, all descend from
 * it), never a stranger that got the pid meanwhile.  (pidfd_send_signal's
 * PIDFD_SIGNAL_PROCESS_GROUP would say the same on Linux 6.9 and later;
 * the zombie works on every kernel that has pidfds.)  Returns 0 with the
 * pidfd kept for the SIGKILL, or -1 when the zombie was reaped at once.
 */
static int
groupkill_add(struct child *ch)
{
	struct groupkill	*gk;
	siginfo_t		 si;

	if ((gk = malloc(sizeof(*gk))) == NULL ||
	    (gk->gk_name = strdup(ch->ch_sv->sv_name)) == NULL) {
		free(gk);
		/* no memory: the SIGKILL now, while the zombie holds the pid */
		(void)kill(-ch->ch_pid, SIGKILL);
		(void)waitid(P_PIDFD, ch->ch_pidfd, &si, WEXITED | WNOHANG);
		return -1;
	}
	gk->gk_pgid = ch->ch_pid;
	gk->gk_pidfd = ch->ch_pidfd;
	gk->gk_line = ch->ch_sv->sv_cf->cf_line;
	gk->gk_reason = ch->ch_reason;
	ngroupkills++;
	LIST_INSERT_HEAD(&groupkills, gk, gk_entry);
	if (tracking)
		RB_INSERT(gkpids, &gkpids, gk);
	memset(&gk->gk_timer, 0, sizeof(gk->gk_timer));
	timer_init(&gk->gk_timer, groupkill_due, gk);
	/* when the child's own SIGKILL was due */
	timer_set(&gk->gk_timer, timer_at(&ch->ch_timer));
	return 0;
}

/*
 * Over RLIMIT_NPROC the child's execve failed with EAGAIN, and it gave its
 * connection back (spawn.c): kept and tried again as after a failed
 * clone, its per-source count with it.  Returns 1 when it did.
 */
static int
back_take(struct child *ch, int exited126, double now)
{
	struct service	*sv = ch->ch_sv;
	struct srcent	*src = ch->ch_src;
	int		 fd;

	if (!exited126 || (fd = spawn_returned(ch->ch_pid)) == -1)
		return 0;
	ch->ch_src = NULL;
	errno = EAGAIN;
	(void)held_keep(sv, fd, (struct sockaddr *)&ch->ch_peer, src,
	    ch->ch_px, now, "exec", ch->ch_tries);
	ch->ch_px = NULL;
	return 1;
}

/*
 * The event=exit line: how the child ended, how long it ran, for a TCP
 * connection superd kept a copy of the bytes it carried each way (tc,
 * or NULL), the CPU (user plus system, cpu) and the largest resident
 * set of it and of the processes it waited for, from the rusage
 * waitid(2) returned with the status, and the containment step it
 * failed at, if one did.
 */
static void
exit_line(const struct child *ch, const siginfo_t *si,
    const struct rusage *ru, const struct tcpcount *tc, double cpu,
    const char *err, double now)
{
	char		 how[48], bytes[64];

	if (si->si_code == CLD_EXITED)
		(void)snprintf(how, sizeof(how), "status=%d", si->si_status);
	else
		(void)snprintf(how, sizeof(how), "signal=%s",
		    log_signame(si->si_status));
	bytes[0] = '\0';
	if (tc != NULL)
		(void)snprintf(bytes, sizeof(bytes), " in=%llu out=%llu",
		    (unsigned long long)tc->tc_in,
		    (unsigned long long)tc->tc_out);
	log_info("event=exit svc=%s line=%d pid=%d %s duration=%.3f%s "
	    "cpu=%.3f maxrss=%ld%s%s", log_str(ch->ch_sv->sv_name),
	    ch->ch_sv->sv_cf->cf_line, (int)ch->ch_pid, how,
	    now - ch->ch_start, bytes, cpu, ru->ru_maxrss, err != NULL ? " error=" :
	    "", err != NULL ? log_str(err) : "");
}

/*
 * How a reaped child ended, for the metrics: 126 and 127 are the child
 * path's own exits short of its program (spawn.c).
 */
static enum outcome
outcome_of(const siginfo_t *si)
{
	if (si->si_code != CLD_EXITED)
		return OUTCOME_SIGNAL;
	if (si->si_status == 0)
		return OUTCOME_EXIT0;
	if (si->si_status == 126 || si->si_status == 127)
		return OUTCOME_NEVERRAN;
	return OUTCOME_EXITN;
}

/*
 * superd's copy of the reaped child's connection: lingered (linger.c), a
 * datagram child's socket left to the next child (dgram_left), or closed
 * at once when the child gave its connection back for another try.
 */
static void
conn_done(struct child *ch, int exited126, double now)
{
	if (ch->ch_conn == -1) {
		(void)back_take(ch, exited126, now);
		return;
	}
	nkept--;
	if (back_take(ch, exited126, now))
		(void)close(ch->ch_conn);
	else if (ch->ch_sv->sv_socktype == SOCK_DGRAM)
		dgram_left(ch, now);
	else
		linger_start(ch->ch_sv, ch->ch_conn, ch->ch_pid, ch->ch_killed,
		    (struct sockaddr *)&ch->ch_peer, now);
	ch->ch_conn = -1;
}

/*
 * A pidfd is readable: the child has exited.  Reap and log it; a leader
 * that got its SIGTERM stays a zombie until its group's SIGKILL.  The
 * raw waitid(2) system call, because its fifth argument, the rusage,
 * is one glibc's waitid(3) does not pass (WNOWAIT fills it too).
 */
void
child_reap(struct child *ch, double now)
{
	siginfo_t		 si;
	struct rusage		 ru;
	struct tcpcount		 tcbuf, *tc = NULL;
	char			 err[CG_PATHMAX + 128], size[32];
	int			 keep = ch->ch_termed, left, missed, failed;
	int			 exited126;
	double			 cpu;

	memset(&si, 0, sizeof(si));
	memset(&ru, 0, sizeof(ru));
	if (syscall(SYS_waitid, P_PIDFD, ch->ch_pidfd, &si,
	    WEXITED | WNOHANG | (keep ? WNOWAIT : 0), &ru) == -1)
		log_warn("event=waitid-failed svc=%s line=%d pid=%d",
		    log_str(ch->ch_sv->sv_name), ch->ch_sv->sv_cf->cf_line,
		    (int)ch->ch_pid);
	else if (si.si_pid == 0) {
		/* not gone after all: watch it again */
		if (!ch->ch_unwatched &&
		    watch_child(ch, EPOLL_CTL_MOD) == -1)
			log_warn("event=epoll-failed svc=%s line=%d pid=%d",
			    log_str(ch->ch_sv->sv_name),
			    ch->ch_sv->sv_cf->cf_line, (int)ch->ch_pid);
		return;
	}
	if (ch->ch_unwatched)
		LIST_REMOVE(ch, ch_uentry);
	if (spawn_forget(ch->ch_pid))
		ch->ch_killed = 1;	/* by spawn_reclaim, short of execve */
	left = guard_left(ch);
	missed = guard_missed(ch, left, now);
	/*
	 * A containment step that failed left its reason (spawn.c); one
	 * killed between leaving it and its exit has a record to clear.
	 */
	exited126 = si.si_code == CLD_EXITED && si.si_status == 126;
	failed = (si.si_code != CLD_EXITED || exited126) &&
	    spawn_failure(ch->ch_pid, err, sizeof(err)) == 0 && exited126;
	/* the kernel killed something in its cgroup, over memory= */
	if (!failed && cgroup_oom(&ch->ch_cg)) {
		cgroup_size(ch->ch_cg.cg_memory, size, sizeof(size));
		(void)snprintf(err, sizeof(err), "memory %s: out of memory",
		    size);
		failed = 1;
	}
	cgroup_remove(&ch->ch_cg);
	/* the bytes, by TCP_INFO on superd's copy, before its shutdown */
	if (ch->ch_conn != -1 && ch->ch_sv->sv_proto == PROTO_TCP &&
	    tcpinfo_get(ch->ch_conn, &tcbuf) == 0) {
		tc = &tcbuf;
		/* the client's bytes are what follows its PROXY header */
		if (ch->ch_px != NULL)
			tc->tc_in -= tc->tc_in < ch->ch_px->px_hdr.ph_len ?
			    tc->tc_in : ch->ch_px->px_hdr.ph_len;
	}
	/* a stream client waits for the shutdown of superd's copy: first */
	if (ch->ch_sv->sv_socktype == SOCK_STREAM)
		conn_done(ch, exited126, now);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	metrics_exit(ch->ch_sv, outcome_of(&si), now - ch->ch_start, cpu, tc);
	if (!ch->ch_quiet || !missed)	/* else summed up (event=looping) */
		exit_line(ch, &si, &ru, tc, cpu, failed ? err : NULL, now);
	/* What the leader started may outlive it: the SIGKILL stays due. */
	if (!keep || groupkill_add(ch) == -1)
		(void)close(ch->ch_pidfd);
	if (ch->ch_sv->sv_socktype != SOCK_STREAM)
		conn_done(ch, exited126, now);
	/* its stderr pipe is read on while what it started holds it */
	errlog_reaped(ch->ch_err, now);
	ch->ch_err = NULL;
	child_done(ch, left, missed, now);
}

/*
 * A dgram udp nowait child on a socket of its own has exited: what its
 * client sent since, unread, is on that socket still, and gets a child
 * of its own there, as each datagram of dgram nowait does (its client
 * admitted already: the per-source entry goes on to it).  Not when the
 * datagram first in the queue is the one the child was started for (by
 * its sum: source, length, first bytes): a child that never read it
 * would otherwise be started again for ever; the socket and what it
 * holds are dropped then, and so is a retry that looks the same.
 */
static void
dgram_left(struct child *ch, double now)
{
	struct service		*sv = ch->ch_sv;
	struct sockaddr_storage	 ss;
	struct child		*nch;
	unsigned char		 b[64];
	socklen_t		 len = sizeof(ss);
	uint64_t		 sum;
	ssize_t			 n;

	memset(&ss, 0, sizeof(ss));
	n = recvfrom(ch->ch_conn, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT |
	    MSG_TRUNC, (struct sockaddr *)&ss, &len);
	if (n == -1 || sv->sv_retired || sv->sv_fd == -1 ||
	    ch->ch_dgsum == 0 ||
	    (sum = guard_sum(&ss, len, n, b, (size_t)n)) == ch->ch_dgsum) {
		(void)close(ch->ch_conn);
		return;
	}
	sv->sv_mx.mx_conns++;
	nch = child_start(sv, ch->ch_conn, (struct sockaddr *)&ch->ch_peer,
	    ch->ch_src, NULL, now);
	ch->ch_src = NULL;
	if (nch != NULL)
		nch->ch_dgsum = sum;
}

/* The children epoll could not take: reap those that have exited. */
static void
unwatched_poll(struct timer *t, double now)
{
	struct child	*ch, *next;

	for (ch = LIST_FIRST(&unwatched); ch != NULL; ch = next) {
		next = LIST_NEXT(ch, ch_uentry);
		child_reap(ch, now);
	}
	if (!LIST_EMPTY(&unwatched))
		timer_set_by(t, now + UNWATCHED_SECS);
}

/* -r, or PID 1: from now on children are kept by pid too (reaper.c). */
void
child_track(void)
{
	tracking = 1;
}

/*
 * The orphan reaper (reaper.c) found pid's zombie.  One of superd's own
 * children is reaped and logged now, through its pidfd (taken out of
 * epoll first: a pidfd kept for a group's SIGKILL must not report a
 * freed child later).  A leader kept for its group's SIGKILL is left
 * alone: its zombie goes when the SIGKILL is due, its group's 2 seconds
 * after SIGTERM kept.  Returns 1 for a child reaped, 2 for a kept
 * leader, 0 for a pid that is not superd's own: an orphan.
 */
int
child_reap_pid(pid_t pid, double now)
{
	struct child		 ckey, *ch;

	memset(&ckey, 0, sizeof(ckey));
	ckey.ch_pid = pid;
	if ((ch = RB_FIND(chpids, &chpids, &ckey)) != NULL) {
		if (!ch->ch_unwatched)
			poll_del(ch->ch_pidfd);
		child_reap(ch, now);
		return 1;
	}
	return child_owns(pid) ? 2 : 0;
}

/* pid is one of superd's own children, or a leader kept as a zombie. */
int
child_owns(pid_t pid)
{
	struct child		 ckey;
	struct groupkill	 gkey;

	memset(&ckey, 0, sizeof(ckey));
	memset(&gkey, 0, sizeof(gkey));
	ckey.ch_pid = pid;
	gkey.gk_pgid = pid;
	return RB_FIND(chpids, &chpids, &ckey) != NULL ||
	    RB_FIND(gkpids, &gkpids, &gkey) != NULL;
}

/* ch_reason's texts as an upgrade's state numbers them (UPR_*). */
int
child_reason_code(const char *reason)
{
	if (reason == NULL)
		return UPR_NONE;
	return strcmp(reason, "idle") == 0 ? UPR_IDLE : UPR_SHUTDOWN;
}

static const char *
reason_text(int code)
{
	return code == UPR_IDLE ? "idle" : code == UPR_SHUTDOWN ?
	    "shutdown" : NULL;
}

/*
 * An upgrade's state (upgradeenc.c): the groups whose SIGKILL is due,
 * each handed to fn with its zombie leader's pidfd.
 */
void
child_groupkills(void (*fn)(const struct upgk *, void *), void *arg)
{
	struct groupkill	*gk;
	struct upgk		 ug;

	LIST_FOREACH(gk, &groupkills, gk_entry) {
		memset(&ug, 0, sizeof(ug));
		ug.ug_pgid = gk->gk_pgid;
		ug.ug_pidfd = gk->gk_pidfd;
		ug.ug_at = timer_at(&gk->gk_timer);
		ug.ug_line = gk->gk_line;
		ug.ug_reason = child_reason_code(gk->gk_reason);
		ug.ug_name = gk->gk_name;
		fn(&ug, arg);
	}
}

/*
 * After an upgrade in place: a child the old binary started, with its
 * pidfd, taken over as child_start would have left it (its timers due
 * when they were, its slot in instances= and per-source=, its stderr
 * pipe ep, its connection), under sv.  Returns -1 when no record could
 * be had: the pidfd is closed then (the child runs on, unwatched, as
 * after a restart).
 */
int
child_adopt(struct service *sv, const struct upchild *uc,
    struct errpipe *ep)
{
	struct child	*ch;
	int		 nowatch;

	if ((ch = child_new()) == NULL)
		return -1;
	ch->ch_pid = uc->uc_pid;
	ch->ch_pidfd = uc->uc_pidfd;
	ch->ch_sv = sv;
	memcpy(&ch->ch_peer, &uc->uc_peer, sizeof(ch->ch_peer));
	ch->ch_src = ch->ch_peer.ss_family == AF_UNSPEC ? NULL :
	    limits_source_get(sv, (struct sockaddr *)&ch->ch_peer);
	ch->ch_start = uc->uc_start;
	ch->ch_conn = uc->uc_conn;
	ch->ch_reason = reason_text(uc->uc_reason);
	ch->ch_termed = uc->uc_termed;
	ch->ch_killed = uc->uc_killed;
	ch->ch_wait = uc->uc_wait;
	ch->ch_tries = uc->uc_tries;
	ch->ch_quiet = uc->uc_quiet;
	ch->ch_cg = uc->uc_cg;
	/* through a balancer: it, and the header its in= leaves out */
	if (uc->uc_balancer.ss_family != AF_UNSPEC)
		ch->ch_px = proxy_carried(&uc->uc_balancer,
		    (size_t)uc->uc_pxlen);
	ch->ch_err = ep;
	if (ch->ch_conn != -1)
		nkept++;
	nowatch = watch_child(ch, EPOLL_CTL_ADD) == -1;
	(void)errlog_start(ep, ch->ch_pid, nowatch);
	LIST_INSERT_HEAD(&children, ch, ch_entry);
	if (tracking)
		RB_INSERT(chpids, &chpids, ch);
	nchildren++;
	sv->sv_children++;
	if (uc->uc_timer_at >= 0) {
		timer_init(&ch->ch_timer, timeout_due, ch);
		timer_set(&ch->ch_timer, uc->uc_timer_at);
	}
	if (uc->uc_idle_at >= 0) {
		timer_init(&ch->ch_idle, idle_due, ch);
		timer_set(&ch->ch_idle, uc->uc_idle_at);
	}
	if (sv->sv_retired)
		return 0;
	if (ch->ch_wait)
		poll_pause(sv, PAUSE_WAIT);
	if (uc->uc_dgram) {
		sv->sv_dgramchild = ch;
		poll_pause(sv, PAUSE_DGRAM);
	}
	if (sv->sv_children >= sv->sv_cf->cf_instances)
		poll_pause(sv, PAUSE_INSTANCES);
	return 0;
}

/* After an upgrade: a group whose SIGKILL the old binary had due. */
void
child_groupkill_adopt(const struct upgk *ug)
{
	struct groupkill	*gk;

	if ((gk = calloc(1, sizeof(*gk))) == NULL ||
	    (gk->gk_name = strdup(ug->ug_name)) == NULL) {
		free(gk);
		(void)kill(-ug->ug_pgid, SIGKILL);
		(void)close(ug->ug_pidfd);
		return;
	}
	gk->gk_pgid = ug->ug_pgid;
	gk->gk_pidfd = ug->ug_pidfd;
	gk->gk_line = ug->ug_line;
	gk->gk_reason = reason_text(ug->ug_reason);
	ngroupkills++;
	LIST_INSERT_HEAD(&groupkills, gk, gk_entry);
	if (tracking)
		RB_INSERT(gkpids, &gkpids, gk);
	timer_init(&gk->gk_timer, groupkill_due, gk);
	timer_set(&gk->gk_timer, ug->ug_at);
}
