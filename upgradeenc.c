/*
 * upgradeenc.c: the state an upgrade in place hands over, written into
 * a sealed memory file for the new binary (upgradedec.c reads it; its
 * comment gives the format).
 *
 * What is written is what superd keeps and a restart would lose: every
 * service with its socket, its counters, its rate bucket and its refusal
 * summaries (the removed ones still waiting for a child too, without a
 * socket); every running child with its pidfd, its peer, its start and
 * its deadlines on the monotonic clock (which an execve on the same
 * boot does not move), its copy of the connection and its stderr pipe;
 * every group whose SIGKILL is due, with its zombie leader's pidfd;
 * every connection lingering after its child (linger.c), draining or
 * waiting for the child's group, with its deadline;
 * superd's own counters and its locked pid file.  Beside it, in a file
 * of its own, the running table's text (upgrade_write_table), which the
 * new binary serves should its own read of the table fail.  The descriptors named
 * are handed back to the caller, which clears their close-on-exec for
 * the execve and puts it back if the execve fails.  Nothing here changes
 * a service or a child.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

struct wbuf {
	unsigned char	*w_b;
	size_t		 w_len;
	size_t		 w_cap;
	int		 w_bad;
	int		*w_fds;		/* to carry */
	int		 w_nfds;
	int		 w_fdcap;
	int		 w_version;	/* the format written */
};

/* A service's place in the state, for its children to name it. */
struct svidx {
	const struct service	*si_sv;
	unsigned int		 si_idx;
};

static void
put(struct wbuf *w, const void *p, size_t n)
{
	unsigned char	*nb;
	size_t		 cap;

	if (w->w_bad || n == 0)
		return;
	if (w->w_len + n > w->w_cap) {
		cap = w->w_cap == 0 ? 65536 : w->w_cap;
		while (cap < w->w_len + n)
			cap *= 2;
		if (cap > UPSTATE_MAX || (nb = realloc(w->w_b, cap)) == NULL) {
			w->w_bad = 1;
			return;
		}
		w->w_b = nb;
		w->w_cap = cap;
	}
	memcpy(w->w_b + w->w_len, p, n);
	w->w_len += n;
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void
put_i32(struct wbuf *w, int v)
{
	int32_t	 x = v;

	put(w, &x, sizeof(x));
}

static void
put_u64(struct wbuf *w, uint64_t v)
{
	put(w, &v, sizeof(v));
}

static void
put_f64(struct wbuf *w, double v)
{
	put(w, &v, sizeof(v));
}

static void
put_str(struct wbuf *w, const char *s, size_t max)
{
	size_t	 n = s != NULL ? strlen(s) : 0;

	if (n > max)
		n = max;
	put_u32(w, (uint32_t)n);
	put(w, s, n);
}

/* A descriptor written, and kept for the execve. */
static void
put_fd(struct wbuf *w, int fd)
{
	int	*nf;

	put_i32(w, fd);
	if (fd < 0 || w->w_bad)
		return;
	if (w->w_nfds == w->w_fdcap) {
		w->w_fdcap = w->w_fdcap == 0 ? 1024 : w->w_fdcap * 2;
		if ((nf = reallocarray(w->w_fds, w->w_fdcap,
		    sizeof(*nf))) == NULL) {
			w->w_bad = 1;
			return;
		}
		w->w_fds = nf;
	}
	w->w_fds[w->w_nfds++] = fd;
}

static void
put_addr(struct wbuf *w, const struct sockaddr_storage *ss, socklen_t len)
{
	put_u32(w, len);
	put(w, ss, len);
}

/* The length of a peer's address, as child_start copied it. */
static socklen_t
peer_len(const struct sockaddr_storage *ss)
{
	switch (ss->ss_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return sizeof(sa_family_t);
	}
}

static void
put_service(struct wbuf *w, const struct service *sv)
{
	const struct svmetrics	*mx = &sv->sv_mx;
	const struct reflog	*rl = sv->sv_reflog;
	int			 i;

	put_fd(w, sv->sv_retired ? -1 : sv->sv_fd);
	put_i32(w, sv->sv_socktype);
	put_i32(w, sv->sv_family);
	put_i32(w, sv->sv_proto);
	put_i32(w, sv->sv_retired);
	put_addr(w, &sv->sv_addr, sv->sv_addrlen);
	put_u64(w, sv->sv_sockdev);
	put_u64(w, sv->sv_sockino);
	put_str(w, sv->sv_name, UPSTATE_NAMEMAX);
	put_i32(w, sv->sv_cf->cf_line);
	put_u64(w, sv->sv_started);
	for (i = 0; i < REFUSE_MAX; i++)
		put_u64(w, sv->sv_refused[i]);
	put_u64(w, mx->mx_conns);
	put_u64(w, mx->mx_spawnfail);
	for (i = 0; i < OUTCOME_MAX; i++)
		put_u64(w, mx->mx_exits[i]);
	for (i = 0; i < MX_NBUCKETS + 1; i++)
		put_u64(w, mx->mx_dur[i]);
	put_f64(w, mx->mx_dursum);
	put_f64(w, mx->mx_cpu);
	put_u64(w, mx->mx_in);
	put_u64(w, mx->mx_out);
	put_f64(w, sv->sv_tokens);
	put_f64(w, sv->sv_tokens_at);
	put_u64(w, sv->sv_errlines);
	put_u64(w, sv->sv_errdropped);
	put_u64(w, sv->sv_errnopipe);
	put_i32(w, rl != NULL);
	if (rl == NULL)
		return;
	for (i = 0; i < REFUSE_MAX; i++) {
		put_f64(w, rl->rl_at[i]);
		put_u64(w, rl->rl_n[i]);
		put_str(w, rl->rl_peer[i], sizeof(rl->rl_peer[i]) - 1);
	}
}

static void
put_child(struct wbuf *w, const struct child *ch, unsigned int svc)
{
	struct sockaddr_storage	 none;

	put_i32(w, ch->ch_pid);
	put_fd(w, ch->ch_pidfd);
	put_u32(w, svc);
	put_addr(w, &ch->ch_peer, peer_len(&ch->ch_peer));
	put_f64(w, ch->ch_start);
	put_f64(w, timer_pending(&ch->ch_timer) ? timer_at(&ch->ch_timer) :
	    -1);
	put_f64(w, timer_pending(&ch->ch_idle) ? timer_at(&ch->ch_idle) : -1);
	put_i32(w, ch->ch_termed != 0);
	put_i32(w, ch->ch_killed != 0);
	put_i32(w, child_reason_code(ch->ch_reason));
	put_fd(w, ch->ch_conn);
	put_fd(w, errlog_fd(ch->ch_err));
	put_i32(w, ch->ch_wait != 0);
	put_i32(w, ch == ch->ch_sv->sv_dgramchild);
	put_i32(w, ch->ch_tries);
	put_i32(w, ch->ch_quiet != 0);
	put_u64(w, ch->ch_cg.cg_id);
	put_i32(w, ch->ch_cg.cg_hmask);
	put_u64(w, ch->ch_cg.cg_memory);
	if (w->w_version < 2)
		return;
	/* its balancer, and the header's length its in= leaves out */
	if (ch->ch_px != NULL) {
		put_addr(w, &ch->ch_px->px_balancer,
		    peer_len(&ch->ch_px->px_balancer));
		put_u64(w, ch->ch_px->px_hdr.ph_len);
	} else {
		memset(&none, 0, sizeof(none));
		put_addr(w, &none, peer_len(&none));
		put_u64(w, 0);
	}
}

static void
put_gk(const struct upgk *ug, void *arg)
{
	struct wbuf	*w = arg;

	put_i32(w, ug->ug_pgid);
	put_fd(w, ug->ug_pidfd);
	put_f64(w, ug->ug_at);
	put_i32(w, ug->ug_line);
	put_i32(w, ug->ug_reason);
	put_str(w, ug->ug_name, UPSTATE_NAMEMAX);
}

/* What put_linger needs: the buffer, the services' places. */
struct lgarg {
	struct wbuf	*la_w;
	struct svidx	*la_idx;
	unsigned int	 la_nsvc;
	unsigned int	 la_n;
};

static int	 svidx_cmp(const void *, const void *);

static void
put_linger(const struct uplinger *ul, const struct service *sv, void *arg)
{
	struct lgarg	*la = arg;
	struct wbuf	*w = la->la_w;
	struct svidx	 key, *found = NULL;

	if (sv != NULL) {
		memset(&key, 0, sizeof(key));
		key.si_sv = sv;
		found = bsearch(&key, la->la_idx, la->la_nsvc,
		    sizeof(*la->la_idx), svidx_cmp);
	}
	put_fd(w, ul->ul_fd);
	put_u32(w, found != NULL ? found->si_idx : UPL_NOSVC);
	put_i32(w, ul->ul_secs);
	put_i32(w, ul->ul_pgid);
	put_i32(w, ul->ul_draining != 0);
	put_u64(w, ul->ul_budget);
	put_f64(w, ul->ul_step);
	put_f64(w, ul->ul_at);
	la->la_n++;
}

static void
count_gk(const struct upgk *ug, void *arg)
{
	(void)ug;
	(*(unsigned int *)arg)++;
}

static int
svidx_cmp(const void *va, const void *vb)
{
	const struct svidx	*a = va, *b = vb;

	return a->si_sv < b->si_sv ? -1 : a->si_sv > b->si_sv;
}

/* superd's own: its counters, its pid file, the shapes of the arrays. */
static void
put_own(struct wbuf *w, double now)
{
	struct upstate	 st;

	memset(&st, 0, sizeof(st));
	metrics_carry(&st);
	put_str(w, upstate_binary(), sizeof(st.st_from) - 1);
	put_f64(w, now);
	put_f64(w, st.st_start);
	put_f64(w, st.st_reload);
	put_u64(w, st.st_reloads);
	put_u64(w, st.st_reloadfails);
	put_u64(w, st.st_upgrades);
	put_u64(w, st.st_upgradefails);
	put_fd(w, pid_held());
	put_u32(w, REFUSE_MAX);
	put_u32(w, OUTCOME_MAX);
	put_u32(w, MX_NBUCKETS + 1);
}

/* The services, then the children naming them by their place. */
static void
put_all(struct wbuf *w, struct svidx *idx, unsigned int nsvc,
    unsigned int *nchild, unsigned int *nlinger)
{
	struct lgarg		 la;
	const struct svlist	*lists[2] = { services_list(),
				    services_retired() };
	struct service		*sv;
	struct child		*ch;
	struct svidx		 key, *found;
	unsigned int		 n = 0;
	int			 l;

	for (l = 0; l < 2; l++)
		TAILQ_FOREACH(sv, lists[l], sv_entry) {
			idx[n].si_sv = sv;
			idx[n].si_idx = n;
			n++;
			put_service(w, sv);
		}
	qsort(idx, nsvc, sizeof(*idx), svidx_cmp);
	memset(&key, 0, sizeof(key));
	LIST_FOREACH(ch, child_list(), ch_entry) {
		/* none is without one; a state with one would be refused */
		if (ch->ch_pidfd < 0)
			continue;
		(*nchild)++;
		key.si_sv = ch->ch_sv;
		if ((found = bsearch(&key, idx, nsvc, sizeof(*idx),
		    svidx_cmp)) == NULL)
			fatalx("upgrade: a child of no service");
		put_child(w, ch, found->si_idx);
	}
	child_groupkills(put_gk, w);
	memset(&la, 0, sizeof(la));
	la.la_w = w;
	la.la_idx = idx;
	la.la_nsvc = nsvc;
	linger_each(put_linger, &la);
	*nlinger = la.la_n;
}

/*
 * A memory file holding b (len bytes), high and close-on-exec, sealed so
 * that the new binary reads what was written and nothing can change it;
 * -1 with errno set.
 */
static int
sealed_memfd(const char *name, const unsigned char *b, size_t len)
{
	size_t	 off;
	ssize_t	 n;
	int	 fd, saved;

	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	fd = fd_high(fd);
	for (off = 0; off < len; off += (size_t)n)
		if ((n = write(fd, b + off, len - off)) <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

/*
 * The whole state, at now (when superd stopped serving), in a sealed
 * memory file of format version (UPSTATE_OLDEST to UPSTATE_VERSION: the
 * newest the new binary reads): its descriptor (close-on-exec, as every one named), with the
 * descriptors to carry in *fdsp (*nfdsp of them, malloc'd); -1 with
 * errno.
 */
int
upgrade_write(double now, int version, int **fdsp, int *nfdsp)
{
	struct wbuf		 w;
	struct svidx		*idx;
	struct service		*sv;
	unsigned char		 head[UPSTATE_HEAD];
	unsigned int		 nsvc = 0, ngk = 0, nchild = 0, nlinger = 0;
	uint32_t		 v;
	uint64_t		 total, sum;
	int			 fd = -1, saved;

	memset(&w, 0, sizeof(w));
	w.w_version = version;
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		nsvc++;
	TAILQ_FOREACH(sv, services_retired(), sv_entry)
		nsvc++;
	child_groupkills(count_gk, &ngk);
	if ((idx = calloc(nsvc + 1, sizeof(*idx))) == NULL)
		return -1;
	memset(head, 0, sizeof(head));
	put(&w, head, sizeof(head));
	put_own(&w, now);
	put_all(&w, idx, nsvc, &nchild, &nlinger);
	free(idx);
	if (w.w_bad) {
		free(w.w_b);
		free(w.w_fds);
		errno = ENOMEM;
		return -1;
	}
	memcpy(w.w_b, UPSTATE_MAGIC, 8);
	v = (uint32_t)version;
	memcpy(w.w_b + 8, &v, 4);
	v = UPSTATE_HEAD;
	memcpy(w.w_b + 12, &v, 4);
	total = w.w_len;
	memcpy(w.w_b + 16, &total, 8);
	v = nsvc;
	memcpy(w.w_b + 24, &v, 4);
	v = nchild;
	memcpy(w.w_b + 28, &v, 4);
	v = ngk;
	memcpy(w.w_b + 32, &v, 4);
	v = nlinger;
	memcpy(w.w_b + 36, &v, 4);
	sum = upstate_sum(w.w_b + UPSTATE_HEAD, w.w_len - UPSTATE_HEAD);
	memcpy(w.w_b + 40, &sum, 8);
	if ((fd = sealed_memfd("superd-state", w.w_b, w.w_len)) == -1)
		goto fail;
	free(w.w_b);
	*fdsp = w.w_fds;
	*nfdsp = w.w_nfds;
	return fd;
fail:
	saved = errno;
	free(w.w_b);
	free(w.w_fds);
	errno = saved;
	return -1;
}

#define TABLE_HEAD	"# the running table, carried by an upgrade in place\n"

/* Sorted by the entry (file, line, text), then by place in the list. */
struct tabent {
	const struct svconf	*te_cf;
	unsigned int		 te_pos;
};

static int
tabent_key(const struct tabent *a, const struct tabent *b)
{
	int	 c;

	if ((c = strcmp(a->te_cf->cf_file != NULL ? a->te_cf->cf_file : "",
	    b->te_cf->cf_file != NULL ? b->te_cf->cf_file : "")) != 0)
		return c;
	if (a->te_cf->cf_line != b->te_cf->cf_line)
		return a->te_cf->cf_line < b->te_cf->cf_line ? -1 : 1;
	return strcmp(a->te_cf->cf_text, b->te_cf->cf_text);
}

static int
tabent_cmp(const void *va, const void *vb)
{
	const struct tabent	*a = va, *b = vb;
	int			 c;

	if ((c = tabent_key(a, b)) != 0)
		return c;
	return a->te_pos < b->te_pos ? -1 : a->te_pos > b->te_pos;
}

static int
tabent_pos(const void *va, const void *vb)
{
	const struct tabent	*a = va, *b = vb;

	return a->te_pos < b->te_pos ? -1 : a->te_pos > b->te_pos;
}

/*
 * The running table as a table's text, into a sealed memory file: each
 * entry once (the services of one entry each hold a copy of it), in the
 * running order, after the hosts: line that was in force for it.  A new
 * binary whose table fails to load serves this instead, as a failed
 * reload keeps the running table (upgradeadopt.c).  -1 with errno set.
 */
int
upgrade_write_table(void)
{
	struct service	*sv;
	struct tabent	*te;
	struct wbuf	 w;
	unsigned int	 n = 0, i, k;
	int		 fd = -1, saved;

	memset(&w, 0, sizeof(w));
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		n++;
	if ((te = calloc(n + 1, sizeof(*te))) == NULL)
		return -1;
	n = 0;
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		if (sv->sv_cf != NULL && sv->sv_cf->cf_text != NULL) {
			te[n].te_cf = sv->sv_cf;
			te[n].te_pos = n;
			n++;
		}
	qsort(te, n, sizeof(*te), tabent_cmp);
	for (i = k = 0; i < n; i++)
		if (k == 0 || tabent_key(&te[k - 1], &te[i]) != 0)
			te[k++] = te[i];
	qsort(te, k, sizeof(*te), tabent_pos);
	put(&w, TABLE_HEAD, strlen(TABLE_HEAD));
	for (i = 0; i < k; i++)
		put(&w, te[i].te_cf->cf_text, strlen(te[i].te_cf->cf_text));
	free(te);
	if (w.w_bad) {
		errno = ENOMEM;
		goto fail;
	}
	if ((fd = sealed_memfd("superd-table", w.w_b, w.w_len)) == -1)
		goto fail;
	free(w.w_b);
	return fd;
fail:
	saved = errno;
	free(w.w_b);
	errno = saved;
	return -1;
}
