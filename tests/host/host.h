/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the host tests of libmmio_shm: files that stand in for the
 * device (memfd, regular file), where the repository and the build are,
 * and running a command to collect its output.
 *
 * run-suite.sh --host runs the tests from /tmp, so paths come from
 * MMIO_SHM_TOP / MMIO_SHM_BUILD when set, else from /proc/self/exe, which
 * is BUILD/host/NAME with BUILD inside the repository (BUILD/..).
 */
#ifndef MMIO_SHM_HOST_H
#define MMIO_SHM_HOST_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libmmio_shm.h"

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

/* the build directory (BUILD), into @buf of PATH_MAX bytes */
static inline const char *build_dir(char *buf)
{
	const char *env = getenv("MMIO_SHM_BUILD");
	ssize_t n;

	if (env) {
		snprintf(buf, PATH_MAX, "%s", env);
		return buf;
	}
	n = readlink("/proc/self/exe", buf, PATH_MAX - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	/* BUILD/host/NAME -> BUILD */
	strcpy(buf, dirname(buf));
	strcpy(buf, dirname(buf));
	return buf;
}

/* the repository's top directory, into @buf of PATH_MAX bytes */
static inline const char *top_dir(char *buf)
{
	const char *env = getenv("MMIO_SHM_TOP");

	if (env) {
		snprintf(buf, PATH_MAX, "%s", env);
		return buf;
	}
	if (!build_dir(buf))
		return NULL;
	strcpy(buf, dirname(buf));
	return buf;
}

/*
 * Runs @cmd with sh -c, its output (stdout and stderr, as @cmd redirects
 * them) in @out (NUL-terminated, cut at @len - 1). Returns the exit
 * status, or -1.
 */
static inline int run_output(const char *cmd, char *out, size_t len)
{
	size_t n = 0, got;
	FILE *p = popen(cmd, "r");
	int status;

	if (!p)
		return -1;
	while (n < len - 1 && (got = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	/* drain what did not fit so the command can finish */
	while (fgetc(p) != EOF)
		;
	status = pclose(p);
	if (status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#endif /* MMIO_SHM_HOST_H */
