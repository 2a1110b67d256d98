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
 * the harness confines it to names in a directory of its own
 * (conf_include_confine), so an input never reads the machine's files.
 * An input is split at its first NUL byte: before it the table, after it
 * one included file, written there as "inc.conf" (".include inc.conf" or
 * "*.conf" reads it; with no NUL there is none), so that the included
 * file's parse, its errors and the conflicts between files are fuzzed;
 * an included file's message must still be "FILE:LINE: message".
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../superd.h"

#define FUZZ_FILE	"fuzz.conf"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 inc_dir[] = "/tmp/conf_fuzz.XXXXXX";
static char	 inc_path[sizeof(inc_dir) + 16];

/* The directory and its one file go when the fuzzer exits. */
static void
fuzz_cleanup(void)
{
	(void)unlink(inc_path);
	(void)rmdir(inc_dir);
}

/* .include reads names in a directory of the harness's own, mode 0700. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(inc_dir) == NULL)
		err(1, "%s", inc_dir);
	(void)snprintf(inc_path, sizeof(inc_path), "%s/inc.conf", inc_dir);
	atexit(fuzz_cleanup);
	conf_include_confine(inc_dir);
	return 0;
}

/* The included file of this input: len bytes at s, or none (s NULL). */
static void
write_included(const char *s, size_t len)
{
	int	 fd;

	(void)unlink(inc_path);
	if (s == NULL)
		return;
	/* 0600 whatever the umask: a file its group can write is refused */
	if ((fd = open(inc_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		err(1, "%s", inc_path);
	if (len > 0 && write(fd, s, len) != (ssize_t)len)
		err(1, "%s", inc_path);
	if (close(fd) == -1)
		err(1, "%s", inc_path);
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
	char		*buf, *nul;

	/* A copy: fmemopen(3) takes a char *, libFuzzer's data is const. */
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if ((nul = memchr(buf, '\0', size)) != NULL) {
		write_included(nul + 1, size - (nul + 1 - buf));
		size = nul - buf;
	} else
		write_included(NULL, 0);
	/* fmemopen(3) refuses size 0: an empty table reads as a newline. */
	if (size == 0)
		buf[size++] = '\n';
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
