// SPDX-License-Identifier: MIT
/*
 * map-page - map only page N of the buffer and show that it aliases the
 * same memory as page N of a mapping of the whole buffer.
 *
 *   map-page [-d PATH] N
 */
#include <unistd.h>

#include "example.h"

/* "yes" when @a and @b hold the same string */
static const char *same(const char *a, const char *b)
{
	return strcmp(a, b) ? "no" : "yes";
}

int main(int argc, char **argv)
{
	struct example ex = { .name = "map-page" };
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);
	char *whole, *page;
	unsigned long n;
	char *end;
	int first, ret;

	first = example_open(&ex, argc, argv, EXAMPLE_RW);
	if (argc - first != 1)
		example_usage(&ex, "N");
	n = strtoul(argv[first], &end, 0);
	if (*end || end == argv[first])
		example_usage(&ex, "N");

	/* the library refuses a page past the end with -EINVAL */
	ret = mmio_shm_map_range(ex.shm, (uint64_t)n * ps, ps,
				 MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE,
				 (void **)&page);
	if (ret)
		example_die(&ex, "map page", ret);
	whole = (char *)ex.buf + n * ps;
	printf("page %lu mapped alone at offset %lu\n", n, n * ps);

	snprintf(whole, ps, "written through the whole buffer");
	printf("whole -> page: %s\n", same(page, whole));
	snprintf(page, ps, "written through page %lu alone", n);
	printf("page -> whole: %s\n", same(whole, page));

	mmio_shm_close(ex.shm);
	return EXIT_SUCCESS;
}
