// SPDX-License-Identifier: MIT
/*
 * reader - print the message writer left at the start of the buffer.
 *
 *   reader [-d PATH]
 *
 * Maps the buffer read-only and prints the NUL-terminated string at its
 * start followed by a newline. A buffer with no NUL in it holds no message.
 */
#include "example.h"

int main(int argc, char **argv)
{
	struct example ex = { .name = "reader" };
	size_t len;

	if (example_open(&ex, argc, argv, EXAMPLE_RO) != argc)
		example_usage(&ex, "");

	len = strnlen(ex.buf, ex.size);
	if (len == ex.size)
		example_die(&ex, "message", -EBADMSG);
	printf("%s\n", (const char *)ex.buf);
	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
