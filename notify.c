/*
 * notify.c: telling a supervisor how superd is doing, in sd_notify(3)'s
 * datagram protocol spoken directly: READY=1 once it serves, RELOADING=1
 * and READY=1 around a reload, STOPPING=1 at the end.
 *
 * notify_init() takes NOTIFY_SOCKET out of the environment at start, so
 * no service inherits it; without one, notify_send() does nothing.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

static char	 notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* The socket NOTIFY_SOCKET names, kept; the variable goes. */
void
notify_init(void)
{
	const char	*s;

	if ((s = getenv("NOTIFY_SOCKET")) != NULL) {
		(void)strlcpy(notify_path, s, sizeof(notify_path));
		(void)unsetenv("NOTIFY_SOCKET");
	}
}

/*
 * One datagram to the unix socket NOTIFY_SOCKET names ('@' for the
 * abstract namespace).
 */
void
notify_send(const char *msg)
{
	struct sockaddr_un	 sun;
	socklen_t		 len;
	int			 fd;

	if (notify_path[0] == '\0')
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, notify_path, sizeof(sun.sun_path));
	len = offsetof(struct sockaddr_un, sun_path) + strlen(notify_path);
	if (notify_path[0] == '@')
		sun.sun_path[0] = '\0';
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    len) == -1)
		log_warn("event=notify-failed");
	(void)close(fd);
}

/* NOTIFY_SOCKET as it was, for the environment of an upgrade; or NULL. */
const char *
notify_socket(void)
{
	return notify_path[0] != '\0' ? notify_path : NULL;
}
