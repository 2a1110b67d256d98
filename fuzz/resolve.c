/*
 * resolve.c: getaddrinfo(3) for the fuzzers, kept off the network.
 *
 * The table parser resolves host names once, at load.  Under a fuzzer a
 * name would be a DNS query per iteration (seconds each when no server
 * answers), so this definition, which the dynamic linker prefers to
 * libc's, passes numeric addresses and "localhost" on to libc and
 * refuses every other name as unknown.  freeaddrinfo(3) stays libc's.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <dlfcn.h>
#include <netdb.h>
#include <string.h>

typedef int	(*gai_fn)(const char *, const char *,
		    const struct addrinfo *, struct addrinfo **);

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static gai_fn	 real;
	struct addrinfo	 h;

	if (real == NULL &&
	    (real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo")) == NULL)
		return EAI_FAIL;
	if (hints != NULL)
		h = *hints;
	else {
		memset(&h, 0, sizeof(h));
		h.ai_family = AF_UNSPEC;
	}
	if (node != NULL && strcmp(node, "localhost") == 0)
		node = h.ai_family == AF_INET6 ? "::1" : "127.0.0.1";
	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}
