/*
 * spawnfail.c: the containment step a child failed at, left for its
 * exit line.  The child writes a record (spawn.c's child_fail) with raw
 * stores only; the parent reads it when it reaps a status 126.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "superd.h"
#include "spawnint.h"

static struct spawn_fail	*fails;		/* SPAWN_SLOTS + 1, MAP_SHARED */

/*
 * The records, one per spawn slot and the forked path's last: in memory
 * shared even with a forked child.  NULL when mmap fails.
 */
struct spawn_fail *
spawnfail_init(void)
{
	fails = mmap(NULL, (SPAWN_SLOTS + 1) * sizeof(*fails),
	    PROT_READ | PROT_WRITE,
	    /* cppcheck-suppress invalidFunctionArg ; anonymous: fd is -1 */
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fails == MAP_FAILED) {
		fails = NULL;
		return NULL;
	}
	return fails;
}

/* The option name of an rlimit a child failed to set. */
static const char *
rlimit_name(int res)
{
	switch (res) {
	case RLIMIT_CPU:	return "rlimit-cpu";
	case RLIMIT_AS:		return "rlimit-as";
	case RLIMIT_DATA:	return "rlimit-data";
	case RLIMIT_STACK:	return "rlimit-stack";
	case RLIMIT_FSIZE:	return "rlimit-fsize";
	case RLIMIT_CORE:	return "rlimit-core";
	case RLIMIT_NOFILE:	return "rlimit-nofile";
	case RLIMIT_NPROC:	return "rlimit-nproc";
	}
	return "rlimit";
}

/* The name of a step that failed on something, for "STEP ARG". */
static const char *
step_name(int step)
{
	switch (step) {
	case STEP_USERNS:	return "user namespace";
	case STEP_HOSTNAME:	return "hostname";
	case STEP_LO:		return "private-network";
	case STEP_MOUNT:	return "mount";
	case STEP_RDONLY:	return "read-only";
	case STEP_CHROOT:	return "chroot";
	case STEP_DEVNULL:	return "stderr=null";
	case STEP_CGROUP:	return "cgroup";
	case STEP_NETNS:	return "private-network=shared";
	case STEP_POOL:		return "namespace pool";
	case STEP_PTY:		return "pty";
	}
	return "step";
}

/*
 * Child pid exited 126: the step it failed at, as "STEP ARG: strerror"
 * in buf, and 0; -1 when it left no record (a failure of superd's own
 * steps, or of execve).  The record is cleared: its slot may be reused.
 * A forked child's record is the sync slot's last one only: one an
 * older forked child left there is cleared, never reported for this.
 */
int
spawn_failure(pid_t pid, char *buf, size_t len)
{
	struct spawn_fail	*f;
	int			 i;

	for (i = 0; i <= SPAWN_SLOTS; i++) {
		f = &fails[i];
		if (__atomic_load_n(&f->f_step, __ATOMIC_ACQUIRE) == 0 ||
		    f->f_pid != pid)
			continue;
		if (f->f_cgen != f->f_gen) {
			__atomic_store_n(&f->f_step, 0, __ATOMIC_RELEASE);
			return -1;
		}
		if (f->f_step == STEP_NICE)
			(void)snprintf(buf, len, "nice %lld: %s", f->f_arg,
			    strerror(f->f_errno));
		else if (f->f_step == STEP_RLIMIT &&
		    (uint64_t)f->f_arg == RLIM_INFINITY)
			(void)snprintf(buf, len, "%s unlimited: %s",
			    rlimit_name(f->f_res), strerror(f->f_errno));
		else if (f->f_step == STEP_RLIMIT)
			(void)snprintf(buf, len, "%s %lld: %s",
			    rlimit_name(f->f_res), f->f_arg,
			    strerror(f->f_errno));
		else if (f->f_step == STEP_SETGROUPS)
			(void)snprintf(buf, len, "setgroups %lld groups: %s",
			    f->f_arg, strerror(f->f_errno));
		else if (f->f_step == STEP_SETGID || f->f_step == STEP_SETUID)
			(void)snprintf(buf, len, "%s %lld: %s",
			    f->f_step == STEP_SETGID ? "setgid" : "setuid",
			    f->f_arg, strerror(f->f_errno));
		else if (f->f_step == STEP_NNP)
			(void)snprintf(buf, len, "no-new-privs: %s",
			    strerror(f->f_errno));
		else
			(void)snprintf(buf, len, "%s %.*s: %s",
			    step_name(f->f_step), STEP_TEXTLEN - 1, f->f_text,
			    strerror(f->f_errno));
		__atomic_store_n(&f->f_step, 0, __ATOMIC_RELEASE);
		return 0;
	}
	return -1;
}
