// SPDX-License-Identifier: MIT
/*
 * writer - put a message at the start of the shared buffer for reader.
 *
 *   writer [-d PATH] MESSAGE
 *
 * The message is stored with its terminating NUL, so a reader never needs
 * to guess where it ends; then the doorbell is rung (on the device).
 */
#include "example.h"

int main(int argc, char **argv)
{
	struct example ex = { .name = "writer" };
	size_t len;
	int first, ret;

	first = example_open(&ex, argc, argv, EXAMPLE_RW);
	if (argc - first != 1)
		example_usage(&ex, "MESSAGE");

	len = strlen(argv[first]) + 1;	/* the NUL goes in too */
	if (len > ex.size)
		example_die(&ex, "message", -ENOSPC);
	memcpy(ex.buf, argv[first], len);

	ret = mmio_shm_notify(ex.shm, NULL);
	if (ret && ret != -ENOTTY)	/* a plain file has no doorbell */
		example_die(&ex, "notify", ret);
	printf("writer: wrote %zu bytes\n", len);
	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
