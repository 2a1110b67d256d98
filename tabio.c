/*
 * tabio.c: supertab's locked read and atomic write of the table file.
 *
 * The path is resolved once (table_resolve): a table that is a symbolic
 * link is edited through its target and the link stays a link; from then
 * on the last component is opened with O_NOFOLLOW, and a link to nothing
 * is an error, never a new file.  Only a regular file of at most
 * CONF_MAXSIZE bytes is a table.  A change holds an exclusive flock(2)
 * on the file (table_lock, waiting up to 10 s), writes a temporary file
 * beside it with the table's mode and owner, and renames it over the
 * table (table_write): a reader sees the old table or the new one, never
 * half of one, and nothing is left beside it.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "tab.h"

#define LOCK_TRIES	100	/* of 100 ms: 10 s */

/*
 * The file a change works on: the table's path with every symbolic link
 * resolved, so that the link stays a link and its target is edited.  A
 * table that does not exist yet (add creates it) is named by its
 * resolved folder; a link that leads nowhere is an error.
 */
void
table_resolve(struct tabpath *tp)
{
	struct stat	 st;
	char		*d, *b, *dir;

	if (lstat(tp->tp_path, &st) == 0) {
		if ((tp->tp_real = realpath(tp->tp_path, NULL)) == NULL) {
			if (S_ISLNK(st.st_mode) && errno == ENOENT)
				errx(1, "%s: symbolic link to nothing; "
				    "create its target first", tp->tp_path);
			err(1, "%s", tp->tp_path);
		}
		return;
	}
	if (errno != ENOENT)
		err(1, "%s", tp->tp_path);
	if ((d = strdup(tp->tp_path)) == NULL || (b = strdup(tp->tp_path)) ==
	    NULL)
		err(1, "strdup");
	if ((dir = realpath(dirname(d), NULL)) == NULL)
		err(1, "%s", tp->tp_path);
	if (asprintf(&tp->tp_real, "%s/%s", dir, basename(b)) == -1)
		err(1, "asprintf");
	free(dir);
	free(d);
	free(b);
}

/*
 * Read a whole table (or edit's copy, named path) from fd.  A read error
 * is an error, never the end of the table, and so is more than
 * CONF_MAXSIZE bytes: supertab never takes a table it could not read
 * whole for an empty one.
 */
char *
read_all(int fd, const char *path, size_t *lenp)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;

	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				err(1, "realloc");
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "%s: read", path);
		}
		if (n == 0)
			break;
		len += n;
		if (len > CONF_MAXSIZE)
			errx(1, "%s: larger than %d MiB, not read", path,
			    CONF_MAXSIZE / (1024 * 1024));
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/*
 * Take the exclusive lock, waiting up to 10 s.  The table may be renamed
 * over while we wait: the lock counts only on the file the path names.
 * O_NONBLOCK: open(2) of a FIFO would wait for a writer; only a regular
 * file is a table.
 */
int
table_lock(const struct tabpath *tp, int create, struct stat *st)
{
	struct stat	 cur;
	int		 fd, i;

	for (i = 0; i < LOCK_TRIES; i++) {
		fd = open(tp->tp_real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK | (create ? O_CREAT : 0), 0644);
		if (fd == -1)
			err(1, "%s", tp->tp_path);
		if (fstat(fd, st) == -1)
			err(1, "%s", tp->tp_path);
		if (!S_ISREG(st->st_mode))
			errx(1, "%s: not a regular file", tp->tp_path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (fstat(fd, st) == 0 && lstat(tp->tp_real, &cur) ==
			    0 && st->st_ino == cur.st_ino &&
			    st->st_dev == cur.st_dev)
				return fd;
			close(fd);
			continue;
		}
		if (errno != EWOULDBLOCK)
			err(1, "flock %s", tp->tp_path);
		close(fd);
		usleep(100000);
	}
	errx(1, "%s is locked by another edit; gave up after 10 s",
	    tp->tp_path);
}

/*
 * Replace the table by text: a temporary file beside it, with its mode
 * and owner, renamed over it.
 */
void
table_write(const struct tabpath *tp, const char *text, size_t len,
    const struct stat *st)
{
	char	*dir, *base, *tmp, *d, *b;
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if ((d = strdup(tp->tp_real)) == NULL || (b = strdup(tp->tp_real)) ==
	    NULL)
		err(1, "strdup");
	dir = dirname(d);
	base = basename(b);
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) == -1)
		err(1, "asprintf");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		err(1, "%s", tmp);
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += n;
	}
	if (fchmod(fd, st->st_mode & 07777) == -1)
		goto fail;
	if ((st->st_uid != geteuid() || st->st_gid != getegid()) &&
	    fchown(fd, st->st_uid, st->st_gid) == -1)
		goto fail;
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, tp->tp_real) == -1) {
		fd = -1;
		goto fail;
	}
	free(tmp);
	free(d);
	free(b);
	return;
fail:
	warn("writing %s", tp->tp_path);
	if (fd != -1)
		close(fd);
	unlink(tmp);
	exit(1);
}

/*
 * Check the changed table against the table as read (tab_check), then
 * install it; a change that adds an error is refused: exit 1, the table
 * untouched.
 */
void
table_commit(const struct tabpath *tp, struct table *t, const struct stat *st,
    const char *what)
{
	char	*text;
	size_t	 len;

	text = table_render(t, &len);
	if (tab_check(tp, text, len, t->t_raw, t->t_rawlen) > 0) {
		fprintf(stderr, "supertab: %s refused; %s is unchanged\n",
		    what, tp->tp_path);
		exit(1);
	}
	table_write(tp, text, len, st);
	free(text);
}
