/*
 * svconf.c: the life of a service's configuration: copied for each
 * address of an entry, freed with its service, and pinned while a child
 * may still read it.
 *
 * The pin protocol: a child started with clone(CLONE_VM) reads its
 * svconf (argv, environment, ids) between clone and execve, after the
 * parent has gone on; spawn.c pins the svconf when the child starts and
 * unpins it when the spawn slot that child had is taken again, the child
 * having called execve or exited.  svconf_free() of a pinned svconf only
 * marks it dead, and the last unpin frees it, so a reload never frees
 * what a child is reading.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "confint.h"

/*
 * A deep copy of an svconf, for the second and further services of one
 * entry (each service owns its svconf); what spawn_prepare() builds and
 * the pins are not copied: the copy starts unprepared and unpinned.
 */
struct svconf *
svconf_copy(const struct svconf *o)
{
	struct svconf	*cf;
	size_t		 i, n;

	cf = xcalloc(1, sizeof(*cf));
	*cf = *o;
	cf->cf_protoname = xstrdup(o->cf_protoname);
	if (o->cf_text != NULL)
		cf->cf_text = xstrdup(o->cf_text);
	cf->cf_file = o->cf_file ? xstrdup(o->cf_file) : NULL;
	cf->cf_program = o->cf_program ? xstrdup(o->cf_program) : NULL;
	for (n = 0; o->cf_argv[n] != NULL; n++)
		;
	cf->cf_argv = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		cf->cf_argv[i] = xstrdup(o->cf_argv[i]);
	cf->cf_ptyargv = NULL;
	for (n = 0; o->cf_ptyargv != NULL && o->cf_ptyargv[n] != NULL; n++)
		;
	if (o->cf_ptyargv != NULL) {
		cf->cf_ptyargv = xcalloc(n + 1, sizeof(char *));
		for (i = 0; i < n; i++)
			cf->cf_ptyargv[i] = xstrdup(o->cf_ptyargv[i]);
	}
	cf->cf_envp = NULL;
	cf->cf_envbuf = NULL;
	cf->cf_pins = 0;
	cf->cf_dead = 0;
	cf->cf_netns = 0;
	cf->cf_poolfd = 0;
	cf->cf_poolflags = 0;
	cf->cf_poolowed = 0;
	cf->cf_pooltaken = cf->cf_poolempty = 0;
	cf->cf_user = xstrdup(o->cf_user);
	cf->cf_home = xstrdup(o->cf_home);
	cf->cf_shell = xstrdup(o->cf_shell);
	cf->cf_chroot = o->cf_chroot ? xstrdup(o->cf_chroot) : NULL;
	cf->cf_hostname = o->cf_hostname ? xstrdup(o->cf_hostname) : NULL;
	if (o->cf_ngroups > 0) {
		cf->cf_groups = xcalloc(o->cf_ngroups, sizeof(gid_t));
		memcpy(cf->cf_groups, o->cf_groups,
		    o->cf_ngroups * sizeof(gid_t));
	} else
		cf->cf_groups = NULL;
	if (o->cf_nacl > 0) {
		cf->cf_acl = xcalloc(o->cf_nacl, sizeof(struct acl));
		memcpy(cf->cf_acl, o->cf_acl, o->cf_nacl * sizeof(struct acl));
	} else
		cf->cf_acl = NULL;
	if (o->cf_nproxy > 0) {
		cf->cf_proxy = xcalloc(o->cf_nproxy, sizeof(struct acl));
		memcpy(cf->cf_proxy, o->cf_proxy,
		    o->cf_nproxy * sizeof(struct acl));
	} else
		cf->cf_proxy = NULL;
	if (o->cf_refmsg != NULL) {
		cf->cf_refmsg = xcalloc(1, o->cf_refmsglen);
		memcpy(cf->cf_refmsg, o->cf_refmsg, o->cf_refmsglen);
	}
	cf->cf_env = o->cf_nenv ? xcalloc(o->cf_nenv, sizeof(char *)) : NULL;
	for (i = 0; i < o->cf_nenv; i++)
		cf->cf_env[i] = xstrdup(o->cf_env[i]);
	return cf;
}

/*
 * A child between clone and execve may still read its svconf (spawn.c):
 * one freed meanwhile goes when the last such child has let go of it.
 */
void
svconf_free(struct svconf *cf)
{
	size_t	 i;

	if (cf == NULL)
		return;
	/*
	 * Its pool reads end of file and exits (nspool.c) now, not when
	 * the last child cloned with it lets go: none takes a set again.
	 */
	if (cf->cf_poolfd > 0) {
		(void)close(cf->cf_poolfd);
		cf->cf_poolfd = 0;
	}
	if (cf->cf_pins > 0) {
		cf->cf_dead = 1;
		return;
	}
	free(cf->cf_protoname);
	free(cf->cf_text);
	free(cf->cf_file);
	free(cf->cf_program);
	for (i = 0; cf->cf_argv != NULL && cf->cf_argv[i] != NULL; i++)
		free(cf->cf_argv[i]);
	free(cf->cf_argv);
	for (i = 0; cf->cf_ptyargv != NULL && cf->cf_ptyargv[i] != NULL; i++)
		free(cf->cf_ptyargv[i]);
	free(cf->cf_ptyargv);
	free(cf->cf_envbuf);
	free(cf->cf_envp);
	free(cf->cf_user);
	free(cf->cf_home);
	free(cf->cf_shell);
	if (cf->cf_netns > 0)
		(void)close(cf->cf_netns);
	free(cf->cf_chroot);
	free(cf->cf_hostname);
	free(cf->cf_groups);
	free(cf->cf_acl);
	free(cf->cf_proxy);
	free(cf->cf_refmsg);
	for (i = 0; i < cf->cf_nenv; i++)
		free(cf->cf_env[i]);
	free(cf->cf_env);
	free(cf);
}

/* A child started with clone(CLONE_VM) reads cf until its execve. */
void
svconf_pin(struct svconf *cf)
{
	cf->cf_pins++;
}

/* A child that held cf has called execve or exited: let go of it. */
void
svconf_unpin(struct svconf *cf)
{
	if (--cf->cf_pins == 0 && cf->cf_dead)
		svconf_free(cf);
}

/* A service and its svconf; the caller has taken it off its list. */
void
service_free(struct service *sv)
{
	svconf_free(sv->sv_cf);
	free(sv->sv_name);
	free(sv->sv_addrstr);
	free(sv->sv_reflog);
	free(sv->sv_backlog);
	free(sv);
}
