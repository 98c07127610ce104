// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - buffer control: resize and zero (device only)
 */
#include "internal.h"

MMIO_SHM_API int mmio_shm_resize(struct mmio_shm *shm, uint64_t new_size)
{
	struct mmio_shm_resize arg = {
		.size = sizeof(arg),
		.new_size = new_size,
	};

	if (!new_size)
		return -EINVAL;
	return mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_RESIZE, &arg);
}

MMIO_SHM_API int mmio_shm_zero(struct mmio_shm *shm)
{
	return mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_ZERO, NULL);
}
