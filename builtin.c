/*
 * builtin.c: the names of the built-in services, the table's vocabulary
 * for them.  Apart from internal.c, which serves them, so that supertab
 * can parse a table without the daemon's admission and log.
 */

#include <string.h>

#include "superd.h"

static const char *builtin_names[] = {
	"echo", "discard", "chargen", "daytime", "time", "metrics",
};

enum builtin
internal_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(builtin_names) / sizeof(builtin_names[0]); i++)
		if (strcmp(name, builtin_names[i]) == 0)
			return (enum builtin)i;
	return BI_NONE;
}

const char *
internal_name(enum builtin bi)
{
	if (bi == BI_NONE)
		return "internal";
	return builtin_names[bi];
}
