/*
 * text_fuzz.c: libFuzzer harness for the small parsers of hostile text
 * that the table parser reaches only through a full entry.
 *
 * The first byte picks the target, the rest is its text:
 *  0  acl_parse(), then the parsed entry matched against a peer taken
 *     from the input: bits within the family's width, the match never
 *     reads past the address;
 *  1  the line classifier supertab and conf.c share (conf_line_kind,
 *     conf_line_joins, conf_hosts_colon) over every line of the input;
 *  2  log_quote(), with a destination size from the input: the result is
 *     NUL-terminated inside it, quoted, and holds no control byte;
 *  3  parse_size() and parse_num(): a value accepted is in range.
 * Any broken property aborts, which libFuzzer reports as a crash.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../superd.h"
#include "../confint.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_acl(const char *s, const uint8_t *raw, size_t n)
{
	struct acl		 acl;
	struct svconf		 cf;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;

	if (acl_parse(s, &acl) == -1)
		return;
	if (acl.ac_family == AF_INET) {
		if (acl.ac_bits < 0 || acl.ac_bits > 32)
			abort();
	} else if (acl.ac_family == AF_INET6) {
		if (acl.ac_bits < 0 || acl.ac_bits > 128)
			abort();
	} else
		abort();
	memset(&cf, 0, sizeof(cf));
	cf.cf_acl = &acl;
	cf.cf_nacl = 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, raw, n < 4 ? n : 4);
	(void)limits_acl_allows(&cf, (struct sockaddr *)&sin);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	memcpy(&sin6.sin6_addr, raw, n < 16 ? n : 16);
	(void)limits_acl_allows(&cf, (struct sockaddr *)&sin6);
	/* An address always matches its own entry. */
	cf.cf_nallow = 1;
	if (acl.ac_family == AF_INET)
		memcpy(&sin.sin_addr, acl.ac_addr, 4);
	else
		memcpy(&sin6.sin6_addr, acl.ac_addr, 16);
	if (!limits_acl_allows(&cf, acl.ac_family == AF_INET ?
	    (struct sockaddr *)&sin : (struct sockaddr *)&sin6))
		abort();
}

static void
fuzz_lines(char *s)
{
	char		*line;
	const char	*colon;
	int		 open = 0, bs = 0;

	while ((line = strsep(&s, "\n")) != NULL) {
		switch (conf_line_kind(line, open, bs)) {
		case CONF_LINE_BLANK:
		case CONF_LINE_COMMENT:
			open = 0;
			bs = 0;
			continue;
		case CONF_LINE_ENTRY:
		case CONF_LINE_MORE:
			open = 1;
			break;
		default:
			abort();
		}
		bs = conf_line_joins(line);
		colon = conf_hosts_colon(line);
		if (colon != NULL && (colon < line ||
		    colon >= line + strlen(line) || *colon != ':'))
			abort();
	}
}

static void
fuzz_quote(const char *s, size_t size)
{
	char	 dst[2048];
	size_t	 i, len;

	memset(dst, 'X', sizeof(dst));
	log_quote(dst, size, s);
	if (size == 0)
		return;
	len = strnlen(dst, size);
	if (len == size)
		abort();		/* not terminated inside size */
	if (size < 3)
		return;
	if (len < 2 || dst[0] != '"' || dst[len - 1] != '"')
		abort();
	for (i = 0; i < len; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			abort();
}

static void
fuzz_numbers(const char *s)
{
	long long	 n;
	int		 v;

	if (parse_size(s, &v) == 0 && v <= 0)
		abort();
	if (parse_num(s, 0, 65535, &n) == 0 && (n < 0 || n > 65535))
		abort();
	if (parse_num(s, 1, 31 * 86400, &n) == 0 && (n < 1 ||
	    n > 31 * 86400))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size < 1)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		fuzz_acl(s, data + 1, size - 1);
		break;
	case 1:
		fuzz_lines(s);
		break;
	case 2:
		fuzz_quote(s, size > 1 ? data[1] * 8 % 2049 : 0);
		break;
	case 3:
		fuzz_numbers(s);
		break;
	}
	free(s);
	return 0;
}
