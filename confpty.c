/*
 * confpty.c: an entry's terminal options: pty (the program on a new
 * pseudo-terminal, behind the relay superd-pty: ptyrelay.c), pty-echo,
 * pty-raw and pty-size=COLSxROWS.  Each a handler of confopt.c's option
 * table; pty_check() then says, as FILE:LINE: message, when the entry
 * cannot have them, and makes the relay's argv (cf_ptyargv), which the
 * child execs in place of the program's (spawn.c).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "superd.h"
#include "confint.h"

#define PTY_COLS	80	/* pty-size= when none is given */
#define PTY_ROWS	24

/* pty: the program runs on a pseudo-terminal. */
int
opt_pty(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_pty |= PTY_ON;
	return OPT_OK;
}

/* pty-echo: the terminal echoes what the client sends (off by default). */
int
opt_pty_echo(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_pty |= PTY_ECHO;
	return OPT_OK;
}

/* pty-raw: raw mode, as cfmakeraw(3) makes it, for programs that read keys. */
int
opt_pty_raw(const struct optctx *o, char *val)
{
	(void)val;
	o->oc_cf->cf_pty |= PTY_RAW;
	return OPT_OK;
}

/* pty-size=COLSxROWS: the window size, 1 to 1000 each way. */
int
opt_pty_size(const struct optctx *o, char *val)
{
	char		 buf[32], *x;
	long long	 c, r;

	if (strlcpy(buf, val, sizeof(buf)) >= sizeof(buf) ||
	    (x = strchr(buf, 'x')) == NULL)
		return OPT_BADVAL;
	*x++ = '\0';
	if (parse_num(buf, 1, 1000, &c) == -1 ||
	    parse_num(x, 1, 1000, &r) == -1)
		return OPT_BADVAL;
	o->oc_cf->cf_pty_cols = (int)c;
	o->oc_cf->cf_pty_rows = (int)r;
	return OPT_OK;
}

/*
 * The relay's argv: superd-pty [-e] [-r] [-s] -w COLS -h ROWS PROGRAM
 * ARGV0 [ARG ...], the program's own after its path.
 */
static char **
relay_argv(const struct svconf *cf)
{
	char	**argv, num[16];
	int	  n, i, k = 0;

	for (n = 0; cf->cf_argv[n] != NULL; n++)
		;
	argv = xcalloc(n + 11, sizeof(char *));
	argv[k++] = xstrdup("superd-pty");
	if (cf->cf_pty & PTY_ECHO)
		argv[k++] = xstrdup("-e");
	if (cf->cf_pty & PTY_RAW)
		argv[k++] = xstrdup("-r");
	if (cf->cf_stderr == STDERR_SOCKET)
		argv[k++] = xstrdup("-s");
	argv[k++] = xstrdup("-w");
	(void)snprintf(num, sizeof(num), "%d", cf->cf_pty_cols != 0 ?
	    cf->cf_pty_cols : PTY_COLS);
	argv[k++] = xstrdup(num);
	argv[k++] = xstrdup("-h");
	(void)snprintf(num, sizeof(num), "%d", cf->cf_pty_rows != 0 ?
	    cf->cf_pty_rows : PTY_ROWS);
	argv[k++] = xstrdup(num);
	argv[k++] = xstrdup(cf->cf_program);
	for (i = 0; i < n; i++)
		argv[k++] = xstrdup(cf->cf_argv[i]);
	return argv;
}

/*
 * The terminal options of an entry, once its fields are read: pty is for
 * a program of a stream nowait service (a connection of its own to
 * relay), and pty-echo, pty-raw and pty-size= are for pty.  socktype is
 * the entry's.  Returns -1 when reported.
 */
int
pty_check(struct parser *p, struct svconf *cf, int socktype)
{
	if (cf->cf_pty == 0 && cf->cf_pty_cols == 0)
		return 0;
	if (!(cf->cf_pty & PTY_ON)) {
		perr(p, p->p_line, "%s is for a pty service: add pty",
		    cf->cf_pty & PTY_ECHO ? "pty-echo" : cf->cf_pty & PTY_RAW ?
		    "pty-raw" : "pty-size=");
		return -1;
	}
	if (socktype != SOCK_STREAM || cf->cf_wait) {
		perr(p, p->p_line, "pty is for stream nowait services only: "
		    "its relay needs a connection of its own");
		return -1;
	}
	if (cf->cf_builtin != BI_NONE || cf->cf_program == NULL) {
		perr(p, p->p_line, "pty is for programs, not internal "
		    "services");
		return -1;
	}
	cf->cf_ptyargv = relay_argv(cf);
	return 0;
}
