/*
 * hello: the benchmark's service.  Writes one 16-byte line to its
 * standard output (the connection) and exits.
 */

#include <unistd.h>

int
main(void)
{
	static const char line[16] = "hello, superd!!\n";

	return write(STDOUT_FILENO, line, sizeof(line)) == sizeof(line) ? 0 : 1;
}
