/*
 * http_fuzz.c: libFuzzer harness for httpreq.c, the metrics built-in's
 * request head parser, over a copy of the input of exactly its length
 * (AddressSanitizer catches a read past it).  The properties:
 *  - the status is HTTP_MORE or one httpreq.c says it answers with;
 *  - a decided status was decided by the first hr_len bytes, which the
 *    input holds, ending a line: those bytes alone give the same answer,
 *    and one byte fewer leaves it undecided (more bytes never change an
 *    answer, since the child stops reading at the first);
 *  - 200 means the head began with GET or HEAD, after empty lines, and
 *    hr_head says which.
 * Any broken property aborts, which libFuzzer reports as a crash.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../superd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
known(int st)
{
	return st == HTTP_MORE || st == 200 || st == 400 || st == 404 ||
	    st == 405 || st == 505;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpreq	 hr, again;
	const char	*p;
	char		*buf;
	int		 st;

	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	st = httpreq_parse(buf, size, &hr);
	if (!known(st) || st != hr.hr_status)
		abort();
	if (st != HTTP_MORE) {
		if (hr.hr_len == 0 || hr.hr_len > size ||
		    buf[hr.hr_len - 1] != '\n')
			abort();
		if (httpreq_parse(buf, hr.hr_len, &again) != st ||
		    again.hr_len != hr.hr_len || again.hr_head != hr.hr_head)
			abort();
		if (httpreq_parse(buf, hr.hr_len - 1, &again) != HTTP_MORE)
			abort();
	}
	if (st == 200) {
		for (p = buf; *p == '\r' || *p == '\n'; p++)
			;
		if (hr.hr_head ? strncmp(p, "HEAD ", 5) != 0 :
		    strncmp(p, "GET ", 4) != 0)
			abort();
	}
	free(buf);
	return 0;
}
