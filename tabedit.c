/*
 * tabedit.c: supertab edit, the editor's session on a copy of the table.
 *
 * The editor works on a copy, mode 0600 in $TMPDIR, with no lock held;
 * each try is checked (tab_check) against the table as it was.  A valid
 * copy is installed, under the lock, only if the table is still what was
 * copied; otherwise, or when the editor fails or a try is abandoned, the
 * copy is kept and its path printed, so no one's change is lost.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "tab.h"

/*
 * $SUPERTAB_EDITOR on path, through sh so that it may hold arguments.
 * Returns 0 when the editor exited 0, else -1.
 */
static int
run_editor(const char *path)
{
	pid_t		 pid;
	int		 st;

	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $SUPERTAB_EDITOR \"$1\"",
		    "sh", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			err(1, "waitpid");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Edit a refused copy again?  Asked on the terminal; none is a no. */
static int
ask_again(void)
{
	char	 buf[16];
	FILE	*tty;

	if (!isatty(STDIN_FILENO) || (tty = fopen("/dev/tty", "r+e")) == NULL)
		return 0;
	fprintf(tty, "Edit again? [y/N] ");
	fflush(tty);
	if (fgets(buf, sizeof(buf), tty) == NULL)
		buf[0] = '\0';
	fclose(tty);
	return buf[0] == 'y' || buf[0] == 'Y';
}

/*
 * The copy the editor works on, holding text: mode 0600 (mkostemp), in
 * $TMPDIR when that is a path.  Returns its path.
 */
static char *
edit_copy(const char *text, size_t len)
{
	const char	*tmpdir;
	char		*tmp;
	size_t		 off;
	ssize_t		 n;
	int		 cfd;

	if ((tmpdir = getenv("TMPDIR")) == NULL || tmpdir[0] != '/')
		tmpdir = "/tmp";
	if (asprintf(&tmp, "%s/supertab.XXXXXX", tmpdir) == -1)
		err(1, "asprintf");
	if ((cfd = mkostemp(tmp, O_CLOEXEC)) == -1)
		err(1, "%s", tmp);
	for (off = 0; off < len; off += n)
		if ((n = write(cfd, text + off, len - off)) == -1 &&
		    errno != EINTR)
			err(1, "%s", tmp);
		else if (n == -1)
			n = 0;
	if (close(cfd) == -1)
		err(1, "%s", tmp);
	return tmp;
}

/*
 * Install after, the edited copy at tmp, under the lock, if the table is
 * still before, what was copied.  Returns 0 when it was installed (and
 * the copy removed), 1 when the table changed meanwhile: then the copy
 * stays, and its path is said.
 */
static int
edit_install(const struct tabpath *tp, const char *before, size_t blen,
    const char *after, size_t alen, const char *tmp)
{
	struct stat	 st;
	char		*now;
	size_t		 nlen;
	int		 fd;

	fd = table_lock(tp, 0, &st);
	now = read_all(fd, tp->tp_path, &nlen);
	if (nlen != blen || memcmp(now, before, blen) != 0) {
		fprintf(stderr, "supertab: %s changed while you edited; your "
		    "edit was not installed and is kept at %s\n", tp->tp_path,
		    tmp);
		free(now);
		close(fd);
		return 1;
	}
	table_write(tp, after, alen, &st);
	close(fd);
	unlink(tmp);
	free(now);
	return 0;
}

/*
 * edit: the editor works on a copy, with no lock held, until the copy
 * is valid or unchanged.  A valid copy is installed unless the table
 * changed meanwhile; then, or when the editor fails, or the copy is not
 * valid and the user does not (or cannot: no terminal) edit it again,
 * the copy is kept and its path printed, so no one's change is lost.
 */
int
cmd_edit(const struct tabpath *tp)
{
	struct stat	 st;
	char		*before, *after, *tmp;
	const char	*editor;
	size_t		 blen, alen;
	int		 fd, cfd, rc;

	fd = table_lock(tp, 0, &st);
	before = read_all(fd, tp->tp_path, &blen);
	close(fd);
	tmp = edit_copy(before, blen);
	if ((editor = getenv("VISUAL")) == NULL || *editor == '\0')
		if ((editor = getenv("EDITOR")) == NULL || *editor == '\0')
			editor = "vi";
	setenv("SUPERTAB_EDITOR", editor, 1);
	for (;;) {
		if (run_editor(tmp) == -1) {
			fprintf(stderr, "supertab: the editor failed; %s is "
			    "unchanged, the copy is kept at %s\n", tp->tp_path,
			    tmp);
			free(before);
			free(tmp);
			return 1;
		}
		if ((cfd = open(tmp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK)) == -1)
			err(1, "%s", tmp);
		after = read_all(cfd, tmp, &alen);
		close(cfd);
		if (alen == blen && memcmp(before, after, blen) == 0) {
			printf("no changes\n");
			unlink(tmp);
			free(before);
			free(after);
			free(tmp);
			return 0;
		}
		if (tab_check(tp, after, alen, before, blen) == 0)
			break;
		free(after);
		if (!ask_again()) {
			fprintf(stderr, "supertab: edit abandoned; %s is "
			    "unchanged, the copy is kept at %s\n", tp->tp_path,
			    tmp);
			free(before);
			free(tmp);
			return 1;
		}
	}
	rc = edit_install(tp, before, blen, after, alen, tmp);
	free(before);
	free(after);
	free(tmp);
	if (rc == 0) {
		printf("installed the edited table\n");
		tab_tell(tp);
	}
	return rc;
}
