/*
 * cgroup.c: the cgroups of memory= and tasks=, one per child: the
 * hierarchies found, superd's own cgroup checked at load, a child's made
 * before its clone, read and removed at its reap.
 *
 * The memory and pids controllers are looked for in /proc/self/mountinfo:
 * a cgroup v1 hierarchy that has the controller (as on machines where
 * systemd mounts v1), else the cgroup2 hierarchy where superd's own
 * cgroup lists it in cgroup.controllers.  Under superd's own cgroup in
 * each hierarchy it needs (from /proc/self/cgroup), superd makes
 * superd.PID, its children's parent, at the first child that needs it,
 * and a directory per child inside it, named by a counter, never by
 * anything a client sent: superd.PID/N.  The child joins it itself,
 * before exec, by writing 0 to each cgroup.procs path it is given
 * (spawn.c); at its reap superd reads whether the kernel killed anything
 * in it for memory, then removes it.  What a child left running there is
 * killed (cgroup.kill on v2; on v1 only processes proven still in it)
 * and the removal is tried again on a timer, a bounded number of times.
 * At start, what superds that are gone left beside superd.PID is
 * removed where nothing runs in it any more (cgsweep.c).
 *
 * cgroup v2's rule that a cgroup with processes passes no controller to
 * its sub-cgroups means superd.PID gets memory and pids there directly
 * only where superd's own cgroup already passes them on, or can (the
 * root cgroup).  Elsewhere (a systemd service with Delegate=yes) superd
 * moves itself into a leaf of its cgroup and enables them in the cgroup
 * it left (cgdelegate.c), at the first load whose table needs them;
 * from then on, as once superd.PID is made, the hierarchies are fixed.
 *
 * Nothing here waits: every step is a small read or write of cgroupfs.
 * Everything a child needs is prepared here, in the parent.
 */

#include <sys/types.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define CTL_MEMORY	0
#define CTL_PIDS	1
#define NCTL		2

#define BUSY_TRIES	8	/* removals of a busy cgroup tried */
#define BUSY_FIRST	0.05	/* seconds before the first, doubling */
#define KILL_BATCH	64	/* leftover processes killed per try (v1) */

static const char *const ctl_names[NCTL] = { "memory", "pids" };

/* One hierarchy a controller superd uses is on. */
struct hier {
	int		 h_v2;		/* the cgroup2 hierarchy */
	int		 h_ctls;	/* bit n: ctl_names[n] is used here */
	char		 h_own[CG_PATHMAX - 32];	/* superd's own cgroup */
	char		 h_top[CG_PATHMAX];	/* h_own/superd.PID */
	int		 h_made;	/* h_top exists */
	int		 h_probed;	/* at load: 1, or -errno of the mkdir */
	int		 h_deleg;	/* v2: needs superd moved to a leaf */
	int		 h_entered;	/* ... and it has been */
	char		 h_dwhy[512];	/* at load: why the move failed */
};

/* A child's cgroup that was still busy at its reap: tried again. */
struct busy {
	struct timer	 bz_timer;
	LIST_ENTRY(busy) bz_entry;
	struct cgref	 bz_cg;
	int		 bz_tries;
};

static struct hier	 hiers[CG_NHIER];
static int		 nhiers;
static int		 ctl_hier[NCTL] = { -1, -1 };	/* index in hiers[] */
static char		 ctl_why[NCTL][640];	/* why there is none */
static int		 found;			/* hiers[] looked for */
static unsigned long	 lastid;		/* the last child's N */
static unsigned long	 nleft;			/* cgroups given up on */
static LIST_HEAD(, busy) busies = LIST_HEAD_INITIALIZER(busies);

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char	*d = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 4;
		} else
			*d++ = *s++;
	}
	*d = '\0';
}

/* Is name one of the comma-separated words of list? */
static int
has_word(const char *list, const char *name, const char *seps)
{
	size_t	 n = strlen(name);

	while (*list != '\0') {
		if (strncmp(list, name, n) == 0 &&
		    (list[n] == '\0' || strchr(seps, list[n]) != NULL))
			return 1;
		list += strcspn(list, seps);
		list += strspn(list, seps);
	}
	return 0;
}

/*
 * Superd's own cgroup in the hierarchy whose /proc/self/cgroup line has
 * ctl among its controllers (v1), or in the cgroup2 one (ctl NULL), into
 * path; -1 when it has no line there.
 */
static int
own_path(const char *ctl, char *path, size_t len)
{
	FILE	*f;
	char	 line[1024], *c, *p;
	int	 ok = -1;

	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return -1;
	while (ok == -1 && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((c = strchr(line, ':')) == NULL ||
		    (p = strchr(c + 1, ':')) == NULL)
			continue;
		*p++ = '\0';
		*c++ = '\0';	/* line: the hierarchy's number alone */
		if (ctl == NULL ? strcmp(line, "0") == 0 && *c == '\0' :
		    has_word(c, ctl, ","))
			ok = strlcpy(path, p, len) < len ? 0 : -1;
	}
	(void)fclose(f);
	return ok;
}

/* A small file's first line (or whole text) into buf; -1 with errno. */
static int
read_file(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	(void)close(fd);
	if (n == -1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * The hierarchy of mountinfo's mount (mount point mnt, its root in the
 * hierarchy root) takes superd's own cgroup own: that directory, or -1
 * when the mount does not show it (a sub-tree mounted elsewhere).
 */
static int
mount_dir(const char *mnt, const char *root, const char *own, char *dir,
    size_t len)
{
	size_t	 n = strlen(root);

	if (strcmp(root, "/") == 0)
		n = 0;
	else if (strncmp(own, root, n) != 0 || (own[n] != '/' &&
	    own[n] != '\0'))
		return -1;
	own += n;
	if (strcmp(own, "/") == 0)
		own = "";
	if ((size_t)snprintf(dir, len, "%s%s", mnt, own) >= len)
		return -2;
	return 0;
}

/* Take the hierarchy at dir for controller c: a new one or dir's. */
static void
hier_take(int c, const char *dir, int v2)
{
	int	 i;

	for (i = 0; i < nhiers; i++)
		if (strcmp(hiers[i].h_own, dir) == 0)
			break;
	if (i == nhiers) {
		if (nhiers == CG_NHIER)
			return;		/* two controllers: cannot happen */
		memset(&hiers[i], 0, sizeof(hiers[i]));
		(void)strlcpy(hiers[i].h_own, dir, sizeof(hiers[i].h_own));
		hiers[i].h_v2 = v2;
		nhiers++;
	}
	hiers[i].h_ctls |= 1 << c;
	ctl_hier[c] = i;
}

/* Does dir's cgroup.subtree_control pass controller c on? */
static int
v2_passes(int c, const char *dir)
{
	char	 path[CG_PATHMAX + 64], buf[512];

	(void)snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	return read_file(path, buf, sizeof(buf)) == 0 &&
	    has_word(buf, ctl_names[c], " \n");
}

/*
 * cgroup v2: can superd.PID under dir (superd's own cgroup, own) have
 * controller c?  dir must have it (1: it passes it on or is the root; 2:
 * once superd has moved into a leaf of it), or 0 with why in ctl_why.
 */
static int
v2_usable(int c, const char *dir, const char *own)
{
	char	 path[CG_PATHMAX + 64], buf[512];

	(void)snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_file(path, buf, sizeof(buf)) == -1 ||
	    !has_word(buf, ctl_names[c], " \n")) {
		(void)snprintf(ctl_why[c], sizeof(ctl_why[c]), "%s= needs the "
		    "%s cgroup controller: superd's cgroup %s does not have "
		    "it in its cgroup.controllers (not delegated to superd: "
		    "Delegate=yes under systemd)", c == CTL_MEMORY ? "memory" :
		    "tasks", ctl_names[c], dir);
		return 0;
	}
	if (strcmp(own, "/") == 0 || v2_passes(c, dir))
		return 1;
	return 2;
}

/*
 * Find each controller's hierarchy: a v1 mount with it, else cgroup2.
 * Called once per table loaded, before its cgroup_check calls; looked
 * for again at each load until superd has made a cgroup: from then on
 * its children's paths are fixed.
 */
void
cgroup_find(void)
{
	FILE	*f;
	char	 line[4096], own[CG_PATHMAX], dir[CG_PATHMAX], v2own[CG_PATHMAX];
	char	 v2dir[CG_PATHMAX], *w[12], *sep, *fs, *opts, *p;
	int	 c, i, n, v2 = 0, r;

	found = 1;
	for (i = 0; i < nhiers; i++) {
		hiers[i].h_probed = 0;
		hiers[i].h_dwhy[0] = '\0';
	}
	for (i = 0; i < nhiers; i++)
		if (hiers[i].h_made || hiers[i].h_entered)
			return;
	nhiers = 0;
	for (c = 0; c < NCTL; c++) {
		ctl_hier[c] = -1;
		(void)snprintf(ctl_why[c], sizeof(ctl_why[c]), "%s= needs the "
		    "%s cgroup controller, which is mounted neither as cgroup "
		    "v1 nor in cgroup v2", c == CTL_MEMORY ? "memory" : "tasks",
		    ctl_names[c]);
	}
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [...] - FS SRC SUPER */
		if ((sep = strstr(line, " - ")) == NULL)
			continue;
		*sep = '\0';
		fs = sep + 3;
		for (n = 0, p = line; n < 5 && (w[n] = strsep(&p, " ")) != NULL;
		    n++)
			;
		if (n < 5 || (p = strchr(fs, ' ')) == NULL)
			continue;
		*p++ = '\0';
		if ((opts = strchr(p, ' ')) == NULL)
			continue;
		opts++;
		unescape(w[3]);
		unescape(w[4]);
		if (strcmp(fs, "cgroup2") == 0 && !v2) {
			if (own_path(NULL, v2own, sizeof(v2own)) == 0 &&
			    mount_dir(w[4], w[3], v2own, v2dir,
			    sizeof(v2dir) - 32) == 0)
				v2 = 1;
			continue;
		}
		if (strcmp(fs, "cgroup") != 0)
			continue;
		for (c = 0; c < NCTL; c++) {
			if (ctl_hier[c] != -1 || !has_word(opts, ctl_names[c],
			    ","))
				continue;
			if (own_path(ctl_names[c], own, sizeof(own)) == -1)
				continue;
			r = mount_dir(w[4], w[3], own, dir, sizeof(dir) - 32);
			if (r == 0)
				hier_take(c, dir, 0);
			else if (r == -2)
				(void)snprintf(ctl_why[c], sizeof(ctl_why[c]),
				    "%s= needs a cgroup path shorter than %d "
				    "bytes: %s%s", c == CTL_MEMORY ? "memory" :
				    "tasks", CG_PATHMAX - 32, w[4], own);
		}
	}
	(void)fclose(f);
	/* superd -t as a delegated unit's ExecReload=: the unit's cgroup */
	if (v2 && (n = (int)cgdeleg_control(v2dir)) > 0)
		v2dir[n] = '\0';
	/* superd in the leaf already: the cgroup above it passes them on */
	if (v2 && (n = (int)cgdeleg_above(v2dir)) > 0) {
		v2dir[n] = '\0';
		for (c = 0; c < NCTL; c++)
			if (!v2_passes(c, v2dir))
				v2dir[n] = '/';
	}
	for (c = 0; c < NCTL && v2; c++) {
		if (ctl_hier[c] != -1 || (r = v2_usable(c, v2dir, v2own)) == 0)
			continue;
		hier_take(c, v2dir, 1);
		if (r == 2)
			hiers[ctl_hier[c]].h_deleg = 1;
	}
}

/* superd.PID's path in h, with superd's pid now (after daemon(3)). */
static void
top_name(struct hier *h)
{
	char	 top[CG_PATHMAX];

	(void)snprintf(top, sizeof(top), "%s/superd.%d", h->h_own,
	    (int)getpid());
	memcpy(h->h_top, top, sizeof(top));
}

/*
 * superd.PID was there already, left by a superd of the same pid that
 * died: its children's numbers are not given again.
 */
static void
stale_skip(const char *top)
{
	struct dirent	*de;
	DIR		*d;
	unsigned long	 n;
	char		*e;

	if ((d = opendir(top)) == NULL)
		return;
	/* cppcheck-suppress readdirCalled ; one thread, readdir_r deprecated */
	while ((de = readdir(d)) != NULL) {
		n = strtoul(de->d_name, &e, 10);
		if (*e == '\0' && e != de->d_name && n > lastid)
			lastid = n;
	}
	(void)closedir(d);
}

/* The controllers h is used for, as cgroup.subtree_control takes them. */
static void
ctls_text(const struct hier *h, char *ctls, size_t len)
{
	int	 c;

	ctls[0] = '\0';
	for (c = 0; c < NCTL; c++)
		if (h->h_ctls & (1 << c)) {
			(void)strlcat(ctls, ctls[0] != '\0' ? " +" : "+", len);
			(void)strlcat(ctls, ctl_names[c], len);
		}
}

/*
 * Make superd.PID in hierarchy h, once: on v2 with the controllers its
 * children need passed on (and superd's own cgroup passing them on, when
 * it is the root and does not yet).  -1 with errno.
 */
static int
top_make(struct hier *h)
{
	char	 ctls[64];

	if (h->h_made)
		return 0;
	top_name(h);
	ctls_text(h, ctls, sizeof(ctls));
	if (h->h_v2)
		(void)cgdeleg_write(h->h_own, "cgroup.subtree_control", ctls);
	if (mkdir(h->h_top, 0755) == -1) {
		if (errno != EEXIST)
			return -1;
		stale_skip(h->h_top);
	}
	if (h->h_v2 && cgdeleg_write(h->h_top, "cgroup.subtree_control",
	    ctls) == -1)
		return -1;
	h->h_made = 1;
	return 0;
}

/* The hierarchies cf's limits need, as bits of hiers[]. */
static int
needs(const struct svconf *cf)
{
	int	 m = 0;

	if (cf->cf_memory != 0 && ctl_hier[CTL_MEMORY] != -1)
		m |= 1 << ctl_hier[CTL_MEMORY];
	if (cf->cf_tasks != 0 && ctl_hier[CTL_PIDS] != -1)
		m |= 1 << ctl_hier[CTL_PIDS];
	return m;
}

/*
 * A v2 hierarchy h that needs superd in a leaf of its own cgroup, at
 * the first load that needs h: superd moved there (cgdelegate.c), once;
 * with -t (dry) only checked.  Tried once per load.  0, or -1 with why.
 */
static int
deleg_enter(struct hier *h, int dry, char *why, size_t len)
{
	char	 ctls[64];
	int	 r;

	if (!h->h_deleg || h->h_entered)
		return 0;
	if (h->h_dwhy[0] == '\0') {
		ctls_text(h, ctls, sizeof(ctls));
		r = dry ? cgdeleg_check(h->h_own, h->h_dwhy,
		    sizeof(h->h_dwhy)) : cgdeleg_enter(h->h_own, ctls,
		    h->h_dwhy, sizeof(h->h_dwhy));
		if (r == 0) {
			h->h_entered = !dry;
			(void)strlcpy(h->h_dwhy, "-", sizeof(h->h_dwhy));
		}
	}
	if (strcmp(h->h_dwhy, "-") == 0)
		return 0;
	(void)snprintf(why, len, "%s= needs %s", (h->h_ctls &
	    (1 << CTL_MEMORY)) != 0 ? "memory" : "tasks", h->h_dwhy);
	return -1;
}

/*
 * At load, after cgroup_find: can cf's memory= and tasks= work here?
 * 0, or -1 with what is wrong in why.  A hierarchy whose superd.PID is
 * not made yet is tried once per load by making it and removing it
 * again (superd -t, dry, leaves nothing); one that needs superd in a
 * leaf of its cgroup has it moved there, unless dry.
 */
int
cgroup_check(const struct svconf *cf, int dry, char *why, size_t len)
{
	struct hier	*h;
	int		 c, i, m;

	if (cf->cf_memory == 0 && cf->cf_tasks == 0)
		return 0;
	for (c = 0; c < NCTL; c++) {
		if ((c == CTL_MEMORY ? cf->cf_memory == 0 : cf->cf_tasks == 0))
			continue;
		if (ctl_hier[c] == -1) {
			(void)strlcpy(why, ctl_why[c], len);
			return -1;
		}
	}
	m = needs(cf);
	for (i = 0; i < nhiers; i++) {
		h = &hiers[i];
		if ((m & (1 << i)) == 0 || h->h_made)
			continue;
		if (deleg_enter(h, dry, why, len) == -1)
			return -1;
		if (h->h_probed == 0) {
			top_name(h);
			if (mkdir(h->h_top, 0755) == -1 && errno != EEXIST)
				h->h_probed = -errno;
			else {
				(void)rmdir(h->h_top);
				h->h_probed = 1;
			}
		}
		if (h->h_probed < 0) {
			(void)snprintf(why, len, "%s= needs a cgroup of "
			    "superd's own: mkdir %s: %s",
			    cf->cf_memory != 0 && (h->h_ctls &
			    (1 << CTL_MEMORY)) != 0 ? "memory" : "tasks", h->h_top,
			    strerror(-h->h_probed));
			return -1;
		}
	}
	return 0;
}

/* A memory= size as written back: 16m, 1g, 512k, or bytes. */
void
cgroup_size(uint64_t v, char *buf, size_t len)
{
	if (v % (1024 * 1024 * 1024) == 0)
		(void)snprintf(buf, len, "%llug",
		    (unsigned long long)(v >> 30));
	else if (v % (1024 * 1024) == 0)
		(void)snprintf(buf, len, "%llum",
		    (unsigned long long)(v >> 20));
	else if (v % 1024 == 0)
		(void)snprintf(buf, len, "%lluk",
		    (unsigned long long)(v >> 10));
	else
		(void)snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* A child's directory in hierarchy h, and a file in it (or ""). */
static void
child_path(int h, unsigned long id, const char *file, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s/%lu%s%s", hiers[h].h_top, id,
	    *file != '\0' ? "/" : "", file);
}

/* Remove a child's directories, those hmask names: the ones left busy. */
static int
dirs_remove(struct cgref *cg)
{
	char	 dir[CG_PATHMAX + 32];
	int	 h;

	for (h = 0; h < nhiers; h++) {
		if ((cg->cg_hmask & (1 << h)) == 0)
			continue;
		child_path(h, cg->cg_id, "", dir, sizeof(dir));
		if (rmdir(dir) == 0 || errno == ENOENT)
			cg->cg_hmask &= ~(1 << h);
	}
	return cg->cg_hmask == 0 ? 0 : -1;
}

/*
 * Before a child's clone: its cgroup, a directory in each hierarchy cf
 * needs, with cf's limits, and the cgroup.procs paths it joins by (cj).
 * cg says what was made, for cgroup_remove.  0, or -1 with errno, made
 * nothing, and logged why.
 */
int
cgroup_make(const struct svconf *cf, struct cgref *cg, struct cgjoin *cj)
{
	struct hier	*h;
	char		 dir[CG_PATHMAX + 32], num[32];
	int		 i, m, saved;

	memset(cg, 0, sizeof(*cg));
	cj->cj_n = 0;
	if ((cf->cf_memory == 0 && cf->cf_tasks == 0))
		return 0;
	if (!found)
		cgroup_find();
	if (((cf->cf_memory != 0 && ctl_hier[CTL_MEMORY] == -1) ||
	    (cf->cf_tasks != 0 && ctl_hier[CTL_PIDS] == -1))) {
		/* cgroup_check said it works: never run without the limit */
		errno = EOPNOTSUPP;
		return -1;
	}
	m = needs(cf);
	cg->cg_id = ++lastid;
	cg->cg_memory = cf->cf_memory;
	for (i = 0; i < nhiers; i++) {
		if ((m & (1 << i)) == 0)
			continue;
		h = &hiers[i];
		/* superd.PID first: its name is superd's pid now */
		if (top_make(h) == -1) {
			(void)strlcpy(dir, h->h_top, sizeof(dir));
			goto fail;
		}
		child_path(i, cg->cg_id, "", dir, sizeof(dir));
		if (mkdir(dir, 0755) == -1)
			goto fail;
		cg->cg_hmask |= 1 << i;
		if (cf->cf_memory != 0 && (h->h_ctls & (1 << CTL_MEMORY))) {
			(void)snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)cf->cf_memory);
			if (cgdeleg_write(dir, h->h_v2 ? "memory.max" :
			    "memory.limit_in_bytes", num) == -1)
				goto fail;
			/* swap must not dodge the limit, where it is counted */
			if (h->h_v2 && cgdeleg_write(dir, "memory.swap.max",
			    "0") == -1 && errno != ENOENT)
				goto fail;
			if (!h->h_v2 && cgdeleg_write(dir,
			    "memory.memsw.limit_in_bytes", num) == -1 &&
			    errno != ENOENT)
				goto fail;
			/* v2: the kernel's OOM kill takes the whole cgroup */
			if (h->h_v2)
				(void)cgdeleg_write(dir, "memory.oom.group",
				    "1");
		}
		if (cf->cf_tasks != 0 && (h->h_ctls & (1 << CTL_PIDS))) {
			(void)snprintf(num, sizeof(num), "%d", cf->cf_tasks);
			if (cgdeleg_write(dir, "pids.max", num) == -1)
				goto fail;
		}
		child_path(i, cg->cg_id, "cgroup.procs", cj->cj_procs[cj->cj_n],
		    sizeof(cj->cj_procs[0]));
		cj->cj_n++;
	}
	return 0;
fail:
	saved = errno;
	log_warn("event=cgroup-failed line=%d path=%s", cf->cf_line,
	    log_str(dir));
	(void)dirs_remove(cg);
	memset(cg, 0, sizeof(*cg));
	cj->cj_n = 0;
	errno = saved;
	return -1;
}

/*
 * Did the kernel kill anything in the child's cgroup for memory?  Read
 * at its reap, before cgroup_remove: memory.events (v2) or
 * memory.oom_control (v1, Linux 4.13 and later) counts oom_kill.
 */
int
cgroup_oom(const struct cgref *cg)
{
	char	 path[CG_PATHMAX + 64], buf[512], *p;
	int	 h = ctl_hier[CTL_MEMORY];

	if (cg->cg_id == 0 || cg->cg_memory == 0 || h == -1 ||
	    (cg->cg_hmask & (1 << h)) == 0)
		return 0;
	child_path(h, cg->cg_id, hiers[h].h_v2 ? "memory.events" :
	    "memory.oom_control", path, sizeof(path));
	if (read_file(path, buf, sizeof(buf)) == -1 ||
	    (p = strstr(buf, "oom_kill ")) == NULL)
		return 0;
	return strtol(p + 9, NULL, 10) > 0;
}

/*
 * v1, and v2 before cgroup.kill: kill what is left in a child's cgroup dir,
 * each process only once it is proven ours: its pidfd is opened, then
 * cgroup.procs read again still lists its pid.  A pid freed and taken by
 * another process in between is in that list only if that process is in this
 * cgroup too, and then the pidfd names the one that is gone, and kills
 * nothing.
 */
static void
v1_kill(const char *dir)
{
	char	 path[CG_PATHMAX + 64], buf[4096], *p, *e;
	pid_t	 pids[KILL_BATCH];
	int	 fds[KILL_BATCH], i, n = 0;
	long	 v;

	(void)snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_file(path, buf, sizeof(buf)) == -1)
		return;
	/* a number counts only with its newline: a cut-off one is not it */
	for (p = buf; n < KILL_BATCH && *p != '\0'; p = e + 1) {
		v = strtol(p, &e, 10);
		if (e == p || *e != '\n')
			break;
		if (v > 0 && (fds[n] = pidfd_open((pid_t)v, 0)) != -1)
			pids[n++] = (pid_t)v;
	}
	if (n > 0 && read_file(path, buf, sizeof(buf)) == 0)
		for (i = 0; i < n; i++) {
			for (p = buf; *p != '\0'; p = e + 1) {
				v = strtol(p, &e, 10);
				if (e == p || *e != '\n')
					break;
				if (v == pids[i]) {
					(void)pidfd_send_signal(fds[i],
					    SIGKILL, NULL, 0);
					break;
				}
			}
		}
	for (i = 0; i < n; i++)
		(void)close(fds[i]);
}

/* Kill what a child left in its cgroup's busy directories. */
static void
leftovers_kill(const struct cgref *cg)
{
	char	 dir[CG_PATHMAX + 32];
	int	 h;

	for (h = 0; h < nhiers; h++) {
		if ((cg->cg_hmask & (1 << h)) == 0)
			continue;
		child_path(h, cg->cg_id, "", dir, sizeof(dir));
		/* cgroup.kill since Linux 5.14; before it, as on v1 */
		if (!hiers[h].h_v2 ||
		    cgdeleg_write(dir, "cgroup.kill", "1") == -1)
			v1_kill(dir);
	}
}

/* A busy cgroup's removal is due again. */
static void
busy_due(struct timer *t, double now)
{
	struct busy	*bz = t->tm_arg;
	char		 dir[CG_PATHMAX + 32];
	int		 h;

	if (dirs_remove(&bz->bz_cg) == 0)
		goto done;
	if (++bz->bz_tries < BUSY_TRIES) {
		leftovers_kill(&bz->bz_cg);
		timer_set(t, now + BUSY_FIRST * (1 << bz->bz_tries));
		return;
	}
	for (h = 0; h < nhiers; h++)
		if (bz->bz_cg.cg_hmask & (1 << h))
			break;
	child_path(h, bz->bz_cg.cg_id, "", dir, sizeof(dir));
	nleft++;
	log_warnx("event=cgroup-left path=%s tries=%d left=%lu", log_str(dir),
	    bz->bz_tries, nleft);
done:
	LIST_REMOVE(bz, bz_entry);
	free(bz);
}

/*
 * A child was reaped (or never cloned): its cgroup goes.  One still
 * busy (a process it left behind) has what is left killed, and is tried
 * again BUSY_TRIES times, from BUSY_FIRST seconds on, doubling.
 */
void
cgroup_remove(struct cgref *cg)
{
	struct busy	*bz;

	if (cg->cg_id == 0 || dirs_remove(cg) == 0)
		goto out;
	leftovers_kill(cg);
	if ((bz = calloc(1, sizeof(*bz))) == NULL) {
		nleft++;
		log_warn("event=cgroup-left id=%lu left=%lu", cg->cg_id, nleft);
		goto out;
	}
	bz->bz_cg = *cg;
	LIST_INSERT_HEAD(&busies, bz, bz_entry);
	timer_init(&bz->bz_timer, busy_due, bz);
	timer_set(&bz->bz_timer, timer_now() + BUSY_FIRST);
out:
	memset(cg, 0, sizeof(*cg));
}

/*
 * At start (not with -t): in each hierarchy, what superds that are gone
 * left beside the superd.PID this one will make (cgsweep.c).
 */
void
cgroup_sweep(void)
{
	int	 i;

	if (!found)
		cgroup_find();
	for (i = 0; i < nhiers; i++)
		cgsweep_run(hiers[i].h_own);
}

/*
 * At superd's exit: the busy cgroups tried a last time, and superd.PID
 * removed where it is empty (children still running keep theirs).
 */
void
cgroup_end(void)
{
	struct busy	*bz, *next;
	int		 i;

	for (bz = LIST_FIRST(&busies); bz != NULL; bz = next) {
		next = LIST_NEXT(bz, bz_entry);
		(void)dirs_remove(&bz->bz_cg);
		timer_clear(&bz->bz_timer);
		free(bz);
	}
	LIST_INIT(&busies);
	for (i = 0; i < nhiers; i++)
		if (hiers[i].h_made && rmdir(hiers[i].h_top) == 0)
			hiers[i].h_made = 0;
}
