/*
 * confcontain.c: the containment options of the wait field (rlimit-*=,
 * nice=, umask=, no-new-privs, chroot=, the namespaces, memory=,
 * tasks=), each a handler of confopt.c's option table, stored in the
 * entry's svconf for the child to apply before exec (spawn.c,
 * spawnns.c; cgroup.c makes memory= and tasks=' cgroups).  Only the
 * text is checked here: what needs the machine (is DIR a directory, may
 * superd make namespaces, is the memory controller there) is contain.c's
 * and cgroup.c's, at load.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

/* One more limit for the child (or the same resource's, replaced). */
static void
rlimit_set(struct svconf *cf, int res, uint64_t cur, uint64_t max)
{
	int	 i;

	for (i = 0; i < cf->cf_nrlim; i++)
		if (cf->cf_rlim[i].cr_res == res)
			break;
	if (i == cf->cf_nrlim) {
		if (i == CF_NRLIMITS)
			return;		/* one per resource: cannot happen */
		cf->cf_nrlim++;
	}
	cf->cf_rlim[i].cr_res = res;
	cf->cf_rlim[i].cr_lim[0] = cur;
	cf->cf_rlim[i].cr_lim[1] = max;
}

/* rlimit-cpu=S: SIGXCPU after S seconds of CPU, SIGKILL a second later. */
int
opt_rlimit_cpu(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 31 * 86400, &n) == -1)
		return OPT_BADVAL;
	rlimit_set(o->oc_cf, RLIMIT_CPU, (uint64_t)n, (uint64_t)n + 1);
	return OPT_OK;
}

/* rlimit-as= and the other sizes: soft and hard limit the same. */
static int
opt_rlimit_size(const struct optctx *o, char *val, int res)
{
	uint64_t	 v;

	if (parse_rsize(val, &v) == -1)
		return OPT_BADVAL;
	rlimit_set(o->oc_cf, res, v, v);
	return OPT_OK;
}

int
opt_rlimit_as(const struct optctx *o, char *val)
{
	return opt_rlimit_size(o, val, RLIMIT_AS);
}

int
opt_rlimit_data(const struct optctx *o, char *val)
{
	return opt_rlimit_size(o, val, RLIMIT_DATA);
}

int
opt_rlimit_stack(const struct optctx *o, char *val)
{
	return opt_rlimit_size(o, val, RLIMIT_STACK);
}

int
opt_rlimit_fsize(const struct optctx *o, char *val)
{
	return opt_rlimit_size(o, val, RLIMIT_FSIZE);
}

int
opt_rlimit_core(const struct optctx *o, char *val)
{
	return opt_rlimit_size(o, val, RLIMIT_CORE);
}

/* rlimit-nofile=N and rlimit-nproc=N: counts, soft and hard the same. */
static int
opt_rlimit_count(const struct optctx *o, char *val, int res)
{
	long long	 n;

	if (parse_num(val, 0, 1 << 30, &n) == -1)
		return OPT_BADVAL;
	rlimit_set(o->oc_cf, res, (uint64_t)n, (uint64_t)n);
	return OPT_OK;
}

int
opt_rlimit_nofile(const struct optctx *o, char *val)
{
	return opt_rlimit_count(o, val, RLIMIT_NOFILE);
}

int
opt_rlimit_nproc(const struct optctx *o, char *val)
{
	return opt_rlimit_count(o, val, RLIMIT_NPROC);
}

/* nice=N: the child's nice value, -20 to 19. */
int
opt_nice(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, -20, 19, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_nice = (int)n;
	o->oc_cf->cf_has_nice = 1;
	return OPT_OK;
}

/* umask=OOO: the child's umask, octal as mode= is, 0 to 777. */
int
opt_umask(const struct optctx *o, char *val)
{
	int	 m;

	if (parse_mode(val, &m) == -1 || m > 0777)
		return OPT_BADVAL;
	o->oc_cf->cf_umask = m;
	return OPT_OK;
}

/* no-new-privs, a flag: PR_SET_NO_NEW_PRIVS before execve. */
int
opt_nnp(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_nnp = 1;
	return OPT_OK;
}

/*
 * chroot=DIR: the child's root, an absolute path shorter than PATH_MAX;
 * that it is a directory with the program in it, and that only root may
 * change it, is checked at load, against the machine (contain.c), not
 * here.
 */
int
opt_chroot(const struct optctx *o, char *val)
{
	size_t	 len = strlen(val);

	if (val[0] != '/')
		return OPT_BADVAL;
	if (len >= PATH_MAX) {
		perr(o->oc_p, o->oc_p->p_line, "chroot= is too long: %zu "
		    "bytes, at most %d", len, PATH_MAX - 1);
		return OPT_FAILED;
	}
	free(o->oc_cf->cf_chroot);
	o->oc_cf->cf_chroot = xstrdup(val);
	return OPT_OK;
}

/*
 * hostname=NAME: a UTS namespace with that name, which is what a host
 * name may hold (RFC 1123: letters, digits, '-' and '.'), 1 to 64 bytes.
 */
int
opt_hostname(const struct optctx *o, char *val)
{
	size_t	 i, len = strlen(val);

	if (len == 0 || len > 64)
		return OPT_BADVAL;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)val[i]) && val[i] != '-' &&
		    val[i] != '.')
			return OPT_BADVAL;
	free(o->oc_cf->cf_hostname);
	o->oc_cf->cf_hostname = xstrdup(val);
	o->oc_cf->cf_hostlen = (int)len;
	return OPT_OK;
}

/*
 * The namespace flags: private-network, -pid, -ipc, -tmp, read-only.
 * private-network=shared: one network namespace for all of the
 * service's connections, made at load (contain.c), not one each.
 */
int
opt_private_network(const struct optctx *o, char *val)
{
	if (val != NULL && strcmp(val, "shared") != 0)
		return OPT_BADVAL;
	o->oc_cf->cf_ns |= NS_NETWORK;
	if (val != NULL)
		o->oc_cf->cf_ns |= NS_NETSHARED;
	else
		o->oc_cf->cf_ns &= ~NS_NETSHARED;
	return OPT_OK;
}

int
opt_private_pid(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_ns |= NS_PID;
	return OPT_OK;
}

int
opt_private_ipc(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_ns |= NS_IPC;
	return OPT_OK;
}

/*
 * private-tmp[=SIZE]: the tmpfs's size, at least 64k, TMP_SIZE without
 * one, and one inode per 4 KiB of it; the mount's data string is made
 * here, for the child to pass as it is (spawnns.c).
 */
int
opt_private_tmp(const struct optctx *o, char *val)
{
	uint64_t	 v = TMP_SIZE;

	if (val != NULL && (parse_rsize(val, &v) == -1 ||
	    v == RLIM_INFINITY || v < 64 * 1024))
		return OPT_BADVAL;
	o->oc_cf->cf_ns |= NS_TMP;
	(void)snprintf(o->oc_cf->cf_tmpdata, sizeof(o->oc_cf->cf_tmpdata),
	    "mode=1777,size=%llu,nr_inodes=%llu", (unsigned long long)v,
	    (unsigned long long)(v / 4096));
	return OPT_OK;
}

int
opt_read_only(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_ns |= NS_RDONLY;
	return OPT_OK;
}

/*
 * A built-in runs superd's own code (a datagram one in superd itself):
 * chroot= and the namespaces are for programs only.
 */
void
contain_builtin(struct parser *p, const struct svconf *cf)
{
	if (cf->cf_chroot != NULL)
		perr(p, p->p_line, "chroot= is for programs, not built-in "
		    "services");
	if (cf->cf_ns != 0 || cf->cf_hostname != NULL)
		perr(p, p->p_line, "namespace options (private-*, "
		    "hostname=, read-only) are for programs, not built-in "
		    "services");
}

/*
 * memory=SIZE: the child's cgroup's memory limit (cgroup.c), with k, m
 * or g, at least 1m: less than a program needs to start.
 */
int
opt_memory(const struct optctx *o, char *val)
{
	uint64_t	 v;

	if (parse_rsize(val, &v) == -1 || v == RLIM_INFINITY ||
	    v < 1024 * 1024)
		return OPT_BADVAL;
	o->oc_cf->cf_memory = v;
	return OPT_OK;
}

/* tasks=N: the child's cgroup's processes and threads, at most. */
int
opt_tasks(const struct optctx *o, char *val)
{
	long long	 n;

	if (parse_num(val, 1, 4194304, &n) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_tasks = (int)n;
	return OPT_OK;
}
