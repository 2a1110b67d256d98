/*
 * conf_fuzz.c: libFuzzer harness for the table parser.
 *
 * Each input is a whole service table, handed to conf_load() from memory
 * (fmemopen), as superd reads one at start, with -t and on SIGHUP.  What
 * the parser returns is walked the way superd walks it, then freed: under
 * AddressSanitizer a leak, an overflow or a use after free in the parser
 * (conf.c and the files of confint.h) is a crash, and so is a message
 * that breaks the "FILE:LINE: message" shape (one line, prefixed with
 * the file).
 *
 * Host names go through getaddrinfo(3); resolve.c keeps that off the
 * network, so an iteration never waits on DNS.  ".include" reads files:
 * the harness confines it to names in a directory it made and removed
 * (conf_include_confine), so an input never reads the machine's files,
 * stays fast and reads the same each time; an included file's message
 * must still be "FILE:LINE: message".
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../superd.h"

#define FUZZ_FILE	"fuzz.conf"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * .include reads from a directory that was made and removed at once:
 * nothing is ever there, so nothing of the machine is read.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char	 dir[] = "/tmp/conf_fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL || rmdir(dir) == -1)
		err(1, "%s", dir);
	conf_include_confine(dir);
	return 0;
}

/* An included file's messages: "NAME:LINE: message", one line. */
static void
check_included(char **msg, size_t n)
{
	const char	*s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		s = strchr(msg[i], ':');
		if (s == NULL || !isdigit((unsigned char)s[1]) ||
		    strstr(s, ": ") == NULL || strchr(msg[i], '\n') != NULL) {
			fprintf(stderr, "bad message: %s\n", msg[i]);
			abort();
		}
	}
}

/* Every message names the table and stays on one line. */
static void
check_messages(char **msg, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strncmp(msg[i], FUZZ_FILE ":", sizeof(FUZZ_FILE)) != 0 ||
		    strchr(msg[i], '\n') != NULL) {
			fprintf(stderr, "bad message: %s\n", msg[i]);
			abort();
		}
	}
}

/* Look at every service as the daemon would: address, label, acl. */
static void
walk_services(struct conf *c)
{
	struct service		*sv;
	struct sockaddr_storage	 peer;
	char			 addr[128];
	int			 n = 0;

	memset(&peer, 0, sizeof(peer));
	peer.ss_family = AF_INET;
	TAILQ_FOREACH(sv, &c->c_services, sv_entry) {
		if (sv->sv_cf == NULL || sv->sv_cf->cf_argv == NULL ||
		    sv->sv_cf->cf_argv[0] == NULL)
			abort();
		addr_format_full((struct sockaddr *)&sv->sv_addr, addr,
		    sizeof(addr));
		(void)proto_label(sv);
		(void)limits_acl_allows(sv->sv_cf, (struct sockaddr *)&peer);
		n++;
	}
	if (n != c->c_nservices)
		abort();
	if (c->c_nerrors > 0 && n != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	*c;
	FILE		*fp;
	char		*buf;

	/* A copy: fmemopen(3) takes a char *, libFuzzer's data is const. */
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if ((fp = fmemopen(buf, size, "r")) == NULL) {
		free(buf);
		return 0;
	}
	c = conf_load(FUZZ_FILE, fp);
	fclose(fp);
	check_messages(c->c_errors, c->c_nerrors);
	check_messages(c->c_warnings, c->c_nwarnings);
	check_included(c->c_incerrors, c->c_nincerrors);
	walk_services(c);
	conf_free(c);
	free(buf);
	return 0;
}
