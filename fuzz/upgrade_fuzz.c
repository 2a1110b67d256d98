/*
 * upgrade_fuzz.c: libFuzzer harness for upgradedec.c, the reader of the
 * state an upgrade in place hands over, over a copy of the input of
 * exactly its length.  An input whose first byte is even has its
 * header's total size and sum made right first (after that byte, which
 * is dropped), so the records behind a header are reached; an odd one
 * is read as it is, and must fail on its sum unless it is whole.  The
 * properties:
 *  - the decoder returns 0 or -1, and on -1 says why in a short text;
 *  - on 0 every child and lingering connection names a service that is
 *    there (or, a lingering one, none), a child's PROXY header length is
 *    0 without a balancer and a header's length with one, every descriptor
 *    is -1 or above stdio and named once, every string ends within its
 *    bounds;
 *  - upstate_free frees everything (LeakSanitizer), twice harmlessly.
 * Any broken property aborts, which libFuzzer reports as a crash.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../superd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * No descriptor other than -1 is named twice: each field against every
 * other (the inputs are small), apart from the decoder's own sort.
 */
static void
check_once(struct upstate *st)
{
	size_t		  n, i, j;
	int		**f;

	if ((f = upstate_fds(st, &n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (*f[i] != -1 && *f[i] == *f[j])
				abort();
	free(f);
}

static void
check(struct upstate *st)
{
	unsigned int	 i;

	check_once(st);

	if (st->st_pidfd != -1 && st->st_pidfd < 3)
		abort();
	if (strlen(st->st_from) >= sizeof(st->st_from))
		abort();
	for (i = 0; i < st->st_nsvc; i++) {
		if (st->st_svc[i].us_fd != -1 && st->st_svc[i].us_fd < 3)
			abort();
		if (st->st_svc[i].us_name == NULL ||
		    strlen(st->st_svc[i].us_name) > UPSTATE_NAMEMAX)
			abort();
		if (st->st_svc[i].us_addrlen > sizeof(struct sockaddr_storage))
			abort();
	}
	for (i = 0; i < st->st_nchild; i++) {
		if (st->st_child[i].uc_svc >= st->st_nsvc ||
		    st->st_child[i].uc_pidfd < 3)
			abort();
		/* a header's length only with a balancer, and a real one */
		if (st->st_child[i].uc_balancer.ss_family == AF_UNSPEC ?
		    st->st_child[i].uc_pxlen != 0 :
		    st->st_child[i].uc_pxlen < PROXY_MIN ||
		    st->st_child[i].uc_pxlen > PROXY_V2_MAX)
			abort();
	}
	for (i = 0; i < st->st_ngk; i++)
		if (st->st_gk[i].ug_name == NULL || st->st_gk[i].ug_pidfd < 3)
			abort();
	for (i = 0; i < st->st_nlinger; i++)
		if (st->st_linger[i].ul_fd < 3 ||
		    (st->st_linger[i].ul_svc != UPL_NOSVC &&
		    st->st_linger[i].ul_svc >= st->st_nsvc))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upstate	 st;
	unsigned char	*buf;
	char		 why[256];
	uint64_t	 total, sum;
	int		 fix, rc;

	if (size == 0)
		return 0;
	fix = (data[0] & 1) == 0;
	data++;
	size--;
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (fix && size >= UPSTATE_HEAD) {
		total = size;
		memcpy(buf + 16, &total, 8);
		sum = upstate_sum(buf + UPSTATE_HEAD, size - UPSTATE_HEAD);
		memcpy(buf + 40, &sum, 8);
	}
	why[0] = '\0';
	rc = upstate_decode(buf, size, &st, why, sizeof(why));
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && why[0] == '\0')
		abort();
	if (rc == 0)
		check(&st);
	upstate_free(&st);
	upstate_free(&st);
	free(buf);
	return 0;
}
