// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - the doorbell: ring it and wait for it (device only)
 */
#include <time.h>

#include "internal.h"

/* now + @timeout_ns on CLOCK_MONOTONIC; a negative timeout never ends */
static uint64_t mmio_shm_deadline(int64_t timeout_ns)
{
	struct timespec now;
	uint64_t t;

	if (timeout_ns < 0 || clock_gettime(CLOCK_MONOTONIC, &now))
		return MMIO_SHM_WAIT_FOREVER;
	t = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	/* beyond any real clock: the same as forever */
	if ((uint64_t)timeout_ns > MMIO_SHM_WAIT_FOREVER - t)
		return MMIO_SHM_WAIT_FOREVER;
	return t + (uint64_t)timeout_ns;
}

MMIO_SHM_API int mmio_shm_notify(struct mmio_shm *shm, uint64_t *seqp)
{
	struct mmio_shm_notify_args arg = { .size = sizeof(arg) };
	int ret;

	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_NOTIFY, &arg);
	if (!ret && seqp)
		*seqp = arg.seq;
	return ret;
}

MMIO_SHM_API int mmio_shm_wait(struct mmio_shm *shm, uint64_t seq,
			       int64_t timeout_ns, uint64_t *cur_seqp)
{
	struct mmio_shm_wait_args arg = {
		.size = sizeof(arg),
		.seq = seq,
		/* 0 gives a deadline already past: the kernel only checks */
		.deadline = timeout_ns ? mmio_shm_deadline(timeout_ns) : 0,
	};
	int ret;

	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_WAIT, &arg);
	/* the kernel reports the sequence on a timeout or signal as well */
	if (cur_seqp && (!ret || ret == -ETIMEDOUT || ret == -EINTR))
		*cur_seqp = arg.cur_seq;
	return ret;
}
