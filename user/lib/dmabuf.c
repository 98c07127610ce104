// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - a range of the buffer handed to other drivers as a dma-buf
 * (device only)
 */
#include "internal.h"

MMIO_SHM_API int mmio_shm_export_dmabuf(struct mmio_shm *shm, uint64_t offset,
					uint64_t length, unsigned int flags)
{
	struct mmio_shm_export_args args = {
		.size = sizeof(args),
		.offset = offset,
		.length = length,
	};
	int ret;

	if (flags & ~(MMIO_SHM_EXPORT_DMABUF_CLOEXEC |
		      MMIO_SHM_EXPORT_DMABUF_READ_ONLY))
		return -EINVAL;
	/* the library's flags are its own: translate, never pass through */
	if (flags & MMIO_SHM_EXPORT_DMABUF_CLOEXEC)
		args.flags |= MMIO_SHM_EXPORT_CLOEXEC;
	if (flags & MMIO_SHM_EXPORT_DMABUF_READ_ONLY)
		args.flags |= MMIO_SHM_EXPORT_READ_ONLY;
	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_EXPORT, &args);
	if (ret)
		return ret;
	return args.fd;
}
