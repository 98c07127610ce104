/* SPDX-License-Identifier: MIT */
/*
 * What every example does first: take "-d PATH" (default /dev/mmio_shm),
 * open it through libmmio_shm and map the whole buffer; and how they stop
 * on an error: one line "NAME: WHAT: REASON" and exit status 1.
 */
#ifndef MMIO_SHM_EXAMPLE_H
#define MMIO_SHM_EXAMPLE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libmmio_shm.h"

/* the open device and its mapping, as example_open() leaves them */
struct example {
	const char *name;	/* the program, for messages */
	const char *path;	/* what -d named, or NULL for the default */
	struct mmio_shm *shm;	/* the handle */
	void *buf;		/* the whole buffer, mapped shared */
	size_t size;		/* its length */
};

static inline void __attribute__((noreturn))
example_die(const struct example *ex, const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", ex->name, what, strerror(-err));
	exit(EXIT_FAILURE);
}

static inline void __attribute__((noreturn))
example_usage(const struct example *ex, const char *args)
{
	fprintf(stderr, "Usage: %s [-d PATH] %s\n", ex->name, args);
	exit(2);
}

/*
 * Takes "-d PATH" off the front of argv, opens and maps. Returns the index
 * of the first remaining argument.
 */
static inline int example_open(struct example *ex, int argc, char **argv,
			       unsigned int open_flags, unsigned int prot)
{
	int first = 1, ret;

	if (argc > 2 && !strcmp(argv[1], "-d")) {
		ex->path = argv[2];
		first = 3;
	}
	ret = mmio_shm_open(ex->path, open_flags, &ex->shm);
	if (ret)
		example_die(ex, ex->path ? ex->path : MMIO_SHM_DEFAULT_PATH, ret);
	ret = mmio_shm_map(ex->shm, prot, &ex->buf, &ex->size);
	if (ret)
		example_die(ex, "map", ret);
	return first;
}

/*
 * The optional COUNT argument of producer and consumer (default 10), after
 * checking that the buffer can hold an object of @need bytes.
 */
static inline unsigned long example_count(const struct example *ex, int argc,
					  char **argv, int first, size_t need)
{
	if (argc - first > 1)
		example_usage(ex, "[COUNT]");
	if (ex->size < need)
		example_die(ex, "buffer", -ENOSPC);
	return argc - first == 1 ? strtoul(argv[first], NULL, 0) : 10;
}

#define EXAMPLE_RW	MMIO_SHM_OPEN_RDWR, MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE
#define EXAMPLE_RO	MMIO_SHM_OPEN_RDONLY, MMIO_SHM_PROT_READ

#endif /* MMIO_SHM_EXAMPLE_H */
