// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - the handle: open, verify, close, descriptors and info
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

/* does a uevent line "DEVNAME=..." name /dev/mmio_shm or /dev/mmio_shmN? */
static bool mmio_shm_is_our_devname(const char *name)
{
	static const char prefix[] = "mmio_shm";

	if (strncmp(name, prefix, sizeof(prefix) - 1))
		return false;
	name += sizeof(prefix) - 1;
	return *name == '\0' || strspn(name, "0123456789") == strlen(name);
}

/*
 * Checks through /sys/dev/char/MAJOR:MINOR/uevent that @st is an mmio_shm
 * device. Return: 0, or -ENODEV for any other character device.
 */
static int mmio_shm_verify_chardev(const struct stat *st)
{
	char path[64], line[256];
	bool ours = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/uevent",
		 major(st->st_rdev), minor(st->st_rdev));
	f = fopen(path, "re");
	if (!f)
		return -ENODEV;
	while (!ours && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "DEVNAME=", 8))
			ours = mmio_shm_is_our_devname(line + 8);
	}
	fclose(f);
	return ours ? 0 : -ENODEV;
}

/*
 * Takes over @fd (closing it on failure) and builds the handle. @fd was
 * opened by us only when @ours: then it is made blocking again; a
 * duplicate shares the caller's open file description, whose flags are
 * the caller's and stay as they are.
 */
static int mmio_shm_new(int fd, bool ours, struct mmio_shm **shmp)
{
	struct mmio_shm *shm;
	struct stat st;
	int fl, ret;

	ret = mmio_shm_sysret(fstat(fd, &st));
	if (ret)
		goto err_close;
	if (S_ISCHR(st.st_mode)) {
		ret = mmio_shm_verify_chardev(&st);
		if (ret)
			goto err_close;
	} else if (!S_ISREG(st.st_mode)) {
		ret = -ENOTTY;
		goto err_close;
	}
	fl = mmio_shm_sysret(fcntl(fd, F_GETFL));
	if (fl < 0) {
		ret = fl;
		goto err_close;
	}
	/* opened non-blocking only so that a FIFO could not hang the open */
	if (ours) {
		ret = mmio_shm_sysret(fcntl(fd, F_SETFL, fl & ~O_NONBLOCK));
		if (ret)
			goto err_close;
	}

	shm = calloc(1, sizeof(*shm));
	if (!shm) {
		ret = -ENOMEM;
		goto err_close;
	}
	ret = -pthread_mutex_init(&shm->lock, NULL);
	if (ret)
		goto err_free;
	shm->fd = fd;
	shm->is_device = S_ISCHR(st.st_mode);
	shm->writable = (fl & O_ACCMODE) == O_RDWR;
	shm->page_size = (size_t)sysconf(_SC_PAGESIZE);
	*shmp = shm;
	return 0;

err_free:
	free(shm);
err_close:
	close(fd);
	return ret;
}

MMIO_SHM_API int mmio_shm_open(const char *path, unsigned int flags,
			       struct mmio_shm **shmp)
{
	int fd;

	if (!shmp || (flags & ~MMIO_SHM_OPEN_RDWR))
		return -EINVAL;
	fd = mmio_shm_sysret(open(path ? path : MMIO_SHM_DEFAULT_PATH,
				  (flags & MMIO_SHM_OPEN_RDWR ? O_RDWR : O_RDONLY) |
				  O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
	if (fd < 0)
		return fd;
	return mmio_shm_new(fd, true, shmp);
}

MMIO_SHM_API int mmio_shm_open_fd(int fd, struct mmio_shm **shmp)
{
	int dup;

	if (!shmp || fd < 0)
		return -EINVAL;
	/* our own descriptor: the caller keeps and may close theirs */
	dup = mmio_shm_sysret(fcntl(fd, F_DUPFD_CLOEXEC, 0));
	if (dup < 0)
		return dup;
	return mmio_shm_new(dup, false, shmp);
}

MMIO_SHM_API int mmio_shm_close(struct mmio_shm *shm)
{
	int ret, ret2;

	if (!shm)
		return -EINVAL;
	ret = mmio_shm_unmap_all(shm);
	ret2 = mmio_shm_sysret(close(shm->fd));
	pthread_mutex_destroy(&shm->lock);
	free(shm);
	return ret ? ret : ret2;
}

MMIO_SHM_API int mmio_shm_get_fd(struct mmio_shm *shm)
{
	return shm ? shm->fd : -EINVAL;
}

MMIO_SHM_API int mmio_shm_get_poll_fd(struct mmio_shm *shm)
{
	if (!shm)
		return -EINVAL;
	return shm->is_device ? shm->fd : -ENOTTY;
}

int mmio_shm_dev_ioctl(struct mmio_shm *shm, unsigned long cmd, void *arg)
{
	if (!shm)
		return -EINVAL;
	if (!shm->is_device)
		return -ENOTTY;
	return mmio_shm_sysret(ioctl(shm->fd, cmd, arg));
}

MMIO_SHM_API int mmio_shm_get_status(struct mmio_shm *shm,
				     struct mmio_shm_status *st)
{
	struct mmio_shm_info_args args = { .size = sizeof(args) };
	struct stat sb;
	int ret;

	if (!shm || !st)
		return -EINVAL;
	if (!shm->is_device) {
		ret = mmio_shm_sysret(fstat(shm->fd, &sb));
		if (ret)
			return ret;
		*st = (struct mmio_shm_status){ .buf_size = (uint64_t)sb.st_size };
		return 0;
	}
	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_INFO, &args);
	if (ret)
		return ret;
	*st = (struct mmio_shm_status){
		.buf_size = args.buf_size,
		.seq = args.seq,
		.kernel_version = args.version,
		.nr_open = args.nr_open,
		.nr_maps = args.nr_maps,
	};
	return 0;
}

MMIO_SHM_API int mmio_shm_get_size(struct mmio_shm *shm, uint64_t *size)
{
	struct mmio_shm_status st;
	int ret;

	if (!size)
		return -EINVAL;
	ret = mmio_shm_get_status(shm, &st);
	if (!ret)
		*size = st.buf_size;
	return ret;
}
