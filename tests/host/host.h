/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the host tests of libmmio_shm: files that stand in for the
 * device. What the host tests check through commands (the tool, make
 * install, pkg-config, DKMS) is in tests/shell/.
 *
 * A host test includes this header first and nothing else: it brings the
 * library's header, the kselftest harness and the libc headers the
 * helpers use (with _GNU_SOURCE, for memfd_create()).
 */
#ifndef MMIO_SHM_HOST_H
#define MMIO_SHM_HOST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmmio_shm.h"
#include "kselftest_harness.h"

/* a memfd of @size bytes, or -1 */
static inline int memfd_of_size(size_t size)
{
	int fd = memfd_create("mmio_shm_host_test", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size)) {
		close(fd);
		return -1;
	}
	return fd;
}

#endif /* MMIO_SHM_HOST_H */
