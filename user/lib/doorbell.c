// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - the doorbell: ring it and wait for it (device only)
 */
#include "internal.h"

MMIO_SHM_API int mmio_shm_notify(struct mmio_shm *shm, uint64_t *seqp)
{
	struct mmio_shm_notify arg = { .size = sizeof(arg) };
	int ret;

	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_NOTIFY, &arg);
	if (!ret && seqp)
		*seqp = arg.seq;
	return ret;
}

MMIO_SHM_API int mmio_shm_wait(struct mmio_shm *shm, uint64_t seq,
			       int64_t timeout_ns, uint64_t *cur_seqp)
{
	struct mmio_shm_wait arg = {
		.size = sizeof(arg),
		.seq = seq,
		/* the library's "negative" is the kernel's all-ones */
		.timeout_ns = timeout_ns < 0 ? MMIO_SHM_WAIT_FOREVER :
					       (uint64_t)timeout_ns,
	};
	int ret;

	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_WAIT, &arg);
	/* the kernel reports the sequence on a timeout or signal as well */
	if (cur_seqp && (!ret || ret == -ETIMEDOUT || ret == -EINTR))
		*cur_seqp = arg.cur_seq;
	return ret;
}
