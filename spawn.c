/*
 * spawn.c: starting a service's child.
 *
 * Everything the child needs is prepared in the parent: argv and the
 * constant part of the environment once per service at load
 * (spawn_prepare), the per-connection variables into static buffers just
 * before the spawn.  The child is started with clone(2) and CLONE_VM |
 * CLONE_VFORK: it borrows the parent's memory until it calls execve, so
 * the cost of a spawn does not grow with the parent's size as fork's does,
 * and the parent, suspended meanwhile, can reuse the same buffers for the
 * next connection.  CLONE_PIDFD hands back a pidfd that the event loop
 * watches, so reaping a child never walks the list of all children.
 *
 * CLONE_FILES spares the parent a copy of its descriptor table (10,000
 * listeners, or a pidfd per running child); the child takes a private
 * table of only the descriptors below its socket's, which superd keeps
 * at fd 3 (SPAWN_FD), so a spawn costs the same with 10 or 10,000 open.
 *
 * Between clone and execve the child makes only async-signal-safe system
 * calls and touches only what the parent prepared.  It ends in execve or
 * _exit: 127 when the program is not there, 126 for any other failure.
 * Built-in stream services run in a forked child (no CLONE_VM) instead.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"

extern char	**environ;

/* The per-connection variables: "NAME=value", filled before each spawn. */
#define NSLOTS		8
#define SLOTLEN		128
static char	  env_slot[NSLOTS][SLOTLEN];

/* What the child function reads; the parent fills it just before clone. */
struct spawn_args {
	const struct svconf	*sa_cf;
	int			 sa_fd;
};
static struct spawn_args spawn_args;

static sigset_t	 empty_mask;
static struct sigaction dfl_action;

/* The child's stack: the parent is suspended while the child uses it. */
#define CHILD_STACK	(256 * 1024)
static char	*child_stack;

int
spawn_init(void)
{
	(void)sigemptyset(&empty_mask);
	memset(&dfl_action, 0, sizeof(dfl_action));
	dfl_action.sa_handler = SIG_DFL;
	child_stack = malloc(CHILD_STACK);
	return child_stack == NULL ? -1 : 0;
}

/* The names of the per-connection variables, by kind of service. */
static int
slot_names(const struct service *sv, const char **names)
{
	static const char *tcp[] = { "TCPLOCALIP", "TCPLOCALPORT",
	    "TCPREMOTEIP", "TCPREMOTEPORT", "REMOTE_ADDR", "REMOTE_PORT",
	    "TCPCONNNUM" };
	static const char *udp[] = { "UDPLOCALIP", "UDPLOCALPORT",
	    "UDPREMOTEIP", "UDPREMOTEPORT", "REMOTE_ADDR", "REMOTE_PORT" };
	static const char *unx[] = { "UNIXREMOTEUID", "UNIXREMOTEGID",
	    "UNIXREMOTEPID" };
	const char	**src;
	int		  n, i;

	switch (sv->sv_proto) {
	case PROTO_TCP:
		src = tcp;
		n = 7;
		break;
	case PROTO_UDP:
		src = udp;
		n = 6;
		break;
	default:
		src = unx;
		n = 3;
	}
	/* A wait child gets the socket, not a peer: only the local side. */
	if (sv->sv_cf->cf_wait)
		n = sv->sv_proto == PROTO_UNIX ? 0 : 2;
	for (i = 0; i < n; i++)
		names[i] = src[i];
	return n;
}

static char *
env_pair(const char *name, const char *value)
{
	char	*s;

	if (asprintf(&s, "%s=%s", name, value) == -1)
		fatal("asprintf");
	return s;
}

/* Does envp already hold NAME (from a later, winning source)? */
static int
env_has(char **envp, int n, const char *pair)
{
	size_t	 len = strcspn(pair, "=");
	int	 i;

	for (i = 0; i < n; i++)
		if (strncmp(envp[i], pair, len) == 0 && envp[i][len] == '=')
			return 1;
	return 0;
}

/*
 * Build the service's envp: the clean environment (or superd's own under
 * -E), then the service's user, PROTO and SUPERD_SERVICE, then env=, then
 * the per-connection slots.  A later source wins over an earlier one.
 */
int
spawn_prepare(struct service *sv, int keepenv)
{
	struct svconf	*cf = sv->sv_cf;
	const char	*names[NSLOTS];
	char		**envp, *fixed[16];
	const char	*proto;
	char		 *p;
	size_t		  nenviron = 0, cap, i, len;
	int		  n = 0, nf = 0, nslots, k, nown;

	proto = sv->sv_proto == PROTO_TCP ? "TCP" : sv->sv_proto ==
	    PROTO_UDP ? "UDP" : "UNIX";
	if (keepenv)
		for (nenviron = 0; environ[nenviron] != NULL; nenviron++)
			;
	nslots = slot_names(sv, names);
	cap = nenviron + 16 + cf->cf_nenv + nslots + 1;
	if ((envp = calloc(cap, sizeof(char *))) == NULL)
		return -1;

	fixed[nf++] = env_pair("PATH", SUPERD_PATH);
	fixed[nf++] = env_pair("USER", cf->cf_user);
	fixed[nf++] = env_pair("LOGNAME", cf->cf_user);
	fixed[nf++] = env_pair("HOME", cf->cf_home);
	fixed[nf++] = env_pair("SHELL", cf->cf_shell);
	fixed[nf++] = env_pair("PROTO", proto);
	fixed[nf++] = env_pair("SUPERD_SERVICE", sv->sv_name);

	/* Later wins: env= over the fixed ones over superd's own. */
	for (i = cf->cf_nenv; i-- > 0; )
		if (!env_has(envp, n, cf->cf_env[i]))
			envp[n++] = strdup(cf->cf_env[i]);
	for (k = nf; k-- > 0; ) {
		if (!env_has(envp, n, fixed[k]) && !(keepenv &&
		    strcmp(fixed[k], "PATH=" SUPERD_PATH) == 0 &&
		    getenv("PATH") != NULL))
			envp[n++] = fixed[k];
		else
			free(fixed[k]);
	}
	for (i = 0; i < nenviron; i++) {
		const char *e = environ[i];

		if (strncmp(e, "LISTEN_", 7) == 0 ||
		    strncmp(e, "NOTIFY_SOCKET=", 14) == 0)
			continue;
		if (!env_has(envp, n, e))
			envp[n++] = strdup(e);
	}
	/* the constant strings in one block: a table may have 10,000 */
	for (k = 0, len = 0; k < n; k++) {
		if (envp[k] == NULL)
			fatal("strdup");
		len += strlen(envp[k]) + 1;
	}
	if ((cf->cf_envbuf = malloc(len)) == NULL)
		fatal("malloc");
	for (k = 0, p = cf->cf_envbuf; k < n; k++) {
		size_t	 l = strlen(envp[k]) + 1;

		memcpy(p, envp[k], l);
		free(envp[k]);
		envp[k] = p;
		p += l;
	}
	nown = n;
	for (k = 0; k < nslots; k++) {
		/* a slot for a variable env= set stays env='s */
		if (!env_has(envp, nown, names[k]))
			envp[n++] = env_slot[k];
	}
	envp[n] = NULL;
	cf->cf_envp = envp;
	return 0;
}

static void
slot_set(int i, const char *name, const char *value)
{
	size_t	 len;

	len = strlcpy(env_slot[i], name, SLOTLEN);
	if (len + 1 < SLOTLEN) {
		env_slot[i][len] = '=';
		(void)strlcpy(env_slot[i] + len + 1, value, SLOTLEN - len - 1);
	}
}

/*
 * Fill the per-connection slots for this connection, in the order
 * slot_names() gives them.
 */
static void
fill_slots(const struct service *sv, int fd, const struct sockaddr *peer,
    int connnum)
{
	const char		*names[NSLOTS];
	char			 lip[INET6_ADDRSTRLEN], lport[8];
	char			 rip[INET6_ADDRSTRLEN + 108], rport[8];
	char			 num[16];
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	struct ucred		 cred;
	int			 n;

	n = slot_names(sv, names);
	if (n == 0)
		return;
	if (sv->sv_proto == PROTO_UNIX) {
		len = sizeof(cred);
		memset(&cred, 0, sizeof(cred));
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred,
		    &len) == -1) {
			cred.uid = (uid_t)-1;
			cred.gid = (gid_t)-1;
		}
		(void)snprintf(num, sizeof(num), "%d", (int)cred.uid);
		slot_set(0, names[0], num);
		(void)snprintf(num, sizeof(num), "%d", (int)cred.gid);
		slot_set(1, names[1], num);
		(void)snprintf(num, sizeof(num), "%d", (int)cred.pid);
		slot_set(2, names[2], num);
		return;
	}
	if (sv->sv_wildcard && !sv->sv_cf->cf_wait) {
		/* only a wildcard listener needs the kernel to say */
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
			addr_unmap(&ss);
			addr_format((struct sockaddr *)&ss, lip, sizeof(lip),
			    lport, sizeof(lport));
		} else {
			(void)strlcpy(lip, sv->sv_localip, sizeof(lip));
			(void)strlcpy(lport, sv->sv_localport, sizeof(lport));
		}
	} else {
		(void)strlcpy(lip, sv->sv_localip, sizeof(lip));
		(void)strlcpy(lport, sv->sv_localport, sizeof(lport));
	}
	slot_set(0, names[0], lip);
	slot_set(1, names[1], lport);
	if (n == 2)
		return;
	addr_format(peer, rip, sizeof(rip), rport, sizeof(rport));
	slot_set(2, names[2], rip);
	slot_set(3, names[3], rport);
	slot_set(4, names[4], rip);
	slot_set(5, names[5], rport);
	if (n > 6) {
		(void)snprintf(num, sizeof(num), "%d", connnum);
		slot_set(6, names[6], num);
	}
}

/*
 * The child, from clone to execve.  Only async-signal-safe calls on what
 * the parent prepared: no malloc, no stdio, no lookups.
 */
static int
child_main(void *arg)
{
	const struct spawn_args	*sa = arg;
	const struct svconf	*cf = sa->sa_cf;
	int			 fd = sa->sa_fd;

	/*
	 * The descriptor table is the parent's own (CLONE_FILES): first a
	 * private one, holding only the descriptors up to the socket's.
	 */
	if (close_range(fd + 1, ~0U, CLOSE_RANGE_UNSHARE) == -1)
		_exit(126);
	/* SIGPIPE is ignored in the parent; the rest are default already. */
	if (sigaction(SIGPIPE, &dfl_action, NULL) == -1)
		_exit(126);
	if (setsid() == -1)
		_exit(126);
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1)
		_exit(126);
	if (cf->cf_stderr == STDERR_SOCKET) {
		if (dup2(fd, STDERR_FILENO) == -1)
			_exit(126);
	} else if (cf->cf_stderr == STDERR_NULL) {
		int	 null = open("/dev/null", O_WRONLY);

		if (null == -1 || dup2(null, STDERR_FILENO) == -1)
			_exit(126);
	}
	if (cf->cf_setuser) {
		if (setgroups(cf->cf_ngroups, cf->cf_groups) == -1 ||
		    setgid(cf->cf_gid) == -1 || setuid(cf->cf_uid) == -1)
			_exit(126);
	}
	if (sigprocmask(SIG_SETMASK, &empty_mask, NULL) == -1)
		_exit(126);
	/* nothing but 0, 1 and 2, whatever close-on-exec says */
	if (close_range(3, ~0U, 0) == -1)
		_exit(126);
	if (cf->cf_builtin != BI_NONE)
		internal_stream(cf->cf_builtin, STDIN_FILENO);
	execve(cf->cf_program, cf->cf_argv, cf->cf_envp);
	_exit(errno == ENOENT ? 127 : 126);
}

/*
 * Start a child of sv on fd (a connection, or the service's own socket in
 * wait mode).  Returns its pid and stores its pidfd, or -1 with errno set
 * (EAGAIN, ENOMEM: the caller backs off).
 */
pid_t
spawn_child(struct service *sv, int fd, const struct sockaddr *peer,
    int connnum, int *pidfd)
{
	int	 flags, saved;
	pid_t	 pid;

	if (sv->sv_cf->cf_builtin == BI_NONE)
		fill_slots(sv, fd, peer, connnum);
	spawn_args.sa_cf = sv->sv_cf;
	spawn_args.sa_fd = fd;
	/*
	 * A built-in runs superd's own code for as long as the connection
	 * lasts: it needs its own copy of memory, as after fork(2).
	 */
	flags = CLONE_PIDFD | SIGCHLD;
	/*
	 * Sharing the descriptor table is safe only while the parent is
	 * suspended (CLONE_VFORK) until the child has a table of its own.
	 */
	if (sv->sv_cf->cf_builtin == BI_NONE)
		flags |= CLONE_VM | CLONE_VFORK | CLONE_FILES;
	*pidfd = -1;
	saved = errno;
	pid = clone(child_main, child_stack + CHILD_STACK, flags, &spawn_args,
	    pidfd);
	if (pid == -1)
		return -1;
	/* the child shared our errno until it called execve */
	errno = saved;
	if (*pidfd == SPAWN_FD)
		*pidfd = listen_move_fd(*pidfd);
	return pid;
}
