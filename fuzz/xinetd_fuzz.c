/*
 * xinetd_fuzz.c: libFuzzer harness for supertab import-xinetd's parser
 * and conversion (xiparse.c, xiconv.c).
 *
 * Each input is one xinetd file.  Every service in it is converted over
 * its defaults blocks, with hooks that answer from the input alone (a
 * few well-known ports; a banner file's text is its own name, hostile
 * text as any), and what comes out must be fit for a table: a line with
 * no line break in it and no backslash at its end (which would join the
 * next line), read by superd's own parser as exactly one entry or
 * refused with an error about that line, never taken as two entries or
 * as a comment; every message on one line.  Under AddressSanitizer a
 * leak, an overflow or a use after free is a crash.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../superd.h"
#include "../tab.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
fuzz_port(const char *name, const char *proto)
{
	static const struct {
		const char	*name;
		int		 port;
	} ports[] = {
		{ "echo", 7 }, { "discard", 9 }, { "daytime", 13 },
		{ "chargen", 19 }, { "time", 37 }, { "telnet", 23 },
		{ "finger", 79 },
	};
	size_t	 i;

	(void)proto;
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (strcmp(name, ports[i].name) == 0)
			return ports[i].port;
	return -1;
}

static char *
fuzz_banner(const char *path, size_t *lenp)
{
	char	*s;

	if ((s = strdup(path)) == NULL)
		abort();
	*lenp = strlen(s);
	return s;
}

static void
check_text(const char *s)
{
	if (strchr(s, '\n') != NULL || strchr(s, '\r') != NULL) {
		fprintf(stderr, "line break in: %s\n", s);
		abort();
	}
}

/*
 * An error about what this machine lacks (a program, a user, a port's
 * name, a host name: the fuzzer's input names them at random), not about
 * the line's syntax, which the conversion must always get right.
 */
static int
machine_error(const char *msg)
{
	static const char *const ok[] = {
		"program ", "unknown user ", "unknown group ",
		"unknown service ", "cannot resolve host ",
	};
	size_t	 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strncmp(msg, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
}

/*
 * superd's parser on the line: one entry, or errors about line 1 that
 * machine_error allows.
 */
static void
check_line(const char *line)
{
	struct conf	*c;
	struct service	*sv;
	FILE		*fp;
	char		*text;
	size_t		 len, i;
	int		 n = 0;

	len = strlen(line);
	if (len > 0 && line[len - 1] == '\\') {
		fprintf(stderr, "a backslash ends: %s\n", line);
		abort();
	}
	if (line[0] == '#' || line[0] == ' ' || line[0] == '\t') {
		fprintf(stderr, "not an entry: %s\n", line);
		abort();
	}
	if (asprintf(&text, "%s\n", line) == -1)
		abort();
	if ((fp = fmemopen(text, len + 1, "r")) == NULL)
		abort();
	c = conf_load("x", fp);
	(void)fclose(fp);
	if (c == NULL) {
		free(text);
		return;
	}
	for (i = 0; i < c->c_nerrors; i++)
		if (strncmp(c->c_errors[i], "x:1: ", 5) != 0 ||
		    strchr(c->c_errors[i], '\n') != NULL ||
		    !machine_error(c->c_errors[i] + 5)) {
			fprintf(stderr, "bad error for %s: %s\n", line,
			    c->c_errors[i]);
			abort();
		}
	TAILQ_FOREACH(sv, &c->c_services, sv_entry)
		if (sv->sv_cf->cf_line != 1)
			abort();
		else
			n++;
	if (getenv("XI_FUZZ_PRINT") != NULL)
		for (i = 0; i < c->c_nerrors; i++)
			fprintf(stderr, "%s\n  %s\n", line, c->c_errors[i]);
	(void)n;
	conf_free(c);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct xihooks hooks = { fuzz_port, fuzz_banner };
	const struct xiblock	**defs;
	struct xifile		 f;
	struct xiline		 xl;
	size_t			 i, ndefs = 0;

	memset(&f, 0, sizeof(f));
	(void)xi_parse(&f, "fuzz.xinetd", (const char *)data, size);
	for (i = 0; i < f.xf_nerr; i++) {
		check_text(f.xf_err[i]);
		if (strncmp(f.xf_err[i], "fuzz.xinetd:", 12) != 0)
			abort();
	}
	if ((defs = calloc(f.xf_nblk + 1, sizeof(*defs))) == NULL)
		abort();
	for (i = 0; i < f.xf_nblk; i++)
		if (f.xf_blk[i].xb_kind == XI_DEFAULTS)
			defs[ndefs++] = &f.xf_blk[i];
	for (i = 0; i < ndefs; i++) {
		memset(&xl, 0, sizeof(xl));
		xi_defaults_notes(defs[i], &xl);
		xi_line_free(&xl);
	}
	for (i = 0; i < f.xf_nblk; i++) {
		if (f.xf_blk[i].xb_kind != XI_SERVICE)
			continue;
		memset(&xl, 0, sizeof(xl));
		xi_convert(defs, ndefs, &f.xf_blk[i], &hooks, &xl);
		if (xl.xl_line != NULL) {
			check_text(xl.xl_line);
			check_line(xl.xl_line);
		}
		xi_line_free(&xl);
	}
	free(defs);
	xi_free(&f);
	return 0;
}
