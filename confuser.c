/*
 * confuser.c: the user field of a table entry (user, user:group or
 * user.group) and a unix socket's owner=.  Users and groups are resolved
 * here, once, at load, with the supplementary groups, so that no child
 * ever looks one up; the last user looked up is kept in the parser's
 * cache, as a table names the same few users over and over.  Errors go
 * to the parser's list as FILE:LINE: message; nothing is logged.
 */

#include <sys/types.h>

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "superd.h"
#include "confint.h"

/* A numeric uid or gid, as getpwnam(3) and getgrnam(3) do not take one. */
static int
parse_id(const char *s, long long *out)
{
	const char	*errstr;

	*out = strtonum(s, 0, UINT_MAX - 1, &errstr);
	return errstr == NULL ? 0 : -1;
}

/*
 * Look a user up by name, or by number when no user has that name, into
 * the parser's cache; 0 when there is none.
 */
static int
lookup_user(struct parser *p, const char *name)
{
	struct usercache *uc = &p->p_uc;
	struct passwd	 *pw;
	long long	  id;

	if (uc->uc_name != NULL && strcmp(uc->uc_name, name) == 0)
		return uc->uc_found;
	free(uc->uc_name);
	free(uc->uc_home);
	free(uc->uc_shell);
	memset(uc, 0, sizeof(*uc));
	uc->uc_name = xstrdup(name);
	pw = getpwnam(name);
	if (pw == NULL && parse_id(name, &id) == 0)
		pw = getpwuid((uid_t)id);
	if (pw == NULL)
		return 0;
	uc->uc_found = 1;
	uc->uc_uid = pw->pw_uid;
	uc->uc_gid = pw->pw_gid;
	uc->uc_home = xstrdup(pw->pw_dir);
	uc->uc_shell = xstrdup(pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	return 1;
}

/* A group by name, or by number when no group has that name. */
static int
lookup_group(const char *name, gid_t *gid)
{
	struct group	*gr;
	long long	 id;

	if ((gr = getgrnam(name)) != NULL) {
		*gid = gr->gr_gid;
		return 1;
	}
	if (parse_id(name, &id) == 0) {
		*gid = (gid_t)id;
		return 1;
	}
	return 0;
}

/*
 * The groups the child of user with group gid is to have, gid among them,
 * as initgroups(3) would set them: looked up now, as the child cannot.
 */
static void
user_groups(struct svconf *cf, const char *user, gid_t gid)
{
	int	 ng = 32;

	for (;;) {
		cf->cf_groups = reallocarray(cf->cf_groups, ng, sizeof(gid_t));
		if (cf->cf_groups == NULL)
			fatal("reallocarray");
		if (getgrouplist(user, gid, cf->cf_groups, &ng) != -1)
			break;
		ng *= 2;
	}
	cf->cf_groups = reallocarray(cf->cf_groups, ng, sizeof(gid_t));
	if (cf->cf_groups == NULL)
		fatal("reallocarray");
	cf->cf_ngroups = ng;
}

/*
 * user, user:group or user.group (a user whose name holds a dot is tried
 * whole first).  Resolves uid, gid and the supplementary groups now, so
 * the child never looks anything up.  Applied only when superd runs as
 * root; otherwise a user or group other than superd's own is a warning.
 */
int
parse_user(struct parser *p, struct svconf *cf, const char *field)
{
	char	*user, *group = NULL, *dot;
	gid_t	 gid;
	int	 ok = 1;

	user = xstrdup(field);
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	else if (!lookup_user(p, user) && (dot = strchr(user, '.')) != NULL) {
		*dot = '\0';
		group = dot + 1;
	}
	if (*user == '\0' || (group != NULL && *group == '\0')) {
		perr(p, p->p_line, "bad user field \"%s\"", field);
		free(user);
		return -1;
	}
	if (!lookup_user(p, user)) {
		perr(p, p->p_line, "unknown user \"%s\"", user);
		ok = 0;
	}
	gid = p->p_uc.uc_gid;
	if (group != NULL && !lookup_group(group, &gid)) {
		perr(p, p->p_line, "unknown group \"%s\"", group);
		ok = 0;
	}
	if (!ok) {
		free(user);
		return -1;
	}
	cf->cf_user = xstrdup(user);
	cf->cf_uid = p->p_uc.uc_uid;
	cf->cf_gid = gid;
	cf->cf_home = xstrdup(p->p_uc.uc_home);
	cf->cf_shell = xstrdup(p->p_uc.uc_shell);
	if (p->p_euid == 0) {
		cf->cf_setuser = 1;
		user_groups(cf, user, gid);
	} else if (cf->cf_uid != p->p_euid || (group != NULL &&
	    gid != getegid()))
		pwarn(p, p->p_line, "user \"%s\" is not applied: superd "
		    "is not running as root", field);
	free(user);
	return 0;
}

/* owner=user[:group] for a unix socket file. */
int
parse_owner(struct parser *p, struct svconf *cf, const char *val)
{
	char	*user, *group;
	int	 ok = 1;

	user = xstrdup(val);
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	if (!lookup_user(p, user)) {
		perr(p, p->p_line, "unknown user \"%s\" in owner=", user);
		ok = 0;
	} else {
		cf->cf_owner_uid = p->p_uc.uc_uid;
		cf->cf_owner_gid = p->p_uc.uc_gid;
	}
	if (ok && group != NULL &&
	    !lookup_group(group, &cf->cf_owner_gid)) {
		perr(p, p->p_line, "unknown group \"%s\" in owner=", group);
		ok = 0;
	}
	free(user);
	cf->cf_has_owner = ok;
	return ok ? 0 : -1;
}
