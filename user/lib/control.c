// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - buffer control: resize and zero (device only)
 */
#include "internal.h"

MMIO_SHM_API int mmio_shm_resize(struct mmio_shm *shm, uint64_t new_size)
{
	struct mmio_shm_resize_args args = {
		.size = sizeof(args),
		.new_size = new_size,
	};

	if (!new_size)
		return -EINVAL;
	return mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_RESIZE, &args);
}

MMIO_SHM_API int mmio_shm_zero_range(struct mmio_shm *shm, uint64_t offset,
				     uint64_t length)
{
	struct mmio_shm_zero_args args = {
		.size = sizeof(args),
		.offset = offset,
		.length = length,
	};

	/* the kernel's "to the end" is no length a caller can mean */
	if (!length || length == MMIO_SHM_ZERO_TO_END)
		return -EINVAL;
	return mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_ZERO, &args);
}

MMIO_SHM_API int mmio_shm_zero(struct mmio_shm *shm)
{
	struct mmio_shm_zero_args args = {
		.size = sizeof(args),
		.length = MMIO_SHM_ZERO_TO_END,
	};

	return mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_ZERO, &args);
}
