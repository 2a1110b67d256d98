/*
 * ports.c: the -P ports file, one line per listening socket, "LINE
 * SERVICE ADDR:PORT PROTO", for scripts to find the ports of port 0.
 *
 * It is written whole to a temporary file renamed over the old one, so a
 * script never reads half a file: at start, after each reload and after
 * a late bind.  The process that wrote it removes it at exit, so a
 * script never reads a dead one.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "superd.h"

static const char	*ports_path;	/* absolute; NULL: no -P */
static pid_t		 ports_owner;	/* wrote the ports file; removes it */

/* At exit: the ports file goes, so a script never reads a dead one. */
static void
ports_remove(void)
{
	if (ports_path != NULL && ports_owner == getpid())
		(void)unlink(ports_path);
}

/* The file of -P (an absolute path), or NULL for none; before the loop. */
void
ports_init(const char *path)
{
	ports_path = path;
	if (ports_path != NULL && atexit(ports_remove) != 0)
		err(1, "atexit");
}

/* The running table's listening sockets, written again. */
void
ports_write(void)
{
	struct service	*sv;
	char		*tmp;
	FILE		*fp;
	int		 fd;

	if (ports_path == NULL)
		return;
	if (asprintf(&tmp, "%s.XXXXXX", ports_path) == -1)
		return;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		log_warn("event=ports-file-failed path=%s",
		    log_str(ports_path));
		free(tmp);
		return;
	}
	(void)fchmod(fd, 0644);
	if ((fp = fdopen(fd, "w")) == NULL) {
		(void)close(fd);
		(void)unlink(tmp);
		free(tmp);
		return;
	}
	TAILQ_FOREACH(sv, services_list(), sv_entry)
		if (sv->sv_fd != -1)
			fprintf(fp, "%d %s %s %s\n", sv->sv_cf->cf_line,
			    sv->sv_name, sv->sv_addrstr, proto_label(sv));
	if (fclose(fp) == EOF || rename(tmp, ports_path) == -1) {
		log_warn("event=ports-file-failed path=%s",
		    log_str(ports_path));
		(void)unlink(tmp);
	} else
		ports_owner = getpid();
	free(tmp);
}
