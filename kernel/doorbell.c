// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - the doorbell: a per-device sequence number to ring and wait on
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Processes that share the buffer need a way to say "there is new data"
 * without spinning. MMIO_SHM_IOC_NOTIFY increments the device's sequence and
 * wakes every waiter; MMIO_SHM_IOC_WAIT sleeps until the sequence passes a
 * value the caller saw; poll() and epoll report a file readable while the
 * sequence differs from the one that file last collected with a wait.
 */
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/ktime.h>
#include <linux/wait.h>

#include "mmio_shm.h"

/**
 * mmio_shm_doorbell_init() - set up the doorbell of a new device
 * @dev: the device
 */
void mmio_shm_doorbell_init(struct mmio_shm_dev *dev)
{
	atomic64_set(&dev->seq, 0);
	init_waitqueue_head(&dev->seq_wq);
}

/**
 * mmio_shm_doorbell_seq() - the current sequence number
 * @dev: the device
 *
 * Return: how many times the doorbell was rung since the module was loaded.
 */
u64 mmio_shm_doorbell_seq(struct mmio_shm_dev *dev)
{
	return atomic64_read(&dev->seq);
}

/**
 * mmio_shm_doorbell_ring() - increment the sequence and wake all waiters
 * @dev: the device
 *
 * Return: the sequence number after this ring.
 */
u64 mmio_shm_doorbell_ring(struct mmio_shm_dev *dev)
{
	u64 seq = atomic64_inc_return(&dev->seq);

	wake_up_interruptible_all(&dev->seq_wq);
	return seq;
}

/**
 * mmio_shm_doorbell_wait() - sleep until the sequence passes @seq
 * @dev:        the device
 * @seq:        a sequence number the caller has seen
 * @timeout_ns: relative timeout; 0 only checks, MMIO_SHM_WAIT_FOREVER
 *              (or anything beyond KTIME_MAX) never expires
 * @cur_seq:    returns the sequence number at the end of the wait
 *
 * Return: 0 once the sequence is greater than @seq, -ETIMEDOUT when the
 * timeout expired first, -EINTR when a signal arrived first.
 */
int mmio_shm_doorbell_wait(struct mmio_shm_dev *dev, u64 seq, u64 timeout_ns,
			   u64 *cur_seq)
{
	long ret;

	if (mmio_shm_doorbell_seq(dev) > seq)
		ret = 0;
	else if (!timeout_ns)
		ret = -ETIMEDOUT;
	else if (timeout_ns > KTIME_MAX)
		ret = wait_event_interruptible(dev->seq_wq,
					       mmio_shm_doorbell_seq(dev) > seq);
	else
		ret = wait_event_interruptible_hrtimeout(dev->seq_wq,
							 mmio_shm_doorbell_seq(dev) > seq,
							 ns_to_ktime(timeout_ns));
	*cur_seq = mmio_shm_doorbell_seq(dev);

	/* a relative timeout cannot be restarted as is: report the signal */
	if (ret == -ERESTARTSYS)
		return -EINTR;
	if (ret == -ETIME)
		return -ETIMEDOUT;
	return ret;
}
