/*
 * upgradedec.c: the state an upgrade in place hands over, read back
 * from a buffer: a pure function of its bytes (no descriptor is looked
 * at, nothing is logged), fuzzed by fuzz/upgrade_fuzz.
 *
 * The format (upgradeenc.c writes it), native byte order, one machine:
 *
 *	header (UPSTATE_HEAD bytes): magic "SUPERDST", u32 version,
 *	    u32 header size, u64 total size, u32 services, u32 children,
 *	    u32 group kills, u32 lingering connections, u64 FNV-1a sum of
 *	    what follows
 *	superd's own: str from, f64 paused, start, reload, u64 reloads,
 *	    reload failures, upgrades, upgrade failures,
 *	    i32 pid file, u32 refusal kinds, outcomes, histogram buckets
 *	each service: i32 fd, socket type, family, proto, retired, u32 address
 *	    length and its bytes, u64 dev, inode, str name, i32 line, its
 *	    counters, its rate bucket, u32 summaries and, when 1, each
 *	    refusal kind's f64 at, u64 count, str peer
 *	each child: i32 pid, pidfd, u32 service, u32 peer length and its
 *	    bytes, f64 start, timeout due, idle look due, i32 termed,
 *	    killed, reason, connection, stderr pipe, wait, dgram, tries,
 *	    quiet, its cgroup (u64 id, i32 hierarchies, u64 memory); from
 *	    version 2 on, its balancer under proxy= (u32 length and its
 *	    bytes, AF_UNSPEC: none) and u64 its PROXY header's length
 *	each group kill: i32 pgid, pidfd, f64 due, i32 line, reason, str
 *	    name
 *	each lingering connection: i32 fd, u32 service (UPL_NOSVC: none),
 *	    i32 linger=, pgid, draining, u64 budget, f64 step, due
 *
 * a str being a u32 length and its bytes.  Anything else is refused,
 * with a short reason: a version newer than UPSTATE_VERSION or older than
 * UPSTATE_OLDEST (each between is read as it was written), a header that is not
 * this one, sizes that do not add up, a sum that does not match, a field
 * out of its range, bytes left over, a descriptor named twice (each is
 * one thing: a listener, a pidfd, a connection...).  Counts are checked
 * against what is left before anything is allocated for them.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"

/* The smallest record of each kind, to bound a count by what is left. */
#define SVC_MIN		(4 * 4 + 4 + 16 + 4 + 4)
#define CHILD_MIN	(4 * 3 + 4 + 8 * 3 + 4 * 9 + 20)
#define GK_MIN		(4 * 2 + 8 + 4 * 2 + 4)
#define LINGER_MIN	(4 * 5 + 8 * 3)

struct rd {
	const unsigned char	*r_p;
	size_t			 r_left;
	int			 r_bad;
	const char		*r_why;
	int			 r_version;	/* the state's format */
};

#ifndef SUPERD_BUILD
#define SUPERD_BUILD	""
#endif

/*
 * This binary's version as an upgrade's from= and to= name it: the
 * release, and the commit it was built from when the build knew it.
 */
const char *
upstate_binary(void)
{
	return SUPERD_BUILD[0] != '\0' ? SUPERD_VERSION "+" SUPERD_BUILD :
	    SUPERD_VERSION;
}

/* FNV-1a, 64 bits: a garbled state is told from a good one. */
uint64_t
upstate_sum(const unsigned char *p, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
bad(struct rd *r, const char *why)
{
	if (!r->r_bad) {
		r->r_bad = 1;
		r->r_why = why;
	}
}

static void
get(struct rd *r, void *dst, size_t n)
{
	if (r->r_bad || r->r_left < n) {
		bad(r, "the state ends early");
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->r_p, n);
	r->r_p += n;
	r->r_left -= n;
}

static uint32_t
get_u32(struct rd *r)
{
	uint32_t	 v;

	get(r, &v, sizeof(v));
	return v;
}

static uint64_t
get_u64(struct rd *r)
{
	uint64_t	 v;

	get(r, &v, sizeof(v));
	return v;
}

static int
get_i32(struct rd *r)
{
	int32_t	 v;

	get(r, &v, sizeof(v));
	return v;
}

/* A time or a count of seconds: finite, else the state is refused. */
static double
get_f64(struct rd *r)
{
	double	 v;

	get(r, &v, sizeof(v));
	if (!isfinite(v)) {
		bad(r, "a time that is not a number");
		return 0;
	}
	return v;
}

/* A descriptor: -1, or one above stdio. */
static int
get_fd(struct rd *r)
{
	int	 fd = get_i32(r);

	if (fd != -1 && fd < 3) {
		bad(r, "a descriptor out of range");
		return -1;
	}
	return fd;
}

/* A string into dst (size bytes, NUL included); no NUL within. */
static void
get_str(struct rd *r, char *dst, size_t size)
{
	uint32_t	 n = get_u32(r);

	dst[0] = '\0';
	if (r->r_bad)
		return;
	if (n >= size || n > r->r_left) {
		bad(r, "a string too long");
		return;
	}
	get(r, dst, n);
	dst[n] = '\0';
	if (strlen(dst) != n)
		bad(r, "a string with a NUL in it");
}

/* A string, allocated. */
static char *
get_strdup(struct rd *r, size_t max)
{
	uint32_t	 n = get_u32(r);
	char		*s;

	if (r->r_bad)
		return NULL;
	if (n > max || n > r->r_left) {
		bad(r, "a string too long");
		return NULL;
	}
	if ((s = malloc(n + 1)) == NULL) {
		bad(r, "out of memory");
		return NULL;
	}
	get(r, s, n);
	s[n] = '\0';
	if (strlen(s) != n)
		bad(r, "a string with a NUL in it");
	return s;
}

/* An address: a known family, a length its family allows. */
static void
get_addr(struct rd *r, struct sockaddr_storage *ss, socklen_t *lenp,
    int unspec)
{
	uint32_t	 n = get_u32(r);
	size_t		 want;

	memset(ss, 0, sizeof(*ss));
	if (r->r_bad)
		return;
	if (n > sizeof(*ss) || n < sizeof(sa_family_t)) {
		bad(r, "an address of a bad length");
		return;
	}
	get(r, ss, n);
	switch (ss->ss_family) {
	case AF_INET:
		want = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		want = sizeof(struct sockaddr_in6);
		break;
	case AF_UNIX:
		want = 0;
		if (n > sizeof(struct sockaddr_un))
			bad(r, "an address of a bad length");
		break;
	case AF_UNSPEC:
		want = unspec ? n : (size_t)-1;
		break;
	default:
		want = (size_t)-1;
	}
	if (want != 0 && want != n)
		bad(r, "an address of a bad family or length");
	if (lenp != NULL)
		*lenp = (socklen_t)n;
}

/* A flag: 0 or 1. */
static int
get_flag(struct rd *r)
{
	int	 v = get_i32(r);

	if (v != 0 && v != 1)
		bad(r, "a flag that is neither 0 nor 1");
	return v == 1;
}

static int
get_reason(struct rd *r)
{
	int	 v = get_i32(r);

	if (v < UPR_NONE || v > UPR_SHUTDOWN)
		bad(r, "an unknown reason");
	return v;
}

static void
get_service(struct rd *r, struct upsvc *us)
{
	struct svmetrics	*mx = &us->us_mx;
	int			 i;

	us->us_fd = get_fd(r);
	us->us_socktype = get_i32(r);
	us->us_family = get_i32(r);
	us->us_proto = get_i32(r);
	us->us_retired = get_flag(r);
	if ((us->us_socktype != SOCK_STREAM && us->us_socktype != SOCK_DGRAM)
	    || (us->us_family != AF_INET && us->us_family != AF_INET6 &&
	    us->us_family != AF_UNIX) || us->us_proto < PROTO_TCP ||
	    us->us_proto > PROTO_UNIX)
		bad(r, "a service of an unknown kind");
	get_addr(r, &us->us_addr, &us->us_addrlen, 0);
	if (!r->r_bad && us->us_addr.ss_family != us->us_family)
		bad(r, "a service whose address is of another family");
	us->us_dev = get_u64(r);
	us->us_ino = get_u64(r);
	us->us_name = get_strdup(r, UPSTATE_NAMEMAX);
	us->us_line = get_i32(r);
	us->us_started = get_u64(r);
	for (i = 0; i < REFUSE_MAX; i++)
		us->us_refused[i] = get_u64(r);
	mx->mx_conns = get_u64(r);
	mx->mx_spawnfail = get_u64(r);
	for (i = 0; i < OUTCOME_MAX; i++)
		mx->mx_exits[i] = get_u64(r);
	for (i = 0; i < MX_NBUCKETS + 1; i++)
		mx->mx_dur[i] = get_u64(r);
	mx->mx_dursum = get_f64(r);
	mx->mx_cpu = get_f64(r);
	mx->mx_in = get_u64(r);
	mx->mx_out = get_u64(r);
	us->us_tokens = get_f64(r);
	us->us_tokens_at = get_f64(r);
	us->us_errlines = get_u64(r);
	us->us_errdropped = get_u64(r);
	us->us_errnopipe = get_u64(r);
	if ((us->us_reflog = get_flag(r)) == 0)
		return;
	for (i = 0; i < REFUSE_MAX; i++) {
		us->us_rl_at[i] = get_f64(r);
		us->us_rl_n[i] = get_u64(r);
		get_str(r, us->us_rl_peer[i], sizeof(us->us_rl_peer[i]));
	}
}

static void
get_child(struct rd *r, struct upchild *uc, unsigned int nsvc)
{
	uc->uc_pid = get_i32(r);
	uc->uc_pidfd = get_fd(r);
	if (uc->uc_pid < 1 || uc->uc_pidfd == -1)
		bad(r, "a child without a pid or a pidfd");
	uc->uc_svc = get_u32(r);
	if (!r->r_bad && uc->uc_svc >= nsvc)
		bad(r, "a child of no service");
	get_addr(r, &uc->uc_peer, NULL, 1);
	uc->uc_start = get_f64(r);
	uc->uc_timer_at = get_f64(r);
	uc->uc_idle_at = get_f64(r);
	uc->uc_termed = get_flag(r);
	uc->uc_killed = get_flag(r);
	uc->uc_reason = get_reason(r);
	uc->uc_conn = get_fd(r);
	uc->uc_errfd = get_fd(r);
	uc->uc_wait = get_flag(r);
	uc->uc_dgram = get_flag(r);
	uc->uc_tries = get_i32(r);
	uc->uc_quiet = get_flag(r);
	if (uc->uc_tries < 0 || uc->uc_tries > HELD_TRIES)
		bad(r, "a child's tries out of range");
	uc->uc_cg.cg_id = get_u64(r);
	uc->uc_cg.cg_hmask = get_i32(r);
	uc->uc_cg.cg_memory = get_u64(r);
	if (uc->uc_cg.cg_hmask < 0 || uc->uc_cg.cg_hmask >= 1 << CG_NHIER)
		bad(r, "a child's cgroup out of range");
	if (r->r_version < 2)
		return;		/* uc_balancer AF_UNSPEC: none */
	get_addr(r, &uc->uc_balancer, NULL, 1);
	uc->uc_pxlen = get_u64(r);
	if (uc->uc_balancer.ss_family == AF_UNSPEC ? uc->uc_pxlen != 0 :
	    uc->uc_pxlen < PROXY_MIN || uc->uc_pxlen > PROXY_V2_MAX)
		bad(r, "a child's PROXY header out of range");
}

static void
get_gk(struct rd *r, struct upgk *ug)
{
	ug->ug_pgid = get_i32(r);
	ug->ug_pidfd = get_fd(r);
	if (ug->ug_pgid < 1 || ug->ug_pidfd == -1)
		bad(r, "a group kill without a pid or a pidfd");
	ug->ug_at = get_f64(r);
	ug->ug_line = get_i32(r);
	ug->ug_reason = get_reason(r);
	ug->ug_name = get_strdup(r, UPSTATE_NAMEMAX);
}

static void
get_linger(struct rd *r, struct uplinger *ul, unsigned int nsvc)
{
	ul->ul_fd = get_fd(r);
	ul->ul_svc = get_u32(r);
	ul->ul_secs = get_i32(r);
	ul->ul_pgid = get_i32(r);
	ul->ul_draining = get_flag(r);
	ul->ul_budget = get_u64(r);
	ul->ul_step = get_f64(r);
	ul->ul_at = get_f64(r);
	if (ul->ul_fd == -1 || ul->ul_secs < 1 ||
	    (!ul->ul_draining && ul->ul_pgid < 1))
		bad(r, "a lingering connection out of range");
	if (!r->r_bad && ul->ul_svc != UPL_NOSVC && ul->ul_svc >= nsvc)
		bad(r, "a lingering connection of no service");
}

/* For qsort(3): descriptor numbers in order. */
int
upstate_fd_cmp(const void *a, const void *b)
{
	int	 x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/*
 * Every descriptor field of st, -1 or not, as pointers (so that the new
 * binary can check and move each), *np of them, in an array to free;
 * NULL out of memory.
 */
int **
upstate_fds(struct upstate *st, size_t *np)
{
	int		**f;
	size_t		  n = 0, i;

	if ((f = calloc(1 + st->st_nsvc + 3 * (size_t)st->st_nchild +
	    st->st_ngk + st->st_nlinger, sizeof(*f))) == NULL)
		return NULL;
	f[n++] = &st->st_pidfd;
	for (i = 0; i < st->st_nsvc; i++)
		f[n++] = &st->st_svc[i].us_fd;
	for (i = 0; i < st->st_nchild; i++) {
		f[n++] = &st->st_child[i].uc_pidfd;
		f[n++] = &st->st_child[i].uc_conn;
		f[n++] = &st->st_child[i].uc_errfd;
	}
	for (i = 0; i < st->st_ngk; i++)
		f[n++] = &st->st_gk[i].ug_pidfd;
	for (i = 0; i < st->st_nlinger; i++)
		f[n++] = &st->st_linger[i].ul_fd;
	*np = n;
	return f;
}

/*
 * A descriptor the state names twice (two fields, one open file: the new
 * binary would keep it for two uses and close it twice): that one; -1
 * when each is named once; -2 out of memory.
 */
static int
named_twice(struct upstate *st)
{
	size_t		  n, i;
	int		**f, *v, fd = -1;

	if ((f = upstate_fds(st, &n)) == NULL)
		return -2;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		free(f);
		return -2;
	}
	for (i = 0; i < n; i++)
		v[i] = *f[i];
	qsort(v, n, sizeof(*v), upstate_fd_cmp);
	for (i = 1; i < n && fd == -1; i++)
		if (v[i] != -1 && v[i] == v[i - 1])
			fd = v[i];
	free(f);
	free(v);
	return fd;
}

/* superd's own, and the array sizes this binary must share. */
static void
get_own(struct rd *r, struct upstate *st)
{
	get_str(r, st->st_from, sizeof(st->st_from));
	st->st_paused = get_f64(r);
	st->st_start = get_f64(r);
	st->st_reload = get_f64(r);
	st->st_reloads = get_u64(r);
	st->st_reloadfails = get_u64(r);
	st->st_upgrades = get_u64(r);
	st->st_upgradefails = get_u64(r);
	st->st_pidfd = get_fd(r);
	if (get_u32(r) != REFUSE_MAX || get_u32(r) != OUTCOME_MAX ||
	    get_u32(r) != MX_NBUCKETS + 1)
		bad(r, "counters of another shape");
}

/*
 * The header: this magic, this version, this header size, the whole
 * length, the sum of the rest.  Returns the record counts through st.
 */
static int
get_head(const unsigned char *buf, size_t len, struct upstate *st,
    const char **why)
{
	uint32_t	 v, hs;
	uint64_t	 total, sum;

	if (len < UPSTATE_HEAD) {
		*why = "shorter than its header";
		return -1;
	}
	if (memcmp(buf, UPSTATE_MAGIC, 8) != 0) {
		*why = "not a superd state";
		return -1;
	}
	memcpy(&v, buf + 8, 4);
	memcpy(&hs, buf + 12, 4);
	memcpy(&total, buf + 16, 8);
	memcpy(&st->st_nsvc, buf + 24, 4);
	memcpy(&st->st_nchild, buf + 28, 4);
	memcpy(&st->st_ngk, buf + 32, 4);
	memcpy(&st->st_nlinger, buf + 36, 4);
	memcpy(&sum, buf + 40, 8);
	st->st_version = (int)v;
	if (v > UPSTATE_VERSION || v < UPSTATE_OLDEST) {
		*why = v > UPSTATE_VERSION ? "a newer state version than this "
		    "binary reads" : "an older state version than this "
		    "binary reads";
		return -1;
	}
	if (hs != UPSTATE_HEAD || total != len) {
		*why = "sizes that do not add up";
		return -1;
	}
	if (upstate_sum(buf + UPSTATE_HEAD, len - UPSTATE_HEAD) != sum) {
		*why = "a sum that does not match: garbled";
		return -1;
	}
	if (st->st_nsvc > len / SVC_MIN || st->st_nchild > len / CHILD_MIN ||
	    st->st_ngk > len / GK_MIN || st->st_nlinger > len / LINGER_MIN) {
		*why = "more records than its size holds";
		return -1;
	}
	return 0;
}

/*
 * The len bytes of buf into *st (upstate_free frees it, whatever the
 * outcome): 0, or -1 with why (size bytes) saying what is wrong.
 */
int
upstate_decode(const unsigned char *buf, size_t len, struct upstate *st,
    char *why, size_t size)
{
	struct rd	 r;
	const char	*w = NULL;
	unsigned int	 i;
	int		 fd;

	memset(st, 0, sizeof(*st));
	st->st_pidfd = -1;
	if (get_head(buf, len, st, &w) == -1) {
		(void)snprintf(why, size, "%s", w);
		st->st_nsvc = st->st_nchild = st->st_ngk = st->st_nlinger = 0;
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.r_p = buf + UPSTATE_HEAD;
	r.r_left = len - UPSTATE_HEAD;
	r.r_version = st->st_version;
	if ((st->st_svc = calloc(st->st_nsvc + 1, sizeof(*st->st_svc))) ==
	    NULL || (st->st_child = calloc(st->st_nchild + 1,
	    sizeof(*st->st_child))) == NULL || (st->st_gk =
	    calloc(st->st_ngk + 1, sizeof(*st->st_gk))) == NULL ||
	    (st->st_linger = calloc(st->st_nlinger + 1,
	    sizeof(*st->st_linger))) == NULL) {
		(void)snprintf(why, size, "out of memory");
		return -1;
	}
	get_own(&r, st);
	for (i = 0; i < st->st_nsvc && !r.r_bad; i++)
		get_service(&r, &st->st_svc[i]);
	for (i = 0; i < st->st_nchild && !r.r_bad; i++)
		get_child(&r, &st->st_child[i], st->st_nsvc);
	for (i = 0; i < st->st_ngk && !r.r_bad; i++)
		get_gk(&r, &st->st_gk[i]);
	for (i = 0; i < st->st_nlinger && !r.r_bad; i++)
		get_linger(&r, &st->st_linger[i], st->st_nsvc);
	if (!r.r_bad && r.r_left != 0)
		bad(&r, "bytes left over");
	if (r.r_bad) {
		(void)snprintf(why, size, "%s", r.r_why);
		return -1;
	}
	switch (fd = named_twice(st)) {
	case -1:
		return 0;
	case -2:
		(void)snprintf(why, size, "out of memory");
		return -1;
	default:
		(void)snprintf(why, size, "descriptor %d is named twice", fd);
		return -1;
	}
}

/* What upstate_decode allocated. */
void
upstate_free(struct upstate *st)
{
	unsigned int	 i;

	if (st->st_svc != NULL)
		for (i = 0; i < st->st_nsvc; i++)
			free(st->st_svc[i].us_name);
	if (st->st_gk != NULL)
		for (i = 0; i < st->st_ngk; i++)
			free(st->st_gk[i].ug_name);
	free(st->st_svc);
	free(st->st_child);
	free(st->st_gk);
	free(st->st_linger);
	st->st_svc = NULL;
	st->st_child = NULL;
	st->st_gk = NULL;
	st->st_linger = NULL;
	st->st_nsvc = st->st_nchild = st->st_ngk = st->st_nlinger = 0;
}
