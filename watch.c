/*
 * watch.c: -w, the table watched, so that an edit is served without a
 * signal.
 *
 * inotify(7) watches the directory of each file of the table (the named
 * table, each file it includes, the directory a glob searched), never
 * the file itself: an editor that writes a new file and renames it over
 * the old one, or a package that drops a file into /etc/superd.d, is
 * seen as an event of the directory.  Only the names that make the table
 * count, so that superd's own -P and pid files, or anything else written
 * beside the table, start no reload; in a glob's directory every name
 * counts but those of editors' temporary files (a leading dot, a
 * trailing tilde).  A counted event starts a quiet period: the reload
 * comes WATCH_QUIET_SECS after the last one, and WATCH_MAX_SECS after
 * the first at the latest, so that a file written in pieces is read
 * once it is whole and a writer that never stops cannot put the reload
 * off for ever.  The reload is superd.c's, as for SIGHUP (watch_due()
 * tells it): a bad edit is a reload-failed line and the running table
 * stays.  Watches follow the files of the last table read, good or bad,
 * so that mending a bad edit is seen too.  inotify's own limits (its
 * instances, its watches, its queue) are logged, never fatal: an event
 * queue that overflowed is taken as a change.
 */

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

#define WATCH_QUIET_SECS 0.2	/* after the last event */
#define WATCH_MAX_SECS	 1.0	/* after the first, at the latest */
#define WATCH_READS	 8	/* reads of 4 KiB a wake-up, at most */
#define WATCH_MASK	(IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | \
			 IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* A watched directory and the names in it that count. */
struct wdir {
	int	 wd_wd;
	char	*wd_dir;
	char	**wd_names;	/* NULL-terminated */
	int	 wd_all;	/* every name counts (a glob's directory) */
	int	 wd_keep;	/* still wanted, while watch_set runs */
};

static struct evsrc	 watch_ev = { EV_WATCH };
static int		 watch_fd = -1;
static struct wdir	*wdirs;
static size_t		 nwdirs;
static struct timer	 watch_timer;
static double		 watch_first;	/* first event of the quiet period */
static int		 watch_ready;	/* the quiet period is over */

static void	watch_quiet(struct timer *, double);

/* -w: the inotify descriptor, high; watch_start puts it in the poll set. */
void
watch_init(void)
{
	if ((watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("event=watch-failed what=inotify_init1");
		return;
	}
	watch_fd = fd_high(watch_fd);
	timer_init(&watch_timer, watch_quiet, NULL);
}

/* Into the poll set, once there is one: what was queued meanwhile counts. */
void
watch_start(void)
{
	if (watch_fd != -1 && poll_add(watch_fd, EPOLLIN, &watch_ev) == -1) {
		log_warn("event=watch-failed what=epoll_ctl");
		(void)close(watch_fd);
		watch_fd = -1;
	}
}

static struct wdir *
wdir_find(const char *dir)
{
	size_t	 i;

	for (i = 0; i < nwdirs; i++)
		if (strcmp(wdirs[i].wd_dir, dir) == 0)
			return &wdirs[i];
	return NULL;
}

static void
wdir_name(struct wdir *w, const char *name)
{
	size_t	 n = 0;

	while (w->wd_names != NULL && w->wd_names[n] != NULL)
		if (strcmp(w->wd_names[n++], name) == 0)
			return;
	if ((w->wd_names = reallocarray(w->wd_names, n + 2,
	    sizeof(char *))) == NULL || (w->wd_names[n] = strdup(name)) ==
	    NULL)
		fatal("watch");
	w->wd_names[n + 1] = NULL;
}

static void
wdir_names_free(struct wdir *w)
{
	size_t	 i;

	for (i = 0; w->wd_names != NULL && w->wd_names[i] != NULL; i++)
		free(w->wd_names[i]);
	free(w->wd_names);
	w->wd_names = NULL;
}

static void
wdir_free(struct wdir *w)
{
	wdir_names_free(w);
	free(w->wd_dir);
}

/*
 * Does another wanted entry hold entry i's wd?  Two paths to one
 * directory (a link to it) share the kernel's watch: removing it for one
 * would end it for the other.
 */
static int
wd_shared(size_t i)
{
	size_t	 j;

	for (j = 0; j < nwdirs; j++)
		if (j != i && wdirs[j].wd_keep &&
		    wdirs[j].wd_wd == wdirs[i].wd_wd)
			return 1;
	return 0;
}

/*
 * Watch dir for name (NULL: every name).  A directory that cannot be
 * watched is logged; the table is still served, only not watched there.
 */
static void
watch_add(const char *dir, const char *name)
{
	struct wdir	*w;
	int		 wd;

	/*
	 * Asked again each time: the same directory gives the same wd, a
	 * directory removed and made anew (or a link to one re-pointed)
	 * a new one, and the old wd is gone (IN_IGNORED).
	 */
	if ((wd = inotify_add_watch(watch_fd, dir, WATCH_MASK)) == -1) {
		log_warn("event=watch-failed path=%s", log_str(dir));
		return;
	}
	if ((w = wdir_find(dir)) == NULL) {
		if ((wdirs = reallocarray(wdirs, nwdirs + 1,
		    sizeof(*wdirs))) == NULL)
			fatal("watch");
		w = &wdirs[nwdirs++];
		memset(w, 0, sizeof(*w));
		if ((w->wd_dir = strdup(dir)) == NULL)
			fatal("watch");
	}
	w->wd_wd = wd;
	w->wd_keep = 1;
	if (name == NULL)
		w->wd_all = 1;
	else
		wdir_name(w, name);
}

/* A file: its directory for its name, and its target's if it is a link. */
static void
watch_file(const char *path)
{
	char		 dir[PATH_MAX], real[PATH_MAX], *slash;
	struct stat	 st;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL)
		return;
	*slash = '\0';
	watch_add(slash == dir ? "/" : dir, slash + 1);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    realpath(path, real) != NULL && strcmp(real, path) != 0)
		watch_file(real);
}

/*
 * The files of the table just read, good or bad (absolute paths; a
 * directory stands for a glob's matches in it): watch their directories
 * from now on, and no other.  A directory still wanted keeps its watch,
 * so that no event already queued for it is lost.
 */
void
watch_set(const char *const *paths, size_t n)
{
	struct stat	 st;
	size_t		 i, j;

	if (watch_fd == -1)
		return;
	for (i = 0; i < nwdirs; i++) {
		wdir_names_free(&wdirs[i]);
		wdirs[i].wd_all = 0;
		wdirs[i].wd_keep = 0;
	}
	for (i = 0; i < n; i++) {
		if (paths[i][0] != '/')
			continue;
		/*
		 * A glob's directory: every name in it, and its own name
		 * in its parent, so that the directory made anew, or a link
		 * to it re-pointed, is seen too.
		 */
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			watch_add(paths[i], NULL);
		watch_file(paths[i]);
	}
	for (i = j = 0; i < nwdirs; i++) {
		if (!wdirs[i].wd_keep) {
			if (wdirs[i].wd_wd != -1 && !wd_shared(i))
				(void)inotify_rm_watch(watch_fd,
				    wdirs[i].wd_wd);
			wdir_free(&wdirs[i]);
			continue;
		}
		wdirs[j++] = wdirs[i];
	}
	nwdirs = j;
}

/* Does a name in w count?  In a glob's directory, not an editor's file. */
static int
counts(const struct wdir *w, const char *name)
{
	size_t	 i, len = strlen(name);

	if (w->wd_all)
		return len > 0 && name[0] != '.' && name[len - 1] != '~';
	for (i = 0; w->wd_names != NULL && w->wd_names[i] != NULL; i++)
		if (strcmp(w->wd_names[i], name) == 0)
			return 1;
	return 0;
}

/* The quiet period is over: superd.c reloads (watch_due). */
static void
watch_quiet(struct timer *t, double now)
{
	(void)t;
	(void)now;
	watch_ready = 1;
}

/* A counted change: the reload is due once the table has been quiet. */
static void
changed(double now)
{
	double	 at = now + WATCH_QUIET_SECS;

	if (!timer_pending(&watch_timer))
		watch_first = now;
	if (at > watch_first + WATCH_MAX_SECS)
		at = watch_first + WATCH_MAX_SECS;
	timer_set(&watch_timer, at);
}

/* The inotify descriptor is readable: every event, read. */
void
watch_event(double now)
{
	char				 buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ev;
	ssize_t				 len = 0;
	size_t				 i;
	char				*p;
	int				 hit = 0, reads;

	/* a bounded batch: level-triggered, the rest comes next wake-up */
	for (reads = 0; reads < WATCH_READS &&
	    (len = read(watch_fd, buf, sizeof(buf))) > 0; reads++) {
		for (p = buf; p < buf + len;
		    p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warnx("event=watch-overflow");
				hit = 1;
				continue;
			}
			for (i = 0; i < nwdirs; i++)
				if (wdirs[i].wd_wd == ev->wd)
					break;
			if (i == nwdirs)
				continue;
			/*
			 * the directory itself went (its watch with it:
			 * IN_IGNORED): the reload says how, and watches
			 * anew what is there then
			 */
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
			    IN_IGNORED)) {
				if (ev->mask & IN_IGNORED)
					wdirs[i].wd_wd = -1;
				hit = 1;
			}
			else if (ev->len > 0 && counts(&wdirs[i], ev->name))
				hit = 1;
		}
	}
	if (len == -1 && errno != EAGAIN && errno != EINTR)
		log_warn("event=watch-failed what=read");
	if (hit)
		changed(now);
}

/* Is a reload due from a change?  Once per quiet period. */
int
watch_due(void)
{
	if (!watch_ready)
		return 0;
	watch_ready = 0;
	return 1;
}
